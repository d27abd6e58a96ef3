// The injector: runs a FaultPlan against a System (the trio, any declared
// tree) inside one kernel run
// (docs/faults.md has the full semantics).
//
// It is an Observer. Triggers are evaluated after every step (on_step, where
// no process is running) and on every receive; a fired fault is applied
// right after the step that fired it, so a process hit by
// crash_on_next_message dies having taken the message but before its next
// effect. Time triggers and heals are reached even when the system is idle:
// the injector spawns timer processes (labelled "fault_clock") that sleep
// until each due time; due work runs in the on_step after a timer's wake
// step, so the strategy decides how a fault interleaves with other steps of
// the same instant. A node-restart callback must spare "fault_clock".
//
// Cost: each step looks only at the faults that can fire in it: the timed
// ones that are due (kept by due time and by due step), the probability
// ones and, on a receive, the on_receive ones; never at every pending fault
// (a periodic fault of 10,000 fires is 10,000 pending at_ms faults).
//
// Determinism: a probability trigger's coin is the strategy's (Kernel::flip,
// a logged data choice), so replay, shrinking and dfs see it. The System
// resolves a process target when the fault fires (`any_app` and
// `any_child:PATH` pick among the live candidates, in pid order, with a
// logged data choice, Kernel::choose). A process target that does not
// exist when the fault fires is recorded as skipped (FaultEvent::applied
// false), never an error.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/system.hpp"
#include "core/tokens/env.hpp"
#include "faults/plan.hpp"
#include "sim/kernel.hpp"

namespace otpsim::faults {

class Injector final : public sim::Observer {
 public:
  /// `restart_node` kills every process of the system and starts it again
  /// (the runner owns the node); the injector calls it for node_restart,
  /// after clearing a non-durable store. Environment faults act on
  /// system.env(); a system without one records them as skipped.
  Injector(FaultPlan plan, sim::Kernel& kernel, core::System& system, core::RunRecord& record,
           std::function<void()> restart_node);

  /// Spawns the fault clock if any trigger is timed. Call once, before run().
  void start();

  void on_step(const sim::StepInfo& step) override;
  void on_receive(sim::Pid pid, const sim::Term& message) override;

  /// How many faults were applied / skipped so far.
  std::size_t applied() const;
  std::size_t skipped() const;
  /// How many times a step looked at a fault's trigger (a measure of the
  /// injector's cost that tests can assert on without a clock).
  std::uint64_t trigger_checks() const { return trigger_checks_; }

 private:
  // Implemented in faults/injector.cpp.
  /// What an environment fault changed, to undo it at heal time: the
  /// values from before the fault, of the fields its action sets.
  struct Heal {
    std::size_t fault = 0;
    core::tokens::StorageFaults storage_before;
    /// CLI behaviours touched: the app (nullopt: SimCli::behaviour) and
    /// the behaviour before the change.
    std::vector<std::pair<std::optional<std::string>, core::tokens::CliBehaviour>> cli_before;
    /// per_app entries this fault created (a copy of behaviour, then changed).
    std::vector<std::string> cli_created;
    Micros clock_jump_us = 0;
    sim::Pid busy;  // busy: the process to resume
  };
  /// A process to kill after this step (crash_on_next_message).
  struct Crash {
    sim::Pid pid;
    sim::Term reason;
    std::size_t event;    // its FaultEvent in record_.faults
    std::string message;  // what it took (for the FaultEvent's detail)
  };
  /// Counts one occurrence of fault `index`'s trigger; true if it fires.
  bool occur(std::size_t index);
  /// Applies fault `index`. `receiver`: the process that took the message,
  /// for an on_receive fire (the victim when the target is the receiver).
  void fire(std::size_t index, sim::Pid receiver);
  void apply_queued();
  void run_due_heals();
  sim::Pid resolve(const Fault& fault, sim::Pid receiver, std::string& why_not);
  bool is_receiver(const Target& target, sim::Pid pid) const;
  bool can_fire(std::size_t index) const;
  bool in_window(const Trigger& trigger, Micros now_us) const;
  /// Applies an environment action; `heal` gets what to restore. False
  /// (with `detail` saying why) if it could not be applied.
  bool apply_environment(const Fault& fault, Heal& heal, std::string& detail);
  void undo(const Heal& heal);
  /// A "fault_clock" process that wakes at each of `wakes_us` (sorted).
  void spawn_timer(std::vector<Micros> wakes_us);
  /// A "fault_stop" process that stops `victim` as GenServer.stop(victim, :normal) does.
  void spawn_stopper(sim::Pid victim);
  /// Schedules `heal` at `due_us` (spawning a timer process if none wakes then).
  void schedule_heal(Micros due_us, Heal heal);

  FaultPlan plan_;
  sim::Kernel& kernel_;
  core::System& system_;
  core::RunRecord& record_;
  std::function<void()> restart_node_;
  bool started_ = false;
  std::vector<std::uint64_t> occurrences_;  // per fault: how often its trigger condition held
  std::vector<std::uint64_t> fires_;        // per fault: how often it fired
  std::vector<bool> passed_;                // per at_time/at_step fault: its one occurrence came
  std::vector<std::size_t> on_receive_;     // the faults with on_receive triggers
  std::vector<std::size_t> probability_;    // the faults with probability triggers
  std::multimap<Micros, std::size_t> time_due_;          // at_time faults not yet passed, by at_us
  std::multimap<std::uint64_t, std::size_t> step_due_;   // at_step faults not yet passed, by at_step
  std::vector<std::size_t> due_;            // scratch: the faults one step looks at, in plan order
  std::uint64_t trigger_checks_ = 0;
  /// Faults fired during a step (with the receiver), applied after it.
  std::vector<std::pair<std::size_t, sim::Pid>> queued_;
  std::map<std::uint64_t, sim::Term> crash_armed_;  // pid -> reason (crash_on_next_message)
  std::map<std::uint64_t, std::size_t> crash_event_;  // pid -> its FaultEvent in record_.faults
  std::vector<Crash> crash_now_;                    // processes to kill after this step
  // Environment faults to undo, by due time (in firing order within a time).
  std::multimap<Micros, Heal> heals_;
  std::set<std::uint64_t> timer_pids_;  // the "fault_clock" processes
  std::set<Micros> wakes_us_;           // times some timer process will wake at
  std::size_t applied_ = 0;
  std::size_t skipped_ = 0;
};

}  // namespace otpsim::faults
