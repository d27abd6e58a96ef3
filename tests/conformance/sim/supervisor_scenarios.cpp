// The Supervisor scenarios of ../README.md, one function each, step for
// step as beam/<scenario>.exs.
#include "tests/conformance/sim/helpers.hpp"

namespace otpsim::conformance {
namespace {

namespace sa = sim::atoms;

// The opening most scenarios share (README: "start_link; await N; log
// start_link"): start `top`, await its N child starts, log the result, and
// track top's fate for the final `sup` line.
Task<Pid> start_top(Ctx ctx, Conf& conf, const SupArgs& top, int starts) {
  Term res = co_await sup_start_link(ctx, top);
  co_await conf.await(starts);
  co_await conf.log("start_link", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("top", s);
  co_return s;
}

// one_for_one: 3 permanent workers; kill c2 with :kill; only c2 restarts.
Task<> one_for_one(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5, specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3"))));
  Pid s = co_await start_top(ctx, conf, top, 3);
  Pid c1 = co_await conf.pid("c1");
  Pid c3 = co_await conf.pid("c3");

  co_await conf.kill("c2");
  co_await conf.await(2);
  co_await log_which(conf, "which_children", s);
  co_await log_counts(conf, "count_children", s);
  Pid c1_now = co_await conf.pid("c1");
  co_await conf.log("c1_same_pid", boolean(c1_now == c1));
  Pid c3_now = co_await conf.pid("c3");
  co_await conf.log("c3_same_pid", boolean(c3_now == c3));
  co_await conf.finish();
}

// rest_for_one: 4 workers; kill c2 -> c4 then c3 terminated (shutdown), then
// c2, c3, c4 start in order.
Task<> rest_for_one(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::rest_for_one, 3, 5,
              specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3")), wspec(W("c4"))));
  Pid s = co_await start_top(ctx, conf, top, 4);
  Pid c1 = co_await conf.pid("c1");

  co_await conf.kill("c2");
  co_await conf.await(6);
  co_await log_which(conf, "which_children", s);
  Pid c1_now = co_await conf.pid("c1");
  co_await conf.log("c1_same_pid", boolean(c1_now == c1));
  co_await conf.finish();
}

// one_for_all: kill c1 -> c3, c2 terminated in reverse order, then all start in order.
Task<> one_for_all(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_all, 3, 5, specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3"))));
  Pid s = co_await start_top(ctx, conf, top, 3);

  co_await conf.kill("c1");
  co_await conf.await(6);
  co_await log_which(conf, "which_children", s);
  co_await log_counts(conf, "count_children", s);
  co_await conf.finish();
}

// intensity_one_level: one_for_one 2/5 over c1, c2; the third kill of c1
// exceeds the intensity: c2 terminated, the supervisor exits shutdown.
Task<> intensity_one_level(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 2, 5, specs(wspec(W("c1")), wspec(W("c2"))));
  Pid s = co_await start_top(ctx, conf, top, 2);

  co_await conf.kill("c1");
  co_await conf.await(2);
  co_await conf.kill("c1");
  co_await conf.await(2);
  co_await log_which(conf, "which_children", s);
  co_await conf.kill("c1");
  co_await conf.await(2);  // exit c1 killed, exit c2 shutdown (no restart of c1)
  co_await conf.finish();
}

// intensity_two_levels: top one_for_one 1/5 over inner (permanent,
// one_for_one 0/5) over c1. Kill c1 twice: the second inner exit exceeds the
// top's intensity.
Task<> intensity_two_levels(Ctx ctx, Conf& conf) {
  SupArgs inner(Strategy::one_for_one, 0, 5, specs(wspec(W("c1"))));
  SupArgs top(Strategy::one_for_one, 1, 5, specs(sup_spec("inner", inner)));
  Term res = co_await sup_start_link(ctx, top);
  co_await conf.await(2);  // start inner, start c1
  co_await conf.log("start_link", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("top", s);

  co_await conf.kill("c1");
  co_await conf.await(4);  // exit c1 killed, exit inner shutdown, start inner, start c1
  co_await log_which(conf, "which_children", s);
  Pid inner_pid = co_await conf.pid("inner");
  co_await log_which(conf, "inner_which_children", inner_pid);

  co_await conf.kill("c1");
  co_await conf.await(2);  // exit c1 killed, exit inner shutdown; top gives up
  co_await conf.finish();
}

// intensity_shared: one restart history per supervisor, shared by all children.
Task<> intensity_shared(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 2, 5, specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3"))));
  (void)co_await start_top(ctx, conf, top, 3);

  co_await conf.kill("c1");
  co_await conf.await(2);
  co_await conf.kill("c2");
  co_await conf.await(2);
  co_await conf.kill("c3");
  co_await conf.await(3);  // exit c3 killed; then c2, c1 stopped
  co_await conf.finish();
}

// intensity_window: one_for_one 1/1; kill c1, sleep 2100 ms, kill c1 ->
// survives; kill again at once -> the supervisor exits shutdown.
Task<> intensity_window(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 1, 1, specs(wspec(W("c1"))));
  Pid s = co_await start_top(ctx, conf, top, 1);

  co_await conf.kill("c1");
  co_await conf.await(2);
  co_await ctx.sleep(2'100'000);
  co_await conf.kill("c1");
  co_await conf.await(2);
  co_await log_which(conf, "which_children", s);
  co_await conf.kill("c1");
  co_await conf.await(1);
  co_await conf.finish();
}

// restart_types: perm (permanent), trans (transient), temp (temporary) exit
// normal, boom, {shutdown,x}, shutdown.
Task<> restart_types(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 10, 5,
              specs(wspec(W("perm").with_restart(Restart::permanent)),
                    wspec(W("trans").with_restart(Restart::transient)),
                    wspec(W("temp").with_restart(Restart::temporary))));
  Pid s = co_await start_top(ctx, conf, top, 3);

