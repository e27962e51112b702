// Times every rung of the ladder on one workload, with every kernel each rung
// runs on this CPU, and threaded rungs at one thread and at every core. The
// list comes from the registry, so a new rung is benchmarked without an edit
// here. A rung is timed only after it has proved exact: the harness corpus,
// then the scalar stage's scores on the very queries and database it is about
// to be timed on. One that fails is reported with its first mismatch instead
// of a number, because a fast wrong answer is not a result.
//
// One iteration searches every query against the database (or against the
// rung's slice of it, see Slice below). See README.md for the knobs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cancel.hpp"
#include "ceiling.hpp"
#include "dispatch.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "registry.hpp"
#include "synthetic.hpp"
#include "verify.hpp"

namespace {

using swl::Database;
using swl::SearchOptions;
using swl::SearchResult;
using swl::Stage;

struct Workload {
  Database db;
  std::string db_description;
  std::vector<std::vector<std::uint8_t>> queries;
  std::vector<std::string> query_names;
  std::string query_description;
  std::size_t query_residues = 0;
  swl::Scoring scoring;
  double seconds_per_iteration = 2.0;
};

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

Workload load_workload() {
  Workload w;
  const std::string data_dir = std::string(SWL_SOURCE_DIR) + "/data/";
  const std::string query_path = env("SWL_BENCH_QUERY") ? env("SWL_BENCH_QUERY") : data_dir + "queries.fa";
  for (const auto& record : swl::read_fasta(query_path)) {
    w.queries.push_back(swl::encode(record.sequence, record.name));
    w.query_names.push_back(record.name);
    w.query_residues += w.queries.back().size();
  }
  if (w.queries.empty()) throw swl::InputError(query_path + " holds no query");
  w.query_description = query_path + " (" + std::to_string(w.queries.size()) + " queries, " +
                        std::to_string(w.query_residues) + " residues)";

  if (const char* count_text = env("SWL_BENCH_SYNTHETIC")) {
    char* end = nullptr;
    const unsigned long long count = std::strtoull(count_text, &end, 10);
    if (*end != '\0' || count == 0) throw swl::InputError("SWL_BENCH_SYNTHETIC must be a positive count");
    const std::uint64_t seed = env("SWL_BENCH_SEED") ? std::strtoull(env("SWL_BENCH_SEED"), nullptr, 10) : 1;
    // One length for every sequence: lanes of the inter-sequence kernel then
    // start and end together, which shows its inner loop with almost no
    // refill work, against the ragged lengths of a real database.
    std::size_t min_length = 20, max_length = 5000;
    if (const char* length_text = env("SWL_BENCH_LENGTH")) {
      const unsigned long long length = std::strtoull(length_text, &end, 10);
      if (*end != '\0' || length == 0 || length > 1000000) {
        throw swl::InputError("SWL_BENCH_LENGTH must be a length from 1 to 1000000");
      }
      min_length = max_length = static_cast<std::size_t>(length);
    }
    w.db = Database::from_sequences(swl::synthetic_database(seed, count, min_length, max_length));
    w.db_description = "synthetic, seed " + std::to_string(seed);
    if (min_length == max_length) w.db_description += ", every sequence " + std::to_string(min_length) + " long";
  } else {
    const std::string db_path = env("SWL_BENCH_DB") ? env("SWL_BENCH_DB") : data_dir + "tursiops_sample.fa";
    w.db = Database::from_fasta(db_path);
    w.db_description = db_path;
  }
  w.db_description += " (" + std::to_string(w.db.size()) + " sequences, " +
                      std::to_string(w.db.total_residues()) + " residues)";
  if (const char* seconds = env("SWL_BENCH_SECONDS")) {
    w.seconds_per_iteration = std::strtod(seconds, nullptr);
    if (!(w.seconds_per_iteration > 0)) throw swl::InputError("SWL_BENCH_SECONDS must be a positive number");
  }
  return w;
}

double cells(const Workload& w, const Database& db) {
  return static_cast<double>(w.query_residues) * static_cast<double>(db.total_residues());
}

std::vector<SearchResult> search_all(const Stage& stage, const Workload& w, const Database& db,
                                     const SearchOptions& options) {
  std::vector<SearchResult> results;
  for (const auto& query : w.queries) results.push_back(stage.search(query, db, w.scoring, options));
  return results;
}

// A slow rung is timed on the first `count` records rather than all of them,
// so that one iteration takes about SWL_BENCH_SECONDS. The count comes from
// timing the rung on a small prefix (in CPU time, so that a busy machine
// does not shrink the slice), rounded down to 1, 2 or 5 times a power
// of ten so that the benchmark's name (which carries it) rarely changes from
// run to run.
struct Slice {
  std::size_t count;
  bool whole;
};

Slice choose_slice(const Stage& stage, const std::string& kernel, const Workload& w) {
  const Slice whole{w.db.size(), true};
  double rate = 0;  // cells per second
  try {
    for (std::size_t n = 8;; n *= 4) {
      const Database sample = w.db.prefix(n);
      const std::clock_t start = std::clock();
      search_all(stage, w, sample, {1, kernel});
      const double elapsed = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
      if (n >= w.db.size()) return whole;  // the whole database was quick enough
      if (elapsed >= 0.02) {
        rate = cells(w, sample) / elapsed;
        break;
      }
    }
  } catch (const std::exception&) {
    return whole;  // verification reports the error
  }
  const double budget = rate * w.seconds_per_iteration;
  if (cells(w, w.db) <= budget) return whole;
  std::size_t fits = 0;
  for (double residues = 0; fits < w.db.size(); ++fits) {
    residues += static_cast<double>(w.db.length(fits));
    if (static_cast<double>(w.query_residues) * residues > budget) break;
  }
  std::size_t rounded = 1;
  for (std::size_t decade = 1; decade <= fits; decade *= 10) {
    for (const std::size_t step : {1, 2, 5}) {
      if (decade * step <= fits) rounded = decade * step;
    }
  }
  return {rounded, false};
}

// The workload as harness cases, one per query, against the first `count`
// records: the exact answer a rung must reproduce before it is timed.
std::vector<swl::VerifyCase> workload_cases(const Workload& w, std::size_t count) {
  const Database db = w.db.prefix(count);
  std::vector<std::string> subjects;
  subjects.reserve(db.size());
  for (std::size_t k = 0; k < db.size(); ++k) {
    const auto codes = db.sequence(k);
    subjects.push_back(swl::decode(codes.data(), codes.size()));
  }
  std::vector<swl::VerifyCase> cases;
  for (std::size_t q = 0; q < w.queries.size(); ++q) {
    swl::VerifyCase c;
    c.label = "benchmark workload, query " + w.query_names[q] + " against the first " + std::to_string(count) +
              " records";
    c.query = swl::decode(w.queries[q].data(), w.queries[q].size());
    c.subjects = subjects;
    c.matrix = w.scoring.matrix.name();
    c.gap_open = w.scoring.gap_open;
    c.gap_extend = w.scoring.gap_extend;
    cases.push_back(std::move(c));
  }
  return cases;
}

struct Shared {
  Workload workload;
  std::vector<swl::VerifyCase> corpus = swl::build_corpus();  // fixed seed; reference scores cached inside
  // Harness cases of the workload by slice size; each keeps its reference
  // scores, so the reference runs once per slice, whatever the rungs.
  std::map<std::size_t, std::vector<swl::VerifyCase>> cases;
  std::map<std::size_t, std::unique_ptr<Database>> slices;

