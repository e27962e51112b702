// The end and start passes of an alignment (search/fast_alignment.cpp drives
// them), compiled once per level listed for this family in dispatch_table.def:
// Farrar's striped recurrence in signed 16-bit lanes with the lazy F loop, so
// that every cell of a column is exact when the column is done, and the first
// cell of the column reaching the best can be read off it.
#if !defined(SWL_ISA_LEVEL)
#error "kernels/alignment.cpp is compiled once per level, with SWL_ISA_LEVEL set (see CMakeLists.txt)"
#endif
#if !defined(__SSE4_1__)
#error "kernels/alignment.cpp needs SSE4.1, AVX2 or AVX-512BW"
#endif

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "alignment_kernel.hpp"
#include "striped_ops.hpp"

namespace swl::kernels::SWL_ISA_LEVEL {

namespace {

// Signed saturating 16-bit lanes: saturation at the top is detected by the
// pass (kSaturationLimit), at the bottom it is minus infinity.
struct Lanes {
  using Vector = striped_ops::Vector;  // the level's widest register, as the striped kernel's
  static constexpr std::size_t kLanes = sizeof(Vector) / 2;

  static Vector splat(int value) {
#if defined(__AVX512BW__)
    return _mm512_set1_epi16(static_cast<short>(value));
#elif defined(__AVX2__)
    return _mm256_set1_epi16(static_cast<short>(value));
#else
    return _mm_set1_epi16(static_cast<short>(value));
#endif
  }
  static Vector adds(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_adds_epi16(a, b);
#elif defined(__AVX2__)
    return _mm256_adds_epi16(a, b);
#else
    return _mm_adds_epi16(a, b);
#endif
  }
  static Vector subs(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_subs_epi16(a, b);
#elif defined(__AVX2__)
    return _mm256_subs_epi16(a, b);
#else
    return _mm_subs_epi16(a, b);
#endif
  }
  static Vector max(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_max_epi16(a, b);
#elif defined(__AVX2__)
    return _mm256_max_epi16(a, b);
#else
    return _mm_max_epi16(a, b);
#endif
  }
  static Vector bitwise_or(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_or_si512(a, b);
#elif defined(__AVX2__)
    return _mm256_or_si256(a, b);
#else
    return _mm_or_si128(a, b);
#endif
  }
  // Whether a > b in any lane.
  static bool any_greater(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_cmpgt_epi16_mask(a, b) != 0;
#elif defined(__AVX2__)
    return _mm256_movemask_epi8(_mm256_cmpgt_epi16(a, b)) != 0;
#else
    return _mm_movemask_epi8(_mm_cmpgt_epi16(a, b)) != 0;
#endif
  }
  // Bit k set where lane k of a equals b's.
  static std::uint64_t equal_lanes(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_cmpeq_epi16_mask(a, b);
#else
#if defined(__AVX2__)
    const auto bytes = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(a, b)));
#else
    const auto bytes = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi16(a, b)));
#endif
    std::uint64_t lanes = 0;  // every other byte's bit: one per 16-bit lane
    for (std::size_t k = 0; k < kLanes; ++k) lanes |= static_cast<std::uint64_t>((bytes >> (2 * k)) & 1u) << k;
    return lanes;
#endif
  }
  static Vector equal(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_movm_epi16(_mm512_cmpeq_epi16_mask(a, b));
#elif defined(__AVX2__)
    return _mm256_cmpeq_epi16(a, b);
#else
    return _mm_cmpeq_epi16(a, b);
#endif
  }
  static Vector greater(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_movm_epi16(_mm512_cmpgt_epi16_mask(a, b));
#elif defined(__AVX2__)
    return _mm256_cmpgt_epi16(a, b);
#else
    return _mm_cmpgt_epi16(a, b);
#endif
  }
  // Lanes of `when_set` where mask is all ones, else of `otherwise`.
  static Vector select(Vector mask, Vector when_set, Vector otherwise) {
#if defined(__AVX512BW__)
    return _mm512_ternarylogic_epi32(mask, when_set, otherwise, 0xCA);
#elif defined(__AVX2__)
    return _mm256_blendv_epi8(otherwise, when_set, mask);
#else
    return _mm_blendv_epi8(otherwise, when_set, mask);
#endif
  }
  static Vector bitwise_and(Vector a, Vector b) {
#if defined(__AVX512BW__)
    return _mm512_and_si512(a, b);
#elif defined(__AVX2__)
    return _mm256_and_si256(a, b);
#else
    return _mm_and_si128(a, b);
#endif
  }
  // The low byte of every lane (values 0..255), kLanes bytes at `to`.
  static void store_low_bytes(std::uint8_t* to, Vector v) {
#if defined(__AVX512BW__)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to), _mm512_maskz_cvtepi16_epi8(0xFFFFFFFFu, v));
#elif defined(__AVX2__)
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(v, v), 0xD8);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to), _mm256_castsi256_si128(packed));
#else
    _mm_storel_epi64(reinterpret_cast<__m128i*>(to), _mm_packus_epi16(v, v));
