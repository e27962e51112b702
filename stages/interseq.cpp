// Rung: interseq. Changes from openmp (Farrar's striped kernel: one
// alignment at a time inside the vector, subjects spread over threads):
// - each lane of the vector holds a different database sequence (64 int8
//   lanes on AVX-512, 32 on AVX2), all aligned against the same query residue
//   at once, SWIPE-style. Lanes never depend on one another: no lazy-F loop,
//   no shifts across lanes, no correction pass, and every instruction does
//   useful work for 64 independent alignments;
// - the scores of a query letter against the lanes' subject residues come
//   from a byte permute of that letter's matrix row (a pshufb pair on AVX2),
//   done once per pass for every letter and then read back by query residue;
// - a pass down the query covers 8 subject columns on AVX-512 (4 on AVX2,
//   whose 16 registers would spill 8), so F and the previous row's H stay in
//   registers and only one H and one E per query row go to memory per pass;
// - signed saturating int8 biased at -128: the saturation is the zero floor
//   of local alignment, free. A subject that reaches the top stops at once
//   and is scored again in int16 lanes, and past those by the scalar recurrence;
// - lane refill: subjects run longest first from one queue that all threads
//   draw on, and when a lane's subject ends the next one starts in that lane
//   at the next pass (its H and E reset there). Lanes do not idle waiting for
//   the longest subject of a batch, and only the shortest subjects are left
//   for the final drain. A subject longer than a lane's share of the whole
//   database would still run alone at the end: those few go to the openmp
//   rung's striped loop instead;
// - the kernel comes in variants (kernels/dispatch_table.def): the columns a
//   pass covers, and the form of the maxima. On AVX-512, `spread` puts three
//   of the five maxima per cell through a compare and a masked move, and
//   `masked` does each gap's update as a compare and a masked subtraction;
//   either runs beside the saturating arithmetic instead of on the single
//   port some Intel cores give it and max. `/short` opens both gaps from
//   max(diagonal, F) rather than from H, which shortens the E and F
//   dependency chains at the same operation count. Which variant is fastest
//   depends on the core: 'swladder tune' times them on the machine, and
//   searches run its choice.
// The kernel, compiled once per instruction-set level, is kernels/interseq.cpp;
// this file owns the database, the threads and the rescoring.

#include <algorithm>
#include <array>
#include <vector>

#include "aligned.hpp"
#include "dispatch.hpp"
#include "interseq_kernel.hpp"
#include "openmp.hpp"
#include "scalar_recurrence.hpp"
#include "kernel_family_stage.hpp"
#include "stage.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace swl::stages {

namespace {

using kernels::interseq::Job;
using kernels::interseq::kLetters;
using kernels::interseq::kMaxColumns;
using kernels::interseq::kMaxLanes;
using kernels::interseq::kRow16Offset;
using kernels::interseq::kRowBytes;
using kernels::interseq::kVectorBytes;
using kernels::interseq::Scratch;
namespace interseq = kernels::interseq;
static_assert(kLetters == kAlphabetSize, "the score-row table has a row for every residue code");
static_assert(kLetters <= 32 && kernels::interseq::kPadCode >= kLetters && kernels::interseq::kPadCode < 32,
              "the AVX2 lookup reads codes 0..31, and the padding code must score as padding");

// The largest gap_open + gap_extend the int8 lanes can subtract in one step;
// beyond it every subject starts in int16 lanes (which take up to 510).
constexpr int kMaxNarrowOpenExtend = 127;

struct ThreadScratch {
  AlignedBuffer<std::uint8_t> h, e, profile, best, keep;
  AlignedBuffer<std::uint8_t> chunks;
  std::array<const std::uint8_t*, kMaxLanes> next{};
  std::array<std::uint32_t, kMaxLanes> left{}, slot{}, finishing{};
  std::array<std::size_t, 2> claimed{};

