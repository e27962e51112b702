// The SIMD end and start passes (search/fast_alignment.*, kernels/alignment.cpp)
// give the scalar passes' alignments (search/alignment.*) exactly, tie choices
// included, at every level this CPU runs: random pairs, homologs, low-
// complexity pairs full of ties, every built-in matrix and odd gap costs,
// right and wrong known scores, pairs past the int16 range, long pairs, and
// the batch over many queries.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "same_alignment.hpp"

#include "alignment.hpp"
#include "alphabet.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "fast_alignment.hpp"
#include "scoring.hpp"

namespace swl {
namespace {

using testing_support::expect_same;

std::string random_text(std::mt19937_64& rng, std::size_t length, std::string_view letters) {
  std::string out(length, 'A');
  for (char& c : out) c = letters[rng() % letters.size()];
  return out;
}

constexpr std::string_view kProtein = "ARNDCQEGHILKMFPSTWYV";

std::string mutate(std::mt19937_64& rng, const std::string& source, double substitution, double indel) {
  std::uniform_real_distribution<double> u(0, 1);
  std::string out;
  for (const char residue : source) {
    const double r = u(rng);
    if (r < indel / 2) continue;
    if (r < indel) out += random_text(rng, 1 + rng() % 5, kProtein);
    out += u(rng) < substitution ? kProtein[rng() % kProtein.size()] : residue;
  }
  return out;
}

std::vector<kernels::Level> runnable_levels() {
  std::vector<kernels::Level> levels;
  for (const kernels::Level level : kernels::alignment_family().levels()) {
    if (kernels::cpu_runs(level)) levels.push_back(level);
  }
  return levels;
}

// The fast alignment at every level, with the score unknown, known, and
// known wrongly (above and below), against the scalar passes.
void expect_as_scalar(const std::string& query, const std::string& subject, const Scoring& scoring,
                      const std::string& label) {
  const auto q = encode(query), s = encode(subject);
  const Alignment reference = align(q, s, scoring);
  for (const kernels::Level level : runnable_levels()) {
    const std::string at = label + " at " + std::string(kernels::level_name(level));
    expect_same(align_fast(q, s, scoring, kUnknownScore, kDefaultTracebackBudget, nullptr, level), reference,
                at + ", score unknown");
    expect_same(align_fast(q, s, scoring, reference.score, kDefaultTracebackBudget, nullptr, level), reference,
                at + ", score known");
    expect_same(align_fast(q, s, scoring, reference.score + 3, kDefaultTracebackBudget, nullptr, level), reference,
                at + ", known score too high");
    if (reference.score > 3) {
      // A score below the truth cannot be told from it without the whole
      // pass: it is taken at its word when a cell holds it exactly, and the
      // alignment still re-scores to what it says.
      const std::int32_t low = reference.score - 3;
      const Alignment a = align_fast(q, s, scoring, low, kDefaultTracebackBudget, nullptr, level);
      EXPECT_EQ(rescore(a, q, s, scoring), a.score) << at;
      if (a.score != low) expect_same(a, reference, at + ", known score too low and never held");
    }
  }
}

TEST(FastAlignment, TheCpuRunsSomeSimdLevelOrOnlyTheScalarOne) {
  const auto levels = runnable_levels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.back(), kernels::Level::portable);
  EXPECT_TRUE(kernels::alignment_kernel(kernels::Level::portable) == nullptr);
}

TEST(FastAlignment, RandomPairsAndHomologsAtEveryScoringAsTheScalarPasses) {
  std::mt19937_64 rng(20261130);
  const std::vector<std::pair<int, int>> penalties = {{11, 1}, {0, 1}, {1, 0}, {10, 0}, {255, 255}, {5, 2}};
  for (const auto& matrix : ScoreMatrix::builtin_names()) {
    for (const auto& [gap_open, gap_extend] : penalties) {
      const Scoring scoring = make_scoring(matrix, gap_open, gap_extend);
      for (int round = 0; round < 5; ++round) {
        const std::string query = random_text(rng, 1 + rng() % 150, kProtein);
        const std::string subject = round % 2 ? mutate(rng, query, 0.3, 0.1) : random_text(rng, 1 + rng() % 150, kProtein);
        expect_as_scalar(query, subject, scoring,
                         matrix + " " + std::to_string(gap_open) + "/" + std::to_string(gap_extend) + " round " +
                             std::to_string(round));
      }
    }
  }
}

TEST(FastAlignment, LowComplexityPairsFullOfTiesChooseAsTheScalarPasses) {
  std::mt19937_64 rng(7);
  const Scoring scoring;
  for (int round = 0; round < 60; ++round) {
    const std::string letters = round % 3 == 0 ? "W" : round % 3 == 1 ? "AW" : "LIVK";
    const std::string query = random_text(rng, 1 + rng() % 90, letters);
    const std::string subject = round % 2 ? query + random_text(rng, rng() % 30, letters) + query
                                          : random_text(rng, 1 + rng() % 90, letters);
    expect_as_scalar(query, subject, scoring, "round " + std::to_string(round) + " (" + letters + ")");
  }
}

TEST(FastAlignment, EveryQueryLengthAroundTheLaneCounts) {
  std::mt19937_64 rng(11);
  const Scoring scoring;
  const std::string subject = random_text(rng, 200, kProtein);
  for (std::size_t length = 1; length <= 70; ++length) {
    const std::string query = mutate(rng, subject.substr(rng() % 100, length), 0.2, 0.05) + "W";
    expect_as_scalar(query, subject, scoring, "query length " + std::to_string(query.size()));
  }
}

TEST(FastAlignment, LongHomologsAsTheScalarPasses) {
  std::mt19937_64 rng(12);
  const std::string query = random_text(rng, 2500, kProtein);
  expect_as_scalar(query, random_text(rng, 300, kProtein) + mutate(rng, query, 0.35, 0.08), Scoring(), "2500 residues");
}

TEST(FastAlignment, ScoresBeyondTheInt16RangeFallBackAndStayExact) {
  // A near-copy of 7,000 residues scores about 35,000 with BLOSUM62: the int16
  // passes saturate, the scalar ones take over, and the alignment is the same.
  std::mt19937_64 rng(13);
  const std::string query = random_text(rng, 7000, kProtein);
  const std::string subject = mutate(rng, query, 0.02, 0.002);
  const auto q = encode(query), s = encode(subject);
  const Scoring scoring;
  const Alignment reference = align(q, s, scoring);
  ASSERT_GT(reference.score, 32767);
  for (const kernels::Level level : runnable_levels()) {
    const std::string at(kernels::level_name(level));
    expect_same(align_fast(q, s, scoring, kUnknownScore, kDefaultTracebackBudget, nullptr, level), reference, at);
    expect_same(align_fast(q, s, scoring, reference.score, kDefaultTracebackBudget, nullptr, level), reference,
                at + ", score known");
  }
}

TEST(FastAlignment, AKnownScoreStopsTheForwardPassEarly) {
  // The hit sits at the subject's start: with its score known, pass 1 stops
  // there instead of running over the long tail.
  std::mt19937_64 rng(14);
  const std::string query = random_text(rng, 100, kProtein);
  const std::string subject = mutate(rng, query, 0.1, 0.0) + random_text(rng, 2000, kProtein);
  const auto q = encode(query), s = encode(subject);
  const Scoring scoring;
  const Alignment reference = align(q, s, scoring);
  for (const kernels::Level level : runnable_levels()) {
    if (level == kernels::Level::portable) continue;
    AlignmentWork unknown, known;
    align_fast(q, s, scoring, kUnknownScore, kDefaultTracebackBudget, &unknown, level);
    expect_same(align_fast(q, s, scoring, reference.score, kDefaultTracebackBudget, &known, level), reference,
                std::string(kernels::level_name(level)));
    EXPECT_EQ(unknown.forward_cells, q.size() * s.size());
    EXPECT_LE(known.forward_cells, q.size() * (reference.subject_end + 1));
  }
}

TEST(FastAlignment, ABatchOverManyQueriesGivesEachPairsAlignment) {
  std::mt19937_64 rng(15);
  const Scoring scoring;
  std::vector<std::vector<std::uint8_t>> queries, subjects;
  for (int k = 0; k < 6; ++k) queries.push_back(encode(random_text(rng, 20 + rng() % 300, kProtein)));
  std::vector<AlignmentTask> tasks;
  for (int k = 0; k < 40; ++k) {
    const std::string text = random_text(rng, 1 + rng() % 400, kProtein);
    subjects.push_back(encode(k % 3 ? text : mutate(rng, text, 0.2, 0.05)));
  }
  std::vector<Alignment> expected;
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    const auto& query = queries[k % queries.size()];
    expected.push_back(align(query, subjects[k], scoring));
    tasks.push_back({query, subjects[k], k % 2 ? expected.back().score : kUnknownScore});
  }
  tasks.push_back({queries[0], {}, kUnknownScore});  // an empty subject: the empty alignment
  expected.emplace_back();
  for (const int threads : {1, 2, 3}) {
    const auto got = align_tasks(tasks, scoring, threads);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t k = 0; k < got.size(); ++k) expect_same(got[k], expected[k], "task " + std::to_string(k));
  }
}

TEST(FastAlignment, AlignManyChecksItsIndicesAndScores) {
  const Database db = Database::from_sequences({"MKTAYIAKQR", "WWWW"});
  const auto q = encode("MKTAYIAK");
  const std::vector<std::uint32_t> indices = {1, 0};
  const auto many = align_many_fast(q, db, indices, Scoring(), 2);
  ASSERT_EQ(many.size(), 2u);
  expect_same(many[1], align(q, db.sequence(0), Scoring()), "index 0");
  const std::vector<std::uint32_t> outside = {2};
  EXPECT_THROW(align_many_fast(q, db, outside, Scoring(), 2), InputError);
  const std::vector<std::int32_t> one_score = {5};
  EXPECT_THROW(align_many_fast(q, db, indices, Scoring(), 2, one_score), InputError);
}

}  // namespace
}  // namespace swl
