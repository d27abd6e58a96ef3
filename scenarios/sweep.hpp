// Running many schedules of one scenario: seeds in parallel on J threads,
// a wall-time budget, and deterministic sharding.
//
// Results come back in seed order whatever the number of threads, so a
// report does not depend on --jobs. A shard K/N takes the seeds s with
// s % N == K - 1: the N shards of a sweep partition its seeds exactly, and
// each shard's output is the same on any machine.
//
// Memory does not grow with the number of seeds: the seeds are enumerated
// as they are handed out, and with SweepOptions::on_run each result is
// passed on as soon as the seeds before it are done (at most a few results
// per thread wait for a slower seed), so 10^8 seeds stream in flat memory.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/runner.hpp"
#include "sim/dfs.hpp"

namespace otpsim::scenarios {

class Shard {
 public:
  Shard() = default;
  Shard(std::uint64_t index_, std::uint64_t count_) : index(index_), count(count_) {}
  std::uint64_t index = 1;  // 1-based, as CI matrices and array jobs number them
  std::uint64_t count = 1;
  bool takes(std::uint64_t seed) const { return seed % count == index - 1; }
  /// How many of the seeds base .. base + seeds - 1 this shard takes, and
  /// the first of them (counts past 2^64 are computed exactly).
  std::uint64_t count_in(std::uint64_t base, std::uint64_t seeds) const;
  std::uint64_t first_in(std::uint64_t base) const;
  /// "K/N" with 1 <= K <= N; nullopt (and `error`) otherwise.
  static std::optional<Shard> parse(std::string_view text, std::string& error);
};

/// One schedule's summary: enough for a report line and for merging.
class SeedResult {
 public:
  std::uint64_t seed = 0;
  sim::RunResult result;
  std::vector<PropertyVerdict> verdicts;
  std::string token;
  double wall_s = 0;
  bool unexpected() const;
  bool any_violation() const;
};

class SweepOptions {
 public:
  SweepOptions() = default;
  std::uint64_t seed_base = 0;
  std::uint64_t seeds = 100;  // seeds seed_base .. seed_base + seeds - 1, before sharding
  Shard shard;
  unsigned jobs = 1;
  double budget_s = 0;        // stop starting new seeds after this much wall time; 0: none
  /// Called after each finished seed (from the coordinating thread's view:
  /// serialised), e.g. to draw a progress line.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  /// dfs only: keep a run that violated nothing (and was not cut off) as
  /// counts in SweepResult::folded instead of a SeedResult of its own, so
  /// memory stays that of one path however many interleavings are explored.
  bool fold_held_runs = false;
  /// If set, each run is handed here as soon as every run before it is
  /// done (in seed order; dfs: in exploration order), on one thread at a
  /// time, and SweepResult::runs stays empty: memory stays flat however
  /// many seeds. Unset: the runs are collected in SweepResult::runs.
  std::function<void(SeedResult&&)> on_run;
  /// If set and it becomes true (a signal handler, say), no new seed
  /// starts; the runs that finished are still handed over, in order.
  const std::atomic<bool>* cancel = nullptr;
};

/// True if `outcome` means the run was cut off by a limit (steps, simulated
/// time, a mailbox) before its workload finished: its verdicts are those of
/// a partial run, and a report must not count it as a pass.
bool cut_off(sim::Outcome outcome);

/// Runs that violated no property, kept as counts (SweepOptions::fold_held_runs).
class FoldedRuns {
 public:
  std::uint64_t count = 0;
  std::uint64_t steps = 0;
  sim::Micros sim_time_max_us = 0;
  double wall_s = 0;
  std::vector<PropertyVerdict> verdicts;  // the properties judged (all held), from the first such run
};

/// What a dfs exploration covered.
class DfsStats {
 public:
  std::uint64_t interleavings = 0;  // runs explored to their end
  std::uint64_t pruned = 0;         // runs cut by a sleep set (redundant)
  bool exhausted = false;           // every interleaving class explored
  bool bounded = false;             // ...up to the preemption bound only
  std::string reduction;
  std::string error;                // a nondeterministic model
};

class SweepResult {
 public:
  std::vector<SeedResult> runs;  // in seed order (dfs: in exploration order, seed = run number); empty with on_run
  FoldedRuns folded;             // dfs with fold_held_runs: the held runs not in `runs`
  double wall_s = 0;
  bool budget_hit = false;
  bool cancelled = false;        // SweepOptions::cancel stopped it
  std::uint64_t planned = 0;     // the seeds this shard was to run (dfs: the cap)
  std::uint64_t ran = 0;         // the runs that finished (handed over or collected, folded included)
  std::optional<DfsStats> dfs;
};

/// Runs the seeds without traces. To show a run, re-run its seed with
/// run_once and a full trace: the same seed gives the same run.
///
/// Under `dfs` the runs are the interleavings the explorer visits, one
/// after another on one thread (each run depends on the ones before);
/// `seeds` caps how many, and a shard other than 1/1 is an error the caller
/// must rule out. Replay a dfs run from its token.
SweepResult sweep(const ScenarioSpec& spec, const SweepOptions& options);

/// The dfs options a spec asks for.
sim::DfsOptions dfs_options(const ScenarioSpec& spec);

}  // namespace otpsim::scenarios
