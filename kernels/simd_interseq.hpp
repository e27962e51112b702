// Lane arithmetic for inter-sequence kernels: one database sequence per lane,
// signed saturating int8 or int16 lanes biased at the type's minimum, so that
// the floor of local alignment (max with zero) is the saturation itself.
//
// Include only from a per-ISA translation unit (SWL_ISA defined, that set's
// flags on). Everything here lives in a namespace named after the ISA: the
// inline functions of two ISAs then never share a symbol, and the linker can
// never pick the AVX-512 copy of a helper for code that must run on AVX2.
//
// Each Ops type gives:
//   Vec, Elem, kLanes        the vector, its lane type and lane count
//   Column                   one subject column, ready for lookup
//   kFloor, kCeiling         lane minimum (score 0) and maximum (saturated)
//   set1, load, store, adds, subs, max, min, any_equal
//   max_spread(a, b)         max(a, b) on other execution units where there
//                            are any. On the Ice Lake server this was tuned
//                            on, 512-bit max and saturating arithmetic issue
//                            on one port only (measured: one per cycle),
//                            while a compare into a mask register and a
//                            masked move use the other; moving some of the
//                            maxima there balances the two ports. Plain max
//                            on AVX2, whose max already has two ports.
//   load_columns(chunks, out) the next kChunk subject residues of every lane
//                            (one uint32 per lane, residue codes 0..31 in its
//                            bytes, first residue lowest) as kChunk Columns
//   lookup(row, column)      the score of one query letter against each lane's
//                            residue in that column
// `row` points at that letter's row of the score-row table (below).
#pragma once

#if !defined(SWL_ISA)
#error "simd_interseq.hpp belongs to per-ISA translation units only"
#endif

#include <immintrin.h>

#include <cstdint>

namespace swl::interseq_simd::SWL_ISA {

// Score rows, one per query letter: 64 int8 entries (codes 0..23 score as the
// matrix says; 24..63 score -128, the lane padding) followed by 32 int16
// entries (the same, widened). 128 bytes per letter, 64-byte aligned.
inline constexpr int kRowBytes = 128;
inline constexpr int kRow16Offset = 64;
// Residues per lane per pass: one uint32 of codes.
inline constexpr int kChunk = 4;

// Column-major bytes from lane-major chunks, for the int16 kernels, which
// only rescore what saturated and need not be clever about it.
template <int kLanes>
inline void transpose_chunks(const std::uint32_t* chunks, std::uint8_t* columns) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int c = 0; c < kChunk; ++c) columns[c * kLanes + lane] = static_cast<std::uint8_t>(chunks[lane] >> (8 * c));
  }
}

#if defined(__AVX512BW__) && defined(__AVX512VBMI__)

// The zero-masking forms with a full mask are the same instructions as the
// plain ones; GCC 12 warns about the plain forms' undefined pass-through.
inline __m512i permute_bytes(__m512i index, __m512i table) {
  return _mm512_maskz_permutexvar_epi8(~__mmask64{0}, index, table);
}
template <int kImm>
inline __m512i shuffle_blocks(__m512i a, __m512i b) {
  return _mm512_maskz_shuffle_i64x2(~__mmask8{0}, a, b, kImm);
}

