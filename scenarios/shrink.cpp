#include "scenarios/shrink.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

#include "sim/causality.hpp"
#include "sim/preemption.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/sequence_strategy.hpp"
#include "sim/shrink.hpp"

namespace otpsim::scenarios {

namespace {

/// The violation of `property` in a run, if any.
const PropertyVerdict* violated(const RunReport& report, const std::string& property) {
  for (const PropertyVerdict& v : report.verdicts) {
    if (v.property == property && !v.held) return &v;
  }
  return nullptr;
}

/// Where a run's violation counts from: its counterexample's step, or the
/// run's length when the property names none.
std::uint64_t violation_step(const RunReport& report, const PropertyVerdict& v) {
  if (v.violation && v.violation->step > 0) return v.violation->step;
  return report.result.steps;
}

/// Runs `inner` under a PreemptionCounter, which fills `log`.
RunReport run_counted(const ScenarioSpec& spec, std::uint64_t seed, std::unique_ptr<sim::Strategy> inner,
                      const std::shared_ptr<sim::PreemptionLog>& log) {
  return run_with(spec, std::make_unique<sim::PreemptionCounter>(std::move(inner), log), "shrink", seed,
                  sim::TraceLevel::off);
}

/// A run from choices in the relative encoding (sim/preemption.hpp).
RunReport run_relative(const ScenarioSpec& spec, std::uint64_t seed, const std::vector<std::uint64_t>& relative,
                       const std::shared_ptr<sim::PreemptionLog>& log) {
  return run_counted(spec, seed, std::make_unique<sim::RelativeSequenceStrategy>(relative), log);
}

}  // namespace

std::vector<std::uint64_t> causal_slice_of(const ScenarioSpec& spec, const sim::ReplayToken& given, std::uint64_t step) {
  // A seeded token's choices are made again by its strategy, up to `step`.
  std::unique_ptr<sim::Strategy> inner = given.from_seed ? seeded_strategy(spec, given.strategy, given.seed)
                                                         : std::make_unique<sim::ReplayStrategy>(given.picks);
  if (inner == nullptr) return {};
  auto log = std::make_shared<std::vector<sim::LoggedStep>>();
  auto strategy = std::make_unique<sim::LoggingStrategy>(std::move(inner), log);
  // What happened before `step` depends only on the steps up to it: the
  // replay stops there (a cut-off run goes on for a million steps).
  ScenarioSpec prefix = spec;
  if (step < std::numeric_limits<std::uint64_t>::max()) prefix.explore.steps_max = std::min(spec.explore.steps_max, step + 1);
  RunReport r = run_with(prefix, std::move(strategy), given.strategy, given.seed, sim::TraceLevel::off);
  if (log->empty()) return {};
  return sim::causal_slice(*log, std::min<std::uint64_t>(step, log->size() - 1));
}

std::optional<ShrunkRun> shrink_violation(const ScenarioSpec& spec, const std::string& property,
                                          const sim::ReplayToken& given, std::uint64_t max_attempts,
                                          double budget_s) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  bool budget_hit = false;
  std::uint64_t ran = 0;  // candidate runs made (the shrinker counts the refused ones too)
  auto out_of_time = [&] {
    if (budget_s <= 0) return false;
    if (!budget_hit && std::chrono::duration<double>(Clock::now() - start).count() >= budget_s) budget_hit = true;
    return budget_hit;
  };
  // The recorded picks replay the run exactly under SequenceStrategy (each
  // pick is already below its number of options); a seeded token's choices
  // are made again by its strategy. The counter writes them in the relative
  // encoding the shrinker edits.
  auto original_log = std::make_shared<sim::PreemptionLog>();
  std::unique_ptr<sim::Strategy> replaying = given.from_seed ? seeded_strategy(spec, given.strategy, given.seed)
                                                             : std::make_unique<sim::SequenceStrategy>(given.picks);
  if (replaying == nullptr) return std::nullopt;
  RunReport original = run_counted(spec, given.seed, std::move(replaying), original_log);
  const sim::ReplayToken& token = given;
  const PropertyVerdict* v = violated(original, property);
  if (v == nullptr) return std::nullopt;
  const std::uint64_t start_cost = violation_step(original, *v);
  const std::uint64_t start_rank = original_log->preemptions;
  // A candidate runs at most twice the original's steps (and 1000 more): a
  // candidate that goes on far longer is no simpler, and without a cap one
  // whose fault misses can run to steps_max, past any time budget. Such a
  // cut-off candidate is refused unless the original was cut off too.
  ScenarioSpec capped = spec;
  const bool original_cut_off = original.result.outcome == sim::Outcome::step_limit;
  if (!original_cut_off) {
    capped.explore.steps_max = std::min(spec.explore.steps_max, original.result.steps * 2 + 1000);
  }
  sim::ShrinkTest test = [&](const std::vector<std::uint64_t>& candidate) -> std::optional<sim::ShrinkAttempt> {
    if (out_of_time()) return std::nullopt;  // past the budget: no more runs, the best so far stands
    ++ran;
    auto log = std::make_shared<sim::PreemptionLog>();
    RunReport r = run_relative(capped, token.seed, candidate, log);
    if (!original_cut_off && r.result.outcome == sim::Outcome::step_limit) return std::nullopt;
    const PropertyVerdict* rv = violated(r, property);
    if (rv == nullptr) return std::nullopt;
    sim::ShrinkAttempt a;
    a.cost = violation_step(r, *rv);
    a.rank = log->preemptions;
    a.used = std::move(log->relative);
    return a;
  };
  sim::ShrinkResult shrunk =
      sim::shrink_choices(original_log->relative, start_cost, test, max_attempts, start_rank);
  // Nothing kept: the original run is the result (no need to run it again).
  auto best_log = std::make_shared<sim::PreemptionLog>();
  RunReport best = shrunk.accepted == 0 ? std::move(original) : run_relative(capped, token.seed, shrunk.choices, best_log);
  if (shrunk.accepted == 0) best_log = original_log;
  const PropertyVerdict* bv = violated(best, property);
  if (bv == nullptr) return std::nullopt;  // cannot happen: the shrinker keeps failing runs only
  ShrunkRun out;
  // Nothing shrunk: the given token (short, if it came from a seed) stands.
  out.token = shrunk.accepted == 0 ? sim::encode_token(given) : best.token;
  out.steps = best.result.steps;
  out.violation_step = violation_step(best, *bv);
  out.original_violation_step = start_cost;
  out.preemptions = best_log->preemptions;
  out.original_preemptions = start_rank;
  out.attempts = ran;
  out.message = bv->violation ? bv->violation->message : std::string();
  out.budget_hit = budget_hit;
  return out;
}

}  // namespace otpsim::scenarios
