// The contract between the portable striped searcher (stages/striped_search)
// and the per-level kernels of kernels/striped.cpp: plain structs and raw
// pointers only, so that the per-level units need no library code at all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace swl::kernels::striped {

// A striped query profile (Farrar 2007) for one lane width. With L lanes and
// S = ceil(m / L) segments, query position i lives in lane i / S of segment
// i % S, so that each lane walks a contiguous stretch of the query and the
// vertical dependency between positions i and i + 1 stays inside one lane
// except at the S-boundaries.
struct KernelProfile {
  // kAlphabetSize * segments vectors: block c holds score(query, c) + bias
  // for every segment; positions past the query's end hold 0.
  const void* scores;
  std::size_t segments;
  unsigned bias;         // -(matrix minimum), so that every profile entry is >= 0
  unsigned open_extend;  // gap_open + gap_extend, clamped to the lane maximum
  unsigned extend;
  // The smallest score that lanes may have clipped: lane maximum - bias.
  unsigned saturation;
};

// Three vectors-of-segments buffers, aligned to the vector width.
struct KernelScratch {
  void* h_previous;
  void* h_current;
  void* e;
};

// The best local score, or kSaturated when it reached profile.saturation and
// may therefore have been clipped.
inline constexpr std::int32_t kSaturated = -1;

using KernelFunction = std::int32_t (*)(const KernelProfile& profile, const std::uint8_t* subject,
                                        std::size_t length, const KernelScratch& scratch);

// One level's kernels: profiles and scratch are laid out in vectors of
// vector_bytes; align8 runs unsigned 8-bit lanes, align16 16-bit lanes.
struct Kernel {
  std::size_t vector_bytes;
  KernelFunction align8;
  KernelFunction align16;
};

}  // namespace swl::kernels::striped
