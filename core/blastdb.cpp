#include "blastdb.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "alphabet.hpp"
#include "database.hpp"
#include "errors.hpp"

namespace swl::blastdb {

namespace {

// --- Bytes -----------------------------------------------------------------------

// Reads fields front to back, each one checked against what is left.
class Cursor {
 public:
  Cursor(std::span<const std::uint8_t> bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  std::size_t left() const { return bytes_.size() - pos_; }
  std::size_t position() const { return pos_; }

  std::uint32_t big_u32(const char* what) {
    need(4, what);
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) value = value << 8 | bytes_[pos_++];
    return value;
  }
  std::uint64_t little_u64(const char* what) {
    need(8, what);
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = value << 8 | bytes_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 8;
    return value;
  }
  std::string string(const char* what) {
    const std::uint32_t length = big_u32(what);
    need(length, what);
    std::string out(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return out;
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(source_ + ": " + what); }

 private:
  void need(std::size_t n, const char* what) const {
    if (n > left()) {
      fail(std::string("truncated: the ") + what + " needs " + std::to_string(n) + " bytes at byte " +
           std::to_string(pos_) + ", " + std::to_string(left()) + " are left");
    }
  }
  std::span<const std::uint8_t> bytes_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

// Text from a file for a one-line message: at most 40 bytes, control bytes as hex.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20 && byte < 0x7f ? std::string(1, c) : describe_byte(byte);
  }
  return out;
}

std::string strip_nuls(std::string text) {
  // Version 5 pads the date with NULs so that the counts are 8-byte aligned.
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

// --- BER (Blast-def-line-set) ---------------------------------------------------------

constexpr int kMaxBerDepth = 32;  // a def-line nests 8 deep; more is not a def-line

struct Element {
  std::uint8_t tag_class = 0;  // 0 universal, 2 context-specific (bits 7-8 of the first byte)
  bool constructed = false;
  std::uint32_t number = 0;
  std::size_t begin = 0;  // contents
  std::size_t end = 0;
};

class Ber {
 public:
  Ber(std::span<const std::uint8_t> bytes, const std::string& source) : bytes_(bytes), source_(source) {}

  // The element at `pos` (advanced past it), within [pos, limit).
  Element read(std::size_t& pos, std::size_t limit, int depth) const {
    if (depth > kMaxBerDepth) fail(pos, "nested more than " + std::to_string(kMaxBerDepth) + " deep");
    if (pos >= limit) fail(pos, "an element is cut off");
    Element e;
    const std::uint8_t first = bytes_[pos++];
    e.tag_class = static_cast<std::uint8_t>(first >> 6);
    e.constructed = (first & 0x20) != 0;
    e.number = first & 0x1f;
    if (e.number == 0x1f) {
      e.number = 0;
      for (int i = 0;; ++i) {
        if (pos >= limit || i == 4) fail(pos, "a tag number is cut off or too long");
        const std::uint8_t b = bytes_[pos++];
        e.number = e.number << 7 | (b & 0x7f);
        if ((b & 0x80) == 0) break;
      }
    }
    if (pos >= limit) fail(pos, "a length is cut off");
    const std::uint8_t length_byte = bytes_[pos++];
    if (length_byte == 0x80) {
      if (!e.constructed) fail(pos, "a primitive element of indefinite length");
      e.begin = pos;
      for (;;) {
        if (limit - pos >= 2 && bytes_[pos] == 0 && bytes_[pos + 1] == 0) {
          e.end = pos;
          pos += 2;
          return e;
        }
        if (pos >= limit) fail(pos, "an element of indefinite length has no end");
        read(pos, limit, depth + 1);
      }
    }
    std::uint64_t length = length_byte;
    if (length_byte > 0x80) {
      const int count = length_byte & 0x7f;
      if (count > 8) fail(pos, "a length of " + std::to_string(count) + " bytes");
      length = 0;
      for (int i = 0; i < count; ++i) {
        if (pos >= limit) fail(pos, "a length is cut off");
        length = length << 8 | bytes_[pos++];
      }
    }
    if (length > limit - pos) {
      fail(pos, "a length of " + std::to_string(length) + " bytes runs past the " + std::to_string(limit - pos) +
                    " that are left");
    }
    e.begin = pos;
    e.end = pos + static_cast<std::size_t>(length);
    pos = e.end;
    return e;
  }

  std::vector<Element> children(const Element& parent, int depth) const {
    if (!parent.constructed) fail(parent.begin, "a primitive element where a constructed one belongs");
    std::vector<Element> out;
    for (std::size_t pos = parent.begin; pos < parent.end;) out.push_back(read(pos, parent.end, depth + 1));
    return out;
  }

  // The one element inside an explicit context tag ([n] { value }).
  Element inner(const Element& tagged, int depth) const {
    const auto inside = children(tagged, depth);
    if (inside.size() != 1) fail(tagged.begin, "a tagged field holds " + std::to_string(inside.size()) + " elements");
    return inside[0];
  }

  std::string visible_string(const Element& e) const {
    if (e.tag_class != 0 || e.number != 26 || e.constructed) fail(e.begin, "a string is not a VisibleString");
    return std::string(reinterpret_cast<const char*>(bytes_.data() + e.begin), e.end - e.begin);
  }

  std::int64_t integer(const Element& e) const {
    if (e.tag_class != 0 || e.number != 2 || e.constructed) fail(e.begin, "an integer is not an INTEGER");
    const std::size_t size = e.end - e.begin;
    if (size == 0 || size > 8) fail(e.begin, "an INTEGER of " + std::to_string(size) + " bytes");
    std::uint64_t value = (bytes_[e.begin] & 0x80) ? ~std::uint64_t{0} : 0;
    for (std::size_t i = e.begin; i < e.end; ++i) value = value << 8 | bytes_[i];
    return static_cast<std::int64_t>(value);
  }

  void expect_sequence(const Element& e) const {
    if (e.tag_class != 0 || e.number != 16 || !e.constructed) fail(e.begin, "expected a SEQUENCE");
  }

  [[noreturn]] void fail(std::size_t pos, const std::string& what) const {
    throw InputError(source_ + ": bad def-line (BER) at byte " + std::to_string(pos) + ": " + what);
  }

 private:
  std::span<const std::uint8_t> bytes_;
  const std::string& source_;
};

std::string object_id(const Ber& ber, const Element& choice, int depth) {
  if (choice.tag_class != 2) ber.fail(choice.begin, "an Object-id is not a choice");
  const Element value = ber.inner(choice, depth);
  if (choice.number == 0) return std::to_string(ber.integer(value));
  if (choice.number == 1) return ber.visible_string(value);
  ber.fail(choice.begin, "an Object-id choice [" + std::to_string(choice.number) + "]");
}

// Seq-id choices that hold a Textseq-id, with the prefix FASTA gives them.
const char* textseq_prefix(std::uint32_t choice) {
  switch (choice) {
    case 4: return "gb";
    case 5: return "emb";
    case 6: return "pir";
    case 7: return "sp";
    case 9: return "ref";
    case 12: return "dbj";
    case 13: return "prf";
    case 15: return "tpg";
    case 16: return "tpe";
    case 17: return "tpd";
    case 18: return "gpp";
    case 19: return "nat";
    default: return nullptr;
  }
}

std::string seq_id(const Ber& ber, const Element& choice, int depth) {
  if (choice.tag_class != 2) ber.fail(choice.begin, "a Seq-id is not a choice");
  const Element value = ber.inner(choice, depth);
  const std::uint32_t n = choice.number;
  if (n == 0) return "lcl|" + object_id(ber, value, depth + 1);
  if (n == 1) return "bbs|" + std::to_string(ber.integer(value));
  if (n == 2) return "bbm|" + std::to_string(ber.integer(value));
  if (n == 11) return "gi|" + std::to_string(ber.integer(value));
  if (n == 3 || n == 10 || n == 14 || n == 8 || textseq_prefix(n) != nullptr) {
    ber.expect_sequence(value);
    std::string fields[4];
    std::optional<std::int64_t> numbers[4];
    std::string general_tag;
    for (const Element& field : ber.children(value, depth + 1)) {
      if (field.tag_class != 2 || field.number > 3) continue;  // a later field (pdb's rel date is [2]) is not named
      const Element inner = ber.inner(field, depth + 2);
      if (n == 10 && field.number == 1) {
        general_tag = object_id(ber, inner, depth + 3);
      } else if (n == 8 && field.number == 1) {
        // Patent: cit [1] Id-pat { country [0], id [1] CHOICE { number, app-number } }.
        ber.expect_sequence(inner);
        for (const Element& part : ber.children(inner, depth + 3)) {
          if (part.tag_class != 2) continue;
          const Element part_value = ber.inner(part, depth + 4);
          if (part.number == 0) fields[1] = ber.visible_string(part_value);
          if (part.number == 1) fields[2] = ber.visible_string(ber.inner(part_value, depth + 5));
        }
      } else if (inner.tag_class == 0 && inner.number == 2) {
        numbers[field.number] = ber.integer(inner);
      } else if (inner.tag_class == 0 && inner.number == 26) {
        fields[field.number] = ber.visible_string(inner);
      }
    }
    if (n == 3) return "gim|" + (numbers[0] ? std::to_string(*numbers[0]) : std::string());
    if (n == 10) return "gnl|" + fields[0] + "|" + general_tag;
    if (n == 8) return "pat|" + fields[1] + "|" + fields[2] + "|" + (numbers[0] ? std::to_string(*numbers[0]) : "");
    if (n == 14) {
      std::string chain = fields[3];
      // The chain as a letter code (deprecated, written beside chain-id).
      if (chain.empty() && numbers[1] && *numbers[1] > 32 && *numbers[1] < 127) {
        chain = std::string(1, static_cast<char>(*numbers[1]));
      }
      return "pdb|" + fields[0] + "|" + chain;
    }
    // Textseq-id { name [0], accession [1], release [2], version [3] }.
    std::string accession = fields[1];
    if (numbers[3] && *numbers[3] > 0) accession += "." + std::to_string(*numbers[3]);
    // UniProt's TrEMBL entries are swissprot Seq-ids released as
    // "unreviewed"; FASTA (and blastp) writes them tr|.
    const char* prefix = n == 7 && fields[2] == "unreviewed" ? "tr" : textseq_prefix(n);
    return std::string(prefix) + "|" + accession + "|" + fields[0];
  }
  ber.fail(choice.begin, "an unknown Seq-id type [" + std::to_string(n) + "]");
}

// --- Files --------------------------------------------------------------------------

// A file mapped read-only (nothing mapped when it is empty).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_file_error("cannot open BLAST database file", path);
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
      const int error = errno;
      ::close(fd);
      errno = error;
      throw_file_error("cannot read BLAST database file", path);
    }
    if (S_ISDIR(status.st_mode)) {
      ::close(fd);
      throw FileError("cannot read BLAST database file '" + path + "': it is a directory", EISDIR);
    }
    size_ = static_cast<std::size_t>(status.st_size);
    if (size_ > 0) {
      void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (map == MAP_FAILED) {
        const int error = errno;
        ::close(fd);
        errno = error;
        throw_file_error("cannot map BLAST database file", path);
      }
      data_ = static_cast<const std::uint8_t*>(map);
    }
    fd_ = fd;  // kept, to see the same file shrink (check_whole)
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    ::close(fd_);
  }

