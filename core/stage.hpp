// The one interface every compiled rung implements. A stage scores one query
// against every database sequence and returns one int32 per sequence, in
// database order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cancel.hpp"
#include "database.hpp"
#include "scoring.hpp"

namespace swl {

struct SearchOptions {
  int threads = 1;     // see resolve_threads: <= 0 every usable CPU; capped to them; > kMaxThreads an error
  std::string kernel;  // "": SWLADDER_KERNEL if the stage has it, else the best this CPU runs
  const CancelFlag* cancel = nullptr;  // set from another thread: search() throws Cancelled
};

struct SearchResult {
  std::vector<std::int32_t> scores;
  std::string kernel = "scalar";  // the kernel that actually ran
  int threads = 1;                // threads actually used
  std::size_t rescored = 0;       // subjects whose narrow lanes saturated and were scored again wider
};

// What Stage::search hands a rung once the request is checked.
struct RunOptions {
  int threads = 1;     // resolved, >= 1 and at most the subjects (rungs that are not threaded ignore it)
  std::string kernel;  // a kernel of kernels() that this CPU runs
  // Poll between subjects and every few rows of a long alignment; on a
  // request, return early with whatever scores (search() discards them).
  const CancelFlag* cancel = nullptr;
  bool cancelled() const noexcept { return cancel_requested(cancel); }
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  // Kernels this CPU can run, best first. Empty: the stage cannot run here.
  virtual std::vector<std::string> kernels() const { return {"scalar"}; }
  // Whether a request for `kernel` means one of this stage's kernels,
  // runnable on this CPU or not (aliases included). Default: one of kernels().
  virtual bool names_kernel(std::string_view kernel) const;
  bool supported() const { return !kernels().empty(); }
  virtual bool threaded() const { return false; }
  // The rung every other rung is checked against (exactly one in a registry).
  virtual bool is_reference() const { return false; }
  // Cells (query x subject length) of the largest pair the harness should
  // give this stage; 0: any. A rung that keeps whole matrices says so.
  virtual double max_pair_cells() const { return 0; }

  // Validates the scoring, the thread count and the kernel request for every
  // stage, handles the empty cases once (empty database: no scores; empty
  // query: all zero), then runs the stage. The result names the kernel that
  // ran and the threads used. Throws Cancelled if options.cancel was set
  // before the stage finished.
  SearchResult search(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                      const SearchOptions& options = {}) const;

 protected:
  // The kernel to run for `requested` ("" for the default), or InputError
  // naming what the stage has. Default: one of kernels(), the first for "".
  virtual std::string choose_kernel(std::string_view requested) const;
  virtual SearchResult run(std::span<const std::uint8_t> query, const Database& db, const Scoring& scoring,
                           const RunOptions& options) const = 0;
};

// Resolves SearchOptions::threads to a count in [1, usable_cpus()]: <= 0
// means every usable CPU (fewer if OMP_NUM_THREADS asks for fewer); a
// request above usable_cpus() is capped to it (more threads than CPUs only
// contend); above kMaxThreads it is an InputError.
int resolve_threads(int requested);

// SWLADDER_KERNEL forces the kernel of every stage that has the one it
// names and leaves the others at their default, so a name that no stage of
// the registry has is a typo: an InputError listing the kernels. Called
// wherever a default kernel is resolved (Stage::search, the alignment
// passes); does nothing when the variable is unset or empty, or names
// "python", the kernel of the pure-Python rungs outside the registry.
void check_forced_kernel();

}  // namespace swl
