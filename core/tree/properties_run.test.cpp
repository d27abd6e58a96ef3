// The generic properties on real runs of declared trees (the tree runtime,
// core/tree/runtime.hpp): the record the kernel fills (labels, parents,
// proc_lib acks, retries, the runtime's events) is what the properties
// expect. Faults are recorded by hand (FaultEvent) as the injector would,
// next to the kill the script makes itself.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "core/tree/native.hpp"
#include "core/tree/properties.hpp"
#include "core/tree/runtime.hpp"
#include "sim/test_support.hpp"

namespace otpsim::core::tree {
namespace {

using sim::atom;
using sim::Ctx;
using sim::Pid;
using sim::Proc;
using sim::Task;
using sim::tuple;
using K = Step::Kind;

Node worker(const char* id, const char* behaviour) {
  Node n;
  n.id = id;
  n.behaviour = behaviour;
  return n;
}

Node supervisor(const char* id, otp::Strategy strategy, std::vector<Node> children, int intensity = 3) {
  Node n;
  n.id = id;
  n.kind = NodeKind::supervisor;
  n.strategy = strategy;
  n.intensity = intensity;
  n.children = std::move(children);
  return n;
}

/// A tree on a kernel with a record: a node process starts it, runs the
/// script, then waits forever (the run ends quiescent, the tree up).
class LiveTree {
 public:
  using Script = std::function<Task<>(Ctx, LiveTree&)>;
  explicit LiveTree(TreeSpec spec) : spec_(std::move(spec)), world(0, sim::TraceLevel::off), system(&spec_) {
    record.attach(&world.kernel);
    world.kernel.set_observer(&record);
  }
  void run(Script script) {
    script_ = std::move(script);
    world.spawn([this](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      (void)co_await system.start_link(ctx);
      co_await script_(ctx, *this);
      done = true;
      (void)co_await ctx.receive([](const Term&) { return false; });
    }, "node");
    outcome = world.run().outcome;
  }
  /// Records a kill of the process at `path` as the injector would, then makes it.
  Task<> kill(Ctx ctx, std::string path) {
    std::string why;
    const Pid victim = system.resolve(path, world.kernel, record, why);
    EXPECT_TRUE(victim) << path << ": " << why;
    FaultEvent f;
    f.fault_index = record.faults.size();
    f.name = "kill " + path;
    f.target = path;
    f.action = "kill";
    f.at_us = record.now_us();
    f.step = record.steps();
    f.applied = true;
    f.victim = victim;
    record.faults.push_back(f);
    co_await ctx.exit(victim, atom("kill"));
  }
  Task<ClientCall> op(Ctx ctx, ClientOp o) {
    ops_.push_back(std::make_unique<ClientOp>(std::move(o)));
    co_await system.client_op(ctx, &record, std::string("client"), ops_.back().get());
    co_return record.calls.back();
  }
  /// Every property's verdict: "name: message" for those that fail.
  std::vector<std::string> failures() const {
    std::vector<std::string> out;
    TreeContext ctx(spec_, record, world.kernel, outcome);
    for (const TreeProperty& p : tree_properties()) {
      if (auto v = p.check(ctx)) out.push_back(p.name + ": " + v->message);
    }
    return out;
  }
  std::vector<std::string> exits_of(std::string_view label) const {
    std::vector<std::string> out;
    for (const ProcessLife* l : record.lives(label)) out.push_back(l->alive() ? "alive" : l->exit_reason.to_string());
    return out;
  }

  TreeSpec spec_;
  sim::testing::World world;
  RunRecord record;
  TreeSystem system;
  sim::Outcome outcome = sim::Outcome::quiescent;
  bool done = false;

 private:
  Script script_;
  std::vector<std::unique_ptr<ClientOp>> ops_;
};

using Lines = std::vector<std::string>;

TEST(TreePropertiesRun, EveryPropertyHoldsWhenRestForOneHandlesAKill) {
  TreeSpec t;
  t.behaviours["idle"].name = "idle";
  t.root = supervisor("top", otp::Strategy::rest_for_one,
                      {worker("a", "idle"), worker("b", "idle"), worker("c", "idle")});
  LiveTree run(t);
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    co_await r.kill(ctx, "top/b");
    co_await ctx.sleep(6'000'000);
  });
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.exits_of("top/b"), Lines({"killed", "alive"}));
  EXPECT_EQ(run.exits_of("top/c"), Lines({"shutdown", "alive"}));
  EXPECT_EQ(run.failures(), Lines());
}