  // Reading a page of the map past the file's end is SIGBUS: a file cut
  // short since it was mapped (makeblastdb writing the database again, say)
  // is an InputError here instead, checked before each chunk is read. A
  // file replaced by another (renamed over it) keeps its old bytes mapped,
  // and is not this one.
  void check_whole() const {
    struct stat status {};
    if (::fstat(fd_, &status) == 0 && static_cast<std::size_t>(status.st_size) < size_) {
      throw InputError(path_ + ": cut short while it was read (" + std::to_string(status.st_size) + " bytes, " +
                       std::to_string(size_) + " when it was opened): the database changed; search it again");
    }
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  int fd_ = -1;
};

bool is_file(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode);
}

bool is_nucleotide(const std::string& base) {
  return is_file(base + ".nin") || is_file(base + ".nal") || is_file(base + ".00.nin");
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// A file's identity for cycle detection: its real path where it has one.
std::string real_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

std::string read_text(const std::string& path) {
  const MappedFile file(path);
  const auto bytes = file.bytes();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

constexpr std::array<char, 28> kStdaaLetters = {'-', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I',
                                                'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'V',
                                                'W', 'X', 'Y', 'Z', 'U', '*', 'O', 'J'};

std::array<std::int16_t, 256> make_stdaa_table() {
  std::array<std::int16_t, 256> table{};
  table.fill(-1);
  for (std::size_t byte = 1; byte < kStdaaLetters.size(); ++byte) {
    table[byte] = static_cast<std::int16_t>(residue_code(static_cast<unsigned char>(kStdaaLetters[byte])));
  }
  return table;
}

const std::array<std::int16_t, 256> kStdaaTable = make_stdaa_table();

std::array<std::uint8_t, 256> make_stdaa_bytes() {
  std::array<std::uint8_t, 256> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = kStdaaTable[i] < 0 ? std::uint8_t{0xFF} : static_cast<std::uint8_t>(kStdaaTable[i]);
  }
  return bytes;
}

const std::array<std::uint8_t, 256> kStdaaBytes = make_stdaa_bytes();

}  // namespace

