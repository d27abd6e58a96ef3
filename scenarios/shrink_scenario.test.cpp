// Scenario shrinking (shrink_scenario.hpp) and the TOML writer
// (scenario_toml.hpp): on every built-in finding and mutant, the shrunk
// scenario still violates its property, keeps no client it can do without,
// round-trips through TOML, and its shrunk schedule's token replays against
// the saved file alone; the budget and the run cap stop it.
#include "scenarios/shrink_scenario.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "scenarios/check.hpp"
#include "scenarios/library.hpp"
#include "scenarios/scenario_toml.hpp"

namespace otpsim::scenarios {
namespace {

const std::vector<ScenarioSpec>& specs() {
  static const std::vector<ScenarioSpec> all = [] {
    auto parsed = builtin_scenarios();
    if (auto* v = std::get_if<std::vector<ScenarioSpec>>(&parsed)) return *v;
    return std::vector<ScenarioSpec>();
  }();
  return all;
}

const ScenarioSpec& spec_named(const std::string& name) {
  for (const ScenarioSpec& s : specs()) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no built-in scenario " + name);
}

ScenarioSpec parse_or_fail(const std::string& text) {
  auto parsed = parse_scenario(text, "shrunk.toml", default_parse_context());
  if (auto* e = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << e->text() << "\n" << text;
    return {};
  }
  return std::get<ScenarioSpec>(std::move(parsed));
}

/// The first seed (from seed_base) whose run violates `property`.
std::optional<std::uint64_t> first_violation(const ScenarioSpec& spec, const std::string& property) {
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = 0; s < 300; ++s) seeds.push_back(spec.explore.seed_base + s);
  return violating_seed(spec, property, seeds, 0, true);
}

std::vector<std::string> all_names() {
  std::vector<std::string> out;
  for (const ScenarioSpec& s : specs()) out.push_back(s.name);
  return out;
}

/// (scenario, property) for every property a built-in file expects violated.
std::vector<std::pair<std::string, std::string>> findings() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ScenarioSpec& s : specs()) {
    for (const auto& [property, holds] : s.expect) {
      if (!holds) out.emplace_back(s.name, property);
    }
  }
  return out;
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, to_toml_parses_back_to_the_same_scenario) {
  const ScenarioSpec& spec = spec_named(GetParam());
  const std::string text = to_toml(spec);
  ScenarioSpec back = parse_or_fail(text);
  // Every field is written, so equal texts mean equal specs.
  EXPECT_EQ(to_toml(back), text);
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.clients.size(), spec.clients.size());
  EXPECT_EQ(back.faults.faults.size(), spec.faults.faults.size());
  EXPECT_EQ(back.properties, spec.properties);
  EXPECT_EQ(back.expect, spec.expect);
  // And they run the same: the same steps and verdicts on a few seeds.
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    RunReport a = run_once(spec, seed, sim::TraceLevel::off);
    RunReport b = run_once(back, seed, sim::TraceLevel::off);
    EXPECT_EQ(a.result.steps, b.result.steps) << spec.name << " seed " << seed;
    ASSERT_EQ(a.verdicts.size(), b.verdicts.size());
    for (std::size_t i = 0; i < a.verdicts.size(); ++i) EXPECT_EQ(a.verdicts[i].held, b.verdicts[i].held);
  }
}

