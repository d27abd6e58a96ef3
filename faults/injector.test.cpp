// The injector against the trio (docs/faults.md): one case per trigger and
// per action, the skip rules, windows, after/max_fires, the any_app choice,
// heals, node restarts, and determinism per seed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "core/tokens/testing.hpp"
#include "core/tokens/trio_system.hpp"
#include "faults/injector.hpp"
#include "sim/ctx.hpp"

namespace otpsim::faults {
namespace {

namespace tk = core::tokens;
namespace sa = sim::atoms;
using sim::Atom;
using sim::atom;
using sim::Ctx;
using sim::EffectKind;
using sim::Micros;
using sim::Pid;
using sim::Proc;
using sim::Task;
using sim::Term;
using tk::testing::TrioWorld;
using AK = Action::Kind;
using TK = Target::Kind;

constexpr Micros ms = 1000;
constexpr Micros s = 1'000'000;

Term ok(const std::string& token) { return sim::tuple(sa::ok(), Term::string(token)); }
Term no_token() { return sim::tuple(sa::error(), Atom("no_token_available")); }

// -- building plans --

Fault make_fault(Trigger trigger, AK action, Target target) {
  Fault f;
  f.trigger = std::move(trigger);
  f.action.kind = action;
  f.target = std::move(target);
  return f;
}

Fault at_time(Micros at_us, AK action, Target target) {
  Trigger t;
  t.kind = Trigger::Kind::at_time;
  t.at_us = at_us;
  return make_fault(t, action, std::move(target));
}

Fault at_step(std::uint64_t step, AK action, Target target) {
  Trigger t;
  t.kind = Trigger::Kind::at_step;
  t.at_step = step;
  return make_fault(t, action, std::move(target));
}

Fault on_receive(Target receiver, std::string match, AK action, Target target) {
  Trigger t;
  t.kind = Trigger::Kind::on_receive;
  t.receiver = std::move(receiver);
  t.match = std::move(match);
  return make_fault(t, action, std::move(target));
}

Fault with_probability(double p, AK action, Target target) {
  Trigger t;
  t.kind = Trigger::Kind::probability;
  t.probability = p;
  return make_fault(t, action, std::move(target));
}

FaultPlan plan_of(std::vector<Fault> faults) {
  FaultPlan p;
  p.faults = std::move(faults);
  return p;
}

// -- the world --

/// Every step and receive, with the step's number (for "exactly when" checks).
class Watch final : public sim::Observer {
 public:
  struct Step {
    std::uint64_t step;
    Micros at_us;
    Pid pid;
    EffectKind effect;
  };
  struct Receive {
    std::uint64_t step;
    Pid pid;
    Term message;
  };
  explicit Watch(const sim::Kernel& kernel) : kernel_(kernel) {}
  void on_step(const sim::StepInfo& step) override {
    steps.push_back(Step{kernel_.steps(), kernel_.now_us(), step.pid, step.effect});
  }
  // Inside the step: the step's number is one more than the steps done.
  void on_receive(Pid pid, const Term& message) override { receives.push_back(Receive{kernel_.steps() + 1, pid, message}); }
  std::vector<Step> steps;
  std::vector<Receive> receives;

 private:
  const sim::Kernel& kernel_;
};

/// A new node: waits until the killed tree has released its names (it dies
/// in zero simulated time), starts the trio, and stays with it.
Proc node_body(Ctx ctx, TrioWorld* w) {
  ctx.trap_exit(true);
  const tk::Names& n = w->trio.names();
  const Atom names[] = {n.top, n.registry, n.ets_owner, n.task_sup, n.dyn_sup};
  for (;;) {
    bool taken = false;
    for (Atom name : names) {
      const Pid holder = co_await ctx.whereis(name);
      if (holder) taken = true;
    }
    if (!taken) break;
    co_await ctx.sleep(ms);
  }
  const Term started = co_await tk::start_link(ctx, &w->trio);
  w->start_result = started;
  for (;;) (void)co_await ctx.receive();
}

/// A TrioWorld with an injector on it, and a node-restart callback that
/// kills the top supervisor and starts a new one.
class World {
 public:
  explicit World(FaultPlan plan, std::uint64_t seed = 1, tk::TrioConfig config = tk::TrioConfig(),
                 bool with_restart = true)
      : w(std::move(config), seed),
        system(&w.trio),
        injector(std::move(plan), w.kernel, system, w.record, restart_fn(with_restart)),
        watch(w.kernel) {
    w.observers.add(&injector);
    w.observers.add(&watch);
    injector.start();
  }

  std::function<void()> restart_fn(bool with_restart) {
    if (!with_restart) return {};
    return [this] {
      ++restarts;
      const Pid top = w.kernel.whereis(Term(w.trio.names().top));
      if (top) w.kernel.exit_external(top, Term(sa::kill()));
      TrioWorld* wp = &w;
      w.kernel.spawn([wp](Ctx ctx) -> Proc { return node_body(ctx, wp); }, sim::SpawnOptions("node"));
    };
  }

  const std::vector<tk::FaultEvent>& faults() const { return w.record.faults; }
  Pid first(std::string_view label) const {
    auto pids = w.spawned(label);
    return pids.empty() ? Pid{} : pids.front();
  }

