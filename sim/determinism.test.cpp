// Determinism is the product: a run is a pure function of (program, seed),
// and a replay token reproduces it byte for byte.
#include <gtest/gtest.h>

#include <set>

#include "sim/ctx.hpp"
#include "sim/replay_strategy.hpp"
#include "sim/simulation.hpp"
#include "sim/test_support.hpp"

namespace otpsim::sim {
namespace {

// Three racers try to register one name, report to a judge, and the winner
// is killed by a linked watchdog after a data choice picks a delay: many
// interleavings, data choices, links, monitors, timers and a table.
Program racy_program() {
  return Program{"test/racy", "three racers for one name", [](Kernel& k) {
    k.spawn([](Ctx ctx) -> Proc {
      auto table = co_await ctx.table_new();
      Pid judge = ctx.self();
      for (int i = 0; i < 3; ++i) {
        co_await ctx.spawn_monitor([judge, i, t = table.value](Ctx c) -> Proc {
          bool won = co_await c.register_name(Atom("leader"), c.self());
          const Atom outcome(won ? "won" : "lost");
          (void)co_await c.insert(t, tuple(i, outcome));
          const int won_flag = won ? 1 : 0;
          co_await c.send(judge, tuple(atom("result"), i, won_flag));
          if (won) co_await c.sleep(static_cast<Micros>(c.choose(5)) * 1000);
        }, SpawnOptions{"racer"});
      }
      for (int i = 0; i < 6; ++i) co_await ctx.receive();  // 3 results + 3 DOWNs
    }, SpawnOptions{"judge"});
  }};
}

std::string run_trace(const Program& program, std::uint64_t seed) {
  Simulation sim(program, RunOptions{"random", seed, {}, TraceLevel::full});
  sim.run();
  return sim.trace().text();
}

TEST(Determinism, the_same_seed_gives_a_byte_identical_trace) {
  Program p = racy_program();
  for (std::uint64_t seed : {0u, 1u, 7u, 12345u}) {
    std::string a = run_trace(p, seed);
    std::string b = run_trace(p, seed);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a, b) << "seed " << seed;
  }
}

TEST(Determinism, a_racy_program_shows_more_than_one_interleaving_across_seeds) {
  Program p = racy_program();
  std::set<std::string> traces;
  for (std::uint64_t seed = 0; seed < 40; ++seed) traces.insert(run_trace(p, seed));
  EXPECT_GT(traces.size(), 5u);
}

TEST(Determinism, different_racers_win_under_different_seeds) {
  Program p = racy_program();
  std::set<std::string> winners;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    Simulation sim(p, RunOptions{"random", seed, {}, TraceLevel::full});
    sim.run();
    for (const TraceEvent& e : sim.trace().events) {
      if (e.effect == EffectKind::register_name && e.detail.ends_with("yes")) winners.insert(sim.trace().pid_name(e.pid));
    }
  }
  EXPECT_EQ(winners.size(), 3u);
}

TEST(Replay, a_token_reproduces_the_trace_byte_for_byte) {
  Program p = racy_program();
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Simulation original(p, RunOptions{"random", seed, {}, TraceLevel::full});
    original.run();
    std::string text = original.token_text();
    TokenParse parsed = decode_token(text);
    ASSERT_TRUE(parsed.token.has_value()) << parsed.error;
    Simulation replay(p, *parsed.token, TraceLevel::full);
    replay.run();
    EXPECT_EQ(replay.replay_error(), "");
    EXPECT_EQ(replay.trace().text(), original.trace().text()) << "seed " << seed;
    EXPECT_EQ(replay.kernel().choices(), original.kernel().choices());
  }
}

TEST(Replay, a_run_stopped_by_the_step_limit_replays_to_the_same_step) {
  Program p = racy_program();
  Simulation original(p, RunOptions{"random", 3, RunLimits{10, 1'000'000}, TraceLevel::full});
  RunResult r = original.run();
  ASSERT_EQ(r.outcome, Outcome::step_limit);
  Simulation replay(p, original.token(), TraceLevel::full);
  RunResult rr = replay.run();
  EXPECT_EQ(rr.outcome, Outcome::step_limit);
  EXPECT_EQ(replay.replay_error(), "");
  EXPECT_EQ(replay.trace().text(), original.trace().text());
}

TEST(Replay, a_choice_log_that_does_not_fit_the_program_is_reported_not_crashed) {
  Program p = racy_program();
  Simulation original(p, RunOptions{"random", 5, {}, TraceLevel::off});
  original.run();
  ReplayToken token = original.token();
  ASSERT_FALSE(token.picks.empty());
  token.picks[0] = 99;  // no scheduling point has 100 options
  Simulation replay(p, token, TraceLevel::off);
  RunResult r = replay.run();
  EXPECT_EQ(r.outcome, Outcome::strategy_stopped);
  EXPECT_NE(replay.replay_error().find("replay diverged"), std::string::npos);

  ReplayToken short_token = original.token();
  short_token.picks.resize(short_token.picks.size() / 2);
  Simulation replay2(p, short_token, TraceLevel::off);
  replay2.run();
  EXPECT_NE(replay2.replay_error().find("replay diverged"), std::string::npos);

  ReplayToken long_token = original.token();
  long_token.picks.push_back(0);
  Simulation replay3(p, long_token, TraceLevel::off);
  replay3.run();
  EXPECT_NE(replay3.replay_error().find("unused"), std::string::npos);
}

TEST(Replay, data_choices_are_logged_and_replayed) {
  Program p{"test/choices", "", [](Kernel& k) {
    k.spawn([](Ctx ctx) -> Proc {
      for (int i = 0; i < 10; ++i) co_await ctx.sleep(static_cast<Micros>(ctx.choose(1000)));
    });
  }};
  Simulation original(p, RunOptions{"random", 42, {}, TraceLevel::full});
  original.run();
  ASSERT_EQ(original.kernel().choices().size(), 10u);
  for (const Choice& c : original.kernel().choices()) EXPECT_EQ(c.kind, Choice::Kind::data);
  Simulation replay(p, original.token(), TraceLevel::full);
  replay.run();
  EXPECT_EQ(replay.replay_error(), "");
  EXPECT_EQ(replay.kernel().now_us(), original.kernel().now_us());
  EXPECT_EQ(replay.trace().text(), original.trace().text());
}

TEST(Determinism, only_real_choices_are_logged) {
  // A single process has nothing to choose between: the log stays empty.
  testing::World w;
  w.spawn([](Ctx ctx) -> Proc {
    for (int i = 0; i < 100; ++i) co_await ctx.yield();
  });
  w.run();
  EXPECT_TRUE(w.kernel.choices().empty());
}

TEST(Determinism, unknown_strategy_is_an_error_value) {
  RunOptions o;
  o.strategy = "bogus";
  auto error = Simulation::validate(o);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("unknown strategy 'bogus'"), std::string::npos);
}

}  // namespace
}  // namespace otpsim::sim
