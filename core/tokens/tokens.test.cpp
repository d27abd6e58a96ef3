// The upstream suite (tokens_test.exs, as reference/exatlas-tokens.md lists
// its behaviours), ported onto simulated time: each behaviour is a case.
// No case sleeps for real; a 24 h ttl or a 15 s CLI timeout costs nothing.
#include <gtest/gtest.h>

#include <limits>

#include "core/tokens/app_server.hpp"
#include "core/tokens/checked_time.hpp"
#include "core/tokens/testing.hpp"
#include "sim/test_support.hpp"

namespace otpsim::core::tokens {
namespace {

using sim::Atom;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

constexpr sim::Micros s = 1'000'000;

Term ok(const std::string& token) { return sim::tuple(sa::ok(), Term::string(token)); }
Term no_token() { return sim::tuple(sa::error(), Atom("no_token_available")); }

/// "source/acquirer" of a telemetry stop event.
std::string how(const Term& stop) { return stop[4].to_string() + "/" + stop[5].to_string(); }

TEST(Tokens, cli_acquisition_on_an_empty_cache) {
  TrioWorld w;
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  ASSERT_TRUE(w.driver_done);
  EXPECT_EQ(result, ok("cli-my-app-1"));
  EXPECT_EQ(w.env.sim_cli.runs, 1u);
  ASSERT_EQ(w.stops().size(), 1u);
  EXPECT_EQ(how(w.stops()[0]), "cli/app_server");
}

TEST(Tokens, second_get_is_served_from_the_cache_without_a_second_cli_call) {
  TrioWorld w;
  Term first, second;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    second = co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(first, second);
  EXPECT_EQ(w.env.sim_cli.runs, 1u);
  ASSERT_EQ(w.stops().size(), 2u);
  EXPECT_EQ(how(w.stops()[1]), "ets/facade");
}

TEST(Tokens, an_acquired_token_is_stored_in_durable_storage) {
  TrioWorld w;
  w.run([&](Ctx ctx) -> Task<> { (void)co_await w.get(ctx, "my-app"); });
  auto stored = w.env.memory_storage.peek("my-app", StorageKey::cached);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->token, "cli-my-app-1");
  EXPECT_EQ(stored->expires_at_s, std::optional<std::int64_t>(24 * 3600));
  auto row = w.cache_row("my-app");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(*row, sim::tuple(Term::string("my-app"), Term::string("cli-my-app-1"), 24 * 3600));
}

TEST(Tokens, an_expired_cache_row_is_acquired_again) {
  TrioConfig c;
  c.knobs.ttl_s = 10;
  c.knobs.soft_refresh_lead_s = 0;
  TrioWorld w(c);
  Term first, second;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(11 * s);  // past the ttl: the row and the stored copy have expired
    second = co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(first, ok("cli-my-app-1"));
  EXPECT_EQ(second, ok("cli-my-app-2"));
  ASSERT_EQ(w.stops().size(), 2u);
  EXPECT_EQ(how(w.stops()[1]), "cli/app_server");
  EXPECT_EQ(w.cache_row("my-app").value()[2], Term(21));
}

TEST(Tokens, expire_token_makes_the_next_get_go_to_the_app_server) {
  TrioWorld w;
  Term reply;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    Pid server = co_await whereis_app_server(ctx, &w.trio, "my-app");
    reply = co_await app_server::expire_token(ctx, server);
    (void)co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(reply, Term(sa::ok()));
  ASSERT_EQ(w.stops().size(), 2u);
  // The row expired; the durable copy has not, so the chain stops at storage.
  EXPECT_EQ(how(w.stops()[1]), "storage/app_server");
  EXPECT_EQ(w.env.sim_cli.runs, 1u);
}

TEST(Tokens, a_valid_storage_row_is_used_without_the_cli) {
  TrioWorld w;
  (void)w.env.memory_storage.put("my-app", StorageKey::cached, StorageRecord("stored-tok", 100));
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("stored-tok"));
  EXPECT_EQ(w.env.sim_cli.runs, 0u);
  EXPECT_EQ(how(w.stops().at(0)), "storage/app_server");
  EXPECT_EQ(w.cache_row("my-app").value()[2], Term(100));  // cached with the stored expiry
}

