// What every harness does when an invariant breaks: print the case, then trap,
// so libFuzzer saves the input as a crash artifact.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace swl::fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "\n==== swladder fuzz invariant broken ====\n%s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace swl::fuzz

// Fails with `message` (any std::string expression) when `condition` is
// false; the message is only built then, so checks cost nothing per byte.
#define SWL_FUZZ_CHECK(condition, message) \
  do {                                     \
    if (!(condition)) ::swl::fuzz::fail(message); \
  } while (false)

namespace swl::fuzz {

// A byte string for a message, with control bytes escaped.
inline std::string printable(std::string_view text);

// What every InputError must be: a message that names the input (starts
// with `source`) on one line (no CR or LF).
inline void check_error_message(std::string_view message, std::string_view source) {
  SWL_FUZZ_CHECK(message.starts_with(source), "error message does not name the input: " + printable(message));
  SWL_FUZZ_CHECK(message.find_first_of("\r\n") == std::string_view::npos,
                 "error message is not one line: " + printable(message));
}

// A byte string for a message, with control bytes escaped.
inline std::string printable(std::string_view text) {
  std::string out;
  char buffer[8];
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
      out += buffer;
    }
  }
  return out;
}

}  // namespace swl::fuzz
