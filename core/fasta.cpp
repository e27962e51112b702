#include "fasta.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <filesystem>
#include <iterator>

#include "alphabet.hpp"
#include "database.hpp"
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

// residue_code() as a table this file can inline into the residue loop.
const std::array<std::int8_t, 256> kResidueCodes = [] {
  std::array<std::int8_t, 256> table{};
  for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(residue_code(static_cast<unsigned char>(c)));
  return table;
}();

}  // namespace

std::string_view fasta_description(std::string_view title, std::size_t name_length) {
  std::size_t begin = name_length;
  while (begin < title.size() && is_blank(title[begin])) ++begin;
  std::size_t end = title.size();
  while (end > begin && is_blank(title[end - 1])) --end;
  return title.substr(begin, end - begin);
}

void FastaParser::feed(std::string_view bytes) {
  if (finished_) throw std::logic_error("FastaParser::feed after finish");
  std::size_t position = 0;
  if (after_cr_ && !bytes.empty()) {
    if (bytes.front() == '\n') position = 1;  // the second half of a CRLF split between pieces
    after_cr_ = false;
  }
  // The next '\n' and '\r' at or after `position` (size: none), each found
  // by memchr and looked for again only once passed: linear in the bytes
  // whichever line ends the file uses.
  const char* const data = bytes.data();
  const std::size_t size = bytes.size();
  const auto next = [&](char c, std::size_t from) {
    const void* found = std::memchr(data + from, c, size - from);
    return found == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(found) - data);
  };
  std::size_t next_lf = 0, next_cr = 0;
  bool searched = false;
  while (position < size) {
    if (!searched || next_lf < position) next_lf = next('\n', position);
    if (!searched || next_cr < position) next_cr = next('\r', position);
    searched = true;
    const std::size_t end = std::min(next_lf, next_cr);
    if (end == size) {
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

void FastaParser::reserve(std::size_t residues) {
  reserve_ = residues;
  residues_.reserve(residues + Database::kTailPadding);
}

void FastaParser::restart_after_take(ResidueBuffer& residues, std::string& titles) {
  const std::size_t residue_end = offsets_.back();
  const std::size_t title_end = title_offsets_.back();
  ResidueBuffer open_residues;
  open_residues.reserve(std::max(reserve_ + Database::kTailPadding, residues_.size() - residue_end));
  open_residues.assign(residues_.begin() + static_cast<std::ptrdiff_t>(residue_end), residues_.end());
  std::string open_title(titles_, title_end);
  residues_.resize(residue_end);
  titles_.resize(title_end);
  residues.swap(residues_);
  titles.swap(titles_);
  residues_ = std::move(open_residues);
  titles_ = std::move(open_title);
  open_name_end_ -= std::min(open_name_end_, title_end);
  offsets_.assign(1, 0);
  title_offsets_.assign(1, 0);
  name_ends_.clear();
  max_length_ = 0;
}

std::vector<FastaRecord> FastaParser::take_records() {
  if (keep_ != Keep::letters) throw std::logic_error("FastaParser::take_records on a parser that keeps codes");
  std::vector<FastaRecord> out(complete_records());
  const std::string_view titles(titles_);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].name.assign(titles.substr(title_offsets_[i], name_ends_[i] - title_offsets_[i]));
    const std::string_view title = titles.substr(title_offsets_[i], title_offsets_[i + 1] - title_offsets_[i]);
    out[i].description.assign(fasta_description(title, name_ends_[i] - title_offsets_[i]));
    out[i].sequence.assign(reinterpret_cast<const char*>(residues_.data()) + offsets_[i], offsets_[i + 1] - offsets_[i]);
  }
  ResidueBuffer residues;
  std::string titles_taken;
  restart_after_take(residues, titles_taken);
  return out;
}

Database FastaParser::take_database() {
  if (keep_ != Keep::codes) throw std::logic_error("FastaParser::take_database on a parser that keeps letters");
  Database db;
  db.max_length_ = max_length_;
  db.offsets_ = std::move(offsets_);
  db.title_offsets_ = std::move(title_offsets_);
  db.name_ends_ = std::move(name_ends_);
  offsets_.assign(db.offsets_.end() - 1, db.offsets_.end());
  title_offsets_.assign(db.title_offsets_.end() - 1, db.title_offsets_.end());
  restart_after_take(db.residues_, db.titles_);
  db.residues_.resize(db.residues_.size() + Database::kTailPadding, 0);
  return db;
}

void FastaParser::close_record() {
  if (!open_record_) return;
  const std::size_t length = residues_.size() - offsets_.back();
  max_length_ = std::max(max_length_, length);
  offsets_.push_back(residues_.size());
  name_ends_.push_back(open_name_end_);
  title_offsets_.push_back(titles_.size());
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
    // The title is the header from the name on, as written (blastp's stitle);
    // the description is read out of it (fasta_description).
    const std::string_view header = line.substr(first + 1);
    std::size_t name_start = 0;
    while (name_start < header.size() && is_blank(header[name_start])) ++name_start;
    std::size_t name_end = name_start;
    while (name_end < header.size() && !is_blank(header[name_end])) ++name_end;
    if (name_end == name_start) throw InputError(where(line_number_) + "header '>' has no sequence name");
    close_record();
    titles_.append(header.substr(name_start));
    open_name_end_ = title_offsets_.back() + (name_end - name_start);
    open_record_ = true;
    record_line_ = line_number_;
    return;
  }

  if (!open_record_) {
    throw InputError(where(line_number_) + "sequence data before the first '>' header (is this a FASTA file?)");
  }
  const std::size_t start = residues_.size();
  residues_.resize(start + (line.size() - first));
  std::uint8_t* const begin = residues_.data();
  std::uint8_t* out = begin + start;
  const bool codes = keep_ == Keep::codes;
  for (std::size_t i = first; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const int code = kResidueCodes[c];
    if (code >= 0) {
      *out++ = codes ? static_cast<std::uint8_t>(code) : c;
    } else if (!is_blank(line[i])) {
      const std::size_t position = static_cast<std::size_t>(out - begin) - offsets_.back() + 1;
      residues_.resize(static_cast<std::size_t>(out - begin));
      const std::size_t title = title_offsets_.back();
      throw InputError(where(line_number_) + "sequence '" + titles_.substr(title, open_name_end_ - title) +
                       "' (header on line " + std::to_string(record_line_) + "): invalid residue " +
                       describe_byte(c) + " at position " + std::to_string(position));
    }
  }
  residues_.resize(static_cast<std::size_t>(out - begin));
}

FastaReader::FastaReader(const std::string& path, FastaParser::Keep keep)
    : path_(path), parser_(path == "-" ? "<stdin>" : path, keep) {
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

Database FastaReader::read_database() {
  // A file holds at most as many residues as bytes: reserving that keeps the
  // buffer from growing by copies (pages never written cost nothing).
  struct stat info {};
  if (::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode)) parser_.reserve(static_cast<std::size_t>(info.st_size));
  while (!parser_.finished()) read_block();
  return parser_.take_database();
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

Database read_fasta_database(const std::string& path) {
  return FastaReader(path, FastaParser::Keep::codes).read_database();
}

}  // namespace swl
