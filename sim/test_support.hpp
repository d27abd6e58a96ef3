// Helpers for tests and benchmarks that drive the kernel directly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/ctx.hpp"
#include "sim/kernel.hpp"
#include "sim/random_strategy.hpp"

namespace otpsim::sim::testing {

/// Records every exit reason and spawn, in order.
class ExitRecorder : public Observer {
 public:
  void on_exit(Pid pid, const Term& reason) override {
    reasons[pid.id] = reason;
    order.push_back(pid);
  }
  void on_spawn(Pid, Pid child, const std::string&) override { spawned.push_back(child); }
  /// The exit reason as text, or "alive" if the process has not exited.
  std::string reason(Pid pid) const {
    auto it = reasons.find(pid.id);
    return it == reasons.end() ? "alive" : it->second.to_string();
  }
  std::map<std::uint64_t, Term> reasons;
  std::vector<Pid> order;
  std::vector<Pid> spawned;
};

/// A kernel with a seeded random strategy and an exit recorder attached.
struct World {
  explicit World(std::uint64_t seed = 0, TraceLevel trace = TraceLevel::full, RunLimits limits = {})
      : strategy(seed), kernel(KernelConfig{limits, trace}, strategy) {
    kernel.set_observer(&exits);
  }
  RandomStrategy strategy;
  Kernel kernel;
  ExitRecorder exits;

  Pid spawn(ProcessFn fn, std::string_view label = {}) {
    return kernel.spawn(std::move(fn), label.empty() ? SpawnOptions{} : SpawnOptions{label});
  }
  RunResult run() { return kernel.run(); }
  std::string reason(Pid pid) const { return exits.reason(pid); }
};

/// Matches tuples whose first element is the atom `tag`.
inline auto tagged(std::string_view tag) {
  return [a = Atom(tag)](const Term& m) { return m.is_tuple() && m.size() > 0 && m[0].is(a); };
}

}  // namespace otpsim::sim::testing
