// Fuzzes the BLAST index parser (swl::blastdb::parse_index). Bad input must
// end in InputError, one line, naming the source; an index it accepts must be
// one that can be followed safely: two offset arrays of sequences + 1
// entries, each increasing, the residues between NULs counted as the index
// counts them and the longest sequence as it says.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "blastdb.hpp"
#include "errors.hpp"
#include "fuzz_check.hpp"

namespace {

using swl::fuzz::printable;

constexpr std::string_view kSource = "<fuzz>.pin";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  swl::blastdb::Index index;
  try {
    index = swl::blastdb::parse_index(std::span(data, size), std::string(kSource));
  } catch (const swl::InputError& error) {
    swl::fuzz::check_error_message(error.what(), std::string(kSource) + ": ");
    return 0;
  }
  SWL_FUZZ_CHECK(index.version == 4 || index.version == 5, "accepted version " + std::to_string(index.version));
  const std::size_t entries = std::size_t{index.sequences} + 1;
  SWL_FUZZ_CHECK(index.header_offsets.size() == entries && index.sequence_offsets.size() == entries,
                 "offset arrays of " + std::to_string(index.header_offsets.size()) + " and " +
                     std::to_string(index.sequence_offsets.size()) + " entries for " +
                     std::to_string(index.sequences) + " sequences");
  SWL_FUZZ_CHECK(entries * 8 <= size, "more offsets than bytes");
  SWL_FUZZ_CHECK(index.sequence_offsets[0] >= 1, "the first sequence starts at byte 0, before its NUL");
  std::uint64_t residues = 0;
  std::uint64_t longest = 0;
  for (std::size_t i = 0; i + 1 < entries; ++i) {
    SWL_FUZZ_CHECK(index.header_offsets[i] < index.header_offsets[i + 1], "header offsets do not increase");
    SWL_FUZZ_CHECK(index.sequence_offsets[i] < index.sequence_offsets[i + 1], "sequence offsets do not increase");
    const std::uint64_t length = index.sequence_offsets[i + 1] - index.sequence_offsets[i] - 1;
    residues += length;
    longest = length > longest ? length : longest;
  }
  SWL_FUZZ_CHECK(residues == index.residues, "accepted a residue count that the offsets do not add up to");
  SWL_FUZZ_CHECK(longest == index.max_length, "accepted a longest sequence that the offsets do not show");
  return 0;
}
