#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

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
  // BLAST's BLOSUM80, in 1/2-bit units (FASTA's 1/3-bit table has 7 and 16).
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM80").score(code('A'), code('A')), 5);
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM80").score(code('W'), code('W')), 11);
  for (const auto& name : ScoreMatrix::builtin_names()) {
    const auto m = ScoreMatrix::builtin(name);
    for (int a = 0; a < kAlphabetSize; ++a) {
      for (int b = 0; b < kAlphabetSize; ++b) EXPECT_EQ(m.score(a, b), m.score(b, a)) << name;
    }
  }
}

// swladder's rule for the letters NCBI files lack: U scores as C (as blastp
// and ssearch36), O as K (as ssearch36), J as the better of I and L.
TEST(Matrix, UOJTakeTheirStandInsScoresInEveryBuiltin) {
  const auto code = [](char c) { return encode(std::string(1, c))[0]; };
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM62").score(code('U'), code('C')), 9);
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM62").score(code('J'), code('J')), 4);
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM62").score(code('J'), code('M')), 2);  // I/M 1, L/M 2
  EXPECT_EQ(ScoreMatrix::builtin("BLOSUM62").score(code('J'), code('V')), 3);  // I/V 3, L/V 1
  for (const auto& name : ScoreMatrix::builtin_names()) {
    const auto m = ScoreMatrix::builtin(name);
    for (int b = 0; b < kAlphabetSize; ++b) {
      const auto other = static_cast<std::uint8_t>(b);
      // Against U, O or J themselves, the stand-in's entry against the stand-in.
      const auto as = [&](std::uint8_t c) -> std::uint8_t {
        return c == kCodeU ? code('C') : c == kCodeO ? code('K') : c;
      };
      EXPECT_EQ(m.score(kCodeU, other), m.score(code('C'), as(other))) << name << " U/" << kAlphabet[b];
      EXPECT_EQ(m.score(other, kCodeU), m.score(as(other), code('C'))) << name << " " << kAlphabet[b] << "/U";
      EXPECT_EQ(m.score(kCodeO, other), m.score(code('K'), as(other))) << name << " O/" << kAlphabet[b];
      EXPECT_EQ(m.score(other, kCodeO), m.score(as(other), code('K'))) << name << " " << kAlphabet[b] << "/O";
      if (b == kCodeJ) continue;
      EXPECT_EQ(m.score(kCodeJ, other), std::max(m.score(code('I'), as(other)), m.score(code('L'), as(other))))
          << name << " J/" << kAlphabet[b];
      EXPECT_EQ(m.score(other, kCodeJ), std::max(m.score(as(other), code('I')), m.score(as(other), code('L'))))
          << name << " " << kAlphabet[b] << "/J";
    }
    int best = -128;
    for (const char a : {'I', 'L'}) {
      for (const char b : {'I', 'L'}) best = std::max(best, m.score(code(a), code(b)));
    }
    EXPECT_EQ(m.score(kCodeJ, kCodeJ), best) << name;
  }
}

TEST(Matrix, AFileThatScoresUOJIsTakenAtItsWordAndTheRuleFillsTheRest) {
  // A file with a J row and column (as some NCBI files have) and none for U or O.
  const std::string letters = "ARNDCQEGHILKMFPSTWYVBJZX*";
  std::string text = "  ";
  for (const char column : letters) text += std::string("  ") + column;
  text += "\n";
  for (const char row : letters) {
    text += row;
    for (const char column : letters) {
      const bool j = row == 'J' || column == 'J';
      text += row == column ? (j ? "  3" : "  5") : (j ? " -3" : (row == 'C' || column == 'C') ? " -1" : " -2");
    }
    text += "\n";
  }
  const auto m = ScoreMatrix::parse_ncbi(text, "with J");
  const auto code = [](char c) { return encode(std::string(1, c))[0]; };
  EXPECT_EQ(m.score(kCodeJ, kCodeJ), 3);
  EXPECT_EQ(m.score(kCodeJ, code('I')), -3);
  EXPECT_EQ(m.score(code('L'), kCodeJ), -3);
  EXPECT_EQ(m.score(kCodeU, kCodeU), 5);  // C/C
  EXPECT_EQ(m.score(kCodeU, code('A')), -1);  // C/A
  EXPECT_EQ(m.score(kCodeU, kCodeJ), -1);  // C/I and C/L from the 24, not the file's J
  EXPECT_EQ(m.score(kCodeO, kCodeO), 5);  // K/K
  EXPECT_EQ(m.score(kCodeO, kCodeU), -1);  // K/C
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

TEST(Matrix, AWrongFilesBytesAreEscapedAndABinaryFileIsSaidToBeOne) {
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi(std::string("\x7f" "ELF\x02\x01 A\n", 9), "m"); }),
            "matrix 'm' line 1: header entry '\\x7fELF\\x02\\x01' is not a residue letter");
  EXPECT_EQ(error_of([] { ScoreMatrix::parse_ncbi("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123\n", "m"); }),
            "matrix 'm' line 1: header entry 'ABCDEFGHIJKLMNOPQRSTUVWX'... is not a residue letter");
  const auto path = std::filesystem::temp_directory_path() / ("swl-binary-matrix-" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string("\x7f" "ELF\x02\x01\x00\x00 A R\n", 12);
  }
  const std::string message = error_of([&] { ScoreMatrix::from_file(path.string()); });
  std::filesystem::remove(path);
  EXPECT_EQ(message, "matrix file '" + path.string() +
                         "' is not a text matrix: it holds binary data (give an NCBI-format matrix file)");
}

TEST(Matrix, ADirectoryNamedWithoutASlashIsOpenedAsAFile) {
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(std::filesystem::temp_directory_path());
  const auto name = "swl-matrix-dir-" + std::to_string(::getpid());
  std::filesystem::create_directory(name);
  const std::string message = error_of([&] { ScoreMatrix::named_or_file(name); });
  std::filesystem::remove(name);
  std::filesystem::current_path(before);
  EXPECT_EQ(message, "cannot open matrix file '" + name + "': Is a directory");
}

}  // namespace
}  // namespace swl
