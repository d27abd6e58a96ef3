// Model-based tests (rapidcheck's rc::state): a random list of commands
// (facade calls, tree faults, environment faults, time advances) runs
// against the simulated trio, and after each command a small model of the
// reference (docs/properties.md, "Model-based tests") predicts every
// result, its telemetry source, the CLI's run count, the cache table, the
// durable store, the AppServers alive and the simulated time. After each
// command the named properties are judged on the run's record too.
//
// Every command that runs processes carries its own schedule: a list of
// numbers that a sequence strategy (sim/sequence_strategy.hpp) answers the
// kernel's choices from while that command runs; past its end every answer
// is 0 (the first enabled step). rapidcheck shrinks a failure's command list
// and each command's schedule together, and a schedule stays with its
// command when other commands are shrunk away.
//
// A failure prints the shrunk command list (each with its schedule), the
// model's complaint, and the whole run's choice log as a replay token
// (program "rc/tokens-model"). The token records the schedule; replaying the
// case itself is rapidcheck's job: the failure report ends with a line
//   RC_PARAMS="reproduce=..."
// and running the same test with that in the environment runs exactly the
// shrunk case again (the build fixes the seed: meson.build).
//
//   ./build/core/core_tests --gtest_filter='TokensModel*'
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/detail/TestListenerAdapter.h>
#include <rapidcheck/state.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/tokens/properties.hpp"
#include "core/tokens/testing.hpp"
#include "sim/replay_token.hpp"
#include "sim/sequence_strategy.hpp"

namespace otpsim::core::tokens {
namespace {

using sim::Atom;
using sim::Proc;
using testing::TrioWorld;
namespace sa = sim::atoms;

constexpr Micros s = 1'000'000;
/// A short ttl, so that time advances (up to two ttls) cross it.
constexpr std::int64_t ttl_s = 60;
constexpr const char* token_program = "rc/tokens-model";

// ---------------------------------------------------------------------------
// The system under test: a trio stepped from outside, one command at a time.

/// Answers the kernel's choices from the schedule of the command running now.
class CommandSchedule final : public sim::Strategy {
 public:
  std::string_view name() const override { return "sequence"; }
  std::size_t pick(const sim::SchedulePoint& point) override { return current_.pick(point); }
  std::uint64_t choose(std::uint64_t bound) override { return current_.choose(bound); }
  void set(std::vector<std::uint64_t> values) { current_ = sim::SequenceStrategy(std::move(values)); }

 private:
  sim::SequenceStrategy current_{{}};
};

TrioConfig model_config(const Mutants& mutants) {
  TrioConfig c;
  c.knobs.ttl_s = ttl_s;
  c.knobs.soft_refresh_lead_s = 0;  // no soft expiry: the model has no timers
  c.mutants = mutants;
  return c;
}

class Sut {
 public:
  explicit Sut(const Mutants& mutants) {
    auto strategy = std::make_unique<CommandSchedule>();
    schedule = strategy.get();
    world = std::make_unique<TrioWorld>(model_config(mutants), std::move(strategy));
    started = world->start();
  }
  std::unique_ptr<TrioWorld> world;
  CommandSchedule* schedule = nullptr;
  sim::RunResult started;
  std::uint64_t clients = 0;  // client names are unique over the run

