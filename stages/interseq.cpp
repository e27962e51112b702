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
//   and is scored again in int16 lanes, and past those by the scalar rung;
// - lane refill: subjects run longest first from one queue that all threads
//   draw on, and when a lane's subject ends the next one starts in that lane
//   at the next pass (its H and E reset there). Lanes do not idle waiting for
//   the longest subject of a batch, and only the shortest subjects are left
//   for the final drain. A subject longer than a lane's share of the whole
//   database would still run alone at the end: those few go to the striped
//   kernel instead;
// - on AVX-512 a third of the maxima become compare-and-masked-move, which
//   runs beside the saturating arithmetic instead of on its single port; the
//   best score is kept in two running maxima so that the longer latency of
//   that pair does not chain through a whole row.
#include <cstddef>
#include <cstdint>

#if defined(SWL_ISA)
#include "simd_interseq.hpp"
#else
#include <algorithm>
#include <array>
#include <vector>

#include "aligned.hpp"
#include "dispatch.hpp"
#include "registry.hpp"
#include "stage.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif
#endif

namespace swl::interseq_kernels {

// Subject columns per pass down the query, at most (each ISA sets its own).
inline constexpr int kMaxColumns = 8;
inline constexpr int kMaxLanes = 64;
inline constexpr int kVectorBytes = 64;
inline constexpr int kLetters = 24;
// The residue code idle lanes and the ends of sequences read: its row entry
// is negative, so padded cells never raise a lane's best score.
inline constexpr std::uint8_t kPadCode = 31;
// The score-row table: per query letter, 64 int8 entries (residue codes;
// 24..63 are padding and score -128) and then the first 32 of them as int16.
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

}  // namespace swl::interseq_kernels

#if defined(SWL_ISA)

