#include "sim/dfs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sim/assert.hpp"
#include "sim/dependence.hpp"
#include "sim/wakeup_tree.hpp"

namespace otpsim::sim {

namespace {

/// OTPSIM_DFS_DEBUG=1: optimal / dpor print every step, race and
/// reversal on stderr (for looking at one program's exploration).
bool debug_on() {
  static const bool on = std::getenv("OTPSIM_DFS_DEBUG") != nullptr;
  return on;
}

std::string show(const StepInfo& s) {
  const std::string actor = is_channel_actor(s.pid) ? fmt::format("ch{}>{}", s.from.id, s.pid.id & 0xffffffffULL)
                                                     : fmt::format("p{}", s.pid.id);
  const std::string signal =
      s.effect == EffectKind::arrive ? fmt::format(" sig{} id{}", static_cast<int>(s.signal), s.signal_id) : std::string();
  return fmt::format("{}:{}({}:{}{})", actor, effect_name(s.effect), static_cast<int>(s.object.kind), s.object.id, signal);
}

}  // namespace

/// One choice point of the current run.
struct DfsExplorer::Node {
  bool data = false;                // a data choice (no sleep sets, no races)
  std::uint32_t options = 0;        // enabled steps, or the data bound
  std::vector<StepInfo> enabled;    // schedule points: the enabled steps, in kernel order
  std::vector<std::uint8_t> todo;   // data choices, none / sleep_sets: the backtrack set
  std::vector<std::uint8_t> done;   // explored (or being explored)
  std::vector<StepInfo> sleep;      // none / sleep_sets: asleep when the point was reached
  // optimal / dpor:
  std::vector<dpor::SleepEntry> osleep;      // asleep here: inherited, then each child once explored
  std::vector<dpor::WakeupNode> wakeup;      // the wakeup tree's children still to explore
  std::vector<dpor::WakeupNode> carry;       // the wakeup subtree the current choice goes on with
                                             // (a data node keeps it for every answer)
  std::optional<dpor::StoredEvent> ran;      // the current child as it ran
  std::uint32_t position = 0;       // steps executed before this point
  std::uint32_t chosen = 0;
  std::uint32_t preemptions = 0;    // spent before this point
  std::uint32_t delays = 0;         // spent before this point
  Pid last_process;                 // the process that ran last before this point
  Pid last_actor;                   // the actor of the step before
};

/// The current run's state under optimal / dpor.
struct DfsExplorer::Optimal {
  explicit Optimal(bool observers) : trace(observers) {}
  dpor::RunTrace trace;
  std::vector<dpor::SleepEntry> sleep;     // the current sleep set
  std::vector<dpor::WakeupNode> carry;     // the wakeup subtree new points follow
  std::vector<dpor::Race> races;
  std::vector<dpor::Race> pending;         // this run's races, reversed when it ends
  std::vector<std::uint32_t> sequence;
  std::vector<Pid> point;                  // the enabled actors of the step being executed
  std::vector<EffectKind> effects;         // ...and their pending effects
  bool picked = false;
  std::shared_ptr<const void> storage;     // the run's receive patterns and payloads (Strategy::hold)
  bool async = false;  // the kernel handed over its pattern storage: async delivery (Strategy::hold)
  // Disabling: a chosen step after which another actor enabled at its point
  // is not, or has another kind of step pending (is_alive lands the
  // caller's signals in flight at once; a kill replaces the target's step
  // by its death): the step it had never runs, so no race with it is seen.
  std::vector<Pid> previous_point;         // the actors enabled at the previous step's point
  std::vector<EffectKind> previous_effects;
  Pid previous_actor;
  std::int32_t previous_node = -1;         // the node of the previous step; -1 if forced
  std::vector<std::pair<std::int32_t, Pid>> disabled;  // (node, actor it disabled)
};

/// The strategy one run uses: it forwards to the explorer.
class DfsExplorer::Run final : public Strategy {
 public:
  explicit Run(DfsExplorer& dfs) : dfs_(dfs) {}
  std::string_view name() const override { return "dfs"; }
  std::size_t pick(const SchedulePoint& point) override { return dfs_.pick(point); }
  std::uint64_t choose(std::uint64_t bound) override { return dfs_.choose(bound); }
  void on_step(const StepInfo& step) override { dfs_.on_step(step); }
  void on_time_advance(Micros) override { dfs_.on_time_advance(); }
  void on_spawn(Pid parent, Pid child) override { dfs_.lineage_.on_spawn(parent, child); }
  // optimal reads the patterns; dpor asks only to learn the delivery: the
  // kernel hands its storage over (hold) when a run starts under async
  // delivery, and instant delivery hides dependences (wakeup_tree.cpp).
  bool wants_patterns() const override { return dfs_.dpor_ != nullptr; }
  void hold(std::shared_ptr<const void> storage) override {
    if (!dfs_.dpor_) return;
    dfs_.dpor_->storage = std::move(storage);
    dfs_.dpor_->async = true;
  }
  std::string error() const override {
    if (!dfs_.error_.empty()) return dfs_.error_;
    return dfs_.blocked_ ? "dfs: every enabled step is asleep (this run repeats an explored one)" : std::string();
  }

