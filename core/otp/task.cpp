#include "core/otp/task.hpp"

namespace otpsim::core::otp::task {

namespace sa = sim::atoms;
namespace {

Atom a(const char* text) { return Atom(text); }

/// Runs `fn` after the owner's ref arrives (when there is an owner), then
/// sends {Ref, Result} to the owner.
Proc task_main(Ctx ctx, TaskFn fn, bool has_owner) {
  Pid owner;
  Ref ref;
  if (has_owner) {
    auto hello = co_await ctx.receive([](const Term& m) { static const Atom tag("$task_owner");
      return m.is_tagged(tag, 3); });
    owner = (*hello)[1].pid();
    ref = (*hello)[2].ref();
  }
  Term result = co_await fn(ctx);
  if (has_owner) co_await ctx.send(owner, sim::tuple(ref, result));
}

ChildSpec task_spec(TaskFn fn, bool has_owner, std::string label) {
  StartFn start = [fn, has_owner, label](Ctx c) -> Task<Term> {
    auto body = [fn, has_owner](Ctx t) -> Proc { return task_main(t, fn, has_owner); };
    Pid pid = co_await c.spawn_link(body, sim::SpawnOptions(label));
    co_return sim::tuple(sa::ok(), pid);
  };
  return ChildSpec::worker(Term(sa::undefined()), start).with_restart(Restart::temporary)
      .with_shutdown(Shutdown::timeout_ms(5000));
}

Task<TaskRef> hand_over(Ctx ctx, Pid pid) {
  Ref ref = co_await ctx.monitor(pid);
  co_await ctx.send(pid, sim::tuple(a("$task_owner"), ctx.self(), ref));
  co_return TaskRef(pid, ref);
}

}  // namespace

Task<Term> supervisor_start_link(Ctx ctx, StartOptions options) {
  co_return co_await dynamic_supervisor::start_link(ctx, dynamic_supervisor::Options(), std::move(options));
}

Task<Term> start_child(Ctx ctx, ServerRef sup, TaskFn fn) {
  co_return co_await start_child(ctx, sup, std::move(fn), std::string("task"));
}

Task<Term> start_child(Ctx ctx, ServerRef sup, TaskFn fn, std::string label) {
  co_return co_await dynamic_supervisor::start_child(ctx, sup, task_spec(std::move(fn), false, std::move(label)));
}

Task<TaskRef> async_nolink(Ctx ctx, ServerRef sup, TaskFn fn) {
  co_return co_await async_nolink(ctx, sup, std::move(fn), std::string("task"));
}

Task<TaskRef> async_nolink(Ctx ctx, ServerRef sup, TaskFn fn, std::string label) {
  Term started = co_await dynamic_supervisor::start_child(ctx, sup, task_spec(std::move(fn), true, std::move(label)));
  if (!started.is_tagged(sa::ok(), 2)) ctx.exit(started);
  co_return co_await hand_over(ctx, started[1].pid());
}

Task<TaskRef> async(Ctx ctx, TaskFn fn) {
  auto body = [fn](Ctx t) -> Proc { return task_main(t, fn, true); };
  Pid pid = co_await ctx.spawn_link(body, sim::SpawnOptions("task"));
  co_return co_await hand_over(ctx, pid);
}

Task<std::optional<Term>> yield(Ctx ctx, TaskRef task, Micros timeout_us) {
  Ref ref = task.ref;
  auto m = co_await ctx.receive(
      [ref](const Term& t) {
        return (t.is_tuple() && t.size() == 2 && t[0] == Term(ref)) ||
               (t.is_tagged(sa::down_tag(), 5) && t[1] == Term(ref));
      },
      timeout_us);
  if (!m) co_return std::nullopt;
  if (m->is_tagged(sa::down_tag(), 5)) co_return sim::tuple(a("exit"), (*m)[4]);
  (void)co_await ctx.demonitor(ref, true);
  co_return sim::tuple(sa::ok(), (*m)[1]);
}

Task<Term> await(Ctx ctx, TaskRef task, Micros timeout_us) {
  auto r = co_await yield(ctx, task, timeout_us);
  if (!r) {
    (void)co_await ctx.demonitor(task.ref, true);
    ctx.exit(sim::tuple(sa::timeout(), sim::tuple(a("Elixir.Task"), a("await"), sim::list(timeout_us / 1000))));
  }
  if (r->is_tagged(a("exit"), 2)) ctx.exit(sim::tuple((*r)[1], sim::tuple(a("Elixir.Task"), a("await"))));
  co_return (*r)[1];
}

Task<Term> shutdown(Ctx ctx, TaskRef task, Shutdown how) {
  co_await ctx.unlink(task.pid);
  Term signal(how.is_brutal_kill() ? sa::kill() : sa::shutdown());
  co_await ctx.exit(task.pid, signal);
  Ref ref = task.ref;
  auto is_down = [ref](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(ref); };
  auto reply_or_down = [ref](const Term& t) {
    return (t.is_tuple() && t.size() == 2 && t[0] == Term(ref)) ||
           (t.is_tagged(sa::down_tag(), 5) && t[1] == Term(ref));
  };
  Micros wait_us = how.is_brutal_kill() || how.is_infinity() ? sim::infinity_us : how.timeout_us();
  auto m = co_await ctx.receive(reply_or_down, wait_us);
  if (!m) {
    co_await ctx.exit(task.pid, Term(sa::kill()));
    m = co_await ctx.receive(reply_or_down);
  }
  if (m->is_tagged(sa::down_tag(), 5)) {
    const Term& reason = (*m)[4];
    if (reason.is(sa::killed()) || reason.is(sa::shutdown())) co_return Term(a("nil"));
    co_return sim::tuple(a("exit"), reason);
  }
  Term result = sim::tuple(sa::ok(), (*m)[1]);
  (void)co_await ctx.receive(is_down);  // the task is dying: consume its DOWN
  co_return result;
}

}  // namespace otpsim::core::otp::task
