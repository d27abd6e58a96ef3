// The scenario commands of `otpsim`: run, replay, sweep, merge, check, list.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "scenarios/cli_common.hpp"
#include "scenarios/kernel_programs.hpp"
#include "scenarios/library.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/sweep.hpp"
#include "sim/assert.hpp"

namespace otpsim::scenarios::cli {

void bad_input(const std::string& message) {
  std::fprintf(stderr, "otpsim: error: %s\n", message.c_str());
  std::exit(exit_bad_input);
}

namespace {

const std::vector<ScenarioSpec>& library() {
  static const std::vector<ScenarioSpec> specs = [] {
    auto parsed = builtin_scenarios();
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      std::fprintf(stderr, "otpsim: internal error: built-in scenario does not parse: %s\n", error->text().c_str());
      std::exit(exit_bad_input);
    }
    return std::get<std::vector<ScenarioSpec>>(std::move(parsed));
  }();
  return specs;
}

const ScenarioSpec* find_builtin(std::string_view name) {
  for (const ScenarioSpec& s : library()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool looks_like_file(const std::string& arg) {
  return arg.find('/') != std::string::npos || arg.find('.') != std::string::npos || std::filesystem::exists(arg);
}

/// A file (loaded and validated) or a built-in name; bad input exits 2.
ScenarioSpec resolve(const std::string& arg) {
  if (!looks_like_file(arg)) {
    if (const ScenarioSpec* s = find_builtin(arg)) return *s;
    bad_input(fmt::format("unknown scenario '{}' (not a file; see `otpsim list` for the built-in names)", arg));
  }
  auto parsed = load_scenario_file(arg, default_parse_context());
  if (auto* error = std::get_if<ParseError>(&parsed)) bad_input(error->text());
  return std::get<ScenarioSpec>(std::move(parsed));
}

bool stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

SweepOptions sweep_options(const ScenarioSpec& spec, std::uint64_t seeds, std::uint64_t seed_base, bool seed_base_given,
                           unsigned jobs) {
  SweepOptions o;
  o.seeds = seeds > 0 ? seeds : spec.explore.seeds;
  o.seed_base = seed_base_given ? seed_base : spec.explore.seed_base;
  o.jobs = jobs;
  o.budget_s = spec.explore.budget_s;
  if (stderr_is_tty()) {
    std::string name = spec.name;
    o.progress = [name](std::uint64_t done, std::uint64_t total) {
      if (done % 16 == 0 || done == total) std::fprintf(stderr, "\r%-24s %llu/%llu", name.c_str(),
                                                        static_cast<unsigned long long>(done),
                                                        static_cast<unsigned long long>(total));
    };
  }
  return o;
}

void clear_progress() {
  if (stderr_is_tty()) std::fprintf(stderr, "\r%60s\r", "");
}

/// How to replay a run of `spec` from the command line.
std::string replay_command(const ScenarioSpec& spec, const std::string& token) {
  if (spec.source.rfind("builtin:", 0) == 0) return "otpsim replay " + token;
  return fmt::format("otpsim replay {} --scenario {}", token, spec.source);
}

std::string safe_file_name(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return text;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) bad_input(fmt::format("cannot write '{}'", path));
  out << text;
}

/// The run a token records, again, with its full trace.
RunReport rerun(const ScenarioSpec& spec, const std::string& token_text) {
  sim::TokenParse parsed = sim::decode_token(token_text);
  OTPSIM_ASSERT(parsed.token.has_value(), "otpsim internal bug: a run's own token does not decode");
  return replay(spec, *parsed.token, sim::TraceLevel::full);
}

/// The steps of the shrunk run that the violation at step `last` depends
/// on (its causal slice), after the trio's boot: the part of the
/// counterexample to read. Returns how many.
std::size_t print_slice(std::FILE* out, const ScenarioSpec& spec, const RunReport& run, const std::string& token,
                        std::uint64_t last, bool with_steps) {
  if (!run.trace) return 0;
  const std::uint64_t boot = run.boot_end_step;
  std::vector<std::uint64_t> slice = causal_slice_of(spec, *sim::decode_token(token).token, last);
  std::erase_if(slice, [boot](std::uint64_t s) { return s <= boot; });
  std::ostringstream text;
  if (with_steps) run.trace->write_text(text, slice);
  std::fprintf(out, "the violation's causal slice: %zu steps after the boot (steps 0-%llu), to the violation at step %llu\n%s",
               slice.size(), static_cast<unsigned long long>(boot), static_cast<unsigned long long>(last),
               text.str().c_str());
  return slice.size();
}

/// The report of one property that did not behave as expected (or a
/// finding): the counterexample shrunk (unless the scenario says not to),
/// its timeline, and the steps the schedule decided.
void report_property(std::FILE* out, const ScenarioSpec& spec, const ScenarioSummary& summary,
                     const PropertySummary& p, const std::string& trace_dir) {
  if (p.violations == 0) {
    std::fprintf(out, "\n%s: %s: expected a violation (a documented finding or a mutant), held on all %llu schedules\n",
                 spec.name.c_str(), p.name.c_str(), static_cast<unsigned long long>(summary.schedules));
    return;
  }
  std::string token = p.first_token;
  std::string message = p.first_message;
  std::optional<ShrunkRun> shrunk;
  if (spec.explore.shrink) {
    shrunk = shrink_violation(spec, p.name, *sim::decode_token(p.first_token).token);
    if (shrunk) {
      token = shrunk->token;
      message = shrunk->message;
    }
  }
  RunReport run = rerun(spec, token);
  const char* what = p.as_expected() ? "finding" : "VIOLATED";
  std::fprintf(out, "\n%s %s in scenario %s%s: seed %llu (%llu of %llu schedules; the shortest: %llu steps)\n  %s\n",
               what, p.name.c_str(), spec.name.c_str(), p.as_expected() ? ", as expected" : "",
               static_cast<unsigned long long>(p.first_seed), static_cast<unsigned long long>(p.violations),
               static_cast<unsigned long long>(summary.schedules), static_cast<unsigned long long>(p.first_steps),
               message.c_str());
  if (shrunk) {
    std::fprintf(out, "shrunk in %llu runs: violated at step %llu (was %llu)\n",
                 static_cast<unsigned long long>(shrunk->attempts),
                 static_cast<unsigned long long>(shrunk->violation_step),
                 static_cast<unsigned long long>(shrunk->original_violation_step));
  }
  if (!p.as_expected()) std::fprintf(out, "timeline:\n%s", timeline(run).c_str());
  if (shrunk) print_slice(out, spec, run, token, shrunk->violation_step, !p.as_expected());
  std::fprintf(out, "  replay: %s\n", replay_command(spec, token).c_str());
  if (!trace_dir.empty() && run.trace) {
    const std::string base =
        fmt::format("{}/{}-{}-seed{}", trace_dir, safe_file_name(spec.name), safe_file_name(p.name), p.first_seed);
    std::ostringstream chrome, text;
    run.trace->write_chrome(chrome);
    text << "timeline:\n" << timeline(run) << "\ntrace:\n";
    run.trace->write_text(text);
    write_file(base + ".json", chrome.str());
    write_file(base + ".txt", text.str());
    std::fprintf(out, "  trace: %s.json (ui.perfetto.dev), %s.txt\n", base.c_str(), base.c_str());
  }
}

/// One line on what dfs covered.
void report_dfs(std::FILE* out, const ScenarioSpec& spec, const DfsStats& d) {
  if (!d.error.empty()) {
    std::fprintf(out, "\n%s: dfs stopped: %s\n", spec.name.c_str(), d.error.c_str());
    return;
  }
  std::string bounds;
  if (spec.explore.dfs_preemption_bound) bounds += fmt::format(", preemption bound {}", *spec.explore.dfs_preemption_bound);
  if (spec.explore.dfs_delay_bound) bounds += fmt::format(", delay bound {}", *spec.explore.dfs_delay_bound);
  std::fprintf(out, "\n%s: dfs (%s, %s delivery%s) %s: %llu interleavings, %llu runs pruned by sleep sets\n",
               spec.name.c_str(), d.reduction.c_str(), std::string(sim::delivery_name(spec.explore.delivery)).c_str(),
               bounds.c_str(),
               d.exhausted ? (d.bounded ? "exhausted the space within the bound" : "exhausted the space")
                           : "stopped before the end (raise --seeds or explore.seeds)",
               static_cast<unsigned long long>(d.interleavings), static_cast<unsigned long long>(d.pruned));
}

}  // namespace

int cmd_run(const RunFlags& flags) {
  // Resolve every argument first: bad input runs nothing.
  std::vector<ScenarioSpec> specs;
  if (flags.scenarios.empty()) {
    specs = library();
  } else {
    for (const std::string& arg : flags.scenarios) specs.push_back(resolve(arg));
  }
  if (!flags.delivery.empty()) {
    for (ScenarioSpec& spec : specs) spec.explore.delivery = *sim::delivery_from_name(flags.delivery);
  }
  if (!flags.trace_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.trace_dir, ec);
    if (ec) bad_input(fmt::format("--trace '{}': {}", flags.trace_dir, ec.message()));
  }
  std::FILE* human = flags.json ? stderr : stdout;
  std::vector<ScenarioSummary> summaries;
  std::vector<std::optional<DfsStats>> dfs_stats;
  for (const ScenarioSpec& spec : specs) {
    SweepOptions options = sweep_options(spec, flags.seeds, flags.seed_base, flags.seed_base_given, flags.jobs);
    options.fold_held_runs = !flags.json;  // --json prints every run
    SweepResult result = sweep(spec, options);
    clear_progress();
    std::vector<RunLine> lines;
    for (const SeedResult& r : result.runs) {
      lines.push_back(run_line(spec, r));
      if (flags.json) std::printf("%s\n", to_json(lines.back()).c_str());
    }
    ScenarioSummary summary = summarize(lines);
    add_folded(summary, result.folded);
    summary.scenario = spec.name;
    summary.source = spec.source;
    summary.wall_s = result.wall_s;
    summary.budget_hit = result.budget_hit;
    summaries.push_back(std::move(summary));
    dfs_stats.push_back(result.dfs);
  }
  print_table(human, summaries);
  bool ok = true;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    ok = ok && summaries[i].ok();
    if (dfs_stats[i]) {
      report_dfs(human, specs[i], *dfs_stats[i]);
      ok = ok && dfs_stats[i]->error.empty();
    }
    for (const PropertySummary& p : summaries[i].properties) {
      if (!p.as_expected() || p.violations > 0) report_property(human, specs[i], summaries[i], p, flags.trace_dir);
    }
  }
  if (!flags.junit_file.empty()) write_file(flags.junit_file, junit_xml(summaries));
  std::fflush(stdout);
  return ok ? exit_ok : exit_violated;
}

