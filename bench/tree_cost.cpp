// What a declared tree costs against a C++ tree of the same shape
// (docs/performance.md, "Declared trees"): schedules per second of one
// scenario (the same clients, fault and properties) run on
//   - the tree declared as data (core/tree: the runtime interprets it), and
//   - the same tree written in C++ on core/otp (a System of its own,
//     ScenarioSpec::make_system), labelled by the same paths.
//
//   otpsim_tree_cost [--seeds N] [--strategy random|swarm|pct] [--only declared|cpp]
//
// --only runs one side (no warm-up, no table): for `perf stat -e
// instructions:u`, which a loaded machine does not skew as wall time.
//
// The tree: top (one_for_one) over a Registry, a cache worker that owns an
// ETS table, a DynamicSupervisor of per-key sessions ({via, Registry, Key})
// and a router that starts sessions and handles {already_started, Pid}.
// Four clients open the same session, write and read the cache, and ping
// the session by its via-name; the cache is killed at 50 ms.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/registry.hpp"
#include "core/otp/supervisor.hpp"
#include "core/system.hpp"
#include "core/tree/runtime.hpp"
#include "scenarios/runner.hpp"
#include "sim/ctx.hpp"

namespace {

using namespace otpsim;
namespace otp = core::otp;
namespace tree = core::tree;
using sim::Atom;
using sim::Ctx;
using sim::Pid;
using sim::Task;
using sim::Term;

const Atom registry_name("Bench.Registry");
const Atom sessions_name("Bench.Sessions");
const Atom rows_table("rows");

Term a(std::string_view text) { return sim::atom(text); }
Term var(std::string_view name) { return sim::atom(name); }

// -- the declared tree --

tree::Step step(tree::Step::Kind kind) { return tree::Step(kind); }

tree::Clause clause(Term pattern, std::vector<tree::Step> steps) {
  tree::Clause c;
  c.pattern = std::move(pattern);
  c.steps = std::move(steps);
  return c;
}

tree::Node node(std::string id, tree::NodeKind kind, std::string name) {
  tree::Node n;
  n.id = std::move(id);
  n.kind = kind;
  n.name = std::move(name);
  return n;
}

tree::TreeSpec declared_tree() {
  using K = tree::Step::Kind;
  tree::TreeSpec t;
  t.name = "bench";
  t.root = node("top", tree::NodeKind::supervisor, "");
  t.root.strategy = otp::Strategy::one_for_one;
  t.root.children.push_back(node("registry", tree::NodeKind::registry, std::string(registry_name.text())));
  tree::Node cache = node("cache", tree::NodeKind::worker, "cache");
  cache.behaviour = "cache";
  t.root.children.push_back(cache);
  t.root.children.push_back(node("sessions", tree::NodeKind::dynamic_supervisor, std::string(sessions_name.text())));
  tree::Node router = node("router", tree::NodeKind::worker, "router");
  router.behaviour = "router";
  t.root.children.push_back(router);
  tree::Node session = node("session", tree::NodeKind::worker, "");
  session.behaviour = "session";
  session.via_registry = std::string(registry_name.text());
  session.via_key = var("$arg");
  t.templates.emplace("session", session);

  tree::Behaviour c;
  c.name = "cache";
  tree::Step table_new = step(K::table_new);
  table_new.table = "rows";
  c.init.push_back(table_new);
  tree::Step insert = step(K::table_insert);
  insert.table = "rows";
  insert.key = var("$k");
  insert.value = var("$v");
  tree::Step ok = step(K::reply);
  ok.value = a("ok");
  c.calls.push_back(clause(sim::tuple(a("put"), var("$k"), var("$v")), {insert, ok}));
  tree::Step lookup = step(K::table_lookup);
  lookup.table = "rows";
  lookup.key = var("$k");
  tree::Step reply_result = step(K::reply);
  reply_result.value = var("$result");
  c.calls.push_back(clause(sim::tuple(a("get"), var("$k")), {lookup, reply_result}));
  t.behaviours.emplace("cache", c);

  tree::Behaviour r;
  r.name = "router";
  tree::Step start = step(K::start_child);
  start.sup = "top/sessions";
  start.child = "session";
  start.value = var("$k");
  tree::Step match = step(K::match);
  match.value = var("$result");
  tree::Step reply_pid = step(K::reply);
  reply_pid.value = var("$p");
  match.clauses.push_back(clause(sim::tuple(a("ok"), var("$p")), {reply_pid}));
  match.clauses.push_back(clause(sim::tuple(a("error"), sim::tuple(a("already_started"), var("$p"))), {reply_pid}));
  r.calls.push_back(clause(sim::tuple(a("open"), var("$k")), {start, match}));
  t.behaviours.emplace("router", r);

  tree::Behaviour s;
  s.name = "session";
  tree::Step pong = step(K::reply);
  pong.value = a("pong");
  s.calls.push_back(clause(a("ping"), {pong}));
  t.behaviours.emplace("session", s);
  return t;
}

// -- the same tree in C++ --

class Cache final : public otp::GenServer {
 public:
  Task<otp::InitResult> init(Ctx ctx) override {
    sim::TableOptions options(sim::TableAccess::public_access, Term(rows_table));
    (void)co_await ctx.table_new(options);
    co_return otp::InitResult::ok();
  }
  Task<otp::CallResult> handle_call(Ctx ctx, Term request, otp::From) override {
    if (request.is_tagged(Atom("put"), 3)) {
      (void)co_await ctx.insert(rows_table, sim::tuple(request[1], request[2]));
      co_return otp::CallResult::reply(a("ok"));
    }
    auto row = co_await ctx.lookup(rows_table, request[1]);
    co_return otp::CallResult::reply(row.value ? Term::list({*row.value}) : Term::list({}));
  }
};

class Session final : public otp::GenServer {
 public:
  Task<otp::CallResult> handle_call(Ctx, Term, otp::From) override { co_return otp::CallResult::reply(a("pong")); }
};

otp::ChildSpec session_spec(Term key) {
  const std::string label = "top/sessions/session:" + (key.is_string() ? std::string(key.string_value()) : key.to_string());
  return otp::ChildSpec::worker(a("session"), [key, label](Ctx c) {
    otp::ServerFactory factory = [] { return std::make_unique<Session>(); };
    return otp::start_link(c, factory, otp::StartOptions(otp::ServerName::via(registry_name, key), label));
  });
}

class Router final : public otp::GenServer {
 public:
  Task<otp::CallResult> handle_call(Ctx ctx, Term request, otp::From) override {
    otp::ServerRef sessions(otp::ServerName::local(sessions_name));
    Term started = co_await otp::dynamic_supervisor::start_child(ctx, sessions, session_spec(request[1]));
    if (started.is_tagged(Atom("ok"), 2)) co_return otp::CallResult::reply(started[1]);
    co_return otp::CallResult::reply(started[1][1]);  // {error, {already_started, Pid}}
  }
};

otp::ChildSpec worker_spec(std::string id, Atom name, otp::ServerFactory factory) {
  const std::string label = "top/" + id;
  return otp::ChildSpec::worker(a(id), [name, label, factory](Ctx c) {
    return otp::start_link(c, factory, otp::StartOptions(otp::ServerName::local(name), label));
  });
}

class CppTree final : public core::System {
 public:
  explicit CppTree(const tree::TreeSpec* shape) : shape_(shape) {}
  Task<Term> start_link(Ctx ctx) override {
    std::vector<otp::ChildSpec> children;
    children.push_back(otp::ChildSpec::supervisor(Term(registry_name), [](Ctx c) { return otp::registry::start_link(c, registry_name); }));
    children.push_back(worker_spec("cache", Atom("cache"), [] { return std::make_unique<Cache>(); }));
    children.push_back(otp::ChildSpec::supervisor(a("sessions"), [](Ctx c) {
      return otp::dynamic_supervisor::start_link(c, otp::dynamic_supervisor::Options(),
                                                 otp::StartOptions(otp::ServerName::local(sessions_name), "top/sessions"));
    }));
    children.push_back(worker_spec("router", Atom("router"), [] { return std::make_unique<Router>(); }));
    otp::SupervisorFlags flags(otp::Strategy::one_for_one);
    co_return co_await otp::supervisor::start_link(ctx, flags, std::move(children), otp::StartOptions(otp::ServerName(), "top"));
  }
  Task<> client_op(Ctx ctx, core::RunRecord* record, std::string client, const core::ClientOp* op) override {
    core::ClientCall call;
    call.client = ctx.self();
    call.client_name = client;
    call.op = op->op;
    call.to = op->to;
    call.request = op->request;
    call.start_us = ctx.now_us();
    call.start_step = record->steps();
    const otp::ServerRef to = op->to.is_atom() ? otp::ServerRef(otp::ServerName::local(op->to.atom()))
                                               : otp::ServerRef(otp::ServerName::via(registry_name, op->to[2]));
    Term result;
    try {
      result = co_await otp::call(ctx, to, op->request, op->timeout_us);
    } catch (const sim::ExitException& e) {
      result = sim::tuple(a("exit"), e.reason);  // every client here catches
    }
    call.end_us = ctx.now_us();
    call.end_step = record->steps();
    call.result = result;
    record->calls.push_back(std::move(call));
  }
  Pid resolve(std::string_view target, sim::Kernel& kernel, const core::RunRecord& record, std::string& why_not) override {
    for (auto it = record.processes.rbegin(); it != record.processes.rend(); ++it) {
      if (it->label == target && it->alive() && kernel.is_alive(it->pid)) return it->pid;
    }
    why_not = fmt::format("no live process at {}", target);
    return Pid{};
  }
  bool names(std::string_view target, Pid pid, const sim::Kernel&, const core::RunRecord& record) const override {
    const core::ProcessLife* life = record.life(pid);
    return life != nullptr && life->label == target;
  }
  bool owns(const std::string& label) const override { return label.rfind("top", 0) == 0; }

