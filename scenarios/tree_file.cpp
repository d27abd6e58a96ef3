// The tree tables of a scenario or tree file (tree_file.hpp), read with the
// scenario file's checker (toml_checker.hpp), and written back.
#include "scenarios/tree_file.hpp"

#include "core/tokens/trio_system.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <array>
#include <set>
#include <sstream>

#include "scenarios/term_text.hpp"
#include "scenarios/toml_checker.hpp"

namespace otpsim::scenarios {

namespace tree = core::tree;
namespace otp = core::otp;
using sim::Micros;
using tree::Step;
using toml_check::Checker;
using toml_check::child;
using toml_check::at_index;
using toml_check::Keys;
using toml_check::Pos;

namespace {

using SK = Step::Kind;

constexpr std::string_view tree_root_keys[] = {"tree", "templates", "behaviour"};
constexpr std::string_view node_keys[] = {"id",       "kind",         "strategy",   "intensity", "period_s",
                                          "name",     "restart",      "shutdown",   "max_children", "partitions",
                                          "behaviour", "native",      "arg",        "via",       "children"};
constexpr std::string_view template_keys[] = {"kind", "name", "restart", "shutdown", "behaviour", "native", "arg", "via"};
constexpr std::string_view via_keys[] = {"registry", "key"};
constexpr std::string_view behaviour_keys[] = {"init", "terminate", "call", "cast", "info"};
constexpr std::string_view clause_keys[] = {"match", "steps"};
constexpr std::string_view case_keys[] = {"pattern", "steps"};

constexpr std::array<std::string_view, 5> kind_names{"supervisor", "dynamic_supervisor", "registry", "task_supervisor",
                                                     "worker"};
constexpr std::array<std::string_view, 3> strategy_names{"one_for_one", "rest_for_one", "one_for_all"};
constexpr std::array<std::string_view, 3> restart_names{"permanent", "transient", "temporary"};

/// A step kind: the key that names it (and carries its main value), and
/// the other keys it takes.
class StepSyntax {
 public:
  std::string_view key;
  SK kind;
  std::vector<std::string_view> extras;
};

const std::vector<StepSyntax>& step_syntax() {
  static const std::vector<StepSyntax> table = {
      {"reply", SK::reply, {}},
      {"noreply", SK::noreply, {}},
      {"stop", SK::stop, {}},
      {"ignore", SK::ignore, {}},
      {"crash", SK::crash, {}},
      {"sleep_ms", SK::sleep, {}},
      {"trap_exit", SK::trap_exit, {}},
      {"match", SK::match, {"cases"}},
      {"set", SK::set, {"value"}},
      {"state_put", SK::state_put, {"value"}},
      {"state_get", SK::state_get, {"as"}},
      {"call", SK::call, {"request", "timeout_ms", "catch", "as"}},
      {"cast", SK::cast, {"request"}},
      {"send", SK::send, {"message"}},
      {"send_after_ms", SK::send_after, {"message"}},
      {"register_name", SK::register_name, {}},
      {"registry_register", SK::registry_register, {"key", "value", "as"}},
      {"registry_lookup", SK::registry_lookup, {"key", "as"}},
      {"whereis", SK::whereis, {"as"}},
      {"table_new", SK::table_new, {"heir"}},
      {"table_insert", SK::table_insert, {"key", "value"}},
      {"table_lookup", SK::table_lookup, {"key", "catch", "as"}},
      {"table_delete", SK::table_delete, {"key"}},
      {"start_child", SK::start_child, {"child", "arg", "as"}},
      {"task_async", SK::task_async, {"timeout_ms", "catch", "as"}},
      {"task_async_nolink", SK::task_async_nolink, {"steps", "timeout_ms", "as"}},
      {"task_start_child", SK::task_start_child, {"steps", "as"}},
  };
  return table;
}

const StepSyntax* syntax_of(std::string_view key) {
  for (const StepSyntax& s : step_syntax()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const StepSyntax& syntax_of(SK kind) {
  for (const StepSyntax& s : step_syntax()) {
    if (s.kind == kind) return s;
  }
  return step_syntax().front();  // unreachable: every kind has a row (tree_file.test.cpp)
}

std::string step_key_list() {
  std::vector<std::string> keys;
  for (const StepSyntax& s : step_syntax()) keys.emplace_back(s.key);
  return toml_check::join(keys);
}

template <std::size_t N>
std::string list(const std::array<std::string_view, N>& names) {
  return toml_check::join(", ", Keys(names.data(), names.size()));
}

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return i;
  }
  return std::nullopt;
}

bool valid_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

/// The variables (atoms "$NAME") in `t`.
void variables_in(const tree::Value& t, std::set<std::string>& out) {
  if (t.is_atom()) {
    if (is_variable(t.atom().text())) out.emplace(t.atom().text());
  } else if (t.is_tuple() || t.is_list()) {
    for (const tree::Value& e : t.elements()) variables_in(e, out);
  }
}

/// What `steps` bind (patterns, `as`, `set`) and use (every other value).
void variables_of(const std::vector<Step>& steps, std::set<std::string>& bound, std::set<std::string>& used) {
  for (const Step& s : steps) {
    if (!s.as.empty()) bound.insert(s.as);
    for (const tree::Value* v : {&s.to, &s.value, &s.key, &s.reason}) variables_in(*v, used);
    for (const tree::Clause& c : s.clauses) {
      variables_in(c.pattern, bound);
      variables_of(c.steps, bound, used);
    }
    variables_of(s.steps, bound, used);
  }
}

/// A variable that `b` uses and nothing in it ever binds (a typo, most
/// often), or "". Conservative: a variable bound anywhere in the
/// behaviour counts as bound everywhere (the runtime crashes the worker
/// with {unbound, Name} if it is not bound when used).
std::string unbound_variable(const tree::Behaviour& b) {
  std::set<std::string> bound{"$self", "$arg", "$msg", "$result"}, used;
  variables_of(b.init, bound, used);
  variables_of(b.terminate, bound, used);
  for (const auto* clauses : {&b.calls, &b.casts, &b.infos}) {
    for (const tree::Clause& c : *clauses) {
      variables_in(c.pattern, bound);
      variables_of(c.steps, bound, used);
    }
  }
  for (const std::string& v : used) {
    if (!bound.count(v)) return v;
  }
  return "";
}

class TreeParser {
 public:
  explicit TreeParser(Checker& check) : c_(check) {}

