// The tree language of scenario files (scenarios/tree_file.hpp), its term
// syntax (scenarios/term_text.hpp), and tree scenarios in scenario_file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "scenarios/library.hpp"
#include "scenarios/scenario_file.hpp"
#include "scenarios/scenario_toml.hpp"
#include "scenarios/term_text.hpp"
#include "scenarios/tree_file.hpp"

namespace otpsim::scenarios {
namespace {

using core::tree::Clause;
using core::tree::Node;
using core::tree::Step;
using core::tree::TreeSpec;
using sim::Term;

// -- terms --

Term term(std::string_view text) {
  auto r = parse_term(text);
  if (auto* e = std::get_if<TermError>(&r)) {
    ADD_FAILURE() << "'" << text << "' does not parse: column " << e->column << ": " << e->message;
    return Term();
  }
  return std::get<Term>(r);
}

TermError term_error(std::string_view text) {
  auto r = parse_term(text);
  if (auto* e = std::get_if<TermError>(&r)) return *e;
  ADD_FAILURE() << "'" << text << "' parses as " << std::get<Term>(r);
  return {};
}

TEST(TermText, reads_atoms_integers_strings_tuples_lists_variables_and_the_wildcard) {
  EXPECT_EQ(term("ok"), sim::atom("ok"));
  EXPECT_EQ(term("'any text'"), sim::atom("any text"));
  EXPECT_EQ(term("Sessions.Registry"), sim::atom("Sessions.Registry"));
  EXPECT_EQ(term("nil"), sim::atom("nil"));
  EXPECT_EQ(term("true"), sim::atom("true"));
  EXPECT_EQ(term("-42"), Term(-42));
  EXPECT_EQ(term("\"a \\\"b\\\"\\n\""), Term::string("a \"b\"\n"));
  EXPECT_EQ(term(" { ok , $pid } "), sim::tuple(sim::atom("ok"), sim::atom("$pid")));
  EXPECT_EQ(term("[1, [], {}]"), sim::list(Term(1), sim::list(), sim::tuple()));
  EXPECT_EQ(term("_"), sim::atom("_"));
  EXPECT_EQ(term("{via, Sessions.Registry, \"a\"}"),
            sim::tuple(sim::atom("via"), sim::atom("Sessions.Registry"), Term::string("a")));
  EXPECT_EQ(term("-9223372036854775808"), Term(std::numeric_limits<std::int64_t>::min()));
}

TEST(TermText, errors_give_the_column_inside_the_string) {
  EXPECT_EQ(term_error("{ok, }").column, 6);
  EXPECT_EQ(term_error("{ok, $pid").column, 1);
  EXPECT_EQ(term_error("ok ok").column, 4);
  EXPECT_EQ(term_error("[1, 2; 3]").column, 6);
  EXPECT_EQ(term_error("\"open").column, 1);
  EXPECT_EQ(term_error("{a, $}").column, 5);
  EXPECT_EQ(term_error("99999999999999999999").column, 1);
  EXPECT_EQ(term_error("Sessions.registry").column, 1);
  EXPECT_EQ(term_error("_x").column, 1);
  EXPECT_EQ(term_error("'a\\q'").column, 3);
  EXPECT_EQ(term_error("").column, 1);
  EXPECT_EQ(term_error(std::string(300, '[')).column, 202);
}

TEST(TermText, print_then_parse_gives_the_same_term) {
  for (std::string_view text : {"ok", "'Quoted atom'", "'it''s'", "Sessions.Registry", "$result", "_", "-3",
                                "\"tab\\tquote\\\"\"", "{ok, [1, 2, {x, \"y\"}], $pid}", "[]", "{}", "'$'",
                                "'a\\\\b'", "'nil'", "'_x'", "'Lower.case'"}) {
    auto first = parse_term(text);
    if (std::holds_alternative<TermError>(first)) continue;  // "'it''s'" is two terms: not a round-trip case
    const Term t = std::get<Term>(first);
    const std::string printed = print_term(t);
    EXPECT_EQ(term(printed), t) << text << " printed as " << printed;
  }
  EXPECT_EQ(print_term(sim::atom("Sessions.Registry")), "Sessions.Registry");
  EXPECT_EQ(print_term(sim::atom("it's")), "'it\\'s'");
  EXPECT_EQ(print_term(sim::tuple(sim::atom("ok"), sim::atom("$pid"))), "{ok, $pid}");
}

// -- tree files --

TreeSpec tree(std::string_view text) {
  auto r = parse_tree_file(text, "t.toml");
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << e->text();
    return TreeSpec();
  }
  return std::get<TreeSpec>(r);
}

std::string tree_error(std::string_view text) {
  auto r = parse_tree_file(text, "t.toml");
  if (auto* e = std::get_if<ParseError>(&r)) return e->text();
  ADD_FAILURE() << "parses:\n" << text;
  return "";
}

// Every step kind, in one behaviour (the worker's init, a call clause, a task).
constexpr std::string_view every_step = R"(
[tree]
id = "top"
kind = "supervisor"
strategy = "rest_for_one"
intensity = 2
period_s = 7

[[tree.children]]
id = "registry"
kind = "registry"
name = "Sessions.Registry"

[[tree.children]]
id = "sessions"
kind = "dynamic_supervisor"
max_children = 3

[[tree.children]]
id = "tasks"
kind = "task_supervisor"

[[tree.children]]
id = "all"
kind = "worker"
behaviour = "all"
name = "all"
restart = "transient"
shutdown = "brutal_kill"
arg = '{config, 1}'

[templates.session]
behaviour = "all"
restart = "temporary"
shutdown = 250
via = { registry = "Sessions.Registry", key = '$arg' }

[behaviour.all]
init = [
  { trap_exit = true },
  { register_name = 'extra' },
  { table_new = 'rows', heir = 'all' },
  { state_put = 'count', value = 0 },
  { registry_register = 'Sessions.Registry', key = '$arg', value = 'meta', as = '$reg' },
  { send_after_ms = 100, message = 'tick' },
]
terminate = [{ sleep_ms = 5 }]

[[behaviour.all.call]]
match = '{get, $k}'
steps = [
  { table_lookup = 'rows', key = '$k', catch = true, as = '$rows' },
  { match = '$rows', cases = [{ pattern = '[{$k, $v}]', steps = [{ reply = '{ok, $v}' }] }, { pattern = '[]', steps = [{ noreply = true }] }] },
]

[[behaviour.all.call]]
match = '_'
steps = [
  { call = 'Repo', request = '{checkout}', timeout_ms = 100, catch = true, as = '$r' },
  { cast = '{via, Sessions.Registry, "a"}', request = 'ping' },
  { send = 'all', message = 'hello' },
  { set = '$x', value = '{x, $r}' },
  { state_get = 'count', as = '$n' },
  { registry_lookup = 'Sessions.Registry', key = "\"a\"" },
  { whereis = 'cache', as = '$cache' },
  { table_insert = 'rows', key = 'k', value = 1 },
  { table_delete = 'rows', key = 'k' },
  { start_child = 'top/sessions', child = 'session', arg = '"b"', as = '$started' },
  { task_async = [{ reply = 'ignored' }], timeout_ms = 50, catch = true, as = '$t' },
  { task_async_nolink = 'top/tasks', steps = [{ sleep_ms = 1 }], timeout_ms = 20 },
  { task_start_child = 'top/tasks', steps = [{ crash = 'boom' }] },
  { reply = 'done' },
  { stop = 'normal' },
]

[[behaviour.all.cast]]
match = 'quit'
steps = [{ crash = '{bad, 1}' }]

[[behaviour.all.info]]
match = 'tick'
steps = []

[behaviour.never]
init = [{ ignore = true }]
)";

