// The one list of compiled rungs, in ladder order. It is generated from the
// swl_stage() lines of CMakeLists.txt; the harness, benchmarks, bindings and
// CLI all iterate over it.
#pragma once

#include <string_view>
#include <vector>

#include "stage.hpp"

namespace swl {

const std::vector<const Stage*>& registry();
const Stage* find_stage(std::string_view name);  // nullptr if unknown
const Stage& get_stage(std::string_view name);   // InputError listing the names if unknown

}  // namespace swl