  const Database& slice(const Slice& s) {
    if (s.whole) return workload.db;
    auto& db = slices[s.count];
    if (!db) db = std::make_unique<Database>(workload.db.prefix(s.count));
    return *db;
  }
  const std::vector<swl::VerifyCase>& workload_cases_for(const Slice& s) {
    auto& found = cases[s.count];
    if (found.empty()) found = workload_cases(workload, s.count);
    return found;
  }
};

struct Case {
  const Stage* stage;
  std::string kernel;
  int threads;
  Slice slice;
  std::optional<std::string> failure;  // set once verified: empty when exact
};

// Empty when the rung is exact on the corpus and on the timed workload.
std::string verify(const Case& c, Shared& shared) {
  const SearchOptions options{c.threads, c.kernel};
  const std::vector<swl::VerifyCase>* corpora[] = {&shared.corpus, &shared.workload_cases_for(c.slice)};
  for (const auto* corpus : corpora) {
    const swl::VerifyReport report = swl::verify_stage(*c.stage, *corpus, options);
    if (!report.passed) return report.describe();
    if (report.kernel != c.kernel) return "asked for kernel '" + c.kernel + "' but '" + report.kernel + "' ran";
  }
  return {};
}

void run_case(benchmark::State& state, Case& c, Shared& shared) {
  // Google Benchmark calls this function several times per benchmark; the
  // verdict is reached once.
  if (!c.failure) c.failure = verify(c, shared);
  if (!c.failure->empty()) {
    state.SkipWithError(c.failure->c_str());
    return;
  }
  const Workload& w = shared.workload;
  const Database& db = shared.slice(c.slice);
  // With a cancel flag, as Python searches run: its polling is timed too.
  const swl::CancelFlag never_set;
  const SearchOptions options{c.threads, c.kernel, &never_set};
  std::string kernel_used;
  int threads_used = 1;
  std::size_t rescored = 0;
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    rescored = 0;
    for (const auto& query : w.queries) {
      try {
        const SearchResult result = c.stage->search(query, db, w.scoring, options);
        benchmark::DoNotOptimize(result.scores.data());
        kernel_used = result.kernel;
        threads_used = result.threads;
        rescored += result.rescored;
      } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        break;
      }
    }
  }
  state.SetLabel(kernel_used);
  const double cells_per_iteration = cells(w, db);
  state.counters["CUPS"] = benchmark::Counter(cells_per_iteration, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["cells"] = cells_per_iteration;
  state.counters["rescored"] = static_cast<double>(rescored);
  state.counters["threads"] = threads_used;
  // Interseq variants: the GCUPS their instruction mix allows on this CPU's
  // measured throughputs (bench/ceiling.hpp), for every thread used; 0 for
  // other kernels.
  // of_ceiling: this repetition's wall-clock CUPS over the ceiling measured
  // just after it, the ratio to compare (medians over --benchmark_repetitions)
  // on a machine whose speed drifts.
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double ceiling = swl::bench::ceiling_gcups(kernel_used);
  if (ceiling > 0) {
    state.counters["ceiling"] = ceiling * 1e9 * threads_used;
    if (seconds > 0) {
      const double cups = cells_per_iteration * static_cast<double>(state.iterations()) / seconds;
      state.counters["of_ceiling"] = cups / (ceiling * 1e9 * threads_used);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  static Shared shared;  // outlives the benchmarks that point into it
  std::vector<std::unique_ptr<Case>> cases;
  try {
    shared.workload = load_workload();
    const int all_cores = swl::resolve_threads(0);
    for (const Stage* stage : swl::registry()) {
      for (const std::string& kernel : stage->kernels()) {
        const Slice slice = choose_slice(*stage, kernel, shared.workload);
        std::vector<int> thread_counts = {1};
        if (stage->threaded() && all_cores > 1) thread_counts.push_back(all_cores);
        for (const int threads : thread_counts) {
          cases.push_back(std::make_unique<Case>(Case{stage, kernel, threads, slice, std::nullopt}));
          Case& c = *cases.back();
          std::string name = std::string(stage->name()) + "/kernel:" + kernel;
          if (stage->threaded()) name += "/threads:" + std::to_string(threads);
          if (!slice.whole) name += "/slice:" + std::to_string(slice.count) + "seqs";
          auto* bench = benchmark::RegisterBenchmark(name.c_str(), [&c](benchmark::State& state) {
            run_case(state, c, shared);
          });
          bench->Unit(benchmark::kMillisecond);
          if (stage->threaded()) bench->UseRealTime();
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "swl_bench: %s\n", e.what());
    return 2;
  }
  const Workload& w = shared.workload;
  benchmark::AddCustomContext("swl_database", w.db_description);
  benchmark::AddCustomContext("swl_queries", w.query_description);
  benchmark::AddCustomContext("swl_scoring", w.scoring.describe());
  benchmark::AddCustomContext("swl_cpu_features", swl::kernels::cpu_features());
  for (const char* width : {"avx2", "avx512"}) {
    const swl::bench::Throughput& t = swl::bench::throughput(width);
    if (t.adds > 0) benchmark::AddCustomContext(std::string("swl_throughput_") + width, t.describe());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
