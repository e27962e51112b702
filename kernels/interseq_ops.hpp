// Lane arithmetic for inter-sequence kernels: one database sequence per lane,
// signed saturating int8 or int16 lanes biased at the type's minimum, so that
// the floor of local alignment (max with zero) is the saturation itself.
//
// Include only from a per-ISA translation unit (SWL_ISA_LEVEL defined, that level's
// flags on). Everything here lives in a namespace named after the ISA: the
// inline functions of two ISAs then never share a symbol, and the linker can
// never pick the AVX-512 copy of a helper for code that must run on AVX2.
//
// Each Ops type gives:
//   Vec, Elem, kLanes        the vector, its lane type and lane count
//   Column                   one subject column, ready for lookup
//   kFloor, kCeiling         lane minimum (score 0) and maximum (saturated)
//   set1, load, store, adds, subs, max, any_equal
//   max_spread(a, b)         AVX-512 only: max(a, b) as a compare into a mask
//                            register and a masked move, on other execution
//                            units than vpmaxsb. On the Ice Lake server this
//                            was tuned on, 512-bit max and saturating
//                            arithmetic issue on one port only (measured: one
//                            per cycle), and moving some maxima to the other
//                            port balances the two; on Zen 4/5, whose max has
//                            several ports, it costs a third of the speed.
//                            The `spread` variants use it (kernels/interseq.cpp).
//   extend_by_one(gap, opened) AVX-512 only: max(subs(gap, 1), opened) for
//                            opened at or above the floor, as a compare
//                            into a mask and a masked plain subtraction:
//                            where gap > opened, gap - 1 >= opened and gap
//                            is above the floor, so the subtraction cannot
//                            wrap; elsewhere opened wins (ties give equal
//                            values). Neither instruction is a saturating
//                            add or a max, so on CPUs where those have one
//                            512-bit port it moves both gap updates off it.
//                            The `masked` variants use it, for a gap
//                            extension of 1 (kernels/interseq.cpp).
//   extend_past(gap, opened, threshold, extend)
//                            AVX-512 only: the same for any extension,
//                            gap >= threshold choosing subs(gap, extend)
//                            (gap_update in kernels/interseq.cpp says why
//                            that is exact)
//   Lanes, reset_lanes(keep), reset(v, lanes)
//                            the lanes whose subject starts over (keep holds
//                            the floor there and the ceiling elsewhere), and
//                            v with those lanes set to the floor: a masked
//                            move on AVX-512, which leaves the port of the
//                            saturating arithmetic alone; a min on AVX2
//   kTransposes              whether load_columns is a vector transpose; if
//                            not, the kernel writes the residues column-major
//                            itself and reads them with column_from_bytes
//   load_columns(chunks, out) the next kChunk subject residues of every lane
//                            (one Chunk per lane, residue codes 0..31 in its
//                            bytes, first residue lowest) as kChunk Columns
//   column_from_bytes(codes) one Column from kLanes residue codes
//   kLoadsLanes, load_lanes(next, offset, out)
//                            optional (AVX2 int8): like load_columns, but each
//                            lane's Chunk read at next[lane] + offset into
//                            registers, not through memory
//   Row, row(bytes)          one query letter's row of the score-row table
//                            (below), `bytes` pointing at it, loaded once
//                            for all the columns of a pass
//   lookup(row, column)      that letter's score against each lane's residue
//                            in that column
#pragma once

#if !defined(SWL_ISA_LEVEL)
#error "interseq_ops.hpp belongs to per-ISA translation units only"
#endif

#include <immintrin.h>

#include <cstdint>

namespace swl::kernels::SWL_ISA_LEVEL::interseq_ops {

// Score rows, one per query letter: 64 int8 entries (codes below kLetters
// score as the matrix says; the rest score -128, the lane padding) followed by 32 int16
// entries (the same, widened). 128 bytes per letter, 64-byte aligned.
inline constexpr int kRowBytes = 128;
inline constexpr int kRow16Offset = 64;
#if defined(__AVX512BW__)
// Residues per lane that load_columns transposes at once: a pass of the
// kernel takes one or more Chunks per lane (kernels/interseq.cpp).
using Chunk = std::uint64_t;
#else
using Chunk = std::uint32_t;
#endif
inline constexpr int kChunk = sizeof(Chunk);

// Column-major bytes from lane-major chunks, for the int16 kernels, which
// only rescore what saturated and need not be clever about it.
template <int kLanes>
inline void transpose_chunks(const Chunk* chunks, std::uint8_t* columns) {
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int c = 0; c < kChunk; ++c) columns[c * kLanes + lane] = static_cast<std::uint8_t>(chunks[lane] >> (8 * c));
  }
}

