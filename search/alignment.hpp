// The optimal local alignment of one pair: the columns behind a score, for
// the few hits a search reports. Its score is the Smith-Waterman score (the
// scalar rung's) exactly, and memory stays linear in the lengths.
//
// Method, and why: a full traceback matrix of a titin-size pair (35,000 x
// 35,000) is 1.2 GB, so the alignment is found in three passes, each in
// linear space:
//  1. forward: the local recurrence gives the best score and its end cell;
//  2. reverse: the recurrence anchored at the end cell, over the reversed
//     prefixes, gives the start cell of an optimal alignment with that score
//     (it stops at the first such cell, so it costs about the alignment's
//     extent, not the prefixes');
//  3. traceback: inside the box from start to end, every global alignment is
//     a local one, so the best global affine alignment (Gotoh's three states)
//     scores exactly the best; it is traced back from stored direction bits
//     (one byte per cell). A box whose bits exceed the budget is cut into
//     pieces of rows: one forward pass keeps the H and E rows at each piece's
//     start (checkpoints), then the pieces are recomputed and traced from the
//     last to the first, recursively if one piece is still too big. The bits
//     are stored per cell and the traceback carries its state (H, E or F)
//     from one piece into the one above, so gap-open and gap-extend
//     decisions across piece boundaries are those of the whole matrix: the
//     alignment does not depend on the budget. Memory: about twice the budget
//     (24 MiB by default) plus four int32 rows; a titin-size pair uses under
//     48 MiB. Myers-Miller would also be linear, but its midpoint splits make
//     the tie-breaking rule depend on the recursion, which this does not.
//
// Two versions of the passes find the same cells:
//  - here, portable scalar code in two int32 rows (align, and each pass
//    alone: find_alignment_end, find_alignment_start), the reference;
//  - search/fast_alignment.* (align_fast, align_tasks, what the Python
//    package and the search tool call): the same recurrences striped in
//    int16 SIMD lanes (kernels/alignment.cpp, Farrar's layout with the lazy
//    F loop, so every cell of a column is exact; the anchored passes floor H
//    at -1, which raises only cells that no path reaching the score
//    crosses), each stopping at the first column that reaches its target.
//    Pass 1 takes the score the search already found as its target, which
//    halves its cells on average, and checks that the cell it stops at holds
//    exactly that score (else the whole pass runs). A pair scoring near the
//    int16 limit runs the scalar passes. Pass 3 traces back as this file
//    does in both, from bits the kernel's box pass writes where they fit the
//    budget.
//
// Ties, when several alignments score the best (deterministic, and the same
// choices as ssearch36 where checked, see tests/python/test_alignment.py):
//  - end: the smallest subject position reaching the best score, then the
//    smallest query position (the first cell in subject-major order);
//  - start: among optimal alignments ending there, the largest subject
//    position, then the largest query position (the shortest one);
//  - columns: traced back from the end, a substitution is preferred to a
//    gap, a subject residue against a gap ('D') to a query residue against a
//    gap ('I'), and a gap is opened (ends, read backwards) rather than
//    extended when both score the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cancel.hpp"
#include "database.hpp"
#include "scoring.hpp"

namespace swl {

struct Alignment {
  std::int32_t score = 0;
  std::size_t query_begin = 0, query_end = 0;      // 0-based, half-open: query[query_begin, query_end)
  std::size_t subject_begin = 0, subject_end = 0;  // likewise in the subject
  // One letter per alignment column: 'M' query and subject residue aligned
  // (match or mismatch), 'I' query residue against a gap, 'D' subject residue
  // against a gap.
  std::string operations;

