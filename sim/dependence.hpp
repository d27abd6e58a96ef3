// The dependence relation partial-order reduction reasons with: two steps
// are independent when executing them in either order, from any state where
// both are enabled, gives the same state and leaves both enabled. dfs only
// reorders dependent steps; everything else it explores once.
//
// The relation is conservative (it may call independent steps dependent,
// which costs exploration, never soundness), from what a StepInfo says:
// - steps of one process are dependent (program order);
// - a `global` step (a death, an injected fault) is dependent with all;
// - otherwise two steps are dependent when they touch the same object and
//   conflict there: on a table, the name registry or an external resource,
//   when one of them writes; on a process, when both use its mailbox (two
//   sends to it, or a send and its receive), or one kills it or is its
//   death (which signals its one link/monitor peer too, StepInfo::also).
//   Link and monitor changes commute with each other and with messages,
//   except on the caller itself: a link or monitor of a process already
//   gone signals the caller (a DOWN or EXIT in its mailbox, or its death),
//   and a demonitor reads the caller's mailbox (a DOWN that came first);
//
// Equivalence is up to the numbering of pids and references: two runs that
// differ only in the order of independent steps (two spawns, two monitors)
// may number them differently; the model compares them for equality only.
#pragma once

#include "sim/effect.hpp"

namespace otpsim::sim {

/// True if the effect only reads the object it touches.
bool reads_only(EffectKind effect);

/// True for the table operations (any table, or one found by name).
bool table_effect(EffectKind effect);

bool dependent(const StepInfo& a, const StepInfo& b);

}  // namespace otpsim::sim
