#include "scenarios/story.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "scenarios/scenario_file.hpp"
#include "scenarios/shrink.hpp"
#include "sim/replay_token.hpp"

namespace otpsim::scenarios {

namespace tk = core::tokens;
using sim::Pid;
using sim::TraceEvent;
using sim::TraceKind;
using sim::EffectKind;

namespace {

constexpr std::size_t term_max = 100;  // a term longer than this is cut ("...")
constexpr std::size_t line_max = 220;

std::string cut(std::string_view text, std::size_t max = term_max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max - 3)) + "...";
}

/// The top-level elements of a tuple or list's text ("{a,{b,c},"x,y"}"),
/// or nullopt if `text` is not one. Term::to_string writes no spaces.
std::optional<std::vector<std::string_view>> elements(std::string_view text, char open = '{') {
  const char close = open == '{' ? '}' : ']';
  if (text.size() < 2 || text.front() != open || text.back() != close) return std::nullopt;
  std::vector<std::string_view> out;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (inner.empty()) return out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    const char c = inner[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(inner.substr(start));
  return out;
}

/// "<0.12.0>" -> 12.
std::optional<std::uint64_t> pid_id(std::string_view text) {
  if (text.size() < 6 || text.substr(0, 3) != "<0." || text.substr(text.size() - 3) != ".0>") return std::nullopt;
  std::uint64_t id = 0;
  for (const char c : text.substr(3, text.size() - 6)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return id;
}

/// Pids and refs replaced by placeholders: two turns that differ only in
/// the processes a retry spawned fold into one.
std::string shape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "<0." || text.substr(i, 5) == "#Ref<") {
      const std::size_t end = text.find('>', i);
      if (end != std::string_view::npos) {
        out += "<>";
        i = end + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

/// The dotted module prefix that every "Elixir." label shares, less each
/// one's last segment ("ExAtlas.Fly.Tokens."): left out of names and atoms.
std::string common_module_prefix(const tk::RunRecord& record) {
  std::optional<std::string> prefix;
  for (const tk::ProcessLife& p : record.processes) {
    if (p.label.rfind("Elixir.", 0) != 0) continue;
    std::string_view rest = std::string_view(p.label).substr(7);
    rest = rest.substr(0, rest.rfind('.') == std::string_view::npos ? 0 : rest.rfind('.') + 1);
    if (!prefix) {
      prefix = std::string(rest);
      continue;
    }
    std::size_t n = 0;
    while (n < prefix->size() && n < rest.size() && (*prefix)[n] == rest[n]) ++n;
    const std::size_t dot = n == 0 ? std::string::npos : prefix->rfind('.', n - 1);
    prefix->resize(dot == std::string::npos ? 0 : dot + 1);
  }
  return prefix.value_or("");
}

class Teller {
 public:
  explicit Teller(const RunReport& run)
      : trace_(*run.trace), record_(*run.record), prefix_(common_module_prefix(*run.record)) {
    std::map<std::string, int> uses;
    for (const tk::ProcessLife& p : record_.processes) ++uses[p.label];
    for (const tk::ProcessLife& p : record_.processes) {
      if (p.label.empty()) continue;
      const std::string label = abbreviate(p.label);
      names_[p.pid.id] = uses[p.label] > 1 ? fmt::format("{}<0.{}.0>", label, p.pid.id) : label;
    }
    // Tables by name, from their creation ("NAME -> ID ok"), boot included.
    for (const TraceEvent& e : trace_.events) {
      if (e.kind != TraceKind::step || e.effect != EffectKind::table_new) continue;
      const std::size_t arrow = e.detail.find(" -> ");
      if (arrow == std::string::npos) continue;
      std::uint64_t id = 0;
      for (std::size_t i = arrow + 4; i < e.detail.size() && e.detail[i] >= '0' && e.detail[i] <= '9'; ++i) {
        id = id * 10 + static_cast<std::uint64_t>(e.detail[i] - '0');
      }
      // An unnamed table goes by its creator: "Registry.PIDPartition0/1".
      const bool unnamed = e.detail.compare(0, arrow, "unnamed") == 0;
      tables_[id] = unnamed ? fmt::format("{}/{}", name(e.pid), id) : abbreviate(e.detail.substr(0, arrow));
    }
  }

  /// Elixir module names as Elixir writes them, less the shared prefix:
  /// 'Elixir.ExAtlas.Fly.Tokens.Registry' -> Registry, 'Elixir.GenServer' -> GenServer.
  std::string abbreviate(std::string_view text) const {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
      const bool quoted = text.substr(i, 8) == "'Elixir.";
      if (quoted || text.substr(i, 7) == "Elixir.") {
        std::size_t j = i + (quoted ? 8 : 7);
        if (!prefix_.empty() && text.substr(j, prefix_.size()) == prefix_ && j + prefix_.size() < text.size()) j += prefix_.size();
        const std::size_t end = quoted ? text.find('\'', j) : std::string_view::npos;
        if (!quoted || end != std::string_view::npos) {
          out += quoted ? text.substr(j, end - j) : text.substr(j, 0);
          i = quoted ? end + 1 : j;
          continue;
        }
      }
      out += text[i++];
    }
    return out;
  }

  std::string name(Pid pid) const { return name(pid.id); }
  std::string name(std::uint64_t id) const {
    auto it = names_.find(id);
    return it != names_.end() ? it->second : fmt::format("<0.{}.0>", id);
  }
  /// A pid's text ("<0.5.0>" or "<0.5.0>(registry)") as the story names it.
  std::string name_text(std::string_view text) const {
    const std::size_t paren = text.find('(');
    if (auto id = pid_id(text.substr(0, paren))) return name(*id);
    return std::string(text);
  }
  /// The fault plan's clock and the workload's starter: the harness, not the system.
  bool is_harness(Pid pid) const {
    const tk::ProcessLife* life = record_.life(pid);
    return life != nullptr && (life->label == "fault_clock" || life->label == "workload");
  }
  bool is_client(Pid pid) const {
    const tk::ProcessLife* life = record_.life(pid);
    return life != nullptr && life->label.rfind("client:", 0) == 0;
  }

  /// A message, as a receiver or sender sees it.
  std::string message(std::string_view text) const {
    auto e = elements(text);
    if (!e || e->empty()) return cut(text);
    const std::string_view tag = (*e)[0];
    if (tag == "'EXIT'" && e->size() == 3) return fmt::format("EXIT from {}: {}", name_text((*e)[1]), cut((*e)[2]));
    if (tag == "'DOWN'" && e->size() == 5) return fmt::format("DOWN of {}: {}", name_text((*e)[3]), cut((*e)[4]));
    if (tag == "'$gen_call'" && e->size() == 3) {
      auto from = elements((*e)[1]);
      return fmt::format("call {}{}", cut((*e)[2]), from && !from->empty() ? " from " + name_text((*from)[0]) : "");
    }
    if (tag == "'$gen_cast'" && e->size() == 2) return fmt::format("cast {}", cut((*e)[1]));
    if (tag == "'$ack'" && e->size() == 3) return fmt::format("start ack {}", cut((*e)[2]));
    if (tag.rfind("#Ref<", 0) == 0 && e->size() == 2) return fmt::format("reply {}", cut((*e)[1]));
    return cut(text);
  }

  /// What one trace event says in the story; empty: nothing worth a word.
  std::string phrase(const TraceEvent& e) const {
    const std::string d = abbreviate(e.detail);
    switch (e.kind) {
      case TraceKind::clock: return {};
      case TraceKind::exited: {
        // A process the fault plan hit: say so where it dies.
        for (const tk::FaultEvent& f : record_.faults) {
          if (f.applied && f.victim == e.pid && f.step <= e.step) return fmt::format("exits: {} (the fault)", cut(d));
        }
        return "exits: " + cut(d);
      }
      case TraceKind::event: return event_phrase(d);
      case TraceKind::step: break;
    }
    switch (e.effect) {
      case EffectKind::receive:
        if (d == "timeout") return {};  // a flush (receive after 0), mostly: no news
        return "takes " + message(d);
      case EffectKind::send: return send_phrase(d.substr(0, d.find(" ! ")), d.substr(std::min(d.size(), d.find(" ! ") + 3)), e.pid);
      case EffectKind::send_named:
      case EffectKind::send_alias: {
        // "NAME (<0.3.0>(label)) ! MSG"
        const std::size_t open = d.find(" ("), bang = d.find(") ! ");
        if (open == std::string::npos || bang == std::string::npos) return "sends " + cut(d);
        return send_phrase(d.substr(open + 2, bang - open - 2), d.substr(bang + 4), e.pid);
      }
      case EffectKind::arrive: return arrive_phrase(d);
      case EffectKind::spawn: {
        const std::string child = d.substr(0, d.find(' '));
        if (auto id = pid_id(child.substr(0, child.find('('))); id && is_harness(Pid{*id})) return {};
        return "starts " + name_text(child);
      }
      case EffectKind::exit_signal: {
        const std::size_t sp = d.find(' ');
        return fmt::format("exit({}, {})", name_text(d.substr(0, sp)), sp == std::string::npos ? "" : cut(d.substr(sp + 1)));
      }
      case EffectKind::register_name: {
        // "NAME <0.3.0>(label) -> yes|no"
        const std::size_t sp = d.find(' ');
        const bool ok = d.ends_with("yes");
        return fmt::format("registers {}{}", d.substr(0, sp), ok ? "" : " -> no (taken)");
      }
      case EffectKind::unregister_name: return "unregisters " + d;
      case EffectKind::table_insert:
      case EffectKind::table_insert_new:
      case EffectKind::table_lookup:
      case EffectKind::table_delete:
      case EffectKind::table_delete_object:
      case EffectKind::table_delete_table:
        return fmt::format("ets {} {}", sim::effect_name(e.effect), cut(table_named(d), 80));
      case EffectKind::table_new: return "creates table " + cut(d, 60);
      case EffectKind::external: return "external " + cut(d, 80);
      default: return {};
    }
  }

  /// A table operation's detail ("tab 3 KEY -> ok ...") with the table's
  /// name ("ex_atlas_fly_tokens KEY -> ok ...").
  std::string table_named(std::string_view d) const {
    if (d.rfind("tab ", 0) != 0) return std::string(d);
    d.remove_prefix(4);
    const std::size_t sp = d.find(' ');
    std::uint64_t id = 0;
    for (const char c : d.substr(0, sp)) id = id * 10 + static_cast<std::uint64_t>(c >= '0' && c <= '9' ? c - '0' : 0);
    auto it = tables_.find(id);
    if (it == tables_.end() || sp == std::string_view::npos) return fmt::format("table {}", d);
    return fmt::format("{}{}", it->second, d.substr(sp));
  }

  std::string send_phrase(std::string_view to, std::string_view msg, Pid self) const {
    const std::string target = name_text(to);
    auto e = elements(msg);
    if (e && e->size() == 2 && (*e)[0].rfind("#Ref<", 0) == 0) return fmt::format("replies {} to {}", cut((*e)[1]), target);
    if (e && e->size() == 3 && (*e)[0] == "'$gen_call'") return fmt::format("calls {}: {}", target, cut((*e)[2]));
    if (e && e->size() == 2 && (*e)[0] == "'$gen_cast'") {
      return fmt::format("casts {}: {}", target == name(self) ? "itself" : target, cut((*e)[1]));
    }
    if (target == name(self)) return fmt::format("sends itself: {}", cut(msg));
    return fmt::format("sends {} to {}", cut(msg), target);
  }

  /// An in-flight signal's arrival: exit signals, and whatever reaches a
  /// dead process, are the races; an ordinary message shows when taken.
  std::string arrive_phrase(std::string_view d) const {
    // "from SENDER: WHAT[ (dead, dropped)]"
    if (d.rfind("from ", 0) != 0) return {};
    const std::size_t colon = d.find(": ");
    if (colon == std::string_view::npos) return {};
    const std::string from = name_text(d.substr(5, colon - 5));
    std::string_view what = d.substr(colon + 2);
    const bool dropped = what.ends_with(" (dead, dropped)");
    if (dropped) what.remove_suffix(std::string_view(" (dead, dropped)").size());
    if (what.rfind("exit ", 0) == 0) {
      return fmt::format("gets exit signal {} from {}{}", cut(what.substr(5)), from, dropped ? " (already dead)" : "");
    }
    // A link, monitor or DOWN to a dead process changes nothing.
    if (!dropped || what == "link" || what == "unlink" || what.rfind("monitor ", 0) == 0 ||
        what.rfind("demonitor ", 0) == 0 || what.rfind("DOWN ", 0) == 0) {
      return {};
    }
    return fmt::format("{}'s {} arrives after it died (dropped)", from, message(what));
  }

  std::string event_phrase(std::string_view term) const {
    auto e = elements(term);
    if (!e || e->empty()) return "emits " + cut(term);
    const std::string_view tag = (*e)[0];
    if (tag == "telemetry" || tag == "resolved") return {};
    if (tag == "log" && e->size() >= 2) return "logs " + cut(term.substr(5, term.size() - 6));
    return cut(term);
  }

  /// The client's calls, told from the record (their start and result).
  void call_phrases(std::map<std::uint64_t, std::vector<std::pair<Pid, std::string>>>& by_step) const {
    for (const tk::ClientCall& c : record_.calls) {
      const std::string what =
          c.op == "set_manual" ? fmt::format("{}({}, {})", c.op, c.app, c.token) : fmt::format("{}({})", c.op, c.app);
      by_step[c.start_step].emplace_back(c.client, "calls " + what);
      if (c.end_us >= 0) {
        by_step[c.end_step].emplace_back(c.client, c.exited ? fmt::format("{} EXITS the client: {}", what, cut(abbreviate(c.exit_reason.to_string()), 140))
                                                            : fmt::format("{} -> {}", what, cut(abbreviate(c.result.to_string()))));
      }
    }
  }

  const sim::Trace& trace_;
  const tk::RunRecord& record_;
  std::string prefix_;
  std::map<std::uint64_t, std::string> names_;
  std::map<std::uint64_t, std::string> tables_;  // id -> name
};

/// One process turn: consecutive slice steps of one process.
class Turn {
 public:
  Pid pid;
  sim::Micros at_us = 0;
  std::uint64_t first_step = 0, last_step = 0;
  std::uint64_t steps = 0;
  std::vector<std::string> phrases;
  std::uint64_t times = 1;  // folded repeats
};

/// A turn's phrases, "; " between them; a run of phrases repeated (pids
/// and refs aside) is said once: "phrase (xN)", or "N x [a; b]" for a
/// block (a supervisor's retries, taken one after another).
std::string join_phrases(const std::vector<std::string>& phrases) {
  std::vector<std::string> shapes;
  for (const std::string& p : phrases) shapes.push_back(shape(p));
  auto same = [&](std::size_t a, std::size_t b, std::size_t k) {
    for (std::size_t x = 0; x < k; ++x) {
      if (shapes[a + x] != shapes[b + x]) return false;
    }
    return true;
  };
  std::string out;
  for (std::size_t i = 0; i < phrases.size();) {
    std::size_t best_k = 1, best_reps = 1;
    for (std::size_t k = 1; k <= 4 && i + 2 * k <= phrases.size(); ++k) {
      std::size_t reps = 1;
      while (i + (reps + 1) * k <= phrases.size() && same(i, i + reps * k, k)) ++reps;
      if (reps > 1 && reps * k > best_reps * best_k) {
        best_k = k;
        best_reps = reps;
      }
    }
    if (!out.empty()) out += "; ";
    if (best_reps == 1) {
      out += phrases[i];
    } else if (best_k == 1) {
      out += fmt::format("{} (x{})", phrases[i], best_reps);
    } else {
      std::string block;
      for (std::size_t x = 0; x < best_k; ++x) block += (x > 0 ? "; " : "") + phrases[i + x];
      out += fmt::format("{} x [{}]", best_reps, block);
    }
    i += best_k * best_reps;
  }
  return out;
}

std::string seconds(sim::Micros us) { return fmt::format("{:.3f}s", static_cast<double>(us) / 1e6); }

std::string fault_line(const tk::RunRecord& r, const Teller& names) {
  std::vector<std::string> parts;
  for (const tk::FaultEvent& f : r.faults) {
    std::string whom = f.victim ? names.name(f.victim) : f.target;
    std::string part = fmt::format("{} {} at {}", f.action, whom, seconds(f.at_us));
    if (!f.applied) part += fmt::format(" (skipped{})", f.detail.empty() ? "" : ": " + f.detail);
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return "fault: none injected";
  std::string out = parts.size() == 1 ? "fault: " : "faults: ";
  const std::size_t shown = std::min<std::size_t>(parts.size(), 4);
  for (std::size_t i = 0; i < shown; ++i) out += (i > 0 ? "; " : "") + parts[i];
  if (parts.size() > shown) out += fmt::format("; and {} more", parts.size() - shown);
  return cut(out, line_max);
}

/// A child that failed to start (its start ack is an error, or it died
/// before acking), with nothing but its own and its parent's turns between
/// its spawn and that end, is told in the parent's turn: "starts C ->
/// {error,...}"; the child's own turns and the EXIT the parent takes from
/// it go. Then a supervisor's retries of a failed restart read as one
/// repeated turn.
void absorb_failed_starts(std::vector<Turn>& turns, const tk::RunRecord& record, const Teller& teller) {
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const Pid parent = turns[i].pid;
    for (std::size_t at = 0; at < turns[i].phrases.size(); ++at) {
      const std::string& p = turns[i].phrases[at];
      if (p.rfind("starts ", 0) != 0 || p.find(" -> ") != std::string::npos) continue;
      const tk::ProcessLife* child = nullptr;
      for (const tk::ProcessLife& life : record.processes) {
        if (life.parent == parent && teller.name(life.pid) == std::string_view(p).substr(7) &&
            life.spawned_step >= turns[i].first_step && life.spawned_step <= turns[i].last_step) {
          child = &life;
        }
      }
      if (child == nullptr) continue;
      // The end of the start: the parent takes the ack, or the EXIT of a
      // child that died first.
      const std::string exit_from = "takes EXIT from " + teller.name(child->pid) + ": ";
      std::optional<std::pair<std::size_t, std::size_t>> end;  // turn, phrase
      bool alone = true;
      for (std::size_t j = i + 1; j < turns.size() && !end && alone; ++j) {
        if (turns[j].pid == parent) {
          for (std::size_t k = 0; k < turns[j].phrases.size() && !end; ++k) {
            const std::string& q = turns[j].phrases[k];
            if (q.rfind("takes start ack ", 0) == 0 || q.rfind(exit_from, 0) == 0) end = {j, k};
          }
        } else if (turns[j].pid != child->pid && !turns[j].phrases.empty()) {
          alone = false;
        }
      }
      if (!end || !alone) continue;
      const std::size_t last = end->first;
      std::string result = turns[last].phrases[end->second];
      if (result.rfind("takes start ack ", 0) == 0) {
        result = result.substr(16);
        if (result.rfind("{error,", 0) != 0) continue;  // started: its life is its own
      } else {
        result = "exits: " + result.substr(exit_from.size());
      }
      // The parent's phrases up to the ack join its start; the child's
      // turns go, and so does the first EXIT the parent takes from it.
      std::vector<std::string> moved;
      for (std::size_t j = i + 1; j <= last; ++j) {
        if (turns[j].pid != parent) continue;
        const std::size_t upto = j == last ? end->second + 1 : turns[j].phrases.size();
        for (std::size_t k = 0; k < upto; ++k) moved.push_back(std::move(turns[j].phrases[k]));
        turns[j].phrases.erase(turns[j].phrases.begin(), turns[j].phrases.begin() + static_cast<std::ptrdiff_t>(upto));
      }
      moved.pop_back();  // the ack or EXIT itself: the start's result
      bool exit_taken = false;
      for (std::size_t j = i + 1; j < turns.size(); ++j) {
        if (turns[j].pid == child->pid) turns[j].phrases.clear();
        if (turns[j].pid != parent || exit_taken) continue;
        auto e = std::find_if(turns[j].phrases.begin(), turns[j].phrases.end(),
                              [&](const std::string& q) { return q.rfind(exit_from, 0) == 0; });
        if (e != turns[j].phrases.end()) {
          turns[j].phrases.erase(e);
          exit_taken = true;
        }
      }
      std::erase_if(moved, [&](const std::string& q) { return q.rfind(exit_from, 0) == 0; });
      turns[i].phrases[at] += " -> " + result;
      turns[i].phrases.insert(turns[i].phrases.begin() + static_cast<std::ptrdiff_t>(at + 1), moved.begin(), moved.end());
    }
  }
}

/// A signal and its echoes are said once, over one process's turns: an
/// exit signal that became an EXIT message, a DOWN or the exit itself; the
/// EXIT of a link whose monitor's DOWN (in the same turn) says the same.
void drop_echoes(std::vector<Turn>& turns) {
  std::map<std::uint64_t, std::vector<std::string*>> by_pid;
  for (Turn& t : turns) {
    for (std::string& p : t.phrases) by_pid[t.pid.id].push_back(&p);
  }
  for (auto& entry : by_pid) {
    auto& stream = entry.second;  // a plain reference: clang 14 lambdas cannot capture bindings
    auto later = [&](std::size_t i, std::string_view prefix) {
      for (std::size_t j = i + 1; j < stream.size(); ++j) {
        if (stream[j]->rfind(prefix, 0) == 0) return true;
      }
      return false;
    };
    auto any = [&](const std::string& text) {
      return std::any_of(stream.begin(), stream.end(), [&](const std::string* q) { return *q == text; });
    };
    for (std::size_t i = 0; i < stream.size(); ++i) {
      std::string& p = *stream[i];
      if (p.rfind("gets exit signal ", 0) == 0) {
        const std::size_t from = p.rfind(" from ");
        const std::string who = from == std::string::npos ? std::string() : p.substr(from + 6);
        if (later(i, "exits: ") || later(i, "takes EXIT from " + who + ": ") || later(i, "takes DOWN of " + who + ": ")) p.clear();
      } else if (p.rfind("takes EXIT from ", 0) == 0) {
        if (any("takes DOWN of " + p.substr(16))) p.clear();
      } else if (p.rfind("casts itself: ", 0) == 0) {
        // A message to itself it then takes: said once, by the taking.
        if (later(i, "takes cast " + p.substr(14))) p.clear();
      } else if (p.rfind("sends itself: ", 0) == 0) {
        if (later(i, "takes " + p.substr(14))) p.clear();
      }
    }
  }
  for (Turn& t : turns) std::erase(t.phrases, std::string());
}

}  // namespace

std::uint64_t violation_step(const RunReport& run, const PropertyVerdict& verdict) {
  if (verdict.violation && verdict.violation->step > 0) return verdict.violation->step;
  return run.result.steps;
}

// The spec is not read yet: everything told comes from the run itself.
std::vector<std::string> story(const ScenarioSpec& /*spec*/, const RunReport& run, const std::vector<std::uint64_t>& slice,
                               const StoryViolation& violation, std::size_t max_lines) {
  max_lines = std::max<std::size_t>(max_lines, 4);
  std::vector<std::string> out;
  const std::string replay = "replay: " + violation.replay;
  if (!run.trace || !run.record) {
    out = {"fault: (no trace)", cut(fmt::format("violated {}: {}", violation.property, violation.message), 400), replay};
    return out;
  }
  const Teller teller(run);
  const std::string last =
      cut(fmt::format("violated {}: {}", violation.property, teller.abbreviate(violation.message)), 400);
  out.push_back(fault_line(*run.record, teller));

  // Every phrase of a slice step, with its process.
  std::map<std::uint64_t, std::vector<std::pair<Pid, std::string>>> calls;
  teller.call_phrases(calls);
  std::set<std::uint64_t> fault_steps;
  for (const tk::FaultEvent& f : run.record->faults) fault_steps.insert(f.step);
  const std::set<std::uint64_t> in_slice(slice.begin(), slice.end());
  const sim::Trace& trace = *run.trace;
  std::vector<Turn> turns;
  auto add = [&](Pid pid, std::uint64_t step, sim::Micros at, std::string phrase) {
    if (turns.empty() || turns.back().pid != pid) {
      Turn t;
      t.pid = pid;
      t.at_us = at;
      t.first_step = step;
      turns.push_back(std::move(t));
    }
    Turn& t = turns.back();
    if (t.last_step != step || t.steps == 0) ++t.steps;
    t.last_step = step;
    if (!phrase.empty()) t.phrases.push_back(std::move(phrase));
  };
  auto ev = std::lower_bound(trace.events.begin(), trace.events.end(), run.boot_end_step + 1,
                             [](const TraceEvent& e, std::uint64_t s) { return e.step < s; });
  for (; ev != trace.events.end(); ++ev) {
    const TraceEvent& e = *ev;
    if (!in_slice.contains(e.step)) continue;
    if (e.kind == TraceKind::clock || !e.pid || teller.is_harness(e.pid)) {
      // nothing to tell
    } else if (teller.is_client(e.pid) && e.kind == TraceKind::step &&
               (e.effect == EffectKind::send || e.effect == EffectKind::send_named ||
                e.effect == EffectKind::send_alias || e.effect == EffectKind::receive ||
                e.effect == EffectKind::arrive || e.effect == EffectKind::spawn)) {
      // A client's calls are told from the record, not as the messages they
      // are; what else it does (an ETS read of the Registry, its exit) is.
      add(e.pid, e.step, e.time_us, {});
    } else {
      add(e.pid, e.step, e.time_us, teller.phrase(e));
    }
    // The record's call lines for this step, after its events.
    if (std::next(ev) == trace.events.end() || std::next(ev)->step != e.step) {
      if (auto c = calls.find(e.step); c != calls.end()) {
        for (auto& [pid, text] : c->second) add(pid, e.step, e.time_us, text);
      }
    }
  }

  absorb_failed_starts(turns, *run.record, teller);
  drop_echoes(turns);
  // Turns with nothing to say go; a turn repeated (pids and refs aside)
  // folds into one "(xN)"; then two unfolded turns of one process in a row
  // join.
  std::vector<Turn> repeated;
  std::string last_shape;
  for (Turn& t : turns) {
    if (t.phrases.empty()) continue;
    std::string s = shape(fmt::format("{}: {}", teller.name(t.pid), join_phrases(t.phrases)));
    if (!repeated.empty() && last_shape == s) {
      repeated.back().times += 1;
      repeated.back().steps += t.steps;
      repeated.back().last_step = t.last_step;
      continue;
    }
    last_shape = std::move(s);
    repeated.push_back(std::move(t));
  }
  std::vector<Turn> folded;
  for (Turn& t : repeated) {
    if (!folded.empty() && folded.back().pid == t.pid && folded.back().times == 1 && t.times == 1) {
      Turn& last = folded.back();
      last.phrases.insert(last.phrases.end(), t.phrases.begin(), t.phrases.end());
      last.steps += t.steps;
      last.last_step = t.last_step;
      continue;
    }
    folded.push_back(std::move(t));
  }
  // Fit: keep the turns nearest the fault and the violation, and a line
  // for each run of turns cut; the fewest cut that fit.
  const std::size_t room = max_lines - 3;  // the fault, violation and replay lines
  const std::size_t n = folded.size();
  std::size_t after_fault = 0;
  if (!fault_steps.empty()) {
    while (after_fault < n && folded[after_fault].last_step < *fault_steps.begin()) ++after_fault;
  }
  // A short story says what it cut on the next line, not on one of its own.
  const bool inline_cuts = max_lines < 8;
  std::vector<bool> keep(n, true);
  for (std::size_t total = std::min(n, room); n > room; --total) {
    const std::size_t head = total / 3, tail = total - head;
    std::fill(keep.begin(), keep.end(), false);
    for (std::size_t i = n - std::min(n, tail); i < n; ++i) keep[i] = true;
    for (std::size_t i = after_fault, left = head; i < n && left > 0; ++i, --left) keep[i] = true;
    std::size_t lines = 0;
    for (std::size_t i = 0; i < n; ++i) lines += keep[i] ? 1 : 0;
    for (std::size_t i = 0; i < n && (!inline_cuts || total == 0); ++i) lines += !keep[i] && (i == 0 || keep[i - 1]) ? 1 : 0;
    if (lines <= room || total == 0) break;
  }
  std::uint64_t elided = 0;
  std::string cut_note;
  auto flush = [&] {
    if (elided > 0 && !inline_cuts) out.push_back(fmt::format("({} more steps)", elided));
    if (elided > 0 && inline_cuts) cut_note = fmt::format("({} more steps) ", elided);
    elided = 0;
  };
  for (std::size_t i = 0; i < folded.size(); ++i) {
    const Turn& t = folded[i];
    if (!keep[i]) {
      elided += t.steps;
      continue;
    }
    flush();
    std::string line = fmt::format("{}{} {}: {}", cut_note, seconds(t.at_us), teller.name(t.pid), join_phrases(t.phrases));
    cut_note.clear();
    line = cut(line, line_max - (t.times > 1 ? 6 : 0));
    if (t.times > 1) line += fmt::format(" (x{})", t.times);
    out.push_back(std::move(line));
  }
  flush();
  if (!cut_note.empty()) out.push_back(cut_note.substr(0, cut_note.size() - 1));
  out.push_back(last);
  out.push_back(replay);
  // Labels and terms come from the scenario (a client's name): no raw control bytes.
  for (std::string& line : out) line = escape_control(line);
  return out;
}

std::vector<std::string> story_of_token(const ScenarioSpec& spec, const std::string& token, std::uint64_t step,
                                        const StoryViolation& violation, std::size_t max_lines) {
  sim::TokenParse parsed = sim::decode_token(token);
  if (!parsed.token) return {};
  sim::ReplayToken prefix = *parsed.token;
  if (step < std::numeric_limits<std::uint64_t>::max() - 1) prefix.steps_max = std::min(prefix.steps_max, step + 1);
  RunReport run = replay(spec, prefix, sim::TraceLevel::full);
  std::vector<std::uint64_t> slice = causal_slice_of(spec, *parsed.token, step);
  std::erase_if(slice, [&run](std::uint64_t s) { return s <= run.boot_end_step; });
  return story(spec, run, slice, violation, max_lines);
}

std::string story_text(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "  " + l + "\n";
  return out;
}

}  // namespace otpsim::scenarios
