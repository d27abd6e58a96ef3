// Small driver helpers shared by the scenario files.
#pragma once

#include "tests/conformance/sim/common.hpp"

namespace otpsim::conformance {

namespace sup = core::otp::supervisor;
namespace dyn = core::otp::dynamic_supervisor;

/// log(label, Conf.which(Supervisor.which_children(s))).
inline Task<> log_which(Conf& conf, const char* label, ServerRef s) {
  Term children = co_await sup::which_children(conf.ctx(), s);
  co_await conf.log(label, which(children));
}

/// log(label, Conf.counts(Supervisor.count_children(s))); otpsim already
/// returns the sorted proplist.
inline Task<> log_counts(Conf& conf, const char* label, ServerRef s) {
  Term counts = co_await sup::count_children(conf.ctx(), s);
  co_await conf.log(label, counts);
}

inline Task<> log_dyn_which(Conf& conf, const char* label, ServerRef s) {
  Term children = co_await dyn::which_children(conf.ctx(), s);
  co_await conf.log(label, which(children));
}

inline Task<> log_dyn_counts(Conf& conf, const char* label, ServerRef s) {
  Term counts = co_await dyn::count_children(conf.ctx(), s);
  co_await conf.log(label, counts);
}

/// System.monotonic_time(:millisecond) on simulated time.
inline std::int64_t now_ms(Ctx ctx) { return ctx.now_us() / 1000; }

}  // namespace otpsim::conformance
