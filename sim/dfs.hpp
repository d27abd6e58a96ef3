// `dfs`: bounded exhaustive exploration (stateless model checking, as in
// VeriSoft, CHESS and Concuerror). Each run replays a prefix of choices and
// then explores a new continuation; after the run the explorer backtracks
// to the deepest choice point with an alternative left. Data choices and
// probability faults are choice points too: dfs enumerates every answer
// (each answer's subtree gets the wakeup subtree and sleep set the point
// had). Between runs only the current path is kept: its choice points with
// their sleep sets and wakeup trees, never earlier runs' traces or results.
//
// Reductions (DfsOptions::reduction):
// - none: every enabled step at every scheduling point;
// - sleep_sets (Godefroid 1996): after exploring step t at a point, t
//   sleeps in the sibling branches until a step dependent with t runs; a
//   run whose enabled steps all sleep is cut (it repeats an explored one);
// - optimal (the default): Optimal-DPOR with wakeup trees and sleep sets
//   (Abdulla, Aronis, Jonsson, Sagonas, "Source Sets", JACM 2017), with
//   the observer refinement for mailboxes (Aronis, Jonsson, Lång, Sagonas,
//   TACAS 2018). A new point takes the next step of the wakeup tree it
//   inherited, or the scheduler's default. While the run goes on, each
//   step gets a vector clock over actors from the clocks of the steps it
//   depends on, found through per-object lists (sim/wakeup_tree.hpp); a
//   dependent earlier step of another actor that the clock did not already
//   cover is a race. When the run ends (every receive that may observe two
//   arrivals is known then, and the clocks are final) each race (e, e')
//   still direct is reversed: notdep(e, E).e' (every later step that does
//   not happen after e, then e') goes into the wakeup tree of the point
//   before e, unless a sleeping step there is a weak initial of it or a
//   branch of the tree already covers it. The paper's model has no step
//   that disables or replaces another actor's pending step; here is_alive
//   lands its caller's signals in flight at once (their arrivals never
//   run) and a kill replaces its target's step by its death. So a step
//   after which another actor's pending step is gone or changed also has
//   that step tried first at its point, and a step that may kill the
//   race's first process is never taken for a weak initial (the race's
//   first step must still run after the reversal). An arrival kept asleep
//   whose dependence with a later arrival is not decided yet (no receive
//   took that one's message) is woken instead of cutting the run. So every
//   Mazurkiewicz class is explored, nearly always once; runs cut by sleep
//   sets are rare, and pruned() counts them.
//   Dependence is sim/dependence.hpp refined for mailbox pairs: an arrival
//   and a receive of its receiver are dependent only if the receive took
//   its message (a race only if the receive could have run without it: a
//   poll, or a receive its timeout had woken), or took none and could have
//   (or the arrival put nothing because the receive ended its receiver's
//   body); two arrivals into one mailbox only if the receive that took the
//   earlier one's message could take the later one's (or the later one put
//   nothing and so might have been taken). The patterns come from the
//   kernel (Strategy::wants_patterns/hold), which keeps them under async
//   delivery only; under instant delivery the base relation is used.
// - dpor: the same Optimal-DPOR without the observer refinement. Under
//   async delivery it explores one complete run per Mazurkiewicz trace of
//   sim/dependence.hpp (on every random program tested, as many as
//   sleep_sets), without runs cut short. (The source-set DPOR dfs had
//   before is gone: it missed outcomes.)
// Both also make a message a process sends itself (under async delivery it
// lands at once, inside its own step) dependent with the other messages
// into that mailbox; the kernel now reports such a step as writing its own
// mailbox, so sim/dependence.hpp (and sleep_sets) see it too
// (sim/strategies.test.cpp, a_message_to_oneself_races_an_arrival).
// Sleep sets and wakeup trees outlive their run, so they name processes by
// spawn lineage, not pid number (sim/lineage.hpp): two spawns that commute
// number their children in the order they ran. (Named by pid, optimal
// missed 8 of the 32 outcomes of bench/dpor_bench's as_reg, 4 clients.)
// Actors are processes and, under async delivery, signal channels (an
// arrival is a step of its channel: ids.hpp). Happens-before also has the
// hard edges dependence does not show: a step after the step that enabled
// it (a spawn before its child's start, an arrival before the receive it
// woke), an arrival after its send, a receive after the arrival it could
// not have run without, and everything after a time advance.
// Under instant delivery some steps act on state their StepInfo does not
// show (a demonitor names no target; a death does not name the processes
// its process watched; a send to an inactive alias does not name its
// owner), so optimal and dpor add those dependences (wakeup_tree.cpp),
// conservatively: more runs than sleep_sets' on some programs (a spawned
// child's death and its parent's, where the spawn may have been a
// spawn_monitor). The delivery is told by the kernel handing over its
// pattern storage (Strategy::hold), which it does under async delivery
// only: dpor asks for patterns for that reason alone.
//
// Bounds (any reduction; with a bound the space is explored only partly,
// and bounded() says if the bound cut something):
// - preemption_bound (CHESS): at most this many preemptions per run; a
//   preemption is running a process other than the last process that ran
//   while that one could go on (an arrival is never a preemption);
// - delay_bound (Emmi, Qadeer, Rakamaric, POPL 2011): at most this many
//   delays per run. The deterministic scheduler runs the last actor again
//   if it is enabled, otherwise the enabled step of lowest index; a delay
//   skips its choice once: taking the k-th step of its order (the last
//   actor first, then by index) costs k delays.
// With optimal or dpor, a bound drops the wakeup sequences that would
// exceed it, so the runs explored are a subset of the runs within it.
//
// OTPSIM_DFS_DEBUG=1 makes optimal and dpor print each step, race and
// reversal on stderr.
//
//   DfsExplorer dfs(options);
//   while (auto strategy = dfs.next_run()) { run the program under *strategy; dfs.end_run(); }
//   dfs.interleavings(), dfs.exhausted()
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/lineage.hpp"
#include "sim/strategy.hpp"

