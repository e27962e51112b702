// The striped search that the striped, openmp and interseq rungs share: a
// query's striped profiles are built once (8- and 16-bit lanes, for one
// compiled kernel level), then any thread scores any subject with scratch of
// its own. A subject climbs the cascade: 8-bit lanes, 16-bit lanes where
// those saturate, and the scalar recurrence (rescore_exactly) past 16 bits.
#pragma once

#include <cstdint>
#include <span>

#include "aligned.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "scoring.hpp"

namespace swl::stages {

class StripedSearcher {
 public:
  // `level` must name a compiled striped kernel (not the portable level).
  StripedSearcher(std::span<const std::uint8_t> query, const Scoring& scoring, kernels::Level level);
  StripedSearcher(const StripedSearcher&) = delete;
  StripedSearcher& operator=(const StripedSearcher&) = delete;

  // Per-thread working memory, sized for this searcher's query.
  class Scratch {
   public:
    explicit Scratch(std::size_t bytes) : h_previous_(bytes), h_current_(bytes), e_(bytes) {}

   private:
    friend class StripedSearcher;
    AlignedBuffer<std::uint8_t> h_previous_;
    AlignedBuffer<std::uint8_t> h_current_;
    AlignedBuffer<std::uint8_t> e_;
  };
  Scratch make_scratch() const { return Scratch(scratch_bytes_); }

  struct Outcome {
    std::int32_t score = 0;    // exact unless needs_exact
    bool widened = false;      // the 8-bit lanes saturated; scored again with 16-bit lanes
    bool needs_exact = false;  // the 16-bit lanes saturated too: rescore_exactly
  };
  Outcome score(std::span<const std::uint8_t> subject, Scratch& scratch) const;

 private:
  struct LaneProfile {
    AlignedBuffer<std::uint8_t> storage;
    kernels::striped::KernelProfile view{};
  };
  template <typename Lane>
  static LaneProfile build_profile(std::span<const std::uint8_t> query, const Scoring& scoring,
                                   std::size_t vector_bytes);

  kernels::striped::Kernel kernel_{};
  LaneProfile profile8_;
  LaneProfile profile16_;
  std::size_t scratch_bytes_ = 0;
};

}  // namespace swl::stages
