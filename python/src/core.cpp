// swladder._core: the compiled rungs as seen from Python. Private: the
// package (python/swladder) wraps it in the documented API. Everything here
// iterates the registry, so a stage added with swl_stage() appears in Python
// without a change to this file.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <limits>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "alignment.hpp"
#include "fast_alignment.hpp"
#include "alphabet.hpp"
#include "blastdb.hpp"
#include "cancel.hpp"
#include "cpus.hpp"
#include "database.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "scoring.hpp"
#include "stage.hpp"
#include "statistics.hpp"
#include "synthetic.hpp"
#include "verify.hpp"

namespace py = pybind11;

namespace {

// Names and paths come from files and may not be UTF-8; they must still reach
// Python (and an error message must never fail to be raised because of them).
py::str text(const std::string& bytes, const char* errors = "surrogateescape") {
  PyObject* object = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), errors);
  if (object == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(object);
}

void raise_as(PyObject* type, const char* message) {
  const py::str text_message = text(message, "replace");
  PyErr_SetObject(type, text_message.ptr());
}

// An OSError of `type` whose errno is set, as the package's own are, and
// whose str() is the message: setting strerror and filename too would make
// it "[Errno 21] Is a directory: 'x'" instead.
void raise_os_error(PyObject* type, const char* message, int error_number) {
  const py::str text_message = text(message, "replace");
  PyObject* error = PyObject_CallOneArg(type, text_message.ptr());
  if (error == nullptr) return;  // the call's own error stands
  if (error_number != 0) {
    PyObject* number = PyLong_FromLong(error_number);
    if (number == nullptr || PyObject_SetAttrString(error, "errno", number) != 0) PyErr_Clear();
    Py_XDECREF(number);
  }
  PyErr_SetObject(type, error);
  Py_DECREF(error);
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values) {
  py::array_t<T> array(static_cast<py::ssize_t>(values.size()));
  if (!values.empty()) std::memcpy(array.mutable_data(), values.data(), values.size() * sizeof(T));
  return array;
}

py::dict stage_info(const swl::Stage& stage) {
  py::dict info;
  info["name"] = std::string(stage.name());
  info["summary"] = std::string(stage.summary());
  info["kernels"] = stage.kernels();
  info["threaded"] = stage.threaded();
  info["supported"] = stage.supported();
  return info;
}

// A thread that runs searches for one calling thread, so that the caller can
// watch for Ctrl-C meanwhile. Kept between calls: it then keeps its OpenMP
// thread pool too, which a new thread per search would start again each time.
class SearchRunner {
 public:
  SearchRunner() : thread_([this] { loop(); }) {}
  ~SearchRunner() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  SearchRunner(const SearchRunner&) = delete;
  SearchRunner& operator=(const SearchRunner&) = delete;

  void start(std::function<void()> job) {
    {
      const std::lock_guard lock(mutex_);
      job_ = std::move(job);
      done_ = false;
    }
    wake_.notify_all();
  }
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return finished_.wait_for(lock, timeout, [&] { return done_; });
  }

  // The calling thread's runner, started on first use.
  static SearchRunner& current() {
    if (!mine) mine = std::make_unique<SearchRunner>();
    return *mine;
  }
  // In a forked child the runner's thread does not exist: forget it unjoined
  // (a search there starts a new one).
  static void forget_after_fork() { static_cast<void>(mine.release()); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stop_ || job_; });
      if (stop_) return;
      std::function<void()> job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();  // catches its own exceptions
      lock.lock();
      done_ = true;
      finished_.notify_all();
    }
  }

  static thread_local std::unique_ptr<SearchRunner> mine;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::function<void()> job_;
  bool done_ = true;
  bool stop_ = false;
  std::thread thread_;  // last: it starts running loop() at once
};

thread_local std::unique_ptr<SearchRunner> SearchRunner::mine;

// Below this many cells (tens of milliseconds even on the slowest compiled
// rung) a search runs on the calling thread: handing it over costs more than
// a Ctrl-C could save.
constexpr double kInterruptibleCells = 4e6;

// How often the calling thread looks for a pending signal while a search
// runs: Ctrl-C stops a search within this plus a rung's polling interval.
constexpr std::chrono::milliseconds kSignalPoll{50};

