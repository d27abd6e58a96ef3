#include "sim/dependence.hpp"

namespace otpsim::sim {

namespace {

/// How a step uses one object it touches.
enum class Access : std::uint8_t {
  read,         // a table, the name registry, an external resource: reads only
  write,        // ...writes (or anything not known to be a read)
  mail_write,   // a process: a message into its mailbox
  mail_read,    // a process: its own receive
  link,         // a process: its link or monitor set
  alive_read,   // a process: whether it lives
  alive_write,  // a process: kills it, or it dies and signals this one
  watch_read,   // a process: whether it still holds a monitor (a monitor request arriving at its target)
  unwatch,      // a process: its demonitor (drops a monitor it holds; reads its mailbox, like a receive)
};

Access access(const StepInfo& s, const StepObject& object, bool also) {
  if (object.kind == StepObject::Kind::process) {
    if (also) {
      if (s.effect == EffectKind::demonitor) return Access::link;  // the target's half of the monitor (async)
      if (s.effect == EffectKind::arrive && s.signal == SignalKind::monitor) return Access::watch_read;
      return s.also_message ? Access::mail_write : Access::alive_write;
    }
    if (s.effect == EffectKind::arrive) {
      switch (s.signal) {
        case SignalKind::message:
        case SignalKind::alias:
        case SignalKind::down: return Access::mail_write;  // DOWN also ends the monitor: demonitor reads the mailbox side
        case SignalKind::monitor:
        case SignalKind::demonitor: return Access::link;  // the receiver's watchers: its death reads them
        // An exit signal may kill, or become an EXIT message, as the
        // receiver's trap_exit and links say: any step of it may change
        // those. Link requests change its links, read by its unlink and death.
        default: return Access::alive_write;
      }
    }
    switch (s.effect) {
      case EffectKind::send:
      case EffectKind::send_alias:
      case EffectKind::send_after: return Access::mail_write;
      case EffectKind::receive: return Access::mail_read;
      case EffectKind::link:
      case EffectKind::unlink:
      case EffectKind::monitor: return Access::link;
      // demonitor acts on the caller's own mailbox and aliases: whether a
      // DOWN arrived first (it returns false, flush removes the DOWN) or a
      // message to its alias is still delivered depends on the order with
      // the target's death and with send_alias. (It was `link`, which
      // commutes with messages: dfs missed those orders.)
      case EffectKind::demonitor: return Access::unwatch;
      case EffectKind::is_alive: return Access::alive_read;
      default: return Access::alive_write;  // exit_signal, die, and anything unforeseen
    }
  }
  return reads_only(s.effect) || s.effect == EffectKind::send_named ? Access::read : Access::write;
}

bool mail(Access a) { return a == Access::mail_write || a == Access::mail_read || a == Access::unwatch; }

bool conflict(Access a, Access b, StepObject::Kind kind) {
  if (kind != StepObject::Kind::process) return a == Access::write || b == Access::write;
  if (a == Access::alive_write || b == Access::alive_write) return true;
  if ((a == Access::watch_read && b == Access::unwatch) || (a == Access::unwatch && b == Access::watch_read)) return true;
  return mail(a) && mail(b);  // link sets commute; liveness reads commute with all but deaths
}

bool touches_shared(const StepObject& o) {
  return o.kind != StepObject::Kind::self && o.kind != StepObject::Kind::none;
}

/// A link or monitor of a process that is already gone acts on the caller
/// itself: monitor queues a DOWN (noproc) in the caller's own mailbox; link
/// delivers a noproc exit signal to the caller (an EXIT message if it traps
/// exits, else it dies). That races with other processes' sends to the
/// caller and their liveness checks of it. A StepInfo does not say whether
/// the target is gone, so every link and monitor counts as touching its
/// caller too. (Without this, dfs with dpor never put a DOWN noproc before
/// another process's message to the monitoring process.)
StepObject own_object(const StepInfo& s) {
  // (Under async delivery a link or monitor touches only its caller,
  // object self: a noproc answer comes back as an arrival of its own.)
  if (s.object.kind != StepObject::Kind::process) return {StepObject::Kind::none, 0};
  if (s.effect == EffectKind::link || s.effect == EffectKind::monitor) return {StepObject::Kind::process, s.pid.id};
  return {StepObject::Kind::none, 0};
}

Access own_access(const StepInfo& s) {
  return s.effect == EffectKind::monitor ? Access::mail_write : Access::alive_write;
}

/// True if `s` reads or changes whether process `pid` lives: an is_alive
/// of it, an exit signal to it, a death whose signal kills it. Such a step
/// is dependent with every step of `pid` itself: any of them may end its
/// body (the process stops being alive there, before its `die` step), and
/// a kill replaces whatever step it had pending. (Only the target's `die`
/// used to count: dfs missed is_alive seeing a process whose last step
/// had run, and a kill landing before or after a step of the target.)
bool touches_liveness_of(const StepInfo& s, Pid pid) {
  if (s.object.kind == StepObject::Kind::process && s.object.id == pid.id) {
    const Access a = access(s, s.object, false);
    if (a == Access::alive_read || a == Access::alive_write) return true;
  }
  if (s.also.kind == StepObject::Kind::process && s.also.id == pid.id && !s.also_message &&
      s.effect != EffectKind::demonitor && s.effect != EffectKind::arrive) {
    return true;
  }
  return false;
}


/// Creating or deleting a table changes what every operation by table name
/// resolves to, and a StepInfo names the table an operation by name found
/// (or `names` if none), not that it went by name: before the table exists
/// an insert by name touches `names`, after it the table. So table_new and
/// table_delete_table are dependent with every table operation. (Without
/// this, a run that made the table first never raced the insert with the
/// creation, and dfs missed the insert that finds no table.)
bool changes_table_names(const StepInfo& s) {
  return s.effect == EffectKind::table_new || s.effect == EffectKind::table_delete_table;
}

}  // namespace

bool table_effect(EffectKind e) {
  switch (e) {
    case EffectKind::table_new:
    case EffectKind::table_insert:
    case EffectKind::table_insert_new:
    case EffectKind::table_lookup:
    case EffectKind::table_delete:
    case EffectKind::table_delete_object:
    case EffectKind::table_delete_table:
    case EffectKind::table_whereis: return true;
    default: return false;
  }
}

bool reads_only(EffectKind effect) {
  switch (effect) {
    case EffectKind::table_lookup:
    case EffectKind::table_whereis:
    case EffectKind::whereis:
    case EffectKind::is_alive: return true;
    default: return false;
  }
}

bool dependent(const StepInfo& a, const StepInfo& b) {
  if (a.pid == b.pid) return true;
  if (a.object.kind == StepObject::Kind::global || b.object.kind == StepObject::Kind::global) return true;
  if (touches_liveness_of(a, b.pid) || touches_liveness_of(b, a.pid)) return true;
  if ((changes_table_names(a) && table_effect(b.effect)) || (changes_table_names(b) && table_effect(a.effect))) return true;
  const StepObject a_own = own_object(a);
  const StepObject b_own = own_object(b);
  const StepObject* as[3] = {&a.object, &a.also, &a_own};
  const StepObject* bs[3] = {&b.object, &b.also, &b_own};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const StepObject& x = *as[i];
      const StepObject& y = *bs[j];
      if (!touches_shared(x) || x.kind != y.kind || x.id != y.id) continue;
      const Access ax = i == 2 ? own_access(a) : access(a, x, i == 1);
      const Access ay = j == 2 ? own_access(b) : access(b, y, j == 1);
      if (conflict(ax, ay, x.kind)) return true;
    }
  }
  return false;
}

}  // namespace otpsim::sim