#if defined(__AVX512BW__)

// The zero-masking forms with a full mask are the same instructions as the
// plain ones; GCC 12 warns about the plain forms' undefined pass-through.
inline __m512i permute_bytes(__m512i index, __m512i table) {
  return _mm512_maskz_permutexvar_epi8(~__mmask64{0}, index, table);
}
#if defined(__AVX512VBMI__)
// 64-bit blocks of a (indices 0..7) and b (8..15).
inline __m512i permute_blocks(__m512i a, __m512i index, __m512i b) {
  return _mm512_maskz_permutex2var_epi64(~__mmask8{0}, a, index, b);
}

#endif

// The lane arithmetic of both AVX-512 levels; they differ in the lookup.
struct Arith8 {
  using Vec = __m512i;
  using Elem = std::int8_t;
  static constexpr int kLanes = 64;
  static constexpr int kFloor = -128;
  static constexpr int kCeiling = 127;
  static Vec set1(int x) { return _mm512_set1_epi8(static_cast<char>(x)); }
  static Vec load(const void* p) { return _mm512_load_si512(p); }
  static void store(void* p, Vec v) { _mm512_store_si512(p, v); }
  static Vec adds(Vec a, Vec b) { return _mm512_adds_epi8(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm512_subs_epi8(a, b); }
  static Vec max(Vec a, Vec b) { return _mm512_max_epi8(a, b); }
  static Vec max_spread(Vec a, Vec b) { return _mm512_mask_mov_epi8(a, _mm512_cmpgt_epi8_mask(b, a), b); }
  static Vec extend_by_one(Vec gap, Vec opened, Vec one) {
    return _mm512_mask_sub_epi8(opened, _mm512_cmpgt_epi8_mask(gap, opened), gap, one);
  }
  static Vec extend_past(Vec gap, Vec opened, Vec threshold, Vec extend) {
    return _mm512_mask_subs_epi8(opened, _mm512_cmpge_epi8_mask(gap, threshold), gap, extend);
  }
  using Lanes = __mmask64;
  static Lanes reset_lanes(Vec keep) { return _mm512_cmpeq_epi8_mask(keep, set1(kFloor)); }
  static Vec reset(Vec v, Lanes lanes) { return _mm512_mask_mov_epi8(v, lanes, set1(kFloor)); }
  static bool any_equal(Vec a, Vec b) { return _mm512_cmpeq_epi8_mask(a, b) != 0; }
};

#if defined(__AVX512VBMI__)
struct Ops8 : Arith8 {
  using Column = __m512i;
  static constexpr bool kTransposes = true;
  static Column column_from_bytes(const std::uint8_t* codes) { return _mm512_loadu_si512(codes); }
  // Eight registers of 8 lanes x 8 residues: a byte permute groups each
  // register by residue (one 64-bit block per residue), then three rounds of
  // two-register block permutes transpose the 8 x 8 blocks.
  static void load_columns(const Chunk* chunks, Column* out) {
    const __m512i by_residue = _mm512_set_epi64(0x3f372f271f170f07, 0x3e362e261e160e06, 0x3d352d251d150d05,
                                                0x3c342c241c140c04, 0x3b332b231b130b03, 0x3a322a221a120a02,
                                                0x3931292119110901, 0x3830282018100800);
    __m512i z[8];
    for (int k = 0; k < 8; ++k) z[k] = permute_bytes(by_residue, _mm512_load_si512(chunks + 8 * k));
    // Round r interleaves runs of 2^r blocks from the two registers.
    const __m512i low1 = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i high1 = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    const __m512i low2 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i high2 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    const __m512i low3 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i high3 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    __m512i a[8], b[8];
    for (int k = 0; k < 4; ++k) {
      a[k] = permute_blocks(z[2 * k], low1, z[2 * k + 1]);  // residues 0..3
      a[k + 4] = permute_blocks(z[2 * k], high1, z[2 * k + 1]);  // residues 4..7
    }
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < 2; ++k) {
        const int in = 4 * half + 2 * k;
        b[4 * half + k] = permute_blocks(a[in], low2, a[in + 1]);       // residues 4 half + 0, 1
        b[4 * half + k + 2] = permute_blocks(a[in], high2, a[in + 1]);  // residues 4 half + 2, 3
      }
    }
    for (int pair = 0; pair < 4; ++pair) {
      out[2 * pair] = permute_blocks(b[2 * pair], low3, b[2 * pair + 1]);
      out[2 * pair + 1] = permute_blocks(b[2 * pair], high3, b[2 * pair + 1]);
    }
  }
  // VBMI's byte permute indexes 64 table bytes with the low 6 bits of each
  // code: one instruction looks up 64 lanes.
  using Row = __m512i;
  static Row row(const std::uint8_t* bytes) { return _mm512_load_si512(bytes); }
  static Vec lookup(Row row, Column column) { return permute_bytes(column, row); }
};
#else
// AVX-512BW without VBMI (Skylake-SP, Cascade Lake): no byte permute across
// the register, so the lookup is the AVX2 one at twice the width: vpshufb
// reads 16 entries per 128-bit block, the 32-entry row is split in two
// halves broadcast to every block, and a mask of the codes' bit 4 blends
// them (a masked blend, which leaves the saturating arithmetic's port alone).
// The residues are transposed by scalar code (kTransposes false): per pass
// that is a few hundred byte moves beside a sweep of thousands of vector
// operations.
struct Ops8 : Arith8 {
  struct Column {
    __m512i codes;
    __mmask64 high;  // codes 16..31
  };
  static constexpr bool kTransposes = false;
  static Column column_from_bytes(const std::uint8_t* codes) {
    const __m512i v = _mm512_loadu_si512(codes);
    return {v, _mm512_test_epi8_mask(v, _mm512_set1_epi8(16))};
  }
  static void load_columns(const Chunk* chunks, Column* out) {
    alignas(64) std::uint8_t columns[kChunk * kLanes];
    transpose_chunks<kLanes>(chunks, columns);
    for (int c = 0; c < kChunk; ++c) out[c] = column_from_bytes(columns + c * kLanes);
  }
  struct Row {
    __m512i low;   // entries 0..15 in every 128-bit block
    __m512i high;  // entries 16..31
  };
  static Row row(const std::uint8_t* bytes) {
    // Zero-masking with a full mask: GCC 12 warns about the plain form's undefined pass-through.
    const __mmask16 all = ~__mmask16{0};
    return {_mm512_maskz_broadcast_i32x4(all, _mm_load_si128(reinterpret_cast<const __m128i*>(bytes))),
            _mm512_maskz_broadcast_i32x4(all, _mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16)))};
  }
  static Vec lookup(const Row& row, const Column& column) {
    return _mm512_mask_blend_epi8(column.high, _mm512_shuffle_epi8(row.low, column.codes),
                                  _mm512_shuffle_epi8(row.high, column.codes));
  }
};
#endif

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
  static Vec max_spread(Vec a, Vec b) { return _mm512_mask_mov_epi16(a, _mm512_cmpgt_epi16_mask(b, a), b); }
  static Vec extend_by_one(Vec gap, Vec opened, Vec one) {
    return _mm512_mask_sub_epi16(opened, _mm512_cmpgt_epi16_mask(gap, opened), gap, one);
  }
  static Vec extend_past(Vec gap, Vec opened, Vec threshold, Vec extend) {
    return _mm512_mask_subs_epi16(opened, _mm512_cmpge_epi16_mask(gap, threshold), gap, extend);
  }
  using Lanes = __mmask32;
  static Lanes reset_lanes(Vec keep) { return _mm512_cmpeq_epi16_mask(keep, set1(kFloor)); }
  static Vec reset(Vec v, Lanes lanes) { return _mm512_mask_mov_epi16(v, lanes, set1(kFloor)); }
  static bool any_equal(Vec a, Vec b) { return _mm512_cmpeq_epi16_mask(a, b) != 0; }
  static constexpr bool kTransposes = false;
  static Column column_from_bytes(const std::uint8_t* codes) {
    return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes)));
  }
  static void load_columns(const Chunk* chunks, Column* out) {
    alignas(64) std::uint8_t columns[kChunk * kLanes];
    transpose_chunks<kLanes>(chunks, columns);
    for (int c = 0; c < kChunk; ++c) out[c] = column_from_bytes(columns + c * kLanes);
  }
  // 32 int16 entries fill one register, indexed by the low 5 bits.
  using Row = __m512i;
  static Row row(const std::uint8_t* bytes) { return _mm512_load_si512(bytes + kRow16Offset); }
  static Vec lookup(Row row, Column column) { return _mm512_permutexvar_epi16(column, row); }
};

