#include "scenarios/runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "core/tokens/checked_time.hpp"
#include "core/tokens/trio_system.hpp"
#include "core/tree/properties.hpp"
#include "core/tree/runtime.hpp"
#include "core/tokens/workload.hpp"
#include "faults/injector.hpp"
#include "sim/ctx.hpp"
#include "sim/assert.hpp"
#include "sim/observer_set.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/random_strategy.hpp"
#include "sim/swarm_strategy.hpp"

namespace otpsim::scenarios {

namespace tk = core::tokens;
namespace sa = sim::atoms;
using sim::Atom;
using sim::Ctx;
using sim::Kernel;
using sim::Pid;
using sim::Proc;
using sim::Ref;
using sim::Task;
using sim::Term;

bool RunReport::unexpected() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.as_expected(); });
}

bool RunReport::any_violation() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.held; });
}

std::string program_name(const ScenarioSpec& spec) {
  if (spec.content_hash.empty()) return "scenario/" + spec.name;
  return "scenario/" + spec.name + ":" + spec.content_hash;
}

std::optional<ProgramId> parse_program_name(std::string_view program) {
  constexpr std::string_view prefix = "scenario/";
  if (program.substr(0, prefix.size()) != prefix) return std::nullopt;
  program.remove_prefix(prefix.size());
  ProgramId id;
  const auto colon = program.find(':');
  id.name = std::string(program.substr(0, colon));
  if (colon != std::string_view::npos) id.content_hash = std::string(program.substr(colon + 1));
  return id;
}

namespace {

/// Everything one run owns, alive from the program's setup to the report.
class RunState {
 public:
  explicit RunState(const ScenarioSpec& s) : spec(&s), trio(s.model, env) {
    if (s.make_system) {
      system = s.make_system();
    } else if (s.tree) {
      system = std::make_unique<core::tree::TreeSystem>(s.tree.get());
    } else {
      system = std::make_unique<tk::TrioSystem>(&trio);
    }
  }
  const ScenarioSpec* spec;
  tk::Env env;
  tk::Trio trio;  // configured, and run only when the spec has no tree
  std::unique_ptr<core::System> system;  // the trio, or the spec's declared tree
  std::unique_ptr<tk::RunRecord> record = std::make_unique<tk::RunRecord>();
  sim::ObserverSet observers;
  std::unique_ptr<faults::Injector> injector;
  Kernel* kernel = nullptr;
  bool workload_started = false;
  std::uint64_t boot_end_step = 0;  // the step at which the first node saw the trio up
};

void configure(tk::Env& env, const EnvSpec& e) {
  env.memory_storage.durable = e.storage_durable;
  env.memory_storage.faults = e.storage_faults;
  for (const StorageRowSpec& row : e.storage_rows) {
    (void)env.memory_storage.put(row.app, row.key, tk::StorageRecord(row.token, row.expires_at_s));
  }
  // The seeding writes are not the workload's: reset the counters.
  env.memory_storage.puts = 0;
  env.sim_cli.behaviour = e.cli;
  env.sim_cli.per_app = e.cli_per_app;
  env.sim_config_file.content = e.config_file;
  env.read_config_file = e.read_config_file;
  env.clock_offset_us = e.clock_offset_us;
}

Proc workload_body(Ctx ctx, RunState* st);

/// The node: starts the system (the trio or the declared tree) and stays
/// with it; if it gives up for good, the node ends and the system stays
/// down. The first node starts the workload once the system is up, so
/// clients find a running system (as an application's callers do once its
/// supervisor has started).
Proc node_body(Ctx ctx, RunState* st, std::vector<Pid> predecessors) {
  // A restarted node boots once the old one is wholly gone (its names free).
  for (Pid old : predecessors) {
    Ref ref = co_await ctx.monitor(old);
    (void)co_await ctx.receive([ref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(ref); });
  }
  ctx.trap_exit(true);
  Term started = co_await st->system->start_link(ctx);
  if (!st->workload_started) {
    st->workload_started = true;
    st->boot_end_step = st->kernel->steps();
    auto workload = [st](Ctx c) -> Proc { return workload_body(c, st); };
    (void)co_await ctx.spawn(workload, sim::SpawnOptions("workload"));
  }
  if (!started.is_tagged(sa::ok(), 2)) co_return;
  const Pid top = started[1].pid();
  (void)co_await ctx.receive([top](const Term& m) { return m.is_tagged(sa::exit_tag(), 3) && m[1] == Term(top); });
}

void spawn_node(Kernel& kernel, RunState* st, std::vector<Pid> predecessors) {
  kernel.spawn([st, predecessors](Ctx ctx) -> Proc { return node_body(ctx, st, predecessors); }, sim::SpawnOptions("node"));
}

/// A whole-node restart: every process of the node dies at once (kill),
/// then a new node starts the system. Workload clients survive (they stand
/// for callers the restart does not take down); their calls in flight fail.
void restart_node(RunState* st) {
  std::vector<Pid> killed;
  for (const tk::ProcessLife& life : st->record->processes) {
    if (life.alive() && st->system->owns(life.label)) {
      st->kernel->exit_external(life.pid, Term(sa::kill()));
      killed.push_back(life.pid);
    }
  }
  spawn_node(*st->kernel, st, std::move(killed));
}

/// One client: its calls, `repeat` times. A call that exits the client ends it.
Proc client_body(Ctx ctx, RunState* st, const ClientSpec* spec, std::string name) {
  for (std::uint64_t r = 0; r < spec->repeat; ++r) {
    if (r > 0 && spec->every_us > 0) co_await ctx.sleep(tk::kernel_delay(spec->every_us));
    for (const CallSpec& call : spec->calls) {
      co_await st->system->client_op(ctx, st->record.get(), name, &call);
    }
  }
}

/// The workload: starts each client at its time (counted from the run's
/// start), waits for all of them, lets the system settle, then stops the run.
Proc workload_body(Ctx ctx, RunState* st) {
  const ScenarioSpec& spec = *st->spec;
  std::vector<const ClientSpec*> order;
  for (const ClientSpec& c : spec.clients) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](const ClientSpec* a, const ClientSpec* b) { return a->start_us < b->start_us; });
  std::size_t running = 0;
  for (const ClientSpec* c : order) {
    if (c->start_us > ctx.now_us()) co_await ctx.sleep(tk::kernel_delay(c->start_us - ctx.now_us()));
    for (std::uint64_t i = 0; i < c->count; ++i) {
      std::string name = c->count == 1 ? c->name : fmt::format("{}#{}", c->name, i);
      sim::SpawnOptions options("client:" + name);
      auto body = [st, c, name](Ctx cctx) -> Proc { return client_body(cctx, st, c, name); };
      (void)co_await ctx.spawn_monitor(body, options);
      ++running;
    }
  }
  while (running > 0) {
    (void)co_await ctx.receive([](const Term& m) { return m.is_tagged(sa::down_tag(), 5); });
    --running;
  }
  if (spec.settle_us > 0) co_await ctx.sleep(tk::kernel_delay(spec.settle_us));
  st->kernel->request_stop();
}

