// BLAST protein databases as makeblastdb writes them (versions 4 and 5),
// read without the NCBI library: the index (.pin), the residues (.psq,
// memory-mapped) and the deflines (.phr), volumes (name.00, name.01, ...)
// and alias files (.pal). Every offset is checked against the bytes it
// points into before it is followed, so a truncated or corrupt file ends in
// InputError naming it, never in a read outside the map.
//
// The parsers take byte spans, so that the fuzzers feed them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swl {

class Database;

namespace blastdb {

// The index file of one volume (.pin).
struct Index {
  int version = 0;          // 4 or 5
  std::uint32_t volume = 0;  // version 5 only
  std::string title;
  std::string lmdb;  // version 5 only: the LMDB file of accessions (not read)
  std::string date;
  std::uint32_t sequences = 0;
  std::uint64_t residues = 0;  // the one little-endian field
  std::uint32_t max_length = 0;
  // Record i's def-line set is .phr[header_offsets[i], header_offsets[i + 1]);
  // its residues are .psq[sequence_offsets[i], sequence_offsets[i + 1] - 1),
  // the byte before sequence_offsets[i + 1] being the NUL that ends it.
  std::vector<std::uint32_t> header_offsets;
  std::vector<std::uint32_t> sequence_offsets;
};

// A protein index, its offsets increasing and agreeing with its residue
// count and longest sequence; InputError "<source>: ..." otherwise.
Index parse_index(std::span<const std::uint8_t> bytes, const std::string& source);

// One def-line of a record's Blast-def-line-set (.phr).
struct DefLine {
  std::string title;
  std::vector<std::string> seqids;  // each as FASTA writes it: "sp|P69905.2|HBA_HUMAN", "gnl|BL_ORD_ID|0"
  std::optional<std::int64_t> taxid;
};

// The def-lines of one BER-encoded Blast-def-line-set (at least one).
std::vector<DefLine> parse_deflines(std::span<const std::uint8_t> bytes, const std::string& source);

// A record's title as a Database keeps it: the name, then the description.
// A database made without -parse_seqids keeps the whole FASTA header as its
// title (its Seq-id is only the ordinal, gnl|BL_ORD_ID|n): the title is that,
// as written, and the name its first word, as in the FASTA file. With
// -parse_seqids the name is the Seq-ids joined by '|' (a lone local id bare,
// as blastp prints it), then a blank and the def-line's title.
struct RecordTitle {
  std::string title;
  std::size_t name_length = 0;
};
RecordTitle record_title(const DefLine& defline);

// An alias file (.pal).
struct Alias {
  std::string title;
  std::vector<std::string> dblist;  // as written: relative to the alias file's folder
  std::optional<std::uint64_t> sequences;  // NSEQ
  std::optional<std::uint64_t> residues;   // LENGTH
};

// Only TITLE, DBLIST, NSEQ and LENGTH: any other key (OIDLIST, GILIST,
// SEQIDLIST, TAXIDLIST, ...) would change which sequences are searched or
// how they are counted, and is an InputError naming it.
Alias parse_alias(std::string_view text, const std::string& source);

// The project's code of an NCBIstdaa byte, or -1 for the gap '-' (0) and
// bytes past the 28 letters.
int stdaa_code(std::uint8_t byte) noexcept;

// A database opened by base name: "dir/name" for dir/name.pal (an alias,
// resolved recursively, a cycle an error), dir/name.pin (one volume) or
// dir/name.00.pin, dir/name.01.pin, ... (volumes without their alias).
// Records are numbered from 0 across the volumes in order (BLAST's OIDs).
class BlastDatabase {
 public:
  explicit BlastDatabase(const std::string& base);
  ~BlastDatabase();
  BlastDatabase(BlastDatabase&&) noexcept;
  BlastDatabase& operator=(BlastDatabase&&) noexcept;

  std::size_t size() const { return first_oid_.back(); }
  std::uint64_t total_residues() const { return total_residues_; }
  std::size_t max_length() const { return max_length_; }
  const std::string& title() const { return title_; }
  const std::string& base() const { return base_; }  // as it was opened
  // The size blastp's E-values use: an alias file's NSEQ and LENGTH where it
  // gives them, the indexes' counts otherwise.
  std::uint64_t statistics_sequences() const { return statistics_sequences_; }
  std::uint64_t statistics_residues() const { return statistics_residues_; }
  std::vector<std::string> volumes() const;  // base paths, in OID order

  std::size_t length(std::size_t oid) const;
  // The end of the chunk starting at `first`: records up to and including
  // the one that brings the residues to `residue_budget` (at least one).
  std::size_t chunk_end(std::size_t first, std::size_t residue_budget) const;
  // Records [first, last) as a Database, residues translated from NCBIstdaa.
  Database read(std::size_t first, std::size_t last) const;
  // The records `oids` (each < size()), in that order: a subset of the
  // database (blastp's -seqidlist, -taxids).
  Database read(std::span<const std::size_t> oids) const;
  // The def-lines of one record.
  std::vector<DefLine> deflines(std::size_t oid) const;

 private:
  struct Volume;
  struct Node;  // sizes of an alias tree while it is opened
  Node open(const std::string& base, std::vector<std::string>& stack);
  std::pair<const Volume*, std::size_t> locate(std::size_t oid) const;

  std::vector<std::unique_ptr<Volume>> volumes_;
  std::vector<std::size_t> first_oid_{0};  // volume v holds OIDs [first_oid_[v], first_oid_[v + 1])
  std::uint64_t total_residues_ = 0;
  std::size_t max_length_ = 0;
  std::uint64_t statistics_sequences_ = 0;
  std::uint64_t statistics_residues_ = 0;
  std::string title_;
  std::string base_;
};

}  // namespace blastdb
}  // namespace swl
