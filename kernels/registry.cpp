#include "registry.hpp"

#include "errors.hpp"

namespace swl {

namespace stages {
#define SWL_STAGE(id) const Stage& id();
#include "swl_stage_list.inc"
#undef SWL_STAGE
}  // namespace stages

const std::vector<const Stage*>& registry() {
  static const std::vector<const Stage*> all = {
#define SWL_STAGE(id) &stages::id(),
#include "swl_stage_list.inc"
#undef SWL_STAGE
  };
  return all;
}

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

}  // namespace swl
