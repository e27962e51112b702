// Errors that cross into Python and the CLI. InputError becomes ValueError
// (CLI exit 2); FileError becomes FileNotFoundError.
#pragma once

#include <stdexcept>
#include <string>

namespace swl {

struct InputError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Formats a byte for an error message: printable ASCII as 'c', the rest as hex.
std::string describe_byte(unsigned char c);

}  // namespace swl
