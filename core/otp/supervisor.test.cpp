// supervisor: strategies, restart types, intensity, shutdown, and the
// supervisor_SUITE cases of ../shared/reference/otp-semantics.md section 9.
#include "core/otp/supervisor.hpp"

#include <gtest/gtest.h>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/testing.hpp"

#include <algorithm>
#include <map>

namespace otpsim::core::otp {
namespace {

using namespace testing;
using Lines = std::vector<std::string>;
using sim::atom;
namespace sa = sim::atoms;

Task<Pid> start_sup(Ctx ctx, SupervisorFlags flags, std::vector<ChildSpec> children) {
  Term r = co_await supervisor::start_link(ctx, flags, std::move(children), StartOptions(ServerName(), "sup"));
  EXPECT_TRUE(r.is_tagged(sa::ok(), 2)) << r;
  co_return r[1].pid();
}

Task<Pid> child_pid(Ctx ctx, Pid sup, const char* id) {
  Term children = co_await supervisor::which_children(ctx, ServerRef(sup));
  for (const Term& c : children.elements()) {
    if (c[0].is_atom(id) && c[1].is_pid()) co_return c[1].pid();
  }
  co_return Pid{};
}

Task<> kill_child(Ctx ctx, Pid sup, const char* id, Term reason) {
  Pid p = co_await child_pid(ctx, sup, id);
  Ref m = co_await ctx.monitor(p);
  co_await ctx.exit(p, reason);
  co_await ctx.receive([m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); });
}

TEST(Supervisor, one_for_one_restarts_only_the_failed_child) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one),
                                 specs(worker_spec("c1"), worker_spec("c2"), worker_spec("c3")));
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 5);
    EXPECT_EQ(co_await child_pid(ctx, sup, "c1"), c1);
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "start c3", "exit c2 killed", "start c2"}));
}


// -- helpers for the supervisor_SUITE cases --

/// A worker whose n-th and later starts fail (counted across restarts).
struct Attempts {
  std::map<std::string, int> by_id;
};

class Flaky final : public GenServer {
 public:
  Flaky(Term id, Attempts* attempts, int fail_from, bool trap, int fail_to)
      : id_(std::move(id)), attempts_(attempts), fail_from_(fail_from), fail_to_(fail_to), trap_(trap) {}
  Task<InitResult> init(Ctx ctx) override {
    ctx.trap_exit(trap_);
    int n = ++attempts_->by_id[std::string(id_.atom().text())];
    if (fail_from_ > 0 && n >= fail_from_ && (fail_to_ == 0 || n <= fail_to_)) co_return InitResult::stop(atom("bad"));
    (void)co_await call(ctx, ServerRef(ServerName::local(collector_name())), sim::tuple(Atom("started"), id_));
    co_return InitResult::ok();
  }
  Task<CallResult> handle_call(Ctx ctx, Term request, From) override {
    if (request.is_tagged(Atom("exit"), 2)) ctx.exit(request[1]);
    if (request.is_atom("unlink_parent")) {
      // child_unlink: the child unlinks itself from its supervisor.
      co_await ctx.unlink(parent_of(ctx));
    }
    co_return CallResult::reply(atom("ok"));
  }

 private:
  static Pid parent_of(Ctx) { return parent_pid; }
  Term id_;
  Attempts* attempts_;
  int fail_from_;
  int fail_to_;
  bool trap_;

 public:
  static inline Pid parent_pid;
};

/// Starts number fail_from..fail_to (0: forever) of `id` fail with `bad`.
ChildSpec flaky(const char* id, Attempts* attempts, int fail_from = 0, bool trap = false, int fail_to = 0) {
  Term tid(Atom{id});
  ServerFactory f = [tid, attempts, fail_from, trap, fail_to] {
    return std::make_unique<Flaky>(tid, attempts, fail_from, trap, fail_to);
  };
  return ChildSpec::worker(tid, [f, tid](Ctx c) { return start_link(c, f, StartOptions(ServerName(), tid.atom().text())); });
}

