// The generic properties of any declared tree (docs/properties.md, "Any
// tree"), judged after the run from the RunRecord (processes labelled by
// their tree path), the TreeSpec and the kernel's end state. Every check is
// a plain function of that data and returns the earliest counterexample (by
// step), or nullopt. Nothing here knows the trio (core/tokens).
#include "core/tree/properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>

#include "core/otp/supervisor.hpp"

namespace otpsim::core::tree {

namespace {

// ---------------------------------------------------------------------------
// The tree's shape, walked from the spec alone (no TreeSpec::find: this file
// needs only the data).

/// "top/sessions" -> "top"; "top" -> "".
std::string parent_path(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string last_segment(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

/// `label` is `path` or lies below it.
bool at_or_below(std::string_view label, std::string_view path) {
  return label == path || (label.size() > path.size() && label.substr(0, path.size()) == path &&
                           label[path.size()] == '/');
}

bool strictly_below(std::string_view label, std::string_view path) {
  return label != path && at_or_below(label, path);
}

/// The static node at `path`, or nullptr (template children, partitions and
/// tasks are not static nodes).
const Node* static_node(const TreeSpec& tree, std::string_view path) {
  std::string_view rest = path;
  const Node* node = nullptr;
  const std::vector<Node>* level = nullptr;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view id = rest.substr(0, slash);
    const Node* next = nullptr;
    if (level == nullptr) {
      if (tree.root.id == id) next = &tree.root;
    } else {
      for (const Node& n : *level) {
        if (n.id == id) next = &n;
      }
    }
    if (next == nullptr) return nullptr;
    node = next;
    level = &next->children;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return node;
}

/// What a process label is in the tree.
class Place {
 public:
  enum class Kind : std::uint8_t { none, static_node, template_child, partition, task };
  Kind kind = Kind::none;
  const Node* node = nullptr;    // the static node or the template
  const Node* parent = nullptr;  // the static node it is a child of (nullptr for the root)
};

Place place_of(const TreeSpec& tree, std::string_view label) {
  Place p;
  if (const Node* n = static_node(tree, label)) {
    p.kind = Place::Kind::static_node;
    p.node = n;
    p.parent = static_node(tree, parent_path(label));
    return p;
  }
  const std::string up = parent_path(label);
  const Node* parent = up.empty() ? nullptr : static_node(tree, up);
  if (parent == nullptr) return p;
  const std::string last = last_segment(label);
  p.parent = parent;
  if (parent->kind == NodeKind::registry && last == "partition") {
    p.kind = Place::Kind::partition;
    return p;
  }
  if (parent->kind == NodeKind::task_supervisor && last == "task") {
    p.kind = Place::Kind::task;
    return p;
  }
  const auto colon = last.find(':');
  if (parent->kind == NodeKind::dynamic_supervisor && colon != std::string::npos) {
    auto it = tree.templates.find(last.substr(0, colon));
    if (it != tree.templates.end()) {
      p.kind = Place::Kind::template_child;
      p.node = &it->second;
    }
  }
  return p;
}

/// `node`'s path and every static path below it, parents first, in start
/// order; a Registry adds its partitions' label.
void collect(const Node& node, const std::string& path, std::vector<std::string>& out) {
  out.push_back(path);
  if (node.kind == NodeKind::registry) out.push_back(path + "/partition");
  for (const Node& c : node.children) collect(c, path + "/" + c.id, out);
}

}  // namespace

std::vector<std::string> blast_radius(const TreeSpec& tree, std::string_view path) {
  std::vector<std::string> out;
  const Place place = place_of(tree, path);
  if (place.kind == Place::Kind::none) return out;
  if (place.kind != Place::Kind::static_node) {
    // A dynamic child, a task or a partition: itself (a partition's
    // Registry restarts all partitions, which share the label).
    out.emplace_back(path);
    return out;
  }
  const std::string up = parent_path(path);
  if (place.parent == nullptr || place.parent->kind != NodeKind::supervisor ||
      place.parent->strategy == otp::Strategy::one_for_one) {
    collect(*place.node, std::string(path), out);
    return out;
  }
  // rest_for_one: the node and the later siblings; one_for_all: all of them.
  // The node itself comes first, then the others in start order.
  collect(*place.node, std::string(path), out);
  bool after = false;
  for (const Node& sibling : place.parent->children) {
    if (&sibling == place.node) {
      after = true;
      continue;
    }
    if (after || place.parent->strategy == otp::Strategy::one_for_all) collect(sibling, up + "/" + sibling.id, out);
  }
  return out;
}

namespace {

namespace sa = sim::atoms;

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// ---------------------------------------------------------------------------
// Text.

std::string pid_str(Pid pid) { return Term(pid).to_string(); }

/// 1.5s, 0s, 0.000250s.
std::string time_str(Micros us) {
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  std::string text = fmt::format("{:.6f}", static_cast<double>(us) / 1e6);
  while (!text.empty() && text.back() == '0') text.pop_back();
  return text + "s";
}

/// "1.5s (step 42)".
std::string when(Micros us, std::uint64_t step) { return fmt::format("{} (step {})", time_str(us), step); }

/// "<0.7.0> (top/cache)".
std::string describe(const ProcessLife& l) { return fmt::format("{} ({})", pid_str(l.pid), l.label); }

std::string describe_pid(const RunRecord& r, Pid pid) {
  const ProcessLife* l = r.life(pid);
  return l ? describe(*l) : pid_str(pid);
}

/// "kill 'k1' of <0.7.0> (top/cache) at 1s (step 40)".
std::string describe_fault(const RunRecord& r, const FaultEvent& f) {
  return fmt::format("{} '{}' of {} at {}", f.action, f.name, describe_pid(r, f.victim), when(f.at_us, f.step));
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// ---------------------------------------------------------------------------
// Small helpers over the record.

/// Keeps the counterexample with the smallest step (the first offered on ties).
class Earliest {
 public:
  void offer(Violation v) {
    if (!best || v.step < best->step) best = std::move(v);
  }
  std::optional<Violation> best;
};

std::uint64_t exit_step(const ProcessLife& l) { return l.alive() ? kNever : l.exited_step; }

/// Alive at `step` (spawned by then, not yet exited).
bool alive_at_step(const ProcessLife& l, std::uint64_t step) {
  return l.spawned_step <= step && exit_step(l) > step;
}

/// Alive at instant `t` (spawned by then, exited after it).
bool alive_at_time(const ProcessLife& l, Micros t) { return l.spawned_us <= t && (l.alive() || l.exited_us > t); }

/// The run went on past instant `t` (or had nothing left to do), so
/// whatever that instant set in motion has happened.
bool settled_after(const TreeContext& ctx, Micros t) {
  return ctx.kernel.now_us() > t || ctx.outcome == sim::Outcome::quiescent;
}

bool in_tree(const TreeContext& ctx, const ProcessLife& l) { return at_or_below(l.label, ctx.tree.root.id); }

/// normal, shutdown, {shutdown, _}: an exit a transient child is not
/// restarted for (supervisor.erl's restart/2 test).
bool is_normal_exit(const Term& reason) {
  return reason.is(sa::normal()) || reason.is(sa::shutdown()) || reason.is_tagged(sa::shutdown(), 2);
}

/// shutdown, {shutdown, _}, killed: how a supervisor stops a child.
bool is_stop_reason(const Term& reason) {
  return reason.is(sa::shutdown()) || reason.is_tagged(sa::shutdown(), 2) || reason.is(sa::killed());
}

bool is_supervisor_kind(NodeKind k) { return k != NodeKind::worker; }

/// The restart type of the process labelled `label` under its supervisor:
/// its node's, a partition's permanent, a task's temporary.
otp::Restart restart_of(const TreeSpec& tree, std::string_view label) {
  const Place p = place_of(tree, label);
  switch (p.kind) {
    case Place::Kind::static_node:
    case Place::Kind::template_child:
      return p.node->restart;
    case Place::Kind::partition:
      return otp::Restart::permanent;
    case Place::Kind::task:
    case Place::Kind::none:
      break;
  }
  return otp::Restart::temporary;
}

/// Its supervisor restarts a child that exited with `reason`.
bool restarted_for(otp::Restart restart, const Term& reason) {
  return restart == otp::Restart::permanent || (restart == otp::Restart::transient && !is_normal_exit(reason));
}

/// A process fault's action ends its victim (busy only delays it).
bool ends_victim(const FaultEvent& f) {
  return f.applied && f.victim && (f.action == "kill" || f.action == "crash_on_next_message" ||
                                   f.action == "stop_normal");
}

/// The death a process fault caused: its victim's, at or after the fault
/// (a kill ends it at once, the others when it next takes a message), or
/// nullptr if the victim lived on.
const ProcessLife* death_of(const RunRecord& r, const FaultEvent& f) {
  if (!ends_victim(f)) return nullptr;
  const ProcessLife* v = r.life(f.victim);
  if (v == nullptr || v->alive() || v->exited_step < f.step) return nullptr;
  if (f.action == "kill" && v->exited_us != f.at_us) return nullptr;
  return v;
}

/// The fault that ended `l`, or nullptr.
const FaultEvent* fault_that_ended(const RunRecord& r, const ProcessLife& l) {
  for (const FaultEvent& f : r.faults) {
    if (f.victim == l.pid && death_of(r, f) == &l) return &f;
  }
  return nullptr;
}

/// The path whose node declares the Registry named `name`, or "".
std::string registry_path(const Node& node, const std::string& path, std::string_view name) {
  if (node.kind == NodeKind::registry && node.name == name) return path;
  for (const Node& c : node.children) {
    std::string found = registry_path(c, path + "/" + c.id, name);
    if (!found.empty()) return found;
  }
  return std::string();
}

// ---------------------------------------------------------------------------
// no_caller_crash

/// {Reason, {'Elixir.GenServer' | gen_server, call, Args}}: a call's exit.
bool is_call_exit(const Term& reason) {
  if (!reason.is_tuple() || reason.size() != 2) return false;
  const Term& mfa = reason[1];
  return mfa.is_tuple() && mfa.size() == 3 && (mfa[0].is_atom("Elixir.GenServer") || mfa[0].is_atom("gen_server")) &&
         mfa[1].is_atom("call");
}

std::optional<Violation> no_caller_crash(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  for (const ClientCall& c : r.calls) {
    if (!c.exited) continue;
    const std::string name = c.client_name.empty() ? std::string() : fmt::format(" ({})", c.client_name);
    first.offer(Violation(fmt::format("client {}{}: {} to {} of {} exited it with {} at {}", pid_str(c.client), name,
                                      c.op, c.app.empty() ? c.to.to_string() : c.app, c.request.to_string(),
                                      c.exit_reason.to_string(), when(c.end_us, c.end_step)),
                          c.end_us, c.end_step));
  }
  std::set<std::uint64_t> victims;
  for (const FaultEvent& f : r.faults) {
    if (f.applied && f.victim) victims.insert(f.victim.id);
  }
  for (const ProcessLife& l : r.processes) {
    if (l.alive() || !in_tree(ctx, l) || victims.count(l.pid.id) || !is_call_exit(l.exit_reason)) continue;
    first.offer(Violation(fmt::format("{} died of a call's exit {} at {}", describe(l), l.exit_reason.to_string(),
                                      when(l.exited_us, l.exited_step)),
                          l.exited_us, l.exited_step));
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// no_unhandled_message

/// function_clause ({function_clause, _} too), {bad_call, _}, {bad_cast, _}.
bool is_unhandled_reason(const Term& reason) {
  if (reason.is_atom("function_clause")) return true;
  if (!reason.is_tuple() || reason.size() == 0) return false;
  if (reason[0].is_atom("function_clause")) return true;
  return reason.size() == 2 && (reason[0].is_atom("bad_call") || reason[0].is_atom("bad_cast"));
}

std::optional<Violation> no_unhandled_message(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  for (const ProcessLife& l : r.processes) {
    if (l.alive() || !in_tree(ctx, l) || !is_unhandled_reason(l.exit_reason)) continue;
    const Place p = place_of(ctx.tree, l.label);
    const bool declared = (p.kind == Place::Kind::static_node || p.kind == Place::Kind::template_child) &&
                          p.node->kind == NodeKind::worker;
    if (!declared) continue;
    first.offer(Violation(fmt::format("{} crashed with {} at {}: a message no clause handles",
                                      describe(l), l.exit_reason.to_string(), when(l.exited_us, l.exited_step)),
                          l.exited_us, l.exited_step));
  }
  for (const RecordedEvent* e : r.tagged("unhandled")) {
    if (e->term.size() != 3) continue;
    first.offer(Violation(fmt::format("{} left {} unhandled (Elixir's default handle_info) at {}",
                                      describe_pid(r, e->pid), e->term[2].to_string(), when(e->at_us, e->step)),
                          e->at_us, e->step));
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// no_orphans

std::optional<Violation> no_orphans(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  for (const ProcessLife& s : r.processes) {
    if (s.alive() || !in_tree(ctx, s) || !settled_after(ctx, s.exited_us)) continue;
    const Place p = place_of(ctx.tree, s.label);
    if (p.kind != Place::Kind::static_node || !is_supervisor_kind(p.node->kind)) continue;
    for (const ProcessLife& d : r.processes) {
      if (!d.alive() || !strictly_below(d.label, s.label)) continue;
      if (d.spawned_step < s.spawned_step || d.spawned_step > s.exited_step) continue;  // another incarnation's
      first.offer(Violation(fmt::format("{} exited {} at {}, but {}, started under it at {}, is alive at the end",
                                        describe(s), s.exit_reason.to_string(), when(s.exited_us, s.exited_step),
                                        describe(d), when(d.spawned_us, d.spawned_step)),
                            s.exited_us, s.exited_step));
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// one_live_per_name

/// `v` mentions the variable $arg.
bool mentions_arg(const Term& v) {
  if (v.is_atom("$arg")) return true;
  if (v.is_tuple() || v.is_list()) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (mentions_arg(v[i])) return true;
    }
  }
  return false;
}

/// The name class of a process: two live processes of one class hold one
/// name at once. A static path is its own class; a template child with a
/// name that does not depend on $arg (a local name, or a constant via key)
/// shares it with every child of its template; one keyed by $arg with the
/// children of the same arg (the same label). Tasks, partitions and
/// unnamed template children have none ("").
std::string name_class(const TreeSpec& tree, const ProcessLife& l) {
  const Place p = place_of(tree, l.label);
  if (p.kind == Place::Kind::static_node) return l.label;
  if (p.kind != Place::Kind::template_child) return std::string();
  const Node& t = *p.node;
  if (!t.name.empty()) return "name " + t.name;
  if (t.via_registry.empty()) return std::string();
  if (mentions_arg(t.via_key)) return l.label;
  return fmt::format("via {} {}", t.via_registry, t.via_key.to_string());
}

std::optional<Violation> one_live_per_name(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  std::map<std::string, std::vector<const ProcessLife*>> classes;
  for (const ProcessLife& l : r.processes) {
    if (!in_tree(ctx, l)) continue;
    std::string c = name_class(ctx.tree, l);
    if (!c.empty()) classes[c].push_back(&l);
  }
  for (const auto& [name, lives] : classes) {
    // In spawn order: each must have exited before the next was spawned.
    for (std::size_t i = 1; i < lives.size(); ++i) {
      const ProcessLife& b = *lives[i];
      for (std::size_t j = 0; j < i; ++j) {
        const ProcessLife& a = *lives[j];
        if (exit_step(a) <= b.spawned_step) continue;
        first.offer(Violation(fmt::format("{} and {} were alive at once at {} ({})", describe(a), describe(b),
                                          when(b.spawned_us, b.spawned_step),
                                          name == b.label ? "the same path" : name),
                              b.spawned_us, b.spawned_step));
        break;
      }
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// The judged-later properties (filled in below).

std::optional<Violation> restart_scope(const TreeContext& ctx);
std::optional<Violation> restart_intensity(const TreeContext& ctx);
std::optional<Violation> fault_contained(const TreeContext& ctx);
std::optional<Violation> recovers(const TreeContext& ctx);
std::optional<Violation> rows_survive(const TreeContext& ctx);

std::optional<Violation> restart_scope(const TreeContext&) { return std::nullopt; }
std::optional<Violation> restart_intensity(const TreeContext&) { return std::nullopt; }
std::optional<Violation> fault_contained(const TreeContext&) { return std::nullopt; }
std::optional<Violation> recovers(const TreeContext&) { return std::nullopt; }
std::optional<Violation> rows_survive(const TreeContext&) { return std::nullopt; }

}  // namespace

const std::vector<TreeProperty>& tree_properties() {
  static const std::vector<TreeProperty> all = [] {
    std::vector<TreeProperty> v;
    v.push_back(TreeProperty{"fault_contained",
                             "a fault stops nothing outside its blast radius and no supervisor gives up unless the "
                             "injected faults alone exceed its intensity",
                             fault_contained});
    v.push_back(TreeProperty{"no_caller_crash",
                             "no client call exits its client, and no tree process but a fault's victim dies of a "
                             "GenServer call's exit",
                             no_caller_crash});
    v.push_back(TreeProperty{"no_orphans",
                             "once a supervisor has exited, nothing its incarnation started below its path is alive "
                             "at the end",
                             no_orphans});
    v.push_back(TreeProperty{"no_unhandled_message",
                             "no declared worker crashes with function_clause, {bad_call, _} or {bad_cast, _}, and "
                             "none leaves an info message to the default handle_info",
                             no_unhandled_message});
    v.push_back(TreeProperty{"one_live_per_name",
                             "no two live processes share a static path or a template child's name at any step",
                             one_live_per_name});
    v.push_back(TreeProperty{"recovers",
                             "recover_bound after the last fault, every permanent static child of a live supervisor "
                             "is running again",
                             recovers});
    v.push_back(TreeProperty{"restart_intensity",
                             "no supervisor restarts more than its intensity within its period (add_restart over "
                             "restarts and retries), and each gives up exactly when the count is exceeded",
                             restart_intensity});
    v.push_back(TreeProperty{"restart_scope",
                             "a fault stops exactly the live processes in its victim's blast radius (widened by "
                             "supervisors that give up), and the restartable ones start again",
                             restart_scope});
    v.push_back(TreeProperty{"rows_survive",
                             "a row written to a worker's table is there at the end while the table's owner (or "
                             "heir) that held it then lives",
                             rows_survive});
    return v;
  }();
  return all;
}

const TreeProperty* find_tree_property(std::string_view name) {
  for (const TreeProperty& p : tree_properties()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace otpsim::core::tree