TEST(TreePropertiesRun, AnEscalationTheFaultAloneForcesBreaksNothing) {
  // mid allows no restart: the kill of a makes it give up, and top
  // (one_for_one) starts it again with a and b; z is untouched.
  TreeSpec t;
  t.behaviours["idle"].name = "idle";
  t.root = supervisor("top", otp::Strategy::one_for_one,
                      {supervisor("mid", otp::Strategy::rest_for_one, {worker("a", "idle"), worker("b", "idle")}, 0),
                       worker("z", "idle")});
  LiveTree run(t);
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    co_await r.kill(ctx, "top/mid/a");
    co_await ctx.sleep(6'000'000);
  });
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.exits_of("top/mid"), Lines({"shutdown", "alive"}));
  EXPECT_EQ(run.exits_of("top/z"), Lines({"alive"}));
  EXPECT_EQ(run.failures(), Lines());
}

TEST(TreePropertiesRun, UnhandledMessagesAreReported) {
  Behaviour strict;
  Clause expected;
  expected.pattern = atom("expected");
  strict.infos.push_back(expected);
  TreeSpec t;
  Node s = worker("strict", "strict");
  s.name = "strict";
  t.root = supervisor("top", otp::Strategy::one_for_one, {s});
  t.behaviours["strict"] = strict;
  LiveTree run(t);
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    ClientOp o;
    o.op = "send";
    o.to = atom("strict");
    o.request = atom("other");
    (void)co_await r.op(ctx, o);
    co_await ctx.sleep(1000);
  });
  ASSERT_TRUE(run.done);
  const Lines f = run.failures();
  ASSERT_EQ(f.size(), 1u) << ::testing::PrintToString(f);
  EXPECT_NE(f[0].find("no_unhandled_message: "), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("(top/strict) crashed with function_clause"), std::string::npos) << f[0];
}

/// owner (temporary) creates table rows in init, heir keeper if `heir`;
/// {put, K, V} inserts.
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
  insert.key = atom("$k");
  insert.value = atom("$v");
  Step reply(K::reply);
  reply.value = atom("ok");
  Clause put;
  put.pattern = tuple(atom("put"), atom("$k"), atom("$v"));
  put.steps = {insert, reply};
  t.behaviours["owner"].init.push_back(make);
  t.behaviours["owner"].calls.push_back(put);
  // The heir takes the table's {'ETS-TRANSFER', Tab, From, HeirData}: left
  // to the default handle_info, no_unhandled_message reports it.
  Clause transfer;
  transfer.pattern = tuple(atom("ETS-TRANSFER"), atom("_"), atom("_"), atom("_"));
  t.behaviours["keeper"].infos.push_back(transfer);
  return t;
}

void put_then_kill_owner(LiveTree& run) {
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    ClientOp o;
    o.op = "call";
    o.to = atom("owner");
    o.request = tuple(atom("put"), atom("a"), 1);
    (void)co_await r.op(ctx, o);
    co_await r.kill(ctx, "top/owner");
    co_await ctx.sleep(6'000'000);
  });
}

TEST(TreePropertiesRun, RowsSurviveWithTheHeirAndMayGoWithTheOwner) {
  for (bool heir : {false, true}) {
    LiveTree run(table_tree(heir));
    put_then_kill_owner(run);
    ASSERT_TRUE(run.done);
    EXPECT_EQ(run.record.tagged("table_insert").size(), 1u);
    EXPECT_EQ(run.failures(), Lines()) << "heir " << heir;
  }
  // An heir without a clause for the transfer leaves it unhandled.
  TreeSpec lax = table_tree(true);
  lax.behaviours["keeper"].infos.clear();
  LiveTree unhandled(lax);
  put_then_kill_owner(unhandled);
  const Lines u = unhandled.failures();
  ASSERT_EQ(u.size(), 1u) << ::testing::PrintToString(u);
  EXPECT_NE(u[0].find("(top/keeper) left {'ETS-TRANSFER',rows,"), std::string::npos) << u[0];
  // With the heir, the kernel's table is judged: a row the record says was
  // written later, but the table does not hold, is reported.
  LiveTree run(table_tree(true));
  put_then_kill_owner(run);
  const RecordedEvent& put = *run.record.tagged("table_insert").front();
  run.record.events.emplace_back(put.pid, put.at_us, put.step + 1,
                                 tuple(atom("table_insert"), atom("rows"), atom("a"), 2));
  const Lines f = run.failures();
  ASSERT_EQ(f.size(), 1u) << ::testing::PrintToString(f);
  EXPECT_NE(f[0].find("rows_survive: table rows: the row a => 2 written by"), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("is replaced by {a,1} at the end, though its holder"), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("(top/keeper) lives"), std::string::npos) << f[0];
}

