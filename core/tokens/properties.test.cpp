// The properties of docs/properties.md: each holds on a reference run and
// reports a run that breaks it, a mutant's (docs/mutants.md) where one
// exists, else a record edited by hand. Faults are recorded by hand
// (FaultEvent) next to the kill the driver makes itself.
#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/registry.hpp"
#include "core/tokens/app_server.hpp"
#include "core/tokens/properties.hpp"
#include "core/tokens/testing.hpp"

namespace otpsim::core::tokens {
namespace {

using sim::Atom;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

constexpr Micros s = 1'000'000;

TrioConfig with(Mutant m) {
  TrioConfig c;
  c.mutants.enable(m);
  return c;
}

/// The verdict of property `name` on a run (or a record edited from one).
std::optional<Violation> judge(std::string_view name, const TrioWorld& w, sim::Outcome outcome,
                               const RunRecord* record = nullptr) {
  const Property* p = find_property(name);
  EXPECT_NE(p, nullptr) << name;
  if (p == nullptr) return std::nullopt;
  PropertyContext ctx(record ? *record : w.record, w.trio, w.kernel, outcome);
  return p->check(ctx);
}

std::string text(const std::optional<Violation>& v) { return v ? v->message : std::string("holds"); }

/// A client process making one recorded facade call; the driver collects its DOWN.
Task<Pid> spawn_client(Ctx ctx, TrioWorld* w, std::string name, std::string op, std::string app, std::string token) {
  auto body = [w, name, op, app, token](Ctx c) -> Proc { (void)co_await w->call(c, name, op, app, token); };
  sim::SpawnOptions options("client");
  auto [pid, ref] = co_await ctx.spawn_monitor(body, options);
  (void)ref;
  co_return pid;
}

Task<> await_downs(Ctx ctx, std::size_t n) {
  auto is_down = [](const Term& m) { return m.is_tagged(sa::down_tag(), 5); };
  for (std::size_t i = 0; i < n; ++i) (void)co_await ctx.receive(is_down);
}

/// Records a kill as the fault injector would, just before the driver makes it.
void note_fault(TrioWorld& w, Ctx ctx, std::string target, std::string action, Pid victim) {
  FaultEvent f;
  f.fault_index = w.record.faults.size();
  f.name = action + " " + target;
  f.target = target;
  f.action = action;
  f.at_us = ctx.now_us();
  f.step = w.record.steps();
  f.applied = true;
  f.victim = victim;
  w.record.faults.push_back(f);
}

Task<> kill_fault(Ctx ctx, TrioWorld* w, std::string target, Pid victim) {
  note_fault(*w, ctx, target, "kill", victim);
  co_await ctx.exit(victim, Term(sa::kill()));
}

/// Lets restarts run: time moves only once nothing else can.
Task<> settle(Ctx ctx) { co_await ctx.sleep(1000); }

// A hand-made record: calls, events and lives filled directly.
ClientCall make_call(Pid client, std::string op, std::string app, Micros start_us, std::uint64_t start_step,
                     Micros end_us, std::uint64_t end_step, Term result) {
  ClientCall c;
  c.client = client;
  c.op = std::move(op);
  c.app = std::move(app);
  c.start_us = start_us;
  c.start_step = start_step;
  c.end_us = end_us;
  c.end_step = end_step;
  c.result = std::move(result);
  return c;
}

ProcessLife make_life(Pid pid, Pid parent, std::string label, std::uint64_t spawned_step, Micros exited_us,
                      std::uint64_t exited_step, Term reason) {
  ProcessLife l;
  l.pid = pid;
  l.parent = parent;
  l.label = std::move(label);
  l.spawned_step = spawned_step;
  l.exited_us = exited_us;
  l.exited_step = exited_step;
  l.exit_reason = std::move(reason);
  return l;
}

Term ok(const std::string& token) { return sim::tuple(sa::ok(), Term::string(token)); }

// ---------------------------------------------------------------------------

TEST(Properties, are_listed_in_name_order_with_one_line_statements) {
  std::vector<std::string> names;
  for (const Property& p : properties()) {
    names.push_back(p.name);
    EXPECT_FALSE(p.statement.empty()) << p.name;
    EXPECT_EQ(p.statement.find('\n'), std::string::npos) << p.name;
    EXPECT_TRUE(p.check) << p.name;
    EXPECT_EQ(find_property(p.name), &p);
  }
  const std::vector<std::string> expected = {
      "cli_coalesced",    "liveness",         "manual_token_durable",        "missing_table_is_a_miss",
      "no_client_crash",  "no_expired_token", "one_live_app_server_per_app", "refresh_atomic",
      "resolve_agrees",   "restart_intensity", "restart_scope"};
  EXPECT_EQ(names, expected);
  EXPECT_EQ(find_property("no_such_property"), nullptr);
}

TEST(Properties, all_hold_on_a_reference_run_with_concurrent_clients) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    w.env.sim_cli.behaviour.latency_us = 1 * s;
    auto result = w.run([&](Ctx ctx) -> Task<> {
      for (int i = 0; i < 4; ++i) (void)co_await spawn_client(ctx, &w, "herd", "get", "a", "");
      (void)co_await spawn_client(ctx, &w, "other", "get", "b", "");
      (void)co_await spawn_client(ctx, &w, "manual", "set_manual", "c", "tok-c");
      co_await await_downs(ctx, 6);
      (void)co_await spawn_client(ctx, &w, "r", "refresh", "a", "");
      (void)co_await spawn_client(ctx, &w, "g", "get", "a", "");
      (void)co_await spawn_client(ctx, &w, "i", "invalidate", "b", "");
      co_await await_downs(ctx, 3);
    });
    ASSERT_TRUE(w.driver_done);
    for (const Property& p : properties()) {
      PropertyContext ctx(w.record, w.trio, w.kernel, result.outcome);
      EXPECT_EQ(text(p.check(ctx)), "holds") << p.name << ", seed " << seed;
    }
  }
}

