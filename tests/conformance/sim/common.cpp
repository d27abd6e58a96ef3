// The C++ counterpart of beam/common.exs: Conf.Collector, Conf.Worker,
// Conf.Sup, Conf.DynSup and the driver helpers; and the runner.
#include "tests/conformance/sim/common.hpp"

#include <algorithm>
#include <memory>

#include "sim/kernel.hpp"
#include "sim/random_strategy.hpp"

namespace otpsim::conformance {

namespace sa = sim::atoms;

// ---- formatting ------------------------------------------------------------

namespace {

void append_canonical(const Term& t, std::string& out) {
  switch (t.kind()) {
    case Term::Kind::pid: out += "<pid>"; return;
    case Term::Kind::ref: out += "<ref>"; return;
    case Term::Kind::tuple:
    case Term::Kind::list: {
      out += t.is_tuple() ? '{' : '[';
      bool first = true;
      for (const Term& e : t.elements()) {
        if (!first) out += ',';
        first = false;
        append_canonical(e, out);
      }
      out += t.is_tuple() ? '}' : ']';
      return;
    }
    default: {
      std::string s = t.to_string();
      s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return c == ' ' || c == '\n' || c == '\t'; }),
              s.end());
      out += s;
    }
  }
}

Atom a(const char* text) { return Atom(text); }
Atom collector_name() { static const Atom n("collector"); return n; }
ServerRef collector_ref() { return ServerRef(ServerName::local(collector_name())); }

}  // namespace

std::string fmt(const Term& term) {
  std::string out;
  append_canonical(term, out);
  return out;
}

Term which(const Term& children) {
  std::vector<Term> out;
  for (const Term& c : children.elements()) {
    Term state(sa::undefined());
    if (c[1].is_pid()) {
      state = atom("alive");
    } else if (c[1].is_atom("restarting")) {
      state = atom("restarting");
    }
    out.push_back(sim::tuple(c[0], state, c[2]));
  }
  return Term::list(std::move(out));
}

// ---- Conf.Collector ----------------------------------------------------------

namespace {

/// Registered as `collector`; records start/exit events and the driver's
/// call lines in one total order, and answers {await, K, Sorted} once K more
/// start/exit events than at the previous await have arrived.
class Collector final : public GenServer {
 public:
  Task<CallResult> handle_call(Ctx ctx, Term request, From from) override {
    if (request.is_tagged(a("attempt"), 2)) {
      std::int64_t n = ++attempts_[request[1]];
      co_return CallResult::reply(Term(n));
    }
    if (request.is_tagged(a("attempts"), 2)) {
      auto it = attempts_.find(request[1]);
      std::int64_t n = it == attempts_.end() ? 0 : it->second;
      co_return CallResult::reply(Term(n));
    }
    if (request.is_tagged(a("started"), 2)) {
      // The collector monitors the caller inside handle_call, so no exit
      // of a started instance goes unseen.
      Ref ref = co_await ctx.monitor(from.pid);
      refs_[ref.id] = request[1];
      cur_[request[1]] = from.pid;
      std::string line = "start " + fmt(request[1]);
      co_await proc_event(ctx, line);
      co_return CallResult::reply(Term(sa::ok()));
    }
    if (request.is_tagged(a("log"), 2)) {
      log_.emplace_back(0, std::string(request[1].string_value()));
      co_return CallResult::reply(Term(sa::ok()));
    }
    if (request.is_tagged(a("pid"), 2)) {
      auto it = cur_.find(request[1]);
      if (it == cur_.end()) co_return CallResult::reply(atom("nil"));
      co_return CallResult::reply(Term(it->second));
    }
    if (request.is_tagged(a("await"), 3)) {
      waiter_.emplace(from);
      waiter_target_ = mark_ + request[1].integer();
      waiter_sorted_ = request[2].is_atom("true");
      co_await check_waiter(ctx);
      co_return CallResult::noreply();
    }
    if (request.is_atom("dump")) {
      std::vector<Term> lines;
      for (const auto& [index, line] : log_) lines.push_back(Term::string(line));
      co_return CallResult::reply(sim::tuple(Term::list(std::move(lines)), Term(n_), Term(mark_)));
    }
    co_return CallResult::reply(sim::tuple(sa::error(), atom("bad_request")));
  }

