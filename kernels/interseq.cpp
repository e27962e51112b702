// The inter-sequence kernel (SWIPE-style, Rognes 2011): one database
// sequence per lane, compiled once per level listed for it in
// dispatch_table.def. stages/interseq.cpp tells its story and drives it.
#if !defined(SWL_ISA_LEVEL)
#error "kernels/interseq.cpp is compiled once per level, with SWL_ISA_LEVEL set (see CMakeLists.txt)"
#endif

#include <cstddef>
#include <cstdint>

#include "interseq_kernel.hpp"
#include "interseq_ops.hpp"

namespace swl::kernels::SWL_ISA_LEVEL {

using namespace interseq;

namespace {

namespace simd = interseq_ops;
static_assert(simd::kRowBytes == kRowBytes && simd::kRow16Offset == kRow16Offset, "one score-row layout");

// The choices a variant makes (its name in dispatch_table.def says them:
// avx2/4col/max is Shape<4, MaxForm::max> at the avx2 level).
enum class MaxForm {
  max,     // every maximum a plain vpmaxsb/vpmaxsw
  spread,  // three of the five Ops::max_spread (AVX-512 only), see interseq_ops.hpp
  masked,  // E's and F's updates a compare and a masked subtraction (AVX-512
           // only, see gap_update), the rest plain: 2 saturating ops and 3
           // maxima per cell on the port they may share, not 4 and 5
};
// kColumns: subject columns per pass down the query. More columns share
// each row's H and E loads and stores, its profile address and its loop
// overhead among more cells, and halve the per-pass work, until the
// columns' H and F no longer fit the register file (16 ymm on AVX2: 4
// columns fit, 8 spill F; 32 zmm: 8 fit).
// kBestChains: running maxima the best score is split over, so that its
// chain of 4-cycle max_spread does not set the pace; a plain max needs one.
// kShort: the short-chain recurrence (names ending /short), the same
// operations per cell as the classic one but shorter dependency chains:
// - classic: h = max(hd, f, e); E and F both open from h.
// - short: x = max(hd, f); h = max(x, e); E and F open from x, so E
//   leaves the E chain after one subtraction and one max (2 cycles per
//   column instead of 3) and F's chain down a column is 3 instead of 4.
//   E opening from x rather than h loses nothing: E - open_extend is below
//   E - extend. F opening from x (that is, from hd: F - open_extend is
//   below F - extend) drops only the paths where a vertical gap directly
//   follows a horizontal one; swapping the two gaps gives a path of the
//   same score (two opens, the same extends) that E still allows, so the
//   best score is the classic one's, and saturation is reached alike.
//   The best score is taken over hd, available before the gaps are: H is
//   largest where it comes from the diagonal (a gap only loses), and the
//   ceiling is reached only there.
// kUnitExtend: the gap extension is 1, which the masked form's fast gap
// update needs (search picks the general one for any other extension).
template <int Columns, MaxForm Form, bool Short = false, bool UnitExtend = true>
struct Shape {
  static constexpr int kColumns = Columns;
  static constexpr MaxForm kForm = Form;
  static constexpr bool kShort = Short;
  static constexpr bool kUnitExtend = UnitExtend;
  static constexpr int kBestChains = Form == MaxForm::spread ? 2 : 1;
  using AnyExtend = Shape<Columns, Form, Short, false>;
  static_assert(Columns >= 1 && Columns <= kMaxColumns, "the scratch holds kMaxColumns columns");
};

// max(subs(gap, extend), opened): a gap's next value, extended or opened
// afresh (opened = subs(x, open_extend), x at or above the floor). Spread
// says whether this update is one of a spread form's three maxima (F's is,
// E's is not: see sweep). The masked form picks per lane with a compare
// into a mask and a masked subtraction:
// - extend 1: Ops::extend_by_one, whose subtraction is plain (it cannot
//   wrap where it is taken);
// - any other: the compare is against threshold = subs(x, open_extend -
//   extend) (an offset from 0 to 127 in int8 lanes, as open_extend is at
//   most 127 there), which is opened + extend where opened did not
//   saturate, so gap >= threshold says gap - extend >= opened; where
//   opened did saturate (at the floor), gap below threshold has
//   subs(gap, extend) at the floor too, so either choice is exact. The
//   subtraction saturates here, as gap - extend may lie below the floor.
template <class Ops, MaxForm Form, bool Spread, bool UnitExtend>
inline typename Ops::Vec gap_update(typename Ops::Vec gap, typename Ops::Vec opened, typename Ops::Vec extend,
                                    [[maybe_unused]] typename Ops::Vec threshold) {
  if constexpr (Form == MaxForm::masked && UnitExtend) {
    return Ops::extend_by_one(gap, opened, extend);
  } else if constexpr (Form == MaxForm::masked) {
    return Ops::extend_past(gap, opened, threshold, extend);
  } else if constexpr (Form == MaxForm::spread && Spread) {
    return Ops::max_spread(Ops::subs(gap, extend), opened);
  } else {
    return Ops::max(Ops::subs(gap, extend), opened);
  }
}

template <class Ops, MaxForm Form>
inline typename Ops::Vec spread_max(typename Ops::Vec a, typename Ops::Vec b) {
  if constexpr (Form == MaxForm::spread) {
    return Ops::max_spread(a, b);
  } else {
    return Ops::max(a, b);
  }
}

// One pass: kColumns subject columns, every query row. With Reset, lanes
// whose new sequence starts here read a zero H and E from the previous
// column; keeping that as a separate loop spares the two resets per row in
// passes where no lane starts over.
template <class Ops, class Shape, bool Reset>
inline void sweep(const Job& job, const Scratch& s) {
  using Vec = typename Ops::Vec;
  constexpr int kColumns = Shape::kColumns;
  constexpr MaxForm kForm = Shape::kForm;
  const Vec floor = Ops::set1(Ops::kFloor);
  const Vec open_extend = Ops::set1(job.gap_open_extend);
  const Vec extend = Ops::set1(job.gap_extend);
  constexpr bool kUnitExtend = Shape::kUnitExtend;
  constexpr bool kThreshold = kForm == MaxForm::masked && !kUnitExtend;  // see gap_update
  [[maybe_unused]] const Vec threshold_offset = Ops::set1(job.gap_open_extend - job.gap_extend);
  [[maybe_unused]] const typename Ops::Lanes starting = Ops::reset_lanes(Ops::load(s.keep));
  const Vec* profile = reinterpret_cast<const Vec*>(s.profile);
  Vec* h_store = reinterpret_cast<Vec*>(s.h);
  Vec* e_store = reinterpret_cast<Vec*>(s.e);
  constexpr int kChains = Shape::kBestChains;
  Vec best[kChains];
#pragma GCC unroll 2
  for (int k = 0; k < kChains; ++k) best[k] = Ops::load(s.best);
  Vec h_up[kColumns];  // H of the previous row, one per column
  Vec f[kColumns];     // F entering this row, one per column
#pragma GCC unroll 16
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
#pragma GCC unroll 16
    for (int c = 1; c < kColumns; ++c) h_diagonal[c] = Ops::adds(h_up[c - 1], scores[c]);
    h_left_up = Ops::load(h_store + i);
    Vec e = Ops::load(e_store + i);
    if constexpr (Reset) {
      h_left_up = Ops::reset(h_left_up, starting);
      e = Ops::reset(e, starting);
    }
#pragma GCC unroll 16
    for (int c = 0; c < kColumns; ++c) {
      // In the spread form three of the five maxima go through max_spread, all
      // off the E recurrence, which runs through the columns of a row and
      // is the longest dependency chain: E's own update stays a plain max.
      if constexpr (Shape::kShort) {
        best[c % kChains] = spread_max<Ops, kForm>(best[c % kChains], h_diagonal[c]);
        const Vec x = spread_max<Ops, kForm>(h_diagonal[c], f[c]);
        const Vec x_open = Ops::subs(x, open_extend);
        const Vec threshold = kThreshold ? Ops::subs(x, threshold_offset) : x_open;
        h_up[c] = Ops::max(x, e);
        e = gap_update<Ops, kForm, false, kUnitExtend>(e, x_open, extend, threshold);
        f[c] = gap_update<Ops, kForm, true, kUnitExtend>(f[c], x_open, extend, threshold);
      } else {
        Vec h = spread_max<Ops, kForm>(h_diagonal[c], f[c]);
        h = Ops::max(h, e);
        best[c % kChains] = spread_max<Ops, kForm>(best[c % kChains], h);
        const Vec h_open = Ops::subs(h, open_extend);
        const Vec threshold = kThreshold ? Ops::subs(h, threshold_offset) : h_open;
        e = gap_update<Ops, kForm, false, kUnitExtend>(e, h_open, extend, threshold);
        f[c] = gap_update<Ops, kForm, true, kUnitExtend>(f[c], h_open, extend, threshold);
        h_up[c] = h;
      }
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

// Bytes of a cache line: what one prefetch brings in.
inline constexpr int kLine = 64;

// How many claims ahead a subject's first line is asked for (see claim).
inline constexpr std::size_t kPrefetchClaimsAhead = 4;

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
  // A new subject's first line is most often in no cache and on a page the
  // TLB does not hold (longest first is not the database's order); asked for
  // only now, the next pass would wait for it. So each claim asks for the
  // first line of a subject a few claims later.
  const std::size_t ahead = index + kPrefetchClaimsAhead;
  prefetch(job.subjects[ahead < job.count ? ahead : index]);
  // Its second line too: the passes' round of prefetches (search) may not
  // reach this lane before it gets there.
  prefetch(job.subjects[index] + kLine);
  s.next[lane] = job.subjects[index];
  s.left[lane] = job.lengths[index];
  s.slot[lane] = job.slots[index];
  return true;
}

// The lanes' residue counts, 8 at a time (GCC vector extensions: the
// translation unit's own instruction set, no intrinsics per level).
typedef std::uint32_t LaneCounts __attribute__((vector_size(32)));

template <int kLanes>
inline bool every_lane_longer_than(const std::uint32_t* left, int columns) {
  static_assert(kLanes % 8 == 0, "whole vectors of lane counts");
  LaneCounts shortest;
  __builtin_memcpy(&shortest, left, sizeof shortest);
#pragma GCC unroll 8
  for (int k = 8; k < kLanes; k += 8) {
    LaneCounts counts;
    __builtin_memcpy(&counts, left + k, sizeof counts);
    shortest = counts < shortest ? counts : shortest;
  }
  std::uint32_t least = shortest[0];
#pragma GCC unroll 8
  for (int k = 1; k < 8; ++k) least = shortest[k] < least ? shortest[k] : least;
  return least > static_cast<std::uint32_t>(columns);
}

template <int kLanes>
inline void subtract_from_lanes(std::uint32_t* left, int columns) {
#pragma GCC unroll 8
  for (int k = 0; k < kLanes; k += 8) {
    LaneCounts counts;
    __builtin_memcpy(&counts, left + k, sizeof counts);
    counts -= static_cast<std::uint32_t>(columns);
    __builtin_memcpy(left + k, &counts, sizeof counts);
  }
}

// How many lanes' next lines to ask for per pass (see search): the fewest
// that divide the lanes into rounds of at most `passes_per_line` passes, the
// passes a lane spends at least in one line.
constexpr int prefetches_per_pass(int lanes, int passes_per_line) {
  int per_pass = 1;
  while (lanes % per_pass != 0 || lanes / per_pass > passes_per_line) ++per_pass;
  return per_pass;
}
static_assert(prefetches_per_pass(32, 16) == 2 && prefetches_per_pass(64, 10) == 8 &&
              prefetches_per_pass(16, 8) == 2 && prefetches_per_pass(32, 1) == 32);

// Every lane's residue pointer moved on by `columns`, 4 at a time.
typedef std::uint64_t LanePointers __attribute__((vector_size(32)));
static_assert(sizeof(const std::uint8_t*) == sizeof(std::uint64_t), "pointers move as 64-bit lanes");

template <int kLanes>
inline void advance_lanes(const std::uint8_t** next, int columns) {
  static_assert(kLanes % 4 == 0, "whole vectors of lane pointers");
#pragma GCC unroll 16
  for (int k = 0; k < kLanes; k += 4) {
    LanePointers pointers;
    __builtin_memcpy(&pointers, next + k, sizeof pointers);
    pointers += static_cast<std::uint64_t>(columns);
    __builtin_memcpy(next + k, &pointers, sizeof pointers);
  }
}

// Whether Ops reads the lanes' residues into registers itself (load_lanes).
template <class Ops>
constexpr bool loads_lanes() {
  if constexpr (requires { Ops::kLoadsLanes; }) {
    return Ops::kLoadsLanes;
  } else {
    return false;
  }
}

inline constexpr std::uint32_t kNoSubject = 0xffffffffu;

template <class Ops, class Shape>
void search(const Job& job, const Scratch& s) {
  if constexpr (Shape::kForm == MaxForm::masked && Shape::kUnitExtend) {
    if (job.gap_extend != 1) return search<Ops, typename Shape::AnyExtend>(job, s);
  }
  using Vec = typename Ops::Vec;
  using Elem = typename Ops::Elem;
  using Column = typename Ops::Column;
  using Chunk = simd::Chunk;
  constexpr int kLanes = Ops::kLanes;
  constexpr int kColumns = Shape::kColumns;
  // Whole Chunks per lane go through the vector transpose (Ops::load_columns);
  // other widths, and the Ops without one, write the residues column-major.
  constexpr int kGroup = simd::kChunk;
  constexpr bool kGrouped = Ops::kTransposes && kColumns % kGroup == 0;
  constexpr int kGroups = kColumns / kGroup;
  constexpr bool kLoadsLanes = kGrouped && loads_lanes<Ops>();
  constexpr int kPrefetchesPerPass = prefetches_per_pass(kLanes, kLine / kColumns);
  constexpr int kPrefetchStride = kLanes / kPrefetchesPerPass;  // passes from one lane's prefetch to its next
  static_assert(kLanes * kColumns <= kMaxLanes * kMaxColumns, "the scratch holds the residues of one pass");
  Chunk* chunks = reinterpret_cast<Chunk*>(s.chunks);  // kGroups runs of kLanes Chunks
  std::uint8_t* codes = s.chunks;                     // or kColumns runs of kLanes codes
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

  // Local copies of the lane arrays' addresses: the residue stores below
  // could alias the Scratch fields, which would be reloaded per lane.
  const std::uint8_t** next_of = s.next;
  std::uint32_t* left_of = s.left;
  const auto copy_residues = [chunks, codes](int lane, const std::uint8_t* next) {
    if constexpr (kGrouped) {
#pragma GCC unroll 8
      for (int g = 0; g < kGroups; ++g) {
        Chunk chunk;
        __builtin_memcpy(&chunk, next + g * kGroup, sizeof chunk);
        chunks[g * kLanes + lane] = chunk;
      }
    } else {
#pragma GCC unroll 8
      for (int c = 0; c < kColumns; ++c) codes[c * kLanes + lane] = next[c];
    }
  };
  // The residues copy_residues wrote for every lane, as Columns.
  const auto load_copied_residues = [chunks, codes](Column* columns) {
    if constexpr (kGrouped) {
      for (int g = 0; g < kGroups; ++g) Ops::load_columns(chunks + g * kLanes, columns + g * kGroup);
    } else {
      for (int c = 0; c < kColumns; ++c) columns[c] = Ops::column_from_bytes(codes + c * kLanes);
    }
  };

  bool reset = false;
  int prefetch_lane = 0;
  while (active > 0) {
    // Once per pass: a pass is kColumns columns of the whole query, so the
    // load is nothing beside it, and even a titin-size query passes often.
    if (job.cancel != nullptr && __atomic_load_n(job.cancel, __ATOMIC_RELAXED) != 0) return;
    // The next kColumns residues of every lane. Lanes whose sequence ends
    // inside this pass are padded and noted; idle lanes read padding only.
    int finishing = 0;
    Column columns[kColumns];
    if (every_lane_longer_than<kLanes>(left_of, kColumns)) {
      // Most passes: no lane ends, so no test per lane, and the residues
      // left fall in one vector subtraction (a third of the instructions).
      if constexpr (kLoadsLanes) {
        for (int g = 0; g < kGroups; ++g) Ops::load_lanes(next_of, g * kGroup, columns + g * kGroup);
      }
      if constexpr (!kLoadsLanes) {
#pragma GCC unroll 64
        for (int lane = 0; lane < kLanes; ++lane) copy_residues(lane, next_of[lane]);
      }
      // The lanes read sequences scattered over the database, more streams
      // than the hardware prefetcher follows, so each lane's next line is
      // asked for while it reads the one before. A lane stays at least
      // kLine / kColumns passes in a line, and a round of kPrefetchesPerPass
      // lanes per pass comes back to it within that: a fraction of a prefetch
      // per lane and pass instead of one (stages/README.md, chapter 9, has
      // what it saves).
      for (int k = 0; k < kPrefetchesPerPass; ++k) prefetch(next_of[prefetch_lane + k * kPrefetchStride] + kLine);
      prefetch_lane = prefetch_lane + 1 == kPrefetchStride ? 0 : prefetch_lane + 1;
      advance_lanes<kLanes>(next_of, kColumns);
      subtract_from_lanes<kLanes>(left_of, kColumns);
      if constexpr (!kLoadsLanes) load_copied_residues(columns);
    } else {
      for (int lane = 0; lane < kLanes; ++lane) {
        const std::uint32_t left = left_of[lane];
        const std::uint8_t* next = next_of[lane];
        if (left > static_cast<std::uint32_t>(kColumns)) {
          copy_residues(lane, next);
          prefetch(next + kLine);
          next_of[lane] = next + kColumns;
          left_of[lane] = left - kColumns;
        } else {
          if constexpr (kGrouped) {
            for (int g = 0; g < kGroups; ++g) {
              Chunk chunk = 0;
              for (int c = g * kGroup + kGroup - 1; c >= g * kGroup; --c) {
                chunk = (chunk << 8) | (static_cast<std::uint32_t>(c) < left ? next[c] : kPadCode);
              }
              chunks[g * kLanes + lane] = chunk;
            }
          } else {
            for (int c = 0; c < kColumns; ++c) {
              codes[c * kLanes + lane] = static_cast<std::uint32_t>(c) < left ? next[c] : kPadCode;
            }
          }
          if (left > 0) {
            left_of[lane] = 0;
            s.finishing[finishing++] = static_cast<std::uint32_t>(lane);
          }
        }
      }
      load_copied_residues(columns);
    }
    Vec* profile = reinterpret_cast<Vec*>(s.profile);
    // Each letter's row loaded once for all columns, and the job's fields
    // read once: the profile's stores might alias them all, so the compiler
    // would reload them per column and per letter.
    const std::uint8_t* letters = job.letters;
    const std::uint8_t* rows = job.rows;
    const int letter_count = job.letter_count;
    for (int k = 0; k < letter_count; ++k) {
      const std::size_t letter = letters[k];
      const typename Ops::Row row = Ops::row(rows + letter * simd::kRowBytes);
      Vec* scores = profile + letter * kColumns;
      for (int c = 0; c < kColumns; ++c) Ops::store(scores + c, Ops::lookup(row, columns[c]));
    }

    if (reset) {
      sweep<Ops, Shape, true>(job, s);
      for (int lane = 0; lane < kLanes; ++lane) keep[lane] = static_cast<Elem>(Ops::kCeiling);
      reset = false;
    } else {
      sweep<Ops, Shape, false>(job, s);
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

template <class Shape>
interseq::Kernel make_kernel() {
  return {&search<simd::Ops8, Shape>, &search<simd::Ops16, Shape>, simd::Ops8::kLanes};
}

}  // namespace

// The variants this level compiles; dispatch_table.def lists those that are
// offered (SWL_VARIANT lines), and dispatch.cpp declares each as
// interseq_<columns>col_<form>() in this namespace.
#define SWL_INTERSEQ_VARIANT(columns, form, name, short_chains) \
  interseq::Kernel interseq_##columns##col_##name() {           \
    return make_kernel<Shape<columns, MaxForm::form, short_chains>>(); \
  }
SWL_INTERSEQ_VARIANT(2, max, max, false)
SWL_INTERSEQ_VARIANT(4, max, max, false)
SWL_INTERSEQ_VARIANT(8, max, max, false)
SWL_INTERSEQ_VARIANT(2, max, max_short, true)
SWL_INTERSEQ_VARIANT(4, max, max_short, true)
SWL_INTERSEQ_VARIANT(6, max, max_short, true)
SWL_INTERSEQ_VARIANT(8, max, max_short, true)
#if defined(__AVX512BW__)
SWL_INTERSEQ_VARIANT(8, spread, spread, false)
SWL_INTERSEQ_VARIANT(8, spread, spread_short, true)
SWL_INTERSEQ_VARIANT(8, masked, masked, false)
SWL_INTERSEQ_VARIANT(8, masked, masked_short, true)
#endif
#undef SWL_INTERSEQ_VARIANT

}  // namespace swl::kernels::SWL_ISA_LEVEL
