#include "scenarios/observation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace otpsim::scenarios {

namespace {

using core::tree::Node;
using core::tree::NodeKind;

void walk(const Node& n, const std::string& path, std::vector<std::string>& out) {
  out.push_back(path);
  for (const Node& c : n.children) walk(c, path + "/" + c.id, out);
}

/// The prefixes "<dynamic supervisor path>/<template id>:" a dynamic child's path starts with.
std::vector<std::string> template_prefixes(const core::tree::TreeSpec& tree, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    const Node* n = nullptr;
    // Find the node by walking (TreeSpec::find may not know every kind of path).
    std::vector<const Node*> stack{&tree.root};
    std::vector<std::string> names{tree.root.id};
    while (!stack.empty()) {
      const Node* cur = stack.back();
      std::string name = names.back();
      stack.pop_back();
      names.pop_back();
      if (name == p) {
        n = cur;
        break;
      }
      for (const Node& c : cur->children) {
        stack.push_back(&c);
        names.push_back(name + "/" + c.id);
      }
    }
    if (n == nullptr || n->kind != NodeKind::dynamic_supervisor) continue;
    for (const auto& entry : tree.templates) out.push_back(p + "/" + entry.first + ":");
  }
  return out;
}

}  // namespace

std::vector<std::string> static_paths(const core::tree::TreeSpec& tree) {
  std::vector<std::string> out;
  walk(tree.root, tree.root.id, out);
  return out;
}

std::string canonical_term(const sim::Term& term) {
  switch (term.kind()) {
    case sim::Term::Kind::pid: return "<pid>";
    case sim::Term::Kind::ref: return "<ref>";
    case sim::Term::Kind::tuple:
    case sim::Term::Kind::list: {
      std::string out = term.is_tuple() ? "{" : "[";
      bool first = true;
      for (const sim::Term& e : term.elements()) {
        if (!first) out += ',';
        first = false;
        out += canonical_term(e);
      }
      return out + (term.is_tuple() ? "}" : "]");
    }
    default: return term.to_string();
  }
}

std::string observation(const ScenarioSpec& spec, const core::RunRecord& record) {
  const core::tree::TreeSpec& tree = *spec.tree;
  std::vector<std::string> lines;

  std::map<std::string, int> call_index;
  for (const core::ClientCall& c : record.calls) {
    if (c.op != "call" || c.end_us < 0) continue;
    const int n = ++call_index[c.client_name];
    const std::string result =
        c.exited ? "exited:" + canonical_term(c.exit_reason) : canonical_term(c.result);
    lines.push_back(fmt::format("call {} {} {}", c.client_name, n, result));
  }

  const std::vector<std::string> paths = static_paths(tree);
  const std::vector<std::string> prefixes = template_prefixes(tree, paths);
  auto observed = [&](const std::string& label) {
    if (std::find(paths.begin(), paths.end(), label) != paths.end()) return true;
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return label.size() > p.size() && label.starts_with(p); });
  };
  std::map<std::string, std::pair<int, std::vector<std::string>>> nodes;
  std::map<std::string, bool> alive;
  const core::ProcessLife* root = nullptr;
  for (const core::ProcessLife& life : record.processes) {
    if (!observed(life.label)) continue;
    auto& [starts, exits] = nodes[life.label];
    ++starts;
    if (!life.alive()) exits.push_back(canonical_term(life.exit_reason));
    if (life.alive()) alive[life.label] = true;
    if (life.label == tree.root.id) root = &life;
  }
  for (auto& [path, entry] : nodes) {
    std::sort(entry.second.begin(), entry.second.end());
    std::string exits;
    for (const std::string& r : entry.second) exits += (exits.empty() ? "" : ",") + r;
    lines.push_back(fmt::format("node {} starts {} exits [{}]", path, entry.first, exits));
  }
  for (const std::string& p : paths) lines.push_back(fmt::format("final {} {}", p, alive[p] ? "alive" : "dead"));
  if (root == nullptr) {
    lines.push_back("root exit none");
  } else {
    lines.push_back(root->alive() ? "root alive" : "root exit " + canonical_term(root->exit_reason));
  }

  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

std::string observation(const ScenarioSpec& spec, const RunReport& report) {
  return observation(spec, *report.record);
}

}  // namespace otpsim::scenarios
