// A property's verdict when it does not hold: the first counterexample in a
// run. Shared by the trio's properties (core/tokens/properties.hpp) and the
// generic ones of any tree (core/tree/properties.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "sim/ids.hpp"

namespace otpsim::core {

/// Why a property does not hold: the first counterexample in the run.
class Violation {
 public:
  Violation(std::string message_, sim::Micros at_us_ = 0, std::uint64_t step_ = 0)
      : message(std::move(message_)), at_us(at_us_), step(step_) {}
  std::string message;  // one line, naming pids, paths, apps, tokens
  sim::Micros at_us;
  std::uint64_t step;
};

}  // namespace otpsim::core
