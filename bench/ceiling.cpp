#include "ceiling.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "dispatch.hpp"
#include "interseq_kernel.hpp"

namespace swl::bench {

namespace {

// One timed loop: kRounds times a block of instructions on independent
// register chains (or addresses); inline assembly, so the instructions are
// the ones named and nothing else runs between. Warmed up once, best of 5:
// nanoseconds per round.
constexpr int kRounds = 200000;

template <typename Body>
double ns_per_round(Body body) {
  body(kRounds / 10);
  double best = 1e30;
  for (int trial = 0; trial < 5; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    body(kRounds);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, ns / kRounds);
  }
  return best;
}

// Instructions per ns of a round of 8.
template <typename Body>
double per_ns(Body body) {
  return 8.0 / ns_per_round(body);
}

// 8 chains through ymm0..ymm7 (zmm0..zmm7), the other operand a constant.
#define SWL_CHAINS(op, reg, extra)                                                                          \
  op " %%" reg "8, %%" reg "0, %%" reg "0" extra "\n\t" op " %%" reg "8, %%" reg "1, %%" reg "1" extra "\n\t" \
  op " %%" reg "8, %%" reg "2, %%" reg "2" extra "\n\t" op " %%" reg "8, %%" reg "3, %%" reg "3" extra "\n\t" \
  op " %%" reg "8, %%" reg "4, %%" reg "4" extra "\n\t" op " %%" reg "8, %%" reg "5, %%" reg "5" extra "\n\t" \
  op " %%" reg "8, %%" reg "6, %%" reg "6" extra "\n\t" op " %%" reg "8, %%" reg "7, %%" reg "7" extra "\n\t"
// 8 loads into reg0..reg7, and 8 stores of reg0, from 8 consecutive vectors of width bytes at (%0).
#define SWL_LOADS(mov, reg, width)                                                                          \
  mov " (%0), %%" reg "0\n\t" mov " " #width "*1(%0), %%" reg "1\n\t" mov " " #width "*2(%0), %%" reg "2\n\t" \
  mov " " #width "*3(%0), %%" reg "3\n\t" mov " " #width "*4(%0), %%" reg "4\n\t"                           \
  mov " " #width "*5(%0), %%" reg "5\n\t" mov " " #width "*6(%0), %%" reg "6\n\t"                           \
  mov " " #width "*7(%0), %%" reg "7\n\t"
#define SWL_STORES(mov, reg, width)                                                                         \
  mov " %%" reg "0, (%0)\n\t" mov " %%" reg "0, " #width "*1(%0)\n\t" mov " %%" reg "0, " #width "*2(%0)\n\t" \
  mov " %%" reg "0, " #width "*3(%0)\n\t" mov " %%" reg "0, " #width "*4(%0)\n\t"                           \
  mov " %%" reg "0, " #width "*5(%0)\n\t" mov " %%" reg "0, " #width "*6(%0)\n\t"                           \
  mov " %%" reg "0, " #width "*7(%0)\n\t"

#define SWL_LOOP(body, ...)                                                            \
  [](int rounds) {                                                                    \
    for (int r = 0; r < rounds; ++r) asm volatile(body ::: __VA_ARGS__);              \
  }
// The same over memory at `p` (%0), a pointer in the enclosing scope.
#define SWL_MEMORY_LOOP(body, ...)                                                     \
  [p](int rounds) {                                                                   \
    for (int r = 0; r < rounds; ++r) asm volatile(body ::"r"(p) : __VA_ARGS__);       \
  }
// This unit is built without AVX-512, so the compiler holds nothing in mask
// registers or in the upper halves of zmm0..9: only the xmm names clobber.
#define SWL_YMM "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9"

using Form = kernels::interseq::MixForm;  // the variant's form, from its name

#if defined(__x86_64__)
// Memory every loop reads and writes: 20 vectors of 64 bytes, in L1.
alignas(64) std::uint8_t scratch_memory[64 * 20];

Throughput measure_avx2() {
  Throughput t;
  t.adds = per_ns(SWL_LOOP(SWL_CHAINS("vpaddsb", "ymm", ""), SWL_YMM));
  t.maxes = per_ns(SWL_LOOP(SWL_CHAINS("vpmaxsb", "ymm", ""), SWL_YMM));
  t.shuffles = per_ns(SWL_LOOP(SWL_CHAINS("vpshufb", "ymm", ""), SWL_YMM));
  t.blends = per_ns(SWL_LOOP(SWL_CHAINS("vpblendvb %%ymm9,", "ymm", ""), SWL_YMM));
  std::uint8_t* p = scratch_memory;
  t.loads = per_ns(SWL_MEMORY_LOOP(SWL_LOADS("vmovdqa", "ymm", 32), SWL_YMM));
  t.stores = per_ns(SWL_MEMORY_LOOP(SWL_STORES("vmovdqa", "ymm", 32), "memory"));
  return t;
}

Throughput measure_avx512(bool vbmi) {
  Throughput t;
  t.adds = per_ns(SWL_LOOP(SWL_CHAINS("vpaddsb", "zmm", ""), SWL_YMM));
  t.maxes = per_ns(SWL_LOOP(SWL_CHAINS("vpmaxsb", "zmm", ""), SWL_YMM));
  t.shuffles = per_ns(SWL_LOOP(SWL_CHAINS("vpshufb", "zmm", ""), SWL_YMM));
  if (vbmi) t.permutes = per_ns(SWL_LOOP(SWL_CHAINS("vpermb", "zmm", ""), SWL_YMM));
  t.blends = per_ns(SWL_LOOP(SWL_CHAINS("vpblendmb", "zmm", "%{%%k1%}"), SWL_YMM));
  // A pair per chain: the compare reads the chain, the masked move writes it.
  t.spread = per_ns(SWL_LOOP("vpcmpgtb %%zmm0, %%zmm8, %%k1\n\tvmovdqu8 %%zmm8, %%zmm0%{%%k1%}\n\t"
                             "vpcmpgtb %%zmm1, %%zmm8, %%k2\n\tvmovdqu8 %%zmm8, %%zmm1%{%%k2%}\n\t"
                             "vpcmpgtb %%zmm2, %%zmm8, %%k3\n\tvmovdqu8 %%zmm8, %%zmm2%{%%k3%}\n\t"
                             "vpcmpgtb %%zmm3, %%zmm8, %%k4\n\tvmovdqu8 %%zmm8, %%zmm3%{%%k4%}\n\t"
                             "vpcmpgtb %%zmm4, %%zmm8, %%k5\n\tvmovdqu8 %%zmm8, %%zmm4%{%%k5%}\n\t"
                             "vpcmpgtb %%zmm5, %%zmm8, %%k6\n\tvmovdqu8 %%zmm8, %%zmm5%{%%k6%}\n\t"
                             "vpcmpgtb %%zmm6, %%zmm8, %%k7\n\tvmovdqu8 %%zmm8, %%zmm6%{%%k7%}\n\t"
                             "vpcmpgtb %%zmm7, %%zmm8, %%k1\n\tvmovdqu8 %%zmm8, %%zmm7%{%%k1%}\n\t",
                             SWL_YMM));
  std::uint8_t* p = scratch_memory;
  t.loads = per_ns(SWL_MEMORY_LOOP(SWL_LOADS("vmovdqa64", "zmm", 64), SWL_YMM));
  t.stores = per_ns(SWL_MEMORY_LOOP(SWL_STORES("vmovdqa64", "zmm", 64), "memory"));
  return t;
}

// A variant's mix issued together: one cell vector's vector instructions
// (instruction_mix in kernels/interseq_kernel.hpp) on independent registers,
// the profile read as the add's memory operand, and once per row (every
// `columns` cell vectors) the H and E loads and stores. The class
// throughputs above cannot say whether two classes share execution units;
// issuing them together measures it. Loop control and the row's scalar
// work are left out (llvm-mca on the real row loop includes them).
// Each register is a chain from cell to cell. A chain through a compare and
// a masked instruction is 4 cycles per cell, which over a row of 8 cells
// would come near the row's issue time and measure latency, not
// throughput; so the AVX-512 cells alternate between two register banks
// (zmm0..9 and zmm16..25; this unit is built without AVX-512, so the
// compiler never holds anything in zmm16..31), which halves every chain.
// The max form: the diagonal add (the profile its memory operand), three
// saturating subtractions and five maxima, on bank registers r0..r8 (the
// cell's 9 chains), c the constant operand.
#define SWL_CELL_MAX(offset, c, r0, r1, r2, r3, r4, r5, r6, r7, r8)                                         \
  "vpaddsb " #offset "(%0), " r0 ", " r0 "\n\t"                                                               \
  "vpsubsb " c ", " r1 ", " r1 "\n\tvpsubsb " c ", " r2 ", " r2 "\n\tvpsubsb " c ", " r3 ", " r3 "\n\t"          \
  "vpmaxsb " c ", " r4 ", " r4 "\n\tvpmaxsb " c ", " r5 ", " r5 "\n\tvpmaxsb " c ", " r6 ", " r6 "\n\t"          \
  "vpmaxsb " c ", " r7 ", " r7 "\n\tvpmaxsb " c ", " r8 ", " r8 "\n\t"
// The spread form: two plain maxima, three as a compare into a mask and a masked move.
#define SWL_CELL_SPREAD(offset, r0, r1, r2, r3, r4, r5, r6, r7, r8, k1, k2, k3)                             \
  "vpaddsb " #offset "(%0), " r0 ", " r0 "\n\t"                                                               \
  "vpsubsb %%zmm8, " r1 ", " r1 "\n\tvpsubsb %%zmm8, " r2 ", " r2 "\n\tvpsubsb %%zmm8, " r3 ", " r3 "\n\t"    \
  "vpmaxsb %%zmm8, " r4 ", " r4 "\n\tvpmaxsb %%zmm8, " r5 ", " r5 "\n\t"                                      \
  "vpcmpgtb " r6 ", %%zmm8, " k1 "\n\tvmovdqu8 %%zmm8, " r6 "%{" k1 "%}\n\t"                                   \
  "vpcmpgtb " r7 ", %%zmm8, " k2 "\n\tvmovdqu8 %%zmm8, " r7 "%{" k2 "%}\n\t"                                   \
  "vpcmpgtb " r8 ", %%zmm8, " k3 "\n\tvmovdqu8 %%zmm8, " r8 "%{" k3 "%}\n\t"
// The masked form: the diagonal add and the open (2 saturating), three
// maxima, and E's and F's updates as a compare into a mask and a masked
// plain subtraction merged into the opened value (r6 and r5 the gaps, read
// only; r7 and r8 the opened values, the chains).
#define SWL_CELL_MASKED(offset, r0, r1, r2, r3, r4, r5, r6, r7, r8, k1, k2, k3)                             \
  "vpaddsb " #offset "(%0), " r0 ", " r0 "\n\t"                                                               \
  "vpsubsb %%zmm8, " r1 ", " r1 "\n\t"                                                                         \
  "vpmaxsb %%zmm8, " r2 ", " r2 "\n\tvpmaxsb %%zmm8, " r3 ", " r3 "\n\tvpmaxsb %%zmm8, " r4 ", " r4 "\n\t"    \
  "vpcmpgtb " r7 ", " r6 ", " k1 "\n\tvpsubb %%zmm8, " r6 ", " r7 "%{" k1 "%}\n\t"                              \
  "vpcmpgtb " r8 ", " r5 ", " k2 "\n\tvpsubb %%zmm8, " r5 ", " r8 "%{" k2 "%}\n\t"
#define SWL_BANK_Y "%%ymm0", "%%ymm1", "%%ymm2", "%%ymm3", "%%ymm4", "%%ymm5", "%%ymm6", "%%ymm7", "%%ymm9"
#define SWL_BANK_A "%%zmm0", "%%zmm1", "%%zmm2", "%%zmm3", "%%zmm4", "%%zmm5", "%%zmm6", "%%zmm7", "%%zmm9"
#define SWL_BANK_B "%%zmm16", "%%zmm17", "%%zmm18", "%%zmm19", "%%zmm20", "%%zmm21", "%%zmm22", "%%zmm23", "%%zmm24"
#define SWL_KS_A "%%k1", "%%k2", "%%k3"
#define SWL_KS_B "%%k4", "%%k5", "%%k6"
#define SWL_ROW(reg, mov, width)                                                                                \
  mov " " #width "*16(%0), %%" reg "10\n\t" mov " " #width "*17(%0), %%" reg "11\n\t"                          \
  mov " %%" reg "10, " #width "*18(%0)\n\t" mov " %%" reg "11, " #width "*19(%0)\n\t"
#define SWL_ROW_Y SWL_ROW("ymm", "vmovdqa", 32)
#define SWL_ROW_Z SWL_ROW("zmm", "vmovdqa64", 64)
// SWL_CALL expands the banks into arguments before the cell macro counts them.
#define SWL_CALL(macro, ...) macro(__VA_ARGS__)
#define SWL_Y(offset) SWL_CALL(SWL_CELL_MAX, offset, "%%ymm8", SWL_BANK_Y)
// AVX-512 cell pairs, one cell in each bank; the constant operand is zmm8 in both.
#define SWL_Z2(offset, next) \
  SWL_CALL(SWL_CELL_MAX, offset, "%%zmm8", SWL_BANK_A) SWL_CALL(SWL_CELL_MAX, next, "%%zmm8", SWL_BANK_B)
#define SWL_S2(offset, next) \
  SWL_CALL(SWL_CELL_SPREAD, offset, SWL_BANK_A, SWL_KS_A) SWL_CALL(SWL_CELL_SPREAD, next, SWL_BANK_B, SWL_KS_B)
#define SWL_M2(offset, next) \
  SWL_CALL(SWL_CELL_MASKED, offset, SWL_BANK_A, SWL_KS_A) SWL_CALL(SWL_CELL_MASKED, next, SWL_BANK_B, SWL_KS_B)
#define SWL_MIX(body) SWL_MEMORY_LOOP(body, SWL_YMM, "xmm10", "xmm11", "memory")

// Nanoseconds per cell vector: a round is one row of `columns` cell vectors.
double mix_ns_per_vector(bool wide, int columns, Form form) {
  std::uint8_t* p = scratch_memory;
  double row = 0;
  if (!wide) {
    if (form != Form::max) return 0;
    switch (columns) {
      case 2: row = ns_per_round(SWL_MIX(SWL_Y(0) SWL_Y(32) SWL_ROW_Y)); break;
      case 4: row = ns_per_round(SWL_MIX(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_ROW_Y)); break;
      case 6:
        row = ns_per_round(SWL_MIX(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_Y(128) SWL_Y(160) SWL_ROW_Y));
        break;
      case 8:
        row = ns_per_round(SWL_MIX(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_Y(128) SWL_Y(160) SWL_Y(192)
                                       SWL_Y(224) SWL_ROW_Y));
        break;
      default: return 0;
    }
  } else if (columns == 4 && form == Form::max) {
    row = ns_per_round(SWL_MIX(SWL_Z2(0, 64) SWL_Z2(128, 192) SWL_ROW_Z));
  } else if (columns == 8) {
    switch (form) {
      case Form::max:
        row = ns_per_round(SWL_MIX(SWL_Z2(0, 64) SWL_Z2(128, 192) SWL_Z2(256, 320) SWL_Z2(384, 448) SWL_ROW_Z));
        break;
      case Form::spread:
        row = ns_per_round(SWL_MIX(SWL_S2(0, 64) SWL_S2(128, 192) SWL_S2(256, 320) SWL_S2(384, 448) SWL_ROW_Z));
        break;
      case Form::masked:
        row = ns_per_round(SWL_MIX(SWL_M2(0, 64) SWL_M2(128, 192) SWL_M2(256, 320) SWL_M2(384, 448) SWL_ROW_Z));
        break;
    }
  } else {
    return 0;
  }
  return row / columns;
}
#endif

bool runs(std::string_view level) {
  for (const kernels::Level l : kernels::all_levels()) {
    if (kernels::level_name(l) == level) return kernels::cpu_runs(l);
  }
  return false;
}

}  // namespace

