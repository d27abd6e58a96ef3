// The as_reg / as_srv / as_gs programs (see dpor_programs.hpp), one
// coroutine per Erlang function, in the .erl files' order of effects.
//
// g++ 12 (sim/ctx.hpp): every process body is a free coroutine function
// whose arguments are copied into its frame; the lambdas handed to spawn
// only forward to it and capture trivially copyable values (Pid, Ref,
// enums, a pointer). Receive matchers capture Pid and Ref only.
#include "bench/dpor_programs.hpp"

#include <map>
#include <memory>
#include <vector>

#include "core/otp/gen_server.hpp"
#include "sim/ctx.hpp"

namespace otpsim::bench {
namespace {

namespace otp = otpsim::core::otp;
using sim::Atom;
using sim::Ctx;
using sim::Pid;
using sim::Proc;
using sim::Ref;
using sim::Task;
using sim::Term;
using sim::tuple;
namespace sa = sim::atoms;

Atom a_result() { static const Atom a("result"); return a; }
Atom a_stop() { static const Atom a("stop"); return a; }
Atom a_call() { static const Atom a("call"); return a; }
Atom a_lookup() { static const Atom a("lookup"); return a; }
Atom a_register() { static const Atom a("register"); return a; }
Atom a_already_started() { static const Atom a("already_started"); return a; }
Atom a_badmatch() { static const Atom a("badmatch"); return a; }
/// -define(NAME, ...) of the three modules.
Atom reg_name() { static const Atom a("as_reg_worker"); return a; }
Atom srv_name() { static const Atom a("worker"); return a; }

Term ok_pid(Pid pid) { return tuple(sa::ok(), pid); }
Term pid_or_undefined(Pid pid) { return pid ? Term(pid) : Term(sa::undefined()); }

/// maps:find(Name, Map).
Term map_find(const std::map<Term, Pid>& map, const Term& name) {
  auto it = map.find(name);
  return it == map.end() ? Term(sa::error()) : ok_pid(it->second);
}

/// worker_loop() -> receive stop -> ok end.
Task<> worker_loop(Ctx ctx) {
  (void)co_await ctx.receive([](const Term& m) { return m.is(a_stop()); });
}

/// receive {Ref, Result} -> Result end.
Task<Term> receive_reply(Ctx ctx, Ref ref) {
  auto m = co_await ctx.receive([ref](const Term& t) { return t.is_tuple() && t.size() == 2 && t[0] == Term(ref); });
  co_return (*m)[1];
}

// ---- as_reg: the kernel's name table ----

/// worker_init(Parent, Ref): try register(?NAME, self()) ... catch badarg.
Proc reg_worker(Ctx ctx, Pid parent, Ref ref) {
  const bool registered = co_await ctx.register_name(reg_name(), ctx.self());
  if (registered) {
    co_await ctx.send(parent, tuple(ref, ok_pid(ctx.self())));
    co_await worker_loop(ctx);
  } else {
    Pid holder = co_await ctx.whereis(reg_name());
    co_await ctx.send(parent, tuple(ref, tuple(sa::error(), tuple(a_already_started(), pid_or_undefined(holder)))));
  }
}

// ---- as_srv: a registry process ----

/// reg_loop(Map).
Proc srv_registry(Ctx ctx) {
  std::map<Term, Pid> map;
  for (;;) {
    auto m = co_await ctx.receive([](const Term& t) { return t.is_tagged(a_call(), 4); });
    const Pid from = (*m)[1].pid();
    const Term ref = (*m)[2];
    const Term request = (*m)[3];
    if (request.is_tagged(a_lookup(), 2)) {
      co_await ctx.send(from, tuple(ref, map_find(map, request[1])));
    } else if (request.is_tagged(a_register(), 3)) {
      auto it = map.find(request[1]);
      if (it != map.end()) {
        co_await ctx.send(from, tuple(ref, tuple(sa::error(), tuple(a_already_started(), it->second))));
      } else {
        co_await ctx.send(from, tuple(ref, Term(sa::ok())));
        map.emplace(request[1], request[2].pid());
      }
    } else if (request.is(a_stop())) {
      co_await ctx.send(from, tuple(ref, Term(sa::ok())));
      co_return;
    }
  }
}

/// call(Reg, Req): Reg ! {call, self(), Ref, Req}, receive {Ref, Reply}.
Task<Term> srv_call(Ctx ctx, Pid reg, Term request) {
  const Ref ref = ctx.make_ref();
  co_await ctx.send(reg, tuple(a_call(), ctx.self(), ref, std::move(request)));
  co_return co_await receive_reply(ctx, ref);
}

// ---- as_gs: the registry as a gen_server ----

class GsRegistry final : public otp::GenServer {
 public:
  Task<otp::CallResult> handle_call(Ctx, Term request, otp::From) override {
    if (request.is_tagged(a_lookup(), 2)) co_return otp::CallResult::reply(map_find(map_, request[1]));
    auto it = map_.find(request[1]);
    if (it != map_.end()) {
      co_return otp::CallResult::reply(tuple(sa::error(), tuple(a_already_started(), it->second)));
    }
    map_.emplace(request[1], request[2].pid());
    co_return otp::CallResult::reply(Term(sa::ok()));
  }

