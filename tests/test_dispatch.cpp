// The dispatch table as C++ sees it (kernels/dispatch.hpp): level names,
// families, the "avx512" alias and the errors for names a family lacks. The
// fallbacks under SWLADDER_CPU_FEATURES, which is read once per process, are
// tested from Python in subprocesses (tests/python/test_dispatch_mask.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch.hpp"
#include "errors.hpp"
#include "scoped_env.hpp"

namespace swl {
namespace {

using kernels::Family;
using kernels::Level;
namespace interseq = kernels::interseq;

std::vector<std::string> words(std::string_view text) {
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), ',', ' ');
  std::istringstream in(spaced);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

bool is_avx512(Level level) { return kernels::level_name(level).starts_with("avx512"); }

std::vector<const Family*> families() {
  return {&kernels::striped_family(), &kernels::interseq_family(), &kernels::portable_family()};
}

// The InputError an action throws (its message), or nullopt when it throws none.
template <typename Action>
std::optional<std::string> input_error(Action action) {
  try {
    action();
  } catch (const InputError& error) {
    return std::string(error.what());
  }
  return std::nullopt;
}

TEST(Dispatch, LevelNamesAreUniqueAndScalarIsPortable) {
  const auto levels = kernels::all_levels();
  ASSERT_GE(levels.size(), 2U);
  EXPECT_EQ(levels.front(), Level::portable);
  EXPECT_EQ(kernels::level_name(Level::portable), "scalar");
  EXPECT_EQ(kernels::level_features(Level::portable), "");
  EXPECT_TRUE(kernels::cpu_runs(Level::portable));

  std::set<std::string> names;
  for (const Level level : levels) {
    const std::string name(kernels::level_name(level));
    EXPECT_TRUE(names.insert(name).second) << "level name '" << name << "' twice";
    if (level == Level::portable) continue;
    EXPECT_FALSE(name.empty());
    EXPECT_NE(name, "scalar") << "only the portable level is 'scalar'";
    EXPECT_NE(name, "avx512") << "'avx512' is the alias, not a level";
    EXPECT_FALSE(words(kernels::level_features(level)).empty()) << name << " lists no features";
  }
}

TEST(Dispatch, CpuRunsExactlyTheLevelsWhoseFeaturesItHas) {
  const auto has = words(kernels::cpu_features());
  const std::set<std::string> cpu(has.begin(), has.end());
  EXPECT_EQ(cpu.size(), has.size()) << "cpu_features() repeats a feature: " << kernels::cpu_features();
  std::set<std::string> table;
  for (const Level level : kernels::all_levels()) {
    bool all = true;
    for (const auto& feature : words(kernels::level_features(level))) {
      table.insert(feature);
      all = all && cpu.contains(feature);
    }
    EXPECT_EQ(kernels::cpu_runs(level), all) << kernels::level_name(level);
  }
  for (const auto& feature : cpu) EXPECT_TRUE(table.contains(feature)) << feature << " is in no level";
}

TEST(Dispatch, FamiliesEndWithScalarAndListRunnableKernelsBestFirst) {
  for (const Family* family : families()) {
    const auto levels = family->levels();
    ASSERT_FALSE(levels.empty()) << family->name();
    EXPECT_EQ(levels.back(), Level::portable) << family->name();
    EXPECT_EQ(std::count(levels.begin(), levels.end(), Level::portable), 1) << family->name();
    std::set<Level> seen(levels.begin(), levels.end());
    EXPECT_EQ(seen.size(), levels.size()) << family->name() << " lists a level twice";

    const auto all = family->all();
    ASSERT_FALSE(all.empty()) << family->name();
    EXPECT_EQ(all.back().level, Level::portable) << family->name();
    EXPECT_EQ(all.back().name, "scalar") << family->name();
    std::vector<std::string> expected;
    std::set<std::string> names;
    std::vector<Level> order;
    for (const kernels::KernelRef& kernel : all) {
      EXPECT_TRUE(names.insert(kernel.name).second) << family->name() << " lists " << kernel.name << " twice";
      if (kernels::cpu_runs(kernel.level)) expected.push_back(kernel.name);
      if (order.empty() || order.back() != kernel.level) order.push_back(kernel.level);
    }
    // A level's kernels are listed together, in the order of the levels.
    EXPECT_TRUE(std::equal(order.begin(), order.end(), levels.begin(), levels.end())) << family->name();
    EXPECT_EQ(family->runnable(), expected) << family->name();

    // SWLADDER_KERNEL cleared, so the default is the CPU's choice.
    const testing_support::ScopedEnv no_forced("SWLADDER_KERNEL", nullptr);
    EXPECT_EQ(family->choose("", "dispatch-test").name, expected.front()) << family->name();
  }
  EXPECT_EQ(kernels::portable_family().levels().size(), 1U);
  EXPECT_EQ(kernels::striped_kernel(Level::portable), nullptr);
  EXPECT_EQ(kernels::interseq_kernel(kernels::interseq_family().all().back()), nullptr);
}

TEST(Dispatch, LevelNamesAliasTheLevelsFirstKernelOrSayWhatIsMissing) {
  for (const Family* family : families()) {
    for (const Level level : family->levels()) {
      const std::string name(kernels::level_name(level));
      const auto all = family->all();
      const auto first = std::find_if(all.begin(), all.end(), [&](const auto& k) { return k.level == level; });
      ASSERT_NE(first, all.end());
      if (kernels::cpu_runs(level)) {
        const kernels::KernelRef& chosen = family->choose(name, "dispatch-test");
        EXPECT_EQ(chosen.level, level) << family->name() << ":" << name;
        EXPECT_EQ(chosen.name, first->name) << family->name() << ":" << name;
      } else {
        const auto message = input_error([&] { family->choose(name, "dispatch-test"); });
        ASSERT_TRUE(message) << family->name() << ":" << name << " chosen though the CPU lacks it";
        EXPECT_NE(message->find("'" + name + "'"), std::string::npos) << *message;
        EXPECT_NE(message->find(std::string(kernels::level_features(level))), std::string::npos) << *message;
        EXPECT_NE(message->find("lacks"), std::string::npos) << *message;
      }
    }
  }
}

// Interseq's levels offer variants only (SWL_VARIANT lines), named
// <level>/<columns>col/<form>, each its own compiled kernel.
TEST(Dispatch, InterseqVariantsAreNamedChosenByNameAndDistinct) {
  const Family& family = kernels::interseq_family();
  std::set<interseq::Function> functions;
  for (const kernels::KernelRef& kernel : family.all()) {
    if (kernel.level == Level::portable) continue;
    const std::string level(kernels::level_name(kernel.level));
    ASSERT_TRUE(kernel.name.starts_with(level + "/")) << kernel.name;
    const std::string rest = kernel.name.substr(level.size() + 1);
    const auto slash = rest.find('/');
    ASSERT_NE(slash, std::string::npos) << kernel.name;
    const std::string columns = rest.substr(0, slash);
    const std::string form = rest.substr(slash + 1);
    ASSERT_TRUE(columns.ends_with("col")) << kernel.name;
    const int count = std::stoi(columns.substr(0, columns.size() - 3));
    EXPECT_GE(count, 1) << kernel.name;
    EXPECT_LE(count, interseq::kMaxColumns) << kernel.name;
    const bool masks = form == "spread" || form == "spread/short" || form == "masked" || form == "masked/short";
    EXPECT_TRUE(form == "max" || form == "max/short" || (masks && level.starts_with("avx512"))) << kernel.name;
    const interseq::Kernel* compiled = kernels::interseq_kernel(kernel);
    ASSERT_NE(compiled, nullptr) << kernel.name;
    EXPECT_TRUE(functions.insert(compiled->search8).second) << kernel.name << " shares another's code";
    if (kernels::cpu_runs(kernel.level)) {
      EXPECT_EQ(&family.choose(kernel.name, "dispatch-test"), &kernel) << kernel.name;
    } else {
      const auto message = input_error([&] { family.choose(kernel.name, "dispatch-test"); });
      ASSERT_TRUE(message) << kernel.name << " chosen though the CPU lacks it";
      EXPECT_NE(message->find("'" + kernel.name + "'"), std::string::npos) << *message;
    }
  }
  EXPECT_GE(functions.size(), 4U) << "the AVX2 level alone offers four variants";
}

TEST(Dispatch, Avx512AliasIsTheFamilysFirstAvx512Level) {
  for (const Family* family : families()) {
    const auto levels = family->levels();
    const auto first = std::find_if(levels.begin(), levels.end(), is_avx512);
    const auto message = input_error([&] { family->choose("avx512", "dispatch-test"); });
    if (first == levels.end()) {
      ASSERT_TRUE(message) << family->name() << " has no AVX-512 level, yet 'avx512' chose one";
      EXPECT_NE(message->find("no kernel 'avx512'"), std::string::npos) << *message;
    } else if (kernels::cpu_runs(*first)) {
      EXPECT_FALSE(message) << *message;
      EXPECT_EQ(family->choose("avx512", "dispatch-test").level, *first) << family->name();
    } else {
      ASSERT_TRUE(message) << family->name() << ": 'avx512' chosen though the CPU lacks "
                           << kernels::level_name(*first);
      EXPECT_NE(message->find("(" + std::string(kernels::level_name(*first))), std::string::npos)
          << "the alias must resolve to the family's first AVX-512 level: " << *message;
      EXPECT_NE(message->find("lacks"), std::string::npos) << *message;
    }
  }
  // The table gives striped and interseq AVX-512 levels of their own.
  const auto striped = kernels::striped_family().levels();
  const auto interseq = kernels::interseq_family().levels();
  EXPECT_TRUE(std::any_of(striped.begin(), striped.end(), is_avx512));
  EXPECT_TRUE(std::any_of(interseq.begin(), interseq.end(), is_avx512));
}

TEST(Dispatch, UnknownNamesThrowListingTheKernels) {
  for (const Family* family : families()) {
    for (const char* unknown : {"avx3", "SCALAR", "sse4.1", "avx512x", "python", " avx2"}) {
      const auto message = input_error([&] { family->choose(unknown, "dispatch-test"); });
      ASSERT_TRUE(message) << family->name() << " accepted '" << unknown << "'";
      EXPECT_NE(message->find("stage 'dispatch-test' has no kernel '" + std::string(unknown) + "'"),
                std::string::npos)
          << *message;
      std::string listed;
      for (const kernels::KernelRef& kernel : family->all()) listed += (listed.empty() ? "" : ", ") + kernel.name;
      EXPECT_NE(message->find("(it has: " + listed + ")"), std::string::npos) << *message;
    }
  }
}

TEST(Dispatch, FeatureMaskTakesTheTablesFeaturesAndRejectsOthers) {
  EXPECT_EQ(kernels::parse_feature_mask("sse4.1,avx2 bmi2"), (std::vector<std::string>{"sse4.1", "avx2", "bmi2"}));
  EXPECT_TRUE(kernels::parse_feature_mask("").empty());
  for (const kernels::Level level : kernels::all_levels()) {
    EXPECT_EQ(kernels::parse_feature_mask(kernels::level_features(level)), words(kernels::level_features(level)));
  }
  for (const char* typo : {"avx-2", "AVX2", "sse41", "avx512"}) {
    const auto message = input_error([&] { kernels::parse_feature_mask(std::string("sse4.1,") + typo); });
    ASSERT_TRUE(message) << "accepted '" << typo << "'";
    EXPECT_EQ(*message, "SWLADDER_CPU_FEATURES: unknown feature '" + std::string(typo) +
                            "' (known: sse4.1, avx2, bmi2, avx512f, avx512bw, avx512vl, avx512vbmi; comma or space "
                            "separated)");
  }
}

}  // namespace
}  // namespace swl
