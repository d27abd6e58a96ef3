// The kernel's record of one process, its mailbox and its pending effect.
// Internal to sim/: models see a process only through Ctx and Pid.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/block_pool.hpp"
#include "sim/effect.hpp"
#include "sim/ids.hpp"
#include "sim/task.hpp"
#include "sim/term.hpp"

namespace otpsim::sim {

class Ctx;
class Kernel;

/// A process body factory. The kernel keeps the callable alive for the
/// process's lifetime, so a lambda's captures stay valid in its coroutine.
using ProcessFn = std::function<Proc(Ctx)>;

/// How `spawn` creates a process.
///
/// The label is a string Term, not a std::string: g++ 12 may copy an
/// argument of a co_await expression bitwise, which breaks std::string's
/// small-buffer pointer (see the note in ctx.hpp).
struct SpawnOptions {
  SpawnOptions() = default;
  SpawnOptions(std::string_view label_text, bool link_ = false, bool monitor_ = false)
      : label(Term::string(label_text)), link(link_), monitor(monitor_) {}
  Term label;            // shown in traces next to the pid ("registry"); 0 = none
  bool link = false;     // spawn_link
  bool monitor = false;  // spawn_monitor
};

/// Access rights of a table, as ETS: public (anyone reads and writes),
/// protected (anyone reads, the owner writes), private (owner only).
enum class TableAccess : std::uint8_t { public_access, protected_access, private_access };

namespace detail {

/// A matcher for selective receive: a function pointer and its context, so
/// a receive allocates nothing. `fn == nullptr` matches any message.
struct Matcher {
  bool (*fn)(const void* context, const Term& message) = nullptr;
  const void* context = nullptr;
  std::uint32_t size = 0;  // bytes at `context` (trivially copyable), so the kernel can keep a copy
  bool operator()(const Term& message) const { return fn == nullptr || fn(context, message); }
};

struct MessageNode {
  Term message;
  MessageNode* next = nullptr;
  std::uint64_t sent_step = ~std::uint64_t{0};  // the step that sent it (async: its arrival); none for timers and injected signals
  std::uint64_t signal_id = 0;                  // async delivery: the signal that brought it
};

/// Intrusive FIFO; selective receive removes from the middle.
struct Mailbox {
  MessageNode* head = nullptr;
  MessageNode** tail = &head;
  std::uint32_t size = 0;
};

/// What a process asked for at its current scheduling point.
struct Effect {
  EffectKind kind = EffectKind::none;
  bool flag = false;  // spawn: link; demonitor: flush
  bool flag2 = false; // spawn: monitor
  TableAccess access = TableAccess::public_access;
  Pid target;
  Ref ref;
  TableId table;
  Micros duration_us = 0;  // receive timeout, sleep, timer delay
  Term term;               // message, reason, row, key or name
  Term term2;              // second operand (table name, timer message)
  Matcher matcher;
  ProcessFn* spawn_fn = nullptr;
  const SpawnOptions* spawn_options = nullptr;
};

/// What the kernel hands back to the process when its step runs.
struct EffectResult {
  Term term;
  Pid pid;
  Ref ref;
  TableId table;
  std::int64_t value = 0;
  std::uint8_t status = 0;  // a TableStatus for table effects
  bool ok = false;
};

struct MonitorEntry {
  Ref ref;
  Pid other;  // the target (for the watcher) or the watcher (for the target)
};

/// One side of a process's monitors (those it holds, or those watching
/// it), in the order they were set up: a death sends its DOWNs in that
/// order. A server that thousands of callers monitor at once (each
/// gen_server call does), or a driver monitoring thousands of clients,
/// sees one lookup and one removal per monitor: both O(1) amortized. A
/// removal leaves a hole until holes are half the entries; a ref ->
/// position index exists once there are many.
class MonitorSet {
 public:
  void add(Ref ref, Pid other);
  /// False if no monitor has that ref.
  bool remove(Ref ref);
  /// The monitor with that ref, or nullptr.
  const MonitorEntry* find(Ref ref) const;
  std::size_t size() const { return entries_.size() - holes_; }
  /// Calls f(const MonitorEntry&) for each monitor, in order.
  template <typename F>
  void each(F&& f) const {
    for (const MonitorEntry& m : entries_) {
      if (m.ref) f(m);
    }
  }

 private:
  std::size_t position(Ref ref) const;  // entries_.size() if absent
  void compact();
  std::vector<MonitorEntry, PoolAllocator<MonitorEntry>> entries_;
  std::size_t holes_ = 0;
  std::unique_ptr<std::unordered_map<std::uint64_t, std::size_t>> index_;  // lookup only: never iterated
};

struct TimerKey {
  Micros at_us = 0;
  std::uint64_t seq = 0;  // 0: no timer
  friend auto operator<=>(const TimerKey&, const TimerKey&) = default;
};

enum class ProcState : std::uint8_t {
  runnable,  // its pending effect is enabled
  waiting,   // blocked in receive or sleep
  exiting,   // hit by a fatal exit signal; its next step is `die`
};

struct Process : Pooled {  // one per spawn: recycled through the BlockPool
  Pid pid;
  ProcState state = ProcState::runnable;
  bool trap_exit = false;
  bool suspended = false;          // Kernel::suspend_external: takes no step but its death
  bool timed_out = false;          // the receive/sleep timer fired
  std::uint32_t runnable_index = 0;
  Kernel* kernel = nullptr;
  Proc::Handle root;
  FrameStack frames;
  ProcessFn fn;
  std::string label;
  Effect pending;
  EffectResult result;
  Mailbox mailbox;
  MessageNode** matched = nullptr;  // link to the message the receive takes
  TimerKey timer;                   // receive timeout or sleep
  Term exit_reason;
  Term registered_name;             // an atom, or the integer 0
  // Buffers from the BlockPool (block_pool.hpp).
  template <typename T>
  using Vector = std::vector<T, PoolAllocator<T>>;
  Vector<Pid> links;
  MonitorSet monitors_out;            // monitors this process holds
  MonitorSet monitors_in;             // monitors watching this process
  std::vector<TableId> tables;        // tables this process owns
  Vector<Ref> inbound_timers;         // send_after timers aimed at this process
};

}  // namespace detail
}  // namespace otpsim::sim
