// The scoring scheme of the workload. A gap of length k costs
// gap_open + k * gap_extend (the BLAST, SWIPE and ssearch36 convention;
// parasail's open is our gap_open + gap_extend).
#pragma once

#include <string>

#include "matrix.hpp"

namespace swl {

inline constexpr int kMaxGapPenalty = 255;

struct Scoring {
  ScoreMatrix matrix = ScoreMatrix::builtin("BLOSUM62");
  int gap_open = 11;
  int gap_extend = 1;

  // Throws InputError unless 0 <= gap_open, gap_extend <= 255 and
  // gap_open + gap_extend >= 1 (a free gap makes every score unbounded).
  void validate() const;
  std::string describe() const;  // "BLOSUM62 11/1"
};

Scoring make_scoring(const std::string& matrix_name_or_path, int gap_open, int gap_extend);

}  // namespace swl
