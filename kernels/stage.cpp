#include "stage.hpp"

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

SearchResult Stage::search(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                           const SearchOptions& options) const {
  scoring.validate();
  if (db.empty() || query.empty()) {
    SearchResult result;
    result.scores.assign(db.size(), 0);
    return result;
  }
  return run(query, db, scoring, options);
}

}  // namespace swl