TEST(Tokens, an_expired_storage_row_is_skipped) {
  TrioWorld w;
  w.env.clock_offset_us = 1000 * s;
  (void)w.env.memory_storage.put("my-app", StorageKey::cached, StorageRecord("old-tok", 1000));  // expires_at == now
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("cli-my-app-1"));
  EXPECT_EQ(how(w.stops().at(0)), "cli/app_server");
  EXPECT_EQ(w.env.memory_storage.peek("my-app", StorageKey::cached)->token, "cli-my-app-1");
}

TEST(Tokens, a_cli_failure_falls_back_to_the_manual_token) {
  TrioWorld w;
  w.env.sim_cli.behaviour.exit_code = 1;
  w.env.sim_cli.behaviour.output = "Error: not logged in";
  (void)w.env.memory_storage.put("my-app", StorageKey::manual, StorageRecord("manual-tok", std::nullopt));
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("manual-tok"));
  EXPECT_EQ(how(w.stops().at(0)), "manual/app_server");
  ASSERT_EQ(w.logs("warning").size(), 1u);
  EXPECT_EQ(w.logs("warning")[0][3], sim::tuple(Atom("cli_failed"), 1));
}

TEST(Tokens, no_manual_token_gives_no_token_available) {
  TrioWorld w;
  w.env.sim_cli.behaviour.exit_code = 1;
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, no_token());
  EXPECT_EQ(how(w.stops().at(0)), "none/app_server");
  EXPECT_FALSE(w.cache_row("my-app").has_value());
}

TEST(Tokens, empty_cli_output_is_a_miss) {
  TrioWorld w;
  w.env.sim_cli.behaviour.output = "  \n";
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, no_token());
  ASSERT_EQ(w.logs("warning").size(), 1u);
  EXPECT_EQ(w.logs("warning")[0][3], Term(Atom("cli_empty_output")));
}

TEST(Tokens, a_hanging_cli_times_out_to_no_token_available) {
  TrioWorld w;
  w.env.sim_cli.behaviour.hang = true;
  Term result;
  sim::Micros at = 0;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "my-app");
    at = ctx.now_us();
  });
  EXPECT_EQ(result, no_token());
  EXPECT_EQ(at, 15 * s);  // cli_timeout, default 15 s: the task is killed then
  ASSERT_EQ(w.logs("warning").size(), 1u);
  EXPECT_EQ(w.logs("warning")[0][3], Term(Atom("cli_timeout")));
  // The CLI task was brutally killed; the AppServer lives on.
  Pid server = w.spawned("app:my-app").at(0);
  EXPECT_EQ(w.exit_reason(server), "alive");
}

TEST(Tokens, cli_timeout_is_a_knob) {
  TrioConfig c;
  c.knobs.cli_timeout_ms = 2000;
  TrioWorld w(c);
  w.env.sim_cli.behaviour.latency_us = 3 * s;  // slower than the timeout: killed
  Term result;
  sim::Micros at = 0;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "my-app");
    at = ctx.now_us();
  });
  EXPECT_EQ(result, no_token());
  EXPECT_EQ(at, 2 * s);
}

TEST(Tokens, a_slow_cli_within_the_timeout_succeeds) {
  TrioWorld w;
  w.env.sim_cli.behaviour.latency_us = 14 * s;
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("cli-my-app-1"));
}

TEST(Tokens, invalidate_deletes_the_row) {
  TrioWorld w;
  Term reply;
  bool row_before = false, row_after = true;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    row_before = w.cache_row("my-app").has_value();
    reply = co_await w.invalidate(ctx, "my-app");
    row_after = w.cache_row("my-app").has_value();
    (void)co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(reply, Term(sa::ok()));
  EXPECT_TRUE(row_before);
  EXPECT_FALSE(row_after);
  EXPECT_EQ(how(w.stops().at(1)), "storage/app_server");
}

TEST(Tokens, invalidate_of_an_unknown_app_starts_no_app_server) {
  TrioWorld w;
  Term reply;
  Pid server;
  w.run([&](Ctx ctx) -> Task<> {
    reply = co_await w.invalidate(ctx, "never-seen");
    server = co_await whereis_app_server(ctx, &w.trio, "never-seen");
  });
  EXPECT_EQ(reply, Term(sa::ok()));
  EXPECT_FALSE(server);
  EXPECT_TRUE(w.spawned("app:never-seen").empty());
}

