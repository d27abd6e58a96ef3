// The machinery of dfs's Optimal-DPOR (sim/dfs.hpp): the current run's
// steps with vector clocks computed online, the races they complete, the
// observer refinement of the dependence relation, and wakeup trees.
//
// References: Abdulla, Aronis, Jonsson, Sagonas, "Source Sets: A
// Foundation for Optimal Dynamic Partial Order Reduction", JACM 64(4),
// 2017 (wakeup trees, weak initials, Algorithm "Optimal-DPOR"); Aronis,
// Jonsson, Lång, Sagonas, "Optimal Dynamic Partial Order Reduction with
// Observers", TACAS 2018 (sends and receives).
//
// Happens-before (RunTrace): each actor (a process, or a signal channel
// under async delivery: ids.hpp) has a vector clock. A step's clock joins
// - its actor's previous step (program order; a channel's arrivals are FIFO);
// - hard edges: the step that enabled it (its actor was not enabled at the
//   scheduling point before that step and was after it: a spawn before its
//   child's start, an arrival before the receive it woke), an arrival's
//   send (StepInfo::cause), and the arrival a receive took if the receive
//   could not have run without it (declared after it came, not a poll);
// - the last time advance: everything before it happens before everything
//   after;
// - every earlier dependent step. The candidates come from per-object lists
//   of the current epoch (no scan of every earlier step); a candidate that
//   the clock gathered so far does not cover is a race (checked again when
//   the run ends: direct()).
// Dependence is sim/dependence.hpp's `dependent` (plus, under instant
// delivery, what that delivery hides: base_dependent), refined with
// observers for mailbox pairs (TACAS 2018): an arrival and a receive of its
// receiver are dependent only if the receive took its message
// (reads-from), or ran before it without taking any message (and its
// pattern matches the message, or the arrival put none); two arrivals into
// one mailbox only if the receive that took the earlier one's message could
// take the later one's. When that receive comes after both, the dependence
// is learned late (observe): the race is reported then and the clocks of
// the steps after the later arrival are repaired.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/effect.hpp"
#include "sim/term.hpp"

namespace otpsim::sim::dpor {

/// An event kept beyond its run (in a sleep set or a wakeup tree): the
/// pattern and payload pointers are cleared (they die with their kernel);
/// an arrival keeps a copy of the message it put into the mailbox.
struct StoredEvent {
  StepInfo step;
  std::optional<Term> payload;
};

/// A sleeping event, and the position (number of events before it) where
/// it sleeps: it may be moved back there.
struct SleepEntry {
  StoredEvent event;
  std::uint32_t since = 0;
};

/// One node of a wakeup tree: an event and the sequences that continue it,
/// in the order they are to be explored.
struct WakeupNode {
  StoredEvent event;
  std::vector<WakeupNode> children;
};

/// A race: `first` happens before `second` only through their own
/// dependence; reversing them is an alternative to explore.
struct Race {
  std::uint32_t first = 0;
  std::uint32_t second = 0;
};

class RunTrace {
 public:
  /// observers: refine the mailbox pairs (needs StepInfo::pattern/payload).
  explicit RunTrace(bool observers) : observers_(observers) {}

  void reset();
  /// Add the dependences instant delivery hides (wakeup_tree.cpp); a run
  /// under async delivery needs none.
  void set_instant(bool instant) { instant_ = instant; }
  /// This run had an arrival step: it ran under async delivery.
  bool saw_arrival() const { return saw_arrival_; }
  /// The actors enabled at the scheduling point of the next step (call
  /// once per actor before add(); a forced step's actor alone).
  void note_enabled(Pid actor);
  /// Simulated time advanced: a barrier.
  void time_advance() { advanced_ = true; }
  /// Adds the step that just ran (chosen at path node `node`, -1 if it was
  /// the only one enabled) and appends the races it completes, late
  /// observer races included.
  void add(const StepInfo& step, std::int32_t node, std::vector<Race>& races);

  std::uint32_t size() const { return static_cast<std::uint32_t>(events_.size()); }
  const StepInfo& step(std::uint32_t i) const { return events_[i].step; }
  std::int32_t node(std::uint32_t i) const { return events_[i].node; }
  Pid actor_pid(std::uint32_t i) const { return events_[i].step.pid; }
  /// i happens before j (i < j).
  bool happens_before(std::uint32_t i, std::uint32_t j) const;
  /// The reversal of race (i, j): the steps after i that do not happen
  /// after i, then j (notdep(i, E).j).
  void reversal(std::uint32_t i, std::uint32_t j, std::vector<std::uint32_t>& out) const;
  /// A copy of event i that outlives the run.
  StoredEvent store(std::uint32_t i) const;
  /// True if the stored event `c`, moved to position `pos` (before every
  /// event >= pos), could not be swapped with event x (>= pos): dependent
  /// in the trace where c comes first. `trusted`: c's payload was made
  /// before pos (its refs and pids are numbered as in this run), so this
  /// run's receive patterns may be asked about it. Two arrivals into one
  /// mailbox: with `observed`, dependent if the receive that took x's
  /// message (anywhere in the run) could take c's; without (a sleep set,
  /// while the run goes on), independent: the receive that observes both
  /// wakes c when it runs (it is then dependent with c).
  bool dependent_stored(const StoredEvent& c, std::uint32_t pos, bool trusted, std::uint32_t x,
                        bool observed = false) const;
  /// c is an arrival and some message that came into its mailbox at or
  /// after `since` is not taken yet: whether c commutes with that arrival
  /// is still to be decided (by the receive that takes the message).
  bool undecided(const StoredEvent& c, std::uint32_t since) const;
  /// No event between i and j happens after i and before j (final clocks).
  bool direct(std::uint32_t i, std::uint32_t j) const;
  bool observers() const { return observers_; }

