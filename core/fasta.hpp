// FASTA reading. Every record is kept (an empty one too, with length 0), and
// anything that is not FASTA fails with the file, line and what was wrong.
// Input may arrive in pieces (FastaParser) so that a file larger than memory
// is read a bounded chunk of records at a time (FastaReader).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace swl {

struct FastaRecord {
  std::string name;         // the header up to the first whitespace
  std::string description;  // the rest of the header line
  std::string sequence;     // residues with line breaks and blanks removed, as written
};

// Rules: a line ends at "\n", "\r\n" or a lone "\r" (old Mac files would
// otherwise read as one line); blank lines and lines starting with ';' are
// skipped; text before the first '>' is an error; a header with no name is an
// error; residue bytes are checked as they are read, naming the record and
// position.
//
// Incremental: feed() any pieces of the text (a line or a CRLF may be split
// between two pieces), then finish(). A record is complete once the next
// header (or the end) has been seen; take_records() hands those over.
class FastaParser {
 public:
  explicit FastaParser(std::string source = "<string>") : source_(std::move(source)) {}

  void feed(std::string_view bytes);
  void finish();  // the end of the input: the last line and record are complete

  std::vector<FastaRecord> take_records();
  std::size_t complete_records() const { return complete_.size(); }
  std::size_t complete_residues() const { return complete_residues_; }  // residues in take_records()'s records
  bool finished() const { return finished_; }

 private:
  void parse_line(std::string_view line);
  void close_record();

  std::string source_;
  std::string partial_;  // a line whose end has not arrived yet
  bool after_cr_ = false;  // the last byte fed was '\r': a '\n' next belongs to it
  bool finished_ = false;
  bool open_record_ = false;
  std::size_t line_number_ = 0;
  std::size_t record_line_ = 0;
  FastaRecord current_;
  std::vector<FastaRecord> complete_;
  std::size_t complete_residues_ = 0;
};

// Reads a FASTA file (not gzip: the Python package decompresses that) in
// blocks with read(2), so that a read error is an error, not an early end.
// "-" is standard input.
class FastaReader {
 public:
  explicit FastaReader(const std::string& path);
  ~FastaReader();
  FastaReader(const FastaReader&) = delete;
  FastaReader& operator=(const FastaReader&) = delete;

  // The next records, in file order, stopping once they hold at least
  // `residue_budget` residues (0: the whole rest); empty at the end.
  std::vector<FastaRecord> next_chunk(std::size_t residue_budget);
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

}  // namespace swl
