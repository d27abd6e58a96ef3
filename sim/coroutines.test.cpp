// Coroutine mechanics: nested Task<T>, exceptions and exit/1 across frames,
// constant stack for synchronous awaits, frame destruction on kill, and the
// lifetime of spawned lambdas' captures. Meant to pass under ASan+UBSan.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {

// Readable terms in assertion failures (found by gtest through ADL).

namespace {

using testing::World;

/// Counts constructions and destructions per name, to check that every
/// local of every frame is destroyed exactly once.
struct Lifetimes {
  std::map<std::string, int> constructed;
  std::map<std::string, int> destroyed;
};

class Tracked {
 public:
  Tracked(Lifetimes* lifetimes, std::string name) : lifetimes_(lifetimes), name_(std::move(name)) {
    ++lifetimes_->constructed[name_];
  }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  ~Tracked() { ++lifetimes_->destroyed[name_]; }

 private:
  Lifetimes* lifetimes_;
  std::string name_;
};

Task<> block(Ctx ctx) { co_await ctx.receive([](const Term&) { return false; }); }

// -- values --

Task<int> add_later(Ctx ctx, int a, int b) {
  co_await ctx.yield();
  co_return a + b;
}

TEST(Coroutines, a_nested_task_returns_its_value_to_the_awaiting_process) {
  World w;
  int got = 0;
  w.spawn([&](Ctx ctx) -> Proc { got = co_await add_later(ctx, 2, 3); });
  w.run();
  EXPECT_EQ(got, 5);
}

Task<> append_later(Ctx ctx, std::vector<std::string>* log, std::string what) {
  co_await ctx.sleep(10);
  log->push_back(what);
}

TEST(Coroutines, a_nested_void_task_finishes_before_the_caller_continues) {
  World w;
  std::vector<std::string> log;
  w.spawn([&](Ctx ctx) -> Proc {
    log.push_back("before");
    co_await append_later(ctx, &log, "inside");
    log.push_back("after");
  });
  w.run();
  EXPECT_EQ(log, (std::vector<std::string>{"before", "inside", "after"}));
}

Task<std::int64_t> sum_down(Ctx ctx, int n) {
  if (n == 0) {
    co_await ctx.yield();  // suspend at the bottom of the stack of frames
    co_return 0;
  }
  std::int64_t below = co_await sum_down(ctx, n - 1);
  co_return below + n;
}

TEST(Coroutines, tasks_nest_many_levels_deep_and_return_through_each_level) {
  World w;
  std::int64_t got = 0;
  w.spawn([&](Ctx ctx) -> Proc { got = co_await sum_down(ctx, 1000); });
  w.run();
  EXPECT_EQ(got, 1000 * 1001 / 2);
}

Task<std::unique_ptr<std::string>> make_owned(Ctx ctx, std::string text) {
  co_await ctx.yield();
  co_return std::make_unique<std::string>(std::move(text));
}

Task<Term> make_term(Ctx ctx) {
  co_await ctx.yield();
  co_return tuple(atom("ok"), Term::string("payload"), list(1, 2, 3));
}

TEST(Coroutines, a_task_can_return_move_only_and_refcounted_values) {
  World w;
  std::string owned;
  Term term;
  w.spawn([&](Ctx ctx) -> Proc {
    std::unique_ptr<std::string> p = co_await make_owned(ctx, "mine");
    owned = *p;
    term = co_await make_term(ctx);
  });
  w.run();
  EXPECT_EQ(owned, "mine");
  EXPECT_EQ(term.to_string(), "{ok,\"payload\",[1,2,3]}");
}

TEST(Coroutines, a_task_is_lazy_and_runs_only_when_awaited) {
  World w;
  std::vector<std::string> log;
  w.spawn([&](Ctx ctx) -> Proc {
    Task<> later = append_later(ctx, &log, "task ran");
    log.push_back("created");
    co_await std::move(later);
    log.push_back("awaited");
  });
  w.run();
  EXPECT_EQ(log, (std::vector<std::string>{"created", "task ran", "awaited"}));
}

Task<> track_and_finish(Ctx ctx, Lifetimes* lifetimes) {
  Tracked local(lifetimes, "never");
  co_await ctx.yield();
}

TEST(Coroutines, a_task_that_is_never_awaited_never_runs_and_frees_its_frame) {
  World w;
  Lifetimes lifetimes;
  w.spawn([&](Ctx ctx) -> Proc {
    { Task<> dropped = track_and_finish(ctx, &lifetimes); }
    co_await ctx.yield();
  });
  w.run();
  EXPECT_TRUE(lifetimes.constructed.empty());  // its body never started
  EXPECT_TRUE(lifetimes.destroyed.empty());
}

TEST(Coroutines, a_named_lambda_task_keeps_its_captures_while_suspended) {
  World w;
  std::string got;
  w.spawn([&](Ctx ctx) -> Proc {
    std::string text(64, 'z');  // heap-allocated, so ASan sees a dangling read
    auto shout = [text, ctx]() mutable -> Task<std::string> {
      co_await ctx.yield();
      co_return text + "!";
    };
    got = co_await shout();
  });
  w.run();
  EXPECT_EQ(got, std::string(64, 'z') + "!");
}

// -- exceptions and exit/1 --

Task<int> throw_after_yield(Ctx ctx, std::string what) {
  co_await ctx.yield();
  throw std::runtime_error(what);
}

Task<int> throw_at_once(std::string what) {
  throw std::invalid_argument(what);
  co_return 0;
}

TEST(Coroutines, an_exception_from_a_nested_task_is_catchable_by_the_awaiting_coroutine) {
  World w;
  std::vector<std::string> caught;
  Micros later_us = -1;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    try {
      co_await throw_after_yield(ctx, "after suspending");
    } catch (const std::runtime_error& e) {
      caught.push_back(e.what());
    }
    try {
      co_await throw_at_once("before suspending");
    } catch (const std::invalid_argument& e) {
      caught.push_back(e.what());
    }
    co_await ctx.sleep(5);  // the process carries on normally
    later_us = ctx.now_us();
  });
  w.run();
  EXPECT_EQ(caught, (std::vector<std::string>{"after suspending", "before suspending"}));
  EXPECT_EQ(later_us, 5);
  EXPECT_EQ(w.reason(p), "normal");
}

