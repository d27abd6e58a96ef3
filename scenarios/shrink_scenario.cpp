#include "scenarios/shrink_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <variant>

#include "scenarios/library.hpp"
#include "scenarios/scenario_file.hpp"
#include "scenarios/scenario_toml.hpp"

namespace otpsim::scenarios {

namespace {

constexpr Micros ms = 1000;

bool violates(const RunReport& r, const std::string& property) {
  return std::any_of(r.verdicts.begin(), r.verdicts.end(),
                     [&](const PropertyVerdict& v) { return v.property == property && !v.held; });
}

/// One run of `spec` with `seed` under its seeded strategy (random for dfs,
/// which has none).
RunReport run_seed(const ScenarioSpec& spec, std::uint64_t seed) {
  if (seeded_strategy(spec, seed) != nullptr) return run_once(spec, seed, sim::TraceLevel::off);
  return run_with(spec, seeded_strategy(spec, "random", seed), "random", seed, sim::TraceLevel::off);
}

/// `spec` written out and parsed back: nullopt if it is not a valid file.
std::optional<ScenarioSpec> reparse(const ScenarioSpec& spec, std::string* text = nullptr) {
  std::string toml = to_toml(spec);
  auto parsed = parse_scenario(toml, spec.source, default_parse_context());
  if (std::holds_alternative<ParseError>(parsed)) return std::nullopt;
  if (text != nullptr) *text = std::move(toml);
  return std::get<ScenarioSpec>(std::move(parsed));
}

/// A time lowered toward 0 in whole milliseconds: 0, then half.
std::vector<Micros> lower_times(Micros t, Micros floor = 0) {
  std::vector<Micros> out;
  if (t <= floor) return out;
  out.push_back(floor);
  const Micros half = (t / ms / 2) * ms;
  if (half > floor && half < t) out.push_back(half);
  return out;
}

/// A count lowered toward `floor`: floor, half, one less.
std::vector<std::uint64_t> lower_counts(std::uint64_t n, std::uint64_t floor) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t v : {floor, n / 2, n - 1}) {
    if (n > floor && v >= floor && v < n && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

std::set<std::string> apps_called(const ScenarioSpec& spec) {
  std::set<std::string> apps;
  for (const ClientSpec& c : spec.clients) {
    for (const CallSpec& call : c.calls) apps.insert(call.app);
  }
  return apps;
}

using Candidates = std::vector<ScenarioSpec>;

// The passes: each lists the candidates one edit away from `s`, the
// biggest first.

Candidates drop_faults(const ScenarioSpec& s) {
  Candidates out;
  if (s.faults.faults.size() > 1) {
    ScenarioSpec c = s;
    c.faults.faults.clear();
    out.push_back(std::move(c));
  }
  for (std::size_t i = s.faults.faults.size(); i-- > 0;) {
    ScenarioSpec c = s;
    c.faults.faults.erase(c.faults.faults.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(c));
  }
  return out;
}

Candidates drop_clients(const ScenarioSpec& s) {
  Candidates out;
  for (std::size_t i = s.clients.size(); i-- > 0;) {
    ScenarioSpec c = s;
    c.clients.erase(c.clients.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(c));
  }
  return out;
}

Candidates lower_client_counts(const ScenarioSpec& s) {
  Candidates out;
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    for (std::uint64_t v : lower_counts(s.clients[i].count, 1)) {
      ScenarioSpec c = s;
      c.clients[i].count = v;
      out.push_back(std::move(c));
    }
    for (std::uint64_t v : lower_counts(s.clients[i].repeat, 1)) {
      ScenarioSpec c = s;
      c.clients[i].repeat = v;
      out.push_back(std::move(c));
    }
  }
  return out;
}

Candidates drop_calls(const ScenarioSpec& s) {
  Candidates out;
  for (std::size_t i = 0; i < s.clients.size(); ++i) {
    const std::size_t n = s.clients[i].calls.size();
    if (n < 2) continue;  // a client needs a call (drop the client instead)
    for (std::size_t k = n; k-- > 0;) {
      ScenarioSpec c = s;
      c.clients[i].calls.erase(c.clients[i].calls.begin() + static_cast<std::ptrdiff_t>(k));
      out.push_back(std::move(c));
    }
  }
  return out;
}

Candidates drop_env(const ScenarioSpec& s) {
  Candidates out;
  const std::set<std::string> used = apps_called(s);
  {
    // What no remaining call can reach, in one edit.
    ScenarioSpec c = s;
    std::erase_if(c.env.storage_rows, [&](const StorageRowSpec& r) { return !used.contains(r.app); });
    std::erase_if(c.env.cli_per_app, [&](const auto& kv) { return !used.contains(kv.first); });
    if (c.env.storage_rows.size() != s.env.storage_rows.size() || c.env.cli_per_app.size() != s.env.cli_per_app.size()) {
      out.push_back(std::move(c));
    }
  }
  for (std::size_t i = s.env.storage_rows.size(); i-- > 0;) {
    ScenarioSpec c = s;
    c.env.storage_rows.erase(c.env.storage_rows.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(c));
  }
  for (const auto& [app, behaviour] : s.env.cli_per_app) {
    (void)behaviour;
    ScenarioSpec c = s;
    c.env.cli_per_app.erase(app);
    out.push_back(std::move(c));
  }
  return out;
}

/// Every time field the pass lowers, as a pointer into the spec.
std::vector<Micros*> time_fields(ScenarioSpec& s) {
  std::vector<Micros*> f{&s.settle_us};
  if (!s.tree) {  // a tree scenario has no environment
    for (Micros* t : {&s.env.storage_faults.get_latency_us, &s.env.storage_faults.put_latency_us, &s.env.cli.latency_us}) {
      f.push_back(t);
    }
    for (auto& [app, cli] : s.env.cli_per_app) {
      (void)app;
      f.push_back(&cli.latency_us);
    }
  }
  for (ClientSpec& c : s.clients) {
    f.push_back(&c.start_us);
    f.push_back(&c.every_us);
  }
  for (faults::Fault& fault : s.faults.faults) {
    if (fault.trigger.kind == faults::Trigger::Kind::at_time) f.push_back(&fault.trigger.at_us);
    const auto a = fault.action.kind;
    if (a == faults::Action::Kind::storage_slow || a == faults::Action::Kind::cli_slow) f.push_back(&fault.action.duration_us);
    if (fault.action.heals() && fault.action.heal_after_us > 0) f.push_back(&fault.action.heal_after_us);
  }
  return f;
}

Candidates lower_time_fields(const ScenarioSpec& s) {
  Candidates out;
  ScenarioSpec probe = s;
  const std::size_t n = time_fields(probe).size();
  for (std::size_t i = 0; i < n; ++i) {
    for (Micros v : lower_times(*time_fields(probe)[i])) {
      ScenarioSpec c = s;
      *time_fields(c)[i] = v;
      out.push_back(std::move(c));
    }
  }
  if (s.tree) return out;  // a tree scenario has no model knobs
  // The CLI timeout (a model knob in ms, at least 1): 1 ms, then half.
  const std::int64_t timeout = s.model.knobs.cli_timeout_ms;
  for (std::int64_t v : {std::int64_t{1}, timeout / 2}) {
    if (v < 1 || v >= timeout || (v == timeout / 2 && v == 1)) continue;
    ScenarioSpec c = s;
    c.model.knobs.cli_timeout_ms = v;
    out.push_back(std::move(c));
  }
  return out;
}

Candidates lower_fault_counts(const ScenarioSpec& s) {
  Candidates out;
  for (std::size_t i = 0; i < s.faults.faults.size(); ++i) {
    for (std::uint64_t v : lower_counts(s.faults.faults[i].trigger.max_fires, 1)) {
      ScenarioSpec c = s;
      c.faults.faults[i].trigger.max_fires = v;
      out.push_back(std::move(c));
    }
    for (std::uint64_t v : lower_counts(s.faults.faults[i].trigger.after, 0)) {
      ScenarioSpec c = s;
      c.faults.faults[i].trigger.after = v;
      out.push_back(std::move(c));
    }
    if (s.faults.faults[i].trigger.kind == faults::Trigger::Kind::at_step) {
      for (std::uint64_t v : lower_counts(s.faults.faults[i].trigger.at_step, 0)) {
        ScenarioSpec c = s;
        c.faults.faults[i].trigger.at_step = v;
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

using Pass = Candidates (*)(const ScenarioSpec&);
constexpr Pass passes[] = {drop_faults, drop_clients, lower_client_counts, drop_calls,
                           drop_env,    lower_time_fields, lower_fault_counts};

class Shrinker {
 public:
  Shrinker(const std::string& property, const ScenarioShrinkOptions& options) : property_(property), options_(options) {
    if (!options_.elapsed_s) {
      const auto start = std::chrono::steady_clock::now();
      options_.elapsed_s = [start] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      };
    }
  }

  /// Tries a candidate: valid, and violated on a seed (the last violating
  /// seed first: the set tried is the same, so is the verdict).
  bool accept(const ScenarioSpec& candidate) {
    if (stopped()) return false;
    std::string text;
    std::optional<ScenarioSpec> parsed = reparse(candidate, &text);
    if (!parsed) return false;
    // An edit the file cannot express (it parses back to the scenario as it
    // is) is no edit: accepting it would loop until the run cap.
    if (text == current_text_) return false;
    std::vector<std::uint64_t> order{seed_};
    for (std::uint64_t s : seeds) {
      if (s != seed_ && !first_stage_) order.push_back(s);
    }
    std::optional<std::uint64_t> found =
        violating_seed(*parsed, property_, order, steps_cap, allow_cut_off, &runs, [this] { return stopped(); });
    if (!found) return false;
    current = std::move(*parsed);
    current_text_ = std::move(text);
    seed_ = *found;
    ++accepted;
    return true;
  }

  /// First every pass on the current seed alone (one run a candidate),
  /// then again on every seed: most edits keep the violation on the seed
  /// that had it, and a refused edit costs a run per seed tried.
  void run() {
    first_stage_ = true;
    run_passes();
    first_stage_ = false;
    run_passes();
  }

  void run_passes() {
    bool changed = true;
    while (changed && !stopped()) {
      changed = false;
      for (Pass pass : passes) {
        // Keep applying the pass while it finds an edit (it lists the
        // candidates again from the smaller scenario).
        bool again = true;
        while (again && !stopped()) {
          again = false;
          for (const ScenarioSpec& c : pass(current)) {
            if (accept(c)) {
              again = changed = true;
              break;
            }
            if (stopped()) break;
          }
        }
      }
    }
  }

  bool stopped() {
    if (hit_ || cap_hit_) return true;
    cap_hit_ = runs >= options_.max_runs;
    hit_ = !cap_hit_ && options_.budget_s > 0 && options_.elapsed_s() >= options_.budget_s;
    return hit_ || cap_hit_;
  }
  bool budget_hit() const { return hit_; }
  bool cap_hit() const { return cap_hit_; }
  void set_current(ScenarioSpec spec, std::string text) {
    current = std::move(spec);
    current_text_ = std::move(text);
  }
  std::uint64_t seed() const { return seed_; }
  void set_seed(std::uint64_t s) { seed_ = s; }

  ScenarioSpec current;
  std::vector<std::uint64_t> seeds;
  std::uint64_t steps_cap = 0;
  bool allow_cut_off = false;
  std::uint64_t runs = 0;
  std::uint64_t accepted = 0;

 private:
  const std::string& property_;
  ScenarioShrinkOptions options_;
  std::uint64_t seed_ = 0;
  bool first_stage_ = false;
  bool hit_ = false;
  bool cap_hit_ = false;
  std::string current_text_;  // to_toml(current): what an accepted edit must change
};

}  // namespace

ScenarioSize size_of(const ScenarioSpec& spec) {
  ScenarioSize z;
  z.client_entries = spec.clients.size();
  for (const ClientSpec& c : spec.clients) {
    z.clients += c.count;
    z.calls += c.count * c.repeat * c.calls.size();
  }
  z.faults = spec.faults.faults.size();
  z.rows = spec.env.storage_rows.size();
  return z;
}

std::string size_change(const ScenarioSize& b, const ScenarioSize& a) {
  std::string out = fmt::format("{} of {} clients", a.clients, b.clients);
  if (a.client_entries != b.client_entries) out += fmt::format(" ({} of {} [[client]])", a.client_entries, b.client_entries);
  if (a.faults != b.faults || b.faults > 0) out += fmt::format(", {} of {} faults", a.faults, b.faults);
  out += fmt::format(", {} of {} calls", a.calls, b.calls);
  if (a.rows != b.rows) out += fmt::format(", {} of {} storage rows", a.rows, b.rows);
  return out;
}

std::optional<std::uint64_t> violating_seed(const ScenarioSpec& spec, const std::string& property,
                                            const std::vector<std::uint64_t>& seeds, std::uint64_t steps_cap,
                                            bool allow_cut_off, std::uint64_t* runs,
                                            const std::function<bool()>& stop) {
  ScenarioSpec capped = spec;
  if (steps_cap > 0) capped.explore.steps_max = std::min(spec.explore.steps_max, steps_cap);
  for (std::uint64_t seed : seeds) {
    if (stop && stop()) return std::nullopt;
    if (runs != nullptr) ++*runs;
    RunReport r = run_seed(capped, seed);
    if (!allow_cut_off && r.result.outcome == sim::Outcome::step_limit) continue;
    if (violates(r, property)) return seed;
  }
  return std::nullopt;
}

std::optional<ShrunkScenario> shrink_scenario(const ScenarioSpec& spec, const std::string& property,
                                              std::uint64_t seed, const ScenarioShrinkOptions& options) {
  if (std::find(spec.properties.begin(), spec.properties.end(), property) == spec.properties.end()) return std::nullopt;
  RunReport original = run_seed(spec, seed);
  if (!violates(original, property)) return std::nullopt;
  Shrinker shrinker(property, options);
  shrinker.allow_cut_off = original.result.outcome == sim::Outcome::step_limit;
  shrinker.steps_cap = shrinker.allow_cut_off ? spec.explore.steps_max : original.result.steps * 2 + 1000;
  shrinker.seeds.push_back(seed);
  for (std::uint64_t k = 0; k < options.seeds; ++k) {
    const std::uint64_t s = spec.explore.seed_base + k;
    if (s != seed) shrinker.seeds.push_back(s);
  }
  shrinker.set_seed(seed);
  // Only the violated property is judged, and it is expected violated: the
  // saved file documents the finding (docs/scenarios.md).
  ScenarioSpec start = spec;
  start.name = fmt::format("{}-shrunk-{}", spec.name, property);
  start.properties = {property};
  start.expect = {{property, false}};
  start.explore.shrink = true;
  std::string start_text;
  std::optional<ScenarioSpec> parsed = reparse(start, &start_text);
  if (!parsed) return std::nullopt;  // cannot happen for a parsed spec: to_toml round-trips
  shrinker.set_current(std::move(*parsed), std::move(start_text));
  shrinker.run();

  ShrunkScenario out;
  out.before = size_of(spec);
  out.after = size_of(shrinker.current);
  out.seed = shrinker.seed();
  out.runs = shrinker.runs;
  out.accepted = shrinker.accepted;
  out.budget_hit = shrinker.budget_hit();
  out.cap_hit = shrinker.cap_hit();
  out.seeds = shrinker.seeds;
  out.steps_cap = shrinker.steps_cap;
  ScenarioSpec final_spec = std::move(shrinker.current);
  final_spec.description = fmt::format("shrunk by otpsim from scenario {} ({}): {} is violated", spec.name,
                                       size_change(out.before, out.after), property);
  // `otpsim run` on the saved file starts at the violating seed.
  final_spec.explore.seed_base = out.seed;
  final_spec.explore.seeds = std::min<std::uint64_t>(spec.explore.seeds, 20);
  std::optional<ScenarioSpec> saved = reparse(final_spec, &out.toml);
  if (!saved) return std::nullopt;
  // Comments do not count in the content hash: the header is free.
  out.toml = fmt::format(
      "# Shrunk by otpsim from scenario {} ({}): the smallest scenario found in\n"
      "# which {} is still violated. It expects the violation (expect_violated):\n"
      "# `otpsim run` on this file exits 0 while the bug is there, 1 once it is gone.\n\n{}",
      spec.name, escape_control(spec.source), property, out.toml);
  out.spec = std::move(*saved);
  RunReport run = run_seed(out.spec, out.seed);
  if (!violates(run, property)) return std::nullopt;  // cannot happen: the run is the accepted one's
  out.token = run.token;
  return out;
}

ShrunkCounterexample shrink_counterexample(const ScenarioSpec& spec, const std::string& property, std::uint64_t seed,
                                           const sim::ReplayToken& token, double budget_s,
                                           const std::function<std::string(const ShrunkScenario&)>& save,
                                           ScenarioShrinkOptions options) {
  const auto start = std::chrono::steady_clock::now();
  if (!options.elapsed_s) {
    options.elapsed_s = [start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  }
  options.budget_s = budget_s;
  ShrunkCounterexample out;
  out.scenario = shrink_scenario(spec, property, seed, options);
  // What budget_s leaves for the schedule (a tiny positive budget still
  // reports the run it starts from).
  double left = 0;
  if (budget_s > 0) left = std::max(budget_s - options.elapsed_s(), 1e-9);
  if (out.scenario && save) {
    const std::string path = save(*out.scenario);
    if (!path.empty()) {
      out.scenario->spec.source = path;
      out.saved = true;
    }
  }
  if (out.saved) {
    out.run = shrink_violation(out.scenario->spec, property, *sim::decode_token(out.scenario->token).token, 4000, left);
  } else {
    out.run = shrink_violation(spec, property, token, 4000, left);
  }
  return out;
}

std::string ShrunkCounterexample::summary(double budget_s) const {
  const std::string stopped = fmt::format(" (stopped at budget_s = {})", budget_s);
  std::string text;
  if (scenario) {
    text += fmt::format("shrunk scenario in {} runs{}: {}", scenario->runs,
                        scenario->budget_hit ? stopped : scenario->cap_hit ? " (stopped at its run cap)" : "",
                        size_change(scenario->before, scenario->after));
    text += saved ? fmt::format("; saved as {}\n", scenario->spec.source)
                  : std::string("; keep it with --save-shrunk DIR\n");
  }
  if (run) {
    text += fmt::format("shrunk in {} runs{}: violated at step {} (was {}), {} preemptions (was {})\n", run->attempts,
                        run->budget_hit ? stopped : "", run->violation_step, run->original_violation_step,
                        run->preemptions, run->original_preemptions);
  }
  return text;
}

}  // namespace otpsim::scenarios