  tree::TreeSpec parse(const toml::table& root) {
    tree::TreeSpec out;
    out.name = "tree";
    if (const toml::table* b = c_.table(root, "", "behaviour")) {
      for (auto&& [key, node] : *b) {
        const std::string path = child("behaviour", key.str());
        const toml::table* t = node.as_table();
        if (t == nullptr) {
          c_.wrong_type(node, path, fmt::format("a table ([{}])", path));
          continue;
        }
        if (!toml_check::is_bare_key(key.str())) {
          c_.error(toml_check::pos_of(key), fmt::format("{}: a behaviour's name is letters, digits, '_' and '-'", path));
          continue;
        }
        tree::Behaviour b = behaviour(*t, path, std::string(key.str()));
        if (const std::string v = unbound_variable(b); !v.empty()) {
          c_.error(*t, fmt::format("{}: {} is never bound (a pattern, an `as` or a `set` binds a variable; $self, "
                                   "$arg, $msg and $result are always bound)", path, v));
        }
        out.behaviours[std::string(key.str())] = std::move(b);
      }
    }
    behaviours_ = &out.behaviours;
    if (const toml::node* t = Checker::find(root, "tree")) {
      if (t->is_string()) {
        c_.error(*t, "tree: a tree file is named in [scenario] (tree = \"FILE\" under its header); a top-level "
                     "tree is the [tree] table");
      } else if (const toml::table* tt = c_.table(root, "", "tree")) {
        out.root = node(*tt, "tree", nullptr);
      }
    } else {
      c_.missing(Pos{}, "[tree]: required table missing (the root node: id, kind and its children)");
    }
    if (const toml::table* ts = c_.table(root, "", "templates")) {
      for (auto&& [key, node] : *ts) {
        const std::string path = child("templates", key.str());
        const toml::table* t = node.as_table();
        if (t == nullptr) {
          c_.wrong_type(node, path, fmt::format("a table ([{}])", path));
          continue;
        }
        const std::string id(key.str());
        if (!valid_id(id)) {
          c_.error(toml_check::pos_of(key), fmt::format("{}: a template's id is lower-case letters, digits and '_'", path));
          continue;
        }
        out.templates[id] = this->node(*t, path, &id);
      }
    }
    return out;
  }

 private:
  // -- values --