Task<int> rethrow_through(Ctx ctx, int levels) {
  if (levels == 0) co_return co_await throw_after_yield(ctx, "deep");
  int v = co_await rethrow_through(ctx, levels - 1);
  co_return v + 1;
}

TEST(Coroutines, an_exception_crosses_several_task_levels_to_the_catcher) {
  World w;
  std::string caught;
  w.spawn([&](Ctx ctx) -> Proc {
    try {
      co_await rethrow_through(ctx, 10);
    } catch (const std::exception& e) {
      caught = e.what();
    }
  });
  w.run();
  EXPECT_EQ(caught, "deep");
}

TEST(Coroutines, an_uncaught_exception_from_a_nested_task_becomes_the_exit_reason) {
  World w;
  bool after = false;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    co_await throw_after_yield(ctx, "boom");
    after = true;
  });
  w.run();
  EXPECT_EQ(w.reason(p), "{exception,\"boom\"}");
  EXPECT_FALSE(after);
}

TEST(Coroutines, an_uncaught_exception_reaches_linked_processes_as_the_exit_reason) {
  World w;
  Term got;
  w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    Pid child = co_await ctx.spawn_link([](Ctx c) -> Proc { co_await throw_after_yield(c, "bad \"quote\""); });
    got = *co_await ctx.receive();
    EXPECT_EQ(got[1], Term(child));
  });
  w.run();
  ASSERT_TRUE(got.is_tuple());
  EXPECT_EQ(got[2], tuple(atom("exception"), Term::string("bad \"quote\"")));
}

Task<> exit_inside(Ctx ctx, Term reason) {
  co_await ctx.yield();
  ctx.exit(std::move(reason));
}

Task<> exit_two_levels_down(Ctx ctx, Term reason) {
  co_await exit_inside(ctx, std::move(reason));
  co_await ctx.yield();
}

TEST(Coroutines, ctx_exit_inside_a_nested_task_ends_the_process_with_that_reason) {
  World w;
  bool after = false;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    co_await exit_two_levels_down(ctx, tuple(atom("shutdown"), atom("nested")));
    after = true;
  });
  w.run();
  EXPECT_EQ(w.reason(p), "{shutdown,nested}");
  EXPECT_FALSE(after);
}

TEST(Coroutines, ctx_exit_inside_a_nested_task_is_not_caught_as_a_std_exception) {
  World w;
  bool caught = false;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    try {
      co_await exit_inside(ctx, atom("leaving"));
    } catch (const std::exception&) {
      caught = true;
    }
  });
  w.run();
  EXPECT_FALSE(caught);
  EXPECT_EQ(w.reason(p), "leaving");
}

