// `pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Each process gets a random priority when it is
// first seen; the scheduler always runs the enabled process of highest
// priority; at d - 1 change points, drawn uniformly from the first k steps,
// the process that just ran drops below every initial priority. A bug of
// depth d (d ordering constraints between steps) is found on each run with
// probability at least 1 / (n * k^(d-1)) for n processes and k steps, far
// above what uniform random scheduling gives for deep, narrow races.
//
// Data choices and probability faults are uniform / weighted draws from the
// same seeded generator, as in `random`.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sim/rng.hpp"
#include "sim/strategy.hpp"

namespace otpsim::sim {

class PctOptions {
 public:
  PctOptions() = default;
  std::uint32_t depth = 3;           // d: the bug depth aimed at (>= 1)
  std::uint64_t steps_estimate = 500;  // k: about how many steps a run takes (>= 1)
};

class PctStrategy final : public Strategy {
 public:
  PctStrategy(std::uint64_t seed, PctOptions options);
  std::string_view name() const override { return "pct"; }
  std::size_t pick(const SchedulePoint& point) override;
  std::uint64_t choose(std::uint64_t bound) override { return rng_.below(bound); }
  std::uint64_t flip(std::uint32_t millionths) override { return rng_.below(1'000'000) < millionths ? 1 : 0; }
  void on_step(const StepInfo& step) override;

 private:
  std::uint64_t priority_of(Pid pid);

  Rng rng_;
  PctOptions options_;
  /// Sorted change points (step counts), at most depth - 1 of them.
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
  std::uint64_t steps_ = 0;
  /// Priorities by pid id (ordered map: no address or hash order).
  std::map<std::uint64_t, std::uint64_t> priority_;
};

}  // namespace otpsim::sim