  /// A term: a string in the term syntax, or a TOML integer.
  std::optional<tree::Value> term(const toml::node& n, std::string_view path) {
    if (const auto* i = n.as_integer()) return tree::Value(i->get());
    const auto* s = n.as_string();
    if (s == nullptr) {
      c_.wrong_type(n, path, "a term in a string ('{ok, $pid}') or an integer");
      return std::nullopt;
    }
    auto parsed = parse_term(s->get());
    if (auto* e = std::get_if<TermError>(&parsed)) {
      c_.error(toml_check::column_in_string(n, s->get().size(), e->column),
               fmt::format("{}: {} (at column {} of '{}')", path, e->message, e->column, s->get()));
      return std::nullopt;
    }
    return std::get<tree::Value>(std::move(parsed));
  }
  std::optional<tree::Value> term(const toml::table& t, std::string_view path, std::string_view key) {
    const toml::node* n = Checker::find(t, key);
    return n ? term(*n, child(path, key)) : std::nullopt;
  }
  /// A required term.
  std::optional<tree::Value> need_term(const toml::table& t, std::string_view path, std::string_view key,
                                       std::string_view why) {
    if (Checker::find(t, key) == nullptr) {
      c_.missing(t, fmt::format("{}: required key missing ({})", child(path, key), why));
      return std::nullopt;
    }
    return term(t, path, key);
  }

  std::optional<std::string> variable(const toml::table& t, std::string_view path, std::string_view key) {
    std::optional<std::string> v = c_.string(t, path, key);
    if (v && !is_variable(*v)) {
      c_.error(*Checker::find(t, key), fmt::format("{}: '{}' is not a variable ($ then a letter or '_': '$pid')",
                                                   child(path, key), *v));
      return std::nullopt;
    }
    return v;
  }

  /// A key whose only meaningful value is true (noreply = true).
  void flag(const toml::table& t, std::string_view path, std::string_view key) {
    if (auto v = c_.boolean(t, path, key); v && !*v) {
      c_.error(*Checker::find(t, key), fmt::format("{}: write {} = true (false declares nothing)", child(path, key), key));
    }
  }

  // -- steps --

  std::vector<Step> steps(const toml::table& t, std::string_view path, std::string_view key) {
    std::vector<Step> out;
    const auto tables = c_.tables(t, path, key, "an array of steps ([ { reply = 'ok' } ])");
    for (std::size_t i = 0; i < tables.size(); ++i) {
      if (tables[i] != nullptr) out.push_back(step(*tables[i], at_index(child(path, key), i)));
    }
    return out;
  }