int cmd_replay(const std::string& token_text, const std::string& trace_file, const std::string& format,
               const std::string& scenario_file) {
  sim::TokenParse parsed = sim::decode_token(token_text);
  if (!parsed.token) bad_input(parsed.error);
  const sim::ReplayToken& token = *parsed.token;
  if (token.program.rfind("kernel/", 0) == 0) return cmd_replay_kernel(token, trace_file, format);
  if (token.program.rfind("scenario/", 0) != 0) {
    bad_input(fmt::format("replay token names unknown program '{}'", token.program));
  }
  const std::string name = token.program.substr(std::string("scenario/").size());
  ScenarioSpec spec;
  if (!scenario_file.empty()) {
    spec = resolve(scenario_file);
    if (spec.name != name) {
      bad_input(fmt::format("the token is for scenario '{}', but {} holds scenario '{}'", name, scenario_file, spec.name));
    }
  } else if (const ScenarioSpec* s = find_builtin(name)) {
    spec = *s;
  } else {
    bad_input(fmt::format("no built-in scenario '{}': pass its file with --scenario FILE", name));
  }
  std::ofstream file;
  if (!trace_file.empty()) {
    file.open(trace_file);
    if (!file) bad_input(fmt::format("cannot write trace file '{}'", trace_file));
  }
  RunReport run = replay(spec, token, sim::TraceLevel::full);
  std::ostream& out = trace_file.empty() ? std::cout : file;
  if (format == "jsonl") {
    run.trace->write_jsonl(out);
  } else if (format == "chrome") {
    run.trace->write_chrome(out);
  } else if (format == "timeline") {
    out << timeline(run);
  } else {
    run.trace->write_text(out);
  }
  out.flush();
  if (!run.replay_error.empty()) {
    std::fprintf(stderr, "otpsim: %s\n", run.replay_error.c_str());
    return exit_violated;
  }
  std::fprintf(stderr, "replayed scenario %s, seed %llu: %llu steps, %s, %s\n", spec.name.c_str(),
               static_cast<unsigned long long>(run.seed), static_cast<unsigned long long>(run.result.steps),
               seconds_text(run.result.end_time_us).c_str(), std::string(sim::outcome_name(run.result.outcome)).c_str());
  for (const PropertyVerdict& v : run.verdicts) {
    std::fprintf(stderr, "  %-28s %s%s%s\n", v.property.c_str(), v.held ? "held" : "VIOLATED",
                 v.as_expected() ? "" : " (unexpected)", v.violation ? (": " + v.violation->message).c_str() : "");
  }
  return exit_ok;
}