 private:
  DfsExplorer& dfs_;
};

std::string_view reduction_name(DfsOptions::Reduction reduction) {
  switch (reduction) {
    case DfsOptions::Reduction::none: return "none";
    case DfsOptions::Reduction::sleep_sets: return "sleep_sets";
    case DfsOptions::Reduction::dpor: return "dpor";
    case DfsOptions::Reduction::optimal: return "optimal";
  }
  return "?";
}

std::optional<DfsOptions::Reduction> reduction_from_name(std::string_view name) {
  for (auto r : {DfsOptions::Reduction::none, DfsOptions::Reduction::sleep_sets, DfsOptions::Reduction::dpor,
                 DfsOptions::Reduction::optimal}) {
    if (reduction_name(r) == name) return r;
  }
  return std::nullopt;
}

DfsExplorer::DfsExplorer(DfsOptions options) : options_(options) {
  if (optimal()) dpor_ = std::make_unique<Optimal>(options_.reduction == DfsOptions::Reduction::optimal);
}
DfsExplorer::~DfsExplorer() = default;

bool DfsExplorer::optimal() const {
  return options_.reduction == DfsOptions::Reduction::optimal || options_.reduction == DfsOptions::Reduction::dpor;
}

std::unique_ptr<Strategy> DfsExplorer::next_run() {
  OTPSIM_ASSERT(!run_open_, "DfsExplorer::next_run called before end_run");
  if (exhausted_ || !error_.empty()) return nullptr;
  run_open_ = true;
  cursor_ = 0;
  lineage_.start_run();
  sleep_.clear();
  chosen_node_.reset();
  last_process_ = Pid{};
  last_actor_ = Pid{};
  preemptions_ = 0;
  delays_ = 0;
  blocked_ = false;
  if (dpor_) {
    dpor_->trace.reset();
    dpor_->async = false;
    dpor_->storage.reset();
    dpor_->sleep.clear();
    dpor_->carry.clear();
    dpor_->pending.clear();
    dpor_->disabled.clear();
    dpor_->previous_point.clear();
    dpor_->previous_effects.clear();
    dpor_->previous_node = -1;
    dpor_->picked = false;
  }
  return std::make_unique<Run>(*this);
}

bool DfsExplorer::asleep(Pid pid) const {
  if (dpor_) {
    return std::any_of(dpor_->sleep.begin(), dpor_->sleep.end(),
                       [pid](const dpor::SleepEntry& s) { return s.event.step.pid == pid; });
  }
  return std::any_of(sleep_.begin(), sleep_.end(), [pid](const StepInfo& s) { return s.pid == pid; });
}

bool DfsExplorer::preemption(const Node& node, std::size_t option) const {
  const Pid pid = node.enabled[option].pid;
  if (is_channel_actor(pid) || !node.last_process || pid == node.last_process) return false;
  return std::any_of(node.enabled.begin(), node.enabled.end(),
                     [&node](const StepInfo& s) { return s.pid == node.last_process; });
}

std::uint32_t DfsExplorer::delay_cost(const Node& node, std::size_t option) const {
  // The scheduler's order: the last actor if enabled, then by index.
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < node.enabled.size() && node.last_actor; ++i) {
    if (node.enabled[i].pid == node.last_actor) last = i;
  }
  if (!last) return static_cast<std::uint32_t>(option);
  if (option == *last) return 0;
  return static_cast<std::uint32_t>(option < *last ? option + 1 : option);
}