void collect(const std::vector<Step>& steps, std::set<Step::Kind>& kinds) {
  for (const Step& s : steps) {
    kinds.insert(s.kind);
    collect(s.steps, kinds);
    for (const Clause& c : s.clauses) collect(c.steps, kinds);
  }
}

TEST(TreeFile, every_step_kind_parses) {
  const TreeSpec t = tree(every_step);
  std::set<Step::Kind> kinds;
  for (const auto& [name, b] : t.behaviours) {
    collect(b.init, kinds);
    collect(b.terminate, kinds);
    for (const auto* cs : {&b.calls, &b.casts, &b.infos}) {
      for (const Clause& c : *cs) collect(c.steps, kinds);
    }
  }
  for (int k = 0; k <= static_cast<int>(Step::Kind::task_start_child); ++k) {
    EXPECT_TRUE(kinds.count(static_cast<Step::Kind>(k))) << "step kind " << k << " is not reachable";
  }
}

TEST(TreeFile, nodes_templates_and_steps_land_in_the_spec) {
  const TreeSpec t = tree(every_step);
  EXPECT_EQ(t.name, "t.toml");
  EXPECT_EQ(t.root.id, "top");
  EXPECT_EQ(t.root.strategy, core::otp::Strategy::rest_for_one);
  EXPECT_EQ(t.root.intensity, 2);
  EXPECT_EQ(t.root.period_s, 7);
  ASSERT_EQ(t.root.children.size(), 4u);
  EXPECT_EQ(t.root.children[0].kind, core::tree::NodeKind::registry);
  EXPECT_EQ(t.root.children[0].name, "Sessions.Registry");
  EXPECT_EQ(t.root.children[1].max_children, 3);
  const Node& all = t.root.children[3];
  EXPECT_EQ(all.restart, core::otp::Restart::transient);
  ASSERT_TRUE(all.shutdown);
  EXPECT_TRUE(all.shutdown->is_brutal_kill());
  EXPECT_EQ(all.arg, sim::tuple(sim::atom("config"), Term(1)));
  const Node& session = t.templates.at("session");
  EXPECT_EQ(session.id, "session");
  EXPECT_EQ(session.shutdown->timeout_us(), 250'000);
  EXPECT_EQ(session.via_registry, "Sessions.Registry");
  EXPECT_EQ(session.via_key, sim::atom("$arg"));
  EXPECT_EQ(t.root.children[2].arg, sim::list());  // no arg: []
  const Step& call = t.behaviours.at("all").calls[1].steps[0];
  EXPECT_EQ(call.kind, Step::Kind::call);
  EXPECT_EQ(call.to, sim::atom("Repo"));
  EXPECT_EQ(call.value, sim::tuple(sim::atom("checkout")));
  EXPECT_EQ(call.timeout_us, 100'000);
  EXPECT_TRUE(call.catch_exit);
  EXPECT_EQ(call.as, "$r");
  const Step& start = t.behaviours.at("all").calls[1].steps[9];
  EXPECT_EQ(start.sup, "top/sessions");
  EXPECT_EQ(start.child, "session");
  EXPECT_EQ(start.value, Term::string("b"));
  const Step& match = t.behaviours.at("all").calls[0].steps[1];
  ASSERT_EQ(match.clauses.size(), 2u);
  EXPECT_EQ(match.clauses[0].pattern, sim::list(sim::tuple(sim::atom("$k"), sim::atom("$v"))));
  EXPECT_EQ(t.behaviours.at("all").init[5].timeout_us, 100'000);
  EXPECT_EQ(t.behaviours.at("all").casts[0].steps[0].reason, sim::tuple(sim::atom("bad"), Term(1)));
}

// The smallest valid tree, with `extra` appended (a table or keys of [behaviour.w]).
std::string small(std::string_view node_keys, std::string_view extra = "") {
  return std::string("[tree]\nid = \"top\"\nkind = \"supervisor\"\n\n[[tree.children]]\nid = \"w\"\nkind = \"worker\"\n"
                     "behaviour = \"w\"\n") +
         std::string(node_keys) + "\n[behaviour.w]\n" + std::string(extra);
}

TEST(TreeFile, errors_are_file_line_column_naming_the_key) {
  EXPECT_EQ(tree_error(small("colour = 1")),
            "t.toml:9:1: tree.children[0].colour: unknown key; a node takes id, kind, strategy, intensity, period_s, "
            "name, restart, shutdown, max_children, partitions, behaviour, native, arg, via, children");
  EXPECT_EQ(tree_error(small("strategy = \"one_for_all\"")),
            "t.toml:9:12: tree.children[0].strategy: only a supervisor takes strategy, not a worker");
  EXPECT_EQ(tree_error(small("restart = \"sometimes\"")),
            "t.toml:9:11: tree.children[0].restart: unknown restart 'sometimes' (expected one of: permanent, transient, "
            "temporary)");
  EXPECT_EQ(tree_error(small("shutdown = \"soon\"")),
            "t.toml:9:12: tree.children[0].shutdown: expected brutal_kill, infinity or an integer (ms)");
  EXPECT_EQ(tree_error(small("arg = '{ok, }'")),
            "t.toml:9:13: tree.children[0].arg: unexpected '}' (a term is an atom, integer, \"string\", {tuple}, [list], "
            "$variable or _) (at column 6 of '{ok, }')");
  // With escapes the text is not the source: the value's start, and the column in the text.
  EXPECT_EQ(tree_error(small("arg = \"{\\\"a\\\"\"")),
            "t.toml:9:7: tree.children[0].arg: '{' is never closed (expected '}') (at column 1 of '{\"a\"')");
  EXPECT_EQ(tree_error(small("", "init = [{ reply = 'ok', stop = 'normal' }]")),
            "t.toml:11:25: behaviour.w.init[0].stop: a step has one kind, and reply is already given");
  EXPECT_EQ(tree_error(small("", "init = [{ reply = 'ok', timeout_ms = 5 }]")),
            "t.toml:11:25: behaviour.w.init[0].timeout_ms: unknown key; a reply step takes reply");
  EXPECT_EQ(tree_error(small("", "init = [{ timeout_ms = 5 }]")).substr(0, 66),
            "t.toml:11:9: behaviour.w.init[0]: a step needs a kind key, one of:");
  EXPECT_EQ(tree_error(small("", "init = [{ call = 'x', request = 'r', as = 'r' }]")),
            "t.toml:11:43: behaviour.w.init[0].as: 'r' is not a variable ($ then a letter or '_': '$pid')");
  EXPECT_EQ(tree_error(small("", "init = [{ noreply = false }]")),
            "t.toml:11:21: behaviour.w.init[0].noreply: write noreply = true (false declares nothing)");
  EXPECT_EQ(tree_error(small("", "init = [{ cast = 'x' }]")),
            "t.toml:11:9: behaviour.w.init[0].request: required key missing (the request sent)");
  EXPECT_EQ(tree_error(small("", "[[behaviour.w.call]]\nsteps = []\nwhen = 'x'\n")),
            "t.toml:13:1: behaviour.w.call[0].when: unknown key; a call clause takes match, steps");
  EXPECT_EQ(tree_error(small("behaviour = \"w\"").replace(0, 0, "")).substr(0, 10), "t.toml:9:1");
  EXPECT_EQ(tree_error(small("", "init = [{ reply = '{ok, $reslt}' }]")),
            "t.toml:10:1: behaviour.w: $reslt is never bound (a pattern, an `as` or a `set` binds a variable; $self, "
            "$arg, $msg and $result are always bound)");
  EXPECT_EQ(tree_error(small("native = \"n\"")),
            "t.toml:9:10: tree.children[0].native: a worker is a behaviour or a native, not both");
  EXPECT_EQ(tree_error("[tree]\nid = \"top\"\nkind = \"worker\"\nbehaviour = \"nope\"\n"),
            "t.toml:4:13: tree.behaviour: no [behaviour.nope] is declared (declared: none)");
  EXPECT_EQ(tree_error("[tree]\nid = \"Top\"\nkind = \"supervisor\"\n"),
            "t.toml:2:6: tree.id: 'Top' is not an id (lower-case letters, digits and '_')");
  EXPECT_EQ(tree_error("[tree]\nid = \"top\"\nkind = \"pool\"\n"),
            "t.toml:3:8: tree.kind: unknown kind 'pool' (expected one of: supervisor, dynamic_supervisor, registry, "
            "task_supervisor, worker)");
  EXPECT_EQ(tree_error("[tree]\nid = \"top\"\nkind = \"registry\"\n"),
            "t.toml:1:1: tree.name: required key missing (a registry is known by its name)");
  EXPECT_EQ(tree_error("[templates.s]\nkind = \"supervisor\"\n[tree]\nid = \"top\"\nkind = \"supervisor\"\n"),
            "t.toml:2:8: templates.s.kind: a template is a worker");
  EXPECT_EQ(tree_error("[tree]\nid = \"top\"\nkind = \"supervisor\"\n[scenario]\n"),
            "t.toml:4:2: scenario: unknown key; a tree file takes tree, templates, behaviour");
  EXPECT_EQ(tree_error("tree = \"sessions.toml\"\n"),
            "t.toml:1:8: tree: a tree file is named in [scenario] (tree = \"FILE\" under its header); a top-level "
            "tree is the [tree] table");
  EXPECT_EQ(tree_error("[behaviour.w]\n"), "t.toml:1:1: [tree]: required table missing (the root node: id, kind "
                                           "and its children)");
  EXPECT_EQ(tree_error("[tree\n").substr(0, 30), "t.toml:1:6: TOML syntax error:");
}

TEST(TreeFile, a_tree_that_parses_but_cannot_run_is_reported_at_the_tree_table) {
  const std::string dup = "# two children named a\n[tree]\nid = \"top\"\nkind = \"supervisor\"\n"
                          "[[tree.children]]\nid = \"a\"\nkind = \"dynamic_supervisor\"\n"
                          "[[tree.children]]\nid = \"a\"\nkind = \"dynamic_supervisor\"\n";
  EXPECT_EQ(tree_error(dup), "t.toml:2:1: tree: top: duplicate child id 'a'");
  EXPECT_THAT(tree_error(small("", "init = [{ start_child = 'top/w', child = 'x' }]")),
              testing::StartsWith("t.toml:1:1: tree: "));
  EXPECT_THAT(tree_error(small("", "init = [{ start_child = 'top/w', child = 'x' }]")),
              testing::HasSubstr("start_child names top/w, not a DynamicSupervisor"));
}

// -- writing a tree back --

void expect_same(const std::vector<Step>& a, const std::vector<Step>& b, const std::string& where);

void expect_same(const std::vector<Clause>& a, const std::vector<Clause>& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].pattern, b[i].pattern) << where;
    expect_same(a[i].steps, b[i].steps, where + "/" + std::to_string(i));
  }
}