  Step step(const toml::table& t, const std::string& path) {
    std::vector<std::pair<const StepSyntax*, Pos>> kinds;
    for (auto&& [key, value] : t) {
      (void)value;
      if (const StepSyntax* s = syntax_of(key.str())) kinds.emplace_back(s, toml_check::pos_of(key));
    }
    std::sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) {
      return std::pair(a.second.line, a.second.column) < std::pair(b.second.line, b.second.column);
    });
    if (kinds.empty()) {
      c_.error(t, fmt::format("{}: a step needs a kind key, one of: {}", path, step_key_list()));
      return Step();
    }
    if (kinds.size() > 1) {
      c_.error(kinds[1].second, fmt::format("{}.{}: a step has one kind, and {} is already given", path,
                                            kinds[1].first->key, kinds[0].first->key));
      return Step();
    }
    const StepSyntax& s = *kinds[0].first;
    std::vector<std::string_view> allowed{s.key};
    allowed.insert(allowed.end(), s.extras.begin(), s.extras.end());
    c_.keys(t, path, fmt::format("a {} step", s.key), allowed);
    Step st(s.kind);
    const std::string_view k = s.key;
    const std::string main = child(path, k);
    switch (s.kind) {
      case SK::reply:
        if (auto v = term(t, path, k)) st.value = *v;
        break;
      case SK::noreply:
      case SK::ignore:
      case SK::trap_exit: flag(t, path, k); break;
      case SK::stop:
      case SK::crash:
        if (auto v = term(t, path, k)) st.reason = *v;
        break;
      case SK::sleep:
      case SK::send_after:
        if (auto v = c_.duration(t, path, k, 1000, 0)) st.timeout_us = *v;
        if (s.kind == SK::send_after) {
          if (auto v = need_term(t, path, "message", "the message the timer sends")) st.value = *v;
        }
        break;
      case SK::match: {
        if (auto v = term(t, path, k)) st.value = *v;
        if (!c_.require(t, path, "cases")) break;
        const auto cases = c_.tables(t, path, "cases", "an array of cases ([ { pattern = '{ok, $x}', steps = [] } ])");
        for (std::size_t i = 0; i < cases.size(); ++i) {
          if (cases[i] == nullptr) continue;
          const std::string cp = at_index(child(path, "cases"), i);
          c_.keys(*cases[i], cp, "a case", case_keys);
          tree::Clause clause;
          if (auto v = need_term(*cases[i], cp, "pattern", "the pattern the value is matched against")) clause.pattern = *v;
          clause.steps = steps(*cases[i], cp, "steps");
          st.clauses.push_back(std::move(clause));
        }
        break;
      }
      case SK::set:
        if (auto v = variable(t, path, k)) st.as = *v;
        if (auto v = need_term(t, path, "value", "the value the variable is bound to")) st.value = *v;
        break;
      case SK::state_put:
        if (auto v = term(t, path, k)) st.key = *v;
        if (auto v = need_term(t, path, "value", "the value stored under the key")) st.value = *v;
        break;
      case SK::state_get:
      case SK::table_delete:
        if (s.kind == SK::state_get) {
          if (auto v = term(t, path, k)) st.key = *v;
        } else {
          if (auto v = c_.name(t, path, k)) st.table = *v;
          if (auto v = need_term(t, path, "key", "the row's key")) st.key = *v;
        }
        break;
      case SK::call:
      case SK::cast:
        if (auto v = term(t, path, k)) st.to = *v;
        if (auto v = need_term(t, path, "request", "the request sent")) st.value = *v;
        break;
      case SK::send:
        if (auto v = term(t, path, k)) st.to = *v;
        if (auto v = need_term(t, path, "message", "the message sent")) st.value = *v;
        break;
      case SK::register_name:
      case SK::whereis:
        if (auto v = term(t, path, k)) st.to = *v;
        if (s.kind == SK::register_name && !st.to.is_atom()) {
          c_.error(*Checker::find(t, k), fmt::format("{}: a registered name is an atom", main));
        }
        break;
      case SK::registry_register:
      case SK::registry_lookup:
        if (auto v = c_.name(t, path, k)) st.registry = *v;
        if (auto v = need_term(t, path, "key", "the key in the Registry")) st.key = *v;
        if (s.kind == SK::registry_register) {
          st.value = sim::atom("nil");
          if (auto v = term(t, path, "value")) st.value = *v;
        }
        break;
      case SK::table_new:
        if (auto v = c_.name(t, path, k)) st.table = *v;
        if (auto v = c_.name(t, path, "heir")) st.heir = *v;
        break;
      case SK::table_insert:
        if (auto v = c_.name(t, path, k)) st.table = *v;
        if (auto v = need_term(t, path, "key", "the row's key")) st.key = *v;
        if (auto v = need_term(t, path, "value", "the row's value")) st.value = *v;
        break;
      case SK::table_lookup:
        if (auto v = c_.name(t, path, k)) st.table = *v;
        if (auto v = need_term(t, path, "key", "the row's key")) st.key = *v;
        break;
      case SK::start_child:
        if (auto v = c_.name(t, path, k)) st.sup = *v;
        if (c_.require(t, path, "child")) {
          if (auto v = c_.name(t, path, "child")) st.child = *v;
        }
        st.value = sim::Term::list({});
        if (auto v = term(t, path, "arg")) st.value = *v;
        break;
      case SK::task_async: st.steps = steps(t, path, k); break;
      case SK::task_async_nolink:
      case SK::task_start_child:
        if (auto v = c_.name(t, path, k)) st.sup = *v;
        if (c_.require(t, path, "steps")) st.steps = steps(t, path, "steps");
        break;
    }
    if (auto v = c_.duration(t, path, "timeout_ms", 1000, 0)) st.timeout_us = *v;
    if (auto v = c_.boolean(t, path, "catch")) st.catch_exit = *v;
    if (s.kind != SK::set) {
      if (auto v = variable(t, path, "as")) st.as = *v;
    }
    return st;
  }

  // -- behaviours --

