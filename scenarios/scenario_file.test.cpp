// The scenario file format: full parses, defaults, one test per kind of
// error (exact line:column and message start), the examples in
// docs/scenarios.md and the built-in library.
#include "scenarios/scenario_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "scenarios/library.hpp"

#ifndef OTPSIM_SOURCE_ROOT
#error "OTPSIM_SOURCE_ROOT must name the source tree (scenarios/meson.build sets it)"
#endif

namespace otpsim::scenarios {
namespace {

using ::testing::StartsWith;

ParseContext context() {
  ParseContext c;
  c.properties = {"cli_coalesced", "liveness", "manual_token_durable", "no_client_crash", "restart_scope"};
  return c;
}

/// Lines 1-3 of most test files; what a test adds starts on line 4.
const std::string head = "[scenario]\nname = \"t\"\ndescription = \"d\"\n";

ScenarioSpec parse_ok(const std::string& text) {
  auto r = parse_scenario(text, "t.toml", context());
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << e->text();
    return ScenarioSpec{};
  }
  return std::get<ScenarioSpec>(std::move(r));
}

ParseError parse_error(const std::string& text) {
  auto r = parse_scenario(text, "t.toml", context());
  if (auto* e = std::get_if<ParseError>(&r)) return *e;
  ADD_FAILURE() << "the file parsed, but an error was expected";
  return ParseError{};
}

/// The error is at line:column and its message starts with `start`.
#define EXPECT_PARSE_ERROR(file_text, line_, column_, start) \
  do {                                                       \
    const ParseError e_ = parse_error(file_text);            \
    EXPECT_EQ(e_.file, "t.toml");                            \
    EXPECT_EQ(e_.line, line_) << e_.text();                  \
    EXPECT_EQ(e_.column, column_) << e_.text();              \
    EXPECT_THAT(e_.message, StartsWith(start)) << e_.text(); \
  } while (false)

// --- good files ------------------------------------------------------------

TEST(ScenarioFile, a_full_file_lands_in_the_spec_with_microsecond_units) {
  const std::string text = R"([scenario]
name = "ets-owner-crash_2"
description = "one line"
settle_ms = 250
liveness_bound_ms = 12000

[model]
ttl_s = 600
cli_timeout_ms = 2500
soft_refresh_lead_s = 0
use_task_sup = false
mutants = ["top_one_for_one", "refresh_not_atomic"]

[env]
read_config_file = false
clock_offset_s = -30
config_file = "access_token: abc\n"

[env.storage]
durable = false
fail_put = true
fail_get = true
get_latency_ms = 7
put_latency_ms = 9
rows = [ { app = "a", key = "cached", token = "t", expires_at_s = 100 },
         { app = "a", key = "manual", token = "m" } ]

[env.cli]
latency_ms = 3
exit_code = 4
output = "tok"
hang = true
missing = true
[env.cli.apps."my-app"]
latency_ms = 2000
hang = false

[[client]]
name = "herd"
count = 10
start_ms = 5
repeat = 3
every_ms = 40
calls = [ { op = "get", app = "my-app" }, { op = "set_manual", app = "my-app", token = "m" } ]

[[client]]
name = "solo"
calls = [ { op = "invalidate", app = "b" }, { op = "refresh", app = "b" } ]

[[fault]]
name = "kill the cache owner"
target = "ets_owner"
action = "kill"
reason = "shutdown"
at_ms = 100
window_ms = [50, 1000]
max_fires = 2
after = 1

[[fault]]
target = "storage"
action = "storage_slow"
at_step = 50
duration_ms = 2000
heal_after_ms = 5000

[[fault]]
target = "cli:my-app"
action = "cli_fail"
exit_code = 3
probability = 0.25

[[fault]]
target = "dyn_sup"
action = "crash_on_next_message"
on_receive = "which_children"
receiver = "app:b"

[[fault]]
target = "clock"
action = "clock_jump"
duration_ms = -1500
at_ms = 0

[[fault]]
target = "node"
action = "node_restart"
at_ms = 3000

[properties]
check = ["no_client_crash", "cli_coalesced", "liveness"]
expect_violated = ["no_client_crash"]

[explore]
strategy = "random"
seeds = 7
seed_base = 40
budget_s = 1.5
steps_max = 1234
time_max_s = 60
)";
  const ScenarioSpec s = parse_ok(text);
  EXPECT_EQ(s.name, "ets-owner-crash_2");
  EXPECT_EQ(s.description, "one line");
  EXPECT_EQ(s.source, "t.toml");
  EXPECT_EQ(s.settle_us, 250'000);
  EXPECT_EQ(s.liveness_bound_us, 12'000'000);

  EXPECT_EQ(s.model.knobs.ttl_s, 600);
  EXPECT_EQ(s.model.knobs.cli_timeout_ms, 2500);
  EXPECT_EQ(s.model.knobs.soft_refresh_lead_s, 0);
  EXPECT_FALSE(s.model.knobs.use_task_sup);
  EXPECT_TRUE(s.model.mutants.has(core::tokens::Mutant::top_one_for_one));
  EXPECT_TRUE(s.model.mutants.has(core::tokens::Mutant::refresh_not_atomic));
  EXPECT_EQ(s.model.mutants.list().size(), 2u);

  EXPECT_FALSE(s.env.read_config_file);
  EXPECT_EQ(s.env.clock_offset_us, -30'000'000);
  EXPECT_EQ(s.env.config_file, std::optional<std::string>("access_token: abc\n"));
  EXPECT_FALSE(s.env.storage_durable);
  EXPECT_TRUE(s.env.storage_faults.fail_put);
  EXPECT_TRUE(s.env.storage_faults.fail_get);
  EXPECT_EQ(s.env.storage_faults.get_latency_us, 7000);
  EXPECT_EQ(s.env.storage_faults.put_latency_us, 9000);
  ASSERT_EQ(s.env.storage_rows.size(), 2u);
  EXPECT_EQ(s.env.storage_rows[0].app, "a");
  EXPECT_EQ(s.env.storage_rows[0].key, core::tokens::StorageKey::cached);
  EXPECT_EQ(s.env.storage_rows[0].token, "t");
  EXPECT_EQ(s.env.storage_rows[0].expires_at_s, std::optional<std::int64_t>(100));
  EXPECT_EQ(s.env.storage_rows[1].key, core::tokens::StorageKey::manual);
  EXPECT_EQ(s.env.storage_rows[1].token, "m");
  EXPECT_FALSE(s.env.storage_rows[1].expires_at_s.has_value());

  EXPECT_EQ(s.env.cli.latency_us, 3000);
  EXPECT_EQ(s.env.cli.exit_code, 4);
  EXPECT_EQ(s.env.cli.output, std::optional<std::string>("tok"));
  EXPECT_TRUE(s.env.cli.hang);
  EXPECT_TRUE(s.env.cli.missing);
  ASSERT_EQ(s.env.cli_per_app.count("my-app"), 1u);
  const core::tokens::CliBehaviour& mine = s.env.cli_per_app.at("my-app");
  EXPECT_EQ(mine.latency_us, 2'000'000);
  EXPECT_FALSE(mine.hang);
  // The rest comes from [env.cli].
  EXPECT_EQ(mine.exit_code, 4);
  EXPECT_EQ(mine.output, std::optional<std::string>("tok"));
  EXPECT_TRUE(mine.missing);

  ASSERT_EQ(s.clients.size(), 2u);
  const ClientSpec& herd = s.clients[0];
  EXPECT_EQ(herd.name, "herd");
  EXPECT_EQ(herd.count, 10u);
  EXPECT_EQ(herd.start_us, 5000);
  EXPECT_EQ(herd.repeat, 3u);
  EXPECT_EQ(herd.every_us, 40'000);
  ASSERT_EQ(herd.calls.size(), 2u);
  EXPECT_EQ(herd.calls[0].op, "get");
  EXPECT_EQ(herd.calls[0].app, "my-app");
  EXPECT_EQ(herd.calls[0].token, "");
  EXPECT_EQ(herd.calls[1].op, "set_manual");
  EXPECT_EQ(herd.calls[1].token, "m");
  EXPECT_EQ(s.clients[1].name, "solo");
  EXPECT_EQ(s.clients[1].calls[0].op, "invalidate");
  EXPECT_EQ(s.clients[1].calls[1].op, "refresh");

  using AK = faults::Action::Kind;
  using TK = faults::Target::Kind;
  using GK = faults::Trigger::Kind;
  const auto& f = s.faults.faults;
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0].name, "kill the cache owner");
  EXPECT_EQ(f[0].target.kind, TK::ets_owner);
  EXPECT_EQ(f[0].action.kind, AK::kill);
  EXPECT_EQ(f[0].action.reason, sim::Term(sim::Atom("shutdown")));
  EXPECT_EQ(f[0].trigger.kind, GK::at_time);
  EXPECT_EQ(f[0].trigger.at_us, 100'000);
  EXPECT_EQ(f[0].trigger.from_us, 50'000);
  EXPECT_EQ(f[0].trigger.until_us, 1'000'000);
  EXPECT_EQ(f[0].trigger.max_fires, 2u);
  EXPECT_EQ(f[0].trigger.after, 1u);

  EXPECT_EQ(f[1].name, "");
  EXPECT_EQ(f[1].target.kind, TK::storage);
  EXPECT_EQ(f[1].action.kind, AK::storage_slow);
  EXPECT_EQ(f[1].trigger.kind, GK::at_step);
  EXPECT_EQ(f[1].trigger.at_step, 50u);
  EXPECT_EQ(f[1].action.duration_us, 2'000'000);
  EXPECT_EQ(f[1].action.heal_after_us, 5'000'000);
  EXPECT_EQ(f[1].trigger.until_us, sim::infinity_us);

  EXPECT_EQ(f[2].target.kind, TK::cli);
  EXPECT_EQ(f[2].target.app, "my-app");
  EXPECT_EQ(f[2].action.kind, AK::cli_fail);
  EXPECT_EQ(f[2].action.exit_code, 3);
  EXPECT_EQ(f[2].trigger.kind, GK::probability);
  EXPECT_DOUBLE_EQ(f[2].trigger.probability, 0.25);
  EXPECT_EQ(f[2].action.heal_after_us, -1);

  EXPECT_EQ(f[3].action.kind, AK::crash_on_next_message);
  EXPECT_EQ(f[3].action.reason, sim::Term(sim::Atom("kill")));
  EXPECT_EQ(f[3].trigger.kind, GK::on_receive);
  EXPECT_EQ(f[3].trigger.match, "which_children");
  EXPECT_EQ(f[3].trigger.receiver.kind, TK::app);
  EXPECT_EQ(f[3].trigger.receiver.app, "b");

  EXPECT_EQ(f[4].action.kind, AK::clock_jump);
  EXPECT_EQ(f[4].action.duration_us, -1'500'000);
  EXPECT_EQ(f[5].action.kind, AK::node_restart);
  EXPECT_EQ(f[5].target.kind, TK::node);

  EXPECT_EQ(s.properties, (std::vector<std::string>{"no_client_crash", "cli_coalesced", "liveness"}));
  EXPECT_EQ(s.expect, (std::map<std::string, bool>{{"no_client_crash", false}, {"cli_coalesced", true}, {"liveness", true}}));

  EXPECT_EQ(s.explore.strategy, "random");
  EXPECT_EQ(s.explore.seeds, 7u);
  EXPECT_EQ(s.explore.seed_base, 40u);
  EXPECT_DOUBLE_EQ(s.explore.budget_s, 1.5);
  EXPECT_EQ(s.explore.steps_max, 1234u);
  EXPECT_EQ(s.explore.time_max_us, 60'000'000);
}

TEST(ScenarioFile, absent_keys_take_the_documented_defaults) {
  const ScenarioSpec s = parse_ok(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\" } ]\n"
                                         "[[fault]]\ntarget = \"registry\"\naction = \"kill\"\nat_ms = 0\n");
  const ScenarioSpec d;
  const core::tokens::Knobs k;
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.settle_us, 0);
  EXPECT_EQ(s.liveness_bound_us, 30'000'000);
  EXPECT_EQ(s.model.knobs.ttl_s, 86400);
  EXPECT_EQ(s.model.knobs.cli_timeout_ms, 15000);
  EXPECT_EQ(s.model.knobs.soft_refresh_lead_s, 3600);
  EXPECT_EQ(s.model.knobs.use_task_sup, k.use_task_sup);
  EXPECT_TRUE(s.model.mutants.none());
  EXPECT_TRUE(s.env.read_config_file);
  EXPECT_EQ(s.env.clock_offset_us, 0);
  EXPECT_FALSE(s.env.config_file.has_value());
  EXPECT_TRUE(s.env.storage_durable);
  EXPECT_FALSE(s.env.storage_faults.fail_put);
  EXPECT_FALSE(s.env.storage_faults.fail_get);
  EXPECT_EQ(s.env.storage_faults.get_latency_us, 0);
  EXPECT_TRUE(s.env.storage_rows.empty());
  EXPECT_EQ(s.env.cli.exit_code, 0);
  EXPECT_FALSE(s.env.cli.output.has_value());
  EXPECT_EQ(s.env.cli.latency_us, 0);
  EXPECT_FALSE(s.env.cli.hang);
  EXPECT_FALSE(s.env.cli.missing);
  EXPECT_TRUE(s.env.cli_per_app.empty());
  ASSERT_EQ(s.clients.size(), 1u);
  EXPECT_EQ(s.clients[0].count, 1u);
  EXPECT_EQ(s.clients[0].start_us, 0);
  EXPECT_EQ(s.clients[0].repeat, 1u);
  EXPECT_EQ(s.clients[0].every_us, 0);
  ASSERT_EQ(s.faults.faults.size(), 1u);
  const faults::Fault& f = s.faults.faults[0];
  EXPECT_EQ(f.name, "");
  EXPECT_EQ(f.action.reason, sim::Term(sim::Atom("kill")));
  EXPECT_EQ(f.trigger.after, 0u);
  EXPECT_EQ(f.trigger.max_fires, 1u);
  EXPECT_EQ(f.trigger.from_us, 0);
  EXPECT_EQ(f.trigger.until_us, sim::infinity_us);
  EXPECT_EQ(f.action.heal_after_us, -1);
  EXPECT_TRUE(s.properties.empty());
  EXPECT_TRUE(s.expect.empty());
  EXPECT_EQ(s.explore.strategy, "swarm");  // the default
  EXPECT_EQ(s.explore.seeds, 100u);
  EXPECT_EQ(s.explore.seed_base, 0u);
  EXPECT_EQ(s.explore.budget_s, 0.0);
  EXPECT_EQ(s.explore.steps_max, d.explore.steps_max);
  EXPECT_EQ(s.explore.time_max_us, 86400LL * 1'000'000);
}

TEST(ScenarioFile, an_on_receive_trigger_watches_the_target_unless_a_receiver_is_given) {
  const ScenarioSpec s = parse_ok(head + "[[fault]]\ntarget = \"app:x\"\naction = \"kill\"\non_receive = \"acquire\"\n");
  ASSERT_EQ(s.faults.faults.size(), 1u);
  EXPECT_EQ(s.faults.faults[0].trigger.receiver.kind, faults::Target::Kind::app);
  EXPECT_EQ(s.faults.faults[0].trigger.receiver.app, "x");
}

TEST(ScenarioFile, every_ms_repeats_an_at_ms_fault_max_fires_times) {
  const ScenarioSpec s = parse_ok(head + "[[fault]]\nname = \"loop\"\ntarget = \"app:a\"\naction = \"kill\"\n"
                                         "at_ms = 1000\nevery_ms = 100\nmax_fires = 3\n");
  const auto& f = s.faults.faults;
  ASSERT_EQ(f.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(f[i].name, "loop");
    EXPECT_EQ(f[i].trigger.kind, faults::Trigger::Kind::at_time);
    EXPECT_EQ(f[i].trigger.at_us, static_cast<sim::Micros>(1'000'000 + 100'000 * i));
    EXPECT_EQ(f[i].trigger.max_fires, 1u);
  }
}

TEST(ScenarioFile, rows_and_calls_may_be_written_as_arrays_of_tables) {
  const ScenarioSpec s = parse_ok(head +
                                  "[[env.storage.rows]]\napp = \"a\"\nkey = \"manual\"\ntoken = \"m\"\n"
                                  "[[client]]\nname = \"c\"\n[[client.calls]]\nop = \"get\"\napp = \"a\"\n");
  ASSERT_EQ(s.env.storage_rows.size(), 1u);
  EXPECT_EQ(s.env.storage_rows[0].token, "m");
  ASSERT_EQ(s.clients.size(), 1u);
  ASSERT_EQ(s.clients[0].calls.size(), 1u);
  EXPECT_EQ(s.clients[0].calls[0].app, "a");
}

TEST(ScenarioFile, a_float_key_accepts_an_integer) {
  const ScenarioSpec s = parse_ok(head + "[explore]\nbudget_s = 2\n[[fault]]\ntarget = \"top\"\naction = \"kill\"\n"
                                         "probability = 1\n");
  EXPECT_EQ(s.explore.budget_s, 2.0);
  EXPECT_EQ(s.faults.faults.at(0).trigger.probability, 1.0);
}

TEST(ScenarioFile, the_known_strategies_are_swarm_random_pct_and_dfs) {
  ASSERT_EQ(known_strategies().size(), 4u);
  EXPECT_EQ(known_strategies()[0], "swarm");
  EXPECT_EQ(known_strategies()[1], "random");
  EXPECT_EQ(known_strategies()[2], "pct");
  EXPECT_EQ(known_strategies()[3], "dfs");
}

TEST(ScenarioFile, the_default_strategy_is_swarm) {
  EXPECT_EQ(ExploreSpec{}.strategy, "swarm");
}

TEST(ScenarioFile, explore_reads_the_strategies_options) {
  const std::string text = head +
                           "[explore]\nstrategy = \"dfs\"\nreduction = \"sleep_sets\"\npreemption_bound = 2\n"
                           "pct_depth = 4\npct_steps = 900\nshrink = false\n";
  const ScenarioSpec spec = parse_ok(text);
  const ExploreSpec& e = spec.explore;
  EXPECT_EQ(e.strategy, "dfs");
  EXPECT_EQ(e.dfs_reduction, "sleep_sets");
  ASSERT_TRUE(e.dfs_preemption_bound.has_value());
  EXPECT_EQ(*e.dfs_preemption_bound, 2u);
  EXPECT_EQ(e.pct_depth, 4u);
  EXPECT_EQ(e.pct_steps, 900u);
  EXPECT_FALSE(e.shrink);
  EXPECT_EQ(e.delivery, sim::Delivery::async) << "async unless the file says";
  EXPECT_FALSE(e.dfs_delay_bound.has_value());
}

TEST(ScenarioFile, explore_reads_delivery_and_the_delay_bound) {
  const ScenarioSpec spec =
      parse_ok(head + "[explore]\nstrategy = \"dfs\"\ndelivery = \"instant\"\ndelay_bound = 3\n");
  EXPECT_EQ(spec.explore.delivery, sim::Delivery::instant);
  ASSERT_TRUE(spec.explore.dfs_delay_bound.has_value());
  EXPECT_EQ(*spec.explore.dfs_delay_bound, 3u);
  EXPECT_EQ(spec.explore.dfs_reduction, "optimal") << "the default reduction";
}

TEST(ScenarioFile, an_unknown_delivery_is_an_error_at_its_place) {
  EXPECT_PARSE_ERROR(head + "[explore]\ndelivery = \"later\"\n", 5, 12,
                     "explore.delivery: unknown delivery 'later' (expected async or instant)");
}

// --- errors ------------------------------------------------------------------

TEST(ScenarioFile, error_text_is_file_line_column_message) {
  ParseError e{"x.toml", 3, 7, "boom"};
  EXPECT_EQ(e.text(), "x.toml:3:7: boom");
  ParseError unread{"x.toml", 0, 0, "cannot read the file: No such file or directory"};
  EXPECT_EQ(unread.text(), "x.toml: cannot read the file: No such file or directory");
}

TEST(ScenarioFile, a_toml_syntax_error_gives_its_position) {
  EXPECT_PARSE_ERROR(head + "[model]\nttl_s = \n", 5, 9, "TOML syntax error: ");
  EXPECT_PARSE_ERROR(head + "name = \"again\"\n", 4, 8, "TOML syntax error: ");
}

TEST(ScenarioFile, a_missing_scenario_table_is_reported_at_the_start) {
  EXPECT_PARSE_ERROR("[model]\nttl_s = 5\n", 1, 1, "[scenario]: required table missing");
}

TEST(ScenarioFile, a_missing_required_key_points_at_its_table_header) {
  EXPECT_PARSE_ERROR("\n[scenario]\ndescription = \"d\"\n", 2, 1, "scenario.name: required key missing");
  EXPECT_PARSE_ERROR("[scenario]\nname = \"x\"\n", 1, 1, "scenario.description: required key missing");
  EXPECT_PARSE_ERROR(head + "\n[[client]]\ncalls = [ { op = \"get\", app = \"a\" } ]\n", 5, 1,
                     "client[0].name: required key missing");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\n", 4, 1, "client[0].calls: required key missing");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\" } ]\n", 6, 11,
                     "client[0].calls[0].app: required key missing");
  EXPECT_PARSE_ERROR(head + "[[fault]]\naction = \"kill\"\nat_ms = 1\n", 4, 1, "fault[0].target: required key missing");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\nat_ms = 1\n", 4, 1, "fault[0].action: required key missing");
}

TEST(ScenarioFile, an_unknown_table_or_key_is_named_with_the_allowed_ones) {
  EXPECT_PARSE_ERROR(head + "[modle]\n", 4, 2,
                     "modle: unknown key; the top level takes scenario, model, env, client, fault, properties, explore");
  EXPECT_PARSE_ERROR(head + "[model]\ntll_s = 10\n", 5, 1,
                     "model.tll_s: unknown key; [model] takes ttl_s, cli_timeout_ms, soft_refresh_lead_s, "
                     "use_task_sup, mutants");
  EXPECT_PARSE_ERROR(head + "[env.storage]\nrows = [ { app = \"a\", key = \"manual\", token = \"m\", kye = 1 } ]\n", 5, 52,
                     "env.storage.rows[0].kye: unknown key; a storage row takes app, key, token, expires_at_s");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\", ap = \"b\" } ]\n", 6, 36,
                     "client[0].calls[0].ap: unknown key; a call takes op, app, token");
  EXPECT_PARSE_ERROR(head + "[env.cli.apps.x]\nhung = true\n", 5, 1, "env.cli.apps.x.hung: unknown key; [env.cli.apps.x] takes");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nat_ms = 1\nevery = 5\n", 8, 1,
                     "fault[0].every: unknown key; [[fault]] takes name, target, action");
}

