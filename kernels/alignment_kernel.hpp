// The contract between the alignment driver (stages/fast_alignment.cpp) and
// the per-level score passes of kernels/alignment.cpp: plain structs and raw
// pointers only, so that the per-level units need no library code.
//
// A pass is Farrar's striped recurrence in signed 16-bit lanes with the lazy
// F loop, which leaves every cell of a column exact (the search's striped
// kernel folds F into the next column instead, which keeps the column's best
// exact but not each cell, and the alignment needs the cell).
#pragma once

#include <cstddef>
#include <cstdint>

namespace swl::kernels::alignment {

// A striped query profile in int16 lanes. With L lanes and S segments, query
// position i lives in lane i / S of segment i % S. Block c (one per residue
// code) holds S vectors of score(query[i], c); positions past the query's end
// hold kPaddingScore, so that they never reach a column's best.
struct Profile {
  const std::int16_t* scores;
  std::size_t segments;
  std::size_t length;  // the query positions that are real (the rest pad)
  int open_extend;     // gap_open + gap_extend
  int extend;
};

inline constexpr std::int16_t kPaddingScore = -16384;

// Column values at or above this stop a pass as saturated: a column's cells
// are then at most 127 below the lane maximum, so nothing has been clipped
// yet, and the caller scores the pair again in 32 bits.
inline constexpr std::int32_t kSaturationLimit = 32767 - 128;

// Three buffers of `segments` vectors each, aligned to the vector width.
struct Scratch {
  void* h_previous;
  void* h_current;
  void* e;
};

enum class Status : std::uint8_t {
  kDone,       // every column ran (no target, or the target was never reached)
  kReached,    // stopped at the first column whose best reached the target
  kSaturated,  // a column reached kSaturationLimit: nothing is reported
};

// What a pass found: its best cell value and the first cell holding it in
// column-major order (smallest column, then smallest query position).
struct Result {
  Status status = Status::kDone;
  std::int32_t best = 0;
  std::size_t column = 0, row = 0;
  std::size_t columns_run = 0;  // columns computed (the cells are columns_run * length)
};

// One pass over the columns subject[0, length):
// - local: the Smith-Waterman recurrence with the zero floor, from zeros;
// - anchored (local false): no floor, every cell starts at minus infinity but
//   the diagonal into the first query position of the first column, which is
//   0, so every path starts with a substitution at (0, 0).
// It stops after the first column whose best is >= target (target <= 0: it
// never stops early). In an anchored pass no cell may exceed the target; a
// cell clipped at the bottom of the lane range is higher than its true value
// but stays below any value a path through it could reach (see the driver).
using PassFunction = Result (*)(const Profile& profile, const std::uint8_t* subject, std::size_t length, bool local,
                                std::int32_t target, const Scratch& scratch);

// One level's pass, laid out in vectors of vector_bytes.
struct Kernel {
  std::size_t vector_bytes;
  PassFunction pass;
};

}  // namespace swl::kernels::alignment
