// Exit signals, links and monitors with Erlang's rules (reference manual,
// "Processes"; otp-semantics.md section 5 and claims 32-34).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {

// Readable terms in assertion failures (found by gtest through ADL).

namespace {

using testing::ExitRecorder;
using testing::tagged;
using testing::World;

/// Runs the enabled step of the lowest pid: the earliest-spawned process
/// runs until it blocks. Makes "others run before the target dies" a fixed
/// schedule instead of a seed's luck.
class LowestPidFirst final : public Strategy {
 public:
  std::string_view name() const override { return "lowest_pid_first"; }
  std::size_t pick(const SchedulePoint& point) override {
    std::size_t best = 0;
    for (std::size_t i = 1; i < point.size(); ++i) {
      if (point.pid(i) < point.pid(best)) best = i;
    }
    return best;
  }
  std::uint64_t choose(std::uint64_t) override { return 0; }
};

struct FixedWorld {
  FixedWorld() { kernel.set_observer(&exits); }
  LowestPidFirst strategy;
  Kernel kernel{KernelConfig{RunLimits{}, TraceLevel::full}, strategy};
  ExitRecorder exits;
  Pid spawn(ProcessFn fn) { return kernel.spawn(std::move(fn)); }
  std::string reason(Pid pid) const { return exits.reason(pid); }
};

/// Matches a DOWN message for monitor `ref`.
auto down_for(Ref ref) {
  return [ref](const Term& m) { return m.is_tagged(atoms::down_tag(), 5) && m[1] == Term(ref); };
}

/// Waits forever for a message it never gets.
Task<> block(Ctx ctx) { co_await ctx.receive([](const Term&) { return false; }); }
Proc wait_forever(Ctx ctx) { co_await block(ctx); }

/// Waits for a message and then exits with it as the reason.
Task<> exit_on_next_message(Ctx ctx) {
  auto m = co_await ctx.receive();
  ctx.exit(*m);
}
Proc exit_with_next_message(Ctx ctx) { co_await exit_on_next_message(ctx); }

constexpr std::uint64_t seeds = 20;

// -- ordering --

TEST(Signals, messages_from_one_sender_arrive_in_send_order_with_no_order_across_senders) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    SCOPED_TRACE(seed);
    World w(seed);
    std::vector<Term> got;
    Pid receiver = w.spawn([&](Ctx ctx) -> Proc {
      for (int i = 0; i < 60; ++i) got.push_back(*co_await ctx.receive());
    });
    for (int sender = 0; sender < 3; ++sender) {
      w.spawn([receiver, sender](Ctx ctx) -> Proc {
        for (int i = 0; i < 20; ++i) co_await ctx.send(receiver, tuple(sender, i));
      });
    }
    w.run();
    ASSERT_EQ(got.size(), 60u);
    std::vector<std::int64_t> next(3, 0);
    for (const Term& m : got) {
      const std::int64_t sender = m[0].integer();
      EXPECT_EQ(m[1].integer(), next[sender]) << "sender " << sender;
      next[sender] = m[1].integer() + 1;
    }
  }
}

TEST(Signals, a_message_sent_before_death_arrives_before_the_senders_down) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    SCOPED_TRACE(seed);
    World w(seed);
    std::vector<Term> got;
    w.spawn([&](Ctx ctx) -> Proc {
      Pid self = ctx.self();
      auto [child, ref] = co_await ctx.spawn_monitor([self](Ctx c) -> Proc {
        co_await c.send(self, atom("reply"));
        c.exit(atom("done"));
      });
      got.push_back(*co_await ctx.receive());
      got.push_back(*co_await ctx.receive());
      EXPECT_EQ(got.back(), tuple(atom("DOWN"), ref, atom("process"), child, atom("done")));
    });
    w.run();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], atom("reply"));
    EXPECT_TRUE(got[1].is_tagged(atoms::down_tag(), 5));
  }
}

// -- kill --

TEST(Signals, kill_from_exit2_is_untrappable_and_the_target_dies_killed) {
  World w;
  bool got_message = false;
  Pid target = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    co_await ctx.receive();
    got_message = true;
  });
  w.spawn([target](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    co_await ctx.exit(target, atom("kill"));
  });
  w.run();
  EXPECT_EQ(w.reason(target), "killed");
  EXPECT_FALSE(got_message);
}

