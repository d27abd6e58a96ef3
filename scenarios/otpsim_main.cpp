// otpsim: run the built-in programs, replay a run from its token, list.
//
// Exit codes: 0 every check held / the replay reproduced the run; 1 a check
// was violated or a replay diverged; 2 bad input (flag, name, token).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>

#include "scenarios/kernel_programs.hpp"
#include "sim/simulation.hpp"

namespace {

using namespace otpsim;
using namespace otpsim::sim;

constexpr int exit_ok = 0;
constexpr int exit_violated = 1;
constexpr int exit_bad_input = 2;

[[noreturn]] void bad_input(const std::string& message) {
  std::fprintf(stderr, "otpsim: error: %s\n", message.c_str());
  std::exit(exit_bad_input);
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string seconds(Micros us) { return fmt::format("{}.{:06}s", us / 1'000'000, us % 1'000'000); }

struct ProgramSummary {
  std::uint64_t seeds = 0, steps = 0, violations = 0;
  Micros time_max_us = 0;
  std::set<std::uint64_t> interleavings;
  std::string first_violation, first_token;
  double wall_s = 0;
};

int cmd_run(const std::vector<std::string>& names, std::uint64_t seeds, std::uint64_t seed_base) {
  std::vector<const scenarios::KernelProgram*> selected;
  if (names.empty()) {
    for (const auto& p : scenarios::kernel_programs()) selected.push_back(&p);
  } else {
    for (const std::string& name : names) {
      const auto* p = scenarios::find_kernel_program(name);
      if (p == nullptr) bad_input(fmt::format("unknown program '{}' (see `otpsim list`)", name));
      selected.push_back(p);
    }
  }
  // Run everything before printing, so no partial table is taken for a result.
  std::vector<ProgramSummary> summaries;
  for (const auto* kp : selected) {
    ProgramSummary s;
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < seeds; ++i) {
      Simulation sim(kp->program, RunOptions{"random", seed_base + i, {}, TraceLevel::full});
      RunResult r = sim.run();
      ++s.seeds;
      s.steps += r.steps;
      s.time_max_us = std::max(s.time_max_us, r.end_time_us);
      s.interleavings.insert(fnv1a(sim.trace().text()));
      std::optional<std::string> problem;
      if (r.outcome != Outcome::quiescent) problem = std::string(outcome_name(r.outcome)) + ": " + r.message;
      if (!problem) problem = kp->check(sim.kernel());
      if (i == 0) s.first_token = sim.token_text();
      if (problem) {
        if (s.violations == 0) {
          s.first_violation = fmt::format("{} (seed {})", *problem, seed_base + i);
          s.first_token = sim.token_text();
        }
        ++s.violations;
      }
    }
    s.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    summaries.push_back(std::move(s));
  }
  std::printf("%-26s %6s %10s %13s %14s %-9s %8s\n", "program", "seeds", "steps", "interleavings", "sim time max",
              "check", "wall");
  bool any_violation = false;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const ProgramSummary& s = summaries[i];
    any_violation |= s.violations > 0;
    std::printf("%-26s %6llu %10llu %13zu %14s %-9s %7.2fs\n", selected[i]->program.name.c_str(),
                static_cast<unsigned long long>(s.seeds), static_cast<unsigned long long>(s.steps),
                s.interleavings.size(), seconds(s.time_max_us).c_str(), s.violations ? "VIOLATED" : "held", s.wall_s);
  }
  std::printf("\n");
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const ProgramSummary& s = summaries[i];
    if (s.violations > 0) {
      std::printf("%s: %s\n  replay: otpsim replay %s\n", selected[i]->program.name.c_str(), s.first_violation.c_str(),
                  s.first_token.c_str());
    } else {
      std::printf("%s, seed %llu: otpsim replay %s\n", selected[i]->program.name.c_str(),
                  static_cast<unsigned long long>(seed_base), s.first_token.c_str());
    }
  }
  return any_violation ? exit_violated : exit_ok;
}

int cmd_replay(const std::string& text, const std::string& trace_file, const std::string& format) {
  TokenParse parsed = decode_token(text);
  if (!parsed.token) bad_input(parsed.error);
  const auto* kp = scenarios::find_kernel_program(parsed.token->program);
  if (kp == nullptr) bad_input(fmt::format("replay token names unknown program '{}'", parsed.token->program));
  Simulation sim(kp->program, *parsed.token, TraceLevel::full);
  RunResult r = sim.run();
  std::ofstream file;
  if (!trace_file.empty()) {
    file.open(trace_file);
    if (!file) bad_input(fmt::format("cannot write trace file '{}'", trace_file));
  }
  std::ostream& out = trace_file.empty() ? std::cout : file;
  if (format == "jsonl") {
    sim.trace().write_jsonl(out);
  } else if (format == "chrome") {
    sim.trace().write_chrome(out);
  } else {
    sim.trace().write_text(out);
  }
  out.flush();
  if (std::string error = sim.replay_error(); !error.empty()) {
    std::fprintf(stderr, "otpsim: %s\n", error.c_str());
    return exit_violated;
  }
  auto problem = r.outcome == Outcome::quiescent ? kp->check(sim.kernel()) : std::optional<std::string>(r.message);
  std::fprintf(stderr, "replayed %s: %llu steps, %s, %s; check %s%s\n", kp->program.name.c_str(),
               static_cast<unsigned long long>(r.steps), seconds(r.end_time_us).c_str(),
               std::string(outcome_name(r.outcome)).c_str(), problem ? "VIOLATED: " : "held",
               problem ? problem->c_str() : "");
  return exit_ok;
}

int cmd_list() {
  for (const auto& p : scenarios::kernel_programs()) {
    std::printf("%-26s %s\n", p.program.name.c_str(), p.program.description.c_str());
  }
  return exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"otpsim: deterministic simulation of OTP-style supervision trees"};
  app.require_subcommand(1);
  app.footer("Exit codes: 0 all held, 1 a check was violated or a replay diverged, 2 bad input.");

  auto* run = app.add_subcommand("run", "Run built-in programs over seeds and print a table");
  std::vector<std::string> names;
  std::uint64_t seeds = 100, seed_base = 0;
  run->add_option("names", names, "Programs to run (default: all; see `otpsim list`)");
  run->add_option("--seeds", seeds, "Seeds per program")->check(CLI::Range(1, 10'000'000));
  run->add_option("--seed", seed_base, "First seed");
  run->footer("Examples:\n  otpsim run\n  otpsim run kernel/name-race --seeds 1000");

  auto* replay = app.add_subcommand("replay", "Re-run exactly the run a token names, printing its trace");
  std::string token, trace_file, format = "text";
  replay->add_option("token", token, "The replay token printed by `otpsim run`")->required();
  replay->add_option("--trace", trace_file, "Write the trace to this file instead of stdout");
  replay->add_option("--format", format, "Trace format")->check(CLI::IsMember({"text", "jsonl", "chrome"}));
  replay->footer("Examples:\n  otpsim replay otpsim1.kernel/name-race.0.random...\n"
                 "  otpsim replay TOKEN --format chrome --trace run.json   # open in ui.perfetto.dev");

  app.add_subcommand("list", "List the built-in programs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    bad_input(what.empty() ? "bad command line" : what);
  }
  if (run->parsed()) return cmd_run(names, seeds, seed_base);
  if (replay->parsed()) return cmd_replay(token, trace_file, format);
  return cmd_list();
}
