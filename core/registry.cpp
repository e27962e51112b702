#include "registry.hpp"

#include <stdexcept>

#include "errors.hpp"

namespace swl {

const Stage* find_stage(std::string_view name) {
  for (const Stage* stage : registry()) {
    if (stage->name() == name) return stage;
  }
  return nullptr;
}

const Stage& get_stage(std::string_view name) {
  if (const Stage* stage = find_stage(name)) return *stage;
  std::string known;
  for (const Stage* stage : registry()) known += (known.empty() ? "" : ", ") + std::string(stage->name());
  throw InputError("unknown stage '" + std::string(name) + "' (stages: " + known + ")");
}

const Stage& reference_stage() {
  for (const Stage* stage : registry()) {
    if (stage->is_reference()) return *stage;
  }
  throw std::logic_error("no rung of the registry is the reference");
}

const Stage& reference_for(const Stage& stage) {
  const auto& all = registry();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!all[i]->is_reference()) continue;
    if (all[i] != &stage) return *all[i];
    if (i == 0) throw std::logic_error("the reference rung is the first rung: nothing to check it against");
    return *all[i - 1];
  }
  throw std::logic_error("no rung of the registry is the reference");
}

}  // namespace swl
