#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "error_of.hpp"

#include "errors.hpp"
#include "matrix.hpp"
#include "statistics.hpp"

namespace swl {
namespace {

using testing_support::error_of;

// The bundled database, data/tursiops_sample.fa: blastp's own database size
// for the oracle figures below (makeblastdb reports the same counts).
constexpr std::size_t kSampleResidues = 1184438;
constexpr std::size_t kSampleSequences = 2075;

// Agreement with an E-value as blastp printed it ("1.37e-177", "0.71",
// "3.7"): within half a unit of its last printed digit.
void expect_printed_evalue(double actual, const std::string& printed) {
  const double value = std::stod(printed);
  const auto exponent_at = printed.find('e');
  const std::string mantissa = printed.substr(0, exponent_at);
  const auto point = mantissa.find('.');
  const int decimals = point == std::string::npos ? 0 : static_cast<int>(mantissa.size() - point - 1);
  const int exponent = exponent_at == std::string::npos ? 0 : std::stoi(printed.substr(exponent_at + 1));
  const double half_unit = 0.5 * std::pow(10.0, exponent - decimals);
  EXPECT_LE(std::abs(actual - value), half_unit * (1 + 1e-9)) << "E-value " << actual << ", blastp printed " << printed;
}

TEST(Statistics, Blosum62At11And1HasTheFiguresBlastpPrints) {
  // blastp's report footer for BLOSUM62 11/1: Lambda 0.267, K 0.041, H 0.14,
  // and the finite-size correction's alpha 1.9, sigma 43.6.
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->gap_open, 11);
  EXPECT_EQ(p->gap_extend, 1);
  EXPECT_DOUBLE_EQ(p->lambda, 0.267);
  EXPECT_DOUBLE_EQ(p->K, 0.041);
  EXPECT_DOUBLE_EQ(p->H, 0.14);
  EXPECT_DOUBLE_EQ(p->alpha, 1.9);
  EXPECT_DOUBLE_EQ(p->beta, -30.0);
  EXPECT_DOUBLE_EQ(p->C, 0.669720);
  EXPECT_DOUBLE_EQ(p->alpha_v, 42.602800);
  EXPECT_DOUBLE_EQ(p->sigma, 43.636200);
  // The intercepts from G = 12 and the ungapped row (alpha 0.7916, alpha_v 4.96466).
  EXPECT_DOUBLE_EQ(p->b, 24.0 * (0.7916 - 1.9));
  EXPECT_DOUBLE_EQ(p->beta_v, 24.0 * (4.964660 - 42.602800));
  EXPECT_DOUBLE_EQ(p->tau, 24.0 * (4.964660 - 43.636200));
}

TEST(Statistics, MatrixNamesAreCaseInsensitive) {
  const auto upper = karlin_altschul("PAM250", 14, 2);
  const auto lower = karlin_altschul("pam250", 14, 2);
  const auto mixed = karlin_altschul("Pam250", 14, 2);
  ASSERT_TRUE(upper && lower && mixed);
  EXPECT_DOUBLE_EQ(upper->lambda, 0.182);
  EXPECT_DOUBLE_EQ(lower->K, upper->K);
  EXPECT_DOUBLE_EQ(mixed->sigma, upper->sigma);
}

TEST(Statistics, WithoutPublishedParametersTheStatisticsAreUnknown) {
  EXPECT_FALSE(karlin_altschul("BLOSUM62", 11, 3));      // a cost BLAST does not list
  EXPECT_FALSE(karlin_altschul("BLOSUM62", 32767, 32767));  // the ungapped row is no gap cost
  EXPECT_FALSE(karlin_altschul("BLOSUM62", 0, 1));
  EXPECT_FALSE(karlin_altschul("BLOSUM90", 10, 1));       // published, but not a matrix of ours
  EXPECT_FALSE(karlin_altschul("core/matrices/BLOSUM62.txt", 11, 1));  // a file: no parameters
  EXPECT_FALSE(karlin_altschul("BLOSUM6", 11, 1));
  EXPECT_FALSE(karlin_altschul("BLOSUM622", 11, 1));
  EXPECT_FALSE(karlin_altschul("", 11, 1));
}

TEST(Statistics, EveryBuiltinMatrixHasItsBlastGapCosts) {
  for (const std::string& name : ScoreMatrix::builtin_names()) {
    const auto costs = gap_costs_with_statistics(name);
    EXPECT_FALSE(costs.empty()) << name;
    for (const auto& [open, extend] : costs) {
      const auto p = karlin_altschul(name, open, extend);
      ASSERT_TRUE(p) << name << ' ' << open << '/' << extend;
      EXPECT_GT(p->lambda, 0.0);
      EXPECT_GT(p->K, 0.0);
      EXPECT_LT(p->K, 1.0);
      EXPECT_GT(p->alpha_v, 0.0);
      EXPECT_GE(p->sigma, p->alpha_v);  // the covariance term exceeds the variance's in every table
    }
  }
  EXPECT_EQ(gap_costs_with_statistics("BLOSUM45").size(), 13u);
  EXPECT_EQ(gap_costs_with_statistics("BLOSUM50").size(), 15u);
  EXPECT_EQ(gap_costs_with_statistics("BLOSUM62").size(), 11u);
  EXPECT_EQ(gap_costs_with_statistics("BLOSUM80").size(), 9u);
  EXPECT_EQ(gap_costs_with_statistics("PAM250").size(), 15u);
  EXPECT_TRUE(gap_costs_with_statistics("my_matrix.txt").empty());
}

TEST(Statistics, BitScoreIsLambdaSMinusLnKInBits) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  EXPECT_NEAR(bit_score(*p, 0), -std::log2(0.041), 1e-12);
  EXPECT_NEAR(bit_score(*p, 100), (26.7 - std::log(0.041)) / std::log(2.0), 1e-12);
  // blastp's bitscore column for these raw scores (BLOSUM62 11/1).
  EXPECT_EQ(static_cast<long>(bit_score(*p, 1247)), 484);
  EXPECT_NEAR(bit_score(*p, 246), 99.4, 0.05);
  EXPECT_NEAR(bit_score(*p, 57), 26.6, 0.05);
}

