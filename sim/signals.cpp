// Signals between processes: messages, exit signals, links and monitors,
// with Erlang's rules (reference manual, "Processes": receiving exit signals).
#include <fmt/format.h>

#include "sim/assert.hpp"
#include "sim/kernel.hpp"

namespace otpsim::sim {

using detail::MessageNode;
using detail::Process;
using detail::ProcState;

void Kernel::deliver_message(Process& target, Term message, std::uint64_t cause) {
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
  if (timeout_us > 0) p.timer = arm_timer(now_us_ + timeout_us, Timer{Timer::Kind::wake, p.pid, {}, {}});
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

void Kernel::do_link(Process& p, Pid target_pid) {
  if (target_pid == p.pid) return;
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
  if (Process* target = find(target_pid)) std::erase(target->links, p.pid);
}

Ref Kernel::do_monitor(Process& p, Pid target_pid, bool alias) {
  Ref ref = make_ref();
  Process* target = find(target_pid);
  if (target == nullptr) {  // the DOWN ends the monitor, and its alias, at once
    deliver_message(p, Term::tuple({Term(atoms::down_tag()), Term(ref), Term(atoms::process()), Term(target_pid),
                                    Term(atoms::noproc())}));
    return ref;
  }
  p.monitors_out.push_back({ref, target_pid});
  if (alias) aliases_.emplace(ref, p.pid);
  target->monitors_in.push_back({ref, p.pid});
  return ref;
}

bool Kernel::do_demonitor(Process& p, Ref ref, bool flush) {
  bool active = false;
  for (auto it = p.monitors_out.begin(); it != p.monitors_out.end(); ++it) {
    if (it->ref != ref) continue;
    if (Process* target = find(it->other)) {
      std::erase_if(target->monitors_in, [&](const detail::MonitorEntry& m) { return m.ref == ref; });
    }
    p.monitors_out.erase(it);
    active = true;
    aliases_.erase(ref);
    break;
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

}  // namespace otpsim::sim
