// The public check API (scenarios/check.hpp), used as a user's own
// GoogleTest would use it.
#include "scenarios/check.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

namespace otpsim::scenarios {
namespace {

TEST(Check, two_cold_gets_agree_on_every_interleaving_dfs_exhausts) {
  CheckOptions options;
  options.strategy = "dfs";
  options.schedules = 100'000;  // a cap
  // Instant delivery and a preemption bound of 1: sleep sets (the default
  // reduction, the one measured sound) exhaust that in a few hundred runs;
  // under async delivery they need more than 60,000 (docs/bug-finding.md).
  options.delivery = sim::Delivery::instant;
  ScenarioSpec spec = builtin("already-started-race");
  spec.explore.dfs_preemption_bound = 1;
  CheckResult r = check(spec, options);
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(r.exhausted()) << r;
  EXPECT_TRUE(r.holds("resolve_agrees"));
  EXPECT_TRUE(r.holds("one_live_app_server_per_app"));
  ASSERT_TRUE(r.dfs.has_value());
  EXPECT_EQ(r.schedules, r.dfs->interleavings);
  EXPECT_GT(r.schedules, 1u);
}

TEST(Check, random_and_pct_run_the_number_of_schedules_asked) {
  for (const char* strategy : {"swarm", "random", "pct"}) {
    CheckOptions options;
    options.strategy = strategy;
    options.schedules = 200;
    CheckResult r = check(builtin("thundering-herd"), options);
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.schedules, 200u) << strategy;
    EXPECT_FALSE(r.exhausted());
  }
}

TEST(Check, a_mutant_is_found_and_its_counterexample_shrunk_and_replayable) {
  CheckOptions options;
  options.schedules = 300;
  CheckResult r = check(builtin("mutant-no-already-started-branch"), options);
  EXPECT_TRUE(r.ok()) << r;  // the scenario expects the violation
  const PropertyResult* p = r.find("resolve_agrees");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->held());
  EXPECT_TRUE(p->as_expected());
  EXPECT_NE(p->token.find(".shrink."), std::string::npos) << p->token;
  EXPECT_GT(p->slice_steps, 0u);
  std::ostringstream text;
  text << r;
  // The token names the scenario and its content hash (8 hex digits).
  EXPECT_NE(text.str().find("otpsim replay otpsim3.scenario/mutant-no-already-started-branch:"), std::string::npos)
      << text.str();
}

TEST(Check, expect_all_hold_turns_a_recorded_finding_into_a_failure) {
  CheckOptions options;
  options.schedules = 300;
  options.expect_all_hold = true;
  CheckResult r = check(builtin("mutant-no-already-started-branch"), options);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.report().find("<- expected to hold"), std::string::npos) << r;
}

TEST(Check, a_scenario_from_toml_text_with_chosen_properties) {
  const ScenarioSpec spec = parse(R"(
[scenario]
name = "mine"
description = "three cold gets of one app"

[[client]]
name = "c"
count = 3
calls = [ { op = "get", app = "x" } ]
)");
  CheckOptions options;
  options.schedules = 100;
  options.properties = {"cli_coalesced", "no_client_crash"};
  CheckResult r = check(spec, options);
  EXPECT_TRUE(r.ok()) << r;
  ASSERT_EQ(r.properties.size(), 2u);
  EXPECT_EQ(r.properties[0].name, "cli_coalesced");
}

TEST(Check, bad_input_throws_the_one_line_message) {
  EXPECT_THROW((void)builtin("no-such-scenario"), std::invalid_argument);
  EXPECT_THROW((void)parse("[scenario]\nname = 3\n"), std::invalid_argument);
  CheckOptions bad_strategy;
  bad_strategy.strategy = "bfs";
  EXPECT_THROW((void)check(builtin("already-started-race"), bad_strategy), std::invalid_argument);
  CheckOptions bad_property;
  bad_property.properties = {"no_such_property"};
  EXPECT_THROW((void)check(builtin("already-started-race"), bad_property), std::invalid_argument);
  try {
    (void)parse("[scenario]\nname = 3\n", "mine.toml");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mine.toml:2:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace otpsim::scenarios
