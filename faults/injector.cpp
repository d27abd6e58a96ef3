// The injector (docs/faults.md): evaluates triggers after each step and on
// each receive, applies fired faults from on_step (outside any process),
// and keeps timer processes ("fault_clock") for at_time triggers and heals.
#include "faults/injector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/otp/gen_server.hpp"
#include "core/tokens/checked_time.hpp"
#include "sim/assert.hpp"
#include "sim/ctx.hpp"

namespace otpsim::faults {

namespace tk = core::tokens;
namespace sa = sim::atoms;
using sim::Atom;
using sim::Ctx;
using sim::Pid;
using sim::Proc;
using sim::Term;
using AK = Action::Kind;
using TK = Target::Kind;

namespace {

/// Probabilities are compared in millionths.
constexpr std::uint64_t probability_scale = 1'000'000;
/// How much of a received message a crash's FaultEvent detail quotes.
constexpr std::size_t message_quote_max = 120;

Term kill_reason(const Term& reason) {
  if (reason == Term()) return Term(sa::kill());  // a default-constructed Term stands for kill
  return reason;
}

std::uint64_t probability_threshold(double p) {
  if (!(p > 0)) return 0;  // also NaN
  if (p >= 1) return probability_scale;
  return static_cast<std::uint64_t>(std::llround(p * static_cast<double>(probability_scale)));
}

/// Sets, in `b`, the field a CLI action changes.
void set_cli_field(tk::CliBehaviour& b, const Action& a) {
  switch (a.kind) {
    case AK::cli_fail: b.exit_code = a.exit_code; break;
    case AK::cli_hang: b.hang = true; break;
    case AK::cli_slow: b.latency_us = a.duration_us; break;
    case AK::cli_empty: b.output = std::string(); break;
    default: OTPSIM_ASSERT(false, "otpsim internal bug: set_cli_field with a non-CLI action"); break;
  }
}

/// Restores, in `to`, the field a CLI action changes, from `from`.
void restore_cli_field(tk::CliBehaviour& to, const tk::CliBehaviour& from, AK kind) {
  switch (kind) {
    case AK::cli_fail: to.exit_code = from.exit_code; break;
    case AK::cli_hang: to.hang = from.hang; break;
    case AK::cli_slow: to.latency_us = from.latency_us; break;
    case AK::cli_empty: to.output = from.output; break;
    default: OTPSIM_ASSERT(false, "otpsim internal bug: restore_cli_field with a non-CLI action"); break;
  }
}

bool same_cli(const tk::CliBehaviour& a, const tk::CliBehaviour& b) {
  return a.exit_code == b.exit_code && a.output == b.output && a.latency_us == b.latency_us && a.hang == b.hang &&
         a.missing == b.missing;
}

std::string cli_change(const Action& a) {
  switch (a.kind) {
    case AK::cli_fail: return fmt::format("exits {}", a.exit_code);
    case AK::cli_hang: return "hangs";
    case AK::cli_slow: return fmt::format("takes {}us", a.duration_us);
    case AK::cli_empty: return "prints nothing";
    default: return "?";
  }
}

}  // namespace

Injector::Injector(FaultPlan plan, sim::Kernel& kernel, core::System& system, core::RunRecord& record,
                   std::function<void()> restart_node)
    : plan_(std::move(plan)),
      kernel_(kernel),
      system_(system),
      record_(record),
      restart_node_(std::move(restart_node)),
      occurrences_(plan_.faults.size(), 0),
      fires_(plan_.faults.size(), 0),
      passed_(plan_.faults.size(), false) {
  for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
    const Trigger& t = plan_.faults[i].trigger;
    switch (t.kind) {
      case Trigger::Kind::on_receive: on_receive_.push_back(i); break;
      case Trigger::Kind::probability: probability_.push_back(i); break;
      case Trigger::Kind::at_time: time_due_.emplace(t.at_us, i); break;
      case Trigger::Kind::at_step: step_due_.emplace(t.at_step, i); break;
    }
  }
}