TEST(ScenarioFile, a_value_of_the_wrong_type_is_named_with_the_expected_type) {
  EXPECT_PARSE_ERROR(head + "[model]\nttl_s = \"10\"\n", 5, 9, "model.ttl_s: expected an integer, got a string");
  EXPECT_PARSE_ERROR(head + "[scenario.x]\n", 4, 11, "scenario.x: unknown key");
  EXPECT_PARSE_ERROR(head + "[explore]\nseeds = 1.5\n", 5, 9, "explore.seeds: expected an integer, got a floating-point number");
  EXPECT_PARSE_ERROR(head + "[env]\nread_config_file = 1\n", 5, 20, "env.read_config_file: expected a boolean");
  EXPECT_PARSE_ERROR(head + "[explore]\nbudget_s = \"1\"\n", 5, 12, "explore.budget_s: expected a number, got a string");
  EXPECT_PARSE_ERROR("model = 3\n" + head, 1, 9, "model: expected a table ([model]), got an integer");
  EXPECT_PARSE_ERROR(head + "[client]\nname = \"c\"\n", 4, 1, "client: expected an array of tables ([[client]]), got a table");
  EXPECT_PARSE_ERROR(head + "[model]\nmutants = [\"top_one_for_one\", 3]\n", 5, 31,
                     "model.mutants[1]: expected a string, got an integer");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ \"get\" ]\n", 6, 11,
                     "client[0].calls[0]: expected a table, got a string");
  EXPECT_PARSE_ERROR(head + "[env]\nclock_offset_s = 1979-05-27\n", 5, 18, "env.clock_offset_s: expected an integer, got a date");
}

