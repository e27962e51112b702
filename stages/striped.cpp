// Rung: striped. Farrar's striped Smith-Waterman (Bioinformatics 23:156,
// 2007) with explicit intrinsics, one kernel source compiled for SSE4.1,
// AVX2 and AVX-512BW. Changes from vectorised (anti-diagonal Eigen arrays):
// - the vectors run down the query, not along anti-diagonals: lane k holds a
//   contiguous stretch of the query, and a whole column is a few full-width
//   vectors. Anti-diagonals change length and need their scores gathered;
//   here the query profile is built once per query, and one aligned load per
//   vector fetches 16 to 64 scores;
// - the vertical gap F, the one dependency inside a column, first ignores
//   lane boundaries, so its chain is two single-cycle instructions per vector
//   instead of one chain through every cell, and is repaired lazily. Farrar
//   repairs it in a loop after each column; on real proteins with 11/1 that
//   loop runs in most columns and ends in a mispredicted branch, so here the
//   repair is folded into the next column's pass (see align below);
// - lanes are unsigned 8-bit with saturating arithmetic: twice the lanes of
//   16-bit, four times int32. Scores are biased so that the matrix fits in
//   unsigned bytes, and saturating subtraction stops at 0, the local floor,
//   for free. A subject that could have reached 255 is scored again with
//   16-bit lanes, and past those with the scalar stage: saturation is
//   detected, never silent.
// Against scalar, each instruction does 16 to 64 cells' work, and the only
// branches are per column, not per cell.
#if defined(SWL_ISA)

#include "simd_x86.hpp"
#include "striped_kernel.hpp"