sim::Program make_program(const ScenarioSpec& spec, std::uint64_t seed, std::shared_ptr<std::unique_ptr<RunState>> slot,
                          std::string name) {
  auto setup = [&spec, seed, slot](Kernel& kernel) {
    *slot = std::make_unique<RunState>(spec);
    RunState* st = slot->get();
    st->kernel = &kernel;
    configure(st->env, spec.env);
    st->record->attach(&kernel);
    st->observers.add(st->record.get());
    st->injector = std::make_unique<faults::Injector>(spec.faults, kernel, *st->system, *st->record,
                                                      [st] { restart_node(st); });
    st->observers.add(st->injector.get());
    kernel.set_observer(&st->observers);
    spawn_node(kernel, st, {});
    st->injector->start();
  };
  return sim::Program{std::move(name), spec.description, setup};
}

void judge(const ScenarioSpec& spec, RunState& st, RunReport& report) {
  tk::PropertyContext context(*st.record, st.trio, *st.kernel, report.result.outcome);
  context.liveness_bound_us = spec.liveness_bound_us;
  std::optional<core::tree::TreeContext> tree_context;
  if (spec.tree) {
    tree_context.emplace(*spec.tree, *st.record, *st.kernel, report.result.outcome);
    tree_context->recover_bound_us = spec.liveness_bound_us;
  }
  for (const std::string& name : spec.properties) {
    PropertyVerdict v;
    v.property = name;
    auto expected = spec.expect.find(name);
    v.expected_to_hold = expected == spec.expect.end() || expected->second;
    if (tree_context) {
      const core::tree::TreeProperty* property = core::tree::find_tree_property(name);
      if (property == nullptr) {
        v.held = false;
        v.violation.emplace("unknown property of a tree (the scenario was not validated)");
      } else {
        v.violation = property->check(*tree_context);
        v.held = !v.violation.has_value();
      }
      report.verdicts.push_back(std::move(v));
      continue;
    }
    const tk::Property* property = tk::find_property(name);
    if (property == nullptr) {
      v.held = false;
      v.violation.emplace("unknown property (the scenario was not validated)");
    } else {
      v.violation = property->check(context);
      v.held = !v.violation.has_value();
    }
    report.verdicts.push_back(std::move(v));
  }
}

