#include "sim/dfs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/assert.hpp"
#include "sim/dependence.hpp"

namespace otpsim::sim {

/// One choice point of the current run.
struct DfsExplorer::Node {
  bool data = false;                // a data choice (no sleep sets, no races)
  std::uint32_t options = 0;        // enabled steps, or the data bound
  std::vector<StepInfo> enabled;    // schedule points: the enabled steps, in kernel order
  std::vector<std::uint8_t> todo;   // the backtrack set
  std::vector<std::uint8_t> done;   // explored (or being explored)
  std::vector<StepInfo> sleep;      // asleep when the point was reached
  std::uint32_t chosen = 0;
  std::uint32_t preemptions = 0;    // spent before this point
  Pid last_pid;                     // the process that ran the step before
};

/// One executed step of the current run.
struct DfsExplorer::Executed {
  StepInfo step;
  std::optional<std::size_t> node;  // the schedule point it was chosen at; none if forced
  std::uint64_t epoch = 0;          // simulated-time advances before it
};

/// The strategy one run uses: it forwards to the explorer.
class DfsExplorer::Run final : public Strategy {
 public:
  explicit Run(DfsExplorer& dfs) : dfs_(dfs) {}
  std::string_view name() const override { return "dfs"; }
  std::size_t pick(const SchedulePoint& point) override { return dfs_.pick(point); }
  std::uint64_t choose(std::uint64_t bound) override { return dfs_.choose(bound); }
  void on_step(const StepInfo& step) override { dfs_.on_step(step); }
  void on_time_advance(Micros) override { ++dfs_.epoch_; }
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
  }
  return "?";
}

std::optional<DfsOptions::Reduction> reduction_from_name(std::string_view name) {
  for (auto r : {DfsOptions::Reduction::none, DfsOptions::Reduction::sleep_sets, DfsOptions::Reduction::dpor}) {
    if (reduction_name(r) == name) return r;
  }
  return std::nullopt;
}

DfsExplorer::DfsExplorer(DfsOptions options) : options_(options) {}
DfsExplorer::~DfsExplorer() = default;

std::unique_ptr<Strategy> DfsExplorer::next_run() {
  OTPSIM_ASSERT(!run_open_, "DfsExplorer::next_run called before end_run");
  if (exhausted_ || !error_.empty()) return nullptr;
  run_open_ = true;
  cursor_ = 0;
  sleep_.clear();
  executed_.clear();
  chosen_node_.reset();
  last_pid_ = Pid{};
  preemptions_ = 0;
  blocked_ = false;
  epoch_ = 0;
  return std::make_unique<Run>(*this);
}

bool DfsExplorer::asleep(Pid pid) const {
  return std::any_of(sleep_.begin(), sleep_.end(), [pid](const StepInfo& s) { return s.pid == pid; });
}

bool DfsExplorer::preemption(const Node& node, std::size_t option) const {
  if (node.enabled[option].pid == node.last_pid) return false;
  return std::any_of(node.enabled.begin(), node.enabled.end(),
                     [&node](const StepInfo& s) { return s.pid == node.last_pid; });
}

bool DfsExplorer::allowed(const Node& node, std::size_t option) const {
  if (node.data || !options_.preemption_bound) return true;
  return !preemption(node, option) || node.preemptions < *options_.preemption_bound;
}

