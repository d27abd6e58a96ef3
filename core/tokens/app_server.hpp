// The AppServer: one gen_server per app, registered {via, Registry,
// {registry, app}}, started by the DynamicSupervisor (restart permanent).
//
// Calls (all replies are terms):
//   acquire        re-check the table, else run the resolution chain:
//                  {ok, Token, Source} | {error, no_token_available}
//   refresh        delete the row and run the chain, in one call
//   invalidate     delete the row: ok
//   {set_manual,T} durable write of `manual`: ok | {error, {persist_failed, R}}
//   expire_token   test-only: the row's expires_at moves to the past: ok
// Sources: ets, storage, config, cli, manual, none.
#pragma once

#include "core/otp/supervisor.hpp"
#include "core/tokens/trio.hpp"

namespace otpsim::core::tokens::app_server {

/// The AppServer gen_server of `app` (the tree's native "tokens.app_server").
std::unique_ptr<otp::GenServer> make(const Trio* trio, std::string app);

/// The child spec the DynamicSupervisor starts for `app`.
otp::ChildSpec child_spec(const Trio* trio, std::string app);

/// GenServer.start_link(AppServer, opts, name: via(app)).
Task<Term> start_link(Ctx ctx, const Trio* trio, std::string app);

/// The calls, as the facade and tests make them. Each exits the caller as
/// GenServer.call does (noproc for a dead pid, timeout).
Task<Term> acquire(Ctx ctx, const Trio* trio, Pid server);
Task<Term> refresh(Ctx ctx, const Trio* trio, Pid server);
Task<Term> invalidate(Ctx ctx, Pid server);
Task<Term> set_manual(Ctx ctx, Pid server, std::string token);
Task<Term> expire_token(Ctx ctx, Pid server);

}  // namespace otpsim::core::tokens::app_server
