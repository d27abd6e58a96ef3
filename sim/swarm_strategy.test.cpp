// swarm: a seed fixes its configuration and its schedule; seeds spread
// over the configuration space; each knob does what it says.
#include "sim/swarm_strategy.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

/// Three senders send 6 messages each to a receiver, yielding between
/// sends, under async delivery: arrivals compete with sends and receives.
struct SwarmRun {
  std::vector<std::uint64_t> choices;
  std::vector<std::uint64_t> steps;  // the actor of every step
  std::uint64_t in_flight_sum = 0;   // signals in flight, summed over steps
};

class Log : public Observer {
 public:
  explicit Log(const Kernel& k) : kernel(k) {}
  void on_step(const StepInfo& s) override {
    run.steps.push_back(s.pid.id);
    run.in_flight_sum += kernel.signals_in_flight();
  }
  const Kernel& kernel;
  SwarmRun run;
};

SwarmRun run_swarm(std::uint64_t seed) {
  SwarmStrategy strategy(seed, 60);
  Kernel k(KernelConfig{RunLimits{}, TraceLevel::off, Delivery::async}, strategy);
  Log log(k);
  k.set_observer(&log);
  Pid receiver = k.spawn([](Ctx ctx) -> Proc {
    for (int i = 0; i < 18; ++i) co_await ctx.receive();
  });
  for (int sender = 0; sender < 3; ++sender) {
    k.spawn([receiver, sender](Ctx ctx) -> Proc {
      for (int i = 0; i < 6; ++i) {
        co_await ctx.send(receiver, tuple(sender, i));
        co_await ctx.yield();
      }
    });
  }
  k.run();
  for (const Choice& c : k.choices()) log.run.choices.push_back(c.pick);
  return log.run;
}

TEST(SwarmStrategy, a_seed_fixes_its_configuration) {
  for (std::uint64_t seed : {0u, 1u, 42u, 1000u}) {
    EXPECT_EQ(swarm_config(seed, 300), swarm_config(seed, 300));
    EXPECT_EQ(describe(swarm_config(seed, 300)), SwarmStrategy(seed, 300).describe());
  }
}

