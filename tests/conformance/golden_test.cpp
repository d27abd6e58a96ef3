// conformance-golden: every scenario against golden/<scenario>.txt (the
// real BEAM's output), under both signal deliveries (README.md, "Async and
// instant delivery"):
//
// - Instant/Golden: under instant delivery (a signal lands at the sender's
//   step, as the BEAM on one node shows it) every scenario prints exactly
//   golden under every seed; the canonical observation must not depend on
//   the interleaving.
// - Async/Golden: under async delivery (the kernel's default: Erlang's
//   guarantee, per-pair order and nothing else) the golden output must be
//   reached, and every other output must be one golden/<scenario>.async-allowed.txt
//   explains (async_check.hpp): a reordering whose every swapped pair is
//   listed, after listed substitutions. Each entry listed under `why:` must
//   be seen, each under `unreached:` must not be, so the list stays exact.
//
// To run one half: --gtest_filter='*GoldenInstant*' or '*GoldenAsync*'.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/pct_strategy.hpp"
#include "tests/conformance/sim/async_check.hpp"
#include "tests/conformance/sim/common.hpp"

#ifndef CONFORMANCE_DIR
#error "CONFORMANCE_DIR must name tests/conformance"
#endif

namespace otpsim::conformance {
namespace {

namespace sim = otpsim::sim;

constexpr std::uint64_t instant_seeds = 100;  // at least 20 (README); a run costs well under a millisecond
// Async: seeds of the random strategy, then of pct (depth 3), which starves
// single channels far more often and so reaches the rarer orders. Every
// entry of every list was seen under half of this (README).
constexpr std::uint64_t async_random_seeds = 1000;
constexpr std::uint64_t async_pct_seeds = 1000;

std::string golden_path(const std::string& scenario) { return std::string(CONFORMANCE_DIR) + "/golden/" + scenario + ".txt"; }
std::string allowed_path(const std::string& scenario) {
  return std::string(CONFORMANCE_DIR) + "/golden/" + scenario + ".async-allowed.txt";
}


/// A unified-style diff (one hunk over the whole file; the files are short).
std::string unified_diff(const Lines& a, const Lines& b, const std::string& from, const std::string& to) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::ostringstream out;
  out << "--- " << from << "\n+++ " << to << "\n@@ -1," << n << " +1," << m << " @@\n";
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out << " " << a[i++] << "\n";
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out << "-" << a[i++] << "\n";
    } else {
      out << "+" << b[j++] << "\n";
    }
  }
  return out.str();
}

std::string failure_log(const Outcome& o) {
  std::string log;
  for (const std::string& line : o.log) log += "  " + line + "\n";
  return log;
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const Scenario& s : all_scenarios()) names.push_back(s.name);
  return names;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// ---- instant delivery: golden exactly, under every seed ---------------------

class GoldenInstant : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenInstant, matches_the_beam_under_every_seed) {
  const std::string name = GetParam();
  const Scenario* scenario = find_scenario(name);
  ASSERT_NE(scenario, nullptr);
  const Lines golden = read_lines(golden_path(name));
  ASSERT_FALSE(golden.empty()) << "no golden/" << name << ".txt";

  std::map<Lines, std::vector<std::uint64_t>> outputs;  // distinct outputs -> seeds
  std::set<std::uint64_t> schedules;                     // distinct interleavings explored
  for (std::uint64_t seed = 0; seed < instant_seeds; ++seed) {
    Outcome o = run(*scenario, seed, sim::Delivery::instant);
    schedules.insert(o.schedule_hash);
    if (!o.error.empty()) {
      ADD_FAILURE() << name << " seed " << seed << " (instant): " << o.error << "\nlines so far:\n" << failure_log(o);
      continue;
    }
    auto& seen = outputs[o.lines];
    seen.push_back(seed);
    if (o.lines != golden && seen.size() == 1) {  // one diff per distinct wrong output
      ADD_FAILURE() << name << " seed " << seed << " (instant) differs from golden/" << name << ".txt:\n"
                    << unified_diff(golden, o.lines, "golden/" + name + ".txt",
                                    "sim/" + name + " (instant, seed " + std::to_string(seed) + ")");
    }
  }
  // The seeds must explore more than one interleaving, or the check is vacuous.
  // (The smallest scenarios have a few dozen interleavings in all.)
  EXPECT_GE(schedules.size(), 10u) << name << ": only " << schedules.size() << " distinct schedules";
  RecordProperty("schedules", static_cast<int>(schedules.size()));
  if (outputs.size() > 1) {
    std::ostringstream which;
    for (const auto& [lines, at] : outputs) {
      which << "  " << (lines == golden ? "golden" : "other ") << " output under seeds";
      for (std::uint64_t s : at) which << " " << s;
      which << "\n";
    }
    ADD_FAILURE() << name << ": the output depends on the seed under instant delivery (" << outputs.size()
                  << " distinct outputs)\n"
                  << which.str();
  }
}