TEST(Tokens, a_config_file_token_is_used_and_cached) {
  TrioWorld w;
  w.env.sim_config_file.content = "app: x\naccess_token: \"cfg-tok\"\n";
  Term first, second;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    second = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(1);  // the async persist lands
  });
  EXPECT_EQ(first, ok("cfg-tok"));
  EXPECT_EQ(second, ok("cfg-tok"));
  EXPECT_EQ(how(w.stops().at(0)), "config/app_server");
  EXPECT_EQ(how(w.stops().at(1)), "ets/facade");
  EXPECT_EQ(w.env.sim_cli.runs, 0u);
  EXPECT_EQ(w.env.sim_config_file.reads, 1u);
  EXPECT_EQ(w.env.memory_storage.peek("my-app", StorageKey::cached), StorageRecord("cfg-tok", 24 * 3600));
}

TEST(Tokens, a_config_file_without_a_token_falls_through_to_the_cli) {
  TrioWorld w;
  w.env.sim_config_file.content = "app: x\n";
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("cli-my-app-1"));
  EXPECT_EQ(w.env.sim_config_file.reads, 1u);
}

TEST(Tokens, a_disabled_config_file_is_never_read) {
  TrioWorld w;
  w.env.read_config_file = false;
  w.env.sim_config_file.content = "access_token: cfg-tok\n";
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, ok("cli-my-app-1"));
  EXPECT_EQ(w.env.sim_config_file.reads, 0u);
}

TEST(Tokens, set_manual_stores_the_token) {
  TrioWorld w;
  Term reply;
  w.run([&](Ctx ctx) -> Task<> { reply = co_await w.set_manual(ctx, "my-app", "manual-tok"); });
  EXPECT_EQ(reply, Term(sa::ok()));
  // Synchronous: stored by the time the call returned.
  EXPECT_EQ(w.env.memory_storage.peek("my-app", StorageKey::manual), StorageRecord("manual-tok", std::nullopt));
}

TEST(Tokens, the_manual_token_is_used_when_the_cli_is_missing) {
  TrioWorld w;
  w.env.sim_cli.behaviour.missing = true;
  Term result;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.set_manual(ctx, "my-app", "manual-tok");
    result = co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(result, ok("manual-tok"));
  EXPECT_EQ(how(w.stops().at(0)), "manual/app_server");
  EXPECT_EQ(w.logs("warning").at(0)[3], sim::tuple(Atom("cli_failed"), 127));
}

TEST(Tokens, telemetry_reports_source_and_acquirer) {
  TrioWorld w;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "a");  // cli/app_server
    (void)co_await w.get(ctx, "a");  // ets/facade
    w.env.sim_config_file.content = "access_token: cfg\n";
    (void)co_await w.get(ctx, "b");  // config/app_server
    w.env.sim_config_file.content.reset();
    w.env.sim_cli.behaviour.exit_code = 2;
    (void)co_await w.get(ctx, "c");  // none/app_server
  });
  std::vector<std::string> seen;
  for (const Term& stop : w.stops()) seen.push_back(stop[3].to_string() + " " + how(stop));
  EXPECT_EQ(seen, (std::vector<std::string>{"\"a\" cli/app_server", "\"a\" ets/facade", "\"b\" config/app_server",
                                            "\"c\" none/app_server"}));
  // Every stop has its start, for the same app, emitted by the client.
  std::vector<testing::Event> starts;
  for (const testing::Event& e : w.events) {
    if (telemetry::is_start(e.term)) starts.push_back(e);
  }
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_EQ(starts[2].term, telemetry::start(Atom("get"), Term::string("b")));
}

TEST(Tokens, a_persist_failure_still_returns_the_cli_token_and_logs_an_error) {
  TrioWorld w;
  w.env.memory_storage.faults.fail_put = true;
  Term result;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(1);
  });
  EXPECT_EQ(result, ok("cli-my-app-1"));
  ASSERT_EQ(w.logs("error").size(), 1u);
  EXPECT_EQ(w.logs("error")[0][3][0], Term(Atom("persist_failed")));
  EXPECT_FALSE(w.env.memory_storage.peek("my-app", StorageKey::cached).has_value());
}

