// Built-in kernel programs: small process systems that exercise the kernel
// (messages, races for a name, links and restarts, table ownership,
// timeouts). They are what `otpsim run` runs until the scenario library of
// the trio exists, and each carries a check of what must hold in every
// interleaving.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "sim/simulation.hpp"

namespace otpsim::scenarios {

struct KernelProgram {
  sim::Program program;
  /// Runs after the run; returns why the run is wrong, or nullopt.
  std::function<std::optional<std::string>(sim::Kernel&)> check;
};

/// All built-in programs, in name order.
const std::vector<KernelProgram>& kernel_programs();
const KernelProgram* find_kernel_program(std::string_view name);

}  // namespace otpsim::scenarios