namespace swl::interseq_kernels::SWL_ISA {

namespace simd = swl::interseq_simd::SWL_ISA;
// Subject columns per pass: one simd::Chunk of residue codes per lane.
inline constexpr int kColumns = simd::kChunk;
static_assert(kColumns <= kMaxColumns, "the scratch holds kMaxColumns columns");
static_assert(simd::kRowBytes == kRowBytes && simd::kRow16Offset == kRow16Offset, "one score-row layout");

// One pass: kColumns subject columns, every query row. With Reset, lanes
// whose new sequence starts here read a zero H and E from the previous
// column; keeping that as a separate loop spares the two resets per row in
// passes where no lane starts over.
template <class Ops, bool Reset>
inline void sweep(const Job& job, const Scratch& s) {
  using Vec = typename Ops::Vec;
  const Vec floor = Ops::set1(Ops::kFloor);
  const Vec open_extend = Ops::set1(job.gap_open_extend);
  const Vec extend = Ops::set1(job.gap_extend);
  [[maybe_unused]] const typename Ops::Lanes starting = Ops::reset_lanes(Ops::load(s.keep));
  const Vec* profile = reinterpret_cast<const Vec*>(s.profile);
  Vec* h_store = reinterpret_cast<Vec*>(s.h);
  Vec* e_store = reinterpret_cast<Vec*>(s.e);
  // Running maxima by column, Ops::kBestChains of them: on AVX-512 a compare
  // and masked move takes 4 cycles, and one chain through all 8 columns of a
  // row would come close to the row's own issue time.
  constexpr int kChains = Ops::kBestChains;
  Vec best[kChains];
#pragma GCC unroll 2
  for (int k = 0; k < kChains; ++k) best[k] = Ops::load(s.best);
  Vec h_up[kColumns];  // H of the previous row, one per column
  Vec f[kColumns];     // F entering this row, one per column
#pragma GCC unroll 8
  for (int c = 0; c < kColumns; ++c) {
    h_up[c] = floor;
    f[c] = floor;
  }
  Vec h_left_up = floor;  // H(i-1, first column - 1)
  const std::uint8_t* query = job.query;
  const std::size_t m = job.query_length;
  for (std::size_t i = 0; i < m; ++i) {
    const Vec* scores = profile + static_cast<std::size_t>(query[i]) * kColumns;
    // Every diagonal term first: then each column's H of the previous row
    // is dead once read, and the new row overwrites it in place, which
    // spares the register moves of a rotating window.
    Vec h_diagonal[kColumns];
    h_diagonal[0] = Ops::adds(h_left_up, scores[0]);
#pragma GCC unroll 8
    for (int c = 1; c < kColumns; ++c) h_diagonal[c] = Ops::adds(h_up[c - 1], scores[c]);
    h_left_up = Ops::load(h_store + i);
    Vec e = Ops::load(e_store + i);
    if constexpr (Reset) {
      h_left_up = Ops::reset(h_left_up, starting);
      e = Ops::reset(e, starting);
    }
#pragma GCC unroll 8
    for (int c = 0; c < kColumns; ++c) {
      // A third of the maxima go through max_spread (see simd_interseq.hpp),
      // all off the E recurrence, which runs through the columns of a row
      // and is the longest dependency chain: E enters H last and its own
      // update stays a plain max.
      Vec h = Ops::max_spread(h_diagonal[c], f[c]);
      h = Ops::max(h, e);
      best[c % kChains] = Ops::max_spread(best[c % kChains], h);
      const Vec h_open = Ops::subs(h, open_extend);
      e = Ops::max(Ops::subs(e, extend), h_open);
      f[c] = Ops::max_spread(Ops::subs(f[c], extend), h_open);
      h_up[c] = h;
    }
    Ops::store(h_store + i, h_up[kColumns - 1]);
    Ops::store(e_store + i, e);
  }
#pragma GCC unroll 2
  for (int k = 1; k < kChains; ++k) best[0] = Ops::max(best[0], best[k]);
  Ops::store(s.best, best[0]);
}

// Prefetch never faults, so the address may lie past the database's end.
inline void prefetch(const std::uint8_t* address) { __builtin_prefetch(address); }

// The next subject for `lane`, from this thread's batch of the queue. The
// shared cursor moves a batch at a time: its atomic add is a full barrier,
// which would otherwise wait for the sweep's stores every few passes.
inline bool claim(const Job& job, const Scratch& s, int lane) {
  if (s.claimed[0] == s.claimed[1]) {
    const std::size_t first = __atomic_fetch_add(job.cursor, job.claim_batch, __ATOMIC_RELAXED);
    if (first >= job.count) return false;
    s.claimed[0] = first;
    s.claimed[1] = first + job.claim_batch < job.count ? first + job.claim_batch : job.count;
  }
  const std::size_t index = s.claimed[0]++;
  prefetch(job.subjects[index]);
  s.next[lane] = job.subjects[index];
  s.left[lane] = job.lengths[index];
  s.slot[lane] = job.slots[index];
  return true;
}

inline constexpr std::uint32_t kNoSubject = 0xffffffffu;

template <class Ops>
void search(const Job& job, const Scratch& s) {
  using Vec = typename Ops::Vec;
  using Elem = typename Ops::Elem;
  using Column = typename Ops::Column;
  using Chunk = simd::Chunk;
  constexpr int kLanes = Ops::kLanes;
  Chunk* chunks = reinterpret_cast<Chunk*>(s.chunks);
  Elem* best = reinterpret_cast<Elem*>(s.best);
  Elem* keep = reinterpret_cast<Elem*>(s.keep);

  s.claimed[0] = s.claimed[1] = 0;
  int active = 0;
  for (int lane = 0; lane < kLanes; ++lane) {
    best[lane] = static_cast<Elem>(Ops::kFloor);
    keep[lane] = static_cast<Elem>(Ops::kCeiling);
    s.left[lane] = 0;
    s.slot[lane] = kNoSubject;
    if (static_cast<std::size_t>(active) < job.first_claims && claim(job, s, lane)) ++active;
  }
  if (active == 0) return;
  const Vec floor = Ops::set1(Ops::kFloor);
  const Vec ceiling = Ops::set1(Ops::kCeiling);
  for (std::size_t i = 0; i < job.query_length; ++i) {
    Ops::store(reinterpret_cast<Vec*>(s.h) + i, floor);
    Ops::store(reinterpret_cast<Vec*>(s.e) + i, floor);
  }

  bool reset = false;
  while (active > 0) {
    // The next kColumns residues of every lane. Lanes whose sequence ends
    // inside this pass are padded and noted; idle lanes read padding only.
    int finishing = 0;
    for (int lane = 0; lane < kLanes; ++lane) {
      const std::uint32_t left = s.left[lane];
      const std::uint8_t* next = s.next[lane];
      if (left > static_cast<std::uint32_t>(kColumns)) {
        Chunk chunk;
        __builtin_memcpy(&chunk, next, sizeof chunk);
        chunks[lane] = chunk;
        // The lanes read 64 sequences scattered over the database, more
        // streams than the hardware prefetcher follows: ask one line ahead.
        prefetch(next + 64);
        s.next[lane] = next + kColumns;
        s.left[lane] = left - kColumns;
      } else {
        Chunk chunk = 0;
        for (int c = kColumns - 1; c >= 0; --c) {
          chunk = (chunk << 8) | (static_cast<std::uint32_t>(c) < left ? next[c] : kPadCode);
        }
        chunks[lane] = chunk;
        if (left > 0) {
          s.left[lane] = 0;
          s.finishing[finishing++] = static_cast<std::uint32_t>(lane);
        }
      }
    }
    Column columns[kColumns];
    Ops::load_columns(chunks, columns);
    Vec* profile = reinterpret_cast<Vec*>(s.profile);
    for (int k = 0; k < job.letter_count; ++k) {
      const std::uint8_t letter = job.letters[k];
      const std::uint8_t* row = job.rows + letter * simd::kRowBytes;
      for (int c = 0; c < kColumns; ++c) Ops::store(profile + letter * kColumns + c, Ops::lookup(row, columns[c]));
    }

    if (reset) {
      sweep<Ops, true>(job, s);
      for (int lane = 0; lane < kLanes; ++lane) keep[lane] = static_cast<Elem>(Ops::kCeiling);
      reset = false;
    } else {
      sweep<Ops, false>(job, s);
    }

    // A lane at the ceiling will be rescored wider whatever follows, so it
    // stops here and takes the next subject, instead of running on to the
    // end of a long sequence for nothing.
    if (Ops::any_equal(Ops::load(s.best), ceiling)) {
      for (int lane = 0; lane < kLanes; ++lane) {
        if (best[lane] == Ops::kCeiling && s.left[lane] > 0) {
          s.left[lane] = 0;
          s.finishing[finishing++] = static_cast<std::uint32_t>(lane);
        }
      }
    }
    // Finished lanes report, then start their next subject with H and E
    // reset (idle lanes are reset too, so they stay at the floor).
    for (int k = 0; k < finishing; ++k) {
      const int lane = static_cast<int>(s.finishing[k]);
      const std::uint32_t slot = s.slot[lane];
      job.scores[slot] = static_cast<std::int32_t>(best[lane]) - Ops::kFloor;
      job.saturated[slot] = best[lane] == Ops::kCeiling ? 1 : 0;
      best[lane] = static_cast<Elem>(Ops::kFloor);
      keep[lane] = static_cast<Elem>(Ops::kFloor);
      reset = true;
      if (!claim(job, s, lane)) {
        s.slot[lane] = kNoSubject;
        --active;
      }
    }
  }
}

void search8(const Job& job, const Scratch& scratch) { search<simd::Ops8>(job, scratch); }
void search16(const Job& job, const Scratch& scratch) { search<simd::Ops16>(job, scratch); }

}  // namespace swl::interseq_kernels::SWL_ISA

