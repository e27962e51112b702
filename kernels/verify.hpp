// The verification harness: runs any stage on a corpus and compares every
// score with the reference (the scalar stage; scalar itself is checked
// against naive). Exact means exact: one differing score fails the stage,
// and the report carries everything needed to reproduce it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
  std::string describe() const;  // one paragraph, with a Python line that reproduces it
};

struct VerifyReport {
  std::string stage;
  std::string reference;
  std::string kernel;
  int threads = 1;
  bool passed = false;
  std::size_t cases = 0;
  std::size_t pairs = 0;
  std::size_t skipped_pairs = 0;  // beyond what the stage or reference can hold (naive's full matrices)
  double cells = 0;
  std::optional<Mismatch> first_mismatch;
  std::string error;  // an exception the stage threw, if any
  std::string describe() const;
};

// The stage a stage is checked against: scalar, or naive for scalar itself.
const Stage& reference_for(const Stage& stage);

VerifyReport verify_stage(const Stage& stage, const std::vector<VerifyCase>& corpus,
                          const SearchOptions& options = {});

}  // namespace swl
