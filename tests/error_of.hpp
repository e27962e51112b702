// The message an action throws, so tests can assert exact error texts.
#pragma once

#include <exception>
#include <functional>
#include <string>

namespace swl::testing_support {

inline std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace swl::testing_support
