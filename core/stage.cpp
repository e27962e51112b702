#include "stage.hpp"

#include "errors.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace swl {

int resolve_threads(int requested) {
  if (requested > 0) return requested;
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
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
  const RunOptions run_options{threaded() ? resolve_threads(options.threads) : 1, choose_kernel(options.kernel)};
  if (db.empty() || query.empty()) {
    SearchResult result;
    result.scores.assign(db.size(), 0);
    result.kernel = run_options.kernel;
    return result;
  }
  SearchResult result = run(query, db, scoring, run_options);
  result.kernel = run_options.kernel;
  return result;
}

}  // namespace swl
