// The verification harness, the one every caller uses (tests, benchmarks,
// the Python package and its ladder): runs a stage, or any scoring function
// (a Python rung, a peer), on a corpus and compares every score with the
// reference rung's (reference_for in registry.hpp). Exact means exact: one
// differing score fails, and the report carries what reproduces it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "registry.hpp"
#include "stage.hpp"

namespace swl {

struct VerifyCase {
  std::string label;
  std::string query;
  std::vector<std::string> subjects;
  std::string matrix = "BLOSUM62";
  int gap_open = 11;
  int gap_extend = 1;
  // Reference scores, filled on first use and keyed by the reference stage.
  mutable std::map<std::string, std::vector<std::int32_t>> expected;
};

struct CorpusOptions {
  std::uint64_t seed = 20261128;
  // Adds the slow cases: titin-size (35,000-residue) self-alignments and
  // 16-bit overflow on long sequences.
  bool large = false;
  // A sample of real sequences (names dropped) to mix in.
  std::vector<std::string> real_sequences;
};

std::vector<VerifyCase> build_corpus(const CorpusOptions& options = {});

struct Mismatch {
  std::string case_label;
  std::size_t subject_index = 0;
  std::string query;
  std::string subject;
  std::string matrix;
  int gap_open = 0;
  int gap_extend = 0;
  std::int32_t expected = 0;
  std::int32_t actual = 0;
  std::string describe() const;  // one line: case, subject, both scores, scoring, both sequences
};

struct VerifyReport {
  std::string stage;
  std::string reference;
  std::string kernel;
  int threads = 1;
  bool passed = false;
  std::size_t cases = 0;
  std::size_t pairs = 0;
  std::size_t skipped_pairs = 0;  // beyond what the stage or reference can hold (Stage::max_pair_cells)
  double cells = 0;
  std::optional<Mismatch> first_mismatch;
  std::string error;  // an exception the stage threw, if any
  std::string describe() const;
};

// Scores one case's subjects (those within the pair limit), in order.
using ScoreFunction =
    std::function<std::vector<std::int32_t>(const VerifyCase& c, const std::vector<std::string>& subjects)>;

// Checks `score` against `reference` on every case of the corpus; pairs of
// more than max_pair_cells cells (0: no limit), or more than the reference
// holds, are skipped and counted. `name` labels the report. `cancel` (may
// be null) stops it between cases and inside the reference's searches: it
// throws Cancelled, as does a `score` that throws it, rather than report.
VerifyReport verify_scores(std::string_view name, const ScoreFunction& score, const Stage& reference,
                           const std::vector<VerifyCase>& corpus, double max_pair_cells = 0,
                           const CancelFlag* cancel = nullptr);

// verify_scores for a stage with these options (options.cancel stops both
// stages), against `reference` or, by default, reference_for(stage).
VerifyReport verify_stage(const Stage& stage, const std::vector<VerifyCase>& corpus,
                          const SearchOptions& options = {}, const Stage* reference = nullptr);

}  // namespace swl
