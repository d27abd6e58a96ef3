#include "sim/wakeup_tree.hpp"

#include <algorithm>
#include <cstdlib>

#include "sim/dependence.hpp"

namespace otpsim::sim::dpor {

namespace {

bool shared(const StepObject& o) {
  return o.kind != StepObject::Kind::self && o.kind != StepObject::Kind::none && o.kind != StepObject::Kind::global;
}


bool changes_table_names(EffectKind e) { return e == EffectKind::table_new || e == EffectKind::table_delete_table; }

/// An arrival whose only effect on its receiver is to put a message into
/// its mailbox (or nothing): a message, an alias message, a DOWN.
bool mailbox_arrival(const StepInfo& s) {
  if (s.effect != EffectKind::arrive || s.object.kind != StepObject::Kind::process) return false;
  return s.signal == SignalKind::message || s.signal == SignalKind::alias || s.signal == SignalKind::down;
}

/// An alias message and a DOWN both read the receiver's alias table, which
/// the DOWN changes: their order matters whatever the mailbox says.
bool alias_and_down(const StepInfo& a, const StepInfo& b) {
  return (a.signal == SignalKind::alias && b.signal == SignalKind::down) ||
         (a.signal == SignalKind::down && b.signal == SignalKind::alias);
}

bool timed_out(const StepInfo& receive) { return receive.cause == StepInfo::no_step; }

/// Under instant delivery some steps act on state their StepInfo does not
/// show: a demonitor (its StepInfo names no target) edits the target's
/// monitors, which the target's death reads; a death removes the monitors
/// the dying process held from their targets (StepInfo::also names only
/// the processes watching it), which the targets' deaths read; a send to
/// an alias goes wherever the alias table says, which a demonitor and a
/// death (its DOWN) change. Once the state changed, the later step's
/// StepInfo no longer shows it, so sim/dependence.hpp calls the pair
/// independent and the race a reversal would show is never seen. (Under
/// async delivery these effects travel as arrivals, which show them.)
bool hidden_state(EffectKind e) {
  return e == EffectKind::demonitor || e == EffectKind::die || e == EffectKind::send_alias;
}

/// A send to an active alias names its owner (StepInfo::object), which
/// sim/dependence.hpp sees; one to an alias no longer active names the
/// sender itself, and so hides whose alias it was.
bool hidden_state(const StepInfo& s) {
  if (s.effect == EffectKind::send_alias) return s.object.kind == StepObject::Kind::process && s.object.id == s.pid.id;
  return hidden_state(s.effect);
}

/// If `s` puts a message into a mailbox, whose: an arrival (into its
/// receiver's), or a process step that delivered at once into its own (a
/// signal to itself, a monitor or link of a process already gone).
std::optional<std::uint64_t> mail_target(const StepInfo& s, bool has_payload) {
  if (mailbox_arrival(s)) return s.object.id;
  if (!has_payload || s.effect == EffectKind::arrive) return std::nullopt;
  switch (s.effect) {
    case EffectKind::send:
    case EffectKind::send_named:
    case EffectKind::send_alias:
    case EffectKind::exit_signal:
    case EffectKind::monitor:
    case EffectKind::link: return s.pid.id;
    default: return std::nullopt;  // is_alive lands signals into another's mailbox: the base relation covers it
  }
}

}  // namespace

void RunTrace::clear_period() {
  for (std::size_t b = 0; b < buckets_used_; ++b) {
    buckets_[b].by_object.clear();
    buckets_[b].by_actor.clear();
  }
  buckets_used_ = 0;
  globals_.clear();
  table_ops_.clear();
  table_names_.clear();
  hidden_.clear();
}

void RunTrace::reset() {
  advanced_ = false;
  events_.clear();
  clocks_.clear();
  barrier_.clear();
  actors_.clear();
  actor_index_.clear();
  std::fill(small_actors_.begin(), small_actors_.end(), no_actor);
  epoch_start_ = 0;
  clear_period();
  watches_.clear();
  spawned_.clear();
  ever_watched_.clear();
  saw_arrival_ = false;
  for (auto& m : mail_index_) m.second.clear();
  mail_used_ = 0;
}

std::uint32_t RunTrace::actor_of(Pid pid) {
  if (pid.id < small_actors_.size() && small_actors_[pid.id] != no_actor) return small_actors_[pid.id];
  auto it = std::lower_bound(actor_index_.begin(), actor_index_.end(), pid.id,
                             [](const auto& e, std::uint64_t id) { return e.first < id; });
  if (it != actor_index_.end() && it->first == pid.id) return it->second;
  const auto a = static_cast<std::uint32_t>(actors_.size());
  actors_.push_back(Actor{});
  actors_.back().pid = pid;
  actor_index_.insert(it, {pid.id, a});
  if (pid.id < 4096) {
    if (small_actors_.size() <= pid.id) small_actors_.resize(pid.id + 1, no_actor);
    small_actors_[pid.id] = a;
  }
  return a;
}

RunTrace::Bucket& RunTrace::bucket(std::uint8_t kind, std::uint64_t id) {
  for (std::size_t b = 0; b < buckets_used_; ++b) {
    if (buckets_[b].kind == kind && buckets_[b].id == id) return buckets_[b];
  }
  if (buckets_used_ == buckets_.size()) buckets_.emplace_back();
  Bucket& b = buckets_[buckets_used_++];
  b.kind = kind;
  b.id = id;
  return b;
}

const RunTrace::Bucket* RunTrace::find_bucket(std::uint8_t kind, std::uint64_t id) const {
  for (std::size_t b = 0; b < buckets_used_; ++b) {
    if (buckets_[b].kind == kind && buckets_[b].id == id) return &buckets_[b];
  }
  return nullptr;
}

std::vector<std::uint32_t>& RunTrace::mail_list(std::uint64_t pid) {
  for (std::size_t m = 0; m < mail_used_; ++m) {
    if (mail_index_[m].first == pid) return mail_index_[m].second;
  }
  if (mail_used_ == mail_index_.size()) mail_index_.emplace_back();
  auto& m = mail_index_[mail_used_++];
  m.first = pid;
  return m.second;
}

void RunTrace::note_enabled(Pid pid) {
  const std::uint32_t a = actor_of(pid);
  Actor& act = actors_[a];
  const auto k = static_cast<std::int64_t>(events_.size());  // the step about to run
  if (act.seen != k - 1 && act.last != k - 1) {
    // Newly enabled: by the step before (or by a time advance: a barrier anyway).
    act.window = k - 1;
    act.enabler = (k > 0 && !advanced_) ? static_cast<std::int32_t>(k - 1) : -1;
    // A process enabled for the first time by a spawn is its child: the
    // parent may watch it (spawn_monitor; a spawn's StepInfo does not say).
    if (instant_ && act.enabler >= 0 && act.count == 0 && !is_channel_actor(pid)) {
      const StepInfo& by = events_[static_cast<std::size_t>(act.enabler)].step;
      if (by.effect == EffectKind::spawn) {
        spawned_.emplace_back(by.pid.id, pid.id);
        ever_watched_.emplace_back(by.pid.id, pid.id);
      }
    }
  }
  act.seen = k;
}

void RunTrace::join(std::uint32_t* into, std::uint32_t into_size, std::uint32_t from_event) const {
  const Event& f = events_[from_event];
  const std::uint32_t n = std::min(into_size, f.clock_size);
  const std::uint32_t* from = clocks_.data() + f.clock;
  for (std::uint32_t k = 0; k < n; ++k) into[k] = std::max(into[k], from[k]);
}

bool RunTrace::covers(const std::uint32_t* clock, std::uint32_t size, std::uint32_t event) const {
  const Event& e = events_[event];
  return e.actor < size && clock[e.actor] >= e.seq;
}

bool RunTrace::happens_before(std::uint32_t i, std::uint32_t j) const {
  const Event& e = events_[j];
  return covers(clocks_.data() + e.clock, e.clock_size, i);
}

std::optional<std::uint64_t> RunTrace::mail_write(const StepInfo& s) const {
  return mail_target(s, s.payload != nullptr);
}

bool RunTrace::base_dependent(const StepInfo& a, const StepInfo& b, const Event* earlier) const {
  if (instant_ && hidden_state(a) && hidden_state(b)) {
    const bool deaths = a.effect == EffectKind::die && b.effect == EffectKind::die;
    if (earlier != nullptr && (a.effect == EffectKind::demonitor || deaths) && b.effect == EffectKind::die) {
      // This run knows what a's process stopped watching there (a death that
      // came first shows its watchers itself: StepInfo::also, or global).
      const auto& gone = earlier->unwatched;
      if (std::find(gone.begin(), gone.end(), b.pid.id) != gone.end()) return true;
    } else if (deaths) {
      if (watches(a.pid.id, b.pid.id) || watches(b.pid.id, a.pid.id)) return true;
    } else if (!(a.effect == EffectKind::send_alias && b.effect == EffectKind::send_alias) &&
               !(a.effect == EffectKind::demonitor && b.effect == EffectKind::demonitor) &&
               !(earlier != nullptr && a.effect == EffectKind::die && b.effect == EffectKind::demonitor)) {
      return true;
    }
  }
  return dependent(a, b);
}

bool RunTrace::watches(std::uint64_t watcher, std::uint64_t target) const {
  return std::find(ever_watched_.begin(), ever_watched_.end(), std::make_pair(watcher, target)) != ever_watched_.end();
}

bool RunTrace::died(std::uint64_t pid) const {
  auto it = std::lower_bound(actor_index_.begin(), actor_index_.end(), pid,
                             [](const auto& e, std::uint64_t id) { return e.first < id; });
  if (it == actor_index_.end() || it->first != pid) return false;
  const Actor& a = actors_[it->second];
  return a.last >= 0 && events_[static_cast<std::size_t>(a.last)].step.effect == EffectKind::die;
}

void RunTrace::note_watches(const StepInfo& s) {
  if (s.effect == EffectKind::monitor && s.object.kind == StepObject::Kind::process) {
    watches_.emplace_back(s.pid.id, s.object.id);
    ever_watched_.emplace_back(s.pid.id, s.object.id);
  } else if (s.effect == EffectKind::demonitor) {
    // Forgotten only when it can only be that one (a demonitor names no target).
    const auto n = std::count_if(watches_.begin(), watches_.end(), [&s](const auto& w) { return w.first == s.pid.id; });
    if (n == 1) std::erase_if(watches_, [&s](const auto& w) { return w.first == s.pid.id; });
  } else if (s.effect == EffectKind::die) {
    // A child dying while its parent lives shows whether the parent
    // watches it (a spawn_monitor): the parent would be its peer (also) or
    // one of several (global). If not, the spawn was a plain one.
    if (s.object.kind != StepObject::Kind::global) {
      std::erase_if(spawned_, [&](const auto& w) {
        return w.second == s.pid.id && !died(w.first) && !(s.also.kind == StepObject::Kind::process && s.also.id == w.first);
      });
    }
    // Its monitors end with it (the DOWN went to the one watcher it had).
    if (s.also.kind == StepObject::Kind::process) {
      std::erase_if(watches_, [&s](const auto& w) { return w.second == s.pid.id; });
    }
  }
}

bool RunTrace::dependent_before(std::uint32_t i, const StepInfo& b, std::optional<std::uint64_t> wb) const {
  const StepInfo& a = events_[i].step;
  const std::optional<std::uint64_t> wa = events_[i].mail;
  // A message a process sends itself lands at once, inside its own step,
  // whose StepInfo (async: object `self`) sim/dependence.hpp calls
  // independent of other messages into that mailbox: their order decides
  // what a later receive takes.
  if (!observers_ && wa && wb && *wa == *wb && (a.effect == EffectKind::arrive) != (b.effect == EffectKind::arrive)) {
    return true;
  }
  if (observers_) {
    if (wa && wb && *wa == *wb) {
      const bool arrivals = a.effect == EffectKind::arrive && b.effect == EffectKind::arrive;
      if (arrivals && alias_and_down(a, b)) return base_dependent(a, b, &events_[i]);
      if (!arrivals && base_dependent(a, b, &events_[i])) return true;
      // Two messages into one mailbox: their order matters only to a
      // receive that takes the earlier one and could take the later one.
      if (a.payload == nullptr) return false;  // a put nothing, and would not have later either
      const std::int32_t t = events_[i].taken_by;
      if (t < 0) return false;  // not taken yet: the receive that takes it decides (observe)
      // b put nothing: its receiver may have been exiting (its body ended
      // after that receive), so b's message, had it come first, might have
      // been the one taken.
      if (b.payload == nullptr) return true;
      const ReceivePattern* pattern = events_[static_cast<std::size_t>(t)].step.pattern;
      return pattern == nullptr || pattern->matches(*b.payload);
    }
    if (wa && mailbox_arrival(a) && b.effect == EffectKind::receive && b.pid.id == *wa && b.pattern != nullptr) {
      if (a.payload == nullptr) return false;
      return b.cause == i;  // reads-from; any other message it took was not this one
    }
    if (wb && mailbox_arrival(b) && a.effect == EffectKind::receive && a.pid.id == *wb && a.pattern != nullptr) {
      // The receive ran first: only one that took nothing could have taken
      // this. (An arrival that put nothing may have found its receiver
      // exiting because that receive ended its body: it would have put
      // the message in first.)
      if (!timed_out(a)) return false;
      return b.payload == nullptr || a.pattern->matches(*b.payload);
    }
  }
  return base_dependent(a, b, &events_[i]);
}

bool RunTrace::dependent_stored(const StoredEvent& c, std::uint32_t pos, bool trusted, std::uint32_t x,
                                bool observed) const {
  const StepInfo& a = c.step;
  const Event& ex = events_[x];
  const StepInfo& b = ex.step;
  if (!observers_) {
    const auto wa = mail_target(a, c.payload.has_value());
    if (wa && ex.mail && *wa == *ex.mail && (a.effect == EffectKind::arrive) != (b.effect == EffectKind::arrive)) return true;
  }
  if (observers_) {
    const auto wa = mail_target(a, c.payload.has_value());
    const std::optional<std::uint64_t> wb = ex.mail;
    if (wa && wb && *wa == *wb) {
      const bool arrivals = a.effect == EffectKind::arrive && b.effect == EffectKind::arrive;
      if (!arrivals) return true;  // a message to oneself and another into that mailbox (see dependent_before)
      if (alias_and_down(a, b)) return base_dependent(a, b, nullptr);
      if (!observed) return false;
      // c first puts its message ahead of x's: the receive that took x's
      // would take c's if it could.
      if (ex.taken_by < 0 || b.payload == nullptr) return false;
      if (!c.payload) return !trusted;
      if (!trusted) return true;
      const ReceivePattern* pattern = events_[static_cast<std::size_t>(ex.taken_by)].step.pattern;
      return pattern == nullptr || pattern->matches(*c.payload);
    }
    if (wa && mailbox_arrival(a) && b.effect == EffectKind::receive && b.pid.id == *wa && b.pattern != nullptr) {
      // A message already there at pos comes before c's: it stays the one taken.
      if (!timed_out(b) && b.cause < pos) return false;
      // c put nothing where it ran: at pos (trusted) its receiver was not
      // exiting (it receives later), so nothing again; elsewhere, unknown.
      if (!c.payload) return !trusted;
      if (!trusted) return true;
      return b.pattern->matches(*c.payload);
    }
    if (wb && mailbox_arrival(b) && a.effect == EffectKind::receive && a.pid.id == *wb) {
      // c took a message that was there before b's; one that took none
      // might take b's (its pattern died with its run; and if b put
      // nothing, as dependent_before says).
      return timed_out(a);
    }
  }
  return base_dependent(a, b, nullptr);
}

void RunTrace::gather(const StepInfo& s, std::uint32_t j, std::vector<std::uint32_t>& out) const {
  out.clear();
  if (s.object.kind == StepObject::Kind::global) {
    for (std::uint32_t i = epoch_start_; i < j; ++i) out.push_back(i);
    std::reverse(out.begin(), out.end());
    return;
  }
  auto add = [&out](const std::vector<std::uint32_t>& list) { out.insert(out.end(), list.begin(), list.end()); };
  add(globals_);
  const StepObject* objects[2] = {&s.object, &s.also};
  for (int o = 0; o < 2; ++o) {
    const StepObject& obj = *objects[o];
    if (!shared(obj)) continue;
    if (o == 1 && obj.kind == s.object.kind && obj.id == s.object.id) continue;
    if (const Bucket* b = find_bucket(static_cast<std::uint8_t>(obj.kind), obj.id)) {
      add(b->by_object);
      add(b->by_actor);
    }
  }
  if (!is_channel_actor(s.pid)) {
    if (const Bucket* b = find_bucket(static_cast<std::uint8_t>(StepObject::Kind::process), s.pid.id)) add(b->by_object);
  }
  if (table_effect(s.effect)) add(table_names_);
  if (changes_table_names(s.effect)) add(table_ops_);
  if (hidden_state(s.effect)) add(hidden_);
  std::sort(out.begin(), out.end(), std::greater<>());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

void RunTrace::index(const StepInfo& s, std::uint32_t j) {
  if (s.object.kind == StepObject::Kind::global) globals_.push_back(j);
  if (shared(s.object)) bucket(static_cast<std::uint8_t>(s.object.kind), s.object.id).by_object.push_back(j);
  if (shared(s.also) && !(s.also.kind == s.object.kind && s.also.id == s.object.id)) {
    bucket(static_cast<std::uint8_t>(s.also.kind), s.also.id).by_object.push_back(j);
  }
  if (!is_channel_actor(s.pid)) {
    bucket(static_cast<std::uint8_t>(StepObject::Kind::process), s.pid.id).by_actor.push_back(j);
  }
  if (table_effect(s.effect)) table_ops_.push_back(j);
  if (changes_table_names(s.effect)) table_names_.push_back(j);
  if (hidden_state(s.effect)) hidden_.push_back(j);
  if (events_[j].mail) mail_list(*events_[j].mail).push_back(j);
}

void RunTrace::add(const StepInfo& s, std::int32_t node, std::vector<Race>& races) {
  const auto j = static_cast<std::uint32_t>(events_.size());
  if (advanced_) {
    // Everything before happens before everything after.
    advanced_ = false;
    barrier_.assign(actors_.size(), 0);
    for (const Actor& act : actors_) {
      if (act.last >= 0) join(barrier_.data(), static_cast<std::uint32_t>(barrier_.size()), static_cast<std::uint32_t>(act.last));
    }
    epoch_start_ = j;
    clear_period();
  }
  const std::uint32_t a = actor_of(s.pid);
  Event e;
  e.step = s;
  e.actor = a;
  e.seq = actors_[a].count + 1;
  e.node = node;
  e.clock = static_cast<std::uint32_t>(clocks_.size());
  e.clock_size = static_cast<std::uint32_t>(actors_.size());
  clocks_.resize(clocks_.size() + e.clock_size, 0);
  std::uint32_t* c = clocks_.data() + e.clock;
  const std::uint32_t n = e.clock_size;
  for (std::size_t k = 0; k < barrier_.size() && k < n; ++k) c[k] = barrier_[k];
  const Actor& act = actors_[a];
  if (act.last >= 0) join(c, n, static_cast<std::uint32_t>(act.last));
  if (act.enabler >= 0) join(c, n, static_cast<std::uint32_t>(act.enabler));
  if (s.cause < j) {
    const auto cause = static_cast<std::uint32_t>(s.cause);
    if (s.effect == EffectKind::arrive) {
      join(c, n, cause);  // a signal arrives after it is sent
    } else if (s.effect == EffectKind::receive && events_[cause].actor != a) {
      // The message it took: a hard edge if the receive could not have run
      // without it: it was declared after the message came (and is not a
      // poll). If it was enabled before (a poll, or its timeout fired),
      // the two race instead; if the message's arrival enabled it, that
      // is the enabler edge above. (Under instant delivery StepInfo::poll
      // is not known: only the enabler edge.)
      if (s.signal_id != 0 && !s.poll && act.window > static_cast<std::int64_t>(cause)) join(c, n, cause);
    }
  }
  e.mail = mail_write(s);
  gather(s, j, scratch_);
  for (const std::uint32_t i : scratch_) {
    if (events_[i].actor == a || !dependent_before(i, s, e.mail)) continue;
    if (!covers(c, n, i)) races.push_back({i, j});
    join(c, n, i);
  }
  c[a] = e.seq;
  if (instant_ && (s.effect == EffectKind::demonitor || s.effect == EffectKind::die)) {
    for (const auto& w : watches_) {
      if (w.first == s.pid.id) e.unwatched.push_back(w.second);
    }
    for (const auto& w : spawned_) {
      if (w.first == s.pid.id) e.unwatched.push_back(w.second);
    }
  }
  events_.push_back(std::move(e));
  Actor& act2 = actors_[a];
  ++act2.count;
  act2.last = static_cast<std::int32_t>(j);
  act2.enabler = -1;
  act2.window = j;
  index(s, j);
  if (s.effect == EffectKind::arrive) saw_arrival_ = true;
  if (instant_) note_watches(s);
  observe(j, races);
}

void RunTrace::observe(std::uint32_t r, std::vector<Race>& races) {
  const StepInfo& s = events_[r].step;
  if (!observers_ || s.effect != EffectKind::receive || s.pattern == nullptr || s.cause >= r) return;
  const auto w1 = static_cast<std::uint32_t>(s.cause);
  const std::optional<std::uint64_t> target = events_[w1].mail;
  if (!target || *target != s.pid.id) return;
  events_[w1].taken_by = static_cast<std::int32_t>(r);
  // Every message that came into the mailbox after the one taken, while it
  // waited, and that this receive could have taken: its arrival and the
  // taken one's are dependent (learned only now).
  const std::vector<std::uint32_t>& writes = mail_list(s.pid.id);
  auto it = std::upper_bound(writes.begin(), writes.end(), w1);
  for (; it != writes.end() && *it < r; ++it) {
    const std::uint32_t w2 = *it;
    const StepInfo& b = events_[w2].step;
    if (events_[w2].actor == events_[w1].actor) continue;
    const StepInfo& a = events_[w1].step;
    if (a.effect == EffectKind::arrive && b.effect == EffectKind::arrive && alias_and_down(a, b)) continue;
    if (b.payload == nullptr || !s.pattern->matches(*b.payload)) continue;
    if (happens_before(w1, w2)) continue;
    races.push_back({w1, w2});
    // w1 now happens before w2, and so before everything after w2.
    for (std::uint32_t x = w2; x <= r; ++x) {
      Event& ex = events_[x];
      if (covers(clocks_.data() + ex.clock, ex.clock_size, w2)) join(clocks_.data() + ex.clock, ex.clock_size, w1);
    }
  }
}

bool RunTrace::undecided(const StoredEvent& c, std::uint32_t since) const {
  if (!observers_ || !mailbox_arrival(c.step)) return false;
  for (std::size_t m = 0; m < mail_used_; ++m) {
    if (mail_index_[m].first != c.step.object.id) continue;
    const auto& writes = mail_index_[m].second;
    for (auto it = std::lower_bound(writes.begin(), writes.end(), since); it != writes.end(); ++it) {
      const Event& w = events_[*it];
      if (w.step.pid == c.step.pid) continue;  // its own channel: c itself, or after it
      if (w.taken_by < 0 && w.step.payload != nullptr) return true;
    }
  }
  return false;
}

bool RunTrace::direct(std::uint32_t i, std::uint32_t j) const {
  for (std::uint32_t k = i + 1; k < j; ++k) {
    if (happens_before(i, k) && happens_before(k, j)) return false;
  }
  return true;
}

void RunTrace::reversal(std::uint32_t i, std::uint32_t j, std::vector<std::uint32_t>& out) const {
  // notdep(i, E).j: every later step of the run that does not happen after
  // i, those after j included (none of them happens after j, which happens
  // after i), then j. (Only the steps up to j lost classes: a reversal that
  // leaves out what follows j can be covered by a sleeping step that then
  // wakes too late for the rest.)
  out.clear();
  const auto n = static_cast<std::uint32_t>(events_.size());
  for (std::uint32_t k = i + 1; k < n; ++k) {
    if (k != j && !happens_before(i, k)) out.push_back(k);
  }
  out.push_back(j);
}

StoredEvent RunTrace::store(std::uint32_t i) const {
  StoredEvent out;
  out.step = events_[i].step;
  out.step.pattern = nullptr;
  out.step.payload = nullptr;
  if (events_[i].step.payload != nullptr && events_[i].mail) out.payload = *events_[i].step.payload;
  return out;
}

namespace {

/// The position in `rest` of actor p's first event, or npos.
std::size_t first_of(const RunTrace& trace, const std::vector<std::uint32_t>& rest, Pid p) {
  for (std::size_t k = 0; k < rest.size(); ++k) {
    if (trace.actor_pid(rest[k]) == p) return k;
  }
  return static_cast<std::size_t>(-1);
}

bool initial_at(const RunTrace& trace, const std::vector<std::uint32_t>& rest, std::size_t k) {
  for (std::size_t m = 0; m < k; ++m) {
    if (trace.happens_before(rest[m], rest[k])) return false;
  }
  return true;
}

/// True if `s` may end process `pid`, replacing whatever step it had
/// pending by its death: an exit signal to it, a death that kills it as a
/// linked peer, is_alive's landing of signals in flight to it, a global step.
bool may_kill(const StepInfo& s, Pid pid) {
  if (s.object.kind == StepObject::Kind::global) return true;
  const bool at = s.object.kind == StepObject::Kind::process && s.object.id == pid.id;
  const bool peer = s.also.kind == StepObject::Kind::process && s.also.id == pid.id && !s.also_message;
  switch (s.effect) {
    case EffectKind::exit_signal: return at;
    case EffectKind::arrive: return s.signal == SignalKind::exit && at;
    case EffectKind::die:
    case EffectKind::is_alive: return peer;
    default: return false;
  }
}

/// Weak initials (JACM 2017) assume that a step pending elsewhere stays
/// what it is. A kill breaks that: placed before the reversal of a race
/// (e, e') it may replace e itself, which must run after the reversal.
bool commutes_with_all(const RunTrace& trace, const StoredEvent& c, std::uint32_t pos, bool trusted,
                       const std::vector<std::uint32_t>& rest, Pid first) {
  if (first && may_kill(c.step, first)) return false;
  for (const std::uint32_t x : rest) {
    if (trace.dependent_stored(c, pos, trusted, x, /*observed=*/true)) return false;
  }
  return true;
}

WakeupNode node_of(const RunTrace& trace, std::uint32_t event) { return WakeupNode{trace.store(event), {}}; }

}  // namespace

bool weak_initial(const RunTrace& trace, const StoredEvent& c, std::uint32_t pos, bool trusted,
                  const std::vector<std::uint32_t>& v, Pid first) {
  const std::size_t k = first_of(trace, v, c.step.pid);
  if (k != static_cast<std::size_t>(-1)) return initial_at(trace, v, k);
  return commutes_with_all(trace, c, pos, trusted, v, first);
}

bool insert(const RunTrace& trace, std::vector<WakeupNode>& root, std::uint32_t pos,
            const std::vector<std::uint32_t>& v, Pid first) {
  std::vector<std::uint32_t> rest = v;
  std::vector<WakeupNode>* level = &root;
  bool top = true;
  for (;;) {
    WakeupNode* next = nullptr;
    for (WakeupNode& child : *level) {
      const std::size_t k = first_of(trace, rest, child.event.step.pid);
      if (k != static_cast<std::size_t>(-1)) {
        if (!initial_at(trace, rest, k)) continue;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(k));
        next = &child;
        break;
      }
      if (commutes_with_all(trace, child.event, pos, top, rest, first)) {
        next = &child;
        break;
      }
    }
    if (next == nullptr) {
      // A new branch: the rest of v, in order.
      WakeupNode* at = &level->emplace_back(node_of(trace, rest[0]));
      for (std::size_t k = 1; k < rest.size(); ++k) at = &at->children.emplace_back(node_of(trace, rest[k]));
      return true;
    }
    if (next->children.empty() || rest.empty()) return false;  // covered
    level = &next->children;
    top = false;
  }
}

}  // namespace otpsim::sim::dpor
