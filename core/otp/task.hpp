// Elixir's Task and Task.Supervisor on the kernel.
//
// Task.Supervisor is a DynamicSupervisor whose children are temporary with
// shutdown 5000 ms. A task's result goes to its owner as {Ref, Result},
// where Ref is the owner's monitor of the task; the task waits for that
// ref before it runs (as Task.Supervised does).
#pragma once

#include <optional>
#include <string>

#include "core/otp/dynamic_supervisor.hpp"

namespace otpsim::core::otp::task {

using TaskFn = std::function<Task<Term>(Ctx)>;

/// The handle of an async task: its pid, the owner's monitor ref.
class TaskRef {
 public:
  TaskRef(Pid pid_, Ref ref_) : pid(pid_), ref(ref_) {}
  Pid pid;
  Ref ref;
};

/// Task.Supervisor.start_link.
Task<Term> supervisor_start_link(Ctx ctx, StartOptions options);
/// Task.Supervisor.start_child(sup, fun): a temporary, fire-and-forget task
/// linked only to the supervisor. {ok, Pid} | {error, max_children}.
Task<Term> start_child(Ctx ctx, ServerRef sup, TaskFn fn);
/// The same, the task process labelled `label` (the others label it "task").
Task<Term> start_child(Ctx ctx, ServerRef sup, TaskFn fn, std::string label);
/// Task.Supervisor.async_nolink: a task under the supervisor, monitored
/// (not linked) by the caller, its result sent to the caller.
Task<TaskRef> async_nolink(Ctx ctx, ServerRef sup, TaskFn fn);
Task<TaskRef> async_nolink(Ctx ctx, ServerRef sup, TaskFn fn, std::string label);
/// Task.async: a task linked to the caller.
Task<TaskRef> async(Ctx ctx, TaskFn fn);

/// Task.yield: {ok, Result} | {exit, Reason}, or nullopt (nil) on timeout,
/// leaving the task running.
Task<std::optional<Term>> yield(Ctx ctx, TaskRef task, Micros timeout_us);
/// Task.await: the result; exits the caller on timeout ({timeout, ...}) or
/// if the task died.
Task<Term> await(Ctx ctx, TaskRef task, Micros timeout_us);
/// Task.shutdown(task, :brutal_kill) (or a timeout): {ok, Result} if the
/// reply won the race, {exit, Reason} if it died otherwise, nil if killed.
Task<Term> shutdown(Ctx ctx, TaskRef task, Shutdown how);

}  // namespace otpsim::core::otp::task