int stdaa_code(std::uint8_t byte) noexcept { return kStdaaTable[byte]; }

// --- .pin ---------------------------------------------------------------------------

Index parse_index(std::span<const std::uint8_t> bytes, const std::string& source) {
  Cursor in(bytes, source);
  Index index;
  const std::uint32_t version = in.big_u32("format version");
  if (version != 4 && version != 5) {
    in.fail("BLAST database format version " + std::to_string(version) + " is not read (versions 4 and 5 are)");
  }
  index.version = static_cast<int>(version);
  const std::uint32_t type = in.big_u32("database type");
  if (type == 0) in.fail("a nucleotide BLAST database: swladder searches protein databases");
  if (type != 1) in.fail("database type " + std::to_string(type) + " is neither protein (1) nor nucleotide (0)");
  if (version == 5) index.volume = in.big_u32("volume number");
  index.title = in.string("title");
  if (version == 5) index.lmdb = in.string("LMDB file name");
  index.date = strip_nuls(in.string("date"));
  index.sequences = in.big_u32("sequence count");
  index.residues = in.little_u64("residue count");
  index.max_length = in.big_u32("longest sequence");
  const std::uint64_t entries = std::uint64_t{index.sequences} + 1;
  if (entries * 8 > in.left()) {
    in.fail("truncated: " + std::to_string(index.sequences) + " sequences need " + std::to_string(entries * 8) +
            " bytes of offsets, " + std::to_string(in.left()) + " are left");
  }
  index.header_offsets.resize(entries);
  for (auto& offset : index.header_offsets) offset = in.big_u32("header offsets");
  index.sequence_offsets.resize(entries);
  for (auto& offset : index.sequence_offsets) offset = in.big_u32("sequence offsets");

  std::uint64_t longest = 0;
  for (std::size_t i = 0; i < index.sequences; ++i) {
    if (index.header_offsets[i + 1] <= index.header_offsets[i]) {
      in.fail("header offsets do not increase at sequence " + std::to_string(i) + " (" +
              std::to_string(index.header_offsets[i]) + ", then " + std::to_string(index.header_offsets[i + 1]) + ")");
    }
    // Each sequence ends in a NUL, so an empty one still takes a byte.
    if (index.sequence_offsets[i + 1] <= index.sequence_offsets[i]) {
      in.fail("sequence offsets do not increase at sequence " + std::to_string(i) + " (" +
              std::to_string(index.sequence_offsets[i]) + ", then " +
              std::to_string(index.sequence_offsets[i + 1]) + ")");
    }
    longest = std::max<std::uint64_t>(longest, index.sequence_offsets[i + 1] - index.sequence_offsets[i] - 1);
  }
  if (index.sequence_offsets[0] == 0) in.fail("the first sequence offset is 0 (the residues start after a NUL)");
  const std::uint64_t counted =
      std::uint64_t{index.sequence_offsets.back()} - index.sequence_offsets[0] - index.sequences;
  if (counted != index.residues) {
    in.fail("the residue count " + std::to_string(index.residues) + " disagrees with the sequence offsets (" +
            std::to_string(counted) + ")");
  }
  if (longest != index.max_length) {
    in.fail("the longest sequence is " + std::to_string(longest) + " residues, the index says " +
            std::to_string(index.max_length));
  }
  return index;
}