  TrioWorld w;
  tk::TrioSystem system;
  Injector injector;
  Watch watch;
  int restarts = 0;
};

/// A facade call in a client process of its own, so a call that exits
/// takes down only the client (recorded in w.record.calls).
Task<> spawn_call(Ctx ctx, TrioWorld* w, const char* op, const char* app) {
  auto body = [w, op, app](Ctx c) -> Proc { (void)co_await w->call(c, "client", op, app); };
  (void)co_await ctx.spawn(body);
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// -- triggers --

TEST(FaultsTrigger, at_time_fires_in_the_step_after_the_fault_clock_wakes_even_when_idle) {
  World x(plan_of({at_time(1 * s, AK::kill, Target(TK::ets_owner))}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(3 * s);  // idle: only the fault clock wakes at 1 s
  });
  ASSERT_TRUE(x.w.driver_done);
  ASSERT_EQ(x.faults().size(), 1u);
  const tk::FaultEvent& e = x.faults()[0];
  EXPECT_EQ(e.at_us, 1 * s);
  EXPECT_TRUE(e.applied);
  EXPECT_EQ(e.name, "kill ets_owner");
  EXPECT_EQ(e.target, "ets_owner");
  EXPECT_EQ(e.action, "kill");
  EXPECT_EQ(e.victim, x.first("ets_owner"));
  EXPECT_EQ(x.w.exit_reason(e.victim), "killed");
  EXPECT_EQ(x.w.spawned("ets_owner").size(), 2u);  // restarted
  // The fault clock: one process, woken at 1 s; the fault fired in that step.
  auto clocks = x.w.record.lives("fault_clock");
  ASSERT_EQ(clocks.size(), 1u);
  EXPECT_FALSE(clocks[0]->alive());
  auto wake = std::find_if(x.watch.steps.begin(), x.watch.steps.end(), [&](const Watch::Step& st) {
    return st.pid == clocks[0]->pid && st.effect == EffectKind::sleep;
  });
  ASSERT_NE(wake, x.watch.steps.end());
  EXPECT_EQ(wake->at_us, 1 * s);
  EXPECT_EQ(e.step, wake->step);
  EXPECT_EQ(x.injector.applied(), 1u);
  EXPECT_EQ(x.injector.skipped(), 0u);
}

TEST(FaultsTrigger, at_time_faults_at_one_instant_share_one_wake) {
  World x(plan_of({at_time(1 * s, AK::storage_get_fail, Target(TK::storage)),
                   at_time(1 * s, AK::storage_put_fail, Target(TK::storage)),
                   at_time(2 * s, AK::clock_jump, Target(TK::clock))}));
  x.w.run([&](Ctx ctx) -> Task<> { co_await ctx.sleep(3 * s); });
  ASSERT_EQ(x.faults().size(), 3u);
  EXPECT_EQ(x.faults()[0].step, x.faults()[1].step);  // plan order within a step
  EXPECT_EQ(x.faults()[0].fault_index, 0u);
  EXPECT_EQ(x.faults()[1].fault_index, 1u);
  EXPECT_EQ(x.faults()[2].at_us, 2 * s);
  auto clocks = x.w.record.lives("fault_clock");
  ASSERT_EQ(clocks.size(), 1u);
  std::size_t wakes = 0;
  for (const Watch::Step& st : x.watch.steps) wakes += st.pid == clocks[0]->pid && st.effect == EffectKind::sleep;
  EXPECT_EQ(wakes, 2u);
}

TEST(FaultsTrigger, at_step_fires_once_when_the_step_count_reaches_it) {
  // A first run without faults finds the step at which the trio is up and
  // the first get is done; the injector does not change the schedule (its
  // draws are its own and at_step spawns no clock), so a second run with
  // the same seed reaches the same state at that step.
  std::uint64_t ready_step = 0;
  {
    World x(plan_of({}));
    x.w.run([&](Ctx ctx) -> Task<> {
      (void)co_await x.w.get(ctx, "a");
      ready_step = x.w.kernel.steps() + 1;
      co_await ctx.sleep(1 * s);
    });
  }
  ASSERT_GT(ready_step, 10u);
  World x(plan_of({at_step(ready_step, AK::kill, Target(TK::ets_owner))}));
  std::uint64_t steps_after_get = 0;
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    steps_after_get = x.w.kernel.steps() + 1;
    co_await ctx.sleep(1 * s);
  });
  EXPECT_EQ(steps_after_get, ready_step);  // same schedule so far
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].step, ready_step);
  EXPECT_TRUE(x.faults()[0].applied);
  EXPECT_EQ(x.faults()[0].victim, x.first("ets_owner"));
  EXPECT_TRUE(x.w.record.lives("fault_clock").empty());
}

TEST(FaultsTrigger, on_receive_matches_a_gen_server_call_request_to_the_app_server) {
  // The AppServer of a dies on taking the acquire call, before its table
  // re-check: the CLI never runs and the client's call exits.
  Fault f = on_receive(Target(TK::app, "a"), "acquire", AK::kill, Target(TK::app, "a"));
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await spawn_call(ctx, &x.w, "get", "a");
    co_await ctx.sleep(1 * s);
  });
  ASSERT_EQ(x.faults().size(), 1u);
  const tk::FaultEvent& e = x.faults()[0];
  EXPECT_TRUE(e.applied);
  EXPECT_EQ(e.victim, x.first("app:a"));
  EXPECT_EQ(x.w.exit_reason(e.victim), "killed");
  EXPECT_EQ(x.w.env.sim_cli.runs, 0u);
  ASSERT_EQ(x.w.record.calls.size(), 1u);
  EXPECT_TRUE(x.w.record.calls[0].exited);
  EXPECT_EQ(x.w.spawned("app:a").size(), 2u);  // the DynamicSupervisor restarted it
  // Applied in the step in which the AppServer took the call.
  auto got = std::find_if(x.watch.receives.begin(), x.watch.receives.end(), [&](const Watch::Receive& r) {
    return r.pid == e.victim && message_matches(r.message, "acquire");
  });
  ASSERT_NE(got, x.watch.receives.end());
  EXPECT_EQ(e.step, got->step);
}

