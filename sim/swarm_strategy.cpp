#include "sim/swarm_strategy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace otpsim::sim {

namespace {

/// splitmix64's finaliser: a well-spread hash of one word.
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The configuration's generator is seeded apart from the run's, so the
/// run's choices do not repeat the draws that configured it.
constexpr std::uint64_t config_stream = 0x5357'4152'4d43'4647ULL;  // "SWARMCFG"

/// pct priorities: favoured processes start above every other process,
/// every initial priority lies above the change points' (as in pct).
constexpr std::uint64_t initial_floor = 1ULL << 32;

}  // namespace

SwarmConfig swarm_config(std::uint64_t seed, std::uint64_t steps_estimate) {
  Rng r(mix(seed ^ config_stream));
  SwarmConfig c;
  // Tuned on the library's findings (docs/bug-finding.md, "Swarm, the
  // default"): pct finds the deep races, and a signal bias on top of it
  // mostly hides them, so most seeds run pct and half run no bias.
  c.pct = r.below(5) < 3;
  if (c.pct) {
    c.pct_depth = 1 + static_cast<std::uint32_t>(r.below(5));
    c.pct_steps = std::max<std::uint64_t>(1, steps_estimate);
  }
  switch (r.below(4)) {
    case 0:
      c.linger_on = true;  // signals stay in flight: 0.50 to 0.90
      c.linger_millionths = 500'000 + static_cast<std::uint32_t>(r.below(400'001));
      break;
    case 1:
      c.linger_on = true;  // signals land early: 0.10 to 0.50
      c.linger_millionths = 100'000 + static_cast<std::uint32_t>(r.below(400'000));
      break;
    default:
      break;  // no bias: every enabled step alike
  }
  constexpr std::uint32_t boosts[] = {1, 1, 2, 4, 8, 16};
  c.fault_boost = boosts[r.below(std::size(boosts))];
  constexpr std::uint32_t shares[] = {0, 128, 256, 512};  // none, 1 in 8, 1 in 4, 1 in 2
  c.favoured_per_1024 = shares[r.below(std::size(shares))];
  if (c.favoured_per_1024 > 0) c.favoured_weight = r.below(2) == 0 ? 4 : 16;
  c.salt = r.next();
  return c;
}

std::string describe(const SwarmConfig& c) {
  std::string walk = c.pct ? fmt::format("pct depth {} (k={})", c.pct_depth, c.pct_steps) : "random walk";
  std::string signals = !c.linger_on ? "signals unbiased"
                                     : fmt::format("signals linger {:.2f}", c.linger_millionths / 1e6);
  std::string favoured = c.favoured_per_1024 == 0
                             ? "no favoured processes"
                             : fmt::format("1 in {} processes favoured x{}", 1024 / c.favoured_per_1024, c.favoured_weight);
  return fmt::format("{}, {}, faults x{}, {}", walk, signals, c.fault_boost, favoured);
}

SwarmStrategy::SwarmStrategy(std::uint64_t seed, std::uint64_t steps_estimate)
    : config_(swarm_config(seed, steps_estimate)), rng_(seed) {
  if (!config_.pct) return;
  // d - 1 distinct change points in [1, k], as PctStrategy draws them.
  const std::uint64_t wanted = std::min<std::uint64_t>(config_.pct_depth - 1, config_.pct_steps);
  while (change_points_.size() < wanted) {
    const std::uint64_t at = 1 + rng_.below(config_.pct_steps);
    if (std::find(change_points_.begin(), change_points_.end(), at) == change_points_.end()) change_points_.push_back(at);
  }
}

bool SwarmStrategy::favoured(Pid pid) const {
  return !is_channel_actor(pid) && pid.id < favoured_.size() && favoured_[pid.id] != 0;
}

std::uint64_t& SwarmStrategy::priority_slot(Pid pid, bool& fresh) {
  if (!is_channel_actor(pid)) {  // a process: ids are dense, a vector serves
    if (pid.id >= process_priority_.size()) process_priority_.resize(pid.id + 1, unset);
    fresh = process_priority_[pid.id] == unset;
    return process_priority_[pid.id];
  }
  auto [it, inserted] = channel_priority_.try_emplace(pid.id, unset);
  fresh = inserted;
  return it->second;
}

