// Elixir's DynamicSupervisor: children started on demand, one_for_one only,
// max_children, the child's start result returned verbatim (including
// {error, {already_started, Pid}}: nothing stored, no restart counted),
// restart intensity as supervisor.erl counts it, and on shutdown every child
// signalled at once (unlinked first, as Elixir does) and awaited together.
// A restarted DynamicSupervisor comes back with no children.
#pragma once

#include "core/otp/supervisor.hpp"

namespace otpsim::core::otp::dynamic_supervisor {

class Options {
 public:
  /// Elixir defaults: 3 restarts in 5 s, max_children infinity (-1).
  Options() = default;
  Options(int max_restarts_, int max_seconds_, std::int64_t max_children_ = -1)
      : max_restarts(max_restarts_), max_seconds(max_seconds_), max_children(max_children_) {}
  int max_restarts = 3;
  int max_seconds = 5;
  std::int64_t max_children = -1;
  /// Runs first in init (see SupervisorFlags::init_hook).
  std::function<Task<>(Ctx)> init_hook;
};

Task<Term> start_link(Ctx ctx, Options options, StartOptions start_options);

/// {ok, Pid} | {ok, Pid, Info} | ignore | {error, max_children} | {error, Reason}
/// (the start result verbatim). The spec's id is ignored.
Task<Term> start_child(Ctx ctx, ServerRef sup, ChildSpec spec);
/// ok | {error, not_found}.
Task<Term> terminate_child(Ctx ctx, ServerRef sup, Pid child);
/// [{undefined, Pid | restarting, worker | supervisor}], in pid order.
Task<Term> which_children(Ctx ctx, ServerRef sup);
/// [{active, N}, {specs, N}, {supervisors, N}, {workers, N}].
Task<Term> count_children(Ctx ctx, ServerRef sup);

}  // namespace otpsim::core::otp::dynamic_supervisor
