#include "sim/pct_strategy.hpp"

#include <algorithm>

namespace otpsim::sim {

namespace {
/// Initial priorities lie above this; change point i (0-based) lowers a
/// process to depth - 1 - i, below every initial priority, as in the paper.
constexpr std::uint64_t initial_floor = 1ULL << 32;
}  // namespace

PctStrategy::PctStrategy(std::uint64_t seed, PctOptions options) : rng_(seed), options_(options) {
  if (options_.depth == 0) options_.depth = 1;
  if (options_.steps_estimate == 0) options_.steps_estimate = 1;
  // d - 1 distinct change points in [1, k] (fewer if k is smaller).
  const std::uint64_t wanted = std::min<std::uint64_t>(options_.depth - 1, options_.steps_estimate);
  while (change_points_.size() < wanted) {
    const std::uint64_t at = 1 + rng_.below(options_.steps_estimate);
    if (std::find(change_points_.begin(), change_points_.end(), at) == change_points_.end()) change_points_.push_back(at);
  }
  // Change point i is the i-th one drawn, not the i-th in time: which of the
  // d - 1 priorities a change point gets is random too.
  // (Kept in draw order; on_step looks them up by step.)
}

std::uint64_t PctStrategy::priority_of(Pid pid) {
  auto [it, inserted] = priority_.try_emplace(pid.id, 0);
  if (inserted) {
    // A random priority above every change-point priority. Ties (2^-32 per
    // pair) fall back to the lower pid, deterministically.
    it->second = initial_floor + rng_.below(initial_floor);
  }
  return it->second;
}

std::size_t PctStrategy::pick(const SchedulePoint& point) {
  std::size_t best = 0;
  std::uint64_t best_priority = 0;
  for (std::size_t i = 0; i < point.size(); ++i) {
    const std::uint64_t p = priority_of(point.pid(i));
    if (i == 0 || p > best_priority || (p == best_priority && point.pid(i).id < point.pid(best).id)) {
      best = i;
      best_priority = p;
    }
  }
  return best;
}

void PctStrategy::on_step(const StepInfo& step) {
  ++steps_;
  (void)priority_of(step.pid);  // a process seen only in forced steps still gets its draw in order
  for (std::size_t i = 0; i < change_points_.size(); ++i) {
    if (change_points_[i] == steps_) priority_[step.pid.id] = options_.depth - 1 - i;
  }
}

}  // namespace otpsim::sim
