// conformance_sim: runs the conformance scenarios on otpsim and prints (or
// writes) their canonical lines, like run_beam.sh does for the real BEAM.
//
//   conformance_sim [--delivery async|instant] [--seed N] [--seeds K] [--pct | --dfs]
//                   [--out DIR] [--golden DIR] [--survey] [--trace] [SCENARIO...]   (all by default)
//   conformance_sim --list
//
// --delivery: how signals travel (sim/kernel.hpp); async (the default, as
// on the BEAM) or instant (a signal lands at the sender's step).
//
// --seeds K runs every scenario under seeds N..N+K-1 as well and prints (or
// writes) the output of seed N. Under instant delivery it fails if any other
// seed printed something else (the canonical output must not depend on the
// interleaving). Under async delivery it fails if a seed printed an output
// that golden/<scenario>.async-allowed.txt does not explain (README.md,
// "Async and instant delivery"): a reordering of golden whose every swapped
// pair is listed there.
//
// --survey (with --seeds K) prints, per scenario, every distinct output the
// seeds produced, how many seeds printed it and the first, and each pair of
// golden lines it prints the other way round (with the listed reason, or
// NOT ALLOWED). --pct uses the pct strategy (depth 3) instead of random.
// --trace writes the kernel's full trace of seed N's run to stderr. --dfs
// makes the K - 1 runs after seed N's the first complete runs of dfs
// (Optimal-DPOR, sim/dfs.hpp) instead of seeds; the survey says whether
// dfs exhausted the scenario. (The "first seed" it prints is then a run
// number.)
//
// With --out, writes DIR/<scenario>.txt (as run_beam.sh writes
// out-beam/<scenario>.txt); otherwise prints the lines, each scenario under
// a `==> <scenario> <==` header when there is more than one. A scenario
// that fails (as a BEAM script would exit non-zero) is reported on stderr
// with the lines it had recorded, and its file is not written.
// Exit status: 0 all ran, 1 a scenario failed, 2 bad arguments.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/dfs.hpp"
#include "sim/pct_strategy.hpp"
#include "sim/random_strategy.hpp"
#include "tests/conformance/sim/async_check.hpp"
#include "tests/conformance/sim/common.hpp"

#ifndef CONFORMANCE_DIR
#define CONFORMANCE_DIR "."
#endif

namespace {

using namespace otpsim::conformance;
namespace sim = otpsim::sim;

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "conformance_sim: " << message << "\n"
            << "usage: conformance_sim [--delivery async|instant] [--seed N] [--seeds K] [--pct | --dfs] [--out DIR]\n"
            << "                       [--golden DIR] [--survey] [--trace] [--list] [SCENARIO...]\n";
  std::exit(2);
}

