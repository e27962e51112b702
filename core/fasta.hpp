// FASTA reading. Every record is kept (an empty one too, with length 0), and
// anything that is not FASTA fails with the file, line and what was wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace swl {

struct FastaRecord {
  std::string name;         // the header up to the first whitespace
  std::string description;  // the rest of the header line
  std::string sequence;     // residues with line breaks and blanks removed, as written
};

// Rules: blank lines and lines starting with ';' are skipped; text before the
// first '>' is an error; a header with no name is an error, and so is a
// control byte in a header other than tab, CR, VT and FF (named with its
// column); residue bytes are checked by encode() later, which names the
// record and position.
std::vector<FastaRecord> parse_fasta(std::string_view text, std::string_view source = "<string>");
std::vector<FastaRecord> read_fasta(const std::string& path);  // FileError if unreadable

}  // namespace swl