void Injector::start() {
  OTPSIM_ASSERT(!started_, "Injector::start called twice");
  started_ = true;
  // Room for a record of every fault that can fire: the record then never
  // moves its events while the run grows it (10,000 fires of a periodic
  // fault reallocated it 14 times; ~200 bytes a fault, 100,000 at most).
  record_.faults.reserve(record_.faults.size() + plan_.faults.size());
  // One wake per distinct at_time that can fire (after 0, max_fires > 0, in
  // its window): a fault that can never fire adds no step to the run.
  std::vector<Micros> wakes_us;
  for (const Fault& f : plan_.faults) {
    const Trigger& t = f.trigger;
    if (t.kind != Trigger::Kind::at_time || t.after > 0 || t.max_fires == 0 || !in_window(t, t.at_us)) continue;
    wakes_us.push_back(std::max(t.at_us, kernel_.now_us()));
  }
  std::sort(wakes_us.begin(), wakes_us.end());
  wakes_us.erase(std::unique(wakes_us.begin(), wakes_us.end()), wakes_us.end());
  if (!wakes_us.empty()) spawn_timer(std::move(wakes_us));
}

void Injector::spawn_timer(std::vector<Micros> wakes_us) {
  for (Micros t : wakes_us) wakes_us_.insert(t);
  // Not in a co_await expression: the closure (and its vector) lives in the
  // process's ProcessFn for as long as the process does.
  auto body = [wakes = std::move(wakes_us)](Ctx ctx) -> Proc {
    for (const Micros t : wakes) {
      const Micros wait_us = tk::kernel_delay(t - ctx.now_us());
      co_await ctx.sleep(wait_us);
    }
  };
  const Pid pid = kernel_.spawn(body, sim::SpawnOptions("fault_clock"));
  timer_pids_.insert(pid.id);
}

// -- triggers --

void Injector::on_step(const sim::StepInfo& step) {
  apply_queued();
  const Micros now_us = kernel_.now_us();
  const bool wake = step.effect == sim::EffectKind::sleep && timer_pids_.count(step.pid.id) > 0;
  if (wake) {
    wakes_us_.erase(wakes_us_.begin(), wakes_us_.upper_bound(now_us));
    run_due_heals();
  }
  // The faults this step can fire: the timed ones now due (taken out of
  // their queues: each occurs once) and every probability one, evaluated in
  // plan order as before (the order of coins and fires is part of a run).
  due_.clear();
  if (wake) {
    const auto end = time_due_.upper_bound(now_us);
    for (auto it = time_due_.begin(); it != end; ++it) due_.push_back(it->second);
    time_due_.erase(time_due_.begin(), end);
  }
  if (!step_due_.empty()) {
    const auto end = step_due_.upper_bound(kernel_.steps());
    for (auto it = step_due_.begin(); it != end; ++it) due_.push_back(it->second);
    step_due_.erase(step_due_.begin(), end);
  }
  if (!due_.empty()) {
    std::sort(due_.begin(), due_.end());
    const std::size_t timed = due_.size();
    due_.insert(due_.end(), probability_.begin(), probability_.end());
    std::inplace_merge(due_.begin(), due_.begin() + static_cast<std::ptrdiff_t>(timed), due_.end());
  }
  const std::vector<std::size_t>& look = due_.empty() ? probability_ : due_;
  trigger_checks_ += look.size();
  for (const std::size_t i : look) {
    const Trigger& t = plan_.faults[i].trigger;
    switch (t.kind) {
      case Trigger::Kind::at_time:
        if (wake && !passed_[i] && t.at_us <= now_us) {
          passed_[i] = true;
          if (occur(i)) fire(i, Pid{});
        }
        break;
      case Trigger::Kind::at_step:
        if (!passed_[i] && kernel_.steps() >= t.at_step) {
          passed_[i] = true;
          if (occur(i)) fire(i, Pid{});
        }
        break;
      case Trigger::Kind::probability:
        // Draw only while the fault may still fire, inside its window.
        // The coin is the strategy's choice (Kernel::flip): logged, replayed,
        // shrunk and enumerated like a scheduling choice.
        if (can_fire(i) && in_window(t, now_us) &&
            kernel_.flip(static_cast<std::uint32_t>(probability_threshold(t.probability)))) {
          if (occur(i)) fire(i, Pid{});
        }
        break;
      case Trigger::Kind::on_receive: break;  // on_receive below
    }
  }
}

