// The scenario file format: TOML (toml++) into a ScenarioSpec, with every
// check done before anything runs. docs/scenarios.md is the reference.
//
// The checker walks the document and records every problem it finds, with
// the position of the offending key or value, and carries on (a value that
// failed its check is left at its default, and checks that depend on it are
// skipped, so one mistake does not cascade). The first problem in file order
// is returned; an absent required key counts only if nothing else is wrong,
// since it is most often a misspelt key, which is reported as unknown.
#include "scenarios/scenario_file.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <cmath>
#include <cstring>
#include <fstream>
#include <span>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "core/tokens/checked_time.hpp"
#include "core/tokens/workload.hpp"
#include "sim/dfs.hpp"
#include "scenarios/library.hpp"
#include "scenarios/term_text.hpp"
#include "scenarios/toml_checker.hpp"
#include "scenarios/tree_file.hpp"

namespace otpsim::scenarios {

namespace {

using namespace toml_check;

constexpr std::array<std::string_view, 4> strategy_names{"swarm", "random", "pct", "dfs"};

// The facade operations, as listed in errors (core::tokens::valid_op decides).
constexpr std::string_view op_list = "get, refresh, invalidate, set_manual";

// Guards against a typo that would allocate without bound.
constexpr std::int64_t max_client_count = 100'000;
constexpr std::int64_t max_periodic_fires = 10'000;
// The faults of a scenario once every_ms is expanded (each firing of a
// periodic fault is a fault of its own): every run copies them.
constexpr std::size_t max_expanded_faults = 100'000;
// The most schedules one scenario asks for (the same cap as --seeds).
constexpr std::int64_t max_seeds = 1'000'000'000;


constexpr std::string_view root_keys[] = {"scenario", "model",   "env",     "client",   "fault",
                                          "properties", "explore", "tree", "templates", "behaviour"};
constexpr std::string_view scenario_keys[] = {"name", "description", "settle_ms", "liveness_bound_ms", "tree"};
// The top-level tables that declare a tree inline (tree_file.hpp).
constexpr std::string_view tree_tables[] = {"tree", "templates", "behaviour"};
constexpr std::string_view model_keys[] = {"ttl_s", "cli_timeout_ms", "soft_refresh_lead_s", "use_task_sup", "mutants"};
constexpr std::string_view env_keys[] = {"read_config_file", "clock_offset_s", "config_file", "storage", "cli"};
constexpr std::string_view storage_keys[] = {"durable", "fail_put", "fail_get", "get_latency_ms", "put_latency_ms", "rows"};
constexpr std::string_view row_keys[] = {"app", "key", "token", "expires_at_s"};
constexpr std::string_view cli_keys[] = {"latency_ms", "exit_code", "output", "hang", "missing", "apps"};
constexpr std::string_view cli_app_keys[] = {"latency_ms", "exit_code", "output", "hang", "missing"};
constexpr std::string_view client_keys[] = {"name", "count", "start_ms", "repeat", "every_ms", "calls"};
constexpr std::string_view call_keys[] = {"op", "app", "token"};
constexpr std::string_view tree_call_keys[] = {"op", "to", "request", "timeout_ms", "catch", "sleep_ms"};
constexpr std::string_view tree_op_list = "call, cast, send, sleep";
constexpr std::string_view fault_keys[] = {"name",        "target",      "action",    "reason",        "at_ms",
                             "at_step",     "on_receive",  "receiver",  "probability",   "after",
                             "window_ms",   "max_fires",   "every_ms",  "duration_ms",   "exit_code",
                             "heal_after_ms"};
constexpr std::string_view trigger_keys[] = {"at_ms", "at_step", "on_receive", "probability"};
constexpr std::string_view properties_keys[] = {"check", "expect_violated"};
constexpr std::string_view explore_keys[] = {"strategy",  "seeds",     "seed_base",     "budget_s",
                                             "steps_max", "time_max_s", "pct_depth",     "pct_steps",
                                             "reduction", "preemption_bound", "delay_bound", "shrink", "delivery"};


/// FNV-1a of the document as toml++ writes it back (keys sorted, comments
/// and layout gone): the same for every file that means the same scenario.
std::string content_hash(const toml::table& root, const std::string& tree_canonical) {
  std::ostringstream canonical;
  canonical << root;
  // A trio scenario's hash is that of its document alone, as it always was.
  if (!tree_canonical.empty()) canonical << "\n[tree file]\n" << tree_canonical;
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : canonical.str()) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:08x}", static_cast<std::uint32_t>(h ^ (h >> 32)));
}

bool valid_scenario_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string mutant_list() {
  std::vector<std::string> names;
  for (core::tokens::Mutant m : core::tokens::all_mutants) names.emplace_back(core::tokens::mutant_name(m));
  return join(names);
}

/// Every action name, in declaration order (faults/plan.hpp).
std::string action_list() {
  std::vector<std::string> names;
  for (int k = 0; k <= static_cast<int>(faults::Action::Kind::node_restart); ++k) {
    faults::Action a;
    a.kind = static_cast<faults::Action::Kind>(k);
    names.push_back(a.name());
  }
  return join(names);
}

std::string strategy_list() {
  std::vector<std::string> names(strategy_names.begin(), strategy_names.end());
  return join(names);
}

/// The text of the file at `path`, or nullopt with `why` set (missing, a
/// directory, larger than max_scenario_file_bytes).
std::optional<std::string> read_text(const std::string& path, std::string& why) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    why = "it is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  // Read at most one byte past the limit: /dev/zero or a huge file is an
  // error, not a read that never ends.
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= max_scenario_file_bytes) {
    in.read(chunk, sizeof chunk);
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  if (in.bad()) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  if (text.size() > max_scenario_file_bytes) {
    why = fmt::format("the file is larger than {} MiB", max_scenario_file_bytes >> 20);
    return std::nullopt;
  }
  return text;
}

