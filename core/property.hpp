// A property's verdict when it does not hold: the first counterexample in a
// run. Shared by the trio's properties (core/tokens/properties.hpp) and the
// generic ones of any tree (core/tree/properties.hpp).
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "sim/term.hpp"

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

/// How violation messages name a pid: "<0.7.0>".
inline std::string pid_str(sim::Pid pid) { return sim::Term(pid).to_string(); }

/// How they name a simulated time: 1.5s, 0s, 0.00025s.
inline std::string time_str(sim::Micros us) {
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  std::string text = fmt::format("{:.6f}", static_cast<double>(us) / 1e6);
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text + "s";
}

/// And an instant of a run: "1.5s (step 42)".
inline std::string when(sim::Micros us, std::uint64_t step) { return fmt::format("{} (step {})", time_str(us), step); }

}  // namespace otpsim::core
