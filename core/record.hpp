// What a run of a system (the trio, a declared tree) leaves behind for properties to judge: every
// client call with its result, every event the trio emitted, every spawn
// and exit with its label and time, every fault injected or skipped, and
// every retry of a failed restart a supervisor took from its mailbox.
//
// A RunRecord is an Observer; attach it (through an ObserverSet) before the
// run. Clients append their calls themselves (ClientCall), since a call's
// start and result are only known inside the client.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/kernel.hpp"
#include "sim/term.hpp"

namespace otpsim::core {

using sim::Micros;
using sim::Pid;
using sim::Term;

/// One facade call made by a workload client.
class ClientCall {
 public:
  ClientCall() = default;
  Pid client;
  std::string client_name;  // the workload's name for the client ("herd#3")
  std::string op;           // get | refresh | invalidate | set_manual
  std::string app;
  std::string token;        // set_manual's argument
  /// A declared tree's client (op call | cast | send): whom it addressed
  /// and what it sent; `app` then holds the address as written.
  Term to;
  Term request;
  Micros start_us = 0;
  std::uint64_t start_step = 0;
  Micros end_us = -1;       // -1: never returned
  std::uint64_t end_step = 0;
  Term result;              // the value returned
  bool exited = false;      // the call exited the client instead of returning
  Term exit_reason;
  bool returned() const { return end_us >= 0 && !exited; }
};

class RecordedEvent {
 public:
  RecordedEvent(Pid pid_, Micros at_us_, std::uint64_t step_, Term term_)
      : pid(pid_), at_us(at_us_), step(step_), term(std::move(term_)) {}
  Pid pid;
  Micros at_us;
  std::uint64_t step;
  Term term;
};

class ProcessLife {
 public:
  ProcessLife() = default;
  Pid pid;
  Pid parent;
  std::string label;
  Micros spawned_us = 0;
  std::uint64_t spawned_step = 0;
  Micros exited_us = -1;  // -1: alive at the end
  std::uint64_t exited_step = 0;
  Term exit_reason;
  /// Its init finished: its starter took proc_lib's ack {'$ack', Tag,
  /// {ok, Pid}} (gen_server, supervisor, DynamicSupervisor starts). A
  /// supervisor counts the exit of such a child; one whose init failed was
  /// never its child (the failed restart is counted by its retry instead).
  bool init_acked = false;
  bool alive() const { return exited_us < 0; }
};

/// A fault as it happened: applied, or skipped (its target did not exist).
class FaultEvent {
 public:
  FaultEvent() = default;
  std::size_t fault_index = 0;  // in the plan
  std::string name;             // the plan's name for it
  std::string target;           // as written (ets_owner, app:x, any_app, ...)
  std::string action;           // kill, cli_hang, ...
  Micros at_us = 0;
  std::uint64_t step = 0;
  bool applied = false;
  Pid victim;                   // the process hit, for process targets
  Micros heals_at_us = -1;      // an environment fault undone at this time; -1 never
  Micros clock_jump_us = 0;     // clock_jump: how far the system clock moved
  Micros clock_offset_after_us = 0;  // clock_jump: the clock offset right after it
  std::string detail;           // why skipped, or what was done
};

/// A supervisor took the retry of a failed restart from its mailbox:
/// supervisor.erl's {'$gen_cast', {try_again_restart, Id}} or
/// DynamicSupervisor's {'$gen_restart', OldPid}. Handling it is one more
/// add_restart, as the restart that failed was (a kernel fact, the receive:
/// a start that fails before spawning anything, as gen's name check does,
/// leaves no process behind to tell it).
class RestartRetry {
 public:
  RestartRetry(Pid sup_, Micros at_us_, std::uint64_t step_, Term child_)
      : sup(sup_), at_us(at_us_), step(step_), child(std::move(child_)) {}
  Pid sup;
  Micros at_us;
  std::uint64_t step;
  Term child;  // the child's id (supervisor) or its old pid (DynamicSupervisor)
};

/// An exit signal one process sent another with exit/2 (not a fault
/// injector's, which has no sender): how a supervisor stops a child
/// (shutdown_child, terminate_children, DynamicSupervisor's terminate_all)
/// and a parent its child supervisor. A kernel fact: the exit_signal step
/// under instant delivery; under async delivery the signal's arrival (its
/// receiver maybe dead already), where a link's signal from a process that
/// died arrives the same way (so after its sender's exit step).
class ExitSignal {
 public:
  ExitSignal(Pid from_, Pid to_, Micros at_us_, std::uint64_t step_)
      : from(from_), to(to_), at_us(at_us_), step(step_) {}
  Pid from;
  Pid to;
  Micros at_us;
  std::uint64_t step;
};

class RunRecord : public sim::Observer {
 public:
  void on_spawn(Pid parent, Pid child, const std::string& label) override;
  void on_exit(Pid pid, const Term& reason) override;
  void on_event(Pid pid, const Term& event) override;
  void on_receive(Pid pid, const Term& message) override;
  void on_step(const sim::StepInfo& step) override;

  /// Set once, before the run: the kernel the record reads time and steps from.
  void attach(const sim::Kernel* kernel) { kernel_ = kernel; }
  Micros now_us() const { return kernel_ ? kernel_->now_us() : 0; }
  std::uint64_t steps() const { return kernel_ ? kernel_->steps() : 0; }

  /// Every process, in spawn (pid) order.
  std::vector<ProcessLife> processes;
  std::vector<RecordedEvent> events;
  std::vector<ClientCall> calls;
  std::vector<FaultEvent> faults;
  std::vector<RestartRetry> retries;
  std::vector<ExitSignal> exit_signals;  // in step order

  /// `from` sent `to` an exit signal (exit_signals) at a step before `before`.
  bool signalled(Pid from, Pid to, std::uint64_t before) const;

  /// The life of `pid`, or nullptr.
  const ProcessLife* life(Pid pid) const;
  /// Lives whose label is `label`, in spawn order.
  std::vector<const ProcessLife*> lives(std::string_view label) const;
  /// Events whose first element is the atom `tag`.
  std::vector<const RecordedEvent*> tagged(std::string_view tag) const;

 private:
  const sim::Kernel* kernel_ = nullptr;
};

}  // namespace otpsim::core
