// The atoms the trio uses, interned once.
#pragma once

#include "sim/term.hpp"

namespace otpsim::core::tokens::atoms {

using sim::Atom;

#define OTPSIM_TOKENS_ATOM(name) \
  inline Atom name() {           \
    static const Atom a(#name);  \
    return a;                    \
  }
OTPSIM_TOKENS_ATOM(acquire)
OTPSIM_TOKENS_ATOM(refresh)
OTPSIM_TOKENS_ATOM(invalidate)
OTPSIM_TOKENS_ATOM(set_manual)
OTPSIM_TOKENS_ATOM(expire_token)
OTPSIM_TOKENS_ATOM(soft_refresh)
OTPSIM_TOKENS_ATOM(get)
// sources and acquirers
OTPSIM_TOKENS_ATOM(ets)
OTPSIM_TOKENS_ATOM(storage)
OTPSIM_TOKENS_ATOM(config)
OTPSIM_TOKENS_ATOM(cli)
OTPSIM_TOKENS_ATOM(manual)
OTPSIM_TOKENS_ATOM(none)
OTPSIM_TOKENS_ATOM(facade)
OTPSIM_TOKENS_ATOM(app_server)
// results and log records
OTPSIM_TOKENS_ATOM(no_token_available)
OTPSIM_TOKENS_ATOM(persist_failed)
OTPSIM_TOKENS_ATOM(already_started)
OTPSIM_TOKENS_ATOM(warning)
OTPSIM_TOKENS_ATOM(cli_failed)
OTPSIM_TOKENS_ATOM(cli_empty_output)
OTPSIM_TOKENS_ATOM(cli_timeout)
OTPSIM_TOKENS_ATOM(cli_run)
OTPSIM_TOKENS_ATOM(persisted)
OTPSIM_TOKENS_ATOM(cached)
OTPSIM_TOKENS_ATOM(storage_get_failed)
// events
OTPSIM_TOKENS_ATOM(app_server_up)
OTPSIM_TOKENS_ATOM(uncached)
OTPSIM_TOKENS_ATOM(resolved)
OTPSIM_TOKENS_ATOM(exception)
OTPSIM_TOKENS_ATOM(start)
OTPSIM_TOKENS_ATOM(stop)
OTPSIM_TOKENS_ATOM(storage_get)
OTPSIM_TOKENS_ATOM(storage_put)
#undef OTPSIM_TOKENS_ATOM

}  // namespace otpsim::core::tokens::atoms
