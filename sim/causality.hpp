// The causal slice of a step: the steps it depends on. A step depends on an
// earlier one if they are dependent (sim/dependence.hpp: same process, or
// conflicting use of one object), if it received a message the earlier one
// sent (a timer's message: the send_after), or through a chain of these.
// Simulated time is left out: a step after a clock advance depends on the
// steps before only through these edges (dfs, which must be sound, orders
// them all). The slice is the part of a counterexample worth reading: the
// other steps neither lead to the violating step nor change what it sees.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/strategy.hpp"

namespace otpsim::sim {

/// One executed step as a strategy sees it, and how many simulated-time
/// advances came before it.
class LoggedStep {
 public:
  StepInfo step;
  std::uint64_t epoch = 0;
};

/// Wraps a strategy and logs every step of the run into `log`.
class LoggingStrategy final : public Strategy {
 public:
  LoggingStrategy(std::unique_ptr<Strategy> inner, std::shared_ptr<std::vector<LoggedStep>> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  std::string_view name() const override { return inner_->name(); }
  std::size_t pick(const SchedulePoint& point) override { return inner_->pick(point); }
  std::uint64_t choose(std::uint64_t bound) override { return inner_->choose(bound); }
  std::uint64_t flip(std::uint32_t millionths) override { return inner_->flip(millionths); }
  bool wants_patterns() const override { return inner_->wants_patterns(); }
  void hold(std::shared_ptr<const void> storage) override { inner_->hold(std::move(storage)); }
  void on_step(const StepInfo& step) override {
    log_->push_back({step, epoch_});
    inner_->on_step(step);
  }
  void on_spawn(Pid parent, Pid child) override { inner_->on_spawn(parent, child); }
  void on_time_advance(Micros now_us) override {
    ++epoch_;
    inner_->on_time_advance(now_us);
  }
  std::string error() const override { return inner_->error(); }

 private:
  std::unique_ptr<Strategy> inner_;
  std::shared_ptr<std::vector<LoggedStep>> log_;
  std::uint64_t epoch_ = 0;
};

/// The indices (ascending) of the steps that happen before step `target`,
/// and `target` itself. `target` must be < steps.size().
std::vector<std::uint64_t> causal_slice(const std::vector<LoggedStep>& steps, std::uint64_t target);

}  // namespace otpsim::sim
