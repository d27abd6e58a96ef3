// Runs a scenario: one schedule (a seed) at a time, or a replay token.
//
// One run: a fresh environment from the spec, the trio started by a "node"
// process, the workload's clients started at their times, the fault plan
// injected, and, once every client is done and settle_ms has passed, the
// run stopped and every property of the spec judged on the record.
//
// A run is a pure function of (spec, seed): replaying its token, with the
// same spec, reproduces it byte for byte.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokens/properties.hpp"
#include "core/tokens/record.hpp"
#include "scenarios/spec.hpp"
#include "sim/replay_token.hpp"
#include "sim/simulation.hpp"

namespace otpsim::scenarios {

class PropertyVerdict {
 public:
  PropertyVerdict() = default;
  std::string property;
  bool held = true;
  bool expected_to_hold = true;
  std::optional<core::tokens::Violation> violation;
  bool as_expected() const { return held == expected_to_hold; }
};

/// What one run left: the kernel's result, the verdicts, the replay token,
/// the record (calls, events, faults), and the trace (when asked for).
class RunReport {
 public:
  std::string scenario;
  std::uint64_t seed = 0;
  sim::RunResult result;
  std::vector<PropertyVerdict> verdicts;
  std::string token;
  /// The run's choices (a seeded run's token lists none of them).
  std::vector<std::uint64_t> picks;
  std::unique_ptr<core::tokens::RunRecord> record;
  std::optional<sim::Trace> trace;
  std::string replay_error;  // a replay that diverged: why
  /// The step at which the trio was up and the workload began: steps 0 to
  /// this one boot the trio, the same way in every schedule (faults aside).
  std::uint64_t boot_end_step = 0;
  /// True if some property held where it should not have, or the reverse.
  bool unexpected() const;
  /// True if some property was violated (expected or not).
  bool any_violation() const;
};

/// The replay token's program name for a scenario: "scenario/NAME:HASH"
/// (its content hash), or "scenario/NAME" for a spec with no hash.
std::string program_name(const ScenarioSpec& spec);

/// What a token's program name says: the scenario's name and, for a token
/// made since scenarios carry one, its content hash (else empty).
class ProgramId {
 public:
  std::string name;
  std::string content_hash;
};
/// nullopt if `program` is not "scenario/...".
std::optional<ProgramId> parse_program_name(std::string_view program);

/// A copy of `spec` that shares no Term block with it (its tree, its
/// clients' requests, its faults' reasons): Terms' reference counts are not
/// atomic, so each thread that runs a spec other threads also run needs its
/// own (sweep.cpp makes one per worker). A `make_system` is shared as it is.
ScenarioSpec thread_copy(const ScenarioSpec& spec);
/// Runs `spec` once under its seeded strategy (explore.strategy: swarm,
/// random or pct) with `seed`. Its token regenerates the choices from the seed
/// (ReplayToken::from_seed), so it stays short however long the run.
RunReport run_once(const ScenarioSpec& spec, std::uint64_t seed, sim::TraceLevel trace);

/// Runs `spec` once under `strategy` (dfs, sequence, ...). `name` and
/// `seed` are what the replay token records (the token replays the run
/// from its choice log whatever the strategy was).
RunReport run_with(const ScenarioSpec& spec, std::unique_ptr<sim::Strategy> strategy, std::string name,
                   std::uint64_t seed, sim::TraceLevel trace);

/// The seeded per-run strategy of a spec (swarm, random or pct); nullptr
/// for dfs, which is an explorer over many runs (sweep.hpp).
std::unique_ptr<sim::Strategy> seeded_strategy(const ScenarioSpec& spec, std::uint64_t seed);

/// The seeded strategy `name` (swarm, random, pct) of `spec` for `seed`;
/// nullptr for any other name.
std::unique_ptr<sim::Strategy> seeded_strategy(const ScenarioSpec& spec, std::string_view name, std::uint64_t seed);

/// swarm's step estimate for `spec` (pct's k in its pct seeds): the steps
/// of one run under `random` seed 0 with the spec's delivery and the
/// at most 50,000 steps. A pure function of the spec; computed once per process
/// for a spec with a content hash (thread-safe), on every call otherwise.
/// The cache is keyed by name, content hash and delivery: a parsed spec
/// whose clients, faults or environment are then edited in C++ must clear
/// its content_hash (or be written out and parsed again), or it is run
/// under the unedited spec's estimate.
std::uint64_t swarm_steps_estimate(const ScenarioSpec& spec);

/// The configuration swarm draws for `seed` on `spec`, in one line
/// (sim/swarm_strategy.hpp), e.g. "pct depth 3 (k=180), signals linger 0.60,
/// faults x4, 1 in 4 processes favoured x8".
std::string swarm_description(const ScenarioSpec& spec, std::uint64_t seed);

/// Re-runs the run `token` recorded. The token must name `spec` (its name;
/// the caller compares the content hash); replay_error says if the run
/// diverged.
RunReport replay(const ScenarioSpec& spec, const sim::ReplayToken& token, sim::TraceLevel trace);

/// A readable timeline of a run for a report: faults, client calls and
/// their results, exits of the trio's processes, warnings and errors the
/// trio logged, CLI runs; one line each, in order. Needs the record only.
std::string timeline(const RunReport& report);

}  // namespace otpsim::scenarios
