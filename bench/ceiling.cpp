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

// One timed loop: kRounds times a block of 8 instructions on 8 independent
// register chains (or 8 addresses); inline assembly, so the instruction is
// the one named and nothing else runs between. Warmed up once, best of 5.
constexpr int kRounds = 200000;

template <typename Body>
double per_ns(Body body) {
  body(kRounds / 10);
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    body(kRounds);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 8.0 * kRounds / ns);
  }
  return best;
}

// 8 chains through ymm0..ymm7 (zmm0..zmm7), the other operand a constant.
#define SWL_CHAINS(op, reg, extra)                                                                          \
  op " %%" reg "8, %%" reg "0, %%" reg "0" extra "\n\t" op " %%" reg "8, %%" reg "1, %%" reg "1" extra "\n\t" \
  op " %%" reg "8, %%" reg "2, %%" reg "2" extra "\n\t" op " %%" reg "8, %%" reg "3, %%" reg "3" extra "\n\t" \
  op " %%" reg "8, %%" reg "4, %%" reg "4" extra "\n\t" op " %%" reg "8, %%" reg "5, %%" reg "5" extra "\n\t" \
  op " %%" reg "8, %%" reg "6, %%" reg "6" extra "\n\t" op " %%" reg "8, %%" reg "7, %%" reg "7" extra "\n\t"

#define SWL_LOOP(body, ...)                                                            \
  [](int rounds) {                                                                    \
    for (int r = 0; r < rounds; ++r) asm volatile(body ::: __VA_ARGS__);              \
  }
// This unit is built without AVX-512, so the compiler holds nothing in mask
// registers or in the upper halves of zmm0..9: only the xmm names clobber.
#define SWL_YMM "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9"

#if defined(__x86_64__)
Throughput measure_avx2() {
  Throughput t;
  t.adds = per_ns(SWL_LOOP(SWL_CHAINS("vpaddsb", "ymm", ""), SWL_YMM));
  t.maxes = per_ns(SWL_LOOP(SWL_CHAINS("vpmaxsb", "ymm", ""), SWL_YMM));
  t.shuffles = per_ns(SWL_LOOP(SWL_CHAINS("vpshufb", "ymm", ""), SWL_YMM));
  t.blends = per_ns(SWL_LOOP(SWL_CHAINS("vpblendvb %%ymm9,", "ymm", ""), SWL_YMM));
  alignas(64) static std::uint8_t buffer[512];
  std::uint8_t* p = buffer;
  t.loads = per_ns([p](int rounds) {
    for (int r = 0; r < rounds; ++r) {
      asm volatile(
          "vmovdqa (%0), %%ymm0\n\tvmovdqa 32(%0), %%ymm1\n\tvmovdqa 64(%0), %%ymm2\n\tvmovdqa 96(%0), %%ymm3\n\t"
          "vmovdqa 128(%0), %%ymm4\n\tvmovdqa 160(%0), %%ymm5\n\tvmovdqa 192(%0), %%ymm6\n\tvmovdqa 224(%0), "
          "%%ymm7\n\t" ::"r"(p)
          : SWL_YMM);
    }
  });
  t.stores = per_ns([p](int rounds) {
    for (int r = 0; r < rounds; ++r) {
      asm volatile(
          "vmovdqa %%ymm0, (%0)\n\tvmovdqa %%ymm0, 32(%0)\n\tvmovdqa %%ymm0, 64(%0)\n\tvmovdqa %%ymm0, 96(%0)\n\t"
          "vmovdqa %%ymm0, 128(%0)\n\tvmovdqa %%ymm0, 160(%0)\n\tvmovdqa %%ymm0, 192(%0)\n\tvmovdqa %%ymm0, "
          "224(%0)\n\t" ::"r"(p)
          : "memory");
    }
  });
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
  alignas(64) static std::uint8_t buffer[1024];
  std::uint8_t* p = buffer;
  t.loads = per_ns([p](int rounds) {
    for (int r = 0; r < rounds; ++r) {
      asm volatile(
          "vmovdqa64 (%0), %%zmm0\n\tvmovdqa64 64(%0), %%zmm1\n\tvmovdqa64 128(%0), %%zmm2\n\tvmovdqa64 192(%0), "
          "%%zmm3\n\tvmovdqa64 256(%0), %%zmm4\n\tvmovdqa64 320(%0), %%zmm5\n\tvmovdqa64 384(%0), %%zmm6\n\t"
          "vmovdqa64 448(%0), %%zmm7\n\t" ::"r"(p)
          : SWL_YMM);
    }
  });
  t.stores = per_ns([p](int rounds) {
    for (int r = 0; r < rounds; ++r) {
      asm volatile(
          "vmovdqa64 %%zmm0, (%0)\n\tvmovdqa64 %%zmm0, 64(%0)\n\tvmovdqa64 %%zmm0, 128(%0)\n\tvmovdqa64 %%zmm0, "
          "192(%0)\n\tvmovdqa64 %%zmm0, 256(%0)\n\tvmovdqa64 %%zmm0, 320(%0)\n\tvmovdqa64 %%zmm0, 384(%0)\n\t"
          "vmovdqa64 %%zmm0, 448(%0)\n\t" ::"r"(p)
          : "memory");
    }
  });
  return t;
}
#endif

