// The tree runtime: declared trees built in C++, run on a kernel, judged
// by the labels (paths) of the processes the record saw.
#include <gtest/gtest.h>

#include <functional>

#include "core/otp/testing.hpp"
#include "core/tree/native.hpp"
#include "core/tree/runtime.hpp"
#include "sim/test_support.hpp"

namespace otpsim::core::tree {
namespace {

using sim::Atom;
using sim::atom;
using sim::Pid;
using sim::Task;
using sim::Ctx;
using sim::Proc;
using sim::tuple;
using K = Step::Kind;

// -- building trees --

Node worker(const char* id, const char* behaviour) {
  Node n;
  n.id = id;
  n.behaviour = behaviour;
  return n;
}

Node supervisor(const char* id, otp::Strategy strategy, std::vector<Node> children) {
  Node n;
  n.id = id;
  n.kind = NodeKind::supervisor;
  n.strategy = strategy;
  n.children = std::move(children);
  return n;
}

Node of_kind(const char* id, NodeKind kind, const char* name = "") {
  Node n;
  n.id = id;
  n.kind = kind;
  n.name = name;
  return n;
}

Step step(K kind) { return Step(kind); }
Step reply(Term v) {
  Step s(K::reply);
  s.value = std::move(v);
  return s;
}
Clause clause(Term pattern, std::vector<Step> steps) {
  Clause c;
  c.pattern = std::move(pattern);
  c.steps = std::move(steps);
  return c;
}
Term var(const char* name) { return atom(name); }

/// A tree, a kernel, a record, and a node process that starts the tree,
/// runs `script`, then waits forever (the run ends quiescent, the tree up).
class TreeRun {
 public:
  using Script = std::function<Task<>(Ctx, TreeRun&)>;
  explicit TreeRun(const TreeSpec& spec, std::uint64_t seed = 0)
      : spec_(spec), world(seed, sim::TraceLevel::off), system(&spec_) {
    record.attach(&world.kernel);
    world.kernel.set_observer(&record);
  }
  void run(Script script) {
    script_ = std::move(script);
    world.spawn([this](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      started = co_await system.start_link(ctx);
      co_await script_(ctx, *this);
      done = true;
      // The node stays up: its exit would take the tree down with it.
      (void)co_await ctx.receive([](const Term&) { return false; });
    }, "node");
    world.run();
  }
  /// A client operation; the ClientCall it recorded.
  Task<ClientCall> op(Ctx ctx, ClientOp o) {
    ops_.push_back(std::make_unique<ClientOp>(std::move(o)));
    co_await system.client_op(ctx, &record, std::string("client"), ops_.back().get());
    co_return record.calls.back();
  }
  std::vector<std::string> exits_of(std::string_view label) const {
    std::vector<std::string> out;
    for (const ProcessLife* l : record.lives(label)) out.push_back(l->alive() ? "alive" : l->exit_reason.to_string());
    return out;
  }
  Pid resolve(std::string_view target) {
    std::string why;
    return system.resolve(target, world.kernel, record, why);
  }

  TreeSpec spec_;
  sim::testing::World world;
  RunRecord record;
  TreeSystem system;
  Term started;
  bool done = false;

