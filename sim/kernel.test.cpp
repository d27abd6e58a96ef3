// The kernel's basic contract: processes run, exchange messages, end, and a
// run always returns.
#include <gtest/gtest.h>

#include <limits>

#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

using testing::World;

TEST(Kernel, a_process_runs_to_completion_and_exits_normal) {
  World w;
  bool ran = false;
  Pid p = w.spawn([&](Ctx) -> Proc {
    ran = true;
    co_return;
  });
  RunResult r = w.run();
  EXPECT_TRUE(ran);
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(w.reason(p), "normal");
  EXPECT_FALSE(w.kernel.is_alive(p));
  EXPECT_EQ(r.processes_alive, 0u);
}

TEST(Kernel, ping_pong_delivers_every_message_in_order) {
  World w;
  std::vector<std::int64_t> got;
  Pid pong = w.spawn([&](Ctx ctx) -> Proc {
    for (;;) {
      auto m = co_await ctx.receive();
      if (m->is_atom("stop")) co_return;
      got.push_back((*m)[1].integer());
      co_await ctx.send((*m)[0].pid(), (*m)[1]);
    }
  });
  w.spawn([&, pong](Ctx ctx) -> Proc {
    for (int i = 0; i < 100; ++i) {
      co_await ctx.send(pong, tuple(ctx.self(), i));
      auto reply = co_await ctx.receive();
      EXPECT_EQ(reply->integer(), i);
    }
    co_await ctx.send(pong, atom("stop"));
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
}

TEST(Kernel, pids_are_never_reused) {
  World w;
  std::vector<Pid> pids;
  w.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 50; ++i) {
      Pid child = co_await ctx.spawn([](Ctx) -> Proc { co_return; });
      pids.push_back(child);
      co_await ctx.sleep(1);  // let it die before the next spawn
    }
  });
  w.run();
  for (std::size_t i = 1; i < pids.size(); ++i) EXPECT_LT(pids[i - 1], pids[i]);
  std::vector<Ref> refs;
  World w2;
  w2.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 20; ++i) {
      refs.push_back(ctx.make_ref());
      refs.push_back(co_await ctx.monitor(ctx.self()));
    }
  });
  w2.run();
  for (std::size_t i = 1; i < refs.size(); ++i) EXPECT_LT(refs[i - 1], refs[i]);
}

TEST(Kernel, a_thrown_exception_is_a_crash_with_a_reason_not_a_harness_crash) {
  World w;
  Pid p = w.spawn([](Ctx) -> Proc {
    throw std::runtime_error("boom");
    co_return;
  });
  Pid q = w.spawn([](Ctx ctx) -> Proc { ctx.exit(tuple(atom("shutdown"), atom("bye"))); co_return; });
  w.run();
  EXPECT_EQ(w.reason(p), "{exception,\"boom\"}");
  EXPECT_EQ(w.reason(q), "{shutdown,bye}");
}

TEST(Kernel, step_limit_is_reported_as_a_result_never_a_hang) {
  World w(0, TraceLevel::off, RunLimits{1000, 1'000'000});
  w.spawn([](Ctx ctx) -> Proc {
    for (;;) co_await ctx.yield();
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::step_limit);
  EXPECT_EQ(r.steps, 1000u);
  EXPECT_EQ(outcome_name(r.outcome), "step limit reached");
  EXPECT_NE(r.message.find("spin loop"), std::string::npos);
}

TEST(Kernel, a_mailbox_past_its_bound_stops_the_run_with_a_result) {
  World w(0, TraceLevel::off, RunLimits{1'000'000, 1'000'000, 100});
  Pid sink = w.spawn([](Ctx ctx) -> Proc { co_await ctx.receive([](const Term&) { return false; }); });
  w.spawn([sink](Ctx ctx) -> Proc {
    for (;;) co_await ctx.send(sink, atom("flood"));
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::mailbox_limit);
  EXPECT_NE(r.message.find("holds 101 messages"), std::string::npos) << r.message;
}

TEST(Kernel, time_limit_is_reported_as_a_result) {
  World w(0, TraceLevel::off, RunLimits{1'000'000, 5'000});
  w.spawn([](Ctx ctx) -> Proc {
    for (;;) co_await ctx.sleep(1000);
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::time_limit);
  EXPECT_EQ(r.end_time_us, 5000);
}

TEST(Kernel, registered_names_are_released_when_the_holder_dies) {
  World w;
  Pid holder = w.spawn([](Ctx ctx) -> Proc {
    EXPECT_TRUE(co_await ctx.register_name(Atom("srv"), ctx.self()));
    EXPECT_FALSE(co_await ctx.register_name(Atom("srv"), ctx.self()));  // already named
    co_await ctx.receive();
  });
  Pid seen_before, seen_after;
  w.spawn([&, holder](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    seen_before = co_await ctx.whereis(Atom("srv"));
    Ref m = co_await ctx.monitor(holder);
    co_await ctx.exit(holder, atom("kill"));
    co_await ctx.receive([m](const Term& t) { return t.is_tuple() && t[1] == Term(m); });
    seen_after = co_await ctx.whereis(Atom("srv"));
  });
  w.run();
  EXPECT_EQ(seen_before, holder);
  EXPECT_EQ(seen_after, Pid{});
  EXPECT_EQ(w.kernel.whereis(atom("srv")), Pid{});
}

TEST(Kernel, send_to_an_unregistered_name_exits_the_sender_with_badarg) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc { co_await ctx.send(Atom("nobody"), atom("hi")); });
  w.run();
  EXPECT_EQ(w.reason(p), "badarg");
}

TEST(Kernel, send_to_a_registered_name_delivers) {
  World w;
  Term got;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.register_name(Atom("srv"), ctx.self());
    got = *co_await ctx.receive();
  });
  w.spawn([](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    co_await ctx.send(Atom("srv"), atom("hello"));
  });
  w.run();
  EXPECT_EQ(got, atom("hello"));
}

TEST(Kernel, spawn_from_outside_a_process_and_exit_external_kill) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc { co_await ctx.receive(); });
  w.run();
  EXPECT_TRUE(w.kernel.is_alive(p));
  w.kernel.exit_external(p, atom("kill"));
  w.run();
  EXPECT_EQ(w.reason(p), "killed");
}

}  // namespace
}  // namespace otpsim::sim

