// A fault plan is data: a list of (trigger, action, target). See
// docs/scenarios.md for the file syntax and docs/faults.md for semantics.
//
// Triggers: at a simulated time, at a step, when a target process receives
// a matching message, or with probability p at each scheduling point; each
// may skip its first `after` occurrences, be limited to a time window, and
// fire at most `max_fires` times.
// Actions on processes: kill with a reason, crash on next message.
// Actions on the environment: storage put/get failure or slowness, CLI
// failure / hang / slowness / empty output, a clock jump, a whole-node
// restart (volatile state lost, durable storage kept). Environment faults
// may heal after a duration.
// Targets by logical name: top, registry, ets_owner, task_sup, dyn_sup,
// app:NAME, any_app (the trio's process targets); storage, cli, cli:NAME
// (one app's CLI), clock, node (environment targets). Any system: a path in
// the tree ("top/registry", "top/sessions/session:a") or any_child:PATH (a
// live child of the supervisor at PATH, picked by a logged choice).
// Process actions also: stop_normal (the process exits normal, as
// GenServer.stop(pid, :normal) would, terminate first) and busy (the
// process takes no step for duration_us, as erlang:suspend_process/1 and
// resume_process/1: its mailbox fills; an exit signal still ends it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/ids.hpp"
#include "sim/term.hpp"

namespace otpsim::faults {

using sim::Micros;

class Target {
 public:
  enum class Kind : std::uint8_t {
    top, registry, ets_owner, task_sup, dyn_sup, app, any_app,  // the trio's processes
    path, any_child,                                             // any tree's processes
    storage, cli, clock, node,                                   // the environment
  };
  Target() = default;
  Target(Kind k, std::string app_ = {}) : kind(k), app(std::move(app_)) {}
  Kind kind = Kind::top;
  /// app: the app name; cli: one app's CLI, or empty for every app; path:
  /// the path; any_child: the supervisor's path.
  std::string app;
  bool is_process() const { return kind <= Kind::any_child; }
  /// As written in a scenario file: "ets_owner", "app:my-app", "cli:my-app",
  /// "top/cache", "any_child:top/sessions". What System::resolve takes.
  std::string name() const;
  /// nullopt (with `error` set) for an unknown name. With `tree`, a word
  /// that is no environment target is a path (a tree's root is "top" or
  /// any id); without, a path must contain '/'.
  static std::optional<Target> parse(std::string_view text, std::string& error, bool tree = false);
};

class Trigger {
 public:
  enum class Kind : std::uint8_t { at_time, at_step, on_receive, probability };
  Trigger() = default;
  Kind kind = Kind::at_time;
  Micros at_us = 0;              // at_time
  std::uint64_t at_step = 0;     // at_step: after this many steps
  Target receiver;               // on_receive: whose mailbox
  /// on_receive: an atom name. A message matches if it is that atom, a
  /// tuple tagged with it, or a gen_server call/cast whose request is.
  std::string match;
  double probability = 0;        // probability: chance per scheduling point
  std::uint64_t after = 0;       // skip the first `after` occurrences
  Micros from_us = 0;            // the window the trigger may fire in
  Micros until_us = sim::infinity_us;
  std::uint64_t max_fires = 1;   // how many times it may fire
};

class Action {
 public:
  enum class Kind : std::uint8_t {
    kill,                   // exit signal with `reason` (kill is untrappable)
    crash_on_next_message,  // the target dies with `reason` when it next receives
    storage_put_fail, storage_get_fail, storage_slow,
    cli_fail, cli_hang, cli_slow, cli_empty,
    clock_jump,             // the system clock moves by `duration_us` (may be negative)
    node_restart,           // every trio process dies; volatile storage is lost; the trio starts again
    stop_normal,            // the target exits normal (terminate runs): GenServer.stop(pid, :normal)
    busy,                   // the target takes no step for `duration_us` (erlang:suspend_process)
  };
  Action() = default;
  Kind kind = Kind::kill;
  /// kill, crash_on_next_message. The atom kill by default; the integer 0
  /// (a default-constructed Term) also stands for kill.
  sim::Term reason = sim::atom("kill");
  Micros duration_us = 0;       // storage_slow/cli_slow: the latency; clock_jump: the jump; busy: how long
  int exit_code = 1;            // cli_fail
  Micros heal_after_us = -1;    // environment faults: undone after this long; -1 never
  std::string name() const;     // as written: "kill", "cli_hang", ...
  static std::optional<Kind> parse(std::string_view text);
  /// Which targets the action applies to.
  bool fits(const Target& target) const;
  /// Acts on the environment (storage, cli, clock, node), not on a process.
  bool is_environment() const;
  /// Can be undone after heal_after_us (every environment fault but node_restart).
  bool heals() const;
};

class Fault {
 public:
  Fault() = default;
  std::string name;  // for reports; empty: "<action> <target>" ("kill ets_owner")
  Trigger trigger;
  Action action;
  Target target;
};

class FaultPlan {
 public:
  std::vector<Fault> faults;
};

/// True if `message` matches the on_receive pattern `match` (see Trigger).
/// An empty `match` matches every message.
bool message_matches(const sim::Term& message, std::string_view match);

/// Why `fault` cannot run as written (an action that does not fit its
/// target, an on_receive trigger on a non-process, a probability outside
/// [0, 1], a window that ends before it starts, a heal on an action that
/// cannot heal), or nullopt. The injector does not require it: a fault
/// whose action does not fit its target is recorded as skipped.
std::optional<std::string> validate(const Fault& fault);

/// The actions that fit `target`, comma separated (for error messages).
std::string expected_actions(const Target& target);

/// "<action> <target>": the name of a fault that was given none.
std::string default_name(const Fault& fault);

}  // namespace otpsim::faults
