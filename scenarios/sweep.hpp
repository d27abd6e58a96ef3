// Running many schedules of one scenario: seeds in parallel on J threads,
// a wall-time budget, and deterministic sharding.
//
// Results come back in seed order whatever the number of threads, so a
// report does not depend on --jobs. A shard K/N takes the seeds s with
// s % N == K - 1: the N shards of a sweep partition its seeds exactly, and
// each shard's output is the same on any machine.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/runner.hpp"

namespace otpsim::scenarios {

class Shard {
 public:
  Shard() = default;
  Shard(std::uint64_t index_, std::uint64_t count_) : index(index_), count(count_) {}
  std::uint64_t index = 1;  // 1-based, as CI matrices and array jobs number them
  std::uint64_t count = 1;
  bool takes(std::uint64_t seed) const { return seed % count == index - 1; }
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
};

class SweepResult {
 public:
  std::vector<SeedResult> runs;  // in seed order
  double wall_s = 0;
  bool budget_hit = false;
};

/// Runs the seeds without traces. To show a run, re-run its seed with
/// run_once and a full trace: the same seed gives the same run.
SweepResult sweep(const ScenarioSpec& spec, const SweepOptions& options);

}  // namespace otpsim::scenarios
