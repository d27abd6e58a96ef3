#include "scenarios/trio_programs.hpp"

#include <fmt/format.h>

#include <memory>

#include "core/tokens/facade.hpp"
#include "core/tokens/telemetry.hpp"
#include "sim/ctx.hpp"

namespace otpsim::scenarios {

using namespace otpsim::sim;
namespace tk = otpsim::core::tokens;

namespace {

/// One run's world: the environment, the trio, what the clients got, and
/// the events the trio emitted.
class TrioRun final : public Observer {
 public:
  TrioRun() : trio(tk::TrioConfig(), env) {}
  void on_event(Pid, const Term& e) override { events.push_back(e); }
  void on_spawn(Pid, Pid, const std::string& label) override {
    if (label.rfind("app:", 0) == 0) ++app_servers[label];
  }
  std::size_t count(std::string_view tag) const {
    std::size_t n = 0;
    for (const Term& e : events) n += e.is_tuple() && e.size() > 0 && e[0].is_atom(tag) ? 1 : 0;
    return n;
  }
  tk::Env env;
  tk::Trio trio;
  std::vector<Term> results;  // what each client got, in the order they finished
  std::vector<Term> events;
  std::map<std::string, int> app_servers;  // AppServer starts by label
  bool driver_done = false;
};

using Driver = Task<> (*)(Ctx ctx, TrioRun* run);
using Configure = void (*)(TrioRun& run);
using Check = std::optional<std::string> (*)(const TrioRun& run);

/// A client process: one get, its result recorded, then a note to the driver.
Task<> spawn_get(Ctx ctx, TrioRun* run, const char* app) {
  const Pid driver = ctx.self();
  auto body = [run, app, driver](Ctx c) -> Proc {
    run->results.push_back(co_await tk::facade::get(c, &run->trio, app));
    co_await c.send(driver, Term(Atom("client_done")));
  };
  (void)co_await ctx.spawn(body, SpawnOptions("client"));
}

/// Waits until `n` clients in all have returned.
Task<> wait_results(Ctx ctx, TrioRun* run, std::size_t n) {
  while (run->results.size() < n) (void)co_await ctx.receive([](const Term& m) { return m.is_atom("client_done"); });
}

Task<> kill_named(Ctx ctx, Atom name) {
  Pid pid = co_await ctx.whereis(name);
  if (pid) co_await ctx.exit(pid, Term(atoms::kill()));
  co_await ctx.sleep(1000);
}

/// The program: start the trio, run the driver, stop the trio.
KernelProgram program(std::string name, std::string description, Configure configure, Driver driver, Check check) {
  auto state = std::make_shared<std::unique_ptr<TrioRun>>();
  auto setup = [state, configure, driver](Kernel& k) {
    *state = std::make_unique<TrioRun>();
    TrioRun* run = state->get();
    configure(*run);
    k.set_observer(run);
    k.spawn([run, driver](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      Term started = co_await tk::start_link(ctx, &run->trio);
      if (!started.is_tagged(atoms::ok(), 2)) co_return;
      co_await driver(ctx, run);
      run->driver_done = true;
      Pid top = started[1].pid();
      co_await ctx.exit(top, Term(atoms::shutdown()));
      (void)co_await ctx.receive([top](const Term& m) { return m.is_tagged(atoms::exit_tag(), 3) && m[1] == Term(top); });
    }, SpawnOptions("driver"));
  };
  auto check_run = [state, check](Kernel& k) -> std::optional<std::string> {
    const TrioRun& run = **state;
    if (!run.driver_done) return std::string("the workload did not finish");
    if (k.processes_alive() != 0) return fmt::format("{} processes still alive after the trio stopped", k.processes_alive());
    return check(run);
  };
  return {{std::move(name), std::move(description), setup}, check_run};
}

Term ok_token(const char* token) { return tuple(atoms::ok(), Term::string(token)); }

std::optional<std::string> all_equal(const TrioRun& run, std::size_t n, const Term& expected) {
  if (run.results.size() != n) return fmt::format("{} of {} clients returned", run.results.size(), n);
  for (const Term& r : run.results) {
    if (r != expected) return fmt::format("a client got {}, expected {}", r.to_string(), expected.to_string());
  }
  return std::nullopt;
}

// Ten clients get one cold app at once: one AppServer, one CLI run, one token.
KernelProgram cold_gets() {
  return program(
      "trio/cold-gets", "ten concurrent cold gets of one app run the CLI once",
      [](TrioRun& run) { run.env.sim_cli.behaviour.latency_us = 1'000'000; },
      [](Ctx ctx, TrioRun* run) -> Task<> {
        for (int i = 0; i < 10; ++i) co_await spawn_get(ctx, run, "my-app");
        co_await wait_results(ctx, run, 10);
      },
      [](const TrioRun& run) -> std::optional<std::string> {
        if (run.env.sim_cli.runs != 1) return fmt::format("the CLI ran {} times", run.env.sim_cli.runs);
        if (run.app_servers.at("app:my-app") != 1) return std::string("more than one AppServer started");
        return all_equal(run, 10, ok_token("cli-my-app-1"));
      });
}

// An ETSOwner crash between two rounds of gets: the cache is rebuilt from storage.
KernelProgram ets_owner_crash() {
  return program(
      "trio/ets-owner-crash", "the cache owner crashes; gets recover from durable storage",
      [](TrioRun&) {},
      [](Ctx ctx, TrioRun* run) -> Task<> {
        co_await spawn_get(ctx, run, "a");
        co_await spawn_get(ctx, run, "b");
        co_await wait_results(ctx, run, 2);
        co_await ctx.sleep(1000);  // the async persists land
        co_await kill_named(ctx, run->trio.names().ets_owner);
        for (int i = 0; i < 2; ++i) {
          co_await spawn_get(ctx, run, "a");
          co_await spawn_get(ctx, run, "b");
        }
        co_await wait_results(ctx, run, 6);
      },
      [](const TrioRun& run) -> std::optional<std::string> {
        if (run.env.sim_cli.runs != 2) return fmt::format("the CLI ran {} times, expected once per app", run.env.sim_cli.runs);
        for (const Term& r : run.results) {
          if (!r.is_tagged(atoms::ok(), 2)) return fmt::format("a client got {}", r.to_string());
        }
        if (run.results.size() != 6) return fmt::format("{} of 6 clients returned", run.results.size());
        return std::nullopt;
      });
}

// One AppServer crashes: only it restarts, and it serves the cached row.
KernelProgram app_server_crash() {
  return program(
      "trio/app-server-crash", "one AppServer crashes; its sibling and the cache are untouched",
      [](TrioRun&) {},
      [](Ctx ctx, TrioRun* run) -> Task<> {
        co_await spawn_get(ctx, run, "a");
        co_await spawn_get(ctx, run, "b");
        co_await wait_results(ctx, run, 2);
        Pid a = co_await tk::whereis_app_server(ctx, &run->trio, "a");
        co_await ctx.exit(a, Term(atoms::kill()));
        co_await spawn_get(ctx, run, "a");
        co_await spawn_get(ctx, run, "b");
        co_await wait_results(ctx, run, 4);
      },
      [](const TrioRun& run) -> std::optional<std::string> {
        if (run.env.sim_cli.runs != 2) return fmt::format("the CLI ran {} times", run.env.sim_cli.runs);
        if (run.app_servers.at("app:b") != 1) return std::string("the sibling AppServer restarted");
        for (const Term& r : run.results) {
          if (!r.is_tagged(atoms::ok(), 2)) return fmt::format("a client got {}", r.to_string());
        }
        return std::nullopt;
      });
}

// The CLI hangs: the task is killed at cli_timeout and the manual token is used.
KernelProgram cli_hang() {
  return program(
      "trio/cli-hang", "a hanging CLI is killed at the timeout; the manual token is served",
      [](TrioRun& run) {
        run.env.sim_cli.behaviour.hang = true;
        (void)run.env.memory_storage.put("my-app", tk::StorageKey::manual, tk::StorageRecord("manual-tok", std::nullopt));
      },
      [](Ctx ctx, TrioRun* run) -> Task<> {
        co_await spawn_get(ctx, run, "my-app");
        co_await spawn_get(ctx, run, "my-app");
        co_await wait_results(ctx, run, 2);
      },
      [](const TrioRun& run) -> std::optional<std::string> {
        if (run.count("log") != 1) return fmt::format("{} warnings, expected one CLI timeout", run.count("log"));
        return all_equal(run, 2, ok_token("manual-tok"));
      });
}

}  // namespace

std::vector<KernelProgram> trio_programs() {
  return {app_server_crash(), cli_hang(), cold_gets(), ets_owner_crash()};
}

}  // namespace otpsim::scenarios