  Task<HandleResult> handle_info(Ctx ctx, Term message) override {
    if (message.is_tagged(sa::down_tag(), 5)) {
      auto it = refs_.find(message[1].ref().id);
      if (it != refs_.end()) {
        Term id = it->second;
        refs_.erase(it);
        std::string line = "exit " + fmt(id) + " " + fmt(message[4]);
        co_await proc_event(ctx, line);
      }
    }
    co_return HandleResult::noreply();
  }

 private:
  Task<> proc_event(Ctx ctx, const std::string& line) {
    ++n_;
    log_.emplace_back(n_, line);
    co_await check_waiter(ctx);
  }

  Task<> check_waiter(Ctx ctx) {
    if (!waiter_ || n_ < waiter_target_) co_return;
    if (waiter_sorted_) sort_range(mark_ + 1, waiter_target_);
    From from = *waiter_;
    waiter_.reset();
    mark_ = waiter_target_;
    co_await core::otp::reply(ctx, from, Term(sa::ok()));
  }

  // Sorts the lines of process events lo..hi in place (their slots are kept).
  void sort_range(std::int64_t lo, std::int64_t hi) {
    std::vector<std::string> sorted;
    for (const auto& [index, line] : log_) {
      if (index >= lo && index <= hi) sorted.push_back(line);
    }
    std::sort(sorted.begin(), sorted.end());
    std::size_t next = 0;
    for (auto& [index, line] : log_) {
      if (index >= lo && index <= hi) line = sorted[next++];
    }
  }

  std::vector<std::pair<std::int64_t, std::string>> log_;  // {event number | 0 for call lines, line}
  std::int64_t n_ = 0;
  std::int64_t mark_ = 0;
  std::map<std::uint64_t, Term> refs_;  // monitor ref -> logical id
  std::map<Term, Pid> cur_;             // logical id -> latest started pid
  std::map<Term, std::int64_t> attempts_;
  std::optional<From> waiter_;
  std::int64_t waiter_target_ = 0;
  bool waiter_sorted_ = false;
};

// ---- Conf.Worker -----------------------------------------------------------

class ConfWorker final : public GenServer {
 public:
  explicit ConfWorker(W w) : w_(std::move(w)) {}

  Task<InitResult> init(Ctx ctx) override {
    if (w_.trap) ctx.trap_exit(true);
    ServerRef collector = collector_ref();
    Term n = co_await core::otp::call(ctx, collector, sim::tuple(a("attempt"), w_.id));
    switch (w_.init) {
      case W::Init::stop: co_return InitResult::stop(w_.init_reason);
      case W::Init::ignore: co_return InitResult::ignore();
      case W::Init::fail_from:
        if (n.integer() >= w_.fail_k) co_return InitResult::stop(w_.init_reason);
        break;
      case W::Init::normal: break;
    }
    (void)co_await core::otp::call(ctx, collector, sim::tuple(a("started"), w_.id));
    co_return InitResult::ok();
  }

  Task<CallResult> handle_call(Ctx ctx, Term request, From from) override {
    if (request.is_atom("ping")) co_return CallResult::reply(atom("pong"));
    if (request.is_atom("received")) co_return CallResult::reply(Term::list(received_));
    if (request.is_tagged(a("stop_noreply"), 2)) co_return CallResult::stop(request[1]);
    if (request.is_tagged(a("stop_reply"), 3)) co_return CallResult::stop(request[1], request[2]);
    if (request.is_tagged(a("sleep"), 2)) {
      co_await ctx.sleep(request[1].integer() * 1000);
      co_return CallResult::reply(atom("late"));
    }
    if (request.is_tagged(a("sleep"), 3)) {
      // first tells `notify` that the call is in progress
      co_await ctx.send(request[2].pid(), sim::tuple(a("sleeping"), ctx.self()));
      co_await ctx.sleep(request[1].integer() * 1000);
      co_return CallResult::reply(atom("late"));
    }
    co_return co_await GenServer::handle_call(ctx, request, from);
  }

  Task<HandleResult> handle_cast(Ctx, Term message) override {
    if (message.is_tagged(a("stop"), 2)) co_return HandleResult::stop(message[1]);
    co_return HandleResult::noreply();
  }