#endif
  }
  // Lane k + 1 takes lane k's value; lane 0 becomes 0: a move of bits, the
  // same for signed and unsigned lanes.
  static Vector shift_up(Vector v) { return striped_ops::UnsignedLanes<std::uint16_t>::shift_up(v); }
  static int max_lane(Vector v) {
    alignas(64) std::int16_t lanes[kLanes];
    store(lanes, v);
    int best = lanes[0];
    for (std::size_t k = 1; k < kLanes; ++k) best = lanes[k] > best ? lanes[k] : best;
    return best;
  }
  static void store(std::int16_t* to, Vector v) {
#if defined(__AVX512BW__)
    _mm512_store_si512(to, v);
#elif defined(__AVX2__)
    _mm256_store_si256(reinterpret_cast<Vector*>(to), v);
#else
    _mm_store_si128(reinterpret_cast<Vector*>(to), v);
#endif
  }
};

using Vector = Lanes::Vector;

// The floor of the anchored passes (see pass): any value below 0 is exact,
// and -1 keeps the most cells on it.
constexpr int kAnchoredFloor = -1;

// `value` in lane 0, 0 in the others: minus infinity there is ORed onto a
// shift_up, which left 0 in lane 0.
Vector first_lane_only(std::int16_t value) {
  alignas(64) std::int16_t lanes[Lanes::kLanes] = {};
  lanes[0] = value;
  return *reinterpret_cast<const Vector*>(lanes);
}

// The smallest query position of the column holding `value`: the smallest
// lane any segment holds it in, then the smallest segment in that lane.
std::size_t first_row_holding(const Vector* column, std::size_t segments, int value) {
  const Vector target = Lanes::splat(value);
  Vector any = Lanes::splat(0);
  for (std::size_t s = 0; s < segments; ++s) any = Lanes::bitwise_or(any, Lanes::equal(column[s], target));
  // A loop, not __builtin_ctzll: GCC writes that as rep bsf, which decodes as
  // BMI1's tzcnt, a feature no level of the table checks.
  const std::uint64_t lanes = Lanes::equal_lanes(any, Lanes::splat(-1));
  std::size_t lane = 0;
  while (!((lanes >> lane) & 1u)) ++lane;
  for (std::size_t s = 0;; ++s) {
    if ((Lanes::equal_lanes(column[s], target) >> lane) & 1u) return lane * segments + s;
  }
}