// ---------------------------------------------------------------------------
// no_client_crash

TEST(Properties, no_client_crash_holds_when_every_call_returns) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "set_manual", "a", "m");
    (void)co_await w.call(ctx, "d", "invalidate", "a");
    (void)co_await w.call(ctx, "d", "refresh", "a");
  });
  EXPECT_FALSE(judge("no_client_crash", w, result.outcome)) << text(judge("no_client_crash", w, result.outcome));
}

/// Caches a, kills the ETSOwner, and once its table is gone has a fresh
/// client get b.
sim::Outcome get_after_the_table_is_gone(TrioWorld& w) {
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    const std::optional<sim::TableId> before = w.table();
    Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
    co_await kill_fault(ctx, &w, "ets_owner", owner);
    for (;;) {  // until the old table is gone
      auto now = co_await ctx.table_named(w.trio.names().table);
      if (!now.ok() || now.value != *before) break;
      co_await ctx.yield();
    }
    (void)co_await spawn_client(ctx, &w, "late", "get", "b", "");
    co_await await_downs(ctx, 1);
  });
  return result.outcome;
}

// facade_missing_table_crashes: a get whose fast path finds no table exits
// its client with badarg.
TEST(Properties, no_client_crash_reports_the_badarg_of_facade_missing_table_crashes) {
  TrioWorld w(with(Mutant::facade_missing_table_crashes));
  auto v = judge("no_client_crash", w, get_after_the_table_is_gone(w));
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("get \"b\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("exited the client with badarg"), std::string::npos) << v->message;
}

TEST(Properties, no_client_crash_counts_a_call_in_flight_only_in_a_finished_run) {
  TrioWorld w;
  RunRecord r;
  r.calls.push_back(make_call(Pid{9}, "get", "a", 0, 3, -1, 0, Term()));
  EXPECT_TRUE(judge("no_client_crash", w, sim::Outcome::quiescent, &r));
  EXPECT_TRUE(judge("no_client_crash", w, sim::Outcome::stopped, &r));
  EXPECT_FALSE(judge("no_client_crash", w, sim::Outcome::step_limit, &r));
  EXPECT_FALSE(judge("no_client_crash", w, sim::Outcome::time_limit, &r));
}

// ---------------------------------------------------------------------------
// missing_table_is_a_miss

// The reference's get reads the missing table as a miss. Its client may
// still exit inside a GenServer.call while the restart goes on (a finding
// no_client_crash reports), never with the bare table error.
TEST(Properties, missing_table_is_a_miss_holds_when_the_reference_reads_a_missing_table) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    const sim::Outcome outcome = get_after_the_table_is_gone(w);
    ASSERT_TRUE(w.driver_done) << "seed " << seed;
    EXPECT_FALSE(judge("missing_table_is_a_miss", w, outcome))
        << "seed " << seed << ": " << text(judge("missing_table_is_a_miss", w, outcome));
  }
}

TEST(Properties, missing_table_is_a_miss_reports_facade_missing_table_crashes) {
  TrioWorld w(with(Mutant::facade_missing_table_crashes));
  auto v = judge("missing_table_is_a_miss", w, get_after_the_table_is_gone(w));
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("get \"b\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("exited the client with the table error badarg"), std::string::npos) << v->message;
}

// An AppServer that hits the missing table exits badarg, and its caller
// exits {badarg, {GenServer, call, _}}: no_client_crash's business, not this.
TEST(Properties, missing_table_is_a_miss_leaves_exits_inside_a_call_to_no_client_crash) {
  TrioWorld w;
  RunRecord r;
  ClientCall wrapped = make_call(Pid{9}, "get", "a", 0, 3, 0, 8, Term());
  wrapped.exited = true;
  wrapped.exit_reason = sim::tuple(sa::badarg(), sim::tuple(Atom("Elixir.GenServer"), Atom("call"), Term(Pid{11})));
  r.calls.push_back(wrapped);
  EXPECT_FALSE(judge("missing_table_is_a_miss", w, sim::Outcome::quiescent, &r));
  EXPECT_TRUE(judge("no_client_crash", w, sim::Outcome::quiescent, &r));
  ClientCall bare = make_call(Pid{10}, "get", "b", 0, 4, 0, 6, Term());
  bare.exited = true;
  bare.exit_reason = Term(sa::badarg());
  r.calls.push_back(bare);
  auto v = judge("missing_table_is_a_miss", w, sim::Outcome::quiescent, &r);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->step, 6u);
  EXPECT_NE(v->message.find("get \"b\" by <0.10.0>"), std::string::npos) << v->message;
}

// ---------------------------------------------------------------------------
// no_expired_token

Term get_twice_across_expiry(TrioWorld& w, sim::Outcome& outcome) {
  Term second;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "my-app");
    co_await ctx.sleep(11 * s);
    second = co_await w.call(ctx, "d", "get", "my-app");
  });
  outcome = result.outcome;
  return second;
}

