// Rung: striped. Farrar's striped Smith-Waterman (Bioinformatics 23:156,
// 2007) with explicit intrinsics, one kernel source compiled for SSE4.1,
// AVX2 and AVX-512BW. Changes from vectorised (anti-diagonal Eigen arrays):
// - the vectors run down the query, not along anti-diagonals: lane k holds a
//   contiguous stretch of the query, and a whole column is a few full-width
//   vectors. Anti-diagonals change length and need their scores gathered;
//   here the query profile is built once per query, and one aligned load per
//   vector fetches 16 to 64 scores;
// - the vertical gap F, the one dependency inside a column, first ignores
//   lane boundaries, so its chain is two single-cycle instructions per vector
//   instead of one chain through every cell, and is repaired lazily. Farrar
//   repairs it in a loop after each column; on real proteins with 11/1 that
//   loop runs in most columns and ends in a mispredicted branch, so here the
//   repair is folded into the next column's pass (see kernels/striped.cpp);
// - lanes are unsigned 8-bit with saturating arithmetic: twice the lanes of
//   16-bit, four times int32. Scores are biased so that the matrix fits in
//   unsigned bytes, and saturating subtraction stops at 0, the local floor,
//   for free. A subject that could have reached 255 is scored again with
//   16-bit lanes, and past those with the scalar recurrence: saturation is
//   detected, never silent.
// Against scalar, each instruction does 16 to 64 cells' work, and the only
// branches are per column, not per cell. The kernel, one source compiled per
// instruction-set level, is kernels/striped.cpp; the profiles and the
// cascade are stages/striped_search.cpp.
#include <vector>

#include "dispatch.hpp"
#include "scalar_recurrence.hpp"
#include "kernel_family_stage.hpp"
#include "stage.hpp"
#include "striped_search.hpp"

namespace swl::stages {

namespace {

class StripedStage final : public KernelFamilyStage {
 public:
  StripedStage() : KernelFamilyStage(kernels::striped_family) {}
  std::string_view name() const override { return "striped"; }
  std::string_view summary() const override {
    return "Farrar striped query profile, 8-bit saturating lanes, F carried into the next column; "
           "16-bit and scalar rescoring";
  }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    SearchResult result;
    result.scores.resize(db.size());
    const kernels::Level level = level_of(options.kernel);
    if (level == kernels::Level::portable) {
      rescore_exactly(query, scoring, DatabaseView(db), 1, result.scores, options.cancel);
      return result;
    }
    const StripedSearcher searcher(query, scoring, level);
    auto scratch = searcher.make_scratch();
    std::vector<std::uint32_t> saturated16;
    // Polled per subject: the kernel's columns are too hot, and one subject
    // takes well under a second even at titin size.
    for (std::size_t k = 0; k < db.size() && !options.cancelled(); ++k) {
      const auto outcome = searcher.score(db.sequence(k), scratch);
      result.scores[k] = outcome.score;
      result.rescored += outcome.widened;
      if (outcome.needs_exact) saturated16.push_back(static_cast<std::uint32_t>(k));
    }
    rescore_exactly(query, scoring, DatabaseView(db, saturated16), 1, result.scores, options.cancel);
    return result;
  }
};

}  // namespace

const Stage& striped() {
  static const StripedStage stage;
  return stage;
}

}  // namespace swl::stages