TEST(FaultsTrigger, on_receive_counts_only_matching_messages_to_the_receiver_then_skips_after_and_stops_at_max_fires) {
  Fault f = on_receive(Target(TK::app, "a"), "acquire", AK::clock_jump, Target(TK::clock));
  f.trigger.after = 1;
  f.trigger.max_fires = 2;
  f.action.duration_us = 3600 * s;
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> {
    for (int i = 0; i < 4; ++i) {
      (void)co_await x.w.get(ctx, "b");           // b's AppServer: another receiver
      (void)co_await x.w.get(ctx, "a");           // an acquire call to a's AppServer
      (void)co_await x.w.invalidate(ctx, "a");    // a call to it, not an acquire
    }
  });
  // Occurrences 1..4 of {a's AppServer takes acquire}: 1 skipped, 2 and 3 fire, 4 is past max_fires.
  ASSERT_EQ(x.faults().size(), 2u);
  EXPECT_EQ(x.w.env.clock_offset_us, 2 * 3600 * s);
  EXPECT_LT(x.faults()[0].step, x.faults()[1].step);
  std::vector<std::uint64_t> acquires;
  for (const Watch::Receive& r : x.watch.receives) {
    if (r.pid == x.first("app:a") && message_matches(r.message, "acquire")) acquires.push_back(r.step);
  }
  ASSERT_EQ(acquires.size(), 4u);
  EXPECT_EQ(x.faults()[0].step, acquires[1]);
  EXPECT_EQ(x.faults()[1].step, acquires[2]);
}

TEST(FaultsTrigger, an_on_receive_fault_aimed_at_its_receiver_hits_the_process_that_took_the_message) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Fault f = on_receive(Target(TK::any_app), "acquire", AK::kill, Target(TK::any_app));
    f.trigger.after = 1;  // a's acquire is skipped, b's fires
    World x(plan_of({f}), seed);
    x.w.run([&](Ctx ctx) -> Task<> {
      (void)co_await x.w.get(ctx, "a");
      co_await spawn_call(ctx, &x.w, "get", "b");
      co_await ctx.sleep(1 * s);
    });
    ASSERT_EQ(x.faults().size(), 1u) << seed;
    EXPECT_EQ(x.faults()[0].victim, x.first("app:b")) << seed;  // not a pick between a and b
    EXPECT_EQ(x.w.exit_reason(x.first("app:a")), "alive") << seed;
  }
}

TEST(FaultsTrigger, probability_one_fires_at_every_step_until_max_fires) {
  Fault f = with_probability(1.0, AK::clock_jump, Target(TK::clock));
  f.trigger.max_fires = 3;
  f.action.duration_us = 1;
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> { (void)co_await x.w.get(ctx, "a"); });
  ASSERT_EQ(x.faults().size(), 3u);
  EXPECT_EQ(x.faults()[0].step, 1u);
  EXPECT_EQ(x.faults()[1].step, 2u);
  EXPECT_EQ(x.faults()[2].step, 3u);
  EXPECT_EQ(x.w.env.clock_offset_us, 3);
}

TEST(FaultsTrigger, probability_zero_never_fires) {
  Fault f = with_probability(0.0, AK::kill, Target(TK::any_app));
  f.trigger.max_fires = 1000;
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> { (void)co_await x.w.get(ctx, "a"); });
  EXPECT_TRUE(x.faults().empty());
}

/// The steps at which a p = 0.5 clock-jump fault fired, and the run's steps.
std::pair<std::vector<std::uint64_t>, std::uint64_t> half_chance_run(std::uint64_t seed) {
  Fault f = with_probability(0.5, AK::clock_jump, Target(TK::clock));
  f.trigger.max_fires = 1'000'000;
  f.action.duration_us = 1;
  World x(plan_of({f}), seed);
  sim::RunResult r = x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    (void)co_await x.w.get(ctx, "b");
  });
  std::vector<std::uint64_t> steps;
  for (const tk::FaultEvent& e : x.faults()) steps.push_back(e.step);
  return {steps, r.steps};
}

TEST(FaultsTrigger, probability_fires_at_about_its_rate_and_the_same_seed_fires_at_the_same_steps) {
  auto [fired, steps] = half_chance_run(7);
  ASSERT_GT(steps, 100u);
  EXPECT_GT(fired.size(), steps * 3 / 10);
  EXPECT_LT(fired.size(), steps * 7 / 10);
  EXPECT_EQ(half_chance_run(7).first, fired);
  EXPECT_NE(half_chance_run(8).first, fired);
}

TEST(FaultsTrigger, a_window_limits_when_a_probability_trigger_may_fire) {
  Fault f = with_probability(1.0, AK::clock_jump, Target(TK::clock));
  f.trigger.from_us = 1 * s;
  f.trigger.until_us = 2 * s;
  f.trigger.max_fires = 1000;
  f.action.duration_us = 1;
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");  // at 0: before the window
    co_await ctx.sleep(1500 * ms);
    (void)co_await x.w.get(ctx, "b");  // at 1.5 s: inside
    co_await ctx.sleep(1500 * ms);
    (void)co_await x.w.get(ctx, "c");  // at 3 s: after
  });
  ASSERT_FALSE(x.faults().empty());
  for (const tk::FaultEvent& e : x.faults()) {
    EXPECT_GE(e.at_us, 1 * s);
    EXPECT_LE(e.at_us, 2 * s);
  }
  std::size_t inside = 0;
  for (const Watch::Step& st : x.watch.steps) inside += st.at_us >= 1 * s && st.at_us <= 2 * s;
  EXPECT_EQ(x.faults().size(), inside);  // p = 1: every step inside the window
}

