#include "sim/causality.hpp"

#include "sim/assert.hpp"
#include "sim/dependence.hpp"

namespace otpsim::sim {

std::vector<std::uint64_t> causal_slice(const std::vector<LoggedStep>& steps, std::uint64_t target) {
  OTPSIM_ASSERT(target < steps.size(), "causal_slice: no such step");
  std::vector<bool> in(target + 1, false);
  in[target] = true;
  // Backwards: a step is in if some later step in the slice depends on it.
  for (std::uint64_t j = target + 1; j-- > 0;) {
    if (!in[j]) continue;
    const LoggedStep& later = steps[j];
    if (later.step.cause < j) in[later.step.cause] = true;
    for (std::uint64_t i = 0; i < j; ++i) {
      if (in[i]) continue;
      const LoggedStep& earlier = steps[i];
      if (dependent(earlier.step, later.step)) in[i] = true;
    }
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i <= target; ++i) {
    if (in[i]) out.push_back(i);
  }
  return out;
}

}  // namespace otpsim::sim
