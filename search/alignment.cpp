#include "alignment.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <climits>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "alphabet.hpp"
#include "errors.hpp"
#include "stage.hpp"

namespace swl {
namespace {

// Low enough never to win a max, high enough that subtracting penalties a
// few times cannot overflow (every cell but the boundaries is reachable, so
// a boundary's minus infinity is replaced within two steps).
constexpr int kMinusInfinity = INT_MIN / 4;

// CPU seconds of the calling thread where POSIX offers them (a benchmark on a
// shared machine should not count other processes' time), else wall time.
double thread_seconds() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec now{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0) return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
#endif
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Direction bits of one cell of the traceback box.
constexpr std::uint8_t kFromDiagonal = 0;  // H took the substitution
constexpr std::uint8_t kFromE = 1;         // H took E: a subject residue against a gap ('D')
constexpr std::uint8_t kFromF = 2;         // H took F: a query residue against a gap ('I')
constexpr std::uint8_t kSourceMask = 3;
constexpr std::uint8_t kEExtended = 4;  // E(j, i) extended E(j-1, i) rather than opening from H(j-1, i)
constexpr std::uint8_t kFExtended = 8;  // F(j, i) extended F(j, i-1) rather than opening from H(j, i-1)

// The query's scores against each residue code: kAlphabetSize rows of m.
std::vector<std::int8_t> query_profile(std::span<const std::uint8_t> query, const Scoring& scoring) {
  const std::size_t m = query.size();
  std::vector<std::int8_t> profile(static_cast<std::size_t>(kAlphabetSize) * m);
  for (int c = 0; c < kAlphabetSize; ++c) {
    for (std::size_t i = 0; i < m; ++i) {
      profile[c * m + i] = static_cast<std::int8_t>(scoring.matrix.score(query[i], static_cast<std::uint8_t>(c)));
    }
  }
  return profile;
}

// Each pass polls the cancel flag once every this many rows (one relaxed
// load): Ctrl-C stops even a titin-size pair within milliseconds.
constexpr std::size_t kCancelPollRows = 16;

bool cancel_due(std::size_t row, const CancelFlag* cancel) {
  return row % kCancelPollRows == 0 && cancel_requested(cancel);
}

// Pass 1: the local recurrence, keeping the first cell (subject-major) with
// the best score. The row maximum is taken in the loop and the cell found
// after the row, to keep a branch with two stores out of the inner loop.
AlignmentEnd scan_end(const std::vector<std::int8_t>& profile, std::size_t m, std::span<const std::uint8_t> subject,
                      int open_extend, int extend, const CancelFlag* cancel) {
  std::vector<int> H(m, 0), E(m, kMinusInfinity);
  AlignmentEnd end;
  for (std::size_t j = 0; j < subject.size(); ++j) {
    if (cancel_due(j, cancel)) throw Cancelled();
    const std::int8_t* scores = profile.data() + subject[j] * m;
    int h_diagonal = 0, h_above = 0, f = kMinusInfinity, row_best = 0;
    for (std::size_t i = 0; i < m; ++i) {
      const int e = std::max(E[i] - extend, H[i] - open_extend);
      f = std::max(f - extend, h_above - open_extend);
      const int h = std::max({h_diagonal + scores[i], e, f, 0});
      row_best = std::max(row_best, h);
      h_diagonal = H[i];
      H[i] = h;
      E[i] = e;
      h_above = h;
    }
    if (row_best > end.score) {
      end.score = row_best;
      end.subject = j;
      end.query = static_cast<std::size_t>(std::find(H.begin(), H.end(), row_best) - H.begin());
    }
  }
  return end;
}

// Pass 2: alignments anchored at the end cell (it is always a substitution:
// a gap there could be dropped for a higher score), grown backwards over the
// reversed prefixes with no zero floor. No anchored alignment beats the best
// local score, and the first cell (subject positions descending, then query
// positions descending) that reaches it is the start: an alignment reaching
// the best from there begins with a substitution for the same reason.
AlignmentStart scan_start(const std::vector<std::int8_t>& profile, std::size_t m, std::span<const std::uint8_t> subject,
                          const AlignmentEnd& end, int open_extend, int extend, const CancelFlag* cancel) {
  const std::size_t width = end.query + 1;
  std::vector<int> H(width + 1, kMinusInfinity), E(width + 1, kMinusInfinity);
  H[0] = 0;  // the anchor: before the end cell's substitution
  for (std::size_t row = 0; row <= end.subject; ++row) {
    if (cancel_due(row, cancel)) throw Cancelled();
    const std::size_t j = end.subject - row;
    // scores[-k] is the score of query position end.query + 1 - k.
    const std::int8_t* scores = profile.data() + subject[j] * m + end.query + 1;
    int h_diagonal = H[0], h_left = kMinusInfinity, f = kMinusInfinity, row_best = kMinusInfinity;
    H[0] = kMinusInfinity;
    for (std::size_t k = 1; k <= width; ++k) {
      const int e = std::max(E[k] - extend, H[k] - open_extend);
      f = std::max(f - extend, h_left - open_extend);
      const int h = std::max({h_diagonal + scores[-static_cast<std::ptrdiff_t>(k)], e, f});
      row_best = std::max(row_best, h);
      h_diagonal = H[k];
      H[k] = h;
      E[k] = e;
      h_left = h;
    }
    if (row_best == end.score) {
      const auto k = static_cast<std::size_t>(std::find(H.begin() + 1, H.end(), end.score) - H.begin());
      return {end.query + 1 - k, j, static_cast<std::uint64_t>(row + 1) * width};
    }
  }
  throw std::logic_error("align: the reverse pass found no start for the best score " + std::to_string(end.score));
}

// Pass 3: the global affine alignment of query[qb, qb + Q) with
// subject[sb, sb + S), traced back in pieces of rows (one row per subject
// residue, one column per query residue; row and column 0 are the boundary,
// minus infinity but for the corner, so every path starts with a
// substitution, as the optimal ones do).
class BoxTraceback {
 public:
  BoxTraceback(const std::vector<std::int8_t>& profile, std::size_t m, std::span<const std::uint8_t> subject,
               const AlignmentStart& start, const AlignmentEnd& end, int open_extend, int extend, std::size_t budget,
               const CancelFlag* cancel = nullptr)
      : profile_(profile.data()),
        m_(m),
        subject_(subject.data() + start.subject),
        qb_(start.query),
        columns_(end.query + 1 - start.query),
        rows_(end.subject + 1 - start.subject),
        open_extend_(open_extend),
        extend_(extend),
        // Rows whose bits fit the budget, and checkpoints (H and E rows) that do.
        leaf_rows_(std::max<std::size_t>(1, budget / columns_)),
        max_checkpoints_(std::max<std::size_t>(2, budget / (2 * sizeof(int) * (columns_ + 1)))),
        cancel_(cancel) {}

