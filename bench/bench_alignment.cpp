// Times the alignment of the best hits, the way a search reports them: every
// query is scored against the database with the fastest rung this CPU runs,
// and its k best hits are aligned. Prints the cells and the speed of each of
// the three passes (forward, reverse, traceback) on one thread, for core's
// scalar passes (search/alignment.*) and for the SIMD ones
// (search/fast_alignment.*, given each hit's score as a search does), then
// the wall time of all the hits on `threads` threads: per query
// (align_many_fast, one parallel batch each) and as one batch (align_tasks).
//
// Usage: swl_bench_alignment [QUERIES.fa [DATABASE.fa [K [THREADS]]]]
//        (defaults: data/queries.fa, data/tursiops_sample.fa, 10, every core)
//        swl_bench_alignment --pair LENGTH   (a random protein against a
//        mutated copy of itself, e.g. 35000 for a titin-size pair)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "alignment.hpp"
#include "fast_alignment.hpp"
#include "database.hpp"
#include "fasta.hpp"
#include "registry.hpp"
#include "scoring.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of the whole process (every thread): on a shared machine, what
// the work cost rather than how long it waited.
double cpu_seconds_since(std::clock_t start) { return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC; }

void add(swl::AlignmentWork& total, const swl::AlignmentWork& work) {
  total.forward_cells += work.forward_cells;
  total.reverse_cells += work.reverse_cells;
  total.traceback_cells += work.traceback_cells;
  total.forward_seconds += work.forward_seconds;
  total.reverse_seconds += work.reverse_seconds;
  total.traceback_seconds += work.traceback_seconds;
}

void print_work(const swl::AlignmentWork& work) {
  const auto line = [](const char* pass, double cells, double seconds) {
    std::printf("  %-10s %10.3g cells %9.3f s %8.3f GCUPS\n", pass, cells, seconds,
                seconds > 0 ? cells / seconds / 1e9 : 0.0);
  };
  line("forward", static_cast<double>(work.forward_cells), work.forward_seconds);
  line("reverse", static_cast<double>(work.reverse_cells), work.reverse_seconds);
  line("traceback", static_cast<double>(work.traceback_cells), work.traceback_seconds);
  line("all", static_cast<double>(work.forward_cells + work.reverse_cells + work.traceback_cells),
       work.forward_seconds + work.reverse_seconds + work.traceback_seconds);
}

const swl::Stage& fastest_stage() {
  const swl::Stage* best = nullptr;
  for (const swl::Stage* stage : swl::registry()) {
    if (stage->supported()) best = stage;
  }
  return *best;
}

int bench_pair(std::size_t length) {
  std::mt19937_64 rng(length);
  const auto residue = [&] { return static_cast<std::uint8_t>(rng() % 20); };
  std::vector<std::uint8_t> query(length), subject;
  for (auto& code : query) code = residue();
  for (const std::uint8_t code : query) {
    const auto r = rng() % 100;
    if (r < 2) continue;                                            // deletion
    if (r < 4) subject.insert(subject.end(), {residue(), residue()});  // insertion
    subject.push_back(r < 20 ? residue() : code);                   // substitution or not
  }
  swl::AlignmentWork work;
  const auto start = std::chrono::steady_clock::now();
  const swl::Alignment a = swl::align(query, subject, swl::Scoring{}, swl::kDefaultTracebackBudget, &work);
  std::printf("pair %zu x %zu: score %d, %zu columns, %.2f s wall\n", query.size(), subject.size(), a.score,
              a.operations.size(), seconds_since(start));
  std::printf("scalar passes:\n");
  print_work(work);
  swl::AlignmentWork fast;
  const auto fast_start = std::chrono::steady_clock::now();
  const swl::Alignment b = swl::align_fast(query, subject, swl::Scoring{}, a.score, swl::kDefaultTracebackBudget, &fast);
  std::printf("SIMD passes (%s, score known): %.2f s wall, %s alignment\n",
              std::string(swl::kernels::level_name(swl::alignment_level())).c_str(), seconds_since(fast_start),
              b.operations == a.operations && b.query_begin == a.query_begin && b.subject_begin == a.subject_begin
                  ? "the same"
                  : "A DIFFERENT");
  print_work(fast);
  return b.operations == a.operations ? 0 : 1;
}

