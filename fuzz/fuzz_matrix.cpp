// Fuzzes the NCBI matrix parser (ScoreMatrix::parse_ncbi) and make_scoring on
// the same text read from a file. Bad text must end in InputError naming the
// matrix; good text must give a table that survives a round trip through the
// format, the same table through make_scoring, and single-residue alignments
// that score exactly max(0, entry), row the query letter, column the subject's.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "alphabet.hpp"
#include "database.hpp"
#include "errors.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "scoring.hpp"
#include "fuzz_check.hpp"

namespace {

using swl::fuzz::printable;

std::string to_ncbi_text(const swl::ScoreMatrix& matrix) {
  std::string text = "# written back by fuzz_matrix\n  ";
  for (char letter : swl::kAlphabet) {
    text += "   ";
    text += letter;
  }
  text += "\n";
  for (int a = 0; a < swl::kAlphabetSize; ++a) {
    text += swl::kAlphabet[a];
    for (int b = 0; b < swl::kAlphabetSize; ++b) {
      text += ' ';
      text += std::to_string(matrix.score(a, b));
    }
    text += "\n";
  }
  return text;
}

// make_scoring reads a path; one file per process, rewritten for each input
// and removed when the process exits normally.
const std::string& scratch_path() {
  static const std::string path = "/tmp/swladder-fuzz-matrix-" + std::to_string(getpid()) + ".txt";
  // Registered after path is built, so it runs before path is destroyed.
  [[maybe_unused]] static const int registered = std::atexit([] { std::remove(scratch_path().c_str()); });
  return path;
}

void write_file(const std::string& path, std::string_view text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  SWL_FUZZ_CHECK(file != nullptr, "cannot write " + path);
  SWL_FUZZ_CHECK(std::fwrite(text.data(), 1, text.size(), file) == text.size(), "short write to " + path);
  std::fclose(file);
}

std::string table_difference(const swl::ScoreMatrix& a, const swl::ScoreMatrix& b) {
  for (int x = 0; x < swl::kAlphabetSize; ++x) {
    for (int y = 0; y < swl::kAlphabetSize; ++y) {
      if (a.score(x, y) != b.score(x, y)) {
        return std::string(1, swl::kAlphabet[x]) + "/" + swl::kAlphabet[y] + ": " + std::to_string(a.score(x, y)) +
               " against " + std::to_string(b.score(x, y));
      }
    }
  }
  return "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string& path = scratch_path();
  write_file(path, text);

  bool parsed = false;
  swl::ScoreMatrix matrix = swl::ScoreMatrix::builtin("BLOSUM62");
  try {
    matrix = swl::ScoreMatrix::parse_ncbi(text, "fuzzed");
    parsed = true;
  } catch (const swl::InputError& error) {
    const std::string_view message = error.what();
    SWL_FUZZ_CHECK(message.rfind("matrix 'fuzzed'", 0) == 0, "error message does not name the matrix: " + printable(message));
    SWL_FUZZ_CHECK(message.find('\n') == std::string_view::npos, "error message is not one line: " + printable(message));
  }

  // The same text from a file: the same verdict, the same table.
  try {
    const swl::Scoring from_file = swl::make_scoring(path, 11, 1);
    SWL_FUZZ_CHECK(parsed, "make_scoring accepted a matrix parse_ncbi rejects: " + printable(text));
    const std::string difference = table_difference(matrix, from_file.matrix);
    SWL_FUZZ_CHECK(difference.empty(), "make_scoring and parse_ncbi disagree at " + difference);
  } catch (const swl::InputError& error) {
    SWL_FUZZ_CHECK(!parsed, std::string("make_scoring rejected a matrix parse_ncbi accepts: ") + error.what());
  }
  if (!parsed) return 0;

  for (int a = 0; a < swl::kAlphabetSize; ++a) {
    for (int b = 0; b < swl::kAlphabetSize; ++b) {
      SWL_FUZZ_CHECK(matrix.score(a, b) >= -127 && matrix.score(a, b) <= 127, "entry outside [-127, 127]");
    }
  }
  const swl::ScoreMatrix reparsed = swl::ScoreMatrix::parse_ncbi(to_ncbi_text(matrix), "written back");
  const std::string difference = table_difference(matrix, reparsed);
  SWL_FUZZ_CHECK(difference.empty(), "round trip through the NCBI format changed " + difference);

  // Every query letter against every subject letter: a one-residue alignment
  // scores the entry, or 0 when it is negative.
  const swl::Scoring scoring{matrix, 11, 1};
  std::vector<std::string> letters;
  for (char letter : swl::kAlphabet) letters.emplace_back(1, letter);
  const swl::Database subjects = swl::Database::from_sequences(letters);
  const swl::Stage& reference = swl::reference_stage();
  for (int a = 0; a < swl::kAlphabetSize; ++a) {
    const std::uint8_t query = static_cast<std::uint8_t>(a);
    const auto scores = reference.search({&query, 1}, subjects, scoring).scores;
    for (int b = 0; b < swl::kAlphabetSize; ++b) {
      const int expected = std::max(0, matrix.score(a, b));
      SWL_FUZZ_CHECK(scores[b] == expected, std::string(reference.name()) + " scores " + swl::kAlphabet[a] + " against " +
                                       swl::kAlphabet[b] + " as " + std::to_string(scores[b]) + ", the table says " +
                                       std::to_string(expected));
    }
  }
  return 0;
}