int cmd_sweep(const std::string& scenario, std::uint64_t seeds, std::uint64_t seed_base, unsigned jobs,
              const std::string& shard_text, const std::string& out_file, const std::string& delivery) {
  ScenarioSpec spec = resolve(scenario);
  if (!delivery.empty()) spec.explore.delivery = *sim::delivery_from_name(delivery);
  SweepOptions options = sweep_options(spec, seeds, seed_base, true, jobs);
  if (!shard_text.empty()) {
    std::string error;
    auto shard = Shard::parse(shard_text, error);
    if (!shard) bad_input(error);
    options.shard = *shard;
  }
  std::ofstream file;
  if (!out_file.empty()) {
    file.open(out_file);
    if (!file) bad_input(fmt::format("cannot write '{}'", out_file));
  }
  SweepResult result = sweep(spec, options);
  clear_progress();
  std::ostream& out = out_file.empty() ? std::cout : file;
  std::vector<RunLine> lines;
  for (const SeedResult& r : result.runs) {
    lines.push_back(run_line(spec, r));
    out << to_json(lines.back()) << '\n';
  }
  out.flush();
  ScenarioSummary summary = summarize(lines);
  summary.scenario = spec.name;
  summary.wall_s = result.wall_s;
  summary.budget_hit = result.budget_hit;
  std::vector<ScenarioSummary> summaries{summary};
  print_table(stderr, summaries);
  std::fprintf(stderr, "%llu schedules on %u jobs in %.2fs (shard %llu/%llu)\n",
               static_cast<unsigned long long>(summary.schedules), jobs, result.wall_s,
               static_cast<unsigned long long>(options.shard.index), static_cast<unsigned long long>(options.shard.count));
  return summary.ok() ? exit_ok : exit_violated;
}