RunReport finish(const ScenarioSpec& spec, sim::Simulation& sim, std::shared_ptr<std::unique_ptr<RunState>> slot,
                 std::uint64_t seed, sim::TraceLevel trace) {
  RunReport report;
  report.scenario = spec.name;
  report.seed = seed;
  report.result = sim.run();
  RunState& st = **slot;
  sim::ReplayToken token = sim.token();
  report.token = sim::encode_token(token);
  report.picks = std::move(token.picks);
  report.boot_end_step = st.boot_end_step;
  report.replay_error = sim.replay_error();
  // A run cut off by a limit is judged all the same: properties see the
  // outcome, and no_client_crash and liveness see the unfinished calls.
  judge(spec, st, report);
  if (trace == sim::TraceLevel::full) report.trace = sim.trace();
  report.record = std::move(st.record);
  return report;
}

sim::RunLimits limits_of(const ScenarioSpec& spec) {
  sim::RunLimits limits;
  limits.steps_max = spec.explore.steps_max;
  limits.time_max_us = spec.explore.time_max_us;
  return limits;
}

RunReport run_under(const ScenarioSpec& spec, std::unique_ptr<sim::Strategy> strategy, std::string name,
                    std::uint64_t seed, sim::TraceLevel trace, bool seeded) {
  auto slot = std::make_shared<std::unique_ptr<RunState>>();
  sim::Program program = make_program(spec, seed, slot, program_name(spec));
  sim::RunOptions options;
  options.strategy = std::move(name);
  options.seed = seed;
  options.limits = limits_of(spec);
  options.trace = trace;
  options.delivery = spec.explore.delivery;
  options.seeded = seeded;
  sim::Simulation sim(program, std::move(strategy), options);
  return finish(spec, sim, slot, seed, trace);
}

/// The most steps swarm's calibration run takes: pct's change points then
/// fall in the first 50,000 steps of a longer run, and a scenario shrinker,
/// which calibrates each candidate afresh, pays at most this per candidate.
constexpr std::uint64_t calibration_steps_max = 50'000;

/// One run of `spec` under RandomStrategy seed 0 with `delivery`, its
/// steps (at most calibration_steps_max): swarm's step estimate. The limits
/// are fixed, not the spec's, so a shrinker's or a replay's lowered limits
/// do not change it.
std::uint64_t calibrate(const ScenarioSpec& spec, sim::Delivery delivery) {
  ScenarioSpec c = spec;
  c.explore.delivery = delivery;
  c.explore.steps_max = calibration_steps_max;
  c.explore.time_max_us = ExploreSpec{}.time_max_us;
  RunReport r = run_under(c, std::make_unique<sim::RandomStrategy>(0), "random", 0, sim::TraceLevel::off, true);
  return std::max<std::uint64_t>(1, r.result.steps);
}

std::uint64_t steps_estimate(const ScenarioSpec& spec, sim::Delivery delivery) {
  // A spec built in C++ has no content hash to key the cache by.
  if (spec.content_hash.empty()) return calibrate(spec, delivery);
  // Sweep workers share the cache, so it is locked; a spec is calibrated
  // once per process and delivery.
  static std::mutex mutex;
  static std::map<std::string, std::uint64_t> cache;
  const std::string key = fmt::format("{}|{}", program_name(spec), sim::delivery_name(delivery));
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, calibrate(spec, delivery)).first;
  return it->second;
}

/// The seeded strategy `name` for a run under `delivery` (a token's may
/// differ from the spec's: otpsim run --delivery).
std::unique_ptr<sim::Strategy> make_seeded(const ScenarioSpec& spec, std::string_view name, std::uint64_t seed,
                                           sim::Delivery delivery) {
  if (name == "pct") {
    sim::PctOptions pct;
    pct.depth = spec.explore.pct_depth;
    pct.steps_estimate = spec.explore.pct_steps;
    return std::make_unique<sim::PctStrategy>(seed, pct);
  }
  if (name == "random") return std::make_unique<sim::RandomStrategy>(seed);
  if (name == "swarm") return std::make_unique<sim::SwarmStrategy>(seed, steps_estimate(spec, delivery));
  return nullptr;
}

}  // namespace

std::unique_ptr<sim::Strategy> seeded_strategy(const ScenarioSpec& spec, std::string_view name, std::uint64_t seed) {
  return make_seeded(spec, name, seed, spec.explore.delivery);
}

std::uint64_t swarm_steps_estimate(const ScenarioSpec& spec) { return steps_estimate(spec, spec.explore.delivery); }

