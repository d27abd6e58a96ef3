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
};

class Simulation {
 public:
  /// Checks options: an unknown strategy name is an error value, not a crash.
  static std::optional<std::string> validate(const RunOptions& options);

  Simulation(const Program& program, RunOptions options);
  /// A run under `strategy` (pct, dfs, sequence, ...); its choices are
  /// logged, so the token replays it like any other run.
  Simulation(const Program& program, std::unique_ptr<Strategy> strategy, RunOptions options);
  /// A replay of `token` (which must name `program`).
  Simulation(const Program& program, const ReplayToken& token, TraceLevel trace);

  RunResult run();

  Kernel& kernel() { return *kernel_; }
  const Trace& trace() const { return kernel_->trace(); }
  /// The token that replays this run (valid after run()).
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
