// gen_server on the simulation kernel: start (init may fail or ignore),
// call with monitor + alias + timeout, cast, reply from elsewhere, stop,
// terminate on a parent's exit signal when trapping, and local or
// via-Registry names with {error, {already_started, Pid}}.
//
// Results that OTP returns as terms are terms here too ({ok, Pid}, ignore,
// {error, Reason}), so a supervisor can pass them through unchanged.
// Failures that exit the caller in OTP (call to a dead server, timeout)
// throw ExitException with Elixir's reason: {Reason, {'Elixir.GenServer',
// call, [Server, Request, Timeout]}}.
//
// g++ 12: argument types here all have constructors, never aggregates: an
// aggregate temporary in a co_await expression is destroyed twice (see
// sim/ctx.hpp).
#pragma once

#include <functional>
#include <memory>

#include "sim/ctx.hpp"

namespace otpsim::core::otp {

using sim::Atom;
using sim::Ctx;
using sim::Micros;
using sim::Pid;
using sim::Proc;
using sim::Ref;
using sim::Task;
using sim::Term;

/// Where a reply goes: the caller and the tag (its alias) of the call.
class From {
 public:
  From(Pid pid, Ref tag) : pid(pid), tag(tag) {}
  Pid pid;
  Ref tag;
};

class InitResult {
 public:
  enum class Kind : std::uint8_t { ok, ignore, stop };
  static InitResult ok() { return InitResult(Kind::ok, Term()); }
  static InitResult ignore() { return InitResult(Kind::ignore, Term()); }
  static InitResult stop(Term reason) { return InitResult(Kind::stop, std::move(reason)); }
  Kind kind;
  Term reason;

 private:
  InitResult(Kind k, Term r) : kind(k), reason(std::move(r)) {}
};

class CallResult {
 public:
  enum class Kind : std::uint8_t { reply, noreply, stop_reply, stop_noreply };
  static CallResult reply(Term value) { return CallResult(Kind::reply, std::move(value), Term()); }
  static CallResult noreply() { return CallResult(Kind::noreply, Term(), Term()); }
  /// {stop, Reason, Reply, State}: terminate runs, then the reply is sent, then the server exits.
  static CallResult stop(Term reason, Term value) { return CallResult(Kind::stop_reply, std::move(value), std::move(reason)); }
  static CallResult stop(Term reason) { return CallResult(Kind::stop_noreply, Term(), std::move(reason)); }
  Kind kind;
  Term value;
  Term reason;

 private:
  CallResult(Kind k, Term v, Term r) : kind(k), value(std::move(v)), reason(std::move(r)) {}
};

/// The result of handle_cast and handle_info.
class HandleResult {
 public:
  enum class Kind : std::uint8_t { noreply, stop };
  static HandleResult noreply() { return HandleResult(Kind::noreply, Term()); }
  static HandleResult stop(Term reason) { return HandleResult(Kind::stop, std::move(reason)); }
  Kind kind;
  Term reason;

 private:
  HandleResult(Kind k, Term r) : kind(k), reason(std::move(r)) {}
};

/// The callbacks. One object per server process: a restart builds a new one
/// from the factory, as OTP re-runs init with the original arguments.
class GenServer {
 public:
  virtual ~GenServer() = default;
  virtual Task<InitResult> init(Ctx ctx);
  /// Default: the server exits with {bad_call, Request}.
  virtual Task<CallResult> handle_call(Ctx ctx, Term request, From from);
  /// Default: the server exits with {bad_cast, Message}.
  virtual Task<HandleResult> handle_cast(Ctx ctx, Term message);
  /// Default: ignores the message (Elixir logs it).
  virtual Task<HandleResult> handle_info(Ctx ctx, Term message);
  virtual Task<> terminate(Ctx ctx, Term reason);
};

using ServerFactory = std::function<std::unique_ptr<GenServer>()>;

/// A server's name: none, a local registered name, or {via, Registry, {Reg, Key}}.
class ServerName {
 public:
  enum class Kind : std::uint8_t { none, local, via };
  ServerName() = default;
  static ServerName local(Atom name) { return ServerName(Kind::local, Term(name), Term()); }
  /// {:via, Registry, {registry, key}}.
  static ServerName via(Atom registry, Term key) { return ServerName(Kind::via, Term(registry), std::move(key)); }
  Kind kind = Kind::none;
  Term name;  // the local name, or the registry's name
  Term key;   // via: the key
  /// The name as OTP prints it: Name, or {via,'Elixir.Registry',{Reg,Key}}.
  Term to_term() const;

 private:
  ServerName(Kind k, Term n, Term key_) : kind(k), name(std::move(n)), key(std::move(key_)) {}
};

/// What call/cast/stop address: a pid or a name.
class ServerRef {
 public:
  ServerRef(Pid pid) : pid(pid) {}
  ServerRef(ServerName name) : name(std::move(name)) {}
  Pid pid;
  ServerName name;
  Term to_term() const { return pid ? Term(pid) : name.to_term(); }
};

class StartOptions {
 public:
  StartOptions() = default;
  explicit StartOptions(ServerName name_, std::string_view label_ = {}) : name(std::move(name_)), label(label_) {}
  ServerName name;
  std::string label;  // trace label of the server process
  Micros timeout_us = sim::infinity_us;
};

/// gen_server:start_link: spawns and links the server, waits for init.
/// {ok, Pid}, ignore, or {error, Reason} ({error, {already_started, Pid}}
/// when the name is taken, without spawning anything).
Task<Term> start_link(Ctx ctx, ServerFactory factory, StartOptions options);
/// gen_server:start: the same without the link.
Task<Term> start(Ctx ctx, ServerFactory factory, StartOptions options);

inline constexpr Micros default_call_timeout_us = 5'000'000;

/// GenServer.call. Exits the caller (throws ExitException) on noproc, the
/// server's death during the call, or timeout; a late reply is dropped.
Task<Term> call(Ctx ctx, ServerRef server, Term request, Micros timeout_us = default_call_timeout_us);
/// GenServer.cast: fire and forget; a missing name is ignored.
Task<> cast(Ctx ctx, ServerRef server, Term message);
/// GenServer.reply, from any process.
Task<> reply(Ctx ctx, From from, Term value);
/// GenServer.stop: the server runs terminate(reason) and exits; waits for it.
/// Exits the caller with noproc if there is no such server.
Task<> stop(Ctx ctx, ServerRef server, Term reason);
/// The pid a ServerRef names now, or Pid{} (GenServer.whereis).
Task<Pid> whereis(Ctx ctx, ServerRef server);

}  // namespace otpsim::core::otp
