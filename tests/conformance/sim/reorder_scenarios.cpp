// The reordering scenarios (reorder_scenarios.hpp): one program each, and
// the dfs enumeration.
#include "tests/conformance/sim/reorder_scenarios.hpp"

#include <memory>

#include "core/otp/registry.hpp"
#include "core/otp/supervisor.hpp"
#include "sim/ctx.hpp"
#include "sim/dfs.hpp"
#include "sim/soundness.hpp"
#include "tests/conformance/sim/common.hpp"

namespace otpsim::conformance::reorder {

namespace {

namespace sa = sim::atoms;
namespace otp = core::otp;

bool is_ready(const Term& m) { return m.is_atom("ready"); }
bool is_exit(const Term& m) { return m.is_tagged(sa::exit_tag(), 3); }
bool is_down(const Term& m) { return m.is_tagged(sa::down_tag(), 5); }

/// How a watcher's mailbox yielded two messages, e.g. "EXIT boom, then note".
std::string describe(const Term& m) {
  if (is_exit(m)) return "EXIT " + fmt(m[2]);
  if (is_down(m)) return "DOWN " + fmt(m[4]);
  return fmt(m);
}

// ---- triangle_forward ---------------------------------------------------------
// A sends m1 to C, then m2 to B; B forwards m2 to C.

Proc triangle_c(Ctx ctx, std::string* out) {
  auto first = co_await ctx.receive();
  auto second = co_await ctx.receive();
  *out = "C got " + fmt(*first) + ", then " + fmt(*second);
}

Proc triangle_b(Ctx ctx, Pid c) {
  auto m = co_await ctx.receive();
  co_await ctx.send(c, *m);
}

Proc triangle_a(Ctx ctx, Pid b, Pid c) {
  co_await ctx.send(c, atom("m1"));
  co_await ctx.send(b, atom("m2"));
}

Finish triangle_forward(sim::Kernel& k) {
  auto out = std::make_shared<std::string>("C got nothing");
  std::string* o = out.get();
  Pid c = k.spawn([o](Ctx ctx) { return triangle_c(ctx, o); }, sim::SpawnOptions("C"));
  Pid b = k.spawn([c](Ctx ctx) { return triangle_b(ctx, c); }, sim::SpawnOptions("B"));
  k.spawn([b, c](Ctx ctx) { return triangle_a(ctx, b, c); }, sim::SpawnOptions("A"));
  return [out] { return *out; };
}

// ---- two watchers of one dying process ------------------------------------------
// X dies once both watchers have told it `ready` (each after its link or
// monitor, on the same channel, so that is in place first). W2 handles its
// EXIT / DOWN by sending `note` to W1; W1 records which of its own EXIT /
// DOWN and W2's note it got first.

Proc watched(Ctx ctx) {
  (void)co_await ctx.receive(is_ready);
  (void)co_await ctx.receive(is_ready);
  ctx.exit(atom("boom"));
}

Proc first_watcher(Ctx ctx, Pid x, bool link, std::string* out) {
  if (link) {
    ctx.trap_exit(true);
    co_await ctx.link(x);
  } else {
    (void)co_await ctx.monitor(x);
  }
  co_await ctx.send(x, atom("ready"));
  auto first = co_await ctx.receive();
  auto second = co_await ctx.receive();
  *out = "W1 got " + describe(*first) + ", then " + describe(*second);
}

Proc second_watcher(Ctx ctx, Pid x, Pid w1, bool link) {
  if (link) {
    ctx.trap_exit(true);
    co_await ctx.link(x);
  } else {
    (void)co_await ctx.monitor(x);
  }
  co_await ctx.send(x, atom("ready"));
  if (link) {
    (void)co_await ctx.receive(is_exit);
  } else {
    (void)co_await ctx.receive(is_down);
  }
  co_await ctx.send(w1, atom("note"));
}

Finish two_watchers(sim::Kernel& k, bool link) {
  auto out = std::make_shared<std::string>("W1 got nothing");
  std::string* o = out.get();
  Pid x = k.spawn([](Ctx ctx) { return watched(ctx); }, sim::SpawnOptions("X"));
  Pid w1 = k.spawn([x, link, o](Ctx ctx) { return first_watcher(ctx, x, link, o); }, sim::SpawnOptions("W1"));
  k.spawn([x, w1, link](Ctx ctx) { return second_watcher(ctx, x, w1, link); }, sim::SpawnOptions("W2"));
  return [out] { return *out; };
}

// ---- a link or monitor request overtaken by a kill ----------------------------------
// W links to (or monitors) X, then tells K to kill X. The link / monitor
// request (W -> X) and the kill (K -> X) come from different senders: the
// kill may arrive first, and the request then finds no process, so W gets
// an EXIT / DOWN with reason noproc instead of killed. (The collector's
// monitor in intensity_one_level and the registrants' links in
// registry_crash meet this under async delivery.)

Proc overtaken_x(Ctx ctx) { (void)co_await ctx.receive([](const Term&) { return false; }); }

Proc overtaken_k(Ctx ctx) {
  auto m = co_await ctx.receive();
  co_await ctx.exit((*m).pid(), Term(sa::kill()));
}

Proc overtaken_w(Ctx ctx, Pid x, Pid k, bool link, std::string* out) {
  if (link) {
    ctx.trap_exit(true);
    co_await ctx.link(x);
  } else {
    (void)co_await ctx.monitor(x);
  }
  co_await ctx.send(k, Term(x));
  auto m = co_await ctx.receive();
  *out = "W got " + describe(*m);
}

Finish request_overtaken(sim::Kernel& k, bool link) {
  auto out = std::make_shared<std::string>("W got nothing");
  std::string* o = out.get();
  Pid x = k.spawn([](Ctx ctx) { return overtaken_x(ctx); }, sim::SpawnOptions("X"));
  Pid killer = k.spawn([](Ctx ctx) { return overtaken_k(ctx); }, sim::SpawnOptions("K"));
  k.spawn([x, killer, link, o](Ctx ctx) { return overtaken_w(ctx, x, killer, link, o); }, sim::SpawnOptions("W"));
  return [out] { return *out; };
}

// ---- supervisor: restart_child right after the child's death --------------------
// A transient child stops itself `normal`; the driver, told by its monitor,
// asks the supervisor to restart it. On one node the supervisor has the
// child's EXIT in its mailbox before the request, so the child is
// terminated and restart_child starts it; under Erlang's guarantee the
// request may come first, and the child still counts as running.

class Quitter final : public otp::GenServer {
 public:
  Task<otp::HandleResult> handle_cast(Ctx, Term message) override {
    if (message.is_tagged(Atom("stop"), 2)) co_return otp::HandleResult::stop(message[1]);
    co_return otp::HandleResult::noreply();
  }
};

Task<Term> quitter_start_link(Ctx ctx) {
  otp::ServerFactory factory = [] { return std::make_unique<Quitter>(); };
  co_return co_await otp::start_link(ctx, factory, otp::StartOptions(otp::ServerName(), "c"));
}

Proc restart_driver(Ctx ctx, std::string* out) {
  otp::StartFn start = [](Ctx c) { return quitter_start_link(c); };
  std::vector<otp::ChildSpec> children;
  children.push_back(otp::ChildSpec::worker(atom("c"), start).with_restart(otp::Restart::transient));
  Term res = co_await otp::supervisor::start_link(ctx, otp::SupervisorFlags(otp::Strategy::one_for_one), children,
                                                  otp::StartOptions(otp::ServerName(), "sup"));
  const Pid sup = res[1].pid();
  Term which = co_await otp::supervisor::which_children(ctx, otp::ServerRef(sup));
  const Pid c = which.elements()[0][1].pid();
  (void)co_await ctx.monitor(c);
  co_await otp::cast(ctx, otp::ServerRef(c), sim::tuple(Atom("stop"), sa::normal()));
  (void)co_await ctx.receive(is_down);
  Term r = co_await otp::supervisor::restart_child(ctx, otp::ServerRef(sup), atom("c"));
  *out = "restart_child " + fmt(r);
  (void)co_await ctx.receive([](const Term&) { return false; });  // stay, as the supervisor's parent
}

Finish supervisor_restart_child(sim::Kernel& k) {
  auto out = std::make_shared<std::string>("no result");
  std::string* o = out.get();
  k.spawn([o](Ctx ctx) { return restart_driver(ctx, o); }, sim::SpawnOptions("driver"));
  return [out] { return *out; };
}

// ---- Registry: the partition cleans up after a dead holder ------------------------
// A holder registers key k under the unique Registry Reg and is killed. The
// driver, told by its monitor, makes a synchronous request to the
// partition (the common "sync with the partition" idiom, :sys.get_state
// in Elixir): on one node the partition has handled the holder's EXIT, and
// so removed its row, before it answers; under Erlang's guarantee the
// request may come first. Then either the driver looks the key up
// (registry_sync_lookup) or a new process registers k (registry_reregister):
// it may see the dead holder's row, and still takes the key (Registry
// checks the holder's liveness), and the late cleanup leaves its row alone.

Atom reg_name() { static const Atom a("Reg"); return a; }

Proc holder(Ctx ctx, Pid driver) {
  (void)co_await otp::registry::register_key(ctx, reg_name(), atom("k"), atom("v"));
  co_await ctx.send(driver, atom("registered"));
  (void)co_await ctx.receive([](const Term&) { return false; });
}

Proc newcomer(Ctx ctx, Pid driver) {
  auto seen = co_await otp::registry::lookup(ctx, reg_name(), atom("k"));
  Term r = co_await otp::registry::register_key(ctx, reg_name(), atom("k"), atom("v2"));
  const std::string saw = seen.empty() ? "no row" : "the dead holder's row";
  Term done = sim::tuple(Atom("done"), Term::string("N saw " + saw + "; register " + fmt(r)));
  co_await ctx.send(driver, done);
  (void)co_await ctx.receive([](const Term&) { return false; });
}

Proc registry_driver(Ctx ctx, bool reregister, std::string* out) {
  ctx.trap_exit(true);
  (void)co_await otp::registry::start_link(ctx, reg_name());
  const Pid self = ctx.self();
  auto body = [self](Ctx c) { return holder(c, self); };
  auto [h, ref] = co_await ctx.spawn_monitor(body);
  (void)co_await ctx.receive([](const Term& m) { return m.is_atom("registered"); });
  co_await ctx.exit(h, Term(sa::kill()));
  (void)co_await ctx.receive(is_down);
  (void)co_await otp::call(ctx, otp::ServerRef(otp::ServerName::local(otp::registry::partition_name(reg_name()))),
                           atom("sync"));
  if (!reregister) {
    auto found = co_await otp::registry::lookup(ctx, reg_name(), atom("k"));
    *out = found.empty() ? "lookup after the partition answered: []" : "lookup after the partition answered: [dead holder]";
    co_return;
  }
  auto nbody = [self](Ctx c) { return newcomer(c, self); };
  (void)co_await ctx.spawn(nbody);
  auto done = co_await ctx.receive([](const Term& m) { return m.is_tagged(Atom("done"), 2); });
  *out = std::string((*done)[1].string_value());
  (void)co_await ctx.receive([](const Term&) { return false; });
}

Finish registry_program(sim::Kernel& k, bool reregister) {
  auto out = std::make_shared<std::string>("no result");
  std::string* o = out.get();
  k.spawn([o, reregister](Ctx ctx) { return registry_driver(ctx, reregister, o); }, sim::SpawnOptions("driver"));
  sim::Kernel* kernel = &k;
  return [out, kernel, reregister]() -> std::string {
    if (!reregister) return *out;
    // At quiescence every signal has arrived: the holder's cleanup is done.
    std::string end = "; at the end k is ";
    auto keys = kernel->table_named(Term(otp::registry::keys_table_name(reg_name())));
    std::optional<Term> row;
    if (keys) row = kernel->table_peek(*keys, atom("k"));
    if (!row) return *out + end + "free";
    return *out + end + "held " + ((*row)[1][1] == atom("v2") ? "by N" : "by someone else");
  };
}

}  // namespace

const std::vector<ReorderScenario>& reorder_scenarios() {
  static const std::vector<ReorderScenario> all = [] {
    std::vector<ReorderScenario> v;
    v.emplace_back("triangle_forward", "A sends m1 to C, then m2 to B; B forwards m2 to C", triangle_forward,
                   "C got m1, then m2", "C got m2, then m1");
    v.emplace_back("two_linked_trappers",
                   "X, linked to trapping W1 and W2, dies; W2 handles its EXIT by sending W1 a note",
                   [](sim::Kernel& k) { return two_watchers(k, true); }, "W1 got EXIT boom, then note",
                   "W1 got note, then EXIT boom");
    v.emplace_back("two_monitors", "X, monitored by W1 and W2, dies; W2 handles its DOWN by sending W1 a note",
                   [](sim::Kernel& k) { return two_watchers(k, false); }, "W1 got DOWN boom, then note",
                   "W1 got note, then DOWN boom");
    v.emplace_back("link_request_overtaken",
                   "trapping W links to X, then tells K to kill X; the kill may reach X before the link request",
                   [](sim::Kernel& k) { return request_overtaken(k, true); }, "W got EXIT killed", "W got EXIT noproc");
    v.emplace_back("monitor_request_overtaken",
                   "W monitors X, then tells K to kill X; the kill may reach X before the monitor request",
                   [](sim::Kernel& k) { return request_overtaken(k, false); }, "W got DOWN killed", "W got DOWN noproc");
    v.emplace_back("supervisor_restart_child",
                   "a transient child stops normal; its monitor tells the driver, which calls restart_child at once",
                   supervisor_restart_child, "restart_child {ok,<pid>}", "restart_child {error,running}");
    v.emplace_back("registry_sync_lookup",
                   "a registered holder is killed; on its DOWN the driver syncs with the partition, then looks the key up",
                   [](sim::Kernel& k) { return registry_program(k, false); }, "lookup after the partition answered: []",
                   "lookup after the partition answered: [dead holder]");
    v.emplace_back("registry_reregister",
                   "a registered holder is killed; on its DOWN the driver syncs with the partition, then N registers the key",
                   [](sim::Kernel& k) { return registry_program(k, true); },
                   "N saw no row; register {ok,<pid>}; at the end k is held by N",
                   "N saw the dead holder's row; register {ok,<pid>}; at the end k is held by N");
    return v;
  }();
  return all;
}

Enumerated enumerate(const Program& program, sim::Delivery delivery, std::uint64_t max_runs) {
  // The driver loop sim/soundness.hpp already has (kernel gone before end_run).
  const sim::soundness::Enumerated e = sim::soundness::explore(program, delivery, sim::DfsOptions{}, max_runs);
  Enumerated out;
  out.outcomes = e.outcomes;
  out.runs = e.runs;
  out.exhausted = e.finished;
  out.error = e.error;
  return out;
}

}  // namespace otpsim::conformance::reorder