void expect_same(const std::vector<Step>& a, const std::vector<Step>& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string w = where + "[" + std::to_string(i) + "]";
    EXPECT_EQ(a[i].kind, b[i].kind) << w;
    EXPECT_EQ(a[i].to, b[i].to) << w;
    EXPECT_EQ(a[i].value, b[i].value) << w;
    EXPECT_EQ(a[i].key, b[i].key) << w;
    EXPECT_EQ(a[i].reason, b[i].reason) << w;
    EXPECT_EQ(a[i].table, b[i].table) << w;
    EXPECT_EQ(a[i].heir, b[i].heir) << w;
    EXPECT_EQ(a[i].registry, b[i].registry) << w;
    EXPECT_EQ(a[i].sup, b[i].sup) << w;
    EXPECT_EQ(a[i].child, b[i].child) << w;
    EXPECT_EQ(a[i].timeout_us, b[i].timeout_us) << w;
    EXPECT_EQ(a[i].catch_exit, b[i].catch_exit) << w;
    EXPECT_EQ(a[i].as, b[i].as) << w;
    expect_same(a[i].steps, b[i].steps, w);
    expect_same(a[i].clauses, b[i].clauses, w);
  }
}

void expect_same(const Node& a, const Node& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.kind, b.kind) << a.id;
  EXPECT_EQ(a.restart, b.restart) << a.id;
  ASSERT_EQ(a.shutdown.has_value(), b.shutdown.has_value()) << a.id;
  if (a.shutdown) EXPECT_EQ(a.shutdown->timeout_us(), b.shutdown->timeout_us()) << a.id;
  EXPECT_EQ(a.name, b.name) << a.id;
  EXPECT_EQ(a.via_registry, b.via_registry) << a.id;
  EXPECT_EQ(a.via_key, b.via_key) << a.id;
  EXPECT_EQ(a.strategy, b.strategy) << a.id;
  EXPECT_EQ(a.intensity, b.intensity) << a.id;
  EXPECT_EQ(a.period_s, b.period_s) << a.id;
  EXPECT_EQ(a.max_children, b.max_children) << a.id;
  EXPECT_EQ(a.partitions, b.partitions) << a.id;
  EXPECT_EQ(a.behaviour, b.behaviour) << a.id;
  EXPECT_EQ(a.native, b.native) << a.id;
  EXPECT_EQ(a.arg, b.arg) << a.id;
  ASSERT_EQ(a.children.size(), b.children.size()) << a.id;
  for (std::size_t i = 0; i < a.children.size(); ++i) expect_same(a.children[i], b.children[i]);
}

