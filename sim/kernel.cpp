// The run loop, steps, process lifecycle and timers. Signal delivery lives
// in signals.cpp, table effects in tables.cpp.
#include "sim/kernel.hpp"

#include <fmt/format.h>

#include <limits>

#include "sim/assert.hpp"
#include "sim/ctx.hpp"

namespace otpsim::sim {

using detail::Effect;
using detail::Process;
using detail::ProcState;

namespace {
constexpr std::uint32_t not_runnable = std::numeric_limits<std::uint32_t>::max();
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::quiescent: return "quiescent";
    case Outcome::step_limit: return "step limit reached";
    case Outcome::time_limit: return "time limit reached";
    case Outcome::strategy_stopped: return "strategy stopped";
    case Outcome::stopped: return "stopped";
    case Outcome::mailbox_limit: return "mailbox limit reached";
  }
  return "?";
}

std::size_t SchedulePoint::size() const { return kernel_.enabled_count(); }
Pid SchedulePoint::pid(std::size_t i) const { return kernel_.enabled_pid(i); }
StepInfo SchedulePoint::step(std::size_t i) const { return kernel_.enabled_step(i); }
Micros SchedulePoint::now_us() const { return kernel_.now_us(); }

Kernel::Kernel(KernelConfig config, Strategy& strategy) : config_(config), strategy_(strategy) {}

Kernel::~Kernel() {
  // Teardown without signals: destroy every live frame, then the pool.
  for (Process* p : processes_) {
    if (p == nullptr) continue;
    destroy_frames(*p);
    for (detail::MessageNode* n = p->mailbox.head; n != nullptr;) {
      detail::MessageNode* next = n->next;
      delete n;
      n = next;
    }
    delete p;
  }
  while (free_nodes_ != nullptr) {
    detail::MessageNode* next = free_nodes_->next;
    delete free_nodes_;
    free_nodes_ = next;
  }
}

Process* Kernel::find(Pid pid) const {
  if (pid.id == 0 || pid.id > processes_.size()) return nullptr;
  return processes_[pid.id - 1];
}

bool Kernel::is_alive(Pid pid) const { return find(pid) != nullptr; }

Pid Kernel::whereis(const Term& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? Pid{} : it->second;
}

Pid Kernel::spawn(ProcessFn fn, SpawnOptions options) {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::spawn is for roots; inside a process use co_await ctx.spawn");
  return create_process(std::move(fn), options, Pid{}).pid;
}

void Kernel::exit_external(Pid target, const Term& reason) {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::exit_external called inside a process; use co_await ctx.exit");
  if (Process* t = find(target)) deliver_exit(*t, Pid{}, reason, /*via_link=*/false);
}

void Kernel::crash_external(Pid target, const Term& reason) {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::crash_external called inside a process; use ctx.exit(reason)");
  if (Process* t = find(target)) mark_exiting(*t, reason);
}

Process& Kernel::create_process(ProcessFn fn, const SpawnOptions& options, Pid parent) {
  auto* p = new Process();
  p->pid = Pid{++pid_counter_};
  strategy_.on_spawn(parent, p->pid);
  p->kernel = this;
  p->fn = std::move(fn);
  if (options.label.is_string()) p->label = std::string(options.label.string_value());
  p->runnable_index = not_runnable;
  p->pending.kind = EffectKind::start;
  processes_.push_back(p);
  OTPSIM_ASSERT(processes_.size() == p->pid.id, "otpsim internal bug: pid index out of step");
  ++alive_count_;
  p->root = p->fn(Ctx(p)).release();
  p->frames.push_back(p->root);
  set_runnable(*p, true);
  if (tracing() && !p->label.empty()) trace_.labels.push_back({p->pid, p->label});
  if (observer_ != nullptr) observer_->on_spawn(parent, p->pid, p->label);
  return *p;
}

void Kernel::suspend_external(Pid target) {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::suspend_external called inside a process");
  Process* p = find(target);
  if (p == nullptr || p->suspended) return;
  p->suspended = true;
  // Its pending step stays pending (state runnable) but is not enabled.
  if (p->state != ProcState::exiting && p->runnable_index != not_runnable) {
    const ProcState state = p->state;
    set_runnable(*p, false);
    p->state = state;
  }
}

