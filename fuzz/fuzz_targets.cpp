#include "fuzz/fuzz_targets.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>

#include "scenarios/library.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/replay_token.hpp"

namespace otpsim::fuzz {

namespace {

namespace sc = otpsim::scenarios;

[[noreturn]] void broken(const char* promise, const std::string& detail) {
  std::fprintf(stderr, "fuzz: broken promise: %s: %s\n", promise, detail.c_str());
  std::abort();
}

// Holds a fuzzed run to small limits: one schedule of a few thousand steps.
void limit(sc::ScenarioSpec& spec) {
  spec.explore.steps_max = std::min<std::uint64_t>(spec.explore.steps_max, fuzz_steps_max);
  if (spec.explore.strategy != "random" && spec.explore.strategy != "pct") spec.explore.strategy = "random";
}

// A run and its replay from its own token must agree step for step.
void check_replays(const sc::ScenarioSpec& spec, const sc::RunReport& run) {
  sim::TokenParse parsed = sim::decode_token(run.token);
  if (!parsed.token) broken("a run's own token decodes", parsed.error);
  sc::RunReport again = sc::replay(spec, *parsed.token, sim::TraceLevel::off);
  if (!again.replay_error.empty()) broken("a run replays from its token", again.replay_error);
  if (again.result.steps != run.result.steps || again.result.outcome != run.result.outcome) {
    broken("a replay ends where the run ended", run.token);
  }
  if (again.verdicts.size() != run.verdicts.size()) broken("a replay judges the same properties", run.token);
  for (std::size_t i = 0; i < run.verdicts.size(); ++i) {
    if (again.verdicts[i].held != run.verdicts[i].held) broken("a replay reaches the same verdicts", run.token);
  }
}

const std::vector<sc::ScenarioSpec>& library() {
  static const std::vector<sc::ScenarioSpec> specs = [] {
    auto parsed = sc::builtin_scenarios();
    if (auto* error = std::get_if<sc::ParseError>(&parsed)) broken("the library parses", error->text());
    return std::get<std::vector<sc::ScenarioSpec>>(std::move(parsed));
  }();
  return specs;
}

}  // namespace

void scenario_one(std::string_view text) {
  static const sc::ParseContext context = sc::default_parse_context();
  auto parsed = sc::parse_scenario(text, "fuzz.toml", context);
  if (auto* error = std::get_if<sc::ParseError>(&parsed)) {
    std::string line = error->text();
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) {
      broken("a parse error is one line", line);
    }
    if (error->line < 1 || error->column < 1) broken("a parse error has a position", line);
    return;
  }
  sc::ScenarioSpec spec = std::get<sc::ScenarioSpec>(std::move(parsed));
  limit(spec);
  sc::RunReport run = sc::run_once(spec, spec.explore.seed_base, sim::TraceLevel::off);
  if (!run.replay_error.empty()) broken("a seeded run does not diverge", run.replay_error);
  check_replays(spec, run);
}

void token_one(std::string_view text) {
  sim::TokenParse parsed = sim::decode_token(text);
  if (!parsed.token) {
    if (parsed.error.find('\n') != std::string::npos) broken("a token error is one line", parsed.error);
    return;
  }
  sim::ReplayToken token = std::move(*parsed.token);
  sim::TokenParse again = sim::decode_token(sim::encode_token(token));
  if (!again.token || !(*again.token == token)) broken("decode inverts encode", sim::encode_token(token));
  // Replay the choices against a built-in scenario (chosen by the seed):
  // whatever the picks and limits say, the run ends in a report.
  const auto& specs = library();
  sc::ScenarioSpec spec = specs[token.seed % specs.size()];
  limit(spec);
  token.program = sc::program_name(spec);
  token.steps_max = std::min<std::uint64_t>(token.steps_max, fuzz_steps_max);
  sc::RunReport run = sc::replay(spec, token, sim::TraceLevel::off);
  (void)run;
}

}  // namespace otpsim::fuzz