// --- .phr ---------------------------------------------------------------------------

std::vector<DefLine> parse_deflines(std::span<const std::uint8_t> bytes, const std::string& source) {
  const Ber ber(bytes, source);
  std::size_t pos = 0;
  const Element set = ber.read(pos, bytes.size(), 0);
  ber.expect_sequence(set);
  if (pos != bytes.size()) ber.fail(pos, std::to_string(bytes.size() - pos) + " bytes after the def-line set");
  std::vector<DefLine> out;
  for (const Element& line : ber.children(set, 0)) {
    ber.expect_sequence(line);
    DefLine defline;
    for (const Element& field : ber.children(line, 1)) {
      if (field.tag_class != 2) ber.fail(field.begin, "a def-line field without a context tag");
      if (field.number > 2) continue;  // memberships, links, other-info: not read
      const Element value = ber.inner(field, 2);
      if (field.number == 0) {
        defline.title = ber.visible_string(value);
      } else if (field.number == 1) {
        ber.expect_sequence(value);
        for (const Element& id : ber.children(value, 3)) defline.seqids.push_back(seq_id(ber, id, 4));
      } else {
        defline.taxid = ber.integer(value);
      }
    }
    if (defline.seqids.empty()) ber.fail(line.begin, "a def-line without a Seq-id");
    out.push_back(std::move(defline));
  }
  if (out.empty()) ber.fail(set.begin, "a def-line set without def-lines");
  return out;
}