  std::uint64_t cells_computed() const { return rows_computed_ * columns_; }

  // The columns, from the first to the last.
  std::string trace() {
    std::vector<int> H(columns_ + 1, kMinusInfinity), E(columns_ + 1, kMinusInfinity);
    H[0] = 0;
    cursor_ = {rows_, columns_, State::kH};
    reversed_.clear();
    reversed_.reserve(rows_ + columns_);
    trace_rows(1, rows_ + 1, std::move(H), std::move(E));
    if (cursor_.row != 0 || cursor_.column != 0) throw std::logic_error("align: the traceback left the box");
    return {reversed_.rbegin(), reversed_.rend()};
  }

 private:
  enum class State { kH, kE, kF };
  struct Cursor {
    std::size_t row, column;
    State state;
  };

  // Rows [first, last) from the H and E rows of row first - 1 (copies: they
  // are advanced in place), tracing while the cursor is among them.
  void trace_rows(std::size_t first, std::size_t last, std::vector<int> H, std::vector<int> E) {
    const std::size_t count = last - first;
    if (count <= leaf_rows_) {
      std::vector<std::uint8_t> bits(count * columns_);
      for (std::size_t row = first; row < last; ++row) advance<true>(row, H.data(), E.data(), &bits[(row - first) * columns_]);
      trace_leaf(first, bits);
      return;
    }
    const std::size_t pieces = std::min((count + leaf_rows_ - 1) / leaf_rows_, max_checkpoints_);
    const std::size_t piece_rows = (count + pieces - 1) / pieces;
    const std::size_t last_piece_first = first + (count - 1) / piece_rows * piece_rows;
    std::vector<std::vector<int>> checkpoint_h{H}, checkpoint_e{E};
    for (std::size_t row = first; row < last_piece_first; ++row) {
      advance<false>(row, H.data(), E.data(), nullptr);
      if ((row + 1 - first) % piece_rows == 0) {
        checkpoint_h.push_back(H);
        checkpoint_e.push_back(E);
      }
    }
    std::vector<int>().swap(H);
    std::vector<int>().swap(E);
    for (std::size_t t = checkpoint_h.size(); t-- > 0;) {
      const std::size_t piece_first = first + t * piece_rows;
      const std::size_t piece_last = std::min(last, piece_first + piece_rows);
      if (cursor_.row >= piece_first) {
        trace_rows(piece_first, piece_last, std::move(checkpoint_h[t]), std::move(checkpoint_e[t]));
      }
      checkpoint_h.pop_back();
      checkpoint_e.pop_back();
    }
  }

