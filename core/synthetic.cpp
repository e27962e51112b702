#include "synthetic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace swl {

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SplitMix64::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::uint64_t SplitMix64::below(std::uint64_t bound) { return bound == 0 ? 0 : next() % bound; }

int SplitMix64::between(int low, int high) {
  return low + static_cast<int>(below(static_cast<std::uint64_t>(high - low) + 1));
}

namespace {

// Background frequencies (percent) of the 20 amino acids in UniProtKB/Swiss-Prot.
constexpr std::array<std::pair<char, double>, 20> kFrequencies = {{
    {'A', 8.25}, {'R', 5.53}, {'N', 4.06}, {'D', 5.45}, {'C', 1.37}, {'Q', 3.93}, {'E', 6.75},
    {'G', 7.07}, {'H', 2.27}, {'I', 5.96}, {'L', 9.66}, {'K', 5.84}, {'M', 2.42}, {'F', 3.86},
    {'P', 4.70}, {'S', 6.56}, {'T', 5.34}, {'W', 1.08}, {'Y', 2.92}, {'V', 6.87},
}};

}  // namespace

std::string random_protein(SplitMix64& rng, std::size_t length) {
  static const auto cumulative = [] {
    std::array<double, 20> sums{};
    double total = 0;
    for (const auto& entry : kFrequencies) total += entry.second;
    double running = 0;
    for (std::size_t i = 0; i < kFrequencies.size(); ++i) {
      running += kFrequencies[i].second / total;
      sums[i] = running;
    }
    sums.back() = 1.0;
    return sums;
  }();
  std::string sequence(length, 'A');
  for (auto& residue : sequence) {
    const double u = rng.uniform();
    const auto index = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) -
                                                cumulative.begin());
    residue = kFrequencies[std::min<std::size_t>(index, kFrequencies.size() - 1)].first;
  }
  return sequence;
}

std::vector<std::string> synthetic_database(std::uint64_t seed, std::size_t count, std::size_t min_length,
                                            std::size_t max_length) {
  SplitMix64 rng(seed);
  constexpr double kLogMedian = 5.7;  // exp(5.7) ~ 300 residues
  constexpr double kLogSpread = 0.6;
  std::vector<std::string> sequences;
  sequences.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double u1 = std::max(rng.uniform(), 1e-12);
    const double u2 = rng.uniform();
    const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    const auto length = static_cast<std::size_t>(std::exp(kLogMedian + kLogSpread * normal));
    sequences.push_back(random_protein(rng, std::clamp(length, min_length, max_length)));
  }
  return sequences;
}

std::string mutate(SplitMix64& rng, const std::string& source, double substitution, double indel) {
  std::string out;
  for (const char residue : source) {
    const double u = rng.uniform();
    if (u < indel / 2) continue;                                  // deletion
    if (u < indel) out += random_protein(rng, 1 + rng.below(6));  // insertion
    out += rng.uniform() < substitution ? random_protein(rng, 1)[0] : residue;
  }
  return out;
}

}  // namespace swl