namespace otpsim::sim {
namespace {

// g++ 12 double-destroys lambda temporaries in co_await operands (ctx.hpp):
// the safe form names the lambda first; a named body may capture anything.
TEST(Kernel, a_named_spawn_body_may_capture_a_std_string_and_a_term) {
  testing::World w;
  std::string seen;
  w.spawn([&](Ctx ctx) -> Proc {
    std::string name = "a string longer than the small buffer, to force the heap";
    Term tag = tuple(atom("tag"), Term::string("a heap term"));
    auto body = [name, tag, &seen](Ctx) -> Proc {
      seen = name + tag.to_string();
      co_return;
    };
    co_await ctx.spawn(body, SpawnOptions{"child-with-a-long-label-beyond-sso"});
    co_await ctx.spawn(body);
  });
  w.run();
  EXPECT_EQ(seen, "a string longer than the small buffer, to force the heap{tag,\"a heap term\"}");
}

}  // namespace
}  // namespace otpsim::sim

namespace otpsim::sim {
namespace {

/// Suspends `target` at the first step at or after `from_us` and resumes it
/// at the first step at or after `until_us` (what the injector's busy does).
class Suspender : public testing::ExitRecorder {
 public:
  Suspender(Kernel& kernel, Micros from_us, Micros until_us) : kernel_(kernel), from_us_(from_us), until_us_(until_us) {}
  Pid target;
  void on_step(const StepInfo&) override {
    if (target == Pid{}) return;
    if (!suspended_ && kernel_.now_us() >= from_us_) {
      kernel_.suspend_external(target);
      suspended_ = true;
    } else if (suspended_ && !resumed_ && kernel_.now_us() >= until_us_) {
      kernel_.resume_external(target);
      resumed_ = true;
    }
  }

 private:
  Kernel& kernel_;
  Micros from_us_, until_us_;
  bool suspended_ = false, resumed_ = false;
};

TEST(KernelSuspend, a_suspended_process_takes_no_step_until_resumed_and_its_mailbox_fills) {
  testing::World w;
  Suspender suspender(w.kernel, 1'000'000, 3'000'000);
  w.kernel.set_observer(&suspender);  // an ExitRecorder too: reasons below are its
  std::vector<std::pair<std::int64_t, Micros>> got;  // (message, when taken)
  Pid worker = w.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 3; ++i) {
      auto m = co_await ctx.receive();
      got.emplace_back(m->integer(), ctx.now_us());
    }
  });
  suspender.target = worker;
  w.spawn([&, worker](Ctx ctx) -> Proc {
    for (int i = 0; i < 4; ++i) {
      if (i < 3) co_await ctx.send(worker, Term(i));
      co_await ctx.sleep(1'000'000);
    }
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<std::int64_t, Micros>{0, 0}));
  EXPECT_EQ(got[1], (std::pair<std::int64_t, Micros>{1, 3'000'000}));  // sent at 1 s, taken at the resume
  EXPECT_EQ(got[2], (std::pair<std::int64_t, Micros>{2, 3'000'000}));
  EXPECT_EQ(suspender.reason(worker), "normal");
}

TEST(KernelSuspend, an_exit_signal_still_ends_a_suspended_process) {
  testing::World w;
  Suspender suspender(w.kernel, 0, std::numeric_limits<Micros>::max());
  w.kernel.set_observer(&suspender);  // an ExitRecorder too: reasons below are its
  Pid worker = w.spawn([&](Ctx ctx) -> Proc { (void)co_await ctx.receive(); });
  suspender.target = worker;
  w.spawn([&, worker](Ctx ctx) -> Proc {
    co_await ctx.sleep(1'000'000);
    co_await ctx.exit(worker, atom("kill"));
  });
  w.run();
  EXPECT_EQ(suspender.reason(worker), "killed");
}

}  // namespace
}  // namespace otpsim::sim