void expect_same(const TreeSpec& a, const TreeSpec& b) {
  expect_same(a.root, b.root);
  ASSERT_EQ(a.templates.size(), b.templates.size());
  for (const auto& [id, t] : a.templates) expect_same(t, b.templates.at(id));
  ASSERT_EQ(a.behaviours.size(), b.behaviours.size());
  for (const auto& [name, x] : a.behaviours) {
    const core::tree::Behaviour& y = b.behaviours.at(name);
    EXPECT_EQ(x.name, y.name);
    expect_same(x.init, y.init, name + ".init");
    expect_same(x.terminate, y.terminate, name + ".terminate");
    expect_same(x.calls, y.calls, name + ".call");
    expect_same(x.casts, y.casts, name + ".cast");
    expect_same(x.infos, y.infos, name + ".info");
  }
}

std::string library_tree(const std::string& name) {
  for (const EmbeddedScenario& f : embedded_trees()) {
    if (f.file == name) return f.text;
  }
  ADD_FAILURE() << "no embedded tree " << name;
  return "";
}

TEST(TreeFile, writing_a_tree_and_parsing_it_gives_the_same_tree) {
  std::vector<std::string> examples = {std::string(every_step), small("", "init = [{ reply = \"\\\"it's\\\"\" }]")};
  for (const EmbeddedScenario& f : embedded_trees()) examples.emplace_back(f.text);
  for (const std::string& text : examples) {
    const TreeSpec first = tree(text);
    const std::string written = tree_to_toml(first);
    const TreeSpec again = tree(written);
    SCOPED_TRACE(written);
    expect_same(first, again);
    EXPECT_EQ(tree_to_toml(again), written);
  }
}