bool DfsExplorer::allowed(const Node& node, std::size_t option) const {
  if (node.data) return true;
  if (options_.preemption_bound && preemption(node, option) && node.preemptions >= *options_.preemption_bound) {
    return false;
  }
  if (options_.delay_bound && node.delays + delay_cost(node, option) > *options_.delay_bound) return false;
  return true;
}

void DfsExplorer::take(const Node& node, std::size_t option) {
  if (preemption(node, option)) ++preemptions_;
  delays_ += delay_cost(node, option);
}

bool DfsExplorer::replay_matches(const Node& node, const std::vector<StepInfo>& point) {
  const std::size_t size = point.size();
  bool same = !node.data && node.options == size;
  for (std::size_t i = 0; same && i < size; ++i) same = node.enabled[i].pid == point[i].pid;
  if (!same) {
    error_ = fmt::format("dfs: replaying choice point #{} found other enabled steps than before "
                         "(the model is nondeterministic)", cursor_ + 1);
  }
  return same;
}

std::size_t DfsExplorer::pick(const SchedulePoint& kernel_point) {
  const std::size_t size = kernel_point.size();
  if (blocked_) return size;  // a forced step was asleep: stop the run
  point_.clear();
  for (std::size_t i = 0; i < size; ++i) point_.push_back(lineage_.stable(kernel_point.step(i)));
  const std::vector<StepInfo>& point = point_;
  if (dpor_) {
    dpor_->point.clear();
    dpor_->effects.clear();
    for (std::size_t i = 0; i < size; ++i) dpor_->point.push_back(point[i].pid);
    dpor_->picked = true;
  }
  if (cursor_ < path_.size()) {  // replaying the prefix
    Node& node = path_[cursor_];
    if (!replay_matches(node, point)) return size;
    if (dpor_) {
      for (const StepInfo& e : node.enabled) dpor_->effects.push_back(e.effect);
    }
    take(node, node.chosen);
    if (dpor_) {
      dpor_->sleep = node.osleep;  // inherited, and the children explored before this one
      if (cursor_ + 1 == path_.size()) dpor_->carry = std::move(node.carry);  // the new branch starts here
    }
    chosen_node_ = cursor_++;
    return node.chosen;
  }
  return dpor_ ? pick_new_optimal(point) : pick_new_classic(point);
}

std::size_t DfsExplorer::pick_new_classic(const std::vector<StepInfo>& point) {
  const std::size_t size = point.size();
  Node node;
  node.options = static_cast<std::uint32_t>(size);
  node.todo.assign(size, 0);
  node.done.assign(size, 0);
  node.enabled = point;
  if (options_.reduction != DfsOptions::Reduction::none) node.sleep = sleep_;
  node.preemptions = preemptions_;
  node.delays = delays_;
  node.last_process = last_process_;
  node.last_actor = last_actor_;
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < size; ++i) {
    if (asleep(node.enabled[i].pid)) continue;
    if (!allowed(node, i)) {
      bounded_ = true;
      continue;
    }
    if (!first) first = i;
    node.todo[i] = 1;  // every alternative is explored (sleep sets still prune)
  }
  if (!first) {  // every step asleep: an explored run covers this one
    blocked_ = true;
    return size;
  }
  node.done[*first] = 1;
  node.chosen = static_cast<std::uint32_t>(*first);
  take(node, *first);
  path_.push_back(std::move(node));
  chosen_node_ = cursor_++;
  return *first;
}

