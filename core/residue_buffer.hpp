// The buffer a database's residues live in. The interseq kernel's lanes start
// subjects longest first, which is not the order they are stored in, so each
// new subject lands on a page of its own; with 4 KiB pages that is a page
// walk per subject (under a hypervisor, a two-level one), and a pass waits for
// it. Buffers of 2 MiB or more are therefore 2 MiB aligned and advised for
// transparent huge pages, so that a whole proteome needs a handful of TLB
// entries. The advice is a hint: where huge pages are off, nothing changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace swl {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  static bool huge(std::size_t n) { return n * sizeof(T) >= kHugePage; }

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T) - kHugePage) throw std::bad_array_new_length();
    if (!huge(n)) return static_cast<T*>(::operator new(n * sizeof(T)));
    const std::size_t bytes = (n * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, bytes);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Before the first touch: the pages are then faulted in huge. Failure
    // (an old kernel, huge pages never) leaves ordinary pages.
    (void)::madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (huge(n)) {
      std::free(p);
    } else {
      ::operator delete(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
};

// Residue codes, as the FASTA parser fills them and a Database keeps them.
using ResidueBuffer = std::vector<std::uint8_t, HugePageAllocator<std::uint8_t>>;

}  // namespace swl