std::string swarm_description(const ScenarioSpec& spec, std::uint64_t seed) {
  return sim::describe(sim::swarm_config(seed, swarm_steps_estimate(spec)));
}

std::unique_ptr<sim::Strategy> seeded_strategy(const ScenarioSpec& spec, std::uint64_t seed) {
  return seeded_strategy(spec, spec.explore.strategy, seed);
}

RunReport run_with(const ScenarioSpec& spec, std::unique_ptr<sim::Strategy> strategy, std::string name,
                   std::uint64_t seed, sim::TraceLevel trace) {
  return run_under(spec, std::move(strategy), std::move(name), seed, trace, false);
}

RunReport run_once(const ScenarioSpec& spec, std::uint64_t seed, sim::TraceLevel trace) {
  std::unique_ptr<sim::Strategy> strategy = seeded_strategy(spec, seed);
  OTPSIM_ASSERT(strategy != nullptr, "run_once: the spec's strategy is not a seeded one (dfs runs through sweep)");
  return run_under(spec, std::move(strategy), spec.explore.strategy, seed, trace, true);
}

RunReport replay(const ScenarioSpec& spec, const sim::ReplayToken& token, sim::TraceLevel trace) {
  auto slot = std::make_shared<std::unique_ptr<RunState>>();
  // The token's own program name: an older token (no content hash) names
  // the scenario without one, and the caller has checked that it is this one.
  sim::Program program = make_program(spec, token.seed, slot, token.program);
  sim::Simulation sim(program, token, trace, token.from_seed ? make_seeded(spec, token.strategy, token.seed, token.delivery) : nullptr);
  return finish(spec, sim, slot, token.seed, trace);
}

std::string timeline(const RunReport& report) {
  if (!report.record) return {};
  const tk::RunRecord& r = *report.record;
  struct Line {
    std::uint64_t step;
    sim::Micros at_us;
    int order;
    std::string text;
  };
  std::vector<Line> lines;
  auto pid_text = [&r](Pid pid) {
    const tk::ProcessLife* life = r.life(pid);
    if (life == nullptr || life->label.empty()) return Term(pid).to_string();
    return fmt::format("{}({})", Term(pid).to_string(), life->label);
  };
  for (const tk::FaultEvent& f : r.faults) {
    lines.push_back({f.step, f.at_us, 0,
                     fmt::format("FAULT {} {}: {}{}", f.action, f.target, f.applied ? "applied" : "skipped",
                                 f.detail.empty() ? std::string() : " (" + f.detail + ")")});
  }
  for (const tk::ClientCall& c : r.calls) {
    std::string what = c.op == "set_manual"                                  ? fmt::format("{}({}, {})", c.op, c.app, c.token)
                       : c.op == "call" || c.op == "cast" || c.op == "send" ? fmt::format("{}({}, {})", c.op, c.app, c.request.to_string())
                                                                           : fmt::format("{}({})", c.op, c.app);
    lines.push_back({c.start_step, c.start_us, 1, fmt::format("{} calls {}", c.client_name, what)});
    if (c.end_us >= 0) {
      lines.push_back({c.end_step, c.end_us, 2,
                       c.exited ? fmt::format("{} {} EXITED the client: {}", c.client_name, what, c.exit_reason.to_string())
                                : fmt::format("{} {} -> {}", c.client_name, what, c.result.to_string())});
    }
  }
  for (const tk::ProcessLife& p : r.processes) {
    if (p.alive() || p.label.rfind("client:", 0) == 0 || p.label == "workload" || p.label == "task" ||
        p.label == "fault_clock" || p.label == "fault_stop") {
      continue;
    }
    lines.push_back({p.exited_step, p.exited_us, 3, fmt::format("{} exited {}", pid_text(p.pid), p.exit_reason.to_string())});
  }
  for (const tk::RecordedEvent& e : r.events) {
    if (!e.term.is_tuple() || e.term.size() == 0) continue;
    const Term& tag = e.term[0];
    if (tag.is_atom("log") || tag.is_atom("cli_run") || tag.is_atom("already_started") || tag.is_atom("soft_refresh") ||
        tag.is_atom("app_server_up")) {
      lines.push_back({e.step, e.at_us, 4, fmt::format("{} {}", pid_text(e.pid), e.term.to_string())});
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    if (a.step != b.step) return a.step < b.step;
    return a.order < b.order;
  });
  std::string out;
  for (const Line& l : lines) out += fmt::format("  {:>14} step {:>6}  {}\n", sim::format_time(l.at_us), l.step, l.text);
  return out;
}

}  // namespace otpsim::scenarios