std::size_t DfsExplorer::pick_new_optimal(const std::vector<StepInfo>& point) {
  const std::size_t size = point.size();
  Optimal& o = *dpor_;
  Node node;
  node.options = static_cast<std::uint32_t>(size);
  node.enabled = point;
  for (const StepInfo& e : node.enabled) o.effects.push_back(e.effect);
  node.osleep = o.sleep;
  node.position = o.trace.size();
  node.preemptions = preemptions_;
  node.delays = delays_;
  node.last_process = last_process_;
  node.last_actor = last_actor_;
  auto option_of = [&node](Pid pid) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < node.enabled.size(); ++i) {
      if (node.enabled[i].pid == pid) return i;
    }
    return std::nullopt;
  };
  std::optional<std::size_t> chosen;
  // Follow the wakeup tree: its first child that can run here. (One whose
  // actor is not enabled, or asleep, cannot: a sequence the relation
  // thought possible is not.)
  while (!o.carry.empty() && !chosen) {
    dpor::WakeupNode child = std::move(o.carry.front());
    o.carry.erase(o.carry.begin());
    const auto option = option_of(child.event.step.pid);
    if (!option || asleep(child.event.step.pid)) continue;
    if (!allowed(node, *option)) {
      bounded_ = true;
      continue;
    }
    chosen = option;
    node.wakeup = std::move(o.carry);
    o.carry = std::move(child.children);
  }
  if (!chosen) {
    o.carry.clear();
    // Any step that is awake: the scheduler's own choice first (no delay).
    std::vector<std::size_t> order;
    if (auto last = option_of(last_actor_)) order.push_back(*last);
    for (std::size_t i = 0; i < size; ++i) {
      if (order.empty() || order.front() != i) order.push_back(i);
    }
    for (const std::size_t i : order) {
      if (asleep(node.enabled[i].pid)) continue;
      if (!allowed(node, i)) {
        bounded_ = true;
        continue;
      }
      chosen = i;
      break;
    }
  }
  if (!chosen && wake_undecided()) {
    // An arrival kept asleep whose dependence with a later arrival is not
    // decided yet must run before the receive that would decide it.
    node.osleep = o.sleep;
    for (std::size_t i = 0; i < size && !chosen; ++i) {
      if (!asleep(node.enabled[i].pid) && allowed(node, i)) chosen = i;
    }
  }
  if (!chosen) {  // every step asleep: an explored run covers this one
    blocked_ = true;
    return size;
  }
  node.chosen = static_cast<std::uint32_t>(*chosen);
  take(node, *chosen);
  path_.push_back(std::move(node));
  chosen_node_ = cursor_++;
  return *chosen;
}

bool DfsExplorer::wake_undecided() {
  Optimal& o = *dpor_;
  const std::size_t before = o.sleep.size();
  std::erase_if(o.sleep, [&o](const dpor::SleepEntry& s) { return o.trace.undecided(s.event, s.since); });
  return o.sleep.size() != before;
}

std::uint64_t DfsExplorer::choose(std::uint64_t bound) {
  if (blocked_) return bound;  // a redundant run: no choice point of its own
  if (cursor_ < path_.size()) {
    const Node& node = path_[cursor_];
    if (!node.data || node.options != bound) {
      error_ = fmt::format("dfs: replaying choice point #{} found a different choice than before "
                           "(the model is nondeterministic)", cursor_ + 1);
      return bound;
    }
    // A new answer here: its continuation follows the wakeup subtree this point had.
    if (dpor_ && cursor_ + 1 == path_.size()) dpor_->carry = node.carry;
    ++cursor_;
    return node.chosen;
  }
  OTPSIM_ASSERT(bound <= 0xffffffffULL, "dfs: a data choice with more than 2^32 options");
  Node node;
  node.data = true;
  node.options = static_cast<std::uint32_t>(bound);
  node.todo.assign(bound, 1);  // every answer is explored
  node.done.assign(bound, 0);
  node.done[0] = 1;
  if (dpor_) {
    node.carry = dpor_->carry;
    node.position = dpor_->trace.size();
  }
  path_.push_back(std::move(node));
  ++cursor_;
  return 0;
}

