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
};

Access access(const StepInfo& s, const StepObject& object, bool also) {
  if (object.kind == StepObject::Kind::process) {
    if (also) return s.also_message ? Access::mail_write : Access::alive_write;
    switch (s.effect) {
      case EffectKind::send:
      case EffectKind::send_alias:
      case EffectKind::send_after: return Access::mail_write;
      case EffectKind::receive: return Access::mail_read;
      case EffectKind::link:
      case EffectKind::unlink:
      case EffectKind::monitor:
      case EffectKind::demonitor: return Access::link;
      case EffectKind::is_alive: return Access::alive_read;
      default: return Access::alive_write;  // exit_signal, die, and anything unforeseen
    }
  }
  return reads_only(s.effect) || s.effect == EffectKind::send_named ? Access::read : Access::write;
}

bool mail(Access a) { return a == Access::mail_write || a == Access::mail_read; }

bool conflict(Access a, Access b, StepObject::Kind kind) {
  if (kind != StepObject::Kind::process) return a == Access::write || b == Access::write;
  if (a == Access::alive_write || b == Access::alive_write) return true;
  return mail(a) && mail(b);  // link sets commute; liveness reads commute with all but deaths
}

bool touches_shared(const StepObject& o) {
  return o.kind != StepObject::Kind::self && o.kind != StepObject::Kind::none;
}

}  // namespace

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
  const StepObject* as[2] = {&a.object, &a.also};
  const StepObject* bs[2] = {&b.object, &b.also};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const StepObject& x = *as[i];
      const StepObject& y = *bs[j];
      if (!touches_shared(x) || x.kind != y.kind || x.id != y.id) continue;
      if (conflict(access(a, x, i == 1), access(b, y, j == 1), x.kind)) return true;
    }
  }
  return false;
}

}  // namespace otpsim::sim
