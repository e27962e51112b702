// The ceiling of an inter-sequence kernel variant on this machine: its
// instruction mix per cell vector (kernels/interseq_kernel.hpp), issued on
// this CPU. swl_bench prints it beside each variant's GCUPS (counters
// `ceiling` and `of_ceiling`), and the throughput per instruction class in
// its header (swl_throughput_<width>).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace swl::bench {

// Instructions per nanosecond, 8 independent chains of one instruction
// (a compare and masked move count as one pair), at one vector width.
struct Throughput {
  double adds = 0;     // vpaddsb / vpsubsb
  double maxes = 0;    // vpmaxsb
  double spread = 0;   // vpcmpgtb k, vmovdqu8 {k} pairs (AVX-512 only)
  double shuffles = 0; // vpshufb
  double permutes = 0; // vpermb (VBMI only)
  double blends = 0;   // vpblendvb (AVX2) / vpblendmb (AVX-512)
  double loads = 0;    // aligned vector loads from L1
  double stores = 0;   // aligned vector stores to L1
  std::string describe() const;
};

// Measured once per process for "avx2" (ymm) or "avx512" (zmm); nullopt-like
// empty (all zero) where the CPU lacks the width.
const Throughput& throughput(std::string_view width);

// GCUPS per thread the variant named `kernel` ("avx2/4col/max/short")
// cannot exceed, or 0 when `kernel` is no interseq variant this CPU runs:
// its instruction mix per cell vector issued together on independent
// registers, timed now (a few milliseconds). Measuring the mix, rather than
// combining the class throughputs above, measures which classes share
// execution units instead of assuming it.
double ceiling_gcups(std::string_view kernel);

}  // namespace swl::bench