void Kernel::resume_external(Pid target) {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::resume_external called inside a process");
  Process* p = find(target);
  if (p == nullptr || !p->suspended) return;
  p->suspended = false;
  if (p->state != ProcState::waiting) set_runnable(*p, true);
}

void Kernel::set_runnable(Process& p, bool runnable) {
  if (runnable) {
    if (p.state == ProcState::waiting) p.state = ProcState::runnable;
    // A suspended process's step waits for resume_external; its death does not.
    if (p.suspended && p.state != ProcState::exiting) return;
    if (p.runnable_index != not_runnable) return;
    p.runnable_index = static_cast<std::uint32_t>(runnable_.size());
    runnable_.push_back(&p);
    return;
  }
  if (p.runnable_index == not_runnable) return;
  Process* last = runnable_.back();
  runnable_[p.runnable_index] = last;
  last->runnable_index = p.runnable_index;
  runnable_.pop_back();
  p.runnable_index = not_runnable;
}

/// A death touches the dying process, and releases its name and tables and
/// signals its links and monitors: precise when that is one other process
/// and nothing shared, global otherwise.
StepInfo Kernel::die_step(const Process& p) const {
  StepInfo info{p.pid, EffectKind::die, {StepObject::Kind::process, p.pid.id}};
  if (!p.registered_name.is_integer() || !p.tables.empty()) {
    info.object = {StepObject::Kind::global, 0};
    return info;
  }
  Pid peer;
  auto note = [&](Pid other) {
    if (!peer) {
      peer = other;
      return true;
    }
    return peer == other;
  };
  bool one = true;
  bool linked = false;
  for (Pid l : p.links) {
    one = one && note(l);
    linked = true;
  }
  p.monitors_in.each([&](const detail::MonitorEntry& m) { one = one && note(m.other); });
  if (!one) {
    info.object = {StepObject::Kind::global, 0};
  } else if (peer) {
    info.also = {StepObject::Kind::process, peer.id};
    // A DOWN is only a message. An exit signal through a link kills, is
    // dropped or becomes a message as the peer's trap_exit says, and any
    // step of the peer may change that (trap_exit is no step of its own):
    // dependent with all of them. (Judging by the trap_exit of the moment,
    // dfs missed a normal exit dropped by a peer that trapped exits later.)
    info.also_message = !linked;
  }
  return info;
}

/// True if the step `e` ends its own process at once (execute_step): a
/// link to a process already gone that the caller does not trap, or an
/// exit signal to itself that it cannot trap.
bool Kernel::kills_caller(const Process& p, const Effect& e) const {
  if (e.kind == EffectKind::link) return e.target != p.pid && find(e.target) == nullptr && !p.trap_exit;
  if (e.kind == EffectKind::exit_signal && e.target == p.pid) return !p.trap_exit || e.term.is(atoms::kill());
  return false;
}

StepInfo Kernel::enabled_step(std::size_t i) const {
  if (i >= runnable_.size()) return arrival_step(*inflight_[i - runnable_.size()]);
  const Process& p = *runnable_[i];
  StepInfo info = process_step(p);
  if (kills_caller(p, p.pending)) {
    // The step is also the process's death: it touches what its death does
    // (its name, tables and, under instant delivery, its links and monitors).
    // dfs missed a link to a dead process whose noproc death killed a
    // linked peer before that peer's next step.
    const bool touches_more = async() ? !p.registered_name.is_integer() || !p.tables.empty()
                                      : die_step(p).object.kind == StepObject::Kind::global || die_step(p).also.kind != StepObject::Kind::none;
    if (touches_more) info.object = {StepObject::Kind::global, 0};
  }
  return info;
}