  /// The run so far as a replay token (its choice log).
  std::string token() const {
    sim::ReplayToken t;
    t.program = token_program;
    t.strategy = "sequence";
    t.steps = world->kernel.steps();
    t.steps_max = sim::RunLimits().steps_max;
    t.time_max_us = sim::RunLimits().time_max_us;
    for (const sim::Choice& c : world->kernel.choices()) t.picks.push_back(c.pick);
    return sim::encode_token(t);
  }
};

// ---------------------------------------------------------------------------
// The model.

struct Row {
  std::string token;
  std::int64_t expires_at_s = 0;
  friend bool operator==(const Row&, const Row&) = default;
};

struct AppModel {
  std::optional<Row> row;             // the cache table's row
  std::optional<Row> stored;          // durable storage, key cached
  std::optional<std::string> manual;  // durable storage, key manual
  bool server = false;                // an AppServer is up
};

enum class CliMode : std::uint8_t { works, exit_1, missing, empty_output };

struct Model {
  std::map<std::string, AppModel> apps{{"a", AppModel()}, {"b", AppModel()}};
  Micros now_us = 0;
  CliMode cli = CliMode::works;
  bool storage_get_fails = false;
  bool storage_put_fails = false;
  std::uint64_t cli_runs = 0;  // SimCli numbers its tokens by this
  std::vector<Micros> app_server_kills;  // DynamicSupervisor restarts
  std::vector<Micros> top_restarts;      // restarts the top supervisor made

  std::int64_t now_s() const { return now_us / s; }
  bool live(const std::optional<Row>& r) const { return r && r->expires_at_s > now_s(); }
  std::size_t recent(const std::vector<Micros>& times, Micros window_us) const {
    return static_cast<std::size_t>(
        std::count_if(times.begin(), times.end(), [&](Micros t) { return now_us - t < window_us; }));
  }
};

/// A facade call's answer as the model predicts it, or as it was seen.
struct Answer {
  std::string result;  // the term, printed
  std::string how;     // "source/acquirer" of the telemetry stop, "" without one
  bool operator==(const Answer&) const = default;
};

std::string shown(const Answer& a) { return a.how.empty() ? a.result : a.result + " " + a.how; }

std::string ok_token(const std::string& token) { return sim::tuple(sa::ok(), Term::string(token)).to_string(); }
std::string no_token() { return sim::tuple(sa::error(), Atom("no_token_available")).to_string(); }
std::string ok_atom() { return Term(sa::ok()).to_string(); }
std::string persist_failed() {
  return sim::tuple(sa::error(), sim::tuple(Atom("persist_failed"), sim::tuple(Atom("storage_error"), Atom("put"))))
      .to_string();
}

/// One run of the AppServer's resolution chain for `app` (the config file is
/// absent): storage, CLI, manual. Applies its effects; returns the answer
/// with the chain's source.
Answer chain(Model& m, const std::string& app) {
  AppModel& a = m.apps.at(app);
  a.server = true;
  if (!m.storage_get_fails && m.live(a.stored)) {
    a.row = a.stored;
    return {ok_token(a.stored->token), "storage/app_server"};
  }
  ++m.cli_runs;  // SimCli counts every run, failed or not
  if (m.cli == CliMode::works) {
    Row r{fmt::format("cli-{}-{}", app, m.cli_runs), m.now_s() + ttl_s};
    a.row = r;
    if (!m.storage_put_fails) a.stored = r;  // the async persist lands before the command ends
    return {ok_token(r.token), "cli/app_server"};
  }
  if (!m.storage_get_fails && a.manual) {
    a.row = Row{*a.manual, m.now_s() + ttl_s};  // a manual hit's row lives one ttl
    return {ok_token(*a.manual), "manual/app_server"};
  }
  return {no_token(), "none/app_server"};
}

// ---------------------------------------------------------------------------
// Running a command's processes and reading what they did.

struct CallSpec {
  std::string op;
  std::string app;
  std::string token;  // set_manual's
};

/// Fails the case with `what`, naming the command.
[[noreturn]] void fail(const std::string& command, const std::string& what) {
  throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Failure, command + ": " + what);
}

void expect_quiescent(const sim::RunResult& r, const std::string& command) {
  if (r.outcome != sim::Outcome::quiescent) {
    fail(command, fmt::format("the run did not settle: {} ({})", sim::outcome_name(r.outcome), r.message));
  }
}

/// Runs `calls` at once, each in its own client process started by a step
/// process that waits for all of them, under `schedule`; returns each
/// call's answer, in the order of `calls`.
std::vector<Answer> run_calls(Sut& sut, const std::vector<CallSpec>& calls, const std::vector<std::uint64_t>& schedule,
                              const std::string& command) {
  TrioWorld& w = *sut.world;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < calls.size(); ++i) names.push_back(fmt::format("c{}", ++sut.clients));
  const std::size_t first = w.record.calls.size();
  sut.schedule->set(schedule);
  sim::RunResult r = w.step([wp = &w, calls, names](Ctx ctx) -> Proc {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const CallSpec spec = calls[i];
      const std::string name = names[i];
      sim::ProcessFn client = [wp, spec, name](Ctx c) -> Proc {
        (void)co_await wp->call(c, name, spec.op, spec.app, spec.token);
      };
      sim::SpawnOptions options("client");
      auto [pid, ref] = co_await ctx.spawn_monitor(client, options);
      (void)pid;
      (void)ref;
    }
    auto is_down = [](const Term& m) { return m.is_tagged(sa::down_tag(), 5); };
    for (std::size_t i = 0; i < calls.size(); ++i) (void)co_await ctx.receive(is_down);
  });
  expect_quiescent(r, command);
  std::vector<Answer> out;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const ClientCall* call = nullptr;
    for (std::size_t j = first; j < w.record.calls.size(); ++j) {
      if (w.record.calls[j].client_name == names[i]) call = &w.record.calls[j];
    }
    if (call == nullptr) fail(command, fmt::format("client {} made no call", names[i]));
    if (call->exited) {
      fail(command, fmt::format("{} {} exited its client with {}", calls[i].op, calls[i].app,
                                call->exit_reason.to_string()));
    }
    Answer a{call->result.to_string(), ""};
    for (const RecordedEvent& e : w.record.events) {
      if (e.pid == call->client && telemetry::is_stop(e.term)) {
        a.how = e.term[4].to_string() + "/" + e.term[5].to_string();
      }
    }
    out.push_back(a);
  }
  return out;
}

