// DynamicSupervisor and Task.Supervisor (claims 18, 20-23, 36-37).
#include "core/otp/dynamic_supervisor.hpp"

#include <gtest/gtest.h>

#include "core/otp/task.hpp"
#include "core/otp/testing.hpp"

namespace otpsim::core::otp {
namespace {

using namespace testing;
using Lines = std::vector<std::string>;
using sim::atom;
namespace sa = sim::atoms;

// Claim 18: on shutdown a DynamicSupervisor signals every child at once:
// three children that each take 100 ms to terminate are gone after 100 ms,
// not 300 (a Supervisor stops them one by one).
TEST(DynamicSupervisor, shutdown_signals_all_children_at_once) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Term r = co_await dynamic_supervisor::start_link(ctx, dynamic_supervisor::Options(), StartOptions(ServerName(), "dyn"));
    Pid dyn = r[1].pid();
    WorkerOptions slow;
    slow.trap_exit = true;
    slow.terminate_delay_us = 100'000;
    (void)co_await dynamic_supervisor::start_child(ctx, ServerRef(dyn), worker_spec("d1", slow));
    (void)co_await dynamic_supervisor::start_child(ctx, ServerRef(dyn), worker_spec("d2", slow));
    (void)co_await dynamic_supervisor::start_child(ctx, ServerRef(dyn), worker_spec("d3", slow));
    Micros t0 = ctx.now_us();
    co_await stop(ctx, ServerRef(dyn), Term(sa::shutdown()));
    out.push_back("stopped after " + std::to_string((ctx.now_us() - t0) / 1000) + "ms");
  });
  EXPECT_EQ(lines.back(), "stopped after 100ms");

  Lines sequential = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    WorkerOptions slow;
    slow.trap_exit = true;
    slow.terminate_delay_us = 100'000;
    Term r = co_await supervisor::start_link(ctx, SupervisorFlags(Strategy::one_for_one),
                                             specs(worker_spec("c1", slow), worker_spec("c2", slow), worker_spec("c3", slow)),
                                             StartOptions(ServerName(), "sup"));
    Micros t0 = ctx.now_us();
    co_await stop(ctx, ServerRef(r[1].pid()), Term(sa::shutdown()));
    out.push_back("stopped after " + std::to_string((ctx.now_us() - t0) / 1000) + "ms");
  });
  EXPECT_EQ(sequential.back(), "stopped after 300ms");
}

// Claim 22: restarting children count toward max_children.
TEST(DynamicSupervisor, restarting_children_count_toward_max_children) {
  static int attempts = 0;
  attempts = 0;
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Term r = co_await dynamic_supervisor::start_link(ctx, dynamic_supervisor::Options(1'000'000, 5, 1),
                                                     StartOptions(ServerName(), "dyn"));
    Pid dyn = r[1].pid();
    // A child whose every restart fails: it stays `restarting`.
    Term id(Atom("d1"));
    auto spec = ChildSpec::worker(id, [id](Ctx c) -> Task<Term> {
      if (++attempts > 1) co_return sim::tuple(sa::error(), atom("bad"));
      co_return co_await start_link(c, worker(id), StartOptions(ServerName(), "d1"));
    });
    Term started = co_await dynamic_supervisor::start_child(ctx, ServerRef(dyn), std::move(spec));
    co_await ctx.exit(started[1].pid(), atom("kill"));
    Term counted;
    for (int i = 0; i < 50; ++i) {
      counted = co_await dynamic_supervisor::which_children(ctx, ServerRef(dyn));
      if (counted.size() == 1 && counted[0][1].is_atom("restarting")) break;
    }
    note(out, "which_children", counted);
    note(out, "start_child", co_await dynamic_supervisor::start_child(ctx, ServerRef(dyn), worker_spec("d2")));
  }, 0, sim::RunLimits{300'000, 3'600'000'000});
  EXPECT_EQ(lines[lines.size() - 2], "call which_children [{undefined,restarting,worker}]");
  EXPECT_EQ(lines.back(), "call start_child {error,max_children}");
}

// Claim 36: a crashing Task.Supervisor task is not restarted and does not
// touch its caller. Claim 37: yield -> nil leaves the task running;
// shutdown(brutal_kill) gives nil when it had to kill.
TEST(TaskSupervisor, a_crashing_task_is_not_restarted_and_yield_nil_leaves_it_running) {
  Lines lines = run_scenario([](Ctx ctx, Lines& out) -> Task<> {
    Term r = co_await task::supervisor_start_link(ctx, StartOptions(ServerName(), "tasks"));
    Pid sup = r[1].pid();
    task::TaskFn crash = [](Ctx c) -> Task<Term> {
      c.exit(atom("boom"));
      co_return Term();
    };
    note(out, "start_child", co_await task::start_child(ctx, ServerRef(sup), crash));
    co_await ctx.sleep(10);
    note(out, "count_children", co_await dynamic_supervisor::count_children(ctx, ServerRef(sup)));
    task::TaskFn slow = [](Ctx c) -> Task<Term> {
      co_await c.sleep(1'000'000);
      co_return atom("done");
    };
    task::TaskRef t = co_await task::async_nolink(ctx, ServerRef(sup), slow);
    auto y = co_await task::yield(ctx, t, 100'000);
    out.push_back(y ? "yield " + canonical(*y) : "yield nil");
    const bool alive = co_await ctx.is_alive(t.pid);
    note(out, "alive", Term(Atom(alive ? "true" : "false")));
    note(out, "shutdown", co_await task::shutdown(ctx, t, Shutdown::brutal_kill()));
  });
  EXPECT_EQ(lines, (Lines{"call start_child {ok,<pid>}", "call count_children [{active,0},{specs,0},{supervisors,0},{workers,0}]",
                          "yield nil", "call alive true", "call shutdown nil"}));
}

}  // namespace
}  // namespace otpsim::core::otp
