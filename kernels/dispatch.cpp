#include "dispatch.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <variant>

#include "errors.hpp"

// The kernels compiled for each level (CMake builds kernels/<family>.cpp once
// per SWL_KERNEL line, in namespace swl::kernels::<level>).
#if defined(SWL_X86_KERNELS)
#define SWL_ISA_LEVEL(level, features)
#define SWL_KERNEL(family, level) \
  namespace swl::kernels::level { \
  family::Kernel family##_kernel(); \
  }
#include "dispatch_table.def"
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#endif

namespace swl::kernels {

namespace {

struct LevelInfo {
  Level level;
  std::string_view name;
  std::string_view features;
};

constexpr LevelInfo kLevels[] = {
    {Level::portable, "scalar", ""},
#define SWL_ISA_LEVEL(level, features) {Level::level, #level, features},
#define SWL_KERNEL(family, level)
#include "dispatch_table.def"
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
};

constexpr std::size_t kLevelCount = std::size(kLevels);

// __builtin_cpu_supports takes a literal: one line per feature the table may
// name. A feature missing here fails the dispatch test (and would make its
// levels unrunnable rather than unchecked).
bool cpu_has_feature(std::string_view feature) {
#if defined(__x86_64__) || defined(__i386__)
  if (feature == "sse4.1") return __builtin_cpu_supports("sse4.1");
  if (feature == "avx2") return __builtin_cpu_supports("avx2");
  if (feature == "bmi2") return __builtin_cpu_supports("bmi2");
  if (feature == "avx512f") return __builtin_cpu_supports("avx512f");
  if (feature == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (feature == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (feature == "avx512vbmi") return __builtin_cpu_supports("avx512vbmi");
#else
  (void)feature;
#endif
  return false;
}

template <typename Visit>
void for_each_feature(std::string_view features, Visit visit) {
  std::size_t start = 0;
  while (start < features.size()) {
    std::size_t end = features.find_first_of(" ,", start);
    if (end == std::string_view::npos) end = features.size();
    if (end > start) visit(features.substr(start, end - start));
    start = end + 1;
  }
}

// SWLADDER_CPU_FEATURES, for tests: dispatch then sees only the features it
// lists (and the CPU has), as on an older CPU. Read once per process.
struct CpuView {
  std::array<bool, kLevelCount> runs{};
  std::string features;

  CpuView() {
    const char* mask = std::getenv("SWLADDER_CPU_FEATURES");
    const auto present = [&](std::string_view feature) {
      if (!cpu_has_feature(feature)) return false;
      if (mask == nullptr) return true;
      bool listed = false;
      for_each_feature(mask, [&](std::string_view name) { listed = listed || name == feature; });
      return listed;
    };
    std::vector<std::string_view> seen;
    for (std::size_t i = 0; i < kLevelCount; ++i) {
      bool all = true;
      for_each_feature(kLevels[i].features, [&](std::string_view feature) {
        all = all && present(feature);
        if (present(feature) && std::find(seen.begin(), seen.end(), feature) == seen.end()) {
          seen.push_back(feature);
          features += (features.empty() ? "" : " ") + std::string(feature);
        }
      });
      runs[i] = all;
    }
  }
};

const CpuView& cpu() {
  static const CpuView view;
  return view;
}

const LevelInfo& info(Level level) { return kLevels[static_cast<std::size_t>(level)]; }

std::string join_names(std::span<const Level> levels) {
  std::string out;
  for (const Level level : levels) out += (out.empty() ? "" : ", ") + std::string(level_name(level));
  return out;
}

bool is_avx512(Level level) { return level_name(level).starts_with("avx512"); }

}  // namespace

std::string_view level_name(Level level) { return info(level).name; }
std::string_view level_features(Level level) { return info(level).features; }

std::span<const Level> all_levels() {
  static const std::array<Level, kLevelCount> levels = [] {
    std::array<Level, kLevelCount> out{};
    for (std::size_t i = 0; i < kLevelCount; ++i) out[i] = kLevels[i].level;
    return out;
  }();
  return levels;
}

bool cpu_runs(Level level) { return cpu().runs[static_cast<std::size_t>(level)]; }
std::string cpu_features() { return cpu().features; }

std::vector<std::string> Family::runnable() const {
  std::vector<std::string> names;
  for (const Level level : levels_) {
    if (level == Level::portable || cpu_runs(level)) names.emplace_back(level_name(level));
  }
  return names;
}

Level Family::choose(std::string_view requested, std::string_view stage_name) const {
  const auto find = [&](std::string_view name) -> std::optional<Level> {
    for (const Level level : levels_) {
      if (level_name(level) == name || (name == "avx512" && is_avx512(level))) return level;
    }
    return std::nullopt;
  };
  const auto runnable_or_throw = [&](Level level, std::string_view origin) {
    if (level != Level::portable && !cpu_runs(level)) {
      throw InputError(std::string(origin) + ": kernel '" + std::string(level_name(level)) + "' of stage '" +
                       std::string(stage_name) + "' needs " + std::string(level_features(level)) +
                       ", which this CPU lacks (CPU has: " + cpu_features() + ")");
    }
    return level;
  };

  if (!requested.empty()) {
    const auto level = find(requested);
    if (!level) {
      throw InputError("stage '" + std::string(stage_name) + "' has no kernel '" + std::string(requested) +
                       "' (it has: " + join_names(levels_) + ")");
    }
    return runnable_or_throw(*level, "kernel");
  }

  // The default, resolved once per value of SWLADDER_KERNEL (tests change it
  // within one process); the error of an unrunnable forced kernel is kept too.
  static std::mutex mutex;
  static std::map<std::pair<const Family*, std::string>, std::variant<Level, std::string>> cache;
  const char* forced = std::getenv("SWLADDER_KERNEL");
  const std::string forced_name = forced != nullptr ? forced : "";
  std::variant<Level, std::string> choice;
  {
    const std::lock_guard lock(mutex);
    const auto key = std::make_pair(this, forced_name);
    auto found = cache.find(key);
    if (found == cache.end()) {
      std::variant<Level, std::string> resolved = Level::portable;
      const auto level = forced_name.empty() ? std::nullopt : find(forced_name);
      try {
        if (level) {
          resolved = runnable_or_throw(*level, "SWLADDER_KERNEL");
        } else {
          for (const Level candidate : levels_) {
            if (candidate == Level::portable || cpu_runs(candidate)) {
              resolved = candidate;
              break;
            }
          }
        }
      } catch (const InputError& error) {
        resolved = std::string(error.what());
      }
      found = cache.emplace(key, resolved).first;
    }
    choice = found->second;
  }
  if (const auto* message = std::get_if<std::string>(&choice)) throw InputError(*message);
  return std::get<Level>(choice);
}

// The compiled kernels of each family, in the table's order of preference.
// The SWL_KERNEL lines expand once per family, keeping only that family's.
#if defined(SWL_X86_KERNELS)
#define SWL_ISA_LEVEL(level, features)
#define SWL_KERNEL(family, level) SWL_ENTRY_##family(level)
#define SWL_ENTRY_striped(level) StripedEntry{Level::level, level::striped_kernel()},
#define SWL_ENTRY_interseq(level)
#define SWL_ENTRY_alignment(level)
const std::vector<StripedEntry>& striped_entries() {
  static const std::vector<StripedEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_ENTRY_striped
#undef SWL_ENTRY_interseq
#undef SWL_ENTRY_alignment
#define SWL_ENTRY_striped(level)
#define SWL_ENTRY_interseq(level) InterseqEntry{Level::level, level::interseq_kernel()},
#define SWL_ENTRY_alignment(level)
const std::vector<InterseqEntry>& interseq_entries() {
  static const std::vector<InterseqEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_ENTRY_striped
#undef SWL_ENTRY_interseq
#undef SWL_ENTRY_alignment
#define SWL_ENTRY_striped(level)
#define SWL_ENTRY_interseq(level)
#define SWL_ENTRY_alignment(level) AlignmentEntry{Level::level, level::alignment_kernel()},
const std::vector<AlignmentEntry>& alignment_entries() {
  static const std::vector<AlignmentEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_ENTRY_striped
#undef SWL_ENTRY_interseq
#undef SWL_ENTRY_alignment
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#else
const std::vector<StripedEntry>& striped_entries() {
  static const std::vector<StripedEntry> entries;
  return entries;
}
const std::vector<InterseqEntry>& interseq_entries() {
  static const std::vector<InterseqEntry> entries;
  return entries;
}
const std::vector<AlignmentEntry>& alignment_entries() {
  static const std::vector<AlignmentEntry> entries;
  return entries;
}
#endif

namespace {

template <typename Entry>
std::vector<Level> levels_of(const std::vector<Entry>& entries) {
  std::vector<Level> levels;
  for (const Entry& entry : entries) levels.push_back(entry.level);
  levels.push_back(Level::portable);
  return levels;
}

template <typename Entry>
const auto* kernel_at(const std::vector<Entry>& entries, Level level) {
  for (const Entry& entry : entries) {
    if (entry.level == level) return &entry.kernel;
  }
  return static_cast<decltype(&entries.front().kernel)>(nullptr);
}

}  // namespace

const Family& portable_family() {
  static const Family family("scalar", {Level::portable});
  return family;
}
const Family& striped_family() {
  static const Family family("striped", levels_of(striped_entries()));
  return family;
}
const Family& interseq_family() {
  static const Family family("interseq", levels_of(interseq_entries()));
  return family;
}

const Family& alignment_family() {
  static const Family family("alignment", levels_of(alignment_entries()));
  return family;
}

const striped::Kernel* striped_kernel(Level level) { return kernel_at(striped_entries(), level); }
const interseq::Kernel* interseq_kernel(Level level) { return kernel_at(interseq_entries(), level); }
const alignment::Kernel* alignment_kernel(Level level) { return kernel_at(alignment_entries(), level); }

}  // namespace swl::kernels