/// Records a kill as the fault injector would (restart_scope judges it).
void note_kill(TrioWorld& w, Ctx ctx, const std::string& target, Pid victim) {
  FaultEvent f;
  f.fault_index = w.record.faults.size();
  f.name = "kill " + target;
  f.target = target;
  f.action = "kill";
  f.at_us = ctx.now_us();
  f.step = w.record.steps();
  f.applied = true;
  f.victim = victim;
  w.record.faults.push_back(f);
}

/// Kills the process registered as `name` (or app's AppServer when `app` is
/// set) from a step process; returns the victim (nil if there was none).
Pid kill(Sut& sut, std::optional<Atom> name, const std::string& app, const std::string& target,
         const std::vector<std::uint64_t>& schedule, const std::string& command) {
  TrioWorld& w = *sut.world;
  auto victim = std::make_shared<Pid>();
  sut.schedule->set(schedule);
  sim::RunResult r = w.step([wp = &w, name, app, target, victim](Ctx ctx) -> Proc {
    Pid p;
    if (name) {
      p = co_await ctx.whereis(*name);
    } else {
      p = co_await whereis_app_server(ctx, &wp->trio, app);
    }
    *victim = p;
    if (!p) co_return;
    note_kill(*wp, ctx, target, p);
    co_await ctx.exit(p, Term(sa::kill()));
  });
  expect_quiescent(r, command);
  return *victim;
}

/// The live processes labelled `label`.
std::size_t alive(const TrioWorld& w, std::string_view label) {
  std::size_t n = 0;
  for (const ProcessLife* l : w.record.lives(label)) n += l->alive() ? 1 : 0;
  return n;
}

std::string show_row(const std::optional<Row>& r) {
  return r ? fmt::format("{{{}, {}}}", r->token, r->expires_at_s) : std::string("none");
}

/// The properties judged after every command. liveness is left out: the
/// model predicts every get exactly, which says more, and liveness would
/// need the environment faults recorded as FaultEvents.
constexpr std::array<const char*, 9> judged = {
    "cli_coalesced",  "manual_token_durable", "no_client_crash", "no_expired_token", "one_live_app_server_per_app",
    "refresh_atomic", "resolve_agrees",       "restart_intensity", "restart_scope"};

