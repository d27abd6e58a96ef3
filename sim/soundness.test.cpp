// dfs is sound on random programs over the whole kernel: every reduction
// reaches exactly the outcomes a brute-force enumeration reaches, under
// async and instant delivery (sim/soundness.hpp). A few hundred programs
// here; bench/soundness.cpp runs 10,000 and more.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "sim/ctx.hpp"
#include "sim/soundness.hpp"

namespace otpsim::sim::soundness {
namespace {

std::uint64_t programs(std::uint64_t fallback) {
  const char* env = std::getenv("OTPSIM_RANDOM_PROGRAMS");  // more, for a longer local search
  if (env != nullptr) return std::strtoull(env, nullptr, 10);
#if defined(__SANITIZE_ADDRESS__)
  return fallback / 5;  // the sanitizer build checks memory, not more programs: CI's time goes further
#else
  return fallback;
#endif
}

void check_many(Delivery delivery, DfsOptions::Reduction reduction, std::uint64_t count, std::uint64_t budget,
                int max_ops) {
  DfsOptions options;
  options.reduction = reduction;
  std::uint64_t compared = 0;
  std::uint64_t all_runs = 0;
  std::uint64_t dfs_runs = 0;
  for (std::uint64_t seed = 0; seed < count; ++seed) {
    const Verdict v = check(random_program(seed, max_ops), delivery, options, budget);
    if (!v.compared) continue;
    ++compared;
    all_runs += v.all_runs;
    dfs_runs += v.dfs_runs + v.dfs_pruned;
    EXPECT_FALSE(v.miss || v.extra) << "seed " << seed << " (" << describe(seed, max_ops) << ")\n" << v.detail;
  }
  // Enough programs are small enough to enumerate for the check to mean
  // something (async programs have an arrival per signal, and a spawned
  // fourth process multiplies the schedules: fewer fit).
  EXPECT_GE(compared * 4, count) << compared << " of " << count << " programs enumerated";
  EXPECT_LT(dfs_runs, all_runs);
  if (std::getenv("OTPSIM_PRINT_DFS_COUNTS")) {
    std::printf("%s %s: %lu programs, brute force %lu runs, dfs %lu runs\n", std::string(delivery_name(delivery)).c_str(),
                std::string(reduction_name(reduction)).c_str(), compared, all_runs, dfs_runs);
  }
}

TEST(Soundness, optimal_reaches_every_outcome_of_random_async_programs) {
  check_many(Delivery::async, DfsOptions::Reduction::optimal, programs(300), 20'000, 2);
}

TEST(Soundness, optimal_reaches_every_outcome_of_random_instant_programs) {
  check_many(Delivery::instant, DfsOptions::Reduction::optimal, programs(300), 20'000, 3);
}

TEST(Soundness, the_default_reduction_reaches_every_outcome_of_random_async_programs) {
  check_many(Delivery::async, DfsOptions{}.reduction, programs(200), 20'000, 2);
}

/// An owner that creates a table with an heir and ends (or is killed
/// first) while the heir reads the table and polls for the ETS-TRANSFER:
/// the table's passing must be ordered like any death.
Program heir_program() {
  return [](Kernel& kernel) -> Finish {
    auto seen = std::make_shared<std::string>();
    Pid heir = kernel.spawn([seen](Ctx ctx) -> Proc {
      auto row = co_await ctx.lookup(Atom("t"), Term(1));
      *seen += std::string(" heir:") + std::string(table_status_name(row.status));
      auto m = co_await ctx.receive(0);
      *seen += m ? " transfer" : " none";
    });
    Pid owner = kernel.spawn([heir](Ctx ctx) -> Proc {
      (void)co_await ctx.table_new(TableOptions(TableAccess::public_access, Term(Atom("t")), heir));
    });
    kernel.spawn([owner](Ctx ctx) -> Proc { co_await ctx.exit(owner, Term(Atom("kill"))); });
    return [seen, &kernel] { return *seen + (kernel.table_named(Term(Atom("t"))) ? " kept" : " gone"); };
  };
}

TEST(Soundness, dfs_reaches_every_outcome_of_a_table_passing_to_its_heir) {
  for (Delivery delivery : {Delivery::async, Delivery::instant}) {
    const Verdict v = check(heir_program(), delivery, DfsOptions{}, 200'000);
    ASSERT_TRUE(v.compared) << delivery_name(delivery) << " " << v.all_runs;
    EXPECT_FALSE(v.miss || v.extra) << delivery_name(delivery) << "\n" << v.detail;
    // The races matter: the heir reads before and after the table exists,
    // and polls before and after the transfer.
    const std::set<std::string> outcomes = brute_force(heir_program(), delivery, 200'000).outcomes;
    EXPECT_TRUE(outcomes.contains(" heir:no_table none gone")) << delivery_name(delivery);
    EXPECT_TRUE(outcomes.contains(" heir:ok transfer gone")) << delivery_name(delivery);
  }
}

TEST(Soundness, a_program_and_its_description_are_deterministic) {
  EXPECT_EQ(describe(7), describe(7));
  const Enumerated a = brute_force(random_program(7), Delivery::async, 4'000);
  const Enumerated b = brute_force(random_program(7), Delivery::async, 4'000);
  EXPECT_EQ(a.outcomes, b.outcomes);
  EXPECT_EQ(a.runs, b.runs);
}

}  // namespace
}  // namespace otpsim::sim::soundness
