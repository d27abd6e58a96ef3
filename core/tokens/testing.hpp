// Running the trio in a test: a kernel, the environment, the trio started
// under a driver process that traps exits, and a record of every event the
// trio emitted (telemetry, logs, CLI runs, persisted writes) and every exit.
//
//   TrioWorld w;
//   w.env.sim_cli.behaviour.latency_us = 2'000'000;
//   w.run([&](Ctx ctx) -> Task<> { result = co_await w.get(ctx, "my-app"); });
//
// The schedule comes from a RandomStrategy seeded with `seed`, or from any
// strategy given to the constructor (a SequenceStrategy, a replay). A test
// that drives the world from outside, one step at a time (rapidcheck's
// stateful tests), calls start() once and then step() per command:
//
//   TrioWorld w(config, std::make_unique<sim::SequenceStrategy>(numbers));
//   w.start();
//   w.step([&](Ctx ctx) -> sim::Proc { (void)co_await w.call(ctx, "c", "get", "a"); });
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokens/facade.hpp"
#include "core/tokens/record.hpp"
#include "core/tokens/workload.hpp"
#include "sim/observer_set.hpp"
#include "core/tokens/telemetry.hpp"
#include "core/tokens/trio.hpp"
#include "sim/ctx.hpp"
#include "sim/kernel.hpp"
#include "sim/random_strategy.hpp"
#include "sim/strategy.hpp"

namespace otpsim::core::tokens::testing {

class Event {
 public:
  Event(Pid pid_, sim::Micros at_us_, Term term_) : pid(pid_), at_us(at_us_), term(std::move(term_)) {}
  Pid pid;
  sim::Micros at_us;
  Term term;
};

class TrioWorld : public sim::Observer {
 public:
  explicit TrioWorld(TrioConfig config = TrioConfig(), std::uint64_t seed = 0,
                     sim::TraceLevel trace = sim::TraceLevel::off)
      : TrioWorld(std::move(config), std::make_unique<sim::RandomStrategy>(seed), trace) {}
  /// A world whose schedule (and every other choice) comes from `strategy_`.
  TrioWorld(TrioConfig config, std::unique_ptr<sim::Strategy> strategy_,
            sim::TraceLevel trace = sim::TraceLevel::off)
      : trio(std::move(config), env),
        strategy(std::move(strategy_)),
        kernel(sim::KernelConfig{sim::RunLimits(), trace}, *strategy) {
    record.attach(&kernel);
    observers.add(this);
    observers.add(&record);
    kernel.set_observer(&observers);
  }

  /// Starts the trio (linked to the driver), runs `driver`, and stops the
  /// run when the driver returns, with every process as it is then (so the
  /// end state can be inspected; pending timers do not fire). A driver that
  /// wants timers to fire sleeps. driver_done tells if it got to its end.
  sim::RunResult run(std::function<Task<>(Ctx)> driver) {
    driver_ = std::move(driver);
    kernel.spawn(
        [this](Ctx ctx) -> sim::Proc {
          ctx.trap_exit(true);
          start_result = co_await start_link(ctx, &trio);
          if (!start_result.is_tagged(sim::atoms::ok(), 2)) co_return;
          top = start_result[1].pid();
          co_await driver_(ctx);
          driver_done = true;
          kernel.request_stop();
        },
        sim::SpawnOptions("driver"));
    return kernel.run();
  }

  /// Stepping from outside (instead of run()): starts the trio under a
  /// driver that then idles (it never returns; the trio's EXIT, if it
  /// dies, stays in the driver's mailbox), and runs until nothing is left
  /// to do.
  /// start_result and top are set as by run().
  sim::RunResult start() {
    kernel.spawn(
        [this](Ctx ctx) -> sim::Proc {
          ctx.trap_exit(true);
          start_result = co_await start_link(ctx, &trio);
          if (start_result.is_tagged(sim::atoms::ok(), 2)) top = start_result[1].pid();
          (void)co_await ctx.receive([](const Term&) { return false; });
        },
        sim::SpawnOptions("driver"));
    return kernel.run();
  }

  /// After start(): spawns `body` as a process (label `label`, no parent)
  /// and runs the kernel until no step is enabled and no timer is pending
  /// (Outcome::quiescent), so whatever the body set off (restarts, async
  /// persists) has finished too; or until a limit. A body that starts
  /// clients should wait for them (spawn_monitor, then their DOWNs).
  sim::RunResult step(sim::ProcessFn body, std::string_view label = "step") {
    kernel.spawn(std::move(body), sim::SpawnOptions(label));
    return kernel.run();
  }

