// Every stage in the registry, with every kernel this CPU runs, against the
// reference on the fixed-seed corpus. SWL_VERIFY_LARGE=1 adds the titin-size
// and large random sweep (slow; run by hand), SWL_VERIFY_SEED changes the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "error_of.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "registry.hpp"
#include "scoped_env.hpp"
#include "verify.hpp"

namespace swl {
namespace {

std::vector<std::string> bundled_sample() {
  std::vector<std::string> sample;
  const auto records = read_fasta(std::string(SWL_SOURCE_DIR) + "/data/tursiops_sample.fa");
  for (std::size_t i = 0; i < records.size() && sample.size() < 300; i += 7) sample.push_back(records[i].sequence);
  return sample;
}

const std::vector<VerifyCase>& corpus() {
  static const std::vector<VerifyCase> cases = [] {
    CorpusOptions options;
    if (const char* seed = std::getenv("SWL_VERIFY_SEED")) options.seed = std::strtoull(seed, nullptr, 10);
    if (const char* large = std::getenv("SWL_VERIFY_LARGE")) options.large = std::string(large) == "1";
    options.real_sequences = bundled_sample();
    return build_corpus(options);
  }();
  return cases;
}

struct StageKernel {
  const Stage* stage;
  std::string kernel;
  int threads;
};

std::vector<StageKernel> every_stage_and_kernel() {
  std::vector<StageKernel> all;
  for (const Stage* stage : registry()) {
    for (const auto& kernel : stage->kernels()) {
      all.push_back({stage, kernel, 1});
      if (stage->threaded()) all.push_back({stage, kernel, 2});
      if (stage->threaded()) all.push_back({stage, kernel, 3});
    }
  }
  return all;
}

// Names the parameter in ctest's listing instead of dumping its bytes.
void PrintTo(const StageKernel& value, std::ostream* out) {
  *out << value.stage->name() << " kernel " << value.kernel << " threads " << value.threads;
}

class EveryStage : public ::testing::TestWithParam<StageKernel> {};

TEST_P(EveryStage, MatchesReferenceOnCorpus) {
  const auto& [stage, kernel, threads] = GetParam();
  const VerifyReport report = verify_stage(*stage, corpus(), {threads, kernel});
  EXPECT_TRUE(report.passed) << report.describe();
  EXPECT_EQ(report.kernel, kernel) << "the kernel that ran is not the one requested";
  EXPECT_GT(report.pairs, 100u);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryStage, ::testing::ValuesIn(every_stage_and_kernel()),
                         [](const ::testing::TestParamInfo<StageKernel>& param_info) {
                           // Variant names have slashes (avx2/4col/max); test names may not.
                           std::string kernel = param_info.param.kernel;
                           std::replace(kernel.begin(), kernel.end(), '/', '_');
                           return std::string(param_info.param.stage->name()) + "_" + kernel + "_t" +
                                  std::to_string(param_info.param.threads);
                         });

TEST(Registry, LadderOrderStartsWithNaiveThenScalar) {
  ASSERT_GE(registry().size(), 2u);
  EXPECT_EQ(registry()[0]->name(), "naive");
  EXPECT_EQ(registry()[1]->name(), "scalar");
  for (const Stage* stage : registry()) {
    EXPECT_EQ(find_stage(stage->name()), stage);
    EXPECT_FALSE(stage->summary().empty());
  }
  EXPECT_THROW(get_stage("no-such-stage"), InputError);
}

TEST(Registry, OneReferenceRungCheckedAgainstTheRungBelowIt) {
  std::size_t references = 0;
  for (const Stage* stage : registry()) references += stage->is_reference();
  EXPECT_EQ(references, 1u);
  const Stage& reference = reference_stage();
  EXPECT_EQ(reference.name(), "scalar");
  EXPECT_EQ(&reference_for(reference), &get_stage("naive"));
  for (const Stage* stage : registry()) {
    if (stage != &reference) {
      EXPECT_EQ(&reference_for(*stage), &reference) << stage->name();
    }
  }
}

TEST(Registry, EveryStageValidatesTheKernelItIsAskedFor) {
  const Database db = Database::from_sequences({"ACDEFGHIK"});
  for (const Stage* stage : registry()) {
    EXPECT_THROW(stage->search(encode("ACD"), db, Scoring(), {1, "avx1024"}), InputError) << stage->name();
    for (const std::string& kernel : stage->kernels()) {
      EXPECT_EQ(stage->search(encode("ACD"), db, Scoring(), {1, kernel}).kernel, kernel) << stage->name();
    }
    // On empty input too: the request is checked before the shortcut.
    EXPECT_THROW(stage->search(encode(""), db, Scoring(), {1, "avx1024"}), InputError) << stage->name();
  }
}

TEST(Registry, ForcedKernelThatNoStageHasIsATypoNotAChoice) {
  const Database db = Database::from_sequences({"ACDEFGHIK"});
  const Stage& interseq = get_stage("interseq");
  const std::string variant = interseq.kernels().front();
  {
    // Another stage's kernel: the stages without it run their default.
    const testing_support::ScopedEnv forced("SWLADDER_KERNEL", variant.c_str());
    EXPECT_EQ(interseq.search(encode("ACD"), db, Scoring()).kernel, variant);
    EXPECT_EQ(get_stage("scalar").search(encode("ACD"), db, Scoring()).kernel, "scalar");
    EXPECT_EQ(get_stage("vectorised").search(encode("ACD"), db, Scoring()).kernel, "eigen");
    EXPECT_NO_THROW(check_forced_kernel());
  }
#if defined(__x86_64__)
  {
    // Every AVX-512 kernel is a name interseq has, whether this CPU runs it or not.
    const testing_support::ScopedEnv forced("SWLADDER_KERNEL", "avx512vbmi/8col/max");
    EXPECT_NO_THROW(check_forced_kernel());
    EXPECT_EQ(get_stage("scalar").search(encode("ACD"), db, Scoring()).kernel, "scalar");
  }
#endif
  {
    const testing_support::ScopedEnv forced("SWLADDER_KERNEL", "python");  // the Python rungs' kernel
    EXPECT_NO_THROW(check_forced_kernel());
    EXPECT_EQ(get_stage("scalar").search(encode("ACD"), db, Scoring()).kernel, "scalar");
  }
  for (const char* typo : {"avx2/4col/mx", "bogus", "AVX2", "Python"}) {
    const testing_support::ScopedEnv forced("SWLADDER_KERNEL", typo);
    for (const Stage* stage : registry()) {
      const std::string message = testing_support::error_of([&] { stage->search(encode("ACD"), db, Scoring()); });
      EXPECT_EQ(message.rfind("SWLADDER_KERNEL: no stage has a kernel '" + std::string(typo) +
                                  "' (kernels this CPU runs: ",
                              0),
                0U)
          << stage->name() << ": " << message;
      EXPECT_NE(message.find(variant), std::string::npos) << message;
      // A kernel named in the request does not consult the variable.
      const std::string asked = stage->kernels().front();
      EXPECT_EQ(stage->search(encode("ACD"), db, Scoring(), {1, asked}).kernel, asked) << stage->name();
    }
  }
  const testing_support::ScopedEnv empty("SWLADDER_KERNEL", "");
  EXPECT_NO_THROW(check_forced_kernel());
}

TEST(Harness, ReportsTheFirstMismatch) {
  // A stage that is off by one on one subject must fail, with the case named.
  class OffByOne final : public Stage {
   public:
    std::string_view name() const override { return "off_by_one"; }
    std::string_view summary() const override { return "scalar, wrong once"; }

   protected:
    SearchResult run(std::span<const std::uint8_t> q, const Database& db, const Scoring& s,
                     const RunOptions&) const override {
      SearchResult result = get_stage("scalar").search(q, db, s);
      if (db.size() > 3 && q.size() == 64) result.scores[3] += 1;
      return result;
    }
  } broken;
  const VerifyReport report = verify_stage(broken, corpus(), {});
  ASSERT_FALSE(report.passed);
  ASSERT_TRUE(report.first_mismatch.has_value());
  EXPECT_EQ(report.first_mismatch->subject_index, 3u);
  EXPECT_EQ(report.first_mismatch->actual, report.first_mismatch->expected + 1);
  EXPECT_NE(report.describe().find("FAILED"), std::string::npos);
}

TEST(Workload, ConventionGapOfLengthKCostsOpenPlusKExtend) {
  // Query WWWWWWWWWW against WWWWW + AAA + WWWWW... constructed so the best
  // alignment has exactly one gap of length 3: 10 W matches (110) minus
  // open + 3 * extend.
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  const auto query = encode("WWWWWWWWWWWWWWWWWWWW");                 // 20 W
  const Database db = Database::from_sequences({"WWWWWWWWWWPPPWWWWWWWWWW"});  // 10 W, gap 3, 10 W
  for (const Stage* stage : registry()) {
    const auto result = stage->search(query, db, scoring);
    ASSERT_EQ(result.scores.size(), 1u);
    EXPECT_EQ(result.scores[0], 20 * 11 - (11 + 3 * 1)) << stage->name();
  }
}

// Every pair of letters, U, O, J and lowercase included, on every rung and
// kernel: WWWWaWWWW against WWWWbWWWW under BLOSUM62 11/1 scores 8 W/W (88)
// plus the a/b entry (at least -4, and a gap around it would cost 24), so the
// score shows the entry each rung used, and U must use C's, O K's, J the
// better of I's and L's.
TEST_P(EveryStage, ScoresEveryLetterPairAsTheMatrixRuleSays) {
  const auto& [stage, kernel, threads] = GetParam();
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  std::string letters(kAlphabet);
  for (const char c : std::string("arndcqeghilkmfpstwyvbzxuoj")) letters += c;
  std::vector<std::string> subjects;
  for (const char b : letters) subjects.push_back(std::string("WWWW") + b + "WWWW");
  const Database db = Database::from_sequences(subjects);
  const auto code = [](char c) { return encode(std::string(1, c))[0]; };
  // The rule spelled out here, apart from the matrix code: the entry of a
  // letter against another is the best over their stand-ins.
  const auto stand_ins = [&](char c) -> std::string {
    switch (std::toupper(static_cast<unsigned char>(c))) {
      case 'U': return "C";
      case 'O': return "K";
      case 'J': return "IL";
      default: return std::string(1, c);
    }
  };
  for (const char a : letters) {
    const auto result = stage->search(encode(std::string("WWWW") + a + "WWWW"), db, scoring, {threads, kernel});
    ASSERT_EQ(result.scores.size(), subjects.size());
    for (std::size_t k = 0; k < letters.size(); ++k) {
      int entry = -128;
      for (const char x : stand_ins(a)) {
        for (const char y : stand_ins(letters[k])) entry = std::max(entry, scoring.matrix.score(code(x), code(y)));
      }
      EXPECT_EQ(result.scores[k], 88 + entry) << stage->name() << " " << kernel << ": " << a << "/" << letters[k];
    }
  }
  const auto u = stage->search(encode("U"), Database::from_sequences({"C", "U", "c", "u"}), scoring, {threads, kernel});
  EXPECT_EQ(u.scores, (std::vector<std::int32_t>{9, 9, 9, 9})) << stage->name() << " " << kernel;
}

TEST(Workload, EmptyQueryEmptySubjectEmptyDatabase) {
  const Scoring scoring;
  for (const Stage* stage : registry()) {
    EXPECT_TRUE(stage->search(encode("ACD"), Database(), scoring).scores.empty()) << stage->name();
    const Database db = Database::from_sequences({"", "ACD", ""});
    EXPECT_EQ(stage->search(encode(""), db, scoring).scores, (std::vector<std::int32_t>{0, 0, 0})) << stage->name();
    EXPECT_EQ(stage->search(encode("ACD"), db, scoring).scores, (std::vector<std::int32_t>{0, 4 + 9 + 6, 0}))
        << stage->name();
  }
}

TEST(Workload, InvalidPenaltiesAreRejectedBeforeAnyStageRuns) {
  Scoring scoring;
  scoring.gap_open = 0;
  scoring.gap_extend = 0;
  for (const Stage* stage : registry()) {
    EXPECT_THROW(stage->search(encode("ACD"), Database::from_sequences({"ACD"}), scoring), InputError);
  }
}

}  // namespace
}  // namespace swl
