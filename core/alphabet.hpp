// The protein alphabet shared by every rung: the 24 NCBI letters in the order
// the substitution matrices use, and the one place where text becomes codes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swl {

inline constexpr std::string_view kAlphabet = "ARNDCQEGHILKMFPSTWYVBZX*";
inline constexpr int kAlphabetSize = 24;
inline constexpr std::uint8_t kCodeX = 22;     // unknown letters (U, O, J, ...) score as X
inline constexpr std::uint8_t kCodeStop = 23;  // '*'

// Maps one byte to its code, or -1 when the byte can never be a residue
// (digits, punctuation other than '*', control bytes, non-ASCII).
int residue_code(unsigned char c) noexcept;

// Encodes a sequence. Lowercase reads as uppercase; letters outside the 24
// read as X. Whitespace is *not* accepted here (FASTA lines strip it first).
// Throws InputError naming `name` and the 1-based position of a bad byte.
std::vector<std::uint8_t> encode(std::string_view sequence, std::string_view name = "query");

std::string decode(const std::uint8_t* codes, std::size_t length);

}  // namespace swl