/// The world after a command agrees with the model: time, CLI runs, cache
/// rows, durable storage, AppServers up; and the properties hold.
void check_world(const Model& m, const Sut& sut, const std::string& command) {
  const TrioWorld& w = *sut.world;
  if (w.kernel.now_us() != m.now_us) {
    fail(command, fmt::format("simulated time is {}, the model says {}", sim::format_time(w.kernel.now_us()),
                              sim::format_time(m.now_us)));
  }
  if (w.env.sim_cli.runs != m.cli_runs) {
    fail(command, fmt::format("the CLI ran {} times, the model says {}", w.env.sim_cli.runs, m.cli_runs));
  }
  for (const auto& [app, a] : m.apps) {
    std::optional<Row> row;
    if (auto t = w.cache_row(app)) row = Row{std::string((*t)[1].string_value()), (*t)[2].integer()};
    if (row != a.row) fail(command, fmt::format("{}'s cache row is {}, the model says {}", app, show_row(row), show_row(a.row)));
    std::optional<Row> stored;
    if (auto r = w.env.memory_storage.peek(app, StorageKey::cached)) stored = Row{r->token, r->expires_at_s.value_or(-1)};
    if (stored != a.stored) {
      fail(command, fmt::format("{}'s stored token is {}, the model says {}", app, show_row(stored), show_row(a.stored)));
    }
    std::optional<std::string> manual;
    if (auto r = w.env.memory_storage.peek(app, StorageKey::manual)) manual = r->token;
    if (manual != a.manual) {
      fail(command, fmt::format("{}'s manual token is {}, the model says {}", app, manual.value_or("none"),
                                a.manual.value_or("none")));
    }
    const std::size_t up = alive(w, "app:" + app);
    if (up != (a.server ? 1u : 0u)) {
      fail(command, fmt::format("{} AppServer(s) of {} alive, the model says {}", up, app, a.server ? 1 : 0));
    }
  }
  const PropertyContext ctx(w.record, w.trio, w.kernel, sim::Outcome::quiescent);
  for (const char* name : judged) {
    const Property* p = find_property(name);
    if (p == nullptr) fail(command, fmt::format("no property {}", name));
    if (auto v = p->check(ctx)) fail(command, fmt::format("property {}: {}", name, v->message));
  }
}

// ---------------------------------------------------------------------------
// The commands.

using Command = rc::state::Command<Model, Sut>;

std::string gen_app() { return *rc::gen::element<std::string>("a", "b"); }

/// A command's schedule: small numbers (each taken modulo the choices open).
std::vector<std::uint64_t> gen_schedule() {
  return *rc::gen::container<std::vector<std::uint64_t>>(rc::gen::inRange<std::uint64_t>(0, 8));
}

std::string show_schedule(const std::vector<std::uint64_t>& schedule) {
  return schedule.empty() ? std::string() : fmt::format(" schedule [{}]", fmt::join(schedule, " "));
}

/// A command that runs processes under its own schedule.
class Scheduled : public Command {
 public:
  Scheduled() : schedule(gen_schedule()) {}
  std::vector<std::uint64_t> schedule;
  void show(std::ostream& os) const override { os << text(); }
  virtual std::string text() const = 0;
};

class Get final : public Scheduled {
 public:
  explicit Get(const Model&) : app(gen_app()) {}
  std::string app;
  std::string text() const override { return "get " + app + show_schedule(schedule); }
  void apply(Model& m) const override { (void)predict(m); }
  Answer predict(Model& m) const {
    const AppModel& a = m.apps.at(app);
    if (m.live(a.row)) return {ok_token(a.row->token), "ets/facade"};
    return chain(m, app);
  }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    const Answer expected = predict(m);
    const std::vector<Answer> seen = run_calls(sut, {{"get", app, ""}}, schedule, text());
    if (seen[0] != expected) fail(text(), fmt::format("returned {}, the model says {}", shown(seen[0]), shown(expected)));
    check_world(m, sut, text());
  }
};

