// The injector: runs a FaultPlan against the trio inside one kernel run.
//
// It is an Observer. Triggers are evaluated after every step (on_step, where
// no process is running) and on every receive; a fired fault is applied
// right after the step that fired it, so a process hit by
// crash_on_next_message dies having taken the message but before its next
// effect. Time triggers are reached even when the system is idle: start()
// spawns a timer process ("fault_clock") that sleeps until each one.
//
// Determinism: probability triggers draw from a xoshiro256** seeded by the
// run's seed; when one decides to fire, the decision is also a logged data
// choice (Kernel::choose(2)) so a shrinker can drop the fault. `any_app`
// picks among the live AppServers, in pid order, with a data choice.
// A process target that does not exist when the fault fires is recorded as
// skipped (FaultEvent::applied false), never an error.
#pragma once

#include <functional>
#include <map>

#include "core/tokens/record.hpp"
#include "core/tokens/trio.hpp"
#include "faults/plan.hpp"
#include "sim/kernel.hpp"
#include "sim/rng.hpp"

namespace otpsim::faults {

class Injector final : public sim::Observer {
 public:
  /// `restart_node` kills every trio process and starts the trio again (the
  /// runner owns the node); the injector calls it for node_restart, after
  /// clearing a non-durable store.
  Injector(FaultPlan plan, sim::Kernel& kernel, core::tokens::Trio& trio, core::tokens::RunRecord& record,
           std::uint64_t seed, std::function<void()> restart_node);

  /// Spawns the fault clock if any trigger is timed. Call once, before run().
  void start();

  void on_step(const sim::StepInfo& step) override;
  void on_receive(sim::Pid pid, const sim::Term& message) override;

  /// How many faults were applied / skipped so far.
  std::size_t applied() const;
  std::size_t skipped() const;

 private:
  // Implemented in faults/injector.cpp.
  struct Pending;
  void fire(std::size_t index);
  void apply_queued();
  sim::Pid resolve(const Target& target, std::string& why_not);

  FaultPlan plan_;
  sim::Kernel& kernel_;
  core::tokens::Trio& trio_;
  core::tokens::RunRecord& record_;
  sim::Rng rng_;
  std::function<void()> restart_node_;
  std::vector<std::uint64_t> occurrences_;  // per fault: how often its trigger condition held
  std::vector<std::uint64_t> fires_;        // per fault: how often it fired
  std::vector<std::size_t> queued_;         // faults fired during a step, applied after it
  std::map<std::uint64_t, sim::Term> crash_armed_;  // pid -> reason (crash_on_next_message)
  std::vector<sim::Pid> crash_now_;                 // processes to kill after this step
  // Environment faults to undo: (at_us, fault index).
  std::multimap<Micros, std::size_t> heals_;
};

}  // namespace otpsim::faults
