// Names for processes that do not depend on the interleaving, for search
// state that outlives a run (dfs's sleep sets, wakeup trees, its path).
//
// The kernel numbers pids by a counter, so two spawns that commute (two
// clients each starting a worker) number their children in the order they
// ran: reorder them and "pid 7" is the other worker. A wakeup sequence
// recorded in one run then names the wrong process in the next, and dfs
// explores a different run than the one it meant to (this is how optimal
// DPOR missed outcomes of as_reg with four clients). Concuerror names a
// process by its place in the spawn tree (P.1.2); so does Lineage: a
// process's stable id is interned from (its parent's stable id, how many
// children the parent had spawned before it), the same in every run that
// spawns it. Channel actors (ids.hpp) are renamed through both ends.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "sim/effect.hpp"
#include "sim/ids.hpp"

namespace otpsim::sim {

class Lineage {
 public:
  /// A new run: its pids are forgotten; the interned names are kept.
  void start_run();
  /// The kernel made `child`, spawned by `parent` (Pid{} for a root).
  void on_spawn(Pid parent, Pid child);
  /// The stable name of a process, a channel actor, or Pid{}. A pid never
  /// spawned in this run (a made-up target) keeps its number, marked so it
  /// equals no stable id.
  Pid stable(Pid pid) const;
  /// The step with every pid it names (actor, sender, objects) renamed.
  StepInfo stable(const StepInfo& step) const;

 private:
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> interned_;  // (parent, ordinal) -> id
  std::vector<std::uint64_t> of_pid_;     // pid id -> stable id (0: not spawned this run)
  std::vector<std::uint64_t> children_;   // pid id -> children spawned so far this run
};

}  // namespace otpsim::sim
