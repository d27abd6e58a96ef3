// Each mutant (config.hpp, docs/mutants.md) changes behaviour: every case
// runs one scenario twice, on the reference and with one mutant enabled, and
// asserts the reference behaviour (reference/exatlas-tokens.md) on the first
// and the planted deviation on the second. Where the bug needs a particular
// interleaving the scenario runs over seeds 0..kSeeds-1: the reference never
// shows the bug on any seed, the mutant shows it on at least one. A mutant
// only branches where it plants its bug, so up to that point a seed runs the
// same interleaving with the mutant on and off.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/tokens/app_server.hpp"
#include "core/tokens/testing.hpp"

namespace otpsim::core::tokens {
namespace {

using sim::Atom;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

constexpr sim::Micros s = 1'000'000;
constexpr std::uint64_t kSeeds = 200;

TrioConfig reference() { return TrioConfig(); }
TrioConfig with(Mutant m) {
  TrioConfig c;
  c.mutants.enable(m);
  return c;
}

Term ok(const std::string& token) { return sim::tuple(sa::ok(), Term::string(token)); }

/// The source of a telemetry stop event (ets, storage, cli, ...).
std::string source_of(const Term& stop) { return stop[4].to_string(); }
/// "source/acquirer" of a telemetry stop event.
std::string how(const Term& stop) { return stop[4].to_string() + "/" + stop[5].to_string(); }

// ---------------------------------------------------------------------------
// Client processes: spawned (and monitored) by the driver, each runs one
// facade call and records its result; the driver collects their DOWNs.

enum class Op : std::uint8_t { get, refresh };

class Client {
 public:
  Client() = default;
  Pid pid;
  Term result;            // what the facade call returned
  bool returned = false;  // false: the client exited inside the call
  Term down;              // its exit reason
  bool down_seen = false;
};

Task<> spawn_client(Ctx ctx, TrioWorld* w, Op op, const char* app, Client* out) {
  auto body = [w, op, app, out](Ctx c) -> Proc {
    if (op == Op::get) {
      out->result = co_await w->get(c, app);
    } else {
      out->result = co_await w->refresh(c, app);
    }
    out->returned = true;
  };
  auto [pid, ref] = co_await ctx.spawn_monitor(body);
  (void)ref;
  out->pid = pid;
}

/// Waits for the DOWN of every client (they run concurrently with each other).
Task<> await_clients(Ctx ctx, std::vector<Client>* clients) {
  auto is_down = [](const Term& m) { return m.is_tagged(sa::down_tag(), 5); };
  std::size_t pending = 0;
  for (const Client& c : *clients) pending += c.down_seen ? 0 : 1;
  while (pending > 0) {
    auto m = co_await ctx.receive(is_down);
    for (Client& c : *clients) {
      if (!c.down_seen && Term(c.pid) == (*m)[3]) {
        c.down = (*m)[4];
        c.down_seen = true;
        --pending;
      }
    }
  }
}

/// Lets every step enabled now run (restarts included): simulated time only
/// moves once nothing else can run.
Task<> settle(Ctx ctx) { co_await ctx.sleep(1000); }

// ---------------------------------------------------------------------------
// no_already_started_branch: two clients get a cold app at once. When both
// miss the registry, the second start_child finds the name taken:
// {error, {already_started, P}}, which resolve_app_server must turn into P.

class ColdRace {
 public:
  std::vector<Client> clients = std::vector<Client>(2);
  Pid server;  // the one AppServer
};

ColdRace two_cold_gets(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  ColdRace out;
  w.run([&](Ctx ctx) -> Task<> {
    for (Client& c : out.clients) co_await spawn_client(ctx, &w, Op::get, "my-app", &c);
    co_await await_clients(ctx, &out.clients);
  });
  EXPECT_TRUE(w.driver_done) << "seed " << seed;
  EXPECT_EQ(w.spawned("app:my-app").size(), 1u) << "seed " << seed;
  if (!w.spawned("app:my-app").empty()) out.server = w.spawned("app:my-app")[0];
  return out;
}

TEST(Mutants, no_already_started_branch_surfaces_the_start_race_to_a_client) {
  int mutant_hits = 0;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    ColdRace ref = two_cold_gets(reference(), seed);
    for (const Client& c : ref.clients) {
      EXPECT_TRUE(c.returned) << "seed " << seed;
      EXPECT_EQ(c.result, ok("cli-my-app-1")) << "seed " << seed;  // both get the one token
    }
    ColdRace mut = two_cold_gets(with(Mutant::no_already_started_branch), seed);
    const Term race = sim::tuple(sa::error(), sim::tuple(Atom("already_started"), mut.server));
    int errors = 0;
    for (const Client& c : mut.clients) {
      EXPECT_TRUE(c.returned) << "seed " << seed;  // returned as a result, not a crash
      if (c.result == race) {
        ++errors;
      } else {
        EXPECT_EQ(c.result, ok("cli-my-app-1")) << "seed " << seed;
      }
    }
    EXPECT_LE(errors, 1) << "seed " << seed;  // the first starter always wins
    mutant_hits += errors;
  }
  EXPECT_GT(mutant_hits, 0) << "no seed in 0.." << kSeeds << " raced the two cold starts";
}

// ---------------------------------------------------------------------------
// top_one_for_one: an ETSOwner crash must take the TaskSupervisor and the
// DynamicSupervisor (so every AppServer) down with it (rest_for_one).

class OwnerCrash {
 public:
  Pid server_before, dyn_sup_before, dyn_sup_after;
  bool server_alive_after = false;
  bool table_replaced = false;
  bool row_after = true;
  Term second;
  std::string second_how;
  std::size_t servers_started = 0;
};

OwnerCrash kill_ets_owner(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  OwnerCrash out;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    out.server_before = co_await whereis_app_server(ctx, &w.trio, "my-app");
    out.dyn_sup_before = co_await ctx.whereis(w.trio.names().dyn_sup);
    const std::optional<sim::TableId> table_before = w.table();
    Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
    co_await ctx.exit(owner, Term(sa::kill()));
    co_await settle(ctx);
    out.server_alive_after = co_await ctx.is_alive(out.server_before);
    out.dyn_sup_after = co_await ctx.whereis(w.trio.names().dyn_sup);
    out.table_replaced = w.table().has_value() && w.table() != table_before;
    out.row_after = w.cache_row("my-app").has_value();
    out.second = co_await w.get(ctx, "my-app");
  });
  EXPECT_TRUE(w.driver_done);
  if (w.stops().size() == 2) out.second_how = how(w.stops()[1]);
  out.servers_started = w.spawned("app:my-app").size();
  return out;
}

