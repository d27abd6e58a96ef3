// Reports: the summary table, JSON Lines (one object per run), JUnit XML,
// and the merge of JSON Lines from several shards.
#pragma once

#include <cstdio>
#include <map>
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
  /// What the terminal printed about this property, if anything (a
  /// violation: the shrunk run's story and its replay line; a finding as
  /// expected: the same, shorter; an expected violation that never came):
  /// the text of its JUnit failure or system-out. Empty: JUnit writes the
  /// first message and the replay line.
  std::string report;
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
  /// Runs cut off by a limit (steps, simulated time, a mailbox) before
  /// their workload finished, and the first of them (the lowest seed).
  std::uint64_t cut_off = 0;
  std::uint64_t cut_off_seed = 0, cut_off_steps = 0;
  std::string cut_off_outcome, cut_off_token;
  /// What the terminal printed about the cut-off runs (JUnit's error text).
  std::string cut_off_report;
  /// Every property as expected, and no run cut off: a cut-off run's
  /// verdicts are those of a partial run, so it is never a pass.
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

/// Folds runs of one scenario into its summary, one at a time (memory does
/// not grow with the runs). The counterexample kept is the violating run
/// with the fewest steps, the lowest seed among equals, whatever the order
/// the runs come in; properties are listed in the order first seen.
class Summarizer {
 public:
  void add(const RunLine& run);
  ScenarioSummary summary;

 private:
  std::map<std::string, std::size_t> index_;  // property -> position in summary.properties
};

/// Folds runs of one scenario (any order, any shards) into its summary.
/// Runs are keyed by seed: a seed seen twice counts once.
ScenarioSummary summarize(const std::vector<RunLine>& runs);

/// The last line of a sweep's JSON Lines file (`otpsim sweep -o`): what the
/// sweep was to run and whether it finished, so that `otpsim merge` can
/// tell a complete set of shards from a gap.
class SweepTrailer {
 public:
  std::string scenario, source, strategy;
  std::uint64_t seed_base = 0, seeds = 0;
  std::uint64_t shard_index = 1, shard_count = 1;
  std::uint64_t planned = 0, ran = 0;
  std::string stopped;  // done | budget | interrupted
  bool complete() const { return stopped == "done" && ran == planned; }
};
std::string to_json(const SweepTrailer& trailer);
/// nullopt if the line is not a trailer (a run line, say); `error` set if
/// it is one but malformed.
std::optional<SweepTrailer> parse_trailer(std::string_view text, std::string& error);

void print_table(std::FILE* out, const std::vector<ScenarioSummary>& summaries);

/// JUnit XML that validates against the Jenkins xunit JUnit schema and
/// reads right in GitLab (tests/junit.xsd encodes the rules; docs/ci.md):
/// a <testsuite> per scenario (name, tests, failures, errors, skipped,
/// time) and a <testcase> per property (classname, name, time: the
/// scenario's wall time shared among its testcases). A property that did
/// not behave as expected is a <failure type="PROPERTY" message="one
/// line">, whose text is its report (PropertySummary::report); a finding
/// as expected passes, marked by <property name="expected_finding"
/// value="PROPERTY"/> in its suite's <properties> and its report in the
/// testcase's <system-out>; runs cut off at a limit are a testcase
/// runs_finish_within_the_limits with an <error type="cut_off">. Control
/// characters are written as escapes (\x01): the file is always well formed.
std::string junit_xml(const std::vector<ScenarioSummary>& summaries);

/// `text` quoted for a POSIX shell if it needs it ('my file.toml').
std::string shell_quote(std::string_view text);
/// The line that replays `token` when pasted: `otpsim replay TOKEN`, with
/// `--scenario SOURCE` (quoted for the shell) for a scenario from a file.
std::string replay_command(const std::string& source, const std::string& token);

std::string seconds_text(sim::Micros us);

/// What the progress line of `otpsim run` and `otpsim sweep` shows (on
/// stderr only: a terminal, or --progress).
class ProgressCounts {
 public:
  std::string scenario;
  std::uint64_t done = 0, total = 0;  // runs finished, of this many
  double elapsed_s = 0;               // wall time since the sweep started
  std::uint64_t violating = 0;        // runs that violated a property (expected or not)
  std::uint64_t unexpected = 0;       // ...of them, runs that violated a property expected to hold
  std::uint64_t cut_off = 0;          // runs cut off at a limit
};
/// "NAME  DONE/TOTAL PCT%  RATE runs/s  ETA 1m05s  violations V (U unexpected)  cut off C"
/// (the rate and ETA from elapsed_s; once done, "done in 12s" instead of
/// the ETA; the unexpected and cut-off counts only when not zero).
std::string progress_line(const ProgressCounts& counts);
/// A duration for people: 42s, 3m05s, 2h07m (-- for no estimate).
std::string duration_text(double seconds);

}  // namespace otpsim::scenarios
