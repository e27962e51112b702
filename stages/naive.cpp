// Rung: naive. A line-for-line C++ port of baseline python_naive: three full
// (m+1) x (n+1) matrices, scores looked up by letter in a map of maps, and
// std::max. Nothing about the algorithm or the data layout changes; only the
// interpreter is gone, so this rung measures what compiling alone buys
// (no bytecode dispatch, no boxed integers, no reference counting).
#include <algorithm>
#include <climits>
#include <unordered_map>
#include <vector>

#include "alphabet.hpp"
#include "cancel.hpp"
#include "errors.hpp"
#include "stage.hpp"

namespace swl::stages {

namespace {

using LetterMatrix = std::unordered_map<char, std::unordered_map<char, int>>;

// The full matrices cost 3 * 4 bytes per cell; refuse before allocating more
// than this rather than exhaust memory.
constexpr double kMaxMatrixBytes = 4.0 * 1024 * 1024 * 1024;

int align_pair(const std::string& query, const std::string& subject, const LetterMatrix& matrix, int gap_open,
               int gap_extend, const CancelFlag* cancel) {
  const std::size_t m = query.size();
  const std::size_t n = subject.size();
  const double bytes = 12.0 * static_cast<double>(m + 1) * static_cast<double>(n + 1);
  if (bytes > kMaxMatrixBytes) {
    throw InputError("stage 'naive' keeps three full matrices and would need " +
                     std::to_string(static_cast<long long>(bytes / (1024.0 * 1024 * 1024))) +
                     " GiB for a " + std::to_string(m) + " x " + std::to_string(n) +
                     " alignment; use stage 'scalar' or faster for sequences this long");
  }
  constexpr int kMinusInfinity = INT_MIN / 2;
  std::vector<std::vector<int>> H(m + 1, std::vector<int>(n + 1, 0));
  std::vector<std::vector<int>> E(m + 1, std::vector<int>(n + 1, kMinusInfinity));
  std::vector<std::vector<int>> F(m + 1, std::vector<int>(n + 1, kMinusInfinity));
  int best = 0;
  for (std::size_t i = 1; i <= m; ++i) {
    if (cancel_requested(cancel)) return best;  // a row is n map lookups: the load is free beside it
    for (std::size_t j = 1; j <= n; ++j) {
      E[i][j] = std::max(E[i][j - 1] - gap_extend, H[i][j - 1] - gap_open - gap_extend);
      F[i][j] = std::max(F[i - 1][j] - gap_extend, H[i - 1][j] - gap_open - gap_extend);
      H[i][j] = std::max({0, H[i - 1][j - 1] + matrix.at(query[i - 1]).at(subject[j - 1]), E[i][j], F[i][j]});
      best = std::max(best, H[i][j]);
    }
  }
  return best;
}

class NaiveStage final : public Stage {
 public:
  std::string_view name() const override { return "naive"; }
  std::string_view summary() const override { return "python_naive compiled: full matrices, map lookups"; }
  // Three full int matrices per pair: verification keeps well inside memory
  // and time.
  double max_pair_cells() const override { return 4.0e7; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    LetterMatrix matrix;
    for (int a = 0; a < kAlphabetSize; ++a) {
      for (int b = 0; b < kAlphabetSize; ++b) matrix[kAlphabet[a]][kAlphabet[b]] = scoring.matrix.score(a, b);
    }
    const std::string query_text = decode(query.data(), query.size());
    SearchResult result;
    result.scores.reserve(db.size());
    for (std::size_t k = 0; k < db.size() && !options.cancelled(); ++k) {
      const auto subject = db.sequence(k);
      result.scores.push_back(align_pair(query_text, decode(subject.data(), subject.size()), matrix,
                                         scoring.gap_open, scoring.gap_extend, options.cancel));
    }
    return result;
  }
};

}  // namespace

const Stage& naive() {
  static const NaiveStage stage;
  return stage;
}

}  // namespace swl::stages