RecordTitle record_title(const DefLine& defline) {
  const bool ordinal_only = defline.seqids.size() == 1 && defline.seqids[0].starts_with("gnl|BL_ORD_ID|");
  if (ordinal_only) {
    const std::string_view title = defline.title;
    constexpr std::string_view kBlanks = " \t\v\f\r\n";
    const std::size_t start = title.find_first_not_of(kBlanks);
    if (start == std::string_view::npos) return {defline.seqids[0], defline.seqids[0].size()};
    const std::size_t name_end = std::min(title.find_first_of(kBlanks, start), title.size());
    return {std::string(title.substr(start)), name_end - start};
  }
  std::string name;
  if (defline.seqids.size() == 1 && defline.seqids[0].starts_with("lcl|")) {
    name = defline.seqids[0].substr(4);
  } else {
    for (const auto& id : defline.seqids) name += (name.empty() ? "" : "|") + id;
  }
  const std::size_t name_length = name.size();
  if (!defline.title.empty()) (name += ' ') += defline.title;
  return {std::move(name), name_length};
}

// --- .pal ---------------------------------------------------------------------------

Alias parse_alias(std::string_view text, const std::string& source) {
  Alias alias;
  bool seen_title = false;
  bool seen_dblist = false;
  std::size_t line_number = 0;
  constexpr std::string_view kBlanks = " \t\r\v\f";
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::string where = source + ":" + std::to_string(line_number) + ": ";
    const std::size_t start = line.find_first_not_of(kBlanks);
    if (start == std::string_view::npos || line[start] == '#') continue;
    line.remove_prefix(start);
    line = line.substr(0, line.find_last_not_of(kBlanks) + 1);
    const std::size_t key_end = std::min(line.find_first_of(kBlanks), line.size());
    const std::string key(line.substr(0, key_end));
    std::string_view value = line.substr(key_end);
    value.remove_prefix(std::min(value.find_first_not_of(kBlanks), value.size()));
    auto once = [&](bool& seen) {
      if (seen) throw InputError(where + shown(key) + " is given twice");
      seen = true;
    };
    if (key == "TITLE") {
      once(seen_title);
      alias.title = value;
    } else if (key == "DBLIST") {
      once(seen_dblist);
      while (!value.empty()) {
        std::string entry;
        if (value[0] == '"') {
          const std::size_t close = value.find('"', 1);
          if (close == std::string_view::npos) throw InputError(where + "DBLIST has an unclosed quote");
          entry = value.substr(1, close - 1);
          value.remove_prefix(close + 1);
        } else {
          const std::size_t word_end = std::min(value.find_first_of(kBlanks), value.size());
          entry = value.substr(0, word_end);
          value.remove_prefix(word_end);
        }
        if (entry.empty()) throw InputError(where + "DBLIST has an empty database name");
        alias.dblist.push_back(std::move(entry));
        value.remove_prefix(std::min(value.find_first_not_of(kBlanks), value.size()));
      }
    } else if (key == "NSEQ" || key == "LENGTH") {
      auto& target = key == "NSEQ" ? alias.sequences : alias.residues;
      if (target) throw InputError(where + key + " is given twice");
      std::uint64_t number = 0;
      if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string_view::npos) {
        throw InputError(where + key + " is not a count: '" + shown(value) + "'");
      }
      for (char c : value) number = number * 10 + static_cast<std::uint64_t>(c - '0');
      target = number;
    } else {
      throw InputError(where + "alias key '" + shown(key) +
                       "' is not supported (only TITLE, DBLIST, NSEQ and LENGTH are read)");
    }
  }
  if (alias.dblist.empty()) throw InputError(source + ": an alias file without a DBLIST");
  return alias;
}

