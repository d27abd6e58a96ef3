// Fuzz target: a replay token, decoded and (if valid) re-encoded and
// replayed against a built-in scenario with small limits. See
// fuzz/fuzz_targets.hpp for the oracles.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  otpsim::fuzz::token_one(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
