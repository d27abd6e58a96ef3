// The canonical observation of a run of a declared tree: what the BEAM
// prints for the script `otpsim elixir` writes (scenarios/elixir/runtime.exs)
// and what the simulator's record of one run gives, in the same lines, so
// that `otpsim observe --beam` can ask whether the BEAM's run is one the
// simulator reaches.
//
// One line each, sorted bytewise, '\n' after each:
//   call <client> <n> <result>   the n-th call (1-based) a client made that
//                                returned; <result> the reply, or {exit,R}
//                                for a caught exit, or exited:R for a call
//                                that exited the client. Calls still waiting
//                                when the run ends have no line.
//   node <path> starts <N> exits [<R>,...]  for each static path and each
//                                dynamic child's path ("top/sessions/session:a")
//                                that had a process: how many processes were
//                                started for it (a start refused by a name
//                                check starts none) and the exit reasons of
//                                those that exited, sorted
//   final <path> alive|dead      each static path: a process of it is alive at the end
//   root alive | root exit <R> | root exit none   the latest root process
// Terms print as Term::to_string does, then pids -> <pid>, refs -> <ref>.
#pragma once

#include <string>
#include <vector>

#include "core/record.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// The path of every static node of `tree`, parents before children, in start order.
std::vector<std::string> static_paths(const core::tree::TreeSpec& tree);

/// Term::to_string with every pid <pid>, every ref <ref> (no whitespace: Term
/// prints none).
std::string canonical_term(const sim::Term& term);

/// The observation of a run's record (spec.tree must be set).
std::string observation(const ScenarioSpec& spec, const core::RunRecord& record);
std::string observation(const ScenarioSpec& spec, const RunReport& report);

}  // namespace otpsim::scenarios
