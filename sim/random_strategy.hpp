// `random`: every choice uniform, from a seeded Rng. The seed alone fixes
// the run.
#pragma once

#include "sim/rng.hpp"
#include "sim/strategy.hpp"

namespace otpsim::sim {

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : rng_(seed) {}
  std::string_view name() const override { return "random"; }
  std::size_t pick(const SchedulePoint& point) override { return rng_.below(point.size()); }
  std::uint64_t choose(std::uint64_t bound) override { return rng_.below(bound); }
  std::uint64_t flip(std::uint32_t millionths) override { return rng_.below(1'000'000) < millionths ? 1 : 0; }

 private:
  Rng rng_;
};

}  // namespace otpsim::sim
