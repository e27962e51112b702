#include "fasta.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iterator>

#include "alphabet.hpp"
#include "errors.hpp"

namespace swl {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

constexpr std::size_t kReadBlock = std::size_t{1} << 20;

// Control bytes other than the blanks (NUL, ESC, DEL...) have no place in a
// name or description: a NUL would cut the name short in C, an ESC would
// reach the terminal with the output.
bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 || byte == 0x7f) && !is_blank(c);
}

}  // namespace

void FastaParser::feed(std::string_view bytes) {
  if (finished_) throw std::logic_error("FastaParser::feed after finish");
  std::size_t position = 0;
  if (after_cr_ && !bytes.empty()) {
    if (bytes.front() == '\n') position = 1;  // the second half of a CRLF split between pieces
    after_cr_ = false;
  }
  while (position < bytes.size()) {
    const std::size_t end = bytes.find_first_of("\r\n", position);
    if (end == std::string_view::npos) {
      partial_.append(bytes.substr(position));
      return;
    }
    std::string_view line = bytes.substr(position, end - position);
    if (!partial_.empty()) {
      partial_.append(line);
      parse_line(partial_);
      partial_.clear();
    } else {
      parse_line(line);
    }
    position = end + 1;
    if (bytes[end] == '\r') {
      if (position == bytes.size()) {
        after_cr_ = true;
      } else if (bytes[position] == '\n') {
        ++position;
      }
    }
  }
}

void FastaParser::finish() {
  if (finished_) return;
  if (!partial_.empty()) {
    parse_line(partial_);
    partial_.clear();
  }
  close_record();
  finished_ = true;
}

std::vector<FastaRecord> FastaParser::take_records() {
  std::vector<FastaRecord> out;
  out.swap(complete_);
  complete_residues_ = 0;
  return out;
}

void FastaParser::close_record() {
  if (!open_record_) return;
  complete_residues_ += current_.sequence.size();
  complete_.push_back(std::move(current_));
  current_ = FastaRecord{};
  open_record_ = false;
}

void FastaParser::parse_line(std::string_view line) {
  ++line_number_;
  const auto where = [&](std::size_t line_no) { return source_ + ":" + std::to_string(line_no) + ": "; };

  std::size_t first = 0;
  while (first < line.size() && is_blank(line[first])) ++first;
  if (first == line.size()) return;
  if (line[first] == ';') return;

  if (line[first] == '>') {
    for (std::size_t i = first + 1; i < line.size(); ++i) {
      if (is_control(line[i])) {
        throw InputError(where(line_number_) + "invalid " + describe_byte(static_cast<unsigned char>(line[i])) +
                         " in header at column " + std::to_string(i + 1));
      }
    }
    std::string_view header = line.substr(first + 1);
    while (!header.empty() && is_blank(header.back())) header.remove_suffix(1);
    std::size_t name_start = 0;
    while (name_start < header.size() && is_blank(header[name_start])) ++name_start;
    std::size_t name_end = name_start;
    while (name_end < header.size() && !is_blank(header[name_end])) ++name_end;
    if (name_end == name_start) throw InputError(where(line_number_) + "header '>' has no sequence name");
    std::size_t description_start = name_end;
    while (description_start < header.size() && is_blank(header[description_start])) ++description_start;
    close_record();
    current_.name.assign(header.substr(name_start, name_end - name_start));
    current_.description.assign(header.substr(description_start));
    open_record_ = true;
    record_line_ = line_number_;
    return;
  }

  if (!open_record_) {
    throw InputError(where(line_number_) + "sequence data before the first '>' header (is this a FASTA file?)");
  }
  std::string& sequence = current_.sequence;
  for (std::size_t i = first; i < line.size(); ++i) {
    const char c = line[i];
    if (is_blank(c)) continue;
    if (residue_code(static_cast<unsigned char>(c)) < 0) {
      throw InputError(where(line_number_) + "sequence '" + current_.name + "' (header on line " +
                       std::to_string(record_line_) + "): invalid residue " +
                       describe_byte(static_cast<unsigned char>(c)) + " at position " +
                       std::to_string(sequence.size() + 1));
    }
    sequence.push_back(c);
  }
}

FastaReader::FastaReader(const std::string& path) : path_(path), parser_(path == "-" ? "<stdin>" : path) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
    return;
  }
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw FileError("'" + path + "' is a directory, not a FASTA file", EISDIR);
  }
  errno = 0;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw_file_error("cannot open FASTA file", path);
  owns_fd_ = true;
}

FastaReader::~FastaReader() {
  if (owns_fd_) ::close(fd_);
}

void FastaReader::read_block() {
  std::string block(kReadBlock, '\0');
  for (;;) {
    errno = 0;
    const ssize_t got = ::read(fd_, block.data(), block.size());
    if (got > 0) {
      parser_.feed(std::string_view(block.data(), static_cast<std::size_t>(got)));
      return;
    }
    if (got == 0) {
      parser_.finish();
      return;
    }
    if (errno == EINTR) continue;
    throw_file_error("error reading FASTA file", path_);
  }
}

std::vector<FastaRecord> FastaReader::next_chunk(std::size_t residue_budget) {
  while (!parser_.finished() && (residue_budget == 0 || pending_residues_ + parser_.complete_residues() < residue_budget)) {
    read_block();
  }
  for (auto& record : parser_.take_records()) {
    pending_residues_ += record.sequence.size();
    pending_.push_back(std::move(record));
  }
  // A block holds many records: hand over only as many as the budget asks for.
  std::size_t count = pending_.size();
  if (residue_budget != 0) {
    std::size_t residues = 0;
    count = 0;
    while (count < pending_.size() && residues < residue_budget) residues += pending_[count++].sequence.size();
  }
  std::vector<FastaRecord> chunk(std::make_move_iterator(pending_.begin()),
                                 std::make_move_iterator(pending_.begin() + static_cast<std::ptrdiff_t>(count)));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  for (const auto& record : chunk) pending_residues_ -= record.sequence.size();
  return chunk;
}

std::vector<FastaRecord> parse_fasta(std::string_view text, std::string_view source) {
  FastaParser parser{std::string(source)};
  parser.feed(text);
  parser.finish();
  return parser.take_records();
}

std::vector<FastaRecord> read_fasta(const std::string& path) { return FastaReader(path).next_chunk(0); }

}  // namespace swl
