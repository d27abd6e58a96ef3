#include "scenarios/scenario_toml.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "core/tokens/env.hpp"
#include "scenarios/term_text.hpp"
#include "scenarios/tree_file.hpp"

namespace otpsim::scenarios {

namespace {

constexpr std::int64_t ms = 1000;
constexpr std::int64_t s = 1'000'000;

std::string format(const toml::table& t) {
  std::ostringstream out;
  out << toml::toml_formatter(t, toml::toml_formatter::default_flags & ~toml::format_flags::indentation);
  return out.str();
}

/// One top-level section as TOML text (toml++ quotes and escapes).
std::string section(std::string_view key, toml::node&& value) {
  toml::table root;
  root.insert(key, std::move(value));
  return format(root) + "\n\n";
}

/// `header`, then the plain keys of `t` in the order given (toml++ would
/// sort them: a reader wants name and description first), then any others.
std::string ordered(std::string_view header, const toml::table& t, std::initializer_list<std::string_view> order) {
  std::vector<std::string> keys(order.begin(), order.end());
  for (auto&& [key, value] : t) {
    (void)value;
    if (std::find(keys.begin(), keys.end(), key.str()) == keys.end()) keys.emplace_back(key.str());
  }
  std::string out = std::string(header) + "\n";
  for (const std::string& key : keys) {
    const toml::node* node = t.get(key);
    if (node == nullptr || node->is_table()) continue;
    toml::table one = t;
    for (auto it = one.begin(); it != one.end();) it = it->first.str() == key ? std::next(it) : one.erase(it);
    out += format(one) + "\n";
  }
  return out + "\n";
}

toml::array strings(const std::vector<std::string>& items) {
  toml::array a;
  for (const std::string& i : items) a.push_back(i);
  return a;
}

toml::table scenario_table(const ScenarioSpec& spec) {
  toml::table t{{"name", spec.name},
                {"description", spec.description},
                {"settle_ms", spec.settle_us / ms},
                {"liveness_bound_ms", spec.liveness_bound_us / ms}};
  return t;
}

toml::table model_table(const core::tokens::TrioConfig& model) {
  std::vector<std::string> mutants;
  for (core::tokens::Mutant m : model.mutants.list()) mutants.emplace_back(core::tokens::mutant_name(m));
  return toml::table{{"ttl_s", model.knobs.ttl_s},
                     {"cli_timeout_ms", model.knobs.cli_timeout_ms},
                     {"soft_refresh_lead_s", model.knobs.soft_refresh_lead_s},
                     {"use_task_sup", model.knobs.use_task_sup},
                     {"mutants", strings(mutants)}};
}

toml::table cli_table(const core::tokens::CliBehaviour& cli) {
  toml::table t{{"latency_ms", cli.latency_us / ms},
                {"exit_code", cli.exit_code},
                {"hang", cli.hang},
                {"missing", cli.missing}};
  if (cli.output) t.insert("output", *cli.output);
  return t;
}

toml::table env_table(const EnvSpec& env) {
  toml::table t{{"read_config_file", env.read_config_file}, {"clock_offset_s", env.clock_offset_us / s}};
  if (env.config_file) t.insert("config_file", *env.config_file);
  toml::array rows;
  for (const StorageRowSpec& r : env.storage_rows) {
    toml::table row{{"app", r.app}, {"key", std::string(core::tokens::storage_key_name(r.key))}, {"token", r.token}};
    if (r.expires_at_s) row.insert("expires_at_s", *r.expires_at_s);
    row.is_inline(true);
    rows.push_back(std::move(row));
  }
  t.insert("storage", toml::table{{"durable", env.storage_durable},
                                  {"fail_put", env.storage_faults.fail_put},
                                  {"fail_get", env.storage_faults.fail_get},
                                  {"get_latency_ms", env.storage_faults.get_latency_us / ms},
                                  {"put_latency_ms", env.storage_faults.put_latency_us / ms},
                                  {"rows", std::move(rows)}});
  toml::table cli = cli_table(env.cli);
  toml::table apps;
  for (const auto& [app, behaviour] : env.cli_per_app) apps.insert(app, cli_table(behaviour));
  if (!apps.empty()) cli.insert("apps", std::move(apps));
  t.insert("cli", std::move(cli));
  return t;
}

/// The clients; a tree's (`tree`) as call | cast | send | sleep.
toml::array clients_array(const std::vector<ClientSpec>& clients, bool tree) {
  toml::array out;
  for (const ClientSpec& c : clients) {
    toml::array calls;
    for (const CallSpec& call : c.calls) {
      toml::table t{{"op", call.op}};
      if (!tree) {
        t.insert("app", call.app);
        if (call.op == "set_manual") t.insert("token", call.token);
      } else if (call.op == "sleep") {
        t.insert("sleep_ms", call.timeout_us / ms);
      } else {
        t.insert("to", print_term(call.to));
        t.insert("request", print_term(call.request));
        if (call.op == "call") {
          t.insert("timeout_ms", call.timeout_us / ms);
          t.insert("catch", call.catch_exit);
        }
      }
      t.is_inline(true);
      calls.push_back(std::move(t));
    }
    out.push_back(toml::table{{"name", c.name},
                              {"count", static_cast<std::int64_t>(c.count)},
                              {"start_ms", c.start_us / ms},
                              {"repeat", static_cast<std::int64_t>(c.repeat)},
                              {"every_ms", c.every_us / ms},
                              {"calls", std::move(calls)}});
  }
  return out;
}

std::string reason_text(const sim::Term& reason) {
  if (reason.is_atom()) return std::string(reason.atom().text());
  return "kill";  // a default Term (0) stands for kill (faults/plan.hpp)
}

toml::table fault_table(const faults::Fault& f) {
  using AK = faults::Action::Kind;
  using TK = faults::Trigger::Kind;
  toml::table t{{"target", f.target.name()}, {"action", f.action.name()}};
  if (!f.name.empty()) t.insert("name", f.name);
  const AK a = f.action.kind;
  if (a == AK::kill || a == AK::crash_on_next_message) t.insert("reason", reason_text(f.action.reason));
  if (a == AK::storage_slow || a == AK::cli_slow || a == AK::clock_jump || a == AK::busy) {
    t.insert("duration_ms", f.action.duration_us / ms);
  }
  if (a == AK::cli_fail) t.insert("exit_code", f.action.exit_code);
  if (f.action.heals() && f.action.heal_after_us >= 0) t.insert("heal_after_ms", f.action.heal_after_us / ms);
  const faults::Trigger& tr = f.trigger;
  switch (tr.kind) {
    case TK::at_time: t.insert("at_ms", tr.at_us / ms); break;
    case TK::at_step: t.insert("at_step", static_cast<std::int64_t>(tr.at_step)); break;
    case TK::on_receive:
      t.insert("on_receive", tr.match);
      t.insert("receiver", tr.receiver.name());
      break;
    case TK::probability: t.insert("probability", tr.probability); break;
  }
  t.insert("after", static_cast<std::int64_t>(tr.after));
  t.insert("max_fires", static_cast<std::int64_t>(tr.max_fires));
  if (tr.from_us != 0 || tr.until_us != sim::infinity_us) {
    toml::array window;
    window.push_back(tr.from_us / ms);
    window.push_back(tr.until_us / ms);
    t.insert("window_ms", std::move(window));
  }
  return t;
}

toml::table properties_table(const ScenarioSpec& spec) {
  std::vector<std::string> violated;
  for (const std::string& p : spec.properties) {
    auto e = spec.expect.find(p);
    if (e != spec.expect.end() && !e->second) violated.push_back(p);
  }
  return toml::table{{"check", strings(spec.properties)}, {"expect_violated", strings(violated)}};
}

toml::table explore_table(const ExploreSpec& e) {
  toml::table t{{"strategy", e.strategy},
                {"seeds", static_cast<std::int64_t>(e.seeds)},
                {"seed_base", static_cast<std::int64_t>(e.seed_base)},
                {"budget_s", e.budget_s},
                {"steps_max", static_cast<std::int64_t>(e.steps_max)},
                {"time_max_s", e.time_max_us / s},
                {"pct_depth", static_cast<std::int64_t>(e.pct_depth)},
                {"pct_steps", static_cast<std::int64_t>(e.pct_steps)},
                {"delivery", std::string(sim::delivery_name(e.delivery))},
                {"reduction", e.dfs_reduction},
                {"shrink", e.shrink}};
  if (e.dfs_preemption_bound) t.insert("preemption_bound", static_cast<std::int64_t>(*e.dfs_preemption_bound));
  if (e.dfs_delay_bound) t.insert("delay_bound", static_cast<std::int64_t>(*e.dfs_delay_bound));
  return t;
}

}  // namespace

std::string to_toml(const ScenarioSpec& spec) {
  std::string out;
  out += ordered("[scenario]", scenario_table(spec), {"name", "description", "tree"});
  if (spec.tree) {
    // A tree scenario has no trio to configure. Its tree is written inline,
    // even one that came from a tree file: the written scenario stands
    // alone wherever it is saved (--save-shrunk DIR, a shrinker's reparse).
    out += tree_to_toml(*spec.tree) + "\n";
  } else {
    out += ordered("[model]", model_table(spec.model), {"mutants"});
    const toml::table env = env_table(spec.env);
    out += ordered("[env]", env, {});
    // The sub-tables with their full headers ([env.storage], [env.cli], ...).
    toml::table nested = env;
    for (auto it = nested.begin(); it != nested.end();) it = it->second.is_table() ? std::next(it) : nested.erase(it);
    out += section("env", std::move(nested));
  }
  for (const toml::node& c : clients_array(spec.clients, spec.tree != nullptr)) {
    out += ordered("[[client]]", *c.as_table(), {"name", "count", "start_ms", "repeat", "every_ms", "calls"});
  }
  for (const faults::Fault& f : spec.faults.faults) {
    out += ordered("[[fault]]", fault_table(f), {"name", "target", "action", "reason"});
  }
  out += ordered("[properties]", properties_table(spec), {"check", "expect_violated"});
  out += ordered("[explore]", explore_table(spec.explore), {"strategy", "seeds", "seed_base", "budget_s"});
  out.pop_back();  // one newline at the end
  return out;
}

}  // namespace otpsim::scenarios