/// A native worker (it emits no table events) that deletes a row of `rows`
/// on {erase, K}: a write the record does not see.
class RowEraser final : public otp::GenServer {
 public:
  Task<otp::HandleResult> handle_cast(Ctx ctx, Term message) override {
    if (message.is_tagged(sim::Atom("erase"), 2)) (void)co_await ctx.erase(sim::Atom("rows"), message[1]);
    co_return otp::HandleResult::noreply();
  }
};

Task<> cast(Ctx ctx, LiveTree& r, const char* to, Term message) {
  ClientOp o;
  o.op = "cast";
  o.to = atom(to);
  o.request = std::move(message);
  (void)co_await r.op(ctx, o);
}

TEST(TreePropertiesRun, RowsSurviveJudgesTheLastRecordedWriteAgainstTheTable) {
  // owner (alive throughout) holds rows {a, 1} and {b, 2}. A declared
  // cleaner deletes a (a recorded write: the last one for a, so no row a
  // is what must be there: not a loss); a native eraser deletes b
  // unrecorded: {b, 2} is the last write and the table lost it while its
  // owner lives.
  register_native("test.row_eraser", [](const NativeContext&) -> std::unique_ptr<otp::GenServer> {
    return std::make_unique<RowEraser>();
  });
  TreeSpec t = table_tree(false);
  Node cleaner = worker("cleaner", "cleaner");
  cleaner.name = "cleaner";
  Node eraser = worker("eraser", "");
  eraser.native = "test.row_eraser";
  eraser.name = "eraser";
  t.root.children.push_back(cleaner);
  t.root.children.push_back(eraser);
  Step del(K::table_delete);
  del.table = "rows";
  del.key = atom("$k");
  Clause clean;
  clean.pattern = tuple(atom("del"), atom("$k"));
  clean.steps = {del};
  t.behaviours["cleaner"].name = "cleaner";
  t.behaviours["cleaner"].casts.push_back(clean);
  for (bool erase_b : {false, true}) {
    LiveTree run(t);
    run.run([erase_b](Ctx ctx, LiveTree& r) -> Task<> {
      for (const char* k : {"a", "b"}) {
        ClientOp o;
        o.op = "call";
        o.to = atom("owner");
        o.request = tuple(atom("put"), atom(k), k[0] == 'a' ? 1 : 2);
        (void)co_await r.op(ctx, o);
      }
      co_await cast(ctx, r, "cleaner", tuple(atom("del"), atom("a")));
      if (erase_b) co_await cast(ctx, r, "eraser", tuple(atom("erase"), atom("b")));
      co_await ctx.sleep(1000);
    });
    ASSERT_TRUE(run.done);
    ASSERT_EQ(run.record.tagged("table_delete").size(), 1u);
    EXPECT_EQ(run.exits_of("top/owner"), Lines({"alive"}));
    const Lines f = run.failures();
    if (!erase_b) {
      EXPECT_EQ(f, Lines());
      continue;
    }
    ASSERT_EQ(f.size(), 1u) << ::testing::PrintToString(f);
    EXPECT_NE(f[0].find("rows_survive: table rows: the row b => 2 written by"), std::string::npos) << f[0];
    EXPECT_NE(f[0].find("(top/owner) at 0s (step"), std::string::npos) << f[0];
    EXPECT_NE(f[0].find("is gone at the end, though its holder"), std::string::npos) << f[0];
  }
}