#if defined(__x86_64__)
// A variant's mix issued together: one cell vector's vector instructions
// (instruction_mix in kernels/interseq_kernel.hpp) on independent registers,
// the profile read as the add's memory operand, and once per row (every
// `columns` cell vectors) the H and E loads and stores. The class
// throughputs above cannot say whether two classes share execution units;
// issuing them together measures it. Loop control and the row's scalar
// work are left out (llvm-mca on the real row loop includes them).
#define SWL_CELL_MAX(reg, offset)                                                                               \
  "vpaddsb " #offset "(%0), %%" reg "0, %%" reg "0\n\t"                                                         \
  "vpsubsb %%" reg "8, %%" reg "1, %%" reg "1\n\tvpsubsb %%" reg "8, %%" reg "2, %%" reg "2\n\t"                 \
  "vpsubsb %%" reg "8, %%" reg "3, %%" reg "3\n\tvpmaxsb %%" reg "8, %%" reg "4, %%" reg "4\n\t"                 \
  "vpmaxsb %%" reg "8, %%" reg "5, %%" reg "5\n\tvpmaxsb %%" reg "8, %%" reg "6, %%" reg "6\n\t"                 \
  "vpmaxsb %%" reg "8, %%" reg "7, %%" reg "7\n\tvpmaxsb %%" reg "8, %%" reg "9, %%" reg "9\n\t"
// The spread form: two plain maxima, three as a compare into a mask and a masked move.
#define SWL_CELL_SPREAD(offset)                                                                                 \
  "vpaddsb " #offset "(%0), %%zmm0, %%zmm0\n\t"                                                                 \
  "vpsubsb %%zmm8, %%zmm1, %%zmm1\n\tvpsubsb %%zmm8, %%zmm2, %%zmm2\n\tvpsubsb %%zmm8, %%zmm3, %%zmm3\n\t"      \
  "vpmaxsb %%zmm8, %%zmm4, %%zmm4\n\tvpmaxsb %%zmm8, %%zmm5, %%zmm5\n\t"                                        \
  "vpcmpgtb %%zmm6, %%zmm8, %%k1\n\tvmovdqu8 %%zmm8, %%zmm6%{%%k1%}\n\t"                                        \
  "vpcmpgtb %%zmm7, %%zmm8, %%k2\n\tvmovdqu8 %%zmm8, %%zmm7%{%%k2%}\n\t"                                        \
  "vpcmpgtb %%zmm9, %%zmm8, %%k3\n\tvmovdqu8 %%zmm8, %%zmm9%{%%k3%}\n\t"
#define SWL_ROW(reg, mov, width)                                                                                \
  mov " " #width "*16(%0), %%" reg "10\n\t" mov " " #width "*17(%0), %%" reg "11\n\t"                          \
  mov " %%" reg "10, " #width "*18(%0)\n\t" mov " %%" reg "11, " #width "*19(%0)\n\t"
#define SWL_ROW_Y SWL_ROW("ymm", "vmovdqa", 32)
#define SWL_ROW_Z SWL_ROW("zmm", "vmovdqa64", 64)
#define SWL_Y(offset) SWL_CELL_MAX("ymm", offset)
#define SWL_Z(offset) SWL_CELL_MAX("zmm", offset)
#define SWL_S(offset) SWL_CELL_SPREAD(offset)
#define SWL_MIX_CLOBBERS SWL_YMM, "xmm10", "xmm11", "memory"

// Nanoseconds per cell vector, best of 5 timings of kRounds rows.
template <int Columns, typename Row>
double mix_ns(Row row) {
  alignas(64) static std::uint8_t buffer[64 * 20];
  std::uint8_t* p = buffer;
  row(p, kRounds / 10);
  double best = 1e30;
  for (int trial = 0; trial < 5; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    row(p, kRounds);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, ns / (static_cast<double>(kRounds) * Columns));
  }
  return best;
}

#define SWL_MIX_LOOP(body)                                                        \
  [](std::uint8_t* p, int rounds) {                                               \
    for (int r = 0; r < rounds; ++r) asm volatile(body ::"r"(p) : SWL_MIX_CLOBBERS); \
  }

double mix_ns_per_vector(bool wide, int columns, bool spread) {
  if (!wide) {
    switch (columns) {
      case 2: return mix_ns<2>(SWL_MIX_LOOP(SWL_Y(0) SWL_Y(32) SWL_ROW_Y));
      case 4: return mix_ns<4>(SWL_MIX_LOOP(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_ROW_Y));
      case 6: return mix_ns<6>(SWL_MIX_LOOP(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_Y(128) SWL_Y(160) SWL_ROW_Y));
      case 8:
        return mix_ns<8>(SWL_MIX_LOOP(SWL_Y(0) SWL_Y(32) SWL_Y(64) SWL_Y(96) SWL_Y(128) SWL_Y(160) SWL_Y(192)
                                          SWL_Y(224) SWL_ROW_Y));
      default: return 0;
    }
  }
  if (spread && columns == 8) {
    return mix_ns<8>(SWL_MIX_LOOP(SWL_S(0) SWL_S(64) SWL_S(128) SWL_S(192) SWL_S(256) SWL_S(320) SWL_S(384)
                                      SWL_S(448) SWL_ROW_Z));
  }
  if (spread) return 0;
  switch (columns) {
    case 4: return mix_ns<4>(SWL_MIX_LOOP(SWL_Z(0) SWL_Z(64) SWL_Z(128) SWL_Z(192) SWL_ROW_Z));
    case 8:
      return mix_ns<8>(SWL_MIX_LOOP(SWL_Z(0) SWL_Z(64) SWL_Z(128) SWL_Z(192) SWL_Z(256) SWL_Z(320) SWL_Z(384)
                                        SWL_Z(448) SWL_ROW_Z));
    default: return 0;
  }
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
    const bool spread = name.compare(col + 4, 6, "spread") == 0;
    const bool wide = kernels::level_name(ref.level).starts_with("avx512");
    // Measured afresh at each call (a few milliseconds), right after the
    // run it is set beside: on a shared machine the speed available drifts
    // from one second to the next, and a ratio is only fair in one moment.
    const double ns = mix_ns_per_vector(wide, columns, spread);
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