 private:
  Script script_;
  std::vector<std::unique_ptr<ClientOp>> ops_;
};

ClientOp call_op(Term to, Term request, bool catch_exit = false, sim::Micros timeout_us = 5'000'000) {
  ClientOp o;
  o.op = "call";
  o.to = std::move(to);
  o.request = std::move(request);
  o.catch_exit = catch_exit;
  o.timeout_us = timeout_us;
  return o;
}
ClientOp send_op(Term to, Term message) {
  ClientOp o;
  o.op = "send";
  o.to = std::move(to);
  o.request = std::move(message);
  return o;
}

TreeSpec idle_tree(otp::Strategy strategy) {
  TreeSpec t;
  t.behaviours["idle"].name = "idle";
  t.root = supervisor("top", strategy, {worker("a", "idle"), worker("b", "idle"), worker("c", "idle")});
  return t;
}

Task<> kill_b(Ctx ctx, TreeRun& r) {
  Pid b = r.resolve("top/b");
  EXPECT_TRUE(b);
  co_await ctx.exit(b, atom("kill"));
  co_await ctx.sleep(1000);
}

// -- structure: find, paths, validate --

TEST(TreeSpec, finds_nodes_and_template_children_by_path_and_lists_paths_in_start_order) {
  TreeSpec t = idle_tree(otp::Strategy::one_for_one);
  t.root.children.push_back(of_kind("sessions", NodeKind::dynamic_supervisor));
  t.templates["session"] = worker("session", "idle");
  EXPECT_EQ(t.find("top"), &t.root);
  EXPECT_EQ(t.find("top/b"), &t.root.children[1]);
  EXPECT_EQ(t.find("top/sessions/session:a/b"), &t.templates["session"]);
  EXPECT_EQ(t.find("top/b/session:a"), nullptr);  // b is no DynamicSupervisor
  EXPECT_EQ(t.find("top/nope"), nullptr);
  EXPECT_EQ(t.find("other"), nullptr);
  EXPECT_EQ(t.paths(), (std::vector<std::string>{"top", "top/a", "top/b", "top/c", "top/sessions"}));
  EXPECT_EQ(t.root.children[0].shutdown_or_default().timeout_us(), 5'000'000);
  EXPECT_TRUE(t.root.shutdown_or_default().is_infinity());
}

TEST(TreeSpec, validate_names_the_path_of_what_cannot_run) {
  TreeSpec ok = idle_tree(otp::Strategy::one_for_one);
  EXPECT_EQ(validate(ok), std::nullopt);
  auto error_of = [&](std::function<void(TreeSpec&)> edit) {
    TreeSpec t = ok;
    edit(t);
    return validate(t).value_or("valid");
  };
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children[1].behaviour = "nope"; }), "top/b: unknown behaviour 'nope'");
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children[1] = worker("b", ""); t.root.children[1].native = "no.such"; }),
            "top/b: unknown native worker 'no.such'");
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children[2].id = "b"; }), "top: duplicate child id 'b'");
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children[2].id = "Bad-Id"; }), "top/Bad-Id: bad id 'Bad-Id' (want [a-z0-9_]+)");
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children.push_back(of_kind("reg", NodeKind::registry)); }),
            "top/reg: a Registry needs a name");
  EXPECT_EQ(error_of([](TreeSpec& t) { t.root.children[0].via_registry = "Reg"; }),
            "top/a: via_registry 'Reg' names no Registry node");
  EXPECT_EQ(error_of([](TreeSpec& t) {
              Step s(K::start_child);
              s.sup = "top/a";
              s.child = "session";
              t.behaviours["idle"].init.push_back(s);
            }),
            "behaviour idle: start_child names top/a, not a DynamicSupervisor");
  EXPECT_EQ(error_of([](TreeSpec& t) {
              t.root.children.push_back(of_kind("sessions", NodeKind::dynamic_supervisor));
              Step s(K::start_child);
              s.sup = "top/sessions";
              s.child = "nope";
              t.behaviours["idle"].init.push_back(s);
            }),
            "behaviour idle: start_child of unknown template 'nope'");
  EXPECT_EQ(error_of([](TreeSpec& t) {
              Step s(K::task_start_child);
              s.sup = "top/sessions";
              t.behaviours["idle"].init.push_back(s);
            }),
            "behaviour idle: a task step names top/sessions, not a Task.Supervisor");
}

// -- strategies, seen in the labels of exits --

TEST(TreeRuntime, rest_for_one_restarts_the_failed_child_and_the_later_siblings_only) {
  TreeRun r(idle_tree(otp::Strategy::rest_for_one));
  r.run(kill_b);
  ASSERT_TRUE(r.done);
  EXPECT_TRUE(r.started.is_tagged(sim::atoms::ok(), 2));
  EXPECT_EQ(r.exits_of("top/a"), (std::vector<std::string>{"alive"}));
  EXPECT_EQ(r.exits_of("top/b"), (std::vector<std::string>{"killed", "alive"}));
  EXPECT_EQ(r.exits_of("top/c"), (std::vector<std::string>{"shutdown", "alive"}));
  EXPECT_EQ(r.exits_of("top"), (std::vector<std::string>{"alive"}));
}

