// The bug-finding benchmark (docs/bug-finding.md).
//
// 1. For every mutant's built-in scenario and every strategy (swarm, random, pct,
//    dfs): whether the mutant is found within the budget, the schedules
//    and wall time to the first violation of the property that catches it
//    (median over 20 seed ranges for random and pct; dfs is deterministic,
//    one exploration), and the shrunk counterexample's causal slice after
//    the boot (the steps to read).
// 2. Schedules per second of every built-in scenario on this thread (pin it
//    to one core with taskset), all its properties judged.
// 3. dfs on the two-racer already_started scenario: interleavings explored
//    with no reduction, sleep sets and DPOR, and whether each exhausted.
// --findings instead: every expected violation of the library (mutants and
// documented findings) hunted by swarm, random and pct (docs/bug-finding.md,
// "Swarm, the default").
//
//   ninja -C build && taskset -c 0 ./build/bench/otpsim_bug_finding [--quick]
//   ./build/bench/otpsim_bug_finding --findings [--ranges 20] [--budget-s 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "scenarios/check.hpp"
#include "scenarios/library.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/sweep.hpp"
#include "sim/dfs.hpp"

namespace os = otpsim::scenarios;
namespace sim = otpsim::sim;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// The property a mutant scenario expects violated.
std::string caught_by(const os::ScenarioSpec& spec) {
  for (const auto& [name, holds] : spec.expect) {
    if (!holds) return name;
  }
  return {};
}

bool violates(const os::RunReport& r, const std::string& property) {
  return std::any_of(r.verdicts.begin(), r.verdicts.end(),
                     [&](const os::PropertyVerdict& v) { return v.property == property && !v.held; });
}

class Hunt {
 public:
  bool found = false;
  std::uint64_t schedules = 0;  // up to and including the first violating one
  double wall_s = 0;
  std::string token;
};

/// Random or pct: seeds base, base + 1, ... until the property is violated.
Hunt hunt_seeded(const os::ScenarioSpec& spec, const std::string& property, std::uint64_t base, std::uint64_t budget,
                 double budget_s) {
  Hunt h;
  const auto t0 = Clock::now();
  for (std::uint64_t s = base; s < base + budget && seconds_since(t0) < budget_s; ++s) {
    os::RunReport r = os::run_once(spec, s, sim::TraceLevel::off);
    ++h.schedules;
    if (violates(r, property)) {
      h.found = true;
      h.token = r.token;
      break;
    }
  }
  h.wall_s = seconds_since(t0);
  return h;
}

/// dfs (DPOR) until the property is violated or the space is exhausted.
Hunt hunt_dfs(const os::ScenarioSpec& spec, const std::string& property, std::uint64_t budget, double budget_s) {
  Hunt h;
  const auto t0 = Clock::now();
  sim::DfsExplorer dfs(os::dfs_options(spec));
  while (h.schedules < budget && seconds_since(t0) < budget_s) {
    auto strategy = dfs.next_run();
    if (!strategy) break;
    os::RunReport r = os::run_with(spec, std::move(strategy), "dfs", h.schedules, sim::TraceLevel::off);
    dfs.end_run();
    if (dfs.last_run_pruned()) continue;
    ++h.schedules;
    if (violates(r, property)) {
      h.found = true;
      h.token = r.token;
      break;
    }
  }
  h.wall_s = seconds_since(t0);
  return h;
}

/// The causal slice after the boot of the shrunk counterexample.
std::uint64_t shrunk_slice(const os::ScenarioSpec& spec, const std::string& property, const std::string& token) {
  auto shrunk = os::shrink_violation(spec, property, *sim::decode_token(token).token);
  if (!shrunk) return 0;
  const sim::ReplayToken t = *sim::decode_token(shrunk->token).token;
  os::RunReport run = os::replay(spec, t, sim::TraceLevel::off);
  std::vector<std::uint64_t> slice = os::causal_slice_of(spec, t, shrunk->violation_step);
  return static_cast<std::uint64_t>(
      std::count_if(slice.begin(), slice.end(), [&run](std::uint64_t s) { return s > run.boot_end_step; }));
}