// Raw score, query and subject lengths and the E-value blastp 2.12 printed
// for them (-comp_based_stats 0 -seg no -use_sw_tback, the bundled queries
// against the bundled database).
struct OracleHit {
  const char* matrix;
  int gap_open, gap_extend, score;
  std::size_t query_length, subject_length;
  const char* printed_evalue;
  double printed_bit_score;
};

TEST(Statistics, EvaluesMatchWhatBlastpPrinted) {
  const OracleHit hits[] = {
      {"BLOSUM62", 11, 1, 1247, 246, 246, "1.37e-177", 484},
      {"BLOSUM62", 11, 1, 775, 435, 426, "2.79e-100", 303},
      {"BLOSUM62", 11, 1, 398, 435, 350, "2.42e-45", 157},
      {"BLOSUM62", 11, 1, 165, 585, 530, "5.31e-13", 68.2},
      {"BLOSUM62", 11, 1, 57, 151, 418, "0.71", 26.6},
      {"BLOSUM62", 11, 1, 49, 151, 89, "3.7", 23.5},
      {"BLOSUM62", 9, 2, 257, 435, 367, "5.69e-26", 107},
      {"BLOSUM45", 14, 2, 1461, 246, 246, "4.19e-151", 415},
      {"BLOSUM45", 14, 2, 319, 435, 367, "1.91e-23", 94.7},
      {"BLOSUM50", 13, 2, 1568, 246, 246, "2.86e-161", 441},
      {"BLOSUM50", 13, 2, 340, 435, 304, "5.42e-25", 99.5},
      {"BLOSUM80", 10, 1, 232, 435, 800, "8.68e-24", 103},
      {"PAM250", 14, 2, 1140, 246, 246, "8.25e-113", 304},
      {"PAM250", 14, 2, 267, 435, 609, "6.24e-17", 75.5},
  };
  for (const OracleHit& hit : hits) {
    SCOPED_TRACE(std::string(hit.matrix) + " " + std::to_string(hit.gap_open) + "/" +
                 std::to_string(hit.gap_extend) + " score " + std::to_string(hit.score));
    const auto p = karlin_altschul(hit.matrix, hit.gap_open, hit.gap_extend);
    ASSERT_TRUE(p);
    expect_printed_evalue(
        evalue(*p, hit.score, hit.query_length, hit.subject_length, kSampleResidues, kSampleSequences),
        hit.printed_evalue);
    const double bits = bit_score(*p, hit.score);
    if (hit.printed_bit_score > 99.9) {
      EXPECT_EQ(static_cast<long>(bits), static_cast<long>(hit.printed_bit_score));
    } else {
      EXPECT_NEAR(bits, hit.printed_bit_score, 0.05);
    }
  }
}

// One query's statistics keep each score's terms: whatever order the scores
// come in, repeated or not, inside the kept range or past it, every E-value
// and bit score is the one worked out afresh for that pair, to the last bit.
TEST(Statistics, QueryStatisticsGiveEachPairsOwnNumbers) {
  for (const auto& [matrix, open, extend] : {std::tuple{"BLOSUM62", 11, 1}, std::tuple{"BLOSUM45", 14, 2}}) {
    const auto p = karlin_altschul(matrix, open, extend);
    ASSERT_TRUE(p);
    QueryStatistics query(*p, 436, kSampleResidues, kSampleSequences);
    std::uint32_t state = 12345;
    for (int k = 0; k < 3000; ++k) {
      state = state * 1664525u + 1013904223u;
      // A third of them up to 16383, past the 4096 scores whose terms are kept.
      const int score = k % 3 == 0 ? static_cast<int>(state >> 18) : static_cast<int>((state >> 8) % 300);
      const std::size_t length = 1 + (state >> 4) % 5000;
      ASSERT_EQ(query.evalue(score, length), evalue(*p, score, 436, length, kSampleResidues, kSampleSequences))
          << matrix << " score " << score << " length " << length;
      ASSERT_EQ(query.bit_score(score), bit_score(*p, score)) << score;
    }
  }
}