TEST(ScenarioFile, a_value_out_of_range_is_reported_at_the_value) {
  const std::string client = "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\" } ]\n";
  EXPECT_PARSE_ERROR(head + client + "count = -2\n", 7, 9, "client[0].count: must be between 1 and 100000, got -2");
  EXPECT_PARSE_ERROR(head + client + "count = 0\n", 7, 9, "client[0].count: must be between 1 and 100000, got 0");
  EXPECT_PARSE_ERROR(head + client + "start_ms = -1\n", 7, 12, "client[0].start_ms: must be at least 0, got -1");
  EXPECT_PARSE_ERROR(head + "[explore]\nseeds = 0\n", 5, 9, "explore.seeds: must be between 1 and 1000000000, got 0");
  EXPECT_PARSE_ERROR(head + "[model]\nttl_s = 0\n", 5, 9, "model.ttl_s: must be at least 1, got 0");
  EXPECT_PARSE_ERROR(head + "[env.cli]\nexit_code = 256\n", 5, 13, "env.cli.exit_code: must be between 0 and 255, got 256");
  EXPECT_PARSE_ERROR(head + "[scenario.settle_ms]\n", 4, 1, "scenario.settle_ms: expected an integer, got a table");
  // A time that would overflow once converted to microseconds.
  EXPECT_PARSE_ERROR(head + "[env.storage]\nget_latency_ms = 9223372036854775807\n", 5, 18,
                     "env.storage.get_latency_ms: must be at most 9223372036854775, got 9223372036854775807");
  EXPECT_PARSE_ERROR(head + "[explore]\nbudget_s = -1.0\n", 5, 12, "explore.budget_s: must be a number of seconds >= 0");
}