TEST(FaultsTrigger, a_one_shot_trigger_outside_its_window_or_after_its_occurrence_never_fires) {
  Fault late = at_time(3 * s, AK::clock_jump, Target(TK::clock));
  late.trigger.until_us = 2 * s;
  Fault skipped = at_time(1 * s, AK::clock_jump, Target(TK::clock));
  skipped.trigger.after = 1;  // its only occurrence is skipped
  Fault early_step = at_step(5, AK::clock_jump, Target(TK::clock));
  early_step.trigger.from_us = 1 * s;  // step 5 comes at time 0
  Fault no_fires = at_time(1 * s, AK::clock_jump, Target(TK::clock));
  no_fires.trigger.max_fires = 0;
  World x(plan_of({late, skipped, early_step, no_fires}));
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * s);
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(3 * s);
  });
  EXPECT_TRUE(x.faults().empty());
  EXPECT_EQ(x.w.env.clock_offset_us, 0);
  EXPECT_TRUE(x.w.record.lives("fault_clock").empty());  // nothing could fire: no clock
}

// -- process actions --

TEST(FaultsAction, kill_sends_the_exit_signal_with_its_reason) {
  Fault boom = at_time(1 * s, AK::kill, Target(TK::app, "a"));
  boom.action.reason = atom("boom");
  Fault plain = at_time(2 * s, AK::kill, Target(TK::app, "b"));
  World x(plan_of({boom, plain}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    (void)co_await x.w.get(ctx, "b");
    co_await ctx.sleep(3 * s);
  });
  ASSERT_EQ(x.faults().size(), 2u);
  EXPECT_EQ(x.faults()[0].victim, x.first("app:a"));
  EXPECT_EQ(x.w.exit_reason(x.first("app:a")), "boom");
  EXPECT_EQ(x.faults()[0].detail, "sent exit signal boom");
  EXPECT_EQ(x.faults()[1].victim, x.first("app:b"));
  EXPECT_EQ(x.w.exit_reason(x.first("app:b")), "killed");  // the default reason: kill
  EXPECT_EQ(x.w.spawned("app:a").size(), 2u);
  EXPECT_EQ(x.w.spawned("app:b").size(), 2u);
}

TEST(FaultsAction, every_named_process_target_resolves_by_its_registered_name) {
  const std::pair<TK, std::string> targets[] = {
      {TK::registry, "registry"}, {TK::ets_owner, "ets_owner"}, {TK::task_sup, "task_sup"}, {TK::dyn_sup, "dyn_sup"}};
  for (const auto& [kind, label] : targets) {
    World x(plan_of({at_time(1 * s, AK::kill, Target(kind))}));
    const tk::Names& n = x.w.trio.names();
    Atom name = n.dyn_sup;
    if (kind == TK::registry) name = n.registry;
    if (kind == TK::ets_owner) name = n.ets_owner;
    if (kind == TK::task_sup) name = n.task_sup;
    Pid registered;
    x.w.run([&](Ctx ctx) -> Task<> {
      (void)co_await x.w.get(ctx, "a");
      registered = co_await ctx.whereis(name);
      co_await ctx.sleep(2 * s);
    });
    ASSERT_EQ(x.faults().size(), 1u) << label;
    EXPECT_TRUE(x.faults()[0].applied) << label;
    EXPECT_EQ(x.faults()[0].victim, registered) << label;
    EXPECT_EQ(x.w.exit_reason(registered), "killed") << label;
  }
}

TEST(FaultsAction, kill_top_takes_the_whole_trio_down) {
  World x(plan_of({at_time(1 * s, AK::kill, Target(TK::top))}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
  });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].victim, x.w.top);
  EXPECT_EQ(x.w.exit_reason(x.w.top), "killed");
  EXPECT_NE(x.w.exit_reason(x.first("ets_owner")), "alive");
  EXPECT_FALSE(x.w.kernel.whereis(Term(x.w.trio.names().dyn_sup)));
}

TEST(FaultsAction, stop_normal_stops_the_target_normal_and_its_permanent_spec_restarts_it) {
  World x(plan_of({at_time(1 * s, AK::stop_normal, Target(TK::ets_owner))}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
  });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_TRUE(x.faults()[0].applied);
  const auto owners = x.w.spawned("ets_owner");
  ASSERT_EQ(owners.size(), 2u);  // stopped normal, restarted (permanent)
  EXPECT_EQ(x.w.exit_reason(owners[0]), "normal");
  EXPECT_EQ(x.w.exit_reason(owners[1]), "alive");
}

TEST(FaultsAction, busy_holds_the_target_for_its_duration_then_it_answers) {
  Fault f = at_time(1 * s, AK::busy, Target(TK::dyn_sup));
  f.action.duration_us = 3 * s;
  World x(plan_of({f}));
  Micros answered_us = -1;
  Term result;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * s + ms);
    result = co_await x.w.get(ctx, "a");  // starts an AppServer: a call to the busy DynamicSupervisor
    answered_us = ctx.now_us();
  });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_TRUE(x.faults()[0].applied);
  EXPECT_EQ(x.faults()[0].heals_at_us, 4 * s);
  EXPECT_GE(answered_us, 4 * s);
  EXPECT_TRUE(result.is_tagged(sa::ok(), 2)) << result.to_string();
  EXPECT_EQ(x.w.exit_reason(x.first("dyn_sup")), "alive");
}

