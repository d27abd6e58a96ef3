// dfs on the already_started programs reaches every outcome (which way
// each client went) that an independent reduction reaches. as_reg with
// four clients is where optimal DPOR once missed outcomes: two clients'
// spawns commute, and the kernel numbered their workers in the order the
// spawns ran, so a wakeup sequence recorded in one run named the other
// worker in the next (sim/lineage.hpp).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "bench/dpor_programs.hpp"
#include "sim/dfs.hpp"

namespace otpsim::bench {
namespace {

struct Explored {
  std::set<std::string> outcomes;
  std::uint64_t interleavings = 0;
  bool exhausted = false;
  std::string error;
};

Explored explore(DporProgram program, int clients, sim::Delivery delivery, sim::DfsOptions::Reduction reduction) {
  sim::DfsOptions options;
  options.reduction = reduction;
  sim::DfsExplorer dfs(options);
  sim::KernelConfig config;
  config.delivery = delivery;
  Explored out;
  while (auto strategy = dfs.next_run()) {
    RunRecord record;
    sim::Kernel kernel(config, *strategy);
    spawn_program(kernel, program, DporMode::fixed, clients, &record);
    kernel.run();
    dfs.end_run();
    if (!dfs.last_run_pruned() && dfs.error().empty()) out.outcomes.insert(record.outcome());
  }
  out.interleavings = dfs.interleavings();
  out.exhausted = dfs.exhausted();
  out.error = dfs.error();
  return out;
}

TEST(DporPrograms, optimal_reaches_every_as_reg_outcome_with_four_clients) {
  const Explored optimal = explore(DporProgram::as_reg, 4, sim::Delivery::async, sim::DfsOptions::Reduction::optimal);
  const Explored dpor = explore(DporProgram::as_reg, 4, sim::Delivery::async, sim::DfsOptions::Reduction::dpor);
  ASSERT_TRUE(optimal.exhausted && dpor.exhausted) << optimal.error << dpor.error;
  EXPECT_EQ(optimal.outcomes, dpor.outcomes);
  // One worker registers; every client got ok; any mix of hit and
  // already_started around the one that started it.
  EXPECT_EQ(optimal.outcomes.size(), 32u);
  EXPECT_TRUE(optimal.outcomes.count("aahs:ok"));
  EXPECT_TRUE(optimal.outcomes.count("saha:ok"));
  // Near Concuerror's 248 (it runs under instant delivery; async has more orders).
  EXPECT_LE(optimal.interleavings, 2u * 248u);
}

TEST(DporPrograms, optimal_matches_concuerror_on_as_srv_and_as_gs) {
  for (DporProgram program : {DporProgram::as_srv, DporProgram::as_gs}) {
    SCOPED_TRACE(std::string(program_name(program)));
    for (int clients = 2; clients <= 4; ++clients) {
      const Explored e = explore(program, clients, sim::Delivery::async, sim::DfsOptions::Reduction::optimal);
      ASSERT_TRUE(e.exhausted) << e.error;
      EXPECT_EQ(e.interleavings, *concuerror_count(program, clients)) << clients << " clients";
      for (const std::string& o : e.outcomes) EXPECT_EQ(o.substr(o.size() - 3), ":ok") << o;
    }
  }
}

}  // namespace
}  // namespace otpsim::bench
