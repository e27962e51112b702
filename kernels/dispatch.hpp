// Run-time choice of a SIMD kernel, from the one table in dispatch_table.def.
// Each kernel family (striped, interseq) is compiled once per instruction-set
// level it lists there, each time in its own translation unit with exactly
// that level's flags; here the CPU is asked, once per process, which levels
// may run, and a stage's request ("", a level name, or an alias) becomes one
// kernel of the family. Models: simdutf's implementation objects, Highway's
// dynamic dispatch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alignment_kernel.hpp"
#include "interseq_kernel.hpp"
#include "striped_kernel.hpp"

namespace swl::kernels {

// "portable" is the scalar code every CPU runs; its kernel is named "scalar".
enum class Level : std::uint8_t {
  portable,
#define SWL_ISA_LEVEL(level, features) level,
#define SWL_KERNEL(family, level)
#define SWL_VARIANT(family, level, columns, form)
#include "dispatch_table.def"
#undef SWL_ISA_LEVEL
#undef SWL_KERNEL
#undef SWL_VARIANT
};

std::string_view level_name(Level level);     // "scalar", "sse41", "avx2", ...
std::string_view level_features(Level level);  // "sse4.1 avx2 bmi2" ("" for portable)
std::span<const Level> all_levels();          // every level of the table, portable first

// Whether this CPU (as masked by SWLADDER_CPU_FEATURES, see cpu.cpp) has
// every feature of the level. Asked once per process.
bool cpu_runs(Level level);
// The table's features this CPU has, space-separated ("sse4.1 avx2 bmi2 ...").
std::string cpu_features();
// The words of a SWLADDER_CPU_FEATURES value (comma or space separated). A
// word that is no feature of the table is an InputError naming it: a typo
// would otherwise hide every SIMD level and run the scalar code.
std::vector<std::string> parse_feature_mask(std::string_view mask);

// One kernel a family offers: a level's kernel, or one of its variants
// (SWL_VARIANT lines), or the portable scalar code.
struct KernelRef {
  Level level;
  std::string name;   // "avx2/4col/max"; the level's name where it has no variants ("sse41", "scalar")
  std::size_t index;  // into the family's compiled kernels; unused for the portable level
};

// What a family offers, in order of preference, then the portable level,
// whose kernel is empty: the stage runs its scalar code instead.
class Family {
 public:
  std::string_view name() const { return name_; }
  // Its levels, in order of preference, portable last.
  std::span<const Level> levels() const { return levels_; }
  // Every kernel, in order of preference (a level's variants together, its
  // default first), portable last.
  std::span<const KernelRef> all() const { return kernels_; }
  // Names of the kernels this CPU runs, best first ("scalar" last): every
  // variant once, no aliases. What a tuner times.
  std::vector<std::string> runnable() const;
  // Whether `name` is a kernel of the family or an alias of one (see
  // choose), whether or not this CPU runs it.
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // The kernel to run for a stage's request, throwing InputError for a name
  // the family lacks or the CPU cannot run:
  // - `requested` is a kernel's name, a level's name (an alias of that
  //   level's first kernel, its default variant), "avx512" (the family's
  //   first AVX-512 level), or "" for the default;
  // - the default is SWLADDER_KERNEL where that names a kernel or alias of
  //   the family (read once per process), else the first kernel this CPU
  //   runs. It is resolved once and cached.
  const KernelRef& choose(std::string_view requested, std::string_view stage_name) const;

  Family(std::string_view name, std::vector<KernelRef> kernels);

 private:
  const KernelRef* find(std::string_view name) const;
  std::string_view name_;
  std::vector<KernelRef> kernels_;
  std::vector<Level> levels_;
};

const Family& striped_family();
const Family& interseq_family();
const Family& alignment_family();  // the passes of an alignment (search/fast_alignment)
const Family& portable_family();  // for stages with scalar code only

// The compiled kernel of a family at `level` (striped has no variants) or
// for a kernel of the family; nullptr for the portable level.
const striped::Kernel* striped_kernel(Level level);
const interseq::Kernel* interseq_kernel(const KernelRef& kernel);
const alignment::Kernel* alignment_kernel(Level level);

}  // namespace swl::kernels
