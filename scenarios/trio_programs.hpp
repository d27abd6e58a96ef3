// Built-in programs over the Fly-tokens trio (core/tokens): workloads and
// crashes with a check of what must hold in every interleaving. They join
// the kernel programs in `otpsim run` until the TOML scenario library
// (issue 5) replaces both.
#pragma once

#include <vector>

#include "scenarios/kernel_programs.hpp"

namespace otpsim::scenarios {

/// The trio programs, in name order. Each run builds a fresh environment.
std::vector<KernelProgram> trio_programs();

}  // namespace otpsim::scenarios