std::size_t DfsExplorer::pick(const SchedulePoint& point) {
  const std::size_t size = point.size();
  if (blocked_) return size;  // a forced step was asleep: stop the run
  if (cursor_ < path_.size()) {  // replaying the prefix
    Node& node = path_[cursor_];
    bool same = !node.data && node.options == size;
    for (std::size_t i = 0; same && i < size; ++i) same = node.enabled[i].pid == point.pid(i);
    if (!same) {
      error_ = fmt::format("dfs: replaying choice point #{} found other enabled steps than before "
                           "(the model is nondeterministic)", cursor_ + 1);
      return size;
    }
    if (preemption(node, node.chosen)) ++preemptions_;
    chosen_node_ = cursor_++;
    return node.chosen;
  }
  Node node;
  node.options = static_cast<std::uint32_t>(size);
  node.todo.assign(size, 0);
  node.done.assign(size, 0);
  for (std::size_t i = 0; i < size; ++i) node.enabled.push_back(point.step(i));
  if (options_.reduction != DfsOptions::Reduction::none) node.sleep = sleep_;
  node.preemptions = preemptions_;
  node.last_pid = last_pid_;
  std::optional<std::size_t> first;
  for (std::size_t i = 0; i < size; ++i) {
    if (asleep(node.enabled[i].pid)) continue;
    if (!allowed(node, i)) {
      bounded_ = true;
      continue;
    }
    if (!first) first = i;
    // Without DPOR every alternative is explored (sleep sets still prune).
    if (options_.reduction != DfsOptions::Reduction::dpor) node.todo[i] = 1;
  }
  if (!first) {  // every step asleep: an explored run covers this one
    blocked_ = true;
    return size;
  }
  node.todo[*first] = 1;
  node.done[*first] = 1;
  node.chosen = static_cast<std::uint32_t>(*first);
  if (preemption(node, *first)) ++preemptions_;
  path_.push_back(std::move(node));
  chosen_node_ = cursor_++;
  return *first;
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
  path_.push_back(std::move(node));
  ++cursor_;
  return 0;
}