StepInfo Kernel::process_step(const Process& p) const {
  const Effect& e = p.pending;
  StepInfo info{p.pid, e.kind, {StepObject::Kind::process, p.pid.id}};
  if (async()) {
    // A signal's effect on its receiver is its arrival's: sending it
    // touches only the sender (and the name table, by name).
    switch (e.kind) {
      case EffectKind::send:
      case EffectKind::exit_signal:
        // A signal to oneself lands at once, in this step: it writes this
        // process's own mailbox (or kills it), and its order with arrivals
        // there matters.
        info.object = {e.target == p.pid ? StepObject::Kind::process : StepObject::Kind::self, p.pid.id};
        return info;
      case EffectKind::send_alias: {
        auto owner = alias_owner_.find(e.ref);
        const bool own = owner != alias_owner_.end() && owner->second == p.pid;
        info.object = {own ? StepObject::Kind::process : StepObject::Kind::self, p.pid.id};
        return info;
      }
      case EffectKind::unlink: info.object = {StepObject::Kind::self, p.pid.id}; return info;
      case EffectKind::send_named:
        info.object = {StepObject::Kind::names, 0};
        if (whereis(e.term) == p.pid) {  // to oneself by name: lands at once, in this step
          info.also = {StepObject::Kind::process, p.pid.id};
          info.also_message = true;
        }
        return info;
      case EffectKind::demonitor:
        // It also removes the target's half at once (signals.cpp), which
        // the target's death reads.
        if (const detail::MonitorEntry* m = p.monitors_out.find(e.ref); m != nullptr && m->other != p.pid) {
          info.also = {StepObject::Kind::process, m->other.id};
        }
        return info;
      case EffectKind::die:
        // Its links and monitors hear of it by arrivals of their own; the
        // death itself touches its process, the name it held (released at
        // once: names are node state) and its tables.
        if (!p.tables.empty()) {
          info.object = {StepObject::Kind::global, 0};
        } else if (!p.registered_name.is_integer()) {
          info.also = {StepObject::Kind::names, 0};
        }
        return info;
      case EffectKind::receive: info.poll = e.duration_us == 0; return info;
      case EffectKind::is_alive:  // it also lands the caller's signals in flight to the target first
        info.object = {StepObject::Kind::process, e.target.id};
        info.also = {StepObject::Kind::process, e.target.id};
        return info;
      default: break;
    }
  }
  switch (e.kind) {
    case EffectKind::send:
    case EffectKind::link:
    case EffectKind::unlink:
    case EffectKind::monitor:
    case EffectKind::exit_signal:
    case EffectKind::send_after:  // a delayed send: its timer's messages queue behind others to the target
    case EffectKind::is_alive: info.object = {StepObject::Kind::process, e.target.id}; break;
    case EffectKind::send_alias: {
      auto alias = aliases_.find(e.ref);
      info.object = {StepObject::Kind::process, alias == aliases_.end() ? p.pid.id : alias->second.id};
      break;
    }
    case EffectKind::send_named: {
      info.object = {StepObject::Kind::names, 0};
      auto named = names_.find(e.term);
      if (named != names_.end()) {
        info.also = {StepObject::Kind::process, named->second.id};
        info.also_message = true;
      }
      break;
    }
    case EffectKind::register_name:
    case EffectKind::unregister_name: {
      // Naming or unnaming another process changes what its death releases
      // (and registering reads whether it lives): the death's StepInfo,
      // taken after, no longer shows the name, so the two must be ordered
      // here. (dfs missed a death that released a name another process
      // was about to unregister.)
      info.object = {StepObject::Kind::names, 0};
      const Pid other = e.kind == EffectKind::register_name ? e.target : whereis(e.term);
      if (other && other != p.pid) info.also = {StepObject::Kind::process, other.id};
      break;
    }
    case EffectKind::whereis:
    case EffectKind::table_whereis:
    case EffectKind::table_new: info.object = {StepObject::Kind::names, 0}; break;
    case EffectKind::table_insert:
    case EffectKind::table_insert_new:
    case EffectKind::table_lookup:
    case EffectKind::table_delete:
    case EffectKind::table_delete_object:
    case EffectKind::table_delete_table: {
      TableId table = e.table;
      if (!table && e.term2.is_atom()) {  // an operation by table name
        auto named = table_names_.find(e.term2);
        if (named == table_names_.end()) {
          info.object = {StepObject::Kind::names, 0};
          break;
        }
        table = named->second;
      }
      info.object = {StepObject::Kind::table, table.id};
      break;
    }
    case EffectKind::external: info.object = {StepObject::Kind::external, static_cast<std::uint64_t>(e.term.integer())}; break;
    case EffectKind::start:
    case EffectKind::yield:
    case EffectKind::sleep:
    case EffectKind::spawn:
    case EffectKind::cancel_timer: info.object = {StepObject::Kind::self, p.pid.id}; break;
    case EffectKind::die: info = die_step(p); break;
    default: break;  // receive, demonitor: the process itself
  }
  return info;
}

