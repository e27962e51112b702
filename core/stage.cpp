#include "stage.hpp"

#include <algorithm>
#include <cstdlib>

#include "cpus.hpp"
#include "errors.hpp"
#include "registry.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace swl {

int resolve_threads(int requested) {
  if (requested > kMaxThreads) {
    throw InputError("threads must be at most " + std::to_string(kMaxThreads) + ", got " + std::to_string(requested));
  }
  const int cpus = usable_cpus();
  if (requested > 0) return std::min(requested, cpus);
#if defined(_OPENMP)
  return std::clamp(omp_get_max_threads(), 1, cpus);
#else
  return 1;
#endif
}

bool Stage::names_kernel(std::string_view kernel) const {
  const std::vector<std::string> offered = kernels();
  return std::find(offered.begin(), offered.end(), kernel) != offered.end();
}

void check_forced_kernel() {
  const char* forced = std::getenv("SWLADDER_KERNEL");
  if (forced == nullptr || *forced == '\0') return;
  // The one kernel of the pure-Python rungs, which run outside this registry.
  if (std::string_view(forced) == "python") return;
  const auto& stages = registry();
  if (std::any_of(stages.begin(), stages.end(), [&](const Stage* stage) { return stage->names_kernel(forced); })) {
    return;
  }
  std::vector<std::string> every_kernel;
  for (const Stage* stage : stages) {
    for (std::string& kernel : stage->kernels()) {
      if (std::find(every_kernel.begin(), every_kernel.end(), kernel) == every_kernel.end()) {
        every_kernel.push_back(std::move(kernel));
      }
    }
  }
  std::string listed;
  for (const std::string& kernel : every_kernel) listed += (listed.empty() ? "" : ", ") + kernel;
  throw InputError("SWLADDER_KERNEL: no stage has a kernel '" + std::string(forced) + "' (kernels this CPU runs: " +
                   listed + ")");
}

std::string Stage::choose_kernel(std::string_view requested) const {
  const std::vector<std::string> offered = kernels();
  if (offered.empty()) throw InputError("stage '" + std::string(name()) + "' has no kernel this CPU can run");
  if (requested.empty()) return offered.front();
  std::string known;
  for (const std::string& kernel : offered) {
    if (kernel == requested) return kernel;
    known += (known.empty() ? "" : ", ") + kernel;
  }
  throw InputError("stage '" + std::string(name()) + "' has no kernel '" + std::string(requested) + "' (it has: " +
                   known + ")");
}

SearchResult Stage::search(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                           const SearchOptions& options) const {
  scoring.validate();
  // No more threads than subjects: the rest would only be started to idle.
  const int threads =
      threaded() ? std::min<std::size_t>(static_cast<std::size_t>(resolve_threads(options.threads)),
                                         std::max<std::size_t>(db.size(), 1))
                 : 1;
  if (options.kernel.empty()) check_forced_kernel();
  const RunOptions run_options{threads, choose_kernel(options.kernel), options.cancel};
  if (db.empty() || query.empty()) {
    SearchResult result;
    result.scores.assign(db.size(), 0);
    result.kernel = run_options.kernel;
    return result;
  }
  if (run_options.cancelled()) throw Cancelled();
  SearchResult result = run(query, db, scoring, run_options);
  // A rung that saw the request stopped early: its scores are not all there.
  if (run_options.cancelled()) throw Cancelled();
  result.kernel = run_options.kernel;
  return result;
}

}  // namespace swl
