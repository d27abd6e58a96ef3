// Every built-in finding's shrunk counterexample, told as a story: at most
// 20 lines, the fault first, the violated property, the replay line last.
#include "scenarios/story.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "scenarios/library.hpp"
#include "scenarios/report.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/sweep.hpp"

namespace otpsim::scenarios {
namespace {

const std::vector<ScenarioSpec>& specs() {
  static const std::vector<ScenarioSpec> all = [] {
    auto parsed = builtin_scenarios();
    EXPECT_TRUE(std::holds_alternative<std::vector<ScenarioSpec>>(parsed));
    if (auto* v = std::get_if<std::vector<ScenarioSpec>>(&parsed)) return *v;
    return std::vector<ScenarioSpec>();
  }();
  return all;
}

const ScenarioSpec* find_spec(const std::string& name) {
  for (const ScenarioSpec& s : specs()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

/// The property a scenario expects violated (each finding has one), or "".
std::string expected_violation(const ScenarioSpec& spec) {
  for (const auto& [property, holds] : spec.expect) {
    if (!holds) return property;
  }
  return {};
}

/// The story of the first violation of `property` over the scenario's own
/// schedules, shrunk as `otpsim run` shrinks it.
std::vector<std::string> finding_story(const ScenarioSpec& spec, const std::string& property) {
  SweepOptions options;
  options.seeds = spec.explore.seeds;
  options.seed_base = spec.explore.seed_base;
  options.jobs = 1;
  SweepResult result = sweep(spec, options);
  for (const SeedResult& r : result.runs) {
    auto v = std::find_if(r.verdicts.begin(), r.verdicts.end(),
                          [&](const PropertyVerdict& pv) { return pv.property == property && !pv.held; });
    if (v == r.verdicts.end()) continue;
    std::optional<ShrunkRun> shrunk =
        shrink_violation(spec, property, *sim::decode_token(r.token).token, 4000, spec.explore.budget_s);
    EXPECT_TRUE(shrunk.has_value()) << spec.name;
    if (!shrunk) return {};
    StoryViolation told{property, shrunk->message, replay_command(spec.source, shrunk->token)};
    return story_of_token(spec, shrunk->token, shrunk->violation_step, told);
  }
  ADD_FAILURE() << spec.name << ": no schedule violates " << property;
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "  " + l + "\n";
  return out;
}

class FindingStory : public ::testing::TestWithParam<std::string> {};

TEST_P(FindingStory, is_told_in_at_most_20_lines_fault_first_replay_last) {
  const ScenarioSpec* spec = find_spec(GetParam());
  ASSERT_NE(spec, nullptr);
  const std::string property = expected_violation(*spec);
  ASSERT_FALSE(property.empty());
  const std::vector<std::string> lines = finding_story(*spec, property);
  ASSERT_GE(lines.size(), 3u) << joined(lines);
  EXPECT_LE(lines.size(), 20u) << joined(lines);
  // The fault the scenario injects (its action), or that there was none.
  EXPECT_EQ(lines.front().rfind("fault", 0), 0u) << joined(lines);
  if (spec->faults.faults.empty()) {
    EXPECT_EQ(lines.front(), "fault: none injected") << joined(lines);
  } else {
    EXPECT_NE(lines.front().find(spec->faults.faults.front().action.name()), std::string::npos) << joined(lines);
  }
  EXPECT_EQ(lines.back().rfind("replay: otpsim replay ", 0), 0u) << joined(lines);
  EXPECT_EQ(lines[lines.size() - 2].rfind("violated " + property + ": ", 0), 0u) << joined(lines);
  for (const std::string& l : lines) EXPECT_LE(l.size(), 400u) << l;
}

std::vector<std::string> findings() {
  std::vector<std::string> out;
  for (const ScenarioSpec& s : specs()) {
    if (!expected_violation(s).empty()) out.push_back(s.name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Builtin, FindingStory, ::testing::ValuesIn(findings()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The Registry kill: the restarted Registry cannot start while the old
// partition holds its name, and the top supervisor gives up.
TEST(Story, registry_kill_tells_already_started_and_the_top_giving_up) {
  const ScenarioSpec* spec = find_spec("registry-kill-already-started");
  ASSERT_NE(spec, nullptr);
  const std::vector<std::string> lines = finding_story(*spec, "restart_scope");
  const std::string text = joined(lines);
  ASSERT_GE(lines.size(), 4u) << text;
  EXPECT_EQ(lines.front().rfind("fault: kill Registry<", 0), 0u) << text;
  // The retries of the restart, folded ("(xN)" or "N x [...]"), each failing
  // on the old partition's name.
  auto retries = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find(" tokens_sup: ") != std::string::npos && l.find("starts Registry") != std::string::npos &&
           l.find("{already_started,<0.") != std::string::npos &&
           (l.find("(x") != std::string::npos || l.find(" x [") != std::string::npos);
  });
  EXPECT_NE(retries, lines.end()) << text;
  // The top gives up: the violation says so, and the top has the last turn.
  EXPECT_NE(lines[lines.size() - 2].find("(tokens_sup) gave up"), std::string::npos) << text;
  EXPECT_NE(lines[lines.size() - 3].find(" tokens_sup: "), std::string::npos) << text;
}

}  // namespace
}  // namespace otpsim::scenarios
