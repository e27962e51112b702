// Cooperative cancellation of a search. Whoever runs Stage::search may set a
// CancelFlag from another thread (the Python binding does on Ctrl-C); the
// rungs poll it between subjects and every few rows of a long alignment,
// stop early, and Stage::search then throws Cancelled instead of returning
// scores it did not finish. Polling is a relaxed load of a plain int, so it
// costs nothing measurable where it sits (never per cell).
#pragma once

#include <atomic>
#include <stdexcept>

namespace swl {

struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("search cancelled") {}
};

class CancelFlag {
 public:
  void request() noexcept { std::atomic_ref<int>(value_).store(1, std::memory_order_relaxed); }
  bool requested() const noexcept {
    return std::atomic_ref<int>(value_).load(std::memory_order_relaxed) != 0;
  }
  // For the kernels, whose contract is plain pointers (they read it with
  // __atomic_load_n).
  const int* raw() const noexcept { return &value_; }

 private:
  alignas(std::atomic_ref<int>::required_alignment) mutable int value_ = 0;
};

// Whether `flag` (may be null: not cancellable) is set.
inline bool cancel_requested(const CancelFlag* flag) noexcept { return flag != nullptr && flag->requested(); }

}  // namespace swl