  bool empty() const { return operations.empty(); }
  // The same alignment: score, both ranges and every column.
  bool operator==(const Alignment&) const = default;
};

// The traceback memory budget in bytes (direction bits, and checkpoints
// apiece); tests lower it to exercise the pieces and checkpoints.
inline constexpr std::size_t kDefaultTracebackBudget = std::size_t{24} << 20;

// What each pass computed and how long it took (CPU seconds of the calling
// thread where the system offers them): a benchmark's view of align.
struct AlignmentWork {
  std::uint64_t forward_cells = 0, reverse_cells = 0, traceback_cells = 0;
  double forward_seconds = 0, reverse_seconds = 0, traceback_seconds = 0;
};

// The end cell of pass 1: the best local score, and the first cell
// (subject-major) reaching it; 0-based positions of the last aligned residues.
struct AlignmentEnd {
  std::int32_t score = 0;
  std::size_t query = 0, subject = 0;
};

// The start cell of pass 2: 0-based positions of the first aligned residues.
struct AlignmentStart {
  std::size_t query = 0, subject = 0;
  std::uint64_t cells = 0;  // cells the reverse pass computed
};

// The passes one by one, in portable scalar code: the reference a faster
// driver (search/fast_alignment.hpp, SIMD end and start passes) must agree
// with cell for cell, and its fallback.
// - find_alignment_end: pass 1 over the whole pair (score 0: nothing aligns);
// - find_alignment_start: pass 2 from an end cell with a positive score;
// - trace_alignment: pass 3 inside the box, then the re-scoring check
//   (std::logic_error if it fails); the traceback's cells and seconds go to
//   `work` if given. An empty alignment for an end of score 0.
// Each polls `cancel` (if given) every few rows and throws Cancelled once it is set.
AlignmentEnd find_alignment_end(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                                const Scoring& scoring, const CancelFlag* cancel = nullptr);
AlignmentStart find_alignment_start(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                                    const Scoring& scoring, const AlignmentEnd& end,
                                    const CancelFlag* cancel = nullptr);
Alignment trace_alignment(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                          const Scoring& scoring, const AlignmentEnd& end, const AlignmentStart& start,
                          std::size_t traceback_budget = kDefaultTracebackBudget, AlignmentWork* work = nullptr,
                          const CancelFlag* cancel = nullptr);

// CPU seconds of the calling thread where the system offers them (else wall
// time): the clock AlignmentWork's seconds are read on.
double alignment_thread_seconds();

// The optimal local alignment of encoded sequences; its score equals the
// Smith-Waterman score (scalar rung). An empty alignment (score 0, all
// coordinates 0) when nothing scores above 0. The scoring must be valid
// (Scoring::validate). Every alignment is re-scored before it is returned;
// a mismatch is a std::logic_error, never a wrong answer. `work`, if given,
// receives the cells and seconds of each pass. Every pass polls `cancel` (if
// given) every few rows and throws Cancelled once it is set.
Alignment align(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject, const Scoring& scoring,
                std::size_t traceback_budget = kDefaultTracebackBudget, AlignmentWork* work = nullptr,
                const CancelFlag* cancel = nullptr);

// Re-scores an alignment column by column (the check every hit gets):
// returns the score it adds up to, or throws std::logic_error if the
// alignment is malformed (coordinates outside the sequences, or operation
// counts that disagree with them, or a letter other than M, I, D).
std::int32_t rescore(const Alignment& alignment, std::span<const std::uint8_t> query,
                     std::span<const std::uint8_t> subject, const Scoring& scoring);

// The alignments of the query with db records `indices` (in that order), on
// `threads` threads (<= 0: every core OpenMP offers). Throws InputError for an
// index outside the database, before any work; Cancelled once `cancel` is set.
std::vector<Alignment> align_many(std::span<const std::uint8_t> query, const Database& db,
                                  std::span<const std::uint32_t> indices, const Scoring& scoring, int threads,
                                  const CancelFlag* cancel = nullptr);

// What BLAST reports of an alignment's columns. `query` and `subject` are
// the two sequences as text (whole, not only the aligned parts); residues
// show uppercase, and a byte that is no letter of the alphabet compares and
// scores as X.
struct AlignmentColumns {
  std::string query_row, subject_row;  // the aligned strings, '-' for a gap
  std::string midline;                 // the letter for an identity, '+' for a pair scoring above 0, else ' '
  std::string btop;                    // blastp's "6 btop": identity run lengths and the letter pairs between
  std::string cigar;                   // runs of M, I and D: "12M2I30M"
  std::size_t identities = 0, positives = 0, gaps = 0, gap_opens = 0;
};

// Throws InputError for an operation other than M, I or D, or operations
// that do not cover exactly [query_begin, query_end) and [subject_begin,
// subject_end) inside the two sequences.
AlignmentColumns describe_alignment(const Alignment& alignment, std::string_view query, std::string_view subject,
                                    const ScoreMatrix& matrix);

}  // namespace swl
