// Rung: vectorised. The recurrence written the way a numpy user would write
// it, with Eigen arrays standing in for numpy: sweep the anti-diagonals. The
// cells of one anti-diagonal do not depend on each other (H needs the two
// previous diagonals, E and F the previous one), so each diagonal is a handful
// of whole-array expressions on int32 (exact: no saturation to handle) that
// the compiler and Eigen turn into SIMD. The subject is kept reversed, so that
// as the query position rises along a diagonal the subject position rises
// too and the substitution scores come from contiguous index slices.
//
// What this buys over scalar: the max/add chains of E, F and H run several
// cells per instruction instead of one, with no loop-carried dependency.
// What it cannot buy, and why:
// - the substitution scores are still a gather (one table load per cell):
//   the letters pair up differently on every diagonal, so there is no row to
//   load as a block, and SSE2 has no gather instruction at all;
// - the portable build targets SSE2, so int32 gives 4 lanes, and without
//   SSE4.1's pmaxsd every max is a compare plus three logic ops;
// - a diagonal is at most min(query, subject) long and the first and last
//   ones ramp up from length 1, so short sequences spend much of their time
//   in partial vectors and per-diagonal overhead;
// - H of three diagonals, F of two and E live in memory, not registers, and
//   each expression is its own pass over the diagonal (scores, E, F, H, max)
//   with the gathered scores as a materialised temporary: a cell costs about
//   a dozen loads and four stores, where scalar keeps most of its state in
//   registers.
// On the bundled data that leaves it only modestly ahead of scalar; the
// striped and inter-sequence layouts of later rungs exist to remove these costs.
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <climits>

#include "alphabet.hpp"
#include "cancel.hpp"
#include "stage.hpp"

namespace swl::stages {

namespace {

using Array = Eigen::Array<std::int32_t, Eigen::Dynamic, 1>;
using Eigen::Index;

// Far enough below any score that subtracting gap penalties cannot wrap.
constexpr std::int32_t kMinusInfinity = INT_MIN / 2;

// Per-search scratch. Diagonal arrays are indexed by query position plus
// one; slot 0 is the row above the matrix, and slots past the diagonal's end
// are the column left of it, so boundary cells are read like any other.
struct Workspace {
  Array h_two_back, h_one_back, h_current;  // H on diagonals d-2, d-1, d
  Array e;                                  // E, updated in place: cell (i, j) reads only (i, j-1)
  Array f_one_back, f_current;              // F needs (i-1, j), a shifted read, so two arrays
  Array scores;                             // the gathered substitution scores of one diagonal
  Array subject_reversed;

  Workspace(Index query_length, Index max_subject_length)
      : h_two_back(query_length + 1),
        h_one_back(query_length + 1),
        h_current(query_length + 1),
        e(query_length + 1),
        f_one_back(query_length + 1),
        f_current(query_length + 1),
        scores(std::min(query_length, max_subject_length)),
        subject_reversed(max_subject_length) {}
};

std::int32_t align_pair(const Array& query_rows, std::span<const std::uint8_t> subject, const Array& table,
                        std::int32_t open_extend, std::int32_t extend, Workspace& w, const CancelFlag* cancel) {
  const Index m = query_rows.size();
  const Index n = static_cast<Index>(subject.size());
  if (n == 0) return 0;
  for (Index k = 0; k < n; ++k) w.subject_reversed[k] = subject[n - 1 - k];
  w.h_two_back.setZero();
  w.h_one_back.setZero();
  w.h_current.setZero();
  w.e.setConstant(kMinusInfinity);
  w.f_one_back.setConstant(kMinusInfinity);
  w.f_current.setConstant(kMinusInfinity);

  std::int32_t best = 0;
  // Poll every 256 diagonals: a load per hundreds of thousands of cells on
  // the long alignments where it matters.
  constexpr Index kDiagonalsPerPoll = 256;
  for (Index d = 0; d < m + n - 1; ++d) {
    if (d % kDiagonalsPerPoll == 0 && cancel_requested(cancel)) return best;
    // Query positions i on diagonal d (subject position j = d - i).
    const Index first = std::max<Index>(0, d - (n - 1));
    const Index last = std::min<Index>(m - 1, d);
    const Index len = last - first + 1;
    const Index first_reversed = n - 1 - (d - first);  // reversed-subject index of j = d - first

    // A gather, so Eigen evaluates it one coefficient at a time; fusing the
    // index sum into it saves a pass and a temporary over table(index).
    auto scores = w.scores.head(len);
    const std::int32_t* rows = query_rows.data() + first;
    const std::int32_t* columns = w.subject_reversed.data() + first_reversed;
    scores = Array::NullaryExpr(len, [&](Index t) { return table[rows[t] + columns[t]]; });

    auto e = w.e.segment(first + 1, len);
    auto f = w.f_current.segment(first + 1, len);
    auto h = w.h_current.segment(first + 1, len);
    e = (e - extend).max(w.h_one_back.segment(first + 1, len) - open_extend);
    f = (w.f_one_back.segment(first, len) - extend).max(w.h_one_back.segment(first, len) - open_extend);
    h = (w.h_two_back.segment(first, len) + scores).max(e).max(f).max(0);
    best = std::max(best, h.maxCoeff());

    // Rotate by swapping storage, not copying: d-3's array becomes d+1's.
    w.h_two_back.swap(w.h_one_back);
    w.h_one_back.swap(w.h_current);
    w.f_one_back.swap(w.f_current);
  }
  return best;
}

class VectorisedStage final : public Stage {
 public:
  std::string_view name() const override { return "vectorised"; }
  std::string_view summary() const override {
    return "numpy style with Eigen: anti-diagonal sweep, int32 arrays, reversed subject";
  }
  // Eigen vectorises for whatever the portable build targets: one kernel.
  std::vector<std::string> kernels() const override { return {"eigen"}; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    // The score of query letter a against subject letter b is table[a * kAlphabetSize + b]:
    // with the query's letters pre-multiplied, a diagonal's gather index is
    // the sum of two contiguous slices, like numpy's table[q_rows[i:k] + s_rev[j:l]].
    Array table(kAlphabetSize * kAlphabetSize);
    for (Index k = 0; k < table.size(); ++k) table[k] = scoring.matrix.table()[static_cast<std::size_t>(k)];
    const Index m = static_cast<Index>(query.size());
    Array query_rows(m);
    for (Index i = 0; i < m; ++i) query_rows[i] = query[static_cast<std::size_t>(i)] * kAlphabetSize;

    Workspace workspace(m, static_cast<Index>(db.max_length()));
    SearchResult result;
    result.scores.reserve(db.size());
    for (std::size_t k = 0; k < db.size() && !options.cancelled(); ++k) {
      result.scores.push_back(align_pair(query_rows, db.sequence(k), table, scoring.gap_open + scoring.gap_extend,
                                         scoring.gap_extend, workspace, options.cancel));
    }
    return result;
  }
};

}  // namespace

const Stage& vectorised() {
  static const VectorisedStage stage;
  return stage;
}

}  // namespace swl::stages
