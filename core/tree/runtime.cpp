// The tree runtime (runtime.hpp): child specs built from the declared
// nodes, clients' operations, and fault targets resolved by path.
#include "core/tree/runtime.hpp"

#include <functional>

#include "core/otp/dynamic_supervisor.hpp"
#include "core/otp/registry.hpp"
#include "core/tree/native.hpp"
#include "core/tree/worker.hpp"

namespace otpsim::core::tree {

using sim::Atom;
using sim::Ctx;
using sim::ExitException;
using sim::Pid;
using sim::Task;
namespace sa = sim::atoms;

namespace {

/// `v` with the variable $arg replaced by `arg` (a via_key); any other
/// variable is unbound at start.
Term with_arg(const Term& v, const Term& arg) {
  if (v.is_atom() && v.atom().text().size() > 1 && v.atom().text()[0] == '$') {
    if (v.is_atom("$arg")) return arg;
    throw ExitException{sim::tuple(Atom("unbound"), v)};
  }
  if (v.is_tuple() || v.is_list()) {
    std::vector<Term> out;
    for (const Term& e : v.elements()) out.push_back(with_arg(e, arg));
    return v.is_tuple() ? Term::tuple(std::move(out)) : Term::list(std::move(out));
  }
  return v;
}

/// The name the process of `node` registers: its own, a supervisor's
/// implicit one (worker.hpp), or a worker's via name.
otp::ServerName name_of(const Node& node, std::string_view path, const Term& arg) {
  if (!node.name.empty()) return otp::ServerName::local(Atom(node.name));
  if (node.kind == NodeKind::dynamic_supervisor || node.kind == NodeKind::task_supervisor) {
    return otp::ServerName::local(supervisor_name(node, path));
  }
  if (!node.via_registry.empty()) return otp::ServerName::via(Atom(node.via_registry), with_arg(node.via_key, arg));
  return otp::ServerName();
}

Task<Term> start_supervisor(Ctx ctx, System* system, const TreeSpec* tree, const Node* node, std::string path,
                            std::string label) {
  std::vector<otp::ChildSpec> children;
  for (const Node& child : node->children) {
    children.push_back(node_child_spec(system, tree, &child, path + "/" + child.id, child.arg));
  }
  otp::SupervisorFlags flags(node->strategy, node->intensity, node->period_s);
  co_return co_await otp::supervisor::start_link(ctx, flags, std::move(children),
                                                 otp::StartOptions(name_of(*node, path, Term()), label));
}

Task<Term> start_dynamic(Ctx ctx, const Node* node, std::string path, std::string label) {
  otp::dynamic_supervisor::Options options(node->intensity, node->period_s, node->max_children);
  co_return co_await otp::dynamic_supervisor::start_link(ctx, options, otp::StartOptions(name_of(*node, path, Term()), label));
}

Task<Term> start_registry(Ctx ctx, const Node* node, std::string label) {
  co_return co_await otp::registry::start_link(ctx, Atom(node->name), label, label + "/partition");
}

Task<Term> start_worker(Ctx ctx, System* system, const TreeSpec* tree, const Node* node, std::string path,
                        std::string label, Term arg) {
  otp::ServerFactory factory = [system, tree, node, path, arg]() -> std::unique_ptr<otp::GenServer> {
    if (!node->native.empty()) return (*find_native(node->native))(NativeContext(system, node, path, arg));
    return std::make_unique<DeclaredWorker>(system, tree, &tree->behaviours.at(node->behaviour), path, arg);
  };
  otp::StartOptions options(name_of(*node, path, arg), label);
  co_return co_await otp::start_link(ctx, factory, std::move(options));
}

/// The path of the supervisor a process at `label` runs under: the label
/// up to its last '/' (before a template child's ':arg', which may hold '/').
std::string_view parent_path(std::string_view label) {
  std::size_t colon = label.find(':');
  std::size_t slash = label.rfind('/', colon == std::string_view::npos ? std::string_view::npos : colon);
  return slash == std::string_view::npos ? std::string_view() : label.substr(0, slash);
}

constexpr std::string_view any_child_prefix = "any_child:";

}  // namespace

otp::ChildSpec node_child_spec(System* system, const TreeSpec* tree, const Node* node, std::string path, Term arg) {
  Term id(Atom(node->id));
  otp::StartFn start;
  const std::string label = label_of(*node, path, arg_text(arg));
  switch (node->kind) {
    case NodeKind::supervisor:
      start = [system, tree, node, path, label](Ctx c) { return start_supervisor(c, system, tree, node, path, label); };
      break;
    case NodeKind::dynamic_supervisor:
    case NodeKind::task_supervisor:
      start = [node, path, label](Ctx c) { return start_dynamic(c, node, path, label); };
      break;
    case NodeKind::registry: start = [node, label](Ctx c) { return start_registry(c, node, label); }; break;
    case NodeKind::worker:
      start = [system, tree, node, path, label, arg](Ctx c) {
        return start_worker(c, system, tree, node, path, label, arg);
      };
      break;
  }
  otp::ChildSpec spec = node->kind == NodeKind::worker ? otp::ChildSpec::worker(id, std::move(start))
                                                       : otp::ChildSpec::supervisor(id, std::move(start));
  return spec.with_restart(node->restart).with_shutdown(node->shutdown_or_default());
}

otp::ChildSpec child_spec(System* system, const TreeSpec* tree, const Node* node, std::string path) {
  return node_child_spec(system, tree, node, std::move(path), node->arg);
}

namespace {

/// The supervisor a template's children run under: the one the first
/// start_child step naming it uses (behaviours in name order), else the
/// first DynamicSupervisor of the tree (a native starts them), else "".
std::string template_sup(const TreeSpec& tree, const std::string& id) {
  std::function<const Step*(const std::vector<Step>&)> in = [&](const std::vector<Step>& steps) -> const Step* {
    for (const Step& s : steps) {
      if (s.kind == Step::Kind::start_child && s.child == id) return &s;
      if (const Step* found = in(s.steps)) return found;
      for (const Clause& c : s.clauses) {
        if (const Step* found = in(c.steps)) return found;
      }
    }
    return nullptr;
  };
  for (const auto& entry : tree.behaviours) {
    const Behaviour& b = entry.second;
    for (const auto* steps : {&b.init, &b.terminate}) {
      if (const Step* s = in(*steps)) return s->sup;
    }
    for (const auto* clauses : {&b.calls, &b.casts, &b.infos}) {
      for (const Clause& c : *clauses) {
        if (const Step* s = in(c.steps)) return s->sup;
      }
    }
  }
  for (const std::string& path : tree.paths()) {
    if (tree.find(path)->kind == NodeKind::dynamic_supervisor) return path;
  }
  return {};
}

/// The path of a process labelled `label`, looked up through declared labels.
std::string declared_path(std::string_view label, const TreeSpec& tree) {
  for (const std::string& path : tree.paths()) {
    const Node* node = tree.find(path);
    if (!node->label.empty() && label_of(*node, path, arg_text(node->arg)) == label) return path;
  }
  for (const auto& [id, tmpl] : tree.templates) {
    const std::string& pattern = tmpl.label;
    const std::size_t at = pattern.find("$arg");
    if (at == std::string::npos) continue;
    const std::string_view pre = std::string_view(pattern).substr(0, at);
    const std::string_view post = std::string_view(pattern).substr(at + 4);
    if (label.size() < pre.size() + post.size() || !label.starts_with(pre) || !label.ends_with(post)) continue;
    const std::string sup = template_sup(tree, id);
    if (sup.empty()) continue;
    return sup + "/" + id + ":" + std::string(label.substr(pre.size(), label.size() - pre.size() - post.size()));
  }
  return {};
}

}  // namespace

std::string path_of_label(std::string_view label, const TreeSpec& tree) {
  if (label == "task") return std::string(label);
  if (std::string path = declared_path(label, tree); !path.empty()) return path;
  for (std::string_view suffix : {std::string_view("/task"), std::string_view("/partition")}) {
    if (label.ends_with(suffix) && label.size() > suffix.size()) {
      if (std::string base = declared_path(label.substr(0, label.size() - suffix.size()), tree); !base.empty()) {
        return base + std::string(suffix);
      }
    }
  }
  const std::string& root = tree.root.id;
  if (label.starts_with(root) && (label.size() == root.size() || label[root.size()] == '/')) return std::string(label);
  return {};
}

TreeSystem::TreeSystem(const TreeSpec* tree) : tree_(tree) {}

Task<Term> TreeSystem::start_link(Ctx ctx) {
  otp::ChildSpec root = child_spec(this, tree_, &tree_->root, tree_->root.id);
  co_return co_await root.start(ctx);
}

Task<> TreeSystem::client_op(Ctx ctx, RunRecord* record, std::string client, const ClientOp* op) {
  if (op->op == "sleep") {
    co_await ctx.sleep(op->timeout_us);
    co_return;
  }
  const std::size_t index = record->calls.size();
  {
    ClientCall call;
    call.client = ctx.self();
    call.client_name = client;
    call.op = op->op;
    call.app = op->to.to_string();
    call.to = op->to;
    call.request = op->request;
    call.start_us = ctx.now_us();
    call.start_step = record->steps();
    record->calls.push_back(std::move(call));
  }
  Term result(sa::ok());
  std::optional<Term> exit_reason;
  try {
    if (op->op == "call") {
      result = co_await otp::call(ctx, address_of(op->to), op->request, op->timeout_us);
    } else if (op->op == "cast") {
      co_await otp::cast(ctx, address_of(op->to), op->request);
    } else if (op->op == "send") {
      if (op->to.is_atom()) {
        co_await ctx.send(op->to.atom(), op->request);
      } else {
        Pid pid = co_await otp::whereis(ctx, address_of(op->to));
        if (!pid) ctx.exit(Term(sa::badarg()));
        co_await ctx.send(pid, op->request);
      }
    } else {
      ctx.exit(sim::tuple(Atom("bad_client_op"), Term::string(op->op)));
    }
  } catch (const ExitException& e) {
    exit_reason = e.reason;
  }
  ClientCall& call = record->calls[index];
  call.end_us = ctx.now_us();
  call.end_step = record->steps();
  if (!exit_reason) {
    call.result = std::move(result);
  } else if (op->catch_exit) {
    call.result = sim::tuple(Atom("exit"), *exit_reason);
  } else {
    call.exited = true;
    call.exit_reason = *exit_reason;
    throw ExitException{*exit_reason};
  }
}

Pid TreeSystem::resolve(std::string_view target, sim::Kernel& kernel, const RunRecord& record, std::string& why_not) {
  if (target.starts_with(any_child_prefix)) {
    std::string_view parent = target.substr(any_child_prefix.size());
    std::vector<Pid> live;  // record.processes is in pid order
    for (const ProcessLife& life : record.processes) {
      if (!kernel.is_alive(life.pid)) continue;
      const std::string path = path_of_label(life.label, *tree_);
      if (!path.empty() && parent_path(path) == parent) live.push_back(life.pid);
    }
    if (live.empty()) {
      why_not = "no live child of " + std::string(parent);
      return {};
    }
    const std::uint64_t pick = live.size() > 1 ? kernel.choose(live.size()) : 0;  // a logged data choice
    return live[pick];
  }
  const std::string label = label_of_path(*tree_, target);
  for (auto it = record.processes.rbegin(); it != record.processes.rend(); ++it) {
    if (it->label == label && kernel.is_alive(it->pid)) return it->pid;
  }
  why_not = "no live process at " + std::string(target);
  return {};
}

bool TreeSystem::names(std::string_view target, Pid pid, const sim::Kernel&, const RunRecord& record) const {
  const ProcessLife* life = record.life(pid);
  if (life == nullptr) return false;
  const std::string path = path_of_label(life->label, *tree_);
  if (path.empty()) return false;
  if (target.starts_with(any_child_prefix)) return parent_path(path) == target.substr(any_child_prefix.size());
  return path == target;
}

bool TreeSystem::owns(const std::string& label) const { return !path_of_label(label, *tree_).empty(); }

}  // namespace otpsim::core::tree