TEST(ScenarioFile, a_probability_must_lie_in_zero_exclusive_to_one) {
  const std::string fault = "[[fault]]\ntarget = \"top\"\naction = \"kill\"\n";
  EXPECT_PARSE_ERROR(head + fault + "probability = 0\n", 7, 15, "fault[0].probability: must be in (0, 1]");
  EXPECT_PARSE_ERROR(head + fault + "probability = 1.5\n", 7, 15, "fault[0].probability: must be in (0, 1]");
  EXPECT_PARSE_ERROR(head + fault + "probability = -0.1\n", 7, 15, "fault[0].probability: must be in (0, 1]");
  EXPECT_PARSE_ERROR(head + fault + "probability = nan\n", 7, 15, "fault[0].probability: must be in (0, 1]");
}

TEST(ScenarioFile, an_unknown_name_lists_the_valid_ones) {
  EXPECT_PARSE_ERROR(head + "[model]\nmutants = [\"top_one_for_two\"]\n", 5, 12,
                     "model.mutants[0]: unknown mutant 'top_one_for_two' (expected one of: no_already_started_branch, "
                     "top_one_for_one, refresh_not_atomic,");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"fetch\", app = \"a\" } ]\n", 6, 18,
                     "client[0].calls[0].op: unknown op 'fetch' (expected one of: get, refresh, invalidate, set_manual)");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"cache\"\naction = \"kill\"\nat_ms = 1\n", 5, 10,
                     "fault[0].target: unknown fault target 'cache' (expected top, registry, ets_owner");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"explode\"\nat_ms = 1\n", 6, 10,
                     "fault[0].action: unknown action 'explode' (expected one of: kill, crash_on_next_message, "
                     "storage_put_fail,");
  EXPECT_PARSE_ERROR(head + "[properties]\ncheck = [\"liveness\", \"no_crash\"]\n", 5, 22,
                     "properties.check[1]: unknown property 'no_crash' (expected one of: cli_coalesced, liveness, "
                     "manual_token_durable, no_client_crash, restart_scope)");
  EXPECT_PARSE_ERROR(head + "[explore]\nstrategy = \"bfs\"\n", 5, 12,
                     "explore.strategy: unknown strategy 'bfs' (expected one of: swarm, random, pct, dfs)");
  EXPECT_PARSE_ERROR(head + "[explore]\nreduction = \"magic\"\n", 5, 13,
                     "explore.reduction: unknown reduction 'magic' (expected one of: optimal, dpor, sleep_sets, none)");
  EXPECT_PARSE_ERROR(head + "[env.storage]\nrows = [ { app = \"a\", key = \"other\", token = \"t\" } ]\n", 5, 29,
                     "env.storage.rows[0].key: unknown storage key 'other' (expected cached or manual)");
}