void DfsExplorer::on_time_advance() {
  if (dpor_) dpor_->trace.time_advance();
}

void DfsExplorer::on_step(const StepInfo& kernel_step) {
  const StepInfo step = lineage_.stable(kernel_step);
  if (dpor_) {
    on_step_optimal(step);
  } else {
    on_step_classic(step);
  }
  chosen_node_.reset();
  last_actor_ = step.pid;
  if (!is_channel_actor(step.pid)) last_process_ = step.pid;
}

void DfsExplorer::on_step_classic(const StepInfo& step) {
  if (options_.reduction == DfsOptions::Reduction::none) return;
  // A forced step (the only one enabled: the kernel asks no strategy)
  // may be asleep too: then this run repeats an explored one just as a
  // point whose steps all sleep does. Without this check such runs went
  // on to the end and counted as interleavings of their own (two fully
  // independent processes took 4 complete runs under sleep_sets, not 1).
  if (!chosen_node_ && asleep(step.pid)) blocked_ = true;
  // The child's sleep set: what slept here, and the siblings explored
  // before this choice, minus everything dependent with the step taken.
  if (chosen_node_) {
    const Node& node = path_[*chosen_node_];
    for (std::size_t i = 0; i < node.options; ++i) {
      if (node.done[i] && i != node.chosen && !asleep(node.enabled[i].pid)) sleep_.push_back(node.enabled[i]);
    }
  }
  std::erase_if(sleep_, [&step](const StepInfo& s) { return dependent(s, step); });
}

void DfsExplorer::on_step_optimal(const StepInfo& step) {
  Optimal& o = *dpor_;
  if (debug_on()) {
    std::fprintf(stderr, "  #%u %s %s cause=%lld sid=%llu poll=%d pl=%d\n", o.trace.size(), chosen_node_ ? "pick" : "forced",
                 show(step).c_str(), step.cause == StepInfo::no_step ? -1LL : static_cast<long long>(step.cause),
                 static_cast<unsigned long long>(step.signal_id), step.poll ? 1 : 0, step.payload != nullptr ? 1 : 0);
  }
  if (blocked_) return;  // the run is being cut: its steps teach nothing new
  if (o.trace.size() == 0) o.trace.set_instant(!o.async);
  if (o.picked) {
    for (const Pid pid : o.point) o.trace.note_enabled(pid);
  } else {
    o.trace.note_enabled(step.pid);
  }
  const std::int32_t node = chosen_node_ ? static_cast<std::int32_t>(*chosen_node_) : -1;
  if (!o.picked) {
    o.point.clear();
    o.point.push_back(step.pid);
    o.effects.clear();
    o.effects.push_back(step.effect);
  }
  note_disabled(o.point, o.effects);
  o.previous_point = o.point;
  o.previous_effects = o.effects;
  o.previous_actor = step.pid;
  o.previous_node = node;
  o.picked = false;
  o.races.clear();
  o.trace.add(step, node, o.races);
  const std::uint32_t j = o.trace.size() - 1;
  if (chosen_node_) path_[*chosen_node_].ran = o.trace.store(j);
  // A forced step that is asleep: this run repeats an explored one (unless
  // it is an arrival whose dependence is not decided yet).
  if (!chosen_node_ && asleep(step.pid) && !(wake_undecided() && !asleep(step.pid))) {
    blocked_ = true;
    return;
  }
  std::erase_if(o.sleep, [&](const dpor::SleepEntry& s) {
    return s.event.step.pid == step.pid || o.trace.dependent_stored(s.event, s.since, true, j);
  });
  if (debug_on()) {
    for (const dpor::Race& race : o.races) std::fprintf(stderr, "    found race %u-%u\n", race.first, race.second);
  }
  // Reversed when the run ends: a receive that comes later may still
  // make two arrivals dependent, or tell which of them it would take.
  o.pending.insert(o.pending.end(), o.races.begin(), o.races.end());
}

