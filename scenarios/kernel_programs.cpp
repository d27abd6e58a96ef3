#include "scenarios/kernel_programs.hpp"

#include <fmt/format.h>

#include "sim/ctx.hpp"

namespace otpsim::scenarios {

using namespace otpsim::sim;

namespace {

// Two processes bounce a counter 1000 times.
KernelProgram ping_pong() {
  auto setup = [](Kernel& k) {
    Pid pong = k.spawn([](Ctx ctx) -> Proc {
      for (;;) {
        auto m = co_await ctx.receive();
        if (m->is_atom("stop")) co_return;
        co_await ctx.send((*m)[0].pid(), (*m)[1]);
      }
    }, SpawnOptions{"pong"});
    k.spawn([pong](Ctx ctx) -> Proc {
      (void)co_await ctx.register_name(Atom("ping"), ctx.self());
      for (int i = 0; i < 1000; ++i) {
        co_await ctx.send(pong, tuple(ctx.self(), i));
        auto reply = co_await ctx.receive();
        if (reply->integer() != i) ctx.exit(atom("out_of_order"));
      }
      co_await ctx.send(pong, atom("stop"));
    }, SpawnOptions{"ping"});
  };
  auto check = [](Kernel& k) -> std::optional<std::string> {
    if (k.processes_alive() != 0) return fmt::format("{} processes still alive", k.processes_alive());
    return std::nullopt;
  };
  return {{"kernel/ping-pong", "two processes exchange 1000 messages", setup}, check};
}

// Three racers register one name; each loser reports to the winner, and the
// owner stops the winner at the end. Exactly one registration succeeds in
// every interleaving, because the winner lives until the owner kills it.
KernelProgram name_race() {
  auto setup = [](Kernel& k) {
    k.spawn([](Ctx ctx) -> Proc {
      auto table = co_await ctx.table_new(TableOptions{TableAccess::public_access, atom("wins")});
      for (int i = 0; i < 3; ++i) {
        co_await ctx.spawn([i, t = table.value](Ctx c) -> Proc {
          const bool won = co_await c.register_name(Atom("leader"), c.self());
          if (won) {
            (void)co_await c.insert(t, tuple(atom("winner"), i));
            for (;;) co_await c.receive();
          }
          Pid leader = co_await c.whereis(Atom("leader"));
          co_await c.send(leader, tuple(atom("lost"), i));
        }, SpawnOptions{fmt::format("racer{}", i)});
      }
      co_await ctx.sleep(5'000'000);
      Pid leader = co_await ctx.whereis(Atom("leader"));
      co_await ctx.exit(leader, atom("kill"));
    }, SpawnOptions{"owner"});
  };
  auto check = [](Kernel& k) -> std::optional<std::string> {
    int winners = 0;
    for (const TraceEvent& e : k.trace().events) {
      if (e.effect == EffectKind::register_name && e.detail.ends_with("-> yes")) ++winners;
    }
    if (winners != 1) return fmt::format("{} racers registered the name, expected exactly 1", winners);
    if (k.processes_alive() != 0) return fmt::format("{} processes still alive", k.processes_alive());
    return std::nullopt;
  };
  return {{"kernel/name-race", "three racers register one name; exactly one wins", setup}, check};
}

// A trapping parent links three workers; worker 1 crashes once; the parent
// restarts it on {'EXIT', Pid, Reason} and stops everything on a timer.
KernelProgram link_restart() {
  auto setup = [](Kernel& k) {
    k.spawn([](Ctx ctx) -> Proc {
      ctx.trap_exit(true);
      auto worker = [](Ctx c) -> Proc {
        if (c.choose(2) == 0) co_await c.sleep(1000);
        co_await c.receive();
      };
      auto crasher = [](Ctx c) -> Proc {
        co_await c.sleep(static_cast<Micros>(c.choose(3)) * 500);
        c.exit(atom("crashed"));
      };
      std::vector<Pid> workers;
      workers.push_back(co_await ctx.spawn_link(worker, SpawnOptions{"worker0"}));
      workers.push_back(co_await ctx.spawn_link(crasher, SpawnOptions{"worker1"}));
      workers.push_back(co_await ctx.spawn_link(worker, SpawnOptions{"worker2"}));
      co_await ctx.send_after(10'000, ctx.self(), atom("stop"));
      int restarts = 0;
      for (;;) {
        auto m = co_await ctx.receive();
        if (m->is_atom("stop")) break;
        if (m->is_tagged(atoms::exit_tag(), 3) && (*m)[1].pid() == workers[1] && restarts == 0) {
          ++restarts;
          workers[1] = co_await ctx.spawn_link(worker, SpawnOptions{"worker1"});
        }
      }
      for (Pid w : workers) co_await ctx.exit(w, atom("shutdown"));
      for (std::size_t i = 0; i < workers.size(); ++i) co_await ctx.receive();
      ctx.exit(tuple(atom("restarts"), restarts));
    }, SpawnOptions{"parent"});
  };
  auto check = [](Kernel& k) -> std::optional<std::string> {
    for (const TraceEvent& e : k.trace().events) {
      if (e.kind == TraceKind::exited && e.pid == Pid{1} && e.detail != "{restarts,1}") {
        return "parent ended with " + e.detail + ", expected {restarts,1}";
      }
    }
    if (k.processes_alive() != 0) return fmt::format("{} processes still alive", k.processes_alive());
    return std::nullopt;
  };
  return {{"kernel/link-restart", "a trapping parent restarts a crashed linked worker", setup}, check};
}

// Readers poll a public table whose owner dies at a chosen moment; a read
// of the vanished table must come back as a value (a miss), never a crash.
KernelProgram table_owner_dies() {
  auto setup = [](Kernel& k) {
    k.spawn([](Ctx ctx) -> Proc {
      auto t = co_await ctx.table_new();
      (void)co_await ctx.insert(t.value, tuple(atom("token"), Term::string("abc")));
      for (int i = 0; i < 2; ++i) {
        co_await ctx.spawn([tab = t.value](Ctx c) -> Proc {
          int misses = 0;
          for (int n = 0; n < 5; ++n) {
            auto row = co_await c.lookup(tab, atom("token"));
            if (row.status == TableStatus::no_table) ++misses;
            co_await c.sleep(100);
          }
          c.exit(tuple(atom("misses"), misses));
        }, SpawnOptions{fmt::format("reader{}", i)});
      }
      co_await ctx.sleep(static_cast<Micros>(ctx.choose(5)) * 100 + 50);
      ctx.exit(atom("owner_crashed"));
    }, SpawnOptions{"owner"});
  };
  auto check = [](Kernel& k) -> std::optional<std::string> {
    for (const TraceEvent& e : k.trace().events) {
      if (e.kind == TraceKind::exited && e.pid != Pid{1} && !e.detail.starts_with("{misses,")) {
        return fmt::format("reader {} crashed: {}", k.trace().pid_name(e.pid), e.detail);
      }
    }
    return std::nullopt;
  };
  return {{"kernel/table-owner-dies", "readers of a table whose owner crashes see misses", setup}, check};
}

// A call with monitor and timeout to a server that is sometimes too slow:
// the caller gets the reply or a timeout, and a late reply is flushed.
KernelProgram call_timeout() {
  auto setup = [](Kernel& k) {
    Pid server = k.spawn([](Ctx ctx) -> Proc {
      for (;;) {
        auto m = co_await ctx.receive();
        co_await ctx.sleep(static_cast<Micros>(ctx.choose(3)) * 600);  // 0, 600 or 1200 us
        co_await ctx.send((*m)[0].pid(), tuple((*m)[1], atom("pong")));
      }
    }, SpawnOptions{"server"});
    k.spawn([server](Ctx ctx) -> Proc {
      int replies = 0, timeouts = 0;
      for (int i = 0; i < 5; ++i) {
        Ref mref = co_await ctx.monitor(server);
        co_await ctx.send(server, tuple(ctx.self(), mref));
        auto r = co_await ctx.receive([mref](const Term& t) { return t.is_tuple() && t[0] == Term(mref); }, 1000);
        (void)co_await ctx.demonitor(mref, true);
        r ? ++replies : ++timeouts;
      }
      co_await ctx.sleep(5000);
      auto stray = co_await ctx.receive(0);  // late replies are tagged with old refs
      ctx.exit(tuple(atom("calls"), replies, timeouts, stray ? atom("late_reply") : atom("none")));
    }, SpawnOptions{"caller"});
  };
  auto check = [](Kernel& k) -> std::optional<std::string> {
    for (const TraceEvent& e : k.trace().events) {
      if (e.kind == TraceKind::exited && e.detail.starts_with("{calls,")) return std::nullopt;
    }
    return std::string("the caller did not finish its five calls");
  };
  return {{"kernel/call-timeout", "calls with monitor and timeout to a sometimes-slow server", setup}, check};
}

}  // namespace

const std::vector<KernelProgram>& kernel_programs() {
  static const std::vector<KernelProgram> programs = [] {
    std::vector<KernelProgram> v{call_timeout(), link_restart(), name_race(), ping_pong(), table_owner_dies()};
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.program.name < b.program.name; });
    return v;
  }();
  return programs;
}

const KernelProgram* find_kernel_program(std::string_view name) {
  for (const KernelProgram& p : kernel_programs()) {
    if (p.program.name == name) return &p;
  }
  return nullptr;
}

}  // namespace otpsim::scenarios
