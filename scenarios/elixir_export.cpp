// The scenario as Elixir data for scenarios/elixir/runtime.exs (see
// elixir_export.hpp). Field names are the runtime's; times are in ms.
#include "scenarios/elixir_export.hpp"

#include <fmt/format.h>

#include <cctype>

#include "scenarios/observation.hpp"

namespace otpsim::scenarios {

namespace {

using core::tree::Behaviour;
using core::tree::Clause;
using core::tree::Node;
using core::tree::NodeKind;
using core::tree::Step;
using core::tree::TreeSpec;

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '#': out += "\\#"; break;  // no #{...} interpolation
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02X}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

/// :name when Elixir takes it unquoted, else :"text".
std::string atom(std::string_view text) {
  bool plain = !text.empty() && !(text[0] >= '0' && text[0] <= '9');
  for (char c : text) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return ":" + (plain ? std::string(text) : quoted(text));
}
std::string atom_or_nil(std::string_view text) { return text.empty() ? "nil" : atom(text); }
std::string string_or_nil(std::string_view text) { return text.empty() ? "nil" : quoted(text); }
std::string boolean(bool b) { return b ? "true" : "false"; }
std::int64_t ms(sim::Micros us) { return us / 1000; }

std::string value(const sim::Term& term) {
  // Pids and refs never appear in a declared value (the parser has no syntax for them).
  return elixir_term(term).value_or("nil");
}

std::string steps(const std::vector<Step>& list);

std::string clauses(const std::vector<Clause>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ", ";
    out += "{" + value(list[i].pattern) + ", " + steps(list[i].steps) + "}";
  }
  return out + "]";
}

const char* kind_name(Step::Kind kind) {
  switch (kind) {
    case Step::Kind::reply: return "reply";
    case Step::Kind::noreply: return "noreply";
    case Step::Kind::stop: return "stop";
    case Step::Kind::ignore: return "ignore";
    case Step::Kind::crash: return "crash";
    case Step::Kind::sleep: return "sleep";
    case Step::Kind::trap_exit: return "trap_exit";
    case Step::Kind::match: return "match";
    case Step::Kind::set: return "set";
    case Step::Kind::state_put: return "state_put";
    case Step::Kind::state_get: return "state_get";
    case Step::Kind::call: return "call";
    case Step::Kind::cast: return "cast";
    case Step::Kind::send: return "send";
    case Step::Kind::send_after: return "send_after";
    case Step::Kind::register_name: return "register_name";
    case Step::Kind::registry_register: return "registry_register";
    case Step::Kind::registry_lookup: return "registry_lookup";
    case Step::Kind::whereis: return "whereis";
    case Step::Kind::table_new: return "table_new";
    case Step::Kind::table_insert: return "table_insert";
    case Step::Kind::table_lookup: return "table_lookup";
    case Step::Kind::table_delete: return "table_delete";
    case Step::Kind::start_child: return "start_child";
    case Step::Kind::task_async: return "task_async";
    case Step::Kind::task_async_nolink: return "task_async_nolink";
    case Step::Kind::task_start_child: return "task_start_child";
  }
  return "unknown";
}

std::string step(const Step& s) {
  return fmt::format(
      "%{{k: :{}, to: {}, value: {}, key: {}, reason: {}, table: {}, heir: {}, registry: {}, sup: {}, child: {}, "
      "timeout: {}, catch: {}, as: {}, steps: {}, clauses: {}}}",
      kind_name(s.kind), value(s.to), value(s.value), value(s.key), value(s.reason), atom_or_nil(s.table),
      atom_or_nil(s.heir), atom_or_nil(s.registry), string_or_nil(s.sup), string_or_nil(s.child), ms(s.timeout_us),
      boolean(s.catch_exit), string_or_nil(s.as), steps(s.steps), clauses(s.clauses));
}

std::string steps(const std::vector<Step>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) out += (i > 0 ? ", " : "") + step(list[i]);
  return out + "]";
}

const char* node_kind(NodeKind kind) {
  switch (kind) {
    case NodeKind::supervisor: return "supervisor";
    case NodeKind::dynamic_supervisor: return "dynamic_supervisor";
    case NodeKind::registry: return "registry";
    case NodeKind::task_supervisor: return "task_supervisor";
    case NodeKind::worker: return "worker";
  }
  return "worker";
}

