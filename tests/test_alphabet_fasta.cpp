#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "error_of.hpp"

#include "alphabet.hpp"
#include "database.hpp"
#include "errors.hpp"
#include "fasta.hpp"
#include "residue_buffer.hpp"

namespace swl {
namespace {

using testing_support::error_of;

std::string encode_round_trip(const std::string& letters) {
  const auto codes = encode(letters, "r");
  return decode(codes.data(), codes.size());
}

// Database::from_fasta's path for text in memory: one codes parser, one take.
Database read_fasta_database_of(const std::string& text) {
  FastaParser parser("x.fa", FastaParser::Keep::codes);
  parser.feed(text);
  parser.finish();
  return parser.take_database();
}

TEST(Alphabet, LowercaseReadsAsUppercase) {
  EXPECT_EQ(encode("ARNDCQEGHILKMFPSTWYVBZX*UOJ"), encode("arndcqeghilkmfpstwyvbzx*uoj"));
  for (int code = 0; code < kAlphabetSize; ++code) EXPECT_EQ(encode(std::string(1, kAlphabet[code]))[0], code);
}

// U, O and J borrow other letters' scores but not their codes: identity
// counts compare codes, and output decodes codes.
TEST(Alphabet, EveryLetterHasItsOwnCodeAndDecodesToItself) {
  EXPECT_EQ(kAlphabet.substr(0, kNcbiLetters), "ARNDCQEGHILKMFPSTWYVBZX*");
  EXPECT_EQ(encode("UOJ"), (std::vector<std::uint8_t>{kCodeU, kCodeO, kCodeJ}));
  EXPECT_NE(encode("U"), encode("C"));
  EXPECT_NE(encode("O"), encode("K"));
  EXPECT_NE(encode("J"), encode("I"));
  EXPECT_NE(encode("J"), encode("L"));
  std::string letters;
  for (char c = 'A'; c <= 'Z'; ++c) letters += c;
  letters += '*';
  std::string lower = letters;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& text : {letters, lower}) {
    const auto codes = encode(text);
    EXPECT_EQ(decode(codes.data(), codes.size()), letters);
  }
  const auto u = encode("U");
  EXPECT_EQ(decode(u.data(), u.size()), "U");
}

TEST(Alphabet, NonLettersAreRejectedWithNameAndPosition) {
  EXPECT_EQ(error_of([] { encode("ACD1EF", "sp|P1"); }), "sequence 'sp|P1': invalid residue '1' at position 4");
  EXPECT_EQ(error_of([] { encode("AC-D", "q"); }), "sequence 'q': invalid residue '-' at position 3");
  EXPECT_EQ(error_of([] { encode(std::string("AC\x01", 3), "q"); }),
            "sequence 'q': invalid residue byte 0x01 at position 3");
  EXPECT_EQ(error_of([] { encode("A\xC3\xA9", "q"); }), "sequence 'q': invalid residue byte 0xC3 at position 2");
  EXPECT_EQ(error_of([] { encode("A C", "q"); }), "sequence 'q': invalid residue ' ' at position 2");
}

TEST(Fasta, ReadsRecordsKeepsEmptyOnesAndStripsLineBreaks) {
  const auto records = parse_fasta(">a first one\nACDE\r\nFG\n\n>empty\n>b\n  ac de \n;comment\n>c\n*\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].name, "a");
  EXPECT_EQ(records[0].description, "first one");
  EXPECT_EQ(records[0].sequence, "ACDEFG");
  EXPECT_EQ(records[1].name, "empty");
  EXPECT_EQ(records[1].sequence, "");
  EXPECT_EQ(records[2].sequence, "acde");
  EXPECT_EQ(records[3].sequence, "*");
  EXPECT_TRUE(parse_fasta("").empty());
  EXPECT_TRUE(parse_fasta("\n\n").empty());
}

TEST(Fasta, MalformedInputFailsWithFileLineAndReason) {
  EXPECT_EQ(error_of([] { parse_fasta("ACDE\n>a\nAC\n", "db.fa"); }),
            "db.fa:1: sequence data before the first '>' header (is this a FASTA file?)");
  EXPECT_EQ(error_of([] { parse_fasta(">a\nAC\n>\nAC\n", "db.fa"); }), "db.fa:3: header '>' has no sequence name");
  EXPECT_EQ(error_of([] { parse_fasta(">a\nAC\n>b x\nAC\nA9C\n", "db.fa"); }),
            "db.fa:5: sequence 'b' (header on line 3): invalid residue '9' at position 4");
  EXPECT_EQ(error_of([] { parse_fasta(std::string(">a\nA\0C\n", 7), "db.fa"); }),
            "db.fa:2: sequence 'a' (header on line 1): invalid residue byte 0x00 at position 2");
  EXPECT_THROW(read_fasta("/nonexistent/db.fa"), FileError);
  EXPECT_EQ(error_of([] { read_fasta(SWL_SOURCE_DIR); }), "'" SWL_SOURCE_DIR "' is a directory, not a FASTA file");
}

TEST(Database, KeepsEveryRecordInOrderWithLengths) {
  const Database db = Database::from_records(parse_fasta(">x\nAAA\n>y\n>z\nCCCCC\n"));
  ASSERT_EQ(db.size(), 3u);
  EXPECT_EQ(db.names(), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(db.length(0), 3u);
  EXPECT_EQ(db.length(1), 0u);
  EXPECT_EQ(db.total_residues(), 8u);
  EXPECT_EQ(db.max_length(), 5u);
  EXPECT_EQ(*db.longest_first(), (std::vector<std::uint32_t>{2, 0, 1}));
  EXPECT_EQ(db.prefix(2).size(), 2u);
  EXPECT_EQ(db.prefix(2).total_residues(), 3u);
  const std::vector<std::uint32_t> picked = {2, 0};
  const DatabaseView view(db, picked);
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view.index(0), 2u);
  EXPECT_EQ(view.length(0), 5u);
  EXPECT_EQ(view.sequence(1).data(), db.sequence(0).data());  // the database's own residues, not a copy
  const DatabaseView all(db);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.index(2), 2u);
  EXPECT_EQ(all.length(1), 0u);
}

// Residue buffers of 2 MiB and more start on a 2 MiB boundary (huge-page
// advice covers whole huge pages), however the database was built: added
// record by record, or parsed and taken from a parser, with and without a
// reserve. Small ones are ordinary allocations. The residues read back as
// written either way.
TEST(Database, LargeResidueBuffersAreHugePageAligned) {
  constexpr std::size_t kHuge = HugePageAllocator<std::uint8_t>::kHugePage;
  const auto aligned = [](const Database& db) {
    return reinterpret_cast<std::uintptr_t>(db.sequence(0).data()) % kHuge == 0;
  };
  std::string big(3 * kHuge / 2, 'A');
  big.front() = 'W';
  big.back() = 'Y';
  const std::vector<std::uint8_t> codes = encode(big);

  Database added;
  added.add("big", big);
  added.add("small", "CW");
  EXPECT_TRUE(aligned(added));
  EXPECT_TRUE(std::ranges::equal(added.sequence(0), codes));
  EXPECT_TRUE(std::ranges::equal(added.sequence(1), encode("CW")));

  for (const std::size_t reserve : {std::size_t{0}, big.size() + 16}) {
    FastaParser parser("x.fa", FastaParser::Keep::codes);
    if (reserve > 0) parser.reserve(reserve);
    parser.feed(">big\n");
    for (std::size_t i = 0; i < big.size(); i += 4096) parser.feed(std::string_view(big).substr(i, 4096));
    parser.feed("\n>small\nCW\n");
    parser.finish();
    const Database parsed = parser.take_database();
    EXPECT_TRUE(aligned(parsed)) << "reserve " << reserve;
    EXPECT_TRUE(std::ranges::equal(parsed.sequence(0), codes));
    EXPECT_TRUE(std::ranges::equal(parsed.sequence(1), encode("CW")));
  }

  HugePageAllocator<std::uint8_t> allocator;
  std::uint8_t* small = allocator.allocate(100);
  small[99] = 7;
  EXPECT_EQ(small[99], 7);
  allocator.deallocate(small, 100);
}

// Sorted once per database, not per search: the same order object until a
// record is added, and then the new record takes its place in it. Several
// threads asking at once share one sort.
TEST(Database, LongestFirstIsSortedOnceAndFollowsAddedRecords) {
  Database db;
  db.add("short", "AC");
  db.add("long", "ACDEF");
  const auto first = db.longest_first();
  EXPECT_EQ(db.longest_first(), first);
  EXPECT_EQ(*first, (std::vector<std::uint32_t>{1, 0}));
  const Database copy = db;
  EXPECT_EQ(copy.longest_first(), first);

  db.add("longest", "ACDEFGH");
  EXPECT_EQ(*db.longest_first(), (std::vector<std::uint32_t>{2, 1, 0}));
  EXPECT_EQ(*first, (std::vector<std::uint32_t>{1, 0}));  // what a search already holds stays valid
  EXPECT_EQ(*copy.longest_first(), (std::vector<std::uint32_t>{1, 0}));

  Database fresh;
  for (int i = 0; i < 200; ++i) fresh.add(std::to_string(i), std::string(1 + (i * 37) % 50, 'A'));
  std::vector<std::shared_ptr<const std::vector<std::uint32_t>>> seen(4);
  std::vector<std::thread> threads;
  for (auto& slot : seen) threads.emplace_back([&fresh, &slot] { slot = fresh.longest_first(); });
  for (auto& thread : threads) thread.join();
  for (const auto& order : seen) EXPECT_EQ(order, seen.front());
  ASSERT_EQ(seen.front()->size(), 200u);
  EXPECT_TRUE(std::is_sorted(seen.front()->begin(), seen.front()->end(),
                             [&](std::uint32_t a, std::uint32_t b) { return fresh.length(a) > fresh.length(b); }));
}

TEST(Fasta, LoneCarriageReturnsEndLinesAndCrlfStillWorks) {
  // Regression: "\r" alone (old Mac line ends) used to leave the whole file on one header line.
  const auto classic = parse_fasta(">s1\rACDE\r>s2 two\rWWWW\r");
  ASSERT_EQ(classic.size(), 2u);
  EXPECT_EQ(classic[0].name, "s1");
  EXPECT_EQ(classic[0].sequence, "ACDE");
  EXPECT_EQ(classic[1].description, "two");
  EXPECT_EQ(classic[1].sequence, "WWWW");
  const auto windows = parse_fasta(">s1\r\nAC\r\nDE\r\n>s2\r\nWW\r\n");
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].sequence, "ACDE");
  // Line numbers count CRLF as one line end and a lone CR as one.
  EXPECT_EQ(error_of([] { parse_fasta(">a\r\nAC\r\nA9\r\n", "w.fa"); }),
            "w.fa:3: sequence 'a' (header on line 1): invalid residue '9' at position 4");
  EXPECT_EQ(error_of([] { parse_fasta(">a\rAC\rA9\r", "m.fa"); }),
            "m.fa:3: sequence 'a' (header on line 1): invalid residue '9' at position 4");
}

