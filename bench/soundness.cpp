// otpsim_soundness: dfs against brute force on many random programs
// (sim/soundness.hpp), printing how many were compared and how many missed
// an outcome. docs/bug-finding.md gives the figures.
//
//   otpsim_soundness [--programs N] [--seed S] [--max-ops K] [--delivery async|instant]
//                    [--reduction NAME] [--budget RUNS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/soundness.hpp"

using namespace otpsim::sim;

int main(int argc, char** argv) {
  std::uint64_t programs = 10'000, seed = 0, budget = 20'000;
  int max_ops = 2;
  Delivery delivery = Delivery::async;
  DfsOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&] {
      if (value == nullptr) {
        std::fprintf(stderr, "otpsim_soundness: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      ++i;
      return std::string(value);
    };
    if (flag == "--programs") {
      programs = std::strtoull(need().c_str(), nullptr, 10);
    } else if (flag == "--seed") {
      seed = std::strtoull(need().c_str(), nullptr, 10);
    } else if (flag == "--max-ops") {
      max_ops = std::atoi(need().c_str());
    } else if (flag == "--budget") {
      budget = std::strtoull(need().c_str(), nullptr, 10);
    } else if (flag == "--delivery") {
      auto d = delivery_from_name(need());
      if (!d) {
        std::fprintf(stderr, "otpsim_soundness: --delivery: async or instant\n");
        return 2;
      }
      delivery = *d;
    } else if (flag == "--reduction") {
      auto r = reduction_from_name(need());
      if (!r) {
        std::fprintf(stderr, "otpsim_soundness: unknown reduction\n");
        return 2;
      }
      options.reduction = *r;
    } else {
      std::fprintf(stderr, "usage: otpsim_soundness [--programs N] [--seed S] [--max-ops K] "
                           "[--delivery async|instant] [--reduction NAME] [--budget RUNS]\n");
      return 2;
    }
  }
  if (max_ops < 1) max_ops = 1;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t compared = 0, misses = 0, extras = 0, all_runs = 0, dfs_runs = 0;
  for (std::uint64_t s = seed; s < seed + programs; ++s) {
    const soundness::Verdict v = soundness::check(soundness::random_program(s, max_ops), delivery, options, budget);
    if (!v.compared) continue;
    ++compared;
    all_runs += v.all_runs;
    dfs_runs += v.dfs_runs + v.dfs_pruned;
    if (v.miss) ++misses;
    if (v.extra) ++extras;
    if (v.miss || v.extra) {
      std::printf("MISS seed %llu: %s\n%s", static_cast<unsigned long long>(s), soundness::describe(s, max_ops).c_str(),
                  v.detail.c_str());
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("delivery %s, reduction %s, max ops %d: %llu programs, %llu enumerated by brute force (<= %llu runs "
              "each), %llu missed an outcome, %llu reached an outcome brute force did not; brute force %llu runs, "
              "dfs %llu runs; %.1f s\n",
              std::string(delivery_name(delivery)).c_str(), std::string(reduction_name(options.reduction)).c_str(),
              max_ops, static_cast<unsigned long long>(programs), static_cast<unsigned long long>(compared),
              static_cast<unsigned long long>(budget), static_cast<unsigned long long>(misses),
              static_cast<unsigned long long>(extras), static_cast<unsigned long long>(all_runs),
              static_cast<unsigned long long>(dfs_runs), secs);
  return misses + extras == 0 ? 0 : 1;
}
