#include "fasta.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alphabet.hpp"
#include "errors.hpp"

namespace swl {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Control bytes other than the blanks (NUL, ESC, DEL...) have no place in a
// name or description: a NUL would cut the name short in C, an ESC would
// reach the terminal with the output.
bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 || byte == 0x7f) && !is_blank(c);
}

}  // namespace

std::vector<FastaRecord> parse_fasta(std::string_view text, std::string_view source) {
  std::vector<FastaRecord> records;
  std::size_t line_number = 0;
  std::size_t position = 0;
  std::size_t record_line = 0;
  const auto where = [&](std::size_t line) { return std::string(source) + ":" + std::to_string(line) + ": "; };

  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;

    std::size_t first = 0;
    while (first < line.size() && is_blank(line[first])) ++first;
    if (first == line.size()) continue;
    if (line[first] == ';') continue;

    if (line[first] == '>') {
      for (std::size_t i = first + 1; i < line.size(); ++i) {
        if (is_control(line[i])) {
          throw InputError(where(line_number) + "invalid " + describe_byte(static_cast<unsigned char>(line[i])) +
                           " in header at column " + std::to_string(i + 1));
        }
      }
      std::string_view header = line.substr(first + 1);
      while (!header.empty() && is_blank(header.back())) header.remove_suffix(1);
      std::size_t name_start = 0;
      while (name_start < header.size() && is_blank(header[name_start])) ++name_start;
      std::size_t name_end = name_start;
      while (name_end < header.size() && !is_blank(header[name_end])) ++name_end;
      if (name_end == name_start) throw InputError(where(line_number) + "header '>' has no sequence name");
      std::size_t description_start = name_end;
      while (description_start < header.size() && is_blank(header[description_start])) ++description_start;
      records.push_back({std::string(header.substr(name_start, name_end - name_start)),
                         std::string(header.substr(description_start)), std::string()});
      record_line = line_number;
      continue;
    }

    if (records.empty()) {
      throw InputError(where(line_number) + "sequence data before the first '>' header (is this a FASTA file?)");
    }
    std::string& sequence = records.back().sequence;
    for (std::size_t i = first; i < line.size(); ++i) {
      const char c = line[i];
      if (is_blank(c)) continue;
      if (residue_code(static_cast<unsigned char>(c)) < 0) {
        throw InputError(where(line_number) + "sequence '" + records.back().name + "' (header on line " +
                         std::to_string(record_line) + "): invalid residue " +
                         describe_byte(static_cast<unsigned char>(c)) + " at position " +
                         std::to_string(sequence.size() + 1));
      }
      sequence.push_back(c);
    }
  }
  return records;
}

std::vector<FastaRecord> read_fasta(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) throw FileError("'" + path + "' is a directory, not a FASTA file");
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw_file_error("cannot open FASTA file", path);
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) throw FileError("error reading FASTA file '" + path + "'");
  return parse_fasta(content.str(), path);
}

}  // namespace swl
