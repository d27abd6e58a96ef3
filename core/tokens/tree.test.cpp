// The trio's supervision tree: the blast radius of each child's crash, the
// already_started race, and restart intensity at both levels
// (reference/exatlas-tokens.md, "Supervision tree").
#include <gtest/gtest.h>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/tokens/app_server.hpp"
#include "core/tokens/testing.hpp"
#include "sim/test_support.hpp"

namespace otpsim::core::tokens {
namespace {

using sim::Atom;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

/// The pids of the four children and of two AppServers at one moment.
struct Snapshot {
  Pid registry, ets_owner, task_sup, dyn_sup, app_a, app_b;
  std::optional<sim::TableId> table;
};

Task<Snapshot> snapshot(Ctx ctx, TrioWorld* w) {
  Snapshot s;
  s.registry = co_await ctx.whereis(w->trio.names().registry);
  s.ets_owner = co_await ctx.whereis(w->trio.names().ets_owner);
  s.task_sup = co_await ctx.whereis(w->trio.names().task_sup);
  s.dyn_sup = co_await ctx.whereis(w->trio.names().dyn_sup);
  s.app_a = co_await whereis_app_server(ctx, &w->trio, "a");
  s.app_b = co_await whereis_app_server(ctx, &w->trio, "b");
  s.table = w->table();
  co_return s;
}

/// Caches two apps, kills the child registered as `victim`, lets the tree
/// restart, and returns the before/after snapshots.
std::pair<Snapshot, Snapshot> crash(TrioWorld& w, Atom victim) {
  std::pair<Snapshot, Snapshot> out;
  TrioWorld* wp = &w;
  w.run([&out, wp, victim](Ctx ctx) -> Task<> {
    (void)co_await wp->get(ctx, "a");
    (void)co_await wp->get(ctx, "b");
    out.first = co_await snapshot(ctx, wp);
    Pid pid = co_await ctx.whereis(victim);
    co_await ctx.exit(pid, Term(sa::kill()));
    co_await ctx.sleep(1000);
    out.second = co_await snapshot(ctx, wp);
  });
  EXPECT_TRUE(w.driver_done);
  return out;
}

TEST(Tree, a_registry_crash_rebuilds_all_four_children) {
  TrioWorld w;
  auto [before, after] = crash(w, w.trio.names().registry);
  EXPECT_NE(before.registry, after.registry);
  EXPECT_NE(before.ets_owner, after.ets_owner);
  EXPECT_NE(before.task_sup, after.task_sup);
  EXPECT_NE(before.dyn_sup, after.dyn_sup);
  EXPECT_NE(before.table, after.table);
  EXPECT_FALSE(after.app_a);
  EXPECT_FALSE(after.app_b);
  EXPECT_TRUE(w.kernel.is_alive(w.top));
}

TEST(Tree, an_ets_owner_crash_rebuilds_it_and_everything_after_it) {
  TrioWorld w;
  auto [before, after] = crash(w, w.trio.names().ets_owner);
  EXPECT_EQ(before.registry, after.registry);
  EXPECT_NE(before.ets_owner, after.ets_owner);
  EXPECT_NE(before.task_sup, after.task_sup);
  EXPECT_NE(before.dyn_sup, after.dyn_sup);
  EXPECT_NE(before.table, after.table);
  EXPECT_FALSE(w.cache_row("a").has_value());
  EXPECT_FALSE(after.app_a);
}

TEST(Tree, a_task_supervisor_crash_restarts_it_and_the_dynamic_supervisor) {
  TrioWorld w;
  auto [before, after] = crash(w, w.trio.names().task_sup);
  EXPECT_EQ(before.registry, after.registry);
  EXPECT_EQ(before.ets_owner, after.ets_owner);
  EXPECT_EQ(before.table, after.table);  // the cache keeps its rows
  EXPECT_TRUE(w.cache_row("a").has_value());
  EXPECT_NE(before.task_sup, after.task_sup);
  EXPECT_NE(before.dyn_sup, after.dyn_sup);
  EXPECT_FALSE(after.app_a);  // AppServers come back lazily
}

TEST(Tree, a_dynamic_supervisor_crash_restarts_only_it_and_it_comes_back_empty) {
  TrioWorld w;
  auto [before, after] = crash(w, w.trio.names().dyn_sup);
  EXPECT_EQ(before.registry, after.registry);
  EXPECT_EQ(before.ets_owner, after.ets_owner);
  EXPECT_EQ(before.task_sup, after.task_sup);
  EXPECT_NE(before.dyn_sup, after.dyn_sup);
  EXPECT_FALSE(after.app_a);
  EXPECT_TRUE(w.cache_row("b").has_value());
}

TEST(Tree, an_app_server_crash_stays_with_that_app) {
  TrioWorld w;
  std::pair<Snapshot, Snapshot> out;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");
    (void)co_await w.get(ctx, "b");
    out.first = co_await snapshot(ctx, &w);
    co_await ctx.exit(out.first.app_a, Term(sa::kill()));
    co_await ctx.sleep(1000);
    out.second = co_await snapshot(ctx, &w);
  });
  auto& [before, after] = out;
  EXPECT_NE(before.app_a, after.app_a);
  EXPECT_TRUE(after.app_a);  // restarted (permanent) with the same arguments
  EXPECT_EQ(before.app_b, after.app_b);
  EXPECT_EQ(before.dyn_sup, after.dyn_sup);
  EXPECT_EQ(before.table, after.table);
  EXPECT_TRUE(w.cache_row("a").has_value());
  EXPECT_TRUE(w.cache_row("b").has_value());
}

