// The contract between the alignment driver (search/fast_alignment.cpp) and
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

// Buffers of `segments` vectors each, aligned to the vector width (the
// passes use the first three, the box pass all six).
struct Scratch {
  void* h_previous;
  void* h_current;
  void* e;
  void* f;         // F of every cell of the column
  void* e_column;  // E of every cell of the column (e holds the next column's)
  void* diagonal;  // H(i - 1, j - 1) + score(i, j) of every cell of the column
};
inline constexpr std::size_t kScratchBuffers = 6;

// Direction bits of one cell of the traceback box, as search/alignment.cpp's
// traceback reads them.
inline constexpr std::uint8_t kFromDiagonal = 0;  // H took the substitution
inline constexpr std::uint8_t kFromE = 1;         // H took E (a gap along the subject)
inline constexpr std::uint8_t kFromF = 2;         // H took F (a gap along the query)
inline constexpr std::uint8_t kEExtended = 4;     // E extended the previous column's E rather than opening
inline constexpr std::uint8_t kFExtended = 8;     // F extended the previous row's F rather than opening

enum class Status : std::uint8_t {
  kDone,       // every column ran (no target, or the target was never reached: then no cell)
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
// - anchored (local false): every cell starts at minus infinity but the
//   diagonal into the first query position of the first column, which is 0,
//   so every path starts with a substitution at (0, 0); H is floored at -1,
//   not 0.
// With target <= 0 it runs every column and reports the best cell. With a
// target it stops after the first column whose best is >= target and reports
// that column's best and first cell; if no column reaches the target it
// reports kDone and no cell (best and position unset). An anchored pass
// needs a target, and no local alignment inside the pass scoring above it;
// then the cells that reach the target are those an anchored pass without
// the floor (and without clipping at the bottom of the lane range) would
// find, and none exceeds it (kernels/alignment.cpp says why).
using PassFunction = Result (*)(const Profile& profile, const std::uint8_t* subject, std::size_t length, bool local,
                                std::int32_t target, const Scratch& scratch);

// The traceback box: the anchored pass over every column of
// subject[0, length), writing each cell's direction bits, column j's at
// bits + j * segments * lanes, in the profile's striped order (query position
// i at (i % segments) * lanes + i / segments), one byte per cell. F is kept
// exact per cell as well as H (the lazy loop runs until no lane's F changes),
// since the bits read it. H is floored at -1 as in the anchored pass, and on
// the same condition: no local alignment inside the box scores above the
// best anchored path to its last cell, which is below kSaturationLimit.
// Cells raised by the floor or clipped at the bottom lie off every optimal
// path and decide nothing on it.
using BoxFunction = void (*)(const Profile& profile, const std::uint8_t* subject, std::size_t length,
                             const Scratch& scratch, std::uint8_t* bits);

// One level's passes, laid out in vectors of vector_bytes.
struct Kernel {
  std::size_t vector_bytes;
  PassFunction pass;
  BoxFunction box;
};

}  // namespace swl::kernels::alignment