  explicit ThreadScratch(std::size_t query_length)
      : h(query_length * kVectorBytes),
        e(query_length * kVectorBytes),
        profile(static_cast<std::size_t>(kLetters) * kMaxColumns * kVectorBytes),
        best(kVectorBytes),
        keep(kVectorBytes),
        chunks(static_cast<std::size_t>(kMaxLanes) * kMaxColumns) {}
  Scratch view() {
    return {h.data(), e.data(), profile.data(), chunks.data(), best.data(), keep.data(),
            next.data(), left.data(),  slot.data(),  finishing.data(), claimed.data()};
  }
};

// Runs one level over `subjects` (database indices, longest first, none
// empty) on `threads` threads; scores and saturation land by database index.
int run_level(interseq::Function kernel, Job job, const Database& db, const std::vector<std::uint32_t>& subjects,
              int threads, int lanes, std::vector<std::int32_t>& scores, std::vector<std::uint8_t>& saturated) {
  std::vector<const std::uint8_t*> starts(subjects.size());
  std::vector<std::uint32_t> lengths(subjects.size());
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    starts[k] = db.sequence(subjects[k]).data();
    lengths[k] = static_cast<std::uint32_t>(db.length(subjects[k]));
  }
  std::size_t cursor = 0;
  job.subjects = starts.data();
  job.lengths = lengths.data();
  job.slots = subjects.data();
  job.count = subjects.size();
  job.cursor = &cursor;
  job.scores = scores.data();
  job.saturated = saturated.data();
  // Fewer subjects than lanes on every thread: share them out, or the first
  // thread would claim them all.
  const std::size_t per_thread = (subjects.size() + threads - 1) / threads;
  job.first_claims = std::min<std::size_t>(per_thread, lanes);
  // Batches small against what each lane gets, so that the order stays
  // longest first and the threads end together.
  job.claim_batch = std::clamp<std::size_t>(per_thread / (4 * static_cast<std::size_t>(lanes)), 1, 16);
  std::vector<ThreadScratch> scratch;
  scratch.reserve(threads);
  for (int t = 0; t < threads; ++t) scratch.emplace_back(job.query_length);
  int used = 1;
#pragma omp parallel num_threads(threads)
  {
    int thread = 0;
#if defined(_OPENMP)
    thread = omp_get_thread_num();
#pragma omp single
    used = omp_get_num_threads();
#endif
    kernel(job, scratch[thread].view());
  }
  return used;
}

