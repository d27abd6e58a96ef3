// `replay`: answers every choice from a recorded choice log. If the run asks
// for a choice the log does not have, or one whose bound differs, the model
// did not replay deterministically and the run stops with that error.
#pragma once

#include <string>
#include <vector>

#include "sim/strategy.hpp"
#include "sim/trace.hpp"

namespace otpsim::sim {

class ReplayStrategy final : public Strategy {
 public:
  /// `picks` in order; bounds are checked only when `bounds` is non-empty.
  explicit ReplayStrategy(std::vector<std::uint64_t> picks, std::vector<std::uint32_t> bounds = {});
  explicit ReplayStrategy(const std::vector<Choice>& log);

  std::string_view name() const override { return "replay"; }
  std::size_t pick(const SchedulePoint& point) override;
  std::uint64_t choose(std::uint64_t bound) override;
  std::string error() const override { return error_; }
  /// True once every recorded choice has been used.
  bool exhausted() const { return next_ == picks_.size(); }

 private:
  std::uint64_t answer(std::uint64_t bound, const char* what);

  std::vector<std::uint64_t> picks_;
  std::vector<std::uint32_t> bounds_;
  std::size_t next_ = 0;
  std::string error_;
};

}  // namespace otpsim::sim
