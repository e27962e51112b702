#include "database.hpp"

#include <algorithm>
#include <numeric>
#include <type_traits>

#include "alphabet.hpp"

namespace swl {

void Database::add(std::string_view name, std::string_view sequence, std::string_view description) {
  const auto codes = encode(sequence, name);
  append(name, codes, description);
}

void Database::append(std::string_view name, std::span<const std::uint8_t> codes, std::string_view description) {
  residues_.resize(offsets_.back());
  residues_.insert(residues_.end(), codes.begin(), codes.end());
  residues_.resize(residues_.size() + kTailPadding, 0);
  offsets_.push_back(offsets_.back() + codes.size());
  max_length_ = std::max(max_length_, codes.size());
  append_title(name, description);
}

void Database::append_title(std::string_view name, std::string_view description) {
  titles_.append(name);
  name_ends_.push_back(titles_.size());
  if (!description.empty()) (titles_ += ' ') += description;
  title_offsets_.push_back(titles_.size());
}

std::vector<std::string> Database::names() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.emplace_back(name(i));
  return out;
}

Database Database::from_records(const std::vector<FastaRecord>& records) {
  Database db;
  std::size_t total = 0;
  for (const auto& record : records) total += record.sequence.size();
  db.residues_.reserve(total + kTailPadding);
  db.name_ends_.reserve(records.size());
  db.offsets_.reserve(records.size() + 1);
  db.title_offsets_.reserve(records.size() + 1);
  for (const auto& record : records) db.add(record.name, record.sequence, record.description);
  return db;
}

Database Database::from_fasta(const std::string& path) { return read_fasta_database(path); }

Database Database::from_sequences(const std::vector<std::string>& sequences) {
  Database db;
  for (std::size_t i = 0; i < sequences.size(); ++i) db.add("seq" + std::to_string(i + 1), sequences[i]);
  return db;
}

Database Database::from_pairs(const std::vector<std::pair<std::string, std::string>>& named_sequences) {
  Database db;
  for (const auto& [name, sequence] : named_sequences) db.add(name, sequence);
  return db;
}

static_assert(std::is_nothrow_move_constructible_v<Database> && std::is_nothrow_move_assignable_v<Database>,
              "a Database moves, never copies, when a vector of them grows");

LengthOrder& LengthOrder::operator=(const LengthOrder& other) noexcept {
  if (this != &other) {
    std::shared_ptr<const Sorted> sorted = other.cached();
    std::lock_guard lock(mutex_);
    cached_ = std::move(sorted);
  }
  return *this;
}

std::shared_ptr<const std::vector<std::uint32_t>> Database::longest_first() const {
  return longest_first_.get(size(), total_residues(), [this] {
    std::vector<std::uint32_t> order(size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return length(a) > length(b); });
    return order;
  });
}

Database Database::prefix(std::size_t n) const {
  Database db;
  n = std::min(n, size());
  db.name_ends_.assign(name_ends_.begin(), name_ends_.begin() + static_cast<std::ptrdiff_t>(n));
  db.title_offsets_.assign(title_offsets_.begin(), title_offsets_.begin() + static_cast<std::ptrdiff_t>(n + 1));
  db.titles_.assign(titles_, 0, db.title_offsets_.back());
  db.offsets_.assign(offsets_.begin(), offsets_.begin() + static_cast<std::ptrdiff_t>(n + 1));
  db.residues_.assign(residues_.begin(), residues_.begin() + static_cast<std::ptrdiff_t>(db.offsets_.back()));
  db.residues_.resize(db.residues_.size() + kTailPadding, 0);
  for (std::size_t i = 0; i < n; ++i) db.max_length_ = std::max(db.max_length_, db.length(i));
  return db;
}

}  // namespace swl
