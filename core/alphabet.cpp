#include "alphabet.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.hpp"

namespace swl {

namespace {

constexpr std::array<std::int8_t, 256> make_code_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int code = 0; code < kAlphabetSize; ++code) {
    const auto letter = static_cast<unsigned char>(kAlphabet[code]);
    table[letter] = static_cast<std::int8_t>(code);
    if (letter >= 'A' && letter <= 'Z') table[letter - 'A' + 'a'] = static_cast<std::int8_t>(code);
  }
  return table;
}

constexpr auto kCodeTable = make_code_table();

constexpr bool every_letter_has_a_code() {
  for (int c = 'A'; c <= 'Z'; ++c) {
    if (kCodeTable[c] < 0 || kCodeTable[c - 'A' + 'a'] != kCodeTable[c]) return false;
  }
  return true;
}
static_assert(every_letter_has_a_code(), "a letter without a code would be an error instead of a residue");

}  // namespace

[[noreturn]] void throw_file_error(const std::string& action, const std::string& path) {
  const int error_number = errno;
  std::string message = action + " '" + path + "'";
  if (error_number != 0) message += ": " + std::string(std::strerror(error_number));
  throw FileError(message, error_number);
}

std::string describe_byte(unsigned char c) {
  char buffer[16];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buffer, sizeof buffer, "'%c'", c);
  } else {
    std::snprintf(buffer, sizeof buffer, "byte 0x%02X", c);
  }
  return buffer;
}

int residue_code(unsigned char c) noexcept { return kCodeTable[c]; }

std::vector<std::uint8_t> encode(std::string_view sequence, std::string_view name) {
  std::vector<std::uint8_t> codes(sequence.size());
  for (std::size_t i = 0; i < sequence.size(); ++i) {
    const auto byte = static_cast<unsigned char>(sequence[i]);
    const int code = kCodeTable[byte];
    if (code < 0) {
      throw InputError("sequence '" + std::string(name) + "': invalid residue " + describe_byte(byte) +
                       " at position " + std::to_string(i + 1));
    }
    codes[i] = static_cast<std::uint8_t>(code);
  }
  return codes;
}

std::string decode(const std::uint8_t* codes, std::size_t length) {
  std::string text(length, 'X');
  for (std::size_t i = 0; i < length; ++i) text[i] = codes[i] < kAlphabetSize ? kAlphabet[codes[i]] : '?';
  return text;
}

}  // namespace swl
