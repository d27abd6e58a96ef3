#include "sim/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace otpsim::sim::detail {

void assert_fail(const char* condition, const char* message, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", file, line, message, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace otpsim::sim::detail
