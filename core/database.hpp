// The encoded database: one contiguous buffer of residue codes with offsets,
// built once and searched many times. Every record is kept, in input order,
// so that result i always belongs to record i. Names and descriptions are kept
// as compactly: every record's title (its FASTA header after '>', from the
// name on) in one buffer with offsets, so that a chunk of a streamed database
// costs little more than its residues.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fasta.hpp"

namespace swl {

namespace blastdb {
class BlastDatabase;
}

// The longest-first order of a Database, sorted on first use and kept: a
// search sorts no more than once per database, not once per query (16,598
// records take about a millisecond). Safe to read from several threads at
// once; a copy shares the sorted order. It knows the record count and residue
// total it was sorted for, so a database that has grown since sorts again.
class LengthOrder {
 public:
  using Order = std::vector<std::uint32_t>;
  LengthOrder() = default;
  // noexcept, so that a Database still moves without copying (in a vector).
  LengthOrder(const LengthOrder& other) noexcept : cached_(other.cached()) {}
  LengthOrder& operator=(const LengthOrder& other) noexcept;

  // The order for a database of `records` records and `residues` residues;
  // `sort` makes it when none fits.
  template <class Sort>
  std::shared_ptr<const Order> get(std::size_t records, std::size_t residues, Sort sort) const {
    std::lock_guard lock(mutex_);
    if (cached_ == nullptr || cached_->records != records || cached_->residues != residues) {
      cached_ = std::make_shared<const Sorted>(Sorted{sort(), records, residues});
    }
    return {cached_, &cached_->order};
  }

 private:
  struct Sorted {
    Order order;
    std::size_t records;
    std::size_t residues;
  };
  std::shared_ptr<const Sorted> cached() const {
    std::lock_guard lock(mutex_);
    return cached_;
  }
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const Sorted> cached_;
};

class Database {
 public:
  // Bytes of padding after the last residue, so vector loads may read past
  // the end of the final sequence without leaving the allocation.
  static constexpr std::size_t kTailPadding = 64;

  Database() : residues_(kTailPadding, 0), offsets_{0}, title_offsets_{0} {}
  static Database from_records(const std::vector<FastaRecord>& records);
  static Database from_fasta(const std::string& path);
  // Unnamed sequences get the names "seq1", "seq2", ...
  static Database from_sequences(const std::vector<std::string>& sequences);
  static Database from_pairs(const std::vector<std::pair<std::string, std::string>>& named_sequences);

  // Encodes; InputError names the record.
  void add(std::string_view name, std::string_view sequence, std::string_view description = {});

  std::size_t size() const { return name_ends_.size(); }
  bool empty() const { return name_ends_.empty(); }
  std::string_view name(std::size_t i) const {
    return std::string_view(titles_).substr(title_offsets_[i], name_ends_[i] - title_offsets_[i]);
  }
  // The header after the name and the blanks that follow it ("" if none).
  std::string_view description(std::size_t i) const { return fasta_description(title(i), name_ends_[i] - title_offsets_[i]); }
  // The FASTA header after '>' from the name on, as written (BLAST's stitle);
  // the name alone for a record added without a description.
  std::string_view title(std::size_t i) const {
    return std::string_view(titles_).substr(title_offsets_[i], title_offsets_[i + 1] - title_offsets_[i]);
  }
  std::vector<std::string> names() const;
  std::span<const std::uint8_t> sequence(std::size_t i) const {
    return {residues_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  std::size_t length(std::size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  std::size_t total_residues() const { return offsets_.back(); }
  std::size_t max_length() const { return max_length_; }

  // Indices ordered by length, longest first (ties in input order): the order
  // that balances threads and lets inter-sequence kernels pack similar lengths.
  // Sorted once and kept (LengthOrder).
  std::shared_ptr<const std::vector<std::uint32_t>> longest_first() const;

  // The first n records (deterministic slices for slow rungs).
  Database prefix(std::size_t n) const;

 private:
  friend class FastaParser;  // builds a Database in place as it parses
  friend class blastdb::BlastDatabase;  // translates residues straight into a Database

  // Appends already-encoded residues, keeping the tail padding after them.
  void append(std::string_view name, std::span<const std::uint8_t> codes, std::string_view description);
  void append_title(std::string_view name, std::string_view description);

  ResidueBuffer residues_;  // always followed by kTailPadding bytes
  std::vector<std::size_t> offsets_;    // record i is residues_[offsets_[i], offsets_[i + 1])
  std::string titles_;                  // every record's title, back to back
  std::vector<std::size_t> title_offsets_;  // title i is titles_[title_offsets_[i], title_offsets_[i + 1])
  std::vector<std::size_t> name_ends_;      // the name of record i ends at titles_[name_ends_[i]]
  std::size_t max_length_ = 0;
  LengthOrder longest_first_;
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