  std::vector<tree::Clause> clauses(const toml::table& t, std::string_view path, std::string_view key) {
    std::vector<tree::Clause> out;
    const auto tables = c_.tables(t, path, key, fmt::format("an array of tables ([[{}]])", child(path, key)));
    for (std::size_t i = 0; i < tables.size(); ++i) {
      if (tables[i] == nullptr) continue;
      const std::string cp = at_index(child(path, key), i);
      c_.keys(*tables[i], cp, fmt::format("a {} clause", key), clause_keys);
      tree::Clause clause;
      if (auto v = need_term(*tables[i], cp, "match", "the pattern the message is matched against")) clause.pattern = *v;
      clause.steps = steps(*tables[i], cp, "steps");
      out.push_back(std::move(clause));
    }
    return out;
  }

  tree::Behaviour behaviour(const toml::table& t, const std::string& path, std::string name) {
    c_.keys(t, path, fmt::format("[{}]", path), behaviour_keys);
    tree::Behaviour b;
    b.name = std::move(name);
    b.init = steps(t, path, "init");
    b.terminate = steps(t, path, "terminate");
    b.calls = clauses(t, path, "call");
    b.casts = clauses(t, path, "cast");
    b.infos = clauses(t, path, "info");
    return b;
  }

  // -- nodes --

  /// Reports `key` if present on a node of a kind that does not take it.
  bool only(const toml::table& t, std::string_view path, std::string_view key, bool takes, std::string_view who,
            std::string_view kind) {
    const toml::node* n = Checker::find(t, key);
    if (n == nullptr) return false;
    if (!takes) {
      c_.error(*n, fmt::format("{}: only {} takes {}, not a {}", child(path, key), who, key, kind));
      return false;
    }
    return true;
  }

  template <std::size_t N>
  std::optional<std::size_t> choice(const toml::table& t, std::string_view path, std::string_view key,
                                    const std::array<std::string_view, N>& names, std::string_view what) {
    std::optional<std::string> v = c_.string(t, path, key);
    if (!v) return std::nullopt;
    std::optional<std::size_t> i = index_of(names, *v);
    if (!i) {
      c_.error(*Checker::find(t, key),
               fmt::format("{}: unknown {} '{}' (expected one of: {})", child(path, key), what, *v, list(names)));
    }
    return i;
  }

