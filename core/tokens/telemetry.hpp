// Events the trio emits (Ctx::emit), in the trace and to observers:
//   {telemetry, start, Op, App}                          Op: get | refresh
//   {telemetry, stop, Op, App, Source, Acquirer, Result}
//   {log, Level, App, What}                              Level: warning | error
//   {cli_run, App}                                       the CLI task ran the CLI
//   {persisted, App, Key, Token}                         a durable write landed
//   {soft_refresh, App}                                  the soft-expiry timer fired
//   {already_started, App, Pid}                          resolve_app_server lost the start race
//   {resolved, App, Pid}                                 resolve_app_server's answer (maybe a dead pid)
//   {app_server_up, App}                                 an AppServer's init ran
//   {cached, App, Token, ExpiresAt}                      an AppServer wrote the table row
//   {uncached, App}                                      an AppServer deleted the table row
// Source: ets | storage | config | cli | manual | none.
// Acquirer: facade | app_server.
#pragma once

#include "core/tokens/atoms.hpp"
#include "sim/term.hpp"

namespace otpsim::core::tokens::telemetry {

using sim::Atom;
using sim::Term;

inline Atom telemetry_tag() { static const Atom a("telemetry"); return a; }
inline Atom log_tag() { static const Atom a("log"); return a; }

inline Term start(Atom op, const Term& app) { return sim::tuple(telemetry_tag(), atoms::start(), op, app); }
inline Term stop(Atom op, const Term& app, Atom source, Atom acquirer, const Term& result) {
  return sim::tuple(telemetry_tag(), atoms::stop(), op, app, source, acquirer, result);
}
inline Term log(Atom level, const Term& app, Term what) { return sim::tuple(log_tag(), level, app, std::move(what)); }

inline bool is_stop(const Term& e) { return e.is_tagged(telemetry_tag(), 7) && e[1].is(atoms::stop()); }
inline bool is_start(const Term& e) { return e.is_tagged(telemetry_tag(), 4) && e[1].is(atoms::start()); }
inline bool is_log(const Term& e) { return e.is_tagged(log_tag(), 4); }

}  // namespace otpsim::core::tokens::telemetry
