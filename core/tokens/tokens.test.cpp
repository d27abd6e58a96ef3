// The upstream suite (tokens_test.exs, as reference/exatlas-tokens.md lists
// its behaviours), ported onto simulated time: each behaviour is a case.
// No case sleeps for real; a 24 h ttl or a 15 s CLI timeout costs nothing.
#include <gtest/gtest.h>

#include "core/tokens/app_server.hpp"
#include "core/tokens/testing.hpp"

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

}  // namespace
}  // namespace otpsim::core::tokens
