// The striped and openmp rungs beyond the registry-wide corpus: kernel
// choice (option, environment, errors), the saturation cascade (8-bit lanes,
// then 16-bit, then the scalar stage) and threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "alphabet.hpp"
#include "cpus.hpp"
#include "errors.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "dispatch.hpp"
#include "scoped_env.hpp"
#include "synthetic.hpp"

namespace swl {
namespace {

const std::vector<std::string> kStripedStages = {"striped", "openmp"};

using testing_support::ScopedEnv;

std::vector<std::int32_t> reference_scores(const std::vector<std::uint8_t>& query, const Database& db,
                                           const Scoring& scoring) {
  return get_stage("scalar").search(query, db, scoring).scores;
}

struct Homologs {
  std::vector<std::uint8_t> query;
  Database db;
};

// A query, some of its mutants and some unrelated proteins.
Homologs homologs(std::uint64_t seed, std::size_t query_length, int subjects, double substitution) {
  SplitMix64 rng(seed);
  const std::string query = random_protein(rng, query_length);
  std::vector<std::string> sequences;
  for (int k = 0; k < subjects; ++k) {
    if (k % 3 == 0) {
      sequences.push_back(random_protein(rng, 1 + rng.below(2 * query_length)));
      continue;
    }
    std::string mutant;
    for (const char c : query) {
      const double u = rng.uniform();
      if (u < 0.02) continue;
      if (u < 0.04) mutant += random_protein(rng, 1 + rng.below(4));
      mutant += rng.uniform() < substitution ? random_protein(rng, 1)[0] : c;
    }
    sequences.push_back(mutant);
  }
  return {encode(query), Database::from_sequences(sequences)};
}

TEST(StripedKernels, BothRungsListTheSameKernelsBestFirstEndingInScalar) {
  for (const auto& name : kStripedStages) {
    const auto kernels = get_stage(name).kernels();
    ASSERT_FALSE(kernels.empty()) << name;
    EXPECT_EQ(kernels.back(), "scalar") << name;
    EXPECT_EQ(kernels, kernels::striped_family().runnable()) << name;
  }
  EXPECT_FALSE(get_stage("striped").threaded());
  EXPECT_TRUE(get_stage("openmp").threaded());
}

TEST(StripedKernels, ForcingAKernelByOptionOrEnvironmentRunsThatKernel) {
  const auto [query, db] = homologs(11, 150, 30, 0.3);
  const Scoring scoring;
  const auto expected = reference_scores(query, db, scoring);
  for (const bool by_environment : {false, true}) {
    for (const auto& name : kStripedStages) {
      for (const auto& kernel : get_stage(name).kernels()) {
        const ScopedEnv forced("SWLADDER_KERNEL", by_environment ? kernel.c_str() : "");
        const auto result = get_stage(name).search(query, db, scoring, {1, by_environment ? "" : kernel});
        EXPECT_EQ(result.kernel, kernel) << name << (by_environment ? " (SWLADDER_KERNEL)" : " (option)");
        EXPECT_EQ(result.scores, expected) << name << " " << kernel;
      }
    }
  }
}

TEST(StripedKernels, WithoutARequestTheBestKernelRuns) {
  const ScopedEnv cleared("SWLADDER_KERNEL", "");
  const auto [query, db] = homologs(13, 40, 5, 0.3);
  for (const auto& name : kStripedStages) {
    EXPECT_EQ(get_stage(name).search(query, db, Scoring()).kernel, get_stage(name).kernels().front()) << name;
  }
}

TEST(StripedKernels, UnknownOrUnsupportedKernelIsAnInputError) {
  const auto [query, db] = homologs(14, 40, 5, 0.3);
  const Scoring scoring;
  const auto supported = kernels::striped_family().runnable();
  for (const auto& name : kStripedStages) {
    EXPECT_THROW(get_stage(name).search(query, db, scoring, {1, "avx1024"}), InputError) << name;
    for (const kernels::Level level : kernels::striped_family().levels()) {
      const std::string kernel(kernels::level_name(level));
      if (std::find(supported.begin(), supported.end(), kernel) != supported.end()) continue;
      EXPECT_THROW(get_stage(name).search(query, db, scoring, {1, kernel}), InputError) << name << " " << kernel;
      const ScopedEnv forced("SWLADDER_KERNEL", kernel.c_str());
      EXPECT_THROW(get_stage(name).search(query, db, scoring), InputError) << name << " " << kernel;
    }
  }
}

TEST(StripedCascade, EverySubjectSaturatingEightBitsIsRescoredExactly) {
  // Near-copies of a 200-residue query score far beyond 255.
  SplitMix64 rng(15);
  const std::string text = random_protein(rng, 200);
  std::vector<std::string> sequences;
  for (int k = 0; k < 12; ++k) {
    std::string mutant = text;
    mutant[rng.below(mutant.size())] = 'W';
    sequences.push_back(mutant.substr(rng.below(20)));
  }
  const auto query = encode(text);
  const Database db = Database::from_sequences(sequences);
  const Scoring scoring;
  const auto expected = reference_scores(query, db, scoring);
  for (const std::int32_t score : expected) ASSERT_GT(score, 255);
  for (const auto& name : kStripedStages) {
    for (const auto& kernel : get_stage(name).kernels()) {
      if (kernel == "scalar") continue;  // no narrow lanes to saturate
      for (const int threads : {1, 2}) {
        const auto result = get_stage(name).search(query, db, scoring, {threads, kernel});
        EXPECT_EQ(result.scores, expected) << name << " " << kernel << " t" << threads;
        EXPECT_EQ(result.rescored, db.size()) << name << " " << kernel << " t" << threads;
      }
    }
  }
}

TEST(StripedCascade, UnsaturatedSubjectsAreNotRescored) {
  const auto [query, db] = homologs(16, 60, 30, 0.6);
  const Scoring scoring;
  const auto expected = reference_scores(query, db, scoring);
  for (const std::int32_t score : expected) ASSERT_LT(score, 200);
  for (const auto& name : kStripedStages) {
    const auto result = get_stage(name).search(query, db, scoring, {2, ""});
    EXPECT_EQ(result.scores, expected) << name;
    EXPECT_EQ(result.rescored, 0u) << name;
  }
}

TEST(StripedCascade, ScoresPastSixteenBitsAreExact) {
  // Poly-W: 11 per residue with BLOSUM62. 3,000 residues score 33,000 (past a
  // signed 16-bit lane), 5,990 and 6,000 score 65,890 and 66,000 (past any
  // 16-bit lane, so the scalar stage scores them, in parallel for openmp).
  const std::string poly_w(6000, 'W');
  const auto query = encode(poly_w);
  SplitMix64 rng(17);
  const Database db = Database::from_sequences(
      {random_protein(rng, 300), poly_w.substr(0, 3000), poly_w, "WWW", poly_w.substr(0, 5990),
       random_protein(rng, 2000)});
  const Scoring scoring;
  const auto expected = reference_scores(query, db, scoring);
  ASSERT_EQ(expected[1], 33000);
  ASSERT_EQ(expected[2], 66000);
  ASSERT_EQ(expected[4], 65890);
  for (const auto& name : kStripedStages) {
    for (const auto& kernel : get_stage(name).kernels()) {
      if (kernel == "scalar") continue;
      const int threads = name == "openmp" ? 2 : 1;
      const auto result = get_stage(name).search(query, db, scoring, {threads, kernel});
      EXPECT_EQ(result.scores, expected) << name << " " << kernel;
      EXPECT_EQ(result.rescored, 3u) << name << " " << kernel;
    }
  }
}

TEST(StripedCascade, ExtremePenaltiesAreExact) {
  // Penalties at and past the 8-bit lane range, and free opening or extension,
  // on homologs whose scores fall on both sides of 255.
  const std::vector<std::pair<int, int>> penalties = {{255, 255}, {200, 55}, {120, 10}, {127, 1}, {128, 0},
                                                      {0, 128},   {0, 1},    {1, 0},    {5, 0},   {0, 255}};
  std::size_t below_255 = 0;
  std::size_t above_255 = 0;
  for (const auto& [open, extend] : penalties) {
    for (const char* matrix : {"BLOSUM62", "PAM250"}) {
      const Scoring scoring = make_scoring(matrix, open, extend);
      const auto [query, db] = homologs(static_cast<std::uint64_t>(open * 1000 + extend), 70, 40, 0.2);
      const auto expected = reference_scores(query, db, scoring);
      for (const std::int32_t score : expected) (score < 255 ? below_255 : above_255) += 1;
      for (const auto& name : kStripedStages) {
        for (const auto& kernel : get_stage(name).kernels()) {
          const auto result = get_stage(name).search(query, db, scoring, {2, kernel});
          EXPECT_EQ(result.scores, expected) << name << " " << kernel << " " << scoring.describe();
        }
      }
    }
  }
  EXPECT_GT(below_255, 50u);
  EXPECT_GT(above_255, 50u);
}

// An NCBI-format matrix over the 24 letters with score(row, column) given.
ScoreMatrix matrix_from(const std::string& name, int (*score)(int row, int column)) {
  std::string text = " ";
  for (const char letter : kAlphabet) {
    text += ' ';
    text += letter;
  }
  text += "\n";
  for (int row = 0; row < kAlphabetSize; ++row) {
    text += kAlphabet[static_cast<std::size_t>(row)];
    for (int column = 0; column < kAlphabetSize; ++column) {
      text += ' ';
      text += std::to_string(score(row, column));
    }
    text += "\n";
  }
  return ScoreMatrix::parse_ncbi(text, name);
}

TEST(StripedCascade, AsymmetricAndExtremeMatricesMatchScalar) {
  // score(query residue, subject residue) must not be read transposed, and
  // entries of +-127 use the whole biased 8-bit range.
  const std::vector<ScoreMatrix> matrices = {
      matrix_from("asymmetric",
                  [](int row, int column) { return row == column ? 6 : (row * 7 + column * 3) % 11 - 7; }),
      matrix_from("extreme",
                  [](int row, int column) { return row == column ? 127 : (row + column) % 3 == 0 ? 5 : -127; }),
  };
  for (const auto& matrix : matrices) {
    for (const auto& [open, extend] : std::vector<std::pair<int, int>>{{11, 1}, {0, 3}, {40, 0}}) {
      const Scoring scoring{matrix, open, extend};
      const auto [query, db] = homologs(19, 120, 30, 0.3);
      const auto expected = reference_scores(query, db, scoring);
      for (const auto& name : kStripedStages) {
        for (const auto& kernel : get_stage(name).kernels()) {
          EXPECT_EQ(get_stage(name).search(query, db, scoring, {2, kernel}).scores, expected)
              << name << " " << kernel << " " << scoring.describe();
        }
      }
    }
  }
}

TEST(OpenmpThreads, ReportsTheThreadsItUsed) {
  const auto [query, db] = homologs(18, 100, 50, 0.3);
  const Scoring scoring;
  const auto expected = reference_scores(query, db, scoring);
  const Stage& openmp = get_stage("openmp");
  for (const auto& kernel : openmp.kernels()) {
    for (const int threads : {1, 2, 4}) {
      const auto result = openmp.search(query, db, scoring, {threads, kernel});
      // Capped to the CPUs this process may use (core/cpus.hpp).
      EXPECT_EQ(result.threads, std::min(threads, usable_cpus())) << kernel;
      EXPECT_EQ(result.scores, expected) << kernel << " t" << threads;
    }
    const auto all_cores = openmp.search(query, db, scoring, {0, kernel});
    EXPECT_EQ(all_cores.threads, resolve_threads(0)) << kernel;
    EXPECT_EQ(all_cores.scores, expected) << kernel;
  }
  EXPECT_EQ(get_stage("striped").search(query, db, scoring, {4, ""}).threads, 1);
}

}  // namespace
}  // namespace swl