  Task<HandleResult> handle_info(Ctx, Term message) override {
    received_.push_back(message);
    co_return HandleResult::noreply();
  }

  Task<> terminate(Ctx ctx, Term) override {
    switch (w_.term) {
      case W::Terminate::sleep: co_await ctx.sleep(w_.term_sleep_ms * 1000); break;
      case W::Terminate::hang: (void)co_await ctx.receive([](const Term&) { return false; }); break;
      case W::Terminate::none: break;
    }
  }

 private:
  W w_;
  std::vector<Term> received_;
};

core::otp::ServerFactory worker_factory(const W& w) {
  return [w] { return std::make_unique<ConfWorker>(w); };
}

StartOptions worker_options(const W& w) { return StartOptions(w.name, w.id.atom().text()); }

Task<> report(Ctx ctx, Term id) {
  ServerRef collector = collector_ref();
  (void)co_await core::otp::call(ctx, collector, sim::tuple(a("attempt"), id));
  (void)co_await core::otp::call(ctx, collector, sim::tuple(a("started"), id));
}

SupervisorFlags sup_flags(const SupArgs& args) {
  return SupervisorFlags(args.strategy, args.max_restarts, args.max_seconds);
}

core::otp::dynamic_supervisor::Options dyn_options(const DynArgs& args) {
  return core::otp::dynamic_supervisor::Options(args.max_restarts, args.max_seconds, args.max_children);
}

}  // namespace

Task<Term> worker_start_link(Ctx ctx, W w) {
  co_return co_await core::otp::start_link(ctx, worker_factory(w), worker_options(w));
}

Task<Term> worker_start(Ctx ctx, W w) {
  co_return co_await core::otp::start(ctx, worker_factory(w), worker_options(w));
}

ChildSpec wspec(const W& w) {
  core::otp::StartFn start = [w](Ctx c) { return worker_start_link(c, w); };
  return ChildSpec::worker(w.id, std::move(start)).with_restart(w.restart).with_shutdown(w.shutdown);
}

Task<> report_started(Ctx ctx, Term id) {
  ServerRef collector = collector_ref();
  (void)co_await core::otp::call(ctx, collector, sim::tuple(a("started"), std::move(id)));
}

Task<Term> sup_start_link(Ctx ctx, const SupArgs& args) {
  co_return co_await core::otp::supervisor::start_link(ctx, sup_flags(args), args.children,
                                                       StartOptions(ServerName(), "top"));
}

ChildSpec sup_spec(const char* id, const SupArgs& args) {
  Term tid = atom(id);
  SupervisorFlags flags = sup_flags(args);
  flags.init_hook = [tid](Ctx c) { return report(c, tid); };
  std::vector<ChildSpec> children = args.children;
  core::otp::StartFn start = [flags, children, tid](Ctx c) {
    return core::otp::supervisor::start_link(c, flags, children, StartOptions(ServerName(), tid.atom().text()));
  };
  return ChildSpec::supervisor(tid, std::move(start)).with_restart(args.restart).with_shutdown(Shutdown::infinity());
}

Task<Term> dynsup_start_link(Ctx ctx, const DynArgs& args) {
  co_return co_await core::otp::dynamic_supervisor::start_link(ctx, dyn_options(args), StartOptions(ServerName(), "dyn"));
}

ChildSpec dynsup_spec(const char* id, const DynArgs& args) {
  Term tid = atom(id);
  auto options = dyn_options(args);
  options.init_hook = [tid](Ctx c) { return report(c, tid); };
  core::otp::StartFn start = [options, tid](Ctx c) {
    return core::otp::dynamic_supervisor::start_link(c, options, StartOptions(ServerName(), tid.atom().text()));
  };
  return ChildSpec::supervisor(tid, std::move(start)).with_shutdown(Shutdown::infinity());
}

// ---- Conf (driver helpers) ---------------------------------------------------

Task<Term> Conf::log(const char* label, Term result) {
  std::string line = std::string("call ") + label + " " + fmt(result);
  Term r = co_await core::otp::call(ctx_, ServerRef(collector_), sim::tuple(a("log"), Term::string(line)));
  if (!r.is(sa::ok())) {
    std::string message = "log failed";
    co_await fail(message);
  }
  co_return result;
}

