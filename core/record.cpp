#include "core/record.hpp"

#include <algorithm>

namespace otpsim::core {

void RunRecord::on_spawn(Pid parent, Pid child, const std::string& label) {
  ProcessLife life;
  life.pid = child;
  life.parent = parent;
  life.label = label;
  life.spawned_us = now_us();
  life.spawned_step = steps();
  // A run spawns tens of processes: start with room for them rather than
  // regrowing (and moving every life) five or six times per run.
  if (processes.empty()) processes.reserve(32);
  // Pids are handed out in increasing order, so the vector stays sorted.
  processes.push_back(std::move(life));
}

void RunRecord::on_exit(Pid pid, const Term& reason) {
  // processes is in pid order (spawns append): a search, not a scan (one
  // exit per process: a scan made 100,000 clients quadratic).
  auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                             [](const ProcessLife& l, Pid p) { return l.pid < p; });
  if (it == processes.end() || it->pid != pid) return;
  it->exited_us = now_us();
  it->exited_step = steps();
  it->exit_reason = reason;
}

void RunRecord::on_event(Pid pid, const Term& event) {
  if (events.empty()) events.reserve(32);  // as for processes
  events.emplace_back(pid, now_us(), steps(), event);
}

void RunRecord::on_receive(Pid pid, const Term& message) {
  // Two tag checks per receive: cheap next to the receive itself.
  static const sim::Atom gen_cast("$gen_cast"), try_again("try_again_restart"), gen_restart("$gen_restart"),
      ack("$ack"), ok("ok");
  if (message.is_tagged(ack, 3) && message[2].is_tagged(ok, 2) && message[2][1].is_pid()) {
    auto it = std::lower_bound(processes.begin(), processes.end(), message[2][1].pid(),
                               [](const ProcessLife& l, Pid p) { return l.pid < p; });
    if (it != processes.end() && it->pid == message[2][1].pid()) it->init_acked = true;
    return;
  }
  if (!message.is_tuple() || message.size() != 2) return;
  if (message[0].is(gen_cast) && message[1].is_tagged(try_again, 2)) {
    retries.emplace_back(pid, now_us(), steps(), message[1][1]);
  } else if (message[0].is(gen_restart)) {
    retries.emplace_back(pid, now_us(), steps(), message[1]);
  }
}

void RunRecord::on_step(const sim::StepInfo& step) {
  // Called after the step (steps() already counts it): record its index,
  // as the other hooks, called inside it, do.
  using sim::EffectKind;
  using sim::StepObject;
  if (step.object.kind != StepObject::Kind::process) return;
  const Pid to{step.object.id};
  if (step.effect == EffectKind::exit_signal && to != step.pid) {
    // Instant delivery: the step names its target (async: the sender's
    // own side only; its arrival, below, names the receiver).
    exit_signals.emplace_back(step.pid, to, now_us(), steps() - 1);
  } else if (step.effect == EffectKind::arrive && step.signal == sim::SignalKind::exit && step.from &&
             step.from != to) {
    // Async delivery: an exit/2 signal's arrival; a dead sender's link
    // signals arrive the same way, after that sender's exit step.
    exit_signals.emplace_back(step.from, to, now_us(), steps() - 1);
  }
}

bool RunRecord::signalled(Pid from, Pid to, std::uint64_t before) const {
  return std::any_of(exit_signals.begin(), exit_signals.end(),
                     [&](const ExitSignal& s) { return s.from == from && s.to == to && s.step < before; });
}

const ProcessLife* RunRecord::life(Pid pid) const {
  auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                             [](const ProcessLife& l, Pid p) { return l.pid < p; });
  return it != processes.end() && it->pid == pid ? &*it : nullptr;
}

std::vector<const ProcessLife*> RunRecord::lives(std::string_view label) const {
  std::vector<const ProcessLife*> out;
  for (const ProcessLife& l : processes) {
    if (l.label == label) out.push_back(&l);
  }
  return out;
}

std::vector<const RecordedEvent*> RunRecord::tagged(std::string_view tag) const {
  std::vector<const RecordedEvent*> out;
  for (const RecordedEvent& e : events) {
    if (e.term.is_tuple() && e.term.size() > 0 && e.term[0].is_atom(tag)) out.push_back(&e);
  }
  return out;
}

}  // namespace otpsim::core