TrioConfig short_ttl(TrioConfig c) {
  c.knobs.ttl_s = 10;
  c.knobs.soft_refresh_lead_s = 0;
  return c;
}

TEST(Properties, no_expired_token_holds_when_an_expired_row_is_reacquired) {
  TrioWorld w(short_ttl(TrioConfig()));
  sim::Outcome outcome;
  EXPECT_EQ(get_twice_across_expiry(w, outcome), ok("cli-my-app-2"));
  EXPECT_FALSE(judge("no_expired_token", w, outcome)) << text(judge("no_expired_token", w, outcome));
}

TEST(Properties, no_expired_token_reports_cache_ignores_expiry) {
  TrioWorld w(short_ttl(with(Mutant::cache_ignores_expiry)));
  sim::Outcome outcome;
  EXPECT_EQ(get_twice_across_expiry(w, outcome), ok("cli-my-app-1"));
  auto v = judge("no_expired_token", w, outcome);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->at_us, 11 * s);
  EXPECT_NE(v->message.find("\"cli-my-app-1\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("expired at 10 s"), std::string::npos) << v->message;
}

// A get returns a token cached until 100 s, at 50 s of simulated time; a
// clock jump of +60 s at 40 s makes that 110 s of system time.
TEST(Properties, no_expired_token_reads_the_clock_as_it_was_at_the_return) {
  TrioWorld w;
  RunRecord r;
  r.events.emplace_back(Pid{5}, 0, 2, sim::tuple(Atom("cached"), Term::string("a"), Term::string("t"), 100));
  r.calls.push_back(make_call(Pid{9}, "get", "a", 50 * s, 10, 50 * s, 11, ok("t")));
  {
    PropertyContext ctx(r, w.trio, w.kernel, sim::Outcome::stopped);
    EXPECT_FALSE(find_property("no_expired_token")->check(ctx));  // offset 0 throughout
    ctx.clock_offsets = {{0, 0}, {40 * s, 60 * s}};
    auto v = find_property("no_expired_token")->check(ctx);
    ASSERT_TRUE(v);
    EXPECT_NE(v->message.find("system time 110 s"), std::string::npos) << v->message;
  }
  // Without a history, the clock is rebuilt from the injector's clock_jump
  // FaultEvents: +60 s at 40 s, ...
  FaultEvent jumped;
  jumped.action = "clock_jump";
  jumped.applied = true;
  jumped.at_us = 40 * s;
  jumped.step = 8;
  jumped.clock_jump_us = 60 * s;
  jumped.clock_offset_after_us = 60 * s;
  r.faults.push_back(jumped);
  EXPECT_TRUE(judge("no_expired_token", w, sim::Outcome::stopped, &r));
  // ... healed at 45 s: back to 0 by the return.
  r.faults.back().heals_at_us = 45 * s;
  EXPECT_FALSE(judge("no_expired_token", w, sim::Outcome::stopped, &r));
}

// A finding on the reference model: the chain reads the clock before a slow
// storage read, so a stored token that expires during the read is returned
// expired. Stored until 8 s, read at 7.9 s with 0.1 s of latency.
TEST(Properties, no_expired_token_reports_a_stored_token_that_expires_during_a_slow_read) {
  TrioWorld w;
  w.env.memory_storage.put("a", StorageKey::cached, StorageRecord("stored", 8));
  w.env.memory_storage.faults.get_latency_us = s / 10;
  Term reply;
  Micros returned_at = 0;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(7'900'000);
    reply = co_await w.call(ctx, "d", "get", "a");
    returned_at = ctx.now_us();
  });
  auto v = judge("no_expired_token", w, result.outcome);
  // Whatever the chain does about it, the verdict follows what was returned.
  const bool expired = reply == ok("stored") && w.env.system_time_s(returned_at) >= 8;
  EXPECT_EQ(v.has_value(), expired) << reply << " at " << returned_at << ": " << text(v);
  if (v) {
    EXPECT_NE(v->message.find("expired at 8 s"), std::string::npos) << v->message;
  }
}

// ---------------------------------------------------------------------------
// cli_coalesced

/// Ten concurrent cold gets, a slow CLI and a slow persist.
sim::Outcome herd(TrioWorld& w) {
  w.env.sim_cli.behaviour.latency_us = 1 * s;
  w.env.memory_storage.faults.put_latency_us = s / 2;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    for (int i = 0; i < 10; ++i) (void)co_await spawn_client(ctx, &w, "herd", "get", "my-app", "");
    co_await await_downs(ctx, 10);
  });
  EXPECT_TRUE(w.driver_done);
  return result.outcome;
}

TEST(Properties, cli_coalesced_holds_for_a_herd_of_cold_gets) {
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    const sim::Outcome outcome = herd(w);
    EXPECT_EQ(w.env.sim_cli.runs, 1u);
    EXPECT_FALSE(judge("cli_coalesced", w, outcome)) << text(judge("cli_coalesced", w, outcome));
  }
}

TEST(Properties, cli_coalesced_reports_no_mailbox_recheck) {
  TrioWorld w(with(Mutant::no_mailbox_recheck));
  const sim::Outcome outcome = herd(w);
  EXPECT_GE(w.env.sim_cli.runs, 2u);
  auto v = judge("cli_coalesced", w, outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("CLI run for \"my-app\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("\"cli-my-app-1\""), std::string::npos) << v->message;
}