TEST(Signals, exit_self_kill_kills_even_a_trapping_process_with_killed) {
  World w;
  bool after = false;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    co_await ctx.exit(ctx.self(), atom("kill"));
    after = true;
  });
  w.run();
  EXPECT_EQ(w.reason(p), "killed");
  EXPECT_FALSE(after);
}

TEST(Signals, links_of_a_killed_process_see_killed) {
  World w;
  Term trapped;
  Pid victim;
  Pid non_trapping;
  Pid trapping = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    victim = co_await ctx.spawn_link(wait_forever);
    non_trapping = co_await ctx.spawn([victim = victim](Ctx c) -> Proc {
      co_await c.link(victim);
      co_await block(c);
    });
    co_await ctx.sleep(10);  // both links are in place
    co_await ctx.exit(victim, atom("kill"));
    trapped = *co_await ctx.receive(tagged("EXIT"));
  });
  w.run();
  EXPECT_EQ(w.reason(victim), "killed");
  EXPECT_EQ(trapped, tuple(atom("EXIT"), victim, atom("killed")));
  EXPECT_EQ(w.reason(non_trapping), "killed");
  EXPECT_EQ(w.reason(trapping), "normal");
}

TEST(Signals, a_link_propagated_kill_is_not_converted_to_killed) {
  World w;
  Term trapped;
  Pid victim;
  Pid non_trapping;
  Pid trapping = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    victim = co_await ctx.spawn_link(exit_with_next_message);
    non_trapping = co_await ctx.spawn([victim = victim](Ctx c) -> Proc {
      co_await c.link(victim);
      co_await block(c);
    });
    co_await ctx.sleep(10);
    co_await ctx.send(victim, atom("kill"));  // the victim calls exit(kill)
    trapped = *co_await ctx.receive(tagged("EXIT"));
  });
  w.run();
  EXPECT_EQ(w.reason(victim), "kill");
  EXPECT_EQ(trapped, tuple(atom("EXIT"), victim, atom("kill")));  // trappable, as is
  EXPECT_EQ(w.reason(non_trapping), "kill");                      // not `killed`
  EXPECT_EQ(w.reason(trapping), "normal");
}

// -- normal --

TEST(Signals, a_normal_exit_signal_from_another_process_is_ignored_by_a_non_trapping_process) {
  World w;
  Pid target = w.spawn(exit_with_next_message);
  w.spawn([target](Ctx ctx) -> Proc {
    co_await ctx.exit(target, atom("normal"));
    co_await ctx.sleep(10);
    co_await ctx.send(target, atom("still_here"));
  });
  w.run();
  EXPECT_EQ(w.reason(target), "still_here");
}

TEST(Signals, a_linked_process_exiting_normal_does_not_take_down_a_non_trapping_partner) {
  World w;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    child = co_await ctx.spawn_link([](Ctx) -> Proc { co_return; });
    co_await ctx.sleep(10);
    ctx.exit(atom("survived"));
  });
  w.run();
  EXPECT_EQ(w.reason(child), "normal");
  EXPECT_EQ(w.reason(parent), "survived");
}

TEST(Signals, exit_self_normal_ends_a_non_trapping_process_with_normal) {
  World w;
  bool after = false;
  Pid partner;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    partner = co_await ctx.spawn_link(exit_with_next_message);
    co_await ctx.exit(ctx.self(), atom("normal"));
    after = true;
  });
  w.run();
  EXPECT_EQ(w.reason(p), "normal");
  EXPECT_FALSE(after);
  EXPECT_EQ(w.reason(partner), "alive");  // a normal exit does not spread
  EXPECT_TRUE(w.kernel.is_alive(partner));
}

TEST(Signals, a_trapping_process_gets_its_own_normal_exit_signal_as_a_message) {
  World w;
  Term got;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    co_await ctx.exit(ctx.self(), atom("normal"));
    got = *co_await ctx.receive(Micros{0});
  });
  w.run();
  EXPECT_EQ(got, tuple(atom("EXIT"), p, atom("normal")));
  EXPECT_EQ(w.reason(p), "normal");
}

// -- trap_exit --

TEST(Signals, trapping_turns_exit_signals_into_exit_messages_from_the_sender) {
  World w;
  std::vector<Term> got;
  Pid target = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    got.push_back(*co_await ctx.receive());
    got.push_back(*co_await ctx.receive());
  });
  Pid sender = w.spawn([target](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);  // the target is trapping by now
    co_await ctx.exit(target, atom("boom"));
    co_await ctx.exit(target, atom("normal"));
  });
  w.run();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].to_string(), tuple(atom("EXIT"), sender, atom("boom")).to_string());
  EXPECT_EQ(got[1], tuple(atom("EXIT"), sender, atom("normal")));
  EXPECT_EQ(w.reason(target), "normal");
}