int bench_hits(int argc, char** argv) {
  const std::string data = std::string(SWL_SOURCE_DIR) + "/data/";
  const std::string query_path = argc > 1 ? argv[1] : data + "queries.fa";
  const std::string db_path = argc > 2 ? argv[2] : data + "tursiops_sample.fa";
  const std::size_t k = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 10;
  const int threads = argc > 4 ? std::atoi(argv[4]) : 0;
  const auto queries = swl::read_fasta(query_path);
  const swl::Database db = swl::Database::from_fasta(db_path);
  const swl::Scoring scoring;
  const swl::Stage& stage = fastest_stage();

  std::vector<std::vector<std::uint8_t>> encoded;
  std::vector<std::vector<std::uint32_t>> hits;
  const auto search_start = std::chrono::steady_clock::now();
  const std::clock_t search_cpu = std::clock();
  for (const auto& record : queries) {
    encoded.push_back(swl::encode(record.sequence, record.name));
    const auto scores = stage.search(encoded.back(), db, scoring, {threads, ""}).scores;
    std::vector<std::uint32_t> order(db.size());
    std::iota(order.begin(), order.end(), 0u);
    const std::size_t top = std::min(k, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                      [&](std::uint32_t a, std::uint32_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
    order.resize(top);
    hits.push_back(std::move(order));
  }
  std::printf("%zu queries x %zu hits against %zu sequences (search with %s: %.2f s, %.2f CPU s)\n",
              queries.size(), k, db.size(), std::string(stage.name()).c_str(), seconds_since(search_start),
              cpu_seconds_since(search_cpu));

  std::vector<std::vector<std::int32_t>> hit_scores;
  for (std::size_t q = 0; q < encoded.size(); ++q) {
    hit_scores.emplace_back();
    for (const std::uint32_t index : hits[q]) {
      hit_scores.back().push_back(swl::find_alignment_end(encoded[q], db.sequence(index), scoring).score);
    }
  }
  swl::AlignmentWork scalar_total, fast_total;
  std::size_t columns = 0, differ = 0;
  for (std::size_t q = 0; q < encoded.size(); ++q) {
    for (std::size_t h = 0; h < hits[q].size(); ++h) {
      const auto subject = db.sequence(hits[q][h]);
      swl::AlignmentWork work;
      const swl::Alignment a = swl::align(encoded[q], subject, scoring, swl::kDefaultTracebackBudget, &work);
      columns += a.operations.size();
      add(scalar_total, work);
      work = {};
      const swl::Alignment b =
          swl::align_fast(encoded[q], subject, scoring, hit_scores[q][h], swl::kDefaultTracebackBudget, &work);
      differ += b.operations != a.operations || b.query_begin != a.query_begin || b.subject_begin != a.subject_begin;
      add(fast_total, work);
    }
  }
  std::printf("one thread, per pass, CPU seconds (%zu alignment columns):\n", columns);
  std::printf(" scalar passes (search/alignment):\n");
  print_work(scalar_total);
  std::printf(" SIMD passes (%s, hit scores known; %zu alignments differ from the scalar ones):\n",
              std::string(swl::kernels::level_name(swl::alignment_level())).c_str(), differ);
  print_work(fast_total);

  auto many_start = std::chrono::steady_clock::now();
  std::clock_t many_cpu = std::clock();
  for (std::size_t q = 0; q < encoded.size(); ++q) swl::align_many(encoded[q], db, hits[q], scoring, threads);
  std::printf("align_many (scalar), a batch per query, %d threads (0: every core): %.3f s, %.3f CPU s\n", threads,
              seconds_since(many_start), cpu_seconds_since(many_cpu));
  many_start = std::chrono::steady_clock::now();
  many_cpu = std::clock();
  for (std::size_t q = 0; q < encoded.size(); ++q) {
    swl::align_many_fast(encoded[q], db, hits[q], scoring, threads, hit_scores[q]);
  }
  std::printf("align_many_fast, a batch per query:  %.3f s, %.3f CPU s\n", seconds_since(many_start),
              cpu_seconds_since(many_cpu));
  std::vector<swl::AlignmentTask> tasks;
  for (std::size_t q = 0; q < encoded.size(); ++q) {
    for (std::size_t h = 0; h < hits[q].size(); ++h) {
      tasks.push_back({encoded[q], db.sequence(hits[q][h]), hit_scores[q][h]});
    }
  }
  many_start = std::chrono::steady_clock::now();
  many_cpu = std::clock();
  swl::align_tasks(tasks, scoring, threads);
  std::printf("align_tasks, every hit in one batch: %.3f s, %.3f CPU s\n", seconds_since(many_start),
              cpu_seconds_since(many_cpu));
  return differ == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "--pair") return bench_pair(std::strtoul(argv[2], nullptr, 10));
    return bench_hits(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "swl_bench_alignment: %s\n", e.what());
    return 2;
  }
}