// Runs `search` (which must not touch Python) with the GIL released. Long
// ones run on the thread's SearchRunner while this thread checks every
// kSignalPoll for a pending signal; on one (KeyboardInterrupt from Ctrl-C)
// it sets the search's cancel flag, waits for the search to stop and raises
// the signal's exception. Searches and alignments alike.
template <typename Result>
Result run_interruptibly(double cells, swl::CancelFlag& cancel, const std::function<Result()>& search) {
  // The database is immutable once built and the stages keep no state, so
  // other Python threads may run (and search) meanwhile.
  if (cells < kInterruptibleCells) {
    py::gil_scoped_release release;
    return search();
  }
  Result result;
  std::exception_ptr failure;
  bool interrupted = false;
  {
    py::gil_scoped_release release;
    SearchRunner& runner = SearchRunner::current();
    runner.start([&] {
      try {
        result = search();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    while (!runner.wait_for(kSignalPoll)) {
      if (interrupted) continue;
      py::gil_scoped_acquire acquire;
      // Runs the Python signal handlers (main thread only; elsewhere a no-op).
      if (PyErr_CheckSignals() != 0) {
        interrupted = true;
        cancel.request();
      }
    }
  }
  if (interrupted) throw py::error_already_set();
  if (failure) std::rethrow_exception(failure);
  return result;
}

py::tuple search(const std::string& stage_name, const std::string& query, const swl::Database& db,
                 const std::string& matrix, int gap_open, int gap_extend, int threads, const std::string& kernel) {
  const swl::Stage& stage = swl::get_stage(stage_name);
  const swl::Scoring scoring = swl::make_scoring(matrix, gap_open, gap_extend);
  const auto query_codes = swl::encode(query, "query");
  swl::CancelFlag cancel;
  const double cells = static_cast<double>(query_codes.size()) * static_cast<double>(db.total_residues());
  const swl::SearchResult result = run_interruptibly<swl::SearchResult>(
      cells, cancel, [&] { return stage.search(query_codes, db, scoring, {threads, kernel, &cancel}); });
  return py::make_tuple(to_array(result.scores), result.kernel, result.threads, result.rescored);
}

std::vector<std::string> to_strings(const py::list& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(item.cast<std::string>());
  return out;
}

swl::CorpusOptions corpus_options(std::uint64_t seed, bool large, const py::list& real_sequences) {
  swl::CorpusOptions options;
  options.seed = seed;
  options.large = large;
  options.real_sequences = to_strings(real_sequences);
  return options;
}

// The fields of a harness case as Python sees them (dict keys), for both
// directions of the conversion.
template <typename Case, typename Visit>
void for_each_case_field(Case& c, Visit visit) {
  visit("label", c.label);
  visit("query", c.query);
  visit("subjects", c.subjects);
  visit("matrix", c.matrix);
  visit("gap_open", c.gap_open);
  visit("gap_extend", c.gap_extend);
}

py::list corpus(std::uint64_t seed, bool large, const py::list& real_sequences) {
  py::list cases;
  for (const auto& c : swl::build_corpus(corpus_options(seed, large, real_sequences))) {
    py::dict entry;
    for_each_case_field(c, [&](const char* key, const auto& field) { entry[key] = field; });
    cases.append(entry);
  }
  return cases;
}

// The corpus a verification runs on: the cases given (dicts as corpus()
// returns them), or the harness's own from seed, large and real_sequences.
std::vector<swl::VerifyCase> verify_corpus(std::uint64_t seed, bool large, const py::list& real_sequences,
                                           const py::object& cases) {
  if (cases.is_none()) return swl::build_corpus(corpus_options(seed, large, real_sequences));
  std::vector<swl::VerifyCase> corpus;
  for (const auto& item : cases.cast<py::list>()) {
    const auto entry = item.cast<py::dict>();
    swl::VerifyCase c;
    c.label = "case " + std::to_string(corpus.size() + 1);
    for_each_case_field(c, [&](const std::string& key, auto& field) {
      if (entry.contains(key)) {
        field = entry[key.c_str()].cast<std::decay_t<decltype(field)>>();
      } else if (key == "query" || key == "subjects") {
        throw swl::InputError("a verification case needs '" + key + "'");
      }  // the rest keep the workload's defaults
    });
    corpus.push_back(std::move(c));
  }
  return corpus;
}

// Reference scores kept between calls, by the whole case: the ladder checks
// many rungs and peers, pass after pass, on the same large cases, and the
// reference would otherwise score them again each time. Bounded; cleared
// when full.
class ReferenceCache {
 public:
  void fill(const std::vector<swl::VerifyCase>& corpus) {
    const std::lock_guard lock(mutex_);
    for (const auto& c : corpus) {
      if (const auto hit = entries_.find(key(c)); hit != entries_.end()) c.expected = hit->second;
    }
  }
  void keep(const std::vector<swl::VerifyCase>& corpus) {
    const std::lock_guard lock(mutex_);
    for (const auto& c : corpus) {
      if (c.expected.empty()) continue;
      std::string k = key(c);
      if (bytes_ + k.size() > kMaxBytes) {
        entries_.clear();
        bytes_ = 0;
      }
      bytes_ += k.size();
      entries_[std::move(k)] = c.expected;
    }
  }

 private:
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 20;
  static std::string key(const swl::VerifyCase& c) {
    std::string k = c.matrix + "\n" + std::to_string(c.gap_open) + "/" + std::to_string(c.gap_extend) + "\n" + c.query;
    for (const auto& subject : c.subjects) (k += '\n') += subject;
    return k;
  }
  std::mutex mutex_;
  std::map<std::string, std::map<std::string, std::vector<std::int32_t>>> entries_;
  std::size_t bytes_ = 0;
};

ReferenceCache& reference_cache() {
  static ReferenceCache cache;
  return cache;
}

py::dict report_dict(const swl::VerifyReport& report) {
  py::dict out;
  out["stage"] = report.stage;
  out["reference"] = report.reference;
  out["kernel"] = report.kernel;
  out["threads"] = report.threads;
  out["passed"] = report.passed;
  out["cases"] = report.cases;
  out["pairs"] = report.pairs;
  out["skipped_pairs"] = report.skipped_pairs;
  out["cells"] = report.cells;
  out["first_mismatch"] = report.first_mismatch ? py::object(text(report.first_mismatch->describe())) : py::none();
  out["error"] = report.error.empty() ? py::object(py::none()) : py::object(text(report.error));
  out["description"] = text(report.describe());
  return out;
}

py::dict verify(const std::string& stage_name, std::uint64_t seed, bool large, const py::list& real_sequences,
                int threads, const std::string& kernel, const py::object& cases) {
  const swl::Stage& stage = swl::get_stage(stage_name);
  const auto corpus = verify_corpus(seed, large, real_sequences, cases);
  double cells = 0;
  for (const auto& c : corpus) {
    for (const auto& subject : c.subjects) cells += static_cast<double>(c.query.size() * subject.size());
  }
  swl::CancelFlag cancel;
  const swl::VerifyReport report = run_interruptibly<swl::VerifyReport>(cells, cancel, [&] {
    reference_cache().fill(corpus);
    swl::VerifyReport checked = swl::verify_stage(stage, corpus, {threads, kernel, &cancel});
    reference_cache().keep(corpus);
    return checked;
  });
  return report_dict(report);
}

// The same harness for any Python scorer (a pure-Python rung, a peer):
// fn(query, subjects, matrix, gap_open, gap_extend) -> scores. The reference
// runs without the GIL; fn is called with it.
py::dict verify_function(const std::string& name, const py::function& fn, std::uint64_t seed, bool large,
                         const py::list& real_sequences, const py::object& cases, double max_pair_cells) {
  const auto corpus = verify_corpus(seed, large, real_sequences, cases);
  const swl::Stage& reference = swl::reference_stage();
  // Python's errors become plain exceptions while the GIL is held, so that
  // the harness reports them as the case's error; Ctrl-C (KeyboardInterrupt,
  // or any BaseException that is not an Exception) is kept pending instead,
  // and stops the harness.
  bool interrupted = false;
  const auto score = [&](const swl::VerifyCase& c, const std::vector<std::string>& subjects) {
    py::gil_scoped_acquire acquire;
    try {
      const py::object scores = fn(c.query, subjects, c.matrix, c.gap_open, c.gap_extend);
      std::vector<std::int32_t> out;
      for (const auto& value : scores) out.push_back(value.cast<std::int32_t>());
      return out;
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_Exception)) {
        interrupted = true;
        e.restore();
        throw swl::Cancelled();
      }
      const std::string type = py::str(e.type().attr("__name__"));
      const std::string message = py::str(e.value());
      throw std::runtime_error("case '" + c.label + "': " + type + (message.empty() ? "" : ": " + message));
    } catch (const py::cast_error& e) {
      throw std::runtime_error("case '" + c.label + "': scores are not int32 integers (" + e.what() + ")");
    }
  };
  swl::VerifyReport report;
  try {
    py::gil_scoped_release release;
    reference_cache().fill(corpus);
    report = swl::verify_scores(name, score, reference, corpus, max_pair_cells);
    reference_cache().keep(corpus);
  } catch (const swl::Cancelled&) {
    if (interrupted) throw py::error_already_set();
    throw;
  }
  report.kernel = "python";
  return report_dict(report);
}

py::list records_to_list(const std::vector<swl::FastaRecord>& records) {
  py::list out;
  for (const auto& record : records) out.append(py::make_tuple(text(record.name), text(record.description), record.sequence));
  return out;
}

// --- Statistics: blastp's bit scores and E-values --------------------------------

py::object karlin_altschul_info(const std::string& matrix, int gap_open, int gap_extend) {
  const auto parameters = swl::karlin_altschul(matrix, gap_open, gap_extend);
  if (!parameters) return py::none();
  py::dict info;
  info["gap_open"] = parameters->gap_open;
  info["gap_extend"] = parameters->gap_extend;
  info["lambda"] = parameters->lambda;
  info["K"] = parameters->K;
  info["H"] = parameters->H;
  info["alpha"] = parameters->alpha;
  info["beta"] = parameters->beta;
  info["C"] = parameters->C;
  info["alpha_v"] = parameters->alpha_v;
  info["sigma"] = parameters->sigma;
  info["b"] = parameters->b;
  info["beta_v"] = parameters->beta_v;
  info["tau"] = parameters->tau;
  return info;
}

std::size_t non_negative(std::int64_t value, const char* what) {
  if (value < 0) throw swl::InputError(std::string(what) + " must not be negative (got " + std::to_string(value) + ")");
  return static_cast<std::size_t>(value);
}

// No forcecast: a float or wider integer array is refused (TypeError) rather
// than silently truncated.
py::tuple statistics(const py::array_t<std::int32_t, py::array::c_style>& scores, std::int64_t query_length,
                     const py::array_t<std::int64_t, py::array::c_style>& subject_lengths, std::int64_t db_residues,
                     std::int64_t db_sequences, const std::string& matrix, int gap_open, int gap_extend,
                     std::int64_t db_length, std::int64_t search_space) {
  if (scores.ndim() != 1 || subject_lengths.ndim() != 1) {
    throw swl::InputError("statistics: scores and subject_lengths must be one-dimensional arrays");
  }
  if (scores.size() != subject_lengths.size()) {
    throw swl::InputError("statistics: " + std::to_string(scores.size()) + " scores but " +
                          std::to_string(subject_lengths.size()) + " subject lengths");
  }
  const std::size_t query = non_negative(query_length, "query_length");
  const std::size_t residues = non_negative(db_residues, "db_residues");
  const std::size_t sequences = non_negative(db_sequences, "db_sequences");
  const swl::SizeOverrides overrides{non_negative(db_length, "db_length"), non_negative(search_space, "search_space")};
  const auto parameters = swl::karlin_altschul(matrix, gap_open, gap_extend);
  const auto count = static_cast<std::size_t>(scores.size());
  py::array_t<double> bit_scores(static_cast<py::ssize_t>(count));
  py::array_t<double> evalues(static_cast<py::ssize_t>(count));
  const std::int32_t* score = scores.data();
  const std::int64_t* length = subject_lengths.data();
  double* bits = bit_scores.mutable_data();
  double* expect = evalues.mutable_data();
  const auto fill = [&] {
    std::optional<swl::QueryStatistics> statistics;
    for (std::size_t i = 0; i < count; ++i) {
      if (length[i] < 0) {
        throw swl::InputError("statistics: subject_lengths[" + std::to_string(i) + "] is negative (" +
                              std::to_string(length[i]) + ")");
      }
      if (!parameters) {
        bits[i] = expect[i] = std::numeric_limits<double>::quiet_NaN();
        continue;
      }
      if (!statistics) statistics.emplace(*parameters, query, residues, sequences, overrides);
      bits[i] = statistics->bit_score(score[i]);
      expect[i] = statistics->evalue(score[i], static_cast<std::size_t>(length[i]));
    }
  };
  // A few exp() per hit: worth letting other threads run only for big arrays.
  constexpr std::size_t kReleaseGilFrom = 4096;
  if (count >= kReleaseGilFrom) {
    py::gil_scoped_release release;
    fill();
  } else {
    fill();
  }
  return py::make_tuple(bit_scores, evalues);
}

// An alignment as Python receives it: (score, query_begin, query_end,
// subject_begin, subject_end, operations), 0-based half-open.
py::tuple alignment_tuple(const swl::Alignment& a) {
  return py::make_tuple(a.score, a.query_begin, a.query_end, a.subject_begin, a.subject_end, a.operations);
}

py::tuple align_pair(const std::string& query, const std::string& subject, const std::string& matrix, int gap_open,
                     int gap_extend) {
  const swl::Scoring scoring = swl::make_scoring(matrix, gap_open, gap_extend);
  const auto query_codes = swl::encode(query, "query");
  const auto subject_codes = swl::encode(subject, "subject");
  swl::CancelFlag cancel;
  const double cells = static_cast<double>(query_codes.size()) * static_cast<double>(subject_codes.size());
  const swl::Alignment alignment = run_interruptibly<swl::Alignment>(cells, cancel, [&] {
    return swl::align_fast(query_codes, subject_codes, scoring, swl::kUnknownScore, swl::kDefaultTracebackBudget,
                           nullptr, swl::alignment_level(), &cancel);
  });
  return alignment_tuple(alignment);
}

py::list align_many(const std::string& query, const swl::Database& db, const std::vector<std::int64_t>& indices,
                    const std::string& matrix, int gap_open, int gap_extend, int threads) {
  const swl::Scoring scoring = swl::make_scoring(matrix, gap_open, gap_extend);
  const auto query_codes = swl::encode(query, "query");
  std::vector<std::uint32_t> records;
  records.reserve(indices.size());
  for (const std::int64_t index : indices) {
    if (index < 0 || static_cast<std::uint64_t>(index) >= db.size()) {
      throw swl::InputError("database index " + std::to_string(index) + " out of range (the database has " +
                            std::to_string(db.size()) + " sequences)");
    }
    records.push_back(static_cast<std::uint32_t>(index));
  }
  swl::CancelFlag cancel;
  double cells = 0;
  for (const std::uint32_t record : records) {
    cells += static_cast<double>(query_codes.size()) * static_cast<double>(db.length(record));
  }
  const auto alignments = run_interruptibly<std::vector<swl::Alignment>>(
      cells, cancel, [&] { return swl::align_many_fast(query_codes, db, records, scoring, threads, {}, &cancel); });
  py::list out;
  for (const auto& alignment : alignments) out.append(alignment_tuple(alignment));
  return out;
}

// The hits of many queries in one parallel batch: pair k aligns
// queries[query_of[k]] with subjects[k], whose score a search found to be
// scores[k] (negative: unknown).
py::list align_batch(const std::vector<std::string>& queries, const std::vector<std::string>& subjects,
                     const std::vector<std::int64_t>& query_of, const std::vector<std::int64_t>& scores,
                     const std::string& matrix, int gap_open, int gap_extend, int threads) {
  const swl::Scoring scoring = swl::make_scoring(matrix, gap_open, gap_extend);
  if (query_of.size() != subjects.size() || scores.size() != subjects.size()) {
    throw swl::InputError("align_batch: " + std::to_string(subjects.size()) + " subjects, " +
                          std::to_string(query_of.size()) + " query numbers and " + std::to_string(scores.size()) +
                          " scores");
  }
  std::vector<std::vector<std::uint8_t>> query_codes, subject_codes;
  query_codes.reserve(queries.size());
  for (const auto& query : queries) query_codes.push_back(swl::encode(query, "query"));
  subject_codes.reserve(subjects.size());
  for (const auto& subject : subjects) subject_codes.push_back(swl::encode(subject, "subject"));
  std::vector<swl::AlignmentTask> tasks;
  tasks.reserve(subjects.size());
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    if (query_of[k] < 0 || static_cast<std::uint64_t>(query_of[k]) >= queries.size()) {
      throw swl::InputError("align_batch: query number " + std::to_string(query_of[k]) + " out of range (" +
                            std::to_string(queries.size()) + " queries)");
    }
    const std::int64_t score = scores[k];
    tasks.push_back({query_codes[static_cast<std::size_t>(query_of[k])], subject_codes[k],
                     score < 0 || score > INT32_MAX ? swl::kUnknownScore : static_cast<std::int32_t>(score)});
  }
  swl::CancelFlag cancel;
  double cells = 0;
  for (const auto& task : tasks) cells += static_cast<double>(task.query.size()) * static_cast<double>(task.subject.size());
  const auto alignments = run_interruptibly<std::vector<swl::Alignment>>(
      cells, cancel, [&] { return swl::align_tasks(tasks, scoring, threads, swl::alignment_level(), &cancel); });
  py::list out;
  for (const auto& alignment : alignments) out.append(alignment_tuple(alignment));
  return out;
}

