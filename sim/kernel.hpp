// The simulation kernel: processes, signals, tables, timers and the
// simulated clock, driven by one strategy on one thread.
//
// Contract:
// - A run is a pure function of the program (what was spawned before run())
//   and the strategy's answers. Nothing reads the wall clock, a global RNG,
//   or iterates in an address- or hash-dependent order.
// - A step is: perform the pending effect of one enabled process, then run
//   that process until it suspends at its next effect. Between two effects a
//   process runs atomically.
// - Simulated time advances only when no step is enabled, by jumping to the
//   earliest timer.
// - Signals (messages, exit signals, link/unlink and monitor/demonitor
//   requests, DOWN, timer messages) travel as KernelConfig::delivery says.
//   async (the default): each waits in the FIFO channel of its (sender,
//   receiver) pair, and its arrival is an enabled step of its own (its actor
//   is channel_actor(sender, receiver)); per pair they arrive in send order,
//   nothing else is promised. instant: a signal lands at the sender's step.
//   The name table, tables and is_alive act at once in both (shared state
//   of one node). Exit signals follow Erlang: `kill` from exit/2 is
//   untrappable (the target dies `killed`); `normal` is ignored by a
//   non-trapping process unless it comes from itself; trapping turns other
//   exit signals into {'EXIT', From, Reason} messages. A process hit by a
//   fatal signal dies at its own next step (`die`), so others may run first.
// - When a process dies, its name and tables are released first, then its
//   links get exit signals and its monitors exactly one DOWN each (async:
//   sent into the channels, each arriving on its own). Dying is
//   a step of its own (`die`), also when the body returns or throws: in
//   between, the process is no longer alive but still holds its name,
//   tables and links.
// - run() always returns: at quiescence, or at the step or time limit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/effect.hpp"
#include "sim/process.hpp"
#include "sim/strategy.hpp"
#include "sim/table.hpp"
#include "sim/trace.hpp"

namespace otpsim::sim {

struct RunLimits {
  std::uint64_t steps_max = 10'000'000;
  Micros time_max_us = Micros{24} * 3600 * 1'000'000;  // one simulated day
  /// A mailbox longer than this stops the run (a consumer that fell behind
  /// for good would otherwise eat memory until the step limit).
  std::uint32_t mailbox_depth_max = 1'000'000;
};

struct KernelConfig {
  RunLimits limits;
  TraceLevel trace = TraceLevel::off;
  /// How signals travel (effect.hpp): async (as on the BEAM) or instant.
  Delivery delivery = Delivery::async;
};

enum class Outcome : std::uint8_t {
  quiescent,     // no step enabled and no timer pending
  step_limit,    // limits.steps_max steps ran
  time_limit,    // the next timer lies beyond limits.time_max_us
  strategy_stopped,  // the strategy could not continue (replay diverged)
  mailbox_limit,     // a mailbox grew past limits.mailbox_depth_max
  stopped,           // request_stop() was called (a driver finished its workload)
};

std::string_view outcome_name(Outcome outcome);

struct RunResult {
  Outcome outcome = Outcome::quiescent;
  std::uint64_t steps = 0;
  Micros end_time_us = 0;
  std::size_t processes_alive = 0;  // at the end
  std::string message;              // why it stopped, for limits and errors
};

/// Hooks for checkers that watch a run (properties, tests). Called inside
/// the step that causes them.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_spawn(Pid /*parent*/, Pid /*child*/, const std::string& /*label*/) {}
  virtual void on_exit(Pid /*pid*/, const Term& /*reason*/) {}
  virtual void on_step(const StepInfo& /*step*/) {}
  /// A process called Ctx::emit (telemetry, log records).
  virtual void on_event(Pid /*pid*/, const Term& /*event*/) {}
  /// A receive took `message` from `pid`'s mailbox (inside pid's step; to
  /// act on the process, wait for the on_step that ends the step).
  virtual void on_receive(Pid /*pid*/, const Term& /*message*/) {}
};

class Kernel {
 public:
  Kernel(KernelConfig config, Strategy& strategy);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  /// Creates a process from outside any process (a program's roots).
  Pid spawn(ProcessFn fn, SpawnOptions options = {});
  /// Sends an exit signal from outside any process (no sender, as a fault
  /// injector would): `kill` is untrappable, others follow the usual rules.
  void exit_external(Pid target, const Term& reason);
  /// Makes `target` crash with `reason` at its next step, as if its own
  /// code had raised: trapping exits does not stop it (a fault injector's
  /// "crash"). Its links and monitors see `reason`.
  void crash_external(Pid target, const Term& reason);
  /// erlang:suspend_process/1 from outside: `target` takes no step until
  /// resume_external, except its death (an exit signal still ends it).
  /// Signals still arrive in its mailbox and its timers still fire. A
  /// fault injector's "busy". No effect on a dead or suspended process.
  void suspend_external(Pid target);
  /// erlang:resume_process/1: undoes suspend_external.
  void resume_external(Pid target);