void Kernel::emit(const Process& p, const Term& event) {
  if (tracing()) trace_.events.push_back({steps_, now_us_, p.pid, TraceKind::event, EffectKind::none, event.to_string()});
  if (observer_ != nullptr) observer_->on_event(p.pid, event);
}

std::uint64_t Kernel::choose(std::uint64_t bound) {
  if (bound <= 1) return 0;
  std::uint64_t pick = strategy_.choose(bound);
  if (pick >= bound) {
    strategy_failed_ = true;
    pick = 0;
  }
  note_choice();
  choices_.push_back({Choice::Kind::data, static_cast<std::uint32_t>(bound), pick});
  return pick;
}

bool Kernel::flip(std::uint32_t millionths) {
  if (millionths == 0) return false;
  if (millionths >= 1'000'000) return true;
  std::uint64_t pick = strategy_.flip(millionths);
  if (pick >= 2) {
    strategy_failed_ = true;
    pick = 0;
  }
  note_choice();
  choices_.push_back({Choice::Kind::data, 2, pick});
  return pick == 1;
}

RunResult Kernel::run() {
  OTPSIM_ASSERT(current_ == nullptr, "Kernel::run called from inside a process");
  RunResult result;
  retain_ = async() && strategy_.wants_patterns();
  if (retain_ && retained_ == nullptr) {
    retained_ = std::make_shared<Retained>();
    strategy_.hold(retained_);
  }
  for (;;) {
    if (stop_requested_) {
      stop_requested_ = false;
      result.outcome = Outcome::stopped;
      result.message = "the program asked to stop";
      break;
    }
    if (strategy_failed_) {
      result.outcome = Outcome::strategy_stopped;
      result.message = strategy_.error();
      break;
    }
    if (!mailbox_overflow_.empty()) {
      result.outcome = Outcome::mailbox_limit;
      result.message = mailbox_overflow_;
      break;
    }
    if (steps_ >= config_.limits.steps_max) {
      result.outcome = Outcome::step_limit;
      result.message = fmt::format("step limit reached ({} steps): a spin loop or a restart storm?", steps_);
      break;
    }
    if (runnable_.empty() && inflight_.empty()) {
      if (timers_.empty()) {
        result.outcome = Outcome::quiescent;
        break;
      }
      if (timers_.begin()->first.at_us > config_.limits.time_max_us) {
        result.outcome = Outcome::time_limit;
        result.message = fmt::format("time limit reached: next timer at {}us is past {}us",
                                     timers_.begin()->first.at_us, config_.limits.time_max_us);
        break;
      }
      advance_clock();
      continue;
    }
    std::size_t index = 0;
    const std::size_t enabled = enabled_count();
    if (enabled > 1) {
      index = strategy_.pick(SchedulePoint(*this, steps_));
      if (index >= enabled) {
        strategy_failed_ = true;
        continue;
      }
      note_choice();
      choices_.push_back({Choice::Kind::schedule, static_cast<std::uint32_t>(enabled), index});
    }
    StepInfo info = enabled_step(index);
    step_pattern_ = nullptr;
    step_payload_ = nullptr;
    if (index >= runnable_.size()) {
      execute_arrival(*inflight_[index - runnable_.size()]);
    } else {
      received_cause_ = StepInfo::no_step;
      received_signal_ = 0;
      execute_step(*runnable_[index]);
      if (info.effect == EffectKind::receive) {
        info.cause = received_cause_;
        info.signal_id = received_signal_;
      }
    }
    info.pattern = step_pattern_;
    info.payload = step_payload_;
    ++steps_;
    step_global_ = false;
    if (observer_ != nullptr) observer_->on_step(info);
    if (step_global_) info.object = {StepObject::Kind::global, 0};
    strategy_.on_step(info);
  }
  result.steps = steps_;
  result.end_time_us = now_us_;
  result.processes_alive = alive_count_;
  return result;
}

