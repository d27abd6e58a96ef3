// Soundness of dfs, measured: random small programs over the whole kernel
// (in-flight signals, selective receive with and without timeouts, links,
// monitors, exit signals, deaths, tables and data choices), each enumerated
// by a brute-force odometer independent of dfs.cpp, and the set of outcomes
// a dfs reduction reaches compared with the brute-force set. Used by the
// suite (sim/soundness.test.cpp: a few hundred programs) and by
// bench/soundness.cpp (10,000 and more, printing the miss count).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "sim/dfs.hpp"
#include "sim/kernel.hpp"

namespace otpsim::sim::soundness {

/// How to read a program's outcome once its run has ended.
using Finish = std::function<std::string()>;
/// A program: spawns its roots on a fresh kernel (and may attach an
/// observer); returns how to read the outcome. Called once per run.
using Program = std::function<Finish(Kernel&)>;

/// What one enumeration found.
struct Enumerated {
  std::set<std::string> outcomes;
  std::uint64_t runs = 0;       // complete runs
  std::uint64_t pruned = 0;     // dfs: runs cut short (sleep-set blocked)
  bool finished = false;        // the whole space, within the run budget
  std::string error;            // dfs: its error (nondeterminism), or a run that did not end quiescent
};

/// Every schedule and data answer, by an odometer over the choice log.
Enumerated brute_force(const Program& program, Delivery delivery, std::uint64_t max_runs);
/// dfs with `options` to exhaustion, or `max_runs` complete runs.
Enumerated explore(const Program& program, Delivery delivery, const DfsOptions& options, std::uint64_t max_runs);

/// A random program of 3 processes with 1 to `max_ops` operations each.
Program random_program(std::uint64_t seed, int max_ops = 3);
/// Its operations, one line (for a report).
std::string describe(std::uint64_t seed, int max_ops = 3);

/// One program checked: the reduction's outcomes against brute force.
struct Verdict {
  bool compared = false;     // brute force finished within its budget
  bool miss = false;         // dfs missed an outcome brute force reached
  bool extra = false;        // dfs reached an outcome brute force never did (a harness bug)
  std::uint64_t all_runs = 0;
  std::uint64_t dfs_runs = 0;
  std::uint64_t dfs_pruned = 0;
  std::string detail;        // on a miss: the outcomes missed
};
Verdict check(const Program& program, Delivery delivery, const DfsOptions& options, std::uint64_t brute_force_budget);

}  // namespace otpsim::sim::soundness