void Injector::on_receive(Pid pid, const Term& message) {
  if (!crash_armed_.empty()) {
    auto armed = crash_armed_.find(pid.id);
    if (armed != crash_armed_.end()) {
      std::string quote = message.to_string();
      if (quote.size() > message_quote_max) quote = quote.substr(0, message_quote_max) + "...";
      crash_now_.push_back(Crash{pid, armed->second, crash_event_[pid.id], std::move(quote)});
      crash_event_.erase(pid.id);
      crash_armed_.erase(armed);
    }
  }
  for (std::size_t i : on_receive_) {
    const Trigger& t = plan_.faults[i].trigger;
    if (!can_fire(i) || !is_receiver(t.receiver, pid) || !message_matches(message, t.match)) continue;
    if (occur(i)) queued_.emplace_back(i, pid);  // applied in this step's on_step
  }
}

bool Injector::occur(std::size_t index) {
  const Trigger& t = plan_.faults[index].trigger;
  if (!in_window(t, kernel_.now_us())) return false;  // outside the window: ignored
  const std::uint64_t n = ++occurrences_[index];
  if (n <= t.after) return false;
  if (fires_[index] >= t.max_fires) return false;
  ++fires_[index];
  return true;
}

bool Injector::can_fire(std::size_t index) const { return fires_[index] < plan_.faults[index].trigger.max_fires; }

bool Injector::in_window(const Trigger& trigger, Micros now_us) const {
  if (now_us < trigger.from_us) return false;
  return trigger.until_us == sim::infinity_us || now_us <= trigger.until_us;
}

bool Injector::is_receiver(const Target& target, Pid pid) const {
  if (!target.is_process()) return false;
  return system_.names(target.name(), pid, kernel_, record_);
}

// -- applying --

void Injector::apply_queued() {
  if (!crash_now_.empty()) {
    kernel_.mark_step_global();
    std::vector<Crash> crashes = std::move(crash_now_);
    crash_now_.clear();
    for (const Crash& c : crashes) {
      // `kill` as exit/2 sends it (the victim dies `killed`); any other
      // reason is a crash with that reason, which trapping cannot stop.
      if (c.reason.is(sim::atoms::kill())) {
        kernel_.exit_external(c.pid, c.reason);
      } else {
        kernel_.crash_external(c.pid, c.reason);
      }
      core::FaultEvent& armed = record_.faults[c.event];
      armed.detail += fmt::format("; took {} at step {} ({}us) and crashed with {}", c.message,
                                  kernel_.steps(), kernel_.now_us(), c.reason.to_string());
    }
  }
  if (!queued_.empty()) {
    std::vector<std::pair<std::size_t, Pid>> queued = std::move(queued_);
    queued_.clear();
    for (const auto& [i, receiver] : queued) fire(i, receiver);
  }
}