  // Computes row `row` (1-based) in place over H and E, which hold row - 1;
  // with Bits, the direction bits of its columns 1..Q into bits[0, Q).
  template <bool Bits>
  void advance(std::size_t row, int* H, int* E, std::uint8_t* bits) {
    if (cancel_due(row, cancel_)) throw Cancelled();
    ++rows_computed_;
    const std::int8_t* scores = profile_ + subject_[row - 1] * m_ + qb_;  // column i scores scores[i - 1]
    const int open_extend = open_extend_, extend = extend_;
    int h_diagonal = H[0];
    H[0] = kMinusInfinity;
    int h_left = kMinusInfinity, f = kMinusInfinity;
    for (std::size_t i = 1; i <= columns_; ++i) {
      const int e_open = H[i] - open_extend, e_extend = E[i] - extend;
      const int e = std::max(e_open, e_extend);
      const int f_open = h_left - open_extend, f_extend = f - extend;
      f = std::max(f_open, f_extend);
      int h = h_diagonal + scores[i - 1];
      std::uint8_t source = kFromDiagonal;
      if (e > h) {
        h = e;
        source = kFromE;
      }
      if (f > h) {
        h = f;
        source = kFromF;
      }
      if constexpr (Bits) {
        bits[i - 1] = static_cast<std::uint8_t>(source | (e_extend > e_open ? kEExtended : 0) |
                                                (f_extend > f_open ? kFExtended : 0));
      }
      h_diagonal = H[i];
      H[i] = h;
      E[i] = e;
      h_left = h;
    }
  }

  void trace_leaf(std::size_t first, const std::vector<std::uint8_t>& bits) {
    while (cursor_.row >= first && cursor_.row > 0) {
      if (cursor_.column == 0) throw std::logic_error("align: the traceback reached the box's boundary");
      const std::uint8_t cell = bits[(cursor_.row - first) * columns_ + cursor_.column - 1];
      switch (cursor_.state) {
        case State::kH:
          switch (cell & kSourceMask) {
            case kFromDiagonal:
              reversed_.push_back('M');
              --cursor_.row;
              --cursor_.column;
              break;
            case kFromE:
              cursor_.state = State::kE;
              break;
            default:
              cursor_.state = State::kF;
              break;
          }
          break;
        case State::kE:
          reversed_.push_back('D');
          --cursor_.row;
          if (!(cell & kEExtended)) cursor_.state = State::kH;
          break;
        case State::kF:
          reversed_.push_back('I');
          --cursor_.column;
          if (!(cell & kFExtended)) cursor_.state = State::kH;
          break;
      }
    }
  }

