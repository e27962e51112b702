#include <gtest/gtest.h>

#include "error_of.hpp"

#include "errors.hpp"
#include "scoring.hpp"

namespace swl {
namespace {

using testing_support::error_of;

TEST(Matrix, BuiltinTablesHaveTheirPublishedValues) {
  const auto blosum62 = ScoreMatrix::builtin("blosum62");
  const auto code = [](char c) { return encode(std::string(1, c))[0]; };
  EXPECT_EQ(blosum62.name(), "BLOSUM62");
  EXPECT_EQ(blosum62.score(code('W'), code('W')), 11);
  EXPECT_EQ(blosum62.score(code('A'), code('R')), -1);
  EXPECT_EQ(blosum62.score(code('*'), code('*')), 1);
  EXPECT_EQ(blosum62.score(code('A'), code('*')), -4);
  EXPECT_EQ(ScoreMatrix::builtin("PAM250").score(code('W'), code('W')), 17);
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM45").score(code('C'), code('C')), 12);
  for (const auto& name : ScoreMatrix::builtin_names()) {
    const auto m = ScoreMatrix::builtin(name);
    for (int a = 0; a < kAlphabetSize; ++a) {
      for (int b = 0; b < kAlphabetSize; ++b) EXPECT_EQ(m.score(a, b), m.score(b, a)) << name;
    }
  }
}

TEST(Matrix, UnknownNameListsTheBuiltins) {
  EXPECT_EQ(error_of([] { ScoreMatrix::builtin("BLOSUM99"); }),
            "unknown matrix 'BLOSUM99' (built in: BLOSUM45, BLOSUM50, BLOSUM62, BLOSUM80, PAM250; or give the "
            "path of an NCBI-format matrix file)");
}

TEST(Matrix, ParsesNcbiTextAndFillsAMissingStop) {
  std::string text = "# comment\n   A  R  N  D  C  Q  E  G  H  I  L  K  M  F  P  S  T  W  Y  V  B  Z  X\n";
  const std::string letters = "ARNDCQEGHILKMFPSTWYVBZX";
  for (const char row : letters) {
    text += row;
    for (const char column : letters) text += row == column ? "  5" : " -2";
    text += "\n";
  }
  const auto m = ScoreMatrix::parse_ncbi(text, "mine");
  EXPECT_EQ(m.score(0, 0), 5);
  EXPECT_EQ(m.score(0, 1), -2);
  EXPECT_EQ(m.score(0, kCodeStop), -2);
  EXPECT_EQ(m.score(kCodeStop, kCodeStop), 1);
}

TEST(Matrix, MalformedFilesFailWithLineAndReason) {
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi("   A R\nA 1\n", "m"); }),
            "matrix 'm' line 2: expected 2 scores, found 1");
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi("   A R\nA 1 x\n", "m"); }),
            "matrix 'm' line 2: score 'x' is not an integer");
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi("   A R\nA 1 300\n", "m"); }),
            "matrix 'm' line 2: score 300 is outside [-127, 127]");
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi("   A R\nA 1 2\nR 2 1\n", "m"); }),
            "matrix 'm': no score for A/N");
  EXPECT_THROW(ScoreMatrix::from_file("/nonexistent.mat"), FileError);
}

TEST(Scoring, PenaltiesAreValidated) {
  EXPECT_NO_THROW(make_scoring("BLOSUM62", 11, 1));
  EXPECT_NO_THROW(make_scoring("BLOSUM62", 0, 1));
  EXPECT_NO_THROW(make_scoring("BLOSUM62", 5, 0));
  EXPECT_EQ(error_of([] { make_scoring("BLOSUM62", -1, 1); }), "gap_open must be between 0 and 255, got -1");
  EXPECT_EQ(error_of([] { make_scoring("BLOSUM62", 11, -2); }), "gap_extend must be between 0 and 255, got -2");
  EXPECT_EQ(error_of([] { make_scoring("BLOSUM62", 0, 0); }),
            "gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded");
  EXPECT_EQ(error_of([] { make_scoring("BLOSUM62", 256, 1); }), "gap_open must be between 0 and 255, got 256");
}

}  // namespace
}  // namespace swl
