// Reordering scenarios (../README.md, "Reorderings Erlang allows"): small
// programs where Erlang's signal-ordering guarantee (per (sender, receiver)
// pair, nothing else) allows an outcome that the BEAM on one node shows
// rarely or never. Each program records one outcome line; reorder_test.cpp
// enumerates every interleaving with sim::DfsExplorer and asserts that
// under async delivery both the causal outcome and the reordered one are
// reachable, and that under instant delivery only the causal one is. The
// beam/reorder/*.exs scripts try to provoke the reordered outcome on the
// real BEAM.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/effect.hpp"
#include "sim/kernel.hpp"

namespace otpsim::conformance::reorder {

/// Reads the outcome after the run.
using Finish = std::function<std::string()>;
/// Spawns the program's processes on a fresh kernel.
using Program = std::function<Finish(sim::Kernel&)>;

class ReorderScenario {
 public:
  ReorderScenario(std::string name_, std::string what_, Program program_, std::string causal_, std::string reordered_)
      : name(std::move(name_)), what(std::move(what_)), program(std::move(program_)), causal(std::move(causal_)),
        reordered(std::move(reordered_)) {}
  std::string name;
  std::string what;       // one line: the pattern
  Program program;
  std::string causal;     // the outcome one BEAM node shows (and instant delivery, only)
  std::string reordered;  // the outcome Erlang's guarantee also allows
};

const std::vector<ReorderScenario>& reorder_scenarios();

class Enumerated {
 public:
  std::set<std::string> outcomes;
  std::uint64_t runs = 0;    // complete runs (one per explored interleaving class)
  bool exhausted = false;    // dfs explored the whole space
  std::string error;         // a run that did not end quiescent, or a dfs error
};

/// Every interleaving of `program` under `delivery` (dfs, Optimal-DPOR), up
/// to `max_runs` complete runs.
Enumerated enumerate(const Program& program, sim::Delivery delivery, std::uint64_t max_runs = 200'000);

}  // namespace otpsim::conformance::reorder