constexpr std::string_view builtin_prefix = "builtin:";

/// How errors name the tree file `tree_file` of the scenario `source`: the
/// path resolved against the scenario's directory, or builtin:trees/X.toml.
std::string tree_file_display(std::string_view source, const std::string& tree_file) {
  if (source.substr(0, builtin_prefix.size()) == builtin_prefix) {
    return std::string(builtin_prefix) + std::filesystem::path(tree_file).lexically_normal().generic_string();
  }
  return (std::filesystem::path(std::string(source)).parent_path() / tree_file).lexically_normal().string();
}

/// The text of the tree file a scenario names: from the embedded library
/// for a built-in scenario, else from disk next to the scenario file.
std::optional<std::string> read_tree_file(std::string_view source, const std::string& tree_file, std::string& why) {
  if (source.substr(0, builtin_prefix.size()) == builtin_prefix) {
    const std::string name = tree_file_display(source, tree_file).substr(builtin_prefix.size());
    std::vector<std::string> known;
    for (const EmbeddedScenario& f : embedded_trees()) {
      if (name == f.file) return std::string(f.text);
      known.emplace_back(f.file);
    }
    why = fmt::format("the built-in library has no such file (it has: {})", known.empty() ? "none" : join(known));
    return std::nullopt;
  }
  return read_text(tree_file_display(source, tree_file), why);
}

class ScenarioParser {
 public:
  ScenarioParser(Checker& check, const ParseContext& context, ScenarioSpec& spec)
      : c_(check), context_(context), spec_(spec) {}

  void parse(const toml::table& root) {
    c_.keys(root, "", "the top level", root_keys);
    parse_scenario(root);
    parse_tree(root);
    if (tree_scenario_) {
      for (std::string_view key : {"model", "env"}) {
        if (const toml::node* n = Checker::find(root, key)) {
          c_.error(*n, fmt::format("{}: a scenario with a tree takes no [{}] (it configures the token trio)", key, key));
        }
      }
    } else {
      if (const toml::table* t = c_.table(root, "", "model")) parse_model(*t);
      if (const toml::table* t = c_.table(root, "", "env")) parse_env(*t);
    }
    parse_clients(root);
    parse_faults(root);
    if (const toml::table* t = c_.table(root, "", "properties")) {
      parse_properties(*t);
    } else if (Checker::find(root, "properties") == nullptr) {
      default_tree_properties();
    }
    if (const toml::table* t = c_.table(root, "", "explore")) parse_explore(*t);
  }

  /// The error of the tree file (reported when the scenario itself has none).
  const std::optional<ParseError>& tree_error() const { return tree_error_; }
  /// The tree file as toml++ writes it back ("" for none), for the content hash.
  const std::string& tree_canonical() const { return tree_canonical_; }

 private:
  void parse_scenario(const toml::table& root) {
    if (Checker::find(root, "scenario") == nullptr) {
      c_.missing(Pos{}, "[scenario]: required table missing (it needs at least name and description)");
      return;
    }
    const toml::table* t = c_.table(root, "", "scenario");
    if (t == nullptr) return;
    const std::string path = "scenario";
    c_.keys(*t, path, "[scenario]", scenario_keys);
    if (c_.require(*t, path, "name")) {
      if (std::optional<std::string> name = c_.string(*t, path, "name")) {
        if (valid_scenario_name(*name)) {
          spec_.name = *name;
        } else {
          c_.error(*Checker::find(*t, "name"),
                   fmt::format("scenario.name: '{}' is not a valid name (use lower-case letters, digits, '_' and '-')",
                               *name));
        }
      }
    }
    if (c_.require(*t, path, "description")) {
      if (std::optional<std::string> d = c_.name(*t, path, "description")) {
        if (d->find_first_of("\r\n") != std::string::npos) {
          c_.error(*Checker::find(*t, "description"), "scenario.description: must be one line");
        } else {
          spec_.description = *d;
        }
      }
    }
    if (auto v = c_.duration(*t, path, "settle_ms", 1000, 0)) spec_.settle_us = *v;
    if (auto v = c_.duration(*t, path, "liveness_bound_ms", 1000, 1)) spec_.liveness_bound_us = *v;
    if (Checker::find(*t, "tree") != nullptr) {
      tree_scenario_ = true;
      if (auto v = c_.name(*t, path, "tree")) {
        spec_.tree_file = *v;
        tree_file_node_ = Checker::find(*t, "tree");
      }
    }
  }

  /// The tree under test: the file [scenario].tree names, or the inline
  /// [tree], [templates.ID] and [behaviour.NAME] tables.
  void parse_tree(const toml::table& root) {
    const toml::node* inline_table = nullptr;
    for (std::string_view key : tree_tables) {
      if (const toml::node* n = Checker::find(root, key); n != nullptr && inline_table == nullptr) inline_table = n;
    }
    if (tree_file_node_ != nullptr) {
      if (inline_table != nullptr) {
        c_.error(*inline_table, "tree: the tree is in the file scenario.tree names; declare it there or inline, not both");
        return;
      }
      std::string why;
      std::optional<std::string> text = read_tree_file(spec_.source, spec_.tree_file, why);
      if (!text) {
        c_.error(*tree_file_node_, fmt::format("scenario.tree: cannot read the tree file '{}': {}", spec_.tree_file, why));
        return;
      }
      auto parsed = parse_tree_file(*text, tree_file_display(spec_.source, spec_.tree_file), &tree_canonical_);
      if (auto* e = std::get_if<ParseError>(&parsed)) {
        tree_error_ = *e;
        return;
      }
      spec_.tree = std::make_shared<const core::tree::TreeSpec>(std::get<core::tree::TreeSpec>(std::move(parsed)));
      return;
    }
    if (inline_table == nullptr) return;
    tree_scenario_ = true;
    core::tree::TreeSpec tree = parse_tree_tables(root, c_);
    validate_tree(tree, root, c_);
    if (c_.ok()) spec_.tree = std::make_shared<const core::tree::TreeSpec>(std::move(tree));
  }

