// A scenario as data: the model's configuration and mutants, the
// environment, the workload (clients and their calls), the fault plan, the
// properties to check with their expected verdicts, and how to explore.
// scenario_file.hpp parses it from TOML (docs/scenarios.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/system.hpp"
#include "core/tokens/config.hpp"
#include "core/tree/spec.hpp"
#include "core/tokens/env.hpp"
#include "faults/plan.hpp"
#include "sim/effect.hpp"

namespace otpsim::scenarios {

using sim::Micros;

/// One client operation: the trio's facade calls (get | refresh |
/// invalidate | set_manual, with app and token), or a declared tree's
/// (call | cast | send with to, request, timeout_us, catch_exit; sleep).
using CallSpec = core::ClientOp;

/// A client, or `count` identical clients started together.
class ClientSpec {
 public:
  ClientSpec() = default;
  std::string name;
  std::uint64_t count = 1;      // concurrent copies ("herd#0", "herd#1", ...)
  Micros start_us = 0;          // when the client starts
  std::vector<CallSpec> calls;  // made in order, each waiting for the last
  std::uint64_t repeat = 1;     // how many times the call list runs
  Micros every_us = 0;          // pause before each repetition after the first
};

/// A record the durable store holds when the run starts.
class StorageRowSpec {
 public:
  StorageRowSpec() = default;
  std::string app;
  core::tokens::StorageKey key = core::tokens::StorageKey::cached;
  std::string token;
  std::optional<std::int64_t> expires_at_s;  // required for cached; none for manual
};

class EnvSpec {
 public:
  EnvSpec() = default;
  bool storage_durable = true;
  core::tokens::StorageFaults storage_faults;
  std::vector<StorageRowSpec> storage_rows;
  core::tokens::CliBehaviour cli;
  std::map<std::string, core::tokens::CliBehaviour> cli_per_app;
  std::optional<std::string> config_file;  // its text; nullopt: absent
  bool read_config_file = true;
  Micros clock_offset_us = 0;
};

class ExploreSpec {
 public:
  ExploreSpec() = default;
  std::string strategy = "swarm";  // swarm | random | pct | dfs
  /// How signals travel: async (Erlang's guarantee only) or instant.
  sim::Delivery delivery = sim::Delivery::async;
  std::uint32_t pct_depth = 3;          // pct: the bug depth d
  std::uint64_t pct_steps = 500;        // pct: the step estimate k
  /// dfs: optimal (the default: Optimal-DPOR with receive-aware
  /// dependence, measured sound: docs/bug-finding.md) | dpor (the same over
  /// the base relation) | sleep_sets | none.
  std::string dfs_reduction = "optimal";
  std::optional<std::uint32_t> dfs_preemption_bound;  // dfs: none = unbounded
  std::optional<std::uint32_t> dfs_delay_bound;       // dfs: none = unbounded
  /// Shrink the reported counterexample of each violated property.
  bool shrink = true;
  /// Schedules to run (seed_base .. seed_base + seeds - 1); for dfs, the
  /// most interleavings to explore.
  std::uint64_t seeds = 100;
  std::uint64_t seed_base = 0;
  double budget_s = 0;             // stop after this much wall time; 0: no budget
  std::uint64_t steps_max = 1'000'000;
  Micros time_max_us = Micros{24} * 3600 * 1'000'000;
};

class ScenarioSpec {
 public:
  ScenarioSpec() = default;
  std::string name;         // [a-z0-9_-]+, unique in the library
  std::string description;  // one line
  std::string source;       // the file it came from, or "builtin:NAME"
  /// A hash of the scenario's content (its TOML, comments and layout aside),
  /// 8 hex digits; replay tokens carry it so that replaying a token against
  /// an edited scenario is refused. Empty for a spec built in C++.
  std::string content_hash;
  core::tokens::TrioConfig model;
  /// The declared tree under test ([tree] or `tree = "FILE"`); null: the
  /// trio, configured by `model`. Shared: a spec is copied per candidate by
  /// the shrinkers and per worker by sweeps, and the tree is immutable.
  std::shared_ptr<const core::tree::TreeSpec> tree;
  /// Where the tree came from: "" inline, else the file as written in
  /// `tree = "FILE"` (resolved against the scenario's directory).
  std::string tree_file;
  /// A spec built in C++ may bring its own System (a tree written in C++
  /// against core/otp, labelled by path): the runner then runs it, with the
  /// spec's clients, faults and properties (the generic ones judge it
  /// against `tree`, which then describes its structure). Null: the
  /// declared tree, or the trio.
  std::function<std::unique_ptr<core::System>()> make_system;
  EnvSpec env;
  std::vector<ClientSpec> clients;
  faults::FaultPlan faults;
  /// The properties to check, in the order given.
  std::vector<std::string> properties;
  /// Expected verdicts: property -> true (holds on every schedule) or false
  /// (violated on some schedule: a documented finding or a mutant). A
  /// property not listed is expected to hold.
  std::map<std::string, bool> expect;
  Micros liveness_bound_us = 30'000'000;
  /// After the last client finishes, how long the run goes on before the
  /// trio is stopped (lets timers and heals play out).
  Micros settle_us = 0;
  ExploreSpec explore;
};

}  // namespace otpsim::scenarios