TEST(Signals, a_trapping_process_gets_an_exit_message_when_a_linked_process_crashes) {
  World w;
  Term got;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    child = co_await ctx.spawn_link([](Ctx c) -> Proc {
      co_await c.yield();
      throw std::runtime_error("crash");
    });
    got = *co_await ctx.receive();
  });
  w.run();
  EXPECT_EQ(got, tuple(atom("EXIT"), child, tuple(atom("exception"), Term::string("crash"))));
  EXPECT_EQ(w.reason(parent), "normal");
}

TEST(Signals, a_non_trapping_process_dies_with_the_reason_of_a_crashed_link) {
  World w;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    child = co_await ctx.spawn_link([](Ctx c) -> Proc {
      co_await c.yield();
      c.exit(tuple(atom("shutdown"), atom("bye")));
    });
    co_await block(ctx);
  });
  w.run();
  EXPECT_EQ(w.reason(child), "{shutdown,bye}");
  EXPECT_EQ(w.reason(parent), "{shutdown,bye}");
}

TEST(Signals, trap_exit_can_be_turned_off_again) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    EXPECT_TRUE(ctx.trapping_exits());
    ctx.trap_exit(false);
    EXPECT_FALSE(ctx.trapping_exits());
    co_await block(ctx);
  });
  w.spawn([p](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    co_await ctx.exit(p, atom("boom"));
  });
  w.run();
  EXPECT_EQ(w.reason(p), "boom");
}

// -- links --

TEST(Signals, links_are_bidirectional) {
  World w;
  Pid linker;
  Pid linked = w.spawn(wait_forever);
  linker = w.spawn([linked](Ctx ctx) -> Proc {
    co_await ctx.link(linked);
    co_await ctx.yield();
    ctx.exit(atom("boom"));
  });
  w.run();
  EXPECT_EQ(w.reason(linker), "boom");
  EXPECT_EQ(w.reason(linked), "boom");  // it never called link itself
}

TEST(Signals, linking_to_a_dead_pid_gives_a_trapping_process_an_exit_message_with_noproc) {
  World w;
  Term got;
  Pid dead = w.spawn([](Ctx) -> Proc { co_return; });
  Pid p = w.spawn([&, dead](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    co_await ctx.sleep(10);  // `dead` has ended
    co_await ctx.link(dead);
    co_await ctx.sleep(1);  // async delivery: the answer arrives before time moves
    got = *co_await ctx.receive(Micros{0});
  });
  w.run();
  EXPECT_EQ(got, tuple(atom("EXIT"), dead, atom("noproc")));
  EXPECT_EQ(w.reason(p), "normal");
}

TEST(Signals, linking_to_a_dead_pid_kills_a_non_trapping_process_with_noproc) {
  World w;
  bool after = false;
  Pid dead = w.spawn([](Ctx) -> Proc { co_return; });
  Pid p = w.spawn([&, dead](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    co_await ctx.link(dead);
    co_await ctx.yield();
    after = true;
  });
  w.run();
  EXPECT_EQ(w.reason(p), "noproc");
  EXPECT_FALSE(after);
}

TEST(Signals, unlink_stops_future_exit_signals) {
  World w;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    child = co_await ctx.spawn_link(exit_with_next_message);
    co_await ctx.unlink(child);
    co_await ctx.send(child, atom("boom"));
    co_await ctx.sleep(10);
    ctx.exit(atom("survived"));
  });
  w.run();
  EXPECT_EQ(w.reason(child), "boom");
  EXPECT_EQ(w.reason(parent), "survived");
}

TEST(Signals, unlink_by_the_other_side_removes_the_link_for_both) {
  World w;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    Pid self = ctx.self();
    child = co_await ctx.spawn_link([self](Ctx c) -> Proc {
      co_await c.unlink(self);
      co_await c.send(self, atom("unlinked"));
      co_await exit_on_next_message(c);
    });
    co_await ctx.receive();
    co_await ctx.send(child, atom("boom"));  // the child dies: no signal back
    co_await ctx.sleep(10);
    ctx.exit(atom("survived"));
  });
  w.run();
  EXPECT_EQ(w.reason(child), "boom");
  EXPECT_EQ(w.reason(parent), "survived");
}

