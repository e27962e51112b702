// The striped search that the striped and openmp rungs share: a query's
// profiles are built once (8- and 16-bit lanes, for the chosen instruction
// set), then any thread scores any subject with scratch of its own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aligned.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "scoring.hpp"
#include "striped_kernel.hpp"

namespace swl::striped {

// The kernels of both rungs, best first; the last is the portable "scalar".
std::span<const KernelChoice> kernel_choices();
inline bool is_portable(std::size_t kernel_index) { return kernel_choices()[kernel_index].requires_isa == Isa::scalar; }

class Searcher {
 public:
  // kernel_index comes from choose_kernel(kernel_choices(), ...) and must not
  // name the portable kernel, which has no striped code (see is_portable).
  Searcher(std::span<const std::uint8_t> query, const Scoring& scoring, std::size_t kernel_index);
  Searcher(const Searcher&) = delete;
  Searcher& operator=(const Searcher&) = delete;

  // Per-thread working memory, sized for this searcher's query.
  class Scratch {
   public:
    explicit Scratch(std::size_t bytes) : h_previous_(bytes), h_current_(bytes), e_(bytes) {}

   private:
    friend class Searcher;
    AlignedBuffer<std::uint8_t> h_previous_;
    AlignedBuffer<std::uint8_t> h_current_;
    AlignedBuffer<std::uint8_t> e_;
  };
  Scratch make_scratch() const { return Scratch(scratch_bytes_); }

  struct Outcome {
    std::int32_t score = 0;      // exact unless needs_exact
    bool widened = false;        // the 8-bit lanes saturated; scored again with 16-bit lanes
    bool needs_exact = false;    // the 16-bit lanes saturated too; score with rescore_exactly
  };
  Outcome score(std::span<const std::uint8_t> subject, Scratch& scratch) const;

 private:
  struct LaneProfile {
    AlignedBuffer<std::uint8_t> storage;
    KernelProfile view{};
  };
  template <typename Lane>
  static LaneProfile build_profile(std::span<const std::uint8_t> query, const Scoring& scoring,
                                   std::size_t vector_bytes);

  KernelFunction align8_ = nullptr;
  KernelFunction align16_ = nullptr;
  LaneProfile profile8_;
  LaneProfile profile16_;
  std::size_t scratch_bytes_ = 0;
};

// Scores db records `indices` with the scalar stage, the last step of the
// cascade for subjects whose 16-bit lanes saturated, and writes them into
// `scores` (indexed like db).
void rescore_exactly(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                     std::span<const std::uint32_t> indices, std::span<std::int32_t> scores);

}  // namespace swl::striped