TEST(TreeFile, the_library_embeds_its_tree_files) {
  EXPECT_FALSE(library_tree("trees/sessions.toml").empty());
}

// -- tree scenarios --

const ParseContext& context() {
  static const ParseContext c = default_parse_context();
  return c;
}

ScenarioSpec scenario(std::string_view text, std::string_view file = "s.toml") {
  auto r = parse_scenario(text, file, context());
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << e->text();
    return ScenarioSpec();
  }
  return std::get<ScenarioSpec>(r);
}

std::string scenario_error(std::string_view text, std::string_view file = "s.toml") {
  auto r = parse_scenario(text, file, context());
  if (auto* e = std::get_if<ParseError>(&r)) return e->text();
  ADD_FAILURE() << "parses:\n" << text;
  return "";
}

const std::string header = "[scenario]\nname = \"s\"\ndescription = \"d\"\ntree = \"trees/sessions.toml\"\n";

TEST(TreeScenario, a_builtin_scenario_names_an_embedded_tree_file) {
  const ScenarioSpec s = scenario(header + R"(
[[client]]
name = "alice"
calls = [
  { op = "call", to = 'cache', request = '{open, "a"}', timeout_ms = 100, catch = true },
  { op = "cast", to = '{via, Sessions.Registry, "a"}', request = 'ping' },
  { op = "send", to = 'cache', request = 'hello' },
  { op = "sleep", sleep_ms = 3 },
]

[[fault]]
target = "top/cache"
action = "kill"
at_ms = 1

[[fault]]
target = "any_child:top/sessions"
action = "busy"
duration_ms = 40
at_ms = 2

[[fault]]
target = "top/sessions/session:a"
action = "stop_normal"
at_ms = 3
)", "builtin:s.toml");
  ASSERT_TRUE(s.tree);
  EXPECT_EQ(s.tree_file, "trees/sessions.toml");
  EXPECT_EQ(s.tree->name, "builtin:trees/sessions.toml");
  ASSERT_EQ(s.clients.size(), 1u);
  const auto& calls = s.clients[0].calls;
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].op, "call");
  EXPECT_EQ(calls[0].to, sim::atom("cache"));
  EXPECT_EQ(calls[0].request, sim::tuple(sim::atom("open"), Term::string("a")));
  EXPECT_EQ(calls[0].timeout_us, 100'000);
  EXPECT_TRUE(calls[0].catch_exit);
  EXPECT_EQ(calls[1].to, sim::tuple(sim::atom("via"), sim::atom("Sessions.Registry"), Term::string("a")));
  EXPECT_EQ(calls[3].op, "sleep");
  EXPECT_EQ(calls[3].timeout_us, 3000);
  ASSERT_EQ(s.faults.faults.size(), 3u);
  EXPECT_EQ(s.faults.faults[0].target.kind, faults::Target::Kind::path);
  EXPECT_EQ(s.faults.faults[1].target.kind, faults::Target::Kind::any_child);
  EXPECT_EQ(s.faults.faults[1].action.duration_us, 40'000);
  // No [properties]: every generic property, expected to hold.
  EXPECT_EQ(s.properties, context().tree_properties);
  EXPECT_EQ(s.properties.size(), 9u);
  for (const std::string& p : s.properties) EXPECT_TRUE(s.expect.at(p));
}

TEST(TreeScenario, a_tree_file_is_read_next_to_the_scenario_and_its_content_is_hashed) {
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "otpsim_tree_scenario";
  std::filesystem::create_directories(dir / "trees");
  const std::string client = "[[client]]\nname = \"c\"\ncalls = [{ op = \"call\", to = 'cache', request = 'x' }]\n";
  std::ofstream(dir / "s.toml") << header << client;
  std::ofstream(dir / "trees" / "sessions.toml") << library_tree("trees/sessions.toml");
  auto r = load_scenario_file((dir / "s.toml").string(), context());
  ASSERT_TRUE(std::holds_alternative<ScenarioSpec>(r)) << std::get<ParseError>(r).text();
  const std::string hash = std::get<ScenarioSpec>(r).content_hash;
  // A comment changes nothing; a changed tree changes the hash.
  std::ofstream(dir / "trees" / "sessions.toml") << "# c\n" << library_tree("trees/sessions.toml");
  EXPECT_EQ(std::get<ScenarioSpec>(load_scenario_file((dir / "s.toml").string(), context())).content_hash, hash);
  std::ofstream(dir / "trees" / "sessions.toml")
      << std::string(library_tree("trees/sessions.toml")).replace(
             library_tree("trees/sessions.toml").find("kind = \"dynamic_supervisor\""), 27,
             "kind = \"dynamic_supervisor\"\nmax_children = 2");
  EXPECT_NE(std::get<ScenarioSpec>(load_scenario_file((dir / "s.toml").string(), context())).content_hash, hash);
  // An error in the tree file names the tree file.
  std::ofstream(dir / "trees" / "sessions.toml") << "[tree]\nid = \"top\"\nkind = \"supervisor\"\ncolour = 1\n";
  auto bad = load_scenario_file((dir / "s.toml").string(), context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(bad));
  EXPECT_EQ(std::get<ParseError>(bad).text(),
            (dir / "trees" / "sessions.toml").string() + ":4:1: tree.colour: unknown key; a node takes id, kind, "
            "strategy, intensity, period_s, name, restart, shutdown, max_children, partitions, behaviour, native, arg, "
            "via, children");
  std::filesystem::remove(dir / "trees" / "sessions.toml");
  const std::string missing = std::get<ParseError>(load_scenario_file((dir / "s.toml").string(), context())).text();
  EXPECT_NE(missing.find(":4:8: scenario.tree: cannot read the tree file 'trees/sessions.toml': "), std::string::npos)
      << missing;
}

const std::string inline_tree = R"(
[tree]
id = "top"
kind = "supervisor"

[[tree.children]]
id = "cache"
kind = "worker"
name = "cache"
behaviour = "cache"

[behaviour.cache]
[[behaviour.cache.call]]
match = '_'
steps = [{ reply = 'ok' }]
)";

