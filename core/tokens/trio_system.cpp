// The trio's fault targets and client operations, for faults/ and scenarios/.
#include "core/tokens/trio_system.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/otp/registry.hpp"
#include "core/tokens/app_server.hpp"
#include "core/tokens/trio_tree.hpp"
#include "core/tokens/workload.hpp"
#include "core/tree/native.hpp"

namespace otpsim::core::tokens {

namespace {

bool is_app_label(std::string_view label) { return label.substr(0, 4) == "app:"; }

/// The registered name of a named process target, or nullopt.
std::optional<sim::Atom> registered_name(const Names& names, std::string_view target) {
  if (target == "top") return names.top;
  if (target == "registry") return names.registry;
  if (target == "ets_owner") return names.ets_owner;
  if (target == "task_sup") return names.task_sup;
  if (target == "dyn_sup") return names.dyn_sup;
  return std::nullopt;
}

/// A native of the trio outside a TrioSystem: it cannot run.
class NotInTheTrio final : public otp::GenServer {
 public:
  explicit NotInTheTrio(std::string_view name) : name_(name) {}
  Task<otp::InitResult> init(Ctx) override {
    co_return otp::InitResult::stop(sim::tuple(sim::atom("not_in_the_trio"), Term::string(name_)));
  }

 private:
  std::string name_;
};

const Trio* trio_of(const tree::NativeContext& c) {
  auto* system = dynamic_cast<TrioSystem*>(c.system);
  return system == nullptr ? nullptr : &system->trio();
}

}  // namespace

void register_trio_natives() {
  static const bool registered = [] {
    tree::register_native(std::string(ets_owner_native), [](const tree::NativeContext& c) -> std::unique_ptr<otp::GenServer> {
      const Trio* trio = trio_of(c);
      if (trio == nullptr) return std::make_unique<NotInTheTrio>(ets_owner_native);
      return make_ets_owner(trio);
    });
    tree::register_native(std::string(app_server_native), [](const tree::NativeContext& c) -> std::unique_ptr<otp::GenServer> {
      const Trio* trio = trio_of(c);
      if (trio == nullptr) return std::make_unique<NotInTheTrio>(app_server_native);
      return app_server::make(trio, c.arg.is_string() ? std::string(c.arg.string_value()) : c.arg.to_string());
    });
    return true;
  }();
  (void)registered;
}

Task<Term> TrioSystem::start_link(Ctx ctx) { return tokens::start_link(ctx, trio_); }

Task<> TrioSystem::client_op(Ctx ctx, RunRecord* record, std::string client, const ClientOp* op) {
  (void)co_await recorded_call(ctx, trio_, record, std::move(client), op->op, op->app, op->token);
}

bool TrioSystem::owns(const std::string& label) const {
  return !(label == "workload" || label == "fault_clock" || label == "fault_stop" || label.rfind("client:", 0) == 0);
}

bool TrioSystem::names(std::string_view target, Pid pid, const sim::Kernel& kernel, const RunRecord& record) const {
  if (auto name = registered_name(trio_->names(), target)) return kernel.whereis(Term(*name)) == pid;
  const bool any = target == "any_app";
  if (!any && target.substr(0, 4) != "app:") return false;  // not a process
  const ProcessLife* life = record.life(pid);
  if (life == nullptr) return false;
  return any ? is_app_label(life->label) : life->label == target;
}

Pid TrioSystem::resolve(std::string_view target, sim::Kernel& kernel, const RunRecord& record, std::string& why_not) {
  if (auto name = registered_name(trio_->names(), target)) {
    const Pid pid = kernel.whereis(Term(*name));
    if (!pid) why_not = fmt::format("no such process: nothing is registered as {} ({})", target, name->text());
    return pid;
  }
  if (target.substr(0, 4) == "app:") return live_app(std::string(target.substr(4)), kernel, record, why_not);
  if (target == "any_app") {
    std::vector<Pid> live;  // in pid (spawn) order
    for (const ProcessLife& life : record.processes) {
      if (life.alive() && is_app_label(life.label) && kernel.is_alive(life.pid)) live.push_back(life.pid);
    }
    if (live.empty()) {
      why_not = "no such process: no app server is alive";
      return Pid{};
    }
    const std::uint64_t pick = live.size() > 1 ? kernel.choose(live.size()) : 0;  // a logged data choice
    return live[pick];
  }
  why_not = fmt::format("{} is not a process target of the trio", target);
  return Pid{};
}

Pid TrioSystem::live_app(const std::string& app, const sim::Kernel& kernel, const RunRecord& record,
                         std::string& why_not) const {
  std::vector<Pid> live;
  bool started = false;
  for (const ProcessLife* life : record.lives("app:" + app)) {
    started = true;
    if (life->alive() && kernel.is_alive(life->pid)) live.push_back(life->pid);
  }
  if (live.empty()) {
    why_not = started ? fmt::format("no such process: the app server of {} has exited and is not running now", app)
                      : fmt::format("no such process: no app server of {} has been started", app);
    return Pid{};
  }
  if (live.size() == 1) return live.front();
  // Two starts raced: the one the registry holds ({Key, {Pid, Value}}).
  auto table = kernel.table_named(Term(otp::registry::keys_table_name(trio_->names().registry)));
  if (table) {
    auto row = kernel.table_peek(*table, app_term(app));
    if (row && row->is_tuple() && row->size() == 2 && (*row)[1].is_tuple() && (*row)[1].size() >= 1 &&
        (*row)[1][0].is_pid()) {
      const Pid holder = (*row)[1][0].pid();
      if (std::find(live.begin(), live.end(), holder) != live.end()) return holder;
    }
  }
  return live.front();
}

}  // namespace otpsim::core::tokens
