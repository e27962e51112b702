// The BLAST database parsers on hand-made bytes (tests/python/test_blastdb.py
// reads what makeblastdb writes): what they accept, and that every cut or
// corrupt input is an InputError naming the file.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alphabet.hpp"
#include "blastdb.hpp"
#include "error_of.hpp"
#include "errors.hpp"

namespace {

using swl::blastdb::parse_alias;
using swl::blastdb::parse_deflines;
using swl::blastdb::parse_index;
using swl::testing_support::error_of;
using Bytes = std::vector<std::uint8_t>;

void put_u32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void put_string(Bytes& out, const std::string& text) {
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

// A protein index of sequences of these lengths.
Bytes make_index(int version, const std::vector<std::uint32_t>& lengths, std::uint32_t type = 1) {
  Bytes out;
  put_u32(out, static_cast<std::uint32_t>(version));
  put_u32(out, type);
  if (version == 5) put_u32(out, 0);
  put_string(out, "a title");
  if (version == 5) put_string(out, "db.pdb");
  put_string(out, std::string("Dec 7, 2026  6:15 PM") + (version == 5 ? std::string(2, '\0') : ""));
  put_u32(out, static_cast<std::uint32_t>(lengths.size()));
  std::uint64_t residues = 0;
  std::uint32_t longest = 0;
  for (auto length : lengths) {
    residues += length;
    longest = std::max(longest, length);
  }
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(residues >> (8 * i)));
  put_u32(out, longest);
  for (std::size_t i = 0; i <= lengths.size(); ++i) put_u32(out, static_cast<std::uint32_t>(10 * i));
  std::uint32_t offset = 1;
  put_u32(out, offset);
  for (auto length : lengths) put_u32(out, offset += length + 1);
  return out;
}

TEST(BlastIndex, ReadsVersions4And5) {
  for (int version : {4, 5}) {
    const auto index = parse_index(make_index(version, {3, 0, 7}), "x.pin");
    EXPECT_EQ(index.version, version);
    EXPECT_EQ(index.title, "a title");
    EXPECT_EQ(index.date, "Dec 7, 2026  6:15 PM");
    EXPECT_EQ(index.lmdb, version == 5 ? "db.pdb" : "");
    EXPECT_EQ(index.sequences, 3u);
    EXPECT_EQ(index.residues, 10u);
    EXPECT_EQ(index.max_length, 7u);
    EXPECT_EQ(index.sequence_offsets, (std::vector<std::uint32_t>{1, 5, 6, 14}));
  }
}

TEST(BlastIndex, EveryCutIsAnErrorNamingTheFile) {
  const Bytes whole = make_index(5, {3, 4});
  for (std::size_t size = 0; size < whole.size(); ++size) {
    const std::string message = error_of([&] { parse_index(std::span(whole.data(), size), "x.pin"); });
    EXPECT_EQ(message.rfind("x.pin: truncated", 0), 0u) << size << ": " << message;
  }
}

TEST(BlastIndex, RefusesWhatItCannotFollow) {
  Bytes bad = make_index(4, {3});
  bad[3] = 6;
  EXPECT_NE(error_of([&] { parse_index(bad, "x.pin"); }).find("version 6 is not read"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_index(make_index(4, {3}, 0), "x.pin"); }).find("nucleotide"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_index(make_index(4, {3}, 2), "x.pin"); }).find("type 2"), std::string::npos);
  Bytes flat = make_index(4, {3, 4});
  flat[flat.size() - 5] = flat[flat.size() - 9];  // the second sequence offset equals the first
  EXPECT_NE(error_of([&] { parse_index(flat, "x.pin"); }).find("sequence offsets do not increase"), std::string::npos);
  Bytes counted = make_index(4, {3, 4});
  counted[8 + 4 + 7 + 4 + 20 + 4] ^= 1;  // the residue count
  EXPECT_NE(error_of([&] { parse_index(counted, "x.pin"); }).find("disagrees"), std::string::npos);
}

// [n] { inner } with indefinite length, as makeblastdb writes it.
Bytes tagged(std::uint8_t first, const Bytes& inner) {
  Bytes out{first, 0x80};
  out.insert(out.end(), inner.begin(), inner.end());
  out.push_back(0);
  out.push_back(0);
  return out;
}

