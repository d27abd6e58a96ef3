// The trio's supervision tree as data (core/tree/spec.hpp): the one place
// its structure, restart limits, names and labels are written. The trio
// starts from it (trio.cpp), its properties judge against it
// (properties.cpp), and the library's trees/tokens.toml is the same tree in
// the tree language (a test checks that they agree).
//
//   top        supervisor rest_for_one, 3 restarts in 5 s  "tokens_sup"
//   ├─ registry    Registry, unique keys                   its name
//   ├─ ets_owner   native "tokens.ets_owner"               "ets_owner"
//   ├─ task_sup    Task.Supervisor                         "task_sup"
//   └─ dyn_sup     DynamicSupervisor, 20 restarts in 60 s  "dyn_sup"
//       └─ app_server:APP  native "tokens.app_server",     "app:APP"
//                          {via, registry, APP}, permanent
#pragma once

#include "core/tokens/config.hpp"
#include "core/tree/spec.hpp"

namespace otpsim::core::tokens {

/// The trio's tree with `config`'s names and mutants applied (the
/// top_one_for_one mutant makes the top one_for_one).
tree::TreeSpec trio_tree(const TrioConfig& config);
/// The reference design (no mutants) with `config`'s names: what the
/// properties hold the trio to.
tree::TreeSpec reference_tree(const TrioConfig& config);

/// The native workers' names in the tree file.
inline constexpr std::string_view ets_owner_native = "tokens.ets_owner";
inline constexpr std::string_view app_server_native = "tokens.app_server";

}  // namespace otpsim::core::tokens