  // 1. normal exits
  co_await conf.stop("perm", atom("normal"));
  co_await conf.await(2);
  co_await conf.stop("trans", atom("normal"));
  co_await conf.await(1);
  co_await conf.stop("temp", atom("normal"));
  co_await conf.await(1);
  co_await conf.settle(s);
  co_await log_which(conf, "which_children_after_normal", s);

  // 2. fresh instances: restart_child for trans; temp's spec is gone
  Term r = co_await sup::restart_child(ctx, s, atom("trans"));
  co_await conf.await(1);
  co_await conf.log("restart_child_trans", r);
  r = co_await sup::restart_child(ctx, s, atom("temp"));
  co_await conf.log("restart_child_temp", r);
  ChildSpec temp = wspec(W("temp").with_restart(Restart::temporary));
  r = co_await sup::start_child(ctx, s, std::move(temp));
  co_await conf.await(1);
  co_await conf.log("start_child_temp", r);

  // 3. abnormal exits
  co_await conf.stop("perm", atom("boom"));
  co_await conf.await(2);
  co_await conf.stop("trans", atom("boom"));
  co_await conf.await(2);
  co_await conf.stop("temp", atom("boom"));
  co_await conf.await(1);
  co_await conf.settle(s);
  co_await log_which(conf, "which_children_after_boom", s);

  // 4. shutdown-ish exits
  co_await conf.stop("trans", sim::tuple(sa::shutdown(), atom("x")));
  co_await conf.await(1);
  co_await conf.stop("perm", atom("shutdown"));
  co_await conf.await(2);
  co_await conf.settle(s);
  co_await log_which(conf, "which_children_after_shutdown", s);
  co_await log_counts(conf, "count_children", s);
  co_await conf.finish();
}

// temporary_bystander: one_for_all with permanent c1 and temporary c2; kill
// c1 -> c2 terminated and not restarted.
Task<> temporary_bystander(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_all, 3, 5,
              specs(wspec(W("c1").with_restart(Restart::permanent)), wspec(W("c2").with_restart(Restart::temporary))));
  Pid s = co_await start_top(ctx, conf, top, 2);

  co_await conf.kill("c1");
  co_await conf.await(3);  // exit c1 killed, exit c2 shutdown, start c1
  co_await log_which(conf, "which_children", s);
  co_await log_counts(conf, "count_children", s);
  co_await conf.finish();
}

// shutdown_brutal_kill: a trapping worker with shutdown brutal_kill whose
// terminate hangs: killed at once, by terminate_child and by stop.
Task<> shutdown_brutal_kill(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5,
              specs(wspec(W("c1").with_shutdown(Shutdown::brutal_kill()).trapping().terminate_hang())));
  Pid s = co_await start_top(ctx, conf, top, 1);

  Term r = co_await sup::terminate_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("terminate_child", r);
  co_await log_which(conf, "which_children", s);
  r = co_await sup::restart_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("restart_child", r);

  // The supervisor's own stop uses the same shutdown spec.
  co_await core::otp::stop(ctx, s, atom("normal"));
  co_await conf.await(1);
  co_await conf.log("stop", atom("ok"));
  co_await conf.finish();
}

