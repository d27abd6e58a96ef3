// The trio's properties (docs/properties.md), judged after the run from the
// RunRecord, the Trio's configuration and environment, and the kernel's end
// state. Every check is a plain function over that data and returns the
// earliest counterexample (by step), or nullopt.
#include "core/tokens/properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>

#include "core/otp/supervisor.hpp"
#include "core/tokens/checked_time.hpp"
#include "core/tokens/telemetry.hpp"
#include "core/tokens/trio_tree.hpp"
#include "core/tree/properties.hpp"

namespace otpsim::core::tokens {

namespace {

namespace sa = sim::atoms;
using sim::Atom;

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

// ---------------------------------------------------------------------------
// Text.

// pid_str, time_str and when: core/property.hpp.

std::string quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

/// `get "my-app" by <0.7.0> (herd#3)`.
std::string describe(const ClientCall& c) {
  std::string args = quoted(c.app);
  if (c.op == "set_manual") args += " " + quoted(c.token);
  std::string name = c.client_name.empty() ? std::string() : fmt::format(" ({})", c.client_name);
  return fmt::format("{} {} by {}{}", c.op, args, pid_str(c.client), name);
}

std::string describe(const ProcessLife& l) { return fmt::format("{} ({})", pid_str(l.pid), l.label); }

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

bool is_normal_exit(const Term& reason) {
  return reason.is(sa::normal()) || reason.is(sa::shutdown()) || reason.is_tagged(sa::shutdown(), 2);
}

bool is_app_server(const ProcessLife& l) { return l.label.rfind("app:", 0) == 0; }

/// An exit a supervisor counts as a restart: an abnormal one.
bool is_failure(const Term& reason) { return !is_normal_exit(reason); }

/// The exit of a child supervisor whose init failed ({shutdown,
/// {failed_to_start_child, ..}}): its start returned an error, so its parent
/// never had it as a child and counts no EXIT of it; the parent counts the
/// retry it takes next instead (RunRecord::retries).
bool is_failed_start(const Term& reason) {
  return reason.is_tagged(sa::shutdown(), 2) && reason[1].is_tuple() && reason[1].size() > 0 &&
         reason[1][0].is_atom("failed_to_start_child");
}

/// The app named by element `i` of an event (an Elixir binary), or "".
std::string app_at(const Term& t, std::size_t i) {
  if (!t.is_tuple() || t.size() <= i || !t[i].is_string()) return std::string();
  return std::string(t[i].string_value());
}

bool tagged(const Term& t, std::string_view tag, std::size_t arity) {
  return t.is_tuple() && t.size() == arity && t[0].is_atom(tag);
}

std::uint64_t end_step(const ClientCall& c) { return c.end_us >= 0 ? c.end_step : kNever; }
std::uint64_t exit_step(const ProcessLife& l) { return l.alive() ? kNever : l.exited_step; }

/// The run went on past instant `t` (or has nothing left to do), so whatever
/// that instant set in motion has happened.
bool settled_after(const PropertyContext& ctx, Micros t) {
  return ctx.kernel.now_us() > t || ctx.outcome == sim::Outcome::quiescent;
}

bool applied(const FaultEvent& f, std::string_view action) { return f.applied && f.action == action; }

/// The client call of `client` running at `step`, or nullptr.
// The calls of each client, by start step, so that finding the call a
// client was in at a step is a search in its own calls, not a scan of all.
class CallsByClient {
 public:
  explicit CallsByClient(const RunRecord& r) {
    for (const ClientCall& c : r.calls) calls_[c.client].push_back(&c);
    for (auto& [client, calls] : calls_) {
      std::stable_sort(calls.begin(), calls.end(),
                       [](const ClientCall* a, const ClientCall* b) { return a->start_step < b->start_step; });
    }
  }
  /// The call `client` was in at `step` (a client makes one call at a time).
  const ClientCall* at(Pid client, std::uint64_t step) const {
    auto it = calls_.find(client);
    if (it == calls_.end()) return nullptr;
    const auto& calls = it->second;
    auto after = std::upper_bound(calls.begin(), calls.end(), step,
                                  [](std::uint64_t s, const ClientCall* c) { return s < c->start_step; });
    if (after == calls.begin()) return nullptr;
    const ClientCall* c = *std::prev(after);
    return step <= end_step(*c) ? c : nullptr;
  }

 private:
  std::map<Pid, std::vector<const ClientCall*>> calls_;
};


// ---------------------------------------------------------------------------
// The system clock at an instant.

class Clock {
 public:
  explicit Clock(const PropertyContext& ctx) : current_(ctx.trio.env->clock_offset_us) {
    if (!ctx.clock_offsets.empty()) {
      for (const auto& [from_us, offset] : ctx.clock_offsets) changes_.push_back(Change{from_us, 0, offset, true});
      initial_ = ctx.clock_offsets.front().second;
      return;
    }
    // Each applied clock_jump records its amount and the offset after it.
    for (const FaultEvent& f : ctx.record.faults) {
      if (!applied(f, "clock_jump")) continue;
      if (changes_.empty()) initial_ = sat_sub(f.clock_offset_after_us, f.clock_jump_us);
      changes_.push_back(Change{f.at_us, f.step, f.clock_offset_after_us, true});
      if (f.heals_at_us >= 0) changes_.push_back(Change{f.heals_at_us, 0, sat_neg(f.clock_jump_us), false});
    }
    if (changes_.empty()) initial_ = current_;
    std::stable_sort(changes_.begin(), changes_.end(),
                     [](const Change& a, const Change& b) { return a.at_us < b.at_us; });
  }

  /// System.system_time(:second) at `at_us` (in step `step`), or nullopt
  /// if the offset then is unknown.
  std::optional<std::int64_t> system_time_s(Micros at_us, std::uint64_t step) const {
    Micros offset = initial_;
    for (const Change& c : changes_) {
      if (c.at_us > at_us) break;
      if (c.absolute) {
        if (c.at_us == at_us && step < c.step) continue;  // the jump came later in that instant
        offset = c.offset;
      } else {
        if (c.at_us == at_us) return std::nullopt;  // a heal in this instant: before or after?
        offset = sat_add(offset, c.offset);
      }
    }
    return floor_div(sat_add(at_us, offset), 1'000'000);  // as Env::system_time_s (saturating)
  }

 private:
  class Change {
   public:
    Micros at_us;
    std::uint64_t step;
    Micros offset;  // absolute (a jump: the offset then), or relative (a heal)
    bool absolute;
  };


