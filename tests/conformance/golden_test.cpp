// conformance-golden: every scenario, under many seeds, prints exactly
// golden/<scenario>.txt (the real BEAM's output). The simulator explores
// interleavings; the canonical observation must not depend on them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/conformance/sim/common.hpp"

#ifndef CONFORMANCE_DIR
#error "CONFORMANCE_DIR must name tests/conformance"
#endif

namespace otpsim::conformance {
namespace {

using Lines = std::vector<std::string>;

constexpr std::uint64_t seeds = 100;  // at least 20 (README); a run costs well under a millisecond

Lines read_golden(const std::string& scenario) {
  std::ifstream f(std::string(CONFORMANCE_DIR) + "/golden/" + scenario + ".txt");
  Lines lines;
  std::string line;
  while (std::getline(f, line)) lines.push_back(line);
  return lines;
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

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, matches_the_beam_under_every_seed) {
  const std::string name = GetParam();
  const Scenario* scenario = find_scenario(name);
  ASSERT_NE(scenario, nullptr);
  const Lines golden = read_golden(name);
  ASSERT_FALSE(golden.empty()) << "no golden/" << name << ".txt";

  std::map<Lines, std::vector<std::uint64_t>> outputs;  // distinct outputs -> seeds
  std::set<std::uint64_t> schedules;                     // distinct interleavings explored
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    Outcome o = run(*scenario, seed);
    schedules.insert(o.schedule_hash);
    if (!o.error.empty()) {
      std::string log;
      for (const std::string& line : o.log) log += "  " + line + "\n";
      ADD_FAILURE() << name << " seed " << seed << ": " << o.error << "\nlines so far:\n" << log;
      continue;
    }
    auto& seen = outputs[o.lines];
    seen.push_back(seed);
    if (o.lines != golden && seen.size() == 1) {  // one diff per distinct wrong output
      ADD_FAILURE() << name << " seed " << seed << " differs from golden/" << name << ".txt:\n"
                    << unified_diff(golden, o.lines, "golden/" + name + ".txt",
                                    "sim/" + name + " (seed " + std::to_string(seed) + ")");
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
    ADD_FAILURE() << name << ": the output depends on the seed (" << outputs.size() << " distinct outputs)\n"
                  << which.str();
  }
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const Scenario& s : all_scenarios()) names.push_back(s.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Conformance, Golden, ::testing::ValuesIn(scenario_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(Conformance, every_golden_file_has_a_scenario) {
  std::size_t golden_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CONFORMANCE_DIR) + "/golden")) {
    if (entry.path().extension() != ".txt") continue;
    ++golden_files;
    EXPECT_NE(find_scenario(entry.path().stem().string()), nullptr) << "no C++ scenario for " << entry.path();
  }
  EXPECT_EQ(golden_files, all_scenarios().size());
}

}  // namespace
}  // namespace otpsim::conformance