struct Ops8 {
  using Vec = __m512i;
  using Elem = std::int8_t;
  using Column = __m512i;
  static constexpr int kLanes = 64;
  static constexpr int kFloor = -128;
  static constexpr int kCeiling = 127;
  static Vec set1(int x) { return _mm512_set1_epi8(static_cast<char>(x)); }
  static Vec load(const void* p) { return _mm512_load_si512(p); }
  static void store(void* p, Vec v) { _mm512_store_si512(p, v); }
  static Vec adds(Vec a, Vec b) { return _mm512_adds_epi8(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm512_subs_epi8(a, b); }
  static Vec max(Vec a, Vec b) { return _mm512_max_epi8(a, b); }
  static Vec min(Vec a, Vec b) { return _mm512_min_epi8(a, b); }
  static Vec max_spread(Vec a, Vec b) { return _mm512_mask_mov_epi8(a, _mm512_cmpgt_epi8_mask(b, a), b); }
  static bool any_equal(Vec a, Vec b) { return _mm512_cmpeq_epi8_mask(a, b) != 0; }
  // Four registers of 16 lanes x 4 residues: a byte permute groups each
  // register by residue, then two rounds of 128-bit shuffles gather each
  // residue's four groups.
  static void load_columns(const std::uint32_t* chunks, Column* out) {
    const __m512i by_residue = _mm512_set_epi32(0x3f3b3733, 0x2f2b2723, 0x1f1b1713, 0x0f0b0703,  //
                                                0x3e3a3632, 0x2e2a2622, 0x1e1a1612, 0x0e0a0602,  //
                                                0x3d393531, 0x2d292521, 0x1d191511, 0x0d090501,  //
                                                0x3c383430, 0x2c282420, 0x1c181410, 0x0c080400);
    __m512i z[4];
    for (int k = 0; k < 4; ++k) z[k] = permute_bytes(by_residue, _mm512_load_si512(chunks + 16 * k));
    const __m512i low01 = shuffle_blocks<0x44>(z[0], z[1]);
    const __m512i low23 = shuffle_blocks<0x44>(z[2], z[3]);
    const __m512i high01 = shuffle_blocks<0xee>(z[0], z[1]);
    const __m512i high23 = shuffle_blocks<0xee>(z[2], z[3]);
    out[0] = shuffle_blocks<0x88>(low01, low23);
    out[1] = shuffle_blocks<0xdd>(low01, low23);
    out[2] = shuffle_blocks<0x88>(high01, high23);
    out[3] = shuffle_blocks<0xdd>(high01, high23);
  }
  // VBMI's byte permute indexes 64 table bytes with the low 6 bits of each
  // code: one instruction looks up 64 lanes.
  static Vec lookup(const std::uint8_t* row, Column column) { return permute_bytes(column, _mm512_load_si512(row)); }
};

struct Ops16 {
  using Vec = __m512i;
  using Elem = std::int16_t;
  using Column = __m512i;
  static constexpr int kLanes = 32;
  static constexpr int kFloor = -32768;
  static constexpr int kCeiling = 32767;
  static Vec set1(int x) { return _mm512_set1_epi16(static_cast<short>(x)); }
  static Vec load(const void* p) { return _mm512_load_si512(p); }
  static void store(void* p, Vec v) { _mm512_store_si512(p, v); }
  static Vec adds(Vec a, Vec b) { return _mm512_adds_epi16(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm512_subs_epi16(a, b); }
  static Vec max(Vec a, Vec b) { return _mm512_max_epi16(a, b); }
  static Vec min(Vec a, Vec b) { return _mm512_min_epi16(a, b); }
  static Vec max_spread(Vec a, Vec b) { return _mm512_mask_mov_epi16(a, _mm512_cmpgt_epi16_mask(b, a), b); }
  static bool any_equal(Vec a, Vec b) { return _mm512_cmpeq_epi16_mask(a, b) != 0; }
  static void load_columns(const std::uint32_t* chunks, Column* out) {
    alignas(64) std::uint8_t columns[kChunk * kLanes];
    transpose_chunks<kLanes>(chunks, columns);
    for (int c = 0; c < kChunk; ++c) {
      out[c] = _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(columns + c * kLanes)));
    }
  }
  // 32 int16 entries fill one register, indexed by the low 5 bits.
  static Vec lookup(const std::uint8_t* row, Column column) {
    return _mm512_permutexvar_epi16(column, _mm512_load_si512(row + kRow16Offset));
  }
};

#elif defined(__AVX2__)