  void parse_model(const toml::table& t) {
    const std::string path = "model";
    c_.keys(t, path, "[model]", model_keys);
    core::tokens::Knobs& knobs = spec_.model.knobs;
    if (auto v = c_.integer(t, path, "ttl_s", 1)) knobs.ttl_s = *v;
    // The acquire timeout is cli_timeout + 5 s, in microseconds: keep it finite.
    if (auto v = c_.integer(t, path, "cli_timeout_ms", 1, std::numeric_limits<std::int64_t>::max() / 1000 - 5000)) {
      knobs.cli_timeout_ms = *v;
    }
    if (auto v = c_.integer(t, path, "soft_refresh_lead_s", 0)) knobs.soft_refresh_lead_s = *v;
    if (auto v = c_.boolean(t, path, "use_task_sup")) knobs.use_task_sup = *v;
    std::vector<std::string> seen;
    const auto mutants = c_.strings(t, path, "mutants");
    for (std::size_t i = 0; i < mutants.size(); ++i) {
      const auto& [node, text] = mutants[i];
      const std::string where = fmt::format("model.mutants[{}]", i);
      const std::optional<core::tokens::Mutant> m = core::tokens::mutant_from_name(text);
      if (!m) {
        c_.error(*node, fmt::format("{}: unknown mutant '{}' (expected one of: {})", where, text, mutant_list()));
      } else if (std::find(seen.begin(), seen.end(), text) != seen.end()) {
        c_.error(*node, fmt::format("{}: mutant '{}' is listed twice", where, text));
      } else {
        seen.push_back(text);
        spec_.model.mutants.enable(*m);
      }
    }
  }

  void parse_env(const toml::table& t) {
    const std::string path = "env";
    c_.keys(t, path, "[env]", env_keys);
    EnvSpec& env = spec_.env;
    if (auto v = c_.boolean(t, path, "read_config_file")) env.read_config_file = *v;
    if (auto v = c_.duration(t, path, "clock_offset_s", 1'000'000, std::numeric_limits<std::int64_t>::min())) {
      env.clock_offset_us = *v;
    }
    if (auto v = c_.string(t, path, "config_file")) env.config_file = *v;
    if (const toml::table* s = c_.table(t, path, "storage")) parse_storage(*s);
    if (const toml::table* s = c_.table(t, path, "cli")) parse_cli(*s);
  }