  /// A facade call recorded in `record` (for properties): op is get,
  /// refresh, invalidate or set_manual.
  /// (No defaulted token: a defaulted class argument in a co_await
  /// expression is destroyed twice by g++ 12.)
  Task<Term> call(Ctx ctx, std::string client, std::string op, std::string app, std::string token) {
    return recorded_call(ctx, &trio, &record, std::move(client), std::move(op), std::move(app), std::move(token));
  }
  Task<Term> call(Ctx ctx, std::string client, std::string op, std::string app) {
    return recorded_call(ctx, &trio, &record, std::move(client), std::move(op), std::move(app), std::string());
  }

  // The facade, for this world's trio.
  Task<Term> get(Ctx ctx, std::string app) { return facade::get(ctx, &trio, std::move(app)); }
  Task<Term> refresh(Ctx ctx, std::string app) { return facade::refresh(ctx, &trio, std::move(app)); }
  Task<Term> invalidate(Ctx ctx, std::string app) { return facade::invalidate(ctx, &trio, std::move(app)); }
  Task<Term> set_manual(Ctx ctx, std::string app, std::string token) {
    return facade::set_manual(ctx, &trio, std::move(app), std::move(token));
  }

  // What happened.
  /// Telemetry stop events of `op` (get/refresh), in order.
  std::vector<Term> stops(std::string_view op = "get") const {
    std::vector<Term> out;
    for (const Event& e : events) {
      if (telemetry::is_stop(e.term) && e.term[2].is_atom(op)) out.push_back(e.term);
    }
    return out;
  }
  /// Log records at `level` (warning/error).
  std::vector<Term> logs(std::string_view level) const {
    std::vector<Term> out;
    for (const Event& e : events) {
      if (telemetry::is_log(e.term) && e.term[1].is_atom(level)) out.push_back(e.term);
    }
    return out;
  }
  /// Events whose tag is `tag` ({Tag, ...}).
  std::vector<Event> tagged(std::string_view tag) const {
    std::vector<Event> out;
    for (const Event& e : events) {
      if (e.term.is_tuple() && e.term.size() > 0 && e.term[0].is_atom(tag)) out.push_back(e);
    }
    return out;
  }
  /// The cache table's row for `app` now (nullopt if none, or no table).
  std::optional<Term> cache_row(const std::string& app) const {
    auto table = kernel.table_named(Term(trio.names().table));
    if (!table) return std::nullopt;
    return kernel.table_peek(*table, app_term(app));
  }
  /// The cache table's id now (a restarted ETSOwner makes a new one).
  std::optional<sim::TableId> table() const { return kernel.table_named(Term(trio.names().table)); }

  // sim::Observer
  void on_event(Pid pid, const Term& event) override { events.emplace_back(pid, kernel.now_us(), event); }
  void on_exit(Pid pid, const Term& reason) override { exits.emplace_back(pid, reason); }
  void on_spawn(Pid, Pid child, const std::string& label) override { spawns.emplace_back(child, label); }

  /// The pids spawned with `label` ("app:my-app", "ets_owner"), in order.
  std::vector<Pid> spawned(std::string_view label) const {
    std::vector<Pid> out;
    for (const auto& [pid, l] : spawns) {
      if (l == label) out.push_back(pid);
    }
    return out;
  }
  /// The exit reason of `pid` as text, or "alive".
  std::string exit_reason(Pid pid) const {
    for (const auto& [p, r] : exits) {
      if (p == pid) return r.to_string();
    }
    return "alive";
  }

  Env env;
  Trio trio;
  /// Answers the kernel's choices (a RandomStrategy unless one was given).
  std::unique_ptr<sim::Strategy> strategy;
  sim::Kernel kernel;
  /// Everything properties judge. More observers: observers.add(&mine).
  RunRecord record;
  sim::ObserverSet observers;
  Term start_result;
  Pid top;
  bool driver_done = false;
  std::vector<Event> events;
  std::vector<std::pair<Pid, Term>> exits;
  std::vector<std::pair<Pid, std::string>> spawns;

 private:
  std::function<Task<>(Ctx)> driver_;
};

}  // namespace otpsim::core::tokens::testing