namespace swl::striped_kernels::SWL_ISA {

namespace {

using simd::native::Vector;

// A prefix maximum across lanes in log2(lanes) steps (Hillis-Steele): lane k
// ends with the max over r of carry[k - r] - r * d, where decays[i] = 2^i * d.
template <typename Lanes, std::size_t kBy = 1>
Vector spread_across_lanes(Vector carry, const Vector* decays) {
  if constexpr (kBy < Lanes::kLanes) {
    carry = Lanes::max(carry, Lanes::subs(Lanes::template shift_up<kBy>(carry), *decays));
    return spread_across_lanes<Lanes, kBy * 2>(carry, decays + 1);
  } else {
    return carry;
  }
}

// Two departures from the textbook kernel make the lazy F loop, which on
// real proteins with 11/1 runs several segments in most columns and ends in
// a mispredicted branch, disappear:
// - E opens from H before F is added. A horizontal gap that directly follows
//   a vertical one can be swapped with it at the same cost (two opens, the
//   same extends), so the best score never needs that path; and F itself
//   loses nothing, since F - (open + extend) <= F - extend.
// - Then F that crosses lane boundaries only raises H, and only the next
//   column reads this column's H (as its diagonal). So the boundary-crossing
//   F, the "carry", is applied there, one max per segment, decaying by
//   `extend` per segment. A carry that survives a whole lane feeds the next
//   lanes too; a prefix maximum across lanes accounts for that, in the rare
//   columns that need it.
template <typename Lane>
std::int32_t align(const striped::KernelProfile& profile, const std::uint8_t* subject, std::size_t length,
                   const striped::KernelScratch& scratch) {
  using Lanes = simd::native::UnsignedLanes<Lane>;
  const std::size_t segments = profile.segments;
  const Vector* const scores = static_cast<const Vector*>(profile.scores);
  Vector* h_previous = static_cast<Vector*>(scratch.h_previous);
  Vector* h_current = static_cast<Vector*>(scratch.h_current);
  Vector* const e = static_cast<Vector*>(scratch.e);

  const Vector zero = Lanes::splat(0);
  const Vector bias = Lanes::splat(profile.bias);
  const Vector open_extend = Lanes::splat(profile.open_extend);
  const Vector extend = Lanes::splat(profile.extend);
  const Vector below_saturation = Lanes::splat(profile.saturation - 1);
  // What a carry loses over `steps` segments, clamped: a clamped decay still
  // takes any lane to 0, as the true one would.
  const auto decay = [&](std::size_t steps) {
    const std::size_t total = steps * profile.extend;
    return Lanes::splat(static_cast<unsigned>(total < Lanes::kMax ? total : Lanes::kMax));
  };
  const Vector last_segment_decay = decay(segments - 1);
  Vector lane_decays[8];  // over 1, 2, 4, ... lanes; at most 64 lanes
  for (std::size_t lanes = 1, i = 0; lanes < Lanes::kLanes; lanes *= 2, ++i) lane_decays[i] = decay(lanes * segments);

  // Every value is the true one floored at 0: max(x - c, 0) = max(max(x, 0) - c, 0)
  // for c >= 0, so flooring early never changes H = max(0, ...). E and F start
  // at -infinity, which floors to 0 as well.
  for (std::size_t s = 0; s < segments; ++s) {
    h_previous[s] = zero;
    e[s] = zero;
  }
  Vector best = zero;
  Vector carry = zero;  // the previous column's F still to add to its H, at segment 0
  for (std::size_t j = 0; j < length; ++j) {
    const Vector* const column = scores + static_cast<std::size_t>(subject[j]) * segments;
    Vector f = zero;
    // H(i - 1, j - 1) for segment 0 is the previous column's last segment,
    // one lane down.
    Vector h = Lanes::shift_up(Lanes::max(h_previous[segments - 1], Lanes::subs(carry, last_segment_decay)));
    for (std::size_t s = 0; s < segments; ++s) {
      // The bias comes off after the add, so the add saturates at the lane
      // maximum (which `saturation` detects), and the subtraction floors at 0.
      h = Lanes::subs(Lanes::adds(h, column[s]), bias);
      const Vector e_here = e[s];
      h = Lanes::max(h, e_here);
      const Vector h_opened = Lanes::subs(h, open_extend);
      h = Lanes::max(h, f);
      best = Lanes::max(best, h);
      h_current[s] = h;
      e[s] = Lanes::max(Lanes::subs(e_here, extend), h_opened);
      f = Lanes::max(Lanes::subs(f, extend), h_opened);
      h = Lanes::max(h_previous[s], carry);
      carry = Lanes::subs(carry, extend);
    }
    // F leaving each lane's last segment enters the next lane's first.
    carry = Lanes::shift_up(f);
    if (Lanes::any_greater(carry, lane_decays[0])) carry = spread_across_lanes<Lanes>(carry, lane_decays);
    // The carry never raises H above the column's best (it is a gap off some
    // H of this column), so best is already complete. Stop as soon as it may
    // be clipped: the wider pass scores this subject again anyway.
    if (Lanes::any_greater(best, below_saturation)) return striped::kSaturated;
    Vector* const done = h_previous;
    h_previous = h_current;
    h_current = done;
  }
  return static_cast<std::int32_t>(Lanes::max_lane(best));
}

}  // namespace

std::size_t vector_bytes() { return simd::native::kVectorBytes; }

std::int32_t align8(const striped::KernelProfile& profile, const std::uint8_t* subject, std::size_t length,
                    const striped::KernelScratch& scratch) {
  return align<std::uint8_t>(profile, subject, length, scratch);
}

std::int32_t align16(const striped::KernelProfile& profile, const std::uint8_t* subject, std::size_t length,
                     const striped::KernelScratch& scratch) {
  return align<std::uint16_t>(profile, subject, length, scratch);
}

}  // namespace swl::striped_kernels::SWL_ISA

#else  // the portable part: profiles, dispatch, cascade and the stage

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "registry.hpp"
#include "stage.hpp"
#include "striped.hpp"

#if defined(SWL_X86_KERNELS)
#define SWL_STRIPED_DECLARE(isa)                                                                             \
  namespace swl::striped_kernels::isa {                                                                      \
  std::size_t vector_bytes();                                                                                \
  std::int32_t align8(const striped::KernelProfile&, const std::uint8_t*, std::size_t,                       \
                      const striped::KernelScratch&);                                                        \
  std::int32_t align16(const striped::KernelProfile&, const std::uint8_t*, std::size_t,                      \
                       const striped::KernelScratch&);                                                       \
  }
SWL_STRIPED_DECLARE(sse41)
SWL_STRIPED_DECLARE(avx2)
SWL_STRIPED_DECLARE(avx512)
#undef SWL_STRIPED_DECLARE
#endif

