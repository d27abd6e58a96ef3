// Simulated time: the clock moves only when nothing can run, by jumping to
// the earliest timer. Receive timeouts, sleep, send_after and cancel_timer.
#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {

// Readable terms in assertion failures (found by gtest through ADL).

namespace {

using testing::World;

constexpr Micros one_day_us = Micros{24} * 3600 * 1'000'000;

TEST(Timers, time_advances_only_when_no_process_can_run) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE(seed);
    World w(seed);
    std::vector<std::string> events;
    Micros busy_max_us = -1;
    Micros woke_at_us = -1;
    w.spawn([&](Ctx ctx) -> Proc {
      for (int i = 0; i < 1000; ++i) {
        co_await ctx.yield();
        busy_max_us = std::max(busy_max_us, ctx.now_us());
      }
      events.push_back("busy done");
    });
    w.spawn([&](Ctx ctx) -> Proc {
      co_await ctx.sleep(100);
      woke_at_us = ctx.now_us();
      events.push_back("sleeper woke");
    });
    RunResult r = w.run();
    EXPECT_EQ(busy_max_us, 0);  // a thousand steps and the clock never moved
    EXPECT_EQ(woke_at_us, 100);
    EXPECT_EQ(events, (std::vector<std::string>{"busy done", "sleeper woke"}));
    EXPECT_EQ(r.end_time_us, 100);
    EXPECT_GE(r.steps, 1000u);
  }
}

TEST(Timers, sleep_wakes_at_exactly_now_plus_its_duration) {
  World w;
  std::vector<Micros> times;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(250);
    times.push_back(ctx.now_us());
    co_await ctx.sleep(50);
    times.push_back(ctx.now_us());
    co_await ctx.sleep(0);
    times.push_back(ctx.now_us());
  });
  w.run();
  EXPECT_EQ(times, (std::vector<Micros>{250, 300, 300}));
}

TEST(Timers, the_clock_jumps_straight_to_the_next_timer) {
  World w;
  Micros woke_at_us = -1;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1'000'000'000);
    woke_at_us = ctx.now_us();
  });
  RunResult r = w.run();
  EXPECT_EQ(woke_at_us, 1'000'000'000);
  EXPECT_EQ(r.steps, 3u);  // start, the sleep's wake-up, the exit: no ticking
}

TEST(Timers, a_24_hour_sleep_completes_at_24_hours_of_simulated_time) {
  World w;
  Micros woke_at_us = -1;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(one_day_us);
    woke_at_us = ctx.now_us();
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(woke_at_us, one_day_us);
  EXPECT_EQ(w.kernel.now_us(), one_day_us);
  EXPECT_EQ(w.reason(p), "normal");
}

TEST(Timers, delays_no_run_can_reach_neither_overflow_nor_fire) {
  // now + delay saturates (it was signed overflow: UBSan stopped the run).
  World w;
  constexpr Micros huge = std::numeric_limits<Micros>::max();
  Pid sleeper = w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    co_await ctx.sleep(huge);
  });
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    (void)co_await ctx.receive(huge - 1);
  });
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    (void)co_await ctx.send_after(huge, ctx.self(), Term(Atom("late")));
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::time_limit);
  EXPECT_EQ(w.kernel.now_us(), 1);
  EXPECT_TRUE(w.kernel.is_alive(sleeper));
}

// -- receive timeouts --

TEST(Timers, a_receive_timeout_gives_nullopt_when_it_passes) {
  World w;
  bool timed_out = false;
  Micros at_us = -1;
  w.spawn([&](Ctx ctx) -> Proc {
    auto m = co_await ctx.receive(Micros{100});
    timed_out = !m.has_value();
    at_us = ctx.now_us();
  });
  w.run();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(at_us, 100);
}

TEST(Timers, a_message_arriving_before_the_timeout_wins_and_cancels_it) {
  World w;
  std::optional<Term> got;
  Micros at_us = -1;
  bool woke_again = false;
  Pid receiver = w.spawn([&](Ctx ctx) -> Proc {
    got = co_await ctx.receive(Micros{100});
    at_us = ctx.now_us();
    co_await ctx.receive();  // forever: the old timeout must not end this wait
    woke_again = true;
  });
  w.spawn([receiver](Ctx ctx) -> Proc {
    co_await ctx.sleep(40);
    co_await ctx.send(receiver, atom("hello"));
  });
  RunResult r = w.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, atom("hello"));
  EXPECT_EQ(at_us, 40);
  EXPECT_FALSE(woke_again);
  EXPECT_EQ(r.end_time_us, 40);  // the timeout's timer was removed, not left to fire
}

TEST(Timers, a_queued_message_is_received_at_once_whatever_the_timeout) {
  World w;
  std::optional<Term> got;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.send(ctx.self(), atom("queued"));
    got = co_await ctx.receive(Micros{100});
  });
  RunResult r = w.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, atom("queued"));
  EXPECT_EQ(r.end_time_us, 0);
}