INSTANTIATE_TEST_SUITE_P(Instant, GoldenInstant, ::testing::ValuesIn(scenario_names()), param_name);

// ---- async delivery: golden reached, every output explained -----------------

class GoldenAsync : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenAsync, golden_reached_and_every_other_output_allowed) {
  const std::string name = GetParam();
  const Scenario* scenario = find_scenario(name);
  ASSERT_NE(scenario, nullptr);
  const Lines golden = read_lines(golden_path(name));
  ASSERT_FALSE(golden.empty()) << "no golden/" << name << ".txt";
  const AsyncAllowed allowed = read_async_allowed(allowed_path(name), golden);
  ASSERT_EQ(allowed.error, "") << "golden/" << name << ".async-allowed.txt";

  struct Seen {
    std::uint64_t runs = 0;
    std::string first;  // how to reproduce the first run that printed it
  };
  std::map<Lines, Seen> outputs;
  std::set<std::uint64_t> schedules;
  auto record = [&](const Outcome& o, const std::string& how) {
    schedules.insert(o.schedule_hash);
    if (!o.error.empty()) {
      ADD_FAILURE() << name << " (" << how << "): " << o.error << "\nlines so far:\n" << failure_log(o);
      return;
    }
    Seen& seen = outputs[o.lines];
    if (seen.runs++ == 0) seen.first = how;
  };
  for (std::uint64_t seed = 0; seed < async_random_seeds; ++seed) {
    record(run(*scenario, seed, sim::Delivery::async), "conformance_sim --seed " + std::to_string(seed));
  }
  for (std::uint64_t seed = 0; seed < async_pct_seeds; ++seed) {
    sim::PctOptions options;
    options.depth = 3;
    options.steps_estimate = 2000;
    sim::PctStrategy strategy(seed, options);
    record(run_with(*scenario, strategy, sim::Delivery::async), "conformance_sim --pct --seed " + std::to_string(seed));
  }

  EXPECT_EQ(outputs.count(golden), 1u) << name << ": no run printed golden/" << name << ".txt under async delivery";
  std::vector<std::uint64_t> entry_runs(allowed.entries.size(), 0);
  for (const auto& [lines, seen] : outputs) {
    if (lines == golden) continue;
    Explanation e = explain(golden, lines, allowed);
    if (!e.ok()) {
      std::ostringstream out;
      for (const std::string& line : lines) out << "  | " << line << "\n";
      ADD_FAILURE() << name << ": an output golden/" << name << ".async-allowed.txt does not explain ("
                    << seen.runs << " runs; first: " << seen.first << " " << name << "):\n"
                    << e.describe(golden, lines, allowed) << out.str();
      continue;
    }
    for (std::size_t i : e.used(allowed)) entry_runs[i] += seen.runs;
  }
  for (std::size_t i = 0; i < allowed.entries.size(); ++i) {
    const AllowedEntry& entry = allowed.entries[i];
    if (entry.expected_seen) {
      EXPECT_GT(entry_runs[i], 0u) << name << ": listed under `why:` but no run showed it: " << entry.text(golden)
                                   << " (rarer now? a kernel change? or move it under `unreached:` with the reason)";
    } else {
      EXPECT_EQ(entry_runs[i], 0u) << name << ": listed under `unreached:` but " << entry_runs[i]
                                   << " runs showed it: " << entry.text(golden) << " (move it under a `why:`)";
    }
  }
  EXPECT_GE(schedules.size(), 10u) << name << ": only " << schedules.size() << " distinct schedules";
  RecordProperty("schedules", static_cast<int>(schedules.size()));
  RecordProperty("outputs", static_cast<int>(outputs.size()));
}

INSTANTIATE_TEST_SUITE_P(Async, GoldenAsync, ::testing::ValuesIn(scenario_names()), param_name);

// ---- the files ---------------------------------------------------------------