/// Starts a supervisor from the driver; returns its pid (monitored: ref in *mref).
Task<Pid> start_monitored(Ctx ctx, SupervisorFlags flags, std::vector<ChildSpec> children, Ref* mref) {
  Pid sup = co_await start_sup(ctx, std::move(flags), std::move(children));
  *mref = co_await ctx.monitor(sup);
  co_return sup;
}

/// The fate of a monitored supervisor: "alive" or its exit reason.
Task<std::string> fate(Ctx ctx, Ref mref) {
  auto down = co_await ctx.receive([mref](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(mref); }, 0);
  co_return down ? canonical((*down)[4]) : std::string("alive");
}

Task<std::string> restart_state(Ctx ctx, Pid sup, const char* id) {
  Term children = co_await supervisor::which_children(ctx, ServerRef(sup));
  for (const Term& c : children.elements()) {
    if (c[0].is_atom(id)) co_return c[1].is_pid() ? std::string("alive") : canonical(c[1]);
  }
  co_return std::string("absent");
}

// -- add_restart/3 arithmetic (claim 1) --

TEST(Supervisor, add_restart_gives_up_on_the_restart_that_exceeds_the_intensity) {
  std::deque<std::int64_t> r;
  EXPECT_FALSE(add_restart(r, 0, 3, 5));
  EXPECT_FALSE(add_restart(r, 1, 3, 5));
  EXPECT_FALSE(add_restart(r, 2, 3, 5));
  EXPECT_TRUE(add_restart(r, 4, 3, 5));  // the 4th within 5 s is fatal with 3/5
}

TEST(Supervisor, add_restart_keeps_timestamps_at_exactly_now_minus_period) {
  std::deque<std::int64_t> r;
  EXPECT_FALSE(add_restart(r, 10, 1, 5));
  EXPECT_TRUE(add_restart(r, 15, 1, 5));   // 10 >= 15 - 5: still in the window
  std::deque<std::int64_t> r2;
  EXPECT_FALSE(add_restart(r2, 10, 1, 5));
  EXPECT_FALSE(add_restart(r2, 16, 1, 5)); // 10 < 16 - 5: dropped
}

TEST(Supervisor, intensity_zero_gives_up_on_the_first_restart) {
  std::deque<std::int64_t> r;
  EXPECT_TRUE(add_restart(r, 0, 0, 5));
}

TEST(Supervisor, elixir_defaults_are_three_restarts_in_five_seconds) {
  SupervisorFlags flags(Strategy::one_for_one);
  EXPECT_EQ(flags.intensity, 3);
  EXPECT_EQ(flags.period_s, 5);
  dynamic_supervisor::Options dyn;
  EXPECT_EQ(dyn.max_restarts, 3);
  EXPECT_EQ(dyn.max_seconds, 5);
  EXPECT_EQ(dyn.max_children, -1);  // infinity
  ChildSpec w = worker_spec("w");
  ChildSpec s = ChildSpec::supervisor(Term(Atom("s")), w.start);
  EXPECT_EQ(w.shutdown.timeout_us(), 5'000'000);
  EXPECT_TRUE(s.shutdown.is_infinity());
  EXPECT_EQ(w.restart, Restart::permanent);
}

// -- supervisor_SUITE (otp-semantics.md section 9) --

// 1. multiple_restarts: intensity 1 in 1 s; kills 2.1 s apart never kill it.
TEST(SupervisorSuite, multiple_restarts) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_one, 1, 1), specs(worker_spec("c1")), &m);
    for (int i = 0; i < 5; ++i) {
      co_await kill_child(ctx, sup, "c1", atom("kill"));
      co_await wait_lines(ctx, out, 3 + 2 * static_cast<std::size_t>(i));
      co_await ctx.sleep(2'100'000);
    }
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines.back(), "sup alive");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "start c1"), 6);
}

// 2. one_for_one: {2, 3600}; killing c1 keeps c2's pid; the 3rd restart kills the supervisor.
TEST(SupervisorSuite, one_for_one) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_one, 2, 3600),
                                       specs(worker_spec("c1"), worker_spec("c2")), &m);
    Pid c2 = co_await child_pid(ctx, sup, "c2");
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await wait_lines(ctx, out, 4);
    const Pid c2_now = co_await child_pid(ctx, sup, "c2");
    out.push_back(c2 == c2_now ? "c2 kept its pid" : "c2 changed");
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await wait_lines(ctx, out, 7);
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await wait_lines(ctx, out, 9);
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "exit c1 killed", "start c1", "c2 kept its pid", "exit c1 killed",
                          "start c1", "exit c1 killed", "exit c2 shutdown", "sup shutdown"}));
}

