#include "fast_alignment.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "aligned.hpp"
#include "alphabet.hpp"
#include "errors.hpp"
#include "stage.hpp"

namespace swl {
namespace {

namespace ka = kernels::alignment;

// A striped int16 profile of `query` (or of it reversed) for one kernel.
struct StripedProfile {
  AlignedBuffer<std::int16_t> storage;
  std::vector<std::uint8_t> striped_codes;  // build_profile's working copy
  ka::Profile view{};
};

void build_profile(StripedProfile& profile, std::span<const std::uint8_t> query, bool reversed,
                   const Scoring& scoring, std::size_t vector_bytes) {
  const std::size_t lanes = vector_bytes / sizeof(std::int16_t);
  const std::size_t m = query.size();
  const std::size_t segments = (m + lanes - 1) / lanes;
  const std::size_t block = segments * lanes;
  // The query's codes in striped order first, then each block one table
  // lookup per entry: the reverse pass builds a profile for every alignment,
  // and for a short one that costs more than its pass.
  constexpr std::uint8_t kPadding = kAlphabetSize;  // one past the codes
  profile.striped_codes.resize(block);
  std::uint8_t* const codes = profile.striped_codes.data();
  for (std::size_t s = 0; s < segments; ++s) {
    for (std::size_t lane = 0; lane < lanes; ++lane) {
      const std::size_t i = lane * segments + s;
      codes[s * lanes + lane] = i < m ? query[reversed ? m - 1 - i : i] : kPadding;
    }
  }
  profile.storage.resize(static_cast<std::size_t>(kAlphabetSize) * block);
  std::int16_t* const scores = profile.storage.data();
  for (int c = 0; c < kAlphabetSize; ++c) {
    std::int16_t score_of[kAlphabetSize + 1];
    for (int residue = 0; residue < kAlphabetSize; ++residue) {
      score_of[residue] = static_cast<std::int16_t>(scoring.matrix.score(static_cast<std::uint8_t>(residue),
                                                                         static_cast<std::uint8_t>(c)));
    }
    score_of[kPadding] = ka::kPaddingScore;
    std::int16_t* const out = scores + static_cast<std::size_t>(c) * block;
    for (std::size_t k = 0; k < block; ++k) out[k] = score_of[codes[k]];
  }
  profile.view = ka::Profile{scores, segments, m, scoring.gap_open + scoring.gap_extend, scoring.gap_extend};
}

// One thread's buffers for the passes.
struct PassScratch {
  AlignedBuffer<std::int16_t> buffers;
  StripedProfile reverse_profile;
  std::vector<std::uint8_t> reversed_subject;

  StripedProfile box_profile;
  std::vector<std::uint8_t> bits;