TEST(ScenarioFile, a_scenario_name_must_be_lower_case_letters_digits_dash_and_underscore) {
  EXPECT_PARSE_ERROR("[scenario]\nname = \"My Scenario\"\ndescription = \"d\"\n", 2, 8,
                     "scenario.name: 'My Scenario' is not a valid name");
  EXPECT_PARSE_ERROR("[scenario]\nname = \"x\"\ndescription = \"two\\nlines\"\n", 3, 15, "scenario.description: must be one line");
  EXPECT_PARSE_ERROR("[scenario]\nname = \"x\"\ndescription = \"\"\n", 3, 15, "scenario.description: must not be empty");
}

TEST(ScenarioFile, a_fault_needs_exactly_one_trigger) {
  EXPECT_PARSE_ERROR(head + "\n[[fault]]\ntarget = \"top\"\naction = \"kill\"\n", 5, 1,
                     "fault[0]: no trigger; give exactly one of at_ms, at_step, on_receive, probability");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nat_step = 3\nat_ms = 1\n", 8, 9,
                     "fault[0].at_ms: a fault has exactly one trigger, and at_step is already given");
}

TEST(ScenarioFile, an_action_must_fit_its_target) {
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"ets_owner\"\naction = \"cli_hang\"\nat_ms = 1\n", 6, 10,
                     "fault[0].action: cli_hang does not apply to target ets_owner (it takes: kill, crash_on_next_message, "
                     "stop_normal, busy)");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"storage\"\naction = \"kill\"\nat_ms = 1\n", 6, 10,
                     "fault[0].action: kill does not apply to target storage (it takes: storage_put_fail, "
                     "storage_get_fail, storage_slow)");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"clock\"\naction = \"node_restart\"\nat_ms = 1\n", 6, 10,
                     "fault[0].action: node_restart does not apply to target clock (it takes: clock_jump)");
}