const char* restart(core::otp::Restart r) {
  switch (r) {
    case core::otp::Restart::permanent: return "permanent";
    case core::otp::Restart::transient: return "transient";
    case core::otp::Restart::temporary: return "temporary";
  }
  return "permanent";
}

const char* strategy(core::otp::Strategy s) {
  switch (s) {
    case core::otp::Strategy::one_for_one: return "one_for_one";
    case core::otp::Strategy::rest_for_one: return "rest_for_one";
    case core::otp::Strategy::one_for_all: return "one_for_all";
  }
  return "one_for_one";
}

std::string shutdown(const Node& n) {
  // Node::shutdown's default (spec.hpp): a worker 5000 ms, anything else infinity.
  if (!n.shutdown) return n.kind == NodeKind::worker ? "5000" : ":infinity";
  if (n.shutdown->is_brutal_kill()) return ":brutal_kill";
  if (n.shutdown->is_infinity()) return ":infinity";
  return fmt::format("{}", ms(n.shutdown->timeout_us()));
}

// A node's id is an atom, as the simulator's supervisors name their children
// (core/tree/runtime.cpp): it shows in {failed_to_start_child, Id, _}.
std::string node(const Node& n) {
  std::string children = "[";
  for (std::size_t i = 0; i < n.children.size(); ++i) children += (i > 0 ? ", " : "") + quoted(n.children[i].id);
  children += "]";
  return fmt::format(
      "%{{id: {}, kind: :{}, restart: :{}, shutdown: {}, name: {}, via_registry: {}, via_key: {}, strategy: :{}, "
      "intensity: {}, period: {}, children: {}, max_children: {}, partitions: {}, behaviour: {}, arg: {}}}",
      atom(n.id), node_kind(n.kind), restart(n.restart), shutdown(n), atom_or_nil(n.name), atom_or_nil(n.via_registry),
      value(n.via_key), strategy(n.strategy), n.intensity, n.period_s, children,
      n.max_children < 0 ? ":infinity" : fmt::format("{}", n.max_children), n.partitions, string_or_nil(n.behaviour),
      value(n.arg));
}

void nodes(const Node& n, const std::string& path, std::string& out) {
  out += fmt::format("      {} => {},\n", quoted(path), node(n));
  for (const Node& c : n.children) nodes(c, path + "/" + c.id, out);
}

std::string behaviour(const Behaviour& b) {
  return fmt::format("%{{init: {}, calls: {}, casts: {}, infos: {}, terminate: {}}}", steps(b.init), clauses(b.calls),
                     clauses(b.casts), clauses(b.infos), steps(b.terminate));
}

std::optional<std::string> native_worker(const Node& n, const std::string& path) {
  if (!n.native.empty()) return fmt::format("{} is a native worker ({})", path, n.native);
  for (const Node& c : n.children) {
    if (auto why = native_worker(c, path + "/" + c.id)) return why;
  }
  return std::nullopt;
}

