#include "dispatch.hpp"

#include <cstdlib>

#include "errors.hpp"

namespace swl {

bool cpu_supports(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::sse41: return __builtin_cpu_supports("sse4.1");
    case Isa::avx2: return __builtin_cpu_supports("avx2");
    case Isa::avx512bw: return __builtin_cpu_supports("avx512bw");
    case Isa::avx512vbmi: return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
  }
  return false;
#else
  return isa == Isa::scalar;
#endif
}

std::string cpu_features() {
  std::string out;
  const std::pair<Isa, const char*> known[] = {
      {Isa::sse41, "sse4.1"}, {Isa::avx2, "avx2"}, {Isa::avx512bw, "avx512bw"}, {Isa::avx512vbmi, "avx512vbmi"}};
  for (const auto& [isa, label] : known) {
    if (!cpu_supports(isa)) continue;
    if (!out.empty()) out += ' ';
    out += label;
  }
  return out;
}

std::vector<std::string> supported_kernels(std::span<const KernelChoice> kernels) {
  std::vector<std::string> names;
  for (const auto& kernel : kernels) {
    if (cpu_supports(kernel.requires_isa)) names.emplace_back(kernel.name);
  }
  return names;
}

std::size_t choose_kernel(std::span<const KernelChoice> kernels, std::string_view requested,
                          std::string_view stage_name) {
  const auto find = [&](std::string_view name) -> std::size_t {
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      if (kernels[i].name == name) return i;
    }
    return kernels.size();
  };
  const auto require_supported = [&](std::size_t index, std::string_view origin) {
    if (!cpu_supports(kernels[index].requires_isa)) {
      throw InputError(std::string(origin) + ": kernel '" + std::string(kernels[index].name) + "' of stage '" +
                       std::string(stage_name) + "' needs an instruction set this CPU lacks (CPU has: " +
                       cpu_features() + ")");
    }
    return index;
  };

  if (!requested.empty()) {
    const std::size_t index = find(requested);
    if (index == kernels.size()) {
      std::string known;
      for (const auto& k : kernels) known += (known.empty() ? "" : ", ") + std::string(k.name);
      throw InputError("stage '" + std::string(stage_name) + "' has no kernel '" + std::string(requested) +
                       "' (it has: " + known + ")");
    }
    return require_supported(index, "kernel");
  }
  if (const char* forced = std::getenv("SWLADDER_KERNEL"); forced != nullptr && *forced != '\0') {
    const std::size_t index = find(forced);
    if (index != kernels.size()) return require_supported(index, "SWLADDER_KERNEL");
  }
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    if (cpu_supports(kernels[i].requires_isa)) return i;
  }
  throw InputError("stage '" + std::string(stage_name) + "' has no kernel this CPU can run");
}

}  // namespace swl
