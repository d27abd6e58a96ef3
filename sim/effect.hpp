// Effects: what a process asks the kernel to do at a scheduling point, and
// the description of an enabled step that strategies see.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/ids.hpp"

namespace otpsim::sim {

enum class EffectKind : std::uint8_t {
  none,
  start,            // a new process runs its body for the first time
  send,             // message to a pid
  send_named,       // message to a registered name
  send_alias,       // message to a process alias (a monitor ref)
  receive,          // selective receive (maybe with timeout)
  sleep,            // wait for a duration
  yield,            // a scheduling point with no effect
  spawn,            // create a process (maybe linked / monitored)
  link,
  unlink,
  monitor,
  demonitor,
  exit_signal,      // exit(Pid, Reason)
  register_name,
  unregister_name,
  whereis,
  is_alive,
  send_after,       // start a timer that sends a message
  cancel_timer,
  table_new,
  table_insert,
  table_insert_new,
  table_lookup,
  table_delete,
  table_delete_object,  // delete a row only if it is exactly this row (ets:delete_object)
  table_delete_table,
  table_whereis,     // find a named table
  external,         // an operation on something outside the processes (disk, a CLI)
  die,              // a process killed by a signal ends (its own step)
};

std::string_view effect_name(EffectKind kind);

/// What an enabled step touches, for strategies that reason about
/// dependence (partial-order reduction): a process (its mailbox, links or
/// liveness), a table, the name registry, an external resource (durable
/// storage, a command line tool: see Ctx::external), nothing but itself, or
/// anything (`global`: a process's death, which releases its names and
/// tables and signals its links and monitors; a step during which an
/// observer acted from outside, as a fault injector does).
struct StepObject {
  enum class Kind : std::uint8_t { self, process, table, names, external, global, none };
  Kind kind = Kind::self;
  std::uint64_t id = 0;  // pid id, table id, external resource id, or 0
};

/// One enabled step at a scheduling point.
struct StepInfo {
  Pid pid;
  EffectKind effect = EffectKind::none;
  StepObject object;
  /// A second object some steps touch: a send by name, the process it
  /// reaches; a death, the one process its link or monitor signals go to.
  StepObject also{StepObject::Kind::none, 0};
  /// What the step does to `also` is only to put a message in its mailbox
  /// (a send by name; a death whose signal cannot kill the peer).
  bool also_message = false;
  /// Filled in after the step, for Strategy::on_step: a receive that took
  /// a message sent during a step names that step's index (the message's
  /// causal edge for happens-before); no_step otherwise.
  std::uint64_t cause = no_step;
  static constexpr std::uint64_t no_step = ~std::uint64_t{0};
};

}  // namespace otpsim::sim