void Injector::fire(std::size_t index, Pid receiver) {
  // The fault is part of this step, and touches what its step info does
  // not say: partial-order reduction must treat the step as dependent.
  kernel_.mark_step_global();
  const Fault& f = plan_.faults[index];
  core::FaultEvent event;
  event.fault_index = index;
  event.name = f.name.empty() ? default_name(f) : f.name;
  event.target = f.target.name();
  event.action = f.action.name();
  event.at_us = kernel_.now_us();
  event.step = kernel_.steps();
  if (!f.action.fits(f.target)) {
    event.detail = fmt::format("action {} does not apply to target {}", event.action, event.target);
  } else if (!f.action.is_environment()) {
    std::string why_not;
    const Pid victim = resolve(f, receiver, why_not);
    if (!victim) {
      event.detail = std::move(why_not);
    } else {
      event.victim = victim;
      event.applied = true;
      const Term reason = kill_reason(f.action.reason);
      if (f.action.kind == AK::kill) {
        kernel_.exit_external(victim, reason);
        event.detail = fmt::format("sent exit signal {}", reason.to_string());
      } else if (f.action.kind == AK::stop_normal) {
        spawn_stopper(victim);
        event.detail = "asked to stop normal (GenServer.stop)";
      } else if (f.action.kind == AK::busy) {
        kernel_.suspend_external(victim);
        Heal heal;
        heal.fault = index;
        heal.busy = victim;
        const Micros due_us = tk::sat_add(event.at_us, f.action.duration_us);
        schedule_heal(due_us, std::move(heal));
        event.detail = fmt::format("suspended until {}us", due_us);
        event.heals_at_us = due_us;
      } else {
        crash_armed_.insert_or_assign(victim.id, reason);
        crash_event_.insert_or_assign(victim.id, record_.faults.size());
        event.detail = fmt::format("armed: sent exit signal {} after its next receive", reason.to_string());
      }
    }
  } else if (system_.env() == nullptr) {
    event.detail = fmt::format("this system has no environment for {}", event.action);
  } else if (f.action.kind == AK::node_restart) {
    tk::MemoryStorage& storage = system_.env()->memory_storage;
    const bool volatile_store = !storage.durable;
    storage.node_restart();  // forgets everything unless durable
    event.applied = true;
    event.detail = volatile_store ? "volatile storage lost" : "durable storage kept";
    if (restart_node_) {
      restart_node_();
      event.detail += "; node restarted";
    } else {
      event.detail += "; no restart callback: processes left as they were";
    }
  } else {
    Heal heal;
    heal.fault = index;
    event.applied = apply_environment(f, heal, event.detail);
    if (event.applied && f.action.kind == Action::Kind::clock_jump) {
      event.clock_jump_us = f.action.duration_us;
      event.clock_offset_after_us = system_.env()->clock_offset_us;
    }
    if (event.applied && f.action.heal_after_us >= 0 && f.action.heals()) {
      const Micros due_us = tk::sat_add(event.at_us, f.action.heal_after_us);  // saturates: a heal at the end of time
      schedule_heal(due_us, std::move(heal));
      event.detail += fmt::format("; heals at {}us", due_us);
      event.heals_at_us = due_us;
    }
  }
  if (event.applied) {
    ++applied_;
  } else {
    ++skipped_;
  }
  record_.faults.push_back(std::move(event));
}

Pid Injector::resolve(const Fault& fault, Pid receiver, std::string& why_not) {
  const Target& target = fault.target;
  // An on_receive fault aimed at its own receiver hits the process that
  // took the message (any_app: that AppServer, not a new pick).
  if (receiver && target.name() == fault.trigger.receiver.name() && kernel_.is_alive(receiver)) return receiver;
  if (!target.is_process()) {
    why_not = fmt::format("{} is not a process target", target.name());
    return Pid{};
  }
  return system_.resolve(target.name(), kernel_, record_, why_not);
}

void Injector::schedule_heal(Micros due_us, Heal heal) {
  heals_.emplace(due_us, std::move(heal));
  if (wakes_us_.count(due_us) == 0) spawn_timer(std::vector<Micros>(1, due_us));
}

void Injector::spawn_stopper(Pid victim) {
  // GenServer.stop from a process of its own: the victim runs terminate and
  // exits normal; a victim already gone (noproc) or not a gen_server that
  // never answers is left as it is (the stopper's call exits, quietly).
  auto body = [victim](Ctx ctx) -> Proc {
    try {
      co_await core::otp::stop(ctx, core::otp::ServerRef(victim), Term(sa::normal()));
    } catch (const sim::ExitException&) {
    }
  };
  (void)kernel_.spawn(body, sim::SpawnOptions("fault_stop"));
}