template <bool kLocal>
alignment::Result pass(const alignment::Profile& profile, const std::uint8_t* subject, std::size_t length,
                       std::int32_t target, const alignment::Scratch& scratch) {
  const std::size_t segments = profile.segments;
  const auto* const scores = reinterpret_cast<const Vector*>(profile.scores);
  auto* h_previous = static_cast<Vector*>(scratch.h_previous);
  auto* h_current = static_cast<Vector*>(scratch.h_current);
  auto* const e = static_cast<Vector*>(scratch.e);

  const Vector minus_infinity = Lanes::splat(-32768);
  const Vector zero = Lanes::splat(0);
  const Vector open_extend = Lanes::splat(profile.open_extend);
  const Vector extend = Lanes::splat(profile.extend);
  const Vector first_lane_minus_infinity = first_lane_only(-32768);
  const Vector saturation = Lanes::splat(alignment::kSaturationLimit - 1);

  // The anchored pass floors H at -1 rather than not at all, which is exact
  // because no local alignment inside the pass scores above the target (the
  // contract in alignment_kernel.hpp). From a raised cell a path gains at
  // most such a score (what it adds is a local alignment, less any gap it
  // starts inside), so it ends at least one below the target: no cell
  // reaches the target through one. Nor does a path that does reach it touch
  // one: every prefix of it scores at least 0, or the rest alone would score
  // more. So the cells that reach the target, and the first of them, are the
  // unfloored pass's. What the floor saves is the lazy F loop, which in
  // unfloored columns far from the anchor runs through every lane.
  const Vector floor = kLocal ? zero : Lanes::splat(kAnchoredFloor);
  const Vector start = kLocal ? zero : minus_infinity;
  for (std::size_t s = 0; s < segments; ++s) {
    h_previous[s] = start;
    e[s] = minus_infinity;
  }
  alignment::Result result;
  result.best = kLocal ? 0 : -32768;
  Vector best_so_far = Lanes::splat(result.best);
  const Vector reach = Lanes::splat(target > 0 && target < 32767 ? target - 1 : 32766);
  for (std::size_t j = 0; j < length; ++j) {
    const Vector* const column = scores + static_cast<std::size_t>(subject[j]) * segments;
    // The diagonal into query position 0: 0 in a local pass and in the first
    // column of an anchored one (the anchor), else minus infinity.
    Vector h = Lanes::shift_up(h_previous[segments - 1]);
    if (!kLocal && j > 0) h = Lanes::bitwise_or(h, first_lane_minus_infinity);
    Vector f = minus_infinity;
    Vector column_best = minus_infinity;
    for (std::size_t s = 0; s < segments; ++s) {
      h = Lanes::adds(h, column[s]);
      const Vector e_here = e[s];
      h = Lanes::max(h, e_here);
      h = Lanes::max(h, f);
      h = Lanes::max(h, floor);
      column_best = Lanes::max(column_best, h);
      h_current[s] = h;
      const Vector h_opened = Lanes::subs(h, open_extend);
      e[s] = Lanes::max(Lanes::subs(e_here, extend), h_opened);
      f = Lanes::max(Lanes::subs(f, extend), h_opened);
      h = h_previous[s];
    }
    // Lazy F: the vertical gaps that cross lane boundaries. F leaving a lane's
    // last segment enters the next lane's first. It goes on while some lane's
    // F entering a segment beats what that segment's H opens: where it does
    // not, it neither raises H there nor anything below (the gap the column
    // opened from that H already dominates it). At most one crossing of
    // every lane.
    f = Lanes::bitwise_or(Lanes::shift_up(f), first_lane_minus_infinity);
    for (std::size_t crossed = 0; crossed < Lanes::kLanes; ++crossed) {
      bool carried = true;
      for (std::size_t s = 0; s < segments; ++s) {
        const Vector h_here = h_current[s];
        if (!Lanes::any_greater(f, Lanes::subs(h_here, open_extend))) {
          carried = false;
          break;
        }
        const Vector h_raised = Lanes::max(h_here, f);
        h_current[s] = h_raised;
        column_best = Lanes::max(column_best, h_raised);
        e[s] = Lanes::max(e[s], Lanes::subs(h_raised, open_extend));
        f = Lanes::subs(f, extend);
      }
      if (!carried) break;
      f = Lanes::bitwise_or(Lanes::shift_up(f), first_lane_minus_infinity);
    }
    if (Lanes::any_greater(column_best, saturation)) {
      result.status = alignment::Status::kSaturated;
      result.columns_run = j + 1;
      return result;
    }
    // With a target only the column that reaches it is read out: an
    // anchored pass improves its best in almost every column.
    if (target > 0 ? Lanes::any_greater(column_best, reach) : Lanes::any_greater(column_best, best_so_far)) {
      result.best = Lanes::max_lane(column_best);
      result.column = j;
      result.row = first_row_holding(h_current, segments, result.best);
      best_so_far = Lanes::splat(result.best);
      if (target > 0) {
        result.status = alignment::Status::kReached;
        result.columns_run = j + 1;
        return result;
      }
    }
    Vector* const done = h_previous;
    h_previous = h_current;
    h_current = done;
  }
  result.columns_run = length;
  return result;
}


