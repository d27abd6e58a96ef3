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

/// The '/' before the last segment: a template child's arg may hold '/'
/// ("top/sessions/session:a/b"), ids never hold ':', so the search starts
/// before the first ':'.
std::size_t last_slash(std::string_view path) {
  const auto colon = path.find(':');
  return path.rfind('/', colon == std::string_view::npos ? std::string_view::npos : colon);
}

/// "top/sessions" -> "top"; "top" -> "".
std::string parent_path(std::string_view path) {
  const auto slash = last_slash(path);
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string last_segment(std::string_view path) {
  const auto slash = last_slash(path);
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

/// `label` is `path` or lies below it. Nothing lies below a template child
/// (whose arg may hold '/').
bool at_or_below(std::string_view label, std::string_view path) {
  if (label == path) return true;
  return path.find(':') == std::string_view::npos && label.size() > path.size() &&
         label.substr(0, path.size()) == path && label[path.size()] == '/';
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

// pid_str, time_str and when: core/property.hpp.

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

/// `d` was spawned by `s` or by a process `s` started (the parent chain
/// reaches `s`). Labels alone do not say it: a failed Registry still exiting
/// and the next one, started at the same path, overlap, and the new one's
/// partition is not the old one's.
bool descends_from(const RunRecord& r, const ProcessLife& d, Pid s) {
  for (const ProcessLife* l = r.life(d.parent); l != nullptr; l = r.life(l->parent)) {
    if (l->pid == s) return true;
  }
  return false;
}

std::optional<Violation> no_orphans(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  for (const ProcessLife& s : r.processes) {
    if (s.alive() || !in_tree(ctx, s) || !settled_after(ctx, s.exited_us)) continue;
    const Place p = place_of(ctx.tree, s.label);
    if (p.kind != Place::Kind::static_node || !is_supervisor_kind(p.node->kind)) continue;
    for (const ProcessLife& d : r.processes) {
      if (!d.alive() || !strictly_below(d.label, s.label)) continue;
      if (!descends_from(r, d, s.pid)) continue;  // another incarnation's
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
// Supervisors' restart counts (restart_intensity, and the give-ups
// restart_scope, fault_contained and recovers reason about).
//
// supervisor.erl counts a restart (add_restart) each time restart/2 runs:
// for the EXIT of a child it restarts (permanent: any reason; transient: an
// abnormal one; temporary: never), and again for every retry of a restart
// whose start failed (RunRecord::retries). DynamicSupervisor (and
// Task.Supervisor, one) does the same. Not counted: a child whose init
// failed (it never acked: it was never a child; its retry is counted), and
// a child the supervisor stopped itself (it sent it an exit signal:
// RunRecord::exit_signals), whatever the instant.

/// The intensity and period of the supervisor process at a static node:
/// the node's, or Registry.Supervisor's 3 in 5 s.
std::pair<int, int> limits_of(const Node& n) {
  if (n.kind == NodeKind::registry) return {3, 5};
  return {n.intensity, n.period_s};
}

/// One add_restart: a child's exit, or a retry of a failed restart.
class Counted {
 public:
  Micros at_us = 0;
  std::uint64_t step = 0;
  const ProcessLife* child = nullptr;   // a child's exit
  const RestartRetry* retry = nullptr;  // a retry the supervisor took
};

class Verdict {
 public:
  const ProcessLife* sup = nullptr;
  const Node* node = nullptr;
  int intensity = 0;
  int period_s = 0;
  bool told = false;                  // stopped by its parent (or a teardown above), not by itself
  std::optional<Micros> exceeded_us;  // the count first exceeded the intensity then
  std::vector<Counted> counted;       // in step order, up to the one that exceeded
  std::optional<Violation> violation;
  bool by_faults = false;             // the injected faults alone exceed its intensity by its give-up
  std::size_t fault_restarts = 0;     // how many of those within the period at the give-up
  /// It gave up: exited shutdown without being told to.
  bool gave_up() const { return !sup->alive() && !told && sup->exit_reason.is(sa::shutdown()); }
};

std::string describe(const RunRecord& r, const Counted& c) {
  if (c.child != nullptr) {
    return fmt::format("{} exited {} at {}", describe(*c.child), c.child->exit_reason.to_string(),
                       when(c.at_us, c.step));
  }
  const Term& id = c.retry->child;
  return fmt::format("the retry of the failed restart of {} at {}",
                     id.is_pid() ? describe_pid(r, id.pid()) : id.to_string(), when(c.at_us, c.step));
}

/// `s` exited because its parent stopped it: the parent sent it an exit
/// signal (shutdown_child in a rest_for_one / one_for_all restart, a
/// terminate_child, or the parent's own terminate), or the parent exited at
/// that instant (its death's link signal).
bool told_to_exit(const TreeContext& ctx, const ProcessLife& s) {
  if (s.alive()) return false;
  const RunRecord& r = ctx.record;
  if (r.signalled(s.parent, s.pid, s.exited_step + 1)) return true;
  const ProcessLife* parent = r.life(s.parent);
  return parent != nullptr && !parent->alive() && parent->exited_us == s.exited_us;
}

/// `c`'s exit is one its supervisor `s` counts: s took c's EXIT in its loop
/// and restarted it (supervisor.erl's restart_child/3, DynamicSupervisor's
/// maybe_restart_child/3). So c was its child (its init acked), its
/// restart type restarts it for that reason, and s did not stop c itself:
/// s never sent c an exit signal (after one, s waits for c's DOWN, unlinks
/// and drops its EXIT, whatever killed c; an exit c met at the same instant
/// by other means, a link to a dying Registry partition say, is counted).
bool counts_exit(const TreeContext& ctx, const ProcessLife& s, const ProcessLife& c) {
  if (!c.init_acked) return false;
  if (!restarted_for(restart_of(ctx.tree, c.label), c.exit_reason)) return false;
  return !ctx.record.signalled(s.pid, c.pid, kNever);
}

/// Replays add_restart over what `s` counted and compares it with what `s` did.
Verdict judge(const TreeContext& ctx, const ProcessLife& s, const Node& snode) {
  const RunRecord& r = ctx.record;
  Verdict v;
  v.sup = &s;
  v.node = &snode;
  std::tie(v.intensity, v.period_s) = limits_of(snode);
  v.told = told_to_exit(ctx, s);
  std::vector<Counted> items;
  for (const ProcessLife& c : r.processes) {
    if (c.parent != s.pid || c.alive() || c.exited_step >= exit_step(s)) continue;
    if (counts_exit(ctx, s, c)) items.push_back(Counted{c.exited_us, c.exited_step, &c, nullptr});
  }
  for (const RestartRetry& retry : r.retries) {
    if (retry.sup != s.pid || retry.step >= exit_step(s)) continue;
    items.push_back(Counted{retry.at_us, retry.step, nullptr, &retry});
  }
  std::stable_sort(items.begin(), items.end(), [](const Counted& a, const Counted& b) { return a.step < b.step; });
  std::deque<std::int64_t> restarts;
  const Counted* at_exit = nullptr;  // a restart counted at the instant s exited
  for (const Counted& c : items) {
    v.counted.push_back(c);
    const bool over = otp::add_restart(restarts, c.at_us / 1'000'000, v.intensity, v.period_s);
    if (!s.alive() && c.at_us == s.exited_us) at_exit = &v.counted.back();
    if (!over) continue;
    v.exceeded_us = c.at_us;
    if (!s.alive() && s.exited_us == c.at_us) return v;  // gave up then (or was stopped then anyway)
    if (!settled_after(ctx, c.at_us)) return v;          // the run stopped before it could
    const std::string lived =
        s.alive() ? std::string("alive at the end") : fmt::format("alive until {}", when(s.exited_us, s.exited_step));
    v.violation = Violation(fmt::format("{} did not give up: {} restarts within {} s exceed its intensity {}, the "
                                        "last: {}; it stayed {}",
                                        describe(s), restarts.size(), v.period_s, v.intensity, describe(r, c), lived),
                            c.at_us, c.step);
    return v;
  }
  if (v.gave_up()) {
    const std::string last = at_exit ? fmt::format(", the last: {}", describe(r, *at_exit)) : std::string();
    v.violation = Violation(fmt::format("{} gave up (exit shutdown at {}) after only {} restarts within {} s "
                                        "(intensity {}){}",
                                        describe(s), when(s.exited_us, s.exited_step),
                                        at_exit ? restarts.size() : std::size_t{0}, v.period_s, v.intensity, last),
                            s.exited_us, s.exited_step);
  }
  return v;
}

/// Every supervisor process of the tree judged, deepest paths first, each
/// with by_faults set: replaying add_restart over only the exits the faults
/// made (their victims' deaths, and child supervisors' give-ups the faults
/// alone force) exceeds its intensity by its give-up.
class Verdicts {
 public:
  explicit Verdicts(const TreeContext& ctx) {
    for (const ProcessLife& s : ctx.record.processes) {
      if (!in_tree(ctx, s)) continue;
      const Node* n = static_node(ctx.tree, s.label);
      if (n != nullptr && is_supervisor_kind(n->kind)) all.push_back(judge(ctx, s, *n));
    }
    auto depth = [](const Verdict& v) { return std::count(v.sup->label.begin(), v.sup->label.end(), '/'); };
    std::stable_sort(all.begin(), all.end(), [&](const Verdict& a, const Verdict& b) { return depth(a) > depth(b); });
    for (Verdict& v : all) weigh_faults(ctx, v);
  }
  std::vector<Verdict> all;

  const Verdict* of(Pid pid) const {
    for (const Verdict& v : all) {
      if (v.sup->pid == pid) return &v;
    }
    return nullptr;
  }
  /// `l` is a supervisor that gave up as the faults alone force.
  bool forced_give_up(const ProcessLife& l) const {
    const Verdict* v = of(l.pid);
    return v != nullptr && v->gave_up() && v->by_faults;
  }

 private:
  void weigh_faults(const TreeContext& ctx, Verdict& v) const {
    if (!v.gave_up()) return;
    std::deque<std::int64_t> restarts;
    for (const Counted& c : v.counted) {
      if (c.at_us > v.sup->exited_us) break;
      if (c.child == nullptr) continue;
      if (fault_that_ended(ctx.record, *c.child) == nullptr && !forced_give_up(*c.child)) continue;
      if (otp::add_restart(restarts, c.at_us / 1'000'000, v.intensity, v.period_s)) v.by_faults = true;
    }
    const std::int64_t now_s = v.sup->exited_us / 1'000'000;
    v.fault_restarts = static_cast<std::size_t>(
        std::count_if(restarts.begin(), restarts.end(), [&](std::int64_t t) { return t >= now_s - v.period_s; }));
  }
};

std::optional<Violation> restart_intensity(const TreeContext& ctx) {
  Earliest first;
  for (Verdict& v : Verdicts(ctx).all) {
    if (v.violation) first.offer(std::move(*v.violation));
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// The consequences of a fault (restart_scope, fault_contained).
//
// A fault's event: the deaths its victim and any other victims dying at the
// same instant; it lasts from the first of those deaths until the next
// fault is applied (or the next event), and at most recover_bound_us.

class FaultEventGroup {
 public:
  Micros t = 0;                                 // the victims' death instant
  std::uint64_t first_step = kNever;            // the first death
  std::uint64_t end_step = kNever;              // the next fault or event (exclusive)
  Micros end_us = 0;                            // t + recover_bound_us (inclusive)
  std::vector<const FaultEvent*> faults;
  std::vector<const ProcessLife*> victims;
  std::string name;                             // for messages
};

std::vector<FaultEventGroup> fault_events(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  std::map<Micros, FaultEventGroup> by_instant;
  for (const FaultEvent& f : r.faults) {
    const ProcessLife* v = death_of(r, f);
    if (v == nullptr || !in_tree(ctx, *v)) continue;
    FaultEventGroup& g = by_instant[v->exited_us];
    g.t = v->exited_us;
    g.first_step = std::min(g.first_step, v->exited_step);
    g.faults.push_back(&f);
    g.victims.push_back(v);
  }
  std::vector<FaultEventGroup> out;
  for (auto& [t, g] : by_instant) {
    std::vector<std::string> names;
    for (const FaultEvent* f : g.faults) names.push_back(describe_fault(r, *f));
    g.name = join(names);
    g.end_us = t + ctx.recover_bound_us;
    out.push_back(std::move(g));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    FaultEventGroup& g = out[i];
    if (i + 1 < out.size()) g.end_step = out[i + 1].first_step;
    for (const FaultEvent& f : r.faults) {
      if (!f.applied || f.step <= g.first_step) continue;
      if (std::find(g.faults.begin(), g.faults.end(), &f) != g.faults.end()) continue;
      g.end_step = std::min(g.end_step, f.step);
    }
  }
  return out;
}

bool in_window(const FaultEventGroup& g, const ProcessLife& l) {
  return !l.alive() && l.exited_step >= g.first_step && l.exited_step < g.end_step && l.exited_us <= g.end_us;
}

/// The roots of an event: its victims, then the supervisors that gave up in
/// it, each with the step from which its radius is taken.
class Root {
 public:
  const ProcessLife* life;
  std::uint64_t step;
  bool victim;
};

std::vector<Root> roots_of(const FaultEventGroup& g, const Verdicts& verdicts) {
  std::vector<Root> out;
  for (const ProcessLife* v : g.victims) out.push_back(Root{v, v->exited_step, true});
  for (const Verdict& v : verdicts.all) {
    if (!v.gave_up() || !in_window(g, *v.sup)) continue;
    out.push_back(Root{v.sup, v.sup->exited_step, false});
  }
  return out;
}

/// The processes alive when a root died (or stopped by then) whose label is
/// in its blast radius: pid -> the root that takes it.
std::map<std::uint64_t, const Root*> expected_of(const TreeContext& ctx, const FaultEventGroup& g,
                                                 const std::vector<Root>& roots) {
  std::map<std::uint64_t, const Root*> out;
  for (const Root& root : roots) {
    // A supervisor applies its strategy only when it restarts the child:
    // one it does not restart (temporary, or transient ending normally)
    // takes only itself and what is below it.
    const ProcessLife& d = *root.life;
    const std::vector<std::string> radius = restarted_for(restart_of(ctx.tree, d.label), d.exit_reason)
                                                ? blast_radius(ctx.tree, d.label)
                                                : std::vector<std::string>{d.label};
    for (const ProcessLife& l : ctx.record.processes) {
      if (l.spawned_step > root.step || exit_step(l) < g.first_step) continue;
      if (!l.alive() && l.exited_step < g.first_step) continue;
      const bool in = std::any_of(radius.begin(), radius.end(),
                                  [&l](const std::string& p) { return at_or_below(l.label, p); });
      if (in) out.emplace(l.pid.id, &root);
    }
  }
  return out;
}

std::string roots_text(const FaultEventGroup& g, const std::vector<Root>& roots) {
  std::vector<std::string> gave;
  for (const Root& root : roots) {
    if (!root.victim) gave.push_back(describe(*root.life));
  }
  if (gave.empty()) return g.name;
  return fmt::format("{} (then {} gave up)", g.name, join(gave));
}

/// The topmost process of the event above (or at) `l` that it stopped: the
/// one whose own supervisor, alive, restarts it (and with it `l`, if static).
const ProcessLife* topmost_stopped(const RunRecord& r, const FaultEventGroup& g,
                                   const std::map<std::uint64_t, const Root*>& expected, const ProcessLife& l) {
  const ProcessLife* top = &l;
  for (const ProcessLife& a : r.processes) {
    if (!expected.count(a.pid.id) || !in_window(g, a) || !strictly_below(l.label, a.label)) continue;
    if (a.spawned_step > l.spawned_step) continue;
    if (top == &l || a.label.size() < top->label.size()) top = &a;
  }
  return top;
}

/// A process the event stopped that must be started again: the topmost
/// stopped process `top` is restarted by its supervisor (permanent; transient
/// if it died abnormally or its supervisor stopped it), and `l` is `top` or a
/// static node below it (its supervisor's init starts it); unless a
/// supervisor above gave up in the event or `top` is the root.
bool must_restart(const TreeContext& ctx, const FaultEventGroup& g, const Verdicts& verdicts, const ProcessLife& top,
                  const ProcessLife& l) {
  const std::string up = parent_path(top.label);
  if (up.empty()) return false;  // the root: the node process does not restart it
  const Place tp = place_of(ctx.tree, top.label);
  if (tp.kind != Place::Kind::static_node && tp.kind != Place::Kind::template_child &&
      tp.kind != Place::Kind::partition) {
    return false;
  }
  const otp::Restart restart = restart_of(ctx.tree, top.label);
  const bool victim = std::find(g.victims.begin(), g.victims.end(), &top) != g.victims.end();
  if (victim ? !restarted_for(restart, top.exit_reason) : restart == otp::Restart::temporary) return false;
  if (&top != &l && static_node(ctx.tree, l.label) == nullptr) return false;
  for (const Verdict& v : verdicts.all) {
    if (v.gave_up() && in_window(g, *v.sup) && strictly_below(top.label, v.sup->label)) return false;
  }
  return true;
}

std::optional<Violation> restart_scope(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  const Verdicts verdicts(ctx);
  Earliest first;
  for (const FaultEventGroup& g : fault_events(ctx)) {
    if (!settled_after(ctx, g.t)) continue;
    const std::vector<Root> roots = roots_of(g, verdicts);
    const std::map<std::uint64_t, const Root*> expected = expected_of(ctx, g, roots);
    const bool complete = settled_after(ctx, g.end_us) || ctx.kernel.now_us() >= g.end_us;
    const std::string what = roots_text(g, roots);
    for (const ProcessLife& l : r.processes) {
      if (!in_tree(ctx, l)) continue;
      auto it = expected.find(l.pid.id);
      const bool wanted = it != expected.end();
      const bool stopped = in_window(g, l) && (is_stop_reason(l.exit_reason) || wanted);
      if (!wanted && stopped && std::find(g.victims.begin(), g.victims.end(), &l) == g.victims.end()) {
        first.offer(Violation(fmt::format("after {}: {} exited {} at {}, outside the blast radius", what, describe(l),
                                          l.exit_reason.to_string(), when(l.exited_us, l.exited_step)),
                              l.exited_us, l.exited_step));
        continue;
      }
      if (!wanted) continue;
      const bool ended = !l.alive() && l.exited_step >= g.first_step && l.exited_us <= g.end_us;
      if (!ended) {
        if (complete) {
          first.offer(Violation(fmt::format("after {}: {} is in the blast radius of {} but was not stopped within "
                                            "{}",
                                            what, describe(l), it->second->life->label,
                                            time_str(ctx.recover_bound_us)),
                                g.t, g.first_step));
        }
        continue;
      }
      const ProcessLife& top = *topmost_stopped(r, g, expected, l);
      if (!must_restart(ctx, g, verdicts, top, l)) continue;
      const bool again = std::any_of(r.processes.begin(), r.processes.end(), [&](const ProcessLife& n) {
        return n.label == l.label && n.spawned_step > l.exited_step && n.spawned_us <= g.end_us;
      });
      if (!again && complete) {
        first.offer(Violation(fmt::format("after {}: {} exited {} at {} and was not started again within {}", what,
                                          describe(l), l.exit_reason.to_string(), when(l.exited_us, l.exited_step),
                                          time_str(ctx.recover_bound_us)),
                              l.exited_us, l.exited_step));
      }
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// fault_contained

std::optional<Violation> fault_contained(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  const Verdicts verdicts(ctx);
  Earliest first;
  for (const Verdict& v : verdicts.all) {
    if (!v.gave_up() || v.by_faults) continue;
    const ProcessLife& s = *v.sup;
    first.offer(Violation(fmt::format("{} gave up (exit shutdown at {}), but the injected faults alone count {} "
                                      "restart{} within {} s, not over its intensity {}",
                                      describe(s), when(s.exited_us, s.exited_step), v.fault_restarts,
                                      v.fault_restarts == 1 ? "" : "s", v.period_s, v.intensity),
                          s.exited_us, s.exited_step));
  }
  for (const FaultEventGroup& g : fault_events(ctx)) {
    if (!settled_after(ctx, g.t)) continue;
    // A give-up the faults do not force is reported above, once; what it
    // stops is its consequence, not a further counterexample.
    const std::vector<Root> roots = roots_of(g, verdicts);
    const std::map<std::uint64_t, const Root*> expected = expected_of(ctx, g, roots);
    const std::string what = roots_text(g, roots);
    for (const ProcessLife& l : r.processes) {
      if (!in_tree(ctx, l) || !in_window(g, l) || l.exit_reason.is(sa::normal()) || expected.count(l.pid.id)) {
        continue;
      }
      first.offer(Violation(fmt::format("after {}: {} exited {} at {}, outside the blast radius the tree implies",
                                        what, describe(l), l.exit_reason.to_string(),
                                        when(l.exited_us, l.exited_step)),
                            l.exited_us, l.exited_step));
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// recovers

/// When the last fault was done: its application, its victim's death, its heal.
Micros last_fault_us(const RunRecord& r) {
  Micros last = 0;
  for (const FaultEvent& f : r.faults) {
    if (!f.applied) continue;
    last = std::max({last, f.at_us, f.heals_at_us});
    if (const ProcessLife* v = death_of(r, f)) last = std::max(last, v->exited_us);
  }
  return last;
}

const ProcessLife* alive_with_label(const RunRecord& r, std::string_view label, Micros t) {
  for (const ProcessLife& l : r.processes) {
    if (l.label == label && alive_at_time(l, t)) return &l;
  }
  return nullptr;
}

void check_children(const TreeContext& ctx, const Node& sup, const std::string& path, Micros at, Micros last,
                    Earliest& first) {
  const RunRecord& r = ctx.record;
  const ProcessLife* s = alive_with_label(r, path, at);
  if (s != nullptr) {
    std::vector<std::string> wanted;
    for (const Node& c : sup.children) {
      if (c.restart == otp::Restart::permanent) wanted.push_back(path + "/" + c.id);
    }
    if (sup.kind == NodeKind::registry) wanted.push_back(path + "/partition");
    for (const std::string& w : wanted) {
      if (alive_with_label(r, w, at) != nullptr) continue;
      first.offer(Violation(fmt::format("{} is alive at {}, {} after the last fault (at {}), but its permanent child "
                                        "{} is not running",
                                        describe(*s), time_str(at), time_str(at - last), time_str(last), w),
                            at, ctx.kernel.steps()));
    }
  }
  for (const Node& c : sup.children) {
    if (is_supervisor_kind(c.kind)) check_children(ctx, c, path + "/" + c.id, at, last, first);
  }
}

std::optional<Violation> recovers(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  const Micros last = last_fault_us(r);
  Micros at = last + ctx.recover_bound_us;
  if (ctx.kernel.now_us() < at) {
    if (ctx.outcome != sim::Outcome::quiescent) return std::nullopt;  // cut off before the bound
    at = ctx.kernel.now_us();                                          // nothing more would happen
  }
  Earliest first;
  const std::string& root = ctx.tree.root.id;
  if (alive_with_label(r, root, at) == nullptr) {
    // The root is gone for good: fine only if the faults ended it, or forced its give-up.
    const Verdicts verdicts(ctx);
    const std::vector<const ProcessLife*> lives = r.lives(root);
    const ProcessLife* gone = lives.empty() ? nullptr : lives.back();
    const bool excused = gone != nullptr && !gone->alive() &&
                         (fault_that_ended(r, *gone) != nullptr || verdicts.forced_give_up(*gone));
    if (!excused && gone != nullptr) {
      first.offer(Violation(fmt::format("the root {} exited {} at {} and is not running at {}, {} after the last "
                                        "fault; the faults alone do not force that",
                                        describe(*gone), gone->exit_reason.to_string(),
                                        when(gone->exited_us, gone->exited_step), time_str(at), time_str(at - last)),
                            gone->exited_us, gone->exited_step));
    }
    return first.best;
  }
  if (is_supervisor_kind(ctx.tree.root.kind)) check_children(ctx, ctx.tree.root, root, at, last, first);
  return first.best;
}

// ---------------------------------------------------------------------------
// rows_survive
//
// The tree runtime emits {table_new, Table} when a worker creates its table,
// {table_insert, Table, Key, Value} after each insert and {table_delete,
// Table, Key} after each delete (core/tree/properties.hpp). The holder of a
// table is the process that created it last, or, once that one died, the
// heir it named (the process registered under that name at the creation);
// the table dies with the last holder. The check: for each table and key,
// the last write; if the table's holder at that write is still its holder
// at the end (alive, and the table has not been created anew since), the
// kernel's table must hold exactly that row (a delete: no row).

/// The heir name of the first table_new step for `table` in `steps` (or "").
bool find_heir(const std::vector<Step>& steps, const std::string& table, std::string& heir);

bool find_heir_in(const std::vector<Clause>& clauses, const std::string& table, std::string& heir) {
  for (const Clause& c : clauses) {
    if (find_heir(c.steps, table, heir)) return true;
  }
  return false;
}

bool find_heir(const std::vector<Step>& steps, const std::string& table, std::string& heir) {
  for (const Step& s : steps) {
    if (s.kind == Step::Kind::table_new && s.table == table) {
      heir = s.heir;
      return true;
    }
    if (find_heir(s.steps, table, heir) || find_heir_in(s.clauses, table, heir)) return true;
  }
  return false;
}

std::string heir_of(const TreeSpec& tree, const std::string& table) {
  std::string heir;
  for (const auto& [name, b] : tree.behaviours) {
    if (find_heir(b.init, table, heir) || find_heir_in(b.calls, table, heir) || find_heir_in(b.casts, table, heir) ||
        find_heir_in(b.infos, table, heir) || find_heir(b.terminate, table, heir)) {
      return heir;
    }
  }
  return heir;
}

/// The path of the static node registered under `name`, or "".
std::string named_path(const Node& node, const std::string& path, std::string_view name) {
  if (!name.empty() && node.name == name) return path;
  for (const Node& c : node.children) {
    std::string found = named_path(c, path + "/" + c.id, name);
    if (!found.empty()) return found;
  }
  return std::string();
}

std::string table_name(const Term& t) {
  if (t.is_atom()) return std::string(t.atom().text());
  if (t.is_string()) return std::string(t.string_value());
  return t.to_string();
}

std::optional<Violation> rows_survive(const TreeContext& ctx) {
  const RunRecord& r = ctx.record;
  // Per table: its creations (pid, step), and per key its last write.
  class Write {
   public:
    const RecordedEvent* event;
    bool insert;
  };
  std::map<std::string, std::vector<const RecordedEvent*>> created;
  std::map<std::string, std::map<std::string, Write>> last_write;  // table -> key text -> write
  for (const RecordedEvent& e : r.events) {
    const Term& t = e.term;
    if (!t.is_tuple() || t.size() < 2) continue;
    if (t[0].is_atom("table_new") && t.size() == 2) {
      created[table_name(t[1])].push_back(&e);
    } else if (t[0].is_atom("table_insert") && t.size() == 4) {
      last_write[table_name(t[1])].insert_or_assign(t[2].to_string(), Write{&e, true});
    } else if (t[0].is_atom("table_delete") && t.size() == 3) {
      last_write[table_name(t[1])].insert_or_assign(t[2].to_string(), Write{&e, false});
    }
  }
  Earliest first;
  for (const auto& [table, writes] : last_write) {
    auto c = created.find(table);
    if (c == created.end()) continue;
    const std::string heir_path = named_path(ctx.tree.root, ctx.tree.root.id, heir_of(ctx.tree, table));
    for (const auto& [key, w] : writes) {
      // The creation the write went to: the last one before it.
      const RecordedEvent* made = nullptr;
      for (const RecordedEvent* e : c->second) {
        if (e->step <= w.event->step) made = e;
      }
      if (made == nullptr || made != c->second.back()) continue;  // written to a table since re-created
      const ProcessLife* owner = r.life(made->pid);
      if (owner == nullptr) continue;
      // Who holds it at the end: the owner, else the heir alive from the owner's death to the end.
      // (The heir is the process registered under its name when the table
      // was created: ets:new resolves {heir, Name} to a pid then.)
      const ProcessLife* holder = owner->alive() ? owner : nullptr;
      if (holder == nullptr && !heir_path.empty()) {
        for (const ProcessLife& h : r.processes) {
          if (h.label == heir_path && h.alive() && h.spawned_step <= made->step) holder = &h;
        }
      }
      if (holder == nullptr) continue;  // the table died with its holder: the rows may go
      const Term& row_key = w.event->term[2];
      std::optional<Term> row;
      if (auto id = ctx.kernel.table_named(Term(sim::Atom(table)))) row = ctx.kernel.table_peek(*id, row_key);
      const std::string writer = describe_pid(r, w.event->pid);
      if (w.insert) {
        const Term& value = w.event->term[3];
        const bool kept = row && row->is_tuple() && row->size() == 2 && (*row)[1] == value;
        if (kept) continue;
        first.offer(Violation(fmt::format("table {}: the row {} => {} written by {} at {} is {} at the end, though "
                                          "its holder {} lives",
                                          table, row_key.to_string(), value.to_string(), writer,
                                          when(w.event->at_us, w.event->step),
                                          row ? "replaced by " + row->to_string() : std::string("gone"),
                                          describe(*holder)),
                              w.event->at_us, w.event->step));
      } else if (row) {
        first.offer(Violation(fmt::format("table {}: the row {} deleted by {} at {} is back at the end ({}), its "
                                          "holder {}",
                                          table, row_key.to_string(), writer, when(w.event->at_us, w.event->step),
                                          row->to_string(), describe(*holder)),
                              w.event->at_us, w.event->step));
      }
    }
  }
  return first.best;
}
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
