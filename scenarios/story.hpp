// A violation told as a short story: the fault, the causal events in OTP
// terms (one line per process turn), the violation, and the replay line.
//
// Derived only from the run's record and full trace and the violation's
// causal slice (scenarios/shrink.hpp): nothing is written per scenario.
// Processes are named by their labels (top, registry, app:a, client:ca);
// a label shared by several lives in the run gets the pid too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scenarios/runner.hpp"
#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// What a story tells of the violation.
class StoryViolation {
 public:
  std::string property;
  std::string message;
  std::string replay;  // the replay command ("otpsim replay TOKEN ...")
};

/// The story of a violation in `run` (replayed with TraceLevel::full, at
/// least up to the violating step). `slice` is the violation's causal slice
/// (ascending steps; those of the trio's boot are left out). Returns at most
/// `max_lines` lines (no indentation, no newline; at least 4 are kept):
/// first the fault(s) injected, then one line per process turn of the slice
/// (repeated turns folded "(xN)"; turns that do not fit are cut from the
/// middle, "(N more steps)", keeping those nearest the fault and the
/// violation), then "violated PROPERTY: MESSAGE", then "replay: ...".
std::vector<std::string> story(const ScenarioSpec& spec, const RunReport& run, const std::vector<std::uint64_t>& slice,
                               const StoryViolation& violation, std::size_t max_lines = 20);

/// The step at which `verdict` (a violated one of `run`) is violated: its
/// counterexample's step, or the run's length when it names none (as
/// the shrinker counts it).
std::uint64_t violation_step(const RunReport& run, const PropertyVerdict& verdict);

/// The story of the run `token` records, which violates `violation.property`
/// at step `step`: replays it with a full trace up to that step and takes
/// the causal slice. Empty if the token does not decode.
std::vector<std::string> story_of_token(const ScenarioSpec& spec, const std::string& token, std::uint64_t step,
                                        const StoryViolation& violation, std::size_t max_lines = 20);

/// The lines, each indented by two spaces and ended by a newline.
std::string story_text(const std::vector<std::string>& lines);

}  // namespace otpsim::scenarios