Task<> Conf::await(std::int64_t k) { co_await do_await(k, false); }
Task<> Conf::await_sorted(std::int64_t k) { co_await do_await(k, true); }

Task<> Conf::do_await(std::int64_t k, bool sorted) {
  bool timed_out = false;
  Term why;
  try {
    (void)co_await core::otp::call(ctx_, ServerRef(collector_), sim::tuple(a("await"), k, boolean(sorted)),
                                   10'000'000);
  } catch (const sim::ExitException& e) {
    timed_out = true;
    why = e.reason;
  }
  if (timed_out) {
    std::string message = "await " + std::to_string(k) + " timed out (" + why.to_string() + ")";
    co_await fail(message);
  }
}

Task<Pid> Conf::pid(const char* id) {
  Term r = co_await core::otp::call(ctx_, ServerRef(collector_), sim::tuple(a("pid"), atom(id)));
  if (!r.is_pid()) {
    std::string message = std::string("no pid for ") + id;
    co_await fail(message);
  }
  co_return r.pid();
}

Task<> Conf::kill(const char* id) {
  Pid p = co_await pid(id);
  co_await ctx_.exit(p, Term(sa::kill()));
}

Task<> Conf::stop(const char* id, Term reason) {
  Pid p = co_await pid(id);
  co_await core::otp::cast(ctx_, ServerRef(p), sim::tuple(a("stop"), std::move(reason)));
}

Task<std::int64_t> Conf::attempts(const char* id) {
  Term r = co_await core::otp::call(ctx_, ServerRef(collector_), sim::tuple(a("attempts"), atom(id)));
  co_return r.integer();
}

Task<> Conf::track(const char* label, Pid pid) {
  Ref ref = co_await ctx_.monitor(pid);
  tracked_.push_back(Tracked{label, pid, ref});
  // :sys.get_state(pid): answered after the monitor request (same channel).
  (void)co_await core::otp::call(ctx_, ServerRef(pid), atom("$conf_get_state"), 5'000'000);
}

Task<> Conf::settle(Pid sup) {
  const Micros start_us = ctx_.now_us();
  for (;;) {
    Term children = co_await core::otp::supervisor::which_children(ctx_, ServerRef(sup));
    bool settled = true;
    for (const Term& c : children.elements()) {
      if (!c[1].is_pid()) continue;
      const bool alive = co_await ctx_.is_alive(c[1].pid());  // named first (docs/kernel.md, g++ 12)
      if (!alive) settled = false;
    }
    if (settled) co_return;
    co_await poll_tick(start_us);
  }
}

Task<> Conf::poll_tick(Micros start_us) {
  if (ctx_.now_us() - start_us > 5'000'000) {
    std::string message = "wait_until timed out";
    co_await fail(message);
  }
  co_await ctx_.sleep(2000);
}

Task<Pid> Conf::ok_pid(Term result) {
  if (!(result.is_tagged(sa::ok(), 2) && result[1].is_pid())) {
    std::string message = "expected {ok, Pid}, got " + fmt(result);
    co_await fail(message);
  }
  co_return result[1].pid();
}

// A synchronous request (:sys.get_state): an answer means alive; otherwise
// the reason comes from the driver's monitor.
Task<std::string> Conf::sup_status(std::size_t index) {
  const Tracked t = tracked_[index];
  bool alive = true;
  try {
    (void)co_await core::otp::call(ctx_, ServerRef(t.pid), atom("$conf_get_state"), 5'000'000);
  } catch (const sim::ExitException&) {
    alive = false;
  }
  if (alive) co_return "sup " + t.label + " alive";
  Ref ref = t.ref;
  auto is_down = [ref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(ref); };
  auto down = co_await ctx_.receive(is_down, 5'000'000);
  if (!down) {
    std::string message = "no DOWN for supervisor " + t.label;
    co_await fail(message);
  }
  co_return "sup " + t.label + " exit " + fmt((*down)[4]);
}