 private:
  std::map<Term, Pid> map_;
};

Task<Term> gs_call(Ctx ctx, Pid reg, Term request) {
  co_return co_await otp::call(ctx, otp::ServerRef(reg), std::move(request), sim::infinity_us);
}

// ---- shared by as_srv and as_gs ----

Task<Term> registry_call(Ctx ctx, DporProgram program, Pid reg, Term request) {
  if (program == DporProgram::as_gs) co_return co_await gs_call(ctx, reg, std::move(request));
  co_return co_await srv_call(ctx, reg, std::move(request));
}

/// worker_init(Reg, Parent, Ref).
Proc call_worker(Ctx ctx, DporProgram program, Pid reg, Pid parent, Ref ref) {
  Term r = co_await registry_call(ctx, program, reg, tuple(a_register(), srv_name(), ctx.self()));
  if (r.is(sa::ok())) {
    co_await ctx.send(parent, tuple(ref, ok_pid(ctx.self())));
    co_await worker_loop(ctx);
  } else {
    co_await ctx.send(parent, tuple(ref, std::move(r)));
  }
}

// ---- the clients and main, for all three ----

/// start_worker(...): spawn the worker, receive {Ref, Result}.
Task<Term> start_worker(Ctx ctx, DporProgram program, Pid reg) {
  const Pid parent = ctx.self();
  const Ref ref = ctx.make_ref();
  if (program == DporProgram::as_reg) {
    auto body = [parent, ref](Ctx c) -> Proc { return reg_worker(c, parent, ref); };
    (void)co_await ctx.spawn(body);
  } else {
    auto body = [program, reg, parent, ref](Ctx c) -> Proc { return call_worker(c, program, reg, parent, ref); };
    (void)co_await ctx.spawn(body);
  }
  co_return co_await receive_reply(ctx, ref);
}

/// client(...): lookup; on a miss start a worker. `path` notes which way it went.
Task<Term> client(Ctx ctx, DporProgram program, DporMode mode, Pid reg, char* path) {
  Term found;
  if (program == DporProgram::as_reg) {
    Pid w = co_await ctx.whereis(reg_name());
    found = w ? ok_pid(w) : Term(sa::error());  // undefined -> the miss branch
  } else {
    found = co_await registry_call(ctx, program, reg, tuple(a_lookup(), srv_name()));
  }
  if (found.is_tagged(sa::ok(), 2)) {
    *path = 'h';
    co_return found;
  }
  Term r = co_await start_worker(ctx, program, reg);
  *path = r.is_tagged(sa::ok(), 2) ? 's' : 'a';
  if (r.is_tagged(sa::ok(), 2)) co_return r;
  if (mode == DporMode::fixed && r.is_tagged(sa::error(), 2) && r[1].is_tagged(a_already_started(), 2)) {
    co_return tuple(sa::ok(), r[1][1]);
  }
  co_return r;
}

/// fun() -> Self ! {result, self(), client(...)} end.
Proc client_proc(Ctx ctx, Pid main, DporProgram program, DporMode mode, Pid reg, char* path) {
  Term r = co_await client(ctx, program, mode, reg, path);
  co_await ctx.send(main, tuple(a_result(), ctx.self(), std::move(r)));
}

/// run(N, Mode).
Proc main_proc(Ctx ctx, DporProgram program, DporMode mode, int n, RunRecord* record) {
  const Pid self = ctx.self();
  Pid reg;
  if (program == DporProgram::as_srv) {
    auto body = [](Ctx c) -> Proc { return srv_registry(c); };
    reg = co_await ctx.spawn(body);
  } else if (program == DporProgram::as_gs) {
    otp::ServerFactory factory = [] { return std::make_unique<GsRegistry>(); };
    otp::StartOptions options;  // named: no class temporaries in a co_await expression (sim/ctx.hpp)
    Term started = co_await otp::start(ctx, factory, options);
    if (!started.is_tagged(sa::ok(), 2)) ctx.exit(tuple(a_badmatch(), started));
    reg = started[1].pid();
  }
  std::vector<Pid> clients;
  record->paths.assign(static_cast<std::size_t>(n), '.');
  for (int i = 0; i < n; ++i) {
    char* path = &record->paths[static_cast<std::size_t>(i)];
    auto body = [self, program, mode, reg, path](Ctx c) -> Proc { return client_proc(c, self, program, mode, reg, path); };
    clients.push_back(co_await ctx.spawn(body));
  }
  std::vector<Term> results;
  for (const Pid c : clients) {
    auto m = co_await ctx.receive([c](const Term& t) { return t.is_tagged(a_result(), 3) && t[1] == Term(c); });
    results.push_back((*m)[2]);
  }
  // Cleanup: find W, stop it and wait for its DOWN, stop the registry.
  Pid w;
  if (program == DporProgram::as_reg) {
    w = co_await ctx.whereis(reg_name());
  } else {
    Term found = co_await registry_call(ctx, program, reg, tuple(a_lookup(), srv_name()));
    if (!found.is_tagged(sa::ok(), 2)) {
      record->failed = true;
      record->why = "cleanup lookup: " + found.to_string();
      ctx.exit(tuple(a_badmatch(), found));
    }
    w = found[1].pid();
  }
  if (!w) {  // monitor(process, undefined) is badarg in Erlang
    record->failed = true;
    record->why = "cleanup: no worker registered";
    ctx.exit(Term(sa::badarg()));
  }
  const Ref mref = co_await ctx.monitor(w);
  co_await ctx.send(w, Term(a_stop()));
  (void)co_await ctx.receive(
      [mref](const Term& t) { return t.is_tagged(sa::down_tag(), 5) && t[1] == Term(mref); });
  if (program == DporProgram::as_srv) {
    Term r = co_await srv_call(ctx, reg, Term(a_stop()));
    if (!r.is(sa::ok())) ctx.exit(tuple(a_badmatch(), r));
  } else if (program == DporProgram::as_gs) {
    co_await otp::stop(ctx, otp::ServerRef(reg), Term(sa::normal()));
  }
  // Expected = lists:duplicate(N, {ok, W}), Expected = Results.
  const Term expected = ok_pid(w);
  for (const Term& r : results) {
    if (!(r == expected)) {
      record->failed = true;
      std::string text;
      for (const Term& x : results) text += (text.empty() ? "" : ",") + x.to_string();
      record->why = "results [" + text + "], expected all " + expected.to_string();
      ctx.exit(tuple(a_badmatch(), sim::Term::list(results)));
    }
  }
  record->done = true;
}

}  // namespace

std::string_view program_name(DporProgram program) {
  switch (program) {
    case DporProgram::as_reg: return "as_reg";
    case DporProgram::as_srv: return "as_srv";
    case DporProgram::as_gs: return "as_gs";
  }
  return "?";
}

std::optional<DporProgram> program_from_name(std::string_view name) {
  for (auto p : {DporProgram::as_reg, DporProgram::as_srv, DporProgram::as_gs}) {
    if (program_name(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view mode_name(DporMode mode) { return mode == DporMode::fixed ? "fixed" : "buggy"; }

std::optional<DporMode> mode_from_name(std::string_view name) {
  if (name == "fixed") return DporMode::fixed;
  if (name == "buggy") return DporMode::buggy;
  return std::nullopt;
}

void spawn_program(sim::Kernel& kernel, DporProgram program, DporMode mode, int clients, RunRecord* record) {
  kernel.spawn([program, mode, clients, record](Ctx c) -> Proc { return main_proc(c, program, mode, clients, record); },
               sim::SpawnOptions("main"));
}

std::optional<std::uint64_t> concuerror_count(DporProgram program, int clients) {
  static constexpr std::uint64_t reg[] = {4, 24, 248, 4000};
  static constexpr std::uint64_t srv[] = {6, 66, 1176, 31320};  // as_srv and as_gs
  if (clients < 2 || clients > 5) return std::nullopt;
  return program == DporProgram::as_reg ? reg[clients - 2] : srv[clients - 2];
}

}  // namespace otpsim::bench
