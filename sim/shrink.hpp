// Shrinking a failing run to a smaller one that fails the same way, by
// editing its choice sequence (as Hypothesis and rapidcheck shrink their
// choice streams). The run is replayed under SequenceStrategy, where every
// answer past the sequence's end is 0, so shorter sequences and smaller
// numbers mean "run the first enabled process, take the simplest data
// answer, inject no probability fault": fewer interleavings and faults.
//
// Passes, repeated until none improves: cut the tail; delete chunks of 8, 4,
// 2 and 1 entries; lower each entry (to 0, to half, by one). A candidate is
// kept if the run still fails and is better: a lower rank (the caller's
// first measure, e.g. the run's preemptions; 0 if it has none), then a lower
// cost (e.g. the step at which the property was violated), then a shorter
// sequence, then a lexicographically smaller one. Deterministic:
// the same start and test give the same result.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace otpsim::sim {

/// A candidate run that still fails: its cost and the choices it used
/// (the kernel's choice log, answers already reduced to their range).
class ShrinkAttempt {
 public:
  std::uint64_t cost = 0;
  std::vector<std::uint64_t> used;
  std::uint64_t rank = 0;  // compared before cost
};

/// Runs the program on a candidate sequence; nullopt if the run passes.
using ShrinkTest = std::function<std::optional<ShrinkAttempt>(const std::vector<std::uint64_t>& candidate)>;

class ShrinkResult {
 public:
  std::vector<std::uint64_t> choices;  // the smallest failing sequence found (no trailing zeros)
  std::uint64_t rank = 0;
  std::uint64_t cost = 0;
  std::uint64_t attempts = 0;  // runs tried
  std::uint64_t accepted = 0;  // of which kept
};

/// `start` must fail with cost `start_cost` (and rank `start_rank`). Stops
/// after `max_attempts` runs.
ShrinkResult shrink_choices(std::vector<std::uint64_t> start, std::uint64_t start_cost, const ShrinkTest& test,
                            std::uint64_t max_attempts = 4000, std::uint64_t start_rank = 0);

}  // namespace otpsim::sim