 private:
  /// Forgets the per-object and per-actor access lists of the period
  /// between time advances (a new period starts from the barrier).
  void clear_period();
  struct Event {
    StepInfo step;
    std::uint32_t actor = 0;
    std::uint32_t seq = 0;        // 1-based position among its actor's steps
    std::int32_t node = -1;
    std::uint32_t clock = 0;      // offset of its vector clock in clocks_
    std::uint32_t clock_size = 0;
    std::int32_t taken_by = -1;   // a mailbox write: the receive that took its message
    std::vector<std::uint64_t> unwatched;  // instant: a demonitor's or death's process watched these then
    std::optional<std::uint64_t> mail;     // mail_write(step), kept
  };
  struct Actor {
    Pid pid;
    std::uint32_t count = 0;
    std::int32_t last = -1;          // its latest step
    std::int64_t seen = -2;          // the latest step index at whose point it was enabled
    std::int32_t enabler = -1;       // the step that enabled its pending step (hard edge)
    std::int64_t window = -1;        // the step after which its pending step became enabled
  };
  struct Bucket {
    std::uint8_t kind = 0;
    std::uint64_t id = 0;
    std::vector<std::uint32_t> by_object;  // steps whose object or `also` is this
    std::vector<std::uint32_t> by_actor;   // steps of this process
  };

  std::uint32_t actor_of(Pid pid);
  Bucket& bucket(std::uint8_t kind, std::uint64_t id);
  const Bucket* find_bucket(std::uint8_t kind, std::uint64_t id) const;
  void join(std::uint32_t* into, std::uint32_t into_size, std::uint32_t from_event) const;
  bool covers(const std::uint32_t* clock, std::uint32_t size, std::uint32_t event) const;
  /// Event i (earlier) and step b (being added; wb: mail_write(b)).
  bool dependent_before(std::uint32_t i, const StepInfo& b, std::optional<std::uint64_t> wb) const;
  /// sim/dependence.hpp, plus what instant delivery hides; `earlier`: a's
  /// event if it is this run's and comes first (more precise).
  bool base_dependent(const StepInfo& a, const StepInfo& b, const Event* earlier) const;
  bool watches(std::uint64_t watcher, std::uint64_t target) const;
  void note_watches(const StepInfo& s);
  bool died(std::uint64_t pid) const;
  /// If event e writes a message into a mailbox, the receiving process id.
  std::optional<std::uint64_t> mail_write(const StepInfo& s) const;
  void gather(const StepInfo& s, std::uint32_t j, std::vector<std::uint32_t>& out) const;
  void index(const StepInfo& s, std::uint32_t j);
  void observe(std::uint32_t r, std::vector<Race>& races);
  std::vector<std::uint32_t>& mail_list(std::uint64_t pid);

  bool observers_;
  bool instant_ = true;
  bool saw_arrival_ = false;
  bool advanced_ = false;
  std::vector<Event> events_;
  std::vector<std::uint32_t> clocks_;
  std::vector<std::uint32_t> barrier_;   // the join of every clock before the last time advance
  std::vector<Actor> actors_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> actor_index_;  // pid id -> actor, sorted
  static constexpr std::uint32_t no_actor = ~std::uint32_t{0};
  std::vector<std::uint32_t> small_actors_;  // process ids below 4096 -> actor
  std::uint32_t epoch_start_ = 0;        // the first step after the last time advance
  std::vector<Bucket> buckets_;
  std::size_t buckets_used_ = 0;
  std::vector<std::uint32_t> globals_;        // global steps in the epoch
  std::vector<std::uint32_t> table_ops_;      // table operations in the epoch
  std::vector<std::uint32_t> table_names_;    // table_new / table_delete_table in the epoch
  std::vector<std::uint32_t> hidden_;         // demonitor, die, send_alias in the epoch
  std::vector<std::pair<std::uint64_t, std::uint64_t>> watches_;  // (watcher, target) monitors seen (instant)
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spawned_;  // (parent, child) the parent may watch (instant)
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ever_watched_;  // both, never forgotten: for stored events
  std::vector<std::pair<std::uint64_t, std::vector<std::uint32_t>>> mail_index_;  // process -> messages into its mailbox
  std::size_t mail_used_ = 0;
  std::vector<std::uint32_t> scratch_;
};

/// True if `c` (at position pos) is a weak initial of v: its actor's first
/// event in v follows no other event of v, or its actor has none in v and
/// c commutes with all of v.
/// `first`: the actor of the race's first event, which must still run
/// after v (a step that may kill it is no weak initial).
bool weak_initial(const RunTrace& trace, const StoredEvent& c, std::uint32_t pos, bool trusted,
                  const std::vector<std::uint32_t>& v, Pid first);

/// insert_[E](v, wut(E)) where E is the prefix of `pos` events: unless a
/// sequence of the tree already covers v (a leaf reached by following v's
/// initials and weak initials), v is added as a new branch. `root` is the
/// wakeup tree at E without the child being explored (the race's first
/// event, which is never a weak initial of v). Returns true if it added.
bool insert(const RunTrace& trace, std::vector<WakeupNode>& root, std::uint32_t pos,
            const std::vector<std::uint32_t>& v, Pid first);

}  // namespace otpsim::sim::dpor
