#include "scenarios/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <mutex>
#include <thread>

namespace otpsim::scenarios {

std::optional<Shard> Shard::parse(std::string_view text, std::string& error) {
  auto slash = text.find('/');
  std::uint64_t k = 0, n = 0;
  auto number = [](std::string_view s, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  if (slash == std::string_view::npos || !number(text.substr(0, slash), k) || !number(text.substr(slash + 1), n) ||
      n == 0 || k == 0 || k > n) {
    error = fmt::format("--shard '{}': expected K/N with 1 <= K <= N (e.g. 2/8)", text);
    return std::nullopt;
  }
  return Shard(k, n);
}

bool SeedResult::unexpected() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.as_expected(); });
}

bool SeedResult::any_violation() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.held; });
}

sim::DfsOptions dfs_options(const ScenarioSpec& spec) {
  sim::DfsOptions o;
  o.reduction = sim::reduction_from_name(spec.explore.dfs_reduction).value_or(sim::DfsOptions::Reduction::sleep_sets);
  o.preemption_bound = spec.explore.dfs_preemption_bound;
  o.delay_bound = spec.explore.dfs_delay_bound;
  return o;
}

namespace {

using Clock = std::chrono::steady_clock;

SeedResult seed_result(std::uint64_t seed, RunReport& report, Clock::time_point t0) {
  SeedResult r;
  r.seed = seed;
  r.result = report.result;
  r.verdicts = std::move(report.verdicts);
  r.token = std::move(report.token);
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

SweepResult explore_dfs(const ScenarioSpec& spec, const SweepOptions& options) {
  const auto start = Clock::now();
  SweepResult out;
  sim::DfsExplorer dfs(dfs_options(spec));
  std::uint64_t run_number = 0;
  while (dfs.interleavings() < options.seeds) {
    if (options.budget_s > 0 && std::chrono::duration<double>(Clock::now() - start).count() >= options.budget_s) {
      out.budget_hit = true;
      break;
    }
    std::unique_ptr<sim::Strategy> strategy = dfs.next_run();
    if (!strategy) break;
    const auto t0 = Clock::now();
    RunReport report = run_with(spec, std::move(strategy), "dfs", run_number, sim::TraceLevel::off);
    dfs.end_run();
    if (dfs.last_run_pruned() || !dfs.error().empty()) continue;  // not a schedule of its own
    SeedResult run = seed_result(run_number++, report, t0);
    if (options.fold_held_runs && !run.any_violation()) {
      FoldedRuns& f = out.folded;
      if (f.count++ == 0) f.verdicts = run.verdicts;
      f.steps += run.result.steps;
      f.sim_time_max_us = std::max(f.sim_time_max_us, run.result.end_time_us);
      f.wall_s += run.wall_s;
    } else {
      out.runs.push_back(std::move(run));
    }
    if (options.progress) options.progress(run_number, options.seeds);
  }
  if (!dfs.exhausted() && dfs.error().empty() && !out.budget_hit) out.budget_hit = true;  // stopped at `seeds`
  DfsStats stats;
  stats.interleavings = dfs.interleavings();
  stats.pruned = dfs.pruned();
  stats.exhausted = dfs.exhausted();
  stats.bounded = dfs.bounded();
  stats.reduction = spec.explore.dfs_reduction;
  stats.error = dfs.error();
  out.dfs = stats;
  out.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace

SweepResult sweep(const ScenarioSpec& spec, const SweepOptions& options) {
  if (spec.explore.strategy == "dfs") return explore_dfs(spec, options);
  const auto start = Clock::now();
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = options.seed_base; s < options.seed_base + options.seeds; ++s) {
    if (options.shard.takes(s)) seeds.push_back(s);
  }
  SweepResult out;
  out.runs.resize(seeds.size());
  std::vector<bool> ran(seeds.size(), false);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex progress_mutex;
  std::uint64_t done = 0;

  auto worker = [&] {
    for (;;) {
      if (stop.load()) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= seeds.size()) return;
      if (options.budget_s > 0 &&
          std::chrono::duration<double>(Clock::now() - start).count() >= options.budget_s) {
        stop.store(true);
        return;
      }
      const auto t0 = Clock::now();
      RunReport report = run_once(spec, seeds[i], sim::TraceLevel::off);
      SeedResult r = seed_result(seeds[i], report, t0);
      std::lock_guard lock(progress_mutex);
      out.runs[i] = std::move(r);
      ran[i] = true;
      ++done;
      if (options.progress) options.progress(done, seeds.size());
    }
  };
  const unsigned jobs = std::max(1u, options.jobs);
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  // A budget may leave holes: keep the seeds that ran, in order.
  std::vector<SeedResult> kept;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (ran[i]) kept.push_back(std::move(out.runs[i]));
  }
  out.budget_hit = kept.size() < seeds.size();
  out.runs = std::move(kept);
  out.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace otpsim::scenarios