// shutdown_timeout: two trapping workers with shutdown 200; c2's terminate
// hangs -> killed after 200 ms.
Task<> shutdown_timeout(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5,
              specs(wspec(W("c1").with_shutdown(Shutdown::timeout_ms(200)).trapping()),
                    wspec(W("c2").with_shutdown(Shutdown::timeout_ms(200)).trapping().terminate_hang())));
  Pid s = co_await start_top(ctx, conf, top, 2);

  std::int64_t t0 = now_ms(ctx);
  Term r = co_await sup::terminate_child(ctx, s, atom("c1"));
  std::int64_t t1 = now_ms(ctx);
  co_await conf.await(1);
  co_await conf.log("terminate_child_c1", r);
  co_await conf.log("c1_took_less_than_200ms", boolean(t1 - t0 < 200));

  t0 = now_ms(ctx);
  r = co_await sup::terminate_child(ctx, s, atom("c2"));
  t1 = now_ms(ctx);
  co_await conf.await(1);
  co_await conf.log("terminate_child_c2", r);
  co_await conf.log("c2_took_at_least_200ms", boolean(t1 - t0 >= 200));
  co_await log_which(conf, "which_children", s);
  co_await conf.finish();
}

// shutdown_infinity: c1, c2 trap, shutdown infinity, 100 ms in terminate.
Task<> shutdown_infinity(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5,
              specs(wspec(W("c1").with_shutdown(Shutdown::infinity()).trapping().terminate_sleep(100)),
                    wspec(W("c2").with_shutdown(Shutdown::infinity()).trapping().terminate_sleep(100)),
                    wspec(W("c3"))));
  Pid s = co_await start_top(ctx, conf, top, 3);

  std::int64_t t0 = now_ms(ctx);
  Term r = co_await sup::terminate_child(ctx, s, atom("c1"));
  std::int64_t t1 = now_ms(ctx);
  co_await conf.await(1);
  co_await conf.log("terminate_child_c1", r);
  co_await conf.log("c1_took_at_least_100ms", boolean(t1 - t0 >= 100));

  r = co_await sup::restart_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("restart_child_c1", r);
  co_await log_which(conf, "which_children", s);

  co_await core::otp::stop(ctx, s, atom("normal"));
  co_await conf.await(3);
  co_await conf.log("stop", atom("ok"));
  co_await conf.finish();
}

// sup_stop_order: rest_for_one with 5 workers; kill c3; then Supervisor.stop
// -> c5, c4, c3, c2, c1.
Task<> sup_stop_order(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::rest_for_one, 3, 5,
              specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3")), wspec(W("c4")), wspec(W("c5"))));
  Pid s = co_await start_top(ctx, conf, top, 5);

  co_await conf.kill("c3");
  co_await conf.await(6);

  co_await core::otp::stop(ctx, s, atom("normal"));
  co_await conf.await(5);
  co_await conf.log("stop", atom("ok"));
  co_await conf.finish();
}

