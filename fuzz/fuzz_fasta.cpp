// Fuzzes the FASTA parser (swl::parse_fasta) and Database::from_records on
// what it returns. Bad input must end in InputError with a message naming the
// source; good input must lose nothing: as many records as there are '>'
// bytes that start a line, every residue kept, and the database holding each
// record's residues, encoded the way the alphabet says.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "alphabet.hpp"
#include "database.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "fuzz_check.hpp"

namespace {

using swl::fuzz::printable;

constexpr std::string_view kSource = "<fuzz>";

// A lone carriage return ends a line too (old Mac files): '>' after it starts
// a record, as the reader reads it.
bool is_line_break(char c) { return c == '\n' || c == '\r'; }
// The blanks the parser skips at the start of a line.
bool is_leading_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

// Records the text holds, counted without the parser: '>' bytes that start a
// line once leading blanks are skipped.
std::size_t count_headers(std::string_view text) {
  std::size_t headers = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '>') continue;
    std::size_t k = i;
    while (k > 0 && is_leading_blank(text[k - 1])) --k;
    if (k == 0 || is_line_break(text[k - 1])) ++headers;
  }
  return headers;
}

// What encode() must turn a residue byte into: itself uppercased if it is a
// letter of the alphabet (every letter is, since U, O and J have codes), X for
// any other letter.
char expected_letter(char c) {
  const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return swl::kAlphabet.find(upper) == std::string_view::npos ? 'X' : upper;
}

bool is_space_or_break(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<swl::FastaRecord> records;
  try {
    records = swl::parse_fasta(text, kSource);
  } catch (const swl::InputError& error) {
    const std::string_view message = error.what();
    SWL_FUZZ_CHECK(message.substr(0, kSource.size() + 1) == std::string(kSource) + ":",
          "error message does not name the source: " + printable(message));
    SWL_FUZZ_CHECK(message.find('\n') == std::string_view::npos, "error message is not one line: " + printable(message));
    return 0;
  }

  const std::size_t headers = count_headers(text);
  SWL_FUZZ_CHECK(records.size() == headers, "parsed " + std::to_string(records.size()) + " records, the text has " +
                                       std::to_string(headers) + " headers: " + printable(text));
  std::size_t residues = 0;
  for (const auto& record : records) {
    SWL_FUZZ_CHECK(!record.name.empty(), "a record without a name: " + printable(text));
    for (char c : record.name) SWL_FUZZ_CHECK(!is_space_or_break(c), "name with a blank: " + printable(record.name));
    for (char c : record.description) SWL_FUZZ_CHECK(c != '\n', "description spans lines: " + printable(record.description));
    for (char c : record.sequence) {
      SWL_FUZZ_CHECK(swl::residue_code(static_cast<unsigned char>(c)) >= 0,
            "sequence of '" + printable(record.name) + "' keeps a non-residue byte: " + printable(record.sequence));
    }
    residues += record.sequence.size();
  }
  SWL_FUZZ_CHECK(residues <= size, "more residues than input bytes");

  // Everything the parser accepted is a valid database, record for record.
  swl::Database db;
  try {
    db = swl::Database::from_records(records);
  } catch (const swl::InputError& error) {
    swl::fuzz::fail(std::string("Database::from_records rejected parsed records: ") + error.what());
  }
  SWL_FUZZ_CHECK(db.size() == records.size(), "database lost records");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string& sequence = records[i].sequence;
    SWL_FUZZ_CHECK(db.name(i) == records[i].name, "database renamed record " + std::to_string(i));
    SWL_FUZZ_CHECK(db.length(i) == sequence.size(), "database changed the length of record " + std::to_string(i));
    const auto codes = db.sequence(i);
    const std::string decoded = swl::decode(codes.data(), codes.size());
    for (std::size_t k = 0; k < sequence.size(); ++k) {
      SWL_FUZZ_CHECK(decoded[k] == expected_letter(sequence[k]), "record '" + printable(records[i].name) + "' position " +
                                                            std::to_string(k + 1) + ": '" +
                                                            printable(sequence.substr(k, 1)) + "' encoded as '" +
                                                            printable(decoded.substr(k, 1)) + "'");
    }
  }
  return 0;
}