// The ETSOwner's death empties the table: a CLI run after it is no repeat.
TEST(Properties, cli_coalesced_forgets_every_row_when_the_ets_owner_dies) {
  TrioWorld w;
  w.env.memory_storage.faults.put_latency_us = s / 2;  // the persist dies with the TaskSupervisor
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
    co_await kill_fault(ctx, &w, "ets_owner", owner);
    co_await settle(ctx);
    (void)co_await w.call(ctx, "d", "get", "a");
  });
  EXPECT_EQ(w.env.sim_cli.runs, 2u);
  EXPECT_FALSE(judge("cli_coalesced", w, result.outcome)) << text(judge("cli_coalesced", w, result.outcome));
}

// ---------------------------------------------------------------------------
// refresh_atomic

std::optional<Violation> refresh_among_gets(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "my-app");  // cached and stored
    (void)co_await spawn_client(ctx, &w, "r", "refresh", "my-app", "");
    (void)co_await spawn_client(ctx, &w, "g1", "get", "my-app", "");
    (void)co_await spawn_client(ctx, &w, "g2", "get", "my-app", "");
    co_await await_downs(ctx, 3);
  });
  EXPECT_TRUE(w.driver_done);
  return judge("refresh_atomic", w, result.outcome);
}

TEST(Properties, refresh_atomic_holds_on_the_reference) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    EXPECT_FALSE(refresh_among_gets(TrioConfig(), seed)) << "seed " << seed;
  }
}

TEST(Properties, refresh_atomic_reports_refresh_not_atomic) {
  std::optional<Violation> v;
  for (std::uint64_t seed = 0; seed < 200 && !v; ++seed) v = refresh_among_gets(with(Mutant::refresh_not_atomic), seed);
  ASSERT_TRUE(v) << "no seed slipped a get between invalidate and acquire";
  EXPECT_NE(v->message.find("refresh of \"my-app\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("source ets"), std::string::npos) << v->message;
}

// ---------------------------------------------------------------------------
// resolve_agrees

class ColdPair {
 public:
  std::optional<Violation> verdict;
  std::size_t already_started = 0;  // the race happened (reference: resolved through it)
};

ColdPair two_cold_gets(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await spawn_client(ctx, &w, "c1", "get", "my-app", "");
    (void)co_await spawn_client(ctx, &w, "c2", "get", "my-app", "");
    co_await await_downs(ctx, 2);
  });
  EXPECT_TRUE(w.driver_done);
  ColdPair out;
  out.verdict = judge("resolve_agrees", w, result.outcome);
  out.already_started = w.record.tagged("already_started").size();
  return out;
}

TEST(Properties, resolve_agrees_holds_through_the_already_started_race) {
  std::size_t races = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    ColdPair p = two_cold_gets(TrioConfig(), seed);
    EXPECT_FALSE(p.verdict) << "seed " << seed << ": " << text(p.verdict);
    races += p.already_started;
  }
  EXPECT_GT(races, 0u);
}

TEST(Properties, resolve_agrees_reports_no_already_started_branch) {
  std::optional<Violation> v;
  for (std::uint64_t seed = 0; seed < 50 && !v; ++seed) {
    v = two_cold_gets(with(Mutant::no_already_started_branch), seed).verdict;
  }
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("{error,{already_started,"), std::string::npos) << v->message;
}

// Two overlapping gets resolved to two different AppServers, both alive.
TEST(Properties, resolve_agrees_reports_concurrent_resolvers_handed_different_live_servers) {
  TrioWorld w;
  RunRecord r;
  r.processes.push_back(make_life(Pid{5}, Pid{4}, "app:a", 1, -1, 0, Term()));
  r.processes.push_back(make_life(Pid{6}, Pid{4}, "app:a", 2, -1, 0, Term()));
  r.calls.push_back(make_call(Pid{8}, "get", "a", 0, 3, 0, 20, ok("t")));
  r.calls.push_back(make_call(Pid{9}, "get", "a", 0, 4, 0, 21, ok("t")));
  r.events.emplace_back(Pid{8}, 0, 10, sim::tuple(Atom("resolved"), Term::string("a"), Pid{5}));
  r.events.emplace_back(Pid{9}, 0, 12, sim::tuple(Atom("resolved"), Term::string("a"), Pid{6}));
  auto v = judge("resolve_agrees", w, sim::Outcome::stopped, &r);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->step, 12u);
  EXPECT_NE(v->message.find("<0.8.0> got <0.5.0>"), std::string::npos) << v->message;
  // The first server died before the second resolve: a new one is expected.
  r.processes[0].exited_us = 0;
  r.processes[0].exited_step = 11;
  EXPECT_FALSE(judge("resolve_agrees", w, sim::Outcome::stopped, &r));
}

// ---------------------------------------------------------------------------
// one_live_app_server_per_app

TEST(Properties, one_live_app_server_per_app_holds_across_an_app_server_restart) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    Pid server = co_await whereis_app_server(ctx, &w.trio, "a");
    co_await kill_fault(ctx, &w, "app:a", server);
    co_await settle(ctx);
    (void)co_await w.call(ctx, "d", "refresh", "a");
  });
  EXPECT_EQ(w.spawned("app:a").size(), 2u);
  EXPECT_FALSE(judge("one_live_app_server_per_app", w, result.outcome));
}