// 3. one_for_one_escalation: a restart that keeps failing is retried, each
// retry counted, until intensity 4 is exhausted; the sibling goes too.
TEST(SupervisorSuite, one_for_one_escalation) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_one, 4, 3600),
                                       specs(flaky("c1", &attempts, 2), flaky("c2", &attempts)), &m);
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await wait_lines(ctx, out, 4);
    co_await ctx.sleep(1000);
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "exit c1 killed", "exit c2 shutdown", "sup shutdown"}));
  EXPECT_EQ(attempts.by_id["c1"], 5);  // the first start, then 4 counted restarts fail (the 5th is refused)
}

// 4. one_for_all: killing c1 also stops c2; both come back; the 3rd restart kills the supervisor.
TEST(SupervisorSuite, one_for_all) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_all, 2, 3600),
                                       specs(worker_spec("c1"), worker_spec("c2")), &m);
    for (std::size_t i = 0; i < 3; ++i) {
      co_await kill_child(ctx, sup, "c1", atom("kill"));
      const std::size_t expected = i < 2 ? 2 + 4 * (i + 1) : 12;  // the last kill restarts nothing
      co_await wait_lines(ctx, out, expected);
    }
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "exit c1 killed", "exit c2 shutdown", "start c1", "start c2",
                          "exit c1 killed", "exit c2 shutdown", "start c1", "start c2", "exit c1 killed",
                          "exit c2 shutdown", "sup shutdown"}));
}

// 5. one_for_all_escalation: c2 fails on restart; the retries exhaust the intensity.
TEST(SupervisorSuite, one_for_all_escalation) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_all, 2, 3600),
                                       specs(flaky("c1", &attempts), flaky("c2", &attempts, 2)), &m);
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await ctx.sleep(1000);
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines.back(), "sup shutdown");
  EXPECT_EQ(attempts.by_id["c2"], 3);  // first start, the restart, one retry; the next is refused
}

// 6. one_for_all_other_child_fails_restart: the restarted c1 is stopped
// again (shutdown) when c2 fails, and the whole group restarts.
TEST(SupervisorSuite, one_for_all_other_child_fails_restart) {
  // The exact retry sequence is pinned against the real BEAM by the
  // conformance scenario restart_failure_one_for_all; here, the rule.
  static Attempts a2;
  a2 = Attempts();
  Lines l2 = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_all, 10, 3600),
                                       specs(flaky("c1", &a2), flaky("c2", &a2, 2)), &m);
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await ctx.sleep(1000);
    out.push_back("c1 " + co_await restart_state(ctx, sup, "c1"));
  });
  // c1 restarted, then stopped with shutdown when c2 failed, then restarted by the retry.
  EXPECT_EQ(std::count(l2.begin(), l2.end(), "exit c1 shutdown"), std::count(l2.begin(), l2.end(), "start c1") - 1);
  EXPECT_GE(a2.by_id["c2"], 3);
}

// 7. rest_for_one: killing c2 stops c3; c1 untouched; further kills exceed intensity.
TEST(SupervisorSuite, rest_for_one) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::rest_for_one, 2, 3600),
                                       specs(worker_spec("c1"), worker_spec("c2"), worker_spec("c3")), &m);
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 7);
    const Pid c1_now = co_await child_pid(ctx, sup, "c1");
    out.push_back(c1 == c1_now ? "c1 untouched" : "c1 changed");
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 12);
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 16);
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "start c3", "exit c2 killed", "exit c3 shutdown", "start c2",
                          "start c3", "c1 untouched", "exit c2 killed", "exit c3 shutdown", "start c2", "start c3",
                          "exit c2 killed", "exit c3 shutdown", "exit c1 shutdown", "sup shutdown"}));
}