TEST(FaultsAction, crash_on_next_message_kills_exactly_on_the_next_received_message) {
  World x(plan_of({at_time(1 * s, AK::crash_on_next_message, Target(TK::app, "a"))}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");  // the AppServer is up and the row is cached
    co_await ctx.sleep(2 * s);          // armed at 1 s; nothing reaches it meanwhile
    co_await spawn_call(ctx, &x.w, "invalidate", "a");
    co_await ctx.sleep(1 * s);
  });
  ASSERT_EQ(x.faults().size(), 1u);
  const tk::FaultEvent& e = x.faults()[0];
  const Pid victim = x.first("app:a");
  EXPECT_TRUE(e.applied);
  EXPECT_EQ(e.victim, victim);
  EXPECT_EQ(e.at_us, 1 * s);
  EXPECT_TRUE(contains(e.detail, "armed")) << e.detail;
  EXPECT_TRUE(contains(e.detail, "took {'$gen_call'")) << e.detail;
  EXPECT_EQ(x.w.exit_reason(victim), "killed");
  // It took exactly one message after arming (the invalidate call), and
  // its next step was its death: the row delete never ran.
  std::vector<Watch::Receive> taken;
  for (const Watch::Receive& r : x.watch.receives) {
    if (r.pid == victim && r.step > e.step) taken.push_back(r);
  }
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(message_matches(taken[0].message, "invalidate"));
  std::vector<EffectKind> after;
  for (const Watch::Step& st : x.watch.steps) {
    if (st.pid == victim && st.step > taken[0].step) after.push_back(st.effect);
  }
  EXPECT_EQ(after, std::vector<EffectKind>{EffectKind::die});
  EXPECT_TRUE(x.w.cache_row("a").has_value());
  ASSERT_EQ(x.w.record.calls.size(), 1u);
  EXPECT_TRUE(x.w.record.calls[0].exited);
}

TEST(FaultsAction, crash_on_next_message_with_a_reason_exits_a_non_trapping_process_with_it) {
  Fault f = at_time(1 * s, AK::crash_on_next_message, Target(TK::app, "a"));
  f.action.reason = atom("boom");
  World x(plan_of({f}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
    co_await spawn_call(ctx, &x.w, "refresh", "a");
    co_await ctx.sleep(1 * s);
  });
  EXPECT_EQ(x.w.exit_reason(x.first("app:a")), "boom");
  EXPECT_EQ(x.w.env.sim_cli.runs, 1u);  // the refresh never reached the CLI
}

TEST(FaultsAction, any_app_picks_one_live_app_server_with_a_logged_data_choice) {
  std::set<std::string> victims;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    World x(plan_of({at_time(1 * s, AK::kill, Target(TK::any_app))}), seed);
    x.w.run([&](Ctx ctx) -> Task<> {
      (void)co_await x.w.get(ctx, "a");
      (void)co_await x.w.get(ctx, "b");
      co_await ctx.sleep(2 * s);
    });
    ASSERT_EQ(x.faults().size(), 1u);
    const Pid victim = x.faults()[0].victim;
    ASSERT_TRUE(victim == x.first("app:a") || victim == x.first("app:b")) << seed;
    victims.insert(victim == x.first("app:a") ? "a" : "b");
    EXPECT_EQ(x.w.exit_reason(victim), "killed");
    const auto& choices = x.w.kernel.choices();
    const bool logged = std::any_of(choices.begin(), choices.end(), [](const sim::Choice& c) {
      return c.kind == sim::Choice::Kind::data && c.bound == 2;
    });
    EXPECT_TRUE(logged) << seed;
  }
  EXPECT_EQ(victims, (std::set<std::string>{"a", "b"}));
}

// -- skips --

TEST(FaultsSkip, a_missing_process_target_is_recorded_as_skipped_never_an_error) {
  Fault bad_fit = at_time(1 * s, AK::kill, Target(TK::storage));
  bad_fit.name = "a misfit";
  World x(plan_of({at_time(1 * s, AK::kill, Target(TK::app, "ghost")),
                   at_time(1 * s, AK::crash_on_next_message, Target(TK::any_app)), bad_fit}));
  x.w.run([&](Ctx ctx) -> Task<> { co_await ctx.sleep(2 * s); });
  ASSERT_TRUE(x.w.driver_done);
  ASSERT_EQ(x.faults().size(), 3u);
  for (const tk::FaultEvent& e : x.faults()) {
    EXPECT_FALSE(e.applied) << e.name;
    EXPECT_FALSE(e.victim) << e.name;
  }
  EXPECT_EQ(x.faults()[0].detail, "no such process: no app server of ghost has been started");
  EXPECT_EQ(x.faults()[1].detail, "no such process: no app server is alive");
  EXPECT_EQ(x.faults()[2].name, "a misfit");
  EXPECT_EQ(x.faults()[2].detail, "action kill does not apply to target storage");
  EXPECT_EQ(x.injector.skipped(), 3u);
  EXPECT_EQ(x.injector.applied(), 0u);
}

TEST(FaultsSkip, an_app_server_that_exited_for_good_is_skipped_and_a_dead_trio_too) {
  // The trio is down (top killed at 1 s): at 2 s every process target is gone.
  World x(plan_of({at_time(1 * s, AK::kill, Target(TK::top)), at_time(2 * s, AK::kill, Target(TK::app, "a")),
                   at_time(2 * s, AK::kill, Target(TK::registry))}));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(3 * s);
  });
  ASSERT_EQ(x.faults().size(), 3u);
  EXPECT_TRUE(x.faults()[0].applied);
  EXPECT_FALSE(x.faults()[1].applied);
  EXPECT_EQ(x.faults()[1].detail, "no such process: the app server of a has exited and is not running now");
  EXPECT_FALSE(x.faults()[2].applied);
  EXPECT_TRUE(contains(x.faults()[2].detail, "nothing is registered as registry")) << x.faults()[2].detail;
}

// -- environment actions --