TEST(SwarmStrategy, seeds_spread_over_the_configuration_space) {
  std::set<bool> modes;
  std::set<std::uint32_t> depths, boosts, shares;
  std::set<int> signals;  // 0: unbiased, 1: linger, 2: land at once
  std::set<std::string> lines;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const SwarmConfig c = swarm_config(seed, 180);
    modes.insert(c.pct);
    if (c.pct) {
      depths.insert(c.pct_depth);
      EXPECT_EQ(c.pct_steps, 180u);
    }
    signals.insert(!c.linger_on ? 0 : c.linger_millionths >= 500'000 ? 1 : 2);
    boosts.insert(c.fault_boost);
    shares.insert(c.favoured_per_1024);
    lines.insert(describe(c));
  }
  EXPECT_EQ(modes.size(), 2u);
  EXPECT_EQ(depths, (std::set<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(signals.size(), 3u);
  EXPECT_EQ(boosts, (std::set<std::uint32_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(shares, (std::set<std::uint32_t>{0, 128, 256, 512}));
  EXPECT_GE(lines.size(), 250u);
}

TEST(SwarmStrategy, describe_says_what_the_seed_chose) {
  SwarmConfig c;
  c.pct = true;
  c.pct_depth = 3;
  c.pct_steps = 180;
  c.linger_on = true;
  c.linger_millionths = 600'000;
  c.fault_boost = 4;
  c.favoured_per_1024 = 256;
  c.favoured_weight = 16;
  EXPECT_EQ(describe(c), "pct depth 3 (k=180), signals linger 0.60, faults x4, 1 in 4 processes favoured x16");
  EXPECT_EQ(describe(SwarmConfig{}), "random walk, signals unbiased, faults x1, no favoured processes");
}

TEST(SwarmStrategy, a_seed_fixes_the_schedule_and_seeds_differ) {
  std::set<std::vector<std::uint64_t>> schedules;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const SwarmRun a = run_swarm(seed);
    const SwarmRun b = run_swarm(seed);
    EXPECT_FALSE(a.choices.empty());
    EXPECT_EQ(a.choices, b.choices);
    EXPECT_EQ(a.steps, b.steps);
    schedules.insert(a.steps);
  }
  EXPECT_GE(schedules.size(), 25u);
}

TEST(SwarmStrategy, lingering_keeps_signals_in_flight_longer) {
  // Random-walk seeds only, so priorities do not mask the bias.
  std::uint64_t long_sum = 0, short_sum = 0;
  int long_runs = 0, short_runs = 0;
  for (std::uint64_t seed = 0; seed < 2000 && (long_runs < 5 || short_runs < 5); ++seed) {
    const SwarmConfig c = swarm_config(seed, 60);
    if (c.pct || !c.linger_on) continue;
    if (c.linger_millionths >= 800'000 && long_runs < 5) {
      long_sum += run_swarm(seed).in_flight_sum;
      ++long_runs;
    } else if (c.linger_millionths <= 200'000 && short_runs < 5) {
      short_sum += run_swarm(seed).in_flight_sum;
      ++short_runs;
    }
  }
  ASSERT_EQ(long_runs, 5);
  ASSERT_EQ(short_runs, 5);
  EXPECT_GT(long_sum, 2 * short_sum);
}

TEST(SwarmStrategy, the_fault_boost_multiplies_flip_probabilities) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    SwarmStrategy s(seed, 100);
    if (s.config().fault_boost != 1 && s.config().fault_boost != 16) continue;
    int ones = 0;
    for (int i = 0; i < 2000; ++i) ones += static_cast<int>(s.flip(40'000));  // 4%
    if (s.config().fault_boost == 1) {
      EXPECT_LT(ones, 160) << "seed " << seed;
    } else {
      EXPECT_GT(ones, 1000) << "seed " << seed;  // 64%
    }
  }
}

TEST(SwarmStrategy, favoured_processes_are_named_by_their_place_in_the_spawn_tree) {
  // Two runs spawn the same tree with different pid numbers (a sibling's
  // child first in one, last in the other): each process keeps its status.
  std::uint64_t seed = 0;
  while (swarm_config(seed, 100).favoured_per_1024 != 512) ++seed;
  SwarmStrategy a(seed, 100), b(seed, 100);
  // a: root 1 spawns 2, 3; 2 spawns 4; 3 spawns 5..12.
  a.on_spawn(Pid{}, Pid{1});
  a.on_spawn(Pid{1}, Pid{2});
  a.on_spawn(Pid{1}, Pid{3});
  a.on_spawn(Pid{2}, Pid{4});
  for (std::uint64_t c = 5; c <= 12; ++c) a.on_spawn(Pid{3}, Pid{c});
  // b: the same tree, 3's children spawned before 2's.
  b.on_spawn(Pid{}, Pid{1});
  b.on_spawn(Pid{1}, Pid{2});
  b.on_spawn(Pid{1}, Pid{3});
  for (std::uint64_t c = 4; c <= 11; ++c) b.on_spawn(Pid{3}, Pid{c});
  b.on_spawn(Pid{2}, Pid{12});
  EXPECT_EQ(a.favoured(Pid{4}), b.favoured(Pid{12}));
  int favoured = 0;
  for (std::uint64_t c = 5; c <= 12; ++c) {
    EXPECT_EQ(a.favoured(Pid{c}), b.favoured(Pid{c - 1}));
    favoured += a.favoured(Pid{c}) ? 1 : 0;
  }
  EXPECT_GT(favoured, 0);
  EXPECT_LT(favoured, 8);
}

}  // namespace
}  // namespace otpsim::sim