TEST(Properties, one_live_app_server_per_app_reports_overlapping_servers) {
  TrioWorld w;
  RunRecord r;
  r.processes.push_back(make_life(Pid{5}, Pid{4}, "app:a", 1, 0, 30, Term(sa::killed())));
  r.processes.push_back(make_life(Pid{6}, Pid{4}, "app:a", 2, -1, 0, Term()));
  r.events.emplace_back(Pid{5}, 0, 3, sim::tuple(Atom("app_server_up"), Term::string("a")));
  r.events.emplace_back(Pid{6}, 0, 7, sim::tuple(Atom("app_server_up"), Term::string("a")));
  auto v = judge("one_live_app_server_per_app", w, sim::Outcome::stopped, &r);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->step, 7u);
  EXPECT_NE(v->message.find("<0.5.0> up since"), std::string::npos) << v->message;
  r.processes[0].exited_step = 6;  // the first was gone by then
  EXPECT_FALSE(judge("one_live_app_server_per_app", w, sim::Outcome::stopped, &r));
}

// ---------------------------------------------------------------------------
// manual_token_durable

TEST(Properties, manual_token_durable_holds_for_synchronous_writes) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "set_manual", "a", "m1");
    (void)co_await w.call(ctx, "d", "set_manual", "a", "m2");  // a later ack replaces m1
  });
  EXPECT_FALSE(judge("manual_token_durable", w, result.outcome));
  // A failed write is reported to the caller, so nothing was promised.
  TrioWorld failing;
  failing.env.memory_storage.faults.fail_put = true;
  Term reply;
  auto r2 = failing.run([&](Ctx ctx) -> Task<> { reply = co_await failing.call(ctx, "d", "set_manual", "a", "m"); });
  EXPECT_TRUE(reply.is_tagged(sa::error(), 2));
  EXPECT_FALSE(judge("manual_token_durable", failing, r2.outcome));
}

TEST(Properties, manual_token_durable_reports_async_set_manual) {
  TrioWorld w(with(Mutant::async_set_manual));
  w.env.memory_storage.faults.fail_put = true;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "set_manual", "a", "m");
    co_await settle(ctx);
  });
  auto v = judge("manual_token_durable", w, result.outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("set_manual \"a\" \"m\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("is absent"), std::string::npos) << v->message;
}

TEST(Properties, manual_token_durable_excuses_a_node_restart_of_a_volatile_store) {
  for (bool recorded : {true, false}) {
    TrioWorld w;
    w.env.memory_storage.durable = false;
    auto result = w.run([&](Ctx ctx) -> Task<> {
      (void)co_await w.call(ctx, "d", "set_manual", "a", "m");
      if (recorded) note_fault(w, ctx, "node", "node_restart", Pid{});
      w.env.memory_storage.node_restart();
    });
    EXPECT_EQ(judge("manual_token_durable", w, result.outcome).has_value(), !recorded);
  }
}

// ---------------------------------------------------------------------------
// restart_intensity

/// Kills app a's AppServer `n` times (each recorded as a fault), one ms apart.
sim::Outcome kill_app_server(TrioWorld& w, int n) {
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "get", "b");
    for (int i = 0; i < n; ++i) {
      Pid server = co_await whereis_app_server(ctx, &w.trio, "a");
      if (!server) {
        (void)co_await w.call(ctx, "d", "get", "a");
        server = co_await whereis_app_server(ctx, &w.trio, "a");
      }
      co_await kill_fault(ctx, &w, "app:a", server);
      co_await settle(ctx);
    }
    co_await settle(ctx);
  });
  EXPECT_TRUE(w.driver_done);
  return result.outcome;
}

TEST(Properties, restart_intensity_holds_at_twenty_and_at_twenty_one_restarts_in_a_minute) {
  for (int n : {20, 21}) {
    TrioWorld w;
    const sim::Outcome outcome = kill_app_server(w, n);
    EXPECT_EQ(w.spawned("dyn_sup").size(), n == 20 ? 1u : 2u) << n;
    EXPECT_FALSE(judge("restart_intensity", w, outcome)) << n << ": " << text(judge("restart_intensity", w, outcome));
    // restart_scope leaves the give-up to restart_intensity.
    EXPECT_FALSE(judge("restart_scope", w, outcome)) << n << ": " << text(judge("restart_scope", w, outcome));
  }
}

TEST(Properties, restart_intensity_holds_when_the_top_gives_up) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    for (int i = 0; i < 4; ++i) {
      Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
      if (!owner) break;
      co_await kill_fault(ctx, &w, "ets_owner", owner);
      co_await settle(ctx);
    }
  });
  ASSERT_EQ(w.record.lives("tokens_sup").size(), 1u);
  EXPECT_FALSE(w.record.lives("tokens_sup")[0]->alive());  // 4 restarts in 5 s
  EXPECT_FALSE(judge("restart_intensity", w, result.outcome)) << text(judge("restart_intensity", w, result.outcome));
  // The four kills alone exceed the top's intensity: its give-up is in scope.
  EXPECT_FALSE(judge("restart_scope", w, result.outcome)) << text(judge("restart_scope", w, result.outcome));
}

TEST(Properties, restart_intensity_reports_a_dynamic_supervisor_that_does_not_give_up) {
  TrioWorld w;
  const sim::Outcome outcome = kill_app_server(w, 21);
  // Edit the record: the first DynamicSupervisor outlives its 21st restart.
  RunRecord edited = w.record;
  for (ProcessLife& l : edited.processes) {
    if (l.pid == w.spawned("dyn_sup")[0]) l.exited_us = -1;
  }
  auto v = judge("restart_intensity", w, outcome, &edited);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("(dyn_sup) did not give up: 21 restarts within 60 s"), std::string::npos) << v->message;
}

