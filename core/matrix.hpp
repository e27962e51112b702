// Substitution matrices: the built-in published tables (core/matrices/*.txt,
// compiled in) and any matrix file in the NCBI text format.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alphabet.hpp"

namespace swl {

class ScoreMatrix {
 public:
  // A built-in table by name, case-insensitive: BLOSUM45, BLOSUM50, BLOSUM62,
  // BLOSUM80, PAM250. Throws InputError listing the names otherwise. Each
  // table is parsed once per process, on first use.
  static ScoreMatrix builtin(std::string_view name);
  static std::vector<std::string> builtin_names();

  // Parses the NCBI text format: '#' comments, a header row of letters, then
  // one row per letter. Letters of the 24 that the file lacks are an error,
  // except '*', which then scores the table's minimum (and 1 against itself),
  // as NCBI's tables do. Entries must lie in [-127, 127] so that 8-bit kernels
  // can hold them. U, O and J may be in the file, and then their entries are
  // used as given; every entry of theirs that the file lacks follows the
  // rule: U scores as C, O as K, and J as the better of I and L (a J/J entry
  // is the best of I/I, I/L, L/I and L/L).
  static ScoreMatrix parse_ncbi(std::string_view text, std::string name);
  static ScoreMatrix from_file(const std::string& path);

  // A name from builtin_names(), or a path to an NCBI matrix file.
  static ScoreMatrix named_or_file(std::string_view name_or_path);

  const std::string& name() const { return name_; }
  int score(std::uint8_t a, std::uint8_t b) const { return scores_[a * kAlphabetSize + b]; }
  int min_score() const;
  const std::array<std::int8_t, kAlphabetSize * kAlphabetSize>& table() const { return scores_; }

 private:
  std::string name_;
  std::array<std::int8_t, kAlphabetSize * kAlphabetSize> scores_{};
};

}  // namespace swl
