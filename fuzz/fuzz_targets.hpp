// What the fuzz targets do with one input, shared by the libFuzzer entry
// points (fuzz_scenario.cpp, fuzz_token.cpp) and the corpus test that runs
// every committed corpus file in the normal suite (corpus_test.cpp).
//
// Each function returns normally on any input; a broken promise aborts
// (so libFuzzer records the input as a crash):
//   - a parse or decode error is one line, with a position for a file;
//   - a scenario that parses runs one schedule within small limits and
//     replays exactly from its own token (same steps, no divergence, same
//     verdicts);
//   - a token that decodes re-encodes to itself (decode is the inverse of
//     encode on what it accepts), and replaying it against a built-in
//     scenario ends in a report or a one-line divergence, never a crash.
#pragma once

#include <string_view>

namespace otpsim::fuzz {

/// The limits a fuzzed run is held to, so one input is milliseconds.
inline constexpr unsigned long long fuzz_steps_max = 4000;

void scenario_one(std::string_view text);
void token_one(std::string_view text);

}  // namespace otpsim::fuzz