TEST(TreeScenario, errors_of_a_tree_scenario_name_the_key) {
  const std::string head = "[scenario]\nname = \"s\"\ndescription = \"d\"\n";  // 3 lines; inline_tree adds 15
  EXPECT_EQ(scenario_error(head + inline_tree + "[model]\nttl_s = 1\n"),
            "s.toml:19:1: model: a scenario with a tree takes no [model] (it configures the token trio)");
  EXPECT_EQ(scenario_error(head + inline_tree + "[[client]]\nname = \"c\"\ncalls = [{ op = \"call\", app = \"a\" }]\n"),
            "s.toml:21:25: client[0].calls[0].app: unknown key; a call takes op, to, request, timeout_ms, catch, "
            "sleep_ms");
  EXPECT_EQ(scenario_error(head + inline_tree + "[[client]]\nname = \"c\"\ncalls = [{ op = \"get\" }]\n"),
            "s.toml:21:17: client[0].calls[0].op: unknown op 'get' (a tree's clients: call, cast, send, sleep)");
  EXPECT_EQ(scenario_error(head + inline_tree +
                           "[[client]]\nname = \"c\"\ncalls = [{ op = \"cast\", to = 'cache', request = 'x', "
                           "timeout_ms = 5 }]\n"),
            "s.toml:21:67: client[0].calls[0].timeout_ms: only call takes timeout_ms, not cast");
  EXPECT_EQ(scenario_error(head + inline_tree +
                           "[[client]]\nname = \"c\"\ncalls = [{ op = \"call\", to = '{cache}', request = 'x' }]\n"),
            "s.toml:21:30: client[0].calls[0].to: expected a registered name ('cache') or {via, Registry, Key}");
  EXPECT_EQ(scenario_error(head + inline_tree +
                           "[[client]]\nname = \"c\"\ncalls = [{ op = \"call\", to = 'cache', request = '{x' }]\n"),
            "s.toml:21:50: client[0].calls[0].request: '{' is never closed (expected '}') (at column 1 of '{x')");
  const std::string fault = "[[fault]]\naction = \"kill\"\nat_ms = 1\ntarget = ";
  EXPECT_EQ(scenario_error(head + inline_tree + fault + "\"top/nope\"\n"),
            "s.toml:22:10: fault[0].target: no node at path 'top/nope' (the tree's paths: top, top/cache)");
  EXPECT_EQ(scenario_error(head + inline_tree + fault + "\"any_child:top/cache\"\n"),
            "s.toml:22:10: fault[0].target: 'top/cache' has no children (any_child:PATH names a supervisor, "
            "DynamicSupervisor or Task.Supervisor)");
  EXPECT_EQ(scenario_error(head + inline_tree + "[[fault]]\naction = \"storage_put_fail\"\nat_ms = 1\n"
                           "target = \"storage\"\n"),
            "s.toml:22:10: fault[0].target: a tree scenario has no environment to fault (storage is the trio's); "
            "name a path in the tree");
  EXPECT_EQ(scenario_error(head + inline_tree + "[properties]\ncheck = [\"no_zombies\"]\n").substr(0, 75),
            "s.toml:20:10: properties.check[0]: unknown property 'no_zombies' (expected ");
  EXPECT_EQ(scenario_error(head + "tree = \"x.toml\"\n" + inline_tree),
            "s.toml:6:1: tree: the tree is in the file scenario.tree names; declare it there or inline, not both");
  EXPECT_EQ(scenario_error(head + "[tree]\nid = \"top\"\nkind = \"supervisor\"\n[[tree.children]]\nid = \"x\"\n"
                           "kind = \"worker\"\nnative = \"no.such.native\"\n"),
            "s.toml:4:1: tree: top/x: unknown native worker 'no.such.native'");
}