#elif defined(__AVX2__)

// pshufb looks up 16 entries per 128-bit half, and gives zero where an
// index has bit 7 set. The 32-entry row is split in two; each column holds
// two indices per lane, the code with bit 7 set where the code is 16..31 and
// the same with bit 7 flipped, so that each half's lookup is zero where the
// other half holds the entry, and an OR joins them. Worked out once per
// column and pass; per letter that leaves two pshufb and an OR (which any
// vector unit runs, where a byte blend has two of Zen 3's four).
struct Ops8 {
  using Vec = __m256i;
  using Elem = std::int8_t;
  struct Column {
    __m256i low_index;   // the code, bit 7 set for codes 16..31
    __m256i high_index;  // the code, bit 7 set for codes 0..15
  };
  // Codes are below 32: bit 4 moves to bit 7 within its byte.
  static Column column(__m256i codes) {
    const __m256i low_index = _mm256_or_si256(codes, _mm256_and_si256(_mm256_slli_epi16(codes, 3), _mm256_set1_epi8(-128)));
    return {low_index, _mm256_xor_si256(low_index, _mm256_set1_epi8(-128))};
  }
  static constexpr int kLanes = 32;
  static constexpr int kFloor = -128;
  static constexpr int kCeiling = 127;
  static Vec set1(int x) { return _mm256_set1_epi8(static_cast<char>(x)); }
  static Vec load(const void* p) { return _mm256_load_si256(static_cast<const __m256i*>(p)); }
  static void store(void* p, Vec v) { _mm256_store_si256(static_cast<__m256i*>(p), v); }
  static Vec adds(Vec a, Vec b) { return _mm256_adds_epi8(a, b); }
  static Vec subs(Vec a, Vec b) { return _mm256_subs_epi8(a, b); }
  static Vec max(Vec a, Vec b) { return _mm256_max_epi8(a, b); }
  using Lanes = Vec;
  static Lanes reset_lanes(Vec keep) { return keep; }
  static Vec reset(Vec v, Lanes keep) { return _mm256_min_epi8(v, keep); }
  static bool any_equal(Vec a, Vec b) { return _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, b)) != 0; }
  static constexpr bool kTransposes = true;
  static Column column_from_bytes(const std::uint8_t* codes) {
    return column(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes)));
  }
  // Four registers of 8 lanes x 4 residues: pshufb groups each 128-bit half
  // by residue, a dword permute pairs the halves, and a 4 x 4 transpose of
  // 64-bit blocks gathers each residue's four groups.
  static void transpose(const __m256i* lanes, Column* out) {
    const __m256i by_residue =
        _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,  //
                         0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m256i pair_halves = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i y[4];
    for (int k = 0; k < 4; ++k) y[k] = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(lanes[k], by_residue), pair_halves);
    const __m256i t0 = _mm256_unpacklo_epi64(y[0], y[1]);
    const __m256i t1 = _mm256_unpackhi_epi64(y[0], y[1]);
    const __m256i t2 = _mm256_unpacklo_epi64(y[2], y[3]);
    const __m256i t3 = _mm256_unpackhi_epi64(y[2], y[3]);
    const __m256i codes[4] = {_mm256_permute2x128_si256(t0, t2, 0x20), _mm256_permute2x128_si256(t1, t3, 0x20),
                              _mm256_permute2x128_si256(t0, t2, 0x31), _mm256_permute2x128_si256(t1, t3, 0x31)};
    for (int c = 0; c < kChunk; ++c) out[c] = column(codes[c]);
  }
  static void load_columns(const Chunk* chunks, Column* out) {
    __m256i lanes[4];
    for (int k = 0; k < 4; ++k) lanes[k] = _mm256_load_si256(reinterpret_cast<const __m256i*>(chunks + 8 * k));
    transpose(lanes, out);
  }
  // Each lane's Chunk at next[lane] + offset, inserted into registers
  // straight from the sequences. Written to memory as Chunks and read back as
  // vectors, they would wait for the stores to reach the cache (a 32-byte
  // load cannot be forwarded from eight 4-byte stores).
  static constexpr bool kLoadsLanes = true;
  static void load_lanes(const std::uint8_t* const* next, int offset, Column* out) {
    const auto chunk = [next, offset](int lane) {
      int bytes;
      __builtin_memcpy(&bytes, next[lane] + offset, sizeof bytes);
      return bytes;
    };
    __m256i lanes[4];
    for (int k = 0; k < 4; ++k) {
      __m128i half[2];
      for (int h = 0; h < 2; ++h) {
        const int first = 8 * k + 4 * h;
        half[h] = _mm_cvtsi32_si128(chunk(first));
        half[h] = _mm_insert_epi32(half[h], chunk(first + 1), 1);
        half[h] = _mm_insert_epi32(half[h], chunk(first + 2), 2);
        half[h] = _mm_insert_epi32(half[h], chunk(first + 3), 3);
      }
      lanes[k] = _mm256_inserti128_si256(_mm256_castsi128_si256(half[0]), half[1], 1);
    }
    transpose(lanes, out);
  }
  struct Row {
    __m256i low;   // entries 0..15 in both halves
    __m256i high;  // entries 16..31
  };
  static Row row(const std::uint8_t* bytes) {
    return {_mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes))),
            _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16)))};
  }
  static Vec lookup(const Row& row, const Column& column) {
    return _mm256_or_si256(_mm256_shuffle_epi8(row.low, column.low_index), _mm256_shuffle_epi8(row.high, column.high_index));
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
  using Lanes = Vec;
  static Lanes reset_lanes(Vec keep) { return keep; }
  static Vec reset(Vec v, Lanes keep) { return _mm256_min_epi16(v, keep); }
  static bool any_equal(Vec a, Vec b) { return _mm256_movemask_epi8(_mm256_cmpeq_epi16(a, b)) != 0; }
  static constexpr bool kTransposes = false;
  static Column column_from_bytes(const std::uint8_t* codes) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes));
    return {v, _mm_slli_epi16(v, 3)};
  }
  static void load_columns(const Chunk* chunks, Column* out) {
    alignas(64) std::uint8_t columns[kChunk * kLanes];
    transpose_chunks<kLanes>(chunks, columns);
    for (int c = 0; c < kChunk; ++c) out[c] = column_from_bytes(columns + c * kLanes);
  }
  // Looks up the int8 row and widens: the entries fit 8 bits, and the int16
  // row would need a 32-entry word permute that AVX2 lacks.
  struct Row {
    __m128i low;   // entries 0..15
    __m128i high;  // entries 16..31
  };
  static Row row(const std::uint8_t* bytes) {
    return {_mm_load_si128(reinterpret_cast<const __m128i*>(bytes)),
            _mm_load_si128(reinterpret_cast<const __m128i*>(bytes + 16))};
  }
  static Vec lookup(const Row& row, const Column& column) {
    return _mm256_cvtepi8_epi16(_mm_blendv_epi8(_mm_shuffle_epi8(row.low, column.codes),
                                                _mm_shuffle_epi8(row.high, column.codes), column.high));
  }
};

#else
#error "interseq_ops.hpp needs AVX2 or AVX-512BW"
#endif

}  // namespace swl::kernels::SWL_ISA_LEVEL::interseq_ops