TEST(Properties, restart_intensity_reports_a_dynamic_supervisor_that_gives_up_too_soon) {
  TrioWorld w;
  const sim::Outcome outcome = kill_app_server(w, 3);
  // Edit the record: the DynamicSupervisor exits shutdown with the third restart.
  RunRecord edited = w.record;
  const ProcessLife* third = nullptr;
  for (const ProcessLife* l : edited.lives("app:a")) {
    if (!l->alive() && l->exit_reason == Term(sa::killed())) third = l;
  }
  ASSERT_NE(third, nullptr);
  for (ProcessLife& l : edited.processes) {
    if (l.pid == w.spawned("dyn_sup")[0]) {
      l.exited_us = third->exited_us;
      l.exited_step = third->exited_step + 1;
      l.exit_reason = Term(sa::shutdown());
    }
  }
  auto v = judge("restart_intensity", w, outcome, &edited);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("gave up (exit shutdown"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("after only 3 restarts"), std::string::npos) << v->message;
}

// Failed restarts count, as supervisor.erl counts them (restart/2 runs
// again for every retry of a start that failed). Two races under async
// delivery make them; a strategy that holds some signals back (a schedule
// the BEAM allows: nothing bounds a signal's delay) makes each happen on
// purpose: it picks the first enabled step that is not held back.
class HoldBack final : public sim::Strategy {
 public:
  explicit HoldBack(std::function<bool(const sim::StepInfo&)> held_) : held(std::move(held_)) {}
  std::string_view name() const override { return "hold_back"; }
  std::size_t pick(const sim::SchedulePoint& point) override {
    for (std::size_t i = 0; i < point.size(); ++i) {
      if (!held(point.step(i))) return i;
    }
    return 0;
  }
  std::uint64_t choose(std::uint64_t) override { return 0; }
  std::function<bool(const sim::StepInfo&)> held;
};

/// A Registry kill whose old partition (trapping exits, still registered
/// under its name) does not run until the top has given up: every restart
/// of the Registry fails with {already_started, OldPartition}, and the top
/// counts the kill and three retries (4 in 5 s > 3). The failed Registries
/// die after the top (their deaths are steps of their own, held back too).
TEST(Properties, restart_intensity_counts_the_failed_restarts_of_a_registry_whose_partition_lingers) {
  Pid partition, registry;
  const TrioWorld* world = nullptr;
  auto held = [&](const sim::StepInfo& step) {
    if (!partition) return false;
    if (step.pid == partition || (step.effect == sim::EffectKind::arrive && step.object.id == partition.id)) {
      return true;
    }
    if (step.effect != sim::EffectKind::die || step.pid == registry) return false;
    for (const auto& [pid, label] : world->spawns) {
      if (pid == step.pid) return label == world->trio.names().registry.text();
    }
    return false;
  };
  TrioWorld w(TrioConfig(), std::make_unique<HoldBack>(held));
  world = &w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "get", "b");
    co_await ctx.sleep(1'000'000);
    partition = co_await ctx.whereis(otp::registry::partition_name(w.trio.names().registry));
    registry = co_await ctx.whereis(w.trio.names().registry);
    co_await kill_fault(ctx, &w, "registry", registry);
    co_await settle(ctx);
  });
  ASSERT_TRUE(w.driver_done);
  const sim::Outcome outcome = result.outcome;
  ASSERT_EQ(w.record.lives("tokens_sup").size(), 1u);
  const ProcessLife& top = *w.record.lives("tokens_sup")[0];
  ASSERT_FALSE(top.alive());
  EXPECT_EQ(top.exit_reason, Term(sa::shutdown()));
  EXPECT_EQ(top.exited_us, w.record.faults.at(0).at_us);  // gave up at the kill's instant
  std::size_t retries = 0;
  for (const RestartRetry& r : w.record.retries) retries += r.sup == top.pid ? 1 : 0;
  EXPECT_EQ(retries, 3u);
  std::size_t failed = 0;
  for (const ProcessLife* l : w.record.lives(std::string(w.trio.names().registry.text()))) {
    if (l->exit_reason.is_tagged(sa::shutdown(), 2)) ++failed;
  }
  EXPECT_EQ(failed, 3u);
  for (const ProcessLife* l : w.record.lives(std::string(w.trio.names().registry.text()))) {
    if (l->pid != registry) EXPECT_GT(l->exited_step, top.exited_step);
  }
  // 1 kill + 3 retries in one second: the top had to give up.
  auto intensity = judge("restart_intensity", w, outcome);
  EXPECT_FALSE(intensity) << text(intensity);
  // But the fault alone (one kill, intensity 3) does not explain it.
  auto v = judge("restart_scope", w, outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("(tokens_sup) gave up (exit shutdown at 1"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("after kill 'kill registry'"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("the faults alone count 1 restart within 5 s, not over its intensity 3"),
            std::string::npos)
      << v->message;
  EXPECT_NE(v->message.find("3 failed restarts of 'Elixir.ExAtlas.Fly.Tokens.Registry'"), std::string::npos)
      << v->message;
  EXPECT_NE(v->message.find("{failed_to_start_child,'Elixir.ExAtlas.Fly.Tokens.Registry.PIDPartition0',"
                            "{already_started,"),
            std::string::npos)
      << v->message;
}

/// An AppServer kill whose EXIT reaches the DynamicSupervisor only after a
/// client had it start a new AppServer of the same app: every restart of
/// the old one fails with {already_started, New} (gen's name check, so no
/// process is spawned), and the DynamicSupervisor counts the kill and 20
/// retries (21 in 60 s > 20).
TEST(Properties, restart_intensity_counts_the_failed_restarts_of_an_app_server_whose_name_a_client_took) {
  Pid old_server, dyn_sup;
  auto held = [&old_server, &dyn_sup](const sim::StepInfo& step) {
    return old_server && step.effect == sim::EffectKind::arrive && step.from == old_server &&
           step.object.id == dyn_sup.id;
  };
  TrioWorld w(TrioConfig(), std::make_unique<HoldBack>(held));
  Term started;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "get", "b");
    co_await ctx.sleep(1'000'000);
    dyn_sup = co_await ctx.whereis(w.trio.names().dyn_sup);
    old_server = co_await whereis_app_server(ctx, &w.trio, "a");
    auto mref = co_await ctx.monitor(old_server);
    co_await kill_fault(ctx, &w, "app:a", old_server);
    (void)co_await ctx.receive([mref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(mref); });
    // As resolve_app_server does once the registry forgot the dead server.
    started = co_await otp::dynamic_supervisor::start_child(
        ctx, otp::ServerRef(otp::ServerName::local(w.trio.names().dyn_sup)), app_server::child_spec(&w.trio, "a"));
    co_await settle(ctx);
  });
  ASSERT_TRUE(w.driver_done);
  ASSERT_TRUE(started.is_tagged(sa::ok(), 2)) << started.to_string();
  ASSERT_EQ(w.record.lives("dyn_sup").size(), 2u);
  const ProcessLife& first = *w.record.lives("dyn_sup")[0];
  ASSERT_FALSE(first.alive());
  EXPECT_EQ(first.exit_reason, Term(sa::shutdown()));
  std::size_t retries = 0;
  for (const RestartRetry& r : w.record.retries) retries += r.sup == first.pid ? 1 : 0;
  EXPECT_EQ(retries, 20u);
  auto intensity = judge("restart_intensity", w, result.outcome);
  EXPECT_FALSE(intensity) << text(intensity);
  auto v = judge("restart_scope", w, result.outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("(dyn_sup) gave up (exit shutdown at 1"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("after kill 'kill app:a'"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("the faults alone count 1 restart within 60 s, not over its intensity 20"),
            std::string::npos)
      << v->message;
  EXPECT_NE(v->message.find("20 failed restarts of " + Term(old_server).to_string() + " (app:a), no process spawned: " +
                            Term(started[1]).to_string() + " (app:a) held its name"),
            std::string::npos)
      << v->message;
}

// ---------------------------------------------------------------------------
// restart_scope

/// Caches a and b, kills the process registered as `victim` (or a's
/// AppServer), lets the tree restart, then gets b.
sim::Outcome kill_and_get(TrioWorld& w, std::string target) {
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "get", "b");
    Pid victim;
    if (target == "app:a") {
      victim = co_await whereis_app_server(ctx, &w.trio, "a");
    } else {
      const Names& n = w.trio.names();
      Atom name = n.dyn_sup;
      if (target == "registry") name = n.registry;
      if (target == "ets_owner") name = n.ets_owner;
      if (target == "task_sup") name = n.task_sup;
      victim = co_await ctx.whereis(name);
    }
    co_await kill_fault(ctx, &w, target, victim);
    co_await settle(ctx);
    (void)co_await w.call(ctx, "d", "get", "b");
  });
  EXPECT_TRUE(w.driver_done);
  return result.outcome;
}

