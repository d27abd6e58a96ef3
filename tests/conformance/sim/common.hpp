// The simulator half of the conformance suite: the C++ counterpart of
// beam/common.exs. Same collector (Conf.Collector), same child
// (Conf.Worker), same nested supervisors (Conf.Sup / Conf.DynSup), same
// driver helpers (Conf.log/await/pid/kill/stop/attempts/track/finish), so
// that a scenario written against otpsim's behaviours prints the lines of
// golden/<scenario>.txt. See ../README.md for the canonical format.
//
// g++ 12 (sim/ctx.hpp, docs/kernel.md): inside a co_await expression there
// is no braced list, no aggregate temporary, no lambda temporary with
// non-trivial captures and no `?:` of class type. Every class below has a
// constructor; lambdas that capture Terms are named or built outside
// coroutines.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/gen_server.hpp"
#include "core/otp/registry.hpp"
#include "core/otp/supervisor.hpp"
#include "core/otp/task.hpp"
#include "sim/effect.hpp"
#include "sim/strategy.hpp"

namespace otpsim::conformance {

using core::otp::CallResult;
using core::otp::ChildSpec;
using core::otp::From;
using core::otp::GenServer;
using core::otp::HandleResult;
using core::otp::InitResult;
using core::otp::Restart;
using core::otp::ServerName;
using core::otp::ServerRef;
using core::otp::Shutdown;
using core::otp::StartOptions;
using core::otp::Strategy;
using core::otp::SupervisorFlags;
using sim::Atom;
using sim::Ctx;
using sim::Micros;
using sim::Pid;
using sim::Proc;
using sim::Ref;
using sim::Task;
using sim::Term;

// ---- formatting ------------------------------------------------------------

/// Conf.fmt: Erlang syntax, no whitespace, pids -> <pid>, refs -> <ref>.
std::string fmt(const Term& term);
/// Conf.which: [{Id, Child, Type}] -> [{Id, alive|restarting|undefined, Type}].
Term which(const Term& children);
inline Term atom(std::string_view text) { return Term(Atom(text)); }
/// Erlang's true/false.
inline Term boolean(bool b) { return Term(Atom(b ? "true" : "false")); }

// ---- the child: Conf.Worker -----------------------------------------------

/// Conf.Worker's options plus the child-spec fields of Conf.Worker.spec/2
/// (restart permanent, shutdown 5000 unless set).
class W {
 public:
  enum class Init : std::uint8_t { normal, stop, ignore, fail_from };
  enum class Terminate : std::uint8_t { none, sleep, hang };
  explicit W(const char* id_) : id(Atom(id_)) {}
  W& with_restart(Restart r) { restart = r; return *this; }
  W& with_shutdown(Shutdown s) { shutdown = s; return *this; }
  W& trapping() { trap = true; return *this; }
  W& named(const char* local) { name = ServerName::local(Atom(local)); return *this; }
  W& named(ServerName n) { name = std::move(n); return *this; }
  W& init_stop(const char* reason) { init = Init::stop; init_reason = atom(reason); return *this; }
  W& init_ignore() { init = Init::ignore; return *this; }
  W& fail_from(std::int64_t k, const char* reason) {
    init = Init::fail_from; fail_k = k; init_reason = atom(reason); return *this;
  }
  W& terminate_sleep(std::int64_t ms) { term = Terminate::sleep; term_sleep_ms = ms; return *this; }
  W& terminate_hang() { term = Terminate::hang; return *this; }

  Term id;
  ServerName name;
  bool trap = false;
  Init init = Init::normal;
  Term init_reason;
  std::int64_t fail_k = 0;
  Terminate term = Terminate::none;
  std::int64_t term_sleep_ms = 0;
  Restart restart = Restart::permanent;
  Shutdown shutdown = Shutdown::timeout_ms(5000);
};

/// Conf.Worker.start_link(opts) / Conf.Worker.start(opts).
Task<Term> worker_start_link(Ctx ctx, W w);
Task<Term> worker_start(Ctx ctx, W w);
/// Conf.Worker.spec(id, opts).
ChildSpec wspec(const W& w);

/// Child specs as a vector without a braced list.
template <typename... Specs>
std::vector<ChildSpec> specs(Specs... s) {
  std::vector<ChildSpec> v;
  (v.push_back(std::move(s)), ...);
  return v;
}

// ---- supervisors: Conf.Sup / Conf.DynSup ------------------------------------

/// Conf.Sup's options: strategy, max_restarts, max_seconds, children, and
/// (as a nested child) its restart type.
class SupArgs {
 public:
  SupArgs(Strategy s, int max_restarts_, int max_seconds_, std::vector<ChildSpec> children_)
      : strategy(s), max_restarts(max_restarts_), max_seconds(max_seconds_), children(std::move(children_)) {}
  SupArgs& with_restart(Restart r) { restart = r; return *this; }
  Strategy strategy;
  int max_restarts;
  int max_seconds;
  std::vector<ChildSpec> children;
  Restart restart = Restart::permanent;
};

/// Conf.Sup.start_link(opts) for a driver's top-level supervisor (no report).
Task<Term> sup_start_link(Ctx ctx, const SupArgs& args);
/// Conf.Sup.spec(id, opts): type supervisor, shutdown infinity; reports.
ChildSpec sup_spec(const char* id, const SupArgs& args);

class DynArgs {
 public:
  DynArgs(int max_restarts_, int max_seconds_, std::int64_t max_children_)
      : max_restarts(max_restarts_), max_seconds(max_seconds_), max_children(max_children_) {}
  int max_restarts;
  int max_seconds;
  std::int64_t max_children;  // -1: infinity
};

/// Conf.DynSup.start_link(opts) (no report).
Task<Term> dynsup_start_link(Ctx ctx, const DynArgs& args);
/// Conf.DynSup.spec(id, opts): permanent, shutdown infinity, supervisor; reports.
ChildSpec dynsup_spec(const char* id, const DynArgs& args);

/// The collector call a reporting child makes: {started, Id} (only; no attempt).
Task<> report_started(Ctx ctx, Term id);

// ---- the driver: Conf -------------------------------------------------------

/// What one run of a scenario produced.
class Outcome {
 public:
  Outcome() = default;
  std::vector<std::string> lines;  // the canonical output (when finished)
  std::string error;               // why the script "failed" (Conf.fail), or empty
  std::vector<std::string> log;    // on failure: the lines recorded so far
  bool finished = false;
  std::uint64_t steps = 0;           // kernel steps of the whole run
  std::uint64_t schedule_hash = 0;   // FNV-1a of the scheduling choices: tells interleavings apart
};

class Conf {
 public:
  Conf(Ctx ctx, Pid collector, Outcome* out) : ctx_(ctx), collector_(collector), out_(out) {}