TEST(TreeRuntime, one_for_all_restarts_every_sibling) {
  TreeRun r(idle_tree(otp::Strategy::one_for_all));
  r.run(kill_b);
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.exits_of("top/a"), (std::vector<std::string>{"shutdown", "alive"}));
  EXPECT_EQ(r.exits_of("top/b"), (std::vector<std::string>{"killed", "alive"}));
  EXPECT_EQ(r.exits_of("top/c"), (std::vector<std::string>{"shutdown", "alive"}));
}

// -- templates, a Registry, start_child and match --

TreeSpec sessions_tree() {
  TreeSpec t;
  Node reg = of_kind("registry", NodeKind::registry, "Reg");
  Node sessions = of_kind("sessions", NodeKind::dynamic_supervisor);
  Node opener = worker("opener", "opener");
  opener.name = "opener";
  t.root = supervisor("top", otp::Strategy::one_for_one, {reg, sessions, opener});
  Node session = worker("session", "session");
  session.via_registry = "Reg";
  session.via_key = var("$arg");
  t.templates["session"] = session;
  // opener: {open, K} -> start_child(session, K), then {opened, P} | {existing, P}
  Step start(K::start_child);
  start.sup = "top/sessions";
  start.child = "session";
  start.value = var("$k");
  Step shape(K::match);
  shape.value = var("$result");
  shape.clauses.push_back(clause(tuple(atom("ok"), var("$p")), {reply(tuple(atom("opened"), var("$p")))}));
  shape.clauses.push_back(clause(tuple(atom("error"), tuple(atom("already_started"), var("$p"))),
                                 {reply(tuple(atom("existing"), var("$p")))}));
  t.behaviours["opener"].calls.push_back(clause(tuple(atom("open"), var("$k")), {start, shape}));
  // session: any call -> {session, Arg, Self}
  t.behaviours["session"].calls.push_back(clause(atom("_"), {reply(tuple(atom("session"), var("$arg"), var("$self")))}));
  return t;
}

TEST(TreeRuntime, template_children_start_under_their_registry_name_and_a_second_start_is_already_started) {
  TreeSpec spec = sessions_tree();
  ASSERT_EQ(validate(spec), std::nullopt);
  TreeRun r(spec);
  std::vector<ClientCall> calls;
  Pid a, any;
  std::size_t picks = 0;
  std::string why;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    calls.push_back(co_await run.op(ctx, call_op(atom("opener"), tuple(atom("open"), atom("a")))));
    calls.push_back(co_await run.op(ctx, call_op(atom("opener"), tuple(atom("open"), atom("a")))));
    calls.push_back(co_await run.op(ctx, call_op(atom("opener"), tuple(atom("open"), Term::string("b")))));
    calls.push_back(co_await run.op(ctx, call_op(tuple(atom("via"), atom("Reg"), atom("a")), atom("ping"))));
    a = run.resolve("top/sessions/session:a");
    const std::size_t before = run.world.kernel.choices().size();
    any = run.resolve("any_child:top/sessions");
    picks = run.world.kernel.choices().size() - before;
    (void)run.system.resolve("top/sessions/session:c", run.world.kernel, run.record, why);
  });
  ASSERT_TRUE(r.done);
  ASSERT_EQ(calls.size(), 4u);
  ASSERT_TRUE(calls[0].result.is_tagged(Atom("opened"), 2)) << calls[0].result;
  Pid first = calls[0].result[1].pid();
  EXPECT_EQ(calls[1].result, tuple(atom("existing"), first));
  EXPECT_TRUE(calls[2].result.is_tagged(Atom("opened"), 2));
  EXPECT_EQ(calls[3].result, tuple(atom("session"), atom("a"), first));
  EXPECT_EQ(calls[3].app, "{via,'Reg',a}");
  EXPECT_EQ(r.exits_of("top/sessions/session:a"), (std::vector<std::string>{"alive"}));
  EXPECT_EQ(r.exits_of("top/sessions/session:b"), (std::vector<std::string>{"alive"}));  // a string arg, unquoted
  EXPECT_EQ(r.exits_of("top/registry"), (std::vector<std::string>{"alive"}));
  EXPECT_EQ(r.exits_of("top/registry/partition"), (std::vector<std::string>{"alive"}));
  // resolve: by path, and any_child in pid order by a logged choice
  EXPECT_EQ(a, first);
  EXPECT_TRUE(any == first || any == calls[2].result[1].pid());
  EXPECT_EQ(picks, 1u);  // two live children: one logged choice
  EXPECT_EQ(why, "no live process at top/sessions/session:c");
  EXPECT_TRUE(r.system.names("any_child:top/sessions", first, r.world.kernel, r.record));
  EXPECT_TRUE(r.system.names("top/sessions/session:a", first, r.world.kernel, r.record));
  EXPECT_FALSE(r.system.names("top/opener", first, r.world.kernel, r.record));
  EXPECT_TRUE(r.system.owns("top/sessions/session:a"));
  EXPECT_TRUE(r.system.owns("task"));
  EXPECT_FALSE(r.system.owns("client:1"));
  EXPECT_FALSE(r.system.owns("workload"));
  EXPECT_FALSE(r.system.owns("node"));
  EXPECT_EQ(path_of_label("topper", r.system.tree()), "");
}

