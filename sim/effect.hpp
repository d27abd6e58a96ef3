// Effects: what a process asks the kernel to do at a scheduling point, and
// the description of an enabled step that strategies see.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sim/ids.hpp"

namespace otpsim::sim {

class Term;

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
  arrive,           // async delivery: an in-flight signal reaches its receiver
};

/// What an in-flight signal is (async delivery, EffectKind::arrive).
enum class SignalKind : std::uint8_t {
  message,    // a message (send, send by name, timer message): into the mailbox
  alias,      // a message to an alias: into the mailbox if the alias is still active
  exit,       // an exit signal (exit/2, or a link's, or a link's noproc answer): may kill or become an EXIT message
  link,       // a link request: the receiver's half of the link
  unlink,     // an unlink request
  monitor,    // a monitor request: the receiver starts being watched (or answers DOWN noproc)
  demonitor,  // a demonitor request
  down,       // a DOWN message: into the mailbox if the watcher still holds the monitor
};

std::string_view signal_name(SignalKind kind);

/// How signals travel between processes (KernelConfig::delivery).
/// - async (the default): every signal waits in the FIFO channel of its
///   (sender, receiver) pair, and its arrival is an enabled step of its own,
///   so signals from different senders arrive in any order, as on the BEAM;
/// - instant: a signal lands at the sender's step (a subset of Erlang's
///   behaviours, kept for speed and comparison).
enum class Delivery : std::uint8_t { async, instant };

std::string_view delivery_name(Delivery delivery);
std::optional<Delivery> delivery_from_name(std::string_view name);

/// A retained copy of a receive's pattern (async delivery, when a strategy
/// asks for patterns): valid until the kernel is destroyed, so a strategy
/// can ask, for the rest of the run, whether that receive could have taken
/// some other message.
class ReceivePattern {
 public:
  virtual ~ReceivePattern() = default;
  virtual bool matches(const Term& message) const = 0;
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
  /// causal edge for happens-before); no_step otherwise. Under async
  /// delivery an `arrive` names the step that sent its signal (known before
  /// the step), and a receive names the arrival of the message it took.
  std::uint64_t cause = no_step;
  // -- async delivery (EffectKind::arrive); otherwise left as they are --
  /// arrive: what arrives, and who sent it (0: a timer). `pid` is then the
  /// channel's actor (channel_actor(from, receiver)), `object` the receiver.
  SignalKind signal = SignalKind::message;
  Pid from;
  /// arrive: the signal's id (unique in the run, > 0). receive (filled in
  /// after the step): the id of the signal whose message it took; 0 if it
  /// took none (a timeout) or the message did not come by a channel.
  std::uint64_t signal_id = 0;
  /// receive: declared with a timeout of 0 (a poll: enabled without a match).
  bool poll = false;
  /// Filled in after the step when the strategy asked for patterns
  /// (Strategy::wants_patterns) under async delivery, valid until the
  /// kernel is destroyed: a receive's pattern; an arrival's message as it
  /// reached the mailbox (the EXIT or DOWN tuple for those), or null if it
  /// put none there.
  const ReceivePattern* pattern = nullptr;
  const Term* payload = nullptr;
  static constexpr std::uint64_t no_step = ~std::uint64_t{0};
};

}  // namespace otpsim::sim
