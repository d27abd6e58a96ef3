// Registry, unique keys (claims 25-27).
#include "core/otp/registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/otp/testing.hpp"

namespace otpsim::core::otp {
namespace {

using sim::atom;
namespace sa = sim::atoms;

// Elixir names the partition Module.concat(registry, "PIDPartition0"): a
// registry named Tenants.Registry (the atom 'Tenants.Registry', as a tree
// file names it) has the partition 'Elixir.Tenants.Registry.PIDPartition0',
// as one named 'Elixir.Tenants.Registry' does (found by `otpsim observe
// --beam` on a tree whose registry restart failed on the partition's name).
TEST(Registry, partition_is_named_as_module_concat_names_it) {
  EXPECT_EQ(registry::partition_name(Atom("Tenants.Registry")).text(), "Elixir.Tenants.Registry.PIDPartition0");
  EXPECT_EQ(registry::partition_name(Atom("Elixir.Tenants.Registry")).text(), "Elixir.Tenants.Registry.PIDPartition0");
  EXPECT_EQ(registry::partition_name(Atom("reg")).text(), "Elixir.reg.PIDPartition0");
}

// Claim 25: registering links the caller to the partition, which traps
// exits and removes the dead pid's entry when its EXIT arrives.
TEST(Registry, registering_links_to_the_partition_which_cleans_up_on_exit) {
  sim::testing::World w;
  std::size_t before = 9, after = 9;
  w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    (void)co_await registry::start_link(ctx, Atom("Reg"));
    Pid partition = co_await ctx.whereis(registry::partition_name(Atom("Reg")));
    auto body = [](Ctx c) -> Proc {
      (void)co_await registry::register_key(c, Atom("Reg"), atom("k"), atom("v"));
      co_await c.receive();
    };
    Pid r = co_await ctx.spawn(body);
    co_await ctx.sleep(10);
    before = (co_await registry::lookup(ctx, Atom("Reg"), atom("k"))).size();
    co_await ctx.exit(r, atom("kill"));
    co_await ctx.sleep(10);
    (void)co_await call(ctx, ServerRef(partition), atom("sync"));
    after = (co_await registry::lookup(ctx, Atom("Reg"), atom("k"))).size();
  });
  w.run();
  EXPECT_EQ(before, 1u);
  EXPECT_EQ(after, 0u);
}

// Claim 26: lookup may return a dead pid before the partition has cleaned
// up; whereis_name never does; registering over the stale entry succeeds.
TEST(Registry, lookup_may_see_a_dead_pid_but_whereis_name_never_does) {
  std::set<std::string> lookups;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    sim::testing::World w(seed);
    bool whereis_dead = false, reregistered = false;
    std::string seen;
    w.spawn([&](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      (void)co_await registry::start_link(ctx, Atom("Reg"));
      auto body = [](Ctx c) -> Proc {
        (void)co_await registry::register_key(c, Atom("Reg"), atom("k"), atom("v"));
        co_await c.receive();
        c.exit(atom("crash"));
      };
      Pid r = co_await ctx.spawn(body);
      co_await ctx.sleep(10);
      Ref m = co_await ctx.monitor(r);
      co_await ctx.send(r, atom("go"));
      co_await ctx.receive([m](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(m); });
      // r is dead now; the partition may or may not have processed its EXIT.
      auto found = co_await registry::lookup(ctx, Atom("Reg"), atom("k"));
      seen = found.empty() ? "cleaned" : (found[0].first == r ? "stale dead pid" : "other");
      Pid holder = co_await registry::whereis_name(ctx, Atom("Reg"), atom("k"));
      whereis_dead = holder == r;
      reregistered = co_await registry::register_name(ctx, Atom("Reg"), atom("k"));
    });
    w.run();
    lookups.insert(seen);
    EXPECT_FALSE(whereis_dead) << "seed " << seed;
    EXPECT_TRUE(reregistered) << "seed " << seed;
  }
  EXPECT_EQ(lookups, (std::set<std::string>{"cleaned", "stale dead pid"}));
}

TEST(Registry, a_live_holder_makes_register_return_already_registered) {
  sim::testing::World w;
  Term second;
  w.spawn([&](Ctx ctx) -> Proc {
    ctx.trap_exit(true);
    (void)co_await registry::start_link(ctx, Atom("Reg"));
    (void)co_await registry::register_key(ctx, Atom("Reg"), atom("k"), atom("v"));
    auto body = [&second](Ctx c) -> Proc {
      second = co_await registry::register_key(c, Atom("Reg"), atom("k"), atom("w"));
    };
    co_await ctx.spawn(body);
    co_await ctx.sleep(10);
  });
  w.run();
  EXPECT_EQ(testing::canonical(second), "{error,{already_registered,<pid>}}");
}

}  // namespace
}  // namespace otpsim::core::otp
