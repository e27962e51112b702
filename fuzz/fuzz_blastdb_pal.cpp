// Fuzzes the alias file parser (swl::blastdb::parse_alias). Bad input must
// end in InputError, one line, naming the source; an alias it accepts lists
// at least one database, none of them empty or spanning lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "blastdb.hpp"
#include "errors.hpp"
#include "fuzz_check.hpp"

namespace {

using swl::fuzz::printable;

constexpr std::string_view kSource = "<fuzz>.pal";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  swl::blastdb::Alias alias;
  try {
    alias = swl::blastdb::parse_alias(text, std::string(kSource));
  } catch (const swl::InputError& error) {
    swl::fuzz::check_error_message(error.what(), std::string(kSource) + ":");
    return 0;
  }
  SWL_FUZZ_CHECK(!alias.dblist.empty(), "accepted an alias without databases: " + printable(text));
  for (const auto& entry : alias.dblist) {
    SWL_FUZZ_CHECK(!entry.empty() && entry.find('\n') == std::string::npos,
                   "a database name empty or spanning lines: " + printable(entry));
  }
  SWL_FUZZ_CHECK(alias.title.find('\n') == std::string::npos, "a title spanning lines: " + printable(alias.title));
  return 0;
}