class InterseqStage final : public KernelFamilyStage {
 public:
  InterseqStage() : KernelFamilyStage(kernels::interseq_family) {}
  std::string_view name() const override { return "interseq"; }
  std::string_view summary() const override {
    return "SWIPE-style: one database sequence per int8 lane, permuted score lookup, lane refill, threads";
  }
  bool threaded() const override { return true; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const RunOptions& options) const override {
    const kernels::KernelRef& chosen = kernel_of(options.kernel);
    const kernels::Level level = chosen.level;
    const int threads = options.threads;
    SearchResult result;
    result.scores.assign(db.size(), 0);
    const auto order = db.longest_first();
    std::vector<std::uint32_t> subjects;
    subjects.reserve(order->size());
    for (const std::uint32_t index : *order) {
      if (db.length(index) > 0) subjects.push_back(index);  // an empty subject scores 0
    }

    const interseq::Kernel* kernel = kernels::interseq_kernel(chosen);
    if (kernel == nullptr) {
      result.threads =
          rescore_exactly(query, scoring, DatabaseView(db, subjects), threads, result.scores, options.cancel);
      return result;
    }

    AlignedBuffer<std::uint8_t> rows(static_cast<std::size_t>(kLetters) * kRowBytes);
    for (int a = 0; a < kLetters; ++a) {
      std::int8_t* narrow = reinterpret_cast<std::int8_t*>(rows.data() + a * kRowBytes);
      std::int16_t* wide = reinterpret_cast<std::int16_t*>(rows.data() + a * kRowBytes + kRow16Offset);
      for (int b = 0; b < 64; ++b) narrow[b] = static_cast<std::int8_t>(b < kLetters ? scoring.matrix.score(a, b) : -128);
      for (int b = 0; b < 32; ++b) wide[b] = static_cast<std::int16_t>(narrow[b]);
    }
    std::array<bool, kLetters> present{};
    for (const std::uint8_t residue : query) present[residue] = true;
    std::vector<std::uint8_t> letters;
    for (int a = 0; a < kLetters; ++a) {
      if (present[a]) letters.push_back(static_cast<std::uint8_t>(a));
    }

    Job job{};
    job.query = query.data();
    job.query_length = query.size();
    job.letters = letters.data();
    job.letter_count = static_cast<int>(letters.size());
    job.rows = rows.data();
    job.gap_open_extend = scoring.gap_open + scoring.gap_extend;
    job.gap_extend = scoring.gap_extend;
    job.cancel = options.cancel != nullptr ? options.cancel->raw() : nullptr;
    std::vector<std::uint8_t> saturated(db.size(), 0);
    const bool wide_only = job.gap_open_extend > kMaxNarrowOpenExtend;
    const int lanes8 = kernel->narrow_lanes;

    // Level 0, the striped kernel: subjects longer than a lane's share.
    // Level 1, int8 lanes: everything else, unless the gap penalties need int16.
    // Level 2, int16 lanes: what saturated (still longest first).
    std::vector<std::uint32_t> pending = subjects;
    const std::vector<std::uint32_t> outliers =
        take_outliers(pending, db, threads, wide_only ? lanes8 / 2 : lanes8);
    std::size_t outliers_rescored = 0;
    if (!outliers.empty()) {
      // The striped kernel of the same instruction-set family: its levels
      // are named like interseq's where they share a width (avx2), and the
      // AVX-512 one stands for any AVX-512 level.
      const kernels::Level striped_level = kernels::striped_family().choose(
          kernels::level_name(level).starts_with("avx512") ? "avx512" : kernels::level_name(level), name()).level;
      outliers_rescored = striped_in_threads(query, scoring, striped_level, DatabaseView(db, outliers), threads,
                                             result.scores, options.cancel)
                              .widened;
    }
    bool first_level = true;
    for (const bool narrow : {true, false}) {
      if (pending.empty() || (narrow && wide_only) || options.cancelled()) continue;
      const int used = run_level(narrow ? kernel->search8 : kernel->search16, job, db, pending, threads,
                                 narrow ? lanes8 : lanes8 / 2, result.scores, saturated);
      pending = saturated_only(pending, saturated);
      if (first_level) {
        result.threads = used;
        result.rescored = pending.size() + outliers_rescored;
        first_level = false;
      }
    }
    // Level 3, exact: what reached 65,535 in the int16 lanes.
    if (!pending.empty() && !options.cancelled()) {
      rescore_exactly(query, scoring, DatabaseView(db, pending), threads, result.scores, options.cancel);
    }
    return result;
  }

 private:
  // Lane refill keeps lanes busy only while the queue lasts. A subject longer
  // than a lane's fair share of the residues (all of them over all lanes of
  // all threads) still runs in its lane after the rest have drained, holding
  // the whole vector for one alignment; in a small database with a long tail
  // of lengths that doubled the search time. Such subjects (`pending` is
  // longest first, so they lead it) are taken out for the striped kernel,
  // which is quick on one long subject. Below two lanes' worth of subjects
  // per lane nothing is taken: the lanes would not fill anyway.
  static std::vector<std::uint32_t> take_outliers(std::vector<std::uint32_t>& pending, const Database& db,
                                                  int threads, int lanes) {
    const std::size_t lanes_in_all = static_cast<std::size_t>(threads) * static_cast<std::size_t>(lanes);
    if (pending.size() < 2 * lanes_in_all) return {};
    std::size_t residues = 0;
    for (const std::uint32_t index : pending) residues += db.length(index);
    const std::size_t share = residues / lanes_in_all;
    std::size_t count = 0;
    while (count < pending.size() && db.length(pending[count]) > share) ++count;
    std::vector<std::uint32_t> outliers(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(count));
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(count));
    return outliers;
  }

  static std::vector<std::uint32_t> saturated_only(const std::vector<std::uint32_t>& subjects,
                                                   std::vector<std::uint8_t>& saturated) {
    std::vector<std::uint32_t> out;
    for (const std::uint32_t index : subjects) {
      if (saturated[index]) out.push_back(index);
      saturated[index] = 0;
    }
    return out;
  }
};

}  // namespace

const Stage& interseq() {
  static const InterseqStage stage;
  return stage;
}

}  // namespace swl::stages