TEST(FaultsAction, storage_put_fail_makes_the_persist_fail_and_the_token_still_flows) {
  World x(plan_of({at_time(0, AK::storage_put_fail, Target(TK::storage))}));
  Term result;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);  // the fault fires at 0
    result = co_await x.w.get(ctx, "a");
    co_await ctx.sleep(1 * s);
  });
  EXPECT_EQ(result, ok("cli-a-1"));
  EXPECT_TRUE(x.w.env.memory_storage.faults.fail_put);
  EXPECT_FALSE(x.w.env.memory_storage.peek("a", tk::StorageKey::cached).has_value());
  EXPECT_EQ(x.w.logs("error").size(), 1u);
  EXPECT_EQ(x.faults()[0].detail, "storage puts fail");
}

TEST(FaultsAction, storage_get_fail_hides_a_stored_token) {
  World x(plan_of({at_time(0, AK::storage_get_fail, Target(TK::storage))}));
  (void)x.w.env.memory_storage.put("a", tk::StorageKey::cached, tk::StorageRecord("stored", 10 * 24 * 3600));
  Term result;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    result = co_await x.w.get(ctx, "a");
  });
  EXPECT_TRUE(x.w.env.memory_storage.faults.fail_get);
  EXPECT_EQ(result, ok("cli-a-1"));  // not "stored"
}

TEST(FaultsAction, storage_slow_delays_gets_and_puts) {
  Fault f = at_time(0, AK::storage_slow, Target(TK::storage));
  f.action.duration_us = 2 * s;
  World x(plan_of({f}));
  Micros took_us = 0;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    const Micros start = ctx.now_us();
    (void)co_await x.w.get(ctx, "a");
    took_us = ctx.now_us() - start;
  });
  EXPECT_EQ(x.w.env.memory_storage.faults.get_latency_us, 2 * s);
  EXPECT_EQ(x.w.env.memory_storage.faults.put_latency_us, 2 * s);
  EXPECT_GE(took_us, 2 * s);  // the chain reads storage first
}

TEST(FaultsAction, cli_fail_makes_the_cli_exit_with_the_code) {
  Fault f = at_time(0, AK::cli_fail, Target(TK::cli));
  f.action.exit_code = 3;
  World x(plan_of({f}));
  Term result;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    result = co_await x.w.get(ctx, "a");
  });
  EXPECT_EQ(x.w.env.sim_cli.behaviour.exit_code, 3);
  EXPECT_EQ(result, no_token());
  EXPECT_EQ(x.w.env.sim_cli.runs, 1u);
  EXPECT_EQ(x.faults()[0].detail, "the CLI exits 3 for every app");
}

TEST(FaultsAction, cli_hang_times_the_cli_task_out) {
  World x(plan_of({at_time(0, AK::cli_hang, Target(TK::cli))}));
  Term result;
  Micros took_us = 0;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    const Micros start = ctx.now_us();
    result = co_await x.w.get(ctx, "a");
    took_us = ctx.now_us() - start;
  });
  EXPECT_TRUE(x.w.env.sim_cli.behaviour.hang);
  EXPECT_EQ(result, no_token());
  EXPECT_GE(took_us, 15 * s);  // cli_timeout
}

TEST(FaultsAction, cli_slow_delays_the_cli) {
  Fault f = at_time(0, AK::cli_slow, Target(TK::cli));
  f.action.duration_us = 2 * s;
  World x(plan_of({f}));
  Term result;
  Micros took_us = 0;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    const Micros start = ctx.now_us();
    result = co_await x.w.get(ctx, "a");
    took_us = ctx.now_us() - start;
  });
  EXPECT_EQ(result, ok("cli-a-1"));
  EXPECT_GE(took_us, 2 * s);
  EXPECT_LT(took_us, 15 * s);
}

TEST(FaultsAction, cli_empty_makes_the_cli_print_nothing) {
  World x(plan_of({at_time(0, AK::cli_empty, Target(TK::cli))}));
  Term result;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    result = co_await x.w.get(ctx, "a");
  });
  EXPECT_EQ(x.w.env.sim_cli.behaviour.output, std::optional<std::string>(""));
  EXPECT_EQ(result, no_token());
}

TEST(FaultsAction, a_cli_fault_on_one_app_leaves_the_others_alone) {
  World x(plan_of({at_time(0, AK::cli_hang, Target(TK::cli, "a"))}));
  x.w.env.sim_cli.behaviour.latency_us = 5 * ms;  // copied into a's override
  Term a, b;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    a = co_await x.w.get(ctx, "a");
    b = co_await x.w.get(ctx, "b");
  });
  EXPECT_EQ(a, no_token());
  EXPECT_TRUE(b.is_tagged(sa::ok(), 2));
  EXPECT_FALSE(x.w.env.sim_cli.behaviour.hang);
  ASSERT_EQ(x.w.env.sim_cli.per_app.count("a"), 1u);
  EXPECT_TRUE(x.w.env.sim_cli.per_app["a"].hang);
  EXPECT_EQ(x.w.env.sim_cli.per_app["a"].latency_us, 5 * ms);
}

TEST(FaultsAction, a_cli_fault_on_every_app_reaches_per_app_overrides_too) {
  World x(plan_of({at_time(0, AK::cli_fail, Target(TK::cli))}));
  x.w.env.sim_cli.per_app["b"].latency_us = 1 * ms;
  Term b;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * ms);
    b = co_await x.w.get(ctx, "b");
  });
  EXPECT_EQ(x.w.env.sim_cli.per_app["b"].exit_code, 1);
  EXPECT_EQ(b, no_token());
}

