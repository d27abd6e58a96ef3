// The generic properties of any tree (docs/properties.md, "Any tree"), on
// records built by hand: each property on a run that keeps it and on one
// that breaks it, and blast_radius for each strategy and nesting.
#include "core/tree/properties.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::core::tree {
namespace {

using sim::Atom;
using sim::Ctx;
using sim::Proc;
namespace sa = sim::atoms;

constexpr Micros s = 1'000'000;

Node worker(std::string id, otp::Restart restart = otp::Restart::permanent) {
  Node n;
  n.id = std::move(id);
  n.kind = NodeKind::worker;
  n.behaviour = "w";
  n.restart = restart;
  return n;
}

Node supervisor(std::string id, otp::Strategy strategy, std::vector<Node> children, int intensity = 3) {
  Node n;
  n.id = std::move(id);
  n.kind = NodeKind::supervisor;
  n.strategy = strategy;
  n.intensity = intensity;
  n.period_s = 5;
  n.children = std::move(children);
  return n;
}

/// top (one_for_one, 3 in 5 s)
///   reg       Registry "Reg"
///   cache     worker, permanent
///   mid       rest_for_one, 1 in 5 s: a permanent, b transient, c temporary
///   all       one_for_all: x, y
///   sessions  DynamicSupervisor; template session (transient, via Reg $arg)
TreeSpec sample_tree() {
  TreeSpec t;
  t.name = "sample";
  Node reg;
  reg.id = "reg";
  reg.kind = NodeKind::registry;
  reg.name = "Reg";
  Node sessions;
  sessions.id = "sessions";
  sessions.kind = NodeKind::dynamic_supervisor;
  t.root = supervisor("top", otp::Strategy::one_for_one,
                      {reg, worker("cache"),
                       supervisor("mid", otp::Strategy::rest_for_one,
                                  {worker("a"), worker("b", otp::Restart::transient),
                                   worker("c", otp::Restart::temporary)},
                                  1),
                       supervisor("all", otp::Strategy::one_for_all, {worker("x"), worker("y")}), sessions});
  Node session = worker("session", otp::Restart::transient);
  session.via_registry = "Reg";
  session.via_key = Term(Atom("$arg"));
  t.templates["session"] = session;
  t.behaviours["w"] = Behaviour();
  t.behaviours["w"].name = "w";
  return t;
}

using Paths = std::vector<std::string>;

TEST(BlastRadius, OneForOneTakesOnlyTheNodeAndWhatIsBelowIt) {
  const TreeSpec t = sample_tree();
  EXPECT_EQ(blast_radius(t, "top/cache"), Paths({"top/cache"}));
  EXPECT_EQ(blast_radius(t, "top/mid"), Paths({"top/mid", "top/mid/a", "top/mid/b", "top/mid/c"}));
  EXPECT_EQ(blast_radius(t, "top/reg"), Paths({"top/reg", "top/reg/partition"}));
}

TEST(BlastRadius, RestForOneTakesTheLaterSiblings) {
  const TreeSpec t = sample_tree();
  EXPECT_EQ(blast_radius(t, "top/mid/a"), Paths({"top/mid/a", "top/mid/b", "top/mid/c"}));
  EXPECT_EQ(blast_radius(t, "top/mid/b"), Paths({"top/mid/b", "top/mid/c"}));
  EXPECT_EQ(blast_radius(t, "top/mid/c"), Paths({"top/mid/c"}));
}

TEST(BlastRadius, OneForAllTakesEverySiblingItselfFirst) {
  const TreeSpec t = sample_tree();
  EXPECT_EQ(blast_radius(t, "top/all/y"), Paths({"top/all/y", "top/all/x"}));
  EXPECT_EQ(blast_radius(t, "top/all/x"), Paths({"top/all/x", "top/all/y"}));
}

TEST(BlastRadius, NestedSupervisorsBringTheirWholeSubtrees) {
  TreeSpec t;
  Node reg;
  reg.id = "reg";
  reg.kind = NodeKind::registry;
  reg.name = "Reg";
  t.root = supervisor("top", otp::Strategy::rest_for_one,
                      {reg, supervisor("mid", otp::Strategy::one_for_all, {worker("a"), worker("b")}), worker("z")});
  EXPECT_EQ(blast_radius(t, "top/reg"),
            Paths({"top/reg", "top/reg/partition", "top/mid", "top/mid/a", "top/mid/b", "top/z"}));
  EXPECT_EQ(blast_radius(t, "top/mid/b"), Paths({"top/mid/b", "top/mid/a"}));
  EXPECT_EQ(blast_radius(t, "top"),
            Paths({"top", "top/reg", "top/reg/partition", "top/mid", "top/mid/a", "top/mid/b", "top/z"}));
}

TEST(BlastRadius, DynamicChildrenTasksAndUnknownPaths) {
  const TreeSpec t = sample_tree();
  EXPECT_EQ(blast_radius(t, "top/sessions/session:a"), Paths({"top/sessions/session:a"}));
  EXPECT_EQ(blast_radius(t, "top/nope"), Paths());
  EXPECT_EQ(blast_radius(t, "top/sessions/nope:a"), Paths());
}

// ---------------------------------------------------------------------------
// Records by hand.

/// A record built step by step, and a kernel whose clock has reached `end`
/// (run to quiescence: everything a fault set in motion has happened).
class TreeRun {
 public:
  explicit TreeRun(Micros end = 100 * s) {
    world.spawn([end](Ctx c) -> Proc { co_await c.sleep(end); });
    world.run();
  }
  Pid spawn(const std::string& label, Pid parent, Micros at, std::uint64_t step) {
    ProcessLife l;
    l.pid = Pid{next_++};
    l.parent = parent;
    l.label = label;
    l.spawned_us = at;
    l.spawned_step = step;
    l.init_acked = true;
    record.processes.push_back(l);
    return l.pid;
  }
  void exit(Pid pid, Term reason, Micros at, std::uint64_t step) {
    for (ProcessLife& l : record.processes) {
      if (l.pid != pid) continue;
      l.exited_us = at;
      l.exited_step = step;
      l.exit_reason = std::move(reason);
    }
  }
  /// `by` stops `pid` with exit/2 (a supervisor's shutdown_child): its exit
  /// signal at `step` - 1, the exit at `step`.
  void stop(Pid by, Pid pid, Micros at, std::uint64_t step, Term reason = Term(sa::shutdown())) {
    record.exit_signals.emplace_back(by, pid, at, step - 1);
    exit(pid, std::move(reason), at, step);
  }
  /// A kill fault on `victim` applied at (at, step); the victim dies killed at step + 1.
  void kill(Pid victim, Micros at, std::uint64_t step) {
    FaultEvent f;
    f.fault_index = record.faults.size();
    f.name = "k" + std::to_string(record.faults.size() + 1);
    f.target = "path";
    f.action = "kill";
    f.at_us = at;
    f.step = step;
    f.applied = true;
    f.victim = victim;
    record.faults.push_back(f);
    exit(victim, Term(sa::killed()), at, step + 1);
  }
  std::optional<Violation> judge(std::string_view name, const TreeSpec& tree,
                                 sim::Outcome outcome = sim::Outcome::quiescent) const {
    const TreeProperty* p = find_tree_property(name);
    EXPECT_NE(p, nullptr) << name;
    if (p == nullptr) return std::nullopt;
    TreeContext ctx(tree, record, world.kernel, outcome);
    return p->check(ctx);
  }

