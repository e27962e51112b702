// The 32-bit scalar recurrence (Gotoh's, in two rows, over an int8 query
// profile): the whole of the scalar rung, and the exact last step of every
// SIMD rung's rescoring cascade (8-bit lanes, then 16-bit, then this), for
// the rare subjects whose score passes what 16-bit lanes hold.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "cancel.hpp"
#include "database.hpp"
#include "scoring.hpp"

namespace swl::stages {

class ScalarAligner {
 public:
  ScalarAligner(std::span<const std::uint8_t> query, const Scoring& scoring);

  // One thread's rows of H and E, reused from subject to subject.
  class Rows {
   private:
    friend class ScalarAligner;
    std::vector<int> h, e;
  };

  // With `cancel` set, stops within a few rows and returns a partial score.
  std::int32_t score(std::span<const std::uint8_t> subject, Rows& rows, const CancelFlag* cancel = nullptr) const;

 private:
  std::size_t query_length_;
  std::vector<std::int8_t> profile_;  // kAlphabetSize rows of query_length_ scores
  int open_extend_;
  int extend_;
};

// Scores every subject of the view exactly with the scalar recurrence, spread
// over `threads` threads (one subject at a time, in the view's order, so
// longest first balances best), into scores[database index]. Returns the
// threads used. With `cancel` set, returns early with scores unfinished.
int rescore_exactly(std::span<const std::uint8_t> query, const Scoring& scoring, const DatabaseView& subjects,
                    int threads, std::span<std::int32_t> scores, const CancelFlag* cancel = nullptr);

}  // namespace swl::stages
