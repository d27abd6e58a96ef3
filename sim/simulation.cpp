#include "sim/simulation.hpp"

#include <fmt/format.h>

#include "sim/assert.hpp"
#include "sim/random_strategy.hpp"
#include "sim/replay_strategy.hpp"

namespace otpsim::sim {

std::optional<std::string> Simulation::validate(const RunOptions& options) {
  if (options.strategy != "random") {
    return fmt::format("unknown strategy '{}' (known: random; replay runs from a token)", options.strategy);
  }
  return std::nullopt;
}

Simulation::Simulation(const Program& program, RunOptions options) : program_(program), options_(std::move(options)) {
  OTPSIM_ASSERT(!validate(options_).has_value(), "Simulation given options that validate() rejects");
  strategy_ = std::make_unique<RandomStrategy>(options_.seed);
  kernel_ = std::make_unique<Kernel>(KernelConfig{options_.limits, options_.trace, options_.delivery}, *strategy_);
  program_.setup(*kernel_);
}

Simulation::Simulation(const Program& program, std::unique_ptr<Strategy> strategy, RunOptions options)
    : program_(program), options_(std::move(options)), strategy_(std::move(strategy)) {
  OTPSIM_ASSERT(strategy_ != nullptr, "Simulation given no strategy");
  kernel_ = std::make_unique<Kernel>(KernelConfig{options_.limits, options_.trace, options_.delivery}, *strategy_);
  program_.setup(*kernel_);
}

Simulation::Simulation(const Program& program, const ReplayToken& token, TraceLevel trace,
                       std::unique_ptr<Strategy> regenerate)
    : program_(program), replaying_(token) {
  OTPSIM_ASSERT(token.program == program.name, "replay token names another program");
  options_.strategy = token.strategy;
  options_.seed = token.seed;
  options_.limits = RunLimits{token.steps_max, token.time_max_us};
  options_.trace = trace;
  options_.delivery = token.delivery;
  if (!token.from_seed) {
    strategy_ = std::make_unique<ReplayStrategy>(token.picks);
  } else if (regenerate != nullptr) {
    strategy_ = std::move(regenerate);
  } else if (token.strategy == "random") {
    strategy_ = std::make_unique<RandomStrategy>(token.seed);
  } else {
    // Nothing to regenerate the choices with: the replay stops at its first
    // choice and replay_error() says why.
    strategy_ = std::make_unique<ReplayStrategy>(std::vector<std::uint64_t>{});
    cannot_regenerate_ = true;
  }
  options_.seeded = token.from_seed;
  kernel_ = std::make_unique<Kernel>(KernelConfig{options_.limits, options_.trace, options_.delivery}, *strategy_);
  program_.setup(*kernel_);
}

RunResult Simulation::run() {
  result_ = kernel_->run();
  return result_;
}

ReplayToken Simulation::token() const {
  ReplayToken t;
  t.program = program_.name;
  t.seed = options_.seed;
  t.strategy = options_.strategy;
  t.steps = result_.steps;
  t.steps_max = options_.limits.steps_max;
  t.time_max_us = options_.limits.time_max_us;
  t.delivery = options_.delivery;
  for (const Choice& c : kernel_->choices()) t.picks.push_back(c.pick);
  if (options_.seeded) {
    t.from_seed = true;
    t.choices_hash = choices_hash(t.picks);
  }
  return t;
}

std::string Simulation::replay_error() const {
  if (!replaying_) return {};
  if (cannot_regenerate_) {
    return fmt::format("the token's choices come from its seed, and strategy '{}' cannot be rebuilt here",
                       replaying_->strategy);
  }
  if (result_.outcome == Outcome::strategy_stopped) return result_.message;
  if (replaying_->from_seed) {
    std::vector<std::uint64_t> picks;
    picks.reserve(kernel_->choices().size());
    for (const Choice& c : kernel_->choices()) picks.push_back(c.pick);
    if (choices_hash(picks) != replaying_->choices_hash) {
      return "replay diverged: the seed made other choices than the token's run "
             "(model nondeterministic, or token from another build?)";
    }
  } else if (const auto& replay = static_cast<const ReplayStrategy&>(*strategy_); !replay.exhausted()) {
    return fmt::format("replay diverged: the run ended with {} of {} recorded choices unused "
                       "(model nondeterministic, or token from another build?)",
                       replaying_->picks.size() - kernel_->choices().size(), replaying_->picks.size());
  }
  if (result_.steps != replaying_->steps) {
    return fmt::format("replay diverged: {} steps ran, the token recorded {}", result_.steps, replaying_->steps);
  }
  return {};
}

void ProgramRegistry::add(Program program) {
  OTPSIM_ASSERT(valid_program_name(program.name), "program name must be [A-Za-z0-9_:/-]+");
  std::string name = program.name;
  auto [it, inserted] = programs_.emplace(std::move(name), std::move(program));
  OTPSIM_ASSERT(inserted, "two programs registered under one name");
}

const Program* ProgramRegistry::find(std::string_view name) const {
  auto it = programs_.find(name);
  return it == programs_.end() ? nullptr : &it->second;
}

std::vector<const Program*> ProgramRegistry::all() const {
  std::vector<const Program*> out;
  for (const auto& [name, program] : programs_) out.push_back(&program);
  return out;
}

}  // namespace otpsim::sim