// The box: the anchored pass over every column, F exact per cell, and the
// direction bits of every cell (the same tie rules as the scalar traceback: a
// substitution before E before F, and a gap opened rather than extended when
// both score the same).
void box_pass(const alignment::Profile& profile, const std::uint8_t* subject, std::size_t length,
              const alignment::Scratch& scratch, std::uint8_t* bits) {
  const std::size_t segments = profile.segments;
  const auto* const scores = reinterpret_cast<const Vector*>(profile.scores);
  auto* h_previous = static_cast<Vector*>(scratch.h_previous);
  auto* h_current = static_cast<Vector*>(scratch.h_current);
  auto* const e = static_cast<Vector*>(scratch.e);
  auto* const f_column = static_cast<Vector*>(scratch.f);
  auto* const e_column = static_cast<Vector*>(scratch.e_column);
  auto* const diagonal = static_cast<Vector*>(scratch.diagonal);

  const Vector minus_infinity = Lanes::splat(-32768);
  const Vector open_extend = Lanes::splat(profile.open_extend);
  const Vector extend = Lanes::splat(profile.extend);
  const Vector first_lane_minus_infinity = first_lane_only(-32768);
  const Vector from_e = Lanes::splat(alignment::kFromE);
  const Vector from_f = Lanes::splat(alignment::kFromF);
  const Vector e_extended = Lanes::splat(alignment::kEExtended);
  const Vector f_extended = Lanes::splat(alignment::kFExtended);
  // Floored as the anchored pass is, and for its reasons: no cell of the
  // path the traceback follows is raised, and along it a value through a
  // raised cell stays below the exact one, so neither wins nor ties a
  // choice: the bits the traceback reads are the unfloored pass's.
  const Vector floor = Lanes::splat(kAnchoredFloor);

  for (std::size_t s = 0; s < segments; ++s) {
    h_previous[s] = minus_infinity;
    e[s] = minus_infinity;
  }
  for (std::size_t j = 0; j < length; ++j) {
    const Vector* const column = scores + static_cast<std::size_t>(subject[j]) * segments;
    Vector h = Lanes::shift_up(h_previous[segments - 1]);
    if (j > 0) h = Lanes::bitwise_or(h, first_lane_minus_infinity);
    Vector f = minus_infinity;
    for (std::size_t s = 0; s < segments; ++s) {
      h = Lanes::adds(h, column[s]);
      diagonal[s] = h;
      const Vector e_here = e[s];
      e_column[s] = e_here;
      f_column[s] = f;
      h = Lanes::max(Lanes::max(Lanes::max(h, e_here), f), floor);
      h_current[s] = h;
      const Vector h_opened = Lanes::subs(h, open_extend);
      e[s] = Lanes::max(Lanes::subs(e_here, extend), h_opened);
      f = Lanes::max(Lanes::subs(f, extend), h_opened);
      h = h_previous[s];
    }
    // Lazy F, run until F itself stops changing in every lane: where the
    // carried F is no higher than a cell's F, everything below already has
    // what it would give.
    f = Lanes::bitwise_or(Lanes::shift_up(f), first_lane_minus_infinity);
    for (std::size_t crossed = 0; crossed < Lanes::kLanes; ++crossed) {
      bool carried = true;
      for (std::size_t s = 0; s < segments; ++s) {
        const Vector f_here = f_column[s];
        if (!Lanes::any_greater(f, f_here)) {
          carried = false;
          break;
        }
        f_column[s] = Lanes::max(f_here, f);
        const Vector h_raised = Lanes::max(h_current[s], f);
        h_current[s] = h_raised;
        e[s] = Lanes::max(e[s], Lanes::subs(h_raised, open_extend));
        f = Lanes::subs(f, extend);
      }
      if (!carried) break;
      f = Lanes::bitwise_or(Lanes::shift_up(f), first_lane_minus_infinity);
    }
    // The bits, from the column's final values. E extended where
    // E(i, j) > H(i, j - 1) - open, F where F(i, j) > H(i - 1, j) - open.
    std::uint8_t* const out = bits + j * segments * Lanes::kLanes;
    Vector h_above = Lanes::bitwise_or(Lanes::shift_up(h_current[segments - 1]), first_lane_minus_infinity);
    for (std::size_t s = 0; s < segments; ++s) {
      const Vector h_here = h_current[s];
      const Vector e_here = e_column[s];
      const Vector f_here = f_column[s];
      const Vector source = Lanes::select(Lanes::equal(h_here, diagonal[s]), Lanes::splat(0),
                                          Lanes::select(Lanes::equal(h_here, e_here), from_e, from_f));
      const Vector e_bit =
          Lanes::bitwise_and(Lanes::greater(e_here, Lanes::subs(h_previous[s], open_extend)), e_extended);
      const Vector f_bit = Lanes::bitwise_and(Lanes::greater(f_here, Lanes::subs(h_above, open_extend)), f_extended);
      Lanes::store_low_bytes(out + s * Lanes::kLanes, Lanes::bitwise_or(source, Lanes::bitwise_or(e_bit, f_bit)));
      h_above = h_here;
    }
    Vector* const done = h_previous;
    h_previous = h_current;
    h_current = done;
  }
}

alignment::Result run_pass(const alignment::Profile& profile, const std::uint8_t* subject, std::size_t length,
                           bool local, std::int32_t target, const alignment::Scratch& scratch) {
  return local ? pass<true>(profile, subject, length, target, scratch)
               : pass<false>(profile, subject, length, target, scratch);
}

}  // namespace

alignment::Kernel alignment_kernel() { return {sizeof(Vector), &run_pass, &box_pass}; }

}  // namespace swl::kernels::SWL_ISA_LEVEL