/// k gets of one app at once: the schedule decides who gets to the
/// AppServer first. A live row answers everyone; else one client runs the
/// chain and the others find its row (on the fast path or in the
/// AppServer's re-check), unless the chain found nothing, when each runs it.
class ConcurrentGets final : public Scheduled {
 public:
  explicit ConcurrentGets(const Model&) : app(gen_app()), k(*rc::gen::inRange(2, 4)) {}
  std::string app;
  int k;
  std::string text() const override { return fmt::format("{} concurrent gets {}", k, app) + show_schedule(schedule); }
  /// The answer every client gets, the source of the one that ran the
  /// chain (empty if none did), and how many ran it.
  struct Prediction {
    Answer answer;
    int chains = 0;
  };
  Prediction predict(Model& m) const {
    const AppModel& a = m.apps.at(app);
    if (m.live(a.row)) return {{ok_token(a.row->token), "ets/facade"}, 0};
    Answer first = chain(m, app);
    if (first.result != no_token()) return {first, 1};
    for (int i = 1; i < k; ++i) (void)chain(m, app);
    return {first, k};
  }
  void apply(Model& m) const override { (void)predict(m); }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    const Prediction p = predict(m);
    std::vector<CallSpec> calls(static_cast<std::size_t>(k), CallSpec{"get", app, ""});
    const std::vector<Answer> seen = run_calls(sut, calls, schedule, text());
    int chain_answers = 0;
    for (const Answer& a : seen) {
      if (a.result != p.answer.result) {
        fail(text(), fmt::format("a client got {}, the model says every client gets {}", shown(a), shown(p.answer)));
      }
      if (a.how == p.answer.how && p.chains > 0) {
        ++chain_answers;
      } else if (a.how != "ets/facade" && a.how != "ets/app_server") {
        fail(text(), fmt::format("a client got {} from {}, the model says {} (from the chain, {} of {}) or ets",
                                  a.result, a.how, p.answer.how, p.chains, k));
      }
    }
    if (chain_answers != p.chains) {
      fail(text(), fmt::format("{} clients were answered by the chain ({}), the model says {}", chain_answers,
                                p.answer.how, p.chains));
    }
    check_world(m, sut, text());
  }
};

class Refresh final : public Scheduled {
 public:
  explicit Refresh(const Model&) : app(gen_app()) {}
  std::string app;
  std::string text() const override { return "refresh " + app + show_schedule(schedule); }
  Answer predict(Model& m) const {
    m.apps.at(app).row.reset();  // deleted, then the chain runs, in one call
    return chain(m, app);
  }
  void apply(Model& m) const override { (void)predict(m); }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    const Answer expected = predict(m);
    const std::vector<Answer> seen = run_calls(sut, {{"refresh", app, ""}}, schedule, text());
    if (seen[0] != expected) fail(text(), fmt::format("returned {}, the model says {}", shown(seen[0]), shown(expected)));
    check_world(m, sut, text());
  }
};