TEST(Tree, concurrent_cold_resolves_agree_on_one_pid_through_already_started) {
  int races = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    Term r1, r2;
    int done = 0;
    w.run([&](Ctx ctx) -> Task<> {
      Term* out1 = &r1;
      Term* out2 = &r2;
      int* finished = &done;
      const Trio* trio = &w.trio;
      auto racer1 = [trio, out1, finished](Ctx c) -> Proc {
        *out1 = co_await resolve_app_server(c, trio, "x");
        ++*finished;
      };
      auto racer2 = [trio, out2, finished](Ctx c) -> Proc {
        *out2 = co_await resolve_app_server(c, trio, "x");
        ++*finished;
      };
      (void)co_await ctx.spawn(racer1);
      (void)co_await ctx.spawn(racer2);
      while (done < 2) co_await ctx.sleep(1000);
    });
    ASSERT_TRUE(r1.is_tagged(sa::ok(), 2)) << "seed " << seed << ": " << r1;
    EXPECT_EQ(r1, r2) << "seed " << seed;
    // Two starts under the DynamicSupervisor: the loser's start found the
    // name taken ({error, {already_started, P}}) and took P.
    EXPECT_EQ(w.spawned("app:x").size(), 1u) << "seed " << seed;
    if (!w.tagged("already_started").empty()) ++races;
  }
  EXPECT_GT(races, 0) << "no seed in 60 reached the already_started branch";
}

/// Kills the AppServer of "a" `times` times, each once it is back.
Task<> crash_app_server(Ctx ctx, TrioWorld* w, int times) {
  for (int i = 0; i < times; ++i) {
    Pid p = co_await whereis_app_server(ctx, &w->trio, "a");
    if (!p) {
      Term r = co_await resolve_app_server(ctx, &w->trio, "a");
      if (!r.is_tagged(sa::ok(), 2)) co_return;
      p = r[1].pid();
    }
    co_await ctx.exit(p, Term(sa::kill()));
    co_await ctx.sleep(1000);
  }
}

TEST(Tree, twenty_app_server_restarts_in_a_minute_are_absorbed) {
  TrioWorld w;
  Snapshot before, after;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");
    before = co_await snapshot(ctx, &w);
    co_await crash_app_server(ctx, &w, 20);
    after = co_await snapshot(ctx, &w);
  });
  EXPECT_EQ(before.dyn_sup, after.dyn_sup);
  EXPECT_TRUE(after.app_a);
}