TEST(Mutants, top_one_for_one_keeps_app_servers_across_an_ets_owner_crash) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE(seed);
    OwnerCrash ref = kill_ets_owner(reference(), seed);
    EXPECT_TRUE(ref.table_replaced);
    EXPECT_FALSE(ref.row_after);
    EXPECT_FALSE(ref.server_alive_after);                // rest_for_one: the AppServer went down
    EXPECT_NE(ref.dyn_sup_after, ref.dyn_sup_before);   // with a restarted DynamicSupervisor
    EXPECT_EQ(ref.servers_started, 2u);                  // the next get starts a new one
    EXPECT_EQ(ref.second, ok("cli-my-app-1"));
    EXPECT_EQ(ref.second_how, "storage/app_server");

    OwnerCrash mut = kill_ets_owner(with(Mutant::top_one_for_one), seed);
    EXPECT_TRUE(mut.table_replaced);
    EXPECT_FALSE(mut.row_after);
    EXPECT_TRUE(mut.server_alive_after);                 // one_for_one: only the ETSOwner restarted
    EXPECT_EQ(mut.dyn_sup_after, mut.dyn_sup_before);
    EXPECT_EQ(mut.servers_started, 1u);                  // the old AppServer serves the next get
    EXPECT_EQ(mut.second, ok("cli-my-app-1"));
    EXPECT_EQ(mut.second_how, "storage/app_server");
  }
}

// ---------------------------------------------------------------------------
// refresh_not_atomic: a refresh concurrent with gets. Storage holds the
// token, so an atomic refresh always re-reads it (source storage); split
// into invalidate + acquire, a get can refill the row in between and the
// refresh is answered from the table (source ets): nothing was refreshed.

std::string refresh_source(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  std::vector<Client> clients(3);
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");  // cached and stored
    co_await spawn_client(ctx, &w, Op::refresh, "my-app", &clients[0]);
    co_await spawn_client(ctx, &w, Op::get, "my-app", &clients[1]);
    co_await spawn_client(ctx, &w, Op::get, "my-app", &clients[2]);
    co_await await_clients(ctx, &clients);
  });
  EXPECT_TRUE(w.driver_done) << "seed " << seed;
  for (const Client& c : clients) EXPECT_EQ(c.result, ok("cli-my-app-1")) << "seed " << seed;
  EXPECT_EQ(w.env.sim_cli.runs, 1u) << "seed " << seed;
  const std::vector<Term> stops = w.stops("refresh");
  if (stops.size() != 1) {
    ADD_FAILURE() << "seed " << seed << ": " << stops.size() << " refresh stops";
    return "?";
  }
  return source_of(stops[0]);
}

