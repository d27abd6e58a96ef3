// Fault plans as data: target and action names, which action fits which
// target, and the on_receive message pattern (docs/faults.md).
#include "faults/plan.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace otpsim::faults {

namespace {

using TK = Target::Kind;
using AK = Action::Kind;

/// Targets without an argument, as written. app and cli take one (app:NAME,
/// cli:NAME); cli also stands alone.
struct TargetName {
  TK kind;
  std::string_view text;
};
constexpr std::array<TargetName, 11> target_names{{
    {TK::top, "top"},
    {TK::registry, "registry"},
    {TK::ets_owner, "ets_owner"},
    {TK::task_sup, "task_sup"},
    {TK::dyn_sup, "dyn_sup"},
    {TK::app, "app"},
    {TK::any_app, "any_app"},
    {TK::storage, "storage"},
    {TK::cli, "cli"},
    {TK::clock, "clock"},
    {TK::node, "node"},
}};

constexpr std::string_view expected_targets =
    "top, registry, ets_owner, task_sup, dyn_sup, app:NAME, any_app, storage, cli, cli:NAME, clock, node, "
    "a tree path such as top/cache, or any_child:PATH";

/// A path as written: ids and template children ([A-Za-z0-9_.:-]) joined by '/'.
bool is_path_text(std::string_view text) {
  if (text.empty() || text.front() == '/' || text.back() == '/') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == ':' || (c == '/' && text[i - 1] != '/');
    if (!ok) return false;
  }
  return true;
}

struct ActionName {
  AK kind;
  std::string_view text;
};
constexpr std::array<ActionName, 13> action_names{{
    {AK::kill, "kill"},
    {AK::crash_on_next_message, "crash_on_next_message"},
    {AK::storage_put_fail, "storage_put_fail"},
    {AK::storage_get_fail, "storage_get_fail"},
    {AK::storage_slow, "storage_slow"},
    {AK::cli_fail, "cli_fail"},
    {AK::cli_hang, "cli_hang"},
    {AK::cli_slow, "cli_slow"},
    {AK::cli_empty, "cli_empty"},
    {AK::clock_jump, "clock_jump"},
    {AK::node_restart, "node_restart"},
    {AK::stop_normal, "stop_normal"},
    {AK::busy, "busy"},
}};

std::string_view target_kind_text(TK kind) {
  for (const TargetName& n : target_names) {
    if (n.kind == kind) return n.text;
  }
  return "?";
}

/// An atom named `match`, or a tuple whose first element is that atom.
bool head_matches(const sim::Term& term, std::string_view match) {
  if (term.is_atom()) return term.atom().text() == match;
  if (term.is_tuple() && term.size() > 0 && term[0].is_atom()) return term[0].atom().text() == match;
  return false;
}

}  // namespace

std::string Target::name() const {
  switch (kind) {
    case Kind::app: return fmt::format("app:{}", app);
    case Kind::cli: return app.empty() ? std::string("cli") : fmt::format("cli:{}", app);
    case Kind::path: return app;
    case Kind::any_child: return fmt::format("any_child:{}", app);
    default: return std::string(target_kind_text(kind));
  }
}

std::optional<Target> Target::parse(std::string_view text, std::string& error, bool tree) {
  if (text.substr(0, 10) == "any_child:") {
    const std::string_view path = text.substr(10);
    if (!is_path_text(path)) {
      error = fmt::format("fault target '{}' needs a supervisor's path (any_child:PATH, e.g. any_child:top/sessions)", text);
      return std::nullopt;
    }
    return Target(Kind::any_child, std::string(path));
  }
  if (tree && is_path_text(text) && text != "storage" && text != "cli" && text != "clock" && text != "node" &&
      text.substr(0, 4) != "cli:") {
    return Target(Kind::path, std::string(text));
  }
  if (text.find('/') != std::string_view::npos && is_path_text(text)) return Target(Kind::path, std::string(text));
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view head = text.substr(0, colon);
    const std::string_view arg = text.substr(colon + 1);
    if (head == "app" || head == "cli") {
      if (arg.empty()) {
        error = fmt::format("fault target '{}' needs an app name ({}:NAME)", text, head);
        return std::nullopt;
      }
      return Target(head == "app" ? Kind::app : Kind::cli, std::string(arg));
    }
  } else {
    for (const TargetName& n : target_names) {
      if (n.text != text) continue;
      if (n.kind == Kind::app) {
        error = "fault target 'app' needs an app name (app:NAME, or any_app)";
        return std::nullopt;
      }
      return Target(n.kind);
    }
  }
  error = fmt::format("unknown fault target '{}' (expected {})", text, expected_targets);
  return std::nullopt;
}

