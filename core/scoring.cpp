#include "scoring.hpp"

#include "errors.hpp"

namespace swl {

void Scoring::validate() const {
  const auto check = [](const char* what, int value) {
    if (value < 0 || value > kMaxGapPenalty) {
      throw InputError(std::string(what) + " must be between 0 and " + std::to_string(kMaxGapPenalty) + ", got " +
                       std::to_string(value));
    }
  };
  check("gap_open", gap_open);
  check("gap_extend", gap_extend);
  if (gap_open + gap_extend == 0) {
    throw InputError("gap_open + gap_extend must be at least 1: a gap that costs nothing makes every score unbounded");
  }
}

std::string Scoring::describe() const {
  return matrix.name() + " " + std::to_string(gap_open) + "/" + std::to_string(gap_extend);
}

Scoring make_scoring(const std::string& matrix_name_or_path, int gap_open, int gap_extend) {
  Scoring scoring{ScoreMatrix::named_or_file(matrix_name_or_path), gap_open, gap_extend};
  scoring.validate();
  return scoring;
}

}  // namespace swl