std::uint64_t SwarmStrategy::priority_of(Pid pid) {
  bool fresh = false;
  std::uint64_t& slot = priority_slot(pid, fresh);
  if (fresh) slot = (favoured(pid) ? 2 * initial_floor : initial_floor) + rng_.below(initial_floor);
  return slot;
}

std::size_t SwarmStrategy::pick(const SchedulePoint& point) {
  const std::size_t n = point.size();
  // A uniform walk, or a point too wide to scan: no candidate list.
  if (n > swarm_wide_enabled || (!config_.pct && !config_.linger_on && config_.favoured_per_1024 == 0)) {
    return rng_.below(n);
  }
  candidates_.clear();
  if (config_.linger_on) {
    std::size_t arrivals = 0;
    for (std::size_t i = 0; i < n; ++i) arrivals += is_channel_actor(point.pid(i)) ? 1 : 0;
    if (arrivals > 0 && arrivals < n) {
      const bool hold = rng_.below(1'000'000) < config_.linger_millionths;  // hold: take a non-arrival
      for (std::size_t i = 0; i < n; ++i) {
        if (is_channel_actor(point.pid(i)) != hold) candidates_.push_back(i);
      }
    }
  }
  if (candidates_.empty()) {
    for (std::size_t i = 0; i < n; ++i) candidates_.push_back(i);
  }
  return config_.pct ? pick_pct(point) : pick_walk(point);
}

std::size_t SwarmStrategy::pick_pct(const SchedulePoint& point) {
  std::size_t best = candidates_[0];
  std::uint64_t best_priority = priority_of(point.pid(best));
  for (std::size_t j = 1; j < candidates_.size(); ++j) {
    const std::size_t i = candidates_[j];
    const std::uint64_t p = priority_of(point.pid(i));
    if (p > best_priority || (p == best_priority && point.pid(i).id < point.pid(best).id)) {
      best = i;
      best_priority = p;
    }
  }
  return best;
}

std::size_t SwarmStrategy::pick_walk(const SchedulePoint& point) {
  if (config_.favoured_per_1024 == 0) return candidates_[rng_.below(candidates_.size())];
  std::uint64_t total = 0;
  for (std::size_t i : candidates_) total += favoured(point.pid(i)) ? config_.favoured_weight : 1;
  std::uint64_t r = rng_.below(total);
  for (std::size_t i : candidates_) {
    const std::uint64_t w = favoured(point.pid(i)) ? config_.favoured_weight : 1;
    if (r < w) return i;
    r -= w;
  }
  return candidates_.back();  // not reached: r < total
}

std::uint64_t SwarmStrategy::flip(std::uint32_t millionths) {
  const std::uint64_t boosted = std::min<std::uint64_t>(std::uint64_t{millionths} * config_.fault_boost, 1'000'000);
  return rng_.below(1'000'000) < boosted ? 1 : 0;
}

void SwarmStrategy::on_step(const StepInfo& step) {
  if (!config_.pct) return;
  ++steps_;
  (void)priority_of(step.pid);  // a process seen only in forced steps still gets its draw in order
  for (std::size_t i = 0; i < change_points_.size(); ++i) {
    if (change_points_[i] == steps_) {
      bool fresh = false;
      priority_slot(step.pid, fresh) = config_.pct_depth - 1 - i;
    }
  }
}

void SwarmStrategy::on_spawn(Pid parent, Pid child) {
  // A process's hash is its parent's and its birth order among the
  // parent's children: the same in every run that spawns it.
  const bool known_parent = parent && parent.id < lineage_.size();
  std::uint64_t ordinal = 0;
  if (known_parent) {
    ordinal = children_[parent.id]++;
  } else {
    ordinal = roots_++;
  }
  const std::uint64_t hash = mix((known_parent ? lineage_[parent.id] : 0) * 0x100000001b3ULL + ordinal + 1);
  if (child.id >= lineage_.size()) {
    lineage_.resize(child.id + 1, 0);
    children_.resize(child.id + 1, 0);
    favoured_.resize(child.id + 1, 0);
  }
  lineage_[child.id] = hash;
  favoured_[child.id] = (mix(hash ^ config_.salt) & 1023) < config_.favoured_per_1024 ? 1 : 0;
}

}  // namespace otpsim::sim
