// Rung: striped. Farrar's striped Smith-Waterman (Bioinformatics 23:156,
// 2007) with explicit intrinsics, one kernel source compiled for SSE4.1,
// AVX2 and AVX-512BW. Changes from vectorised (anti-diagonal Eigen arrays):
// - the vectors run down the query, not along anti-diagonals: lane k holds a
//   contiguous stretch of the query, and a whole column is a few full-width
//   vectors. Anti-diagonals change length and need their scores gathered;
//   here the query profile is built once per query, and one aligned load per
//   vector fetches 16 to 64 scores;
// - the vertical gap F, the one dependency inside a column, is first ignored
//   across lane boundaries and then repaired by the "lazy F" loop, which with
//   realistic penalties stops after one check: the loop carried from one
//   vector to the next is three single-cycle instructions, not a chain per cell;
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

  // Every value is the true one floored at 0: max(x - c, 0) = max(max(x, 0) - c, 0)
  // for c >= 0, so flooring early never changes H = max(0, ...). E and F start
  // at -infinity, which floors to 0 as well.
  for (std::size_t s = 0; s < segments; ++s) {
    h_previous[s] = zero;
    e[s] = zero;
  }
  Vector best = zero;
  for (std::size_t j = 0; j < length; ++j) {
    const Vector* const column = scores + static_cast<std::size_t>(subject[j]) * segments;
    Vector f = zero;
    // H(i - 1, j - 1) for segment 0 is the previous column's last segment,
    // one lane down.
    Vector h = Lanes::shift_up(h_previous[segments - 1]);
    for (std::size_t s = 0; s < segments; ++s) {
      // The bias comes off after the add, so the add saturates at the lane
      // maximum (which `saturation` detects), and the subtraction floors at 0.
      h = Lanes::subs(Lanes::adds(h, column[s]), bias);
      const Vector e_here = e[s];
      h = Lanes::max(h, e_here);
      h = Lanes::max(h, f);
      best = Lanes::max(best, h);
      h_current[s] = h;
      const Vector h_opened = Lanes::subs(h, open_extend);
      e[s] = Lanes::max(Lanes::subs(e_here, extend), h_opened);
      f = Lanes::max(Lanes::subs(f, extend), h_opened);
      h = h_previous[s];
    }
    // Lazy F: carry F across lane boundaries until it can no longer raise any
    // H, i.e. F <= H - (gap_open + gap_extend) in every lane. Where it does
    // raise H, E of the next column must see the new H too.
    f = Lanes::shift_up(f);
    std::size_t s = 0;
    while (Lanes::any_greater(f, Lanes::subs(h_current[s], open_extend))) {
      const Vector h_raised = Lanes::max(h_current[s], f);
      h_current[s] = h_raised;
      e[s] = Lanes::max(e[s], Lanes::subs(h_raised, open_extend));
      f = Lanes::subs(f, extend);
      if (++s == segments) {
        s = 0;
        f = Lanes::shift_up(f);
      }
    }
    // Raised H never exceeds the column's best (it is a gap off some H of
    // this column), so best is already complete. Stop as soon as it may be
    // clipped: the wider pass will score this subject again anyway.
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
    const std::int8_t* const row = scoring.matrix.row(static_cast<std::uint8_t>(c));
    Lane* const block = scores + static_cast<std::size_t>(c) * segments * lanes;
    for (std::size_t s = 0; s < segments; ++s) {
      for (std::size_t lane = 0; lane < lanes; ++lane) {
        const std::size_t i = lane * segments + s;
        // Past the query's end: the lowest score, so padding never helps an
        // alignment (it could not anyway: nothing follows it in the query).
        block[s * lanes + lane] = i < query.size() ? static_cast<Lane>(row[query[i]] + static_cast<int>(bias)) : 0;
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
    return "Farrar striped query profile, 8-bit saturating lanes, lazy F; 16-bit and scalar rescoring";
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
