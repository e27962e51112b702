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
// A family's level with variants offers those (SWL_VARIANT lines) instead.
#if defined(SWL_X86_KERNELS)
#define SWL_ISA_LEVEL(level, features)
#define SWL_KERNEL(family, level) \
  namespace swl::kernels::level { \
  family::Kernel family##_kernel(); \
  }
#define SWL_VARIANT(family, level, columns, form) \
  namespace swl::kernels::level { \
  family::Kernel family##_##columns##col_##form(); \
  }
#include "dispatch_table.def"
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#undef SWL_VARIANT
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
#define SWL_VARIANT(family, level, columns, form)
#include "dispatch_table.def"
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#undef SWL_VARIANT
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

std::vector<std::string_view> table_features() {
  std::vector<std::string_view> known;
  for (const LevelInfo& level : kLevels) {
    for_each_feature(level.features, [&](std::string_view feature) {
      if (std::find(known.begin(), known.end(), feature) == known.end()) known.push_back(feature);
    });
  }
  return known;
}

// SWLADDER_CPU_FEATURES, for tests: dispatch then sees only the features it
// lists (and the CPU has), as on an older CPU. Read once per process; a bad
// value throws from every call that asks, so each search reports it.
struct CpuView {
  std::array<bool, kLevelCount> runs{};
  std::string features;

