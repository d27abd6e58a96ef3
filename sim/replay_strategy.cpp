#include "sim/replay_strategy.hpp"

#include <fmt/format.h>

namespace otpsim::sim {

ReplayStrategy::ReplayStrategy(std::vector<std::uint64_t> picks, std::vector<std::uint32_t> bounds)
    : picks_(std::move(picks)), bounds_(std::move(bounds)) {}

ReplayStrategy::ReplayStrategy(const std::vector<Choice>& log) {
  for (const Choice& c : log) {
    picks_.push_back(c.pick);
    bounds_.push_back(c.bound);
  }
}

std::uint64_t ReplayStrategy::answer(std::uint64_t bound, const char* what) {
  if (next_ >= picks_.size()) {
    error_ = fmt::format("replay diverged: the run asked for {} choice #{} but the log has only {} "
                         "(model nondeterministic, or token from another build?)",
                         what, next_ + 1, picks_.size());
    return bound;  // out of range: the kernel stops the run
  }
  const std::uint64_t pick = picks_[next_];
  if (pick >= bound || (!bounds_.empty() && bounds_[next_] != bound)) {
    error_ = fmt::format("replay diverged at {} choice #{}: recorded {} of {}, but {} options are enabled "
                         "(model nondeterministic, or token from another build?)",
                         what, next_ + 1, pick, bounds_.empty() ? 0 : bounds_[next_], bound);
    return bound;
  }
  ++next_;
  return pick;
}

std::size_t ReplayStrategy::pick(const SchedulePoint& point) { return answer(point.size(), "schedule"); }

std::uint64_t ReplayStrategy::choose(std::uint64_t bound) { return answer(bound, "data"); }

}  // namespace otpsim::sim