TEST(Tokens, a_persist_failure_still_returns_the_config_token_and_logs_an_error) {
  TrioWorld w;
  w.env.memory_storage.faults.fail_put = true;
  w.env.sim_config_file.content = "access_token: cfg-tok\n";
  Term result;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(1);
  });
  EXPECT_EQ(result, ok("cfg-tok"));
  ASSERT_EQ(w.logs("error").size(), 1u);
  // The write ran in a task under the TaskSupervisor, not in the AppServer.
  EXPECT_NE(w.tagged("log").at(0).pid, w.spawned("app:my-app").at(0));
}

TEST(Tokens, set_manual_surfaces_a_persist_failure) {
  TrioWorld w;
  w.env.memory_storage.faults.fail_put = true;
  Term reply;
  w.run([&](Ctx ctx) -> Task<> { reply = co_await w.set_manual(ctx, "my-app", "manual-tok"); });
  EXPECT_EQ(reply, sim::tuple(sa::error(), sim::tuple(Atom("persist_failed"), sim::tuple(Atom("storage_error"), Atom("put")))));
  EXPECT_TRUE(w.logs("error").empty());  // returned, not logged
}

/// Spawns a client that gets `app` and records the result and the time.
struct ClientResult {
  Term result;
  sim::Micros at_us = -1;
};

Task<> spawn_getter(Ctx ctx, TrioWorld* w, const char* app, ClientResult* out) {
  auto body = [w, app, out](Ctx c) -> Proc {
    out->result = co_await w->get(c, app);
    out->at_us = c.now_us();
  };
  (void)co_await ctx.spawn(body);
}

/// Waits (in simulated time) until every client has a result.
Task<> wait_all(Ctx ctx, const std::vector<ClientResult>& clients) {
  for (;;) {
    bool done = true;
    for (const ClientResult& c : clients) done = done && c.at_us >= 0;
    if (done) co_return;
    co_await ctx.sleep(1000);
  }
}

TEST(Tokens, two_apps_resolve_their_clis_in_parallel) {
  TrioWorld w;
  w.env.sim_cli.behaviour.latency_us = 2 * s;
  std::vector<ClientResult> clients(2);
  w.run([&](Ctx ctx) -> Task<> {
    co_await spawn_getter(ctx, &w, "a", &clients[0]);
    co_await spawn_getter(ctx, &w, "b", &clients[1]);
    co_await wait_all(ctx, clients);
  });
  EXPECT_EQ(clients[0].result, ok("cli-a-1") == clients[0].result ? ok("cli-a-1") : ok("cli-a-2"));
  EXPECT_EQ(clients[0].at_us, 2 * s);  // not 4 s: one AppServer per app, each with its own CLI task
  EXPECT_EQ(clients[1].at_us, 2 * s);
  EXPECT_EQ(w.env.sim_cli.runs, 2u);
}

TEST(Tokens, ten_concurrent_gets_of_one_app_run_the_cli_once) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    w.env.sim_cli.behaviour.latency_us = 1 * s;
    std::vector<ClientResult> clients(10);
    w.run([&](Ctx ctx) -> Task<> {
      for (ClientResult& c : clients) co_await spawn_getter(ctx, &w, "my-app", &c);
      co_await wait_all(ctx, clients);
    });
    EXPECT_EQ(w.env.sim_cli.runs, 1u) << "seed " << seed;
    EXPECT_EQ(w.spawned("app:my-app").size(), 1u) << "seed " << seed;  // the already_started race is absorbed
    for (const ClientResult& c : clients) EXPECT_EQ(c.result, ok("cli-my-app-1")) << "seed " << seed;
  }
}

/// The pid registered under `name` now.
Task<Pid> named(Ctx ctx, Atom name) { co_return co_await ctx.whereis(name); }

/// Kills `pid` and waits (simulated time) until the trio has restarted what it will.
Task<> kill_and_settle(Ctx ctx, Pid pid) {
  co_await ctx.exit(pid, Term(sa::kill()));
  co_await ctx.sleep(1000);
}