  ka::Scratch view(std::size_t segments, std::size_t vector_bytes) {
    const std::size_t size = segments * (vector_bytes / sizeof(std::int16_t));
    buffers.resize(ka::kScratchBuffers * size);
    std::int16_t* const base = buffers.data();
    return {base, base + size, base + 2 * size, base + 3 * size, base + 4 * size, base + 5 * size};
  }
};

// Pass 1 with the kernel into `end`; false when it saturated (the scalar pass
// then runs).
bool simd_end(const ka::Kernel& kernel, const ka::Profile& profile, std::span<const std::uint8_t> subject,
              std::int32_t known_score, PassScratch& scratch, AlignmentEnd& end, std::uint64_t& cells,
              bool& stopped_early) {
  const ka::Scratch buffers = scratch.view(profile.segments, kernel.vector_bytes);
  const std::int32_t target = known_score > 0 && known_score < ka::kSaturationLimit ? known_score : 0;
  ka::Result found = kernel.pass(profile, subject.data(), subject.size(), true, target, buffers);
  cells += static_cast<std::uint64_t>(found.columns_run) * profile.length;
  // Not reached, or reached above the score the caller said: that score was
  // wrong, and the whole pass decides.
  if (target > 0 && (found.status == ka::Status::kDone ||
                     (found.status == ka::Status::kReached && found.best != known_score))) {
    found = kernel.pass(profile, subject.data(), subject.size(), true, 0, buffers);
    cells += static_cast<std::uint64_t>(found.columns_run) * profile.length;
  }
  if (found.status == ka::Status::kSaturated) return false;
  stopped_early = found.status == ka::Status::kReached;
  end = found.best > 0 ? AlignmentEnd{found.best, found.row, found.column} : AlignmentEnd{};
  return true;
}

// Pass 2 with the kernel over the reversed prefixes, anchored at the end,
// with the end's score as target. The end is the first cell, column by
// column, that reached its score in pass 1, and no cell before it went
// higher, so no local alignment inside the prefixes scores above it: the
// kernel's condition for its floor at -1, and what keeps paths through cells
// clipped at the bottom of the int16 range from reaching the score (their
// gain is such a score). No cell exceeds the score, so none is clipped at the
// top. So the first cell reaching the score is the scalar pass's.
// False when no cell reaches the end's score: the end's score was not the
// pair's best (a known score below the truth, held by a cell that ends in a
// gap), and the caller runs the whole forward pass.
bool simd_start(const ka::Kernel& kernel, std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                const Scoring& scoring, const AlignmentEnd& end, PassScratch& scratch, AlignmentStart& start) {
  build_profile(scratch.reverse_profile, query.first(end.query + 1), true, scoring, kernel.vector_bytes);
  const ka::Profile& profile = scratch.reverse_profile.view;
  scratch.reversed_subject.assign(subject.rend() - static_cast<std::ptrdiff_t>(end.subject + 1), subject.rend());
  const ka::Scratch buffers = scratch.view(profile.segments, kernel.vector_bytes);
  const ka::Result found = kernel.pass(profile, scratch.reversed_subject.data(), scratch.reversed_subject.size(),
                                       false, end.score, buffers);
  if (found.status != ka::Status::kReached || found.best != end.score) return false;
  start = {end.query - found.row, end.subject - found.column,
           static_cast<std::uint64_t>(found.columns_run) * profile.length};
  return true;
}


// Pass 3 with the kernel's box pass, where the box's bits fit the budget
// (else the scalar traceback, which cuts the box into pieces). The columns are
// traced back as the scalar traceback traces them, from the same bits.
Alignment simd_trace(const ka::Kernel& kernel, std::span<const std::uint8_t> query,
                     std::span<const std::uint8_t> subject, const Scoring& scoring, const AlignmentEnd& end,
                     const AlignmentStart& start, std::size_t budget, AlignmentWork* work, PassScratch& scratch,
                     const CancelFlag* cancel) {
  const std::size_t columns = end.query + 1 - start.query;  // query residues
  const std::size_t rows = end.subject + 1 - start.subject;  // subject residues
  const std::size_t lanes = kernel.vector_bytes / sizeof(std::int16_t);
  const std::size_t segments = (columns + lanes - 1) / lanes;
  const std::size_t stride = segments * lanes;
  if (stride * rows > budget) return trace_alignment(query, subject, scoring, end, start, budget, work, cancel);
  const double start_time = work ? alignment_thread_seconds() : 0;
  build_profile(scratch.box_profile, query.subspan(start.query, columns), false, scoring, kernel.vector_bytes);
  scratch.bits.resize(stride * rows);
  kernel.box(scratch.box_profile.view, subject.data() + start.subject, rows, scratch.view(segments, kernel.vector_bytes),
             scratch.bits.data());
  const auto cell = [&](std::size_t row, std::size_t column) {  // 1-based, as the scalar traceback
    const std::size_t i = column - 1;
    return scratch.bits[(row - 1) * stride + (i % segments) * lanes + i / segments];
  };
  enum class State { kH, kE, kF } state = State::kH;
  std::size_t row = rows, column = columns;
  std::string reversed;
  reversed.reserve(rows + columns);
  while (row > 0) {
    if (column == 0) throw std::logic_error("align: the SIMD traceback reached the box's boundary");
    const std::uint8_t bits = cell(row, column);
    switch (state) {
      case State::kH:
        switch (bits & 3) {
          case ka::kFromDiagonal:
            reversed.push_back('M');
            --row;
            --column;
            break;
          case ka::kFromE:
            state = State::kE;
            break;
          default:
            state = State::kF;
            break;
        }
        break;
      case State::kE:
        reversed.push_back('D');
        --row;
        if (!(bits & ka::kEExtended)) state = State::kH;
        break;
      case State::kF:
        reversed.push_back('I');
        --column;
        if (!(bits & ka::kFExtended)) state = State::kH;
        break;
    }
  }
  if (column != 0) throw std::logic_error("align: the SIMD traceback left the box");
  Alignment alignment;
  alignment.score = end.score;
  alignment.query_begin = start.query;
  alignment.query_end = end.query + 1;
  alignment.subject_begin = start.subject;
  alignment.subject_end = end.subject + 1;
  alignment.operations.assign(reversed.rbegin(), reversed.rend());
  const std::int32_t rescored = rescore(alignment, query, subject, scoring);
  if (rescored != alignment.score) {
    throw std::logic_error("align: the alignment re-scores to " + std::to_string(rescored) + ", not its score " +
                           std::to_string(alignment.score));
  }
  if (work) {
    work->traceback_cells += static_cast<std::uint64_t>(rows) * columns;
    work->traceback_seconds += alignment_thread_seconds() - start_time;
  }
  return alignment;
}

Alignment align_with(const ka::Kernel* kernel, const ka::Profile* forward_profile,
                     std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                     const Scoring& scoring, std::int32_t known_score, std::size_t budget, AlignmentWork* work,
                     PassScratch& scratch, const CancelFlag* cancel) {
  // The SIMD passes run a pair through without polling (a titin-size pass
  // takes a fraction of a second); the flag is read between passes, and the
  // scalar fallbacks poll it as they go.
  const auto poll = [cancel] {
    if (cancel_requested(cancel)) throw Cancelled();
  };
  poll();
  if (query.empty() || subject.empty()) return {};
  double start_time = work ? alignment_thread_seconds() : 0;
  AlignmentEnd end;
  std::uint64_t forward_cells = 0;
  bool stopped_early = false;
  const bool simd_forward = kernel != nullptr && simd_end(*kernel, *forward_profile, subject, known_score, scratch,
                                                          end, forward_cells, stopped_early);
  if (!simd_forward) {
    end = find_alignment_end(query, subject, scoring, cancel);
    forward_cells += static_cast<std::uint64_t>(query.size()) * subject.size();
  }
  if (work) {
    work->forward_cells += forward_cells;
    work->forward_seconds += alignment_thread_seconds() - start_time;
  }
  if (end.score <= 0) return {};
  poll();
  if (work) start_time = alignment_thread_seconds();
  AlignmentStart start;
  if (kernel == nullptr || end.score >= ka::kSaturationLimit) {
    start = find_alignment_start(query, subject, scoring, end, cancel);
  } else if (!simd_start(*kernel, query, subject, scoring, end, scratch, start)) {
    if (!stopped_early) {
      throw std::logic_error("align: the SIMD reverse pass found no start for the best score " +
                             std::to_string(end.score));
    }
    // The known score was below the truth: the whole forward pass decides.
    const ka::Result full = kernel->pass(*forward_profile, subject.data(), subject.size(), true, 0,
                                         scratch.view(forward_profile->segments, kernel->vector_bytes));
    if (work) work->forward_cells += static_cast<std::uint64_t>(full.columns_run) * query.size();
    end = full.status == ka::Status::kSaturated ? find_alignment_end(query, subject, scoring, cancel)
                                                : AlignmentEnd{full.best, full.row, full.column};
    start = end.score < ka::kSaturationLimit && simd_start(*kernel, query, subject, scoring, end, scratch, start)
                ? start
                : find_alignment_start(query, subject, scoring, end, cancel);
  }
  if (work) {
    work->reverse_cells += start.cells;
    work->reverse_seconds += alignment_thread_seconds() - start_time;
  }
  poll();
  if (kernel == nullptr || end.score >= ka::kSaturationLimit) {
    return trace_alignment(query, subject, scoring, end, start, budget, work, cancel);
  }
  return simd_trace(*kernel, query, subject, scoring, end, start, budget, work, scratch, cancel);
}

}  // namespace

kernels::Level alignment_level(std::string_view requested) {
  if (requested.empty()) check_forced_kernel();
  return kernels::alignment_family().choose(requested, "align").level;
}

Alignment align_fast(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                     const Scoring& scoring, std::int32_t known_score, std::size_t traceback_budget,
                     AlignmentWork* work, kernels::Level level, const CancelFlag* cancel) {
  const ka::Kernel* const kernel = kernels::alignment_kernel(level);
  PassScratch scratch;
  StripedProfile profile;
  if (kernel != nullptr && !query.empty()) build_profile(profile, query, false, scoring, kernel->vector_bytes);
  return align_with(kernel, &profile.view, query, subject, scoring, known_score, traceback_budget, work, scratch,
                    cancel);
}

std::vector<Alignment> align_tasks(std::span<const AlignmentTask> tasks, const Scoring& scoring, int threads,
                                   kernels::Level level, const CancelFlag* cancel) {
  const ka::Kernel* const kernel = kernels::alignment_kernel(level);
  // One forward profile per distinct query.
  std::map<std::pair<const std::uint8_t*, std::size_t>, std::size_t> profile_of;
  std::vector<std::size_t> task_profile(tasks.size(), 0);
  std::vector<StripedProfile> profiles;
  if (kernel != nullptr) {
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const auto key = std::make_pair(tasks[t].query.data(), tasks[t].query.size());
      auto [it, added] = profile_of.try_emplace(key, profiles.size());
      if (added) {
        profiles.emplace_back();
        if (!tasks[t].query.empty()) build_profile(profiles.back(), tasks[t].query, false, scoring, kernel->vector_bytes);
      }
      task_profile[t] = it->second;
    }
  }
  // Largest first (the forward pass is about query x subject), so that the
  // last tasks to start are short ones.
  std::vector<std::size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return tasks[a].query.size() * tasks[a].subject.size() > tasks[b].query.size() * tasks[b].subject.size();
  });
  std::vector<Alignment> alignments(tasks.size());
  const int thread_count = resolve_threads(threads);
  // An exception must not leave an OpenMP region: keep the first, rethrow after.
  std::exception_ptr failure;
