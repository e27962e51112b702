// The protein alphabet shared by every rung: the 24 NCBI letters in the order
// the substitution matrices use, then U, O and J, and the one place where text
// becomes codes. U, O and J get codes of their own (rather than reading as X)
// so that they come back as themselves in output and never count as identical
// to the letter whose scores they borrow (see ScoreMatrix for the rule).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swl {

inline constexpr std::string_view kAlphabet = "ARNDCQEGHILKMFPSTWYVBZX*UOJ";
inline constexpr int kAlphabetSize = 27;
// The letters of NCBI matrix files, codes 0..23.
inline constexpr int kNcbiLetters = 24;
inline constexpr std::uint8_t kCodeX = 22;
inline constexpr std::uint8_t kCodeStop = 23;  // '*'
inline constexpr std::uint8_t kCodeU = 24;     // selenocysteine
inline constexpr std::uint8_t kCodeO = 25;     // pyrrolysine
inline constexpr std::uint8_t kCodeJ = 26;     // leucine or isoleucine

// Maps one byte to its code, or -1 when the byte can never be a residue
// (digits, punctuation other than '*', control bytes, non-ASCII).
int residue_code(unsigned char c) noexcept;

// Encodes a sequence. Lowercase reads as uppercase; every letter A-Z has a
// code of its own. Whitespace is *not* accepted here (FASTA lines strip it first).
// Throws InputError naming `name` and the 1-based position of a bad byte.
std::vector<std::uint8_t> encode(std::string_view sequence, std::string_view name = "query");

std::string decode(const std::uint8_t* codes, std::size_t length);

}  // namespace swl