void Kernel::execute_step(Process& p) {
  current_ = &p;
  perform(p);  // may end p (die, or a fatal signal it sent itself)
  if (current_ != nullptr) {
    if (p.state == ProcState::exiting) {
      terminate(p, p.exit_reason);
    } else {
      resume(p);
    }
  }
  current_ = nullptr;
}

void Kernel::resume(Process& p) {
  p.pending.kind = EffectKind::none;
  detail::current_frames = &p.frames;
  for (;;) {
    p.frames.back().resume();
    if (p.pending.kind != EffectKind::none) break;  // suspended at its next effect
    if (p.root.done()) {
      detail::current_frames = nullptr;
      finish_body(p);
      return;
    }
    // A nested Task was pushed or popped: continue the same step.
  }
  detail::current_frames = nullptr;
}

void Kernel::finish_body(Process& p) {
  Term reason(atoms::normal());
  if (auto ex = p.root.promise().exception) {
    try {
      std::rethrow_exception(ex);
    } catch (const ExitException& e) {
      reason = e.reason;
    } catch (const std::exception& e) {
      reason = Term::tuple({Term(atoms::exception()), Term::string(e.what())});
    } catch (...) {
      reason = Term::tuple({Term(atoms::exception()), Term::string("unknown exception")});
    }
  }
  // The end of a body is not the end of the process: its exit (releasing
  // its name and tables, signalling links and monitors) is a step of its
  // own, so others may run in between, as on the BEAM. A reply sent just
  // before exiting can reach its caller while the name is still held.
  mark_exiting(p, std::move(reason));
}

void Kernel::declare(Process& p, Effect&& effect) {
  OTPSIM_ASSERT(&p == current_, "otpsim internal bug: effect declared by a process that is not running");
  OTPSIM_ASSERT(p.pending.kind == EffectKind::none, "otpsim internal bug: two effects pending");
  p.pending = std::move(effect);
  switch (p.pending.kind) {
    case EffectKind::receive: declare_receive(p); break;
    case EffectKind::sleep:
      p.timed_out = false;
      if (p.pending.duration_us <= 0) {
        p.timed_out = true;
      } else {
        p.state = ProcState::waiting;
        set_runnable(p, false);
        p.timer = arm_timer(deadline_after(p.pending.duration_us), Timer{Timer::Kind::wake, p.pid, {}, {}});
      }
      break;
    default: break;  // every other effect is enabled at once
  }
}

