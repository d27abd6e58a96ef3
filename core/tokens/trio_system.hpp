// The trio as a System (core/system.hpp): what faults/ and scenarios/ use
// to run it. Its fault targets are the logical names of DESIGN (top,
// registry, ets_owner, task_sup, dyn_sup, app:NAME, any_app); its client
// operations are the facade's (get, refresh, invalidate, set_manual); its
// environment is the Trio's Env (storage, CLI, clock).
#pragma once

#include "core/system.hpp"
#include "core/tokens/env.hpp"
#include "core/tokens/trio.hpp"

namespace otpsim::core::tokens {

/// Registers the trio's native workers (trio_tree.hpp: tokens.ets_owner,
/// tokens.app_server, whose arg is the app name) for declared trees. They
/// run only inside a TrioSystem (they need its Trio); elsewhere their init
/// stops with {not_in_the_trio, Name}. Idempotent.
void register_trio_natives();

class TrioSystem final : public System {
 public:
  /// `trio` (and its Env) must outlive the system.
  explicit TrioSystem(Trio* trio) : trio_(trio) { register_trio_natives(); }
  Task<Term> start_link(Ctx ctx) override;
  Task<> client_op(Ctx ctx, RunRecord* record, std::string client, const ClientOp* op) override;
  Pid resolve(std::string_view target, sim::Kernel& kernel, const RunRecord& record, std::string& why_not) override;
  bool names(std::string_view target, Pid pid, const sim::Kernel& kernel, const RunRecord& record) const override;
  Env* env() override { return trio_->env; }
  /// Every label but the workload's ("workload", "client:*") and the fault clock's.
  bool owns(const std::string& label) const override;
  Trio& trio() { return *trio_; }

 private:
  Pid live_app(const std::string& app, const sim::Kernel& kernel, const RunRecord& record, std::string& why_not) const;
  Trio* trio_;
};

}  // namespace otpsim::core::tokens