// -- call, reply, noreply; crashes --

TreeSpec one_worker(Behaviour b) {
  TreeSpec t;
  Node w = worker("w", "b");
  w.name = "w";
  t.root = supervisor("top", otp::Strategy::one_for_one, {w});
  t.behaviours["b"] = std::move(b);
  return t;
}

TEST(TreeRuntime, calls_reply_from_the_state_map_and_a_noreply_call_times_out) {
  Behaviour b;
  Step put(K::state_put);
  put.key = atom("v");
  put.value = var("$v");
  Step get(K::state_get);
  get.key = atom("v");
  b.calls.push_back(clause(tuple(atom("put"), var("$v")), {put, reply(atom("ok"))}));
  b.calls.push_back(clause(atom("get"), {get, reply(var("$result"))}));
  b.calls.push_back(clause(atom("later"), {step(K::noreply)}));
  b.calls.push_back(clause(atom("unbound"), {reply(var("$nobody"))}));
  TreeRun r(one_worker(b));
  std::vector<ClientCall> calls;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), atom("get"))));
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), tuple(atom("put"), 7))));
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), atom("get"))));
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), atom("later"), true, 100'000)));
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), atom("unbound"), true)));
    co_await ctx.sleep(1000);  // the supervisor restarts w
    calls.push_back(co_await run.op(ctx, call_op(atom("w"), atom("what"), true)));
  });
  ASSERT_TRUE(r.done);
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_EQ(calls[0].result, atom("nil"));
  EXPECT_EQ(calls[1].result, atom("ok"));
  EXPECT_EQ(calls[2].result, Term(7));
  EXPECT_TRUE(calls[3].result.is_tagged(Atom("exit"), 2));
  EXPECT_TRUE(calls[3].result[1].is_tagged(Atom("timeout"), 2)) << calls[3].result;
  EXPECT_FALSE(calls[3].exited);
  EXPECT_EQ(calls[3].end_us - calls[3].start_us, 100'000);
  EXPECT_TRUE(calls[4].result[1][0] == tuple(atom("unbound"), atom("$nobody"))) << calls[4].result;
  EXPECT_TRUE(calls[5].result[1][0] == atom("function_clause")) << calls[5].result;
  EXPECT_EQ(r.exits_of("top/w"), (std::vector<std::string>{"{unbound,'$nobody'}", "function_clause", "alive"}));
}