TEST(TreeScenario, an_inline_tree_scenario_checks_the_properties_it_lists) {
  const ScenarioSpec s = scenario("[scenario]\nname = \"s\"\ndescription = \"d\"\n" + inline_tree +
                                  "[properties]\ncheck = [\"recovers\", \"no_orphans\"]\n"
                                  "expect_violated = [\"recovers\"]\n");
  ASSERT_TRUE(s.tree);
  EXPECT_TRUE(s.tree_file.empty());
  EXPECT_EQ(s.tree->name, "tree");
  EXPECT_EQ(s.properties, (std::vector<std::string>{"recovers", "no_orphans"}));
  EXPECT_FALSE(s.expect.at("recovers"));
  EXPECT_TRUE(s.expect.at("no_orphans"));
}

// Writes, parses back, and compares what a tree scenario holds.
void expect_round_trip(const ScenarioSpec& s) {
  const std::string text = to_toml(s);
  SCOPED_TRACE(text);
  const ScenarioSpec again = scenario(text, s.source);
  ASSERT_TRUE(again.tree);
  EXPECT_EQ(again.tree_file, "");  // written inline: the file stands alone wherever it is saved
  expect_same(*s.tree, *again.tree);
  EXPECT_EQ(again.properties, s.properties);
  EXPECT_EQ(again.expect, s.expect);
  ASSERT_EQ(again.clients.size(), s.clients.size());
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    ASSERT_EQ(again.clients[i].calls.size(), s.clients[i].calls.size());
    for (std::size_t k = 0; k < s.clients[i].calls.size(); ++k) {
      const CallSpec& a = s.clients[i].calls[k];
      const CallSpec& b = again.clients[i].calls[k];
      EXPECT_EQ(a.op, b.op);
      EXPECT_EQ(a.to, b.to);
      EXPECT_EQ(a.request, b.request);
      EXPECT_EQ(a.timeout_us, b.timeout_us);
      EXPECT_EQ(a.catch_exit, b.catch_exit);
    }
  }
  ASSERT_EQ(again.faults.faults.size(), s.faults.faults.size());
  for (std::size_t i = 0; i < s.faults.faults.size(); ++i) {
    EXPECT_EQ(again.faults.faults[i].target.name(), s.faults.faults[i].target.name());
    EXPECT_EQ(again.faults.faults[i].action.kind, s.faults.faults[i].action.kind);
    EXPECT_EQ(again.faults.faults[i].action.duration_us, s.faults.faults[i].action.duration_us);
  }
}

