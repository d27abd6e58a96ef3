// Every built-in scenario, run over its first schedules, gives the verdicts
// its file expects: properties hold, and each documented finding shows.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "scenarios/library.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/sweep.hpp"
#include "sim/swarm_strategy.hpp"

namespace otpsim::scenarios {
namespace {

const std::vector<ScenarioSpec>& specs() {
  static const std::vector<ScenarioSpec> all = [] {
    auto parsed = builtin_scenarios();
    EXPECT_TRUE(std::holds_alternative<std::vector<ScenarioSpec>>(parsed));
    if (auto* v = std::get_if<std::vector<ScenarioSpec>>(&parsed)) return *v;
    return std::vector<ScenarioSpec>();
  }();
  return all;
}

class Library : public ::testing::TestWithParam<std::string> {};

TEST_P(Library, gives_the_expected_verdicts_over_300_schedules) {
  const ScenarioSpec* spec = nullptr;
  for (const ScenarioSpec& s : specs()) {
    if (s.name == GetParam()) spec = &s;
  }
  ASSERT_NE(spec, nullptr);
  SweepOptions options;
  options.seeds = 300;
  SweepResult result = sweep(*spec, options);
  std::vector<RunLine> lines;
  for (const SeedResult& r : result.runs) lines.push_back(run_line(*spec, r));
  ScenarioSummary summary = summarize(lines);
  ASSERT_EQ(summary.schedules, 300u);
  EXPECT_EQ(summary.cut_off, 0u) << spec->name << ": runs cut off at a limit (" << summary.cut_off_outcome
                                 << "; first seed " << summary.cut_off_seed << ")";
  for (const PropertySummary& p : summary.properties) {
    EXPECT_TRUE(p.as_expected()) << spec->name << ": " << p.name << " " << p.status() << " (" << p.violations
                                 << " violations; first seed " << p.first_seed << ": " << p.first_message
                                 << ")\n  replay: otpsim replay " << p.first_token;
  }
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const ScenarioSpec& s : specs()) out.push_back(s.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Builtin, Library, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(Library, has_thirty_nine_scenarios_with_unique_names) {
  std::set<std::string> seen;
  for (const ScenarioSpec& s : specs()) EXPECT_TRUE(seen.insert(s.name).second) << s.name;
  EXPECT_EQ(seen.size(), 39u);  // 22 on the trio's reference, one per mutant, 9 on the example trees (tree-*)
}

// Every mutant has its own scenario, mutant-NAME (with - for _), which
// enables that mutant alone and expects a property violated; the sweep
// above (gives_the_expected_verdicts_over_300_schedules) checks that it is.
TEST(Library, every_mutant_has_a_scenario_that_expects_a_violation) {
  for (core::tokens::Mutant m : core::tokens::all_mutants) {
    std::string name = "mutant-" + std::string(core::tokens::mutant_name(m));
    std::replace(name.begin(), name.end(), '_', '-');
    const ScenarioSpec* spec = nullptr;
    for (const ScenarioSpec& s : specs()) {
      if (s.name == name) spec = &s;
    }
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->model.mutants.list(), std::vector<core::tokens::Mutant>{m}) << name;
    bool expects_a_violation = false;
    for (const auto& [property, holds] : spec->expect) expects_a_violation = expects_a_violation || !holds;
    EXPECT_TRUE(expects_a_violation) << name;
  }
  // The other scenarios run the reference.
  for (const ScenarioSpec& s : specs()) {
    if (s.name.rfind("mutant-", 0) != 0) EXPECT_TRUE(s.model.mutants.none()) << s.name;
  }
}

TEST(Library, a_seed_gives_the_same_run_in_any_sweep) {
  const ScenarioSpec& spec = specs().front();
  SweepOptions one;
  one.seeds = 40;
  SweepOptions two = one;
  two.jobs = 2;
  SweepResult a = sweep(spec, one), b = sweep(spec, two);
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].seed, b.runs[i].seed);
    EXPECT_EQ(a.runs[i].token, b.runs[i].token);
  }
}

const ScenarioSpec& named(const std::string& name) {
  for (const ScenarioSpec& s : specs()) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no scenario " << name;
  return specs().front();
}

TEST(Library, swarm_is_the_default_and_its_tokens_replay_from_the_seed) {
  const ScenarioSpec& spec = named("stale-registry-entry");
  ASSERT_EQ(spec.explore.strategy, "swarm");
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    RunReport run = run_once(spec, seed, sim::TraceLevel::off);
    EXPECT_NE(run.token.find(".swarm."), std::string::npos) << run.token;
    auto token = sim::decode_token(run.token).token;
    ASSERT_TRUE(token.has_value());
    EXPECT_TRUE(token->from_seed);
    RunReport again = replay(spec, *token, sim::TraceLevel::off);
    EXPECT_EQ(again.replay_error, "") << "seed " << seed;
    EXPECT_EQ(again.result.steps, run.result.steps);
    ASSERT_EQ(again.verdicts.size(), run.verdicts.size());
    for (std::size_t i = 0; i < run.verdicts.size(); ++i) EXPECT_EQ(again.verdicts[i].held, run.verdicts[i].held);
  }
}

TEST(Library, a_swarm_token_made_under_another_delivery_replays_against_the_file) {
  // otpsim run --delivery instant: the token says instant, the file async;
  // swarm's step estimate must follow the token's delivery.
  ScenarioSpec instant = named("crash-during-cli");
  instant.explore.delivery = sim::Delivery::instant;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    RunReport run = run_once(instant, seed, sim::TraceLevel::off);
    RunReport again = replay(named("crash-during-cli"), *sim::decode_token(run.token).token, sim::TraceLevel::off);
    EXPECT_EQ(again.replay_error, "") << "seed " << seed;
  }
}

TEST(Library, swarm_describes_the_configuration_a_seed_chose) {
  const ScenarioSpec& spec = named("already-started-race");
  const std::uint64_t k = swarm_steps_estimate(spec);
  EXPECT_GT(k, 40u);  // the boot alone takes about 40 steps
  EXPECT_EQ(swarm_steps_estimate(spec), k);
  std::set<std::string> seen;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const std::string d = swarm_description(spec, seed);
    EXPECT_EQ(d, sim::describe(sim::swarm_config(seed, k)));
    seen.insert(d);
  }
  EXPECT_GE(seen.size(), 15u);
}

TEST(Library, shards_partition_the_seeds) {
  const ScenarioSpec& spec = specs().front();
  std::vector<std::uint64_t> all;
  for (std::uint64_t k = 1; k <= 3; ++k) {
    SweepOptions o;
    o.seeds = 20;
    o.shard = Shard(k, 3);
    for (const SeedResult& r : sweep(spec, o).runs) all.push_back(r.seed);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::uint64_t> expected(20);
  for (std::uint64_t i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(all, expected);
  std::string error;
  EXPECT_FALSE(Shard::parse("0/3", error).has_value());
  EXPECT_FALSE(Shard::parse("4/3", error).has_value());
  EXPECT_FALSE(Shard::parse("1/0", error).has_value());
  EXPECT_TRUE(Shard::parse("3/3", error).has_value());
}

}  // namespace
}  // namespace otpsim::scenarios
