// The ExAtlas Fly-tokens trio (reference/exatlas-tokens.md) on core/otp:
//
//   Tokens.Supervisor            rest_for_one, 3 restarts in 5 s
//    ├─ Registry                 unique keys, key = app name
//    ├─ ETSOwner                 owns the shared cache table
//    ├─ TaskSupervisor           runs fire-and-forget persist writes
//    └─ DynamicSupervisor        one_for_one, 20 restarts in 60 s
//        └─ AppServer per app    permanent, {via, Registry, {registry, app}}
//
// A Trio holds the configuration and the environment of one run; processes
// keep a pointer to it, so it must outlive the kernel's run.
#pragma once

#include <string>

#include "core/otp/supervisor.hpp"
#include "core/tokens/config.hpp"
#include "core/tokens/env.hpp"

namespace otpsim::core::tokens {

using sim::Ctx;
using sim::Pid;
using sim::Task;
using sim::Term;

class Trio {
 public:
  Trio(TrioConfig config_, Env& env_) : config(std::move(config_)), env(&env_) {}
  TrioConfig config;
  Env* env;
  bool has(Mutant m) const { return config.mutants.has(m); }
  const Names& names() const { return config.names; }
  const Knobs& knobs() const { return config.knobs; }
};

/// An app name as the model carries it (an Elixir binary).
inline Term app_term(const std::string& app) { return Term::string(app); }

/// The ETSOwner gen_server (the tree's native "tokens.ets_owner").
std::unique_ptr<otp::GenServer> make_ets_owner(const Trio* trio);
/// Tokens.Supervisor.start_link: {ok, Pid} | {error, Reason}.
Task<Term> start_link(Ctx ctx, const Trio* trio);

/// The top supervisor's child specs, in start order (registry, ets_owner,
/// task_sup, dyn_sup): for a user embedding the trio in a larger tree.
std::vector<otp::ChildSpec> child_specs(const Trio* trio);

/// resolve_app_server: the registry's pid for `app` (maybe dead), else a new
/// AppServer under the DynamicSupervisor; {error, {already_started, P}}
/// yields P. {ok, Pid} | {error, Reason}. Exits the caller (noproc) if the
/// DynamicSupervisor is not running, as DynamicSupervisor.start_child does.
Task<Term> resolve_app_server(Ctx ctx, const Trio* trio, std::string app);

/// whereis_app_server: the registry's pid for `app`, or Pid{} (nil).
Task<Pid> whereis_app_server(Ctx ctx, const Trio* trio, std::string app);

}  // namespace otpsim::core::tokens
