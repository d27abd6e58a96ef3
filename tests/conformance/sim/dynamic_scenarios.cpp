// The DynamicSupervisor scenarios of ../README.md.
#include "tests/conformance/sim/helpers.hpp"

namespace otpsim::conformance {
namespace {

namespace sa = sim::atoms;

// dynamic_children_after_restart: top rest_for_one over [c1, dyn]; d1, d2
// under dyn; kill c1 -> dyn and its children stopped, c1 and dyn restarted,
// dyn comes back empty.
Task<> dynamic_children_after_restart(Ctx ctx, Conf& conf) {
  DynArgs dyn_args(3, 5, -1);
  SupArgs top(Strategy::rest_for_one, 3, 5, specs(wspec(W("c1")), dynsup_spec("dyn", dyn_args)));
  Term res = co_await sup_start_link(ctx, top);
  co_await conf.await(2);  // start c1, start dyn
  co_await conf.log("start_link", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("top", s);

  Pid d = co_await conf.pid("dyn");
  ChildSpec d1 = wspec(W("d1"));
  Term r = co_await dyn::start_child(ctx, d, std::move(d1));
  co_await conf.await(1);
  co_await conf.log("start_child_d1", r);
  d = co_await conf.pid("dyn");
  ChildSpec d2 = wspec(W("d2"));
  r = co_await dyn::start_child(ctx, d, std::move(d2));
  co_await conf.await(1);
  co_await conf.log("start_child_d2", r);
  d = co_await conf.pid("dyn");
  co_await log_dyn_counts(conf, "dyn_count_children", d);
  d = co_await conf.pid("dyn");
  co_await log_dyn_which(conf, "dyn_which_children", d);

  co_await conf.kill("c1");
  co_await conf.await(1);         // exit c1 killed
  co_await conf.await_sorted(2);  // exit d1 shutdown, exit d2 shutdown: concurrent
  co_await conf.await(3);         // exit dyn shutdown, start c1, start dyn
  co_await log_which(conf, "which_children", s);
  d = co_await conf.pid("dyn");
  co_await log_dyn_counts(conf, "dyn_count_children", d);
  d = co_await conf.pid("dyn");
  co_await log_dyn_which(conf, "dyn_which_children", d);
  co_await conf.finish();
}

// dynamic_max_children: a DynamicSupervisor with max_children 2.
Task<> dynamic_max_children(Ctx ctx, Conf& conf) {
  DynArgs dyn_args(3, 5, 2);
  Term res = co_await dynsup_start_link(ctx, dyn_args);
  co_await conf.log("start_link", res);
  Pid s = co_await conf.ok_pid(res);
  co_await conf.track("dyn", s);

  // d1, registered under the local name dname
  ChildSpec spec = wspec(W("d1").named("dname"));
  Term r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.await(1);
  co_await conf.log("start_child_d1", r);

  // a child whose start returns {error,{already_started,Pid}} (same local
  // name): passed through unchanged, nothing stored, no process ran init
  spec = wspec(W("dx").named("dname"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.log("start_child_dup_name", r);
  Pid d1 = co_await conf.pid("d1");
  Term expected = sim::tuple(sa::error(), sim::tuple(atom("already_started"), d1));
  co_await conf.log("already_started_pid_is_d1", boolean(r == expected));
  std::int64_t n = co_await conf.attempts("dx");
  co_await conf.log("dup_name_init_attempts", Term(n));

  // init returns {stop,bad}: {error,bad}, nothing stored
  spec = wspec(W("dbad").init_stop("bad"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.log("start_child_init_stop", r);
  // init returns ignore: ignore, nothing stored
  spec = wspec(W("dign").init_ignore());
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.log("start_child_init_ignore", r);
  co_await log_dyn_counts(conf, "count_children", s);

  spec = wspec(W("d2"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.await(1);
  co_await conf.log("start_child_d2", r);
  spec = wspec(W("d3"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.log("start_child_d3", r);
  n = co_await conf.attempts("d3");
  co_await conf.log("d3_init_attempts", Term(n));
  co_await log_dyn_counts(conf, "count_children", s);

  // d1 is restarted (permanent) and re-registers dname; still full
  co_await conf.kill("d1");
  co_await conf.await(2);
  spec = wspec(W("d3"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.log("start_child_d3", r);

  // make room: terminate_child by pid
  Pid d2 = co_await conf.pid("d2");
  r = co_await dyn::terminate_child(ctx, s, d2);
  co_await conf.await(1);
  co_await conf.log("terminate_child_d2", r);
  d2 = co_await conf.pid("d2");
  r = co_await dyn::terminate_child(ctx, s, d2);
  co_await conf.log("terminate_child_d2_again", r);
  spec = wspec(W("d3"));
  r = co_await dyn::start_child(ctx, s, std::move(spec));
  co_await conf.await(1);
  co_await conf.log("start_child_d3", r);
  co_await log_dyn_counts(conf, "count_children", s);
  co_await log_dyn_which(conf, "which_children", s);
  co_await conf.finish();
}

}  // namespace

void add_dynamic_scenarios(std::vector<Scenario>& out) {
  out.emplace_back("dynamic_children_after_restart", dynamic_children_after_restart);
  out.emplace_back("dynamic_max_children", dynamic_max_children);
}

}  // namespace otpsim::conformance
