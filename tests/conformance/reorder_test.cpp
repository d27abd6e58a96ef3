// conformance-reorder: the reorderings Erlang allows (README.md,
// "Reorderings Erlang allows"). For each scenario of
// sim/reorder_scenarios.hpp, dfs enumerates every interleaving: under async
// delivery both the causal outcome and the reordered one must be reachable
// (and nothing else), under instant delivery only the causal one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/conformance/sim/reorder_scenarios.hpp"

namespace otpsim::conformance::reorder {
namespace {

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const ReorderScenario& s : reorder_scenarios()) out.push_back(s.name);
  return out;
}

const ReorderScenario& find(const std::string& name) {
  for (const ReorderScenario& s : reorder_scenarios()) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no reorder scenario " + name);
}

std::string listed(const std::set<std::string>& outcomes) {
  std::string out;
  for (const std::string& o : outcomes) out += "  " + o + "\n";
  return out;
}

class Reorder : public ::testing::TestWithParam<std::string> {};

TEST_P(Reorder, async_reaches_both_orders_instant_only_the_causal_one) {
  const ReorderScenario& s = find(GetParam());
  SCOPED_TRACE(s.what);

  Enumerated async = enumerate(s.program, sim::Delivery::async);
  EXPECT_EQ(async.error, "");
  EXPECT_TRUE(async.exhausted) << "dfs did not finish (" << async.runs << " runs)";
  EXPECT_EQ(async.outcomes, (std::set<std::string>{s.causal, s.reordered}))
      << "async outcomes (" << async.runs << " interleavings):\n"
      << listed(async.outcomes);

  Enumerated instant = enumerate(s.program, sim::Delivery::instant);
  EXPECT_EQ(instant.error, "");
  EXPECT_TRUE(instant.exhausted) << "dfs did not finish (" << instant.runs << " runs)";
  EXPECT_EQ(instant.outcomes, (std::set<std::string>{s.causal}))
      << "instant outcomes (" << instant.runs << " interleavings):\n"
      << listed(instant.outcomes);

  RecordProperty("async_interleavings", static_cast<int>(async.runs));
  RecordProperty("instant_interleavings", static_cast<int>(instant.runs));
}

INSTANTIATE_TEST_SUITE_P(Conformance, Reorder, ::testing::ValuesIn(names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace otpsim::conformance::reorder
