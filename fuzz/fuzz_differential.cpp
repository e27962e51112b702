// Differential fuzzer: every stage of the registry, with every kernel it
// lists for this CPU, on 1 and 2 threads, must give exactly the reference
// rung's scores, and the SIMD alignment passes at every level this CPU runs
// each pair's scalar alignment. The input decodes, front to back (bytes past
// the end read as 0), into:
//
//   matrix selector: % 8 -> 0..4 a built-in (builtin_names() order), 5..7 a
//                    random NCBI text with entries in [-4,4], [-20,20] or
//                    [-127,127] (then one flags byte: bit 0 leaves out '*',
//                    bit 1 makes it asymmetric; then one byte per entry)
//   gap_open, gap_extend: one byte each (both 0 reads as 0/1)
//   query, then a subject count (% 9), then each subject: a count of
//   operations, then that many operation bytes: below 200, the residue
//   kAlphabet[byte % kAlphabetSize]; 200 and up, the last residue repeated
//   (byte - 199) * 4 more times (long runs of one residue saturate narrow
//   lanes). Sequences stop at kMaxLength residues.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alignment.hpp"
#include "alphabet.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "fast_alignment.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "scoring.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr std::size_t kMaxLength = 300;
constexpr std::size_t kMaxSubjects = 8;
// Stages that keep whole matrices (max_pair_cells() > 0) are slow; past this
// many cells in all they are left out so the fuzzer keeps its pace.
constexpr double kSlowStageCells = 4000;