TEST(Properties, restart_scope_holds_for_every_child_of_the_reference_tree) {
  for (const char* target : {"registry", "ets_owner", "task_sup", "dyn_sup", "app:a"}) {
    TrioWorld w;
    const sim::Outcome outcome = kill_and_get(w, target);
    EXPECT_FALSE(judge("restart_scope", w, outcome)) << target << ": " << text(judge("restart_scope", w, outcome));
  }
}

TEST(Properties, restart_scope_reports_top_one_for_one) {
  TrioWorld w(with(Mutant::top_one_for_one));
  const sim::Outcome outcome = kill_and_get(w, "ets_owner");
  auto v = judge("restart_scope", w, outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("kept its pid, but it is in the blast radius"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("kill 'kill ets_owner'"), std::string::npos) << v->message;
}

// A crash_on_next_message is judged at the instant its victim died.
TEST(Properties, restart_scope_judges_a_crash_on_next_message_where_the_victim_died) {
  TrioWorld w(with(Mutant::top_one_for_one));
  const sim::Outcome outcome = kill_and_get(w, "ets_owner");
  RunRecord edited = w.record;
  FaultEvent& f = edited.faults.at(0);
  f.action = "crash_on_next_message";
  f.at_us = 0;
  f.step = 1;  // armed long before
  auto v = judge("restart_scope", w, outcome, &edited);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("after crash 'kill ets_owner'"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("kept its pid, but it is in the blast radius"), std::string::npos) << v->message;
  TrioWorld ref;
  const sim::Outcome ref_outcome = kill_and_get(ref, "ets_owner");
  edited = ref.record;
  edited.faults.at(0).action = "crash_on_next_message";
  edited.faults.at(0).step = 1;
  auto verdict = judge("restart_scope", ref, ref_outcome, &edited);
  EXPECT_FALSE(verdict) << text(verdict);
}

TEST(Properties, restart_scope_reports_the_rows_lost_with_ets_owned_by_app_server) {
  TrioWorld w(with(Mutant::ets_owned_by_app_server));
  const sim::Outcome outcome = kill_and_get(w, "app:a");
  auto v = judge("restart_scope", w, outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("the row of \"b\""), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("served from storage/app_server"), std::string::npos) << v->message;
}

TEST(Properties, restart_scope_reports_a_sibling_that_died_with_an_app_server) {
  TrioWorld w;
  const sim::Outcome outcome = kill_and_get(w, "app:a");
  // Edit the record: b's AppServer exits at the instant a's was killed.
  RunRecord edited = w.record;
  const FaultEvent& f = edited.faults.at(0);
  for (ProcessLife& l : edited.processes) {
    if (l.label == "app:b") {
      l.exited_us = f.at_us;
      l.exited_step = f.step + 3;
      l.exit_reason = Term(sa::killed());
    }
  }
  auto v = judge("restart_scope", w, outcome, &edited);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("(app:b) exited killed"), std::string::npos) << v->message;
  EXPECT_NE(v->message.find("outside the blast radius"), std::string::npos) << v->message;
}

