// supervisor (supervisor.erl, as Elixir's Supervisor uses it): one_for_one,
// rest_for_one, one_for_all; restart types; shutdown brutal_kill / timeout
// then kill / infinity; restart intensity over a sliding window counted in
// whole seconds as add_restart/3 does; failed restarts retried through a
// cast to itself, each retry counted; which_children, count_children,
// start_child, terminate_child, restart_child, delete_child.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "core/otp/gen_server.hpp"

namespace otpsim::core::otp {

enum class Strategy : std::uint8_t { one_for_one, rest_for_one, one_for_all };
enum class Restart : std::uint8_t { permanent, transient, temporary };
enum class ChildType : std::uint8_t { worker, supervisor };

/// How a child is stopped: brutal_kill, `exit(shutdown)` then `kill` after a
/// timeout, or `exit(shutdown)` and wait forever (infinity).
class Shutdown {
 public:
  static Shutdown brutal_kill() { return Shutdown(-2); }
  static Shutdown infinity() { return Shutdown(-1); }
  static Shutdown timeout_ms(std::int64_t ms) { return Shutdown(ms * 1000); }
  bool is_brutal_kill() const { return timeout_us_ == -2; }
  bool is_infinity() const { return timeout_us_ == -1; }
  Micros timeout_us() const { return timeout_us_; }

 private:
  explicit Shutdown(Micros t) : timeout_us_(t) {}
  Micros timeout_us_;
};

/// A child's start function: {ok, Pid} | {ok, Pid, Info} | ignore |
/// {error, Reason}; anything else, or an exception, is an error.
using StartFn = std::function<Task<Term>(Ctx)>;

class ChildSpec {
 public:
  /// Defaults as Elixir's: permanent; a worker gets shutdown 5000 ms, a
  /// supervisor infinity.
  static ChildSpec worker(Term id, StartFn start) {
    return ChildSpec(std::move(id), std::move(start), ChildType::worker, Shutdown::timeout_ms(5000));
  }
  static ChildSpec supervisor(Term id, StartFn start) {
    return ChildSpec(std::move(id), std::move(start), ChildType::supervisor, Shutdown::infinity());
  }
  ChildSpec& with_restart(Restart r) { restart = r; return *this; }
  ChildSpec& with_shutdown(Shutdown s) { shutdown = s; return *this; }

  Term id;
  StartFn start;
  Restart restart = Restart::permanent;
  Shutdown shutdown;
  ChildType type;

 private:
  ChildSpec(Term id_, StartFn start_, ChildType type_, Shutdown shutdown_)
      : id(std::move(id_)), start(std::move(start_)), shutdown(shutdown_), type(type_) {}
};

class SupervisorFlags {
 public:
  /// Elixir's Supervisor.init defaults: 3 restarts in 5 seconds.
  explicit SupervisorFlags(Strategy s, int max_restarts = 3, int max_seconds = 5)
      : strategy(s), intensity(max_restarts), period_s(max_seconds) {}
  Strategy strategy;
  int intensity;
  int period_s;
  /// Runs first in the supervisor's init, before any child starts (a
  /// callback module's own code in init/1; tests use it to observe starts).
  std::function<Task<>(Ctx)> init_hook;
};

/// add_restart/3 as pure arithmetic: drops restarts older than
/// now_s - period_s, adds now_s (newest first). True if the count now
/// exceeds the intensity (the supervisor gives up).
bool add_restart(std::deque<std::int64_t>& restarts_s, std::int64_t now_s, int intensity, int period_s);

namespace supervisor {

Task<Term> start_link(Ctx ctx, SupervisorFlags flags, std::vector<ChildSpec> children, StartOptions options);

/// Supervisor.which_children, newest first: [{Id, Pid | undefined | restarting, worker | supervisor}].
Task<Term> which_children(Ctx ctx, ServerRef sup);
/// [{active, N}, {specs, N}, {supervisors, N}, {workers, N}] (Elixir's map, in key order).
Task<Term> count_children(Ctx ctx, ServerRef sup);
/// {ok, Pid} | {ok, Pid, Info} | {error, {already_started, Pid}} | {error, already_present} | {error, Reason}.
Task<Term> start_child(Ctx ctx, ServerRef sup, ChildSpec spec);
/// ok | {error, not_found}.
Task<Term> terminate_child(Ctx ctx, ServerRef sup, Term id);
/// {ok, Pid} | {error, running | restarting | not_found} | {error, Reason}.
Task<Term> restart_child(Ctx ctx, ServerRef sup, Term id);
/// ok | {error, running | restarting | not_found}.
Task<Term> delete_child(Ctx ctx, ServerRef sup, Term id);

}  // namespace supervisor
}  // namespace otpsim::core::otp