namespace swl::striped {

namespace {

struct IsaKernel {
  std::size_t (*vector_bytes)();
  KernelFunction align8;
  KernelFunction align16;
};

#if defined(SWL_X86_KERNELS)
#define SWL_STRIPED_KERNEL(isa) \
  IsaKernel { &striped_kernels::isa::vector_bytes, &striped_kernels::isa::align8, &striped_kernels::isa::align16 }
constexpr KernelChoice kChoices[] = {
    {"avx512", Isa::avx512bw}, {"avx2", Isa::avx2}, {"sse41", Isa::sse41}, {"scalar", Isa::scalar}};
constexpr IsaKernel kIsaKernels[] = {SWL_STRIPED_KERNEL(avx512), SWL_STRIPED_KERNEL(avx2), SWL_STRIPED_KERNEL(sse41),
                                     IsaKernel{nullptr, nullptr, nullptr}};
#undef SWL_STRIPED_KERNEL
#else
constexpr KernelChoice kChoices[] = {{"scalar", Isa::scalar}};
constexpr IsaKernel kIsaKernels[] = {IsaKernel{nullptr, nullptr, nullptr}};
#endif
static_assert(std::size(kChoices) == std::size(kIsaKernels));

}  // namespace

std::span<const KernelChoice> kernel_choices() { return kChoices; }

template <typename Lane>
Searcher::LaneProfile Searcher::build_profile(std::span<const std::uint8_t> query, const Scoring& scoring,
                                              std::size_t vector_bytes) {
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
  profile.view = KernelProfile{profile.storage.data(), segments, bias, clamp(scoring.gap_open + scoring.gap_extend),
                               clamp(scoring.gap_extend), kLaneMax - bias};
  return profile;
}

Searcher::Searcher(std::span<const std::uint8_t> query, const Scoring& scoring, std::size_t kernel_index) {
  const IsaKernel& kernel = kIsaKernels[kernel_index];
  if (kernel.vector_bytes == nullptr) throw std::logic_error("striped::Searcher needs a SIMD kernel");
  const std::size_t vector_bytes = kernel.vector_bytes();
  align8_ = kernel.align8;
  align16_ = kernel.align16;
  profile8_ = build_profile<std::uint8_t>(query, scoring, vector_bytes);
  profile16_ = build_profile<std::uint16_t>(query, scoring, vector_bytes);
  scratch_bytes_ = std::max(profile8_.view.segments, profile16_.view.segments) * vector_bytes;
}

Searcher::Outcome Searcher::score(std::span<const std::uint8_t> subject, Scratch& scratch) const {
  const KernelScratch buffers{scratch.h_previous_.data(), scratch.h_current_.data(), scratch.e_.data()};
  Outcome outcome;
  outcome.score = align8_(profile8_.view, subject.data(), subject.size(), buffers);
  if (outcome.score != kSaturated) return outcome;
  outcome.widened = true;
  outcome.score = align16_(profile16_.view, subject.data(), subject.size(), buffers);
  outcome.needs_exact = outcome.score == kSaturated;
  return outcome;
}

void rescore_exactly(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                     std::span<const std::uint32_t> indices, std::span<std::int32_t> scores) {
  if (indices.empty()) return;
  const SearchResult exact = get_stage("scalar").search(query, db.subset(indices), scoring);
  for (std::size_t k = 0; k < indices.size(); ++k) scores[indices[k]] = exact.scores[k];
}

}  // namespace swl::striped

namespace swl::stages {

namespace {

class StripedStage final : public Stage {
 public:
  std::string_view name() const override { return "striped"; }
  std::string_view summary() const override {
    return "Farrar striped query profile, 8-bit saturating lanes, F carried into the next column; "
           "16-bit and scalar rescoring";
  }
  std::vector<std::string> kernels() const override { return supported_kernels(striped::kernel_choices()); }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const SearchOptions& options) const override {
    const std::size_t kernel_index = choose_kernel(striped::kernel_choices(), options.kernel, name());
    if (striped::is_portable(kernel_index)) return get_stage("scalar").search(query, db, scoring);

    SearchResult result;
    result.kernel = std::string(striped::kernel_choices()[kernel_index].name);
    result.scores.resize(db.size());
    const striped::Searcher searcher(query, scoring, kernel_index);
    auto scratch = searcher.make_scratch();
    std::vector<std::uint32_t> saturated16;
    for (std::size_t k = 0; k < db.size(); ++k) {
      const auto outcome = searcher.score(db.sequence(k), scratch);
      result.scores[k] = outcome.score;
      result.rescored += outcome.widened;
      if (outcome.needs_exact) saturated16.push_back(static_cast<std::uint32_t>(k));
    }
    striped::rescore_exactly(query, db, scoring, saturated16, result.scores);
    return result;
  }
};

}  // namespace

const Stage& striped() {
  static const StripedStage stage;
  return stage;
}

}  // namespace swl::stages

#endif  // SWL_ISA