// -- stack depth --

Task<int> ready_value(int i) { co_return i; }
Task<> ready_void(std::int64_t* counter) {
  ++*counter;
  co_return;
}

TEST(Coroutines, a_million_synchronous_task_awaits_use_constant_stack) {
  World w(0, TraceLevel::off);
  std::int64_t sum = 0;
  std::int64_t count = 0;
  RunResult r;
  w.spawn([&](Ctx ctx) -> Proc {
    for (int i = 0; i < 1'000'000; ++i) sum += co_await ready_value(i & 1);
    for (int i = 0; i < 1'000'000; ++i) co_await ready_void(&count);
    co_await ctx.yield();
  });
  r = w.run();
  EXPECT_EQ(sum, 500'000);
  EXPECT_EQ(count, 1'000'000);
  EXPECT_EQ(r.steps, 3u);  // start, yield, exit: no effect in the loops, all within one step
}

Task<std::int64_t> depth_without_suspending(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth_without_suspending(n - 1);
}

TEST(Coroutines, a_hundred_thousand_nested_synchronous_tasks_use_constant_stack) {
  World w(0, TraceLevel::off);
  std::int64_t depth = 0;
  w.spawn([&](Ctx) -> Proc { depth = co_await depth_without_suspending(100'000); });
  w.run();
  EXPECT_EQ(depth, 100'000);
}

// -- frame destruction --

Task<> nest_then_block(Ctx ctx, int depth, int* destroyed) {
  struct Count {
    int* n;
    ~Count() { ++*n; }
  } count{destroyed};
  if (depth == 0) {
    co_await ctx.receive();
  } else {
    co_await nest_then_block(ctx, depth - 1, destroyed);
  }
}

TEST(Coroutines, killing_a_process_blocked_a_hundred_thousand_tasks_deep_destroys_every_frame_iteratively) {
  World w(0, TraceLevel::off);
  int destroyed = 0;
  Pid p = w.spawn([&](Ctx ctx) -> Proc { co_await nest_then_block(ctx, 100'000, &destroyed); });
  w.run();
  EXPECT_EQ(destroyed, 0);
  w.kernel.exit_external(p, atom("kill"));
  w.run();
  EXPECT_EQ(w.reason(p), "killed");
  EXPECT_EQ(destroyed, 100'001);
}

Task<> inner_waits(Ctx ctx, Lifetimes* lifetimes) {
  Tracked inner(lifetimes, "inner");
  Term held = tuple(atom("held"), Term::string(std::string(100, 'h')));  // a leak would show in ASan
  co_await block(ctx);
}

Task<> middle_waits(Ctx ctx, Lifetimes* lifetimes) {
  Tracked middle(lifetimes, "middle");
  {
    Tracked scoped(lifetimes, "scoped");  // ends before the suspension
    co_await ctx.yield();
  }
  co_await inner_waits(ctx, lifetimes);
}

TEST(Coroutines, a_process_killed_inside_nested_tasks_destroys_every_frame_exactly_once) {
  World w;
  Lifetimes lifetimes;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    Tracked body(&lifetimes, "body");
    co_await middle_waits(ctx, &lifetimes);
  });
  w.run();
  EXPECT_TRUE(w.kernel.is_alive(p));
  EXPECT_EQ(lifetimes.destroyed, (std::map<std::string, int>{{"scoped", 1}}));
  w.kernel.exit_external(p, atom("kill"));
  w.run();
  EXPECT_EQ(w.reason(p), "killed");
  const std::map<std::string, int> once{{"body", 1}, {"inner", 1}, {"middle", 1}, {"scoped", 1}};
  EXPECT_EQ(lifetimes.constructed, once);
  EXPECT_EQ(lifetimes.destroyed, once);
}

TEST(Coroutines, a_process_killed_by_a_link_inside_nested_tasks_destroys_every_frame_exactly_once) {
  World w;
  Lifetimes lifetimes;
  Pid victim;
  w.spawn([&](Ctx ctx) -> Proc {
    victim = co_await ctx.spawn_link([&](Ctx c) -> Proc {
      Tracked body(&lifetimes, "body");
      co_await middle_waits(c, &lifetimes);
    });
    co_await ctx.sleep(10);
    ctx.exit(atom("crash"));
  });
  w.run();
  EXPECT_EQ(w.reason(victim), "crash");
  const std::map<std::string, int> once{{"body", 1}, {"inner", 1}, {"middle", 1}, {"scoped", 1}};
  EXPECT_EQ(lifetimes.constructed, once);
  EXPECT_EQ(lifetimes.destroyed, once);
}

Task<> middle_throws(Ctx ctx, Lifetimes* lifetimes) {
  Tracked middle(lifetimes, "middle");
  co_await throw_after_yield(ctx, "fail");
}

TEST(Coroutines, a_process_ending_by_exception_in_nested_tasks_destroys_every_frame_exactly_once) {
  World w;
  Lifetimes lifetimes;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    Tracked body(&lifetimes, "body");
    co_await middle_throws(ctx, &lifetimes);
  });
  w.run();
  EXPECT_EQ(w.reason(p), "{exception,\"fail\"}");
  const std::map<std::string, int> once{{"body", 1}, {"middle", 1}};
  EXPECT_EQ(lifetimes.constructed, once);
  EXPECT_EQ(lifetimes.destroyed, once);
}

TEST(Coroutines, destroying_the_kernel_destroys_the_frames_of_blocked_processes) {
  Lifetimes lifetimes;
  {
    World w(0, TraceLevel::full, RunLimits{1'000'000, 1000});
    w.spawn([&](Ctx ctx) -> Proc {
      Tracked body(&lifetimes, "body");
      co_await middle_waits(ctx, &lifetimes);
    });
    w.spawn([&](Ctx ctx) -> Proc {
      Tracked sleeper(&lifetimes, "sleeper");
      co_await ctx.sleep(1'000'000);
    });
    RunResult r = w.run();
    EXPECT_EQ(r.outcome, Outcome::time_limit);  // the sleeper is still asleep
    EXPECT_EQ(lifetimes.destroyed, (std::map<std::string, int>{{"scoped", 1}}));
  }
  const std::map<std::string, int> once{{"body", 1}, {"inner", 1}, {"middle", 1}, {"scoped", 1}, {"sleeper", 1}};
  EXPECT_EQ(lifetimes.constructed, once);
  EXPECT_EQ(lifetimes.destroyed, once);
}

// -- lambda captures --

TEST(Coroutines, lambda_captures_stay_valid_for_the_life_of_a_spawned_process) {
  World w;
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    std::string small = "p" + std::to_string(i);
    std::string big(200, static_cast<char>('a' + i));  // forces the closure onto the heap
    std::vector<int> numbers{i, i + 1, i + 2};
    w.spawn([&seen, small, big, numbers](Ctx ctx) -> Proc {
      for (int round = 0; round < 3; ++round) {
        co_await ctx.sleep(10);
        co_await ctx.yield();
      }
      seen.push_back(small + ":" + big.substr(0, 3) + ":" + std::to_string(numbers[2]));
    });
  }  // the originals are gone before the processes run
  w.run();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"p0:aaa:2", "p1:bbb:3", "p2:ccc:4"}));
}

TEST(Coroutines, captures_of_a_lambda_spawned_from_inside_a_process_stay_valid) {
  World w;
  std::string got;
  w.spawn([&](Ctx ctx) -> Proc {
    Pid self = ctx.self();
    {
      std::string secret(100, 's');
      auto body = [secret, self](Ctx c) -> Proc {  // named: see the g++ 12 note in ctx.hpp
        co_await c.sleep(50);
        co_await c.send(self, Term::string(secret));
      };
      co_await ctx.spawn(body);
    }  // the parent's lambda and string are gone
    got = std::string((*co_await ctx.receive()).string_value());
  });
  w.run();
  EXPECT_EQ(got, std::string(100, 's'));
}

TEST(Coroutines, the_closure_of_a_spawned_process_is_released_when_it_dies) {
  World w;
  auto shared = std::make_shared<int>(42);
  std::weak_ptr<int> watch = shared;
  int read = 0;
  Pid p = w.spawn([&read, shared](Ctx ctx) -> Proc {
    co_await ctx.receive();
    read = *shared;
  });
  shared.reset();
  w.run();
  EXPECT_FALSE(watch.expired());  // held by the waiting process's closure
  w.spawn([p](Ctx ctx) -> Proc { co_await ctx.send(p, atom("go")); });
  w.run();
  EXPECT_EQ(read, 42);
  EXPECT_EQ(w.reason(p), "normal");
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace otpsim::sim
