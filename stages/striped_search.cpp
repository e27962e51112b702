#include "striped_search.hpp"

#include <algorithm>
#include <stdexcept>

namespace swl::stages {

template <typename Lane>
StripedSearcher::LaneProfile StripedSearcher::build_profile(std::span<const std::uint8_t> query,
                                                            const Scoring& scoring, std::size_t vector_bytes) {
  constexpr unsigned kLaneMax = sizeof(Lane) == 1 ? 0xFFu : 0xFFFFu;
  const std::size_t lanes = vector_bytes / sizeof(Lane);
  const std::size_t segments = (query.size() + lanes - 1) / lanes;
  const unsigned bias = static_cast<unsigned>(std::max(0, -scoring.matrix.min_score()));

  LaneProfile profile;
  profile.storage.resize(kAlphabetSize * segments * vector_bytes);
  Lane* const scores = reinterpret_cast<Lane*>(profile.storage.data());
  for (int c = 0; c < kAlphabetSize; ++c) {
    Lane* const block = scores + static_cast<std::size_t>(c) * segments * lanes;
    for (std::size_t s = 0; s < segments; ++s) {
      for (std::size_t lane = 0; lane < lanes; ++lane) {
        const std::size_t i = lane * segments + s;
        // Past the query's end: the lowest score, so padding never helps an
        // alignment (it could not anyway: nothing follows it in the query).
        const int score = i < query.size() ? scoring.matrix.score(query[i], static_cast<std::uint8_t>(c)) : -int(bias);
        block[s * lanes + lane] = static_cast<Lane>(score + static_cast<int>(bias));
      }
    }
  }
  // max(x - c, 0) = 0 whenever c >= x, so clamping a penalty to the lane
  // maximum changes nothing: no H ever exceeds it.
  const auto clamp = [](int penalty) { return static_cast<unsigned>(std::min<int>(penalty, kLaneMax)); };
  profile.view = kernels::striped::KernelProfile{profile.storage.data(), segments, bias,
                                                clamp(scoring.gap_open + scoring.gap_extend),
                                                clamp(scoring.gap_extend), kLaneMax - bias};
  return profile;
}

StripedSearcher::StripedSearcher(std::span<const std::uint8_t> query, const Scoring& scoring,
                                 kernels::Level level) {
  const kernels::striped::Kernel* kernel = kernels::striped_kernel(level);
  if (kernel == nullptr) throw std::logic_error("StripedSearcher needs a compiled striped kernel");
  kernel_ = *kernel;
  const std::size_t vector_bytes = kernel_.vector_bytes;
  profile8_ = build_profile<std::uint8_t>(query, scoring, vector_bytes);
  profile16_ = build_profile<std::uint16_t>(query, scoring, vector_bytes);
  scratch_bytes_ = std::max(profile8_.view.segments, profile16_.view.segments) * vector_bytes;
}

StripedSearcher::Outcome StripedSearcher::score(std::span<const std::uint8_t> subject, Scratch& scratch) const {
  const kernels::striped::KernelScratch buffers{scratch.h_previous_.data(), scratch.h_current_.data(),
                                                scratch.e_.data()};
  Outcome outcome;
  outcome.score = kernel_.align8(profile8_.view, subject.data(), subject.size(), buffers);
  if (outcome.score != kernels::striped::kSaturated) return outcome;
  outcome.widened = true;
  outcome.score = kernel_.align16(profile16_.view, subject.data(), subject.size(), buffers);
  outcome.needs_exact = outcome.score == kernels::striped::kSaturated;
  return outcome;
}

}  // namespace swl::stages
