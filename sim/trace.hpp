// The record of a run: every step (with full tracing) and every choice.
//
// Exports are pure functions of the recorded data, so two runs with the same
// (program, seed, strategy) produce byte-identical exports.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/effect.hpp"
#include "sim/ids.hpp"

namespace otpsim::sim {

enum class TraceLevel : std::uint8_t {
  off,   // only the choice log and counters
  full,  // one event per step, plus process exits and clock advances
};

/// Trace-only event kinds, in addition to the effects of steps.
enum class TraceKind : std::uint8_t {
  step,    // a process performed `effect`
  exited,  // a process ended; detail is the reason
  clock,   // simulated time advanced to time_us (no process)
  event,   // a process emitted an event (Ctx::emit); detail is the term
};

struct TraceEvent {
  std::uint64_t step = 0;  // index of the step this event belongs to
  Micros time_us = 0;
  Pid pid;
  TraceKind kind = TraceKind::step;
  EffectKind effect = EffectKind::none;
  std::string detail;
};

struct ProcessLabel {
  Pid pid;
  std::string label;
};

class Trace {
 public:
  std::vector<TraceEvent> events;
  std::vector<ProcessLabel> labels;  // in spawn order; only labelled processes
  /// The step at which the run first made a choice (a scheduling or data
  /// choice); before it every step was forced, the same in every schedule.
  /// Recorded at every trace level. ~0: the run made no choice.
  std::uint64_t first_choice_step = ~std::uint64_t{0};

  /// "<0.3.0>" or "<0.3.0>(registry)".
  std::string pid_name(Pid pid) const;

  /// One line per event: step, time, pid, effect, detail.
  void write_text(std::ostream& out) const;
  /// Only the events of steps from..to (inclusive).
  void write_text(std::ostream& out, std::uint64_t from_step, std::uint64_t to_step) const;
  /// Only the events of the steps listed (ascending), e.g. a causal slice.
  void write_text(std::ostream& out, const std::vector<std::uint64_t>& steps) const;
  /// One line of write_text.
  void write_event(std::ostream& out, const TraceEvent& e) const;
  /// One JSON object per line.
  void write_jsonl(std::ostream& out) const;
  enum class TimeAxis : std::uint8_t { simulated, steps };
  /// Chrome/Perfetto trace-event JSON: one track per process (named by its
  /// label), an instant per event, and a slice for each process's life.
  /// `steps` uses the step index as the timestamp, which separates events
  /// that happen at the same simulated microsecond.
  void write_chrome(std::ostream& out, TimeAxis axis = TimeAxis::simulated) const;

  std::string text() const;
};

/// One choice the strategy made: `pick` in [0, bound).
struct Choice {
  enum class Kind : std::uint8_t { schedule, data };
  Kind kind = Kind::schedule;
  std::uint32_t bound = 0;
  std::uint64_t pick = 0;
  friend bool operator==(const Choice&, const Choice&) = default;
};

std::string json_escape(std::string_view text);
/// Simulated time as traces print it: "12.000345s" (seconds, 6 decimals).
std::string format_time(Micros us);

}  // namespace otpsim::sim