INSTANTIATE_TEST_SUITE_P(Library, RoundTrip, ::testing::ValuesIn(all_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

class Finding : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(Finding, shrinks_to_what_the_violation_needs) {
  const auto& [name, property] = GetParam();
  const ScenarioSpec& spec = spec_named(name);
  const std::optional<std::uint64_t> seed = first_violation(spec, property);
  ASSERT_TRUE(seed.has_value()) << name << ": " << property << " not violated in 300 seeds";
  const std::optional<ShrunkScenario> shrunk = shrink_scenario(spec, property, *seed);
  ASSERT_TRUE(shrunk.has_value());
  ASSERT_FALSE(shrunk->budget_hit || shrunk->cap_hit) << "the shrink stopped early: minimality is not checked";
  const ScenarioSpec& small = shrunk->spec;
  EXPECT_EQ(small.name, name + "-shrunk-" + property);
  EXPECT_EQ(small.properties, std::vector<std::string>{property});
  EXPECT_FALSE(small.expect.at(property));
  EXPECT_LE(shrunk->after.clients, shrunk->before.clients);
  EXPECT_LE(shrunk->after.faults, shrunk->before.faults);
  EXPECT_LE(shrunk->after.calls, shrunk->before.calls);

  // Still violated, on the seed it names.
  EXPECT_EQ(violating_seed(small, property, {shrunk->seed}, shrunk->steps_cap), shrunk->seed);
  // No client, and no fault, can go: removing any loses the violation on
  // every seed the shrinker tries.
  for (std::size_t i = 0; i < small.clients.size(); ++i) {
    ScenarioSpec fewer = small;
    fewer.content_hash.clear();  // edited here, not parsed: swarm calibrates it afresh
    fewer.clients.erase(fewer.clients.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(violating_seed(fewer, property, shrunk->seeds, shrunk->steps_cap).has_value())
        << "client " << small.clients[i].name << " is not needed";
  }
  // Nor one copy of a client started `count` times.
  for (std::size_t i = 0; i < small.clients.size(); ++i) {
    if (small.clients[i].count < 2) continue;
    ScenarioSpec fewer = small;
    fewer.content_hash.clear();  // edited here, not parsed: swarm calibrates it afresh
    --fewer.clients[i].count;
    EXPECT_FALSE(violating_seed(fewer, property, shrunk->seeds, shrunk->steps_cap).has_value())
        << "client " << small.clients[i].name << " needs fewer copies";
  }
  for (std::size_t i = 0; i < small.faults.faults.size(); ++i) {
    ScenarioSpec fewer = small;
    fewer.content_hash.clear();  // edited here, not parsed: swarm calibrates it afresh
    fewer.faults.faults.erase(fewer.faults.faults.begin() + static_cast<std::ptrdiff_t>(i));
    EXPECT_FALSE(violating_seed(fewer, property, shrunk->seeds, shrunk->steps_cap).has_value())
        << "fault " << i << " is not needed";
  }

  // The saved text round-trips, and is what `spec` was parsed from.
  ScenarioSpec back = parse_or_fail(shrunk->toml);
  EXPECT_TRUE(shrunk->toml.ends_with(to_toml(back))) << shrunk->toml;  // after the comment header
  EXPECT_EQ(back.content_hash, small.content_hash);

  // The schedule, shrunk in the shrunk scenario: no more preemptions, and
  // its token replays against the saved file alone.
  const std::optional<ShrunkRun> run = shrink_violation(small, property, *sim::decode_token(shrunk->token).token);
  ASSERT_TRUE(run.has_value());
  EXPECT_LE(run->preemptions, run->original_preemptions);
  const auto dir = std::filesystem::temp_directory_path() / ("otpsim-shrink-test-" + small.name);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (small.name + ".toml")).string();
  std::ofstream(path) << shrunk->toml;
  auto loaded = load_scenario_file(path, default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ScenarioSpec>(loaded));
  const ScenarioSpec& file = std::get<ScenarioSpec>(loaded);
  const sim::ReplayToken token = *sim::decode_token(run->token).token;
  EXPECT_EQ(parse_program_name(token.program)->content_hash, file.content_hash);
  RunReport replayed = replay(file, token, sim::TraceLevel::off);
  EXPECT_EQ(replayed.replay_error, "");
  ASSERT_EQ(replayed.verdicts.size(), 1u);
  EXPECT_FALSE(replayed.verdicts[0].held);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Library, Finding, ::testing::ValuesIn(findings()),
                         [](const auto& info) {
                           std::string n = info.param.first + "__" + info.param.second;
                           for (char& c : n) c = c == '-' ? '_' : c;
                           return n;
                         });

/// A scenario with a finding and something to shrink: five herds.
std::pair<ScenarioSpec, std::uint64_t> five_clients() {
  ScenarioSpec spec = spec_named("mutant-no-already-started-branch");
  const ClientSpec one = spec.clients.at(0);
  spec.clients.clear();
  for (int i = 0; i < 5; ++i) {
    ClientSpec c = one;
    c.name = "c" + std::to_string(i);
    spec.clients.push_back(c);
  }
  const std::optional<std::uint64_t> seed = first_violation(spec, "resolve_agrees");
  EXPECT_TRUE(seed.has_value());
  return {spec, seed.value_or(0)};
}

TEST(ShrinkScenario, drops_the_clients_the_violation_does_not_need) {
  const auto [spec, seed] = five_clients();
  const std::optional<ShrunkScenario> shrunk = shrink_scenario(spec, "resolve_agrees", seed);
  ASSERT_TRUE(shrunk.has_value());
  EXPECT_EQ(shrunk->before.client_entries, 5u);
  EXPECT_LT(shrunk->after.clients, shrunk->before.clients);
}

// The issue's case: five refresher clients (and getters, an admin, two
// faults, rows of an app the violation does not touch) shrink to what a
// non-atomic refresh needs.
constexpr const char* five_refreshers = R"(
[scenario]
name = "five-refreshers"
description = "five refresher clients, getters, a slow CLI and two faults around a non-atomic refresh"
settle_ms = 2000

[model]
mutants = ["refresh_not_atomic"]
soft_refresh_lead_s = 0

[env.storage]
rows = [ { app = "a", key = "cached", token = "stored-a", expires_at_s = 86400 },
         { app = "b", key = "cached", token = "stored-b", expires_at_s = 86400 } ]

[env.cli]
latency_ms = 300

[[client]]
name = "refresher"
count = 5
repeat = 2
every_ms = 50
calls = [ { op = "refresh", app = "a" }, { op = "get", app = "b" } ]

[[client]]
name = "getter"
count = 4
start_ms = 10
calls = [ { op = "get", app = "a" }, { op = "get", app = "b" } ]

[[client]]
name = "admin"
start_ms = 500
calls = [ { op = "invalidate", app = "b" } ]

[[fault]]
target = "cli:b"
action = "cli_slow"
duration_ms = 2000
at_ms = 100
heal_after_ms = 1000

[[fault]]
target = "app:b"
action = "kill"
at_ms = 700

[properties]
check = ["refresh_atomic", "no_client_crash"]
expect_violated = ["refresh_atomic"]

[explore]
seeds = 200
)";

TEST(ShrinkScenario, five_refreshers_shrink_to_what_the_violation_needs) {
  const ScenarioSpec spec = parse_or_fail(five_refreshers);
  const std::optional<std::uint64_t> seed = first_violation(spec, "refresh_atomic");
  ASSERT_TRUE(seed.has_value());
  const std::optional<ShrunkScenario> shrunk = shrink_scenario(spec, "refresh_atomic", *seed);
  ASSERT_TRUE(shrunk.has_value());
  EXPECT_EQ(shrunk->before.clients, 10u);
  EXPECT_LE(shrunk->after.clients, 2u);
  EXPECT_EQ(shrunk->after.faults, 0u);
  EXPECT_EQ(shrunk->after.rows, 0u);
  EXPECT_LE(shrunk->after.calls, 2u);
  EXPECT_EQ(shrunk->spec.settle_us, 0);
}

TEST(ShrinkScenario, stops_at_budget_s) {
  // A clock that moves one second each time it is read: the budget of 3 s
  // allows no more than 3 runs (no wall time involved).
  const auto [spec, seed] = five_clients();
  ScenarioShrinkOptions options;
  double now = 0;
  options.elapsed_s = [&now] { return now++; };
  options.budget_s = 3;
  const std::optional<ShrunkScenario> shrunk = shrink_scenario(spec, "resolve_agrees", seed, options);
  ASSERT_TRUE(shrunk.has_value());
  EXPECT_TRUE(shrunk->budget_hit);
  EXPECT_LE(shrunk->runs, 3u);
}

TEST(ShrinkScenario, stops_at_max_runs) {
  const auto [spec, seed] = five_clients();
  ScenarioShrinkOptions options;
  options.max_runs = 4;
  const std::optional<ShrunkScenario> shrunk = shrink_scenario(spec, "resolve_agrees", seed, options);
  ASSERT_TRUE(shrunk.has_value());
  EXPECT_TRUE(shrunk->cap_hit);
  EXPECT_LE(shrunk->runs, 4u);
}

TEST(ShrinkScenario, is_deterministic) {
  const auto [spec, seed] = five_clients();
  const auto a = shrink_scenario(spec, "resolve_agrees", seed);
  const auto b = shrink_scenario(spec, "resolve_agrees", seed);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->toml, b->toml);
  EXPECT_EQ(a->token, b->token);
}

TEST(ShrinkScenario, check_gives_the_shrunk_scenario_and_a_token_that_replays_with_it) {
  CheckOptions options;
  options.schedules = 50;
  const CheckResult r = check(spec_named("mutant-no-already-started-branch"), options);
  const PropertyResult* p = r.find("resolve_agrees");
  ASSERT_NE(p, nullptr);
  ASSERT_FALSE(p->shrunk_scenario.empty());
  const ScenarioSpec saved = parse_or_fail(p->shrunk_scenario);
  RunReport replayed = replay(saved, *sim::decode_token(p->shrunk_scenario_token).token, sim::TraceLevel::off);
  EXPECT_EQ(replayed.replay_error, "");
  ASSERT_EQ(replayed.verdicts.size(), 1u);
  EXPECT_FALSE(replayed.verdicts[0].held);
}

TEST(ShrinkScenario, refuses_a_seed_that_does_not_violate) {
  const ScenarioSpec& spec = spec_named("thundering-herd");
  EXPECT_FALSE(shrink_scenario(spec, "cli_coalesced", 0).has_value());
}

}  // namespace
}  // namespace otpsim::scenarios