// ---------------------------------------------------------------------------
// liveness

TEST(Properties, liveness_holds_once_the_faults_are_over) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.call(ctx, "d", "get", "a");
    Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
    co_await kill_fault(ctx, &w, "ets_owner", owner);
    co_await ctx.sleep(40 * s);
    (void)co_await w.call(ctx, "d", "get", "a");
    (void)co_await w.call(ctx, "d", "get", "b");
  });
  EXPECT_EQ(w.record.calls.size(), 3u);
  EXPECT_FALSE(judge("liveness", w, result.outcome)) << text(judge("liveness", w, result.outcome));
}

// A CLI that hangs with no fault on record: the get times out to
// no_token_available although the environment (as the run leaves it) works.
TEST(Properties, liveness_reports_a_get_that_fails_with_no_fault_on_record) {
  TrioWorld w;
  auto result = w.run([&](Ctx ctx) -> Task<> {
    w.env.sim_cli.behaviour.hang = true;
    (void)co_await w.call(ctx, "d", "get", "a");
    w.env.sim_cli.behaviour.hang = false;
  });
  auto v = judge("liveness", w, result.outcome);
  ASSERT_TRUE(v);
  EXPECT_NE(v->message.find("returned {error,no_token_available} after 15s"), std::string::npos) << v->message;
  // Had a fault been recorded, that get would have been inside the faults' window.
  w.record.faults.push_back(FaultEvent());
  w.record.faults.back().applied = true;
  w.record.faults.back().action = "cli_hang";
  EXPECT_FALSE(judge("liveness", w, result.outcome));
  // The window is counted from when the fault healed, if it did.
  w.record.faults.back().at_us = -40 * s;
  EXPECT_TRUE(judge("liveness", w, result.outcome));
  w.record.faults.back().heals_at_us = 0;
  EXPECT_FALSE(judge("liveness", w, result.outcome));
}

TEST(Properties, liveness_is_vacuous_without_a_working_cli_or_a_manual_token) {
  TrioWorld w;
  w.env.sim_cli.behaviour.missing = true;
  Term reply;
  auto result = w.run([&](Ctx ctx) -> Task<> { reply = co_await w.call(ctx, "d", "get", "a"); });
  EXPECT_EQ(reply.to_string(), "{error,no_token_available}");
  EXPECT_FALSE(judge("liveness", w, result.outcome));
}


// -- checked time (issue 12) --

// clock_offset_s at the parser's limit: the system time two seconds in is
// past int64. It saturates, so a token that expired at 5 s is expired; a
// wrapped clock read it as long before its expiry (-9223372036854 s).
TEST(Properties, no_expired_token_reads_a_clock_past_int64_as_the_end_of_time) {
  TrioWorld w;
  RunRecord r;
  r.events.emplace_back(Pid{5}, 0, 2, sim::tuple(Atom("cached"), Term::string("a"), Term::string("t"), 5));
  r.calls.push_back(make_call(Pid{9}, "get", "a", 2 * s, 10, 2 * s, 11, ok("t")));
  PropertyContext ctx(r, w.trio, w.kernel, sim::Outcome::stopped);
  ctx.clock_offsets = {{0, 9'223'372'036'854 * s}};
  EXPECT_TRUE(find_property("no_expired_token")->check(ctx));
}

// liveness_bound_ms at the parser's limit: healed + bound is past int64 and
// saturates, so no get is judged; wrapped, it judged every get.
TEST(Properties, liveness_with_the_largest_bound_judges_no_get) {
  TrioWorld w;
  RunRecord r;
  FaultEvent f;
  f.action = "cli_fail";
  f.applied = true;
  f.at_us = 1 * s;
  r.faults.push_back(f);
  r.calls.push_back(make_call(Pid{9}, "get", "a", 2 * s, 10, 2 * s, 11,
                              sim::tuple(sa::error(), Atom("no_token_available"))));
  PropertyContext ctx(r, w.trio, w.kernel, sim::Outcome::stopped);
  ctx.liveness_bound_us = 30 * s;
  EXPECT_FALSE(find_property("liveness")->check(ctx));  // 2 s is inside the 30 s after the fault
  ctx.liveness_bound_us = std::numeric_limits<std::int64_t>::max() / 1000 * 1000;
  EXPECT_FALSE(find_property("liveness")->check(ctx));
}

}  // namespace
}  // namespace otpsim::core::tokens