// child_api: start_child / terminate_child / restart_child / delete_child results.
Task<> child_api(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5, specs(wspec(W("c1")), wspec(W("c2").with_restart(Restart::transient))));
  Pid s = co_await start_top(ctx, conf, top, 2);

  Pid c1 = co_await conf.pid("c1");
  ChildSpec c1_spec = wspec(W("c1"));
  Term r = co_await sup::start_child(ctx, s, c1_spec);
  co_await conf.log("start_child_c1_running", r);
  Term expected = sim::tuple(sa::error(), sim::tuple(atom("already_started"), c1));
  co_await conf.log("already_started_pid_is_c1", boolean(r == expected));
  r = co_await sup::delete_child(ctx, s, atom("c1"));
  co_await conf.log("delete_child_c1_running", r);
  r = co_await sup::restart_child(ctx, s, atom("c1"));
  co_await conf.log("restart_child_c1_running", r);

  r = co_await sup::terminate_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("terminate_child_c1", r);
  r = co_await sup::terminate_child(ctx, s, atom("c1"));
  co_await conf.log("terminate_child_c1_again", r);
  r = co_await sup::start_child(ctx, s, c1_spec);
  co_await conf.log("start_child_c1_terminated", r);
  r = co_await sup::restart_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("restart_child_c1", r);

  r = co_await sup::terminate_child(ctx, s, atom("c1"));
  co_await conf.await(1);
  co_await conf.log("terminate_child_c1", r);
  r = co_await sup::delete_child(ctx, s, atom("c1"));
  co_await conf.log("delete_child_c1", r);
  r = co_await sup::restart_child(ctx, s, atom("c1"));
  co_await conf.log("restart_child_c1_deleted", r);
  r = co_await sup::terminate_child(ctx, s, atom("nope"));
  co_await conf.log("terminate_child_nope", r);
  r = co_await sup::delete_child(ctx, s, atom("nope"));
  co_await conf.log("delete_child_nope", r);

  // a new child goes to the end of the start order
  ChildSpec c3_spec = wspec(W("c3"));
  r = co_await sup::start_child(ctx, s, std::move(c3_spec));
  co_await conf.await(1);
  co_await conf.log("start_child_c3", r);
  // the child's init returns {stop,bad}: {error,{bad,ChildSpec}}, printed
  // with the spec replaced by the atom childspec
  ChildSpec c4_spec = wspec(W("c4").init_stop("bad"));
  r = co_await sup::start_child(ctx, s, std::move(c4_spec));
  if (r.is_tagged(sa::error(), 2) && r[1].is_tuple() && r[1].size() == 2 && r[1][1].is_tuple()) {
    r = sim::tuple(sa::error(), sim::tuple(r[1][0], atom("childspec")));
  }
  co_await conf.log("start_child_c4_init_stop", r);
  Term children = co_await sup::which_children(ctx, s);
  bool c4_stored = false;
  for (const Term& c : children.elements()) c4_stored = c4_stored || c[0].is_atom("c4");
  co_await conf.log("c4_spec_stored", boolean(c4_stored));
  ChildSpec c5_spec = wspec(W("c5").init_ignore());
  r = co_await sup::start_child(ctx, s, std::move(c5_spec));
  co_await conf.log("start_child_c5_init_ignore", r);
  co_await log_which(conf, "which_children", s);
  co_await log_counts(conf, "count_children", s);
  r = co_await sup::restart_child(ctx, s, atom("c5"));
  co_await conf.log("restart_child_c5_ignore", r);

  co_await core::otp::stop(ctx, s, atom("normal"));
  co_await conf.await(2);  // exit c3 shutdown, exit c2 shutdown
  co_await conf.log("stop", atom("ok"));
  co_await conf.finish();
}

// init_failure: c2's init returns {stop,bad} during start_link; then the
// same with an init that returns ignore.
Task<> init_failure(Ctx ctx, Conf& conf) {
  SupArgs first(Strategy::one_for_one, 3, 5,
                specs(wspec(W("c1")), wspec(W("c2").init_stop("bad")), wspec(W("c3"))));
  Term res = co_await sup_start_link(ctx, first);
  co_await conf.await(2);  // start c1, exit c1 shutdown
  co_await conf.log("start_link", res);
  std::int64_t n = co_await conf.attempts("c2");
  co_await conf.log("c2_init_attempts", Term(n));
  n = co_await conf.attempts("c3");
  co_await conf.log("c3_init_attempts", Term(n));

  SupArgs second(Strategy::one_for_one, 3, 5,
                 specs(wspec(W("c4")), wspec(W("c5").init_ignore()), wspec(W("c6"))));
  res = co_await sup_start_link(ctx, second);
  co_await conf.await(2);
  co_await conf.log("start_link_with_ignore", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("top", s);
  co_await log_which(conf, "which_children", s);
  co_await log_counts(conf, "count_children", s);
  co_await conf.finish();
}

// restart_failure_one_for_all: one_for_all 2/5 over c1, c2, c3; c2's init
// fails from its second attempt on. Each retry counts.
Task<> restart_failure_one_for_all(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_all, 2, 5,
              specs(wspec(W("c1")), wspec(W("c2").fail_from(2, "bad")), wspec(W("c3"))));
  (void)co_await start_top(ctx, conf, top, 3);

  co_await conf.kill("c2");
  co_await conf.await(7);
  std::int64_t n = co_await conf.attempts("c2");
  co_await conf.log("c2_init_attempts", Term(n));
  n = co_await conf.attempts("c3");
  co_await conf.log("c3_init_attempts", Term(n));
  co_await conf.finish();
}

