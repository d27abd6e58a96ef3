// The trio's tree as data (trio_tree.hpp).
#include "core/tokens/trio_tree.hpp"

namespace otpsim::core::tokens {

namespace {

tree::Node node(std::string id, tree::NodeKind kind, sim::Atom name, std::string label) {
  tree::Node n;
  n.id = std::move(id);
  n.kind = kind;
  n.name = std::string(name.text());
  n.label = std::move(label);
  return n;
}

}  // namespace

tree::TreeSpec reference_tree(const TrioConfig& config) {
  const Names& names = config.names;
  tree::TreeSpec t;
  t.name = "tokens";
  t.root = node("top", tree::NodeKind::supervisor, names.top, "tokens_sup");
  t.root.strategy = otp::Strategy::rest_for_one;
  t.root.intensity = 3;
  t.root.period_s = 5;
  // The Registry keeps its own labels (its name, and NAME.PIDPartition0).
  t.root.children.push_back(node("registry", tree::NodeKind::registry, names.registry, ""));
  tree::Node ets = node("ets_owner", tree::NodeKind::worker, names.ets_owner, "ets_owner");
  ets.native = std::string(ets_owner_native);
  t.root.children.push_back(std::move(ets));
  t.root.children.push_back(node("task_sup", tree::NodeKind::task_supervisor, names.task_sup, "task_sup"));
  tree::Node dyn = node("dyn_sup", tree::NodeKind::dynamic_supervisor, names.dyn_sup, "dyn_sup");
  dyn.intensity = 20;
  dyn.period_s = 60;
  t.root.children.push_back(std::move(dyn));
  tree::Node app;
  app.id = "app_server";
  app.kind = tree::NodeKind::worker;
  app.native = std::string(app_server_native);
  app.via_registry = std::string(names.registry.text());
  app.via_key = sim::Term(sim::atom("$arg"));
  app.label = "app:$arg";
  t.templates.emplace(app.id, std::move(app));
  return t;
}

tree::TreeSpec trio_tree(const TrioConfig& config) {
  tree::TreeSpec t = reference_tree(config);
  if (config.mutants.has(Mutant::top_one_for_one)) t.root.strategy = otp::Strategy::one_for_one;
  return t;
}

}  // namespace otpsim::core::tokens
