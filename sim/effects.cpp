// Performing a step's effect, and its line in the trace.
#include <fmt/format.h>

#include "sim/assert.hpp"
#include "sim/kernel.hpp"

namespace otpsim::sim {

using detail::Effect;
using detail::Process;

std::string_view effect_name(EffectKind kind) {
  switch (kind) {
    case EffectKind::none: return "none";
    case EffectKind::start: return "start";
    case EffectKind::send: return "send";
    case EffectKind::send_named: return "send_named";
    case EffectKind::send_alias: return "send_alias";
    case EffectKind::receive: return "receive";
    case EffectKind::sleep: return "sleep";
    case EffectKind::yield: return "yield";
    case EffectKind::spawn: return "spawn";
    case EffectKind::link: return "link";
    case EffectKind::unlink: return "unlink";
    case EffectKind::monitor: return "monitor";
    case EffectKind::demonitor: return "demonitor";
    case EffectKind::exit_signal: return "exit";
    case EffectKind::register_name: return "register";
    case EffectKind::unregister_name: return "unregister";
    case EffectKind::whereis: return "whereis";
    case EffectKind::is_alive: return "is_alive";
    case EffectKind::send_after: return "send_after";
    case EffectKind::cancel_timer: return "cancel_timer";
    case EffectKind::table_new: return "table_new";
    case EffectKind::table_insert: return "insert";
    case EffectKind::table_insert_new: return "insert_new";
    case EffectKind::table_lookup: return "lookup";
    case EffectKind::table_delete: return "delete";
    case EffectKind::table_delete_object: return "delete_object";
    case EffectKind::table_delete_table: return "delete_table";
    case EffectKind::table_whereis: return "table_whereis";
    case EffectKind::external: return "external";
    case EffectKind::die: return "die";
    case EffectKind::arrive: return "arrive";
  }
  return "?";
}

std::string Kernel::describe(const Process& p) const { return trace_.pid_name(p.pid); }

void Kernel::trace_step(const Process& p, EffectKind effect, std::string detail) {
  trace_.events.push_back({steps_, now_us_, p.pid, TraceKind::step, effect, std::move(detail)});
}

void Kernel::perform(Process& p) {
  Effect& e = p.pending;
  const EffectKind kind = e.kind;
  switch (kind) {
    case EffectKind::start:
    case EffectKind::yield:
      if (tracing()) trace_step(p, kind, {});
      return;
    case EffectKind::external:
      if (tracing()) trace_step(p, kind, fmt::format("{} {}", e.term.to_string(), e.term2.to_string()));
      return;
    case EffectKind::send: {
      if (tracing()) trace_step(p, kind, fmt::format("{} ! {}", trace_.pid_name(e.target), e.term.to_string()));
      if (async()) {
        post(p.pid, e.target, Signal{SignalKind::message, false, std::move(e.term), Ref{}});
      } else if (Process* target = find(e.target)) {
        deliver_message(*target, std::move(e.term));
      }
      return;
    }
    case EffectKind::send_named: {
      Pid to = whereis(e.term);
      p.result.ok = static_cast<bool>(to);
      if (tracing()) {
        trace_step(p, kind, fmt::format("{} ({}) ! {}", e.term.to_string(), to ? trace_.pid_name(to) : "badarg",
                                        e.term2.to_string()));
      }
      if (async()) {
        if (to) post(p.pid, to, Signal{SignalKind::message, false, std::move(e.term2), Ref{}});
      } else if (Process* target = find(to)) {
        deliver_message(*target, std::move(e.term2));
      }
      return;
    }
    case EffectKind::send_alias: {
      if (async()) {  // to the alias's owner; whether the alias is still active is decided at arrival
        auto owner = alias_owner_.find(e.ref);
        if (tracing()) {
          trace_step(p, kind, fmt::format("{} ({}) ! {}", Term(e.ref).to_string(),
                                          owner == alias_owner_.end() ? std::string("no alias, dropped")
                                                                      : trace_.pid_name(owner->second),
                                          e.term.to_string()));
        }
        if (owner != alias_owner_.end()) post(p.pid, owner->second, Signal{SignalKind::alias, false, std::move(e.term), e.ref});
        return;
      }
      auto alias = aliases_.find(e.ref);
      Process* owner = alias == aliases_.end() ? nullptr : find(alias->second);
      if (tracing()) {
        trace_step(p, kind, fmt::format("{} ({}) ! {}", Term(e.ref).to_string(),
                                        owner ? trace_.pid_name(owner->pid) : std::string("inactive, dropped"),
                                        e.term.to_string()));
      }
      if (owner != nullptr) deliver_message(*owner, std::move(e.term));
      return;
    }
    case EffectKind::receive: {
      if (retain_) step_pattern_ = retain_pattern(e.matcher);
      take_received(p);
      if (tracing()) trace_step(p, kind, p.result.ok ? p.result.term.to_string() : std::string("timeout"));
      return;
    }
    case EffectKind::sleep:
      OTPSIM_ASSERT(p.timed_out, "otpsim internal bug: sleep step before its timer fired");
      p.timed_out = false;
      if (tracing()) trace_step(p, kind, fmt::format("{}us", e.duration_us));
      return;
    case EffectKind::spawn: {
      Process& child = create_process(std::move(*e.spawn_fn), *e.spawn_options, p.pid);
      // spawn_link and spawn_monitor are atomic: the child cannot die before its link or monitor is up.
      if (e.spawn_options->link) do_link(p, child.pid, /*atomic=*/true);
      p.result.ref = e.spawn_options->monitor ? do_monitor(p, child.pid, false, /*atomic=*/true) : Ref{};
      p.result.pid = child.pid;
      if (tracing()) {
        trace_step(p, kind, fmt::format("{}{}{}", trace_.pid_name(child.pid), e.spawn_options->link ? " link" : "",
                                        e.spawn_options->monitor ? " monitor" : ""));
      }
      return;
    }
    case EffectKind::link:
      if (tracing()) trace_step(p, kind, trace_.pid_name(e.target));
      do_link(p, e.target);
      return;
    case EffectKind::unlink:
      if (tracing()) trace_step(p, kind, trace_.pid_name(e.target));
      do_unlink(p, e.target);
      return;
    case EffectKind::monitor:
      p.result.ref = do_monitor(p, e.target, e.flag);
      if (tracing()) {
        trace_step(p, kind, fmt::format("{} {}{}", trace_.pid_name(e.target), Term(p.result.ref).to_string(),
                                        e.flag ? " alias" : ""));
      }
      return;
    case EffectKind::demonitor:
      p.result.ok = do_demonitor(p, e.ref, e.flag);
      if (tracing()) trace_step(p, kind, fmt::format("{}{}", Term(e.ref).to_string(), e.flag ? " flush" : ""));
      return;
    case EffectKind::exit_signal: {
      if (tracing()) trace_step(p, kind, fmt::format("{} {}", trace_.pid_name(e.target), e.term.to_string()));
      if (async()) {
        post(p.pid, e.target, Signal{SignalKind::exit, false, e.term, Ref{}});
      } else if (Process* target = find(e.target)) {
        deliver_exit(*target, p.pid, e.term, /*via_link=*/false);
      }
      return;
    }
    case EffectKind::register_name: {
      Process* target = find(e.target);
      bool ok = target != nullptr && target->state != detail::ProcState::exiting &&
                !target->registered_name.is_atom() && !names_.contains(e.term);
      if (ok) {
        names_.emplace(e.term, e.target);
        target->registered_name = e.term;
      }
      p.result.ok = ok;
      if (tracing()) {
        trace_step(p, kind, fmt::format("{} {} -> {}", e.term.to_string(), trace_.pid_name(e.target), ok ? "yes" : "no"));
      }
      return;
    }
    case EffectKind::unregister_name: {
      auto it = names_.find(e.term);
      p.result.ok = it != names_.end();
      if (it != names_.end()) {
        if (Process* holder = find(it->second)) holder->registered_name = Term();
        names_.erase(it);
      }
      if (tracing()) trace_step(p, kind, e.term.to_string());
      return;
    }
    case EffectKind::whereis:
      p.result.pid = whereis(e.term);
      if (tracing()) {
        trace_step(p, kind, fmt::format("{} -> {}", e.term.to_string(),
                                        p.result.pid ? trace_.pid_name(p.result.pid) : std::string("undefined")));
      }
      return;
    case EffectKind::is_alive:
      // Erlang: alive means "not exiting and not exited"; a process already
      // hit by a fatal signal is not alive even before its die step. And
      // every signal the caller sent the target before arrives first
      // (erlang:is_process_alive/1), so exit(P, kill) then is_alive(P) is false.
      if (async()) {
        auto c = channels_.find({e.target.id, p.pid.id});
        while (c != channels_.end()) {
          Channel& channel = c->second;
          const bool last = channel.head + 1 == channel.queue.size();
          execute_arrival(channel);
          if (last) break;
        }
      }
      if (Process* target = find(e.target)) {
        p.result.ok = target->state != detail::ProcState::exiting;
      } else {
        p.result.ok = false;
      }
      if (tracing()) trace_step(p, kind, fmt::format("{} -> {}", trace_.pid_name(e.target), p.result.ok));
      return;
    case EffectKind::send_after: {
      // As erlang:send_after to a pid: a timer aimed at a dead process is
      // cancelled (here: never armed), and dies with its target.
      Ref ref = make_ref();
      Process* target = find(e.target);
      if (target != nullptr && target->state != detail::ProcState::exiting) {
        detail::TimerKey key = arm_timer(deadline_after(e.duration_us),
                                         Timer{Timer::Kind::message, e.target, ref, std::move(e.term), steps_});
        timer_refs_.emplace(ref, key);
        target->inbound_timers.push_back(ref);
      }
      p.result.ref = ref;
      if (tracing()) {
        trace_step(p, kind, fmt::format("{}us {} {}", e.duration_us, trace_.pid_name(e.target), Term(ref).to_string()));
      }
      return;
    }
    case EffectKind::cancel_timer: {
      auto it = timer_refs_.find(e.ref);
      p.result.ok = it != timer_refs_.end();
      if (p.result.ok) {
        p.result.value = it->second.at_us - now_us_;
        auto timer = timers_.find(it->second);
        if (Process* target = find(timer->second.target)) std::erase(target->inbound_timers, e.ref);
        timers_.erase(timer);
        timer_refs_.erase(it);
      }
      if (tracing()) trace_step(p, kind, fmt::format("{} -> {}", Term(e.ref).to_string(), p.result.ok ? "cancelled" : "false"));
      return;
    }
    case EffectKind::table_new:
    case EffectKind::table_insert:
    case EffectKind::table_insert_new:
    case EffectKind::table_lookup:
    case EffectKind::table_delete:
    case EffectKind::table_delete_object:
    case EffectKind::table_delete_table:
    case EffectKind::table_whereis: perform_table(p); return;
    case EffectKind::die:
      if (tracing()) trace_step(p, kind, p.exit_reason.to_string());
      terminate(p, p.exit_reason);
      return;
    case EffectKind::none:
    case EffectKind::arrive: break;  // an arrival is a channel's step (execute_arrival), never a process's
  }
  OTPSIM_ASSERT(false, "otpsim internal bug: step with no pending effect");
}

}  // namespace otpsim::sim