// restart_failure_rest_for_one: rest_for_one 2/5 over c1, c2, c3; c2's init
// fails from its second attempt on.
Task<> restart_failure_rest_for_one(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::rest_for_one, 2, 5,
              specs(wspec(W("c1")), wspec(W("c2").fail_from(2, "bad")), wspec(W("c3"))));
  (void)co_await start_top(ctx, conf, top, 3);

  co_await conf.kill("c2");
  co_await conf.await(3);  // exit c2 killed, exit c3 shutdown, [c2 fails] x3, exit c1 shutdown
  std::int64_t n = co_await conf.attempts("c2");
  co_await conf.log("c2_init_attempts", Term(n));
  n = co_await conf.attempts("c3");
  co_await conf.log("c3_init_attempts", Term(n));
  co_await conf.finish();
}

// escalation_transient: the inner supervisor is transient; its intensity
// exit (shutdown) is normal for it, so the top does not restart it.
Task<> escalation_transient(Ctx ctx, Conf& conf) {
  SupArgs inner(Strategy::one_for_one, 0, 5, specs(wspec(W("c1"))));
  inner.with_restart(Restart::transient);
  SupArgs top(Strategy::one_for_one, 1, 5, specs(sup_spec("inner", inner), wspec(W("c2"))));
  Term res = co_await sup_start_link(ctx, top);
  co_await conf.await(3);  // start inner, start c1, start c2
  co_await conf.log("start_link", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("top", s);

  co_await conf.kill("c1");
  co_await conf.await(2);  // exit c1 killed, exit inner shutdown (not restarted)
  co_await conf.settle(s);
  co_await log_which(conf, "which_children", s);
  Term r = co_await sup::restart_child(ctx, s, atom("inner"));
  co_await conf.await(2);  // start inner, start c1
  co_await conf.log("restart_child_inner", r);
  co_await log_which(conf, "which_children", s);
  co_await conf.finish();
}

// parent_exit: a stranger's exit signal is ignored; the parent's makes the
// supervisor stop its children and exit with the parent's reason.
Task<> parent_exit(Ctx ctx, Conf& conf) {
  SupArgs top(Strategy::one_for_one, 3, 5, specs(wspec(W("c1")), wspec(W("c2")), wspec(W("c3"))));
  Pid s = co_await start_top(ctx, conf, top, 3);

  // a stranger sends exit(sup, foo): ignored (the supervisor traps exits)
  Pid driver = ctx.self();
  auto stranger = [s, driver](Ctx c) -> Proc {
    co_await c.exit(s, atom("foo"));
    co_await c.send(driver, atom("sent"));
  };
  (void)co_await ctx.spawn(stranger);
  (void)co_await ctx.receive([](const Term& m) { return m.is_atom("sent"); });
  co_await log_which(conf, "which_children", s);

  // the parent sends exit(sup, bye)
  co_await ctx.exit(s, atom("bye"));
  co_await conf.await(3);
  co_await conf.finish();
}

}  // namespace

void add_supervisor_scenarios(std::vector<Scenario>& out) {
  out.emplace_back("one_for_one", one_for_one);
  out.emplace_back("rest_for_one", rest_for_one);
  out.emplace_back("one_for_all", one_for_all);
  out.emplace_back("intensity_one_level", intensity_one_level);
  out.emplace_back("intensity_two_levels", intensity_two_levels);
  out.emplace_back("intensity_shared", intensity_shared);
  out.emplace_back("intensity_window", intensity_window);
  out.emplace_back("restart_types", restart_types);
  out.emplace_back("temporary_bystander", temporary_bystander);
  out.emplace_back("shutdown_brutal_kill", shutdown_brutal_kill);
  out.emplace_back("shutdown_timeout", shutdown_timeout);
  out.emplace_back("shutdown_infinity", shutdown_infinity);
  out.emplace_back("sup_stop_order", sup_stop_order);
  out.emplace_back("child_api", child_api);
  out.emplace_back("init_failure", init_failure);
  out.emplace_back("restart_failure_one_for_all", restart_failure_one_for_all);
  out.emplace_back("restart_failure_rest_for_one", restart_failure_rest_for_one);
  out.emplace_back("escalation_transient", escalation_transient);
  out.emplace_back("parent_exit", parent_exit);
}

}  // namespace otpsim::conformance
