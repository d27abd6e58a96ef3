// Shrinking the scenario, not only the schedule (as rapidcheck and
// Hypothesis shrink a test's input): from a scenario and a seed whose run
// violates a property, a smaller scenario that still violates it.
//
// Greedy passes, big edits first, repeated until none is kept: drop faults
// (all, then each), drop clients (each [[client]]), lower count and repeat,
// drop calls, drop storage rows and per-app CLI overrides (first those of
// apps no call uses), lower times toward 0 (settle, start and every, fault
// times and heals, latencies, the CLI timeout), lower max_fires, after and
// at_step.
// Properties are never edited, except that only `property` is checked.
//
// A candidate is kept if it is a valid scenario (written with to_toml and
// parsed back: the same checks as a file) and the property is violated on
// one of a fixed list of seeds (the given one and seed_base .. seed_base+k-1,
// under the scenario's seeded strategy; random for dfs), in a run that is
// not cut off at a step cap of twice the original run's steps plus 1000.
// The passes run first on the last violating seed alone (cheap), then on
// the whole list, so the result is minimal for the whole list: no single
// edit of a pass (e.g. dropping one client) keeps the violation on any of
// its seeds, unless the budget or the run cap stopped the shrink.
// Deterministic: the same input gives the same result, unless the budget
// (wall time, read in scenarios/ only) stops it first.
//
// Then shrink_violation (shrink.hpp) shrinks the violating run's schedule
// in the shrunk scenario, whose own name and content hash its token carries.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/shrink.hpp"
#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// What a scenario asks of one run: the figures a shrink report compares.
class ScenarioSize {
 public:
  std::uint64_t client_entries = 0;  // [[client]] tables
  std::uint64_t clients = 0;         // client processes (each entry's count)
  std::uint64_t calls = 0;           // calls made in a run (count x repeat x calls)
  std::uint64_t faults = 0;
  std::uint64_t rows = 0;            // storage rows
};
ScenarioSize size_of(const ScenarioSpec& spec);
/// "2 of 5 clients, 1 of 2 faults, 2 of 10 calls" (what changed, and clients always).
std::string size_change(const ScenarioSize& before, const ScenarioSize& after);

class ScenarioShrinkOptions {
 public:
  std::uint64_t max_runs = 1500;  // candidate runs at most (each seed tried is one)
  std::uint64_t seeds = 8;        // k: seed_base .. seed_base + k - 1 besides the given seed
  double budget_s = 0;            // no run starts after this much wall time; 0: none
  /// Seconds since the shrink started; the default reads the steady clock.
  /// A test passes a counter to test the budget without wall time.
  std::function<double()> elapsed_s;
};

class ShrunkScenario {
 public:
  /// The shrunk scenario, parsed back from `toml`: named NAME-shrunk-PROPERTY,
  /// checking only the property and expecting it violated, its seed_base the
  /// violating seed. Its content hash is the file's.
  ScenarioSpec spec;
  std::string toml;     // the file to save
  std::uint64_t seed = 0;  // spec's run with this seed violates the property
  std::string token;       // that run's token (from_seed: short)
  ScenarioSize before, after;
  std::uint64_t runs = 0;      // candidate runs made
  std::uint64_t accepted = 0;  // edits kept
  bool budget_hit = false;     // stopped by budget_s, not because nothing shrank further
  bool cap_hit = false;        // stopped by max_runs
  /// The seeds a candidate is tried on, and the step cap of its runs: what
  /// "still violated" meant (a test repeats the check with them).
  std::vector<std::uint64_t> seeds;
  std::uint64_t steps_cap = 0;
};

/// The first of `seeds` whose run of `spec` violates `property` without
/// being cut off at `steps_cap` steps (a cut-off run counts when
/// `allow_cut_off`), or nullopt. `runs` (if given) counts the runs made;
/// `stop` (if given) is asked before each run and ends the search.
std::optional<std::uint64_t> violating_seed(const ScenarioSpec& spec, const std::string& property,
                                            const std::vector<std::uint64_t>& seeds, std::uint64_t steps_cap,
                                            bool allow_cut_off = false, std::uint64_t* runs = nullptr,
                                            const std::function<bool()>& stop = {});

/// Shrinks `spec` while `property` stays violated; `seed` is a seed whose
/// run of `spec` (under its seeded strategy) violates it. nullopt if it
/// does not.
std::optional<ShrunkScenario> shrink_scenario(const ScenarioSpec& spec, const std::string& property,
                                              std::uint64_t seed, const ScenarioShrinkOptions& options = {});

/// A reported counterexample shrunk: the scenario, then the schedule.
class ShrunkCounterexample {
 public:
  /// nullopt if the scenario could not be shrunk (the seed's run under the
  /// seeded strategy does not violate the property: a dfs finding).
  std::optional<ShrunkScenario> scenario;
  /// The schedule shrunk (shrink_violation): of the shrunk scenario if it
  /// was saved, else of the original scenario's run (whose token replays
  /// with the original file).
  std::optional<ShrunkRun> run;
  bool saved = false;  // scenario->spec.source is the saved file
  /// The report's lines: what the scenario lost (and where it was saved),
  /// then "shrunk in N runs: violated at step S (was S0), P preemptions (was P0)".
  std::string summary(double budget_s) const;
};

/// Shrinks the counterexample of `property` found at `seed` (`token`, its
/// run) within `budget_s` seconds for both steps together (0: no budget):
/// shrink_scenario, then, if `save` gives the shrunk scenario a path (it
/// writes the file there and returns the path; empty: not saved),
/// shrink_violation on the shrunk scenario's run, else on `token`.
ShrunkCounterexample shrink_counterexample(const ScenarioSpec& spec, const std::string& property, std::uint64_t seed,
                                           const sim::ReplayToken& token, double budget_s,
                                           const std::function<std::string(const ShrunkScenario&)>& save = {},
                                           ScenarioShrinkOptions options = {});

}  // namespace otpsim::scenarios
