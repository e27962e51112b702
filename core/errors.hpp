// Errors that cross into Python and the CLI. InputError becomes ValueError
// (CLI exit 2); FileError becomes FileNotFoundError, PermissionError or
// OSError by its errno (CLI exit 2 all the same).
#pragma once

#include <stdexcept>
#include <string>

namespace swl {

struct InputError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct FileError : std::runtime_error {
  FileError(const std::string& message, int errno_value = 0)
      : std::runtime_error(message), error_number(errno_value) {}
  int error_number;  // errno of the failed call (ENOENT, EACCES, ...); 0 if none
};

// A FileError for a failed open or read of `path`, with errno's own words:
// "cannot open FASTA file 'x': Permission denied". Reads errno; call it
// right after the call that failed.
[[noreturn]] void throw_file_error(const std::string& action, const std::string& path);

// Formats a byte for an error message: printable ASCII as 'c', the rest as hex.
std::string describe_byte(unsigned char c);

}  // namespace swl
