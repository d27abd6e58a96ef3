// `dfs`: bounded exhaustive exploration (stateless model checking, as in
// VeriSoft, CHESS and Concuerror). Each run replays a prefix of choices and
// then takes the first choice not yet explored; after the run the explorer
// backtracks to the deepest choice point with an alternative left. Data
// choices and probability faults are choice points too: dfs enumerates
// every answer.
//
// Reductions (DfsOptions::reduction):
// - none: every enabled step at every scheduling point;
// - sleep_sets (Godefroid 1996): after exploring step t at a point, t
//   sleeps in the sibling branches until a step dependent with t runs; a
//   run whose enabled steps all sleep is cut (it repeats an explored one);
// - dpor: dynamic partial-order reduction (Flanagan & Godefroid, POPL 2005)
//   with sleep sets: a point starts with one step to explore, and an
//   alternative is added only where a finished run shows a race (two
//   dependent steps of different processes not ordered by happens-before),
//   so only orders of dependent steps are explored.
// Dependence is sim/dependence.hpp. A preemption bound (CHESS) limits how
// often a run may switch away from a process that could go on; with a
// bound the space is exhausted only up to it (bounded() says if it cut).
//
//   DfsExplorer dfs(options);
//   while (auto strategy = dfs.next_run()) { run the program under *strategy; dfs.end_run(); }
//   dfs.interleavings(), dfs.exhausted()
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/strategy.hpp"

namespace otpsim::sim {

class DfsOptions {
 public:
  enum class Reduction : std::uint8_t { none, sleep_sets, dpor };
  DfsOptions() = default;
  /// sleep_sets: sound on every program tested; dpor explores far fewer
  /// runs but still misses outcomes on a few (docs/bug-finding.md).
  Reduction reduction = Reduction::sleep_sets;
  /// At most this many preemptions per run; nullopt: unbounded.
  std::optional<std::uint32_t> preemption_bound;
};

std::string_view reduction_name(DfsOptions::Reduction reduction);
std::optional<DfsOptions::Reduction> reduction_from_name(std::string_view name);

class DfsExplorer {
 public:
  explicit DfsExplorer(DfsOptions options);
  ~DfsExplorer();
  DfsExplorer(const DfsExplorer&) = delete;
  DfsExplorer& operator=(const DfsExplorer&) = delete;

  /// The strategy for the next run, or nullptr once the space is exhausted
  /// (or the explorer failed: error()). Use it for exactly one run, then
  /// call end_run() before asking for the next.
  std::unique_ptr<Strategy> next_run();
  /// Records the run that just ended and backtracks.
  void end_run();

  /// Runs that went to their end (one per explored interleaving class).
  std::uint64_t interleavings() const { return interleavings_; }
  /// Runs cut short because every enabled step was asleep (redundant).
  std::uint64_t pruned() const { return pruned_; }
  /// True if the last run was cut short by its sleep set: its result
  /// repeats an explored run's and is not a schedule of its own.
  bool last_run_pruned() const { return last_pruned_; }
  /// No choice point has an alternative left.
  bool exhausted() const { return exhausted_; }
  /// The preemption bound kept some alternative from being explored.
  bool bounded() const { return bounded_; }
  /// Set if a replayed prefix did not reproduce (a nondeterministic model).
  const std::string& error() const { return error_; }

 private:
  class Run;
  friend class Run;
  struct Node;
  struct Executed;

  std::size_t pick(const SchedulePoint& point);
  std::uint64_t choose(std::uint64_t bound);
  void on_step(const StepInfo& step);
  bool asleep(Pid pid) const;
  bool preemption(const Node& node, std::size_t option) const;
  bool allowed(const Node& node, std::size_t option) const;
  void find_races();
  void add_backtrack(Node& node, std::size_t option);

  DfsOptions options_;
  std::vector<Node> path_;           // the choice points of the current run
  std::size_t cursor_ = 0;           // the next one this run reaches
  std::vector<StepInfo> sleep_;      // the current sleep set
  std::vector<Executed> executed_;   // this run's steps
  std::optional<std::size_t> chosen_node_;  // the node of the step being executed
  Pid last_pid_;
  std::uint64_t epoch_ = 0;  // simulated-time advances in this run
  std::uint32_t preemptions_ = 0;
  bool run_open_ = false;
  bool blocked_ = false;
  bool last_pruned_ = false;
  bool exhausted_ = false;
  bool bounded_ = false;
  std::uint64_t interleavings_ = 0;
  std::uint64_t pruned_ = 0;
  std::string error_;
};

}  // namespace otpsim::sim
