// Fuzzes the def-line decoder (swl::blastdb::parse_deflines, BER-encoded
// Blast-def-line-set) and the record title made from what it returns. Bad
// input must end in InputError, one line, naming the source; good input has
// at least one def-line, each with a Seq-id, and a title whose name is a
// prefix of it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blastdb.hpp"
#include "errors.hpp"
#include "fuzz_check.hpp"

namespace {

using swl::fuzz::printable;

constexpr std::string_view kSource = "<fuzz>.phr";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<swl::blastdb::DefLine> deflines;
  try {
    deflines = swl::blastdb::parse_deflines(std::span(data, size), std::string(kSource));
  } catch (const swl::InputError& error) {
    swl::fuzz::check_error_message(error.what(), std::string(kSource) + ": ");
    return 0;
  }
  SWL_FUZZ_CHECK(!deflines.empty(), "accepted a def-line set without def-lines");
  for (const auto& defline : deflines) {
    SWL_FUZZ_CHECK(!defline.seqids.empty(), "accepted a def-line without a Seq-id");
    SWL_FUZZ_CHECK(defline.title.size() <= size, "a title longer than the input");
    for (const auto& id : defline.seqids) {
      SWL_FUZZ_CHECK(id.find('|') != std::string::npos, "a Seq-id without its type: " + printable(id));
    }
  }
  const auto title = swl::blastdb::record_title(deflines.front());
  SWL_FUZZ_CHECK(title.name_length <= title.title.size(), "the name runs past the title: " + printable(title.title));
  return 0;
}