int cmd_merge(const std::vector<std::string>& files, const std::string& junit_file) {
  std::map<std::string, std::vector<RunLine>> by_scenario;
  for (const std::string& path : files) {
    std::ifstream in(path);
    if (!in) bad_input(fmt::format("cannot read '{}'", path));
    std::string text;
    for (int line_no = 1; std::getline(in, text); ++line_no) {
      if (text.empty()) continue;
      std::string error;
      auto line = parse_run_line(text, error);
      if (!line) bad_input(fmt::format("{}:{}: {}", path, line_no, error));
      by_scenario[line->scenario].push_back(std::move(*line));
    }
  }
  std::vector<ScenarioSummary> summaries;
  bool ok = true;
  for (const auto& [name, lines] : by_scenario) {
    summaries.push_back(summarize(lines));
    ok = ok && summaries.back().ok();
  }
  print_table(stdout, summaries);
  for (const ScenarioSummary& s : summaries) {
    for (const PropertySummary& p : s.properties) {
      if (p.violations > 0) {
        std::printf("%s %s: %s on %llu of %llu schedules; first seed %llu: %s\n  replay: otpsim replay %s\n",
                    s.scenario.c_str(), p.name.c_str(), p.status().c_str(), static_cast<unsigned long long>(p.violations),
                    static_cast<unsigned long long>(s.schedules), static_cast<unsigned long long>(p.first_seed),
                    p.first_message.c_str(), p.first_token.c_str());
      }
    }
  }
  if (!junit_file.empty()) write_file(junit_file, junit_xml(summaries));
  return ok ? exit_ok : exit_violated;
}

int cmd_check(const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    auto parsed = load_scenario_file(path, default_parse_context());
    if (auto* error = std::get_if<ParseError>(&parsed)) bad_input(error->text());
    const ScenarioSpec& s = std::get<ScenarioSpec>(parsed);
    std::printf("%s: ok: scenario %s (%zu clients, %zu faults, %zu properties, %llu schedules)\n", path.c_str(),
                s.name.c_str(), s.clients.size(), s.faults.faults.size(), s.properties.size(),
                static_cast<unsigned long long>(s.explore.seeds));
  }
  return exit_ok;
}

int cmd_list() {
  std::printf("built-in scenarios (otpsim run NAME):\n");
  for (const ScenarioSpec& s : library()) std::printf("  %-24s %s\n", s.name.c_str(), s.description.c_str());
  std::printf("kernel programs (otpsim kernel NAME):\n");
  for (const auto& p : kernel_programs()) std::printf("  %-24s %s\n", p.program.name.c_str(), p.program.description.c_str());
  return exit_ok;
}

}  // namespace otpsim::scenarios::cli