TEST(Signals, there_is_at_most_one_link_per_pair_so_one_unlink_removes_it) {
  World w;
  Pid other;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    Pid self = ctx.self();
    other = co_await ctx.spawn([self](Ctx c) -> Proc {
      co_await c.link(self);  // the same link from the other side
      co_await c.send(self, atom("linked"));
      co_await exit_on_next_message(c);
    });
    co_await ctx.link(other);
    co_await ctx.link(other);
    co_await ctx.receive();
    co_await ctx.unlink(other);
    co_await ctx.send(other, atom("boom"));
    co_await ctx.sleep(10);
    ctx.exit(atom("survived"));
  });
  w.run();
  EXPECT_EQ(w.reason(other), "boom");
  EXPECT_EQ(w.reason(p), "survived");
}

TEST(Signals, a_trapping_process_linked_several_times_gets_one_exit_message) {
  World w;
  std::vector<Term> got;
  Pid other;
  w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    Pid self = ctx.self();
    other = co_await ctx.spawn_link([self](Ctx c) -> Proc {
      co_await c.link(self);
      co_await c.send(self, atom("linked"));
      co_await exit_on_next_message(c);
    });
    co_await ctx.link(other);
    co_await ctx.receive();
    co_await ctx.send(other, atom("boom"));
    co_await ctx.sleep(10);
    while (auto m = co_await ctx.receive(Micros{0})) got.push_back(*m);
  });
  w.run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], tuple(atom("EXIT"), other, atom("boom")));
}

TEST(Signals, linking_to_self_does_nothing) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc {
    co_await ctx.link(ctx.self());
    ctx.exit(atom("bye"));
  });
  w.run();
  EXPECT_EQ(w.reason(p), "bye");
}

// -- monitors --

TEST(Signals, a_monitor_delivers_exactly_one_down_with_ref_pid_and_reason) {
  World w;
  std::vector<Term> got;
  Ref ref;
  Pid target = w.spawn(exit_with_next_message);
  w.spawn([&, target](Ctx ctx) -> Proc {
    ref = co_await ctx.monitor(target);
    co_await ctx.send(target, atom("boom"));
    co_await ctx.sleep(10);
    while (auto m = co_await ctx.receive(Micros{0})) got.push_back(*m);
  });
  w.run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], tuple(atom("DOWN"), ref, atom("process"), target, atom("boom")));
}

TEST(Signals, a_monitor_is_one_way_so_the_watcher_dying_does_not_affect_the_target) {
  World w;
  Pid target = w.spawn(exit_with_next_message);
  Pid watcher = w.spawn([target](Ctx ctx) -> Proc {
    co_await ctx.monitor(target);
    ctx.exit(atom("boom"));
  });
  w.run();
  EXPECT_EQ(w.reason(watcher), "boom");
  EXPECT_TRUE(w.kernel.is_alive(target));
}

TEST(Signals, monitoring_a_dead_pid_gives_down_noproc_at_once) {
  World w;
  std::optional<Term> got;
  Ref ref;
  Pid dead = w.spawn([](Ctx) -> Proc { co_return; });
  w.spawn([&, dead](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    ref = co_await ctx.monitor(dead);
    co_await ctx.sleep(1);  // async delivery: the answer arrives before time moves
    got = co_await ctx.receive(Micros{0});  // a poll: already queued
  });
  w.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, tuple(atom("DOWN"), ref, atom("process"), dead, atom("noproc")));
}

TEST(Signals, demonitor_with_flush_removes_a_queued_down) {
  World w;
  bool active = true;
  std::optional<Term> left;
  w.spawn([&](Ctx ctx) -> Proc {
    Ref ref = (co_await ctx.spawn_monitor([](Ctx) -> Proc { co_return; })).second;
    co_await ctx.sleep(10);  // the DOWN is queued now
    active = co_await ctx.demonitor(ref, true);
    left = co_await ctx.receive(Micros{0});
  });
  w.run();
  EXPECT_FALSE(active);  // the monitor had already fired
  EXPECT_FALSE(left.has_value());
}

