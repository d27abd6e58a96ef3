// `sequence`: answers each choice from a list of numbers, reduced modulo the
// number of options; past the list's end every answer is 0 (the first
// enabled step, the simpler data answer, no fault). The run is a pure
// function of the list, so a generator of lists (rapidcheck's) or a shrinker
// that deletes and lowers entries steers the schedule and the faults chosen
// by probability together, and shrinking moves towards "run the first
// enabled process, inject nothing".
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/strategy.hpp"

namespace otpsim::sim {

class SequenceStrategy final : public Strategy {
 public:
  explicit SequenceStrategy(std::vector<std::uint64_t> values) : values_(std::move(values)) {}
  std::string_view name() const override { return "sequence"; }
  std::size_t pick(const SchedulePoint& point) override { return next() % point.size(); }
  std::uint64_t choose(std::uint64_t bound) override { return next() % bound; }
  /// How many entries of the list the run consumed (the rest had no effect).
  std::size_t used() const { return next_ < values_.size() ? next_ : values_.size(); }

 private:
  std::uint64_t next() {
    const std::uint64_t v = next_ < values_.size() ? values_[next_] : 0;
    ++next_;
    return v;
  }
  std::vector<std::uint64_t> values_;
  std::size_t next_ = 0;
};

}  // namespace otpsim::sim