/// A refresh with k gets of the same app at once, while the app has a live
/// row and the chain will find a token. The refresh's answer is exact; each
/// get sees the old row (before the refresh deleted it) or the new one (on
/// the fast path, or queued behind the refresh in the AppServer).
class RefreshWithGets final : public Scheduled {
 public:
  explicit RefreshWithGets(const Model& m0) : app(gen_app()), k(*rc::gen::inRange(1, 3)) { checkPreconditions(m0); }
  void checkPreconditions(const Model& m0) const override {
    Model m = m0;
    RC_PRE(m.live(m.apps.at(app).row));
    RC_PRE(predict(m).result != no_token());
  }
  std::string app;
  int k;
  std::string text() const override {
    return fmt::format("refresh {} with {} concurrent get(s)", app, k) + show_schedule(schedule);
  }
  Answer predict(Model& m) const {
    m.apps.at(app).row.reset();
    return chain(m, app);
  }
  void apply(Model& m) const override { (void)predict(m); }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    if (!m.apps.at(app).row) fail(text(), "run without its precondition (a live row)");
    const std::string old_token = ok_token(m.apps.at(app).row->token);
    const Answer expected = predict(m);
    std::vector<CallSpec> calls{{"refresh", app, ""}};
    for (int i = 0; i < k; ++i) calls.push_back({"get", app, ""});
    const std::vector<Answer> seen = run_calls(sut, calls, schedule, text());
    if (seen[0] != expected) {
      fail(text(), fmt::format("the refresh returned {}, the model says {}", shown(seen[0]), shown(expected)));
    }
    for (std::size_t i = 1; i < seen.size(); ++i) {
      const bool token_ok = seen[i].result == old_token || seen[i].result == expected.result;
      const bool how_ok = seen[i].how == "ets/facade" || seen[i].how == "ets/app_server";
      if (!token_ok || !how_ok) {
        fail(text(), fmt::format("a get returned {}, the model says {} or {}, from ets", shown(seen[i]), old_token,
                                  expected.result));
      }
    }
    check_world(m, sut, text());
  }
};

/// Deletes the row through the AppServer; with no AppServer up (after a
/// DynamicSupervisor restart) it starts none and the row stays.
class Invalidate final : public Scheduled {
 public:
  explicit Invalidate(const Model&) : app(gen_app()) {}
  std::string app;
  std::string text() const override { return "invalidate " + app + show_schedule(schedule); }
  void apply(Model& m) const override {
    AppModel& a = m.apps.at(app);
    if (a.server) a.row.reset();
  }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    apply(m);
    const std::vector<Answer> seen = run_calls(sut, {{"invalidate", app, ""}}, schedule, text());
    if (seen[0].result != ok_atom()) fail(text(), fmt::format("returned {}, the model says ok", seen[0].result));
    check_world(m, sut, text());
  }
};

class SetManual final : public Scheduled {
 public:
  explicit SetManual(const Model&) : app(gen_app()), token(*rc::gen::element<std::string>("m1", "m2")) {}
  std::string app;
  std::string token;
  std::string text() const override { return fmt::format("set_manual {} {}", app, token) + show_schedule(schedule); }
  std::string predict(Model& m) const {
    AppModel& a = m.apps.at(app);
    a.server = true;
    if (m.storage_put_fails) return persist_failed();
    a.manual = token;
    return ok_atom();
  }
  void apply(Model& m) const override { (void)predict(m); }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    const std::string expected = predict(m);
    const std::vector<Answer> seen = run_calls(sut, {{"set_manual", app, token}}, schedule, text());
    if (seen[0].result != expected) fail(text(), fmt::format("returned {}, the model says {}", seen[0].result, expected));
    check_world(m, sut, text());
  }
};

/// Kills an AppServer that is up. The DynamicSupervisor restarts it with the
/// same arguments; the cache keeps its row. (Within the DynamicSupervisor's
/// intensity: fewer than 20 kills in the last 61 s.)
class KillAppServer final : public Scheduled {
 public:
  explicit KillAppServer(const Model& m) : app(gen_app()) { checkPreconditions(m); }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.apps.at(app).server);
    RC_PRE(m.recent(m.app_server_kills, 61 * s) < 20);
  }
  std::string app;
  std::string text() const override { return "kill the AppServer of " + app + show_schedule(schedule); }
  void apply(Model& m) const override { m.app_server_kills.push_back(m.now_us); }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    apply(m);
    const Pid victim = kill(sut, std::nullopt, app, "app:" + app, schedule, text());
    if (!victim) fail(text(), "no AppServer was registered, the model says one is up");
    check_world(m, sut, text());
  }
};

