// The Registry, Task.Supervisor and GenServer.call scenarios of ../README.md.
#include "tests/conformance/sim/helpers.hpp"

namespace otpsim::conformance {
namespace {

namespace sa = sim::atoms;
namespace registry = core::otp::registry;
namespace task = core::otp::task;

Term pid_or(Pid pid, const char* none) {
  if (pid) return Term(pid);
  return atom(none);
}

Task<std::int64_t> lookup_count(Ctx ctx, Atom reg, Term key) {
  auto found = co_await registry::lookup(ctx, reg, std::move(key));
  co_return static_cast<std::int64_t>(found.size());
}

// via_already_started: two start_links with the same {via, Registry, {ViaReg, k}} name.
Task<> via_already_started(Ctx ctx, Conf& conf) {
  const Atom reg("ViaReg");
  const ServerName via = ServerName::via(reg, atom("k"));
  Term res = co_await registry::start_link(ctx, reg);
  co_await conf.log("registry_start_link", res);
  Pid registry_pid = co_await conf.ok_pid(res);
  co_await conf.track("registry", registry_pid);

  W v1_opts("v1");
  v1_opts.named(via);
  Term r = co_await worker_start_link(ctx, v1_opts);
  co_await conf.await(1);
  co_await conf.log("start_link_v1", r);
  Pid v1 = co_await conf.pid("v1");

  // The second start_link runs in a non-trapping helper linked to nothing
  // but what start_link links it to.
  Pid driver = ctx.self();
  auto helper_body = [driver](Ctx c) -> Proc {
    W v2("v2");
    v2.named(ServerName::via(Atom("ViaReg"), atom("k")));
    Term second = co_await worker_start_link(c, v2);
    co_await c.send(driver, sim::tuple(atom("second"), second));
    (void)co_await c.receive([](const Term& m) { return m.is_atom("done"); });
  };
  auto spawned = co_await ctx.spawn_monitor(helper_body);
  const Pid helper = spawned.first;
  const Ref href = spawned.second;
  auto second = co_await ctx.receive([](const Term& m) { return m.is_tagged(Atom("second"), 2); });
  r = (*second)[1];
  co_await conf.log("start_link_v2", r);
  Term expected = sim::tuple(sa::error(), sim::tuple(atom("already_started"), v1));
  co_await conf.log("already_started_pid_is_v1", boolean(r == expected));
  std::int64_t n = co_await conf.attempts("v2");
  co_await conf.log("v2_init_attempts", Term(n));
  bool alive = co_await ctx.is_alive(helper);
  co_await conf.log("caller_alive", boolean(alive));
  n = co_await lookup_count(ctx, reg, atom("k"));
  co_await conf.log("lookup_count", Term(n));
  Pid where = co_await core::otp::whereis(ctx, via);
  co_await conf.log("whereis_is_v1", boolean(where == v1));

  // The holder dies: whereis filters dead pids; the name can be taken again.
  co_await conf.kill("v1");
  co_await conf.await(1);
  where = co_await registry::whereis_name(ctx, reg, atom("k"));
  co_await conf.log("whereis_name_after_kill", pid_or(where, "undefined"));
  W v3_opts("v3");
  v3_opts.named(via);
  r = co_await worker_start_link(ctx, v3_opts);
  co_await conf.await(1);
  co_await conf.log("start_link_v3", r);
  n = co_await lookup_count(ctx, reg, atom("k"));
  co_await conf.log("lookup_count", Term(n));
  auto found = co_await registry::lookup(ctx, reg, atom("k"));
  Pid v3 = co_await conf.pid("v3");
  co_await conf.log("lookup_is_v3", boolean(found.size() == 1 && found[0].first == v3));

  co_await ctx.send(helper, atom("done"));
  auto down = co_await ctx.receive(
      [href](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(href); });
  co_await conf.log("caller_exit", (*down)[4]);
  co_await conf.finish();
}

// registry_crash: registrants r1, r2 (non-trapping) and r3 (trapping); the
// partition is killed.
Task<> registry_crash(Ctx ctx, Conf& conf) {
  const Atom reg("CrashReg");
  const ServerRef reg_sup = ServerRef(ServerName::local(reg));
  Term res = co_await registry::start_link(ctx, reg);
  co_await conf.log("registry_start_link", res);
  Pid registry_pid = co_await conf.ok_pid(res);
  co_await conf.track("registry", registry_pid);

  W r1("r1");
  r1.named(ServerName::via(reg, atom("r1")));
  Term r = co_await worker_start_link(ctx, r1);
  co_await conf.await(1);
  co_await conf.log("start_link_r1", r);
  W r2("r2");
  r2.named(ServerName::via(reg, atom("r2")));
  r = co_await worker_start_link(ctx, r2);
  co_await conf.await(1);
  co_await conf.log("start_link_r2", r);
  W r3_opts("r3");
  r3_opts.named(ServerName::via(reg, atom("r3"))).trapping();
  r = co_await worker_start_link(ctx, r3_opts);
  co_await conf.await(1);
  co_await conf.log("start_link_r3", r);

  Term children = co_await sup::which_children(ctx, reg_sup);
  if (!(children.size() == 1 && children[0][1].is_pid())) {
    std::string message = "registry children: " + fmt(children);
    co_await conf.fail(message);
  }
  Pid partition = children[0][1].pid();
  Ref pref = co_await ctx.monitor(partition);
  co_await ctx.exit(partition, Term(sa::kill()));
  auto down = co_await ctx.receive(
      [pref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(pref); });
  // exit r1 killed, exit r2 killed: both get the partition's exit signal at once
  co_await conf.await_sorted(2);
  co_await conf.log("partition_exit", (*down)[4]);

  Pid r3 = co_await conf.pid("r3");
  const Micros t0 = ctx.now_us();
  for (;;) {
    Term received = co_await core::otp::call(ctx, r3, atom("received"));
    if (received.size() > 0) break;
    co_await conf.poll_tick(t0);
  }
  Term received = co_await core::otp::call(ctx, r3, atom("received"));
  co_await conf.log("r3_received", received);
  bool alive = co_await ctx.is_alive(r3);
  co_await conf.log("r3_alive", boolean(alive));

  // the Registry supervisor restarts the partition (fresh, empty tables)
  const Micros t1 = ctx.now_us();
  for (;;) {
    children = co_await sup::which_children(ctx, reg_sup);
    if (children.size() == 1 && children[0][1].is_pid() && children[0][1].pid() != partition) break;
    co_await conf.poll_tick(t1);
  }
  children = co_await sup::which_children(ctx, reg_sup);
  co_await conf.log("registry_children", Term(static_cast<std::int64_t>(which(children).size())));
  std::int64_t n = co_await lookup_count(ctx, reg, atom("r1"));
  co_await conf.log("lookup_r1_count", Term(n));
  n = co_await lookup_count(ctx, reg, atom("r3"));
  co_await conf.log("lookup_r3_count", Term(n));
  ServerRef r3_via = ServerRef(ServerName::via(reg, atom("r3")));
  Pid where = co_await core::otp::whereis(ctx, r3_via);
  co_await conf.log("whereis_r3", pid_or(where, "nil"));
  r = co_await worker_start_link(ctx, r1);
  co_await conf.await(1);
  co_await conf.log("start_link_r1_again", r);
  n = co_await lookup_count(ctx, reg, atom("r1"));
  co_await conf.log("lookup_r1_count", Term(n));
  co_await conf.finish();
}

// Task bodies. "report tN": the first action is the collector call {started, tN}.
Task<Term> task_exit_boom(Ctx ctx, Term id) {
  co_await report_started(ctx, id);
  ctx.exit(atom("boom"));
  co_return Term();
}

Task<Term> task_done(Ctx ctx, Term id) {
  co_await report_started(ctx, id);
  co_return atom("done");
}

Task<Term> task_slow(Ctx ctx, Term id) {
  co_await report_started(ctx, id);
  co_await ctx.sleep(500'000);
  co_return atom("done");
}

/// Task.Supervisor.children(ts): the pids of which_children.
Task<Term> task_children(Ctx ctx, ServerRef ts) {
  Term children = co_await dyn::which_children(ctx, std::move(ts));
  std::vector<Term> pids;
  for (const Term& c : children.elements()) {
    if (c[1].is_pid()) pids.push_back(c[1]);
  }
  co_return Term::list(std::move(pids));
}

Term yield_term(const std::optional<Term>& y) {
  if (y) return *y;
  return atom("nil");
}

// task_supervisor: start_child with a crashing task; async_nolink with
// yield, shutdown(brutal_kill), a crash, a reply that already arrived.
Task<> task_supervisor(Ctx ctx, Conf& conf) {
  Term res = co_await task::supervisor_start_link(ctx, StartOptions(ServerName(), "ts"));
  co_await conf.log("start_link", res);
  Pid ts = co_await conf.ok_pid(res);
  co_await conf.track("ts", ts);

  // t1: start_child, the task exits boom -> not restarted
  task::TaskFn t1 = [](Ctx c) { return task_exit_boom(c, atom("t1")); };
  Term r = co_await task::start_child(ctx, ts, t1);
  co_await conf.await(2);  // start t1, exit t1 boom
  co_await conf.log("start_child_t1", r);
  const Micros t0 = ctx.now_us();
  for (;;) {
    Term pids = co_await task_children(ctx, ts);
    if (pids.size() == 0) break;
    co_await conf.poll_tick(t0);
  }
  Term pids = co_await task_children(ctx, ts);
  co_await conf.log("children_after_t1", pids);

  // t2: slow task; yield 100 -> nil; shutdown brutal_kill -> nil
  task::TaskFn t2_fn = [](Ctx c) { return task_slow(c, atom("t2")); };
  task::TaskRef t2 = co_await task::async_nolink(ctx, ts, t2_fn);
  co_await conf.await(1);
  std::optional<Term> y = co_await task::yield(ctx, t2, 100'000);
  co_await conf.log("yield_t2_100ms", yield_term(y));
  r = co_await task::shutdown(ctx, t2, Shutdown::brutal_kill());
  co_await conf.await(1);
  co_await conf.log("shutdown_t2", r);

  // t3: fast task -> yield gives {ok,done}
  task::TaskFn t3_fn = [](Ctx c) { return task_done(c, atom("t3")); };
  task::TaskRef t3 = co_await task::async_nolink(ctx, ts, t3_fn);
  co_await conf.await(2);
  y = co_await task::yield(ctx, t3, 1'000'000);
  co_await conf.log("yield_t3", yield_term(y));

  // t4: crashing async_nolink task -> yield gives {exit,boom}
  task::TaskFn t4_fn = [](Ctx c) { return task_exit_boom(c, atom("t4")); };
  task::TaskRef t4 = co_await task::async_nolink(ctx, ts, t4_fn);
  co_await conf.await(2);
  y = co_await task::yield(ctx, t4, 1'000'000);
  co_await conf.log("yield_t4", yield_term(y));

  // t5: reply already arrived -> shutdown(brutal_kill) gives {ok,done}
  task::TaskFn t5_fn = [](Ctx c) { return task_done(c, atom("t5")); };
  task::TaskRef t5 = co_await task::async_nolink(ctx, ts, t5_fn);
  co_await conf.await(2);
  r = co_await task::shutdown(ctx, t5, Shutdown::brutal_kill());
  co_await conf.log("shutdown_t5", r);

  const Micros t6 = ctx.now_us();
  for (;;) {
    Term left = co_await task_children(ctx, ts);
    if (left.size() == 0) break;
    co_await conf.poll_tick(t6);
  }
  co_await log_dyn_counts(conf, "count_children", ts);
  co_await conf.finish();
}

/// {ok, GenServer.call(...)} or {exit, element(1, Reason)}.
Task<Term> try_call(Ctx ctx, ServerRef server, Term request, Micros timeout_us) {
  Term result;
  bool exited = false;
  try {
    result = co_await core::otp::call(ctx, std::move(server), std::move(request), timeout_us);
  } catch (const sim::ExitException& e) {
    exited = true;
    result = e.reason;
  }
  if (!exited) co_return sim::tuple(sa::ok(), result);
  Term head = result;
  if (result.is_tuple() && result.size() > 0) head = result[0];
  co_return sim::tuple(atom("exit"), head);
}

// gen_server_call: the caller's exit reasons; {stop,R,Reply,S} replies first.
Task<> gen_server_call(Ctx ctx, Conf& conf) {
  // w0: started unlinked and stopped normally -> calling its pid: noproc
  Term r = co_await worker_start(ctx, W("w0"));
  Pid w0 = co_await conf.ok_pid(r);
  co_await conf.await(1);
  co_await conf.stop("w0", atom("normal"));
  co_await conf.await(1);
  r = co_await try_call(ctx, w0, atom("ping"), 5'000'000);
  co_await conf.log("dead_pid", r);
  Term full;
  try {
    full = co_await core::otp::call(ctx, w0, atom("ping"), 5'000'000);
  } catch (const sim::ExitException& e) {
    full = e.reason;
  }
  co_await conf.log("dead_pid_full_reason", full);
  ServerRef nobody = ServerRef(ServerName::local(Atom("no_such_name")));
  r = co_await try_call(ctx, nobody, atom("ping"), 5'000'000);
  co_await conf.log("unregistered_name", r);
  r = co_await try_call(ctx, ctx.self(), atom("ping"), 5'000'000);
  co_await conf.log("self", r);

  // w1 stops without replying (boom): the caller exits boom
  r = co_await worker_start(ctx, W("w1"));
  (void)co_await conf.ok_pid(r);
  co_await conf.await(1);
  Pid w = co_await conf.pid("w1");
  r = co_await try_call(ctx, w, sim::tuple(atom("stop_noreply"), atom("boom")), 5'000'000);
  co_await conf.await(1);
  co_await conf.log("stop_mid_call_boom", r);

  // w2 stops without replying (normal): the caller exits normal
  r = co_await worker_start(ctx, W("w2"));
  (void)co_await conf.ok_pid(r);
  co_await conf.await(1);
  w = co_await conf.pid("w2");
  r = co_await try_call(ctx, w, sim::tuple(atom("stop_noreply"), atom("normal")), 5'000'000);
  co_await conf.await(1);
  co_await conf.log("stop_mid_call_normal", r);

  // w3 is killed while a helper's call waits; w3 tells the driver when it
  // is inside handle_call
  r = co_await worker_start(ctx, W("w3"));
  (void)co_await conf.ok_pid(r);
  co_await conf.await(1);
  Pid w3 = co_await conf.pid("w3");
  Pid driver = ctx.self();
  auto helper = [w3, driver](Ctx c) -> Proc {
    Term res = co_await try_call(c, w3, sim::tuple(atom("sleep"), 5000, driver), 10'000'000);
    co_await c.send(driver, sim::tuple(atom("res"), res));
  };
  (void)co_await ctx.spawn(helper);
  (void)co_await ctx.receive(
      [w3](const Term& m) { return m.is_tagged(Atom("sleeping"), 2) && m[1] == Term(w3); });
  co_await ctx.exit(w3, Term(sa::kill()));
  auto res = co_await ctx.receive([](const Term& m) { return m.is_tagged(Atom("res"), 2); });
  co_await conf.await(1);
  co_await conf.log("killed_mid_call", (*res)[1]);

  // w4: timeout -> timeout; the late reply is dropped
  r = co_await worker_start(ctx, W("w4"));
  (void)co_await conf.ok_pid(r);
  co_await conf.await(1);
  Pid w4 = co_await conf.pid("w4");
  r = co_await try_call(ctx, w4, sim::tuple(atom("sleep"), 300), 100'000);
  co_await conf.log("timeout", r);
  // served after the slow call, so its late reply (if any) was sent before
  r = co_await try_call(ctx, w4, atom("ping"), 5'000'000);
  co_await conf.log("ping_after_timeout", r);
  auto stray = co_await ctx.receive(
      [](const Term& m) { return m.is_tuple() && m.size() == 2 && m[0].is_ref(); }, 0);
  co_await conf.log("late_reply_in_mailbox", boolean(stray.has_value()));

  // w5: {stop,normal,bye,S}: the caller gets the reply, then the server exits
  r = co_await worker_start(ctx, W("w5"));
  (void)co_await conf.ok_pid(r);
  co_await conf.await(1);
  w = co_await conf.pid("w5");
  r = co_await try_call(ctx, w, sim::tuple(atom("stop_reply"), atom("normal"), atom("bye")), 5'000'000);
  co_await conf.await(1);
  co_await conf.log("stop_with_reply", r);
  co_await conf.finish();
}

}  // namespace

void add_misc_scenarios(std::vector<Scenario>& out) {
  out.emplace_back("via_already_started", via_already_started);
  out.emplace_back("registry_crash", registry_crash);
  out.emplace_back("task_supervisor", task_supervisor);
  out.emplace_back("gen_server_call", gen_server_call);
}

}  // namespace otpsim::conformance