// 8. rest_for_one_escalation: c2 fails on restart; the supervisor exits.
TEST(SupervisorSuite, rest_for_one_escalation) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::rest_for_one, 2, 3600),
                                       specs(flaky("c1", &attempts), flaky("c2", &attempts, 2)), &m);
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await ctx.sleep(1000);
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "exit c2 killed", "exit c1 shutdown", "sup shutdown"}));
}

// 9. rest_for_one_other_child_fails_restart: the retry restarts from c2
// only; c1 is not restarted again.
TEST(SupervisorSuite, rest_for_one_other_child_fails_restart) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::rest_for_one, 10, 3600),
                                       specs(flaky("c1", &attempts), flaky("c2", &attempts, 2, false, 2), flaky("c3", &attempts)), &m);
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    co_await kill_child(ctx, sup, "c2", atom("kill"));
    co_await wait_lines(ctx, out, 7);
    const Pid c1_now = co_await child_pid(ctx, sup, "c1");
    out.push_back(c1 == c1_now ? "c1 untouched" : "c1 changed");
  });
  // c2's restart fails once (attempt 2); the retry restarts c2 and c3 only.
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "start c3", "exit c2 killed", "exit c3 shutdown", "start c2",
                          "start c3", "c1 untouched"}));
  EXPECT_EQ(attempts.by_id["c1"], 1);
  EXPECT_EQ(attempts.by_id["c2"], 3);
}

// 10. order_of_children (rest_for_one, 5 children): killing c3 makes c5 then
// c4 exit, then they restart in order; shutdown stops 5, 4, 3, 2, 1.
TEST(SupervisorSuite, order_of_children) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::rest_for_one),
                                 specs(worker_spec("c1"), worker_spec("c2"), worker_spec("c3"), worker_spec("c4"), worker_spec("c5")));
    co_await kill_child(ctx, sup, "c3", atom("kill"));
    co_await wait_lines(ctx, out, 11);
    co_await stop(ctx, ServerRef(sup), Term(sa::shutdown()));
    co_await wait_lines(ctx, out, 16);
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "start c3", "start c4", "start c5", "exit c3 killed", "exit c5 shutdown",
                          "exit c4 shutdown", "start c3", "start c4", "start c5", "exit c5 shutdown", "exit c4 shutdown",
                          "exit c3 shutdown", "exit c2 shutdown", "exit c1 shutdown"}));
}

// 11. temporary_bystander: a temporary sibling is stopped, not restarted.
TEST(SupervisorSuite, temporary_bystander) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Ref m;
    Pid sup = co_await start_monitored(ctx, SupervisorFlags(Strategy::one_for_all),
                                       specs(worker_spec("c1"), worker_spec("c2").with_restart(Restart::temporary)), &m);
    co_await kill_child(ctx, sup, "c1", atom("kill"));
    co_await wait_lines(ctx, out, 5);
    out.push_back("c2 " + co_await restart_state(ctx, sup, "c2"));
    out.push_back("sup " + co_await fate(ctx, m));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "start c2", "exit c1 killed", "exit c2 shutdown", "start c1", "c2 absent", "sup alive"}));
}

// 12. The restart-type matrix: permanent / transient / temporary x normal /
// shutdown / {shutdown, x} / abnormal.
TEST(SupervisorSuite, restart_type_matrix) {
  struct Case {
    Restart restart;
    const char* reason;
    bool restarted;
  };
  const Case cases[] = {
      {Restart::permanent, "normal", true},       {Restart::permanent, "shutdown", true},
      {Restart::permanent, "{shutdown,x}", true}, {Restart::permanent, "boom", true},
      {Restart::transient, "normal", false},      {Restart::transient, "shutdown", false},
      {Restart::transient, "{shutdown,x}", false}, {Restart::transient, "boom", true},
      {Restart::temporary, "normal", false},      {Restart::temporary, "shutdown", false},
      {Restart::temporary, "{shutdown,x}", false}, {Restart::temporary, "boom", false},
  };
  for (const Case& c : cases) {
    static Restart restart;
    static Term reason;
    restart = c.restart;
    reason = std::string(c.reason) == "{shutdown,x}" ? sim::tuple(sa::shutdown(), atom("x")) : atom(c.reason);
    Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
      Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one), specs(worker_spec("c1").with_restart(restart)));
      Pid c1 = co_await child_pid(ctx, sup, "c1");
      try {
        (void)co_await call(ctx, ServerRef(c1), sim::tuple(Atom("exit"), reason));
      } catch (const sim::ExitException&) {
      }
      co_await ctx.sleep(1000);
      out.push_back("c1 " + co_await restart_state(ctx, sup, "c1"));
    });
    const bool restarted = std::count(lines.begin(), lines.end(), "start c1") == 2;
    EXPECT_EQ(restarted, c.restarted) << c.reason << " restart type " << static_cast<int>(c.restart);
    const std::string expected_state = c.restarted ? "c1 alive" : c.restart == Restart::temporary ? "c1 absent" : "c1 undefined";
    EXPECT_EQ(lines.back(), expected_state) << c.reason;
  }
}