#else  // portable part

namespace swl::interseq_kernels {

using Kernel = void (*)(const Job&, const Scratch&);

#if defined(SWL_X86_KERNELS)
namespace avx2 {
void search8(const Job&, const Scratch&);
void search16(const Job&, const Scratch&);
}  // namespace avx2
namespace avx512 {
void search8(const Job&, const Scratch&);
void search16(const Job&, const Scratch&);
}  // namespace avx512
#endif

struct KernelPair {
  Kernel narrow;  // int8 lanes
  Kernel wide;    // int16 lanes
  int narrow_lanes;
};

#if defined(SWL_X86_KERNELS)
constexpr KernelChoice kKernels[] = {{"avx512", Isa::avx512vbmi}, {"avx2", Isa::avx2}, {"scalar", Isa::scalar}};
constexpr KernelPair kKernelPairs[] = {
    {avx512::search8, avx512::search16, 64}, {avx2::search8, avx2::search16, 32}, {nullptr, nullptr, 0}};
#else
constexpr KernelChoice kKernels[] = {{"scalar", Isa::scalar}};
constexpr KernelPair kKernelPairs[] = {{nullptr, nullptr, 0}};
#endif

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
int run_level(Kernel kernel, Job job, const Database& db, const std::vector<std::uint32_t>& subjects, int threads,
              int lanes, std::vector<std::int32_t>& scores, std::vector<std::uint8_t>& saturated) {
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

class InterseqStage final : public Stage {
 public:
  std::string_view name() const override { return "interseq"; }
  std::string_view summary() const override {
    return "SWIPE-style: one database sequence per int8 lane, permuted score lookup, lane refill, threads";
  }
  std::vector<std::string> kernels() const override { return supported_kernels(kKernels); }
  bool threaded() const override { return true; }

 protected:
  SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                   const SearchOptions& options) const override {
    const std::size_t choice = choose_kernel(kKernels, options.kernel, name());
    const int threads = resolve_threads(options.threads);
    SearchResult result;
    result.kernel = std::string(kKernels[choice].name);
    result.scores.assign(db.size(), 0);
    const std::vector<std::uint32_t> order = db.longest_first();
    std::vector<std::uint32_t> subjects;
    subjects.reserve(order.size());
    for (const std::uint32_t index : order) {
      if (db.length(index) > 0) subjects.push_back(index);  // an empty subject scores 0
    }

    const KernelPair kernels = kKernelPairs[choice];
    if (kernels.narrow == nullptr) {
      result.threads = score_exactly(query, db, scoring, subjects, threads, result.scores);
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
    std::vector<std::uint8_t> saturated(db.size(), 0);
    const bool wide_only = job.gap_open_extend > kMaxNarrowOpenExtend;
    const int lanes8 = kernels.narrow_lanes;

    // Level 0, the striped kernel: subjects longer than a lane's share.
    // Level 1, int8 lanes: everything else, unless the gap penalties need int16.
    // Level 2, int16 lanes: what saturated (still longest first).
    std::vector<std::uint32_t> pending = subjects;
    const std::vector<std::uint32_t> outliers =
        take_outliers(pending, db, threads, wide_only ? lanes8 / 2 : lanes8);
    std::size_t outliers_rescored = 0;
    if (!outliers.empty()) {
      const SearchResult part = get_stage("openmp").search(query, db.subset(outliers), scoring,
                                                           {threads, std::string(kKernels[choice].name)});
      for (std::size_t k = 0; k < outliers.size(); ++k) result.scores[outliers[k]] = part.scores[k];
      outliers_rescored = part.rescored;
    }
    bool first_level = true;
    for (const bool narrow : {true, false}) {
      if (pending.empty() || (narrow && wide_only)) continue;
      const int used = run_level(narrow ? kernels.narrow : kernels.wide, job, db, pending, threads,
                                 narrow ? lanes8 : lanes8 / 2, result.scores, saturated);
      pending = saturated_only(pending, saturated);
      if (first_level) {
        result.threads = used;
        result.rescored = pending.size() + outliers_rescored;
        first_level = false;
      }
    }
    // Level 3, exact: what reached 65,535 in the int16 lanes.
    if (!pending.empty()) score_exactly(query, db, scoring, pending, threads, result.scores);
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

  // The scalar rung, one chunk of subjects per task: the portable kernel, and
  // the last resort for scores past int16.
  static int score_exactly(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                           const std::vector<std::uint32_t>& subjects, int threads,
                           std::vector<std::int32_t>& scores) {
    const Stage& scalar = get_stage("scalar");
    // Small tasks where there are few subjects (a handful of huge ones past
    // int16 must not share a thread), larger ones to amortise the copies.
    const std::size_t chunk_size =
        std::clamp<std::size_t>(subjects.size() / (16 * static_cast<std::size_t>(threads)), 1, 64);
    const std::size_t chunks = (subjects.size() + chunk_size - 1) / chunk_size;
    int used = 1;
#pragma omp parallel num_threads(threads)
    {
#if defined(_OPENMP)
#pragma omp single
      used = omp_get_num_threads();
#endif
#pragma omp for schedule(dynamic, 1)
      for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
        const std::size_t begin = chunk * chunk_size;
        const std::size_t end = std::min(subjects.size(), begin + chunk_size);
        const std::span<const std::uint32_t> part(subjects.data() + begin, end - begin);
        const SearchResult partial = scalar.search(query, db.subset(part), scoring);
        for (std::size_t k = 0; k < part.size(); ++k) scores[part[k]] = partial.scores[k];
      }
    }
    return used;
  }
};

}  // namespace swl::interseq_kernels

namespace swl::stages {

const Stage& interseq() {
  static const interseq_kernels::InterseqStage stage;
  return stage;
}

}  // namespace swl::stages

#endif