std::string Action::name() const {
  for (const ActionName& n : action_names) {
    if (n.kind == kind) return std::string(n.text);
  }
  return "?";
}

std::optional<Action::Kind> Action::parse(std::string_view text) {
  for (const ActionName& n : action_names) {
    if (n.text == text) return n.kind;
  }
  return std::nullopt;
}

bool Action::fits(const Target& target) const {
  switch (kind) {
    case Kind::kill:
    case Kind::crash_on_next_message:
    case Kind::stop_normal:
    case Kind::busy: return target.is_process();
    case Kind::storage_put_fail:
    case Kind::storage_get_fail:
    case Kind::storage_slow: return target.kind == Target::Kind::storage;
    case Kind::cli_fail:
    case Kind::cli_hang:
    case Kind::cli_slow:
    case Kind::cli_empty: return target.kind == Target::Kind::cli;
    case Kind::clock_jump: return target.kind == Target::Kind::clock;
    case Kind::node_restart: return target.kind == Target::Kind::node;
  }
  return false;
}

bool Action::is_environment() const {
  return kind != Kind::kill && kind != Kind::crash_on_next_message && kind != Kind::stop_normal && kind != Kind::busy;
}

bool Action::heals() const { return is_environment() && kind != Kind::node_restart; }

std::string expected_actions(const Target& target) {
  std::string out;
  for (const ActionName& n : action_names) {
    Action a;
    a.kind = n.kind;
    if (!a.fits(target)) continue;
    if (!out.empty()) out += ", ";
    out += n.text;
  }
  return out;
}

std::optional<std::string> validate(const Fault& fault) {
  const Action& a = fault.action;
  const Trigger& t = fault.trigger;
  if (!a.fits(fault.target)) {
    return fmt::format("action {} does not apply to target {} (it takes: {})", a.name(), fault.target.name(),
                       expected_actions(fault.target));
  }
  if (t.kind == Trigger::Kind::on_receive && !t.receiver.is_process()) {
    return fmt::format("on_receive needs a process as the receiver, not {}", t.receiver.name());
  }
  if (t.kind == Trigger::Kind::probability && !(t.probability >= 0 && t.probability <= 1)) {
    return fmt::format("probability must lie in [0, 1], not {}", t.probability);
  }
  if (t.kind == Trigger::Kind::at_time && t.at_us < 0) return fmt::format("at_time must not be negative ({}us)", t.at_us);
  if (t.from_us < 0) return fmt::format("the window must not start before 0 ({}us)", t.from_us);
  if (t.until_us != sim::infinity_us && t.until_us < t.from_us) {
    return fmt::format("the window ends ({}us) before it starts ({}us)", t.until_us, t.from_us);
  }
  if (a.heal_after_us < -1) return fmt::format("heal_after must be -1 (never) or >= 0, not {}us", a.heal_after_us);
  if (a.heal_after_us >= 0 && !a.heals()) {
    return fmt::format("heal_after applies to environment faults that can be undone, not {}", a.name());
  }
  if (a.kind == Action::Kind::busy && a.duration_us <= 0) {
    return fmt::format("busy needs a duration > 0 (duration_ms), not {}us", a.duration_us);
  }
  if ((a.kind == Action::Kind::storage_slow || a.kind == Action::Kind::cli_slow) && a.duration_us < 0) {
    return fmt::format("{} needs a latency >= 0, not {}us", a.name(), a.duration_us);
  }
  return std::nullopt;
}

std::string default_name(const Fault& fault) {
  return fmt::format("{} {}", fault.action.name(), fault.target.name());
}

bool message_matches(const sim::Term& message, std::string_view match) {
  if (match.empty()) return true;
  if (head_matches(message, match)) return true;
  // gen_server: {'$gen_call', From, Request} and {'$gen_cast', Request}.
  if (message.is_tuple() && message.size() == 3 && message[0].is_atom("$gen_call")) {
    return head_matches(message[2], match);
  }
  if (message.is_tuple() && message.size() == 2 && message[0].is_atom("$gen_cast")) {
    return head_matches(message[1], match);
  }
  return false;
}

}  // namespace otpsim::faults
