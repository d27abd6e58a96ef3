// The trio's collaborators (storage, CLI, config file) as GoogleMock
// objects, where the calls themselves are what a case checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/tokens/testing.hpp"

namespace otpsim::core::tokens {
namespace {

using ::testing::_;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::NiceMock;
using ::testing::Return;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

constexpr sim::Micros s = 1'000'000;

class MockCli : public Cli {
 public:
  MOCK_METHOD(CliRun, run, (const std::string& app), (override));
};

class MockStorage : public Storage {
 public:
  MOCK_METHOD(std::optional<StorageRecord>, get, (const std::string& app, StorageKey key, std::optional<StorageError>& error),
              (override));
  MOCK_METHOD(std::optional<StorageError>, put, (const std::string& app, StorageKey key, const StorageRecord& record),
              (override));
  MOCK_METHOD(void, erase, (const std::string& app, StorageKey key), (override));
  MOCK_METHOD(sim::Micros, put_latency_us, (), (const, override));
};

class MockConfigFile : public ConfigFile {
 public:
  MOCK_METHOD(std::optional<std::string>, read, (), (override));
};

TEST(TokensMocks, ten_concurrent_gets_call_the_cli_exactly_once) {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    TrioWorld w(TrioConfig(), seed);
    MockCli cli;
    w.env.cli = &cli;
    EXPECT_CALL(cli, run("my-app")).Times(1).WillOnce(Return(CliRun(0, "tok\n", 1 * s)));
    std::vector<Term> results(10);
    int done = 0;
    w.run([&](Ctx ctx) -> Task<> {
      for (Term& r : results) {
        Term* out = &r;
        int* finished = &done;
        TrioWorld* wp = &w;
        auto client = [wp, out, finished](Ctx c) -> Proc {
          *out = co_await wp->get(c, "my-app");
          ++*finished;
        };
        (void)co_await ctx.spawn(client);
      }
      while (done < 10) co_await ctx.sleep(1000);
    });
    for (const Term& r : results) EXPECT_EQ(r, sim::tuple(sa::ok(), Term::string("tok"))) << "seed " << seed;
    ::testing::Mock::VerifyAndClearExpectations(&cli);
  }
}

TEST(TokensMocks, storage_put_is_called_after_the_reply) {
  TrioWorld w;
  NiceMock<MockStorage> storage;
  w.env.storage = &storage;
  ON_CALL(storage, put_latency_us()).WillByDefault(Return(1 * s));
  bool replied = false;
  EXPECT_CALL(storage, put("my-app", StorageKey::cached, _)).WillOnce(Invoke([&](auto&&...) {
    EXPECT_TRUE(replied) << "the durable write ran before the client had its token";
    return std::optional<StorageError>();
  }));
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.get(ctx, "my-app");
    replied = true;
    co_await ctx.sleep(2 * s);
  });
}

TEST(TokensMocks, the_chain_asks_storage_then_config_then_cli_then_manual) {
  TrioWorld w;
  NiceMock<MockStorage> storage;
  MockCli cli;
  MockConfigFile config;
  w.env.storage = &storage;
  w.env.cli = &cli;
  w.env.config_file = &config;
  {
    InSequence order;
    EXPECT_CALL(storage, get("my-app", StorageKey::cached, _)).WillOnce(Return(std::nullopt));
    EXPECT_CALL(config, read()).WillOnce(Return(std::nullopt));
    EXPECT_CALL(cli, run("my-app")).WillOnce(Return(CliRun(1, "", 0)));
    EXPECT_CALL(storage, get("my-app", StorageKey::manual, _)).WillOnce(Return(StorageRecord("m", std::nullopt)));
  }
  EXPECT_CALL(storage, put(_, _, _)).Times(0);  // a manual hit is not persisted again
  Term result;
  w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
  EXPECT_EQ(result, sim::tuple(sa::ok(), Term::string("m")));
}

TEST(TokensMocks, a_disabled_config_file_is_never_read) {
  TrioWorld w;
  MockConfigFile config;
  w.env.config_file = &config;
  w.env.read_config_file = false;
  EXPECT_CALL(config, read()).Times(0);
  w.run([&](Ctx ctx) -> Task<> { (void)co_await w.get(ctx, "my-app"); });
}

TEST(TokensMocks, set_manual_writes_the_manual_key_without_expiry_before_replying) {
  TrioWorld w;
  NiceMock<MockStorage> storage;
  w.env.storage = &storage;
  bool replied = false;
  EXPECT_CALL(storage, put("my-app", StorageKey::manual, StorageRecord("m", std::nullopt)))
      .WillOnce(Invoke([&](auto&&...) {
        EXPECT_FALSE(replied);
        return std::optional<StorageError>();
      }));
  w.run([&](Ctx ctx) -> Task<> {
    (void)co_await w.set_manual(ctx, "my-app", "m");
    replied = true;
  });
}

}  // namespace
}  // namespace otpsim::core::tokens
