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

SweepResult sweep(const ScenarioSpec& spec, const SweepOptions& options) {
  using Clock = std::chrono::steady_clock;
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
      SeedResult r;
      r.seed = seeds[i];
      r.result = report.result;
      r.verdicts = report.verdicts;
      r.token = report.token;
      r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
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
