// otpsim elixir: the export of a tree built in C++ (every step kind reaches
// the script), what the BEAM cannot run is refused, the simulator's
// observation of a hand-built record, and, where `elixir` is installed, the
// script run on the real BEAM prints the observation the tree must give.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include "scenarios/elixir_export.hpp"
#include "scenarios/observation.hpp"

namespace otpsim::scenarios {
namespace {

using core::tree::Behaviour;
using core::tree::Clause;
using core::tree::Node;
using core::tree::NodeKind;
using core::tree::Step;
using core::tree::TreeSpec;
using sim::atom;
using sim::Term;

Node worker(std::string id, std::string behaviour, std::string name = {}) {
  Node n;
  n.id = std::move(id);
  n.kind = NodeKind::worker;
  n.behaviour = std::move(behaviour);
  n.name = std::move(name);
  return n;
}

Step reply(Term value) {
  Step s(Step::Kind::reply);
  s.value = std::move(value);
  return s;
}

Clause clause(Term pattern, std::vector<Step> steps) {
  Clause c;
  c.pattern = std::move(pattern);
  c.steps = std::move(steps);
  return c;
}

/// top (rest_for_one): a named echo worker `a`, then `b`; a client pings
/// a, crashes it through a call, and pings again after a kill of b.
ScenarioSpec rest_for_one_spec() {
  auto tree = std::make_shared<TreeSpec>();
  tree->root.id = "top";
  tree->root.kind = NodeKind::supervisor;
  tree->root.strategy = core::otp::Strategy::rest_for_one;
  tree->root.children = {worker("a", "echo", "a"), worker("b", "echo")};
  Behaviour echo;
  echo.name = "echo";
  Step crash(Step::Kind::crash);
  crash.reason = atom("$r");
  echo.calls = {clause(atom("ping"), {reply(atom("pong"))}),
                clause(Term::tuple({atom("crash"), atom("$r")}), {crash})};
  tree->behaviours["echo"] = echo;
  ScenarioSpec spec;
  spec.name = "cpp-rest-for-one";
  spec.tree = tree;
  ClientSpec c;
  c.name = "c";
  CallSpec ping;
  ping.op = "call";
  ping.to = atom("a");
  ping.request = atom("ping");
  CallSpec boom = ping;
  boom.request = Term::tuple({atom("crash"), atom("boom")});
  boom.catch_exit = true;
  CallSpec sleep;
  sleep.op = "sleep";
  sleep.timeout_us = 200'000;
  c.calls = {ping, boom, sleep, ping};
  spec.clients = {c};
  faults::Fault kill;
  kill.trigger.at_us = 100'000;
  kill.target = faults::Target(faults::Target::Kind::path, "top/a");
  kill.action.reason = atom("bang");
  spec.faults.faults = {kill};
  return spec;
}

TEST(ElixirTerm, writes_elixir_literals) {
  EXPECT_EQ(elixir_term(Term::tuple({atom("ok"), Term(3), Term::string("a\"#{x}")})).value(),
            R"({:ok, 3, "a\"\#{x}"})");
  EXPECT_EQ(elixir_term(Term::list({atom("Sessions.Registry"), atom("$arg"), atom("nil")})).value(),
            R"([:"Sessions.Registry", :"$arg", :nil])");
  EXPECT_FALSE(elixir_term(Term(sim::Pid{3})).has_value());
}

TEST(ElixirExport, refuses_what_the_beam_cannot_run_in_one_line) {
  ScenarioSpec trio;
  trio.name = "trio";
  EXPECT_NE(elixir_unsupported(trio).value().find("no declared tree"), std::string::npos);

  ScenarioSpec at_step = rest_for_one_spec();
  at_step.faults.faults[0].trigger.kind = faults::Trigger::Kind::at_step;
  EXPECT_NE(elixir_unsupported(at_step).value().find("other than at_ms"), std::string::npos);

  ScenarioSpec on_receive = rest_for_one_spec();
  on_receive.faults.faults[0].trigger.kind = faults::Trigger::Kind::on_receive;
  EXPECT_TRUE(elixir_unsupported(on_receive).has_value());

  ScenarioSpec crash_next = rest_for_one_spec();
  crash_next.faults.faults[0].action.kind = faults::Action::Kind::crash_on_next_message;
  EXPECT_NE(elixir_unsupported(crash_next).value().find("only kill, stop_normal and busy"), std::string::npos);

  ScenarioSpec native = rest_for_one_spec();
  auto tree = std::make_shared<TreeSpec>(*native.tree);
  tree->root.children[1].native = "tokens.ets_owner";
  native.tree = tree;
  EXPECT_NE(elixir_unsupported(native).value().find("top/b is a native worker"), std::string::npos);

  for (const ScenarioSpec* s : {&trio, &at_step, &native}) {
    EXPECT_EQ(elixir_unsupported(*s)->find('\n'), std::string::npos);
  }
  EXPECT_FALSE(elixir_unsupported(rest_for_one_spec()).has_value());
}

TEST(ElixirExport, every_step_kind_reaches_the_script) {
  ScenarioSpec spec = rest_for_one_spec();
  auto tree = std::make_shared<TreeSpec>(*spec.tree);
  Behaviour all;
  for (int k = 0; k <= static_cast<int>(Step::Kind::task_start_child); ++k) all.init.emplace_back(static_cast<Step::Kind>(k));
  tree->behaviours["all"] = all;
  spec.tree = tree;
  const std::string data = elixir_data(spec);
  for (const char* kind : {"reply", "noreply", "stop", "ignore", "crash", "sleep", "trap_exit", "match", "set",
                           "state_put", "state_get", "call", "cast", "send", "send_after", "register_name",
                           "registry_register", "registry_lookup", "whereis", "table_new", "table_insert",
                           "table_lookup", "table_delete", "start_child", "task_async", "task_async_nolink",
                           "task_start_child"}) {
    EXPECT_NE(data.find(std::string("%{k: :") + kind + ","), std::string::npos) << kind;
  }
  EXPECT_NE(data.find(R"("top/a" => %{id: :a, kind: :worker, restart: :permanent, shutdown: 5000, name: :a)"),
            std::string::npos)
      << data;
  EXPECT_NE(data.find("strategy: :rest_for_one"), std::string::npos);
  EXPECT_NE(data.find(R"(%{at_ms: 100, target: "top/a", action: :kill, reason: :bang, duration_ms: 0})"),
            std::string::npos);
  const std::string script = elixir_script(spec);
  EXPECT_EQ(script.rfind(std::string(elixir_runtime()), 0), 0u);
  EXPECT_NE(script.find("Otpsim.Main.run(scenario)"), std::string::npos);
}

TEST(Observation, of_a_record_names_paths_calls_and_fates) {
  const ScenarioSpec spec = rest_for_one_spec();
  core::RunRecord record;
  record.on_spawn(sim::Pid{1}, sim::Pid{2}, "node");
  record.on_spawn(sim::Pid{2}, sim::Pid{3}, "top");
  record.on_spawn(sim::Pid{3}, sim::Pid{4}, "top/a");
  record.on_spawn(sim::Pid{3}, sim::Pid{5}, "top/b");
  record.on_exit(sim::Pid{4}, atom("bang"));
  record.on_spawn(sim::Pid{3}, sim::Pid{6}, "top/a");
  record.on_exit(sim::Pid{5}, atom("shutdown"));
  record.on_spawn(sim::Pid{3}, sim::Pid{7}, "top/b");
  record.on_exit(sim::Pid{7}, Term::tuple({atom("x"), Term(sim::Pid{6})}));
  core::ClientCall call;
  call.client_name = "c";
  call.op = "call";
  call.end_us = 5;
  call.result = Term::tuple({atom("ok"), Term(sim::Pid{6})});
  record.calls.push_back(call);
  call.op = "cast";
  record.calls.push_back(call);
  call.op = "call";
  call.exited = true;
  call.exit_reason = atom("noproc");
  record.calls.push_back(call);
  call.end_us = -1;  // still waiting: no line
  record.calls.push_back(call);
  EXPECT_EQ(observation(spec, record),
            "call c 1 {ok,<pid>}\n"
            "call c 2 exited:noproc\n"
            "final top alive\n"
            "final top/a alive\n"
            "final top/b dead\n"
            "node top starts 1 exits []\n"
            "node top/a starts 2 exits [bang]\n"
            "node top/b starts 2 exits [shutdown,{x,<pid>}]\n"
            "root alive\n");
}

#ifdef OTPSIM_ELIXIR
// Built only where meson found elixir (OTPSIM_ELIXIR is its path).

/// The output of `elixir FILE`.
std::string run_elixir(const std::string& script) {
  const std::string path = testing::TempDir() + "otpsim_elixir_export_test.exs";
  std::ofstream(path) << script;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("timeout 30 " OTPSIM_ELIXIR " " + path + " < /dev/null").c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) out.append(buffer.data(), n);
  return out;
}

TEST(ElixirExport, runs_on_the_beam_where_elixir_is_installed) {
  const std::string out = run_elixir(elixir_script(rest_for_one_spec()));
  // rest_for_one: killing a (reason bang) restarts a and b, b shut down.
  EXPECT_EQ(out,
            "call c 1 pong\n"
            "call c 2 {exit,{boom,{'Elixir.GenServer',call,[a,{crash,boom},5000]}}}\n"
            "call c 3 pong\n"
            "final top alive\n"
            "final top/a alive\n"
            "final top/b alive\n"
            "node top starts 1 exits []\n"
            "node top/a starts 3 exits [bang,boom]\n"
            "node top/b starts 3 exits [shutdown,shutdown]\n"
            "root alive\n");
}
#endif

}  // namespace
}  // namespace otpsim::scenarios
