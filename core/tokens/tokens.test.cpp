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

}  // namespace
}  // namespace otpsim::core::tokens