TEST(Conformance, every_golden_file_has_a_scenario) {
  std::size_t golden_files = 0;
  const std::string suffix = ".async-allowed.txt";
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CONFORMANCE_DIR) + "/golden")) {
    const std::string file = entry.path().filename().string();
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string scenario = file.substr(0, file.size() - suffix.size());
      EXPECT_NE(find_scenario(scenario), nullptr) << "no C++ scenario for " << entry.path();
      EXPECT_TRUE(std::filesystem::exists(golden_path(scenario))) << "no golden file for " << entry.path();
      continue;
    }
    if (entry.path().extension() != ".txt") continue;
    ++golden_files;
    EXPECT_NE(find_scenario(entry.path().stem().string()), nullptr) << "no C++ scenario for " << entry.path();
  }
  EXPECT_EQ(golden_files, all_scenarios().size());
}

// ---- the check itself ----------------------------------------------------------

const Lines small_golden = {"start a", "start b", "call x ok", "exit a killed", "exit b shutdown", "sup top alive"};

TEST(AsyncCheck, explains_listed_swaps_and_substitutions_only) {
  const AsyncAllowed allowed = parse_async_allowed(
      "# a comment\n"
      "why: two DOWNs from different senders\n"
      "[4] exit a killed <> [5] exit b shutdown\n"
      "unreached: a status request ahead of an exit signal\n"
      "[6] sup top alive => sup top exit shutdown\n",
      small_golden);
  ASSERT_EQ(allowed.error, "");
  ASSERT_EQ(allowed.entries.size(), 2u);
  EXPECT_FALSE(allowed.entries[1].expected_seen);

  EXPECT_TRUE(explain(small_golden, small_golden, allowed).ok());
  Explanation swapped =
      explain(small_golden, {"start a", "start b", "call x ok", "exit b shutdown", "exit a killed", "sup top alive"}, allowed);
  EXPECT_TRUE(swapped.ok());
  EXPECT_EQ(swapped.inversions, std::vector<LinePair>{LinePair(4, 5)});
  EXPECT_EQ(swapped.used(allowed), std::vector<std::size_t>{0});

  Explanation substituted = explain(
      small_golden, {"start a", "start b", "call x ok", "exit a killed", "exit b shutdown", "sup top exit shutdown"}, allowed);
  EXPECT_TRUE(substituted.ok());
  EXPECT_EQ(substituted.substituted, std::vector<std::size_t>{6});
  EXPECT_EQ(substituted.used(allowed), std::vector<std::size_t>{1});

  // an unlisted swap (a start before the call it preceded), an unlisted text, a missing line
  Explanation bad_swap =
      explain(small_golden, {"start a", "call x ok", "start b", "exit a killed", "exit b shutdown", "sup top alive"}, allowed);
  EXPECT_FALSE(bad_swap.ok());
  EXPECT_EQ(bad_swap.unexplained, std::vector<LinePair>{LinePair(2, 3)});
  EXPECT_FALSE(
      explain(small_golden, {"start a", "start b", "call x ok", "exit a noproc", "exit b shutdown", "sup top alive"}, allowed)
          .ok());
  EXPECT_FALSE(explain(small_golden, {"start a", "start b", "call x ok", "exit a killed", "sup top alive"}, allowed).ok());
}

TEST(AsyncCheck, identical_lines_match_in_order) {
  const Lines golden = {"exit c1 killed", "start c1", "exit c1 killed", "start c1"};
  const AsyncAllowed allowed = parse_async_allowed("why: old DOWN vs new start\n[1] exit c1 killed <> [2] start c1\n", golden);
  ASSERT_EQ(allowed.error, "");
  Explanation e = explain(golden, {"start c1", "exit c1 killed", "exit c1 killed", "start c1"}, allowed);
  EXPECT_TRUE(e.ok());
  EXPECT_EQ(e.inversions, std::vector<LinePair>{LinePair(1, 2)});
  // the second instance's DOWN before its own start is not listed
  EXPECT_FALSE(explain(golden, {"exit c1 killed", "start c1", "start c1", "exit c1 killed"}, allowed).ok());
}

TEST(AsyncCheck, rejects_stale_and_malformed_lists) {
  EXPECT_NE(parse_async_allowed("why: x\n[4] exit a shutdown <> [5] exit b shutdown\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("[4] exit a killed <> [5] exit b shutdown\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("why: x\n[5] exit b shutdown <> [4] exit a killed\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("why: x\n[9] exit a killed <> [5] exit b shutdown\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("why: x\nexit a killed, exit b shutdown\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("why: x\n[6] sup top alive => sup top alive\n", small_golden).error, "");
  EXPECT_NE(parse_async_allowed("why: x\n[4] exit a killed <> [5] exit b shutdown\n[4] exit a killed <> [5] exit b shutdown\n",
                                small_golden)
                .error,
            "");
}

}  // namespace
}  // namespace otpsim::conformance