void mutants_table(const std::vector<os::ScenarioSpec>& library, bool quick) {
  const int ranges = quick ? 5 : 20;
  const std::uint64_t budget = 100'000;
  const double budget_s = 10.0;
  std::printf("## Mutants: schedules and wall time to the first violation\n\n");
  std::printf("budget per hunt: %llu schedules or %.0f s; random and pct: median over %d seed ranges "
              "(seeds k*1000000...); dfs: the scenario's reduction (sleep sets by default), one exploration\n\n",
              static_cast<unsigned long long>(budget), budget_s, ranges);
  std::printf("| scenario | property | strategy | found | schedules (median) | wall (median) | shrunk slice (steps) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const os::ScenarioSpec& base : library) {
    if (base.name.rfind("mutant-", 0) != 0) continue;
    const std::string property = caught_by(base);
    for (const char* strategy : {"swarm", "random", "pct", "dfs"}) {
      os::ScenarioSpec spec = base;
      spec.explore.strategy = strategy;
      std::vector<std::uint64_t> schedules;
      std::vector<double> walls;
      std::vector<std::uint64_t> slices;
      int found = 0;
      const int runs = std::string(strategy) == "dfs" ? 1 : ranges;
      for (int k = 0; k < runs; ++k) {
        Hunt h = std::string(strategy) == "dfs"
                     ? hunt_dfs(spec, property, budget, budget_s)
                     : hunt_seeded(spec, property, static_cast<std::uint64_t>(k) * 1'000'000, budget, budget_s);
        schedules.push_back(h.schedules);
        walls.push_back(h.wall_s);
        if (h.found) {
          ++found;
          slices.push_back(shrunk_slice(spec, property, h.token));
        }
      }
      std::printf("| %s | %s | %s | %d/%d | %llu | %.4f s | %s |\n", base.name.c_str(), property.c_str(), strategy, found,
                  runs, static_cast<unsigned long long>(median(schedules)), median(walls),
                  slices.empty() ? "-" : std::to_string(median(slices)).c_str());
      std::fflush(stdout);
    }
  }
}

/// Every expected violation of the library (mutants and documented
/// findings) hunted by swarm, random and pct from seed bases 0, 1000, ...:
/// how many bases find it within the budget, and the median schedules and
/// wall time to the first violation (a miss counts as the whole budget).
/// swarm's one calibration run per scenario is timed apart.
void findings_table(const std::vector<os::ScenarioSpec>& library, int ranges, double budget_s) {
  const std::uint64_t budget = 100'000;
  std::printf("## Expected violations: swarm against random and pct\n\n");
  std::printf("budget per hunt: %llu schedules or %.1f s; median over %d seed bases (0, 1000, 2000, ...); a miss "
              "counts as the budget\n\n",
              static_cast<unsigned long long>(budget), budget_s, ranges);
  std::printf("| scenario | property | swarm found | swarm schedules | swarm wall | random found | random schedules | "
              "random wall | pct found | pct schedules | pct wall | calibration |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const os::ScenarioSpec& base : library) {
    const std::string property = caught_by(base);
    if (property.empty()) continue;
    std::printf("| %s | %s |", base.name.c_str(), property.c_str());
    const auto t0 = Clock::now();
    const std::uint64_t k = os::swarm_steps_estimate(base);
    const double calibration_s = seconds_since(t0);
    for (const char* strategy : {"swarm", "random", "pct"}) {
      os::ScenarioSpec spec = base;
      spec.explore.strategy = strategy;
      std::vector<std::uint64_t> schedules;
      std::vector<double> walls;
      int found = 0;
      for (int r = 0; r < ranges; ++r) {
        Hunt h = hunt_seeded(spec, property, static_cast<std::uint64_t>(r) * 1000, budget, budget_s);
        schedules.push_back(h.schedules);
        walls.push_back(h.found ? h.wall_s : budget_s);
        found += h.found ? 1 : 0;
      }
      std::printf(" %d/%d | %llu | %.4f s |", found, ranges, static_cast<unsigned long long>(median(schedules)),
                  median(walls));
      std::fflush(stdout);
    }
    std::printf(" %.4f s (k=%llu) |\n", calibration_s, static_cast<unsigned long long>(k));
    std::fflush(stdout);
  }
}

