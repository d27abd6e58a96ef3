// The replay token: one copy-pasteable line that reproduces a run exactly.
//
//   otpsim2.<program>.<seed>.<strategy>.<delivery>.<steps>.<steps_max>.<time_max_us>.<choices>.<check>
//
// <delivery> is async or instant (KernelConfig::delivery). An otpsim1 token
// (no delivery field, from before async delivery) decodes as instant.
// <choices> is the choice log's picks as LEB128 varints in base64url; <check>
// is an FNV-1a hash of everything before it, so a mistyped or truncated
// token is rejected instead of replaying something else. Program names are
// [A-Za-z0-9_:/-]+ (no dots).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/effect.hpp"

namespace otpsim::sim {

struct ReplayToken {
  std::string program;
  std::uint64_t seed = 0;
  std::string strategy;
  std::uint64_t steps = 0;  // steps the run executed
  std::uint64_t steps_max = 0;
  std::int64_t time_max_us = 0;
  std::vector<std::uint64_t> picks;
  Delivery delivery = Delivery::async;
  friend bool operator==(const ReplayToken&, const ReplayToken&) = default;
};

std::string encode_token(const ReplayToken& token);

struct TokenParse {
  std::optional<ReplayToken> token;
  std::string error;  // one line, says what is wrong and where
};

TokenParse decode_token(std::string_view text);

/// True if `name` can be a program name in a token.
bool valid_program_name(std::string_view name);

}  // namespace otpsim::sim
