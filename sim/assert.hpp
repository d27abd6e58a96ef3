// OTPSIM_ASSERT: an invariant check that stays on in every build type.
// Messages say whose fault a failure is: "otpsim internal bug: ..." for the
// kernel, "model nondeterministic? ..." for a model that broke replay.
#pragma once

namespace otpsim::sim::detail {
[[noreturn]] void assert_fail(const char* condition, const char* message, const char* file, int line);
}  // namespace otpsim::sim::detail

#define OTPSIM_ASSERT(condition, message)                                              \
  do {                                                                                 \
    if (!(condition)) [[unlikely]]                                                     \
      ::otpsim::sim::detail::assert_fail(#condition, message, __FILE__, __LINE__);     \
  } while (false)
