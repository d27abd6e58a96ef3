// Shrinking a scenario's counterexample: from a run that violates a
// property, the smallest run found that violates the same property, by
// shrinking its choice sequence (sim/shrink.hpp): the schedule and the
// faults chosen by probability together. Smallest means the fewest
// preemptions (sim/preemption.hpp), then the earliest violation step: the
// choices are edited in the relative encoding, where 0 lets the running
// process go on. The shrunk run has its own replay token (strategy
// "shrink"), which `otpsim replay` runs like any other. Shrinking the
// scenario itself (fewer clients, calls, faults) is shrink_scenario.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/runner.hpp"
#include "sim/replay_token.hpp"

namespace otpsim::scenarios {

class ShrunkRun {
 public:
  std::string token;                 // replays the shrunk run
  std::uint64_t steps = 0;           // steps of the shrunk run
  std::uint64_t violation_step = 0;  // the step at which the property is violated in it
  std::uint64_t original_violation_step = 0;
  std::uint64_t preemptions = 0;           // of the shrunk run
  std::uint64_t original_preemptions = 0;  // of the given run
  std::uint64_t attempts = 0;        // runs the shrinker tried
  std::string message;               // the shrunk run's counterexample
  bool budget_hit = false;           // stopped at budget_s, not because nothing shrank further
};

/// The steps of the run `token` records that happen before step `step`
/// (sim/causality.hpp), `step` included, ascending.
std::vector<std::uint64_t> causal_slice_of(const ScenarioSpec& spec, const sim::ReplayToken& token, std::uint64_t step);

/// Shrinks the run `token` records (a run of `spec` that violates
/// `property`). nullopt if the token's run does not violate it. Tries at
/// most `max_attempts` candidate runs and, if `budget_s` > 0, starts none
/// after budget_s seconds of wall time (the smallest run found by then is
/// the result, and ShrunkRun::budget_hit says so): a candidate whose
/// schedule no longer reaches the violation may run to steps_max, and
/// thousands of those would otherwise take hours.
std::optional<ShrunkRun> shrink_violation(const ScenarioSpec& spec, const std::string& property,
                                          const sim::ReplayToken& token, std::uint64_t max_attempts = 4000,
                                          double budget_s = 0);

}  // namespace otpsim::scenarios