// --- The database -----------------------------------------------------------------------

struct BlastDatabase::Volume {
  std::string base;
  Index index;
  MappedFile sequences;
  MappedFile headers;

  explicit Volume(const std::string& volume_base)
      : base(volume_base), index(load_index(volume_base + ".pin")), sequences(volume_base + ".psq"),
        headers(volume_base + ".phr") {
    if (index.sequence_offsets.back() > sequences.bytes().size()) {
      throw InputError(sequences.path() + ": truncated: the index points to byte " +
                       std::to_string(index.sequence_offsets.back()) + ", the file has " +
                       std::to_string(sequences.bytes().size()));
    }
    if (index.header_offsets.back() > headers.bytes().size()) {
      throw InputError(headers.path() + ": truncated: the index points to byte " +
                       std::to_string(index.header_offsets.back()) + ", the file has " +
                       std::to_string(headers.bytes().size()));
    }
  }

  static Index load_index(const std::string& path) {
    const MappedFile file(path);
    return parse_index(file.bytes(), path);
  }
  std::size_t length(std::size_t local) const {
    return index.sequence_offsets[local + 1] - index.sequence_offsets[local] - 1;
  }
};

struct BlastDatabase::Node {
  std::uint64_t sequences = 0;
  std::uint64_t residues = 0;
  std::string title;
};

BlastDatabase::BlastDatabase(const std::string& base) : base_(base) {
  std::vector<std::string> stack;
  const Node root = open(base, stack);
  statistics_sequences_ = root.sequences;
  statistics_residues_ = root.residues;
  title_ = root.title;
}

BlastDatabase::~BlastDatabase() = default;
BlastDatabase::BlastDatabase(BlastDatabase&&) noexcept = default;
BlastDatabase& BlastDatabase::operator=(BlastDatabase&&) noexcept = default;