TEST(Statistics, QueryStatisticsCheckTheSizesAsEvalueDoes) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  EXPECT_EQ(error_of([&] { QueryStatistics(*p, 100, 1000, 0); }),
            "E-value: the database has no sequences, so no subject can belong to it");
  QueryStatistics query(*p, 100, 1000, 3);
  EXPECT_EQ(error_of([&] { query.evalue(50, 1001); }),
            "E-value: the subject (1001 residues) is longer than the whole database (1000 residues)");
}

// blastp's -dbsize scales a pair's expectation by another database length;
// -searchsp replaces the finite-size corrected expectation with the classic
// K N exp(-lambda S) (blastp 2.12 prints 1.03e-137 for this hit with
// -searchsp 1000000000), and with both, -searchsp's is the E-value.
TEST(Statistics, DbsizeAndSearchspAreBlastps) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  const double plain = evalue(*p, 74, 246, 300, kSampleResidues, kSampleSequences);
  const double larger = evalue(*p, 74, 246, 300, kSampleResidues, kSampleSequences, {100 * kSampleResidues, 0});
  EXPECT_DOUBLE_EQ(larger, 100 * plain);
  const double classic = p->K * 1e9 * std::exp(-p->lambda * 1247);
  EXPECT_DOUBLE_EQ(evalue(*p, 1247, 246, 246, kSampleResidues, kSampleSequences, {0, 1000000000}), classic);
  EXPECT_DOUBLE_EQ(evalue(*p, 1247, 246, 246, kSampleResidues, kSampleSequences, {5, 1000000000}), classic);
  QueryStatistics query(*p, 246, kSampleResidues, kSampleSequences, {0, 1000000000});
  EXPECT_DOUBLE_EQ(query.evalue(1247, 246), classic);
}

TEST(Statistics, EvalueIsBlastpsSpougeCorrectionNotThePlainFormula) {
  // The plain K m n exp(-lambda S) over the database is 3e-138 for this hit;
  // blastp prints 1.37e-177.
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  const double corrected = evalue(*p, 1247, 246, 246, kSampleResidues, kSampleSequences);
  const double plain = p->K * 246.0 * kSampleResidues * std::exp(-p->lambda * 1247);
  EXPECT_LT(corrected, plain * 1e-30);
}

TEST(Statistics, EvalueScalesWithTheWholeDatabaseAndFallsWithScore) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  const double one = evalue(*p, 80, 300, 400, 1'000'000, 3000);
  const double ten = evalue(*p, 80, 300, 400, 10'000'000, 30000);
  EXPECT_NEAR(ten / one, 10.0, 1e-9);
  // blastp's Spouge E-value does not depend on the number of sequences.
  EXPECT_DOUBLE_EQ(evalue(*p, 80, 300, 400, 1'000'000, 1), one);
  double previous = std::numeric_limits<double>::infinity();
  for (int score = 0; score <= 2000; score += 7) {
    const double e = evalue(*p, score, 300, 400, 1'000'000, 3000);
    EXPECT_TRUE(std::isfinite(e)) << score;
    EXPECT_GE(e, 0.0) << score;
    EXPECT_LT(e, previous) << score;
    previous = e;
  }
}

TEST(Statistics, EmptySequencesGiveFiniteEvalues) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  EXPECT_TRUE(std::isfinite(evalue(*p, 0, 0, 0, 0, 1)));
  EXPECT_GT(evalue(*p, 0, 0, 0, 0, 1), 0.0);
  EXPECT_TRUE(std::isfinite(evalue(*p, 0, 10, 0, 500, 3)));
  EXPECT_GT(evalue(*p, 0, 10, 0, 500, 3), 0.0);
}

TEST(Statistics, SizesThatCannotBelongToOneDatabaseAreAnError) {
  const auto p = karlin_altschul("BLOSUM62", 11, 1);
  ASSERT_TRUE(p);
  EXPECT_EQ(error_of([&] { evalue(*p, 50, 100, 1001, 1000, 5); }),
            "E-value: the subject (1001 residues) is longer than the whole database (1000 residues)");
  EXPECT_EQ(error_of([&] { evalue(*p, 50, 100, 10, 1000, 0); }),
            "E-value: the database has no sequences, so no subject can belong to it");
  EXPECT_THROW(evalue(*p, 50, 100, 10, 1000, 0), InputError);
}

}  // namespace
}  // namespace swl
