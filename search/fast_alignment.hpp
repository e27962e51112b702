// Alignments with SIMD end and start passes: the driver of
// kernels/alignment.cpp, which search/alignment.hpp's scalar passes are the
// reference for. Same alignments as swl::align, cell for cell (the tie rules
// there hold here), faster:
//  - pass 1 runs striped in int16 lanes, and stops at the first subject
//    column that reaches a score the caller already knows (a search's hit),
//    which halves its cells on average; the cell found is checked to hold
//    exactly that score, else the whole pass runs;
//  - pass 2 runs striped and anchored over the reversed prefixes, with H
//    floored at -1 (which changes no cell that reaches the score, see
//    kernels/alignment.cpp), and stops at the first subject column reaching
//    the score, as the scalar one does;
//  - pass 3 takes the box's direction bits from the kernel's box pass
//    (anchored and floored alike) where they fit the traceback budget, else
//    from the scalar traceback, and traces them back as the scalar traceback does, with the
//    re-scoring check.
// A pair whose scores reach kernels::alignment::kSaturationLimit runs the
// scalar passes, as does every pair where the CPU offers no SIMD level (or
// SWLADDER_KERNEL=scalar asks for none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "alignment.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "scoring.hpp"

namespace swl {

// A known_score that says nothing is known: pass 1 runs over every column.
inline constexpr std::int32_t kUnknownScore = -1;

// The level the passes run at for a request ("" for the default: the
// SWLADDER_KERNEL variable's level where it names one, else the best this CPU
// runs); InputError for a level the family lacks or the CPU cannot run.
kernels::Level alignment_level(std::string_view requested = "");

// swl::align with SIMD passes at `level`. known_score, if not kUnknownScore,
// is the pair's Smith-Waterman score as a search found it (exactly: every
// rung is verified). A higher one is detected (no cell holds it, or the
// first column reaching it holds more) and costs the whole pass; a lower one
// that some cell holds cannot be told from the truth without the whole pass,
// and gives an alignment of that lower score (which still re-scores to it).
Alignment align_fast(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                     const Scoring& scoring, std::int32_t known_score = kUnknownScore,
                     std::size_t traceback_budget = kDefaultTracebackBudget, AlignmentWork* work = nullptr,
                     kernels::Level level = alignment_level(), const CancelFlag* cancel = nullptr);

// Each of these polls `cancel` (if given) between passes and pairs, and
// throws Cancelled once it is set.

// One pair of a batch.
struct AlignmentTask {
  std::span<const std::uint8_t> query, subject;
  std::int32_t known_score = kUnknownScore;
};

// The alignments of every task, in order, on `threads` threads (<= 0: every
// core OpenMP offers), largest pairs first from one shared queue, so that no
// thread idles while another still has a query's long hit. Tasks sharing a
// query (the same data pointer and length) share its profile.
std::vector<Alignment> align_tasks(std::span<const AlignmentTask> tasks, const Scoring& scoring, int threads,
                                   kernels::Level level = alignment_level(), const CancelFlag* cancel = nullptr);

// alignment.hpp's align_many with SIMD passes, and the hits' scores if known (empty, or
// one per index).
std::vector<Alignment> align_many_fast(std::span<const std::uint8_t> query, const Database& db,
                                       std::span<const std::uint32_t> indices, const Scoring& scoring, int threads,
                                       std::span<const std::int32_t> known_scores = {},
                                       const CancelFlag* cancel = nullptr);

}  // namespace swl