TEST(TreeRuntime, reply_then_stop_replies_and_stops_and_terminate_runs_with_the_reason) {
  Behaviour b;
  Step stop(K::stop);
  stop.reason = atom("done");
  b.calls.push_back(clause(atom("bye"), {reply(atom("ok")), stop}));
  Step cast_stop(K::stop);
  cast_stop.reason = atom("cast_done");
  b.casts.push_back(clause(atom("quit"), {cast_stop}));
  Step note(K::table_insert);  // terminate leaves its reason in a table the node owns
  note.table = "notes";
  note.key = var("$self");
  note.value = var("$msg");
  b.terminate.push_back(note);
  TreeRun r(one_worker(b));
  Term reply_value;
  std::vector<Term> notes;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    (void)co_await ctx.table_new(sim::TableOptions(sim::TableAccess::public_access, atom("notes")));
    Pid first = run.resolve("top/w");
    reply_value = (co_await run.op(ctx, call_op(atom("w"), atom("bye")))).result;
    co_await ctx.sleep(1000);
    Pid second = run.resolve("top/w");
    ClientOp quit;
    quit.op = "cast";
    quit.to = atom("w");
    quit.request = atom("quit");
    (void)co_await run.op(ctx, quit);
    co_await ctx.sleep(1000);
    std::vector<Pid> lives;
    lives.push_back(first);
    lives.push_back(second);
    for (Pid p : lives) {
      auto row = co_await ctx.lookup(Atom("notes"), Term(p));
      notes.push_back(row.value ? (*row.value)[1] : atom("none"));
    }
  });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(reply_value, atom("ok"));
  EXPECT_EQ(r.exits_of("top/w"), (std::vector<std::string>{"done", "cast_done", "alive"}));
  EXPECT_EQ(notes, (std::vector<Term>{atom("done"), atom("cast_done")}));
}

TEST(TreeRuntime, a_call_that_exits_an_uncaught_client_is_recorded_and_thrown) {
  Behaviour b;  // no call clauses: Elixir's default handle_call
  TreeRun r(one_worker(b));
  bool survived = false;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    try {
      (void)co_await run.op(ctx, call_op(atom("w"), atom("hello")));
      survived = true;
    } catch (const sim::ExitException&) {
    }
  });
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(survived);
  ASSERT_EQ(r.record.calls.size(), 1u);
  EXPECT_TRUE(r.record.calls[0].exited);
  EXPECT_EQ(r.record.calls[0].exit_reason[0], tuple(atom("bad_call"), atom("hello")));
  EXPECT_EQ(r.exits_of("top/w")[0], "{bad_call,hello}");
}

TEST(TreeRuntime, an_unmatched_info_crashes_with_function_clause_but_the_default_ignores_it_with_an_event) {
  Behaviour strict;
  strict.infos.push_back(clause(atom("expected"), {}));
  Behaviour lax;
  TreeSpec t;
  Node s = worker("strict", "strict");
  s.name = "strict";
  Node l = worker("lax", "lax");
  l.name = "lax";
  t.root = supervisor("top", otp::Strategy::one_for_one, {s, l});
  t.behaviours["strict"] = strict;
  t.behaviours["lax"] = lax;
  TreeRun r(t);
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    (void)co_await run.op(ctx, send_op(atom("strict"), atom("expected")));
    (void)co_await run.op(ctx, send_op(atom("strict"), atom("other")));
    (void)co_await run.op(ctx, send_op(atom("lax"), atom("other")));
    co_await ctx.sleep(1000);
  });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.exits_of("top/strict"), (std::vector<std::string>{"function_clause", "alive"}));
  EXPECT_EQ(r.exits_of("top/lax"), (std::vector<std::string>{"alive"}));
  auto unhandled = r.record.tagged("unhandled");
  ASSERT_EQ(unhandled.size(), 1u);
  EXPECT_EQ(unhandled[0]->term, tuple(atom("unhandled"), Term::string("top/lax"), atom("other")));
}

// -- tables: lost with their owner, kept by an heir --