Task<> Conf::finish() {
  std::vector<std::string> sup_lines;
  for (std::size_t i = 0; i < tracked_.size(); ++i) sup_lines.push_back(co_await sup_status(i));
  // Sanity check: no event may arrive after the last await.
  co_await ctx_.sleep(50'000);
  Term dump = co_await core::otp::call(ctx_, ServerRef(collector_), atom("dump"));
  const std::int64_t n = dump[1].integer(), mark = dump[2].integer();
  if (n != mark) {
    std::string message = std::to_string(n - mark) + " unexpected event(s) after the last await";
    co_await fail(message);
  }
  out_->lines.clear();
  for (const Term& line : dump[0].elements()) out_->lines.emplace_back(line.string_value());
  for (std::string& line : sup_lines) out_->lines.push_back(std::move(line));
  out_->finished = true;
}

Task<> Conf::fail(const std::string& message) {
  out_->error = "FAIL: " + message;
  bool have_dump = true;
  Term dump;
  try {
    dump = co_await core::otp::call(ctx_, ServerRef(collector_), atom("dump"), 1'000'000);
  } catch (const sim::ExitException&) {
    have_dump = false;
  }
  if (have_dump) {
    for (const Term& line : dump[0].elements()) out_->log.emplace_back(line.string_value());
  }
  ctx_.exit(atom("conf_fail"));
}

// ---- the runner ----------------------------------------------------------------

namespace {

Proc driver_main(Ctx ctx, ScenarioFn fn, Outcome* out) {
  // Conf.init: the driver traps exits; the collector is started unlinked.
  ctx.trap_exit(true);
  core::otp::ServerFactory collector = [] { return std::make_unique<Collector>(); };
  Term started = co_await core::otp::start(ctx, collector, StartOptions(ServerName::local(collector_name()), "collector"));
  if (!started.is_tagged(sa::ok(), 2)) {
    out->error = "collector did not start: " + started.to_string();
    co_return;
  }
  Conf conf(ctx, started[1].pid(), out);
  std::string crash;
  try {
    co_await fn(ctx, conf);
  } catch (const sim::ExitException& e) {
    crash = e.reason.to_string();
  } catch (const std::exception& e) {
    crash = e.what();
  }
  if (!crash.empty() && out->error.empty()) out->error = "driver exited: " + crash;
  // Stay alive, as a script's main process does until it halts: the
  // supervisors it linked to are not torn down behind the output.
  (void)co_await ctx.receive([](const Term&) { return false; });
}

}  // namespace

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> v;
    add_supervisor_scenarios(v);
    add_dynamic_scenarios(v);
    add_misc_scenarios(v);
    std::sort(v.begin(), v.end(), [](const Scenario& x, const Scenario& y) { return x.name < y.name; });
    return v;
  }();
  return all;
}

const Scenario* find_scenario(std::string_view name) {
  for (const Scenario& s : all_scenarios()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Outcome run(const Scenario& scenario, std::uint64_t seed, sim::Delivery delivery) {
  sim::RandomStrategy strategy(seed);
  return run_with(scenario, strategy, delivery);
}

Outcome run_with(const Scenario& scenario, sim::Strategy& strategy, sim::Delivery delivery, std::string* trace) {
  Outcome out;
  sim::KernelConfig config;
  config.delivery = delivery;
  if (trace != nullptr) config.trace = sim::TraceLevel::full;
  sim::Kernel kernel(config, strategy);
  Outcome* po = &out;
  ScenarioFn fn = scenario.fn;
  kernel.spawn([po, fn](Ctx ctx) { return driver_main(ctx, fn, po); }, sim::SpawnOptions("driver"));
  sim::RunResult r = kernel.run();
  out.steps = r.steps;
  std::uint64_t h = 1469598103934665603ULL;
  for (const sim::Choice& c : kernel.choices()) {
    for (std::uint64_t v : {std::uint64_t(c.bound), c.pick}) {
      h ^= v;
      h *= 1099511628211ULL;
    }
  }
  out.schedule_hash = h;
  if (trace != nullptr) *trace = kernel.trace().text();
  if (!out.finished && out.error.empty()) {
    out.error = "driver did not finish: " + std::string(sim::outcome_name(r.outcome)) +
                (r.message.empty() ? "" : " (" + r.message + ")");
  }
  return out;
}

}  // namespace otpsim::conformance
