// TreeSpec lookups and validation (spec.hpp).
#include "core/tree/spec.hpp"

#include <fmt/format.h>

#include <functional>
#include <set>

#include "core/tree/native.hpp"

namespace otpsim::core::tree {

otp::Shutdown Node::shutdown_or_default() const {
  if (shutdown) return *shutdown;
  return kind == NodeKind::worker ? otp::Shutdown::timeout_ms(5000) : otp::Shutdown::infinity();
}

const Node* TreeSpec::find(std::string_view path) const {
  const Node* node = nullptr;
  std::size_t at = 0;
  while (at <= path.size()) {
    std::size_t slash = path.find('/', at);
    std::string_view id = path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
    if (node != nullptr) {
      if (std::size_t colon = id.find(':'); colon != std::string_view::npos) {
        // "sup/template:arg": the rest of the path is the arg (it may hold '/').
        if (node->kind != NodeKind::dynamic_supervisor) return nullptr;
        auto t = templates.find(std::string(id.substr(0, colon)));
        return t == templates.end() ? nullptr : &t->second;
      }
      const Node* next = nullptr;
      for (const Node& child : node->children) {
        if (child.id == id) next = &child;
      }
      node = next;
    } else {
      node = id == root.id ? &root : nullptr;
    }
    if (node == nullptr || slash == std::string_view::npos) return node;
    at = slash + 1;
  }
  return nullptr;
}

std::vector<std::string> TreeSpec::paths() const {
  std::vector<std::string> out;
  std::function<void(const Node&, const std::string&)> walk = [&](const Node& node, const std::string& path) {
    out.push_back(path);
    for (const Node& child : node.children) walk(child, path + "/" + child.id);
  };
  walk(root, root.id);
  return out;
}

namespace {

bool valid_id(const std::string& id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

class Validator {
 public:
  explicit Validator(const TreeSpec& tree) : tree_(tree) { collect_registries(tree.root); }

  std::optional<std::string> run() {
    if (auto e = node(tree_.root, tree_.root.id)) return e;
    for (const auto& [id, tmpl] : tree_.templates) {
      std::string where = "template " + id;
      if (!valid_id(id) || tmpl.id != id) return where + ": a template's id must be [a-z0-9_]+ and its key";
      if (tmpl.kind != NodeKind::worker) return where + ": a template must be a worker";
      if (auto e = node(tmpl, where)) return e;
    }
    for (const auto& [name, behaviour] : tree_.behaviours) {
      std::string where = "behaviour " + name;
      for (const auto* steps : {&behaviour.init, &behaviour.terminate}) {
        if (auto e = this->steps(*steps, where)) return e;
      }
      for (const auto* clauses : {&behaviour.calls, &behaviour.casts, &behaviour.infos}) {
        for (const Clause& c : *clauses) {
          if (auto e = this->steps(c.steps, where)) return e;
        }
      }
    }
    return std::nullopt;
  }

 private:
  void collect_registries(const Node& n) {
    if (n.kind == NodeKind::registry && !n.name.empty()) registries_.insert(n.name);
    for (const Node& c : n.children) collect_registries(c);
  }

  std::optional<std::string> node(const Node& n, const std::string& path) {
    if (!valid_id(n.id)) return fmt::format("{}: bad id '{}' (want [a-z0-9_]+)", path, n.id);
    std::set<std::string> ids;
    for (const Node& c : n.children) {
      if (!ids.insert(c.id).second) return fmt::format("{}: duplicate child id '{}'", path, c.id);
    }
    if (!n.children.empty() && n.kind != NodeKind::supervisor) {
      return fmt::format("{}: only a supervisor has declared children", path);
    }
    if (n.kind == NodeKind::registry && n.name.empty()) return fmt::format("{}: a Registry needs a name", path);
    if (n.kind == NodeKind::registry && n.partitions != 1) {
      return fmt::format("{}: a Registry has one partition here (got {})", path, n.partitions);
    }
    if (!n.via_registry.empty() && !registries_.contains(n.via_registry)) {
      return fmt::format("{}: via_registry '{}' names no Registry node", path, n.via_registry);
    }
    if (n.kind == NodeKind::worker) {
      if (n.behaviour.empty() == n.native.empty()) {
        return fmt::format("{}: a worker needs exactly one of behaviour and native", path);
      }
      if (!n.behaviour.empty() && !tree_.behaviours.contains(n.behaviour)) {
        return fmt::format("{}: unknown behaviour '{}'", path, n.behaviour);
      }
      if (!n.native.empty() && find_native(n.native) == nullptr) {
        return fmt::format("{}: unknown native worker '{}'", path, n.native);
      }
    }
    for (const Node& c : n.children) {
      if (auto e = node(c, path + "/" + c.id)) return e;
    }
    return std::nullopt;
  }

  std::optional<std::string> steps(const std::vector<Step>& steps, const std::string& where) {
    for (const Step& s : steps) {
      if (auto e = step(s, where)) return e;
    }
    return std::nullopt;
  }

  std::optional<std::string> step(const Step& s, const std::string& where) {
    using K = Step::Kind;
    if (s.kind == K::start_child) {
      const Node* sup = tree_.find(s.sup);
      if (sup == nullptr || sup->kind != NodeKind::dynamic_supervisor) {
        return fmt::format("{}: start_child names {}, not a DynamicSupervisor", where, s.sup);
      }
      if (!tree_.templates.contains(s.child)) return fmt::format("{}: start_child of unknown template '{}'", where, s.child);
    }
    if (s.kind == K::task_async_nolink || s.kind == K::task_start_child) {
      const Node* sup = tree_.find(s.sup);
      if (sup == nullptr || sup->kind != NodeKind::task_supervisor) {
        return fmt::format("{}: a task step names {}, not a Task.Supervisor", where, s.sup);
      }
    }
    if ((s.kind == K::registry_register || s.kind == K::registry_lookup) && !registries_.contains(s.registry)) {
      return fmt::format("{}: registry '{}' names no Registry node", where, s.registry);
    }
    if ((s.kind == K::table_new || s.kind == K::table_insert || s.kind == K::table_lookup ||
         s.kind == K::table_delete) && s.table.empty()) {
      return fmt::format("{}: a table step needs a table name", where);
    }
    if (auto e = steps(s.steps, where)) return e;
    for (const Clause& c : s.clauses) {
      if (auto e = steps(c.steps, where)) return e;
    }
    return std::nullopt;
  }

  const TreeSpec& tree_;
  std::set<std::string> registries_;
};

}  // namespace

std::optional<std::string> validate(const TreeSpec& tree) { return Validator(tree).run(); }

}  // namespace otpsim::core::tree