TEST(FaultsAction, clock_jump_moves_the_system_clock_and_expires_the_cached_token) {
  Fault f = at_time(1 * s, AK::clock_jump, Target(TK::clock));
  f.action.duration_us = 25 * 3600 * s;  // past the 24 h ttl
  World x(plan_of({f}));
  Term first, second;
  x.w.run([&](Ctx ctx) -> Task<> {
    first = co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
    second = co_await x.w.get(ctx, "a");
  });
  EXPECT_EQ(x.w.env.clock_offset_us, 25 * 3600 * s);
  EXPECT_EQ(first, ok("cli-a-1"));
  EXPECT_EQ(second, ok("cli-a-2"));
  EXPECT_EQ(x.w.env.sim_cli.runs, 2u);
}

// -- heals --

TEST(FaultsHeal, an_environment_fault_heals_on_time_even_when_the_system_is_idle) {
  Fault f = at_time(1 * s, AK::storage_get_fail, Target(TK::storage));
  f.action.heal_after_us = 5 * s;
  World x(plan_of({f}));
  std::vector<bool> seen;
  x.w.run([&](Ctx ctx) -> Task<> {
    const Micros samples[] = {500 * ms, 2 * s, 5900 * ms, 6100 * ms};
    for (Micros at : samples) {
      co_await ctx.sleep(at - ctx.now_us());
      seen.push_back(x.w.env.memory_storage.faults.fail_get);
    }
  });
  EXPECT_EQ(seen, (std::vector<bool>{false, true, true, false}));
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].detail, "storage gets fail; heals at 6000000us");
  auto clocks = x.w.record.lives("fault_clock");
  ASSERT_EQ(clocks.size(), 2u);  // the at_time clock and the heal's timer
  EXPECT_EQ(clocks[1]->exited_us, 6 * s);
}

TEST(FaultsHeal, a_heal_restores_only_what_its_fault_changed) {
  Fault put = at_time(1 * s, AK::storage_put_fail, Target(TK::storage));
  put.action.heal_after_us = 10 * s;
  Fault get = at_time(2 * s, AK::storage_get_fail, Target(TK::storage));  // never heals
  Fault jump = at_time(3 * s, AK::clock_jump, Target(TK::clock));
  jump.action.duration_us = 7 * s;
  jump.action.heal_after_us = 1 * s;
  Fault jump2 = at_time(3500 * ms, AK::clock_jump, Target(TK::clock));  // during the first
  jump2.action.duration_us = 100 * s;
  World x(plan_of({put, get, jump, jump2}));
  Micros offset_at_5s = 0;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(5 * s);
    offset_at_5s = x.w.env.clock_offset_us;
    co_await ctx.sleep(7 * s);
  });
  EXPECT_EQ(offset_at_5s, 100 * s);  // the first jump was undone, the second kept
  EXPECT_FALSE(x.w.env.memory_storage.faults.fail_put);
  EXPECT_TRUE(x.w.env.memory_storage.faults.fail_get);
}

TEST(FaultsHeal, a_healed_per_app_cli_fault_removes_the_override_it_created) {
  Fault f = at_time(0, AK::cli_hang, Target(TK::cli, "a"));
  f.action.heal_after_us = 0;  // heals in a step of its own at the same instant
  Fault g = at_time(1 * s, AK::cli_slow, Target(TK::cli, "b"));
  g.action.duration_us = 1 * s;
  g.action.heal_after_us = 1 * s;
  World x(plan_of({f, g}));
  x.w.env.sim_cli.per_app["b"].exit_code = 0;  // b has an override of its own
  bool b_slow_at_1500ms = false;
  bool a_hangs_at_1500ms = true;
  x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1500 * ms);
    b_slow_at_1500ms = x.w.env.sim_cli.per_app["b"].latency_us == 1 * s;
    a_hangs_at_1500ms = x.w.env.sim_cli.per_app.count("a") > 0;
    co_await ctx.sleep(1 * s);
  });
  EXPECT_TRUE(b_slow_at_1500ms);
  EXPECT_FALSE(a_hangs_at_1500ms);
  EXPECT_EQ(x.w.env.sim_cli.per_app.count("a"), 0u);
  ASSERT_EQ(x.w.env.sim_cli.per_app.count("b"), 1u);  // not created by the fault: kept
  EXPECT_EQ(x.w.env.sim_cli.per_app["b"].latency_us, 0);
}

// -- node restart --

/// Gets a's token, restarts the node at 1 s, gets it again at 2 s.
std::pair<Term, Term> around_a_node_restart(World& x) {
  std::pair<Term, Term> out;
  x.w.run([&](Ctx ctx) -> Task<> {
    out.first = co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
    out.second = co_await x.w.get(ctx, "a");
  });
  EXPECT_TRUE(x.w.driver_done);
  return out;
}

TEST(FaultsNodeRestart, a_durable_store_survives_a_node_restart) {
  World x(plan_of({at_time(1 * s, AK::node_restart, Target(TK::node))}));
  x.w.env.memory_storage.durable = true;
  auto [before, after] = around_a_node_restart(x);
  EXPECT_EQ(x.restarts, 1);
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_TRUE(x.faults()[0].applied);
  EXPECT_EQ(x.faults()[0].detail, "durable storage kept; node restarted");
  EXPECT_EQ(x.w.exit_reason(x.w.top), "killed");
  EXPECT_EQ(x.w.spawned("tokens_sup").size(), 2u);
  EXPECT_EQ(x.w.spawned("ets_owner").size(), 2u);
  EXPECT_EQ(before, ok("cli-a-1"));
  EXPECT_EQ(after, ok("cli-a-1"));  // read back from storage
  EXPECT_EQ(x.w.env.sim_cli.runs, 1u);
}

