// Defects a hostile user found (issue 11): thread counts that crashed
// libgomp, searches that could not be cancelled, and input that was misread
// or misreported (a NUL in a FASTA header, a matrix entry of 2^40, a
// directory given as a matrix).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cancel.hpp"
#include "cpus.hpp"
#include "error_of.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "matrix.hpp"
#include "registry.hpp"
#include "synthetic.hpp"

namespace swl {
namespace {

using testing_support::error_of;
namespace fs = std::filesystem;

// A scratch folder standing for /sys/fs/cgroup.
class CgroupRoot {
 public:
  CgroupRoot() : root_(fs::temp_directory_path() / ("swl_cgroup_" + std::to_string(::getpid()) + "_" +
                                                    std::to_string(counter_++))) {
    fs::create_directories(root_);
  }
  ~CgroupRoot() { fs::remove_all(root_); }
  void write(const std::string& relative, const std::string& text) const {
    const fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::string path() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

TEST(UsableCpus, FollowsTheAffinityMaskWithoutAQuota) {
  const CgroupRoot root;
  EXPECT_EQ(usable_cpus_from(6, "0::/\n", root.path()), 6);
  root.write("cpu.max", "max 100000\n");
  EXPECT_EQ(usable_cpus_from(6, "0::/\n", root.path()), 6);
  EXPECT_EQ(usable_cpus_from(0, "", root.path()), 1);
  EXPECT_EQ(usable_cpus_from(100000, "", root.path()), kMaxThreads);
}

TEST(UsableCpus, CgroupV2QuotaRoundsUpAndTheTightestAncestorWins) {
  const CgroupRoot root;
  root.write("job/step/cpu.max", "150000 100000\n");  // 1.5 CPUs: 2 threads
  EXPECT_EQ(usable_cpus_from(8, "0::/job/step\n", root.path()), 2);
  EXPECT_EQ(usable_cpus_from(1, "0::/job/step\n", root.path()), 1);  // the mask is tighter
  root.write("job/cpu.max", "100000 100000\n");
  EXPECT_EQ(usable_cpus_from(8, "0::/job/step\n", root.path()), 1);
  // A container's own cgroup namespace: the limit sits at the root.
  const CgroupRoot container;
  container.write("cpu.max", "300000 100000\n");
  EXPECT_EQ(usable_cpus_from(16, "0::/\n", container.path()), 3);
}

TEST(UsableCpus, CgroupV1Quota) {
  const CgroupRoot root;
  root.write("cpu,cpuacct/slurm/job_7/cpu.cfs_quota_us", "400000\n");
  root.write("cpu,cpuacct/slurm/job_7/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(usable_cpus_from(32, "3:cpu,cpuacct:/slurm/job_7\n2:memory:/x\n", root.path()), 4);
  root.write("cpu,cpuacct/slurm/job_7/cpu.cfs_quota_us", "-1\n");  // no quota
  EXPECT_EQ(usable_cpus_from(32, "3:cpu,cpuacct:/slurm/job_7\n", root.path()), 32);
}

TEST(ResolveThreads, CapsToTheUsableCpusAndRefusesAbsurdCounts) {
  const int cpus = usable_cpus();
  ASSERT_GE(cpus, 1);
  EXPECT_EQ(resolve_threads(1), 1);
  EXPECT_EQ(resolve_threads(cpus), cpus);
  EXPECT_EQ(resolve_threads(cpus + 1), cpus);
  EXPECT_EQ(resolve_threads(kMaxThreads), cpus);
  EXPECT_GE(resolve_threads(0), 1);
  EXPECT_LE(resolve_threads(0), cpus);
  EXPECT_EQ(error_of([] { resolve_threads(100000); }), "threads must be at most 4096, got 100000");
  EXPECT_THROW(resolve_threads(kMaxThreads + 1), InputError);
}

// What crashed libgomp: every threaded stage, every kernel, the largest
// count accepted; what ran is what the result says, never more than the
// CPUs or the subjects, and the scores are the reference's.
TEST(ResolveThreads, ThreadedStagesRunWhatTheyReport) {
  const auto query = encode("MKTAYIAKQRQ");
  const Database many = Database::from_sequences(std::vector<std::string>(10, "ACDEFGHIKLMN"));
  const Database one = Database::from_sequences({"ACDEFGHIKLMNMKTAYIAKQRQ"});
  const auto expected = reference_stage().search(query, many, Scoring{}).scores;
  for (const Stage* stage : registry()) {
    if (!stage->threaded()) continue;
    for (const auto& kernel : stage->kernels()) {
      const auto result = stage->search(query, many, Scoring{}, {kMaxThreads, kernel});
      EXPECT_EQ(result.scores, expected) << stage->name() << " " << kernel;
      EXPECT_GE(result.threads, 1);
      EXPECT_LE(result.threads, std::min(usable_cpus(), 10)) << stage->name() << " " << kernel;
      EXPECT_EQ(stage->search(query, one, Scoring{}, {2, kernel}).threads, 1) << "one subject, one thread";
      EXPECT_THROW(stage->search(query, many, Scoring{}, {kMaxThreads + 1, kernel}), InputError);
    }
  }
}

// A flag set before the search: every stage and kernel throws Cancelled
// rather than return scores it did not compute.
TEST(Cancel, EveryStageThrowsCancelledWhenTheFlagIsSet) {
  const auto query = encode("MKTAYIAKQRQISFVKSHFSRQ");
  const Database db = Database::from_sequences(synthetic_database(5, 50, 20, 300));
  CancelFlag cancel;
  cancel.request();
  for (const Stage* stage : registry()) {
    for (const auto& kernel : stage->kernels()) {
      EXPECT_THROW(stage->search(query, db, Scoring{}, {2, kernel, &cancel}), Cancelled)
          << stage->name() << " " << kernel;
    }
  }
  // An unset flag changes nothing.
  const CancelFlag idle;
  const auto expected = reference_stage().search(query, db, Scoring{}).scores;
  for (const Stage* stage : registry()) {
    for (const auto& kernel : stage->kernels()) {
      EXPECT_EQ(stage->search(query, db, Scoring{}, {2, kernel, &idle}).scores, expected)
          << stage->name() << " " << kernel;
    }
  }
}

// A flag set while the search runs: it stops at the rung's next poll and
// throws. The search would take minutes; the poll must come long before.
TEST(Cancel, LongSearchesStopWhenTheFlagIsSetMidway) {
  const auto query = encode(synthetic_database(11, 1, 12000, 12000).front());
  const Database db = Database::from_sequences(synthetic_database(12, 800, 2000, 4000));
  for (const char* name : {"scalar", "vectorised", "striped", "openmp", "interseq"}) {
    const Stage& stage = get_stage(name);
    if (!stage.supported()) continue;
    CancelFlag cancel;
    std::thread setter([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      cancel.request();
    });
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(stage.search(query, db, Scoring{}, {2, "", &cancel}), Cancelled) << name;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    setter.join();
    // Generous: uncancelled, the same searches take from half a second
    // (interseq, AVX-512, two threads) to over a minute (scalar); a rung
    // that did not poll would run them to the end.
    EXPECT_LT(seconds, 5.0) << name;
  }
}

TEST(InputErrors, ControlBytesInAFastaHeaderAreErrors) {
  EXPECT_EQ(error_of([] { parse_fasta(std::string(">ab\0cd\nMK\n", 10), "x.fa"); }),
            "x.fa:1: invalid byte 0x00 in header at column 4");
  EXPECT_EQ(error_of([] { parse_fasta(">a\nMK\n  >b \x1b[31m\nMK\n", "x.fa"); }),
            "x.fa:3: invalid byte 0x1B in header at column 6");
  EXPECT_EQ(error_of([] { parse_fasta(">a\x7f\nMK\n", "x.fa"); }), "x.fa:1: invalid byte 0x7F in header at column 3");
  // The blanks stay separators; bytes past ASCII (UTF-8 names) stay allowed.
  const auto records = parse_fasta(">a\tb\vc\r\n>\xc3\xa9t\xc3\xa9 d\nMK\n", "x.fa");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "a");
  EXPECT_EQ(records[0].description, "b\vc");
  EXPECT_EQ(records[1].name, "\xc3\xa9t\xc3\xa9");
}

TEST(InputErrors, MatrixEntriesBeyondIntAreOutOfRange) {
  const std::string header = "   A  R\nA  5 -2\nR -2 ";
  EXPECT_EQ(error_of([&] { ScoreMatrix::parse_ncbi(header + "1099511627776\n", "m"); }),
            "matrix 'm' line 3: score 1099511627776 is outside [-127, 127]");
  EXPECT_EQ(error_of([&] { ScoreMatrix::parse_ncbi(header + "-99999999999999999999\n", "m"); }),
            "matrix 'm' line 3: score -99999999999999999999 is outside [-127, 127]");
  EXPECT_EQ(error_of([&] { ScoreMatrix::parse_ncbi(header + "99999999999x\n", "m"); }),
            "matrix 'm' line 3: score '99999999999x' is not an integer");
  EXPECT_EQ(error_of([&] { ScoreMatrix::parse_ncbi(header + "+\n", "m"); }),
            "matrix 'm' line 3: score '+' is not an integer");
}

TEST(InputErrors, ADirectoryAsAMatrixSaysSo) {
  const CgroupRoot directory;  // any directory
  try {
    ScoreMatrix::named_or_file(directory.path());
    ADD_FAILURE() << "no error";
  } catch (const FileError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open matrix file '" + directory.path() + "': Is a directory");
    EXPECT_EQ(e.error_number, EISDIR);
  }
}

}  // namespace
}  // namespace swl