TEST(ScenarioFile, action_parameters_are_required_or_refused_by_action) {
  const std::string at = "at_ms = 1\n";
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"storage\"\naction = \"storage_slow\"\n" + at, 4, 1,
                     "fault[0].duration_ms: required key missing");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"cli\"\naction = \"cli_slow\"\nduration_ms = -5\n" + at, 7, 15,
                     "fault[0].duration_ms: must be at least 0, got -5");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nduration_ms = 5\n" + at, 7, 15,
                     "fault[0].duration_ms: only storage_slow, cli_slow, clock_jump and busy take a duration, not kill");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"storage\"\naction = \"storage_put_fail\"\nreason = \"x\"\n" + at, 7, 10,
                     "fault[0].reason: only kill and crash_on_next_message take a reason, not storage_put_fail");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nreason = \"\"\n" + at, 7, 10,
                     "fault[0].reason: must not be empty");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nexit_code = 2\n" + at, 7, 13,
                     "fault[0].exit_code: only cli_fail takes an exit code, not kill");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"cli\"\naction = \"cli_fail\"\nexit_code = 0\n" + at, 7, 13,
                     "fault[0].exit_code: must be between 1 and 255, got 0");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nheal_after_ms = 5\n" + at, 7, 17,
                     "fault[0].heal_after_ms: kill cannot be undone");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"node\"\naction = \"node_restart\"\nheal_after_ms = 5\n" + at, 7, 17,
                     "fault[0].heal_after_ms: node_restart cannot be undone");
}

