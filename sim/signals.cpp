// Signals between processes: messages, exit signals, links and monitors,
// with Erlang's rules (reference manual, "Processes": receiving exit signals).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sim/assert.hpp"
#include "sim/kernel.hpp"

namespace otpsim::sim {

namespace {
class RetainedPattern final : public ReceivePattern {
 public:
  static constexpr std::size_t capacity = 96;
  bool matches(const Term& message) const override {
    if (all_) return true;
    return fn_(bytes_, message);
  }
  bool (*fn_)(const void*, const Term&) = nullptr;
  bool all_ = true;
  alignas(std::max_align_t) unsigned char bytes_[capacity];
};

}  // namespace

using detail::MessageNode;
using detail::Process;
using detail::ProcState;

void Kernel::deliver_message(Process& target, Term message, std::uint64_t cause, std::uint64_t signal_id) {
  if (target.state == ProcState::exiting) return;  // a dying process takes no more messages
  MessageNode* node = free_nodes_;
  if (node != nullptr) {
    free_nodes_ = node->next;
  } else {
    node = new MessageNode();
  }
  node->message = std::move(message);
  node->next = nullptr;
  node->sent_step = current_ != nullptr ? steps_ : cause;
  node->signal_id = signal_id;
  if (retain_) {
    retained_->payloads.push_back(std::make_unique<Term>(node->message));
    step_payload_ = retained_->payloads.back().get();
  }
  MessageNode** link = target.mailbox.tail;
  *link = node;
  target.mailbox.tail = &node->next;
  ++target.mailbox.size;
  if (target.mailbox.size > config_.limits.mailbox_depth_max && mailbox_overflow_.empty()) [[unlikely]] {
    mailbox_overflow_ = fmt::format("mailbox limit reached: {} holds {} messages (a consumer fell behind for good?)",
                                    trace_.pid_name(target.pid), target.mailbox.size);
  }
  // Earlier messages already failed the pending receive's matcher: test the new one only.
  if (target.pending.kind == EffectKind::receive && target.matched == nullptr && &target != current_ &&
      target.pending.matcher(node->message)) {
    target.matched = link;
    set_runnable(target, true);
  }
}

void Kernel::declare_receive(Process& p) {
  p.timed_out = false;
  p.matched = nullptr;
  for (MessageNode** link = &p.mailbox.head; *link != nullptr; link = &(*link)->next) {
    if (p.pending.matcher((*link)->message)) {
      p.matched = link;
      return;  // enabled; p stays runnable
    }
  }
  const Micros timeout_us = p.pending.duration_us;
  if (timeout_us == 0) {
    p.timed_out = true;
    return;
  }
  p.state = ProcState::waiting;
  set_runnable(p, false);
  if (timeout_us > 0) p.timer = arm_timer(deadline_after(timeout_us), Timer{Timer::Kind::wake, p.pid, {}, {}});
}

void Kernel::take_received(Process& p) {
  cancel_process_timer(p);
  if (p.matched == nullptr) {
    OTPSIM_ASSERT(p.timed_out, "otpsim internal bug: receive step without a message or a timeout");
    p.result.ok = false;
    return;
  }
  MessageNode* node = *p.matched;
  *p.matched = node->next;
  if (p.mailbox.tail == &node->next) p.mailbox.tail = p.matched;
  --p.mailbox.size;
  p.result.term = std::move(node->message);
  p.result.ok = true;
  received_cause_ = node->sent_step;
  received_signal_ = node->signal_id;
  if (observer_ != nullptr) observer_->on_receive(p.pid, p.result.term);
  node->message = Term();
  node->next = free_nodes_;
  free_nodes_ = node;
  p.matched = nullptr;
}

void Kernel::mark_exiting(Process& target, Term reason) {
  if (target.state == ProcState::exiting) return;
  cancel_process_timer(target);
  target.matched = nullptr;
  target.timed_out = false;
  target.state = ProcState::exiting;
  target.exit_reason = std::move(reason);
  target.pending = detail::Effect{};
  target.pending.kind = EffectKind::die;
  set_runnable(target, true);
}

// Receiving an exit signal (reference manual): `kill` sent with exit/2 is
// untrappable and becomes `killed`; a link-propagated `kill` is an ordinary
// reason. `normal` is dropped by a non-trapping receiver unless it sent the
// signal to itself. A trapping receiver gets {'EXIT', From, Reason}.
void Kernel::deliver_exit(Process& target, Pid from, const Term& reason, bool via_link) {
  if (target.state == ProcState::exiting) return;
  if (!via_link && reason.is(atoms::kill())) {
    mark_exiting(target, Term(atoms::killed()));
    return;
  }
  if (target.trap_exit) {
    deliver_message(target, Term::tuple({Term(atoms::exit_tag()), Term(from), reason}));
    return;
  }
  if (reason.is(atoms::normal()) && from != target.pid) return;
  mark_exiting(target, reason);
}

void Kernel::do_link(Process& p, Pid target_pid, bool atomic) {
  if (target_pid == p.pid) return;
  // A link to a process already gone acts at once, as the BEAM does for a
  // local pid; to a live one, the request travels (it may find it dead).
  if (async() && !atomic && find(target_pid) != nullptr) {  // our half now; theirs when the request arrives (or a noproc exit signal comes back)
    if (std::find(p.links.begin(), p.links.end(), target_pid) != p.links.end()) return;
    p.links.push_back(target_pid);
    post(p.pid, target_pid, Signal{SignalKind::link, false, Term(), Ref{}});
    return;
  }
  Process* target = find(target_pid);
  if (target == nullptr) {
    // Linking to a process that no longer exists: an exit signal `noproc`
    // arrives as if from that process through the link.
    deliver_exit(p, target_pid, Term(atoms::noproc()), /*via_link=*/true);
    return;
  }
  for (Pid existing : p.links) {
    if (existing == target_pid) return;  // at most one link per pair
  }
  p.links.push_back(target_pid);
  target->links.push_back(p.pid);
}

void Kernel::do_unlink(Process& p, Pid target_pid) {
  std::erase(p.links, target_pid);
  if (async()) {  // from now on their link exit signals find no link here and are dropped
    if (target_pid != p.pid) post(p.pid, target_pid, Signal{SignalKind::unlink, false, Term(), Ref{}});
    return;
  }
  if (Process* target = find(target_pid)) std::erase(target->links, p.pid);
}

Ref Kernel::do_monitor(Process& p, Pid target_pid, bool alias, bool atomic) {
  Ref ref = make_ref();
  if (alias && async()) alias_owner_.emplace(ref, p.pid);
  if (async() && !atomic && find(target_pid) != nullptr) {  // the monitor is ours at once; the target learns of it when the request arrives
    p.monitors_out.add(ref, target_pid);
    if (alias) aliases_.emplace(ref, p.pid);
    post(p.pid, target_pid, Signal{SignalKind::monitor, false, Term(), ref});
    return ref;
  }
  Process* target = find(target_pid);
  if (target == nullptr) {  // the DOWN ends the monitor, and its alias, at once
    deliver_message(p, Term::tuple({Term(atoms::down_tag()), Term(ref), Term(atoms::process()), Term(target_pid),
                                    Term(atoms::noproc())}));
    return ref;
  }
  p.monitors_out.add(ref, target_pid);
  if (alias) aliases_.emplace(ref, p.pid);
  target->monitors_in.add(ref, p.pid);
  return ref;
}

bool Kernel::do_demonitor(Process& p, Ref ref, bool flush) {
  bool active = false;
  if (const detail::MonitorEntry* it = p.monitors_out.find(ref)) {
    const Pid target_pid = it->other;
    // Both halves end here, under async delivery too: the target's half
    // only decides whether its death sends a DOWN, which the caller would
    // drop now anyway (demonitor/1 promises no DOWN after it returns), so
    // a demonitor signal in flight would be a step with nothing to show.
    // A DOWN already in flight is dropped with it; a monitor request still
    // in flight finds the monitor gone when it arrives (arrive()).
    if (Process* target = find(target_pid)) target->monitors_in.remove(ref);
    if (async()) drop_in_flight(target_pid, p.pid, SignalKind::down, ref);
    p.monitors_out.remove(ref);
    active = true;
    aliases_.erase(ref);
  }
  if (flush) {
    // Remove a DOWN for this ref that is already queued.
    for (MessageNode** link = &p.mailbox.head; *link != nullptr;) {
      MessageNode* node = *link;
      const Term& m = node->message;
      if (m.is_tagged(atoms::down_tag(), 5) && m[1] == Term(ref)) {
        *link = node->next;
        if (p.mailbox.tail == &node->next) p.mailbox.tail = link;
        --p.mailbox.size;
        node->message = Term();
        node->next = free_nodes_;
        free_nodes_ = node;
        continue;
      }
      link = &node->next;
    }
  }
  return active;
}

// -- async delivery: channels and arrivals --

std::string_view signal_name(SignalKind kind) {
  switch (kind) {
    case SignalKind::message: return "message";
    case SignalKind::alias: return "alias message";
    case SignalKind::exit: return "exit";
    case SignalKind::link: return "link";
    case SignalKind::unlink: return "unlink";
    case SignalKind::monitor: return "monitor";
    case SignalKind::demonitor: return "demonitor";
    case SignalKind::down: return "DOWN";
  }
  return "?";
}

std::string_view delivery_name(Delivery delivery) {
  return delivery == Delivery::async ? "async" : "instant";
}

std::optional<Delivery> delivery_from_name(std::string_view name) {
  if (name == "async") return Delivery::async;
  if (name == "instant") return Delivery::instant;
  return std::nullopt;
}

void Kernel::post(Pid from, Pid to, Signal signal) {
  signal.sent_step = current_ != nullptr || signal.sent_step == StepInfo::no_step ? steps_ : signal.sent_step;
  signal.id = ++signal_counter_;
  if (from == to && current_ != nullptr && current_->pid == from) {
    // A process's signal to itself lands at once, as on the BEAM (no other
    // sender's signal can come between a process and itself).
    arrive(from, to, signal);
    return;
  }
  auto [it, created] = channels_.try_emplace({to.id, from.id});
  Channel& c = it->second;
  if (created) {
    c.from = from;
    c.to = to;
    c.actor = channel_actor(from, to);
    c.inflight_index = static_cast<std::uint32_t>(inflight_.size());
    inflight_.push_back(&c);
  }
  c.queue.push_back(std::move(signal));
  ++signals_in_flight_;
}

bool Kernel::holds_monitor(const Process& p, Ref ref) {
  return p.monitors_out.find(ref) != nullptr;
}

void Kernel::drop_in_flight(Pid from, Pid to, SignalKind kind, Ref ref) {
  auto it = channels_.find({to.id, from.id});
  if (it == channels_.end()) return;
  Channel& c = it->second;
  for (std::size_t i = c.head; i < c.queue.size();) {
    if (c.queue[i].kind == kind && c.queue[i].ref == ref) {
      c.queue.erase(c.queue.begin() + static_cast<std::ptrdiff_t>(i));
      --signals_in_flight_;
    } else {
      ++i;
    }
  }
  if (c.head == c.queue.size()) {  // empty: the channel leaves the enabled set
    Channel* last = inflight_.back();
    inflight_[c.inflight_index] = last;
    last->inflight_index = c.inflight_index;
    inflight_.pop_back();
    channels_.erase(it);
  }
}

StepInfo Kernel::arrival_step(const Channel& c) const {
  const Signal& s = c.queue[c.head];
  StepInfo info{c.actor, EffectKind::arrive, {StepObject::Kind::process, c.to.id}};
  info.signal = s.kind;
  info.from = c.from;
  info.signal_id = s.id;
  info.cause = s.sent_step;
  // A monitor request acts only if its watcher still holds the monitor
  // (arrive()): it reads the watcher's side, which the watcher's demonitor
  // changes.
  if (s.kind == SignalKind::monitor) info.also = {StepObject::Kind::process, c.from.id};
  return info;
}

void Kernel::execute_arrival(Channel& c) {
  Signal s = std::move(c.queue[c.head]);
  ++c.head;
  --signals_in_flight_;
  const Pid from = c.from;
  const Pid to = c.to;
  if (c.head == c.queue.size()) {  // empty: the channel leaves the enabled set
    Channel* last = inflight_.back();
    inflight_[c.inflight_index] = last;
    last->inflight_index = c.inflight_index;
    inflight_.pop_back();
    channels_.erase({to.id, from.id});  // c is gone from here on
  }
  arrive(from, to, s);
}

// What a signal does when it reaches its receiver: the rules of instant
// delivery, applied at arrival (reference manual, "Processes": signals).
void Kernel::arrive(Pid from, Pid to, Signal& s) {
  Process* target = find(to);
  const bool live = target != nullptr && target->state != ProcState::exiting;
  if (tracing() && from != to) {
    std::string what;
    switch (s.kind) {
      case SignalKind::message:
      case SignalKind::alias: what = s.term.to_string(); break;
      case SignalKind::exit: what = fmt::format("exit {}{}", s.term.to_string(), s.via_link ? " (link)" : ""); break;
      case SignalKind::down: what = fmt::format("DOWN {} {}", Term(s.ref).to_string(), s.term.to_string()); break;
      case SignalKind::monitor:
      case SignalKind::demonitor: what = fmt::format("{} {}", signal_name(s.kind), Term(s.ref).to_string()); break;
      default: what = std::string(signal_name(s.kind)); break;
    }
    trace_.events.push_back({steps_, now_us_, to, TraceKind::step, EffectKind::arrive,
                             fmt::format("from {}: {}{}", from ? trace_.pid_name(from) : std::string("timer"), what,
                                         target == nullptr ? " (dead, dropped)" : "")});
  }
  switch (s.kind) {
    case SignalKind::message:
      if (live) deliver_message(*target, std::move(s.term), steps_, s.id);
      return;
    case SignalKind::alias: {
      auto alias = aliases_.find(s.ref);
      if (live && alias != aliases_.end() && alias->second == to) deliver_message(*target, std::move(s.term), steps_, s.id);
      return;
    }
    case SignalKind::exit:
      if (target == nullptr) return;
      if (s.via_link) {  // a link's exit signal acts only while the link is up here (unlink drops it)
        auto it = std::find(target->links.begin(), target->links.end(), from);
        if (it == target->links.end()) return;
        target->links.erase(it);
      }
      if (target->state == ProcState::exiting) return;
      if (target->trap_exit && !(!s.via_link && s.term.is(atoms::kill()))) {
        deliver_message(*target, Term::tuple({Term(atoms::exit_tag()), Term(from), s.term}), steps_, s.id);
        return;
      }
      deliver_exit(*target, from, s.term, s.via_link);
      return;
    case SignalKind::link:
      if (target == nullptr) {  // no such process: the link's noproc exit signal comes back
        post(to, from, Signal{SignalKind::exit, true, Term(atoms::noproc()), Ref{}, steps_});
        return;
      }
      if (std::find(target->links.begin(), target->links.end(), from) == target->links.end()) target->links.push_back(from);
      return;
    case SignalKind::unlink:
      if (target != nullptr) std::erase(target->links, from);
      return;
    case SignalKind::monitor:
      if (const Process* watcher = find(from); watcher != nullptr && !holds_monitor(*watcher, s.ref)) {
        return;  // taken back (demonitor) while in flight: no monitor, no answer
      }
      if (target == nullptr) {  // DOWN noproc, from the process that is not there
        post(to, from, Signal{SignalKind::down, false, Term(atoms::noproc()), s.ref, steps_});
        return;
      }
      target->monitors_in.add(s.ref, from);
      return;
    case SignalKind::demonitor:
      if (target != nullptr) {
        target->monitors_in.remove(s.ref);
      }
      return;
    case SignalKind::down: {
      if (target == nullptr) return;
      // Delivered only while the watcher still holds the monitor (demonitor drops it); it ends the monitor and its alias.
      if (!target->monitors_out.remove(s.ref)) return;
      aliases_.erase(s.ref);
      if (target->state == ProcState::exiting) return;
      deliver_message(*target, Term::tuple({Term(atoms::down_tag()), Term(s.ref), Term(atoms::process()), Term(from), s.term}),
                      steps_, s.id);
      return;
    }
  }
}

// A copy of the matcher (trivially copyable: ctx.hpp), so it can be asked
// again after the receive returned. One too big to copy matches everything:
// dependence then errs on the safe side.
const ReceivePattern* Kernel::retain_pattern(const detail::Matcher& m) {
  auto pattern = std::make_unique<RetainedPattern>();
  if (m.fn != nullptr && m.size <= RetainedPattern::capacity) {
    pattern->fn_ = m.fn;
    pattern->all_ = false;
    std::memcpy(pattern->bytes_, m.context, m.size);
  }
  retained_->patterns.push_back(std::move(pattern));
  return retained_->patterns.back().get();
}

}  // namespace otpsim::sim
