// The public API (ExAtlas.Fly.Tokens), run in client processes.
//
//   get(app)              fast path: read the table directly (a missing table
//                         is a miss); a live row → {ok, Token}, acquirer
//                         facade. Else resolve_app_server + acquire,
//                         acquirer app_server. {ok, Token} | {error, R}
//   refresh(app)          resolve_app_server + refresh
//   invalidate(app)       registry lookup; no AppServer → ok, none started
//   set_manual(app, tok)  resolve_app_server + set_manual
//
// get and refresh emit telemetry start/stop events (telemetry.hpp).
// Failures OTP would raise in the caller (a call to a dead AppServer, a
// call timeout, a DynamicSupervisor that is down) exit the client.
#pragma once

#include "core/tokens/trio.hpp"

namespace otpsim::core::tokens::facade {

Task<Term> get(Ctx ctx, const Trio* trio, std::string app);
Task<Term> refresh(Ctx ctx, const Trio* trio, std::string app);
Task<Term> invalidate(Ctx ctx, const Trio* trio, std::string app);
Task<Term> set_manual(Ctx ctx, const Trio* trio, std::string app, std::string token);

}  // namespace otpsim::core::tokens::facade