TreeSpec table_tree(bool heir) {
  TreeSpec t;
  Node keeper = worker("keeper", "keeper");
  keeper.name = "keeper";
  Node owner = worker("owner", "owner");
  owner.name = "owner";
  owner.restart = otp::Restart::temporary;
  t.root = supervisor("top", otp::Strategy::one_for_one, {keeper, owner});
  Step make(K::table_new);
  make.table = "rows";
  if (heir) make.heir = "keeper";
  Step insert(K::table_insert);
  insert.table = "rows";
  insert.key = var("$k");
  insert.value = var("$v");
  t.behaviours["owner"].init.push_back(make);
  t.behaviours["owner"].calls.push_back(clause(tuple(atom("put"), var("$k"), var("$v")), {insert, reply(atom("ok"))}));
  Step lookup(K::table_lookup);
  lookup.table = "rows";
  lookup.key = var("$k");
  lookup.catch_exit = true;
  t.behaviours["keeper"].calls.push_back(clause(tuple(atom("get"), var("$k")), {lookup, reply(var("$result"))}));
  Step remember(K::state_put);
  remember.key = atom("got");
  remember.value = var("$msg");
  t.behaviours["keeper"].infos.push_back(clause(atom("_"), {remember}));
  return t;
}

Term rows_after_owner_dies(bool heir, std::vector<std::string>* owner_exits) {
  TreeRun r(table_tree(heir));
  Term got;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    (void)co_await run.op(ctx, call_op(atom("owner"), tuple(atom("put"), atom("a"), 1)));
    co_await ctx.exit(run.resolve("top/owner"), atom("kill"));
    co_await ctx.sleep(1000);
    got = (co_await run.op(ctx, call_op(atom("keeper"), tuple(atom("get"), atom("a"))))).result;
  });
  EXPECT_TRUE(r.done);
  *owner_exits = r.exits_of("top/owner");
  return got;
}

TEST(TreeRuntime, table_rows_die_with_their_owner_unless_an_heir_inherits_them) {
  std::vector<std::string> exits;
  EXPECT_EQ(rows_after_owner_dies(false, &exits), tuple(atom("exit"), atom("badarg")));
  EXPECT_EQ(exits, (std::vector<std::string>{"killed"}));
  EXPECT_EQ(rows_after_owner_dies(true, &exits), sim::list(tuple(atom("a"), 1)));
}

// -- tasks --

TEST(TreeRuntime, task_async_runs_the_body_in_a_task_and_returns_its_result) {
  Behaviour b;
  Step compute(K::task_async);
  Step set(K::set);
  set.as = "$r";
  set.value = tuple(atom("computed"), var("$msg"), var("$self"));
  Step put(K::state_put);
  put.key = atom("r");
  put.value = var("$r");
  Step get(K::state_get);
  get.key = atom("r");
  compute.steps = {set, put, get};
  b.calls.push_back(clause(atom("_"), {compute, reply(tuple(var("$result"), var("$self")))}));
  TreeRun r(one_worker(b));
  Term result;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> { result = (co_await run.op(ctx, call_op(atom("w"), atom("x")))).result; });
  ASSERT_TRUE(r.done);
  auto tasks = r.record.lives("task");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(result, tuple(tuple(atom("computed"), atom("x"), tasks[0]->pid), r.resolve("top/w")));
  EXPECT_EQ(r.exits_of("task"), (std::vector<std::string>{"normal"}));
}

TEST(TreeRuntime, task_supervisor_tasks_are_labelled_under_their_supervisor) {
  Behaviour b;
  Step nolink(K::task_async_nolink);
  nolink.sup = "top/tasks";
  Step crash(K::crash);
  crash.reason = atom("boom");
  nolink.steps = {crash};
  b.calls.push_back(clause(atom("_"), {nolink, reply(var("$result"))}));
  TreeSpec t = one_worker(b);
  t.root.children.insert(t.root.children.begin(), of_kind("tasks", NodeKind::task_supervisor));
  ASSERT_EQ(validate(t), std::nullopt);
  TreeRun r(t);
  Term result;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> { result = (co_await run.op(ctx, call_op(atom("w"), atom("x")))).result; });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(result, tuple(atom("exit"), atom("boom")));
  EXPECT_EQ(r.exits_of("top/tasks/task"), (std::vector<std::string>{"boom"}));
  EXPECT_EQ(r.exits_of("top/w"), (std::vector<std::string>{"alive"}));
}