namespace otpsim::sim {

class DfsOptions {
 public:
  enum class Reduction : std::uint8_t { none, sleep_sets, dpor, optimal };
  DfsOptions() = default;
  /// optimal (the default): Optimal-DPOR with observers; dpor: the same
  /// without them; sleep_sets: sleep sets alone. Each reaches exactly the
  /// brute-force outcomes on every random program measured
  /// (sim/soundness.hpp, docs/bug-finding.md) and the outcomes of the
  /// others on the already_started benchmark; optimal explores the fewest
  /// runs (Concuerror's counts on as_srv and as_gs).
  Reduction reduction = Reduction::optimal;
  /// At most this many preemptions per run; nullopt: unbounded.
  std::optional<std::uint32_t> preemption_bound;
  /// At most this many delays per run; nullopt: unbounded.
  std::optional<std::uint32_t> delay_bound;
};

/// "none", "sleep_sets", "dpor", "optimal".
std::string_view reduction_name(DfsOptions::Reduction reduction);
std::optional<DfsOptions::Reduction> reduction_from_name(std::string_view name);

class DfsExplorer {
 public:
  explicit DfsExplorer(DfsOptions options);
  ~DfsExplorer();
  DfsExplorer(const DfsExplorer&) = delete;
  DfsExplorer& operator=(const DfsExplorer&) = delete;

  /// The strategy for the next run, or nullptr once the space is exhausted
  /// (or the explorer failed: error()). Use it for exactly one run, then
  /// call end_run() before asking for the next.
  std::unique_ptr<Strategy> next_run();
  /// Records the run that just ended and backtracks.
  void end_run();

  /// Runs that went to their end (one per explored interleaving class).
  std::uint64_t interleavings() const { return interleavings_; }
  /// Runs cut short because every enabled step was asleep (redundant).
  std::uint64_t pruned() const { return pruned_; }
  /// True if the last run was cut short by its sleep set: its result
  /// repeats an explored run's and is not a schedule of its own.
  bool last_run_pruned() const { return last_pruned_; }
  /// No choice point has an alternative left.
  bool exhausted() const { return exhausted_; }
  /// A bound (preemption or delay) kept some alternative from being explored.
  bool bounded() const { return bounded_; }
  /// Set if a replayed prefix did not reproduce (a nondeterministic model).
  const std::string& error() const { return error_; }

 private:
  class Run;
  friend class Run;
  struct Node;
  struct Optimal;

  bool optimal() const;
  std::size_t pick(const SchedulePoint& point);
  std::uint64_t choose(std::uint64_t bound);
  void on_step(const StepInfo& step);
  void on_time_advance();
  bool asleep(Pid pid) const;
  bool preemption(const Node& node, std::size_t option) const;
  std::uint32_t delay_cost(const Node& node, std::size_t option) const;
  bool allowed(const Node& node, std::size_t option) const;
  void take(const Node& node, std::size_t option);
  bool replay_matches(const Node& node, const std::vector<StepInfo>& point);
  // none / sleep_sets
  std::size_t pick_new_classic(const std::vector<StepInfo>& point);
  void on_step_classic(const StepInfo& step);
  // optimal / dpor
  std::size_t pick_new_optimal(const std::vector<StepInfo>& point);
  void on_step_optimal(const StepInfo& step);
  bool wake_undecided();
  void note_disabled(const std::vector<Pid>& now, const std::vector<EffectKind>& effects);
  void reverse_races();
  void reverse(std::uint32_t first, std::uint32_t second);
  bool next_sibling(Node& node);

  DfsOptions options_;
  Lineage lineage_;                  // every pid below is a stable name (lineage.hpp), not the kernel's
  std::vector<StepInfo> point_;      // the enabled steps of the point being picked, renamed
  std::vector<Node> path_;           // the choice points of the current run
  std::size_t cursor_ = 0;           // the next one this run reaches
  std::vector<StepInfo> sleep_;      // the current sleep set (none / sleep_sets)
  std::unique_ptr<Optimal> dpor_;    // the current run's trace, sleep set and wakeup sequence (optimal / dpor)
  std::optional<std::size_t> chosen_node_;  // the node of the step being executed
  Pid last_process_;                 // the last process that ran a step (preemptions)
  Pid last_actor_;                   // the last actor that ran a step (delays)
  std::uint32_t preemptions_ = 0;
  std::uint32_t delays_ = 0;
  bool run_open_ = false;
  bool blocked_ = false;
  bool last_pruned_ = false;
  bool exhausted_ = false;
  bool bounded_ = false;
  std::uint64_t interleavings_ = 0;
  std::uint64_t pruned_ = 0;
  std::string error_;
};

}  // namespace otpsim::sim
