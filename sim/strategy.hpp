// The scheduler's strategy interface: at each scheduling point with two or
// more enabled steps, the strategy picks one. Data choices made inside the
// simulation (Ctx::choose, random faults) come from the strategy too, so a
// run is a pure function of its strategy's answers, which the kernel logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sim/effect.hpp"
#include "sim/ids.hpp"

namespace otpsim::sim {

class Kernel;

/// A read-only view of one scheduling point.
class SchedulePoint {
 public:
  SchedulePoint(const Kernel& kernel, std::uint64_t step_index) : kernel_(kernel), step_index_(step_index) {}
  /// Number of enabled steps (at least 2 when a strategy is asked).
  std::size_t size() const;
  /// The process of enabled step i, and what that step does and touches.
  Pid pid(std::size_t i) const;
  StepInfo step(std::size_t i) const;
  /// Steps executed so far in this run.
  std::uint64_t step_index() const { return step_index_; }
  Micros now_us() const;

 private:
  const Kernel& kernel_;
  std::uint64_t step_index_;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  /// Picks one of point.size() >= 2 enabled steps. A value >= size() means
  /// the strategy cannot continue (see error()); the run then stops.
  virtual std::size_t pick(const SchedulePoint& point) = 0;
  /// A data choice in [0, bound), bound >= 2. A value >= bound stops the run.
  virtual std::uint64_t choose(std::uint64_t bound) = 0;
  /// A coin that should come up 1 with probability millionths / 1,000,000
  /// (0 < millionths < 1,000,000): a fault chosen by probability. The kernel
  /// logs it as a data choice of bound 2, so replay, shrinking and
  /// exhaustive search treat it like any other choice; 0 (no) is the simpler
  /// answer. A value >= 2 stops the run. The default ignores the weight.
  virtual std::uint64_t flip(std::uint32_t millionths) {
    (void)millionths;
    return choose(2);
  }
  /// Called after every step, forced or chosen, once the observer has seen
  /// it. `step` is what the step was declared to touch, or global if an
  /// observer acted from outside during it (Kernel::mark_step_global).
  virtual void on_step(const StepInfo&) {}
  /// Simulated time moved forward (no step was enabled). Every step before
  /// happens before every step after: none can be reordered across it.
  virtual void on_time_advance(Micros /*now_us*/) {}
  /// The kernel made process `child`, spawned by `parent` (Pid{} for a
  /// root spawned from outside). A strategy that keeps state across runs
  /// names processes by this (sim/lineage.hpp), not by pid number.
  virtual void on_spawn(Pid /*parent*/, Pid /*child*/) {}
  /// True if the kernel should retain receive patterns and arrived
  /// messages for the whole run (StepInfo::pattern, StepInfo::payload):
  /// receive-aware dependence (dfs) needs them; they cost memory and time.
  virtual bool wants_patterns() const { return false; }
  /// With wants_patterns: the storage behind StepInfo::pattern and
  /// ::payload, handed over when the run starts. Holding it keeps those
  /// pointers valid after the kernel is gone (a driver may destroy the
  /// kernel before it tells the strategy's owner that the run ended).
  virtual void hold(std::shared_ptr<const void> storage) { (void)storage; }
  /// Why the strategy stopped the run; empty while it can continue.
  virtual std::string error() const { return {}; }
};

}  // namespace otpsim::sim