TEST(Mutants, refresh_not_atomic_lets_a_get_refill_the_row_mid_refresh) {
  int mutant_hits = 0;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    EXPECT_EQ(refresh_source(reference(), seed), "storage") << "seed " << seed;
    const std::string mut = refresh_source(with(Mutant::refresh_not_atomic), seed);
    if (mut == "ets") {
      ++mutant_hits;
    } else {
      EXPECT_EQ(mut, "storage") << "seed " << seed;
    }
  }
  EXPECT_GT(mutant_hits, 0) << "no seed in 0.." << kSeeds << " slipped a get between invalidate and acquire";
}

// ---------------------------------------------------------------------------
// no_mailbox_recheck: concurrent cold gets queue their acquires behind the
// first one's (slow) CLI run; each queued acquire must re-check the table.

class QueuedGets {
 public:
  std::uint64_t cli_runs = 0;
  std::set<std::string> tokens;  // distinct tokens the clients got
};

QueuedGets queued_cold_gets(const TrioConfig& config, std::uint64_t seed, sim::Micros put_latency_us = 0) {
  TrioWorld w(config, seed);
  w.env.sim_cli.behaviour.latency_us = 1 * s;
  w.env.memory_storage.faults.put_latency_us = put_latency_us;
  std::vector<Client> clients(4);
  w.run([&](Ctx ctx) -> Task<> {
    for (Client& c : clients) co_await spawn_client(ctx, &w, Op::get, "my-app", &c);
    co_await await_clients(ctx, &clients);
  });
  EXPECT_TRUE(w.driver_done) << "seed " << seed;
  QueuedGets out;
  out.cli_runs = w.env.sim_cli.runs;
  for (const Client& c : clients) {
    EXPECT_TRUE(c.result.is_tagged(sa::ok(), 2)) << "seed " << seed << ": " << c.result.to_string();
    out.tokens.insert(c.result.to_string());
  }
  return out;
}

TEST(Mutants, no_mailbox_recheck_runs_the_cli_again_for_queued_acquires) {
  int mutant_hits = 0;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    QueuedGets ref = queued_cold_gets(reference(), seed);
    EXPECT_EQ(ref.cli_runs, 1u) << "seed " << seed;
    EXPECT_EQ(ref.tokens.size(), 1u) << "seed " << seed;
    QueuedGets mut = queued_cold_gets(with(Mutant::no_mailbox_recheck), seed);
    if (mut.cli_runs > 1) ++mutant_hits;
  }
  EXPECT_GT(mutant_hits, 0) << "no seed in 0.." << kSeeds << " ran the CLI twice";
}

// With a slow persist (the first token is not in storage yet when the next
// acquire is served) the mutant runs the CLI again on every seed.
TEST(Mutants, no_mailbox_recheck_with_a_slow_persist_runs_the_cli_again_on_every_seed) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    QueuedGets ref = queued_cold_gets(reference(), seed, 500'000);
    EXPECT_EQ(ref.cli_runs, 1u) << "seed " << seed;
    EXPECT_EQ(ref.tokens.size(), 1u) << "seed " << seed;
    QueuedGets mut = queued_cold_gets(with(Mutant::no_mailbox_recheck), seed, 500'000);
    EXPECT_GE(mut.cli_runs, 2u) << "seed " << seed;
    EXPECT_GE(mut.tokens.size(), 2u) << "seed " << seed;  // concurrent callers got different tokens
  }
}

// ---------------------------------------------------------------------------
// async_set_manual: set_manual with a failing storage put. The reference
// writes synchronously and returns the failure; the mutant acknowledges
// first and only logs the failure: the manual token is lost.

class ManualWrite {
 public:
  Term reply;
  std::optional<StorageRecord> stored;
  std::size_t error_logs = 0;
};

ManualWrite set_manual_on_failing_storage(const TrioConfig& config) {
  TrioWorld w(config);
  w.env.memory_storage.faults.fail_put = true;
  ManualWrite out;
  w.run([&](Ctx ctx) -> Task<> {
    out.reply = co_await w.set_manual(ctx, "my-app", "manual-tok");
    co_await settle(ctx);  // an async write, if any, has run
  });
  EXPECT_TRUE(w.driver_done);
  EXPECT_EQ(w.env.memory_storage.failed_puts, 1u);
  out.stored = w.env.memory_storage.peek("my-app", StorageKey::manual);
  out.error_logs = w.logs("error").size();
  return out;
}

