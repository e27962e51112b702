// Deterministic synthetic protein data for benchmarks larger than the bundled
// set, and random cases for the verification corpus. The generator is our
// own (splitmix64 plus explicit transforms) rather than <random>'s
// distributions, whose output differs between standard libraries: a seed
// must give the same database everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace swl {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                                    // [0, 1)
  std::uint64_t below(std::uint64_t bound);            // [0, bound)
  int between(int low, int high);                      // [low, high]
 private:
  std::uint64_t state_;
};

// A protein sequence with UniProt-like background amino-acid frequencies.
std::string random_protein(SplitMix64& rng, std::size_t length);

// A homolog of `source`: each residue is deleted or preceded by 1 to 6 random
// residues with probability indel / 2 each, and otherwise substituted with
// probability `substitution`, so that gaps open and extend.
std::string mutate(SplitMix64& rng, const std::string& source, double substitution, double indel);

// A database of `count` sequences whose lengths follow a log-normal law with
// the median and spread of UniProtKB (median about 300, mean about 360),
// clipped to [min_length, max_length].
std::vector<std::string> synthetic_database(std::uint64_t seed, std::size_t count, std::size_t min_length = 20,
                                            std::size_t max_length = 5000);

}  // namespace swl
