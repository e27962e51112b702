// A thin layer over x86 integer SIMD, so that a kernel is written once and
// compiled once per instruction-set level (kernels/dispatch_table.def).
// Include it only from a translation unit built for one level of that table:
// it picks the widest vector those flags allow (AVX-512BW: 64 bytes, AVX2: 32,
// SSE4.1: 16), and kernels see only `Vector` and `UnsignedLanes<Lane>`.
//
// Everything sits in a namespace named after the level. Inline
// functions of two units built with different flags therefore never share a
// symbol; if they did, the linker would keep one copy (say, the AVX-512 one)
// for the whole program, and an older CPU would crash inside the SSE4.1 kernel.
#pragma once

#if !defined(__SSE4_1__)
#error "striped_ops.hpp needs a translation unit compiled for SSE4.1, AVX2 or AVX-512BW"
#endif

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#if !defined(SWL_ISA_LEVEL)
#error "striped_ops.hpp belongs to per-level translation units only (SWL_ISA_LEVEL set by CMake)"
#endif

namespace swl::kernels::SWL_ISA_LEVEL::striped_ops {

#if defined(__AVX512BW__)
using Vector = __m512i;
#elif defined(__AVX2__)
using Vector = __m256i;
#else
using Vector = __m128i;
#endif

inline constexpr std::size_t kVectorBytes = sizeof(Vector);

// Unsigned saturating arithmetic on the lanes of one Vector, Lane being
// std::uint8_t or std::uint16_t. Saturation is the point: subtraction stops at
// 0, which is exactly the floor of a local alignment, and addition stops at
// the lane maximum, which callers detect rather than let wrap.
template <typename Lane>
struct UnsignedLanes {
  static_assert(sizeof(Lane) == 1 || sizeof(Lane) == 2, "8- or 16-bit lanes");
  static constexpr bool kBytes = sizeof(Lane) == 1;
  static constexpr std::size_t kLanes = kVectorBytes / sizeof(Lane);
  static constexpr unsigned kMax = kBytes ? 0xFFu : 0xFFFFu;

  static Vector splat(unsigned value) {
#if defined(__AVX512BW__)
    return kBytes ? _mm512_set1_epi8(static_cast<char>(value)) : _mm512_set1_epi16(static_cast<short>(value));
#elif defined(__AVX2__)
    return kBytes ? _mm256_set1_epi8(static_cast<char>(value)) : _mm256_set1_epi16(static_cast<short>(value));
#else
    return kBytes ? _mm_set1_epi8(static_cast<char>(value)) : _mm_set1_epi16(static_cast<short>(value));
#endif
  }

  static Vector adds(Vector a, Vector b) {
#if defined(__AVX512BW__)
    if constexpr (kBytes) return _mm512_adds_epu8(a, b); else return _mm512_adds_epu16(a, b);
#elif defined(__AVX2__)
    if constexpr (kBytes) return _mm256_adds_epu8(a, b); else return _mm256_adds_epu16(a, b);
#else
    if constexpr (kBytes) return _mm_adds_epu8(a, b); else return _mm_adds_epu16(a, b);
#endif
  }

  static Vector subs(Vector a, Vector b) {
#if defined(__AVX512BW__)
    if constexpr (kBytes) return _mm512_subs_epu8(a, b); else return _mm512_subs_epu16(a, b);
#elif defined(__AVX2__)
    if constexpr (kBytes) return _mm256_subs_epu8(a, b); else return _mm256_subs_epu16(a, b);
#else
    if constexpr (kBytes) return _mm_subs_epu8(a, b); else return _mm_subs_epu16(a, b);
#endif
  }

  static Vector max(Vector a, Vector b) {
#if defined(__AVX512BW__)
    if constexpr (kBytes) return _mm512_max_epu8(a, b); else return _mm512_max_epu16(a, b);
#elif defined(__AVX2__)
    if constexpr (kBytes) return _mm256_max_epu8(a, b); else return _mm256_max_epu16(a, b);
#else
    if constexpr (kBytes) return _mm_max_epu8(a, b); else return _mm_max_epu16(a, b);
#endif
  }

  // Whether a > b in any lane.
  static bool any_greater(Vector a, Vector b) {
#if defined(__AVX512BW__)
    if constexpr (kBytes) return _mm512_cmpgt_epu8_mask(a, b) != 0; else return _mm512_cmpgt_epu16_mask(a, b) != 0;
#elif defined(__AVX2__)
    const Vector excess = subs(a, b);  // nonzero exactly where a > b
    return !_mm256_testz_si256(excess, excess);
#else
    const Vector excess = subs(a, b);
    return !_mm_testz_si128(excess, excess);
#endif
  }

  // Moves every lane up by kBy (lane k + kBy takes lane k's value) and fills
  // the bottom kBy lanes with 0. Only SSE shifts across the whole register in
  // one instruction; the wider forms shift whole 128-bit blocks first, then
  // alignr pulls the top of each block's lower neighbour into its bottom.
  // (The maskz forms with a full mask are the plain instructions; GCC 12 warns
  // about the unmasked intrinsics' undefined pass-through operand.)
  template <std::size_t kBy = 1>
  static Vector shift_up(Vector v) {
    constexpr int kBytesUp = static_cast<int>(kBy * sizeof(Lane));
    static_assert(kBytesUp < 16 || kBytesUp % 16 == 0, "shifts by whole 128-bit blocks or by less than one");
#if defined(__AVX512BW__)
    if constexpr (kBytesUp % 16 == 0) {
      return _mm512_maskz_alignr_epi32(0xFFFF, v, _mm512_setzero_si512(), 16 - kBytesUp / 4);
    } else {
      const Vector blocks_up = _mm512_maskz_alignr_epi32(0xFFFF, v, _mm512_setzero_si512(), 12);
      return _mm512_alignr_epi8(v, blocks_up, 16 - kBytesUp);
    }
#elif defined(__AVX2__)
    const Vector blocks_up = _mm256_permute2x128_si256(v, v, 0x08);
    if constexpr (kBytesUp == 16) {
      return blocks_up;
    } else {
      return _mm256_alignr_epi8(v, blocks_up, 16 - kBytesUp);
    }
#else
    return _mm_slli_si128(v, kBytesUp);
#endif
  }

  static unsigned max_lane(Vector v) {
#if defined(__AVX512BW__)
    const Vector half = max(v, _mm512_maskz_shuffle_i64x2(0xFF, v, v, 0x4E));
    __m128i x = max128(_mm512_maskz_extracti32x4_epi32(0xF, half, 0), _mm512_maskz_extracti32x4_epi32(0xF, half, 1));
#elif defined(__AVX2__)
    __m128i x = max128(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
#else
    __m128i x = v;
#endif
    x = max128(x, _mm_srli_si128(x, 8));
    x = max128(x, _mm_srli_si128(x, 4));
    x = max128(x, _mm_srli_si128(x, 2));
    if constexpr (kBytes) {
      x = max128(x, _mm_srli_si128(x, 1));
      return static_cast<unsigned>(_mm_extract_epi8(x, 0));
    } else {
      return static_cast<unsigned>(_mm_extract_epi16(x, 0));
    }
  }

 private:
  static __m128i max128(__m128i a, __m128i b) {
    if constexpr (kBytes) return _mm_max_epu8(a, b); else return _mm_max_epu16(a, b);
  }
};

}  // namespace swl::kernels::SWL_ISA_LEVEL::striped_ops