  /// A node of the tree, or a template (`template_id` set: its id is the
  /// table's key, its kind worker).
  tree::Node node(const toml::table& t, const std::string& path, const std::string* template_id) {
    c_.keys(t, path, template_id ? "a template" : "a node", template_id ? Keys(template_keys) : Keys(node_keys));
    tree::Node n;
    if (template_id) {
      n.id = *template_id;
      if (auto k = choice(t, path, "kind", kind_names, "kind"); k && *k != 4) {
        c_.error(*Checker::find(t, "kind"), fmt::format("{}.kind: a template is a worker", path));
      }
    } else {
      if (c_.require(t, path, "id")) {
        if (auto v = c_.string(t, path, "id")) {
          if (valid_id(*v)) {
            n.id = *v;
          } else {
            c_.error(*Checker::find(t, "id"),
                     fmt::format("{}.id: '{}' is not an id (lower-case letters, digits and '_')", path, *v));
          }
        }
      }
      if (c_.require(t, path, "kind")) {
        if (auto k = choice(t, path, "kind", kind_names, "kind")) {
          n.kind = static_cast<tree::NodeKind>(*k);
        } else {
          return n;  // the kind-dependent keys cannot be judged
        }
      } else {
        return n;
      }
    }
    using NK = tree::NodeKind;
    const NK kind = n.kind;
    const std::string_view kind_name = kind_names[static_cast<std::size_t>(kind)];
    const bool sup = kind == NK::supervisor;
    const bool dynamic = kind == NK::dynamic_supervisor || kind == NK::task_supervisor;
    const bool worker = kind == NK::worker;

    if (auto v = c_.name(t, path, "name")) n.name = *v;
    if (auto r = choice(t, path, "restart", restart_names, "restart")) n.restart = static_cast<otp::Restart>(*r);
    if (const toml::node* s = Checker::find(t, "shutdown")) {
      if (const auto* i = s->as_integer()) {
        if (i->get() < 0 || i->get() > std::numeric_limits<Micros>::max() / 1000) {
          c_.error(*s, Checker::range_message(child(path, "shutdown"), i->get(), 0,
                                              std::numeric_limits<Micros>::max() / 1000));
        } else {
          n.shutdown = otp::Shutdown::timeout_ms(i->get());
        }
      } else if (const auto* str = s->as_string(); str && str->get() == "brutal_kill") {
        n.shutdown = otp::Shutdown::brutal_kill();
      } else if (str && str->get() == "infinity") {
        n.shutdown = otp::Shutdown::infinity();
      } else {
        c_.error(*s, fmt::format("{}.shutdown: expected brutal_kill, infinity or an integer (ms)", path));
      }
    }

    if (only(t, path, "strategy", sup, "a supervisor", kind_name)) {
      if (auto v = choice(t, path, "strategy", strategy_names, "strategy")) n.strategy = static_cast<otp::Strategy>(*v);
    }
    if (only(t, path, "intensity", sup || dynamic, "a supervisor", kind_name)) {
      if (auto v = c_.integer(t, path, "intensity", 0, 1'000'000)) n.intensity = static_cast<int>(*v);
    }
    if (only(t, path, "period_s", sup || dynamic, "a supervisor", kind_name)) {
      if (auto v = c_.integer(t, path, "period_s", 1, 1'000'000)) n.period_s = static_cast<int>(*v);
    }
    if (only(t, path, "max_children", dynamic, "a dynamic_supervisor or task_supervisor", kind_name)) {
      if (auto v = c_.integer(t, path, "max_children", 0)) n.max_children = *v;
    }
    if (only(t, path, "partitions", kind == NK::registry, "a registry", kind_name)) {
      if (auto v = c_.integer(t, path, "partitions", 1, 1024)) n.partitions = static_cast<int>(*v);
    }
    if (kind == NK::registry && Checker::find(t, "name") == nullptr) {
      c_.missing(t, fmt::format("{}.name: required key missing (a registry is known by its name)", path));
    }
    const bool has_behaviour = only(t, path, "behaviour", worker, "a worker", kind_name);
    const bool has_native = only(t, path, "native", worker, "a worker", kind_name);
    if (has_behaviour && has_native) {
      c_.error(*Checker::find(t, "native"), fmt::format("{}.native: a worker is a behaviour or a native, not both", path));
    } else if (worker && !has_behaviour && !has_native) {
      c_.missing(t, fmt::format("{}.behaviour: required key missing (a worker runs a declared behaviour, "
                                "or native = \"NAME\")", path));
    }
    if (has_behaviour) {
      if (auto v = c_.name(t, path, "behaviour")) {
        n.behaviour = *v;
        if (behaviours_->find(*v) == behaviours_->end()) {
          std::vector<std::string> known;
          for (const auto& [name, b] : *behaviours_) known.push_back(name);
          c_.error(*Checker::find(t, "behaviour"),
                   fmt::format("{}.behaviour: no [behaviour.{}] is declared (declared: {})", path, *v,
                               known.empty() ? std::string("none") : toml_check::join(known)));
        }
      }
    }
    if (has_native) {
      if (auto v = c_.name(t, path, "native")) n.native = *v;
    }
    n.arg = sim::Term::list({});
    if (only(t, path, "arg", worker, "a worker", kind_name)) {
      if (auto v = term(t, path, "arg")) n.arg = *v;
    }
    if (only(t, path, "via", worker, "a worker", kind_name)) {
      if (const toml::table* via = c_.table(t, path, "via")) {
        const std::string vp = child(path, "via");
        c_.keys(*via, vp, "via", via_keys);
        if (c_.require(*via, vp, "registry")) {
          if (auto v = c_.name(*via, vp, "registry")) n.via_registry = *v;
        }
        if (auto v = need_term(*via, vp, "key", "the key the worker is registered under")) n.via_key = *v;
      }
    }
    if (only(t, path, "children", sup, "a supervisor", kind_name)) {
      const auto children = c_.tables(t, path, "children", fmt::format("an array of tables ([[{}.children]])", path));
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (children[i] != nullptr) n.children.push_back(node(*children[i], at_index(child(path, "children"), i), nullptr));
      }
    }
    return n;
  }

  Checker& c_;
  const std::map<std::string, tree::Behaviour>* behaviours_ = nullptr;
};

// -- writing --

bool literal_ok(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return ch == '\'' || c < 0x20 || c == 0x7f;
  });
}

std::string q(std::string_view text) { return toml_quote(text); }
std::string qt(const tree::Value& v) { return toml_quote(print_term(v)); }

std::string steps_text(const std::vector<Step>& steps, bool multiline);

