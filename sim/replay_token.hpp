// The replay token: one copy-pasteable line that reproduces a run exactly.
//
//   otpsim3.<program>.<seed>.<strategy>.<delivery>.<steps>.<steps_max>.<time_max_us>.<choices>.<check>
//
// <delivery> is async or instant (KernelConfig::delivery). <choices> is one of
//   S<hash>  the choices are not listed: the token's strategy, given the
//            seed, makes them again (a seeded run: random, pct, swarm);
//            <hash> (8 hex digits, FNV-1a of the picks) checks that it did.
//            Such a token stays about 100 characters however long the run.
//   R<runs>  the picks, run-length coded, in base64url: each run of n equal
//            picks v is one varint of v*2+(n>1) (its first byte holds 6 bits
//            of v), then, if n>1, a LEB128 varint of n-2. A shrunk schedule
//            is mostly runs of 0.
// <check> is an FNV-1a hash of everything before it, so a mistyped or
// truncated token is rejected instead of replaying something else. Program
// names are [A-Za-z0-9_:/-]+ (no dots). Older tokens still decode: otpsim2
// (the picks as plain LEB128 varints) and otpsim1 (also no delivery field:
// instant).
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
  std::vector<std::uint64_t> picks;  // empty when from_seed
  Delivery delivery = Delivery::async;
  /// The choices are regenerated from the seed by the token's strategy, not
  /// listed; `choices_hash` is what they must hash to (choices_hash()).
  bool from_seed = false;
  std::uint32_t choices_hash = 0;
  friend bool operator==(const ReplayToken&, const ReplayToken&) = default;
};

/// FNV-1a over the picks (each as 8 little-endian bytes): what a seeded
/// token's regenerated choices must hash to.
std::uint32_t choices_hash(const std::vector<std::uint64_t>& picks);

/// The most choices a token of a `steps`-step run may list: 16 per step
/// and 4096 more (a run makes one per step, and a process step rarely more
/// than one); a token listing more is refused as malformed.
constexpr std::uint64_t max_choices(std::uint64_t steps) {
  return steps > (std::uint64_t{1} << 58) ? std::uint64_t{1} << 62 : steps * 16 + 4096;
}

/// The token's text. With `from_seed`, the picks are not written, only
/// `choices_hash` (which the caller sets, e.g. from choices_hash(picks)).
std::string encode_token(const ReplayToken& token);

struct TokenParse {
  std::optional<ReplayToken> token;
  std::string error;  // one line, says what is wrong and where
};

TokenParse decode_token(std::string_view text);

/// True if `name` can be a program name in a token.
bool valid_program_name(std::string_view name);

}  // namespace otpsim::sim
