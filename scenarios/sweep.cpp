#include "scenarios/sweep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <charconv>
#include <condition_variable>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
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

std::uint64_t Shard::first_in(std::uint64_t base) const {
  // The smallest s >= base with s % count == index - 1 (past 2^64: wraps, but then count_in is 0).
  const std::uint64_t want = index - 1;
  const std::uint64_t have = base % count;
  return base + (want >= have ? want - have : count - have + want);
}

std::uint64_t Shard::count_in(std::uint64_t base, std::uint64_t seeds) const {
  using U = unsigned __int128;
  const U end = U{base} + U{seeds};  // exclusive
  const U first = U{base} + U{first_in(base) - base};
  if (seeds == 0 || first >= end) return 0;
  const U n = (end - first + U{count} - 1) / U{count};
  return n > U{std::numeric_limits<std::uint64_t>::max()} ? std::numeric_limits<std::uint64_t>::max()
                                                            : static_cast<std::uint64_t>(n);
}

bool cut_off(sim::Outcome outcome) {
  return outcome == sim::Outcome::step_limit || outcome == sim::Outcome::time_limit ||
         outcome == sim::Outcome::mailbox_limit;
}

bool SeedResult::unexpected() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.as_expected(); });
}

bool SeedResult::any_violation() const {
  return std::any_of(verdicts.begin(), verdicts.end(), [](const PropertyVerdict& v) { return !v.held; });
}

sim::DfsOptions dfs_options(const ScenarioSpec& spec) {
  sim::DfsOptions o;
  o.reduction = sim::reduction_from_name(spec.explore.dfs_reduction).value_or(sim::DfsOptions{}.reduction);
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
  out.planned = options.seeds;
  sim::DfsExplorer dfs(dfs_options(spec));
  std::uint64_t run_number = 0;
  while (dfs.interleavings() < options.seeds) {
    if (options.cancel != nullptr && options.cancel->load()) {
      out.cancelled = true;
      break;
    }
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
    ++out.ran;
    if (options.fold_held_runs && !run.any_violation() && !cut_off(run.result.outcome)) {
      FoldedRuns& f = out.folded;
      if (f.count++ == 0) f.verdicts = run.verdicts;
      f.steps += run.result.steps;
      f.sim_time_max_us = std::max(f.sim_time_max_us, run.result.end_time_us);
      f.wall_s += run.wall_s;
    } else if (options.on_run) {
      options.on_run(std::move(run));
    } else {
      out.runs.push_back(std::move(run));
    }
    if (options.progress) options.progress(run_number, options.seeds);
  }
  if (!dfs.exhausted() && dfs.error().empty() && !out.budget_hit && !out.cancelled) out.budget_hit = true;  // stopped at `seeds`
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
  // The seeds are enumerated as they are handed out: seed j of this shard is
  // first + j * N. A range past 2^64 - 1 is cut at the last seed (callers
  // refuse it as bad input before they get here).
  const std::uint64_t total = options.shard.count_in(options.seed_base, options.seeds);
  const std::uint64_t first = options.shard.first_in(options.seed_base);
  const std::uint64_t stride = options.shard.count;
  auto seed_at = [first, stride](std::uint64_t j) { return first + j * stride; };

  SweepResult out;
  out.planned = total;
  const unsigned jobs = std::max(1u, options.jobs);
  // A result that finished before a slower earlier seed waits in `ready`; a
  // thread does not start a seed more than `window` ahead of the oldest
  // unfinished one, so `ready` holds at most `window` results.
  const std::uint64_t window = std::uint64_t{jobs} * 8 + 16;
  std::mutex mutex;
  std::condition_variable progressed;
  std::map<std::uint64_t, SeedResult> ready;
  std::uint64_t next_index = 0;  // the next seed to hand out
  std::uint64_t emitted = 0;     // results passed on, in order
  bool stop = false;

  auto stopping = [&] {
    if (stop) return true;
    if (options.cancel != nullptr && options.cancel->load()) {
      out.cancelled = true;
      stop = true;
    } else if (options.budget_s > 0 && std::chrono::duration<double>(Clock::now() - start).count() >= options.budget_s) {
      out.budget_hit = true;
      stop = true;
    }
    return stop;
  };
  auto worker = [&] {
    // Each thread runs its own copy of the spec (Terms' reference counts
    // are not atomic); the copy is made while the lock is held.
    std::optional<ScenarioSpec> own;
    if (jobs > 1) {
      std::lock_guard lock(mutex);
      own.emplace(thread_copy(spec));
    }
    const ScenarioSpec& run_spec = own ? *own : spec;
    for (;;) {
      std::uint64_t j = 0;
      {
        std::unique_lock lock(mutex);
        progressed.wait(lock, [&] { return stop || next_index >= total || next_index < emitted + window; });
        if (next_index >= total || stopping()) {
          progressed.notify_all();
          return;
        }
        j = next_index++;
      }
      const auto t0 = Clock::now();
      RunReport report = run_once(run_spec, seed_at(j), sim::TraceLevel::off);
      SeedResult r = seed_result(seed_at(j), report, t0);
      std::lock_guard lock(mutex);
      ready.emplace(j, std::move(r));
      // Pass on every result whose predecessors are all done, in order (one
      // thread at a time: we hold the lock).
      while (!ready.empty() && ready.begin()->first == emitted) {
        SeedResult next = std::move(ready.begin()->second);
        ready.erase(ready.begin());
        ++emitted;
        ++out.ran;
        if (options.on_run) {
          options.on_run(std::move(next));
        } else {
          out.runs.push_back(std::move(next));
        }
        if (options.progress) options.progress(emitted, total);
      }
      progressed.notify_all();
    }
  };
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  // A stop may leave holes (a seed finished while an earlier one was still
  // running is not passed on past the hole): keep the runs in order, then
  // the ones after the hole, so that every finished run is reported.
  for (auto& [j, r] : ready) {
    (void)j;
    ++out.ran;
    if (options.on_run) {
      options.on_run(std::move(r));
    } else {
      out.runs.push_back(std::move(r));
    }
  }
  if (out.ran < total && !out.cancelled) out.budget_hit = true;
  out.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace otpsim::scenarios