TEST(Fasta, PiecesSplitAnywhereReadAsTheWhole) {
  const std::string text = ">a first\r\nACDE\r\nFG\n\n>empty\r>b\n  ac de \n;comment\n>c\r\n*";
  const auto whole = parse_fasta(text);
  ASSERT_EQ(whole.size(), 4u);
  for (std::size_t piece = 1; piece <= 5; ++piece) {
    FastaParser parser("x.fa");
    std::vector<FastaRecord> records;
    for (std::size_t i = 0; i < text.size(); i += piece) {
      parser.feed(std::string_view(text).substr(i, piece));
      for (auto& record : parser.take_records()) records.push_back(std::move(record));
    }
    parser.finish();
    for (auto& record : parser.take_records()) records.push_back(std::move(record));
    ASSERT_EQ(records.size(), whole.size()) << "piece " << piece;
    for (std::size_t r = 0; r < whole.size(); ++r) {
      EXPECT_EQ(records[r].name, whole[r].name);
      EXPECT_EQ(records[r].description, whole[r].description);
      EXPECT_EQ(records[r].sequence, whole[r].sequence) << "piece " << piece << " record " << r;
    }
  }
}

TEST(Fasta, DatabaseChunksTakenAnywhereHoldTheWholeFileRecordForRecord) {
  // Titles as written from the name on (blastp's stitle): inner and trailing
  // blanks kept; descriptions trimmed; lowercase encoded; an empty record.
  const std::string text =
      ">a  first\tone  \r\nACDE\r\nFG\n\n>empty\r>b\n  ac de \n;comment\n>c only\r\n*\n>d\nWWWWWWWWWW\nYYYY";
  const auto records = parse_fasta(text);
  ASSERT_EQ(records.size(), 5u);
  for (std::size_t piece = 1; piece <= 7; ++piece) {
    FastaParser parser("x.fa", FastaParser::Keep::codes);
    parser.reserve(4);
    std::vector<Database> chunks;
    for (std::size_t i = 0; i < text.size(); i += piece) {
      parser.feed(std::string_view(text).substr(i, piece));
      if (parser.complete_records() > 0 && i % 3 == 0) chunks.push_back(parser.take_database());
    }
    parser.finish();
    chunks.push_back(parser.take_database());
    EXPECT_EQ(parser.complete_records(), 0u);
    EXPECT_EQ(parser.take_database().size(), 0u);
    std::size_t r = 0;
    for (const Database& db : chunks) {
      std::size_t longest = 0;
      for (std::size_t i = 0; i < db.size(); ++i, ++r) {
        ASSERT_LT(r, records.size());
        EXPECT_EQ(db.name(i), records[r].name) << "piece " << piece;
        EXPECT_EQ(db.description(i), records[r].description) << "piece " << piece;
        const auto codes = db.sequence(i);
        EXPECT_EQ(decode(codes.data(), codes.size()), encode_round_trip(records[r].sequence)) << "piece " << piece;
        longest = std::max(longest, codes.size());
        // The tail padding after the last residue, which vector loads may read.
        if (i + 1 == db.size()) {
          for (std::size_t k = 0; k < Database::kTailPadding; ++k) ASSERT_EQ(codes.data()[codes.size() + k], 0);
        }
      }
      EXPECT_EQ(db.max_length(), longest);
    }
    EXPECT_EQ(r, records.size()) << "piece " << piece;
  }
  const Database whole = read_fasta_database_of(text);
  EXPECT_EQ(whole.title(0), "a  first\tone  ");
  EXPECT_EQ(whole.description(0), "first\tone");
  EXPECT_EQ(whole.title(1), "empty");
  EXPECT_EQ(whole.description(1), "");
  EXPECT_EQ(whole.title(3), "c only");
  EXPECT_EQ(whole.length(2), 4u);
  const Database from_records = Database::from_records(records);
  EXPECT_EQ(from_records.title(0), "a first\tone");  // rebuilt from name and description
  EXPECT_EQ(from_records.title(1), "empty");
}

