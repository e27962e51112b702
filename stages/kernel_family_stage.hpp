// What the SIMD rungs share as Stages: their kernels are one family of the
// dispatch table (kernels/dispatch_table.def), so the kernels they list, the
// requests they accept and the level a run gets all come from that family.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dispatch.hpp"
#include "stage.hpp"

namespace swl::stages {

class KernelFamilyStage : public Stage {
 public:
  // A function, not a reference: the family is built on first use.
  explicit KernelFamilyStage(const kernels::Family& (*family)()) : family_(family) {}
  std::vector<std::string> kernels() const override { return family_().runnable(); }
  bool names_kernel(std::string_view kernel) const override { return family_().has(kernel); }

 protected:
  std::string choose_kernel(std::string_view requested) const override {
    return family_().choose(requested, name()).name;
  }
  // The kernel (and its level) of a name that choose_kernel returned (or any request).
  const kernels::KernelRef& kernel_of(std::string_view kernel) const { return family_().choose(kernel, name()); }
  kernels::Level level_of(std::string_view kernel) const { return kernel_of(kernel).level; }

 private:
  const kernels::Family& (*family_)();
};

}  // namespace swl::stages