/// Kills a child of the top supervisor (within its intensity: fewer than 3
/// such kills in the last 6 s). ETSOwner: the table and every AppServer go,
/// storage stays. DynamicSupervisor: every AppServer goes, the rows stay.
class KillTreeChild final : public Scheduled {
 public:
  explicit KillTreeChild(const Model& m) : ets_owner(*rc::gen::arbitrary<bool>()) { checkPreconditions(m); }
  void checkPreconditions(const Model& m) const override { RC_PRE(m.recent(m.top_restarts, 6 * s) < 3); }
  bool ets_owner;
  std::string text() const override {
    return std::string(ets_owner ? "kill the ETSOwner" : "kill the DynamicSupervisor") + show_schedule(schedule);
  }
  void apply(Model& m) const override {
    m.top_restarts.push_back(m.now_us);
    for (auto& [app, a] : m.apps) {
      a.server = false;
      if (ets_owner) a.row.reset();
    }
  }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    apply(m);
    const Names& names = sut.world->trio.names();
    const Pid victim = kill(sut, ets_owner ? names.ets_owner : names.dyn_sup, "", ets_owner ? "ets_owner" : "dyn_sup",
                            schedule, text());
    if (!victim) fail(text(), "the process was not registered");
    check_world(m, sut, text());
  }
};

/// The CLI starts failing (exit 1, missing, empty output: all instant) or works again.
class SetCli final : public Command {
 public:
  explicit SetCli(const Model&)
      : mode(*rc::gen::element(CliMode::works, CliMode::exit_1, CliMode::missing, CliMode::empty_output)) {}
  CliMode mode;
  void show(std::ostream& os) const override {
    const char* names[] = {"works", "exits 1", "is missing", "prints nothing"};
    os << "the CLI " << names[static_cast<int>(mode)];
  }
  void apply(Model& m) const override { m.cli = mode; }
  void run(const Model&, Sut& sut) const override {
    CliBehaviour& b = sut.world->env.sim_cli.behaviour;
    b = CliBehaviour();
    if (mode == CliMode::exit_1) b.exit_code = 1;
    if (mode == CliMode::missing) b.missing = true;
    if (mode == CliMode::empty_output) b.output = "  \n";
  }
};

/// Storage reads and/or writes start failing, or work again.
class SetStorage final : public Command {
 public:
  explicit SetStorage(const Model&) : get_fails(*rc::gen::arbitrary<bool>()), put_fails(*rc::gen::arbitrary<bool>()) {}
  bool get_fails, put_fails;
  void show(std::ostream& os) const override {
    os << "storage: reads " << (get_fails ? "fail" : "work") << ", writes " << (put_fails ? "fail" : "work");
  }
  void apply(Model& m) const override {
    m.storage_get_fails = get_fails;
    m.storage_put_fails = put_fails;
  }
  void run(const Model&, Sut& sut) const override {
    sut.world->env.memory_storage.faults.fail_get = get_fails;
    sut.world->env.memory_storage.faults.fail_put = put_fails;
  }
};

/// Simulated time moves on (a process sleeps); rows may expire.
class AdvanceTime final : public Command {
 public:
  explicit AdvanceTime(const Model&) : seconds(*rc::gen::inRange(1, 2 * static_cast<int>(ttl_s) + 1)) {}
  int seconds;
  void show(std::ostream& os) const override { os << "advance " << seconds << " s"; }
  void apply(Model& m) const override { m.now_us += seconds * s; }
  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    apply(m);
    const Micros us = seconds * s;
    const std::string label = fmt::format("advance {} s", seconds);
    expect_quiescent(sut.world->step([us](Ctx ctx) -> Proc { co_await ctx.sleep(us); }), label);
    check_world(m, sut, label);
  }
};

// ---------------------------------------------------------------------------
// The property, and running it.

/// What the last failing case showed (the shrunk counterexample is the last
/// failing case run, since rapidcheck keeps every failing shrink).
struct Failure {
  std::size_t commands = 0;
  std::size_t schedule_entries = 0;
  std::string message;
  std::string token;
};
Failure last_failure;

