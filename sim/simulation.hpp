// Simulation: one run of a program under one strategy, and its replay.
//
// A Program is a named setup function that spawns the root processes; the
// run is then a pure function of (program, strategy, seed, limits). The
// replay token names the program, so replaying needs the same program
// registered under the same name (see ProgramRegistry).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/replay_token.hpp"

namespace otpsim::sim {

struct Program {
  std::string name;         // a valid_program_name
  std::string description;  // one line
  std::function<void(Kernel&)> setup;
};

struct RunOptions {
  /// "random" for the built-in constructor; with a strategy passed in, the
  /// name the replay token records (any [a-z_]+).
  std::string strategy = "random";
  std::uint64_t seed = 0;
  RunLimits limits;
  TraceLevel trace = TraceLevel::full;
  Delivery delivery = Delivery::async;
  /// The strategy is a pure function of (program, seed): the token lists no
  /// choices, only their hash (ReplayToken::from_seed), and stays short; a
  /// replay rebuilds the strategy from the seed.
  bool seeded = false;
};

class Simulation {
 public:
  /// Checks options: an unknown strategy name is an error value, not a crash.
  static std::optional<std::string> validate(const RunOptions& options);

  Simulation(const Program& program, RunOptions options);
  /// A run under `strategy` (pct, dfs, sequence, ...); its choices are
  /// logged, so the token replays it like any other run.
  Simulation(const Program& program, std::unique_ptr<Strategy> strategy, RunOptions options);
  /// A replay of `token` (which must name `program`). A token whose choices
  /// come from its seed (from_seed) replays under `regenerate`, the
  /// strategy its run used rebuilt from the seed; with none given, "random"
  /// is rebuilt here and any other strategy fails the replay at once.
  Simulation(const Program& program, const ReplayToken& token, TraceLevel trace,
             std::unique_ptr<Strategy> regenerate = nullptr);

  RunResult run();

  Kernel& kernel() { return *kernel_; }
  const Trace& trace() const { return kernel_->trace(); }
  /// The token that replays this run (valid after run()). Its picks are
  /// always filled in; with RunOptions::seeded it is also from_seed (so its
  /// text lists none of them).
  ReplayToken token() const;
  std::string token_text() const { return encode_token(token()); }
  /// For a replay: empty if it reproduced the recorded run, else why not.
  std::string replay_error() const;

 private:
  const Program& program_;
  RunOptions options_;
  std::unique_ptr<Strategy> strategy_;
  std::unique_ptr<Kernel> kernel_;
  std::optional<ReplayToken> replaying_;
  bool cannot_regenerate_ = false;  // a from_seed token with no strategy to rebuild
  RunResult result_;
};

/// Programs by name, for replay lookups. Iteration is in name order.
class ProgramRegistry {
 public:
  void add(Program program);
  const Program* find(std::string_view name) const;
  std::vector<const Program*> all() const;

 private:
  std::map<std::string, Program, std::less<>> programs_;
};

}  // namespace otpsim::sim
