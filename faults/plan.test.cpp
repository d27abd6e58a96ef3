// Fault plans as data: target and action names, which action fits which
// target, validation, and the on_receive message pattern.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faults/plan.hpp"

namespace otpsim::faults {
namespace {

using sim::atom;
using sim::Pid;
using sim::Ref;
using sim::Term;
using sim::tuple;
using TK = Target::Kind;
using AK = Action::Kind;

constexpr TK all_target_kinds[] = {TK::top,     TK::registry, TK::ets_owner, TK::task_sup, TK::dyn_sup, TK::app,
                                   TK::any_app, TK::storage,  TK::cli,       TK::clock,    TK::node};
constexpr AK all_action_kinds[] = {AK::kill,      AK::crash_on_next_message, AK::storage_put_fail, AK::storage_get_fail,
                                   AK::storage_slow, AK::cli_fail, AK::cli_hang, AK::cli_slow, AK::cli_empty,
                                   AK::clock_jump, AK::node_restart};

Target parsed(std::string_view text) {
  std::string error;
  auto t = Target::parse(text, error);
  EXPECT_TRUE(t.has_value()) << text << ": " << error;
  EXPECT_EQ(error, "");
  return t.value_or(Target());
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto t = Target::parse(text, error);
  EXPECT_FALSE(t.has_value()) << text;
  return error;
}

Action action(AK kind) {
  Action a;
  a.kind = kind;
  return a;
}

Term gen_call(Term request) { return tuple(atom("$gen_call"), tuple(Pid{7}, Ref{3}), std::move(request)); }
Term gen_cast(Term request) { return tuple(atom("$gen_cast"), std::move(request)); }

// -- Target --

TEST(FaultsPlan, every_plain_target_name_parses_to_its_kind) {
  EXPECT_EQ(parsed("top").kind, TK::top);
  EXPECT_EQ(parsed("registry").kind, TK::registry);
  EXPECT_EQ(parsed("ets_owner").kind, TK::ets_owner);
  EXPECT_EQ(parsed("task_sup").kind, TK::task_sup);
  EXPECT_EQ(parsed("dyn_sup").kind, TK::dyn_sup);
  EXPECT_EQ(parsed("any_app").kind, TK::any_app);
  EXPECT_EQ(parsed("storage").kind, TK::storage);
  EXPECT_EQ(parsed("cli").kind, TK::cli);
  EXPECT_EQ(parsed("clock").kind, TK::clock);
  EXPECT_EQ(parsed("node").kind, TK::node);
  EXPECT_EQ(parsed("cli").app, "");
}

TEST(FaultsPlan, app_and_cli_targets_carry_the_app_name_after_the_first_colon) {
  Target a = parsed("app:my-app");
  EXPECT_EQ(a.kind, TK::app);
  EXPECT_EQ(a.app, "my-app");
  Target c = parsed("cli:my-app");
  EXPECT_EQ(c.kind, TK::cli);
  EXPECT_EQ(c.app, "my-app");
  EXPECT_EQ(parsed("app:a:b").app, "a:b");
}

TEST(FaultsPlan, an_unknown_target_is_an_error_that_lists_the_valid_names) {
  EXPECT_EQ(parse_error("x"),
            "unknown fault target 'x' (expected top, registry, ets_owner, task_sup, dyn_sup, app:NAME, any_app, "
            "storage, cli, cli:NAME, clock, node, a tree path such as top/cache, or any_child:PATH)");
  EXPECT_NE(parse_error("Top").find("unknown fault target 'Top'"), std::string::npos);
  EXPECT_NE(parse_error("").find("unknown fault target ''"), std::string::npos);
  EXPECT_NE(parse_error("registry:x").find("unknown fault target"), std::string::npos);
  EXPECT_NE(parse_error("any_app:x").find("unknown fault target"), std::string::npos);
}

TEST(FaultsPlan, app_needs_a_name) {
  EXPECT_NE(parse_error("app").find("needs an app name"), std::string::npos);
  EXPECT_NE(parse_error("app:").find("needs an app name"), std::string::npos);
  EXPECT_NE(parse_error("cli:").find("needs an app name"), std::string::npos);
}

TEST(FaultsPlan, target_names_are_as_written_in_a_scenario_file) {
  EXPECT_EQ(Target(TK::ets_owner).name(), "ets_owner");
  EXPECT_EQ(Target(TK::app, "my-app").name(), "app:my-app");
  EXPECT_EQ(Target(TK::cli).name(), "cli");
  EXPECT_EQ(Target(TK::cli, "my-app").name(), "cli:my-app");
  EXPECT_EQ(Target(TK::node).name(), "node");
  for (TK kind : all_target_kinds) {
    const Target t(kind, kind == TK::app ? "x" : "");
    const Target back = parsed(t.name());
    EXPECT_EQ(back.kind, kind);
    EXPECT_EQ(back.app, t.app);
  }
}

TEST(FaultsPlan, process_targets_are_those_before_storage) {
  for (TK kind : all_target_kinds) {
    const bool process = kind == TK::top || kind == TK::registry || kind == TK::ets_owner || kind == TK::task_sup ||
                         kind == TK::dyn_sup || kind == TK::app || kind == TK::any_app;
    EXPECT_EQ(Target(kind).is_process(), process) << Target(kind, "x").name();
  }
}

RC_GTEST_PROP(FaultsPlanProperties, target_parse_of_name_round_trips, ()) {
  const auto kind = *rc::gen::elementOf(std::vector<TK>(std::begin(all_target_kinds), std::end(all_target_kinds)));
  std::string app;
  if (kind == TK::app) app = *rc::gen::nonEmpty<std::string>();
  if (kind == TK::cli) app = *rc::gen::arbitrary<std::string>();
  const Target t(kind, app);
  std::string error;
  const auto back = Target::parse(t.name(), error);
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->kind == t.kind);
  RC_ASSERT(back->app == t.app);
  RC_ASSERT(back->name() == t.name());
}

RC_GTEST_PROP(FaultsPlanProperties, a_text_that_parses_prints_back_as_itself, (const std::string& text)) {
  std::string error;
  const auto t = Target::parse(text, error);
  if (t) {
    RC_ASSERT(t->name() == text);
  } else {
    RC_ASSERT(!error.empty());
  }
}

// -- Action --

TEST(FaultsPlan, action_names_parse_and_print_back) {
  for (AK kind : all_action_kinds) {
    const std::string name = action(kind).name();
    auto back = Action::parse(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, kind);
  }
  EXPECT_EQ(action(AK::crash_on_next_message).name(), "crash_on_next_message");
  EXPECT_EQ(action(AK::cli_empty).name(), "cli_empty");
  EXPECT_EQ(Action::parse("explode"), std::nullopt);
  EXPECT_EQ(Action::parse("Kill"), std::nullopt);
  EXPECT_EQ(Action::parse(""), std::nullopt);
}

TEST(FaultsPlan, each_action_fits_exactly_its_targets) {
  const Target process_targets[] = {Target(TK::top), Target(TK::registry), Target(TK::ets_owner), Target(TK::task_sup),
                                    Target(TK::dyn_sup), Target(TK::app, "a"), Target(TK::any_app)};
  for (const Target& t : process_targets) {
    EXPECT_TRUE(action(AK::kill).fits(t)) << t.name();
    EXPECT_TRUE(action(AK::crash_on_next_message).fits(t)) << t.name();
    EXPECT_FALSE(action(AK::storage_get_fail).fits(t)) << t.name();
    EXPECT_FALSE(action(AK::cli_hang).fits(t)) << t.name();
    EXPECT_FALSE(action(AK::clock_jump).fits(t)) << t.name();
    EXPECT_FALSE(action(AK::node_restart).fits(t)) << t.name();
  }
  for (AK k : {AK::storage_put_fail, AK::storage_get_fail, AK::storage_slow}) {
    EXPECT_TRUE(action(k).fits(Target(TK::storage)));
    EXPECT_FALSE(action(k).fits(Target(TK::cli)));
  }
  for (AK k : {AK::cli_fail, AK::cli_hang, AK::cli_slow, AK::cli_empty}) {
    EXPECT_TRUE(action(k).fits(Target(TK::cli)));
    EXPECT_TRUE(action(k).fits(Target(TK::cli, "a")));
    EXPECT_FALSE(action(k).fits(Target(TK::storage)));
  }
  EXPECT_TRUE(action(AK::clock_jump).fits(Target(TK::clock)));
  EXPECT_FALSE(action(AK::clock_jump).fits(Target(TK::node)));
  EXPECT_TRUE(action(AK::node_restart).fits(Target(TK::node)));
  EXPECT_FALSE(action(AK::kill).fits(Target(TK::node)));
  EXPECT_FALSE(action(AK::kill).fits(Target(TK::storage)));
}

TEST(FaultsPlan, the_default_reason_is_kill) {
  EXPECT_EQ(Action().reason, atom("kill"));
  EXPECT_EQ(Action().kind, AK::kill);
  EXPECT_EQ(Action().heal_after_us, -1);
  EXPECT_EQ(Action().exit_code, 1);
}

TEST(FaultsPlan, validate_explains_what_cannot_run) {
  Fault f;
  f.target = Target(TK::storage);
  f.action = action(AK::kill);
  auto why = validate(f);
  ASSERT_TRUE(why.has_value());
  EXPECT_EQ(*why, "action kill does not apply to target storage (it takes: storage_put_fail, storage_get_fail, "
                  "storage_slow)");

  f.target = Target(TK::ets_owner);
  EXPECT_EQ(validate(f), std::nullopt);
  f.trigger.kind = Trigger::Kind::on_receive;
  f.trigger.receiver = Target(TK::clock);
  EXPECT_NE(validate(f).value_or("").find("on_receive needs a process"), std::string::npos);
  f.trigger.receiver = Target(TK::app, "a");
  EXPECT_EQ(validate(f), std::nullopt);

  f.trigger.kind = Trigger::Kind::probability;
  f.trigger.probability = 1.5;
  EXPECT_NE(validate(f).value_or("").find("probability"), std::string::npos);
  f.trigger.probability = 0.25;
  EXPECT_EQ(validate(f), std::nullopt);

  f.trigger.from_us = 10;
  f.trigger.until_us = 5;
  EXPECT_NE(validate(f).value_or("").find("window ends"), std::string::npos);
  f.trigger.until_us = 10;
  EXPECT_EQ(validate(f), std::nullopt);

  f.action.heal_after_us = 1000;
  EXPECT_NE(validate(f).value_or("").find("heal_after"), std::string::npos);
  f.target = Target(TK::cli, "a");
  f.action.kind = AK::cli_hang;
  EXPECT_EQ(validate(f), std::nullopt);
  f.target = Target(TK::node);
  f.action.kind = AK::node_restart;
  EXPECT_NE(validate(f).value_or("").find("heal_after"), std::string::npos);
}

TEST(FaultsPlan, a_fault_without_a_name_is_called_by_its_action_and_target) {
  Fault f;
  f.target = Target(TK::app, "my-app");
  f.action = action(AK::crash_on_next_message);
  EXPECT_EQ(default_name(f), "crash_on_next_message app:my-app");
}

// -- message_matches --

TEST(FaultsPlan, a_message_matches_an_atom_of_that_name) {
  EXPECT_TRUE(message_matches(atom("acquire"), "acquire"));
  EXPECT_FALSE(message_matches(atom("refresh"), "acquire"));
  EXPECT_FALSE(message_matches(Term::string("acquire"), "acquire"));
  EXPECT_FALSE(message_matches(Term(42), "acquire"));
}

TEST(FaultsPlan, a_message_matches_a_tuple_tagged_with_that_atom) {
  EXPECT_TRUE(message_matches(tuple(atom("soft_refresh"), 1), "soft_refresh"));
  EXPECT_TRUE(message_matches(tuple(atom("EXIT"), Pid{3}, atom("killed")), "EXIT"));
  EXPECT_FALSE(message_matches(tuple(1, atom("soft_refresh")), "soft_refresh"));
  EXPECT_FALSE(message_matches(Term::tuple(std::vector<Term>()), "x"));
  EXPECT_FALSE(message_matches(sim::list(atom("acquire")), "acquire"));
}

TEST(FaultsPlan, a_gen_server_call_or_cast_matches_by_its_request) {
  EXPECT_TRUE(message_matches(gen_call(atom("acquire")), "acquire"));
  EXPECT_TRUE(message_matches(gen_call(tuple(atom("set_manual"), Term::string("t"))), "set_manual"));
  EXPECT_FALSE(message_matches(gen_call(atom("refresh")), "acquire"));
  EXPECT_TRUE(message_matches(gen_cast(atom("ping")), "ping"));
  EXPECT_TRUE(message_matches(gen_cast(tuple(atom("ping"), 1)), "ping"));
  EXPECT_FALSE(message_matches(gen_cast(atom("pong")), "ping"));
  // The envelope's own tag matches too: every call.
  EXPECT_TRUE(message_matches(gen_call(atom("acquire")), "$gen_call"));
  // Only one level: a call whose request is a call does not match the inner request.
  EXPECT_FALSE(message_matches(gen_call(gen_call(atom("acquire"))), "acquire"));
}

TEST(FaultsPlan, an_empty_match_matches_every_message) {
  EXPECT_TRUE(message_matches(Term(1), ""));
  EXPECT_TRUE(message_matches(atom("x"), ""));
  EXPECT_TRUE(message_matches(gen_call(atom("acquire")), ""));
}

TEST(FaultsPlan, a_tree_target_is_a_path_or_any_child_of_a_supervisor_path) {
  Target p = parsed("top/sessions/session:a");
  EXPECT_EQ(p.kind, TK::path);
  EXPECT_EQ(p.name(), "top/sessions/session:a");
  EXPECT_TRUE(p.is_process());
  Target c = parsed("any_child:top/sessions");
  EXPECT_EQ(c.kind, TK::any_child);
  EXPECT_EQ(c.app, "top/sessions");
  EXPECT_EQ(c.name(), "any_child:top/sessions");
  // Without a tree a bare word is a logical name; with one, it is a path.
  EXPECT_NE(parse_error("cache").find("unknown fault target"), std::string::npos);
  std::string error;
  auto root = Target::parse("cache", error, true);
  ASSERT_TRUE(root.has_value()) << error;
  EXPECT_EQ(root->kind, TK::path);
  // The environment keeps its names in a tree scenario.
  EXPECT_EQ(Target::parse("clock", error, true)->kind, TK::clock);
  EXPECT_NE(parse_error("top//x").find("unknown fault target"), std::string::npos);
  EXPECT_NE(parse_error("any_child:").find("needs a supervisor's path"), std::string::npos);
}

TEST(FaultsPlan, stop_normal_and_busy_are_process_actions_and_busy_needs_a_duration) {
  Fault f;
  f.target = parsed("top/cache");
  f.action.kind = Action::Kind::stop_normal;
  EXPECT_EQ(f.action.name(), "stop_normal");
  EXPECT_FALSE(f.action.is_environment());
  EXPECT_FALSE(validate(f).has_value());
  f.action.kind = Action::Kind::busy;
  EXPECT_EQ(Action::parse("busy"), Action::Kind::busy);
  EXPECT_NE(validate(f).value_or("").find("busy needs a duration"), std::string::npos);
  f.action.duration_us = 1000;
  EXPECT_FALSE(validate(f).has_value());
  f.target = parsed("storage");
  EXPECT_TRUE(validate(f).has_value());
}


}  // namespace
}  // namespace otpsim::faults
