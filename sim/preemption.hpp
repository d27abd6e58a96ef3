// Preemptions, and choices written relative to the running process.
//
// A preemption is a scheduling point at which the process that ran the
// previous step could run again (it is still enabled) and another one is
// picked. Fewer preemptions make a counterexample easier to read: each
// process runs as far as it can before another one takes over.
//
// The relative encoding of a schedule pick is its offset from the previous
// step's process among the enabled steps (0: let it continue; when it is not
// enabled, offsets count from the first enabled step); data choices are
// kept as they are. A shrinker that lowers entries to 0 in this encoding
// lowers preemptions, where the plain one (sequence_strategy.hpp) moves
// towards "the first enabled step", which often is a preemption.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "sim/strategy.hpp"

namespace otpsim::sim {

namespace detail {

/// The index of `last` among the point's enabled steps, or point.size().
inline std::size_t index_of(const SchedulePoint& point, Pid last) {
  for (std::size_t i = 0; i < point.size(); ++i) {
    if (point.pid(i) == last) return i;
  }
  return point.size();
}

}  // namespace detail

/// What PreemptionCounter saw of a run (shared: the kernel's owner drops
/// the strategy when the run ends).
class PreemptionLog {
 public:
  std::uint64_t preemptions = 0;
  std::vector<std::uint64_t> relative;  // the run's choices in the relative encoding
};

/// Wraps a strategy: counts the run's preemptions and records each choice
/// in the relative encoding into `log`, whatever the inner strategy is.
class PreemptionCounter final : public Strategy {
 public:
  PreemptionCounter(std::unique_ptr<Strategy> inner, std::shared_ptr<PreemptionLog> log)
      : inner_(std::move(inner)), log_(std::move(log)) {}
  std::string_view name() const override { return inner_->name(); }
  std::size_t pick(const SchedulePoint& point) override {
    const std::size_t current = started_ ? detail::index_of(point, last_) : point.size();
    const std::size_t base = current < point.size() ? current : 0;
    const std::size_t i = inner_->pick(point);
    if (i < point.size()) {
      if (current < point.size() && i != current) ++log_->preemptions;
      log_->relative.push_back((i + point.size() - base) % point.size());
    }
    return i;
  }
  std::uint64_t choose(std::uint64_t bound) override { return record(inner_->choose(bound)); }
  std::uint64_t flip(std::uint32_t millionths) override { return record(inner_->flip(millionths)); }
  void on_step(const StepInfo& step) override {
    last_ = step.pid;
    started_ = true;
    inner_->on_step(step);
  }
  void on_time_advance(Micros now_us) override { inner_->on_time_advance(now_us); }
  void on_spawn(Pid parent, Pid child) override { inner_->on_spawn(parent, child); }
  bool wants_patterns() const override { return inner_->wants_patterns(); }
  void hold(std::shared_ptr<const void> storage) override { inner_->hold(std::move(storage)); }
  std::string error() const override { return inner_->error(); }

 private:
  std::uint64_t record(std::uint64_t v) {
    log_->relative.push_back(v);
    return v;
  }
  std::unique_ptr<Strategy> inner_;
  std::shared_ptr<PreemptionLog> log_;
  Pid last_;
  bool started_ = false;
};

/// Answers each choice from a list in the relative encoding (reduced
/// modulo the number of options); past the list's end every answer is 0:
/// the running process continues, the simpler data answer, no fault.
class RelativeSequenceStrategy final : public Strategy {
 public:
  explicit RelativeSequenceStrategy(std::vector<std::uint64_t> values) : values_(std::move(values)) {}
  std::string_view name() const override { return "relative_sequence"; }
  std::size_t pick(const SchedulePoint& point) override {
    const std::size_t current = started_ ? detail::index_of(point, last_) : point.size();
    const std::size_t base = current < point.size() ? current : 0;
    return (base + next() % point.size()) % point.size();
  }
  std::uint64_t choose(std::uint64_t bound) override { return next() % bound; }
  void on_step(const StepInfo& step) override {
    last_ = step.pid;
    started_ = true;
  }

 private:
  std::uint64_t next() {
    const std::uint64_t v = next_ < values_.size() ? values_[next_] : 0;
    ++next_;
    return v;
  }
  std::vector<std::uint64_t> values_;
  std::size_t next_ = 0;
  Pid last_;
  bool started_ = false;
};

}  // namespace otpsim::sim