void DfsExplorer::on_step(const StepInfo& step) {
  if (options_.reduction != DfsOptions::Reduction::none) {
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
  executed_.push_back({step, chosen_node_, epoch_});
  chosen_node_.reset();
  last_pid_ = step.pid;
}

void DfsExplorer::add_backtrack(Node& node, std::size_t option) {
  if (!node.done[option]) node.todo[option] = 1;
}

void DfsExplorer::find_races() {
  // Vector clocks over the run's steps: clock[j][q] = how many of process
  // q's steps happen before step j (inclusive for j's own process).
  std::map<std::uint64_t, std::size_t> index;  // pid id -> dense process index
  std::vector<std::size_t> proc(executed_.size());
  std::vector<std::uint32_t> seq(executed_.size());  // 1-based position of a step in its process
  for (std::size_t j = 0; j < executed_.size(); ++j) {
    proc[j] = index.try_emplace(executed_[j].step.pid.id, index.size()).first->second;
  }
  const std::size_t n = index.size();
  std::vector<std::vector<std::uint32_t>> clock(executed_.size());
  std::vector<std::vector<std::uint32_t>> latest(n, std::vector<std::uint32_t>(n, 0));  // per process
  std::vector<std::uint32_t> count(n, 0);
  std::size_t epoch_start = 0;  // the first step after the last time advance
  constexpr std::size_t none = ~std::size_t{0};
  std::vector<std::size_t> last_of(n, none);  // each process's latest step so far
  // True if step j's process was not enabled just before step x ran.
  auto blocked_at = [&](std::size_t x, std::size_t j) {
    if (!executed_[x].node) return true;  // x was the only enabled step
    const Node& at = path_[*executed_[x].node];
    const Pid pid = executed_[j].step.pid;
    return std::none_of(at.enabled.begin(), at.enabled.end(), [pid](const StepInfo& e) { return e.pid == pid; });
  };
  for (std::size_t j = 0; j < executed_.size(); ++j) {
    const std::size_t p = proc[j];
    if (executed_[j].epoch != executed_[epoch_start].epoch) {
      // Time moved: everything before happens before everything after.
      std::vector<std::uint32_t> all(n, 0);
      for (const auto& l : latest) {
        for (std::size_t q = 0; q < n; ++q) all[q] = std::max(all[q], l[q]);
      }
      for (auto& l : latest) l = all;
      epoch_start = j;
    }
    seq[j] = ++count[p];
    std::vector<std::uint32_t> c = latest[p];  // what p knows before step j
    const std::uint64_t cause = executed_[j].step.cause;
    // The send of the message j takes happens before j if j needed it to
    // be enabled: j's process had declared its receive before the send (its
    // previous step came first) and was blocked (not enabled) right before
    // the send. Otherwise (a poll, a receive whose timer fired, a receive
    // declared after the message came) it might run without the message,
    // finding none: then the send and j only race. (The edge used to count
    // always, so dpor never ran a poll before the send it raced with.)
    if (cause < j && (last_of[p] == none || last_of[p] < cause) && blocked_at(static_cast<std::size_t>(cause), j)) {
      for (std::size_t q = 0; q < n; ++q) c[q] = std::max(c[q], clock[cause][q]);
    }
    last_of[p] = j;
    // Every step j races with directly: dependent, not ordered before j,
    // and not ordered before another such step (then that one is the race).
    // (Reversing only the latest race missed outcomes on random programs.)
    std::vector<std::size_t> races;
    for (std::size_t i = j; i-- > epoch_start;) {
      if (proc[i] == p || !dependent(executed_[i].step, executed_[j].step) || c[proc[i]] >= seq[i]) continue;
      const bool direct = std::none_of(races.begin(), races.end(), [&](std::size_t r) { return clock[r][proc[i]] >= seq[i]; });
      if (direct) races.push_back(i);
    }
    for (std::size_t i = epoch_start; i < j; ++i) {
      if (proc[i] == p || !dependent(executed_[i].step, executed_[j].step)) continue;
      for (std::size_t q = 0; q < n; ++q) c[q] = std::max(c[q], clock[i][q]);
    }
    c[p] = seq[j];
    clock[j] = c;
    latest[p] = c;
    for (const std::size_t i : races) {
    if (!executed_[i].node) continue;  // a forced step cannot be reordered
    Node& node = path_[*executed_[i].node];
    // Reverse the race (source sets, Abdulla et al., POPL 2014): the steps
    // after i that do not happen after it, then j, can run first from i's
    // point; a process whose first step among them follows none of the
    // others (an initial) is one to start with there. If the point already
    // explores an initial, the reversal is covered.
    //
    // (This used to add j's process whenever it was enabled at i's point.
    // But its step there may be an earlier one than j, and asleep: then the
    // reversal was dropped. E.g. P2 sends to P3 before P1 does; P1's send
    // follows its lookup, which follows P3's insert; P1's lookup sleeps at
    // the point before P2's send, so "P3 inserts, P1 looks up and sends,
    // then P2 sends" was never run. Found by the random programs in
    // sim/strategies.test.cpp.)
    std::vector<std::uint32_t> first_in_v(n, 0);  // seq of each process's first step in v; 0: none
    std::vector<Pid> initials;
    auto consider = [&](std::size_t k) {
      const std::size_t q = proc[k];
      if (first_in_v[q] != 0) return;  // not the process's first step in v
      bool initial = true;
      for (std::size_t r = 0; r < n && initial; ++r) {
        if (first_in_v[r] != 0 && clock[k][r] >= first_in_v[r]) initial = false;
      }
      first_in_v[q] = seq[k];
      if (initial) initials.push_back(executed_[k].step.pid);
    };
    for (std::size_t k = i + 1; k < j; ++k) {
      if (clock[k][proc[i]] >= seq[i]) continue;  // happens after i
      consider(k);
    }
    consider(j);
    bool covered = false;
    std::optional<std::size_t> awake;
    std::optional<std::size_t> any;
    for (std::size_t o = 0; o < node.options; ++o) {
      const Pid pid = node.enabled[o].pid;
      if (std::find(initials.begin(), initials.end(), pid) == initials.end()) continue;
      if (node.done[o] || node.todo[o]) covered = true;
      const bool sleeping = std::any_of(node.sleep.begin(), node.sleep.end(),
                                        [pid](const StepInfo& x) { return x.pid == pid; });
      if (!sleeping && !awake) awake = o;
      if (!any) any = o;
    }
    if (covered) continue;
    if (awake || any) {
      add_backtrack(node, awake ? *awake : *any);  // every initial asleep: an explored run covers it
      continue;
    }
    // No initial is enabled there (the relation missed an enabling): every one.
    for (std::size_t o = 0; o < node.options; ++o) add_backtrack(node, o);
    }
  }
}

void DfsExplorer::end_run() {
  OTPSIM_ASSERT(run_open_, "DfsExplorer::end_run without a run");
  run_open_ = false;
  last_pruned_ = blocked_;
  if (!error_.empty()) return;
  if (blocked_) {
    ++pruned_;
  } else {
    ++interleavings_;
  }
  // A run shorter than the path (it stopped early) leaves deeper nodes of
  // an older run: they are not this run's.
  path_.resize(std::min(path_.size(), cursor_));
  if (options_.reduction == DfsOptions::Reduction::dpor) find_races();
  while (!path_.empty()) {
    Node& node = path_.back();
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