  /// Runs until quiescence or a limit. May be called again after more
  /// spawns; limits count from the start of the kernel's life.
  RunResult run();
  /// Makes run() return (Outcome::stopped) before the next step, leaving
  /// every process as it is. May be called from inside a process body.
  void request_stop() { stop_requested_ = true; }

  // Observation (from outside processes).
  Micros now_us() const { return now_us_; }
  std::uint64_t steps() const { return steps_; }
  bool is_alive(Pid pid) const;
  Pid whereis(const Term& name) const;
  std::size_t processes_alive() const { return alive_count_; }
  /// A table's row for `key`, read from outside the simulation.
  std::optional<Term> table_peek(TableId table, const Term& key) const;
  bool table_exists(TableId table) const;
  /// The table registered under `name` now, if any.
  std::optional<TableId> table_named(const Term& name) const;
  const Trace& trace() const { return trace_; }
  const std::vector<Choice>& choices() const { return choices_; }
  void set_observer(Observer* observer) { observer_ = observer; }
  /// For an observer that acts from outside during its on_step (a fault
  /// injector killing a process, breaking storage): the step just run is
  /// then reported to the strategy as touching everything
  /// (StepObject::Kind::global), so partial-order reduction stays sound.
  void mark_step_global() { step_global_ = true; }

  // The scheduling point view for strategies: the runnable processes, then
  // the channels with a signal in flight (async delivery).
  std::size_t enabled_count() const { return runnable_.size() + inflight_.size(); }
  Pid enabled_pid(std::size_t i) const {
    return i < runnable_.size() ? runnable_[i]->pid : inflight_[i - runnable_.size()]->actor;
  }
  StepInfo enabled_step(std::size_t i) const;
  Delivery delivery() const { return config_.delivery; }
  /// Signals in flight now (async delivery).
  std::size_t signals_in_flight() const { return signals_in_flight_; }

  // Called by Ctx (inside a process). Not for models to call directly.
  void declare(detail::Process& process, detail::Effect&& effect);
  std::uint64_t choose(std::uint64_t bound);
  /// A weighted coin (Strategy::flip), logged as a data choice of bound 2.
  /// May also be called from outside processes (a fault injector's
  /// observer hook). 0 and >= 1,000,000 millionths are no choice at all.
  bool flip(std::uint32_t millionths);
  void emit(const detail::Process& process, const Term& event);
  Ref make_ref() { return Ref{++ref_counter_}; }

 private:
  detail::Process* find(Pid pid) const;
  StepInfo die_step(const detail::Process& p) const;
  StepInfo process_step(const detail::Process& p) const;
  bool kills_caller(const detail::Process& p, const detail::Effect& e) const;
  void note_choice() {
    if (choices_.empty()) trace_.first_choice_step = steps_;
  }
  detail::Process& create_process(ProcessFn fn, const SpawnOptions& options, Pid parent);
  void set_runnable(detail::Process& p, bool runnable);
  void execute_step(detail::Process& p);
  void perform(detail::Process& p);
  void resume(detail::Process& p);
  void finish_body(detail::Process& p);
  void terminate(detail::Process& p, Term reason);
  void destroy_frames(detail::Process& p);

  // Signals (signals.cpp).
  /// One signal in flight (async delivery).
  struct Signal {
    SignalKind kind = SignalKind::message;
    bool via_link = false;  // exit: from a link (a death, or a link's noproc answer)
    Term term;              // message, or exit reason
    Ref ref;                // monitor, demonitor, down, alias: the reference
    std::uint64_t sent_step = StepInfo::no_step;
    std::uint64_t id = 0;
  };
  /// The FIFO channel of one (sender, receiver) pair.
  struct Channel {
    Pid from;
    Pid to;
    Pid actor;
    detail::Process::Vector<Signal> queue;
    std::size_t head = 0;
    std::uint32_t inflight_index = 0;
  };
  bool async() const { return config_.delivery == Delivery::async; }
  /// Puts a signal into the channel from `from` to `to` (async delivery).
  void post(Pid from, Pid to, Signal signal);
  StepInfo arrival_step(const Channel& c) const;
  /// Removes the signals of `kind` with `ref` from the channel from -> to.
  void drop_in_flight(Pid from, Pid to, SignalKind kind, Ref ref);
  static bool holds_monitor(const detail::Process& p, Ref ref);
  void execute_arrival(Channel& c);
  void arrive(Pid from, Pid to, Signal& s);
  const ReceivePattern* retain_pattern(const detail::Matcher& m);
  /// `cause`: the step a message from outside any step stems from (a timer's send_after).
  void deliver_message(detail::Process& target, Term message, std::uint64_t cause = StepInfo::no_step,
                       std::uint64_t signal_id = 0);
  void deliver_exit(detail::Process& target, Pid from, const Term& reason, bool via_link);
  void mark_exiting(detail::Process& target, Term reason);
  /// `atomic`: both halves at once (spawn_link, spawn_monitor), whatever the delivery.
  void do_link(detail::Process& p, Pid target, bool atomic = false);
  void do_unlink(detail::Process& p, Pid target);
  Ref do_monitor(detail::Process& p, Pid target, bool alias, bool atomic = false);
  bool do_demonitor(detail::Process& p, Ref ref, bool flush);
  void declare_receive(detail::Process& p);
  void take_received(detail::Process& p);