  void parse_storage(const toml::table& t) {
    const std::string path = "env.storage";
    c_.keys(t, path, "[env.storage]", storage_keys);
    EnvSpec& env = spec_.env;
    if (auto v = c_.boolean(t, path, "durable")) env.storage_durable = *v;
    if (auto v = c_.boolean(t, path, "fail_put")) env.storage_faults.fail_put = *v;
    if (auto v = c_.boolean(t, path, "fail_get")) env.storage_faults.fail_get = *v;
    if (auto v = c_.duration(t, path, "get_latency_ms", 1000, 0)) env.storage_faults.get_latency_us = *v;
    if (auto v = c_.duration(t, path, "put_latency_ms", 1000, 0)) env.storage_faults.put_latency_us = *v;

    const auto rows = c_.tables(t, path, "rows", "an array of tables ({ app = ..., key = ..., token = ... })");
    const std::string rows_path = child(path, "rows");
    std::set<std::pair<std::string, core::tokens::StorageKey>> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i] == nullptr) continue;
      const toml::table& r = *rows[i];
      const std::string rp = at_index(rows_path, i);
      c_.keys(r, rp, "a storage row", row_keys);
      StorageRowSpec row;
      bool good = true;
      if (c_.require(r, rp, "app")) {
        if (auto v = c_.name(r, rp, "app")) row.app = *v; else good = false;
      } else {
        good = false;
      }
      std::optional<core::tokens::StorageKey> key;
      if (c_.require(r, rp, "key")) {
        if (auto v = c_.string(r, rp, "key")) {
          if (*v == "cached") {
            key = core::tokens::StorageKey::cached;
          } else if (*v == "manual") {
            key = core::tokens::StorageKey::manual;
          } else {
            c_.error(*Checker::find(r, "key"),
                     fmt::format("{}.key: unknown storage key '{}' (expected cached or manual)", rp, *v));
          }
        }
      }
      if (!key) good = false; else row.key = *key;
      if (c_.require(r, rp, "token")) {
        if (auto v = c_.name(r, rp, "token")) row.token = *v; else good = false;
      } else {
        good = false;
      }
      const toml::node* expires = Checker::find(r, "expires_at_s");
      if (key == core::tokens::StorageKey::cached) {
        if (expires == nullptr) {
          c_.missing(r, fmt::format("{}.expires_at_s: required key missing (a cached row expires; "
                                  "give the system time in seconds)", rp));
          good = false;
        } else if (auto v = c_.integer(*expires, child(rp, "expires_at_s"))) {
          row.expires_at_s = *v;
        } else {
          good = false;
        }
      } else if (key == core::tokens::StorageKey::manual && expires != nullptr) {
        c_.error(*expires, fmt::format("{}.expires_at_s: a manual row never expires; remove expires_at_s", rp));
        good = false;
      }
      if (!good) continue;
      const auto id = std::pair(row.app, row.key);
      if (!seen.insert(id).second) {
        c_.error(r, fmt::format("{}: a second row for app '{}', key '{}'", rp, row.app,
                                core::tokens::storage_key_name(row.key)));
        continue;
      }
      env.storage_rows.push_back(std::move(row));
    }
  }

  /// The keys of one CLI behaviour, into `cli` (starting from its value).
  void parse_cli_behaviour(const toml::table& t, std::string_view path, core::tokens::CliBehaviour& cli) {
    if (auto v = c_.duration(t, path, "latency_ms", 1000, 0)) cli.latency_us = *v;
    if (auto v = c_.integer(t, path, "exit_code", 0, 255)) cli.exit_code = static_cast<int>(*v);
    if (auto v = c_.string(t, path, "output")) cli.output = *v;
    if (auto v = c_.boolean(t, path, "hang")) cli.hang = *v;
    if (auto v = c_.boolean(t, path, "missing")) cli.missing = *v;
  }

  void parse_cli(const toml::table& t) {
    const std::string path = "env.cli";
    c_.keys(t, path, "[env.cli]", cli_keys);
    parse_cli_behaviour(t, path, spec_.env.cli);
    const toml::table* apps = c_.table(t, path, "apps");
    if (apps == nullptr) return;
    const std::string apps_path = child(path, "apps");
    for (auto&& [key, node] : *apps) {
      const std::string ap = child(apps_path, key.str());
      const toml::table* a = node.as_table();
      if (a == nullptr) {
        c_.wrong_type(node, ap, fmt::format("a table ([{}])", ap));
        continue;
      }
      if (key.str().empty()) {
        c_.error(pos_of(key), fmt::format("{}: the app name must not be empty", ap));
        continue;
      }
      c_.keys(*a, ap, fmt::format("[{}]", ap), cli_app_keys);
      // An app's CLI starts as [env.cli] and overrides the keys it gives.
      core::tokens::CliBehaviour cli = spec_.env.cli;
      parse_cli_behaviour(*a, ap, cli);
      spec_.env.cli_per_app[std::string(key.str())] = cli;
    }
  }

  void parse_clients(const toml::table& root) {
    const auto clients = c_.tables(root, "", "client", "an array of tables ([[client]])");
    std::map<std::string, std::size_t> names;  // name -> index (a map: 100,000 clients check in n log n)
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (clients[i] == nullptr) continue;
      const toml::table& t = *clients[i];
      const std::string path = at_index("client", i);
      c_.keys(t, path, "[[client]]", client_keys);
      ClientSpec client;
      if (c_.require(t, path, "name")) {
        if (auto v = c_.name(t, path, "name")) {
          auto [same, inserted] = names.try_emplace(*v, i);
          if (!inserted) {
            c_.error(*Checker::find(t, "name"),
                     fmt::format("{}.name: duplicate client name '{}' (client[{}] has it)", path, *v, same->second));
          }
          client.name = *v;
        }
      }
      if (auto v = c_.integer(t, path, "count", 1, max_client_count)) client.count = static_cast<std::uint64_t>(*v);
      if (auto v = c_.duration(t, path, "start_ms", 1000, 0)) client.start_us = *v;
      if (auto v = c_.integer(t, path, "repeat", 1)) client.repeat = static_cast<std::uint64_t>(*v);
      if (auto v = c_.duration(t, path, "every_ms", 1000, 0)) client.every_us = *v;
      if (c_.require(t, path, "calls")) {
        const auto calls = c_.tables(t, path, "calls", "an array of calls ([ { op = \"get\", app = \"a\" } ])");
        if (calls.empty() && Checker::find(t, "calls")->is_array()) {
          c_.error(*Checker::find(t, "calls"), fmt::format("{}.calls: a client needs at least one call", path));
        }
        for (std::size_t k = 0; k < calls.size(); ++k) {
          if (calls[k] != nullptr) client.calls.push_back(parse_call(*calls[k], at_index(child(path, "calls"), k)));
        }
      }
      spec_.clients.push_back(std::move(client));
    }
  }

  /// A client operation of a tree scenario: call | cast | send (to,
  /// request; a call also timeout_ms and catch) or sleep (sleep_ms).
  CallSpec parse_tree_call(const toml::table& t, const std::string& path) {
    c_.keys(t, path, "a call", tree_call_keys);
    CallSpec call;
    std::optional<std::string> op;
    if (c_.require(t, path, "op")) {
      if (auto v = c_.string(t, path, "op")) {
        if (*v == "call" || *v == "cast" || *v == "send" || *v == "sleep") {
          op = *v;
          call.op = *v;
        } else {
          c_.error(*Checker::find(t, "op"),
                   fmt::format("{}.op: unknown op '{}' (a tree's clients: {})", path, *v, tree_op_list));
        }
      }
    }
    if (!op) return call;
    const auto refuse = [&](std::string_view key, std::string_view who) {
      if (const toml::node* n = Checker::find(t, key)) {
        c_.error(*n, fmt::format("{}.{}: only {} takes {}, not {}", path, key, who, key, *op));
      }
    };
    if (*op == "sleep") {
      for (std::string_view key : {"to", "request"}) refuse(key, "call, cast and send");
      if (c_.require(t, path, "sleep_ms")) {
        if (auto v = c_.duration(t, path, "sleep_ms", 1000, 0)) call.timeout_us = *v;
      }
    } else {
      refuse("sleep_ms", "sleep");
      if (c_.require(t, path, "to")) {
        if (auto v = term_value(t, path, "to")) {
          const bool via = v->is_tuple() && v->size() == 3 && (*v)[0].is_atom("via") && (*v)[1].is_atom();
          if (v->is_atom() || via) {
            call.to = *v;
          } else {
            c_.error(*Checker::find(t, "to"),
                     fmt::format("{}.to: expected a registered name ('cache') or {{via, Registry, Key}}", path));
          }
        }
      }
      if (c_.require(t, path, "request")) {
        if (auto v = term_value(t, path, "request")) call.request = *v;
      }
    }
    if (*op == "call") {
      if (auto v = c_.duration(t, path, "timeout_ms", 1000, 0)) call.timeout_us = *v;
      if (auto v = c_.boolean(t, path, "catch")) call.catch_exit = *v;
    } else {
      refuse("timeout_ms", "call");
      refuse("catch", "call");
    }
    return call;
  }

  /// A term written in the term syntax (term_text.hpp), reported at its value.
  std::optional<sim::Term> term_value(const toml::table& t, std::string_view path, std::string_view key) {
    std::optional<std::string> text = c_.string(t, path, key);
    if (!text) return std::nullopt;
    auto parsed = parse_term(*text);
    if (auto* e = std::get_if<TermError>(&parsed)) {
      c_.error(column_in_string(*Checker::find(t, key), text->size(), e->column),
               fmt::format("{}: {} (at column {} of '{}')", child(path, key), e->message, e->column, *text));
      return std::nullopt;
    }
    return std::get<sim::Term>(std::move(parsed));
  }

  CallSpec parse_call(const toml::table& t, const std::string& path) {
    if (tree_scenario_) return parse_tree_call(t, path);
    c_.keys(t, path, "a call", call_keys);
    CallSpec call;
    std::optional<std::string> op;
    if (c_.require(t, path, "op")) {
      if (auto v = c_.string(t, path, "op")) {
        if (core::tokens::valid_op(*v)) {
          op = *v;
          call.op = *v;
        } else {
          c_.error(*Checker::find(t, "op"), fmt::format("{}.op: unknown op '{}' (expected one of: {})", path, *v, op_list));
        }
      }
    }
    if (c_.require(t, path, "app")) {
      if (auto v = c_.name(t, path, "app")) call.app = *v;
    }
    const toml::node* token = Checker::find(t, "token");
    if (op == "set_manual") {
      if (token == nullptr) {
        c_.missing(t, fmt::format("{}.token: required key missing (set_manual needs the token to store)", path));
      } else if (auto v = c_.string(*token, child(path, "token"))) {
        call.token = *v;
      }
    } else if (op && token != nullptr) {
      c_.error(*token, fmt::format("{}.token: only set_manual takes a token, not {}", path, *op));
    }
    return call;
  }

  void parse_faults(const toml::table& root) {
    const auto faults = c_.tables(root, "", "fault", "an array of tables ([[fault]])");
    for (std::size_t i = 0; i < faults.size(); ++i) {
      if (faults[i] != nullptr) parse_fault(*faults[i], at_index("fault", i));
    }
  }

  /// A process target for `path`, or nullopt (reported).
  std::optional<faults::Target> target(const toml::table& t, const std::string& path, std::string_view key) {
    std::optional<std::string> text = c_.string(t, path, key);
    if (!text) return std::nullopt;
    std::string why;
    std::optional<faults::Target> target = faults::Target::parse(*text, why, tree_scenario_);
    if (!target) {
      c_.error(*Checker::find(t, key), fmt::format("{}: {}", child(path, key), why));
      return std::nullopt;
    }
    if (tree_scenario_) {
      if (!target->is_process()) {
        c_.error(*Checker::find(t, key), fmt::format("{}: a tree scenario has no environment to fault ({} is the "
                                                     "trio's); name a path in the tree", child(path, key), *text));
        return std::nullopt;
      }
      if (spec_.tree && !tree_target_exists(*target, *Checker::find(t, key), child(path, key))) return std::nullopt;
    }
    return target;
  }

  /// True if the tree has the node a path or any_child target names
  /// (any_child: a supervisor of some kind); else reported at `at`.
  bool tree_target_exists(const faults::Target& target, const toml::node& at, const std::string& where) {
    using TK = faults::Target::Kind;
    if (target.kind != TK::path && target.kind != TK::any_child) {
      c_.error(at, fmt::format("{}: {} is one of the trio's processes; name a path in the tree ({})", where,
                               target.name(), join(spec_.tree->paths())));
      return false;
    }
    const core::tree::Node* node = spec_.tree->find(target.app);
    if (node == nullptr) {
      c_.error(at, fmt::format("{}: no node at path '{}' (the tree's paths: {})", where, target.app,
                               join(spec_.tree->paths())));
      return false;
    }
    using NK = core::tree::NodeKind;
    if (target.kind == TK::any_child && node->kind != NK::supervisor && node->kind != NK::dynamic_supervisor &&
        node->kind != NK::task_supervisor) {
      c_.error(at, fmt::format("{}: '{}' has no children (any_child:PATH names a supervisor, DynamicSupervisor or "
                               "Task.Supervisor)", where, target.app));
      return false;
    }
    return true;
  }

  void parse_fault(const toml::table& t, const std::string& path) {
    c_.keys(t, path, "[[fault]]", fault_keys);
    faults::Fault fault;
    if (auto v = c_.string(t, path, "name")) fault.name = *v;

    std::optional<faults::Target> target;
    if (c_.require(t, path, "target")) target = this->target(t, path, "target");
    if (target) fault.target = *target;

    std::optional<faults::Action::Kind> action;
    if (c_.require(t, path, "action")) {
      if (auto v = c_.string(t, path, "action")) {
        action = faults::Action::parse(*v);
        if (!action) {
          c_.error(*Checker::find(t, "action"),
                   fmt::format("{}.action: unknown action '{}' (expected one of: {})", path, *v, action_list()));
        }
      }
    }
    if (action) fault.action.kind = *action;
    if (action && target && !fault.action.fits(*target)) {
      c_.error(*Checker::find(t, "action"),
               fmt::format("{}.action: {} does not apply to target {} (it takes: {})", path, fault.action.name(),
                           target->name(), faults::expected_actions(*target)));
    }

    using AK = faults::Action::Kind;
    // Keys that only some actions take; checked once the action is known.
    if (action) {
      const bool takes_reason = *action == AK::kill || *action == AK::crash_on_next_message;
      if (const toml::node* n = Checker::find(t, "reason"); n != nullptr && !takes_reason) {
        c_.error(*n, fmt::format("{}.reason: only kill and crash_on_next_message take a reason, not {}", path,
                                 fault.action.name()));
      } else if (auto v = c_.name(t, path, "reason")) {
        fault.action.reason = sim::Term(sim::Atom(*v));
      }

      const bool takes_duration = *action == AK::storage_slow || *action == AK::cli_slow || *action == AK::clock_jump ||
                                  *action == AK::busy;
      if (takes_duration) {
        if (c_.require(t, path, "duration_ms")) {
          const std::int64_t min = *action == AK::clock_jump ? std::numeric_limits<std::int64_t>::min() : 0;
          if (auto v = c_.duration(t, path, "duration_ms", 1000, min)) fault.action.duration_us = *v;
        }
      } else if (const toml::node* n = Checker::find(t, "duration_ms")) {
        c_.error(*n, fmt::format("{}.duration_ms: only storage_slow, cli_slow, clock_jump and busy take a duration, not {}",
                                 path, fault.action.name()));
      }

      if (const toml::node* n = Checker::find(t, "exit_code"); n != nullptr && *action != AK::cli_fail) {
        c_.error(*n, fmt::format("{}.exit_code: only cli_fail takes an exit code, not {}", path, fault.action.name()));
      } else if (auto v = c_.integer(t, path, "exit_code", 1, 255)) {
        fault.action.exit_code = static_cast<int>(*v);
      }

      if (const toml::node* n = Checker::find(t, "heal_after_ms"); n != nullptr && !fault.action.heals()) {
        c_.error(*n, fmt::format("{}.heal_after_ms: {} cannot be undone (only storage_*, cli_* and clock_jump heal)",
                                 path, fault.action.name()));
      } else if (auto v = c_.duration(t, path, "heal_after_ms", 1000, 0)) {
        fault.action.heal_after_us = *v;
      }
    }

    // The trigger: exactly one of at_ms, at_step, on_receive, probability.
    std::vector<std::pair<std::string_view, const toml::node*>> given;
    for (std::string_view k : trigger_keys) {
      if (const toml::node* n = Checker::find(t, k)) given.emplace_back(k, n);
    }
    std::sort(given.begin(), given.end(), [](const auto& a, const auto& b) {
      const Pos pa = pos_of(*a.second), pb = pos_of(*b.second);
      return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
    });
    faults::Trigger& trigger = fault.trigger;
    bool trigger_ok = false;
    if (given.empty()) {
      c_.missing(t, fmt::format("{}: no trigger; give exactly one of {}", path, join(", ", trigger_keys)));
    } else if (given.size() > 1) {
      c_.error(*given[1].second, fmt::format("{}.{}: a fault has exactly one trigger, and {} is already given", path,
                                             given[1].first, given[0].first));
    } else {
      const std::string_view kind = given[0].first;
      trigger_ok = true;
      if (kind == "at_ms") {
        trigger.kind = faults::Trigger::Kind::at_time;
        if (auto v = c_.duration(t, path, "at_ms", 1000, 0)) trigger.at_us = *v; else trigger_ok = false;
      } else if (kind == "at_step") {
        trigger.kind = faults::Trigger::Kind::at_step;
        if (auto v = c_.integer(t, path, "at_step", 0)) trigger.at_step = static_cast<std::uint64_t>(*v);
        else trigger_ok = false;
      } else if (kind == "on_receive") {
        trigger.kind = faults::Trigger::Kind::on_receive;
        if (auto v = c_.string(t, path, "on_receive")) trigger.match = *v; else trigger_ok = false;
      } else {
        trigger.kind = faults::Trigger::Kind::probability;
        if (auto v = c_.number(t, path, "probability")) {
          if (*v > 0 && *v <= 1) {
            trigger.probability = *v;
          } else {
            c_.error(*given[0].second,
                     fmt::format("{}.probability: must be in (0, 1] (a chance per scheduling point), got {}", path, *v));
            trigger_ok = false;
          }
        } else {
          trigger_ok = false;
        }
      }
    }
    const bool on_receive = trigger_ok && trigger.kind == faults::Trigger::Kind::on_receive;
    if (const toml::node* n = Checker::find(t, "receiver")) {
      if (!on_receive) {
        if (given.size() == 1 && given[0].first != "on_receive") {
          c_.error(*n, fmt::format("{}.receiver: only an on_receive trigger takes a receiver", path));
        }
      } else if (std::optional<faults::Target> r = this->target(t, path, "receiver")) {
        if (!r->is_process()) {
          c_.error(*n, fmt::format("{}.receiver: {} is not a process (expected top, registry, ets_owner, task_sup, "
                                   "dyn_sup, app:NAME or any_app)", path, r->name()));
        }
        trigger.receiver = *r;
      }
    } else if (on_receive && target) {
      if (target->is_process()) {
        trigger.receiver = *target;
      } else {
        c_.error(*Checker::find(t, "on_receive"),
                 fmt::format("{}.on_receive: the target {} is not a process; name the process whose messages trigger "
                             "the fault with receiver = \"...\"", path, target->name()));
      }
    }

    if (auto v = c_.integer(t, path, "after", 0)) trigger.after = static_cast<std::uint64_t>(*v);
    if (auto v = c_.integer(t, path, "max_fires", 1)) trigger.max_fires = static_cast<std::uint64_t>(*v);
    parse_window(t, path, trigger);

    // every_ms: an at_ms trigger repeated max_fires times, every_ms apart.
    Micros every_us = 0;
    if (const toml::node* n = Checker::find(t, "every_ms")) {
      if (trigger_ok && trigger.kind != faults::Trigger::Kind::at_time) {
        c_.error(*n, fmt::format("{}.every_ms: only an at_ms trigger repeats", path));
      } else if (auto v = c_.duration(t, path, "every_ms", 1000, 1)) {
        if (trigger.max_fires > static_cast<std::uint64_t>(max_periodic_fires)) {
          c_.error(*Checker::find(t, "max_fires"),
                   fmt::format("{}.max_fires: a periodic fault fires at most {} times, got {}", path,
                               max_periodic_fires, trigger.max_fires));
        } else if ((std::numeric_limits<Micros>::max() - trigger.at_us) / *v <
                   static_cast<Micros>(trigger.max_fires)) {
          c_.error(*n, fmt::format("{}.every_ms: the last firing would be past the end of time", path));
        } else {
          every_us = *v;
        }
      }
    }

    if (!c_.ok()) return;  // the backstop below is for a fault that passed every check
    if (std::optional<std::string> why = faults::validate(fault)) {
      c_.error(t, fmt::format("{}: {}", path, *why));
      return;
    }
    const std::uint64_t fires = every_us == 0 ? 1 : trigger.max_fires;
    if (spec_.faults.faults.size() + fires > max_expanded_faults) {
      const toml::node* at = every_us == 0 ? nullptr : Checker::find(t, "max_fires");
      if (at == nullptr) at = &t;
      c_.error(*at, fmt::format("{}: a scenario has at most {} faults, counting each firing of a periodic fault "
                                "(every_ms) as one; this one brings it to {}",
                                path, max_expanded_faults, spec_.faults.faults.size() + fires));
      return;
    }
    if (every_us == 0) {
      spec_.faults.faults.push_back(std::move(fault));
      return;
    }
    for (std::uint64_t k = 0; k < fires; ++k) {
      faults::Fault copy = fault;
      copy.trigger.at_us = trigger.at_us + static_cast<Micros>(k) * every_us;
      copy.trigger.max_fires = 1;
      spec_.faults.faults.push_back(std::move(copy));
    }
  }

  void parse_window(const toml::table& t, const std::string& path, faults::Trigger& trigger) {
    const toml::array* w = c_.array(t, path, "window_ms");
    if (w == nullptr) return;
    const std::string wp = child(path, "window_ms");
    if (w->size() != 2) {
      c_.error(*w, fmt::format("{}: expected [from, until] in milliseconds, got {} element(s)", wp, w->size()));
      return;
    }
    std::array<Micros, 2> bounds{};
    constexpr std::int64_t limit = std::numeric_limits<Micros>::max() / 1000;
    for (std::size_t i = 0; i < 2; ++i) {
      const toml::node& n = *w->get(i);
      std::optional<std::int64_t> v = c_.integer(n, at_index(wp, i));
      if (!v) return;
      if (*v < 0 || *v > limit) {
        c_.error(n, Checker::range_message(at_index(wp, i), *v, 0, limit));
        return;
      }
      bounds[i] = *v * 1000;
    }
    if (bounds[1] < bounds[0]) {
      c_.error(*w->get(1), fmt::format("{}: the window ends ({} ms) before it starts ({} ms)", wp, bounds[1] / 1000,
                                       bounds[0] / 1000));
      return;
    }
    trigger.from_us = bounds[0];
    trigger.until_us = bounds[1];
  }

  void parse_properties(const toml::table& t) {
    const std::string path = "properties";
    c_.keys(t, path, "[properties]", properties_keys);
    const auto check = c_.strings(t, path, "check");
    for (std::size_t i = 0; i < check.size(); ++i) {
      const auto& [node, name] = check[i];
      const std::string where = fmt::format("properties.check[{}]", i);
      if (std::find(known().begin(), known().end(), name) == known().end()) {
        c_.error(*node, fmt::format("{}: unknown property '{}' (expected one of: {})", where, name,
                                    join(known())));
      } else if (std::find(spec_.properties.begin(), spec_.properties.end(), name) != spec_.properties.end()) {
        c_.error(*node, fmt::format("{}: property '{}' is listed twice", where, name));
      } else {
        spec_.properties.push_back(name);
        spec_.expect[name] = true;
      }
    }
    if (Checker::find(t, "check") == nullptr) default_tree_properties();
    const auto violated = c_.strings(t, path, "expect_violated");
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < violated.size(); ++i) {
      const auto& [node, name] = violated[i];
      const std::string where = fmt::format("properties.expect_violated[{}]", i);
      const bool is_known = std::find(known().begin(), known().end(), name) != known().end();
      if (!is_known) {
        c_.error(*node, fmt::format("{}: unknown property '{}' (expected one of: {})", where, name,
                                    join(known())));
      } else if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        c_.error(*node, fmt::format("{}: property '{}' is listed twice", where, name));
      } else if (std::find(spec_.properties.begin(), spec_.properties.end(), name) == spec_.properties.end()) {
        c_.error(*node, fmt::format("{}: '{}' is not in properties.check (expect_violated is a subset of check)",
                                    where, name));
      } else {
        seen.push_back(name);
        spec_.expect[name] = false;
      }
    }
  }

  void parse_explore(const toml::table& t) {
    const std::string path = "explore";
    c_.keys(t, path, "[explore]", explore_keys);
    ExploreSpec& e = spec_.explore;
    if (auto v = c_.string(t, path, "strategy")) {
      if (std::find(strategy_names.begin(), strategy_names.end(), *v) != strategy_names.end()) {
        e.strategy = *v;
      } else {
        c_.error(*Checker::find(t, "strategy"),
                 fmt::format("explore.strategy: unknown strategy '{}' (expected one of: {})", *v, strategy_list()));
      }
    }
    if (auto v = c_.integer(t, path, "seeds", 1, max_seeds)) e.seeds = static_cast<std::uint64_t>(*v);
    if (auto v = c_.integer(t, path, "seed_base", 0)) e.seed_base = static_cast<std::uint64_t>(*v);
    if (auto v = c_.number(t, path, "budget_s")) {
      if (std::isfinite(*v) && *v >= 0) {
        e.budget_s = *v;
      } else {
        c_.error(*Checker::find(t, "budget_s"),
                 fmt::format("explore.budget_s: must be a number of seconds >= 0 (0: no budget), got {}", *v));
      }
    }
    if (auto v = c_.integer(t, path, "steps_max", 1)) e.steps_max = static_cast<std::uint64_t>(*v);
    // Simulated time stays below the horizon (core/tokens/checked_time.hpp),
    // so that now + any delay the kernel is handed cannot overflow.
    if (auto v = c_.duration(t, path, "time_max_s", 1'000'000, 1, core::tokens::time_horizon_us - 1)) e.time_max_us = *v;
    if (auto v = c_.integer(t, path, "pct_depth", 1)) e.pct_depth = static_cast<std::uint32_t>(std::min<std::int64_t>(*v, 64));
    if (auto v = c_.integer(t, path, "pct_steps", 1)) e.pct_steps = static_cast<std::uint64_t>(*v);
    if (auto v = c_.string(t, path, "reduction")) {
      if (sim::reduction_from_name(*v)) {
        e.dfs_reduction = *v;
      } else {
        c_.error(*Checker::find(t, "reduction"),
                 fmt::format("explore.reduction: unknown reduction '{}' (expected one of: optimal, dpor, sleep_sets, none)", *v));
      }
    }
    if (auto v = c_.integer(t, path, "preemption_bound", 0)) {
      e.dfs_preemption_bound = static_cast<std::uint32_t>(std::min<std::int64_t>(*v, 1'000'000));
    }
    if (auto v = c_.integer(t, path, "delay_bound", 0)) {
      e.dfs_delay_bound = static_cast<std::uint32_t>(std::min<std::int64_t>(*v, 1'000'000));
    }
    if (auto v = c_.boolean(t, path, "shrink")) e.shrink = *v;
    if (auto v = c_.string(t, path, "delivery")) {
      if (auto d = sim::delivery_from_name(*v)) {
        e.delivery = *d;
      } else {
        c_.error(*Checker::find(t, "delivery"),
                 fmt::format("explore.delivery: unknown delivery '{}' (expected async or instant)", *v));
      }
    }
  }

  /// A tree scenario that lists no properties checks every generic one,
  /// each expected to hold.
  void default_tree_properties() {
    if (!tree_scenario_) return;
    for (const std::string& name : context_.tree_properties) {
      spec_.properties.push_back(name);
      spec_.expect[name] = true;
    }
  }

  /// The properties this scenario may check: the trio's or a tree's.
  const std::vector<std::string>& known() const {
    return tree_scenario_ ? context_.tree_properties : context_.properties;
  }

  Checker& c_;
  const ParseContext& context_;
  ScenarioSpec& spec_;
  bool tree_scenario_ = false;  // [scenario].tree or an inline [tree]: no trio, tree clients and targets
  const toml::node* tree_file_node_ = nullptr;
  std::optional<ParseError> tree_error_;
  std::string tree_canonical_;
};

}  // namespace

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string ParseError::text() const {
  if (line <= 0) return escape_control(fmt::format("{}: {}", file, message));
  return escape_control(fmt::format("{}:{}:{}: {}", file, line, column, message));
}

