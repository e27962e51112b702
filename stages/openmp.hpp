// The openmp rung's loop as a component: the striped cascade over a view of
// the database on `threads` threads. The openmp rung runs it on the whole
// database, and interseq on the few subjects too long for its lanes.
#pragma once

#include <cstdint>
#include <span>

#include "cancel.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "scoring.hpp"

namespace swl::stages {

struct StripedOutcome {
  int threads = 1;          // threads used
  std::size_t widened = 0;  // subjects whose 8-bit lanes saturated
};

// Scores every subject of the view into scores[database index]. The view's
// order is the order subjects are handed out (longest first balances best).
// The portable level runs the scalar recurrence instead. With `cancel` set,
// returns early (polled per subject) with scores unfinished.
StripedOutcome striped_in_threads(std::span<const std::uint8_t> query, const Scoring& scoring,
                                  kernels::Level level, const DatabaseView& subjects, int threads,
                                  std::span<std::int32_t> scores, const CancelFlag* cancel = nullptr);

}  // namespace swl::stages