#pragma omp parallel num_threads(thread_count)
  {
    PassScratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t t = order[k];
      try {
        const ka::Profile* profile = kernel != nullptr ? &profiles[task_profile[t]].view : nullptr;
        alignments[t] = align_with(kernel, profile, tasks[t].query, tasks[t].subject, scoring, tasks[t].known_score,
                                   kDefaultTracebackBudget, nullptr, scratch, cancel);
      } catch (...) {
#pragma omp critical(swl_align_tasks_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  return alignments;
}

std::vector<Alignment> align_many_fast(std::span<const std::uint8_t> query, const Database& db,
                                       std::span<const std::uint32_t> indices, const Scoring& scoring, int threads,
                                       std::span<const std::int32_t> known_scores, const CancelFlag* cancel) {
  if (!known_scores.empty() && known_scores.size() != indices.size()) {
    throw InputError("align_many: " + std::to_string(known_scores.size()) + " known scores for " +
                     std::to_string(indices.size()) + " indices");
  }
  std::vector<AlignmentTask> tasks;
  tasks.reserve(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= db.size()) {
      throw InputError("database index " + std::to_string(indices[k]) + " out of range (the database has " +
                       std::to_string(db.size()) + " sequences)");
    }
    tasks.push_back({query, db.sequence(indices[k]), known_scores.empty() ? kUnknownScore : known_scores[k]});
  }
  return align_tasks(tasks, scoring, threads, alignment_level(), cancel);
}

}  // namespace swl