void Kernel::terminate(Process& p, Term reason) {
  set_runnable(p, false);
  cancel_process_timer(p);
  for (Ref ref : p.inbound_timers) {  // erlang:send_after timers die with their target
    auto it = timer_refs_.find(ref);
    if (it == timer_refs_.end()) continue;
    timers_.erase(it->second);
    timer_refs_.erase(it);
  }
  p.inbound_timers.clear();
  p.state = ProcState::exiting;  // from here on, signals to p are dropped
  // Directly visible resources go first (names, tables), then signals.
  if (p.registered_name.is_atom()) names_.erase(p.registered_name);
  for (TableId t : std::vector<TableId>(p.tables)) {
    if (!pass_to_heir(t)) destroy_table(t);
  }
  if (tracing()) {
    trace_.events.push_back({steps_, now_us_, p.pid, TraceKind::exited, EffectKind::none, reason.to_string()});
  }
  if (observer_ != nullptr) observer_->on_exit(p.pid, reason);
  if (async()) {
    // One signal per link and per monitor, each in its own channel, each
    // arriving on its own; the monitors this process held end with it.
    for (Pid peer : p.links) post(p.pid, peer, Signal{SignalKind::exit, true, reason, Ref{}});
    p.monitors_in.each(
        [&](const detail::MonitorEntry& m) { post(p.pid, m.other, Signal{SignalKind::down, false, reason, m.ref}); });
    p.monitors_out.each([&](const detail::MonitorEntry& m) {
      aliases_.erase(m.ref);
      post(p.pid, m.other, Signal{SignalKind::demonitor, false, Term(), m.ref});
    });
  } else {
  for (Pid peer_pid : p.links) {
    Process* peer = find(peer_pid);
    if (peer == nullptr) continue;
    std::erase(peer->links, p.pid);
    deliver_exit(*peer, p.pid, reason, /*via_link=*/true);
  }
  p.monitors_in.each([&](const detail::MonitorEntry& m) {
    Process* watcher = find(m.other);
    if (watcher == nullptr) return;
    watcher->monitors_out.remove(m.ref);
    aliases_.erase(m.ref);
    deliver_message(*watcher, Term::tuple({Term(atoms::down_tag()), Term(m.ref), Term(atoms::process()),
                                           Term(p.pid), reason}));
  });
  p.monitors_out.each([&](const detail::MonitorEntry& m) {
    aliases_.erase(m.ref);
    if (Process* target = find(m.other)) target->monitors_in.remove(m.ref);
  });
  }
  processes_[p.pid.id - 1] = nullptr;
  --alive_count_;
  if (current_ == &p) current_ = nullptr;
  destroy_frames(p);
  for (detail::MessageNode* n = p.mailbox.head; n != nullptr;) {
    detail::MessageNode* next = n->next;
    n->message = Term();
    n->next = free_nodes_;
    free_nodes_ = n;
    n = next;
  }
  delete &p;
}

// Destroys a process's coroutine frames, the innermost first. Frames do not
// own the frames they await (task.hpp), so this never recurses.
void Kernel::destroy_frames(Process& p) {
  while (!p.frames.empty()) {
    p.frames.back().destroy();
    p.frames.pop_back();
  }
  p.root = {};
}

// -- timers --

detail::TimerKey Kernel::arm_timer(Micros at_us, Timer timer) {
  detail::TimerKey key{at_us, ++timer_seq_};
  timers_.emplace(key, std::move(timer));
  return key;
}

Micros Kernel::deadline_after(Micros delay_us) const {
  if (delay_us <= 0) return now_us_;
  const Micros room = std::numeric_limits<Micros>::max() - now_us_;
  return delay_us > room ? std::numeric_limits<Micros>::max() : now_us_ + delay_us;
}

void Kernel::cancel_process_timer(Process& p) {
  if (p.timer.seq == 0) return;
  timers_.erase(p.timer);
  p.timer = {};
}

bool Kernel::advance_clock() {
  if (timers_.empty()) return false;
  const Micros at_us = timers_.begin()->first.at_us;
  if (at_us > now_us_) {
    now_us_ = at_us;
    strategy_.on_time_advance(now_us_);
    if (tracing()) trace_.events.push_back({steps_, now_us_, Pid{}, TraceKind::clock, EffectKind::none, {}});
  }
  // Fire every timer due now, in the order they were armed.
  while (!timers_.empty() && timers_.begin()->first.at_us <= now_us_) {
    auto node = timers_.extract(timers_.begin());
    Timer& timer = node.mapped();
    if (timer.kind == Timer::Kind::wake) {
      Process* p = find(timer.target);
      OTPSIM_ASSERT(p != nullptr, "otpsim internal bug: wake timer of a dead process");
      OTPSIM_ASSERT(p->timer == node.key(), "otpsim internal bug: stale wake timer");
      p->timer = {};
      p->timed_out = true;
      if (p->state == ProcState::waiting) set_runnable(*p, true);
    } else {
      timer_refs_.erase(timer.ref);
      if (Process* target = find(timer.target)) {
        std::erase(target->inbound_timers, timer.ref);
        if (async()) {  // from the timer service: a channel of its own to the target
          post(Pid{}, target->pid, Signal{SignalKind::message, false, std::move(timer.message), Ref{}, timer.armed_step});
        } else {
          deliver_message(*target, std::move(timer.message), timer.armed_step);
        }
      }
    }
  }
  return true;
}

}  // namespace otpsim::sim