class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t next() { return position_ < size_ ? data_[position_++] : 0; }
  bool exhausted() const { return position_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

std::string read_sequence(ByteReader& in) {
  std::string sequence;
  const int operations = in.next();
  for (int k = 0; k < operations && sequence.size() < kMaxLength && !in.exhausted(); ++k) {
    const std::uint8_t op = in.next();
    if (op < 200) {
      sequence.push_back(swl::kAlphabet[op % swl::kAlphabetSize]);
    } else if (!sequence.empty()) {
      sequence.append(static_cast<std::size_t>(op - 199) * 4, sequence.back());
    }
  }
  if (sequence.size() > kMaxLength) sequence.resize(kMaxLength);
  return sequence;
}

// A random NCBI-format text, so that random tables also go through parse_ncbi.
std::string read_matrix_text(ByteReader& in, int bound) {
  const std::uint8_t flags = in.next();
  const bool without_stop = flags & 1;
  const bool asymmetric = flags & 2;
  // The 24 NCBI letters ('*' last), as matrix files have them; U, O and J
  // then follow swladder's rule.
  const int letters = without_stop ? swl::kNcbiLetters - 1 : swl::kNcbiLetters;
  std::vector<int> values(static_cast<std::size_t>(letters * letters));
  for (int a = 0; a < letters; ++a) {
    for (int b = 0; b < letters; ++b) {
      if (!asymmetric && b < a) {
        values[a * letters + b] = values[b * letters + a];
      } else {
        values[a * letters + b] = static_cast<int>(in.next() % (2 * bound + 1)) - bound;
      }
    }
  }
  std::string text = "# fuzzed\n ";
  for (int a = 0; a < letters; ++a) {
    text += ' ';
    text += swl::kAlphabet[a];
  }
  text += "\n";
  for (int a = 0; a < letters; ++a) {
    text += swl::kAlphabet[a];
    for (int b = 0; b < letters; ++b) {
      text += ' ';
      text += std::to_string(values[a * letters + b]);
    }
    text += "\n";
  }
  return text;
}

// An alignment's fields for a failure message (swl::describe_alignment is
// BLAST's columns, which need the sequences).
std::string alignment_text(const swl::Alignment& a) {
  return "score " + std::to_string(a.score) + ", query [" + std::to_string(a.query_begin) + ", " +
         std::to_string(a.query_end) + "), subject [" + std::to_string(a.subject_begin) + ", " +
         std::to_string(a.subject_end) + "), operations " + a.operations;
}

std::string describe_case(const std::string& matrix_text, const swl::Scoring& scoring, const std::string& query,
                          const std::vector<std::string>& subjects) {
  std::string out = "scoring: " + scoring.describe() + "\nquery: " + query + "\n";
  for (std::size_t i = 0; i < subjects.size(); ++i) out += "subject " + std::to_string(i) + ": " + subjects[i] + "\n";
  if (!matrix_text.empty()) out += "matrix text:\n" + matrix_text;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  static const std::vector<std::string> builtins = swl::ScoreMatrix::builtin_names();

  const int selector = in.next() % 8;
  std::string matrix_text;
  swl::Scoring scoring;
  if (selector < static_cast<int>(builtins.size())) {
    scoring.matrix = swl::ScoreMatrix::builtin(builtins[static_cast<std::size_t>(selector)]);
  } else {
    static constexpr int kBounds[] = {4, 20, 127};
    matrix_text = read_matrix_text(in, kBounds[(selector - static_cast<int>(builtins.size())) % 3]);
    try {
      scoring.matrix = swl::ScoreMatrix::parse_ncbi(matrix_text, "fuzzed");
    } catch (const swl::InputError& error) {
      swl::fuzz::fail(std::string("parse_ncbi rejected a well-formed table: ") + error.what() + "\n" + matrix_text);
    }
  }
  scoring.gap_open = in.next();
  scoring.gap_extend = in.next();
  if (scoring.gap_open + scoring.gap_extend == 0) scoring.gap_extend = 1;

  const std::string query_text = read_sequence(in);
  std::vector<std::string> subject_texts(in.next() % (kMaxSubjects + 1));
  for (auto& subject : subject_texts) subject = read_sequence(in);

  const std::vector<std::uint8_t> query = swl::encode(query_text);
  const swl::Database db = swl::Database::from_sequences(subject_texts);
  double cells = 0;
  for (std::size_t i = 0; i < db.size(); ++i) cells += static_cast<double>(query.size() * db.length(i));

  const swl::Stage& reference = swl::reference_stage();
  const std::vector<std::int32_t> expected = reference.search(query, db, scoring).scores;
  SWL_FUZZ_CHECK(expected.size() == db.size(), "the reference returned the wrong number of scores");

  for (const swl::Stage* stage : swl::registry()) {
    if (stage->max_pair_cells() > 0 && cells > kSlowStageCells) continue;
    for (const std::string& kernel : stage->kernels()) {
      for (int threads : {1, 2}) {
        if (threads > 1 && !stage->threaded()) continue;
        const swl::SearchResult result = stage->search(query, db, scoring, {threads, kernel});
        std::string problem;
        if (result.scores.size() != expected.size()) {
          problem = std::to_string(result.scores.size()) + " scores for " + std::to_string(expected.size()) +
                    " subjects";
        } else if (result.kernel != kernel) {
          problem = "ran kernel " + result.kernel;
        } else {
          for (std::size_t i = 0; i < expected.size() && problem.empty(); ++i) {
            if (result.scores[i] != expected[i]) {
              problem = "subject " + std::to_string(i) + " scores " + std::to_string(result.scores[i]) + ", " +
                        std::string(reference.name()) + " says " + std::to_string(expected[i]);
            }
          }
        }
        if (!problem.empty()) {
          swl::fuzz::fail(std::string(stage->name()) + " kernel " + kernel + ", " + std::to_string(threads) +
                          " thread(s): " + problem + "\n" + describe_case(matrix_text, scoring, query_text,
                                                                          subject_texts));
        }
      }
    }
  }

  // Each pair's alignment: the SIMD passes at every level this CPU runs give
  // the scalar passes' (core's align), ties included, whatever the caller
  // says of the score: nothing, the truth, more, or less. A score below the
  // truth that some cell holds is taken at its word; the alignment then
  // re-scores to what it says.
  for (std::size_t i = 0; i < db.size(); ++i) {
    const std::span<const std::uint8_t> subject = db.sequence(i);
    const swl::Alignment scalar = swl::align(query, subject, scoring);
    const auto broken = [&](const std::string& what) {
      swl::fuzz::fail("subject " + std::to_string(i) + ": " + what + "\nscalar alignment: " +
                      alignment_text(scalar) + "\n" +
                      describe_case(matrix_text, scoring, query_text, subject_texts));
    };
    if (scalar.score != expected[i]) broken("the scalar alignment scores " + std::to_string(scalar.score));
    if (swl::rescore(scalar, query, subject, scoring) != scalar.score) broken("the scalar alignment re-scores otherwise");
    for (const swl::kernels::Level level : swl::kernels::alignment_family().levels()) {
      if (!swl::kernels::cpu_runs(level)) continue;
      for (const std::int32_t known : {swl::kUnknownScore, scalar.score, scalar.score + 3, scalar.score - 3}) {
        if (known != swl::kUnknownScore && known <= 0) continue;
        const swl::Alignment fast =
            swl::align_fast(query, subject, scoring, known, swl::kDefaultTracebackBudget, nullptr, level);
        const bool taken_at_its_word = known == scalar.score - 3 && fast.score == known;
        if (taken_at_its_word ? swl::rescore(fast, query, subject, scoring) != known : fast != scalar) {
          broken(std::string(swl::kernels::level_name(level)) + ", known score " + std::to_string(known) +
                 ": the SIMD alignment is " + alignment_text(fast));
        }
      }
    }
  }
  return 0;
}
