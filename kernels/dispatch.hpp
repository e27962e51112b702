// Run-time choice of a SIMD kernel, the way simdjson and highway do it: each
// instruction set is compiled in its own translation unit (see swl_stage() in
// CMakeLists.txt) and the CPU is asked at run time which of them may run.
// SWLADDER_KERNEL=scalar|sse41|avx2|avx512 forces one.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swl {

enum class Isa { scalar, sse41, avx2, avx512bw, avx512vbmi };

bool cpu_supports(Isa isa);
std::string cpu_features();  // "sse4.1 avx2 avx512bw avx512vbmi" as far as present

struct KernelChoice {
  std::string_view name;  // what users type and what SearchResult::kernel reports
  Isa requires_isa;
};

// Names of the kernels in `kernels` (best first) that this CPU runs.
std::vector<std::string> supported_kernels(std::span<const KernelChoice> kernels);

// The index of the kernel to run. An explicit request must name a kernel of
// this stage that the CPU runs; SWLADDER_KERNEL is honoured by every stage
// that has a kernel of that name (and is an error if the CPU cannot run it);
// otherwise the first supported kernel wins.
std::size_t choose_kernel(std::span<const KernelChoice> kernels, std::string_view requested,
                          std::string_view stage_name);

}  // namespace swl
