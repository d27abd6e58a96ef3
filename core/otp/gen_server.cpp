// gen_server: the server loop (gen_server.erl's loop/decode_msg), start with
// proc_lib's ack protocol, and the client calls (gen.erl).
#include "core/otp/gen_server.hpp"

#include "core/otp/registry.hpp"

namespace otpsim::core::otp {

namespace sa = sim::atoms;
using sim::SpawnOptions;

namespace {

Atom a_gen_call() { static const Atom a("$gen_call"); return a; }
Atom a_gen_cast() { static const Atom a("$gen_cast"); return a; }
Atom a_gen_stop() { static const Atom a("$gen_stop"); return a; }
Atom a_ack() { static const Atom a("$ack"); return a; }
Atom a_already_started() { static const Atom a("already_started"); return a; }
Atom a_elixir_genserver() { static const Atom a("Elixir.GenServer"); return a; }
Atom a_call() { static const Atom a("call"); return a; }
Atom a_calling_self() { static const Atom a("calling_self"); return a; }

Term ok_pid(Pid pid) { return sim::tuple(sa::ok(), pid); }
Term error(Term reason) { return sim::tuple(sa::error(), std::move(reason)); }

/// Where a name points now (gen:where/1). Via names ask the registry.
Task<Pid> where(Ctx ctx, const ServerName& name) {
  switch (name.kind) {
    case ServerName::Kind::none: co_return Pid{};
    case ServerName::Kind::local: co_return co_await ctx.whereis(name.name.atom());
    case ServerName::Kind::via: co_return co_await registry::whereis_name(ctx, name.name.atom(), name.key);
  }
  co_return Pid{};
}

/// Registers the calling process under `name` (gen:register_name/1).
Task<bool> register_self(Ctx ctx, const ServerName& name) {
  switch (name.kind) {
    case ServerName::Kind::none: co_return true;
    case ServerName::Kind::local: co_return co_await ctx.register_name(name.name.atom(), ctx.self());
    case ServerName::Kind::via: co_return co_await registry::register_name(ctx, name.name.atom(), name.key);
  }
  co_return false;
}

Task<> unregister_self(Ctx ctx, const ServerName& name) {
  if (name.kind == ServerName::Kind::local) (void)co_await ctx.unregister_name(name.name.atom());
  if (name.kind == ServerName::Kind::via) co_await registry::unregister_key(ctx, name.name.atom(), name.key);
}

// The reason of an exception escaping a callback, as the kernel would give it.
Term reason_of(std::exception_ptr ex) {
  try {
    std::rethrow_exception(ex);
  } catch (const sim::ExitException& e) {
    return e.reason;
  } catch (const std::exception& e) {
    return sim::tuple(sa::exception(), Term::string(e.what()));
  } catch (...) {
    return sim::tuple(sa::exception(), Term::string("unknown exception"));
  }
}

struct Server {
  std::unique_ptr<GenServer> callbacks;
  Pid parent;
  ServerName name;
};

/// terminate(Reason), then exit(Reason) (gen_server:terminate/8).
/// A crash inside terminate replaces the reason, as in OTP.
Task<> terminate_and_exit(Ctx ctx, Server& s, Term reason) {
  Term final_reason = reason;
  std::exception_ptr failed;
  try {
    co_await s.callbacks->terminate(ctx, reason);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) final_reason = reason_of(failed);
  ctx.exit(final_reason);
}

/// One message through the callbacks. Returns a stop reason, or nothing.
Task<std::optional<Term>> dispatch(Ctx ctx, Server& s, Term message) {
  if (message.is_tagged(a_gen_call(), 3) && message[1].is_tuple() && message[1].size() == 2) {
    From from(message[1][0].pid(), message[1][1].ref());
    CallResult r = co_await s.callbacks->handle_call(ctx, message[2], from);
    switch (r.kind) {
      case CallResult::Kind::reply: co_await reply(ctx, from, r.value); co_return std::nullopt;
      case CallResult::Kind::noreply: co_return std::nullopt;
      case CallResult::Kind::stop_reply: {
        // {stop, R, Reply, S}: terminate first, then reply, then exit.
        std::exception_ptr failed;
        try {
          co_await s.callbacks->terminate(ctx, r.reason);
        } catch (...) {
          failed = std::current_exception();
        }
        if (failed) ctx.exit(reason_of(failed));
        co_await reply(ctx, from, r.value);
        ctx.exit(r.reason);
      }
      case CallResult::Kind::stop_noreply: co_return r.reason;
    }
  }
  if (message.is_tagged(a_gen_cast(), 2)) {
    HandleResult r = co_await s.callbacks->handle_cast(ctx, message[1]);
    if (r.kind == HandleResult::Kind::stop) co_return r.reason;
    co_return std::nullopt;
  }
  if (message.is_tagged(a_gen_stop(), 3)) {  // {'$gen_stop', From, Reason}
    co_return message[2];
  }
  // A parent's exit signal, trapped: terminate with its reason.
  if (message.is_tagged(sa::exit_tag(), 3) && message[1].is_pid() && message[1].pid() == s.parent &&
      ctx.trapping_exits()) {
    co_return message[2];
  }
  HandleResult r = co_await s.callbacks->handle_info(ctx, message);
  if (r.kind == HandleResult::Kind::stop) co_return r.reason;
  co_return std::nullopt;
}

/// The server process: register, init, ack the starter, then the loop.
Proc server_main(Ctx ctx, std::shared_ptr<Server> s, Pid starter, Ref tag) {
  const bool registered = co_await register_self(ctx, s->name);
  if (!registered) {
    Pid holder = co_await where(ctx, s->name);
    co_await ctx.send(starter, sim::tuple(a_ack(), tag, error(sim::tuple(a_already_started(), holder))));
    co_return;  // exit normal: a linked starter survives
  }
  InitResult init = InitResult::ok();
  std::exception_ptr failed;
  try {
    init = co_await s->callbacks->init(ctx);
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) init = InitResult::stop(reason_of(failed));
  if (init.kind != InitResult::Kind::ok) {
    co_await unregister_self(ctx, s->name);
    Term result(sim::atoms::ignore());
    if (init.kind == InitResult::Kind::stop) result = error(init.reason);
    Term ack = sim::tuple(a_ack(), tag, std::move(result));
    co_await ctx.send(starter, std::move(ack));
    const bool ignore = init.kind == InitResult::Kind::ignore;
    if (ignore) co_return;
    ctx.exit(init.reason);
  }
  co_await ctx.send(starter, sim::tuple(a_ack(), tag, ok_pid(ctx.self())));
  for (;;) {
    Term message = *co_await ctx.receive();
    std::optional<Term> stop_reason;
    failed = nullptr;
    try {
      stop_reason = co_await dispatch(ctx, *s, std::move(message));
    } catch (const sim::ExitException&) {
      throw;  // ctx.exit inside dispatch (a {stop,R,Reply} reply path): already terminated
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) stop_reason = reason_of(failed);
    if (stop_reason) co_await terminate_and_exit(ctx, *s, *stop_reason);
  }
}

Task<Term> do_start(Ctx ctx, ServerFactory factory, StartOptions options, bool link) {
  if (options.name.kind != ServerName::Kind::none) {
    Pid holder = co_await where(ctx, options.name);
    if (holder) co_return error(sim::tuple(a_already_started(), holder));
  }
  auto server = std::make_shared<Server>(Server{factory(), link ? ctx.self() : Pid{}, options.name});
  Ref tag = ctx.make_ref();
  Pid starter = ctx.self();
  auto body = [server, starter, tag](Ctx c) -> Proc { return server_main(c, server, starter, tag); };
  SpawnOptions spawn_options(options.label.empty() ? std::string_view("gen_server") : std::string_view(options.label));
  Pid pid = link ? co_await ctx.spawn_link(body, spawn_options) : co_await ctx.spawn(body, spawn_options);
  // proc_lib:sync_start: the ack, or the child's exit when we trap exits.
  auto reply = co_await ctx.receive(
      [tag, pid](const Term& m) {
        return (m.is_tagged(a_ack(), 3) && m[1] == Term(tag)) ||
               (m.is_tagged(sa::exit_tag(), 3) && m[1] == Term(pid));
      },
      options.timeout_us);
  if (!reply) {
    co_await ctx.unlink(pid);
    co_await ctx.exit(pid, Term(sa::kill()));
    co_return error(Term(sa::timeout()));
  }
  if (reply->is_tagged(sa::exit_tag(), 3)) co_return error((*reply)[2]);
  co_return (*reply)[2];
}

Term call_exit_reason(Term reason, const ServerRef& server, const Term& request, Micros timeout_us) {
  Term timeout = timeout_us < 0 ? Term(sa::infinity()) : Term(timeout_us / 1000);
  return sim::tuple(std::move(reason), sim::tuple(a_elixir_genserver(), a_call(),
                                                  sim::list(server.to_term(), request, timeout)));
}

}  // namespace

Task<InitResult> GenServer::init(Ctx) { co_return InitResult::ok(); }
Task<CallResult> GenServer::handle_call(Ctx ctx, Term request, From) {
  ctx.exit(sim::tuple(Atom("bad_call"), request));
  co_return CallResult::noreply();
}
Task<HandleResult> GenServer::handle_cast(Ctx ctx, Term message) {
  ctx.exit(sim::tuple(Atom("bad_cast"), message));
  co_return HandleResult::noreply();
}
Task<HandleResult> GenServer::handle_info(Ctx, Term) { co_return HandleResult::noreply(); }
Task<> GenServer::terminate(Ctx, Term) { co_return; }

Term ServerName::to_term() const {
  switch (kind) {
    case Kind::none: return Term(sa::undefined());
    case Kind::local: return name;
    case Kind::via: return sim::tuple(Atom("via"), Atom("Elixir.Registry"), sim::tuple(name, key));
  }
  return Term();
}

Task<Term> start_link(Ctx ctx, ServerFactory factory, StartOptions options) {
  co_return co_await do_start(ctx, std::move(factory), std::move(options), true);
}

Task<Term> start(Ctx ctx, ServerFactory factory, StartOptions options) {
  co_return co_await do_start(ctx, std::move(factory), std::move(options), false);
}

Task<Pid> whereis(Ctx ctx, ServerRef server) {
  if (server.pid) co_return server.pid;
  co_return co_await where(ctx, server.name);
}

Task<Term> call(Ctx ctx, ServerRef server, Term request, Micros timeout_us) {
  Pid pid = co_await whereis(ctx, server);
  if (!pid) ctx.exit(call_exit_reason(Term(sa::noproc()), server, request, timeout_us));
  if (pid == ctx.self()) ctx.exit(call_exit_reason(Term(a_calling_self()), server, request, timeout_us));
  Ref mref = co_await ctx.monitor_alias(pid);
  co_await ctx.send(pid, sim::tuple(a_gen_call(), sim::tuple(ctx.self(), mref), request));
  auto answer = co_await ctx.receive(
      [mref](const Term& m) {
        return (m.is_tuple() && m.size() == 2 && m[0] == Term(mref)) ||
               (m.is_tagged(sa::down_tag(), 5) && m[1] == Term(mref));
      },
      timeout_us);
  if (!answer) {
    (void)co_await ctx.demonitor(mref, true);  // deactivates the alias: a late reply is dropped
    ctx.exit(call_exit_reason(Term(sa::timeout()), server, request, timeout_us));
  }
  if (answer->is_tagged(sa::down_tag(), 5)) ctx.exit(call_exit_reason((*answer)[4], server, request, timeout_us));
  (void)co_await ctx.demonitor(mref, true);
  co_return (*answer)[1];
}

Task<> cast(Ctx ctx, ServerRef server, Term message) {
  // A cast never fails (Elixir catches what a via-name lookup raises).
  Pid pid;
  try {
    pid = co_await whereis(ctx, server);
  } catch (const sim::ExitException&) {
  }
  if (pid) co_await ctx.send(pid, sim::tuple(a_gen_cast(), std::move(message)));
}

Task<> reply(Ctx ctx, From from, Term value) {
  co_await ctx.send_alias(from.tag, sim::tuple(from.tag, std::move(value)));
}

Task<> stop(Ctx ctx, ServerRef server, Term reason) {
  Pid pid = co_await whereis(ctx, server);
  if (!pid) ctx.exit(Term(sa::noproc()));
  Ref mref = co_await ctx.monitor(pid);
  co_await ctx.send(pid, sim::tuple(a_gen_stop(), ctx.self(), reason));
  auto down = co_await ctx.receive(
      [mref](const Term& m) { return m.is_tagged(sa::down_tag(), 5) && m[1] == Term(mref); });
  const Term& why = (*down)[4];
  // proc_lib:stop: an exit with another reason than asked is an error.
  if (!(why == reason) && !(why.is(sa::noproc()) )) ctx.exit(why);
}

}  // namespace otpsim::core::otp