TEST(ScenarioFile, trigger_options_are_checked) {
  const std::string fault = "[[fault]]\ntarget = \"top\"\naction = \"kill\"\n";
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nreceiver = \"registry\"\n", 8, 12,
                     "fault[0].receiver: only an on_receive trigger takes a receiver");
  EXPECT_PARSE_ERROR(head + fault + "on_receive = \"acquire\"\nreceiver = \"storage\"\n", 8, 12,
                     "fault[0].receiver: storage is not a process");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"storage\"\naction = \"storage_get_fail\"\non_receive = \"x\"\n", 7, 14,
                     "fault[0].on_receive: the target storage is not a process");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nwindow_ms = [500, 100]\n", 8, 19,
                     "fault[0].window_ms: the window ends (100 ms) before it starts (500 ms)");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nwindow_ms = [5]\n", 8, 13, "fault[0].window_ms: expected [from, until]");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nwindow_ms = [-5, 100]\n", 8, 14,
                     "fault[0].window_ms[0]: must be at least 0, got -5");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nmax_fires = 0\n", 8, 13, "fault[0].max_fires: must be at least 1, got 0");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nafter = -1\n", 8, 9, "fault[0].after: must be at least 0, got -1");
  EXPECT_PARSE_ERROR(head + fault + "at_step = 1\nevery_ms = 10\n", 8, 12, "fault[0].every_ms: only an at_ms trigger repeats");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nevery_ms = 0\n", 8, 12, "fault[0].every_ms: must be at least 1, got 0");
  EXPECT_PARSE_ERROR(head + fault + "at_ms = 1\nevery_ms = 10\nmax_fires = 10001\n", 9, 13,
                     "fault[0].max_fires: a periodic fault fires at most 10000 times, got 10001");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"app:\"\naction = \"kill\"\nat_ms = 1\n", 5, 10,
                     "fault[0].target: fault target 'app:' needs an app name");
}

TEST(ScenarioFile, set_manual_needs_a_token_and_other_ops_refuse_one) {
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\" }, { op = \"set_manual\", app = \"a\" } ]\n",
                     6, 38, "client[0].calls[1].token: required key missing (set_manual needs the token to store)");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\", token = \"t\" } ]\n", 6, 44,
                     "client[0].calls[0].token: only set_manual takes a token, not get");
  EXPECT_PARSE_ERROR(head + "[[client]]\nname = \"c\"\ncalls = []\n", 6, 9, "client[0].calls: a client needs at least one call");
}

TEST(ScenarioFile, storage_rows_need_an_expiry_exactly_when_cached) {
  EXPECT_PARSE_ERROR(head + "[env.storage]\nrows = [ { app = \"a\", key = \"cached\", token = \"t\" } ]\n", 5, 10,
                     "env.storage.rows[0].expires_at_s: required key missing (a cached row expires");
  EXPECT_PARSE_ERROR(head + "[env.storage]\nrows = [ { app = \"a\", key = \"manual\", token = \"t\", expires_at_s = 5 } ]\n",
                     5, 67, "env.storage.rows[0].expires_at_s: a manual row never expires");
  EXPECT_PARSE_ERROR(head +
                         "[env.storage]\nrows = [ { app = \"a\", key = \"manual\", token = \"t\" },\n"
                         "         { app = \"a\", key = \"manual\", token = \"u\" } ]\n",
                     6, 10, "env.storage.rows[1]: a second row for app 'a', key 'manual'");
}

TEST(ScenarioFile, client_names_are_unique) {
  const std::string client = "[[client]]\nname = \"herd\"\ncalls = [ { op = \"get\", app = \"a\" } ]\n";
  EXPECT_PARSE_ERROR(head + client + client, 8, 8, "client[1].name: duplicate client name 'herd' (client[0] has it)");
}

TEST(ScenarioFile, names_are_listed_once) {
  EXPECT_PARSE_ERROR(head + "[model]\nmutants = [\"top_one_for_one\", \"top_one_for_one\"]\n", 5, 31,
                     "model.mutants[1]: mutant 'top_one_for_one' is listed twice");
  EXPECT_PARSE_ERROR(head + "[properties]\ncheck = [\"liveness\", \"liveness\"]\n", 5, 22,
                     "properties.check[1]: property 'liveness' is listed twice");
}

