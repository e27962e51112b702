// The interseq rung beyond the registry-wide harness: saturation and
// rescoring, lane refill over many subjects of wildly different lengths,
// gap penalties at the edges of the int8 lanes, a titin-size pair, and the
// reporting of kernel, threads and rescored subjects.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "cpus.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "synthetic.hpp"

namespace swl {
namespace {

const Stage& interseq() { return get_stage("interseq"); }
const Stage& scalar() { return get_stage("scalar"); }

// The kernel an unforced search runs: SWLADDER_KERNEL where it names one of
// the stage's kernels, else the best.
std::string default_kernel() {
  const auto kernels = interseq().kernels();
  if (const char* forced = std::getenv("SWLADDER_KERNEL"); forced != nullptr) {
    for (const auto& kernel : kernels) {
      if (kernel == forced) return kernel;
    }
  }
  return kernels.front();
}

// Every kernel this CPU runs must give the scalar rung's scores, the SIMD
// kernels on 1 and 2 threads (the portable kernel is the scalar rung itself,
// run once). Returns the one-thread results, kernel by kernel.
std::vector<SearchResult> expect_exact(const std::string& query_text, const Database& db, const Scoring& scoring,
                                       const std::string& label) {
  const auto query = encode(query_text);
  const auto expected = scalar().search(query, db, scoring).scores;
  std::vector<SearchResult> results;
  for (const auto& kernel : interseq().kernels()) {
    for (const int threads : {1, 2}) {
      if (kernel == "scalar" && threads > 1) continue;
      SearchResult result = interseq().search(query, db, scoring, {threads, kernel});
      EXPECT_EQ(result.kernel, kernel) << label;
      EXPECT_EQ(result.scores, expected) << label << " [" << kernel << ", " << threads << " threads, "
                                         << scoring.describe() << "]";
      if (threads == 1) results.push_back(std::move(result));
    }
  }
  return results;
}

std::size_t count_at_least(const std::vector<std::int32_t>& scores, int limit) {
  std::size_t n = 0;
  for (const auto s : scores) n += s >= limit ? 1 : 0;
  return n;
}

TEST(Interseq, SaturatingSubjectsAreRescoredExactly) {
  // Close homologs of the query's first 300 residues pass 255 (int8 lanes
  // saturate); the poly-W subject passes 65,535 (int16 lanes saturate too)
  // and ends with the scalar rung; the rest fit int8.
  SplitMix64 rng(7);
  const std::string head = random_protein(rng, 300);
  const std::string query = head + std::string(6100, 'W');
  std::vector<std::string> subjects;
  for (int k = 0; k < 150; ++k) subjects.push_back(mutate(rng, head, 0.03, 0.01));
  for (int k = 0; k < 60; ++k) subjects.push_back(random_protein(rng, 20 + rng.below(300)));
  subjects.push_back(std::string(6000, 'W'));
  const Database db = Database::from_sequences(subjects);
  const auto results = expect_exact(query, db, Scoring{}, "saturating subjects");
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(count_at_least(results.front().scores, 65535), 1u);
  for (const auto& result : results) {
    if (result.kernel == "scalar") {
      EXPECT_EQ(result.rescored, 0u);
      continue;
    }
    // The int8 lanes saturate exactly when the score reaches 255.
    EXPECT_EQ(result.rescored, count_at_least(result.scores, 255)) << result.kernel;
    EXPECT_GE(result.rescored, 151u) << result.kernel;
  }
}

TEST(Interseq, EverySubjectSaturates) {
  // More subjects than int8 lanes, all past 255, three past 65,535.
  std::vector<std::string> subjects(70, std::string(100, 'W'));
  subjects.insert(subjects.begin() + 30, 3, std::string(6000, 'W'));
  const Database db = Database::from_sequences(subjects);
  const auto results = expect_exact(std::string(6000, 'W'), db, Scoring{}, "poly-W, every subject saturates");
  for (const auto& result : results) {
    if (result.kernel != "scalar") {
      EXPECT_EQ(result.rescored, db.size()) << result.kernel;
    }
  }
}

TEST(Interseq, LaneRefillOverManySubjectsOfEveryLength) {
  // Far more subjects than lanes, lengths from 0 to 4,000 in no order, with
  // homologs mixed in so that scores differ: every lane refills many times,
  // at every offset within a pass, and the empty subjects score 0.
  SplitMix64 rng(11);
  const std::string query = random_protein(rng, 123);
  std::vector<std::string> subjects;
  for (int k = 0; k < 900; ++k) {
    switch (rng.below(6)) {
      case 0: subjects.emplace_back(); break;
      case 1: subjects.push_back(random_protein(rng, 1 + rng.below(9))); break;
      case 2: subjects.push_back(mutate(rng, query.substr(rng.below(60)), 0.3, 0.05)); break;
      case 3: subjects.push_back(random_protein(rng, rng.below(4000))); break;
      default: subjects.push_back(random_protein(rng, 60 + rng.below(600))); break;
    }
  }
  const Database db = Database::from_sequences(subjects);
  for (const auto& [open, extend] : {std::pair{11, 1}, std::pair{3, 1}}) {
    expect_exact(query, db, make_scoring("BLOSUM62", open, extend), "lane refill");
  }
}

TEST(Interseq, SubjectsLongerThanALanesShareAreExactToo) {
  // Many short subjects and a few far longer than a lane's share of the
  // residues: those go to the striped kernel instead of holding a lane after
  // the rest have drained. One long subject is a close homolog (its int8
  // score saturates), one is poly-W (past int16 for a poly-W query).
  SplitMix64 rng(19);
  const std::string query = random_protein(rng, 400) + std::string(300, 'W');
  std::vector<std::string> subjects;
  for (int k = 0; k < 400; ++k) subjects.push_back(random_protein(rng, 30 + rng.below(120)));
  subjects.insert(subjects.begin() + 17, mutate(rng, query.substr(0, 400), 0.05, 0.01) + random_protein(rng, 2600));
  subjects.insert(subjects.begin() + 211, random_protein(rng, 3500));
  subjects.push_back(std::string(3000, 'W'));
  const Database db = Database::from_sequences(subjects);
  const auto results = expect_exact(query, db, Scoring{}, "long outliers");
  for (const auto& result : results) {
    if (result.kernel != "scalar") {
      EXPECT_GE(result.rescored, 2u) << result.kernel;
    }
  }
}

TEST(Interseq, GapPenaltiesAtTheEdgesOfTheNarrowLanes) {
  // gap_open + gap_extend of 127 is the most the int8 lanes subtract in one
  // step; 128 and beyond start in int16 lanes. Free opens, free extensions
  // and the largest penalties must all be exact.
  SplitMix64 rng(13);
  const std::string query = random_protein(rng, 250);
  std::vector<std::string> subjects;
  for (int k = 0; k < 100; ++k) subjects.push_back(mutate(rng, query, 0.1 + 0.005 * k, 0.02 + 0.001 * k));
  for (int k = 0; k < 40; ++k) subjects.push_back(random_protein(rng, rng.below(700)));
  const Database db = Database::from_sequences(subjects);
  // {127, 0} and {126, 1}: the masked variants' compare offsets
  // (open_extend - extend) at the top of the int8 range.
  const std::pair<int, int> penalties[] = {{0, 1},   {1, 0},   {5, 0},   {0, 3},   {126, 1},  {120, 7},  {127, 0},
                                           {127, 1}, {121, 7}, {11, 2},  {255, 0}, {0, 255}, {255, 255}};
  int round = 0;
  for (const auto& [open, extend] : penalties) {
    const char* matrix = ++round % 3 == 0 ? "PAM250" : "BLOSUM62";
    const std::string label = "penalties " + std::to_string(open) + "/" + std::to_string(extend);
    const auto results = expect_exact(query, db, make_scoring(matrix, open, extend), label);
    if (open + extend > 127) continue;
    // A wrong value in int8 lanes can also show as a saturation the wider
    // rescoring then hides: each kernel rescores exactly the subjects that
    // reach the int8 ceiling (score 255).
    for (const auto& result : results) {
      if (result.kernel == "scalar") continue;
      EXPECT_EQ(result.rescored, count_at_least(result.scores, 255)) << label << " [" << result.kernel << "]";
    }
  }
}

TEST(Interseq, TitinSizePairIsExact) {
  // A 35,000-residue query against itself and a homolog: both pass int16
  // and end with the scalar rung, after the int8 and int16 lanes give up on
  // them early. The default kernel only, two threads. The slowest test: the
  // scalar reference and the scalar fallback score 2.5e9 cells each (about
  // 17 s of CPU in all on the 2.8 GHz Ice Lake it was written on).
  SplitMix64 rng(17);
  const std::string query = random_protein(rng, 35000);
  const Database db = Database::from_sequences({query, mutate(rng, query, 0.1, 0.01), query.substr(20000, 800)});
  const auto encoded = encode(query);
  const Scoring scoring;
  const auto expected = scalar().search(encoded, db, scoring).scores;
  const auto result = interseq().search(encoded, db, scoring, {2, ""});
  EXPECT_EQ(result.scores, expected);
  EXPECT_EQ(result.kernel, default_kernel());
  EXPECT_GT(expected[0], 65535);
  EXPECT_EQ(result.rescored, result.kernel == "scalar" ? 0u : 3u);
}

TEST(Interseq, ReportsTheKernelAndThreadsThatRan) {
  const Database db = Database::from_sequences({"HEAGAWGHEE", "", "PAWHEAE", std::string(300, 'A')});
  const auto query = encode("HEAGAWGHEE");
  const auto kernels = interseq().kernels();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.back(), "scalar");
  EXPECT_TRUE(interseq().threaded());
  for (const auto& kernel : kernels) {
    for (const int threads : {1, 2, 3}) {
      const auto result = interseq().search(query, db, Scoring{}, {threads, kernel});
      EXPECT_EQ(result.kernel, kernel);
      // Capped to the CPUs this process may use (core/cpus.hpp).
      EXPECT_EQ(result.threads, std::min(threads, usable_cpus())) << kernel;
    }
  }
  EXPECT_EQ(interseq().search(query, db, Scoring{}, {0, ""}).threads, resolve_threads(0));
  EXPECT_EQ(interseq().search(query, db, Scoring{}).kernel, default_kernel());
  EXPECT_THROW(interseq().search(query, db, Scoring{}, {1, "sse41"}), InputError);
  EXPECT_THROW(interseq().search(query, db, Scoring{}, {1, "no-such-kernel"}), InputError);
}

}  // namespace
}  // namespace swl