  // Timers (timers in kernel.cpp).
  struct Timer {
    enum class Kind : std::uint8_t { wake, message } kind;
    Pid target;
    Ref ref;
    Term message;
    std::uint64_t armed_step = StepInfo::no_step;  // a message timer: the send_after step (its cause)
  };
  detail::TimerKey arm_timer(Micros at_us, Timer timer);
  /// now + delay (a negative delay is 0), saturating at the largest time:
  /// a delay no run can reach stays unreachable instead of overflowing.
  Micros deadline_after(Micros delay_us) const;
  void cancel_process_timer(detail::Process& p);
  bool advance_clock();

  // Tables (effects in tables.cpp).
  void perform_table(detail::Process& p);
  void destroy_table(TableId id);
  /// A dying owner's table goes to its heir if the heir is alive (true);
  /// the heir gets {'ETS-TRANSFER', Tab, FromPid, undefined}.
  bool pass_to_heir(TableId id);

  // Tracing.
  bool tracing() const { return config_.trace == TraceLevel::full; }
  void trace_step(const detail::Process& p, EffectKind effect, std::string detail);
  std::string describe(const detail::Process& p) const;

  KernelConfig config_;
  Strategy& strategy_;
  Observer* observer_ = nullptr;
  Micros now_us_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t pid_counter_ = 0;
  std::uint64_t ref_counter_ = 0;
  std::uint64_t timer_seq_ = 0;
  std::uint64_t table_counter_ = 0;
  std::size_t alive_count_ = 0;
  bool strategy_failed_ = false;
  bool stop_requested_ = false;
  bool step_global_ = false;  // set by mark_step_global during observer on_step
  std::uint64_t received_cause_ = StepInfo::no_step;  // the sent_step of the message a receive took
  std::string mailbox_overflow_;  // set when a mailbox passed its bound
  detail::Process* current_ = nullptr;
  // Containers whose buffers and nodes come from the BlockPool (a run
  // creates and drops hundreds of them; see block_pool.hpp).
  template <typename K, typename V>
  using Map = std::map<K, V, std::less<K>, detail::PoolAllocator<std::pair<const K, V>>>;
  detail::Process::Vector<detail::Process*> processes_;  // index pid.id - 1; nullptr once dead
  detail::Process::Vector<detail::Process*> runnable_;   // the enabled set
  Map<std::pair<std::uint64_t, std::uint64_t>, Channel> channels_;  // (to, from) -> its channel, while non-empty
  detail::Process::Vector<Channel*> inflight_;  // the channels with a signal in flight: enabled arrivals
  std::size_t signals_in_flight_ = 0;
  std::uint64_t signal_counter_ = 0;
  std::uint64_t received_signal_ = 0;  // the signal id of the message a receive took
  Map<Ref, Pid> alias_owner_;          // async: every alias ever made -> its owner (sends go to the owner's channel)
  bool retain_ = false;                // keep patterns and payloads (Strategy::wants_patterns, async)
  struct Retained {
    std::vector<std::unique_ptr<ReceivePattern>> patterns;
    std::vector<std::unique_ptr<Term>> payloads;
  };
  std::shared_ptr<Retained> retained_;  // shared with the strategy (Strategy::hold)
  const ReceivePattern* step_pattern_ = nullptr;  // filled in by the step for its StepInfo
  const Term* step_payload_ = nullptr;
  Map<detail::TimerKey, Timer> timers_;
  Map<Ref, detail::TimerKey> timer_refs_;  // send_after timers by ref
  Map<Term, Pid> names_;
  Map<Ref, Pid> aliases_;  // active aliases -> owner
  Map<TableId, std::unique_ptr<Table>> tables_;
  Map<Term, TableId> table_names_;
  detail::MessageNode* free_nodes_ = nullptr;
  Trace trace_;
  std::vector<Choice> choices_;
};

}  // namespace otpsim::sim