  /// Conf.log: records `call <label> <fmt(result)>`; returns `result`.
  Task<Term> log(const char* label, Term result);
  /// Conf.await / Conf.await_sorted.
  Task<> await(std::int64_t k);
  Task<> await_sorted(std::int64_t k);
  /// Conf.pid: the latest instance that logged `start <id>`.
  Task<Pid> pid(const char* id);
  /// Conf.kill(id) (reason kill) / Conf.kill(id, reason).
  Task<> kill(const char* id);
  /// Conf.stop: GenServer.cast(pid, {stop, Reason}).
  Task<> stop(const char* id, Term reason);
  /// Conf.attempts.
  Task<std::int64_t> attempts(const char* id);
  /// Conf.track: monitor a supervisor whose fate finish() prints, then make
  /// one synchronous request to it, so the monitor is in place before the
  /// driver goes on (a monitor request still in flight when the supervisor
  /// dies would give DOWN noproc under async delivery).
  Task<> track(const char* label, Pid pid);
  /// Conf.settle: poll (no output) until no child pid that
  /// Supervisor.which_children(sup) lists is dead, i.e. `sup` has handled
  /// the exit signals of the children whose `exit` lines were awaited. A
  /// driver's call may overtake a child's exit signal to its supervisor
  /// (different senders); on one BEAM node the first poll succeeds.
  Task<> settle(Pid sup);
  /// One poll of Conf.wait_until: sleeps 2 ms; fails after 5 s of polling
  /// since `start_us`.
  Task<> poll_tick(Micros start_us);
  /// Conf.finish: supervisor fates, the stray-event check, the output.
  Task<> finish();
  /// Conf.fail: records the error and the lines so far, ends the driver.
  Task<> fail(const std::string& message);
  /// `{:ok, pid} = res`: the pid, or fail.
  Task<Pid> ok_pid(Term result);

  Ctx ctx() const { return ctx_; }

 private:
  Task<> do_await(std::int64_t k, bool sorted);
  Task<std::string> sup_status(std::size_t index);

  struct Tracked {
    std::string label;
    Pid pid;
    Ref ref;
  };
  Ctx ctx_;
  Pid collector_;
  Outcome* out_;
  std::vector<Tracked> tracked_;
};

// ---- scenarios --------------------------------------------------------------

using ScenarioFn = Task<> (*)(Ctx ctx, Conf& conf);

class Scenario {
 public:
  Scenario(const char* name_, ScenarioFn fn_) : name(name_), fn(fn_) {}
  std::string name;
  ScenarioFn fn;
};

/// Every scenario, in name order.
const std::vector<Scenario>& all_scenarios();
const Scenario* find_scenario(std::string_view name);

/// Runs one scenario on a fresh kernel whose random strategy has `seed`,
/// with signals travelling as `delivery` says (sim/kernel.hpp: async, the
/// kernel's default, or instant).
Outcome run(const Scenario& scenario, std::uint64_t seed, sim::Delivery delivery = sim::Delivery::async);
/// The same under any strategy (pct, a dfs run, a replay). With
/// `trace`, the kernel's full trace of the run goes there.
Outcome run_with(const Scenario& scenario, sim::Strategy& strategy, sim::Delivery delivery,
                 std::string* trace = nullptr);

// Defined in supervisor_scenarios.cpp, dynamic_scenarios.cpp, misc_scenarios.cpp.
void add_supervisor_scenarios(std::vector<Scenario>& out);
void add_dynamic_scenarios(std::vector<Scenario>& out);
void add_misc_scenarios(std::vector<Scenario>& out);

}  // namespace otpsim::conformance