  Micros current_;
  Micros initial_ = 0;
  std::vector<Change> changes_;
};

// ---------------------------------------------------------------------------
// The cache table's rows, rebuilt from events: {cached, App, Tok, Exp} sets
// a row, {uncached, App} clears it, the death of the table's owner clears
// them all.

class Row {
 public:
  Row(std::string token_, std::int64_t exp_, Micros at_us_, std::uint64_t step_, Pid by_)
      : token(std::move(token_)), exp(exp_), at_us(at_us_), step(step_), by(by_) {}
  std::string token;
  std::int64_t exp;
  Micros at_us;
  std::uint64_t step;
  Pid by;  // the AppServer that wrote it
};

class RowHistory {
 public:
  /// `clear_on_app_server_exit`: an AppServer's death also clears every row
  /// (its table, under ets_owned_by_app_server).
  RowHistory(const RunRecord& r, bool clear_on_app_server_exit) {
    // One timeline of events and owner deaths. Within a step, a death comes
    // before the events of other processes (a kill, then its killer goes on)
    // and after the dying process's own events.
    class Item {
     public:
      std::uint64_t step;
      int rank;
      std::size_t index;
      std::string app;
      std::optional<Row> row;
      bool all = false;  // clears every row
    };
    std::vector<Item> items;
    // (step, pid) of every event, sorted for binary search: a vector, not a
    // set, since every run of a sweep builds it.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> emitted;
    emitted.reserve(r.events.size());
    for (std::size_t i = 0; i < r.events.size(); ++i) {
      const RecordedEvent& e = r.events[i];
      emitted.emplace_back(e.step, e.pid.id);
      if (tagged(e.term, "cached", 4) && e.term[3].is_integer()) {
        std::string app = app_at(e.term, 1);
        Row row(std::string(e.term[2].is_string() ? e.term[2].string_value() : ""), e.term[3].integer(), e.at_us,
                e.step, e.pid);
        items.push_back(Item{e.step, 1, i, app, std::move(row)});
        apps_.emplace(app, std::vector<Change>());
      } else if (tagged(e.term, "uncached", 2)) {
        std::string app = app_at(e.term, 1);
        items.push_back(Item{e.step, 1, i, app, std::nullopt});
        apps_.emplace(app, std::vector<Change>());
      }
    }
    std::sort(emitted.begin(), emitted.end());
    for (std::size_t i = 0; i < r.processes.size(); ++i) {
      const ProcessLife& l = r.processes[i];
      if (l.alive()) continue;
      if (l.label == "ets_owner" || (clear_on_app_server_exit && is_app_server(l))) {
        const int rank = std::binary_search(emitted.begin(), emitted.end(), std::pair(l.exited_step, l.pid.id)) ? 2 : 0;
        items.push_back(Item{l.exited_step, rank, i, std::string(), std::nullopt, true});
      }
    }
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.step != b.step ? a.step < b.step : a.rank < b.rank;
    });
    for (Item& item : items) {
      if (item.all) {
        for (auto& [app, changes] : apps_) changes.push_back(Change{item.step, std::nullopt});
      } else {
        apps_[item.app].push_back(Change{item.step, std::move(item.row)});
      }
    }
  }

  /// The row of `app` as every change before `step` left it.
  std::optional<Row> before(const std::string& app, std::uint64_t step) const {
    auto it = apps_.find(app);
    if (it == apps_.end()) return std::nullopt;
    const std::vector<Change>& changes = it->second;
    auto first_not_before =
        std::lower_bound(changes.begin(), changes.end(), step,
                         [](const Change& c, std::uint64_t s) { return c.step < s; });
    if (first_not_before == changes.begin()) return std::nullopt;
    return std::prev(first_not_before)->row;
  }

  /// True if the row of `app` changed (or was cleared) in steps [from, to].
  bool changed_between(const std::string& app, std::uint64_t from, std::uint64_t to) const {
    auto it = apps_.find(app);
    if (it == apps_.end()) return false;
    for (const Change& c : it->second) {
      if (c.step >= from && c.step <= to) return true;
    }
    return false;
  }

 private:
  class Change {
   public:
    std::uint64_t step;
    std::optional<Row> row;
  };
  std::map<std::string, std::vector<Change>> apps_;
};

// ---------------------------------------------------------------------------
// 1. no_client_crash