TEST(Timers, timeout_zero_polls_without_waiting) {
  World w;
  std::optional<Term> empty_poll;
  std::optional<Term> full_poll;
  std::vector<Micros> times;
  w.spawn([&](Ctx ctx) -> Proc {
    empty_poll = co_await ctx.receive(Micros{0});
    times.push_back(ctx.now_us());
    co_await ctx.send(ctx.self(), atom("x"));
    full_poll = co_await ctx.receive(Micros{0});
    times.push_back(ctx.now_us());
  });
  RunResult r = w.run();
  EXPECT_FALSE(empty_poll.has_value());
  ASSERT_TRUE(full_poll.has_value());
  EXPECT_EQ(*full_poll, atom("x"));
  EXPECT_EQ(times, (std::vector<Micros>{0, 0}));
  EXPECT_EQ(r.end_time_us, 0);
}

TEST(Timers, a_selective_receive_times_out_despite_non_matching_messages) {
  World w;
  std::optional<Term> matched;
  std::optional<Term> left;
  Micros at_us = -1;
  Pid receiver = w.spawn([&](Ctx ctx) -> Proc {
    matched = co_await ctx.receive([](const Term& m) { return m == atom("wanted"); }, Micros{100});
    at_us = ctx.now_us();
    left = co_await ctx.receive(Micros{0});
  });
  w.spawn([receiver](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    co_await ctx.send(receiver, atom("unwanted"));
  });
  w.run();
  EXPECT_FALSE(matched.has_value());
  EXPECT_EQ(at_us, 100);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, atom("unwanted"));  // still queued
}

TEST(Timers, a_receive_without_timeout_waits_forever_and_the_run_is_quiescent) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc { co_await ctx.receive(); });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(r.end_time_us, 0);
  EXPECT_EQ(r.processes_alive, 1u);
  EXPECT_TRUE(w.kernel.is_alive(p));
}

TEST(Timers, a_process_killed_while_waiting_with_a_timeout_leaves_no_timer) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc { co_await ctx.receive(Micros{1'000'000}); });
  w.spawn([p](Ctx ctx) -> Proc {
    co_await ctx.yield();
    co_await ctx.exit(p, atom("kill"));
  });
  RunResult r = w.run();
  EXPECT_EQ(w.reason(p), "killed");
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(r.end_time_us, 0);
}

// -- send_after / cancel_timer --

TEST(Timers, send_after_delivers_at_exactly_now_plus_delay) {
  World w;
  Term got;
  Micros at_us = -1;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(30);
    co_await ctx.send_after(70, ctx.self(), atom("tick"));
    got = *co_await ctx.receive();
    at_us = ctx.now_us();
  });
  w.run();
  EXPECT_EQ(got, atom("tick"));
  EXPECT_EQ(at_us, 100);
}

TEST(Timers, send_after_can_target_another_process_and_outlives_the_process_that_armed_it) {
  World w;
  Micros at_us = -1;
  Term got;
  Pid receiver = w.spawn([&](Ctx ctx) -> Proc {
    got = *co_await ctx.receive();
    at_us = ctx.now_us();
  });
  Pid armer = w.spawn([receiver](Ctx ctx) -> Proc {
    co_await ctx.send_after(500, receiver, tuple(atom("from"), ctx.self()));
  });
  w.run();
  EXPECT_EQ(w.reason(armer), "normal");
  EXPECT_EQ(got, tuple(atom("from"), armer));
  EXPECT_EQ(at_us, 500);
}

TEST(Timers, send_after_to_a_dead_process_arms_nothing) {
  // erlang:send_after/3: "the timer is automatically cancelled if the
  // process referred to by the pid is not alive".
  World w;
  Pid gone = w.spawn([](Ctx) -> Proc { co_return; });
  std::optional<Micros> left = 1;
  w.spawn([gone, &left](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    Ref t = co_await ctx.send_after(100, gone, atom("late"));
    left = co_await ctx.cancel_timer(t);
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(r.end_time_us, 1);  // no timer to advance the clock to
  EXPECT_FALSE(left.has_value());
}

TEST(Timers, a_send_after_timer_dies_with_its_target) {
  World w;
  Pid target = w.spawn([](Ctx ctx) -> Proc { co_await ctx.receive(); });
  std::optional<Micros> left = 1;
  w.spawn([target, &left](Ctx ctx) -> Proc {
    Ref t = co_await ctx.send_after(1'000'000, target, atom("late"));
    co_await ctx.exit(target, atom("kill"));
    co_await ctx.sleep(10);
    left = co_await ctx.cancel_timer(t);
  });
  RunResult r = w.run();
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(r.end_time_us, 10);  // the 1 s timer went with the target
  EXPECT_FALSE(left.has_value());
}

TEST(Timers, send_after_with_zero_delay_delivers_at_the_current_time) {
  World w;
  Micros at_us = -1;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(5);
    co_await ctx.send_after(0, ctx.self(), atom("now"));
    co_await ctx.receive();
    at_us = ctx.now_us();
  });
  w.run();
  EXPECT_EQ(at_us, 5);
}

