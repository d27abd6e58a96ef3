#include "scenarios/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "core/tokens/properties.hpp"
#include "scenarios/library.hpp"
#include "scenarios/report.hpp"
#include "scenarios/scenario_file.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/shrink_scenario.hpp"

namespace otpsim::scenarios {

namespace {

ScenarioSpec or_throw(std::variant<ScenarioSpec, ParseError> parsed) {
  if (auto* e = std::get_if<ParseError>(&parsed)) throw std::invalid_argument(e->text());
  return std::get<ScenarioSpec>(std::move(parsed));
}

/// The causal slice, after the boot, of the violation of `property` in the
/// run `token_text` records.
std::uint64_t slice_steps(const ScenarioSpec& spec, const std::string& token_text, const std::string& property) {
  sim::TokenParse parsed = sim::decode_token(token_text);
  if (!parsed.token) return 0;
  RunReport run = replay(spec, *parsed.token, sim::TraceLevel::off);
  std::uint64_t step = run.result.steps == 0 ? 0 : run.result.steps - 1;
  for (const PropertyVerdict& v : run.verdicts) {
    if (v.property == property && v.violation && v.violation->step > 0) step = v.violation->step;
  }
  std::vector<std::uint64_t> slice = causal_slice_of(spec, *parsed.token, step);
  return static_cast<std::uint64_t>(
      std::count_if(slice.begin(), slice.end(), [&run](std::uint64_t s) { return s > run.boot_end_step; }));
}

}  // namespace

ScenarioSpec builtin(std::string_view name) {
  auto parsed = builtin_scenarios();
  if (auto* e = std::get_if<ParseError>(&parsed)) throw std::invalid_argument(e->text());
  for (ScenarioSpec& s : std::get<std::vector<ScenarioSpec>>(parsed)) {
    if (s.name == name) return std::move(s);
  }
  throw std::invalid_argument(fmt::format("unknown scenario '{}' (see `otpsim list` for the built-in names)", name));
}

ScenarioSpec parse(std::string_view toml, std::string_view file_name) {
  return or_throw(parse_scenario(toml, file_name, default_parse_context()));
}

ScenarioSpec load(const std::string& path) { return or_throw(load_scenario_file(path, default_parse_context())); }

bool CheckResult::ok() const {
  if (dfs && !dfs->error.empty()) return false;
  if (cut_off > 0) return false;
  return std::all_of(properties.begin(), properties.end(), [](const PropertyResult& p) { return p.as_expected(); });
}

const PropertyResult* CheckResult::find(std::string_view property) const {
  for (const PropertyResult& p : properties) {
    if (p.name == property) return &p;
  }
  return nullptr;
}

bool CheckResult::holds(std::string_view property) const {
  const PropertyResult* p = find(property);
  return p != nullptr && p->held();
}

std::string CheckResult::report() const {
  std::string out = fmt::format("scenario {} under {}: {} schedules", scenario, strategy, schedules);
  if (dfs) {
    out += fmt::format(" (dfs {}: {}, {} pruned{})", dfs->reduction, dfs->exhausted ? "exhausted" : "not exhausted",
                       dfs->pruned, dfs->error.empty() ? "" : "; " + dfs->error);
  }
  out += "\n";
  if (cut_off > 0) out += fmt::format("  {} of {} schedules CUT OFF at a limit (not a pass)\n", cut_off, schedules);
  for (const PropertyResult& p : properties) {
    out += fmt::format("  {:<28} {}{}\n", p.name, p.held() ? "held" : fmt::format("violated on {} schedules", p.violations),
                       p.as_expected() ? "" : (p.expected_to_hold ? "  <- expected to hold" : "  <- expected a violation"));
    if (!p.held()) {
      out += fmt::format("    {}\n    causal slice after the boot: {} steps\n    otpsim replay {}\n", p.message,
                         p.slice_steps, p.token);
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const CheckResult& result) { return out << result.report(); }

CheckResult check(ScenarioSpec spec, const CheckOptions& options) {
  if (!options.strategy.empty()) {
    const auto known = known_strategies();
    if (std::find(known.begin(), known.end(), options.strategy) == known.end()) {
      throw std::invalid_argument(fmt::format("unknown strategy '{}' (expected swarm, random, pct or dfs)", options.strategy));
    }
    spec.explore.strategy = options.strategy;
  }
  if (!options.properties.empty()) {
    for (const std::string& name : options.properties) {
      if (core::tokens::find_property(name) == nullptr) {
        throw std::invalid_argument(fmt::format("unknown property '{}'", name));
      }
    }
    spec.properties = options.properties;
  }
  if (options.expect_all_hold) spec.expect.clear();
  if (options.delivery) spec.explore.delivery = *options.delivery;
  SweepOptions sweep_options;
  sweep_options.seeds = options.schedules > 0 ? options.schedules : spec.explore.seeds;
  sweep_options.seed_base = options.seed_base.value_or(spec.explore.seed_base);
  sweep_options.jobs = options.jobs;
  sweep_options.budget_s = spec.explore.budget_s;
  sweep_options.fold_held_runs = true;
  SweepResult swept = sweep(spec, sweep_options);
  std::vector<RunLine> lines;
  for (const SeedResult& r : swept.runs) lines.push_back(run_line(spec, r));
  ScenarioSummary summary = summarize(lines);
  add_folded(summary, swept.folded);
  CheckResult result;
  result.scenario = spec.name;
  result.strategy = spec.explore.strategy;
  result.schedules = summary.schedules;
  result.dfs = swept.dfs;
  result.cut_off = summary.cut_off;
  for (const PropertySummary& s : summary.properties) {
    PropertyResult p;
    p.name = s.name;
    p.expected_to_hold = s.expected_to_hold;
    p.violations = s.violations;
    p.message = s.first_message;
    p.token = s.first_token;
    if (s.violations > 0) {
      if (options.shrink) {
        // The scenario, then the schedule (of the original, so that the
        // token replays with `spec`); budget_s bounds both.
        ShrunkCounterexample shrunk = shrink_counterexample(
            spec, s.name, s.first_seed, *sim::decode_token(s.first_token).token, spec.explore.budget_s);
        if (shrunk.run) {
          p.message = shrunk.run->message;
          p.token = shrunk.run->token;
        }
        if (shrunk.scenario) {
          p.shrunk_scenario = shrunk.scenario->toml;
          p.shrunk_scenario_token = shrunk.scenario->token;
        }
      }
      p.slice_steps = slice_steps(spec, p.token, s.name);
    }
    result.properties.push_back(std::move(p));
  }
  return result;
}

}  // namespace otpsim::scenarios
