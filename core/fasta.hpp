// FASTA reading. Every record is kept (an empty one too, with length 0), and
// anything that is not FASTA fails with the file, line and what was wrong.
// Input may arrive in pieces (FastaParser) so that a file larger than memory
// is read a bounded chunk of records at a time (FastaReader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "residue_buffer.hpp"

namespace swl {

struct FastaRecord {
  std::string name;         // the header up to the first whitespace
  std::string description;  // the rest of the header line
  std::string sequence;     // residues with line breaks and blanks removed, as written
};

class Database;

// A record's title is its header line after '>', from the name on, as
// written. Its description is the rest after the name and the blanks that
// follow it, without trailing blanks.
std::string_view fasta_description(std::string_view title, std::size_t name_length);

// Rules: a line ends at "\n", "\r\n" or a lone "\r" (old Mac files would
// otherwise read as one line); blank lines and lines starting with ';' are
// skipped; text before the first '>' is an error; a header with no name is an
// error; residue bytes are checked as they are read, naming the record and
// position.
//
// Incremental: feed() any pieces of the text (a line or a CRLF may be split
// between two pieces), then finish(). A record is complete once the next
// header (or the end) has been seen; take_records() or take_database() hands
// those over and keeps the open one.
//
// Records are kept compactly as they are parsed: every record's residues in
// one buffer, every title (name, space, description) in another, with
// offsets. A parser made with Keep::codes writes residue codes, so that
// take_database() hands its buffers to a Database without a copy: a chunk of
// a streamed database is never held twice.
class FastaParser {
 public:
  enum class Keep { letters, codes };  // residues as written (take_records) or encoded (take_database)

  explicit FastaParser(std::string source = "<string>", Keep keep = Keep::letters)
      : source_(std::move(source)), keep_(keep) {}

  void feed(std::string_view bytes);
  void finish();  // the end of the input: the last line and record are complete

  // Room for this many residues now and after every take, so that the buffer
  // of a chunk filling up to its budget never grows by copying itself (the
  // copy and the original would both be resident). Memory not written to
  // costs nothing.
  void reserve(std::size_t residues);

  std::vector<FastaRecord> take_records();  // Keep::letters
  Database take_database();                 // Keep::codes
  std::size_t complete_records() const { return name_ends_.size(); }
  std::size_t complete_residues() const { return offsets_.back(); }  // residues in the complete records
  bool finished() const { return finished_; }

 private:
  void parse_line(std::string_view line);
  void close_record();
  // Drops the complete records, keeping the open one at the start of fresh buffers.
  void restart_after_take(ResidueBuffer& residues, std::string& titles);

  std::string source_;
  Keep keep_;
  std::string partial_;  // a line whose end has not arrived yet
  bool after_cr_ = false;  // the last byte fed was '\r': a '\n' next belongs to it
  bool finished_ = false;
  bool open_record_ = false;
  std::size_t line_number_ = 0;
  std::size_t record_line_ = 0;
  std::size_t reserve_ = 0;
  // The complete records, then the open one (whose offsets are not pushed yet).
  ResidueBuffer residues_;
  std::vector<std::size_t> offsets_{0};
  std::string titles_;
  std::vector<std::size_t> title_offsets_{0};
  std::vector<std::size_t> name_ends_;
  std::size_t open_name_end_ = 0;
  std::size_t max_length_ = 0;  // of the complete records
};

// Reads a FASTA file (not gzip: the Python package decompresses that) in
// blocks with read(2), so that a read error is an error, not an early end.
// "-" is standard input.
class FastaReader {
 public:
  explicit FastaReader(const std::string& path, FastaParser::Keep keep = FastaParser::Keep::letters);
  ~FastaReader();
  FastaReader(const FastaReader&) = delete;
  FastaReader& operator=(const FastaReader&) = delete;

  // The next records, in file order, stopping once they hold at least
  // `residue_budget` residues (0: the whole rest); empty at the end.
  std::vector<FastaRecord> next_chunk(std::size_t residue_budget);
  // Every record of the rest of the file (a reader made with Keep::codes).
  Database read_database();
  bool done() const { return parser_.finished() && parser_.complete_records() == 0 && pending_.empty(); }

 private:
  void read_block();

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  FastaParser parser_;
  std::vector<FastaRecord> pending_;  // parsed, not yet handed over
  std::size_t pending_residues_ = 0;
};

std::vector<FastaRecord> parse_fasta(std::string_view text, std::string_view source = "<string>");
std::vector<FastaRecord> read_fasta(const std::string& path);  // FileError if unreadable
Database read_fasta_database(const std::string& path);          // the same records, encoded

}  // namespace swl
