// Reports: the summary table, JSON Lines (one object per run), JUnit XML,
// and the merge of JSON Lines from several shards.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/sweep.hpp"

namespace otpsim::scenarios {

/// One property over all the schedules of a scenario.
class PropertySummary {
 public:
  std::string name;
  bool expected_to_hold = true;
  std::uint64_t violations = 0;  // schedules that violated it
  /// The counterexample reported: the violating run with the fewest steps
  /// (the shortest trace to read), the lowest seed among equals.
  std::uint64_t first_seed = 0;
  std::uint64_t first_steps = 0;
  std::string first_token, first_message;
  /// Expected to hold: never violated. Expected violated: violated at least once.
  bool as_expected() const { return expected_to_hold ? violations == 0 : violations > 0; }
  /// held | violated (expected) | VIOLATED | HELD (expected a violation)
  std::string status() const;
};

class ScenarioSummary {
 public:
  std::string scenario;
  std::string source;
  std::uint64_t schedules = 0, steps = 0;
  sim::Micros sim_time_max_us = 0;
  double wall_s = 0;
  bool budget_hit = false;
  std::vector<PropertySummary> properties;
  bool ok() const;
};

/// One run as a JSON object on one line.
class RunLine {
 public:
  std::string scenario, source, token, outcome;
  std::uint64_t seed = 0, steps = 0;
  sim::Micros sim_time_us = 0;
  double wall_s = 0;
  class Verdict {
   public:
    std::string property;
    bool held = true, expected_to_hold = true;
    std::string message;
  };
  std::vector<Verdict> verdicts;
};

RunLine run_line(const ScenarioSpec& spec, const SeedResult& run);
/// Adds runs kept only as counts (SweepOptions::fold_held_runs) to a summary.
void add_folded(ScenarioSummary& summary, const FoldedRuns& folded);
std::string to_json(const RunLine& line);
/// nullopt (and `error`) for a line that is not a run object.
std::optional<RunLine> parse_run_line(std::string_view text, std::string& error);

/// Folds runs of one scenario (any order, any shards) into its summary.
/// Runs are keyed by seed: a seed seen twice counts once.
ScenarioSummary summarize(const std::vector<RunLine>& runs);

void print_table(std::FILE* out, const std::vector<ScenarioSummary>& summaries);
std::string junit_xml(const std::vector<ScenarioSummary>& summaries);

std::string seconds_text(sim::Micros us);

}  // namespace otpsim::scenarios