std::optional<Violation> no_client_crash(const PropertyContext& ctx) {
  Earliest first;
  const bool finished = ctx.outcome == sim::Outcome::quiescent || ctx.outcome == sim::Outcome::stopped;
  for (const ClientCall& c : ctx.record.calls) {
    if (c.exited) {
      first.offer(Violation(fmt::format("{} exited the client with {} at {} (started at {})", describe(c),
                                        c.exit_reason.to_string(), when(c.end_us, c.end_step), time_str(c.start_us)),
                            c.end_us, c.end_step));
    } else if (c.end_us < 0 && finished) {
      first.offer(Violation(fmt::format("{} started at {} never returned (the run ended {} at {})", describe(c),
                                        when(c.start_us, c.start_step), sim::outcome_name(ctx.outcome),
                                        time_str(ctx.kernel.now_us())),
                            c.start_us, c.start_step));
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 2. no_expired_token

std::optional<Violation> no_expired_token(const PropertyContext& ctx) {
  const Clock clock(ctx);
  std::map<std::string, std::vector<const RecordedEvent*>> cached;  // by app, in step order
  for (const RecordedEvent& e : ctx.record.events) {
    if (tagged(e.term, "cached", 4) && e.term[2].is_string() && e.term[3].is_integer()) {
      cached[app_at(e.term, 1)].push_back(&e);
    }
  }
  Earliest first;
  for (const ClientCall& c : ctx.record.calls) {
    if ((c.op != "get" && c.op != "refresh") || !c.returned() || !c.result.is_tagged(sa::ok(), 2) ||
        !c.result[1].is_string()) {
      continue;
    }
    const std::string_view token = c.result[1].string_value();
    // The latest row write of this token before the return: the row the
    // fast path read, or the one the AppServer cached before replying.
    const RecordedEvent* row = nullptr;
    auto it = cached.find(c.app);
    if (it != cached.end()) {
      for (const RecordedEvent* e : it->second) {
        if (e->step > c.end_step) break;
        if (e->term[2].string_value() == token) row = e;
      }
    }
    if (row == nullptr) continue;  // nothing says when it expires
    const std::optional<std::int64_t> now = clock.system_time_s(c.end_us, c.end_step);
    if (!now) continue;
    const std::int64_t exp = row->term[3].integer();
    if (exp > *now) continue;
    first.offer(Violation(fmt::format("{} returned token {} at {} (system time {} s), but it expired at {} s "
                                      "(row cached by {} at {})",
                                      describe(c), quoted(token), when(c.end_us, c.end_step), *now, exp,
                                      pid_str(row->pid), time_str(row->at_us)),
                          c.end_us, c.end_step));
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 3. cli_coalesced

std::optional<Violation> cli_coalesced(const PropertyContext& ctx) {
  const Clock clock(ctx);
  const RowHistory rows(ctx.record, ctx.trio.has(Mutant::ets_owned_by_app_server));
  for (const RecordedEvent& e : ctx.record.events) {
    if (!tagged(e.term, "cli_run", 2)) continue;
    const std::string app = app_at(e.term, 1);
    const std::optional<Row> row = rows.before(app, e.step);
    if (!row) continue;
    const std::optional<std::int64_t> now = clock.system_time_s(e.at_us, e.step);
    if (!now || row->exp <= *now) continue;
    // Events come in step order: the first one found is the earliest.
    return Violation(fmt::format("CLI run for {} by {} at {} while the table row {} (expires at {} s, cached by {} "
                                 "at {}) was live (system time {} s)",
                                 quoted(app), pid_str(e.pid), when(e.at_us, e.step), quoted(row->token), row->exp,
                                 pid_str(row->by), when(row->at_us, row->step), *now),
                     e.at_us, e.step);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// 4. refresh_atomic

std::optional<Violation> refresh_atomic(const PropertyContext& ctx) {
  for (const RecordedEvent& e : ctx.record.events) {
    if (!telemetry::is_stop(e.term) || !e.term[2].is_atom("refresh") || !e.term[4].is_atom("ets")) continue;
    return Violation(fmt::format("refresh of {} by {} at {} was answered from the table (source ets, acquirer {}, "
                                 "result {}): the row was refilled between invalidate and acquire",
                                 quoted(app_at(e.term, 3)), pid_str(e.pid), when(e.at_us, e.step),
                                 e.term[5].to_string(), e.term[6].to_string()),
                     e.at_us, e.step);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// 5. resolve_agrees

std::optional<Violation> resolve_agrees(const PropertyContext& ctx) {
  const RunRecord& r = ctx.record;
  Earliest first;
  // No call hands the start race to its caller.
  for (const ClientCall& c : r.calls) {
    if (c.returned() && c.result.is_tagged(sa::error(), 2) && c.result[1].is_tagged(Atom("already_started"), 2)) {
      first.offer(Violation(fmt::format("{} returned {} at {}: resolve_app_server lost the start race and passed "
                                        "the error on",
                                        describe(c), c.result.to_string(), when(c.end_us, c.end_step)),
                            c.end_us, c.end_step));
    }
  }
  // Concurrent resolvers of one app agree on the pid.
  class Resolve {
   public:
    const RecordedEvent* event;
    Pid server;
    std::uint64_t from, to;  // the resolver's call, in steps
  };
  std::map<std::string, std::vector<Resolve>> by_app;
  const CallsByClient calls(r);
  for (const RecordedEvent& e : r.events) {
    if (!tagged(e.term, "resolved", 3) || !e.term[2].is_pid()) continue;
    const ClientCall* c = calls.at(e.pid, e.step);
    const std::uint64_t from = c ? c->start_step : e.step;
    const std::uint64_t to = c ? end_step(*c) : e.step;
    by_app[app_at(e.term, 1)].push_back(Resolve{&e, e.term[2].pid(), from, to});
  }
  auto dead_by = [&r](Pid pid, std::uint64_t step) {
    const ProcessLife* l = r.life(pid);
    return l == nullptr || (!l->alive() && l->exited_step <= step);
  };
  // For each resolve b, the first earlier resolve a of another live server
  // whose call overlaps b's. Events come in step order and a resolve lies
  // inside its call, so a.from <= a's step <= b's step <= b.to: overlap is
  // a.to >= b.from alone. Per server, the prefix maximum of `to` is sorted,
  // so the first such a is a binary search: linear in the resolves times
  // the servers of the app (a handful), not quadratic in the resolves.
  class Server {
   public:
    std::vector<std::size_t> index;    // its resolves, in order
    std::vector<std::uint64_t> max_to;  // max_to[k]: the largest `to` of index[0..k]
  };
  for (const auto& [app, resolves] : by_app) {
    std::map<Pid, Server> servers;
    for (std::size_t j = 0; j < resolves.size(); ++j) {
      const Resolve& b = resolves[j];
      std::optional<std::size_t> found;
      if (!dead_by(b.server, b.event->step)) {
        for (const auto& [pid, server] : servers) {
          if (pid == b.server || dead_by(pid, b.event->step)) continue;
          auto k = static_cast<std::size_t>(
              std::lower_bound(server.max_to.begin(), server.max_to.end(), b.from) - server.max_to.begin());
          // The first index from k on whose own `to` reaches b.from (the
          // prefix maximum first reaches it there) and that overlaps b.
          for (; k < server.index.size(); ++k) {
            const Resolve& a = resolves[server.index[k]];
            if (a.to >= b.from && a.from <= b.to) break;
          }
          if (k < server.index.size() && (!found || server.index[k] < *found)) found = server.index[k];
        }
      }
      if (found) {
        const Resolve& a = resolves[*found];
        first.offer(Violation(fmt::format("concurrent resolves of {} disagree: {} got {} at {}, {} got {} at {}, "
                                          "both servers alive",
                                          quoted(app), pid_str(a.event->pid), pid_str(a.server),
                                          when(a.event->at_us, a.event->step), pid_str(b.event->pid),
                                          pid_str(b.server), when(b.event->at_us, b.event->step)),
                              b.event->at_us, b.event->step));
      }
      Server& mine = servers[b.server];
      mine.max_to.push_back(mine.max_to.empty() ? b.to : std::max(mine.max_to.back(), b.to));
      mine.index.push_back(j);
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 6. one_live_app_server_per_app

std::optional<Violation> one_live_app_server_per_app(const PropertyContext& ctx) {
  const RunRecord& r = ctx.record;
  class Up {
   public:
    const RecordedEvent* event;
    std::uint64_t until;  // its exit step, or kNever
  };
  std::map<std::string, std::vector<Up>> by_app;  // each in step order
  for (const RecordedEvent& e : r.events) {
    if (!tagged(e.term, "app_server_up", 2)) continue;
    const ProcessLife* l = r.life(e.pid);
    by_app[app_at(e.term, 1)].push_back(Up{&e, l ? exit_step(*l) : kNever});
  }
  Earliest first;
  for (const auto& [app, ups] : by_app) {
    for (std::size_t j = 0; j < ups.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (ups[i].until <= ups[j].event->step) continue;
        const RecordedEvent& a = *ups[i].event;
        const RecordedEvent& b = *ups[j].event;
        const std::string until =
            ups[i].until == kNever ? std::string("the end") : fmt::format("step {}", ups[i].until);
        first.offer(Violation(fmt::format("two AppServers of {} up at once: {} up since {} (alive until {}), {} up "
                                          "at {}",
                                          quoted(app), pid_str(a.pid), when(a.at_us, a.step), until, pid_str(b.pid),
                                          when(b.at_us, b.step)),
                              b.at_us, b.step));
        break;
      }
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 7. manual_token_durable

std::optional<Violation> manual_token_durable(const PropertyContext& ctx) {
  const Env& env = *ctx.trio.env;
  if (env.storage != static_cast<const Storage*>(&env.memory_storage)) return std::nullopt;  // a mock: vacuous
  const MemoryStorage& store = env.memory_storage;
  const RunRecord& r = ctx.record;
  auto acked = [](const ClientCall& c) { return c.op == "set_manual" && c.returned() && c.result.is(sa::ok()); };
  Earliest first;
  for (const ClientCall& c : r.calls) {
    if (!acked(c)) continue;
    std::set<std::string> acceptable{c.token};
    for (const ClientCall& d : r.calls) {
      if (&d != &c && acked(d) && d.app == c.app && d.end_step >= c.start_step) acceptable.insert(d.token);
    }
    const std::optional<StorageRecord> stored = store.peek(c.app, StorageKey::manual);
    if (stored && acceptable.count(stored->token)) continue;
    bool lost_to_restart = false;
    if (!store.durable) {
      for (const FaultEvent& f : r.faults) {
        if (applied(f, "node_restart") && f.step >= c.end_step) lost_to_restart = true;
      }
    }
    if (lost_to_restart) continue;
    const std::string found = stored ? fmt::format("holds {}", quoted(stored->token)) : std::string("is absent");
    first.offer(Violation(fmt::format("{} was acknowledged (ok) at {}, but at the end the durable manual record of "
                                      "{} {}",
                                      describe(c), when(c.end_us, c.end_step), quoted(c.app), found),
                          c.end_us, c.end_step));
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 8. restart_intensity (and the give-ups restart_scope judges)
//
// supervisor.erl counts a restart (add_restart) each time restart/2 runs:
// for the EXIT of a child it restarts, and again for every retry of a
// restart whose start failed ({try_again_restart, Id}: do_restart,
// try_again_restart). DynamicSupervisor does the same with its
// {'$gen_restart', Pid}. The property replays both: the children's exits
// (ProcessLife) and the retries the supervisor took (RunRecord::retries).

/// A supervisor's exit that its parent ordered: the parent died at that
/// instant, or an older sibling did (rest_for_one / one_for_all teardown),
/// or a node_restart fault hit then.
bool told_to_exit(const RunRecord& r, const ProcessLife& s) {
  if (s.alive()) return false;
  for (const FaultEvent& f : r.faults) {
    if (applied(f, "node_restart") && f.at_us == s.exited_us) return true;
  }
  for (const ProcessLife& l : r.processes) {
    if (l.alive() || l.exited_us != s.exited_us || l.exited_step > s.exited_step) continue;
    if (l.pid == s.parent) return true;
    if (l.parent == s.parent && l.pid < s.pid) return true;
  }
  return false;
}

/// One add_restart the property replays: a child's exit, or a retry of a
/// failed restart.
class CountedRestart {
 public:
  Micros at_us = 0;
  std::uint64_t step = 0;
  const ProcessLife* child = nullptr;   // a child's exit
  const RestartRetry* retry = nullptr;  // a retry the supervisor took
};

class SupervisorVerdict {
 public:
  const ProcessLife* sup = nullptr;
  int intensity = 0;
  int period_s = 0;
  bool told = false;
  std::optional<Micros> gave_up_us;  // the count exceeded the intensity at this instant
  std::optional<Violation> violation;
  /// Every restart counted, in step order (up to the one that exceeded).
  std::vector<CountedRestart> counted;
  /// It gave up: exited shutdown without being told to.
  bool gave_up() const { return !sup->alive() && !told && sup->exit_reason.is(sa::shutdown()); }
  /// The restarts the injected faults made (their victims' exits, and a
  /// child supervisor's give-up that its faults alone explain) exceed the
  /// intensity by the give-up; `fault_restarts` of them within the period
  /// then.
  bool by_faults = false;
  std::size_t fault_restarts = 0;
  std::size_t other_exits = 0;  // counted exits of its children no fault explains
};

/// "<0.4.0> (Registry) exited killed", or "the retry of the failed restart of X".
std::string describe(const RunRecord& r, const CountedRestart& c) {
  if (c.child != nullptr) return fmt::format("{} exited {}", describe(*c.child), c.child->exit_reason.to_string());
  const Term& id = c.retry->child;
  const ProcessLife* old = id.is_pid() ? r.life(id.pid()) : nullptr;
  return fmt::format("the retry of the failed restart of {} at {}", old ? describe(*old) : id.to_string(),
                     when(c.at_us, c.step));
}

/// Replays add_restart over the exits of `s`'s children that `counts`
/// accepts and the retries `s` took, and compares the result with what `s`
/// did.
SupervisorVerdict judge_supervisor(const PropertyContext& ctx, const ProcessLife& s, int intensity, int period_s,
                                   const std::function<bool(const ProcessLife&)>& counts) {
  const RunRecord& r = ctx.record;
  SupervisorVerdict v;
  v.sup = &s;
  v.intensity = intensity;
  v.period_s = period_s;
  v.told = told_to_exit(r, s);
  std::vector<CountedRestart> items;
  for (const ProcessLife& l : r.processes) {
    if (l.parent != s.pid || l.alive() || l.exited_step >= exit_step(s)) continue;
    if (v.told && l.exited_us == s.exited_us) continue;  // torn down with it
    if (counts(l)) items.push_back(CountedRestart{l.exited_us, l.exited_step, &l, nullptr});
  }
  for (const RestartRetry& retry : r.retries) {
    if (retry.sup != s.pid || retry.step >= exit_step(s)) continue;
    if (v.told && retry.at_us == s.exited_us) continue;
    items.push_back(CountedRestart{retry.at_us, retry.step, nullptr, &retry});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const CountedRestart& a, const CountedRestart& b) { return a.step < b.step; });
  std::deque<std::int64_t> restarts;
  const CountedRestart* at_exit = nullptr;  // a restart counted at the instant s exited
  for (const CountedRestart& c : items) {
    v.counted.push_back(c);
    const bool over = otp::add_restart(restarts, c.at_us / 1'000'000, intensity, period_s);
    if (!s.alive() && c.at_us == s.exited_us) at_exit = &c;
    if (!over) continue;
    v.gave_up_us = c.at_us;
    if (!s.alive() && s.exited_us == c.at_us) return v;  // gave up then, as it must
    if (!settled_after(ctx, c.at_us)) return v;          // the run stopped before it could
    const std::string alive =
        s.alive() ? std::string("alive at the end") : fmt::format("alive until {}", when(s.exited_us, s.exited_step));
    v.violation = Violation(fmt::format("{} did not give up: {} restarts within {} s exceed its intensity {}, the "
                                        "last: {} at {}; it stayed {}",
                                        describe(s), restarts.size(), period_s, intensity, describe(r, c),
                                        when(c.at_us, c.step), alive),
                            c.at_us, c.step);
    return v;
  }
  if (at_exit != nullptr && !v.told && s.exit_reason.is(sa::shutdown())) {
    v.violation = Violation(fmt::format("{} gave up (exit shutdown at {}) after only {} restarts within {} s "
                                        "(intensity {}), the last: {}",
                                        describe(s), when(s.exited_us, s.exited_step), restarts.size(), period_s,
                                        intensity, describe(r, *at_exit)),
                            s.exited_us, s.exited_step);
  }
  return v;
}

/// The applied process fault (kill, crash_on_next_message) that `l` died
/// of, or nullptr.
const FaultEvent* fault_that_killed(const RunRecord& r, const ProcessLife& l) {
  if (l.alive()) return nullptr;
  for (const FaultEvent& f : r.faults) {
    if (!f.applied || f.victim != l.pid || l.exited_step < f.step) continue;
    if (f.action == "kill" && l.exited_us == f.at_us) return &f;
    if (f.action == "crash_on_next_message") return &f;
  }
  return nullptr;
}

/// Sets v.by_faults and v.fault_restarts: replays add_restart over the
/// restarts the faults made alone, up to the give-up.
void weigh_faults(const RunRecord& r, SupervisorVerdict& v,
                  const std::function<bool(const ProcessLife&)>& child_gave_up_by_faults) {
  if (!v.gave_up()) return;
  std::deque<std::int64_t> restarts;
  for (const CountedRestart& c : v.counted) {
    if (c.at_us > v.sup->exited_us) break;
    if (c.child == nullptr) continue;
    if (fault_that_killed(r, *c.child) == nullptr && !child_gave_up_by_faults(*c.child)) {
      ++v.other_exits;
      continue;
    }
    if (otp::add_restart(restarts, c.at_us / 1'000'000, v.intensity, v.period_s)) v.by_faults = true;
  }
  // The count within the period at the give-up.
  const std::int64_t now_s = v.sup->exited_us / 1'000'000;
  v.fault_restarts = static_cast<std::size_t>(
      std::count_if(restarts.begin(), restarts.end(), [&](std::int64_t t) { return t >= now_s - v.period_s; }));
}

/// Every DynamicSupervisor (20 in 60 s, counting abnormal AppServer exits)
/// and every top supervisor (3 in 5 s, counting its children's abnormal
/// exits and the DynamicSupervisor's give-ups), each with its retries. The
/// limits are the reference tree's (trio_tree.cpp).
std::vector<SupervisorVerdict> judge_supervisors(const PropertyContext& ctx) {
  const RunRecord& r = ctx.record;
  const tree::TreeSpec tree = reference_tree(ctx.trio.config);
  const tree::Node& dyn = *tree.find("top/dyn_sup");
  std::vector<SupervisorVerdict> out;
  std::map<std::uint64_t, Micros> dyn_gave_up;  // dyn_sup pid -> instant
  std::set<std::uint64_t> dyn_by_faults;        // dyn_sups whose give-up the faults explain
  auto app_failure = [](const ProcessLife& l) { return is_app_server(l) && is_failure(l.exit_reason); };
  auto none = [](const ProcessLife&) { return false; };
  for (const ProcessLife* s : r.lives("dyn_sup")) {
    out.push_back(judge_supervisor(ctx, *s, dyn.intensity, dyn.period_s, app_failure));
    weigh_faults(r, out.back(), none);
    if (out.back().gave_up_us) dyn_gave_up[s->pid.id] = *out.back().gave_up_us;
    if (out.back().by_faults) dyn_by_faults.insert(s->pid.id);
  }
  auto child_failure = [&dyn_gave_up](const ProcessLife& l) {
    if (is_failure(l.exit_reason)) return true;
    auto it = dyn_gave_up.find(l.pid.id);
    return it != dyn_gave_up.end() && it->second == l.exited_us;
  };
  auto dyn_gave_up_by_faults = [&dyn_by_faults](const ProcessLife& l) { return dyn_by_faults.count(l.pid.id) > 0; };
  for (const ProcessLife* s : r.lives("tokens_sup")) {
    out.push_back(judge_supervisor(ctx, *s, tree.root.intensity, tree.root.period_s, child_failure));
    weigh_faults(r, out.back(), dyn_gave_up_by_faults);
  }
  return out;
}

std::optional<Violation> restart_intensity(const PropertyContext& ctx) {
  Earliest first;
  for (SupervisorVerdict& v : judge_supervisors(ctx)) {
    if (v.violation) first.offer(std::move(*v.violation));
  }
  return first.best;
}

/// The failed restarts `v` counted, for a message: "3 failed restarts of
/// 'R': <0.17.0>, <0.18.0>, <0.19.0> exited {shutdown,..}", or, where no
/// process was left to tell (a start that failed before spawning), the
/// child retried and what held its name then.
std::string describe_failed_restarts(const RunRecord& r, const SupervisorVerdict& v) {
  const ProcessLife& s = *v.sup;
  std::vector<const RestartRetry*> retries;
  std::set<Micros> instants;
  for (const CountedRestart& c : v.counted) {
    if (c.retry == nullptr) continue;
    retries.push_back(c.retry);
    instants.insert(c.at_us);
  }
  if (retries.empty()) return "no failed restart";
  // The attempts that spawned a process: s's children that failed in their
  // init ({shutdown, {failed_to_start_child, ..}}), or died after s (which
  // stops every running child before it exits), at the retries' instants.
  std::map<std::string, std::vector<const ProcessLife*>> by_reason;  // in first-seen order below
  std::vector<std::string> reasons;
  for (const ProcessLife& l : r.processes) {
    if (l.parent != s.pid || l.alive() || l.spawned_step > exit_step(s) || !instants.count(l.spawned_us)) continue;
    if (!is_failed_start(l.exit_reason) && l.exited_step < exit_step(s)) continue;
    const std::string reason = l.exit_reason.to_string();
    if (!by_reason.count(reason)) reasons.push_back(reason);
    by_reason[reason].push_back(&l);
  }
  // Which children were retried, in order: mostly one.
  std::vector<std::pair<Term, std::size_t>> ids;
  for (const RestartRetry* retry : retries) {
    auto it = std::find_if(ids.begin(), ids.end(), [retry](const auto& p) { return p.first == retry->child; });
    if (it == ids.end()) {
      ids.emplace_back(retry->child, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (const auto& [id, n] : ids) {
    const ProcessLife* l = id.is_pid() ? r.life(id.pid()) : nullptr;
    out += fmt::format("{}{} failed restart{} of {}", out.empty() ? "" : " and ", n, n == 1 ? "" : "s",
                       l ? describe(*l) : id.to_string());
  }
  const Term& id = retries.front()->child;
  const ProcessLife* old = id.is_pid() ? r.life(id.pid()) : nullptr;
  if (!reasons.empty()) {
    std::string parts;
    for (const std::string& reason : reasons) {
      std::string pids;
      for (const ProcessLife* l : by_reason[reason]) pids += (pids.empty() ? "" : ", ") + pid_str(l->pid);
      parts += fmt::format("{}{} exited {}", parts.empty() ? "" : "; ", pids, reason);
    }
    return out + ": " + parts;
  }
  // Nothing was spawned: gen's name check found the name taken. Name the
  // live process of the same kind s had started then.
  if (old != nullptr) {
    for (const ProcessLife& l : r.processes) {
      if (l.parent != s.pid || l.pid == old->pid || l.label != old->label) continue;
      if (l.spawned_step <= retries.front()->step && exit_step(l) > retries.front()->step) {
        return fmt::format("{}, no process spawned: {} held its name (already_started)", out, describe(l));
      }
    }
  }
  return out + ", no process spawned";
}

// ---------------------------------------------------------------------------
// 9. restart_scope

class Scope {
 public:
  explicit Scope(const TrioConfig& config)
      : tree(reference_tree(config)),
        registry(config.names.registry.text()),
        partition(std::string(config.names.registry.text()) + ".PIDPartition0") {}
  tree::TreeSpec tree;  // the reference design: its strategies give the blast radius
  std::string registry, partition;

  /// The processes whose pids the check follows.
  bool judged(const ProcessLife& l) const {
    return is_app_server(l) || l.label == registry || l.label == partition || l.label == "ets_owner" ||
           l.label == "task_sup" || l.label == "dyn_sup";
  }
  /// The labels a crash of `victim` takes down (the reference tree's blast
  /// radius: rest_for_one below the top), or nullopt for a victim this
  /// check does not judge. AppServers are "app:*"; an AppServer victim
  /// takes only itself.
  std::optional<std::vector<std::string>> radius(const ProcessLife& victim) const {
    if (is_app_server(victim)) return std::vector<std::string>();
    std::string path;
    for (const tree::Node& child : tree.root.children) {
      if (label_of(child) == victim.label) path = "top/" + child.id;
    }
    if (path.empty()) return std::nullopt;
    std::vector<std::string> labels;
    for (const std::string& p : tree::blast_radius(tree, path)) {
      const tree::Node* n = tree.find(p);
      if (n == nullptr || n == &tree.root) continue;
      labels.push_back(label_of(*n));
      if (n->kind == tree::NodeKind::registry) labels.push_back(partition);
      if (n->kind == tree::NodeKind::dynamic_supervisor) labels.push_back("app:*");
    }
    return labels;
  }

 private:
  /// A node's kernel label: its own, or a Registry's name.
  static std::string label_of(const tree::Node& n) { return n.label.empty() ? n.name : n.label; }
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// "kill 'NAME' of <0.4.0> (Registry) at 1s (step 208)".
std::string describe_fault(const RunRecord& r, const FaultEvent& f) {
  const ProcessLife* victim = r.life(f.victim);
  return fmt::format("{} '{}' of {} at {}", f.action == "kill" ? "kill" : "crash", f.name,
                     victim ? describe(*victim) : pid_str(f.victim), when(f.at_us, f.step));
}

/// A supervisor gave up though the faults alone do not exceed its
/// intensity: what it counted instead.
Violation race_give_up(const RunRecord& r, const SupervisorVerdict& v) {
  const ProcessLife& s = *v.sup;
  const FaultEvent* last = nullptr;
  std::size_t faults = 0;
  for (const FaultEvent& f : r.faults) {
    if (!f.applied || !f.victim || (f.action != "kill" && f.action != "crash_on_next_message")) continue;
    if (f.step > s.exited_step) continue;
    ++faults;
    last = &f;
  }
  const std::string after =
      last == nullptr ? std::string("with no process fault")
                      : fmt::format("after {}{}", faults == 1 ? "" : fmt::format("{} faults, the last ", faults),
                                    describe_fault(r, *last));
  const std::size_t others = v.other_exits;
  const std::string other = others == 0 ? std::string()
                                        : fmt::format(" and {} other exit{} of its children", others,
                                                      others == 1 ? "" : "s");
  return Violation(fmt::format("{} gave up (exit shutdown at {}) {}: the faults alone count {} restart{} within {} s, "
                               "not over its intensity {}; the rest were {}{}",
                               describe(s), when(s.exited_us, s.exited_step), after, v.fault_restarts,
                               v.fault_restarts == 1 ? "" : "s", v.period_s, v.intensity,
                               describe_failed_restarts(r, v), other),
                   s.exited_us, s.exited_step);
}

std::optional<Violation> restart_scope(const PropertyContext& ctx) {
  const RunRecord& r = ctx.record;
  const Scope scope(ctx.trio.config);
  Earliest first;

  // Process faults, by the instant their victim died: a kill at once, a
  // crash_on_next_message when the victim next took a message.
  class Hit {
   public:
    const FaultEvent* fault;
    const ProcessLife* victim;  // nullptr: unknown (the instant is not judged)
    std::uint64_t step;         // the processes alive then are judged
    std::string name;
  };
  std::map<Micros, std::vector<Hit>> hits;
  for (const FaultEvent& f : r.faults) {
    if (!f.applied || !f.victim || (f.action != "kill" && f.action != "crash_on_next_message")) continue;
    const ProcessLife* victim = r.life(f.victim);
    const bool died = victim != nullptr && !victim->alive() && victim->exited_step >= f.step;
    if (f.action == "kill") {
      std::string name = fmt::format("kill '{}' of {} at {}", f.name,
                                     victim ? describe(*victim) : pid_str(f.victim), when(f.at_us, f.step));
      if (!died || victim->exited_us != f.at_us) {
        // Supervisors trap exits: a trappable reason may not kill them.
        if (victim != nullptr && settled_after(ctx, f.at_us) &&
            (is_app_server(*victim) || victim->label == "ets_owner")) {
          first.offer(Violation(fmt::format("{}: the victim did not exit at that instant", name), f.at_us, f.step));
        }
        victim = nullptr;
      }
      hits[f.at_us].push_back(Hit{&f, victim, f.step, std::move(name)});
    } else if (died) {
      std::string name = fmt::format("crash '{}' of {} at {}", f.name, describe(*victim),
                                     when(victim->exited_us, victim->exited_step));
      hits[victim->exited_us].push_back(Hit{&f, victim, victim->exited_step, std::move(name)});
    }
  }
  // Instants where a supervisor gave up (or the top exited) are not judged
  // by blast radius: a give-up takes down more. It is in scope only when the
  // injected faults alone exceed that supervisor's intensity; a give-up a
  // race made (failed restarts, retried and counted) is a violation.
  std::set<Micros> give_ups;
  for (const SupervisorVerdict& v : judge_supervisors(ctx)) {
    if (v.gave_up_us) give_ups.insert(*v.gave_up_us);
    if (!v.gave_up()) continue;
    give_ups.insert(v.sup->exited_us);
    if (!v.by_faults) first.offer(race_give_up(r, v));
  }
  for (const ProcessLife* top : r.lives("tokens_sup")) {
    if (!top->alive()) give_ups.insert(top->exited_us);
  }
  auto alive_at = [](const ProcessLife& l, std::uint64_t step) {
    return l.spawned_step <= step && exit_step(l) >= step;
  };

  for (const auto& [t, at_t] : hits) {
    if (!settled_after(ctx, t) || give_ups.count(t)) continue;
    std::uint64_t s = kNever;
    std::set<std::uint64_t> expected;
    std::map<std::uint64_t, std::string> why;  // pid -> the fault that takes it
    std::vector<std::string> names;
    bool judgeable = true;
    for (const Hit& hit : at_t) {
      names.push_back(hit.name);
      s = std::min(s, hit.step);
      std::optional<std::vector<std::string>> labels;
      if (hit.victim != nullptr) labels = scope.radius(*hit.victim);
      if (!labels) {
        judgeable = false;
        continue;
      }
      expected.insert(hit.victim->pid.id);
      why.emplace(hit.victim->pid.id, hit.name);
      for (const ProcessLife& l : r.processes) {
        if (!scope.judged(l) || !alive_at(l, hit.step)) continue;
        const bool in = std::any_of(labels->begin(), labels->end(), [&l](const std::string& label) {
          return label == l.label || (label == "app:*" && is_app_server(l));
        });
        if (in && expected.insert(l.pid.id).second) why.emplace(l.pid.id, hit.name);
      }
    }
    if (!judgeable) continue;
    const std::string radius_of = join(names);
    for (const ProcessLife& l : r.processes) {
      if (!scope.judged(l) || !alive_at(l, s)) continue;
      const bool exited = !l.alive() && l.exited_us == t && l.exited_step >= s;
      const bool wanted = expected.count(l.pid.id) > 0;
      if (wanted && !exited) {
        first.offer(Violation(fmt::format("after {}: {} kept its pid, but it is in the blast radius", why.at(l.pid.id),
                                          describe(l)),
                              t, s));
      } else if (!wanted && exited) {
        first.offer(Violation(fmt::format("after {}: {} exited {} at {}, outside the blast radius", radius_of,
                                          describe(l), l.exit_reason.to_string(), when(l.exited_us, l.exited_step)),
                              l.exited_us, l.exited_step));
      }
    }
  }

  // An AppServer crash keeps the other apps' rows: after it, a get of
  // another app whose row (rebuilt from events, lost only to uncached or to
  // the ETSOwner's death) is live must be served from the table.
  const Clock clock(ctx);
  const RowHistory rows(r, false);
  // Linear in calls and events (a run cut off at a million steps has
  // hundreds of thousands of each): the applied faults sorted by step, and
  // each client's events in step order, so that a call finds its fault
  // window and its own events by binary search, not by a scan of all.
  std::vector<const FaultEvent*> applied_faults;
  for (const FaultEvent& f : r.faults) {
    if (f.applied) applied_faults.push_back(&f);
  }
  std::stable_sort(applied_faults.begin(), applied_faults.end(),
                   [](const FaultEvent* a, const FaultEvent* b) { return a->step < b->step; });
  auto hits_an_app_server = [&r](const FaultEvent& f) {
    const ProcessLife* victim = r.life(f.victim);
    return (f.action == "kill" || f.action == "crash_on_next_message") && victim != nullptr && is_app_server(*victim);
  };
  if (std::none_of(applied_faults.begin(), applied_faults.end(),
                   [&](const FaultEvent* f) { return hits_an_app_server(*f); })) {
    return first.best;
  }
  std::map<std::uint64_t, std::vector<const RecordedEvent*>> events_of;  // pid -> its events, in step order
  for (const RecordedEvent& e : r.events) events_of[e.pid.id].push_back(&e);
  for (auto& [pid, events] : events_of) {
    (void)pid;
    std::stable_sort(events.begin(), events.end(),
                     [](const RecordedEvent* a, const RecordedEvent* b) { return a->step < b->step; });
  }
  /// The events of `client` from step `from` on, in step order.
  auto events_from = [&events_of](Pid client, std::uint64_t from) {
    static const std::vector<const RecordedEvent*> none;
    auto it = events_of.find(client.id);
    const std::vector<const RecordedEvent*>& events = it == events_of.end() ? none : it->second;
    auto start = std::lower_bound(events.begin(), events.end(), from,
                                  [](const RecordedEvent* e, std::uint64_t step) { return e->step < step; });
    return std::pair(start, events.end());
  };
  for (const ClientCall& c : r.calls) {
    if (c.op != "get" || !c.returned()) continue;
    // The faults whose window holds the call's start: those at the last
    // step with an applied fault before it (the window of a fault at step s
    // runs to the next applied fault's step, exclusive).
    auto after = std::lower_bound(applied_faults.begin(), applied_faults.end(), c.start_step,
                                  [](const FaultEvent* f, std::uint64_t step) { return f->step < step; });
    if (after != applied_faults.end() && (*after)->step == c.start_step) continue;  // a fault at its start: no window
    if (after == applied_faults.begin()) continue;
    const std::uint64_t s = (*std::prev(after))->step;
    auto window_begin = std::lower_bound(applied_faults.begin(), after, s,
                                         [](const FaultEvent* f, std::uint64_t step) { return f->step < step; });
    for (auto fi = window_begin; fi != after; ++fi) {
      const FaultEvent& f = **fi;
      if (!hits_an_app_server(f)) continue;
      const ProcessLife* victim = r.life(f.victim);
      const std::string killed_app = victim->label.substr(4);
      if (c.app == killed_app) continue;
      const std::optional<Row> row = rows.before(c.app, c.start_step);
      if (!row) continue;
      const RecordedEvent* stop = nullptr;
      for (auto [it, end] = events_from(c.client, c.start_step); it != end && (*it)->step <= end_step(c); ++it) {
        const RecordedEvent& e = **it;
        if (telemetry::is_stop(e.term) && e.term[2].is_atom(c.op) && app_at(e.term, 3) == c.app) {
          stop = &e;
          break;
        }
      }
      if (stop == nullptr) continue;
      // The fast path read the table before the call went on to resolve an
      // AppServer (whose own chain may cache the row again): the row must
      // not have changed between the call's start and that read.
      std::uint64_t read_by = stop->step;
      for (auto [it, end] = events_from(c.client, c.start_step); it != end && (*it)->step <= stop->step; ++it) {
        if (tagged((*it)->term, "resolved", 3)) {
          read_by = (*it)->step;
          break;
        }
      }
      if (rows.changed_between(c.app, c.start_step, read_by)) continue;
      const std::optional<std::int64_t> now = clock.system_time_s(stop->at_us, stop->step);
      if (!now || row->exp <= *now || stop->term[4].is_atom("ets")) continue;
      first.offer(Violation(fmt::format("after {} '{}' of {} at {}: the row of {} ({} until {} s, cached at {}) was "
                                        "gone: {} at {} was served from {}/{}",
                                        f.action, f.name, describe(*victim), when(f.at_us, f.step), quoted(c.app),
                                        quoted(row->token), row->exp, time_str(row->at_us), describe(c),
                                        when(stop->at_us, stop->step), stop->term[4].to_string(),
                                        stop->term[5].to_string()),
                            stop->at_us, stop->step));
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 10. liveness

std::string trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

/// The environment, as the run left it, can give `app` a token: a config
/// file with a token (read), a working simulated CLI, or a stored manual
/// token. A mock CLI or config file counts as not working (unknown).
bool can_get_a_token(const PropertyContext& ctx, const std::string& app) {
  const Env& env = *ctx.trio.env;
  if (env.read_config_file && env.config_file == static_cast<const ConfigFile*>(&env.sim_config_file) &&
      env.sim_config_file.content && parse_access_token(*env.sim_config_file.content)) {
    return true;
  }
  if (env.cli == static_cast<const Cli*>(&env.sim_cli)) {
    auto it = env.sim_cli.per_app.find(app);
    const CliBehaviour& b = it == env.sim_cli.per_app.end() ? env.sim_cli.behaviour : it->second;
    const bool output_ok = !b.output || !trim(*b.output).empty();
    if (!b.missing && !b.hang && b.exit_code == 0 && output_ok &&
        b.latency_us < ms_to_us(ctx.trio.knobs().cli_timeout_ms)) {
      return true;
    }
  }
  return env.storage == static_cast<const Storage*>(&env.memory_storage) && !env.memory_storage.faults.fail_get &&
         env.memory_storage.peek(app, StorageKey::manual).has_value();
}

std::optional<Violation> liveness(const PropertyContext& ctx) {
  const RunRecord& r = ctx.record;
  const Micros bound = ctx.liveness_bound_us;
  // Faults end when the last applied one happened or healed.
  std::optional<Micros> healed;
  for (const FaultEvent& f : r.faults) {
    if (!f.applied) continue;
    const Micros end = f.heals_at_us >= 0 ? std::max(f.at_us, f.heals_at_us) : f.at_us;
    healed = healed ? std::max(*healed, end) : end;
  }
  const Micros from = healed ? sat_add(*healed, bound) : 0;
  Earliest first;
  for (const ClientCall& c : r.calls) {
    if (c.op != "get" || c.start_us < from || !can_get_a_token(ctx, c.app)) continue;
    // Formatted only for a call that fails (most calls pass).
    auto since = [&] {
      return healed ? fmt::format("{} after the faults ended at {}", time_str(sat_sub(c.start_us, *healed)),
                                  time_str(*healed))
                    : std::string("with no faults");
    };
    if (c.returned()) {
      if (c.result.is_tagged(sa::ok(), 2) && c.end_us - c.start_us <= bound) continue;
      first.offer(Violation(fmt::format("{} started at {} ({}) returned {} after {} (bound {})", describe(c),
                                        when(c.start_us, c.start_step), since(), c.result.to_string(),
                                        time_str(c.end_us - c.start_us), time_str(bound)),
                            c.end_us, c.end_step));
    } else if (c.exited) {
      first.offer(Violation(fmt::format("{} started at {} ({}) exited the client with {} at {}", describe(c),
                                        when(c.start_us, c.start_step), since(), c.exit_reason.to_string(),
                                        time_str(c.end_us)),
                            c.end_us, c.end_step));
    } else if (ctx.outcome == sim::Outcome::quiescent || ctx.kernel.now_us() > sat_add(c.start_us, bound)) {
      first.offer(Violation(fmt::format("{} started at {} ({}) had no answer within {} (the run ended at {})",
                                        describe(c), when(c.start_us, c.start_step), since(), time_str(bound),
                                        time_str(ctx.kernel.now_us())),
                            c.start_us, c.start_step));
    }
  }
  return first.best;
}

// ---------------------------------------------------------------------------
// 11. missing_table_is_a_miss

/// The exit of a client whose facade call read the cache table outside any
/// call and did not rescue the table error: ETS's bare badarg. An exit that
/// came through a GenServer.call ({Reason, {'Elixir.GenServer', call, _}},
/// an AppServer's own badarg among them) or the Registry's ({badarg, Name})
/// is not one.
bool is_table_error(const Term& reason) { return reason.is(sa::badarg()); }

std::optional<Violation> missing_table_is_a_miss(const PropertyContext& ctx) {
  Earliest first;
  for (const ClientCall& c : ctx.record.calls) {
    if (!c.exited || !is_table_error(c.exit_reason)) continue;
    first.offer(Violation(fmt::format("{} exited the client with the table error {} at {} (started at {})",
                                      describe(c), c.exit_reason.to_string(), when(c.end_us, c.end_step),
                                      time_str(c.start_us)),
                          c.end_us, c.end_step));
  }
  return first.best;
}

std::vector<Property> make_properties() {
  std::vector<Property> all;
  all.push_back(Property{"cli_coalesced",
                         "No CLI run for an app starts while that app has a live row in the cache table.",
                         cli_coalesced});
  all.push_back(Property{"liveness",
                         "Once the last fault has healed, every get of an app the environment can serve returns "
                         "{ok, Token} within the liveness bound.",
                         liveness});
  all.push_back(Property{"manual_token_durable",
                         "A set_manual that returned ok is in durable storage at the end, unless a later "
                         "acknowledged set_manual replaced it.",
                         manual_token_durable});
  all.push_back(Property{"missing_table_is_a_miss",
                         "The facade never raises from reading the cache table: a missing table is a miss, so no "
                         "call exits its client with the table error (a bare badarg) itself.",
                         missing_table_is_a_miss});
  all.push_back(Property{"no_client_crash",
                         "Every client call returns a value. None exits its caller, and none hangs in a finished run.",
                         no_client_crash});
  all.push_back(Property{"no_expired_token",
                         "Every {ok, Token} from get or refresh carries a token that has not expired when it is "
                         "returned.",
                         no_expired_token});
  all.push_back(Property{"one_live_app_server_per_app", "At no moment are two AppServers of one app up at once.",
                         one_live_app_server_per_app});
  all.push_back(Property{"refresh_atomic",
                         "A refresh is never answered from the table (its telemetry source is never ets).",
                         refresh_atomic});
  all.push_back(Property{"resolve_agrees",
                         "Concurrent resolvers of one app get the same AppServer pid, and no call returns "
                         "{error, {already_started, _}}.",
                         resolve_agrees});
  all.push_back(Property{"restart_intensity",
                         "A supervisor gives up exactly when its restarts exceed its intensity (DynamicSupervisor "
                         "20 in 60 s, top 3 in 5 s), each retry of a failed restart counting as one, as "
                         "supervisor.erl counts.",
                         restart_intensity});
  all.push_back(Property{"restart_scope",
                         "A killed process takes down exactly its rest_for_one blast radius, and an AppServer crash "
                         "keeps the other apps' rows.",
                         restart_scope});
  return all;
}

}  // namespace

const std::vector<Property>& properties() {
  static const std::vector<Property> all = make_properties();
  return all;
}

const Property* find_property(std::string_view name) {
  for (const Property& p : properties()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace otpsim::core::tokens
