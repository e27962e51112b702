// Rung: openmp. The striped kernel (stages/striped.hpp) on every core: the
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
//   the rare 16-bit saturations are collected and scored by the scalar stage,
//   one subject per thread.
// The kernel is bound by each core's vector units, and the working set per
// thread stays in its own L1 and L2, so the speedup is near the core count.
#include <omp.h>

#include <algorithm>
#include <exception>

#include "registry.hpp"
#include "stage.hpp"
#include "striped.hpp"

namespace swl::stages {

namespace {

// Subjects per scalar-stage call on the portable kernel: large enough that
// building a sub-database and a profile is noise, small enough to balance.
constexpr std::size_t kPortableChunk = 64;

class OpenmpStage final : public Stage {
 public:
  std::string_view name() const override { return "openmp"; }
  std::string_view summary() const override {
    return "striped kernel over subjects with OpenMP: longest first, dynamic schedule, per-thread scratch";
  }
  std::vector<std::string> kernels() const override { return supported_kernels(striped::kernel_choices()); }
  bool threaded() const override { return true; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const SearchOptions& options) const override {
    const std::size_t kernel_index = choose_kernel(striped::kernel_choices(), options.kernel, name());
    const int threads = resolve_threads(options.threads);
    const std::vector<std::uint32_t> order = db.longest_first();

    SearchResult result;
    result.kernel = std::string(striped::kernel_choices()[kernel_index].name);
    result.scores.resize(db.size());
    if (striped::is_portable(kernel_index)) {
      result.threads = score_with_scalar(query, db, scoring, order, kPortableChunk, threads, result.scores);
      return result;
    }

    const striped::Searcher searcher(query, scoring, kernel_index);
    // Allocated here rather than inside the parallel region, where a failed
    // allocation could not reach the caller as an exception.
    std::vector<striped::Searcher::Scratch> scratch;
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
      for (std::size_t n = 0; n < order.size(); ++n) {
        const std::uint32_t k = order[n];
        const auto outcome = searcher.score(db.sequence(k), own_scratch);
        result.scores[k] = outcome.score;
        widened += outcome.widened;
        if (outcome.needs_exact) own_saturated16.push_back(k);
      }
#pragma omp critical(swl_openmp_saturated)
      saturated16.insert(saturated16.end(), own_saturated16.begin(), own_saturated16.end());
    }
    result.threads = threads_used;
    result.rescored = widened;
    // Past 16 bits a subject is thousands of residues long: one per task.
    std::sort(saturated16.begin(), saturated16.end(), [&](std::uint32_t a, std::uint32_t b) {
      return db.length(a) > db.length(b);
    });
    score_with_scalar(query, db, scoring, saturated16, 1, threads, result.scores);
    return result;
  }

 private:
  // The scalar stage on chunks of `indices` (in the order given, so longest
  // first balances best), spread over the threads; returns the threads used.
  static int score_with_scalar(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                               std::span<const std::uint32_t> indices, std::size_t chunk, int threads,
                               std::vector<std::int32_t>& scores) {
    if (indices.empty()) return 1;
    const Stage& scalar = get_stage("scalar");
    const std::size_t chunks = (indices.size() + chunk - 1) / chunk;
    int threads_used = 1;
    // An exception must not leave an OpenMP region: keep the first, rethrow after.
    std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
    {
#pragma omp single nowait
      threads_used = omp_get_num_threads();
#pragma omp for schedule(dynamic, 1)
      for (std::size_t c = 0; c < chunks; ++c) {
        try {
          const auto part = indices.subspan(c * chunk, std::min(chunk, indices.size() - c * chunk));
          const SearchResult exact = scalar.search(query, db.subset(part), scoring);
          for (std::size_t k = 0; k < part.size(); ++k) scores[part[k]] = exact.scores[k];
        } catch (...) {
#pragma omp critical(swl_openmp_failure)
          if (!failure) failure = std::current_exception();
        }
      }
    }
    if (failure) std::rethrow_exception(failure);
    return threads_used;
  }
};

}  // namespace

const Stage& openmp() {
  static const OpenmpStage stage;
  return stage;
}

}  // namespace swl::stages