BlastDatabase::Node BlastDatabase::open(const std::string& base, std::vector<std::string>& stack) {
  const std::string alias_path = base + ".pal";
  if (is_file(alias_path)) {
    const std::string identity = real_path(alias_path);
    if (std::find(stack.begin(), stack.end(), identity) != stack.end()) {
      throw InputError(alias_path + ": alias cycle: it lists itself through its DBLIST");
    }
    if (stack.size() >= 64) throw InputError(alias_path + ": aliases nested more than 64 deep");
    const Alias alias = parse_alias(read_text(alias_path), alias_path);
    stack.push_back(identity);
    Node node;
    for (const auto& entry : alias.dblist) {
      const std::string entry_base = entry.starts_with('/') ? entry : folder_of(base) + entry;
      if (!is_file(entry_base + ".pal") && !is_file(entry_base + ".pin") && !is_file(entry_base + ".00.pin") &&
          !is_nucleotide(entry_base)) {
        throw InputError(alias_path + ": database '" + shown(entry) + "' of its DBLIST is missing (no " +
                         shown(entry_base) + ".pin or .pal)");
      }
      const Node child = open(entry_base, stack);
      node.sequences += child.sequences;
      node.residues += child.residues;
      if (node.title.empty()) node.title = child.title;
    }
    stack.pop_back();
    if (alias.sequences) node.sequences = *alias.sequences;
    if (alias.residues) node.residues = *alias.residues;
    if (!alias.title.empty()) node.title = alias.title;
    return node;
  }
  std::vector<std::string> bases;
  if (is_file(base + ".pin")) {
    bases.push_back(base);
  } else {
    // Volumes without their alias file: name.00, name.01, ... up to the
    // first one missing, and a later one after that gap would be lost.
    const auto volume_base = [&](int number) { return base + (number < 10 ? ".0" : ".") + std::to_string(number); };
    int number = 0;
    for (; number < 10000 && is_file(volume_base(number) + ".pin"); ++number) bases.push_back(volume_base(number));
    if (!bases.empty() && is_file(volume_base(number + 1) + ".pin")) {
      throw InputError(volume_base(number + 1) + ".pin: volume " + std::to_string(number) + " of '" + base +
                       "' is missing (no " + volume_base(number) + ".pin)");
    }
  }
  if (bases.empty()) {
    if (is_nucleotide(base)) {
      throw InputError("'" + base + "' is a nucleotide BLAST database: swladder searches protein databases");
    }
    throw FileError("no BLAST protein database '" + base + "' (no " + base + ".pal, " + base + ".pin or " + base +
                        ".00.pin)",
                    ENOENT);
  }
  Node node;
  for (const auto& volume_base : bases) {
    auto volume = std::make_unique<Volume>(volume_base);
    const Index& index = volume->index;
    if (first_oid_.back() + std::size_t{index.sequences} > std::size_t{UINT32_MAX}) {
      throw InputError(volume_base + ".pin: more than 2^32 sequences in the database");
    }
    first_oid_.push_back(first_oid_.back() + index.sequences);
    total_residues_ += index.residues;
    max_length_ = std::max<std::size_t>(max_length_, index.max_length);
    node.sequences += index.sequences;
    node.residues += index.residues;
    if (node.title.empty()) node.title = index.title;
    volumes_.push_back(std::move(volume));
  }
  return node;
}

std::vector<std::string> BlastDatabase::volumes() const {
  std::vector<std::string> out;
  for (const auto& volume : volumes_) out.push_back(volume->base);
  return out;
}

std::pair<const BlastDatabase::Volume*, std::size_t> BlastDatabase::locate(std::size_t oid) const {
  const auto after = std::upper_bound(first_oid_.begin(), first_oid_.end(), oid);
  const auto v = static_cast<std::size_t>(after - first_oid_.begin()) - 1;
  return {volumes_[v].get(), oid - first_oid_[v]};
}

std::size_t BlastDatabase::length(std::size_t oid) const {
  if (oid >= size()) throw InputError("BLAST database record " + std::to_string(oid) + " out of range");
  const auto [volume, local] = locate(oid);
  return volume->length(local);
}