TEST(Tokens, an_app_server_crash_keeps_the_cached_row_and_the_restarted_server_serves_it) {
  TrioWorld w;
  Term first, direct, via_facade;
  Pid before, after, sibling_before, sibling_after;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    (void)co_await w.get(ctx, "other-app");
    before = co_await whereis_app_server(ctx, &w.trio, "my-app");
    sibling_before = co_await whereis_app_server(ctx, &w.trio, "other-app");
    co_await kill_and_settle(ctx, before);
    after = co_await whereis_app_server(ctx, &w.trio, "my-app");
    sibling_after = co_await whereis_app_server(ctx, &w.trio, "other-app");
    direct = co_await app_server::acquire(ctx, &w.trio, after);
    via_facade = co_await w.get(ctx, "my-app");
  });
  ASSERT_TRUE(w.driver_done);
  EXPECT_NE(before, after);                  // restarted by the DynamicSupervisor, same arguments
  EXPECT_EQ(sibling_before, sibling_after);  // siblings keep their pids
  EXPECT_EQ(direct, sim::tuple(sa::ok(), Term::string("cli-my-app-1"), Atom("ets")));
  EXPECT_EQ(via_facade, first);
  EXPECT_EQ(w.env.sim_cli.runs, 2u);  // one per app, none after the crash
  EXPECT_TRUE(w.cache_row("other-app").has_value());
}

TEST(Tokens, an_ets_owner_crash_empties_the_table_and_the_next_get_recovers_from_storage) {
  TrioWorld w;
  Term first, second;
  Pid server_before, server_after, registry_before, registry_after;
  std::optional<sim::TableId> table_before, table_after;
  bool row_after_crash = true;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(1);  // the async persist lands
    table_before = w.table();
    server_before = co_await whereis_app_server(ctx, &w.trio, "my-app");
    registry_before = co_await named(ctx, w.trio.names().registry);
    Pid owner = co_await named(ctx, w.trio.names().ets_owner);
    co_await kill_and_settle(ctx, owner);
    table_after = w.table();
    row_after_crash = w.cache_row("my-app").has_value();
    registry_after = co_await named(ctx, w.trio.names().registry);
    server_after = co_await whereis_app_server(ctx, &w.trio, "my-app");
    second = co_await w.get(ctx, "my-app");
  });
  ASSERT_TRUE(w.driver_done);
  ASSERT_TRUE(table_before && table_after);
  EXPECT_NE(*table_before, *table_after);  // a new, empty table
  EXPECT_FALSE(row_after_crash);
  EXPECT_FALSE(server_after);              // every AppServer is gone with the DynamicSupervisor
  EXPECT_EQ(registry_before, registry_after);  // earlier siblings are untouched (rest_for_one)
  EXPECT_EQ(w.exit_reason(server_before), "shutdown");
  EXPECT_EQ(second, first);
  EXPECT_EQ(how(w.stops().at(1)), "storage/app_server");
  EXPECT_EQ(w.env.sim_cli.runs, 1u);
}

TEST(Tokens, soft_expiry_fires_a_cli_call_with_no_caller) {
  TrioConfig c;
  c.knobs.ttl_s = 3;
  c.knobs.soft_refresh_lead_s = 1;
  TrioWorld w(c);
  // Storage that cannot be read, so the refresh cannot stop at the stored copy
  // (which is still valid for `lead` seconds: see docs/model.md).
  w.env.memory_storage.faults.fail_get = true;
  Term first;
  std::optional<Term> row_at_2s;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(2 * s + 1000);
    row_at_2s = w.cache_row("my-app");
  });
  EXPECT_EQ(first, ok("cli-my-app-1"));
  ASSERT_EQ(w.env.sim_cli.runs, 2u);
  auto runs = w.tagged("cli_run");
  EXPECT_EQ(runs.at(1).at_us, 2 * s);  // expires_at - lead
  EXPECT_EQ(w.stops().size(), 1u);     // nobody asked
  ASSERT_TRUE(row_at_2s.has_value());
  EXPECT_EQ((*row_at_2s)[1], Term::string("cli-my-app-2"));
  EXPECT_EQ((*row_at_2s)[2], Term(5));  // re-anchored: 2 + ttl
  EXPECT_EQ(w.tagged("soft_refresh").size(), 1u);
}