TEST(Mutants, async_set_manual_acknowledges_a_write_that_failed) {
  const Term persist_failed =
      sim::tuple(sa::error(), sim::tuple(Atom("persist_failed"), sim::tuple(Atom("storage_error"), Atom("put"))));
  ManualWrite ref = set_manual_on_failing_storage(reference());
  EXPECT_EQ(ref.reply, persist_failed);  // surfaced to the caller
  EXPECT_FALSE(ref.stored.has_value());
  EXPECT_EQ(ref.error_logs, 0u);

  ManualWrite mut = set_manual_on_failing_storage(with(Mutant::async_set_manual));
  EXPECT_EQ(mut.reply, Term(sa::ok()));  // acknowledged...
  EXPECT_FALSE(mut.stored.has_value());  // ...but lost
  EXPECT_EQ(mut.error_logs, 1u);         // and only logged
}

// ---------------------------------------------------------------------------
// facade_missing_table_crashes: a client gets right after the ETSOwner is
// killed. When its fast-path read finds no table (the old one died with its
// owner, the new one is not made yet), the reference counts it as a miss and
// goes on to the AppServer; the mutant exits the client with badarg. A world
// that notes what the client's first table read (the fast path) saw.

class WindowWorld : public TrioWorld {
 public:
  WindowWorld(TrioConfig config, std::uint64_t seed) : TrioWorld(std::move(config), seed) {}
  void on_step(const sim::StepInfo& step) override {
    if (step.pid != client || step.effect != sim::EffectKind::table_lookup || fast_path_seen) return;
    // on_step runs right after the step: the table is as the read found it.
    fast_path_seen = true;
    fast_path_missed_table = !table().has_value();
  }
  Pid client;
  bool fast_path_seen = false;
  bool fast_path_missed_table = false;
};

class WindowGet {
 public:
  Client client;
  bool missed_table = false;  // the fast path found no table
};

WindowGet get_while_the_table_is_missing(const TrioConfig& config, std::uint64_t seed) {
  WindowWorld w(config, seed);
  WindowGet out;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");  // cached and stored
    const std::optional<sim::TableId> before = w.table();
    Pid owner = co_await ctx.whereis(w.trio.names().ets_owner);
    co_await ctx.exit(owner, Term(sa::kill()));
    // Until the old table is gone (the owner's death is its own step).
    for (;;) {
      auto now = co_await ctx.table_named(w.trio.names().table);
      if (!now.ok() || now.value != *before) break;
      co_await ctx.yield();
    }
    std::vector<Client> clients(1);
    co_await spawn_client(ctx, &w, Op::get, "other-app", &clients[0]);
    w.client = clients[0].pid;
    co_await await_clients(ctx, &clients);
    out.client = clients[0];
  });
  EXPECT_TRUE(w.driver_done) << "seed " << seed;
  EXPECT_TRUE(w.fast_path_seen) << "seed " << seed;
  out.missed_table = w.fast_path_missed_table;
  return out;
}

/// The client got past the fast path: it returned, or it exited inside a
/// GenServer call it made after the miss ({Reason, {GenServer, call, _}}).
bool past_the_fast_path(const Client& c) {
  return c.returned || (c.down.is_tuple() && c.down.size() == 2 &&
                        c.down[1].is_tagged(Atom("Elixir.GenServer"), 3) && c.down[1][1].is_atom("call"));
}

TEST(Mutants, facade_missing_table_crashes_kills_a_client_that_reads_during_an_ets_owner_restart) {
  int windows = 0;
  for (std::uint64_t seed = 0; seed < kSeeds; ++seed) {
    SCOPED_TRACE(seed);
    WindowGet ref = get_while_the_table_is_missing(reference(), seed);
    // A miss: the client goes on to resolve_app_server. While the restart
    // is under way that call can exit the client (the DynamicSupervisor it
    // called is being shut down: {shutdown | noproc, {GenServer, call, _}},
    // as upstream), but the fast path itself never raises.
    EXPECT_NE(ref.client.down, Term(sa::badarg()));
    EXPECT_TRUE(past_the_fast_path(ref.client)) << ref.client.down.to_string();
    if (ref.client.returned) {
      EXPECT_EQ(ref.client.result, ok("cli-other-app-2"));
    }

    WindowGet mut = get_while_the_table_is_missing(with(Mutant::facade_missing_table_crashes), seed);
    // Up to the fast-path read the run is the reference's.
    EXPECT_EQ(mut.missed_table, ref.missed_table);
    if (mut.missed_table) {
      ++windows;
      EXPECT_FALSE(mut.client.returned);
      EXPECT_EQ(mut.client.down, Term(sa::badarg()));  // raised by the fast path
    } else {
      EXPECT_TRUE(past_the_fast_path(mut.client)) << mut.client.down.to_string();
    }
  }
  EXPECT_GT(windows, 0) << "no seed in 0.." << kSeeds << " read during the window";
}