// pshufb looks up 16 entries per 128-bit half; the 32-entry row is split in
// two and the codes' bit 4 (moved to bit 7 by a shift) picks the half.
struct Ops8 {
  using Vec = __m256i;
  using Elem = std::int8_t;
  struct Column {
    __m256i codes;
    __m256i high;  // bit 7 set where the code is 16..31
  };
  static constexpr int kLanes = 32;
  static constexpr int kFloor = -128;
  static constexpr int kCeiling = 127;
  static Vec set1(int x) { return _mm256_set1_epi8(static_cast<char>(x)); }
  static Vec load(const void* p) { return _mm256_load_si256(static_cast<const __m256i*>(p)); }
  static void store(void* p, Vec v) { _mm256_store_si256(static_cast<__m256i*>(p), v); }
  static Vec adds(Vec a, Vec b) { return _mm256_adds_epi8(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm256_subs_epi8(a, b); }
  static Vec max(Vec a, Vec b) { return _mm256_max_epi8(a, b); }
  static Vec min(Vec a, Vec b) { return _mm256_min_epi8(a, b); }
  static Vec max_spread(Vec a, Vec b) { return _mm256_max_epi8(a, b); }
  static bool any_equal(Vec a, Vec b) { return _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, b)) != 0; }
  // Four registers of 8 lanes x 4 residues: pshufb groups each 128-bit half
  // by residue, a dword permute pairs the halves, and a 4 x 4 transpose of
  // 64-bit blocks gathers each residue's four groups.
  static void load_columns(const std::uint32_t* chunks, Column* out) {
    const __m256i by_residue =
        _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,  //
                         0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i pair_halves = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i y[4];
    for (int k = 0; k < 4; ++k) {
      const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(chunks + 8 * k));
      y[k] = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, by_residue), pair_halves);
    }
    const __m256i t0 = _mm256_unpacklo_epi64(y[0], y[1]);
    const __m256i t1 = _mm256_unpackhi_epi64(y[0], y[1]);
    const __m256i t2 = _mm256_unpacklo_epi64(y[2], y[3]);
    const __m256i t3 = _mm256_unpackhi_epi64(y[2], y[3]);
    const __m256i codes[4] = {_mm256_permute2x128_si256(t0, t2, 0x20), _mm256_permute2x128_si256(t1, t3, 0x20),
                              _mm256_permute2x128_si256(t0, t2, 0x31), _mm256_permute2x128_si256(t1, t3, 0x31)};
    // Codes are below 32, so no bit crosses into the next byte.
    for (int c = 0; c < kChunk; ++c) out[c] = {codes[c], _mm256_slli_epi16(codes[c], 3)};
  }
  static Vec lookup(const std::uint8_t* row, const Column& column) {
    const __m256i low = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(row)));
    const __m256i high = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(row + 16)));
    return _mm256_blendv_epi8(_mm256_shuffle_epi8(low, column.codes), _mm256_shuffle_epi8(high, column.codes),
                              column.high);
  }
};

struct Ops16 {
  using Vec = __m256i;
  using Elem = std::int16_t;
  struct Column {
    __m128i codes;
    __m128i high;
  };
  static constexpr int kLanes = 16;
  static constexpr int kFloor = -32768;
  static constexpr int kCeiling = 32767;
  static Vec set1(int x) { return _mm256_set1_epi16(static_cast<short>(x)); }
  static Vec load(const void* p) { return _mm256_load_si256(static_cast<const __m256i*>(p)); }
  static void store(void* p, Vec v) { _mm256_store_si256(static_cast<__m256i*>(p), v); }
  static Vec adds(Vec a, Vec b) { return _mm256_adds_epi16(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm256_subs_epi16(a, b); }
  static Vec max(Vec a, Vec b) { return _mm256_max_epi16(a, b); }
  static Vec min(Vec a, Vec b) { return _mm256_min_epi16(a, b); }
  static Vec max_spread(Vec a, Vec b) { return _mm256_max_epi16(a, b); }
  static bool any_equal(Vec a, Vec b) { return _mm256_movemask_epi8(_mm256_cmpeq_epi16(a, b)) != 0; }
  static void load_columns(const std::uint32_t* chunks, Column* out) {
    alignas(64) std::uint8_t columns[kChunk * kLanes];
    transpose_chunks<kLanes>(chunks, columns);
    for (int c = 0; c < kChunk; ++c) {
      const __m128i codes = _mm_load_si128(reinterpret_cast<const __m128i*>(columns + c * kLanes));
      out[c] = {codes, _mm_slli_epi16(codes, 3)};
    }
  }
  // Looks up the int8 row and widens: the entries fit 8 bits, and the int16
  // row would need a 32-entry word permute that AVX2 lacks.
  static Vec lookup(const std::uint8_t* row, const Column& column) {
    const __m128i low = _mm_load_si128(reinterpret_cast<const __m128i*>(row));
    const __m128i high = _mm_load_si128(reinterpret_cast<const __m128i*>(row + 16));
    return _mm256_cvtepi8_epi16(
        _mm_blendv_epi8(_mm_shuffle_epi8(low, column.codes), _mm_shuffle_epi8(high, column.codes), column.high));
  }
};

#else
#error "simd_interseq.hpp needs AVX2, or AVX-512BW with VBMI"
#endif

}  // namespace swl::interseq_simd::SWL_ISA