  sim::testing::World world;
  RunRecord record;

 private:
  std::uint64_t next_ = 1000;
};

std::string text(const std::optional<Violation>& v) { return v ? v->message : std::string("holds"); }

const Term shutdown = Term(sa::shutdown());

/// The sample tree started at 0 s: every static process alive.
class Started {
 public:
  explicit Started(TreeRun& run) {
    node = run.spawn("node", Pid{}, 0, 1);
    top = run.spawn("top", node, 0, 2);
    reg = run.spawn("top/reg", top, 0, 3);
    partition = run.spawn("top/reg/partition", reg, 0, 4);
    cache = run.spawn("top/cache", top, 0, 5);
    mid = run.spawn("top/mid", top, 0, 6);
    a = run.spawn("top/mid/a", mid, 0, 7);
    b = run.spawn("top/mid/b", mid, 0, 8);
    c = run.spawn("top/mid/c", mid, 0, 9);
    all = run.spawn("top/all", top, 0, 10);
    x = run.spawn("top/all/x", all, 0, 11);
    y = run.spawn("top/all/y", all, 0, 12);
    sessions = run.spawn("top/sessions", top, 0, 13);
  }
  Pid node, top, reg, partition, cache, mid, a, b, c, all, x, y, sessions;
};

/// A kill of top/mid/a at 1 s, handled as rest_for_one does: b and c
/// stopped, a and b started again (c is temporary).
Pid kill_a_and_restart(TreeRun& run, Started& t) {
  run.kill(t.a, 1 * s, 100);
  run.stop(t.mid, t.b, 1 * s, 102);
  run.stop(t.mid, t.c, 1 * s, 103);
  const Pid a2 = run.spawn("top/mid/a", t.mid, 1 * s, 104);
  run.spawn("top/mid/b", t.mid, 1 * s, 105);
  return a2;
}

// ---------------------------------------------------------------------------
// restart_scope

TEST(RestartScope, HoldsWhenRestForOneStopsAndRestartsTheLaterSiblings) {
  TreeRun run;
  Started t(run);
  kill_a_and_restart(run, t);
  EXPECT_EQ(text(run.judge("restart_scope", sample_tree())), "holds");
}

TEST(RestartScope, ReportsAProcessStoppedOutsideTheRadius) {
  TreeRun run;
  Started t(run);
  kill_a_and_restart(run, t);
  run.exit(t.cache, shutdown, 1 * s, 106);
  const auto v = run.judge("restart_scope", sample_tree());
  EXPECT_NE(text(v).find("(top/cache) exited shutdown at 1s (step 106), outside the blast radius"), std::string::npos)
      << text(v);
  EXPECT_NE(text(v).find("kill 'k1' of <0.1006.0> (top/mid/a)"), std::string::npos) << text(v);
}

TEST(RestartScope, ReportsALaterSiblingThatKeptItsPid) {
  TreeRun run;
  Started t(run);
  run.kill(t.a, 1 * s, 100);
  run.exit(t.c, shutdown, 1 * s, 103);
  run.spawn("top/mid/a", t.mid, 1 * s, 104);
  const auto v = run.judge("restart_scope", sample_tree());
  EXPECT_NE(text(v).find("(top/mid/b) is in the blast radius of top/mid/a but was not stopped"), std::string::npos)
      << text(v);
}

TEST(RestartScope, ReportsAPermanentVictimNotStartedAgain) {
  TreeRun run;
  Started t(run);
  run.kill(t.cache, 1 * s, 100);
  const auto v = run.judge("restart_scope", sample_tree());
  EXPECT_NE(text(v).find("(top/cache) exited killed at 1s (step 101) and was not started again"), std::string::npos)
      << text(v);
}

TEST(RestartScope, ATransientVictimThatStoppedNormallyIsNotStartedAgain) {
  TreeRun run;
  Started t(run);
  FaultEvent f;
  f.name = "n1";
  f.action = "stop_normal";
  f.at_us = 1 * s;
  f.step = 100;
  f.applied = true;
  f.victim = t.b;
  run.record.faults.push_back(f);
  run.exit(t.b, Term(sa::normal()), 1 * s, 101);
  // Not restarted, so rest_for_one stops nothing else: c keeps running.
  EXPECT_EQ(text(run.judge("restart_scope", sample_tree())), "holds");
}

/// mid (1 restart in 5 s) sees a killed twice within a second: it gives up,
/// stopping b and c, and top (one_for_one) starts it again with its children.
void escalate(TreeRun& run, Started& t) {
  const Pid a2 = kill_a_and_restart(run, t);
  const Pid b2 = run.record.processes.back().pid;
  run.kill(a2, 1 * s + 500'000, 200);
  run.stop(t.mid, b2, 1 * s + 500'000, 202);
  run.exit(t.mid, shutdown, 1 * s + 500'000, 203);
  const Pid mid2 = run.spawn("top/mid", t.top, 1 * s + 500'000, 204);
  run.spawn("top/mid/a", mid2, 1 * s + 500'000, 205);
  run.spawn("top/mid/b", mid2, 1 * s + 500'000, 206);
  run.spawn("top/mid/c", mid2, 1 * s + 500'000, 207);
}

TEST(RestartScope, HoldsWhenASupervisorGivesUpAndIsStartedAgainOneLevelUp) {
  TreeRun run;
  Started t(run);
  escalate(run, t);
  EXPECT_EQ(text(run.judge("restart_scope", sample_tree())), "holds");
}

TEST(RestartScope, ReportsADynamicChildNotStartedAgain) {
  TreeRun run;
  Started t(run);
  const Pid sa_ = run.spawn("top/sessions/session:a", t.sessions, 1 * s, 50);
  run.kill(sa_, 2 * s, 100);
  const auto v = run.judge("restart_scope", sample_tree());
  EXPECT_NE(text(v).find("(top/sessions/session:a) exited killed"), std::string::npos) << text(v);
  run.spawn("top/sessions/session:a", t.sessions, 2 * s, 102);
  EXPECT_EQ(text(run.judge("restart_scope", sample_tree())), "holds");
}

// ---------------------------------------------------------------------------
// restart_intensity

TEST(RestartIntensity, HoldsWhenTheSupervisorGivesUpAtTheRestartThatExceeds) {
  TreeRun run;
  Started t(run);
  escalate(run, t);
  EXPECT_EQ(text(run.judge("restart_intensity", sample_tree())), "holds");
}

TEST(RestartIntensity, ReportsASupervisorThatDidNotGiveUp) {
  TreeRun run;
  Started t(run);
  const Pid a2 = kill_a_and_restart(run, t);
  run.kill(a2, 1 * s + 500'000, 200);
  run.spawn("top/mid/a", t.mid, 1 * s + 500'000, 204);
  const auto v = run.judge("restart_intensity", sample_tree());
  EXPECT_NE(text(v).find("(top/mid) did not give up: 2 restarts within 5 s exceed its intensity 1"),
            std::string::npos)
      << text(v);
}

TEST(RestartIntensity, ReportsASupervisorThatGaveUpTooEarly) {
  TreeRun run;
  Started t(run);
  run.kill(t.a, 1 * s, 100);
  run.exit(t.b, shutdown, 1 * s, 102);
  run.exit(t.c, shutdown, 1 * s, 103);
  run.exit(t.mid, shutdown, 1 * s, 104);
  const auto v = run.judge("restart_intensity", sample_tree());
  EXPECT_NE(text(v).find("(top/mid) gave up (exit shutdown at 1s (step 104)) after only 1 restarts"),
            std::string::npos)
      << text(v);
}

TEST(RestartIntensity, CountsEachRetryOfAFailedRestart) {
  TreeRun run;
  Started t(run);
  run.kill(t.a, 1 * s, 100);
  run.exit(t.b, shutdown, 1 * s, 102);
  run.exit(t.c, shutdown, 1 * s, 103);
  // The restart failed (a's init crashed: no ack, not counted as an exit);
  // mid took the retry from its mailbox: the second restart in 5 s.
  const Pid failed = run.spawn("top/mid/a", t.mid, 1 * s, 104);
  run.record.processes.back().init_acked = false;
  run.exit(failed, Term(Atom("boom")), 1 * s, 105);
  run.record.retries.emplace_back(t.mid, 1 * s, 106, Term(Atom("a")));
  const auto v = run.judge("restart_intensity", sample_tree());
  EXPECT_NE(text(v).find("did not give up: 2 restarts"), std::string::npos) << text(v);
  EXPECT_NE(text(v).find("the retry of the failed restart of a"), std::string::npos) << text(v);
  run.exit(t.mid, shutdown, 1 * s, 107);
  EXPECT_EQ(text(run.judge("restart_intensity", sample_tree())), "holds");
}

TEST(RestartIntensity, CountsRegistrantsALinkKilledAtTheInstantTheirSupervisorGaveUp) {
  // tree-tenants-registry-kill: the Registry's partition dies, the sessions
  // linked to it die killed, sessions (DynamicSupervisor, 3 in 5 s) counts
  // both EXITs and both retries of their failed restarts: 4, over 3, so it
  // gives up at that instant. It stopped neither (no exit signal from it).
  TreeRun run;
  Started t(run);
  const Pid a = run.spawn("top/sessions/session:a", t.sessions, 0, 20);
  const Pid b = run.spawn("top/sessions/session:b", t.sessions, 0, 21);
  run.kill(t.reg, 1 * s, 100);
  run.exit(t.partition, Term(sa::killed()), 1 * s, 102);
  run.exit(a, Term(sa::killed()), 1 * s, 103);
  run.exit(b, Term(sa::killed()), 1 * s, 104);
  for (std::uint64_t step : {110, 120}) {  // the restarts fail: no ack, not children
    const Pid failed = run.spawn("top/sessions/session:a", t.sessions, 1 * s, step);
    run.record.processes.back().init_acked = false;
    run.exit(failed, Term(Atom("badarg")), 1 * s, step + 1);
  }
  run.record.retries.emplace_back(t.sessions, 1 * s, 130, Term(a));
  run.record.retries.emplace_back(t.sessions, 1 * s, 140, Term(b));
  run.exit(t.sessions, shutdown, 1 * s, 141);
  EXPECT_EQ(text(run.judge("restart_intensity", sample_tree())), "holds");
  // Had it stopped them itself (exit/2 before they died), they would not count.
  run.record.exit_signals.emplace_back(t.sessions, a, 1 * s, 102);
  run.record.exit_signals.emplace_back(t.sessions, b, 1 * s, 102);
  const auto v = run.judge("restart_intensity", sample_tree());
  EXPECT_NE(text(v).find("(top/sessions) gave up (exit shutdown at 1s (step 141)) after only 2 restarts"),
            std::string::npos)
      << text(v);
}

TEST(RestartIntensity, ASupervisorItsParentStoppedDidNotGiveUp) {
  // tree-ecto-repo-pool-kill: mid's parent sends it exit(shutdown) and the
  // run ends before the parent itself exits: mid was told, it gave up nothing.
  TreeRun run;
  Started t(run);
  run.stop(t.mid, t.c, 1 * s, 101);
  run.stop(t.mid, t.b, 1 * s, 102);
  run.stop(t.mid, t.a, 1 * s, 103);
  run.stop(t.top, t.mid, 1 * s, 104);
  EXPECT_EQ(text(run.judge("restart_intensity", sample_tree())), "holds");
  EXPECT_EQ(text(run.judge("fault_contained", sample_tree())), "holds");
  // Without the parent's signal it is a supervisor that gave up on its own.
  run.record.exit_signals.pop_back();
  EXPECT_NE(text(run.judge("restart_intensity", sample_tree())).find("(top/mid) gave up"), std::string::npos);
  EXPECT_NE(text(run.judge("fault_contained", sample_tree())).find("(top/mid) gave up"), std::string::npos);
}

// ---------------------------------------------------------------------------
// fault_contained

TEST(FaultContained, HoldsWhenTheFaultsAloneForceTheEscalation) {
  TreeRun run;
  Started t(run);
  escalate(run, t);
  EXPECT_EQ(text(run.judge("fault_contained", sample_tree())), "holds");
}

TEST(FaultContained, ReportsAGiveUpTheFaultsDoNotForce) {
  TreeRun run;
  Started t(run);
  run.kill(t.cache, 1 * s, 100);
  for (Pid p : {t.partition, t.reg, t.a, t.b, t.c, t.mid, t.x, t.y, t.all, t.sessions}) {
    run.exit(p, shutdown, 1 * s, 102 + p.id);
  }
  run.exit(t.top, shutdown, 1 * s, 2000);
  const auto v = run.judge("fault_contained", sample_tree());
  EXPECT_NE(text(v).find("(top) gave up (exit shutdown at 1s (step 2000)), but the injected faults alone count 1 "
                         "restart within 5 s, not over its intensity 3"),
            std::string::npos)
      << text(v);
}

TEST(FaultContained, ReportsACrashOutsideTheRadius) {
  TreeRun run;
  Started t(run);
  kill_a_and_restart(run, t);
  run.exit(t.x, Term(Atom("noproc")), 1 * s, 110);
  const auto v = run.judge("fault_contained", sample_tree());
  EXPECT_NE(text(v).find("(top/all/x) exited noproc at 1s (step 110), outside the blast radius"), std::string::npos)
      << text(v);
}

// ---------------------------------------------------------------------------
// no_orphans

TEST(NoOrphans, ReportsAChildAliveAfterItsSupervisorExited) {
  TreeRun run;
  Started t(run);
  run.exit(t.b, shutdown, 1 * s, 100);
  run.exit(t.c, shutdown, 1 * s, 101);
  run.exit(t.mid, Term(sa::killed()), 1 * s, 102);
  const auto v = run.judge("no_orphans", sample_tree());
  EXPECT_NE(text(v).find("(top/mid) exited killed at 1s (step 102), but <0.1006.0> (top/mid/a), started under it"),
            std::string::npos)
      << text(v);
  run.exit(t.a, shutdown, 1 * s, 103);
  EXPECT_EQ(text(run.judge("no_orphans", sample_tree())), "holds");
}

TEST(NoOrphans, ThePartitionOfTheNextRegistryIsNotTheFailedOnesOrphan) {
  // The restarted Registry fails (already_started partition) and is still
  // exiting when its parent starts the next one, whose partition starts
  // before the failed one exits: same path, not its child.
  TreeRun run;
  Started t(run);
  run.kill(t.reg, 1 * s, 100);
  const Pid failed = run.spawn("top/reg", t.top, 1 * s, 110);
  const Pid next = run.spawn("top/reg", t.top, 1 * s, 115);
  run.spawn("top/reg/partition", next, 1 * s, 116);
  run.exit(failed, Term(Atom("failed_to_start_child")), 1 * s, 120);
  run.exit(t.partition, Term(sa::killed()), 1 * s, 121);
  EXPECT_EQ(text(run.judge("no_orphans", sample_tree())), "holds");
  // A partition the failed one did start, alive at the end, is its orphan.
  const Pid own = run.spawn("top/reg/partition", failed, 1 * s, 112);
  const auto v = run.judge("no_orphans", sample_tree());
  EXPECT_NE(text(v).find(Term(own).to_string() + " (top/reg/partition), started under it at 1s (step 112)"),
            std::string::npos)
      << text(v);
}

TEST(NoOrphans, ANewIncarnationsChildrenAreNotOrphans) {
  TreeRun run;
  Started t(run);
  escalate(run, t);
  EXPECT_EQ(text(run.judge("no_orphans", sample_tree())), "holds");
}

// ---------------------------------------------------------------------------
// recovers

TEST(Recovers, HoldsWhenEveryPermanentChildRunsAgain) {
  TreeRun run;
  Started t(run);
  escalate(run, t);
  EXPECT_EQ(text(run.judge("recovers", sample_tree())), "holds");
}

TEST(Recovers, ReportsAPermanentChildStillDownAfterTheBound) {
  TreeRun run;
  Started t(run);
  run.kill(t.x, 1 * s, 100);
  run.exit(t.y, shutdown, 1 * s, 102);
  run.spawn("top/all/x", t.all, 1 * s, 103);
  const auto v = run.judge("recovers", sample_tree());
  EXPECT_NE(text(v).find("(top/all) is alive at 6s, 5s after the last fault (at 1s), but its permanent child "
                         "top/all/y is not running"),
            std::string::npos)
      << text(v);
}

TEST(Recovers, ARunCutOffBeforeTheBoundIsNotJudged) {
  TreeRun run(3 * s);
  Started t(run);
  run.kill(t.cache, 1 * s, 100);
  EXPECT_EQ(text(run.judge("recovers", sample_tree(), sim::Outcome::step_limit)), "holds");
  EXPECT_NE(text(run.judge("recovers", sample_tree(), sim::Outcome::quiescent)).find("top/cache is not running"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// no_caller_crash

TEST(NoCallerCrash, ReportsAClientThatACallExited) {
  TreeRun run;
  Started t(run);
  ClientCall c;
  c.client = Pid{7};
  c.client_name = "c#1";
  c.op = "call";
  c.app = "cache";
  c.request = Term(Atom("get"));
  c.end_us = 1 * s;
  c.end_step = 40;
  c.result = Term(Atom("ok"));
  run.record.calls.push_back(c);
  EXPECT_EQ(text(run.judge("no_caller_crash", sample_tree())), "holds");
  run.record.calls.back().exited = true;
  run.record.calls.back().exit_reason = Term(Atom("noproc"));
  EXPECT_EQ(text(run.judge("no_caller_crash", sample_tree())),
            "client <0.7.0> (c#1): call to cache of get exited it with noproc at 1s (step 40)");
}

TEST(NoCallerCrash, ReportsATreeProcessKilledByACallExitUnlessItIsTheVictim) {
  TreeRun run;
  Started t(run);
  const Term reason = sim::tuple(Term(sa::timeout()),
                                 sim::tuple(Term(Atom("Elixir.GenServer")), Term(Atom("call")), sim::list()));
  run.exit(t.x, reason, 2 * s, 300);
  const auto v = run.judge("no_caller_crash", sample_tree());
  EXPECT_NE(text(v).find("(top/all/x) died of a call's exit {timeout,"), std::string::npos) << text(v);
  run.record.faults.push_back(FaultEvent());
  run.record.faults.back().applied = true;
  run.record.faults.back().victim = t.x;
  EXPECT_EQ(text(run.judge("no_caller_crash", sample_tree())), "holds");
}

// ---------------------------------------------------------------------------
// one_live_per_name

TEST(OneLivePerName, ReportsTwoLiveProcessesAtOneStaticPath) {
  TreeRun run;
  Started t(run);
  run.spawn("top/cache", t.top, 1 * s, 100);
  const auto v = run.judge("one_live_per_name", sample_tree());
  EXPECT_NE(text(v).find("(top/cache) and <0.1013.0> (top/cache) were alive at once at 1s (step 100)"),
            std::string::npos)
      << text(v);
  run.exit(t.cache, Term(sa::killed()), 1 * s, 99);
  EXPECT_EQ(text(run.judge("one_live_per_name", sample_tree())), "holds");
}

TEST(OneLivePerName, TemplateChildrenKeyedByTheirArg) {
  TreeRun run;
  Started t(run);
  run.spawn("top/sessions/session:a", t.sessions, 1 * s, 100);
  run.spawn("top/sessions/session:b", t.sessions, 1 * s, 101);
  EXPECT_EQ(text(run.judge("one_live_per_name", sample_tree())), "holds");
  run.spawn("top/sessions/session:a", t.sessions, 1 * s, 102);
  EXPECT_NE(text(run.judge("one_live_per_name", sample_tree())).find("were alive at once"), std::string::npos);
}

// ---------------------------------------------------------------------------
// no_unhandled_message

TEST(NoUnhandledMessage, ReportsABadCallCrash) {
  TreeRun run;
  Started t(run);
  run.exit(t.cache, Term(sa::killed()), 1 * s, 100);
  EXPECT_EQ(text(run.judge("no_unhandled_message", sample_tree())), "holds");
  run.exit(t.x, sim::tuple(Term(Atom("bad_call")), Term(Atom("get"))), 2 * s, 200);
  EXPECT_NE(text(run.judge("no_unhandled_message", sample_tree())).find("(top/all/x) crashed with {bad_call,get}"),
            std::string::npos);
}

TEST(NoUnhandledMessage, ReportsAnUnhandledEvent) {
  TreeRun run;
  Started t(run);
  run.record.events.emplace_back(t.cache, 1 * s, 50,
                                 sim::tuple(Term(Atom("unhandled")), Term::string("top/cache"), Term(Atom("hello"))));
  EXPECT_NE(text(run.judge("no_unhandled_message", sample_tree())).find("(top/cache) left hello unhandled"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// rows_survive

TEST(RowsSurvive, ARowWrittenWhileItsOwnerLivesIsThereAtTheEnd) {
  TreeRun run;
  // The kernel's table at the end: t holds {k1, v1}.
  run.world.spawn([](Ctx c) -> Proc {
    (void)co_await c.table_new(sim::TableOptions(sim::TableAccess::public_access, Term(Atom("t"))));
    (void)co_await c.insert(Atom("t"), sim::tuple(Term(Atom("k1")), Term(Atom("v1"))));
    (void)co_await c.receive();
  });
  run.world.run();
  Started t(run);
  auto ev = [&](Pid pid, std::uint64_t step, Term term) { run.record.events.emplace_back(pid, 0, step, term); };
  ev(t.cache, 20, sim::tuple(Term(Atom("table_new")), Term(Atom("t"))));
  ev(t.cache, 21, sim::tuple(Term(Atom("table_insert")), Term(Atom("t")), Term(Atom("k1")), Term(Atom("v1"))));
  EXPECT_EQ(text(run.judge("rows_survive", sample_tree())), "holds");
  ev(t.x, 22, sim::tuple(Term(Atom("table_insert")), Term(Atom("t")), Term(Atom("k2")), Term(Atom("v2"))));
  EXPECT_NE(text(run.judge("rows_survive", sample_tree())).find("table t: the row k2 => v2 written by"),
            std::string::npos);
  // Its owner died (no heir): the rows may go with it.
  run.exit(t.cache, Term(sa::killed()), 1 * s, 30);
  EXPECT_EQ(text(run.judge("rows_survive", sample_tree())), "holds");
}

}  // namespace
}  // namespace otpsim::core::tree