TEST(Signals, demonitor_without_flush_leaves_a_queued_down) {
  World w;
  std::optional<Term> left;
  Ref ref;
  w.spawn([&](Ctx ctx) -> Proc {
    auto spawned = co_await ctx.spawn_monitor([](Ctx) -> Proc { co_return; });
    ref = spawned.second;
    co_await ctx.sleep(10);
    co_await ctx.demonitor(ref);
    left = co_await ctx.receive(Micros{0});
  });
  w.run();
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(down_for(ref)(*left));
}

TEST(Signals, demonitor_with_flush_keeps_other_messages_and_other_downs) {
  World w;
  std::vector<Term> left;
  Ref kept;
  w.spawn([&](Ctx ctx) -> Proc {
    Pid self = ctx.self();
    auto [child, ref] = co_await ctx.spawn_monitor([self](Ctx c) -> Proc {
      co_await c.send(self, atom("before"));
    });
    kept = co_await ctx.monitor(child);
    co_await ctx.send(self, atom("mine"));
    co_await ctx.sleep(10);
    co_await ctx.demonitor(ref, true);
    while (auto m = co_await ctx.receive(Micros{0})) left.push_back(*m);
  });
  w.run();
  ASSERT_EQ(left.size(), 3u);
  // `mine` and `before` come from different senders: any order between them.
  EXPECT_EQ(std::count(left.begin(), left.end(), atom("before")), 1);
  EXPECT_EQ(std::count(left.begin(), left.end(), atom("mine")), 1);
  EXPECT_EQ(std::count_if(left.begin(), left.end(), down_for(kept)), 1);
  // The child's DOWN (or noproc, if it was dead already) follows its message.
  auto before = std::find(left.begin(), left.end(), atom("before"));
  auto down = std::find_if(left.begin(), left.end(), down_for(kept));
  EXPECT_LT(before, down);
}

TEST(Signals, demonitor_before_the_target_dies_prevents_the_down) {
  World w;
  bool active = false;
  std::optional<Term> left;
  Pid target = w.spawn(exit_with_next_message);
  w.spawn([&, target](Ctx ctx) -> Proc {
    Ref ref = co_await ctx.monitor(target);
    active = co_await ctx.demonitor(ref);
    co_await ctx.send(target, atom("boom"));
    co_await ctx.sleep(10);
    left = co_await ctx.receive(Micros{0});
  });
  w.run();
  EXPECT_TRUE(active);
  EXPECT_EQ(w.reason(target), "boom");
  EXPECT_FALSE(left.has_value());
}

TEST(Signals, stacked_monitors_each_deliver_one_down) {
  World w;
  std::vector<Term> got;
  Ref first;
  Ref second;
  Pid target = w.spawn(exit_with_next_message);
  w.spawn([&, target](Ctx ctx) -> Proc {
    first = co_await ctx.monitor(target);
    second = co_await ctx.monitor(target);
    co_await ctx.send(target, atom("boom"));
    co_await ctx.sleep(10);
    while (auto m = co_await ctx.receive(Micros{0})) got.push_back(*m);
  });
  w.run();
  EXPECT_NE(first, second);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(std::count_if(got.begin(), got.end(), down_for(first)), 1);
  EXPECT_EQ(std::count_if(got.begin(), got.end(), down_for(second)), 1);
  for (const Term& m : got) EXPECT_EQ(m[4], atom("boom"));
}

TEST(Signals, demonitoring_one_stacked_monitor_keeps_the_other) {
  World w;
  std::vector<Term> got;
  Ref kept;
  Pid target = w.spawn(exit_with_next_message);
  w.spawn([&, target](Ctx ctx) -> Proc {
    Ref dropped = co_await ctx.monitor(target);
    kept = co_await ctx.monitor(target);
    co_await ctx.demonitor(dropped);
    co_await ctx.send(target, atom("boom"));
    co_await ctx.sleep(10);
    while (auto m = co_await ctx.receive(Micros{0})) got.push_back(*m);
  });
  w.run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(down_for(kept)(got[0]));
}

TEST(Signals, spawn_monitor_down_carries_the_childs_exit_reason) {
  World w;
  Term got;
  Pid child;
  Ref ref;
  w.spawn([&](Ctx ctx) -> Proc {
    auto spawned = co_await ctx.spawn_monitor([](Ctx c) -> Proc {
      co_await c.yield();
      c.exit(atom("boom"));
    });
    child = spawned.first;
    ref = spawned.second;
    got = *co_await ctx.receive();
  });
  w.run();
  EXPECT_EQ(got, tuple(atom("DOWN"), ref, atom("process"), child, atom("boom")));
}

