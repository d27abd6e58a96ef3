// Tokens.Supervisor, ETSOwner, resolve_app_server and whereis_app_server.
#include "core/tokens/trio.hpp"

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/registry.hpp"
#include "core/otp/supervisor.hpp"
#include "core/otp/task.hpp"
#include "core/tokens/app_server.hpp"
#include "core/tokens/atoms.hpp"
#include "core/tokens/trio_tree.hpp"

namespace otpsim::core::tokens {

namespace ta = tokens::atoms;
namespace sa = sim::atoms;
using otp::ChildSpec;
using otp::ServerName;
using otp::StartOptions;
using sim::Atom;

namespace {

/// Owns the shared cache table: public, set, named; it dies with this process.
class EtsOwner final : public otp::GenServer {
 public:
  explicit EtsOwner(const Trio* trio) : trio_(trio) {}
  Task<otp::InitResult> init(Ctx ctx) override {
    if (!trio_->has(Mutant::ets_owned_by_app_server)) {
      sim::TableOptions options(sim::TableAccess::public_access, Term(trio_->names().table));
      auto table = co_await ctx.table_new(options);
      if (!table.ok()) co_return otp::InitResult::stop(Term(sa::badarg()));  // the name is taken
    }
    co_return otp::InitResult::ok();
  }

 private:
  const Trio* trio_;
};

/// The first {ok, Pid} / {ok, Pid, Info} pid, or Pid{}.
Pid started_pid(const Term& r) {
  if (r.is_tuple() && r.size() >= 2 && r[0].is(sa::ok()) && r[1].is_pid()) return r[1].pid();
  return Pid{};
}

}  // namespace

std::unique_ptr<otp::GenServer> make_ets_owner(const Trio* trio) { return std::make_unique<EtsOwner>(trio); }

std::vector<ChildSpec> child_specs(const Trio* trio) {
  const Names& n = trio->names();
  std::vector<ChildSpec> specs;
  const sim::Atom registry = n.registry;
  specs.push_back(ChildSpec::supervisor(Term(registry), [registry](Ctx c) { return otp::registry::start_link(c, registry); }));
  specs.push_back(ChildSpec::worker(Term(n.ets_owner), [trio](Ctx c) {
    otp::ServerFactory factory = [trio] { return std::make_unique<EtsOwner>(trio); };
    return otp::start_link(c, factory, StartOptions(ServerName::local(trio->names().ets_owner), "ets_owner"));
  }));
  specs.push_back(ChildSpec::supervisor(Term(n.task_sup), [trio](Ctx c) {
    return otp::task::supervisor_start_link(c, StartOptions(ServerName::local(trio->names().task_sup), "task_sup"));
  }));
  // Its restart limits, as the tree says (trio_tree.cpp).
  const tree::TreeSpec tree = trio_tree(trio->config);
  const tree::Node& dyn = *tree.find("top/dyn_sup");
  const otp::dynamic_supervisor::Options dyn_options(dyn.intensity, dyn.period_s);
  specs.push_back(ChildSpec::supervisor(Term(n.dyn_sup), [trio, dyn_options](Ctx c) {
    return otp::dynamic_supervisor::start_link(c, dyn_options,
                                               StartOptions(ServerName::local(trio->names().dyn_sup), "dyn_sup"));
  }));
  return specs;
}

Task<Term> start_link(Ctx ctx, const Trio* trio) {
  const tree::TreeSpec tree = trio_tree(trio->config);
  otp::SupervisorFlags flags(tree.root.strategy, tree.root.intensity, tree.root.period_s);
  StartOptions options(ServerName::local(trio->names().top), "tokens_sup");
  co_return co_await otp::supervisor::start_link(ctx, flags, child_specs(trio), options);
}

Task<Term> resolve_app_server(Ctx ctx, const Trio* trio, std::string app) {
  const Term key = app_term(app);
  auto entries = co_await otp::registry::lookup(ctx, trio->names().registry, key);
  if (!entries.empty()) {
    ctx.emit(sim::tuple(ta::resolved(), key, entries.front().first));
    co_return sim::tuple(sa::ok(), entries.front().first);  // maybe dead already
  }
  ChildSpec spec = app_server::child_spec(trio, app);
  otp::ServerRef dyn_sup(ServerName::local(trio->names().dyn_sup));
  Term started = co_await otp::dynamic_supervisor::start_child(ctx, dyn_sup, spec);
  if (Pid pid = started_pid(started)) {
    ctx.emit(sim::tuple(ta::resolved(), key, pid));
    co_return sim::tuple(sa::ok(), pid);
  }
  // A concurrent caller started it first: its via-registration won the name.
  if (!trio->has(Mutant::no_already_started_branch) && started.is_tagged(sa::error(), 2) &&
      started[1].is_tagged(ta::already_started(), 2)) {
    ctx.emit(sim::tuple(ta::already_started(), key, started[1][1]));
    ctx.emit(sim::tuple(ta::resolved(), key, started[1][1]));
    co_return sim::tuple(sa::ok(), started[1][1]);
  }
  co_return started;
}

Task<Pid> whereis_app_server(Ctx ctx, const Trio* trio, std::string app) {
  auto entries = co_await otp::registry::lookup(ctx, trio->names().registry, app_term(app));
  if (entries.empty()) co_return Pid{};
  co_return entries.front().first;
}

}  // namespace otpsim::core::tokens
