#include "sim/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <sstream>

namespace otpsim::sim {

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Trace::pid_name(Pid pid) const {
  // Labels are few and in spawn (pid) order: binary search.
  auto it = std::lower_bound(labels.begin(), labels.end(), pid,
                             [](const ProcessLabel& l, Pid p) { return l.pid < p; });
  if (it != labels.end() && it->pid == pid) return fmt::format("<0.{}.0>({})", pid.id, it->label);
  return fmt::format("<0.{}.0>", pid.id);
}

namespace {

std::string_view kind_text(const TraceEvent& e) {
  switch (e.kind) {
    case TraceKind::step: return effect_name(e.effect);
    case TraceKind::exited: return "exited";
    case TraceKind::clock: return "clock";
    case TraceKind::event: return "event";
  }
  return "?";
}

}  // namespace

std::string format_time(Micros us) { return fmt::format("{}.{:06}s", us / 1'000'000, us % 1'000'000); }

void Trace::write_text(std::ostream& out) const { write_text(out, 0, ~std::uint64_t{0}); }

void Trace::write_text(std::ostream& out, const std::vector<std::uint64_t>& steps) const {
  std::size_t next = 0;  // both ascending: one merge pass
  for (const TraceEvent& e : events) {
    while (next < steps.size() && steps[next] < e.step) ++next;
    if (next == steps.size()) break;
    if (steps[next] != e.step || e.kind == TraceKind::clock) continue;
    write_event(out, e);
  }
}

void Trace::write_text(std::ostream& out, std::uint64_t from_step, std::uint64_t to_step) const {
  for (const TraceEvent& e : events) {
    if (e.step < from_step || e.step > to_step) continue;
    write_event(out, e);
  }
}

void Trace::write_event(std::ostream& out, const TraceEvent& e) const {
  if (e.kind == TraceKind::clock) {
    out << fmt::format("{:>7} {:>14} -- clock advances\n", e.step, format_time(e.time_us));
    return;
  }
  out << fmt::format("{:>7} {:>14} {} {}", e.step, format_time(e.time_us), pid_name(e.pid), kind_text(e));
  if (!e.detail.empty()) out << ' ' << e.detail;
  out << '\n';
}

std::string Trace::text() const {
  std::ostringstream out;
  write_text(out);
  return out.str();
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const TraceEvent& e : events) {
    out << fmt::format(R"({{"step":{},"t_us":{},"pid":{},"name":"{}","event":"{}","detail":"{}"}})", e.step,
                       e.time_us, e.pid.id, json_escape(e.pid ? pid_name(e.pid) : std::string()), kind_text(e),
                       json_escape(e.detail))
        << '\n';
  }
}

void Trace::write_chrome(std::ostream& out, TimeAxis axis) const {
  auto ts = [axis](const TraceEvent& e) { return axis == TimeAxis::steps ? static_cast<Micros>(e.step) : e.time_us; };
  out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const std::string& line) {
    if (!first) out << ",\n";
    first = false;
    out << line;
  };
  emit(R"({"ph":"M","pid":1,"name":"process_name","args":{"name":"otpsim"}})");
  // A slice per process life: from its first event to its exit (or the end).
  std::map<std::uint64_t, std::pair<Micros, Micros>> life;  // pid -> (first, last)
  Micros end = 0;
  for (const TraceEvent& e : events) {
    end = std::max(end, ts(e));
    if (!e.pid) continue;
    auto [it, inserted] = life.try_emplace(e.pid.id, ts(e), ts(e));
    if (!inserted) it->second.second = ts(e);
  }
  for (const auto& [pid, span] : life) {
    emit(fmt::format(R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":"{}"}}}})", pid,
                     json_escape(pid_name(Pid{pid}))));
    emit(fmt::format(R"({{"ph":"X","pid":1,"tid":{},"ts":{},"dur":{},"name":"alive"}})", pid, span.first,
                     std::max<Micros>(1, span.second - span.first)));
  }
  for (const TraceEvent& e : events) {
    if (e.kind == TraceKind::clock) continue;
    emit(fmt::format(R"({{"ph":"i","s":"t","pid":1,"tid":{},"ts":{},"name":"{}","args":{{"step":{},"t_us":{},"detail":"{}"}}}})",
                     e.pid.id, ts(e), kind_text(e), e.step, e.time_us, json_escape(e.detail)));
  }
  out << "\n]}\n";
}

}  // namespace otpsim::sim