// -- dying --

TEST(Signals, a_process_hit_by_a_fatal_signal_dies_at_its_own_later_step) {
  FixedWorld w;  // the killer (lower pid) runs whenever it can
  std::vector<std::string> seen;
  Pid killer;
  Pid target;
  killer = w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);  // the target is registered and waiting
    Ref ref = co_await ctx.monitor(target);
    co_await ctx.exit(target, atom("kill"));
    // The target is hit but has not had its step: others run first.
    seen.push_back(w.reason(target));
    Pid named = co_await ctx.whereis(Atom("target"));
    seen.push_back(named == target ? "still registered" : "unregistered");
    co_await ctx.receive(down_for(ref));
    seen.push_back(w.reason(target));
  });
  target = w.spawn([](Ctx ctx) -> Proc {
    co_await ctx.register_name(Atom("target"), ctx.self());
    co_await block(ctx);
  });
  w.kernel.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"alive", "still registered", "killed"}));
  EXPECT_EQ(w.reason(killer), "normal");
}

TEST(Signals, is_alive_is_false_for_a_process_already_hit_by_kill_from_the_caller) {
  // erlang:is_process_alive/1: "is not exiting and has not exited"; signals
  // from the caller are delivered before the check, so after
  // exit(P2, kill) the same caller's is_process_alive(P2) is always false.
  FixedWorld w;  // the caller runs before the target's `die` step
  bool alive_before = false;
  bool alive_after_kill = true;
  Pid target;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    alive_before = co_await ctx.is_alive(target);
    co_await ctx.exit(target, atom("kill"));
    alive_after_kill = co_await ctx.is_alive(target);
  });
  target = w.spawn(wait_forever);
  w.kernel.run();
  EXPECT_TRUE(alive_before);
  EXPECT_FALSE(alive_after_kill);
  EXPECT_EQ(w.reason(target), "killed");
}

TEST(Signals, a_dying_process_keeps_its_first_fatal_reason_and_takes_no_more_messages) {
  FixedWorld w;
  bool got_wake = false;
  Pid target;
  w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.sleep(1);
    co_await ctx.exit(target, atom("kill"));
    co_await ctx.send(target, atom("wake"));       // dropped
    co_await ctx.exit(target, atom("boom"));       // dropped: already dying
  });
  target = w.spawn([&](Ctx ctx) -> Proc {  // not trapping: `boom` would be fatal too
    co_await ctx.receive([](const Term& m) { return m == atom("wake"); });
    got_wake = true;
  });
  w.kernel.run();
  EXPECT_EQ(w.reason(target), "killed");
  EXPECT_FALSE(got_wake);
}

TEST(Signals, a_crash_with_messages_still_queued_discards_them) {
  World w;
  Pid target = w.spawn([](Ctx ctx) -> Proc {
    co_await ctx.receive([](const Term& m) { return m == atom("last"); });
    ctx.exit(atom("done"));
  });
  w.spawn([target](Ctx ctx) -> Proc {
    for (int i = 0; i < 10; ++i) co_await ctx.send(target, tuple(atom("big"), Term::string(std::string(100, 'x'))));
    co_await ctx.send(target, atom("last"));
  });
  RunResult r = w.run();
  EXPECT_EQ(w.reason(target), "done");
  EXPECT_EQ(r.processes_alive, 0u);  // and ASan sees no leak of the queued terms
}

TEST(Signals, names_and_tables_are_released_before_the_down_arrives) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    SCOPED_TRACE(seed);
    World w(seed);
    Pid owner;
    Pid named_after{1};
    TableStatus named_table_after = TableStatus::ok;
    TableStatus lookup_after = TableStatus::ok;
    w.spawn([&](Ctx ctx) -> Proc {
      Pid self = ctx.self();
      owner = co_await ctx.spawn([self](Ctx c) -> Proc {
        co_await c.register_name(Atom("owner"), c.self());
        auto t = co_await c.table_new(TableOptions{TableAccess::public_access, atom("owned")});
        co_await c.insert(t.value, tuple(atom("k"), 1));
        co_await c.send(self, tuple(atom("ready"), static_cast<std::int64_t>(t.value.id)));
        co_await block(c);
      });
      Ref ref = co_await ctx.monitor(owner);
      Term ready = *co_await ctx.receive(tagged("ready"));
      const TableId table{static_cast<std::uint64_t>(ready[1].integer())};
      co_await ctx.exit(owner, atom("kill"));
      co_await ctx.receive(down_for(ref));
      named_after = co_await ctx.whereis(Atom("owner"));
      named_table_after = (co_await ctx.table_named(Atom("owned"))).status;
      lookup_after = (co_await ctx.lookup(table, atom("k"))).status;
    });
    w.run();
    EXPECT_EQ(w.reason(owner), "killed");
    EXPECT_EQ(named_after, Pid{});
    EXPECT_EQ(named_table_after, TableStatus::no_table);
    EXPECT_EQ(lookup_after, TableStatus::no_table);
  }
}

