// `otpsim kernel`: the built-in kernel programs (sim/ only), and replays of
// their tokens. The scenario commands are in commands.cpp.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "scenarios/cli_common.hpp"
#include "scenarios/kernel_programs.hpp"
#include "scenarios/scenario_file.hpp"
#include "sim/simulation.hpp"

namespace otpsim::scenarios::cli {

using namespace otpsim::sim;


using namespace otpsim;
using namespace otpsim::sim;



namespace {

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}


}  // namespace

struct ProgramSummary {
  std::uint64_t seeds = 0, steps = 0, violations = 0;
  Micros time_max_us = 0;
  std::set<std::uint64_t> interleavings;
  std::string first_violation, first_token;
  double wall_s = 0;
};

int cmd_kernel(const std::vector<std::string>& names, std::uint64_t seeds, std::uint64_t seed_base) {
  if (seeds > 0 && seed_base > std::numeric_limits<std::uint64_t>::max() - (seeds - 1)) {
    bad_input(fmt::format("seeds {} .. {} + {} - 1 run past 2^64 - 1, the largest seed", seed_base, seed_base, seeds));
  }
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
      RunOptions options{"random", seed_base + i, {}, TraceLevel::full};
      options.seeded = true;  // the token regenerates the choices from the seed
      Simulation sim(kp->program, options);
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
                s.interleavings.size(), format_time(s.time_max_us).c_str(), s.violations ? "VIOLATED" : "held", s.wall_s);
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
  finish_stdout();
  return any_violation ? exit_violated : exit_ok;
}

int cmd_replay_kernel(const ReplayToken& token, const std::string& trace_file, const std::string& format,
                      bool expect_violation) {
  const auto* kp = scenarios::find_kernel_program(token.program);
  if (kp == nullptr) bad_input(fmt::format("replay token names unknown program '{}'", token.program));
  std::optional<OutputFile> file;
  if (!trace_file.empty()) file.emplace(trace_file);
  Simulation sim(kp->program, token, TraceLevel::full);
  RunResult r = sim.run();
  std::ostringstream out;
  if (format == "jsonl") {
    sim.trace().write_jsonl(out);
  } else if (format == "chrome") {
    sim.trace().write_chrome(out);
  } else {
    sim.trace().write_text(out);
  }
  if (file) {
    file->write(out.str());
    file->commit();
  } else {
    write_stdout(out.str());
    finish_stdout();
  }
  if (std::string error = sim.replay_error(); !error.empty()) {
    std::fprintf(stderr, "otpsim: %s\n", escape_control(error).c_str());
    return exit_violated;
  }
  auto problem = r.outcome == Outcome::quiescent ? kp->check(sim.kernel()) : std::optional<std::string>(r.message);
  std::fprintf(stderr, "replayed %s: %llu steps, %s, %s; check %s%s\n", kp->program.name.c_str(),
               static_cast<unsigned long long>(r.steps), format_time(r.end_time_us).c_str(),
               std::string(outcome_name(r.outcome)).c_str(), problem ? "VIOLATED: " : "held",
               problem ? escape_control(*problem).c_str() : "");
  // As for a scenario: 1 if the check is violated, unless asked to expect it.
  if (expect_violation) return problem ? exit_ok : exit_violated;
  return problem ? exit_violated : exit_ok;
}

}  // namespace otpsim::scenarios::cli