  CpuView() {
    const char* mask_text = std::getenv("SWLADDER_CPU_FEATURES");
    const std::optional<std::vector<std::string>> mask =
        mask_text == nullptr ? std::nullopt : std::optional(parse_feature_mask(mask_text));
    const auto present = [&](std::string_view feature) {
      if (!cpu_has_feature(feature)) return false;
      return !mask || std::find(mask->begin(), mask->end(), feature) != mask->end();
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

std::string join_names(std::span<const KernelRef> kernels) {
  std::string out;
  for (const KernelRef& kernel : kernels) out += (out.empty() ? "" : ", ") + kernel.name;
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

std::vector<std::string> parse_feature_mask(std::string_view mask) {
  const std::vector<std::string_view> known = table_features();
  std::vector<std::string> words;
  for_each_feature(mask, [&](std::string_view word) {
    if (std::find(known.begin(), known.end(), word) == known.end()) {
      std::string names;
      for (std::string_view name : known) names += (names.empty() ? "" : ", ") + std::string(name);
      throw InputError("SWLADDER_CPU_FEATURES: unknown feature '" + std::string(word) + "' (known: " + names +
                       "; comma or space separated)");
    }
    words.emplace_back(word);
  });
  return words;
}

bool cpu_runs(Level level) { return cpu().runs[static_cast<std::size_t>(level)]; }
std::string cpu_features() { return cpu().features; }

Family::Family(std::string_view name, std::vector<KernelRef> kernels) : name_(name), kernels_(std::move(kernels)) {
  for (const KernelRef& kernel : kernels_) {
    if (std::find(levels_.begin(), levels_.end(), kernel.level) == levels_.end()) levels_.push_back(kernel.level);
  }
}

std::vector<std::string> Family::runnable() const {
  std::vector<std::string> names;
  for (const KernelRef& kernel : kernels_) {
    if (kernel.level == Level::portable || cpu_runs(kernel.level)) names.push_back(kernel.name);
  }
  return names;
}

const KernelRef* Family::find(std::string_view name) const {
  for (const KernelRef& kernel : kernels_) {
    if (kernel.name == name) return &kernel;
  }
  // Aliases: a level's name, or "avx512", names the first kernel of the level.
  for (const KernelRef& kernel : kernels_) {
    if (level_name(kernel.level) == name || (name == "avx512" && is_avx512(kernel.level))) return &kernel;
  }
  return nullptr;
}

const KernelRef& Family::choose(std::string_view requested, std::string_view stage_name) const {
  const auto runnable_or_throw = [&](const KernelRef& kernel, std::string_view asked,
                                     std::string_view origin) -> const KernelRef& {
    if (kernel.level != Level::portable && !cpu_runs(kernel.level)) {
      // An alias names the kernel it stands for too ('avx512' (avx512vbmi/8col/spread)).
      const std::string stands_for = asked == kernel.name ? "" : " (" + kernel.name + ")";
      throw InputError(std::string(origin) + ": kernel '" + std::string(asked) + "'" + stands_for + " of stage '" +
                       std::string(stage_name) + "' needs " + std::string(level_features(kernel.level)) +
                       ", which this CPU lacks (CPU has: " + cpu_features() + ")");
    }
    return kernel;
  };

  if (!requested.empty()) {
    const KernelRef* kernel = find(requested);
    if (kernel == nullptr) {
      throw InputError("stage '" + std::string(stage_name) + "' has no kernel '" + std::string(requested) +
                       "' (it has: " + join_names(kernels_) + ")");
    }
    return runnable_or_throw(*kernel, requested, "kernel");
  }

  // The default, resolved once per value of SWLADDER_KERNEL (tests change it
  // within one process); the error of an unrunnable forced kernel is kept too.
  static std::mutex mutex;
  static std::map<std::pair<const Family*, std::string>, std::variant<const KernelRef*, std::string>> cache;
  const char* forced = std::getenv("SWLADDER_KERNEL");
  const std::string forced_name = forced != nullptr ? forced : "";
  std::variant<const KernelRef*, std::string> choice;
  {
    const std::lock_guard lock(mutex);
    const auto key = std::make_pair(this, forced_name);
    auto found = cache.find(key);
    if (found == cache.end()) {
      std::variant<const KernelRef*, std::string> resolved = &kernels_.back();
      const KernelRef* kernel = forced_name.empty() ? nullptr : find(forced_name);
      try {
        if (kernel != nullptr) {
          resolved = &runnable_or_throw(*kernel, forced_name, "SWLADDER_KERNEL");
        } else {
          for (const KernelRef& candidate : kernels_) {
            if (candidate.level == Level::portable || cpu_runs(candidate.level)) {
              resolved = &candidate;
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
  return *std::get<const KernelRef*>(choice);
}

// The compiled kernels of each family, in the table's order of preference.
// The table's lines expand once per family, keeping only that family's; a
// level with SWL_VARIANT lines has its SWL_KERNEL line stand for them.
struct StripedEntry {
  Level level;
  std::string name;
  striped::Kernel kernel;
};
struct InterseqEntry {
  Level level;
  std::string name;
  interseq::Kernel kernel;
};
struct AlignmentEntry {
  Level level;
  std::string name;
  alignment::Kernel kernel;
};

namespace {

// avx2, 4, max_short: "avx2/4col/max/short".
std::string variant_name(std::string_view level, int columns, std::string_view form) {
  std::string name(level);
  name += '/';
  name += std::to_string(columns);
  name += "col/";
  name += form;
  std::replace(name.begin(), name.end(), '_', '/');
  return name;
}

}  // namespace

#if defined(SWL_X86_KERNELS)
#define SWL_ISA_LEVEL(level, features)
#define SWL_KERNEL(family, level) SWL_KERNEL_##family(level)
#define SWL_VARIANT(family, level, columns, form) SWL_VARIANT_##family(level, columns, form)
#define SWL_KERNEL_striped(level) StripedEntry{Level::level, #level, level::striped_kernel()},
#define SWL_VARIANT_striped(level, columns, form)
#define SWL_KERNEL_interseq(level)
#define SWL_VARIANT_interseq(level, columns, form)
#define SWL_KERNEL_alignment(level)
#define SWL_VARIANT_alignment(level, columns, form)
const std::vector<StripedEntry>& striped_entries() {
  static const std::vector<StripedEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_KERNEL_striped
#undef SWL_VARIANT_interseq
#define SWL_KERNEL_striped(level)
#define SWL_VARIANT_interseq(level, columns, form) \
  InterseqEntry{Level::level, variant_name(#level, columns, #form), level::interseq_##columns##col_##form()},
const std::vector<InterseqEntry>& interseq_variants() {
  static const std::vector<InterseqEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_VARIANT_interseq
#undef SWL_KERNEL_interseq
#define SWL_VARIANT_interseq(level, columns, form)
#define SWL_KERNEL_interseq(level) Level::level,
const std::vector<Level>& interseq_levels() {
  static const std::vector<Level> levels = {
#include "dispatch_table.def"
  };
  return levels;
}
// The variants in the order of the levels (the SWL_KERNEL lines), each
// level's in the order of its SWL_VARIANT lines.
const std::vector<InterseqEntry>& interseq_entries() {
  static const std::vector<InterseqEntry> entries = [] {
    std::vector<InterseqEntry> ordered;
    for (const Level level : interseq_levels()) {
      for (const InterseqEntry& entry : interseq_variants()) {
        if (entry.level == level) ordered.push_back(entry);
      }
    }
    return ordered;
  }();
  return entries;
}
#undef SWL_KERNEL_striped
#undef SWL_VARIANT_striped
#undef SWL_KERNEL_interseq
#undef SWL_VARIANT_interseq
#undef SWL_KERNEL_alignment
#define SWL_KERNEL_striped(level)
#define SWL_VARIANT_striped(level, columns, form)
#define SWL_KERNEL_interseq(level)
#define SWL_VARIANT_interseq(level, columns, form)
#define SWL_KERNEL_alignment(level) AlignmentEntry{Level::level, #level, level::alignment_kernel()},
const std::vector<AlignmentEntry>& alignment_entries() {
  static const std::vector<AlignmentEntry> entries = {
#include "dispatch_table.def"
  };
  return entries;
}
#undef SWL_KERNEL_striped
#undef SWL_VARIANT_striped
#undef SWL_KERNEL_interseq
#undef SWL_VARIANT_interseq
#undef SWL_KERNEL_alignment
#undef SWL_VARIANT_alignment
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#undef SWL_VARIANT
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
std::vector<KernelRef> refs_of(const std::vector<Entry>& entries) {
  std::vector<KernelRef> refs;
  for (std::size_t i = 0; i < entries.size(); ++i) refs.push_back({entries[i].level, entries[i].name, i});
  refs.push_back({Level::portable, std::string(level_name(Level::portable)), entries.size()});
  return refs;
}

}  // namespace

const Family& portable_family() {
  static const Family family("scalar", {{Level::portable, std::string(level_name(Level::portable)), 0}});
  return family;
}
const Family& striped_family() {
  static const Family family("striped", refs_of(striped_entries()));
  return family;
}
const Family& interseq_family() {
  static const Family family("interseq", refs_of(interseq_entries()));
  return family;
}

const Family& alignment_family() {
  static const Family family("alignment", refs_of(alignment_entries()));
  return family;
}

const striped::Kernel* striped_kernel(Level level) {
  for (const StripedEntry& entry : striped_entries()) {
    if (entry.level == level) return &entry.kernel;
  }
  return nullptr;
}
const interseq::Kernel* interseq_kernel(const KernelRef& kernel) {
  const auto& entries = interseq_entries();
  if (kernel.level == Level::portable || kernel.index >= entries.size()) return nullptr;
  return &entries[kernel.index].kernel;
}

const alignment::Kernel* alignment_kernel(Level level) {
  for (const AlignmentEntry& entry : alignment_entries()) {
    if (entry.level == level) return &entry.kernel;
  }
  return nullptr;
}

}  // namespace swl::kernels