// ---------------------------------------------------------------------------
// ets_owned_by_app_server: two apps cached, app a's AppServer crashes. The
// table belongs to the ETSOwner, so app b's row survives; in the mutant the
// first AppServer (a's) created the table and took it down with it.

class SiblingCrash {
 public:
  bool table_replaced = false;
  bool row_a = false, row_b = false;
  std::string b_how;  // how the next get of b was served
};

SiblingCrash crash_one_app_server(const TrioConfig& config, std::uint64_t seed) {
  TrioWorld w(config, seed);
  SiblingCrash out;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");
    (void)co_await w.get(ctx, "b");
    const std::optional<sim::TableId> before = w.table();
    Pid server_a = co_await whereis_app_server(ctx, &w.trio, "a");
    co_await ctx.exit(server_a, Term(sa::kill()));
    co_await settle(ctx);
    out.table_replaced = w.table() != before;
    out.row_a = w.cache_row("a").has_value();
    out.row_b = w.cache_row("b").has_value();
    (void)co_await w.get(ctx, "b");
  });
  EXPECT_TRUE(w.driver_done);
  EXPECT_EQ(w.spawned("app:a").size(), 2u);  // restarted by the DynamicSupervisor
  EXPECT_EQ(w.spawned("app:b").size(), 1u);
  if (w.stops().size() == 3) out.b_how = how(w.stops()[2]);
  return out;
}

TEST(Mutants, ets_owned_by_app_server_loses_every_row_when_that_app_server_crashes) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE(seed);
    SiblingCrash ref = crash_one_app_server(reference(), seed);
    EXPECT_FALSE(ref.table_replaced);
    EXPECT_TRUE(ref.row_a);  // an AppServer crash keeps the cache
    EXPECT_TRUE(ref.row_b);
    EXPECT_EQ(ref.b_how, "ets/facade");

    SiblingCrash mut = crash_one_app_server(with(Mutant::ets_owned_by_app_server), seed);
    EXPECT_TRUE(mut.table_replaced);  // the restarted a made a new, empty one
    EXPECT_FALSE(mut.row_a);
    EXPECT_FALSE(mut.row_b);          // the sibling's row went with a's table
    EXPECT_EQ(mut.b_how, "storage/app_server");
  }
}

// ---------------------------------------------------------------------------
// cache_ignores_expiry: ttl 10 s, no soft refresh; get, 11 s later get again.
// The row has expired: the reference re-acquires (storage's row has expired
// too, so the CLI runs again); the mutant serves the expired token.

class ExpiredRow {
 public:
  Term first, second;
  std::string second_how;
  std::uint64_t cli_runs = 0;
};

ExpiredRow get_after_expiry(TrioConfig config) {
  config.knobs.ttl_s = 10;
  config.knobs.soft_refresh_lead_s = 0;
  TrioWorld w(config);
  ExpiredRow out;
  w.run([&](Ctx ctx) -> Task<> {
    out.first = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(11 * s);
    out.second = co_await w.get(ctx, "my-app");
  });
  EXPECT_TRUE(w.driver_done);
  if (w.stops().size() == 2) out.second_how = how(w.stops()[1]);
  out.cli_runs = w.env.sim_cli.runs;
  return out;
}

TEST(Mutants, cache_ignores_expiry_serves_an_expired_token) {
  ExpiredRow ref = get_after_expiry(reference());
  EXPECT_EQ(ref.first, ok("cli-my-app-1"));
  EXPECT_EQ(ref.second, ok("cli-my-app-2"));
  EXPECT_EQ(ref.second_how, "cli/app_server");
  EXPECT_EQ(ref.cli_runs, 2u);

  ExpiredRow mut = get_after_expiry(with(Mutant::cache_ignores_expiry));
  EXPECT_EQ(mut.first, ok("cli-my-app-1"));
  EXPECT_EQ(mut.second, ok("cli-my-app-1"));  // expired at 10 s, served at 11 s
  EXPECT_EQ(mut.second_how, "ets/facade");
  EXPECT_EQ(mut.cli_runs, 1u);
}

}  // namespace
}  // namespace otpsim::core::tokens
