// The one list of compiled rungs, in ladder order. The list itself is
// generated from the swl_stage() lines of CMakeLists.txt and compiled with
// the rungs (the core names none of them); the harness, benchmarks, bindings
// and CLI all iterate over it.
#pragma once

#include <string_view>
#include <vector>

#include "stage.hpp"

namespace swl {

const std::vector<const Stage*>& registry();
const Stage* find_stage(std::string_view name);  // nullptr if unknown
const Stage& get_stage(std::string_view name);   // InputError listing the names if unknown

// The reference rung: the one whose is_reference() is true.
const Stage& reference_stage();
// The stage a stage is checked against: the registry's reference rung (the
// one whose is_reference() is true), and for that rung itself the rung just
// below it in the ladder. Throws std::logic_error if the registry has no
// reference, or the reference is the first rung.
const Stage& reference_for(const Stage& stage);

}  // namespace swl
