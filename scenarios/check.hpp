// Checking a scenario from a C++ test: the small public API for a user's
// own GoogleTest (or any test framework). Run a scenario (built-in, from a
// file, or TOML text) under a strategy, and assert on its properties; a
// failing check prints the shrunk counterexample and its replay token.
//
//   #include "scenarios/check.hpp"
//   namespace os = otpsim::scenarios;
//
//   TEST(Tokens, two_cold_gets_agree_on_every_interleaving) {
//     os::CheckOptions options;
//     options.strategy = "dfs";                        // exhaustive: optimal DPOR
//     options.schedules = 200000;                      // at most this many interleavings
//     os::CheckResult r = os::check(os::builtin("already-started-race"), options);
//     EXPECT_TRUE(r.ok()) << r;                        // every property as the scenario expects
//     EXPECT_TRUE(r.exhausted());
//   }
//
// Bad input (an unknown built-in, a scenario that does not parse, an
// unknown strategy or property) throws std::invalid_argument with the same
// one-line message `otpsim` prints.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/spec.hpp"
#include "scenarios/sweep.hpp"

namespace otpsim::scenarios {

/// A built-in scenario by name (`otpsim list`).
ScenarioSpec builtin(std::string_view name);
/// A scenario from TOML text; `file_name` appears in errors.
ScenarioSpec parse(std::string_view toml, std::string_view file_name = "<test>");
/// A scenario file.
ScenarioSpec load(const std::string& path);

class CheckOptions {
 public:
  CheckOptions() = default;
  std::string strategy;             // random | pct | dfs; empty: the scenario's own
  std::uint64_t schedules = 0;      // 0: the scenario's explore.seeds (dfs: most interleavings)
  std::optional<std::uint64_t> seed_base;
  unsigned jobs = 1;                // threads (random and pct; results do not depend on it)
  /// Properties to judge instead of the scenario's list (empty: its list).
  std::vector<std::string> properties;
  /// Expect every judged property to hold, whatever the scenario expects
  /// (to assert a property on a scenario whose file records a finding).
  bool expect_all_hold = false;
  bool shrink = true;               // shrink each counterexample
  /// How signals travel; nullopt: the scenario's explore.delivery (async unless it says).
  std::optional<sim::Delivery> delivery;
};

/// One property over every schedule checked.
class PropertyResult {
 public:
  std::string name;
  bool expected_to_hold = true;
  std::uint64_t violations = 0;
  /// The counterexample (shortest violating run; shrunk if asked): its
  /// message, replay token, and the violation's causal slice after the
  /// trio's boot (steps).
  std::string message, token;
  std::uint64_t slice_steps = 0;
  /// With shrink: the shrunk scenario as a file (shrink_scenario.hpp; save
  /// it as a regression test), and the token of its violating run, which
  /// replays against that file alone. Empty if it could not be shrunk.
  std::string shrunk_scenario, shrunk_scenario_token;
  bool held() const { return violations == 0; }
  bool as_expected() const { return expected_to_hold == held(); }
};

class CheckResult {
 public:
  std::string scenario;
  std::string strategy;
  std::uint64_t schedules = 0;
  std::optional<DfsStats> dfs;
  std::vector<PropertyResult> properties;
  /// Schedules cut off by a limit (steps_max, time_max_s) before their
  /// workload finished: never a pass.
  std::uint64_t cut_off = 0;
  /// Every property as expected, no schedule cut off at a limit (and dfs,
  /// if used, hit no nondeterminism).
  bool ok() const;
  /// True if `property` held on every schedule (false if not judged).
  bool holds(std::string_view property) const;
  const PropertyResult* find(std::string_view property) const;
  /// dfs explored every interleaving class (false for other strategies).
  bool exhausted() const { return dfs && dfs->exhausted; }
  /// Several lines: per property, its verdict, and for a violation the
  /// message and `otpsim replay` line.
  std::string report() const;
};

std::ostream& operator<<(std::ostream& out, const CheckResult& result);

CheckResult check(ScenarioSpec spec, const CheckOptions& options = CheckOptions());

}  // namespace otpsim::scenarios