std::string step_text(const Step& s) {
  const StepSyntax& syn = syntax_of(s.kind);
  std::vector<std::string> kv;
  auto add = [&kv](std::string_view key, std::string value) { kv.push_back(fmt::format("{} = {}", key, value)); };
  const std::string_view k = syn.key;
  switch (s.kind) {
    case SK::reply: add(k, qt(s.value)); break;
    case SK::noreply:
    case SK::ignore:
    case SK::trap_exit: add(k, "true"); break;
    case SK::stop:
    case SK::crash: add(k, qt(s.reason)); break;
    case SK::sleep: add(k, fmt::format("{}", s.timeout_us / 1000)); break;
    case SK::send_after: add(k, fmt::format("{}", s.timeout_us / 1000)); add("message", qt(s.value)); break;
    case SK::match: {
      add(k, qt(s.value));
      std::vector<std::string> cases;
      for (const tree::Clause& c : s.clauses) {
        cases.push_back(fmt::format("{{ pattern = {}, steps = {} }}", qt(c.pattern), steps_text(c.steps, false)));
      }
      add("cases", fmt::format("[{}]", toml_check::join(cases)));
      break;
    }
    case SK::set: add(k, q(s.as)); add("value", qt(s.value)); break;
    case SK::state_put: add(k, qt(s.key)); add("value", qt(s.value)); break;
    case SK::state_get: add(k, qt(s.key)); break;
    case SK::call:
    case SK::cast: add(k, qt(s.to)); add("request", qt(s.value)); break;
    case SK::send: add(k, qt(s.to)); add("message", qt(s.value)); break;
    case SK::register_name:
    case SK::whereis: add(k, qt(s.to)); break;
    case SK::registry_register: add(k, q(s.registry)); add("key", qt(s.key)); add("value", qt(s.value)); break;
    case SK::registry_lookup: add(k, q(s.registry)); add("key", qt(s.key)); break;
    case SK::table_new:
      add(k, q(s.table));
      if (!s.heir.empty()) add("heir", q(s.heir));
      break;
    case SK::table_insert: add(k, q(s.table)); add("key", qt(s.key)); add("value", qt(s.value)); break;
    case SK::table_lookup:
    case SK::table_delete: add(k, q(s.table)); add("key", qt(s.key)); break;
    case SK::start_child: add(k, q(s.sup)); add("child", q(s.child)); add("arg", qt(s.value)); break;
    case SK::task_async: add(k, steps_text(s.steps, false)); break;
    case SK::task_async_nolink:
    case SK::task_start_child: add(k, q(s.sup)); add("steps", steps_text(s.steps, false)); break;
  }
  const auto takes = [&syn](std::string_view key) {
    return std::find(syn.extras.begin(), syn.extras.end(), key) != syn.extras.end();
  };
  if (takes("timeout_ms") && s.timeout_us != Step().timeout_us) add("timeout_ms", fmt::format("{}", s.timeout_us / 1000));
  if (takes("catch") && s.catch_exit) add("catch", "true");
  if (takes("as") && !s.as.empty()) add("as", q(s.as));
  return fmt::format("{{ {} }}", toml_check::join(kv));
}

std::string steps_text(const std::vector<Step>& steps, bool multiline) {
  if (steps.empty()) return "[]";
  std::string out = "[";
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (multiline) {
      out += "\n  " + step_text(steps[i]) + ",";
    } else {
      out += (i ? ", " : "") + step_text(steps[i]);
    }
  }
  return out + (multiline ? "\n]" : "]");
}

std::string shutdown_text(const otp::Shutdown& s) {
  if (s.is_brutal_kill()) return q("brutal_kill");
  if (s.is_infinity()) return q("infinity");
  return fmt::format("{}", s.timeout_us() / 1000);
}

/// A node's keys (not its header); children follow with their headers.
std::string node_text(const tree::Node& n, const std::string& header_path, bool is_template) {
  using NK = tree::NodeKind;
  std::string out;
  auto add = [&out](std::string_view key, const std::string& value) { out += fmt::format("{} = {}\n", key, value); };
  if (!is_template) add("id", q(n.id));
  add("kind", q(kind_names[static_cast<std::size_t>(n.kind)]));
  if (!n.name.empty()) add("name", q(n.name));
  add("restart", q(restart_names[static_cast<std::size_t>(n.restart)]));
  if (n.shutdown) add("shutdown", shutdown_text(*n.shutdown));
  const bool dynamic = n.kind == NK::dynamic_supervisor || n.kind == NK::task_supervisor;
  if (n.kind == NK::supervisor) add("strategy", q(strategy_names[static_cast<std::size_t>(n.strategy)]));
  if (n.kind == NK::supervisor || dynamic) {
    add("intensity", fmt::format("{}", n.intensity));
    add("period_s", fmt::format("{}", n.period_s));
  }
  if (dynamic && n.max_children >= 0) add("max_children", fmt::format("{}", n.max_children));
  if (n.kind == NK::registry) add("partitions", fmt::format("{}", n.partitions));
  if (n.kind == NK::worker) {
    if (!n.behaviour.empty()) add("behaviour", q(n.behaviour));
    if (!n.native.empty()) add("native", q(n.native));
    if (!(n.arg.is_list() && n.arg.size() == 0)) add("arg", qt(n.arg));
    if (!n.via_registry.empty()) {
      add("via", fmt::format("{{ registry = {}, key = {} }}", q(n.via_registry), qt(n.via_key)));
    }
  }
  for (const tree::Node& c : n.children) {
    const std::string p = header_path + ".children";
    out += fmt::format("\n[[{}]]\n", p) + node_text(c, p, false);
  }
  return out;
}