 private:
  const tree::TreeSpec* shape_;
};

scenarios::ScenarioSpec scenario(std::shared_ptr<const tree::TreeSpec> t, const std::string& strategy) {
  scenarios::ScenarioSpec spec;
  spec.name = "tree-cost";
  spec.tree = std::move(t);
  spec.explore.strategy = strategy;
  const Term key = Term::string("a");
  for (int i = 0; i < 4; ++i) {
    scenarios::ClientSpec c;
    c.name = fmt::format("c{}", i);
    c.start_us = i * 10'000;
    auto call = [](Term to, Term request) {
      scenarios::CallSpec op;
      op.op = "call";
      op.to = std::move(to);
      op.request = std::move(request);
      op.catch_exit = true;
      return op;
    };
    c.calls.push_back(call(a("router"), sim::tuple(a("open"), key)));
    c.calls.push_back(call(a("cache"), sim::tuple(a("put"), key, Term(i))));
    c.calls.push_back(call(a("cache"), sim::tuple(a("get"), key)));
    c.calls.push_back(call(sim::tuple(a("via"), Term(registry_name), key), a("ping")));
    c.repeat = 3;
    c.every_us = 40'000;
    spec.clients.push_back(c);
  }
  faults::Fault kill;
  kill.trigger.kind = faults::Trigger::Kind::at_time;
  kill.trigger.at_us = 50'000;
  std::string error;
  kill.target = *faults::Target::parse("top/cache", error, true);
  spec.faults.faults.push_back(kill);
  spec.properties = {"restart_scope", "restart_intensity", "no_orphans", "one_live_per_name"};
  for (const std::string& p : spec.properties) spec.expect[p] = true;
  return spec;
}

struct Measure {
  double seconds = 0;
  std::uint64_t steps = 0;
};

Measure measure(const scenarios::ScenarioSpec& spec, std::uint64_t seeds) {
  Measure m;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    scenarios::RunReport r = scenarios::run_once(spec, seed, sim::TraceLevel::off);
    m.steps += r.result.steps;
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seeds = 2000;
  std::string strategy = "random";
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
      seeds = std::stoull(argv[++i]);
    } else if (std::strcmp(argv[i], "--strategy") == 0 && i + 1 < argc) {
      strategy = argv[++i];
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc && (std::strcmp(argv[i + 1], "declared") == 0 ||
                                                                       std::strcmp(argv[i + 1], "cpp") == 0)) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: otpsim_tree_cost [--seeds N] [--strategy random|swarm|pct] [--only declared|cpp]\n");
      return 2;
    }
  }
  auto shape = std::make_shared<const tree::TreeSpec>(declared_tree());
  if (auto why = tree::validate(*shape)) {
    std::fprintf(stderr, "otpsim_tree_cost: the declared tree is invalid: %s\n", why->c_str());
    return 1;
  }
  scenarios::ScenarioSpec declared = scenario(shape, strategy);
  scenarios::ScenarioSpec cpp = declared;
  const tree::TreeSpec* raw = shape.get();
  cpp.make_system = [raw] { return std::make_unique<CppTree>(raw); };
  if (!only.empty()) {
    const Measure m = measure(only == "cpp" ? cpp : declared, seeds);
    std::printf("%s: %llu schedules, %.1f steps/run, %.3f s\n", only.c_str(), static_cast<unsigned long long>(seeds),
                static_cast<double>(m.steps) / static_cast<double>(seeds), m.seconds);
    return 0;
  }
  // Warm up both (and check that the two agree on every verdict).
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    scenarios::RunReport d = scenarios::run_once(declared, seed, sim::TraceLevel::off);
    scenarios::RunReport c = scenarios::run_once(cpp, seed, sim::TraceLevel::off);
    for (std::size_t i = 0; i < d.verdicts.size(); ++i) {
      if (d.verdicts[i].held != c.verdicts[i].held) {
        std::fprintf(stderr, "seed %llu: %s differs (declared %d, C++ %d)\n", static_cast<unsigned long long>(seed),
                     d.verdicts[i].property.c_str(), d.verdicts[i].held, c.verdicts[i].held);
      }
    }
  }
  const Measure md = measure(declared, seeds);
  const Measure mc = measure(cpp, seeds);
  const double rd = static_cast<double>(seeds) / md.seconds;
  const double rc = static_cast<double>(seeds) / mc.seconds;
  std::printf("strategy %s, %llu schedules each\n", strategy.c_str(), static_cast<unsigned long long>(seeds));
  std::printf("%-10s %12s %12s %14s\n", "tree", "schedules/s", "steps/run", "cost vs C++");
  std::printf("%-10s %12.0f %12.1f %13.2fx\n", "C++", rc, static_cast<double>(mc.steps) / static_cast<double>(seeds), 1.0);
  std::printf("%-10s %12.0f %12.1f %13.2fx\n", "declared", rd, static_cast<double>(md.steps) / static_cast<double>(seeds),
              rc / rd);
  return 0;
}