TEST(Signals, a_trapping_link_can_take_the_dead_processs_names_as_soon_as_it_gets_the_exit) {
  World w;
  bool registered = false;
  TableStatus table_status = TableStatus::name_taken;
  w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    Pid self = ctx.self();
    Pid child = co_await ctx.spawn_link([self](Ctx c) -> Proc {
      co_await c.register_name(Atom("srv"), c.self());
      auto t = co_await c.table_new(TableOptions{TableAccess::public_access, atom("srv_table")});
      EXPECT_TRUE(t.ok());
      co_await c.send(self, atom("ready"));
      co_await exit_on_next_message(c);
    });
    co_await ctx.receive([](const Term& m) { return m == atom("ready"); });
    co_await ctx.send(child, atom("crash"));
    co_await ctx.receive(tagged("EXIT"));
    registered = co_await ctx.register_name(Atom("srv"), self);
    table_status = (co_await ctx.table_new(TableOptions{TableAccess::public_access, atom("srv_table")})).status;
  });
  w.run();
  EXPECT_TRUE(registered);
  EXPECT_EQ(table_status, TableStatus::ok);
}

TEST(Signals, the_observer_sees_names_and_tables_already_released_at_exit) {
  struct Check : Observer {
    Kernel* kernel = nullptr;
    Pid owner;
    TableId table;
    bool checked = false;
    bool name_gone = false;
    bool table_gone = false;
    void on_exit(Pid pid, const Term&) override {
      if (pid != owner) return;
      checked = true;
      name_gone = kernel->whereis(atom("owner")) == Pid{};
      table_gone = !kernel->table_exists(table);
    }
  } check;
  World w;
  check.kernel = &w.kernel;
  w.kernel.set_observer(&check);
  check.owner = w.spawn([&](Ctx ctx) -> Proc {
    co_await ctx.register_name(Atom("owner"), ctx.self());
    check.table = (co_await ctx.table_new()).value;
    ctx.exit(atom("bye"));
  });
  w.run();
  EXPECT_TRUE(check.checked);
  EXPECT_TRUE(check.name_gone);
  EXPECT_TRUE(check.table_gone);
}

TEST(Signals, an_exit_signal_to_a_dead_pid_does_nothing) {
  World w;
  Pid dead = w.spawn([](Ctx) -> Proc { co_return; });
  Pid p = w.spawn([dead](Ctx ctx) -> Proc {
    co_await ctx.sleep(10);
    co_await ctx.exit(dead, atom("kill"));
    co_await ctx.send(dead, atom("hello"));
    ctx.exit(atom("done"));
  });
  w.run();
  EXPECT_EQ(w.reason(dead), "normal");
  EXPECT_EQ(w.reason(p), "done");
}

// -- Kernel::exit_external --

TEST(Signals, exit_external_kill_kills_a_trapping_process_with_killed_and_its_links_see_killed) {
  World w;
  Term trapped;
  Pid target;
  Pid watcher = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    target = co_await ctx.spawn_link([](Ctx c) -> Proc {
      c.trap_exit(true);
      co_await block(c);
    });
    trapped = *co_await ctx.receive();
  });
  w.run();
  w.kernel.exit_external(target, atom("kill"));
  w.run();
  EXPECT_EQ(w.reason(target), "killed");
  EXPECT_EQ(trapped, tuple(atom("EXIT"), target, atom("killed")));
  EXPECT_EQ(w.reason(watcher), "normal");
}

TEST(Signals, exit_external_reaches_a_trapping_process_as_an_exit_message_from_no_pid) {
  World w;
  Term got;
  Pid p = w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    got = *co_await ctx.receive();
  });
  w.run();
  w.kernel.exit_external(p, atom("boom"));
  w.run();
  EXPECT_EQ(got, tuple(atom("EXIT"), Pid{}, atom("boom")));
  EXPECT_EQ(w.reason(p), "normal");
}