// -- declared labels --

TEST(TreeRuntime, declared_labels_name_processes_and_map_back_to_paths) {
  TreeSpec t = sessions_tree();
  t.root.children[1].label = "sessions_sup";      // top/sessions
  t.templates["session"].label = "session($arg)";  // top/sessions/session:K
  Node tasks = of_kind("tasks", NodeKind::task_supervisor);
  tasks.label = "ts";
  t.root.children.push_back(tasks);
  Step fire(K::task_start_child);
  fire.sup = "top/tasks";
  fire.steps = {Step(K::sleep)};
  t.behaviours["opener"].calls.push_back(clause(atom("fire"), {fire, reply(var("$result"))}));
  ASSERT_EQ(validate(t), std::nullopt);
  TreeRun r(t);
  Pid sup, a, any;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> {
    (void)co_await run.op(ctx, call_op(atom("opener"), tuple(atom("open"), atom("a"))));
    (void)co_await run.op(ctx, call_op(atom("opener"), atom("fire")));
    sup = run.resolve("top/sessions");
    a = run.resolve("top/sessions/session:a");
    any = run.resolve("any_child:top/sessions");
  });
  ASSERT_TRUE(r.done);
  ASSERT_EQ(r.record.lives("sessions_sup").size(), 1u);
  ASSERT_EQ(r.record.lives("session(a)").size(), 1u);
  EXPECT_EQ(sup, r.record.lives("sessions_sup")[0]->pid);
  EXPECT_EQ(a, r.record.lives("session(a)")[0]->pid);
  EXPECT_EQ(any, a);
  EXPECT_EQ(r.exits_of("ts/task"), (std::vector<std::string>{"normal"}));
  const TreeSpec& tree = r.system.tree();
  EXPECT_EQ(path_of_label("sessions_sup", tree), "top/sessions");
  EXPECT_EQ(path_of_label("session(a)", tree), "top/sessions/session:a");
  EXPECT_EQ(path_of_label("ts/task", tree), "top/tasks/task");
  EXPECT_EQ(path_of_label("top/registry/partition", tree), "top/registry/partition");
  EXPECT_EQ(path_of_label("workload", tree), "");
  EXPECT_TRUE(r.system.names("top/sessions/session:a", a, r.world.kernel, r.record));
  EXPECT_TRUE(r.system.owns("ts/task"));
}

// -- native workers --

class Echo final : public otp::GenServer {
 public:
  explicit Echo(std::string path) : path_(std::move(path)) {}
  Task<otp::CallResult> handle_call(Ctx, Term request, otp::From) override {
    co_return otp::CallResult::reply(tuple(atom("echo"), Term::string(path_), request));
  }

 private:
  std::string path_;
};

TEST(TreeRuntime, a_native_worker_registered_by_name_runs_in_the_tree) {
  register_native("test.echo", [](const NativeContext& c) { return std::make_unique<Echo>(c.path); });
  EXPECT_NE(find_native("test.echo"), nullptr);
  TreeSpec t;
  Node echo;
  echo.id = "echo";
  echo.name = "echo";
  echo.native = "test.echo";
  t.root = supervisor("top", otp::Strategy::one_for_one, {echo});
  ASSERT_EQ(validate(t), std::nullopt);
  TreeRun r(t);
  Term result;
  r.run([&](Ctx ctx, TreeRun& run) -> Task<> { result = (co_await run.op(ctx, call_op(atom("echo"), atom("hi")))).result; });
  ASSERT_TRUE(r.done);
  EXPECT_EQ(result, tuple(atom("echo"), Term::string("top/echo"), atom("hi")));
}

}  // namespace
}  // namespace otpsim::core::tree