std::optional<std::string> unsupported_value(const sim::Term& t, const std::string& where) {
  if (!elixir_term(t)) return fmt::format("{} holds {}, which has no Elixir literal", where, t.to_string());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> elixir_term(const sim::Term& t) {
  switch (t.kind()) {
    case sim::Term::Kind::integer: return fmt::format("{}", t.integer());
    case sim::Term::Kind::atom: return atom(t.atom().text());
    case sim::Term::Kind::string: return quoted(t.string_value());
    case sim::Term::Kind::tuple:
    case sim::Term::Kind::list: {
      std::string out = t.is_tuple() ? "{" : "[";
      bool first = true;
      for (const sim::Term& e : t.elements()) {
        auto inner = elixir_term(e);
        if (!inner) return std::nullopt;
        out += (first ? "" : ", ") + *inner;
        first = false;
      }
      return out + (t.is_tuple() ? "}" : "]");
    }
    default: return std::nullopt;
  }
}

std::optional<std::string> elixir_unsupported(const ScenarioSpec& spec) {
  const std::string head = fmt::format("scenario {} cannot run on the BEAM: ", spec.name);
  if (!spec.tree) return head + "it has no declared tree (the trio runs on otpsim only)";
  const TreeSpec& tree = *spec.tree;
  if (auto why = native_worker(tree.root, tree.root.id)) return head + *why;
  for (const auto& [id, t] : tree.templates) {
    if (!t.native.empty()) return head + fmt::format("template {} is a native worker ({})", id, t.native);
  }
  for (const faults::Fault& f : spec.faults.faults) {
    const std::string name = f.name.empty() ? faults::default_name(f) : f.name;
    if (f.trigger.kind != faults::Trigger::Kind::at_time || f.trigger.after != 0) {
      return head + fmt::format("fault '{}' has a trigger other than at_ms (only at_ms can be timed on the BEAM)", name);
    }
    using AK = faults::Action::Kind;
    if (f.action.kind != AK::kill && f.action.kind != AK::stop_normal && f.action.kind != AK::busy) {
      return head + fmt::format("fault '{}': action {} (only kill, stop_normal and busy run on the BEAM)", name,
                                f.action.name());
    }
    if (f.target.kind != faults::Target::Kind::path && f.target.kind != faults::Target::Kind::any_child) {
      return head + fmt::format("fault '{}': target {} is not a path or any_child:PATH", name, f.target.name());
    }
    if (auto why = unsupported_value(f.action.reason, "fault '" + name + "'")) return head + *why;
  }
  for (const ClientSpec& c : spec.clients) {
    for (const CallSpec& op : c.calls) {
      if (op.op != "call" && op.op != "cast" && op.op != "send" && op.op != "sleep") {
        return head + fmt::format("client {}: op {} is not a tree's (call, cast, send, sleep)", c.name, op.op);
      }
      if (auto why = unsupported_value(op.to, "client " + c.name)) return head + *why;
      if (auto why = unsupported_value(op.request, "client " + c.name)) return head + *why;
    }
  }
  return std::nullopt;
}

std::string elixir_data(const ScenarioSpec& spec) {
  const TreeSpec& tree = *spec.tree;
  std::string out = "%{\n  tree: %{\n    root: " + quoted(tree.root.id) + ",\n    static: [";
  const std::vector<std::string> paths = static_paths(tree);
  for (std::size_t i = 0; i < paths.size(); ++i) out += (i > 0 ? ", " : "") + quoted(paths[i]);
  out += "],\n    nodes: %{\n";
  nodes(tree.root, tree.root.id, out);
  out += "    },\n    templates: %{\n";
  for (const auto& [id, t] : tree.templates) out += fmt::format("      {} => {},\n", quoted(id), node(t));
  out += "    },\n    behaviours: %{\n";
  for (const auto& [name, b] : tree.behaviours) out += fmt::format("      {} => {},\n", quoted(name), behaviour(b));
  out += "    }\n  },\n  clients: [\n";
  for (const ClientSpec& c : spec.clients) {
    std::string calls;
    for (const CallSpec& op : c.calls) {
      calls += fmt::format("{}%{{op: :{}, to: {}, request: {}, timeout: {}, catch: {}}}", calls.empty() ? "" : ", ",
                           op.op, value(op.to), value(op.request), ms(op.timeout_us), boolean(op.catch_exit));
    }
    out += fmt::format("    %{{name: {}, count: {}, start_ms: {}, repeat: {}, every_ms: {}, calls: [{}]}},\n",
                       quoted(c.name), c.count, ms(c.start_us), c.repeat, ms(c.every_us), calls);
  }
  out += "  ],\n  faults: [\n";
  for (const faults::Fault& f : spec.faults.faults) {
    // The integer 0 (a default-constructed Term) also stands for kill (plan.hpp).
    const sim::Term reason = f.action.reason == sim::Term() ? sim::Term(sim::atom("kill")) : f.action.reason;
    const char* action = f.action.kind == faults::Action::Kind::kill        ? "kill"
                         : f.action.kind == faults::Action::Kind::busy      ? "busy"
                                                                            : "stop_normal";
    out += fmt::format("    %{{at_ms: {}, target: {}, action: :{}, reason: {}, duration_ms: {}}},\n", ms(f.trigger.at_us),
                       quoted(f.target.name()), action, value(reason), ms(f.action.duration_us));
  }
  out += fmt::format("  ],\n  settle_ms: {}\n}}\n", ms(spec.settle_us));
  return out;
}

std::string elixir_script(const ScenarioSpec& spec) {
  std::string out(elixir_runtime());
  out += fmt::format("\n# ---- scenario {} (written by `otpsim elixir`) ----\n\nscenario =\n", spec.name);
  out += elixir_data(spec);
  out += "\nOtpsim.Main.run(scenario)\n";
  return out;
}

}  // namespace otpsim::scenarios