std::string clauses_text(const std::string& header, const std::vector<tree::Clause>& clauses) {
  std::string out;
  for (const tree::Clause& c : clauses) {
    out += fmt::format("\n[[{}]]\nmatch = {}\nsteps = {}\n", header, qt(c.pattern), steps_text(c.steps, true));
  }
  return out;
}

}  // namespace

std::string toml_quote(std::string_view text) {
  if (literal_ok(text)) return fmt::format("'{}'", text);
  std::string out = "\"";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string tree_to_toml(const core::tree::TreeSpec& tree) {
  std::string out = "[tree]\n" + node_text(tree.root, "tree", false);
  for (const auto& [id, t] : tree.templates) {
    out += fmt::format("\n[templates.{}]\n", child("", id)) + node_text(t, "", true);
  }
  for (const auto& [name, b] : tree.behaviours) {
    const std::string h = child("behaviour", name);
    out += fmt::format("\n[{}]\ninit = {}\nterminate = {}\n", h, steps_text(b.init, true), steps_text(b.terminate, true));
    out += clauses_text(h + ".call", b.calls);
    out += clauses_text(h + ".cast", b.casts);
    out += clauses_text(h + ".info", b.infos);
  }
  return out;
}

namespace toml_check {

core::tree::TreeSpec parse_tree_tables(const toml::table& root, Checker& check) { return TreeParser(check).parse(root); }

void validate_tree(const core::tree::TreeSpec& tree, const toml::table& root, Checker& check) {
  if (!check.ok()) return;  // validate judges a tree that parsed
  // The trio's native workers (tokens.ets_owner, tokens.app_server) are
  // known to every tree file (trees/tokens.toml names them).
  core::tokens::register_trio_natives();
  if (std::optional<std::string> why = core::tree::validate(tree)) {
    const toml::node* t = Checker::find(root, "tree");
    check.error(t ? pos_of(*t) : Pos{}, fmt::format("tree: {}", *why));
  }
}

}  // namespace toml_check

std::variant<core::tree::TreeSpec, ParseError> parse_tree_file(std::string_view text, std::string_view file_name,
                                                               std::string* canonical) {
  try {
    toml::table root;
#if TOML_EXCEPTIONS
    try {
      root = toml::parse(text, std::string_view(file_name));
    } catch (const toml::parse_error& e) {
      const Pos p = toml_check::pos_of(e.source());
      return ParseError{std::string(file_name), p.line, p.column, fmt::format("TOML syntax error: {}", e.description())};
    }
#else
    toml::parse_result result = toml::parse(text, std::string_view(file_name));
    if (!result) {
      const Pos p = toml_check::pos_of(result.error().source());
      return ParseError{std::string(file_name), p.line, p.column,
                        fmt::format("TOML syntax error: {}", result.error().description())};
    }
    root = std::move(result).table();
#endif
    Checker check(file_name);
    check.keys(root, "", "a tree file", tree_root_keys);
    core::tree::TreeSpec spec = toml_check::parse_tree_tables(root, check);
    spec.name = std::string(file_name);
    toml_check::validate_tree(spec, root, check);
    if (!check.ok()) return check.first();
    if (canonical != nullptr) {
      std::ostringstream out;
      out << root;
      *canonical = out.str();
    }
    return spec;
  } catch (const std::exception& e) {
    return ParseError{std::string(file_name), 0, 0, fmt::format("internal error while parsing: {}", e.what())};
  }
}

}  // namespace otpsim::scenarios