void throughput_table(const std::vector<os::ScenarioSpec>& library, bool quick) {
  std::printf("\n## Schedules per second on one thread (all of the scenario's properties judged)\n\n");
  std::printf("| scenario | schedules | wall | schedules/s |\n|---|---|---|---|\n");
  std::uint64_t unmutated = 0;
  for (const os::ScenarioSpec& spec : library) {
    const std::uint64_t n = quick ? std::min<std::uint64_t>(spec.explore.seeds, 2000) : spec.explore.seeds;
    os::SweepOptions o;
    o.seeds = n;
    o.seed_base = spec.explore.seed_base;
    o.jobs = 1;
    const auto t0 = Clock::now();
    os::SweepResult r = os::sweep(spec, o);
    const double wall = seconds_since(t0);
    if (spec.name.rfind("mutant-", 0) != 0) unmutated += r.runs.size();
    std::printf("| %s | %zu | %.3f s | %.0f |\n", spec.name.c_str(), r.runs.size(), wall,
                static_cast<double>(r.runs.size()) / wall);
    std::fflush(stdout);
  }
  std::printf("\nunmutated scenarios: %llu schedules\n", static_cast<unsigned long long>(unmutated));
}

void dfs_table(const std::vector<os::ScenarioSpec>& library, bool quick) {
  std::printf("\n## dfs on already-started-race: interleavings per reduction\n\n");
  std::printf("| reduction | preemption bound | interleavings | pruned runs | exhausted | wall |\n|---|---|---|---|---|---|\n");
  const os::ScenarioSpec* race = nullptr;
  for (const os::ScenarioSpec& s : library) {
    if (s.name == "already-started-race") race = &s;
  }
  if (race == nullptr) return;
  const std::uint64_t cap = quick ? 50'000 : 2'000'000;
  for (std::optional<std::uint32_t> bound : {std::optional<std::uint32_t>(1), std::optional<std::uint32_t>()}) {
    for (const char* reduction : {"dpor", "sleep_sets", "none"}) {
      os::ScenarioSpec spec = *race;
      spec.explore.strategy = "dfs";
      spec.explore.dfs_reduction = reduction;
      spec.explore.dfs_preemption_bound = bound;
      os::SweepOptions o;
      o.seeds = cap;
      o.budget_s = quick ? 20 : 150;
      const auto t0 = Clock::now();
      os::SweepResult r = os::sweep(spec, o);
      std::printf("| %s | %s | %llu | %llu | %s | %.2f s |\n", reduction, bound ? std::to_string(*bound).c_str() : "none",
                  static_cast<unsigned long long>(r.dfs->interleavings), static_cast<unsigned long long>(r.dfs->pruned),
                  r.dfs->exhausted ? "yes" : "no (cap or budget)", seconds_since(t0));
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  bool findings = false;
  int ranges = 20;
  double budget_s = 5.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--findings") == 0) {
      findings = true;
    } else if (std::strcmp(argv[i], "--ranges") == 0 && i + 1 < argc) {
      ranges = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--budget-s") == 0 && i + 1 < argc) {
      budget_s = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: otpsim_bug_finding [--quick] | --findings [--ranges N] [--budget-s S]\n");
      return 2;
    }
  }
  auto parsed = os::builtin_scenarios();
  if (auto* e = std::get_if<os::ParseError>(&parsed)) {
    std::fprintf(stderr, "otpsim_bug_finding: %s\n", e->text().c_str());
    return 2;
  }
  const auto& library = std::get<std::vector<os::ScenarioSpec>>(parsed);
  if (findings) {
    findings_table(library, ranges, budget_s);
    return 0;
  }
  mutants_table(library, quick);
  throughput_table(library, quick);
  dfs_table(library, quick);
  return 0;
}