std::uint64_t number(int& i, int argc, char** argv, const char* what) {
  if (++i >= argc) usage(std::string(what) + " needs a value");
  char* end = nullptr;
  std::uint64_t v = std::strtoull(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0') usage(std::string("bad ") + what + ": " + argv[i]);
  return v;
}

Outcome run_one(const Scenario& s, std::uint64_t seed, sim::Delivery delivery, bool pct, std::string* trace = nullptr) {
  if (!pct) {
    sim::RandomStrategy strategy(seed);
    return run_with(s, strategy, delivery, trace);
  }
  sim::PctOptions options;
  options.depth = 3;
  options.steps_estimate = 2000;
  sim::PctStrategy strategy(seed, options);
  return run_with(s, strategy, delivery, trace);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 0;
  std::uint64_t seed_count = 1;
  std::string out_dir;
  std::string golden_dir = std::string(CONFORMANCE_DIR) + "/golden";
  sim::Delivery delivery = sim::Delivery::async;
  bool survey = false;
  bool pct = false;
  bool trace = false;
  bool dfs = false;
  std::vector<const Scenario*> chosen;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seed") {
      seed = number(i, argc, argv, "seed");
    } else if (arg == "--seeds") {
      seed_count = number(i, argc, argv, "seed count");
      if (seed_count == 0) usage("bad seed count: 0");
    } else if (arg == "--delivery") {
      if (++i >= argc) usage("--delivery needs async or instant");
      auto d = sim::delivery_from_name(argv[i]);
      if (!d) usage(std::string("bad delivery: ") + argv[i]);
      delivery = *d;
    } else if (arg == "--out") {
      if (++i >= argc) usage("--out needs a directory");
      out_dir = argv[i];
    } else if (arg == "--golden") {
      if (++i >= argc) usage("--golden needs a directory");
      golden_dir = argv[i];
    } else if (arg == "--survey") {
      survey = true;
    } else if (arg == "--pct") {
      pct = true;
    } else if (arg == "--dfs") {
      dfs = true;
    } else if (arg == "--trace") {
      trace = true;
    } else if (arg == "--list") {
      for (const Scenario& s : all_scenarios()) std::cout << s.name << "\n";
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage("help");
    } else if (!arg.empty() && arg[0] == '-') {
      usage("unknown option " + arg);
    } else {
      // names, or paths such as beam/one_for_one.exs
      std::string name = std::filesystem::path(arg).stem().string();
      const Scenario* s = find_scenario(name);
      if (s == nullptr) usage("no such scenario: " + name);
      chosen.push_back(s);
    }
  }
  if (chosen.empty()) {
    for (const Scenario& s : all_scenarios()) chosen.push_back(&s);
  }
  if (!out_dir.empty()) std::filesystem::create_directories(out_dir);
  const bool async = delivery == sim::Delivery::async;

  int status = 0;
  for (const Scenario* s : chosen) {
    const Lines golden = read_lines(golden_dir + "/" + s->name + ".txt");
    const AsyncAllowed allowed = read_async_allowed(golden_dir + "/" + s->name + ".async-allowed.txt", golden);
    if (async && seed_count > 1 && !allowed.error.empty()) {
      std::cerr << "FAIL " << s->name << ": golden/" << s->name << ".async-allowed.txt: " << allowed.error << "\n";
      status = 1;
    }
    std::string trace_text;
    Outcome o = run_one(*s, seed, delivery, pct, trace ? &trace_text : nullptr);
    if (trace) std::cerr << "==> trace of " << s->name << " (seed " << seed << ") <==\n" << trace_text;
    if (!o.error.empty()) {
      std::cerr << "FAIL " << s->name << " (seed " << seed << "): " << o.error << "\n";
      for (const std::string& line : o.log) std::cerr << "  " << line << "\n";
      status = 1;
      continue;
    }
    std::map<Lines, std::pair<std::uint64_t, std::uint64_t>> distinct;  // output -> (seeds, first seed)
    distinct[o.lines] = {1, seed};
    std::unique_ptr<sim::DfsExplorer> explorer;
    if (dfs) explorer = std::make_unique<sim::DfsExplorer>(sim::DfsOptions{});
    std::uint64_t dfs_runs = 0;
    for (std::uint64_t k = 1; k < seed_count; ++k) {
      Outcome other;
      if (explorer) {  // the k-th complete run of dfs, instead of seed + k
        auto strategy = explorer->next_run();
        if (!strategy) break;
        other = run_with(*s, *strategy, delivery);
        explorer->end_run();
        if (!explorer->error().empty()) {
          std::cerr << "FAIL " << s->name << ": dfs: " << explorer->error() << "\n";
          status = 1;
          break;
        }
        if (explorer->last_run_pruned()) {
          --k;
          continue;
        }
        ++dfs_runs;
      } else {
        other = run_one(*s, seed + k, delivery, pct);
      }
      if (!other.error.empty() && survey) {  // a failed run is an output of its own here
        other.lines = other.log;
        other.lines.insert(other.lines.begin(), other.error);
      } else if (!other.error.empty()) {
        std::cerr << "FAIL " << s->name << " (seed " << seed + k << "): " << other.error << "\n";
        for (const std::string& line : other.log) std::cerr << "  " << line << "\n";
        status = 1;
        break;
      }
      auto [it, fresh] = distinct.try_emplace(other.lines, std::make_pair(0, seed + k));
      ++it->second.first;
      if (!fresh || survey) continue;
      if (!async) {
        std::cerr << "SEED-DEPENDENT " << s->name << ": seed " << seed + k << " differs from seed " << seed << "\n";
        for (const std::string& line : other.lines) std::cerr << "  " << line << "\n";
        status = 1;
        break;
      }
    }
    if (async && !survey && seed_count > 1) {
      bool golden_seen = false;
      for (const auto& [lines, counts] : distinct) {
        if (lines == golden) golden_seen = true;
        Explanation e = explain(golden, lines, allowed);
        if (e.ok()) continue;
        std::cerr << "UNEXPLAINED " << s->name << " (seed " << counts.second << "): not golden/" << s->name
                  << ".txt, nor a reordering golden/" << s->name << ".async-allowed.txt allows:\n"
                  << e.describe(golden, lines, allowed);
        for (const std::string& line : lines) std::cerr << "  | " << line << "\n";
        status = 1;
      }
      if (!golden_seen) std::cerr << "note: " << s->name << ": no seed printed golden/" << s->name << ".txt\n";
    }
    if (survey) {
      if (explorer) {
        std::cout << "==> " << s->name << " <== " << distinct.size() << " distinct output(s) under " << dfs_runs
                  << " dfs runs (" << sim::delivery_name(delivery) << (explorer->exhausted() ? ", exhausted" : ", not exhausted")
                  << ")\n";
      } else {
        std::cout << "==> " << s->name << " <== " << distinct.size() << " distinct output(s) under " << seed_count
                  << " seeds (" << sim::delivery_name(delivery) << (pct ? ", pct" : ", random") << ")\n";
      }
      for (const auto& [lines, counts] : distinct) {
        std::cout << (lines == golden ? "golden" : "other ") << ": " << counts.first << " seeds, first " << counts.second
                  << "\n";
        if (lines != golden) std::cout << explain(golden, lines, allowed).describe(golden, lines, allowed);
      }
      continue;
    }
    if (!out_dir.empty()) {
      std::ofstream f(std::filesystem::path(out_dir) / (s->name + ".txt"));
      for (const std::string& line : o.lines) f << line << "\n";
      if (!f) {
        std::cerr << "FAIL " << s->name << ": cannot write to " << out_dir << "\n";
        status = 1;
      }
      continue;
    }
    if (chosen.size() > 1) std::cout << "==> " << s->name << " <==\n";
    for (const std::string& line : o.lines) std::cout << line << "\n";
  }
  return status;
}
