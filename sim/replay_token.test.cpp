#include "sim/replay_token.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <rapidcheck/gtest.h>

#include <cstdio>

namespace otpsim::sim {
namespace {

ReplayToken sample() {
  return ReplayToken{"kernel/name-race", 42, "random", 120, 10'000'000, 86'400'000'000, {0, 1, 2, 1, 300, 0}};
}

TEST(ReplayToken, round_trips) {
  ReplayToken t = sample();
  std::string text = encode_token(t);
  EXPECT_EQ(text.find(' '), std::string::npos);
  EXPECT_TRUE(text.starts_with("otpsim2.kernel/name-race.42.random.async.120."));
  TokenParse p = decode_token(text);
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(*p.token, t);
}

TEST(ReplayToken, trailing_newline_from_a_paste_is_accepted) {
  TokenParse p = decode_token(encode_token(sample()) + "\n");
  EXPECT_TRUE(p.token.has_value()) << p.error;
}

TEST(ReplayToken, a_changed_character_fails_the_checksum) {
  std::string text = encode_token(sample());
  text[text.find(".42.") + 1] = '3';
  TokenParse p = decode_token(text);
  EXPECT_FALSE(p.token.has_value());
  EXPECT_NE(p.error.find("checksum"), std::string::npos);
}

TEST(ReplayToken, malformed_tokens_get_a_one_line_error_naming_the_field) {
  EXPECT_NE(decode_token("").error.find("10 dot-separated fields"), std::string::npos);
  EXPECT_NE(decode_token("hello").error.find("found 1"), std::string::npos);
  EXPECT_NE(decode_token("x.a.1.random.async.1.1.1.AA.00000000").error.find("field 1"), std::string::npos);
  std::string text = encode_token(sample());
  EXPECT_NE(decode_token(text.substr(0, text.size() - 1)).error.find("checksum"), std::string::npos);
}

TEST(ReplayToken, a_time_limit_out_of_range_is_refused) {
  for (std::int64_t bad : {std::int64_t{-1}, std::int64_t{1} << 62, std::numeric_limits<std::int64_t>::max()}) {
    ReplayToken t = sample();
    t.time_max_us = bad;
    const TokenParse p = decode_token(encode_token(t));
    EXPECT_NE(p.error.find("field 8 (time_max_us)"), std::string::npos) << bad << ": " << p.error;
  }
  ReplayToken ok = sample();
  ok.time_max_us = (std::int64_t{1} << 62) - 1;
  EXPECT_TRUE(decode_token(encode_token(ok)).error.empty());
}

TEST(ReplayToken, the_delivery_round_trips_and_a_bad_one_is_named) {
  ReplayToken t = sample();
  t.delivery = Delivery::instant;
  TokenParse p = decode_token(encode_token(t));
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(p.token->delivery, Delivery::instant);
  std::string text = encode_token(sample());
  EXPECT_NE(text.find(".async."), std::string::npos);
  EXPECT_NE(decode_token("otpsim2.a.1.random.later.1.1.1.AA.00000000").error.find("field 5 (delivery)"), std::string::npos);
}

TEST(ReplayToken, an_otpsim1_token_from_before_async_delivery_replays_as_instant) {
  // Built as the otpsim1 encoder did: nine fields, FNV-1a over the first eight.
  std::string body = "otpsim1.p.7.random.3.100.200.AQID";
  std::uint32_t h = 2166136261u;
  for (unsigned char c : body) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  TokenParse p = decode_token(body + "." + hex);
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(p.token->delivery, Delivery::instant);
  EXPECT_EQ(p.token->seed, 7u);
  EXPECT_EQ(p.token->picks, (std::vector<std::uint64_t>{1, 2, 3}));
}

RC_GTEST_PROP(ReplayToken, any_choice_log_round_trips, (std::vector<std::uint64_t> picks, std::uint64_t seed)) {
  ReplayToken t{"p", seed, "random", picks.size(), 100, 200, picks};
  TokenParse p = decode_token(encode_token(t));
  RC_ASSERT(p.token.has_value());
  RC_ASSERT(*p.token == t);
}

}  // namespace
}  // namespace otpsim::sim
