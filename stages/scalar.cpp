// Rung: scalar. The port of baseline python_tuned, and the reference every
// later rung is checked against. Changes from naive:
// - linear memory: one row of H and one of E (Gotoh), not three full matrices,
//   so the working set of a 1,000-residue query is 8 KB and lives in L1;
// - a query profile: for each of the 24 subject letters, the scores against
//   every query position as int8, so the inner loop reads one contiguous row
//   instead of hashing two letters;
// - encoded residues (small integers) and plain comparisons.
// It stays scalar on purpose: the compiler is told not to vectorise this file
// (the loop-carried F and diagonal dependencies would mostly stop it anyway),
// so that the SIMD rungs show what explicit vectorisation buys.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize")
#endif

#include <climits>
#include <vector>

#include "stage.hpp"

namespace swl::stages {

namespace {

class ScalarStage final : public Stage {
 public:
  std::string_view name() const override { return "scalar"; }
  std::string_view summary() const override { return "python_tuned compiled: two rows, query profile, int8 scores"; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const SearchOptions&) const override {
    const std::size_t m = query.size();
    std::vector<std::int8_t> profile(kAlphabetSize * m);
    for (int c = 0; c < kAlphabetSize; ++c) {
      for (std::size_t i = 0; i < m; ++i) profile[c * m + i] = static_cast<std::int8_t>(scoring.matrix.score(query[i], c));
    }
    const int open_extend = scoring.gap_open + scoring.gap_extend;
    const int extend = scoring.gap_extend;
    constexpr int kMinusInfinity = INT_MIN / 2;
    std::vector<int> H(m);
    std::vector<int> E(m);

    SearchResult result;
    result.scores.reserve(db.size());
    for (std::size_t k = 0; k < db.size(); ++k) {
      std::fill(H.begin(), H.end(), 0);
      std::fill(E.begin(), E.end(), kMinusInfinity);
      int best = 0;
      for (const std::uint8_t residue : db.sequence(k)) {
        const std::int8_t* scores = profile.data() + residue * m;
        int h_diagonal = 0;  // H(i-1, j-1)
        int h_above = 0;     // H(i-1, j)
        int f = kMinusInfinity;
        for (std::size_t i = 0; i < m; ++i) {
          int e = E[i] - extend;
          if (H[i] - open_extend > e) e = H[i] - open_extend;
          f -= extend;
          if (h_above - open_extend > f) f = h_above - open_extend;
          int h = h_diagonal + scores[i];
          if (e > h) h = e;
          if (f > h) h = f;
          if (h < 0) h = 0;
          if (h > best) best = h;
          h_diagonal = H[i];
          H[i] = h;
          E[i] = e;
          h_above = h;
        }
      }
      result.scores.push_back(best);
    }
    return result;
  }
};

}  // namespace

const Stage& scalar() {
  static const ScalarStage stage;
  return stage;
}

}  // namespace swl::stages