  const std::int8_t* profile_;
  std::size_t m_;
  const std::uint8_t* subject_;
  std::size_t qb_, columns_, rows_;
  int open_extend_, extend_;
  std::size_t leaf_rows_, max_checkpoints_;
  const CancelFlag* cancel_;
  std::uint64_t rows_computed_ = 0;
  Cursor cursor_{0, 0, State::kH};
  std::string reversed_;
};

}  // namespace

AlignmentEnd find_alignment_end(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                                const Scoring& scoring, const CancelFlag* cancel) {
  if (query.empty() || subject.empty()) return {};
  return scan_end(query_profile(query, scoring), query.size(), subject, scoring.gap_open + scoring.gap_extend,
                  scoring.gap_extend, cancel);
}

AlignmentStart find_alignment_start(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                                    const Scoring& scoring, const AlignmentEnd& end, const CancelFlag* cancel) {
  return scan_start(query_profile(query, scoring), query.size(), subject, end, scoring.gap_open + scoring.gap_extend,
                    scoring.gap_extend, cancel);
}

Alignment trace_alignment(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject,
                          const Scoring& scoring, const AlignmentEnd& end, const AlignmentStart& start,
                          std::size_t traceback_budget, AlignmentWork* work, const CancelFlag* cancel) {
  Alignment alignment;
  if (end.score <= 0) return alignment;
  const double start_time = work ? thread_seconds() : 0;
  // The profile of the box's query columns only: the traceback reads no other.
  const std::span<const std::uint8_t> box_query = query.subspan(start.query, end.query + 1 - start.query);
  const std::vector<std::int8_t> profile = query_profile(box_query, scoring);
  AlignmentStart box_start = start;
  box_start.query = 0;
  AlignmentEnd box_end = end;
  box_end.query = end.query - start.query;
  BoxTraceback box(profile, box_query.size(), subject, box_start, box_end, scoring.gap_open + scoring.gap_extend,
                   scoring.gap_extend, traceback_budget, cancel);
  alignment.score = end.score;
  alignment.query_begin = start.query;
  alignment.query_end = end.query + 1;
  alignment.subject_begin = start.subject;
  alignment.subject_end = end.subject + 1;
  alignment.operations = box.trace();
  const std::int32_t rescored = rescore(alignment, query, subject, scoring);
  if (rescored != alignment.score) {
    throw std::logic_error("align: the alignment re-scores to " + std::to_string(rescored) + ", not its score " +
                           std::to_string(alignment.score));
  }
  if (work) {
    work->traceback_cells += box.cells_computed();
    work->traceback_seconds += thread_seconds() - start_time;
  }
  return alignment;
}

Alignment align(std::span<const std::uint8_t> query, std::span<const std::uint8_t> subject, const Scoring& scoring,
                std::size_t traceback_budget, AlignmentWork* work, const CancelFlag* cancel) {
  if (query.empty() || subject.empty()) return {};
  double start_time = work ? thread_seconds() : 0;
  const AlignmentEnd end = find_alignment_end(query, subject, scoring, cancel);
  if (work) {
    work->forward_cells += static_cast<std::uint64_t>(query.size()) * subject.size();
    work->forward_seconds += thread_seconds() - start_time;
  }
  if (end.score <= 0) return {};
  if (work) start_time = thread_seconds();
  const AlignmentStart start = find_alignment_start(query, subject, scoring, end, cancel);
  if (work) {
    work->reverse_cells += start.cells;
    work->reverse_seconds += thread_seconds() - start_time;
  }
  return trace_alignment(query, subject, scoring, end, start, traceback_budget, work, cancel);
}

double alignment_thread_seconds() { return thread_seconds(); }

std::int32_t rescore(const Alignment& alignment, std::span<const std::uint8_t> query,
                     std::span<const std::uint8_t> subject, const Scoring& scoring) {
  const auto malformed = [&](const std::string& why) {
    return std::logic_error("malformed alignment (query " + std::to_string(alignment.query_begin) + ".." +
                            std::to_string(alignment.query_end) + ", subject " +
                            std::to_string(alignment.subject_begin) + ".." + std::to_string(alignment.subject_end) +
                            ", " + std::to_string(alignment.operations.size()) + " columns): " + why);
  };
  if (alignment.query_begin > alignment.query_end || alignment.query_end > query.size()) {
    throw malformed("query coordinates outside the query of length " + std::to_string(query.size()));
  }
  if (alignment.subject_begin > alignment.subject_end || alignment.subject_end > subject.size()) {
    throw malformed("subject coordinates outside the subject of length " + std::to_string(subject.size()));
  }
  std::size_t i = alignment.query_begin, j = alignment.subject_begin;
  std::int64_t total = 0;
  char previous = 'M';
  for (const char op : alignment.operations) {
    switch (op) {
      case 'M':
        if (i >= alignment.query_end || j >= alignment.subject_end) throw malformed("more columns than residues");
        total += scoring.matrix.score(query[i++], subject[j++]);
        break;
      case 'I':
        if (i >= alignment.query_end) throw malformed("more query columns than query residues");
        total -= (previous == 'I' ? 0 : scoring.gap_open) + scoring.gap_extend;
        ++i;
        break;
      case 'D':
        if (j >= alignment.subject_end) throw malformed("more subject columns than subject residues");
        total -= (previous == 'D' ? 0 : scoring.gap_open) + scoring.gap_extend;
        ++j;
        break;
      default:
        throw malformed("operation " + describe_byte(static_cast<unsigned char>(op)) + " is not M, I or D");
    }
    previous = op;
  }
  if (i != alignment.query_end || j != alignment.subject_end) throw malformed("fewer columns than residues");
  if (total > INT32_MAX || total < INT32_MIN) throw malformed("the score overflows int32");
  return static_cast<std::int32_t>(total);
}

std::vector<Alignment> align_many(std::span<const std::uint8_t> query, const Database& db,
                                  std::span<const std::uint32_t> indices, const Scoring& scoring, int threads,
                                  const CancelFlag* cancel) {
  for (const std::uint32_t index : indices) {
    if (index >= db.size()) {
      throw InputError("database index " + std::to_string(index) + " out of range (the database has " +
                       std::to_string(db.size()) + " sequences)");
    }
  }
  std::vector<Alignment> alignments(indices.size());
  const int thread_count = resolve_threads(threads);
  // An exception must not leave an OpenMP region: keep the first, rethrow after.
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(thread_count)
  for (std::size_t k = 0; k < indices.size(); ++k) {
    try {
      if (cancel_requested(cancel)) throw Cancelled();
      alignments[k] = align(query, db.sequence(indices[k]), scoring, kDefaultTracebackBudget, nullptr, cancel);
    } catch (...) {
#pragma omp critical(swl_align_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return alignments;
}

AlignmentColumns describe_alignment(const Alignment& alignment, std::string_view query, std::string_view subject,
                                    const ScoreMatrix& matrix) {
  const std::string& operations = alignment.operations;
  std::size_t query_used = 0, subject_used = 0;
  for (const char op : operations) {
    if (op != 'M' && op != 'I' && op != 'D') {
      throw InputError(std::string("alignment operation '") + op + "' is not M, I or D");
    }
    query_used += op != 'D';
    subject_used += op != 'I';
  }
  const std::size_t query_end = alignment.query_begin + query_used;
  const std::size_t subject_end = alignment.subject_begin + subject_used;
  if (query_end != alignment.query_end || subject_end != alignment.subject_end || alignment.query_end > query.size() ||
      alignment.subject_end > subject.size()) {
    throw InputError("alignment operations cover query " + std::to_string(alignment.query_begin) + ".." +
                     std::to_string(query_end) + " and subject " + std::to_string(alignment.subject_begin) + ".." +
                     std::to_string(subject_end) + ", not " + std::to_string(alignment.query_begin) + ".." +
                     std::to_string(alignment.query_end) + " and " + std::to_string(alignment.subject_begin) + ".." +
                     std::to_string(alignment.subject_end) + " (sequences of " + std::to_string(query.size()) +
                     " and " + std::to_string(subject.size()) + ")");
  }
  const auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
  const auto code = [](char c) {
    const int value = residue_code(static_cast<unsigned char>(c));
    return static_cast<std::uint8_t>(value < 0 ? kCodeX : value);
  };
  AlignmentColumns out;
  const std::size_t length = operations.size();
  out.query_row.reserve(length);
  out.subject_row.reserve(length);
  out.midline.reserve(length);
  std::size_t q = alignment.query_begin, s = alignment.subject_begin;
  std::size_t identity_run = 0;
  char previous = 0;
  std::size_t run = 0;
  for (std::size_t column = 0; column < length; ++column) {
    const char op = operations[column];
    const char q_letter = op == 'D' ? '-' : upper(query[q++]);
    const char s_letter = op == 'I' ? '-' : upper(subject[s++]);
    out.query_row.push_back(q_letter);
    out.subject_row.push_back(s_letter);
    bool identical = false;
    if (op == 'M') {
      const std::uint8_t a = code(q_letter), b = code(s_letter);
      identical = a == b;
      const bool positive = matrix.score(a, b) > 0;
      out.identities += identical;
      out.positives += positive;
      out.midline.push_back(identical ? q_letter : positive ? '+' : ' ');
    } else {
      ++out.gaps;
      out.gap_opens += op != previous;
      out.midline.push_back(' ');
    }
    if (identical) {
      ++identity_run;
    } else {
      if (identity_run) out.btop += std::to_string(identity_run);
      identity_run = 0;
      out.btop.push_back(q_letter);
      out.btop.push_back(s_letter);
    }
    if (op != previous && run) {
      out.cigar += std::to_string(run);
      out.cigar.push_back(previous);
      run = 0;
    }
    ++run;
    previous = op;
  }
  if (identity_run) out.btop += std::to_string(identity_run);
  if (run) {
    out.cigar += std::to_string(run);
    out.cigar.push_back(previous);
  }
  return out;
}

}  // namespace swl