TEST(Tokens, soft_expiry_re_anchors_on_every_hit_and_zero_lead_disables_it) {
  TrioConfig c;
  c.knobs.ttl_s = 10;
  c.knobs.soft_refresh_lead_s = 2;
  TrioWorld w(c);
  w.env.memory_storage.faults.fail_get = true;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");       // t=0: timer for t=8
    co_await ctx.sleep(5 * s);
    (void)co_await w.refresh(ctx, "my-app");   // t=5: new token, timer moved to t=13
    co_await ctx.sleep(9 * s);                 // t=14: only the t=13 timer fired
  });
  auto runs = w.tagged("cli_run");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1].at_us, 5 * s);
  EXPECT_EQ(runs[2].at_us, 13 * s);

  TrioConfig off = c;
  off.knobs.soft_refresh_lead_s = 0;
  TrioWorld w0(off);
  w0.env.memory_storage.faults.fail_get = true;
  w0.run([&](Ctx ctx) -> Task<> {
    (void)co_await w0.get(ctx, "my-app");
    co_await ctx.sleep(20 * s);
  });
  EXPECT_EQ(w0.env.sim_cli.runs, 1u);
}

TEST(Tokens, refresh_re_runs_the_chain) {
  TrioWorld w;
  w.env.memory_storage.faults.fail_get = true;
  Term first, refreshed, after;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    refreshed = co_await w.refresh(ctx, "my-app");
    after = co_await w.get(ctx, "my-app");
  });
  EXPECT_EQ(first, ok("cli-my-app-1"));
  EXPECT_EQ(refreshed, ok("cli-my-app-2"));
  EXPECT_EQ(after, refreshed);
  ASSERT_EQ(w.stops("refresh").size(), 1u);
  EXPECT_EQ(how(w.stops("refresh")[0]), "cli/app_server");
}

TEST(Tokens, refresh_with_a_valid_stored_copy_stops_at_storage) {
  // The chain starts at storage, and refresh deletes only the table row.
  TrioWorld w;
  Term first, refreshed;
  w.run([&](Ctx ctx) -> Task<> {
    first = co_await w.get(ctx, "my-app");
    co_await ctx.sleep(1);
    refreshed = co_await w.refresh(ctx, "my-app");
  });
  EXPECT_EQ(refreshed, first);
  EXPECT_EQ(how(w.stops("refresh").at(0)), "storage/app_server");
}

TEST(Tokens, the_config_flag_is_a_snapshot_taken_at_app_server_start) {
  TrioWorld w;
  w.env.sim_config_file.content = "access_token: cfg-tok\n";
  Term a1, a2, b1;
  w.run([&](Ctx ctx) -> Task<> {
    w.env.memory_storage.faults.fail_get = true;
    a1 = co_await w.get(ctx, "a");      // AppServer "a" starts with the flag on
    w.env.read_config_file = false;     // flipped after "a" started
    (void)co_await w.invalidate(ctx, "a");
    a2 = co_await w.get(ctx, "a");      // still reads the config file
    b1 = co_await w.get(ctx, "b");      // "b" starts with the flag off
  });
  EXPECT_EQ(a1, ok("cfg-tok"));
  EXPECT_EQ(a2, ok("cfg-tok"));
  EXPECT_EQ(b1, ok("cli-b-1"));
  EXPECT_EQ(w.env.sim_config_file.reads, 2u);
}

TEST(Tokens, the_app_server_replies_before_a_slow_persist_finishes) {
  TrioWorld w;
  w.env.memory_storage.faults.put_latency_us = 5 * s;
  Term result;
  sim::Micros replied_at = -1;
  bool stored_at_reply = true;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "my-app");
    replied_at = ctx.now_us();
    stored_at_reply = w.env.memory_storage.peek("my-app", StorageKey::cached).has_value();
    co_await ctx.sleep(6 * s);
  });
  EXPECT_EQ(result, ok("cli-my-app-1"));
  EXPECT_EQ(replied_at, 0);
  EXPECT_FALSE(stored_at_reply);
  ASSERT_EQ(w.tagged("persisted").size(), 1u);
  EXPECT_EQ(w.tagged("persisted")[0].at_us, 5 * s);
  EXPECT_TRUE(w.env.memory_storage.peek("my-app", StorageKey::cached).has_value());
}

TEST(Tokens, direct_app_server_acquire_returns_the_source) {
  TrioWorld w;
  Term resolved, reply;
  w.run([&](Ctx ctx) -> Task<> {
    resolved = co_await resolve_app_server(ctx, &w.trio, "my-app");
    reply = co_await app_server::acquire(ctx, &w.trio, resolved[1].pid());
  });
  ASSERT_TRUE(resolved.is_tagged(sa::ok(), 2));
  EXPECT_EQ(reply, sim::tuple(sa::ok(), Term::string("cli-my-app-1"), Atom("cli")));
}