// 13. hanging_restart_loop: while a child is restarting, which_children
// says so, restart_child/delete_child give {error, restarting}, a duplicate
// start_child gives already_present, and terminate_child still works.
TEST(SupervisorSuite, hanging_restart_loop) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    // intensity high enough that the loop goes on while we look
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one, 1'000'000, 3600),
                                 specs(flaky("c1", &attempts, 2)));
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    co_await ctx.exit(c1, atom("kill"));
    // No sleep: the retry loop keeps the supervisor busy at one instant, so
    // simulated time would never pass. Our calls interleave with its retries.
    std::string state;
    for (int i = 0; i < 100 && state != "restarting"; ++i) state = co_await restart_state(ctx, sup, "c1");
    out.push_back("state " + state);
    note(out, "restart_child", co_await supervisor::restart_child(ctx, ServerRef(sup), Term(Atom("c1"))));
    note(out, "delete_child", co_await supervisor::delete_child(ctx, ServerRef(sup), Term(Atom("c1"))));
    note(out, "start_child", co_await supervisor::start_child(ctx, ServerRef(sup), flaky("c1", &attempts)));
    note(out, "terminate_child", co_await supervisor::terminate_child(ctx, ServerRef(sup), Term(Atom("c1"))));
    out.push_back("state " + co_await restart_state(ctx, sup, "c1"));
  }, 0, sim::RunLimits{200'000, 3'600'000'000});
  EXPECT_EQ(lines, (Lines{"start c1", "exit c1 killed", "state restarting", "call restart_child {error,restarting}",
                          "call delete_child {error,restarting}", "call start_child {error,already_present}",
                          "call terminate_child ok", "state undefined"}));
}

constexpr Micros k_delay = 3'000'000;
constexpr Micros k_delay_us() { return k_delay; }

// 14. sup_stop_infinity / _timeout / _brutal_kill: the exit reasons.
TEST(SupervisorSuite, sup_stop_infinity_timeout_and_brutal_kill) {
  static Shutdown how = Shutdown::infinity();
  for (int k = 0; k < 3; ++k) {
    how = k == 0 ? Shutdown::infinity() : k == 1 ? Shutdown::timeout_ms(1000) : Shutdown::brutal_kill();
    Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
      WorkerOptions hangs;
      hangs.trap_exit = true;
      hangs.terminate_delay_us = k_delay_us();
      Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one), specs(worker_spec("c1", hangs).with_shutdown(how)));
      Micros t0 = ctx.now_us();
      note(out, "terminate_child", co_await supervisor::terminate_child(ctx, ServerRef(sup), Term(Atom("c1"))));
      out.push_back("after " + std::to_string((ctx.now_us() - t0) / 1000) + "ms");
    });
    const Lines expected[] = {
        {"start c1", "exit c1 shutdown", "call terminate_child ok", "after 3000ms"},  // infinity: waits
        {"start c1", "exit c1 killed", "call terminate_child ok", "after 1000ms"},    // timeout, then kill
        {"start c1", "exit c1 killed", "call terminate_child ok", "after 0ms"},       // brutal_kill
    };
    EXPECT_EQ(lines, expected[k]);
  }
}