bool Injector::apply_environment(const Fault& fault, Heal& heal, std::string& detail) {
  tk::Env& env = *system_.env();
  const Action& a = fault.action;
  switch (a.kind) {
    case AK::storage_put_fail:
    case AK::storage_get_fail:
    case AK::storage_slow: {
      if (env.storage != &env.memory_storage) {
        detail = "the run's storage is not the simulated MemoryStorage";
        return false;
      }
      tk::StorageFaults& faults = env.memory_storage.faults;
      heal.storage_before = faults;
      if (a.kind == AK::storage_put_fail) {
        faults.fail_put = true;
        detail = "storage puts fail";
      } else if (a.kind == AK::storage_get_fail) {
        faults.fail_get = true;
        detail = "storage gets fail";
      } else {
        faults.get_latency_us = a.duration_us;
        faults.put_latency_us = a.duration_us;
        detail = fmt::format("storage gets and puts take {}us", a.duration_us);
      }
      return true;
    }
    case AK::cli_fail:
    case AK::cli_hang:
    case AK::cli_slow:
    case AK::cli_empty: {
      if (env.cli != &env.sim_cli) {
        detail = "the run's CLI is not the simulated SimCli";
        return false;
      }
      tk::SimCli& cli = env.sim_cli;
      if (fault.target.app.empty()) {  // every app: the default and every per-app override
        heal.cli_before.emplace_back(std::nullopt, cli.behaviour);
        set_cli_field(cli.behaviour, a);
        for (auto& [app, behaviour] : cli.per_app) {
          heal.cli_before.emplace_back(app, behaviour);
          set_cli_field(behaviour, a);
        }
        detail = fmt::format("the CLI {} for every app", cli_change(a));
      } else {
        auto [it, created] = cli.per_app.try_emplace(fault.target.app, cli.behaviour);
        heal.cli_before.emplace_back(fault.target.app, it->second);
        if (created) heal.cli_created.push_back(fault.target.app);
        set_cli_field(it->second, a);
        detail = fmt::format("the CLI {} for {}", cli_change(a), fault.target.app);
      }
      return true;
    }
    case AK::clock_jump:
      env.clock_offset_us = tk::sat_add(env.clock_offset_us, a.duration_us);  // saturates at the int64 limits
      heal.clock_jump_us = a.duration_us;
      detail = fmt::format("the system clock jumps by {}us (offset now {}us)", a.duration_us, env.clock_offset_us);
      return true;
    default:
      OTPSIM_ASSERT(false, "otpsim internal bug: apply_environment with a process action");
      return false;
  }
}

// -- heals --

void Injector::run_due_heals() {
  const Micros now_us = kernel_.now_us();
  while (!heals_.empty() && heals_.begin()->first <= now_us) {
    auto node = heals_.extract(heals_.begin());
    undo(node.mapped());
    kernel_.mark_step_global();
  }
}

void Injector::undo(const Heal& heal) {
  const AK kind = plan_.faults[heal.fault].action.kind;
  if (kind == AK::busy) {
    kernel_.resume_external(heal.busy);
    return;
  }
  tk::Env& env = *system_.env();
  switch (kind) {
    case AK::storage_put_fail: env.memory_storage.faults.fail_put = heal.storage_before.fail_put; break;
    case AK::storage_get_fail: env.memory_storage.faults.fail_get = heal.storage_before.fail_get; break;
    case AK::storage_slow:
      env.memory_storage.faults.get_latency_us = heal.storage_before.get_latency_us;
      env.memory_storage.faults.put_latency_us = heal.storage_before.put_latency_us;
      break;
    case AK::cli_fail:
    case AK::cli_hang:
    case AK::cli_slow:
    case AK::cli_empty:
      for (const auto& [app, before] : heal.cli_before) {
        if (!app) {
          restore_cli_field(env.sim_cli.behaviour, before, kind);
          continue;
        }
        auto it = env.sim_cli.per_app.find(*app);
        if (it == env.sim_cli.per_app.end()) continue;  // removed meanwhile
        restore_cli_field(it->second, before, kind);
        // An override this fault created goes away once nothing else changed it.
        const bool created =
            std::find(heal.cli_created.begin(), heal.cli_created.end(), *app) != heal.cli_created.end();
        if (created && same_cli(it->second, before)) env.sim_cli.per_app.erase(it);
      }
      break;
    case AK::clock_jump: env.clock_offset_us = tk::sat_sub(env.clock_offset_us, heal.clock_jump_us); break;
    default: OTPSIM_ASSERT(false, "otpsim internal bug: a heal for an action that does not heal"); break;
  }
}

std::size_t Injector::applied() const { return applied_; }
std::size_t Injector::skipped() const { return skipped_; }

}  // namespace otpsim::faults