void DfsExplorer::note_disabled(const std::vector<Pid>& now, const std::vector<EffectKind>& effects) {
  Optimal& o = *dpor_;
  if (o.previous_node < 0) return;
  for (std::size_t i = 0; i < o.previous_point.size(); ++i) {
    const Pid q = o.previous_point[i];
    if (q == o.previous_actor) continue;
    const auto it = std::find(now.begin(), now.end(), q);
    if (it != now.end() && effects[static_cast<std::size_t>(it - now.begin())] == o.previous_effects[i]) continue;
    o.disabled.emplace_back(o.previous_node, q);
  }
}

void DfsExplorer::reverse_races() {
  Optimal& o = *dpor_;
  // A step that disabled another actor's step: that one first, there too.
  for (const auto& entry : o.disabled) {
    const auto at = entry.first;
    const auto q = entry.second;  // a plain variable: lambdas capture it (clang 14 cannot capture bindings)
    Node& node = path_[static_cast<std::size_t>(at)];
    std::optional<std::size_t> option;
    for (std::size_t i = 0; i < node.enabled.size() && !option; ++i) {
      if (node.enabled[i].pid == q) option = i;
    }
    if (!option) continue;
    const bool sleeping = std::any_of(node.osleep.begin(), node.osleep.end(),
                                      [q](const dpor::SleepEntry& e) { return e.event.step.pid == q; });
    const bool queued = std::any_of(node.wakeup.begin(), node.wakeup.end(),
                                    [q](const dpor::WakeupNode& w) { return w.event.step.pid == q; });
    if (debug_on()) {
      std::fprintf(stderr, "    disabled at node %d: %s%s\n", at, show(node.enabled[*option]).c_str(),
                   sleeping ? " (asleep)" : queued ? " (queued)" : "");
    }
    if (sleeping || queued) continue;
    node.wakeup.push_back(dpor::WakeupNode{dpor::StoredEvent{node.enabled[*option], {}}, {}});
  }
  o.disabled.clear();
  for (const dpor::Race& race : o.pending) {
    if (!o.trace.direct(race.first, race.second)) continue;  // ordered through a dependence learned later
    reverse(race.first, race.second);
  }
  o.pending.clear();
}

void DfsExplorer::reverse(std::uint32_t first, std::uint32_t second) {
  Optimal& o = *dpor_;
  const std::int32_t at = o.trace.node(first);
  if (at < 0) return;  // forced: nothing else could run there
  Node& node = path_[static_cast<std::size_t>(at)];
  o.trace.reversal(first, second, o.sequence);
  if (debug_on()) {
    std::string seq;
    for (auto k : o.sequence) seq += fmt::format(" {}", k);
    std::fprintf(stderr, "    race %u-%u at node %d: v =%s\n", first, second, at, seq.c_str());
  }
  for (const dpor::SleepEntry& s : node.osleep) {
    if (dpor::weak_initial(o.trace, s.event, node.position, true, o.sequence, o.trace.actor_pid(first))) {
      if (debug_on()) std::fprintf(stderr, "      covered by sleeping %s (since %u)\n", show(s.event.step).c_str(), s.since);
      return;  // explored
    }
  }
  const Pid start = o.trace.actor_pid(o.sequence.front());
  const bool startable = std::any_of(node.enabled.begin(), node.enabled.end(),
                                     [start](const StepInfo& s) { return s.pid == start; });
  if (startable) {
    dpor::insert(o.trace, node.wakeup, node.position, o.sequence, o.trace.actor_pid(first));
    return;
  }
  // The reversal's first step was not enabled there (some enabling the
  // clocks missed): try every step that was, as source-set DPOR would.
  for (std::uint32_t i = 0; i < node.options; ++i) {
    if (i == node.chosen) continue;
    const Pid pid = node.enabled[i].pid;
    const bool sleeping = std::any_of(node.osleep.begin(), node.osleep.end(),
                                      [pid](const dpor::SleepEntry& s) { return s.event.step.pid == pid; });
    const bool queued = std::any_of(node.wakeup.begin(), node.wakeup.end(),
                                    [pid](const dpor::WakeupNode& w) { return w.event.step.pid == pid; });
    if (!sleeping && !queued) node.wakeup.push_back(dpor::WakeupNode{dpor::StoredEvent{node.enabled[i], {}}, {}});
  }
}