// 15. child_unlink: a child that unlinked itself cannot hang terminate_child.
TEST(SupervisorSuite, child_unlink) {
  static Attempts attempts;
  attempts = Attempts();
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one), specs(flaky("c1", &attempts)));
    Flaky::parent_pid = sup;
    Pid c1 = co_await child_pid(ctx, sup, "c1");
    (void)co_await call(ctx, ServerRef(c1), atom("unlink_parent"));
    note(out, "terminate_child", co_await supervisor::terminate_child(ctx, ServerRef(sup), Term(Atom("c1"))));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "exit c1 shutdown", "call terminate_child ok"}));
}

// 16. tree: an inner supervisor exceeds its intensity; the one_for_all top
// restarts every subtree; dynamic children are not recreated.
TEST(SupervisorSuite, tree) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    auto inner_a = ChildSpec::supervisor(Term(Atom("inner_a")), [](Ctx c) {
      return supervisor::start_link(c, SupervisorFlags(Strategy::one_for_one, 0, 5), specs(worker_spec("a1")),
                                    StartOptions(ServerName::local(Atom("inner_a")), "inner_a"));
    });
    auto inner_b = ChildSpec::supervisor(Term(Atom("inner_b")), [](Ctx c) {
      return supervisor::start_link(c, SupervisorFlags(Strategy::one_for_one), specs(worker_spec("b1")),
                                    StartOptions(ServerName::local(Atom("inner_b")), "inner_b"));
    });
    Pid top = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_all), specs(std::move(inner_a), std::move(inner_b)));
    (void)top;
    // a dynamic child under inner_b
    (void)co_await supervisor::start_child(ctx, ServerRef(ServerName::local(Atom("inner_b"))), worker_spec("dyn"));
    co_await wait_lines(ctx, out, 3);
    Pid a1 = co_await child_pid(ctx, co_await whereis(ctx, ServerRef(ServerName::local(Atom("inner_a")))), "a1");
    co_await ctx.exit(a1, atom("kill"));
    co_await wait_lines(ctx, out, 9);
    out.push_back("dyn " + co_await restart_state(ctx, co_await whereis(ctx, ServerRef(ServerName::local(Atom("inner_b")))), "dyn"));
  });
  EXPECT_EQ(lines, (Lines{"start a1", "start b1", "start dyn", "exit a1 killed", "exit dyn shutdown", "exit b1 shutdown",
                          "start a1", "start b1", "dyn absent"}));
}

// 17. already_started_outside_supervisor: start_child of a child whose
// start finds its name taken returns {error, {already_started, P}} unwrapped.
TEST(SupervisorSuite, already_started_outside_supervisor) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Term outside = co_await start(ctx, worker(Term(Atom("c1"))), StartOptions(ServerName::local(Atom("named")), "outside"));
    Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one), specs());
    Term id(Atom("c1"));
    auto spec = ChildSpec::worker(id, [id](Ctx c) {
      return start_link(c, worker(id), StartOptions(ServerName::local(Atom("named")), "inside"));
    });
    Term r = co_await supervisor::start_child(ctx, ServerRef(sup), std::move(spec));
    out.push_back(r == sim::tuple(sa::error(), sim::tuple(Atom("already_started"), outside[1])) ? "unwrapped" : canonical(r));
  });
  EXPECT_EQ(lines, (Lines{"start c1", "unwrapped"}));
}

// 18. sup_stop_race: shutdown completes while children exit on their own.
TEST(SupervisorSuite, sup_stop_race) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
      Pid sup = co_await start_sup(ctx, SupervisorFlags(Strategy::one_for_one, 100, 5),
                                   specs(worker_spec("c1").with_restart(Restart::transient),
                                         worker_spec("c2").with_restart(Restart::transient)));
      Pid c1 = co_await child_pid(ctx, sup, "c1");
      Pid c2 = co_await child_pid(ctx, sup, "c2");
      co_await ctx.exit(c1, Term(sa::shutdown()));  // racing the stop below
      co_await ctx.exit(c2, Term(sa::shutdown()));
      Ref m = co_await ctx.monitor(sup);
      co_await stop(ctx, ServerRef(sup), Term(sa::shutdown()));
      auto down = co_await ctx.receive([m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); });
      out.push_back("sup " + canonical((*down)[4]));
    }, seed);
    EXPECT_EQ(lines.back(), "sup shutdown") << "seed " << seed;
  }
}

}  // namespace
}  // namespace otpsim::core::otp