TEST(Tokens, whereis_app_server_is_nil_until_the_first_call) {
  TrioWorld w;
  Pid before, after;
  Term resolved;
  w.run([&](Ctx ctx) -> Task<> {
    before = co_await whereis_app_server(ctx, &w.trio, "my-app");
    resolved = co_await resolve_app_server(ctx, &w.trio, "my-app");
    after = co_await whereis_app_server(ctx, &w.trio, "my-app");
  });
  EXPECT_FALSE(before);
  EXPECT_EQ(Term(after), resolved[1]);
  EXPECT_EQ(w.spawned("app:my-app").size(), 1u);
}

TEST(Tokens, persist_runs_inline_without_a_task_supervisor) {
  TrioConfig c;
  c.knobs.use_task_sup = false;
  TrioWorld w(c);
  w.env.memory_storage.faults.put_latency_us = 5 * s;
  sim::Micros replied_at = -1;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    replied_at = ctx.now_us();
  });
  EXPECT_EQ(replied_at, 5 * s);  // the AppServer wrote before replying
  EXPECT_EQ(w.tagged("persisted").at(0).pid, w.spawned("app:my-app").at(0));
}

TEST(Tokens, slow_storage_delays_a_read_by_its_latency) {
  TrioWorld w;
  (void)w.env.memory_storage.put("my-app", StorageKey::cached, StorageRecord("stored-tok", 100));
  w.env.memory_storage.faults.get_latency_us = 3 * s;
  sim::Micros at = -1;
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    at = ctx.now_us();
  });
  EXPECT_EQ(at, 3 * s);
}

TEST(Tokens, an_acquire_slower_than_cli_timeout_plus_five_seconds_exits_the_client) {
  TrioWorld w;
  w.env.memory_storage.faults.get_latency_us = 25 * s;  // the chain's first read outlasts the call
  Pid client;
  std::string reason;
  w.run([&](Ctx ctx) -> Task<> {
    TrioWorld* wp = &w;
    auto body = [wp](Ctx c) -> Proc { (void)co_await wp->get(c, "my-app"); };
    auto [pid, ref] = co_await ctx.spawn_monitor(body);
    client = pid;
    auto down = co_await ctx.receive(::otpsim::sim::testing::tagged("DOWN"));
    reason = (*down)[4].to_string();
  });
  // GenServer.call's exit, at cli_timeout + 5 s = 20 s.
  EXPECT_EQ(reason.rfind("{timeout,{'Elixir.GenServer',call,", 0), 0u) << reason;
  auto exceptions = w.tagged("telemetry");
  ASSERT_EQ(exceptions.size(), 2u);  // start, exception: no stop
  EXPECT_TRUE(exceptions[1].term[1].is_atom("exception"));
  EXPECT_EQ(exceptions[1].at_us, 20 * s);
}

TEST(Tokens, a_non_durable_store_is_lost_on_a_node_restart_and_a_durable_one_is_kept) {
  Env env;
  (void)env.memory_storage.put("a", StorageKey::manual, StorageRecord("m", std::nullopt));
  env.memory_storage.node_restart();
  EXPECT_TRUE(env.memory_storage.peek("a", StorageKey::manual).has_value());
  env.memory_storage.durable = false;
  env.memory_storage.node_restart();
  EXPECT_FALSE(env.memory_storage.peek("a", StorageKey::manual).has_value());
}

TEST(Tokens, the_config_file_parser_reads_one_access_token_line) {
  EXPECT_EQ(parse_access_token("access_token: abc\n"), std::optional<std::string>("abc"));
  EXPECT_EQ(parse_access_token("x: 1\naccess_token:   'q t'  \r\ny: 2"), std::optional<std::string>("q t"));
  EXPECT_EQ(parse_access_token("access_token: \"\"\n"), std::nullopt);
  EXPECT_EQ(parse_access_token("  access_token: nested\n"), std::nullopt);
  EXPECT_EQ(parse_access_token(""), std::nullopt);
}


// -- checked time (issue 12): values a scenario file may give, at the int64 limits --