std::span<const std::string_view> known_strategies() { return strategy_names; }

std::variant<ScenarioSpec, ParseError> parse_scenario(std::string_view text, std::string_view file_name,
                                                      const ParseContext& context) {
  try {
    toml::table root;
#if TOML_EXCEPTIONS
    try {
      root = toml::parse(text, std::string_view(file_name));
    } catch (const toml::parse_error& e) {
      const Pos p = pos_of(e.source());
      return ParseError{std::string(file_name), p.line, p.column,
                        fmt::format("TOML syntax error: {}", e.description())};
    }
#else
    toml::parse_result result = toml::parse(text, std::string_view(file_name));
    if (!result) {
      const Pos p = pos_of(result.error().source());
      return ParseError{std::string(file_name), p.line, p.column,
                        fmt::format("TOML syntax error: {}", result.error().description())};
    }
    root = std::move(result).table();
#endif
    Checker check(file_name);
    ScenarioSpec spec;
    spec.source = std::string(file_name);
    ScenarioParser parser(check, context, spec);
    parser.parse(root);
    if (!check.ok()) return check.first();
    if (parser.tree_error()) return *parser.tree_error();
    // A tree file is part of the scenario: editing it changes the hash.
    spec.content_hash = content_hash(root, parser.tree_canonical());
    return spec;
  } catch (const std::exception& e) {
    // Only resource exhaustion gets here; the contract is: never throw.
    return ParseError{std::string(file_name), 0, 0, fmt::format("internal error while parsing: {}", e.what())};
  }
}

std::variant<ScenarioSpec, ParseError> load_scenario_file(const std::string& path, const ParseContext& context) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return ParseError{path, 0, 0, "cannot read the file: it is a directory, not a scenario file"};
  }
  std::string why;
  std::optional<std::string> text = read_text(path, why);
  if (!text) {
    if (why.rfind("the file is larger", 0) == 0) return ParseError{path, 0, 0, why + ": not a scenario file"};
    return ParseError{path, 0, 0, fmt::format("cannot read the file: {}", why)};
  }
  return parse_scenario(*text, path, context);
}

}  // namespace otpsim::scenarios
