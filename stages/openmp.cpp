// Rung: openmp. The striped kernel (stages/striped_search.hpp) on every core: the
// database's subjects are independent, so threads share one read-only query
// profile and each takes the next subject as it finishes the last. Changes
// from striped:
// - one thread per core, each with its own H and E buffers (a few KB that stay
//   in that core's L1), so cores share nothing they write;
// - the longest subjects go first and are handed out one at a time (dynamic
//   scheduling), so the last subjects are the short ones and no thread idles
//   long at the end while another finishes a 35,000-residue titin;
// - the rescoring cascade runs in the same threads: a subject whose 8-bit
//   lanes saturate is scored with 16-bit lanes by the thread that found it;
//   the rare 16-bit saturations are collected and scored by the scalar
//   recurrence, one subject per thread.
// The kernel is bound by each core's vector units, and the working set per
// thread stays in its own L1 and L2, so the speedup is near the core count.
#include <omp.h>

#include <algorithm>

#include "dispatch.hpp"
#include "openmp.hpp"
#include "scalar_recurrence.hpp"
#include "kernel_family_stage.hpp"
#include "stage.hpp"
#include "striped_search.hpp"

namespace swl::stages {

StripedOutcome striped_in_threads(std::span<const std::uint8_t> query, const Scoring& scoring,
                                  kernels::Level level, const DatabaseView& subjects, int threads,
                                  std::span<std::int32_t> scores, const CancelFlag* cancel) {
  StripedOutcome outcome;
  if (subjects.empty()) return outcome;
  if (level == kernels::Level::portable) {
    outcome.threads = rescore_exactly(query, scoring, subjects, threads, scores, cancel);
    return outcome;
  }
  const StripedSearcher searcher(query, scoring, level);
  // Allocated here rather than inside the parallel region, where a failed
  // allocation could not reach the caller as an exception.
  std::vector<StripedSearcher::Scratch> scratch;
  scratch.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) scratch.push_back(searcher.make_scratch());

  std::vector<std::uint32_t> saturated16;
  std::size_t widened = 0;
  int threads_used = 1;
#pragma omp parallel num_threads(threads) reduction(+ : widened)
  {
    auto& own_scratch = scratch[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<std::uint32_t> own_saturated16;
#pragma omp single nowait
    threads_used = omp_get_num_threads();
#pragma omp for schedule(dynamic, 1) nowait
    for (std::size_t n = 0; n < subjects.size(); ++n) {
      if (cancel_requested(cancel)) continue;  // an OpenMP loop cannot break
      const std::uint32_t k = subjects.index(n);
      const auto result = searcher.score(subjects.sequence(n), own_scratch);
      scores[k] = result.score;
      widened += result.widened;
      if (result.needs_exact) own_saturated16.push_back(k);
    }
#pragma omp critical(swl_openmp_saturated)
    saturated16.insert(saturated16.end(), own_saturated16.begin(), own_saturated16.end());
  }
  outcome.threads = threads_used;
  outcome.widened = widened;
  if (cancel_requested(cancel)) return outcome;
  // Past 16 bits a subject is thousands of residues long: one per task,
  // longest first. The view's order is not kept by the threads, so sort.
  const Database& db = subjects.database();
  std::sort(saturated16.begin(), saturated16.end(),
            [&](std::uint32_t a, std::uint32_t b) { return db.length(a) > db.length(b); });
  rescore_exactly(query, scoring, DatabaseView(db, saturated16), threads, scores, cancel);
  return outcome;
}

namespace {

class OpenmpStage final : public KernelFamilyStage {
 public:
  OpenmpStage() : KernelFamilyStage(kernels::striped_family) {}
  std::string_view name() const override { return "openmp"; }
  std::string_view summary() const override {
    return "striped kernel over subjects with OpenMP: longest first, dynamic schedule, per-thread scratch";
  }
  bool threaded() const override { return true; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    const kernels::Level level = level_of(options.kernel);
    const auto order = db.longest_first();
    SearchResult result;
    result.scores.resize(db.size());
    const StripedOutcome outcome =
        striped_in_threads(query, scoring, level, DatabaseView(db, *order), options.threads, result.scores,
                           options.cancel);
    result.threads = outcome.threads;
    result.rescored = outcome.widened;
    return result;
  }
};

}  // namespace

const Stage& openmp() {
  static const OpenmpStage stage;
  return stage;
}

}  // namespace swl::stages
