// `swarm`: swarm testing (Groce, Zhang, Eide, Chen, Regehr, ISSTA 2012),
// with FoundationDB's per-seed randomised knobs. Instead of one fixed
// scheduler, every seed first draws its own configuration, then runs under
// it:
//
// - the walk: uniform random steps, or pct (pct_strategy.hpp) with a depth
//   of 1 to 5 and the caller's step estimate as k;
// - signals in flight (async delivery): when arrivals and other steps are
//   both enabled, the run takes a non-arrival with probability `linger`
//   (high: signals stay in flight long; low: they land at once), or has no
//   bias at all;
// - a multiplier on the probability of faults chosen by probability (flip);
// - favoured processes: a share of the processes, chosen by hashing their
//   place in the spawn tree (stable across runs and replays), weighs more
//   in the random walk, or starts above the others in pct.
//
// At a schedule point with more than swarm_wide_enabled steps enabled
// (thousands of clients at once) the pick is uniform: pct and the biases
// look at every enabled step, which there would cost more than the rest of
// the run (3,000 clients: 5 s instead of 0.1 s). The rule depends only on
// the run's own state, so replays make the same picks.
//
// The configuration is a pure function of (seed, steps_estimate), and the
// run a pure function of the configuration and the seed, so a token with
// the strategy name and the seed replays it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/rng.hpp"
#include "sim/strategy.hpp"

namespace otpsim::sim {

class SwarmConfig {
 public:
  SwarmConfig() = default;
  bool pct = false;                  // false: random walk
  std::uint32_t pct_depth = 0;       // pct: 1..5
  std::uint64_t pct_steps = 1;       // pct: k
  /// Probability (millionths) of taking a non-arrival when arrivals and
  /// other steps are both enabled; meaningful only if linger_on.
  bool linger_on = false;
  std::uint32_t linger_millionths = 0;
  std::uint32_t fault_boost = 1;     // flip's probability times this (capped at 1)
  /// Share of processes favoured, in 1/1024ths (0: none), and how much a
  /// favoured process weighs against 1 in the random walk.
  std::uint32_t favoured_per_1024 = 0;
  std::uint32_t favoured_weight = 1;
  std::uint64_t salt = 0;            // picks which processes are favoured
  friend bool operator==(const SwarmConfig&, const SwarmConfig&) = default;
};

/// The configuration seed `seed` runs under; `steps_estimate` (>= 1, about
/// how many steps a run takes) is pct's k. Never reads a clock or a global.
SwarmConfig swarm_config(std::uint64_t seed, std::uint64_t steps_estimate);

/// Above this many steps enabled at once, a pick is uniform (O(1)).
inline constexpr std::size_t swarm_wide_enabled = 256;

/// One line, e.g. "pct depth 3 (k=180), signals linger 0.60, faults x4,
/// 1 in 4 processes favoured x8" (reports prefix "swarm seed N: ").
std::string describe(const SwarmConfig& config);

class SwarmStrategy final : public Strategy {
 public:
  SwarmStrategy(std::uint64_t seed, std::uint64_t steps_estimate);
  std::string_view name() const override { return "swarm"; }
  std::size_t pick(const SchedulePoint& point) override;
  std::uint64_t choose(std::uint64_t bound) override { return rng_.below(bound); }
  std::uint64_t flip(std::uint32_t millionths) override;
  void on_step(const StepInfo& step) override;
  void on_spawn(Pid parent, Pid child) override;

  const SwarmConfig& config() const { return config_; }
  std::string describe() const { return sim::describe(config_); }
  /// Whether process `pid` (spawned in this run) is favoured; never a
  /// channel actor.
  bool favoured(Pid pid) const;

 private:
  std::uint64_t priority_of(Pid pid);
  /// The priority slot of `pid`; `fresh` if it has none yet.
  std::uint64_t& priority_slot(Pid pid, bool& fresh);
  std::size_t pick_pct(const SchedulePoint& point);
  std::size_t pick_walk(const SchedulePoint& point);

  SwarmConfig config_;
  Rng rng_;
  /// The candidates of the current pick (indices into the point); kept to
  /// avoid an allocation per step.
  std::vector<std::size_t> candidates_;
  /// By pid id: the hash of the process's place in the spawn tree, and how
  /// many children it has spawned so far (for its children's hashes).
  std::vector<std::uint64_t> lineage_;
  std::vector<std::uint64_t> children_;
  std::uint64_t roots_ = 0;
  std::vector<std::uint8_t> favoured_;  // by pid id: 1 if favoured
  // pct: change points in draw order, as in PctStrategy; priorities by
  // process id (dense) and by channel actor id (huge ids: an ordered map).
  static constexpr std::uint64_t unset = ~std::uint64_t{0};
  std::vector<std::uint64_t> change_points_;
  std::uint64_t steps_ = 0;
  std::vector<std::uint64_t> process_priority_;
  std::map<std::uint64_t, std::uint64_t> channel_priority_;
};

}  // namespace otpsim::sim