TEST(Timers, cancel_timer_returns_the_remaining_time_and_the_message_never_arrives) {
  World w;
  std::optional<Micros> left;
  std::optional<Term> later;
  w.spawn([&](Ctx ctx) -> Proc {
    Ref timer = co_await ctx.send_after(100, ctx.self(), atom("tick"));
    co_await ctx.sleep(30);
    left = co_await ctx.cancel_timer(timer);
    later = co_await ctx.receive(Micros{1000});
  });
  w.run();
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ(*left, 70);
  EXPECT_FALSE(later.has_value());
}

TEST(Timers, cancel_timer_after_the_timer_fired_returns_nullopt) {
  World w;
  std::optional<Micros> after_fire = 1;
  Term got;
  w.spawn([&](Ctx ctx) -> Proc {
    Ref timer = co_await ctx.send_after(10, ctx.self(), atom("tick"));
    got = *co_await ctx.receive();
    after_fire = co_await ctx.cancel_timer(timer);
  });
  w.run();
  EXPECT_EQ(got, atom("tick"));
  EXPECT_FALSE(after_fire.has_value());
}

TEST(Timers, cancelling_twice_or_an_unknown_ref_returns_nullopt) {
  World w;
  std::vector<std::optional<Micros>> results;
  w.spawn([&](Ctx ctx) -> Proc {
    Ref timer = co_await ctx.send_after(10, ctx.self(), atom("tick"));
    results.push_back(co_await ctx.cancel_timer(timer));
    results.push_back(co_await ctx.cancel_timer(timer));
    results.push_back(co_await ctx.cancel_timer(ctx.make_ref()));
  });
  w.run();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], std::optional<Micros>(10));
  EXPECT_FALSE(results[1].has_value());
  EXPECT_FALSE(results[2].has_value());
}

TEST(Timers, timers_due_at_the_same_time_fire_in_arming_order) {
  World w;
  std::vector<std::int64_t> got;
  Pid receiver = w.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 10; ++i) got.push_back((*co_await ctx.receive()).integer());
  });
  w.spawn([receiver](Ctx ctx) -> Proc {
    for (int i = 0; i < 5; ++i) co_await ctx.send_after(100, receiver, i);
  });
  w.spawn([receiver](Ctx ctx) -> Proc {
    co_await ctx.sleep(50);  // armed later, due at the same instant
    for (int i = 5; i < 10; ++i) co_await ctx.send_after(50, receiver, i);
  });
  w.run();
  EXPECT_EQ(got, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Timers, timers_fire_in_deadline_order_not_arming_order) {
  World w;
  std::vector<std::pair<std::int64_t, Micros>> got;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.send_after(300, ctx.self(), 3);
    co_await ctx.send_after(100, ctx.self(), 1);
    co_await ctx.send_after(200, ctx.self(), 2);
    for (int i = 0; i < 3; ++i) {
      std::int64_t n = (*co_await ctx.receive()).integer();
      got.emplace_back(n, ctx.now_us());
    }
  });
  w.run();
  EXPECT_EQ(got, (std::vector<std::pair<std::int64_t, Micros>>{{1, 100}, {2, 200}, {3, 300}}));
}

TEST(Timers, sleepers_due_at_the_same_time_all_wake_at_that_time) {
  World w;
  std::vector<Micros> woke;
  for (int i = 0; i < 5; ++i) {
    w.spawn([&](Ctx ctx) -> Proc {
      co_await ctx.sleep(100);
      woke.push_back(ctx.now_us());
    });
  }
  RunResult r = w.run();
  EXPECT_EQ(woke, (std::vector<Micros>(5, 100)));
  EXPECT_EQ(r.end_time_us, 100);
}

TEST(Timers, simulated_time_is_the_same_for_every_seed) {
  std::vector<Micros> ends;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    World w(seed);
    Pid echo = w.spawn([](Ctx ctx) -> Proc {
      for (;;) {
        auto m = co_await ctx.receive(Micros{1000});
        if (!m) co_return;
        co_await ctx.sleep(7);
        co_await ctx.send((*m)[0].pid(), (*m)[1]);
      }
    });
    w.spawn([echo](Ctx ctx) -> Proc {
      for (int i = 0; i < 10; ++i) {
        co_await ctx.send(echo, tuple(ctx.self(), i));
        co_await ctx.receive();
      }
    });
    ends.push_back(w.run().end_time_us);
  }
  // 10 round trips of 7us each, then the echo's idle timeout of 1000us.
  EXPECT_EQ(ends, (std::vector<Micros>(10, 70 + 1000)));
}

}  // namespace
}  // namespace otpsim::sim
