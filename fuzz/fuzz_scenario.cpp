// Fuzz target: a scenario file, parsed and (if valid) run for one schedule
// with small limits, then replayed from its own token.
//
// The oracles: no crash or sanitizer report on any input, a parse error is
// one line with a position, and a run replays exactly from its token (the
// product's first promise). Built by ./dev fuzz (clang + libFuzzer); the
// corpus in fuzz/corpus/scenario/ is replayed by the normal test suite
// (fuzz/corpus_test.cpp) on every change.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  otpsim::fuzz::scenario_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
