// The contract between the interseq stage (stages/interseq.cpp), which owns
// the database, the threads and the rescoring, and the per-level
// inter-sequence kernels of kernels/interseq.cpp: plain structs and raw
// pointers, so that the per-level units need no library code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace swl::kernels::interseq {

// Subject columns per pass down the query, at most (each ISA sets its own).
inline constexpr int kMaxColumns = 8;
inline constexpr int kMaxLanes = 64;
inline constexpr int kVectorBytes = 64;
inline constexpr int kLetters = 27;  // kAlphabetSize (core/alphabet.hpp)
// The residue code idle lanes and the ends of sequences read: its row entry
// is negative, so padded cells never raise a lane's best score.
inline constexpr std::uint8_t kPadCode = 31;
// The score-row table: per query letter, 64 int8 entries (residue codes;
// kLetters..63 are padding and score -128) and then the first 32 of them as int16.
inline constexpr int kRowBytes = 128;
inline constexpr int kRow16Offset = 64;

// One level of the search (int8 or int16) over a list of subjects, shared by
// every thread. Plain pointers: the per-ISA code must not touch std types.
struct Job {
  const std::uint8_t* query;
  std::size_t query_length;
  const std::uint8_t* letters;  // the distinct letters of the query
  int letter_count;
  const std::uint8_t* rows;  // kLetters score rows of kRowBytes
  int gap_open_extend;
  int gap_extend;
  const std::uint8_t* const* subjects;  // longest first, none empty
  const std::uint32_t* lengths;
  const std::uint32_t* slots;  // where each subject's score goes
  std::size_t count;
  std::size_t first_claims;  // lanes one thread fills at the start, so small jobs spread over threads
  std::size_t claim_batch;   // subjects a thread takes from the shared queue at once
  std::size_t* cursor;       // the next subject to claim, shared
  std::int32_t* scores;      // by slot
  std::uint8_t* saturated;   // by slot: 1 if the lanes overflowed and the score is not exact
  // Null, or nonzero once the search is to stop: polled once per pass (read
  // with __atomic_load_n); a thread that sees it returns with scores unfinished.
  const int* cancel;
};

// One thread's scratch, sized for the widest kernel.
struct Scratch {
  std::uint8_t* h;        // query_length vectors: H of the last column of the previous pass
  std::uint8_t* e;        // query_length vectors: E entering the next pass
  std::uint8_t* profile;  // kLetters * kMaxColumns vectors
  std::uint8_t* chunks;   // kMaxLanes * kMaxColumns: each lane's residue codes for this pass
  std::uint8_t* best;     // one vector
  std::uint8_t* keep;     // one vector: lane ceiling to keep, floor to reset
  const std::uint8_t** next;  // kMaxLanes: each lane's next residue
  std::uint32_t* left;        // kMaxLanes: residues left in each lane
  std::uint32_t* slot;        // kMaxLanes
  std::uint32_t* finishing;   // kMaxLanes
  std::size_t* claimed;       // 2: the next and the end of this thread's batch of the queue
};

using Function = void (*)(const Job&, const Scratch&);

// The vector instructions of one cell vector (one subject column of one
// query row, every lane) in a variant's inner loop, by class: what the
// ceiling of bench/ceiling.cpp weighs against this machine's throughput
// per class. Counted by hand from kernels/interseq.cpp's sweep and held to
// the compiled loop by tests/python/test_interseq_mix.py. Per cell:
// saturating adds and subtractions: hd, the open, the two extends (4);
// maxima: H from hd, F and E, E's and F's updates, the best score (5). The
// spread form does three of the maxima as a compare and a masked move; the
// masked form does each gap's extend and update as a compare and a masked
// plain subtraction (with a gap extension of 1, as tuned and timed).
// Per row, shared by the columns of a pass: the H and E loads and stores;
// the profile is a memory operand of the add, one load per cell.
struct InstructionMix {
  double adds;          // vpaddsb, vpsubsb
  double maxes;         // vpmaxsb
  double spread_pairs;  // vpcmpgtb into a mask and a masked vmovdqu8
  double masked_pairs;  // vpcmpgtb into a mask and a masked vpsubb
  double loads;
  double stores;
};

enum class MixForm { max, spread, masked };

constexpr InstructionMix instruction_mix(int columns, MixForm form) {
  const double per_row = 2.0 / columns;  // H and E of the pass's last column
  switch (form) {
    case MixForm::max: return {4.0, 5.0, 0.0, 0.0, 1.0 + per_row, per_row};
    case MixForm::spread: return {4.0, 2.0, 3.0, 0.0, 1.0 + per_row, per_row};
    case MixForm::masked: return {2.0, 3.0, 0.0, 2.0, 1.0 + per_row, per_row};
  }
  return {};
}

// One level's kernels: search8 runs int8 lanes (narrow_lanes of them),
// search16 int16 lanes (half as many). Each thread calls one with the shared
// Job and a Scratch of its own.
struct Kernel {
  Function search8;
  Function search16;
  int narrow_lanes;
};

}  // namespace swl::kernels::interseq
