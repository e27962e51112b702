// The optimal local alignment (search/alignment.*): its score is the scalar
// rung's, it re-scores to that score, its coordinates agree with its columns,
// the tie rules hold, and the result does not depend on the traceback budget
// (pieces and checkpoints give the same columns as one block of bits).
#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "same_alignment.hpp"

#include "alignment.hpp"
#include "cancel.hpp"
#include "alphabet.hpp"
#include "database.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "scoring.hpp"

namespace swl {
namespace {

using testing_support::error_of;
using testing_support::expect_same;

constexpr std::string_view kProtein = "ARNDCQEGHILKMFPSTWYV";

std::string random_protein(std::mt19937_64& rng, std::size_t length) {
  std::string out(length, 'A');
  for (char& c : out) c = kProtein[rng() % kProtein.size()];
  return out;
}

// Substitutions and short insertions and deletions: a homolog with gaps.
std::string mutate(std::mt19937_64& rng, const std::string& source, double substitution, double indel) {
  std::uniform_real_distribution<double> u(0, 1);
  std::string out;
  for (const char residue : source) {
    const double r = u(rng);
    if (r < indel / 2) continue;
    if (r < indel) out += random_protein(rng, 1 + rng() % 5);
    out += u(rng) < substitution ? kProtein[rng() % kProtein.size()] : residue;
  }
  return out;
}

std::int32_t scalar_score(const std::string& query, const std::string& subject, const Scoring& scoring) {
  const Database db = Database::from_sequences({subject});
  return get_stage("scalar").search(encode(query), db, scoring).scores.at(0);
}

// Everything an alignment must satisfy, whatever the tie choices.
void expect_consistent(const Alignment& a, const std::string& query, const std::string& subject,
                       const Scoring& scoring, const std::string& label) {
  const auto q = encode(query), s = encode(subject);
  EXPECT_EQ(a.score, scalar_score(query, subject, scoring)) << label;
  EXPECT_EQ(rescore(a, q, s, scoring), a.score) << label;
  if (a.score == 0) {
    EXPECT_TRUE(a.empty()) << label;
    EXPECT_EQ(a.query_begin + a.query_end + a.subject_begin + a.subject_end, 0u) << label;
    return;
  }
  ASSERT_FALSE(a.empty()) << label;
  // Optimal local alignments begin and end with a substitution (a gap at an
  // end could be dropped for a higher score).
  EXPECT_EQ(a.operations.front(), 'M') << label;
  EXPECT_EQ(a.operations.back(), 'M') << label;
  std::size_t query_columns = 0, subject_columns = 0;
  for (const char op : a.operations) {
    query_columns += op != 'D';
    subject_columns += op != 'I';
  }
  EXPECT_EQ(a.query_end - a.query_begin, query_columns) << label;
  EXPECT_EQ(a.subject_end - a.subject_begin, subject_columns) << label;
}

Alignment align_text(const std::string& query, const std::string& subject, const Scoring& scoring,
                     std::size_t budget = kDefaultTracebackBudget) {
  return align(encode(query), encode(subject), scoring, budget);
}

TEST(Alignment, RandomPairsAndHomologsScoreAsTheScalarRungAtEveryScoring) {
  std::mt19937_64 rng(20261129);
  const std::vector<std::pair<int, int>> penalties = {{11, 1}, {0, 1}, {1, 0}, {10, 0}, {255, 255}, {5, 2}, {0, 3}};
  int cases = 0;
  for (const auto& matrix : ScoreMatrix::builtin_names()) {
    for (const auto& [gap_open, gap_extend] : penalties) {
      const Scoring scoring = make_scoring(matrix, gap_open, gap_extend);
      for (int round = 0; round < 6; ++round) {
        const std::string query = random_protein(rng, 1 + rng() % 120);
        const std::string subject =
            round % 2 ? mutate(rng, query, 0.25, 0.1) : random_protein(rng, 1 + rng() % 150);
        const std::string label = matrix + " " + std::to_string(gap_open) + "/" + std::to_string(gap_extend) +
                                  " " + query + " vs " + subject;
        const Alignment whole = align_text(query, subject, scoring);
        expect_consistent(whole, query, subject, scoring, label);
        // A budget of a few bytes: pieces of one row, checkpoints recursing
        // several levels deep; the columns must not change.
        for (const std::size_t budget : {1, 40, 600}) {
          expect_same(align_text(query, subject, scoring, budget), whole, label + " budget " + std::to_string(budget));
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 5 * 7 * 6);
}

TEST(Alignment, LongHomologsAcrossPiecesMatchOneBlock) {
  std::mt19937_64 rng(7);
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  const std::string query = random_protein(rng, 1500);
  const std::string subject = random_protein(rng, 200) + mutate(rng, query, 0.3, 0.06) + random_protein(rng, 300);
  const Alignment whole = align_text(query, subject, scoring);
  expect_consistent(whole, query, subject, scoring, "long homologs");
  EXPECT_GT(whole.operations.size(), 1000u);
  EXPECT_NE(whole.operations.find('I'), std::string::npos);
  EXPECT_NE(whole.operations.find('D'), std::string::npos);
  for (const std::size_t budget : {std::size_t{1}, std::size_t{5000}, std::size_t{100000}}) {
    expect_same(align_text(query, subject, scoring, budget), whole, "budget " + std::to_string(budget));
  }
}

TEST(Alignment, ReversePassStopsAtTheStartAndPiecesRecomputeRows) {
  std::mt19937_64 rng(11);
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  // A 60-residue homolog near the end of long unrelated sequences: the
  // reverse pass covers the hit's rows, not the whole prefix.
  const std::string core = random_protein(rng, 60);
  const std::string query = random_protein(rng, 900) + core + random_protein(rng, 40);
  const std::string subject = random_protein(rng, 1200) + core + random_protein(rng, 30);
  AlignmentWork work;
  const Alignment a = align(encode(query), encode(subject), scoring, kDefaultTracebackBudget, &work);
  expect_consistent(a, query, subject, scoring, "hit near the end");
  EXPECT_EQ(work.forward_cells, query.size() * subject.size());
  EXPECT_LT(work.reverse_cells, work.forward_cells / 10);
  // One block of bits: each cell of the box once.
  EXPECT_EQ(work.traceback_cells, (a.query_end - a.query_begin) * (a.subject_end - a.subject_begin));
  AlignmentWork pieces;
  expect_same(align(encode(query), encode(subject), scoring, 64, &pieces), a, "budget 64");
  EXPECT_GT(pieces.traceback_cells, work.traceback_cells);  // checkpoints, then each piece again
  EXPECT_GE(work.forward_seconds, 0.0);
}

TEST(Alignment, EdgeCases) {
  const Scoring blosum62 = make_scoring("BLOSUM62", 11, 1);
  EXPECT_TRUE(align_text("", "ACDE", blosum62).empty());
  EXPECT_TRUE(align_text("ACDE", "", blosum62).empty());
  EXPECT_TRUE(align_text("", "", blosum62).empty());
  const Alignment one = align_text("W", "W", blosum62);
  EXPECT_EQ(one.score, 11);
  EXPECT_EQ(one.operations, "M");
  EXPECT_EQ(one.query_end, 1u);
  EXPECT_EQ(one.subject_end, 1u);
  // A against R scores -1 in BLOSUM62: nothing scores above 0.
  const Alignment none = align_text("AAAA", "RRRR", blosum62);
  EXPECT_EQ(none.score, 0);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(rescore(none, encode("AAAA"), encode("RRRR"), blosum62), 0);
  // Lowercase and letters read as X align as the codes the matrix sees.
  expect_consistent(align_text("mkwvtfisllUUlfssayS", "MKWVTFISLLXXLFSSAYS", blosum62), "mkwvtfisllUUlfssayS",
                    "MKWVTFISLLXXLFSSAYS", blosum62, "lowercase and X");
}

TEST(Alignment, ScoresPastSixteenBitsStayExact) {
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  const std::string poly_w(3000, 'W');
  const Alignment a = align_text(poly_w, poly_w, scoring);
  EXPECT_EQ(a.score, 33000);
  EXPECT_EQ(a.operations, std::string(3000, 'M'));
  expect_consistent(a, poly_w, poly_w, scoring, "poly-W");
  // A gap in the middle of a long high-scoring run.
  const std::string gapped = std::string(1500, 'W') + std::string(1500, 'W');
  const std::string with_insert = std::string(1500, 'W') + "PPPP" + std::string(1500, 'W');
  const Alignment g = align_text(with_insert, gapped, scoring, 50000);
  EXPECT_EQ(g.score, 33000 - 15);
  EXPECT_EQ(g.operations.size(), 3004u);
  expect_consistent(g, with_insert, gapped, scoring, "poly-W with an insertion");
}

TEST(Alignment, GapPenaltiesAtTheirLimits) {
  std::mt19937_64 rng(99);
  const std::string query = random_protein(rng, 300);
  const std::string subject = mutate(rng, query, 0.2, 0.15);
  for (const auto& [gap_open, gap_extend] : std::vector<std::pair<int, int>>{{0, 1}, {1, 0}, {255, 0}, {255, 255}}) {
    const Scoring scoring = make_scoring("BLOSUM62", gap_open, gap_extend);
    const std::string label = std::to_string(gap_open) + "/" + std::to_string(gap_extend);
    const Alignment a = align_text(query, subject, scoring);
    expect_consistent(a, query, subject, scoring, label);
    expect_same(align_text(query, subject, scoring, 1), a, label + " budget 1");
    if (gap_open == 255) {
      EXPECT_EQ(a.operations.find_first_of("ID"), std::string::npos) << label;
    }
  }
}

TEST(Alignment, AsymmetricMatrixReadsTheQueryAsTheRow) {
  std::string text = "  ";
  for (const char c : kAlphabet) (text += ' ') += c;
  text += '\n';
  for (std::size_t a = 0; a < kAlphabet.size(); ++a) {
    text += kAlphabet[a];
    for (std::size_t b = 0; b < kAlphabet.size(); ++b) {
      text += ' ' + std::to_string(a == b ? 6 : static_cast<int>((a * 7 + b * 3) % 11) - 6);
    }
    text += '\n';
  }
  Scoring scoring;
  scoring.matrix = ScoreMatrix::parse_ncbi(text, "asymmetric");
  ASSERT_NE(scoring.matrix.score(0, 1), scoring.matrix.score(1, 0));
  std::mt19937_64 rng(3);
  for (int round = 0; round < 20; ++round) {
    const std::string query = random_protein(rng, 1 + rng() % 80);
    const std::string subject = round % 2 ? mutate(rng, query, 0.4, 0.1) : random_protein(rng, 1 + rng() % 80);
    const Alignment a = align_text(query, subject, scoring);
    expect_consistent(a, query, subject, scoring, query + " vs " + subject);
    expect_same(align_text(query, subject, scoring, 1), a, "budget 1");
  }
}

TEST(Alignment, TiesChooseTheFirstEndAndTheLatestStart) {
  const Scoring blosum62 = make_scoring("BLOSUM62", 11, 1);
  // Two equal W/W matches: the end with the smaller subject position.
  const Alignment end = align_text("W", "AWAW", blosum62);
  EXPECT_EQ(end.subject_begin, 1u);
  EXPECT_EQ(end.subject_end, 2u);
  // A/T scores 0 in BLOSUM62: "AW" over "TW" and "W" over "W" both score 11;
  // the latest start (the shorter alignment) is chosen.
  const Alignment start = align_text("AW", "TW", blosum62);
  EXPECT_EQ(start.score, 11);
  EXPECT_EQ(start.query_begin, 1u);
  EXPECT_EQ(start.subject_begin, 1u);
  EXPECT_EQ(start.operations, "M");
  // Likewise at the end: "W" ends the first cell that reaches 11.
  const Alignment first_end = align_text("WA", "WT", blosum62);
  EXPECT_EQ(first_end.query_end, 1u);
  EXPECT_EQ(first_end.subject_end, 1u);
  // On equal scores at one cell, the substitution is preferred to a gap, and a
  // subject residue against a gap ('D') to a query residue against one ('I').
  const Scoring free_extend = make_scoring("BLOSUM62", 1, 0);
  const Alignment shifted = align_text("WWCWW", "WWWW", free_extend);
  expect_consistent(shifted, "WWCWW", "WWWW", free_extend, "shifted");
}

TEST(Alignment, RescoreRejectsMalformedAlignments) {
  const Scoring blosum62 = make_scoring("BLOSUM62", 11, 1);
  const auto q = encode("HEAGAWGHEE"), s = encode("PAWHEAE");
  Alignment a = align(q, s, blosum62);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(rescore(a, q, s, blosum62), a.score);
  Alignment bad_letter = a;
  bad_letter.operations.back() = 'X';
  EXPECT_THROW(rescore(bad_letter, q, s, blosum62), std::logic_error);
  EXPECT_NE(error_of([&] { rescore(bad_letter, q, s, blosum62); }).find("operation 'X' is not M, I or D"),
            std::string::npos);
  Alignment too_many = a;
  too_many.operations += 'M';
  EXPECT_THROW(rescore(too_many, q, s, blosum62), std::logic_error);
  Alignment too_few = a;
  too_few.operations.pop_back();
  EXPECT_THROW(rescore(too_few, q, s, blosum62), std::logic_error);
  Alignment outside = a;
  outside.subject_end = s.size() + 1;
  EXPECT_THROW(rescore(outside, q, s, blosum62), std::logic_error);
  Alignment reversed = a;
  reversed.query_begin = reversed.query_end + 1;
  EXPECT_THROW(rescore(reversed, q, s, blosum62), std::logic_error);
  // Gap accounting: two runs cost two openings, one run of two costs one.
  const Alignment hand{0, 0, 4, 0, 4, "MIDM"};
  const auto w4 = encode("WWWW");
  EXPECT_THROW(rescore(hand, w4, w4, blosum62), std::logic_error);  // 3 query columns for 4 residues
  const Alignment runs{0, 0, 3, 0, 3, "MIDM"};
  EXPECT_EQ(rescore(runs, w4, w4, blosum62), 11 + 11 - 12 - 12);
  const Alignment one_run{0, 0, 4, 0, 2, "MIIM"};
  EXPECT_EQ(rescore(one_run, w4, w4, blosum62), 11 + 11 - 13);
}

TEST(Alignment, ManyOnThreadsEqualsOneByOne) {
  std::mt19937_64 rng(5);
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  const std::string query = random_protein(rng, 250);
  std::vector<std::string> subjects;
  for (int k = 0; k < 12; ++k) subjects.push_back(k % 3 ? mutate(rng, query, 0.3, 0.05) : random_protein(rng, 300));
  subjects.push_back("");
  const Database db = Database::from_sequences(subjects);
  const std::vector<std::uint32_t> indices = {12, 3, 0, 7, 7, 11, 1};
  const auto q = encode(query);
  for (const int threads : {1, 2, 3}) {
    const auto many = align_many(q, db, indices, scoring, threads);
    ASSERT_EQ(many.size(), indices.size());
    for (std::size_t k = 0; k < indices.size(); ++k) {
      expect_same(many[k], align(q, db.sequence(indices[k]), scoring), "index " + std::to_string(indices[k]));
    }
  }
  EXPECT_TRUE(align_many(q, db, {}, scoring, 2).empty());
  const std::vector<std::uint32_t> outside = {1, 13};
  EXPECT_THROW(align_many(q, db, outside, scoring, 2), InputError);
  EXPECT_EQ(error_of([&] { align_many(q, db, outside, scoring, 2); }),
            "database index 13 out of range (the database has 13 sequences)");
}

TEST(Alignment, StopsOnceCancelled) {
  const Scoring scoring = make_scoring("BLOSUM62", 11, 1);
  const auto query = encode("MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ");
  const Database db = Database::from_sequences({"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ", "GDGTQDNLSGAEKAVQVKVKALPDAQ"});
  CancelFlag cancel;
  const Alignment whole = align(query, db.sequence(0), scoring, kDefaultTracebackBudget, nullptr, &cancel);
  EXPECT_EQ(whole.score, align(query, db.sequence(0), scoring).score);  // an unset flag changes nothing
  cancel.request();
  EXPECT_THROW(align(query, db.sequence(0), scoring, kDefaultTracebackBudget, nullptr, &cancel), Cancelled);
  const std::vector<std::uint32_t> both = {0, 1};
  EXPECT_THROW(align_many(query, db, both, scoring, 2, &cancel), Cancelled);
}

}  // namespace
}  // namespace swl

TEST(Alignment, DescribesColumnsAsBlastReportsThem) {
  const swl::ScoreMatrix blosum62 = swl::ScoreMatrix::builtin("BLOSUM62");
  swl::Alignment a;
  // query xxheaGAWGHEEyy from 2, subject zPAWHEAEz from 1 (uppercase in the rows):
  //   H E A G A W - - G H E E
  //   - - P - A W H E A - E -   (a hand-made path, not an optimal one)
  a.query_begin = 2;
  a.subject_begin = 1;
  a.operations = "IIMIMMDDMIMI";
  a.query_end = 2 + 10;
  a.subject_end = 1 + 7;
  const std::string query = "xxheaGAWGHEEyy";
  const std::string subject = "zPAWHEAEz";
  const swl::AlignmentColumns c = swl::describe_alignment(a, query, subject, blosum62);
  EXPECT_EQ(c.query_row, "HEAGAW--GHEE");
  EXPECT_EQ(c.subject_row, "--P-AWHEA-E-");
  // A/P scores -1, A/A, W/W and E/E are identities, G/A scores 0.
  EXPECT_EQ(c.midline, "    AW    E ");
  EXPECT_EQ(c.identities, 3u);
  EXPECT_EQ(c.positives, 3u);
  EXPECT_EQ(c.gaps, 7u);
  EXPECT_EQ(c.gap_opens, 5u);  // II, I, DD, I, I: an I right after D opens anew
  EXPECT_EQ(c.cigar, "2I1M1I2M2D1M1I1M1I");
  EXPECT_EQ(c.btop, "H-E-APG-2-H-EGAH-1E-");
}

TEST(Alignment, DescribeRefusesOperationsThatDoNotFit) {
  const swl::ScoreMatrix blosum62 = swl::ScoreMatrix::builtin("BLOSUM62");
  swl::Alignment a;
  a.operations = "MXM";
  a.query_end = a.subject_end = 3;
  EXPECT_THROW(swl::describe_alignment(a, "AAA", "AAA", blosum62), swl::InputError);
  a.operations = "MMI";
  EXPECT_THROW(swl::describe_alignment(a, "AAA", "AAA", blosum62), swl::InputError);  // covers subject 0..2
  a.operations = "MMM";
  EXPECT_THROW(swl::describe_alignment(a, "AA", "AAA", blosum62), swl::InputError);  // past the query
  // A byte that is no residue compares as X: X/X is an identity, X/A is not.
  const swl::AlignmentColumns c = swl::describe_alignment(a, "A?X", "A?A", blosum62);
  EXPECT_EQ(c.identities, 2u);
  EXPECT_EQ(c.btop, "2XA");
}