bool DfsExplorer::next_sibling(Node& node) {
  // The child just explored sleeps in the siblings that come after it.
  node.osleep.push_back({node.ran ? std::move(*node.ran) : dpor::StoredEvent{node.enabled[node.chosen], {}}, node.position});
  node.ran.reset();
  while (!node.wakeup.empty()) {
    dpor::WakeupNode child = std::move(node.wakeup.front());
    node.wakeup.erase(node.wakeup.begin());
    const Pid pid = child.event.step.pid;
    std::optional<std::size_t> option;
    for (std::size_t i = 0; i < node.enabled.size() && !option; ++i) {
      if (node.enabled[i].pid == pid) option = i;
    }
    const bool sleeping = std::any_of(node.osleep.begin(), node.osleep.end(),
                                      [pid](const dpor::SleepEntry& s) { return s.event.step.pid == pid; });
    if (debug_on()) {
      std::fprintf(stderr, "  backtrack to position %u: %s%s\n", node.position, show(child.event.step).c_str(),
                   !option ? " (not enabled: dropped)" : sleeping ? " (asleep: dropped)" : "");
    }
    if (!option || sleeping) continue;
    if (!allowed(node, *option)) {
      bounded_ = true;
      continue;
    }
    node.chosen = static_cast<std::uint32_t>(*option);
    node.carry = std::move(child.children);
    return true;
  }
  return false;
}

void DfsExplorer::end_run() {
  OTPSIM_ASSERT(run_open_, "DfsExplorer::end_run without a run");
  run_open_ = false;
  last_pruned_ = blocked_;
  if (!error_.empty()) return;
  if (debug_on()) std::fprintf(stderr, "end run: %s\n", blocked_ ? "BLOCKED" : "complete");
  if (blocked_) {
    ++pruned_;
  } else {
    ++interleavings_;
  }
  // A run shorter than the path (it stopped early) leaves deeper nodes of
  // an older run: they are not this run's.
  path_.resize(std::min(path_.size(), cursor_));
  // (A run cut by its sleep set repeats explored ones, whose races were
  // reversed; its own races are reversed too, in case a dependence the
  // sleep set did not see made it stop.)
  if (dpor_) {
    if (!blocked_) note_disabled({}, {});  // the run ended: nothing is enabled any more
    reverse_races();
  }
  while (!path_.empty()) {
    Node& node = path_.back();
    if (!node.data && dpor_) {
      if (next_sibling(node)) return;
      path_.pop_back();
      continue;
    }
    std::optional<std::size_t> next;
    for (std::size_t o = 0; o < node.options && !next; ++o) {
      if (!node.todo[o] || node.done[o]) continue;
      if (!node.data) {
        const bool sleeping = std::any_of(node.sleep.begin(), node.sleep.end(),
                                          [&](const StepInfo& s) { return s.pid == node.enabled[o].pid; });
        if (sleeping) continue;
        if (!allowed(node, o)) {
          bounded_ = true;
          continue;
        }
      }
      next = o;
    }
    if (next) {
      node.done[*next] = 1;
      node.chosen = static_cast<std::uint32_t>(*next);
      return;
    }
    path_.pop_back();
  }
  exhausted_ = true;
}

}  // namespace otpsim::sim