TEST(Signals, exit_external_with_a_reason_kills_a_non_trapping_process_and_its_links_see_it) {
  World w;
  Pid child;
  Pid parent = w.spawn([&](Ctx ctx) -> Proc {
    child = co_await ctx.spawn_link(wait_forever);
    co_await block(ctx);
  });
  w.run();
  w.kernel.exit_external(child, atom("boom"));
  RunResult r = w.run();
  EXPECT_EQ(w.reason(child), "boom");
  EXPECT_EQ(w.reason(parent), "boom");
  EXPECT_EQ(r.processes_alive, 0u);
}

TEST(Signals, exit_external_normal_is_ignored_by_a_non_trapping_process) {
  World w;
  Pid p = w.spawn(wait_forever);
  w.run();
  w.kernel.exit_external(p, atom("normal"));
  w.run();
  EXPECT_TRUE(w.kernel.is_alive(p));
  EXPECT_EQ(w.reason(p), "alive");
}

TEST(Signals, exit_external_to_a_dead_pid_does_nothing) {
  World w;
  Pid p = w.spawn([](Ctx) -> Proc { co_return; });
  w.run();
  w.kernel.exit_external(p, atom("kill"));
  RunResult r = w.run();
  EXPECT_EQ(w.reason(p), "normal");
  EXPECT_EQ(r.outcome, Outcome::quiescent);
}

TEST(Signals, exit_external_kill_of_a_process_sleeping_cancels_its_timer) {
  World w;
  Pid p = w.spawn([](Ctx ctx) -> Proc { co_await ctx.sleep(1'000'000); });
  w.kernel.exit_external(p, atom("kill"));  // before it ever ran
  RunResult r = w.run();
  EXPECT_EQ(w.reason(p), "killed");
  EXPECT_EQ(r.outcome, Outcome::quiescent);
  EXPECT_EQ(r.end_time_us, 0);  // no timer left to advance the clock to
}

}  // namespace
}  // namespace otpsim::sim

namespace otpsim::sim {
namespace {

TEST(Aliases, a_message_to_an_active_alias_arrives_and_after_demonitor_is_dropped) {
  testing::World w;
  std::vector<std::string> got;
  Pid server = w.spawn([](Ctx ctx) -> Proc {
    for (;;) {
      auto m = co_await ctx.receive();
      co_await ctx.sleep((*m)[1].integer());
      co_await ctx.send_alias((*m)[0].ref(), tuple((*m)[0], atom("reply")));
    }
  });
  Pid caller = w.spawn([&](Ctx ctx) -> Proc {
    Ref fast = co_await ctx.monitor_alias(server);
    co_await ctx.send(server, tuple(fast, 0));
    auto r1 = co_await ctx.receive([fast](const Term& t) { return t.is_tuple() && t[0] == Term(fast); }, 100);
    got.push_back(r1 ? "reply" : "timeout");
    (void)co_await ctx.demonitor(fast, true);
    Ref slow = co_await ctx.monitor_alias(server);
    co_await ctx.send(server, tuple(slow, 500));
    auto r2 = co_await ctx.receive([slow](const Term& t) { return t.is_tuple() && t[0] == Term(slow); }, 100);
    got.push_back(r2 ? "reply" : "timeout");
    (void)co_await ctx.demonitor(slow, true);  // the alias dies with the monitor
    co_await ctx.sleep(1000);                  // the late reply is sent meanwhile
    auto stray = co_await ctx.receive(0);
    got.push_back(stray ? "late reply arrived" : "no late reply");
  });
  w.run();
  EXPECT_EQ(got, (std::vector<std::string>{"reply", "timeout", "no late reply"}));
  EXPECT_EQ(w.reason(caller), "normal");
}

TEST(Aliases, an_alias_ends_with_its_monitors_down) {
  testing::World w;
  bool delivered = true;
  w.spawn([&](Ctx ctx) -> Proc {
    Pid target = co_await ctx.spawn([](Ctx c) -> Proc { co_await c.sleep(10); });
    Ref alias = co_await ctx.monitor_alias(target);
    co_await ctx.receive();  // the DOWN
    co_await ctx.send_alias(alias, atom("after_down"));
    delivered = (co_await ctx.receive(0)).has_value();
  });
  w.run();
  EXPECT_FALSE(delivered);
}

}  // namespace
}  // namespace otpsim::sim