void model_property(const Mutants& mutants) {
  const auto commands = *rc::state::gen::commands(
      Model(), rc::state::gen::execOneOfWithArgs<Get, Get, ConcurrentGets, ConcurrentGets, Refresh, RefreshWithGets,
                                                 Invalidate, SetManual, KillAppServer, KillTreeChild, SetCli,
                                                 SetStorage, AdvanceTime>());
  Sut sut(mutants);
  expect_quiescent(sut.started, "starting the trio");
  if (!sut.world->top) RC_FAIL("the trio did not start: " + sut.world->start_result.to_string());
  try {
    rc::state::runAll(commands, Model(), sut);
  } catch (const rc::detail::CaseResult& r) {
    if (r.type != rc::detail::CaseResult::Type::Failure) throw;
    last_failure = Failure();
    last_failure.commands = commands.size();
    for (const auto& c : commands) {
      if (auto* sc = dynamic_cast<const Scheduled*>(c.get())) last_failure.schedule_entries += sc->schedule.size();
    }
    last_failure.message = r.description;
    last_failure.token = sut.token();
    throw rc::detail::CaseResult(
        rc::detail::CaseResult::Type::Failure,
        fmt::format("{}\nreplay token (the run's choice log; rapidcheck's RC_PARAMS reproduce line replays the case):\n{}",
                    r.description, last_failure.token));
  }
}

// Seed, max_success and max_size come from RC_PARAMS (the build fixes the
// seed); a failure prints the RC_PARAMS="reproduce=..." line at exit.
RC_GTEST_PROP(TokensModel, the_reference_matches_the_model, ()) { model_property(Mutants()); }

std::string indent(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out += "  " + line + "\n";
  }
  return out;
}

/// The model test with `mutant` on must fail, and shrink to at most four
/// commands. A fixed seed, so the verdict is a function of
/// the code (whatever RC_PARAMS says); the expected failure is printed as
/// such and left out of rapidcheck's end-of-run reproduce summary.
void expect_caught(Mutant mutant) {
  rc::detail::TestParams params;
  params.seed = 20261124;
  params.maxSuccess = 500;
  params.maxSize = 100;
  rc::detail::TestListenerAdapter quiet;
  last_failure = Failure();
  const Mutants mutants = Mutants().enable(mutant);
  rc::detail::TestMetadata metadata;  // no id: RC_PARAMS reproduce lines do not apply to it
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([mutants] { model_property(mutants); }),
                                                metadata, params, quiet, {});
  const std::string name(mutant_name(mutant));
  rc::detail::FailureResult failure;
  ASSERT_TRUE(result.match(failure)) << name << ": the model test did not catch the mutant";
  std::cout << "[expected] mutant " << name << " caught after " << failure.numSuccess
            << " passing cases; shrunk to " << last_failure.commands << " command(s), "
            << last_failure.schedule_entries << " schedule entries:\n";
  for (const auto& [type, value] : failure.counterExample) std::cout << indent(value);
  std::cout << indent(failure.description);
  EXPECT_LE(last_failure.commands, 4u) << name;
}

TEST(TokensModel, catches_no_already_started_branch) { expect_caught(Mutant::no_already_started_branch); }
TEST(TokensModel, catches_refresh_not_atomic) { expect_caught(Mutant::refresh_not_atomic); }
TEST(TokensModel, catches_no_mailbox_recheck) { expect_caught(Mutant::no_mailbox_recheck); }
TEST(TokensModel, catches_async_set_manual) { expect_caught(Mutant::async_set_manual); }
TEST(TokensModel, catches_cache_ignores_expiry) { expect_caught(Mutant::cache_ignores_expiry); }
TEST(TokensModel, catches_ets_owned_by_app_server) { expect_caught(Mutant::ets_owned_by_app_server); }
TEST(TokensModel, catches_top_one_for_one) { expect_caught(Mutant::top_one_for_one); }

}  // namespace
}  // namespace otpsim::core::tokens
