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

// `body` and its check field, as every encoder wrote it: FNV-1a, 8 hex digits.
std::string with_check(const std::string& body) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : body) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return body + "." + hex;
}

TEST(ReplayToken, round_trips) {
  ReplayToken t = sample();
  std::string text = encode_token(t);
  EXPECT_EQ(text.find(' '), std::string::npos);
  EXPECT_TRUE(text.starts_with("otpsim3.kernel/name-race.42.random.async.120.")) << text;
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
  TokenParse p = decode_token(with_check("otpsim1.p.7.random.3.100.200.AQID"));
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(p.token->delivery, Delivery::instant);
  EXPECT_EQ(p.token->seed, 7u);
  EXPECT_EQ(p.token->picks, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(ReplayToken, an_error_quoting_the_token_stays_on_one_line) {
  const TokenParse p = decode_token("804d\nEotpsim2.a.1.random.async.1.1.1.AA.00000000");
  ASSERT_FALSE(p.token.has_value());
  EXPECT_EQ(p.error.find('\n'), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("804d\\x0aEotpsim2"), std::string::npos) << p.error;
}

TEST(ReplayToken, a_seeded_token_lists_no_choices_and_stays_short) {
  ReplayToken t = sample();
  t.picks.assign(1'000'000, 3);
  t.from_seed = true;
  t.choices_hash = choices_hash(t.picks);
  const std::string text = encode_token(t);
  EXPECT_LT(text.size(), 120u) << text;
  const TokenParse p = decode_token(text);
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_TRUE(p.token->from_seed);
  EXPECT_TRUE(p.token->picks.empty());
  EXPECT_EQ(p.token->choices_hash, t.choices_hash);
}

TEST(ReplayToken, listed_choices_are_run_length_coded) {
  ReplayToken t = sample();
  t.picks.assign(100'000, 0);
  t.picks.push_back(std::numeric_limits<std::uint64_t>::max());
  t.picks.push_back(63);
  t.picks.push_back(64);
  t.steps = t.picks.size();
  const std::string text = encode_token(t);
  EXPECT_LT(text.size(), 150u) << text;
  const TokenParse p = decode_token(text);
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(*p.token, t);
}

TEST(ReplayToken, a_run_length_past_the_steps_is_refused_not_allocated) {
  ReplayToken t = sample();
  t.picks.assign(100'000, 1);  // 100,000 choices in a run of 120 steps
  const TokenParse p = decode_token(encode_token(t));
  EXPECT_FALSE(p.token.has_value());
  EXPECT_NE(p.error.find("more choices than the run has steps"), std::string::npos) << p.error;
}

TEST(ReplayToken, an_otpsim2_token_still_decodes) {
  // Built as the otpsim2 encoder did: the picks as plain LEB128 varints.
  TokenParse p = decode_token(with_check("otpsim2.p.7.random.async.3.100.200.AQID"));
  ASSERT_TRUE(p.token.has_value()) << p.error;
  EXPECT_EQ(p.token->picks, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_FALSE(p.token->from_seed);
}

RC_GTEST_PROP(ReplayToken, any_choice_log_round_trips, (std::vector<std::uint64_t> picks, std::uint64_t seed)) {
  ReplayToken t{"p", seed, "random", picks.size(), 100, 200, picks};
  // Long runs of one pick, too: the run-length code's other branch.
  if (!picks.empty()) t.picks.insert(t.picks.end(), seed % 300, picks.back());
  t.steps = t.picks.size();
  TokenParse p = decode_token(encode_token(t));
  RC_ASSERT(p.token.has_value());
  RC_ASSERT(*p.token == t);
}

}  // namespace
}  // namespace otpsim::sim
