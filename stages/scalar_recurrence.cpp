// It stays scalar on purpose: the compiler is told not to vectorise this file
// (the loop-carried F and diagonal dependencies would mostly stop it anyway),
// so that the SIMD rungs show what explicit vectorisation buys.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize")
#endif

#include "scalar_recurrence.hpp"

#include <algorithm>
#include <climits>
#include <exception>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace swl::stages {

ScalarAligner::ScalarAligner(std::span<const std::uint8_t> query, const Scoring& scoring)
    : query_length_(query.size()),
      profile_(static_cast<std::size_t>(kAlphabetSize) * query.size()),
      open_extend_(scoring.gap_open + scoring.gap_extend),
      extend_(scoring.gap_extend) {
  const std::size_t m = query_length_;
  for (int c = 0; c < kAlphabetSize; ++c) {
    for (std::size_t i = 0; i < m; ++i) {
      profile_[c * m + i] = static_cast<std::int8_t>(scoring.matrix.score(query[i], static_cast<std::uint8_t>(c)));
    }
  }
}

std::int32_t ScalarAligner::score(std::span<const std::uint8_t> subject, Rows& rows, const CancelFlag* cancel) const {
  const std::size_t m = query_length_;
  constexpr int kMinusInfinity = INT_MIN / 2;
  rows.h.assign(m, 0);
  rows.e.assign(m, kMinusInfinity);
  int* const H = rows.h.data();
  int* const E = rows.e.data();
  const int open_extend = open_extend_;
  const int extend = extend_;
  int best = 0;
  // A 35,000-residue titin row pair takes seconds here: poll every 64 rows
  // (a load per 64 * m cells).
  constexpr std::size_t kRowsPerPoll = 64;
  for (std::size_t j = 0; j < subject.size(); ++j) {
    if (j % kRowsPerPoll == 0 && cancel_requested(cancel)) return best;
    const std::int8_t* scores = profile_.data() + subject[j] * m;
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
  return best;
}

int rescore_exactly(std::span<const std::uint8_t> query, const Scoring& scoring, const DatabaseView& subjects,
                    int threads, std::span<std::int32_t> scores, const CancelFlag* cancel) {
  if (subjects.empty()) return 1;
  const ScalarAligner aligner(query, scoring);
  int threads_used = 1;
  // An exception must not leave an OpenMP region: keep the first, rethrow after.
  std::exception_ptr failure;
#pragma omp parallel num_threads(threads)
  {
#if defined(_OPENMP)
#pragma omp single nowait
    threads_used = omp_get_num_threads();
#endif
    ScalarAligner::Rows rows;
#pragma omp for schedule(dynamic, 1)
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      if (cancel_requested(cancel)) continue;
      try {
        scores[subjects.index(k)] = aligner.score(subjects.sequence(k), rows, cancel);
      } catch (...) {
#pragma omp critical(swl_rescore_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return threads_used;
}

}  // namespace swl::stages