TEST(FaultsNodeRestart, a_volatile_store_is_lost_in_a_node_restart) {
  World x(plan_of({at_time(1 * s, AK::node_restart, Target(TK::node))}));
  x.w.env.memory_storage.durable = false;
  auto [before, after] = around_a_node_restart(x);
  EXPECT_EQ(x.restarts, 1);
  EXPECT_EQ(x.faults()[0].detail, "volatile storage lost; node restarted");
  EXPECT_EQ(before, ok("cli-a-1"));
  EXPECT_EQ(after, ok("cli-a-2"));  // the CLI again
  EXPECT_EQ(x.w.env.sim_cli.runs, 2u);
}

TEST(FaultsNodeRestart, without_a_callback_the_store_is_still_cleared_and_the_event_says_so) {
  World x(plan_of({at_time(1 * s, AK::node_restart, Target(TK::node))}), 1, tk::TrioConfig(), false);
  x.w.env.memory_storage.durable = false;
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
  });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].detail, "volatile storage lost; no restart callback: processes left as they were");
  EXPECT_FALSE(x.w.env.memory_storage.peek("a", tk::StorageKey::cached).has_value());
}

// -- determinism --

std::vector<std::string> fault_log(std::uint64_t seed, std::vector<sim::Choice>* choices) {
  Fault chance = with_probability(0.01, AK::kill, Target(TK::any_app));
  chance.trigger.max_fires = 5;
  Fault crash = on_receive(Target(TK::any_app), "acquire", AK::crash_on_next_message, Target(TK::any_app));
  crash.trigger.after = 2;
  Fault slow = at_time(500 * ms, AK::cli_slow, Target(TK::cli));
  slow.action.duration_us = 300 * ms;
  slow.action.heal_after_us = 1 * s;
  World x(plan_of({chance, crash, slow}), seed);
  x.w.run([&](Ctx ctx) -> Task<> {
    const char* apps[] = {"a", "b", "c"};
    for (int round = 0; round < 3; ++round) {
      for (const char* app : apps) co_await spawn_call(ctx, &x.w, "get", app);
      co_await ctx.sleep(400 * ms);
      for (const char* app : apps) co_await spawn_call(ctx, &x.w, "invalidate", app);
      co_await ctx.sleep(400 * ms);
    }
  });
  std::vector<std::string> out;
  for (const tk::FaultEvent& e : x.faults()) {
    out.push_back(fmt::format("{} {} {} {} {} {}", e.fault_index, e.at_us, e.step, e.applied, e.victim.id, e.detail));
  }
  *choices = x.w.kernel.choices();
  return out;
}

TEST(FaultsDeterminism, the_same_seed_gives_the_same_faults_and_choices) {
  std::vector<sim::Choice> c1, c2, c3;
  const auto a = fault_log(11, &c1);
  const auto b = fault_log(11, &c2);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_EQ(c1, c2);
  const auto c = fault_log(12, &c3);
  EXPECT_NE(c1, c3);
}


// -- checked time (issue 12) --

// clock_offset_s and a clock_jump each at the parser's limit: their sum is
// past int64, and the offset saturates instead of wrapping negative.
TEST(FaultsAction, a_clock_jump_past_int64_saturates_the_offset) {
  Fault f = at_time(0, AK::clock_jump, Target(TK::clock));
  f.action.duration_us = std::numeric_limits<Micros>::max() / 1000 * 1000;
  World x(plan_of({f}));
  x.w.env.clock_offset_us = 9'223'372'036'854 * s;
  x.w.run([&](Ctx ctx) -> Task<> { co_await ctx.sleep(1 * s); });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.w.env.clock_offset_us, std::numeric_limits<Micros>::max());
  EXPECT_GT(x.w.env.system_time_s(1 * s), 0);
}

// heal_after_ms at the parser's limit, on a fault at 10 ms: the heal is due
// at the end of time (saturated), not at a time wrapped into the past.
TEST(FaultsHeal, a_heal_past_int64_is_due_at_the_end_of_time) {
  Fault f = at_time(10 * ms, AK::storage_get_fail, Target(TK::storage));
  f.action.heal_after_us = std::numeric_limits<Micros>::max() / 1000 * 1000;
  World x(plan_of({f}));
  bool failing_at_1s = false;
  auto run = x.w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1 * s);
    failing_at_1s = x.w.env.memory_storage.faults.fail_get;
  });
  EXPECT_EQ(run.outcome, sim::Outcome::stopped);
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].heals_at_us, std::numeric_limits<Micros>::max());
  EXPECT_TRUE(failing_at_1s);
}


// -- cost (issue 12) --

// A periodic fault of 10,000 fires is 10,000 pending at_ms faults. A step
// looks only at the faults due in it (and the probability ones), never at
// every pending one: the injector's cost does not grow with them.
TEST(FaultsCost, a_step_looks_only_at_the_faults_due_in_it) {
  std::vector<Fault> faults;
  for (int k = 0; k < 10'000; ++k) faults.push_back(at_time(3600 * s + k * ms, AK::kill, Target(TK::app, "a")));
  faults.push_back(at_time(1 * s, AK::kill, Target(TK::app, "a")));  // the one due in this run
  World x(plan_of(std::move(faults)));
  x.w.run([&](Ctx ctx) -> Task<> {
    (void)co_await x.w.get(ctx, "a");
    co_await ctx.sleep(2 * s);
    (void)co_await x.w.get(ctx, "a");
  });
  ASSERT_EQ(x.faults().size(), 1u);
  EXPECT_EQ(x.faults()[0].at_us, 1 * s);
  EXPECT_GT(x.w.kernel.steps(), 50u);
  EXPECT_EQ(x.injector.trigger_checks(), 1u);  // the due fault, once; was 10,001 per step
}

}  // namespace
}  // namespace otpsim::faults