TEST(Tree, the_twenty_first_restart_in_a_minute_brings_down_only_the_dynamic_supervisor) {
  TrioWorld w;
  Snapshot before, after;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");
    (void)co_await w.get(ctx, "b");
    before = co_await snapshot(ctx, &w);
    co_await crash_app_server(ctx, &w, 21);
    after = co_await snapshot(ctx, &w);
  });
  EXPECT_EQ(w.exit_reason(before.dyn_sup), "shutdown");
  EXPECT_NE(before.dyn_sup, after.dyn_sup);  // restarted by the top supervisor; it is last, so only it
  EXPECT_EQ(before.registry, after.registry);
  EXPECT_EQ(before.ets_owner, after.ets_owner);
  EXPECT_EQ(before.task_sup, after.task_sup);
  EXPECT_FALSE(after.app_b);  // dynamic children are not restored
  EXPECT_TRUE(w.cache_row("b").has_value());
  EXPECT_TRUE(w.kernel.is_alive(w.top));
}

TEST(Tree, restarts_spread_over_more_than_a_minute_never_exceed_the_intensity) {
  TrioWorld w;
  Snapshot before, after;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");
    before = co_await snapshot(ctx, &w);
    for (int i = 0; i < 40; ++i) {
      co_await crash_app_server(ctx, &w, 1);
      co_await ctx.sleep(4'000'000);  // one crash every ~4 s: 15 per minute
    }
    after = co_await snapshot(ctx, &w);
  });
  EXPECT_EQ(before.dyn_sup, after.dyn_sup);
}

TEST(Tree, past_the_top_intensity_the_whole_trio_exits) {
  TrioWorld w;
  Term top_exit;
  Pid top;
  w.run([&](Ctx ctx) -> Task<> {
    top = w.top;
    // Each round brings the DynamicSupervisor down once; the fourth within
    // 5 s exceeds the top supervisor's 3 in 5 s.
    for (int round = 0; round < 4; ++round) co_await crash_app_server(ctx, &w, 21);
    auto m = co_await ctx.receive(::otpsim::sim::testing::tagged("EXIT"), 0);
    if (m) top_exit = *m;
  });
  ASSERT_TRUE(w.driver_done);
  EXPECT_EQ(top_exit, sim::tuple(sa::exit_tag(), top, sa::shutdown()));
  EXPECT_FALSE(w.kernel.is_alive(top));
  EXPECT_FALSE(w.table().has_value());
}

TEST(Tree, a_get_racing_an_app_server_crash_can_be_handed_the_dead_pid) {
  // The registry entry outlives the AppServer until the partition cleans up
  // (asynchronously), and resolve_app_server does not check liveness: a
  // client racing the crash may call the dead pid and exit with noproc (or,
  // already waiting in the call, with killed). The reference's behaviour,
  // recorded here as a candidate finding.
  int noproc = 0, killed = 0, served = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    std::string reason;
    w.run([&](Ctx ctx) -> Task<> {
      (void)co_await w.get(ctx, "a");
      Pid server = co_await whereis_app_server(ctx, &w.trio, "a");
      (void)co_await app_server::expire_token(ctx, server);  // the next get must reach the AppServer
      TrioWorld* wp = &w;
      auto client = [wp](Ctx c) -> Proc { (void)co_await wp->get(c, "a"); };
      auto [pid, ref] = co_await ctx.spawn_monitor(client);
      co_await ctx.exit(server, Term(sa::kill()));
      auto down = co_await ctx.receive([ref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(ref); });
      reason = (*down)[4].to_string();
    });
    if (reason == "normal") {
      ++served;
    } else if (reason.rfind("{noproc,{'Elixir.GenServer',call,", 0) == 0) {
      ++noproc;
    } else {
      EXPECT_EQ(reason.rfind("{killed,{'Elixir.GenServer',call,", 0), 0u) << "seed " << seed << ": " << reason;
      ++killed;
    }
  }
  EXPECT_GT(served, 0);
  EXPECT_GT(noproc, 0);
  EXPECT_GT(killed, 0);
}

}  // namespace
}  // namespace otpsim::core::tokens