// What BLAST reports of an alignment's columns (swl::describe_alignment):
// (qseq, sseq, midline, nident, positive, gaps, gapopen, btop, cigar).
py::tuple alignment_columns(const std::string& operations, const std::string& query, const std::string& subject,
                            std::int64_t query_begin, std::int64_t query_end, std::int64_t subject_begin,
                            std::int64_t subject_end, const std::string& matrix) {
  if (query_begin < 0 || query_end < 0 || subject_begin < 0 || subject_end < 0) {
    throw swl::InputError("alignment coordinates must not be negative");
  }
  swl::Alignment alignment;
  alignment.query_begin = static_cast<std::size_t>(query_begin);
  alignment.query_end = static_cast<std::size_t>(query_end);
  alignment.subject_begin = static_cast<std::size_t>(subject_begin);
  alignment.subject_end = static_cast<std::size_t>(subject_end);
  alignment.operations = operations;
  const swl::AlignmentColumns c =
      swl::describe_alignment(alignment, query, subject, swl::ScoreMatrix::named_or_file(matrix));
  return py::make_tuple(c.query_row, c.subject_row, c.midline, c.identities, c.positives, c.gaps, c.gap_opens, c.btop,
                        c.cigar);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Compiled Smith-Waterman rungs of swladder (private: use the swladder package).";

  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const swl::FileError& e) {
      // By errno, as Python's own open() would raise.
      PyObject* type = e.error_number == EACCES || e.error_number == EPERM ? PyExc_PermissionError
                       : e.error_number == ENOENT || e.error_number == 0  ? PyExc_FileNotFoundError
                       : e.error_number == EISDIR                          ? PyExc_IsADirectoryError
                                                                           : PyExc_OSError;
      raise_os_error(type, e.what(), e.error_number);
    } catch (const swl::InputError& e) {
      raise_as(PyExc_ValueError, e.what());
    }
  });

  pthread_atfork(nullptr, nullptr, &SearchRunner::forget_after_fork);

  m.attr("ALPHABET") = std::string(swl::kAlphabet);
  m.attr("MAX_THREADS") = swl::kMaxThreads;
  m.attr("MAX_GAP_PENALTY") = swl::kMaxGapPenalty;
  m.attr("DEFAULT_SEED") = swl::CorpusOptions{}.seed;

  m.def("usable_cpus", &swl::usable_cpus,
        "CPUs this process may use: its affinity mask, lowered to its cgroup CPU quota; the cap on threads.");
  m.def("cpu_features", &swl::kernels::cpu_features, "Instruction sets this CPU offers, as the kernels see them.");
  m.def("check_forced_kernel", &swl::check_forced_kernel,
        "ValueError if SWLADDER_KERNEL names a kernel that no stage has (a typo); nothing otherwise.");
  m.def(
      "compiler",
      [] {
#if defined(__clang__)
        return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        return std::string("g++ ") + __VERSION__;
#else
        return std::string("unknown compiler");
#endif
      },
      "The compiler that built the kernels.");
  m.def("synthetic_database", &swl::synthetic_database, py::arg("seed"), py::arg("count"), py::arg("min_length") = 20,
        py::arg("max_length") = 5000,
        "Deterministic synthetic proteins: UniProt-like residue frequencies, log-normal lengths.");
  m.def("karlin_altschul", &karlin_altschul_info, py::arg("matrix"), py::arg("gap_open"), py::arg("gap_extend"),
        "NCBI's published Karlin-Altschul and Spouge parameters for a built-in matrix and gap costs (a dict), "
        "or None where BLAST publishes none.");
  m.def("statistics", &statistics, py::arg("scores"), py::arg("query_length"), py::arg("subject_lengths"),
        py::arg("db_residues"), py::arg("db_sequences"), py::arg("matrix"), py::arg("gap_open"), py::arg("gap_extend"),
        py::arg("db_length") = 0, py::arg("search_space") = 0,
        "(bit scores, E-values) as float64 arrays, as blastp computes them; NaN where the parameters are unknown. "
        "db_length and search_space, where not 0, are blastp's -dbsize and -searchsp.");
  m.def("builtin_matrices", &swl::ScoreMatrix::builtin_names, "Names of the compiled-in substitution matrices.");
  m.def(
      "matrix",
      [](const std::string& name_or_path) {
        const auto matrix = swl::ScoreMatrix::named_or_file(name_or_path);
        py::array_t<std::int32_t> table({swl::kAlphabetSize, swl::kAlphabetSize});
        auto view = table.mutable_unchecked<2>();
        for (int a = 0; a < swl::kAlphabetSize; ++a) {
          for (int b = 0; b < swl::kAlphabetSize; ++b) view(a, b) = matrix.score(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b));
        }
        return py::make_tuple(text(matrix.name()), table);
      },
      py::arg("name_or_path"), "(name, kAlphabetSize x kAlphabetSize int32 table in ALPHABET order) of a built-in matrix or a matrix file.");
  m.def(
      "check_scoring",
      [](const std::string& matrix, int gap_open, int gap_extend) { swl::make_scoring(matrix, gap_open, gap_extend); },
      py::arg("matrix"), py::arg("gap_open"), py::arg("gap_extend"),
      "Raises ValueError (or FileNotFoundError) unless the matrix and penalties are usable.");
  m.def(
      "check_sequence", [](const std::string& sequence, const std::string& name) { swl::encode(sequence, name); },
      py::arg("sequence"), py::arg("name") = "query", "Raises ValueError naming the first invalid residue.");
  m.def(
      "read_fasta", [](const std::string& path) { return records_to_list(swl::read_fasta(path)); }, py::arg("path"),
      "[(name, description, sequence)] of a FASTA file.");
  m.def(
      "parse_fasta",
      [](const py::bytes& content, const std::string& source) {
        return records_to_list(swl::parse_fasta(std::string(content), source));
      },
      py::arg("content"), py::arg("source") = "<string>", "[(name, description, sequence)] of FASTA text.");

  py::class_<swl::Database>(m, "Database", "An encoded protein database, built once and searched many times.")
      .def(py::init<>())
      .def_static(
          "from_fasta_bytes",
          [](const py::bytes& content, const std::string& source) {
            const std::string_view bytes = content;
            py::gil_scoped_release release;
            swl::FastaParser parser(source, swl::FastaParser::Keep::codes);
            parser.feed(bytes);
            parser.finish();
            return parser.take_database();
          },
          py::arg("content"), py::arg("source"))
      .def_static("from_sequences", &swl::Database::from_sequences, py::arg("sequences"))
      .def_static("from_pairs", &swl::Database::from_pairs, py::arg("pairs"))
      .def_static(
          "from_fasta",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return swl::Database::from_fasta(path);
          },
          py::arg("path"))
      .def("__len__", &swl::Database::size)
      .def_property_readonly("names",
                             [](const swl::Database& db) {
                               py::list names;
                               for (std::size_t i = 0; i < db.size(); ++i) names.append(text(std::string(db.name(i))));
                               return names;
                             })
      .def(
          "name",
          [](const swl::Database& db, std::size_t i) {
            if (i >= db.size()) throw py::index_error("database index out of range");
            return text(std::string(db.name(i)));
          },
          py::arg("index"), "The name of record i.")
      .def(
          "title",
          [](const swl::Database& db, std::size_t i) {
            if (i >= db.size()) throw py::index_error("database index out of range");
            return text(std::string(db.title(i)));
          },
          py::arg("index"), "The title of record i: its FASTA header after '>' (name, space, description).")
      .def_property_readonly("lengths",
                             [](const swl::Database& db) {
                               std::vector<std::int64_t> lengths(db.size());
                               for (std::size_t i = 0; i < db.size(); ++i) lengths[i] = static_cast<std::int64_t>(db.length(i));
                               return to_array(lengths);
                             })
      .def_property_readonly("total_residues", &swl::Database::total_residues)
      .def_property_readonly("max_length", &swl::Database::max_length)
      .def(
          "sequence",
          [](const swl::Database& db, std::size_t i) {
            if (i >= db.size()) throw py::index_error("database index out of range");
            const auto codes = db.sequence(i);
            return swl::decode(codes.data(), codes.size());
          },
          py::arg("index"), "Sequence i in ALPHABET letters (uppercase).")
      .def("sequences", [](const swl::Database& db) {
        std::vector<std::string> all;
        all.reserve(db.size());
        for (std::size_t i = 0; i < db.size(); ++i) {
          const auto codes = db.sequence(i);
          all.push_back(swl::decode(codes.data(), codes.size()));
        }
        return all;
      });

  // Incremental FASTA: the package feeds it blocks (decompressed gzip, or a
  // file read a block at a time) and takes chunks of records as Databases,
  // so a database larger than memory is searched a chunk at a time.
  py::class_<swl::FastaParser>(m, "FastaParser", "FASTA text fed in pieces; complete records taken in chunks.")
      .def(py::init([](const std::string& source, bool encode) {
             return swl::FastaParser(source, encode ? swl::FastaParser::Keep::codes : swl::FastaParser::Keep::letters);
           }),
           py::arg("source"), py::arg("encode") = true,
           "encode: keep residue codes, for take_database (else the letters as written, for take_records).")
      .def(
          "feed",
          [](swl::FastaParser& parser, const py::bytes& piece) {
            const std::string_view bytes = piece;
            py::gil_scoped_release release;
            parser.feed(bytes);
          },
          py::arg("piece"))
      .def("finish", &swl::FastaParser::finish)
      .def("reserve", &swl::FastaParser::reserve, py::arg("residues"),
           "Room for this many residues per chunk, so that a chunk's buffer never grows by copying itself.")
      .def_property_readonly("complete_residues", &swl::FastaParser::complete_residues)
      .def_property_readonly("complete_records", &swl::FastaParser::complete_records)
      .def("take_records", [](swl::FastaParser& parser) { return records_to_list(parser.take_records()); })
      .def(
          "take_database",
          [](swl::FastaParser& parser) {
            py::gil_scoped_release release;
            return parser.take_database();
          },
          "A Database of the complete records taken so far, built from the parser's own buffers (no copy).");

  // A BLAST protein database: the package reads it a chunk of records (an
  // OID range) at a time, as it reads a FASTA file a chunk at a time.
  using swl::blastdb::BlastDatabase;
  py::class_<BlastDatabase>(m, "BlastDatabase", "A BLAST protein database (.pal/.pin/.psq/.phr), memory-mapped.")
      .def(py::init([](const std::string& base) {
             py::gil_scoped_release release;
             return BlastDatabase(base);
           }),
           py::arg("base"), "Opens dir/name.pal, dir/name.pin or dir/name.00.pin ... by its base path dir/name.")
      .def("__len__", &BlastDatabase::size)
      // Pickled as its base path, opened again where it is unpickled: a
      // Dask task's hits name their database, whose files every worker maps.
      .def(py::pickle([](const BlastDatabase& db) { return py::make_tuple(db.base()); },
                      [](const py::tuple& state) {
                        if (state.size() != 1) throw std::runtime_error("a pickled BlastDatabase is its base path");
                        const auto base = state[0].cast<std::string>();
                        py::gil_scoped_release release;
                        return BlastDatabase(base);
                      }))
      .def_property_readonly("base", [](const BlastDatabase& db) { return text(db.base()); })
      .def_property_readonly("total_residues", &BlastDatabase::total_residues)
      .def_property_readonly("max_length", &BlastDatabase::max_length)
      .def_property_readonly("title", [](const BlastDatabase& db) { return text(db.title()); })
      .def_property_readonly("statistics_sequences", &BlastDatabase::statistics_sequences,
                             "Sequences for E-values: an alias file's NSEQ, else the indexes' count.")
      .def_property_readonly("statistics_residues", &BlastDatabase::statistics_residues,
                             "Residues for E-values: an alias file's LENGTH, else the indexes' count.")
      .def_property_readonly("volumes", &BlastDatabase::volumes)
      .def("chunk_end", &BlastDatabase::chunk_end, py::arg("first"), py::arg("residue_budget"),
           "The end (exclusive) of the chunk of about residue_budget residues that starts at record `first`.")
      .def(
          "read",
          [](const BlastDatabase& db, std::size_t first, std::size_t last) {
            py::gil_scoped_release release;
            return db.read(first, last);
          },
          py::arg("first"), py::arg("last"), "Records [first, last) as a Database.")
      .def(
          "read_oids",
          [](const BlastDatabase& db, const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& oids) {
            std::vector<std::size_t> list(static_cast<std::size_t>(oids.size()));
            const std::int64_t* data = oids.data();
            for (std::size_t i = 0; i < list.size(); ++i) {
              if (data[i] < 0) throw py::value_error("negative BLAST database record " + std::to_string(data[i]));
              list[i] = static_cast<std::size_t>(data[i]);
            }
            py::gil_scoped_release release;
            return db.read(list);
          },
          py::arg("oids"), "The records `oids` (OIDs, in that order) as a Database.")
      .def(
          "lengths",
          [](const BlastDatabase& db) {
            std::vector<std::int64_t> lengths(db.size());
            for (std::size_t oid = 0; oid < lengths.size(); ++oid) lengths[oid] = static_cast<std::int64_t>(db.length(oid));
            return to_array(lengths);
          },
          "Every record's length, by OID.")
      .def(
          "deflines",
          [](const BlastDatabase& db, std::size_t oid) {
            py::list out;
            for (const auto& line : db.deflines(oid)) {
              py::list ids;
              for (const auto& id : line.seqids) ids.append(text(id));
              out.append(py::make_tuple(text(line.title), ids,
                                        line.taxid ? py::object(py::int_(*line.taxid)) : py::object(py::none())));
            }
            return out;
          },
          py::arg("oid"), "[(title, [Seq-id as FASTA writes it], taxid or None)] of record oid.");

  m.def("stages", [] {
    py::list all;
    for (const swl::Stage* stage : swl::registry()) all.append(stage_info(*stage));
    return all;
  }, "Every compiled stage, in ladder order, as dicts (name, summary, kernels, threaded, supported).");
  m.def("search", &search, py::arg("stage"), py::arg("query"), py::arg("database"), py::arg("matrix"),
        py::arg("gap_open"), py::arg("gap_extend"), py::arg("threads"), py::arg("kernel"),
        "(scores, kernel, threads, rescored); the GIL is released while the stage runs, and Ctrl-C stops it "
        "(KeyboardInterrupt).");
  m.def("corpus", &corpus, py::arg("seed"), py::arg("large"), py::arg("real_sequences"),
        "The verification corpus as dicts (label, query, subjects, matrix, gap_open, gap_extend).");
  m.def("verify", &verify, py::arg("stage"), py::arg("seed"), py::arg("large"), py::arg("real_sequences"),
        py::arg("threads"), py::arg("kernel"), py::arg("cases") = py::none(),
        "The harness report of one stage against its reference, on `cases` or the built corpus.");
  m.def("verify_function", &verify_function, py::arg("name"), py::arg("fn"), py::arg("seed"), py::arg("large"),
        py::arg("real_sequences"), py::arg("cases") = py::none(), py::arg("max_pair_cells") = 0.0,
        "The harness report of fn(query, subjects, matrix, gap_open, gap_extend) -> scores against the reference "
        "rung; pairs of more than max_pair_cells cells (0: no limit) are skipped.");
  m.def("align", &align_pair, py::arg("query"), py::arg("subject"), py::arg("matrix"), py::arg("gap_open"),
        py::arg("gap_extend"),
        "(score, query_begin, query_end, subject_begin, subject_end, operations) of the optimal local alignment, "
        "0-based half-open; operations: M (aligned pair), I (query residue against a gap), D (subject residue "
        "against a gap). The GIL is released while it runs, and Ctrl-C stops it (KeyboardInterrupt).");
  m.def("align_many", &align_many, py::arg("query"), py::arg("database"), py::arg("indices"), py::arg("matrix"),
        py::arg("gap_open"), py::arg("gap_extend"), py::arg("threads"),
        "align() of the query with database records `indices`, in that order, on `threads` threads (<= 0: every "
        "core), the GIL released; Ctrl-C stops it (KeyboardInterrupt).");
  m.def("align_batch", &align_batch, py::arg("queries"), py::arg("subjects"), py::arg("query_of"),
        py::arg("scores"), py::arg("matrix"), py::arg("gap_open"), py::arg("gap_extend"), py::arg("threads"),
        "align() of queries[query_of[k]] with subjects[k] for every k, in that order, in one parallel batch on "
        "`threads` threads (<= 0: every core), largest pairs first, the GIL released; scores[k] is the pair's "
        "search score where known (negative: unknown), which lets the end pass stop early; Ctrl-C stops it (KeyboardInterrupt).");
  m.def("alignment_columns", &alignment_columns, py::arg("operations"), py::arg("query"), py::arg("subject"),
        py::arg("query_begin"), py::arg("query_end"), py::arg("subject_begin"), py::arg("subject_end"),
        py::arg("matrix"),
        "What BLAST reports of an alignment's columns: (qseq, sseq, midline, nident, positive, gaps, gapopen, btop, "
        "cigar).");
}
