// The encoded database: one contiguous buffer of residue codes with offsets,
// built once and searched many times. Every record is kept, in input order,
// so that result i always belongs to record i.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fasta.hpp"

namespace swl {

class Database {
 public:
  // Bytes of padding after the last residue, so vector loads may read past
  // the end of the final sequence without leaving the allocation.
  static constexpr std::size_t kTailPadding = 64;

  Database() : residues_(kTailPadding, 0), offsets_{0} {}
  static Database from_records(const std::vector<FastaRecord>& records);
  static Database from_fasta(const std::string& path);
  // Unnamed sequences get the names "seq1", "seq2", ...
  static Database from_sequences(const std::vector<std::string>& sequences);
  static Database from_pairs(const std::vector<std::pair<std::string, std::string>>& named_sequences);

  void add(std::string name, std::string_view sequence);  // encodes; InputError names the record

  std::size_t size() const { return names_.size(); }
  bool empty() const { return names_.empty(); }
  const std::string& name(std::size_t i) const { return names_[i]; }
  const std::vector<std::string>& names() const { return names_; }
  std::span<const std::uint8_t> sequence(std::size_t i) const {
    return {residues_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  std::size_t length(std::size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  std::size_t total_residues() const { return offsets_.back(); }
  std::size_t max_length() const { return max_length_; }

  // Indices ordered by length, longest first (ties in input order): the order
  // that balances threads and lets inter-sequence kernels pack similar lengths.
  std::vector<std::uint32_t> longest_first() const;

  // The first n records (deterministic slices for slow rungs).
  Database prefix(std::size_t n) const;

 private:
  // Appends already-encoded residues, keeping the tail padding after them.
  void append(std::string name, std::span<const std::uint8_t> codes);

  std::vector<std::string> names_;
  std::vector<std::uint8_t> residues_;  // always followed by kTailPadding bytes
  std::vector<std::size_t> offsets_;
  std::size_t max_length_ = 0;
};

// Some records of a Database, by index and in the order given, without
// copying them: how a rung hands a few subjects (the saturated ones, the
// longest ones) to a component. The database and the indices must outlive it.
class DatabaseView {
 public:
  explicit DatabaseView(const Database& db) : db_(&db), size_(db.size()) {}
  DatabaseView(const Database& db, std::span<const std::uint32_t> indices)
      : db_(&db), indices_(indices), size_(indices.size()), all_(false) {}

  const Database& database() const { return *db_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The database index of the k-th record of the view.
  std::uint32_t index(std::size_t k) const { return all_ ? static_cast<std::uint32_t>(k) : indices_[k]; }
  std::span<const std::uint8_t> sequence(std::size_t k) const { return db_->sequence(index(k)); }
  std::size_t length(std::size_t k) const { return db_->length(index(k)); }

 private:
  const Database* db_;
  std::span<const std::uint32_t> indices_;
  std::size_t size_;
  bool all_ = true;
};

}  // namespace swl
