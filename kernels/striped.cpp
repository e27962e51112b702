// The striped kernel (Farrar, Bioinformatics 23:156, 2007), compiled once per
// level listed for it in dispatch_table.def; stages/striped.cpp tells its
// story and stages/striped_search.cpp drives it. One column of the dynamic
// programming matrix is a few full vectors: lane k holds a contiguous stretch
// of the query, so one aligned load fetches 16 to 64 profile scores.
#if !defined(SWL_ISA_LEVEL)
#error "kernels/striped.cpp is compiled once per level, with SWL_ISA_LEVEL set (see CMakeLists.txt)"
#endif

#include "striped_ops.hpp"
#include "striped_kernel.hpp"

namespace swl::kernels::SWL_ISA_LEVEL {

namespace {

using striped_ops::Vector;

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
  using Lanes = striped_ops::UnsignedLanes<Lane>;
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

striped::Kernel striped_kernel() {
  return {striped_ops::kVectorBytes, &align<std::uint8_t>, &align<std::uint16_t>};
}

}  // namespace swl::kernels::SWL_ISA_LEVEL