TEST(Fasta, ParserKeepsOneKindOfResidues) {
  FastaParser letters("x.fa");
  EXPECT_THROW(letters.take_database(), std::logic_error);
  FastaParser codes("x.fa", FastaParser::Keep::codes);
  EXPECT_THROW(codes.take_records(), std::logic_error);
  codes.feed(">a\nA9");
  EXPECT_EQ(error_of([&] { codes.finish(); }), "x.fa:2: sequence 'a' (header on line 1): invalid residue '9' at position 2");
}

TEST(Fasta, ReaderGivesBoundedChunksInFileOrder) {
  const std::string path = ::testing::TempDir() + "swl_chunks.fa";
  {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr);
    for (int i = 0; i < 1000; ++i) std::fprintf(file, ">r%d\nACDEFGHIKL\n", i);
    std::fclose(file);
  }
  FastaReader reader(path);
  std::size_t seen = 0;
  std::size_t chunks = 0;
  while (true) {
    const auto chunk = reader.next_chunk(95);
    if (chunk.empty()) break;
    ++chunks;
    EXPECT_LE(chunk.size(), 10u);
    for (const auto& record : chunk) {
      std::string expected = "r";
      expected += std::to_string(seen++);
      EXPECT_EQ(record.name, expected);
    }
  }
  EXPECT_EQ(seen, 1000u);
  EXPECT_GT(chunks, 10u);
  EXPECT_EQ(read_fasta(path).size(), 1000u);
  const Database db = Database::from_fasta(path);
  ASSERT_EQ(db.size(), 1000u);
  EXPECT_EQ(db.name(999), "r999");
  EXPECT_EQ(db.total_residues(), 10000u);
  std::remove(path.c_str());
}

TEST(Fasta, ReadErrorIsAnErrorNotAnEmptyFile) {
  // Regression: a failed read(2) (here EIO at offset 0 of /proc/self/mem) used to end the file quietly.
  try {
    read_fasta("/proc/self/mem");
    FAIL() << "no error";
  } catch (const FileError& e) {
    EXPECT_EQ(std::string(e.what()), "error reading FASTA file '/proc/self/mem': Input/output error");
    EXPECT_EQ(e.error_number, EIO);
  }
}

}  // namespace
}  // namespace swl