/// top (one_for_one): registry Reg, sessions (DynamicSupervisor), opener;
/// opener's {open, K} starts session K named {via, Reg, K}.
TreeSpec sessions_tree() {
  TreeSpec t;
  Node reg;
  reg.id = "registry";
  reg.kind = NodeKind::registry;
  reg.name = "Reg";
  Node sessions;
  sessions.id = "sessions";
  sessions.kind = NodeKind::dynamic_supervisor;
  Node opener = worker("opener", "opener");
  opener.name = "opener";
  t.root = supervisor("top", otp::Strategy::one_for_one, {reg, sessions, opener});
  Node session = worker("session", "session");
  session.via_registry = "Reg";
  session.via_key = atom("$arg");
  t.templates["session"] = session;
  Step start(K::start_child);
  start.sup = "top/sessions";
  start.child = "session";
  start.value = atom("$k");
  Step reply(K::reply);
  reply.value = atom("$result");
  Clause open;
  open.pattern = tuple(atom("open"), atom("$k"));
  open.steps = {start, reply};
  t.behaviours["opener"].calls.push_back(open);
  t.behaviours["session"].name = "session";
  return t;
}

Task<> open_sessions(Ctx ctx, LiveTree& r) {
  for (const char* k : {"a", "b"}) {
    ClientOp o;
    o.op = "call";
    o.to = atom("opener");
    o.request = tuple(atom("open"), atom(k));
    (void)co_await r.op(ctx, o);
  }
}

TEST(TreePropertiesRun, ADynamicChildKilledIsStartedAgainAlone) {
  LiveTree run(sessions_tree());
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    co_await open_sessions(ctx, r);
    co_await r.kill(ctx, "top/sessions/session:a");
    co_await ctx.sleep(6'000'000);
  });
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.exits_of("top/sessions/session:a"), Lines({"killed", "alive"}));
  EXPECT_EQ(run.exits_of("top/sessions/session:b"), Lines({"alive"}));
  EXPECT_EQ(run.failures(), Lines());
}

TEST(TreePropertiesRun, KillingTheRegistryTakesItsRegistrantsThroughTheirLinks) {
  // Elixir's partitions link to the processes registered in them: when the
  // Registry's supervisor stops its partition, the sessions die with it,
  // though the tree (one_for_one) puts them outside its blast radius. Their
  // restarts fail while the Registry is down (a via-name start exits badarg,
  // as Elixir's whereis_name raises), each failure and retry counted: the
  // DynamicSupervisor gives up, an escalation the fault alone does not force.
  LiveTree run(sessions_tree());
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    co_await open_sessions(ctx, r);
    co_await r.kill(ctx, "top/registry");
    co_await ctx.sleep(6'000'000);
  });
  ASSERT_TRUE(run.done);
  const Lines f = run.failures();
  ASSERT_GE(f.size(), 1u) << ::testing::PrintToString(f);
  EXPECT_NE(f[0].find("fault_contained: "), std::string::npos) << f[0];
  EXPECT_NE(f[0].find("(top/sessions) gave up"), std::string::npos) << f[0];
  const Lines a = run.exits_of("top/sessions/session:a");
  EXPECT_EQ(a.front(), "killed");
  EXPECT_EQ(run.exits_of("top/sessions").front(), "shutdown");
}

TEST(TreePropertiesRun, ADynamicSupervisorGivesUpOnRegistrantsItsRegistryTookDown) {
  // sessions allows 1 restart in 5 s: the two sessions the Registry's
  // partition takes down (links) are two EXITs it counts (it stopped
  // neither), so it gives up at that instant, as Elixir's does, and top
  // starts it again. restart_intensity must count them though the
  // supervisor exits at the very instant they died.
  TreeSpec t = sessions_tree();
  t.root.children[1].intensity = 1;
  LiveTree run(t);
  run.run([](Ctx ctx, LiveTree& r) -> Task<> {
    co_await open_sessions(ctx, r);
    co_await r.kill(ctx, "top/registry");
    co_await ctx.sleep(6'000'000);
  });
  ASSERT_TRUE(run.done);
  EXPECT_EQ(run.exits_of("top/sessions"), Lines({"shutdown", "alive"}));
  for (const std::string& f : run.failures()) {
    EXPECT_EQ(f.find("restart_intensity"), std::string::npos) << f;
    EXPECT_EQ(f.find("no_orphans"), std::string::npos) << f;
  }
}

}  // namespace
}  // namespace otpsim::core::tree
