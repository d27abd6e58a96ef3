// Preemptions and the relative encoding (sim/preemption.hpp).
#include "sim/preemption.hpp"

#include <gtest/gtest.h>

#include "sim/ctx.hpp"
#include "sim/kernel.hpp"
#include "sim/random_strategy.hpp"
#include "sim/sequence_strategy.hpp"

namespace otpsim::sim {
namespace {

/// Two processes of four yields each: any switch while both run is a preemption.
void two_yielders(Kernel& kernel) {
  for (int p = 0; p < 2; ++p) {
    kernel.spawn([](Ctx ctx) -> Proc {
      for (int i = 0; i < 4; ++i) co_await ctx.yield();
    });
  }
}

struct Counted {
  std::uint64_t preemptions = 0;
  std::vector<std::uint64_t> relative;
  std::vector<Choice> choices;
};

Counted run(std::unique_ptr<Strategy> inner) {
  auto log = std::make_shared<PreemptionLog>();
  PreemptionCounter counter(std::move(inner), log);
  Kernel kernel(KernelConfig{}, counter);
  two_yielders(kernel);
  kernel.run();
  return {log->preemptions, log->relative, kernel.choices()};
}

TEST(Preemption, all_zeros_in_the_relative_encoding_never_preempts) {
  const Counted c = run(std::make_unique<RelativeSequenceStrategy>(std::vector<std::uint64_t>{}));
  EXPECT_EQ(c.preemptions, 0u);
  for (std::uint64_t v : c.relative) EXPECT_EQ(v, 0u);
}

TEST(Preemption, alternating_is_a_preemption_at_each_switch) {
  // Plain picks 1, 0, 1, 0, ...: the second process, then the first, and so
  // on, each time both can run (all 1s would let the second one run on).
  const Counted c = run(std::make_unique<SequenceStrategy>(std::vector<std::uint64_t>{1, 0, 1, 0, 1, 0, 1, 0}));
  EXPECT_GE(c.preemptions, 4u);
  const Counted same = run(std::make_unique<SequenceStrategy>(std::vector<std::uint64_t>(8, 1)));
  EXPECT_EQ(same.preemptions, 0u);
}

TEST(Preemption, the_relative_encoding_replays_the_same_run) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const Counted a = run(std::make_unique<RandomStrategy>(seed));
    const Counted b = run(std::make_unique<RelativeSequenceStrategy>(a.relative));
    EXPECT_EQ(a.choices, b.choices) << "seed " << seed;
    EXPECT_EQ(a.preemptions, b.preemptions);
    EXPECT_EQ(a.relative, b.relative);
  }
}

}  // namespace
}  // namespace otpsim::sim