std::string Throughput::describe() const {
  char text[256];
  std::snprintf(text, sizeof text,
                "per ns: adds %.2f, max %.2f, cmp+masked move %.2f, pshufb %.2f, permb %.2f, blend %.2f, "
                "load %.2f, store %.2f",
                adds, maxes, spread, shuffles, permutes, blends, loads, stores);
  return text;
}

const Throughput& throughput(std::string_view width) {
#if defined(__x86_64__)
  static const Throughput avx2 = runs("avx2") ? measure_avx2() : Throughput{};
  static const Throughput avx512 = runs("avx512bw") ? measure_avx512(runs("avx512vbmi")) : Throughput{};
  return width == "avx512" ? avx512 : avx2;
#else
  (void)width;
  static const Throughput none;
  return none;
#endif
}

double ceiling_gcups(std::string_view kernel) {
#if defined(__x86_64__)
  const kernels::Family& family = kernels::interseq_family();
  for (const kernels::KernelRef& ref : family.all()) {
    if (ref.name != kernel || ref.level == kernels::Level::portable || !kernels::cpu_runs(ref.level)) continue;
    // <level>/<columns>col/<form>[/short]: /short changes no counts.
    const std::string& name = ref.name;
    const std::size_t first = name.find('/');
    const std::size_t col = name.find("col/", first);
    const int columns = std::stoi(name.substr(first + 1, col - first - 1));
    const std::string_view form_name = std::string_view(name).substr(col + 4);
    const Form form = form_name.starts_with("spread")   ? Form::spread
                      : form_name.starts_with("masked") ? Form::masked
                                                        : Form::max;
    const bool wide = kernels::level_name(ref.level).starts_with("avx512");
    // Measured afresh at each call (a few milliseconds), right after the
    // run it is set beside: on a shared machine the speed available drifts
    // from one second to the next, and a ratio is only fair in one moment.
    const double ns = mix_ns_per_vector(wide, columns, form);
    if (ns <= 0) return 0;
    const double lanes = wide ? 64 : 32;
    return lanes / ns;  // cells per ns = GCUPS
  }
#else
  (void)kernel;
#endif
  return 0;
}

}  // namespace swl::bench