TEST(ScenarioFile, expect_violated_must_be_a_subset_of_check) {
  EXPECT_PARSE_ERROR(head + "[properties]\ncheck = [\"liveness\"]\nexpect_violated = [\"no_client_crash\"]\n", 6, 20,
                     "properties.expect_violated[0]: 'no_client_crash' is not in properties.check");
  EXPECT_PARSE_ERROR(head + "[properties]\ncheck = [\"liveness\"]\nexpect_violated = [\"nope\"]\n", 6, 20,
                     "properties.expect_violated[0]: unknown property 'nope'");
}

TEST(ScenarioFile, the_first_problem_in_file_order_is_reported) {
  // [model] sorts before [scenario] in the document's tables, but the
  // scenario error comes first in the file.
  EXPECT_PARSE_ERROR("[scenario]\nname = \"BAD\"\ndescription = \"d\"\n[model]\nttl_s = \"x\"\n", 2, 8, "scenario.name: ");
  EXPECT_PARSE_ERROR(head + "[model]\nttl_s = \"x\"\n[explore]\nseeds = 0\n", 5, 9, "model.ttl_s: ");
}

TEST(ScenarioFile, a_misspelt_required_key_is_reported_as_unknown_not_as_missing) {
  EXPECT_PARSE_ERROR("[scenario]\nname = \"x\"\ndescripton = \"d\"\n", 3, 1,
                     "scenario.descripton: unknown key; [scenario] takes name, description");
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\nat = 5\n", 7, 1, "fault[0].at: unknown key");
  EXPECT_PARSE_ERROR("[scenaro]\nname = \"x\"\ndescription = \"d\"\n", 1, 2, "scenaro: unknown key");
  // A missing key is still reported, when it is the only problem.
  EXPECT_PARSE_ERROR(head + "[[fault]]\ntarget = \"top\"\naction = \"kill\"\n", 4, 1, "fault[0]: no trigger");
}

TEST(ScenarioFile, an_app_name_in_a_path_is_quoted_when_it_is_not_a_bare_key) {
  EXPECT_PARSE_ERROR(head + "[env.cli.apps.\"my app\"]\nlatency_ms = -1\n", 5, 14,
                     "env.cli.apps.\"my app\".latency_ms: must be at least 0, got -1");
}

// --- files -------------------------------------------------------------------

TEST(ScenarioFile, an_unreadable_file_is_an_error_without_a_position) {
  auto r = load_scenario_file("/nonexistent/dir/x.toml", context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  const ParseError& e = std::get<ParseError>(r);
  EXPECT_EQ(e.file, "/nonexistent/dir/x.toml");
  EXPECT_EQ(e.line, 0);
  EXPECT_THAT(e.text(), StartsWith("/nonexistent/dir/x.toml: cannot read the file: "));
}

TEST(ScenarioFile, a_file_is_loaded_and_named_by_its_path) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("otpsim-scenario-file-test-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << head << "[model]\nttl_s = 3\n";
  }
  auto r = load_scenario_file(path.string(), context());
  std::filesystem::remove(path);
  ASSERT_TRUE(std::holds_alternative<ScenarioSpec>(r)) << std::get<ParseError>(r).text();
  EXPECT_EQ(std::get<ScenarioSpec>(r).source, path.string());
  EXPECT_EQ(std::get<ScenarioSpec>(r).model.knobs.ttl_s, 3);

  {
    std::ofstream out(path);
    out << head << "[model]\nttl_s = -3\n";
  }
  auto bad = load_scenario_file(path.string(), context());
  std::filesystem::remove(path);
  ASSERT_TRUE(std::holds_alternative<ParseError>(bad));
  EXPECT_EQ(std::get<ParseError>(bad).text(), path.string() + ":5:9: model.ttl_s: must be at least 1, got -3");
}

/// The ```toml blocks of a Markdown text, each with the line it starts on.
std::vector<std::pair<int, std::string>> toml_blocks(const std::string& markdown) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(markdown);
  std::string line;
  int number = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++number;
    if (!inside && line == "```toml") {
      inside = true;
      out.emplace_back(number + 1, "");
    } else if (inside && line == "```") {
      inside = false;
    } else if (inside) {
      out.back().second += line + "\n";
    }
  }
  EXPECT_FALSE(inside) << "an unterminated ```toml block";
  return out;
}

TEST(ScenarioFile, every_toml_example_in_docs_scenarios_md_parses) {
  const std::string path = std::string(OTPSIM_SOURCE_ROOT) + "/docs/scenarios.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto blocks = toml_blocks(buffer.str());
  EXPECT_GE(blocks.size(), 4u);
  for (const auto& [line, text] : blocks) {
    auto r = parse_scenario(text, "docs/scenarios.md", default_parse_context());
    if (auto* e = std::get_if<ParseError>(&r)) {
      ADD_FAILURE() << "the block at docs/scenarios.md:" << line << " does not parse: " << e->text()
                    << " (line numbers count from the block's first line)";
    }
  }
}

TEST(ScenarioFile, every_builtin_library_file_parses) {
  auto r = builtin_scenarios();
  ASSERT_TRUE(std::holds_alternative<std::vector<ScenarioSpec>>(r)) << std::get<ParseError>(r).text();
  EXPECT_FALSE(std::get<std::vector<ScenarioSpec>>(r).empty());
}

}  // namespace
}  // namespace otpsim::scenarios