TEST(Tokens, system_time_saturates_at_the_int64_limits_and_floors_before_the_epoch) {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  Env env;
  env.clock_offset_us = 9'223'372'036'854 * s;  // the parser's limit for clock_offset_s
  EXPECT_EQ(env.system_time_s(0), 9'223'372'036'854);
  EXPECT_EQ(env.system_time_s(1 * s), max / s);  // past int64: stays at the end of time
  env.clock_offset_us = -9'223'372'036'854 * s;
  EXPECT_EQ(env.system_time_s(0), -9'223'372'036'854);
  env.clock_offset_us = min;
  EXPECT_EQ(env.system_time_s(0), min / s - 1);  // floor, not truncation
  env.clock_offset_us = -1;
  EXPECT_EQ(env.system_time_s(0), -1);
  EXPECT_EQ(sat_add(max, 1), max);
  EXPECT_EQ(sat_sub(min, 1), min);
  EXPECT_EQ(sat_neg(min), max);
  EXPECT_EQ(seconds_to_us(max / 2), max);
  EXPECT_EQ(kernel_delay(max), time_horizon_us);
  EXPECT_EQ(kernel_delay(sim::infinity_us), sim::infinity_us);
}

// A stored row that expires at int64 max: the soft refresh is armed for the
// end of time, not (wrapped) in the past, where it re-fired in zero time.
TEST(Tokens, a_row_expiring_at_the_end_of_time_arms_no_soft_refresh_in_the_past) {
  TrioWorld w;
  (void)w.env.memory_storage.put("a", StorageKey::cached, StorageRecord("t", std::numeric_limits<std::int64_t>::max()));
  Term result;
  auto run = w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "a");
    co_await ctx.sleep(10 * s);
  });
  EXPECT_EQ(run.outcome, sim::Outcome::stopped);
  EXPECT_EQ(result, ok("t"));
  EXPECT_EQ(w.tagged("soft_refresh").size(), 0u);
  EXPECT_EQ(w.env.sim_cli.runs, 0u);
}

// ttl_s = 10^13: (expiry - now - lead) s is past int64 in microseconds.
TEST(Tokens, a_huge_ttl_arms_no_soft_refresh_in_the_past) {
  TrioConfig c;
  c.knobs.ttl_s = 10'000'000'000'000;
  TrioWorld w(c);
  Term result;
  w.run([&](Ctx ctx) -> Task<> {
    result = co_await w.get(ctx, "a");
    co_await ctx.sleep(10 * s);
  });
  EXPECT_EQ(result, ok("cli-a-1"));
  EXPECT_EQ(w.tagged("soft_refresh").size(), 0u);
  EXPECT_EQ(w.env.sim_cli.runs, 1u);
}

// The parser's largest cli_timeout_ms: the CLI task's timeout and the
// client's call timeout (cli_timeout + 5 s) must not wrap when armed at t > 0
// (wrapped, the call's timer lay in the past and fired before the CLI's 1 s).
TEST(Tokens, the_largest_cli_timeout_does_not_wrap_the_timeouts) {
  TrioConfig c;
  c.knobs.cli_timeout_ms = std::numeric_limits<std::int64_t>::max() / 1000 - 5000;
  TrioWorld w(c);
  w.env.sim_cli.behaviour.latency_us = 1 * s;
  Term result;
  w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1000);
    result = co_await w.get(ctx, "a");
  });
  EXPECT_EQ(result, ok("cli-a-1"));
}

// The parser's largest storage latency: the read sleeps until the end of
// time, so the client's call times out (cli_timeout + 5 s); it must not wake
// at once from a timer wrapped into the past.
TEST(Tokens, the_largest_storage_latency_times_the_call_out) {
  TrioWorld w;
  w.env.memory_storage.faults.get_latency_us = std::numeric_limits<std::int64_t>::max() / 1000 * 1000;
  w.run([&](Ctx ctx) -> Task<> {
    co_await ctx.sleep(1000);
    auto body = [&w](Ctx c) -> Proc { (void)co_await w.call(c, "c", "get", "a"); };
    (void)co_await ctx.spawn(body);
    co_await ctx.sleep(30 * s);
  });
  ASSERT_EQ(w.record.calls.size(), 1u);
  const ClientCall& call = w.record.calls[0];
  EXPECT_TRUE(call.exited) << call.result.to_string();
  EXPECT_EQ(call.end_us, 1000 + 20 * s);
}

}  // namespace
}  // namespace otpsim::core::tokens