/// The scenario files of the fuzz corpus that declare a tree.
std::vector<std::string> fuzz_tree_corpus() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(OTPSIM_SOURCE_ROOT) + "/fuzz/corpus/scenario")) {
    std::ifstream in(e.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("\n[tree]") != std::string::npos) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(TreeScenario, writing_a_tree_scenario_and_parsing_it_gives_the_same_scenario) {
  const std::string client = "[[client]]\nname = \"c\"\ncalls = [{ op = \"call\", to = 'cache', request = 'x', "
                             "timeout_ms = 7, catch = true }, { op = \"sleep\", sleep_ms = 2 }, "
                             "{ op = \"send\", to = 'cache', request = \"\\\"it's\\\"\" }]\n";
  const std::string busy = "[[fault]]\ntarget = \"top/cache\"\naction = \"busy\"\nduration_ms = 9\nat_ms = 1\n";
  expect_round_trip(scenario("[scenario]\nname = \"s\"\ndescription = \"d\"\n" + inline_tree + client + busy));
  expect_round_trip(scenario(header + client + busy, "builtin:s.toml"));
  expect_round_trip(scenario("[scenario]\nname = \"s\"\ndescription = \"d\"\n" + std::string(every_step) + client));
  const std::vector<std::string> corpus = fuzz_tree_corpus();
  EXPECT_GE(corpus.size(), 5u);
  for (const std::string& file : corpus) {
    SCOPED_TRACE(file);
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    expect_round_trip(scenario(text, file));
  }
}

}  // namespace
}  // namespace otpsim::scenarios

namespace otpsim::scenarios {
namespace {

TEST(TreeDocs, every_toml_example_in_docs_trees_md_parses) {
  const std::string path = std::string(OTPSIM_SOURCE_ROOT) + "/docs/trees.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  const std::string markdown((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream lines(markdown);
  std::string line, block;
  int number = 0, start = 0, blocks = 0;
  bool inside = false;
  while (std::getline(lines, line)) {
    ++number;
    if (!inside && line == "```toml") {
      inside = true;
      block.clear();
      start = number + 1;
    } else if (inside && line == "```") {
      inside = false;
      ++blocks;
      // A scenario (its tree file from the built-in library), or a tree file.
      if (block.find("[scenario]") != std::string::npos) {
        auto r = parse_scenario(block, "builtin:trees.md", default_parse_context());
        if (auto* e = std::get_if<ParseError>(&r)) ADD_FAILURE() << "docs/trees.md:" << start << ": " << e->text();
      } else {
        auto r = parse_tree_file(block, "trees.md");
        if (auto* e = std::get_if<ParseError>(&r)) ADD_FAILURE() << "docs/trees.md:" << start << ": " << e->text();
      }
      if (blocks == 1) EXPECT_LT(number - start, 40) << "the first tree is under 40 lines";
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 2);
}

}  // namespace
}  // namespace otpsim::scenarios