std::size_t BlastDatabase::chunk_end(std::size_t first, std::size_t residue_budget) const {
  std::size_t oid = first;
  std::size_t residues = 0;
  while (oid < size()) {
    residues += length(oid++);
    if (residues >= residue_budget) break;
  }
  return oid;
}

std::vector<DefLine> BlastDatabase::deflines(std::size_t oid) const {
  if (oid >= size()) throw InputError("BLAST database record " + std::to_string(oid) + " out of range");
  const auto [volume, local] = locate(oid);
  const auto& offsets = volume->index.header_offsets;
  return parse_deflines(volume->headers.bytes().subspan(offsets[local], offsets[local + 1] - offsets[local]),
                        volume->headers.path() + " (sequence " + std::to_string(local) + ")");
}

Database BlastDatabase::read(std::size_t first, std::size_t last) const {
  if (first > last || last > size()) {
    throw InputError("BLAST database records [" + std::to_string(first) + ", " + std::to_string(last) +
                     ") out of range (the database has " + std::to_string(size()) + ")");
  }
  std::vector<std::size_t> oids(last - first);
  for (std::size_t i = 0; i < oids.size(); ++i) oids[i] = first + i;
  return read(oids);
}

Database BlastDatabase::read(std::span<const std::size_t> oids) const {
  for (const auto& volume : volumes_) {
    volume->sequences.check_whole();
    volume->headers.check_whole();
  }
  Database db;
  std::size_t residues = 0;
  std::size_t header_bytes = 0;
  for (const std::size_t oid : oids) {
    if (oid >= size()) throw InputError("BLAST database record " + std::to_string(oid) + " out of range");
    const auto [volume, local] = locate(oid);
    residues += volume->length(local);
    header_bytes += volume->index.header_offsets[local + 1] - volume->index.header_offsets[local];
  }
  db.residues_.resize(residues + Database::kTailPadding, 0);
  // A title is at most about its def-lines' bytes: set aside that much at
  // once, or the titles of a large chunk would grow by copying themselves
  // (twice their size for a moment).
  db.titles_.reserve(header_bytes);
  db.offsets_.reserve(oids.size() + 1);
  db.name_ends_.reserve(oids.size());
  db.title_offsets_.reserve(oids.size() + 1);
  std::size_t at = 0;
  for (const std::size_t oid : oids) {
    const auto [volume, local] = locate(oid);
    const auto psq = volume->sequences.bytes();
    const std::size_t begin = volume->index.sequence_offsets[local];
    const std::size_t end = volume->index.sequence_offsets[local + 1] - 1;  // the NUL after it
    if (psq[end] != 0 || psq[begin - 1] != 0) {
      throw InputError(volume->sequences.path() + ": sequence " + std::to_string(local) +
                       " is not between NUL bytes (the offsets do not fit the residues)");
    }
    // Without a branch per residue: a byte that is no residue becomes 0xFF,
    // whose high bit survives the OR of the whole sequence.
    std::uint8_t seen = 0;
    std::uint8_t* out = db.residues_.data() + at;
    for (std::size_t i = begin; i < end; ++i) seen |= *out++ = kStdaaBytes[psq[i]];
    if (seen & 0x80) {
      std::size_t bad = begin;
      while (kStdaaTable[psq[bad]] >= 0) ++bad;  // there is one before `end`
      throw InputError(volume->sequences.path() + ": sequence " + std::to_string(local) + " has byte " +
                       std::to_string(psq[bad]) + " at residue " + std::to_string(bad - begin + 1) +
                       ", which is no NCBIstdaa residue");
    }
    at += end - begin;
    db.offsets_.push_back(at);
    db.max_length_ = std::max(db.max_length_, end - begin);
    const auto deflines = this->deflines(oid);
    const RecordTitle title = record_title(deflines.front());
    db.name_ends_.push_back(db.titles_.size() + title.name_length);
    db.titles_ += title.title;
    db.title_offsets_.push_back(db.titles_.size());
  }
  return db;
}

}  // namespace swl::blastdb