Bytes visible(const std::string& text) {
  Bytes out{0x1a, static_cast<std::uint8_t>(text.size())};
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

Bytes defline_set(const Bytes& title_value) {
  const Bytes local = tagged(0xa0, tagged(0xa1, visible("abc")));  // Seq-id local, Object-id str
  Bytes fields = tagged(0xa0, title_value);
  const Bytes ids = tagged(0xa1, tagged(0x30, local));
  fields.insert(fields.end(), ids.begin(), ids.end());
  const Bytes taxid = tagged(0xa2, Bytes{0x02, 0x02, 0x25, 0x86});
  fields.insert(fields.end(), taxid.begin(), taxid.end());
  return tagged(0x30, tagged(0x30, fields));
}

TEST(BlastDeflines, ReadsTitleSeqidAndTaxid) {
  const auto lines = parse_deflines(defline_set(visible("the title")), "x.phr");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].title, "the title");
  EXPECT_EQ(lines[0].seqids, (std::vector<std::string>{"lcl|abc"}));
  EXPECT_EQ(lines[0].taxid.value_or(-1), 9606);
  const auto title = swl::blastdb::record_title(lines[0]);
  EXPECT_EQ(title.title, "abc the title");
  EXPECT_EQ(title.name_length, 3u);
  // A definite long-form length reads as the short form does.
  Bytes long_form{0x1a, 0x81, 9};
  for (char c : std::string("the title")) long_form.push_back(static_cast<std::uint8_t>(c));
  EXPECT_EQ(parse_deflines(defline_set(long_form), "x.phr")[0].title, "the title");
}

TEST(BlastDeflines, EveryCutOrOverlongLengthIsAnErrorNamingTheFile) {
  const Bytes whole = defline_set(visible("the title"));
  for (std::size_t size = 0; size < whole.size(); ++size) {
    const std::string message = error_of([&] { parse_deflines(std::span(whole.data(), size), "x.phr"); });
    EXPECT_EQ(message.rfind("x.phr: bad def-line", 0), 0u) << size << ": " << message;
  }
  Bytes overlong = whole;
  overlong[7] = 0x7f;  // the title's VisibleString length
  EXPECT_NE(error_of([&] { parse_deflines(overlong, "x.phr"); }).find("runs past"), std::string::npos);
  Bytes deep;
  for (int i = 0; i < 40; ++i) deep.insert(deep.end(), {0x30, 0x80});
  EXPECT_NE(error_of([&] { parse_deflines(deep, "x.phr"); }).find("nested"), std::string::npos);
}

TEST(BlastAlias, ReadsTheKeysBlastpUses) {
  const auto alias = parse_alias("#\n# made by hand\n\nTITLE two dbs\r\nDBLIST \"a b\" c ../d\nNSEQ 12\nLENGTH 3400\n",
                                 "x.pal");
  EXPECT_EQ(alias.title, "two dbs");
  EXPECT_EQ(alias.dblist, (std::vector<std::string>{"a b", "c", "../d"}));
  EXPECT_EQ(alias.sequences.value_or(0), 12u);
  EXPECT_EQ(alias.residues.value_or(0), 3400u);
  EXPECT_FALSE(parse_alias("DBLIST a", "x.pal").sequences.has_value());
}

TEST(BlastAlias, RefusesKeysItDoesNotRead) {
  for (const std::string key : {"GILIST", "OIDLIST", "SEQIDLIST", "TAXIDLIST", "MEMB_BIT"}) {
    EXPECT_EQ(error_of([&] { parse_alias("DBLIST a\n" + key + " x\n", "x.pal"); }),
              "x.pal:2: alias key '" + key + "' is not supported (only TITLE, DBLIST, NSEQ and LENGTH are read)");
  }
  EXPECT_EQ(error_of([&] { parse_alias("TITLE t\n", "x.pal"); }), "x.pal: an alias file without a DBLIST");
  EXPECT_EQ(error_of([&] { parse_alias("DBLIST a\nDBLIST b\n", "x.pal"); }), "x.pal:2: DBLIST is given twice");
  EXPECT_EQ(error_of([&] { parse_alias("DBLIST \"a\n", "x.pal"); }), "x.pal:1: DBLIST has an unclosed quote");
  EXPECT_EQ(error_of([&] { parse_alias("DBLIST a\nNSEQ -3\n", "x.pal"); }), "x.pal:2: NSEQ is not a count: '-3'");
}

TEST(BlastResidues, NcbiStdaaMapsToTheProjectsCodes) {
  const std::string letters = "-ABCDEFGHIKLMNPQRSTVWXYZU*OJ";
  EXPECT_EQ(swl::blastdb::stdaa_code(0), -1);
  for (std::size_t byte = 1; byte < letters.size(); ++byte) {
    EXPECT_EQ(swl::blastdb::stdaa_code(static_cast<std::uint8_t>(byte)),
              swl::residue_code(static_cast<unsigned char>(letters[byte])))
        << letters[byte];
  }
  for (int byte = 28; byte < 256; ++byte) EXPECT_EQ(swl::blastdb::stdaa_code(static_cast<std::uint8_t>(byte)), -1);
}

}  // namespace
