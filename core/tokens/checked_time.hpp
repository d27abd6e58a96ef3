// Checked time arithmetic for the model, the injector and the runner.
//
// Every time a scenario file may give is an int64 count of microseconds (or
// seconds, for system time), and several are added together at run time:
// simulated now + a delay, simulated time + the clock offset, an expiry -
// now - a lead. Signed overflow is undefined behaviour, so none of those
// sums is done with a plain `+`:
//
// - Simulated time never passes `time_horizon_us` (2^62 us, about 146,000
//   years): the parser keeps explore.time_max_s below it and the kernel
//   never advances past time_max. Every delay handed to the kernel (a
//   sleep, a receive or call timeout, a send_after) goes through
//   `kernel_delay`, which caps it at the horizon, so the kernel's own
//   `now + delay` stays below 2^63. A capped delay still ends past any
//   run's time limit, so capping changes nothing a run can observe.
// - System time (simulated time + the clock offset, in whole seconds),
//   expiries and the property checks' bounds saturate at the int64 limits
//   (`sat_add`, `sat_sub`, `sat_mul`): a clock at the end of time stays
//   there instead of wrapping into the past.
#pragma once

#include <cstdint>
#include <limits>

#include "sim/ids.hpp"

namespace otpsim::core::tokens {

using sim::Micros;

/// The latest simulated time a run may reach (exclusive), and the longest
/// delay the kernel is ever handed: 2^62 us.
inline constexpr Micros time_horizon_us = Micros{1} << 62;

/// a + b, saturated at the int64 limits.
constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return r;
}

/// a - b, saturated at the int64 limits.
constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  }
  return r;
}

/// a * b, saturated at the int64 limits.
constexpr std::int64_t sat_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) != (b < 0) ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  }
  return r;
}

/// -a, saturated (-INT64_MIN is INT64_MAX).
constexpr std::int64_t sat_neg(std::int64_t a) { return sat_sub(0, a); }

/// floor(t / d) for d > 0, without overflow for any t (rounds towards
/// minus infinity: a time before the epoch still rounds down).
constexpr std::int64_t floor_div(std::int64_t t, std::int64_t d) {
  const std::int64_t q = t / d;  // truncates towards zero; INT64_MIN / d is fine for d > 0
  return (t % d != 0 && t < 0) ? q - 1 : q;
}

/// A delay for the kernel (sleep, receive/call timeout, send_after): capped
/// at the horizon so that now + delay cannot overflow. Negative values (the
/// kernel's infinity_us, -1, and "already due") pass through unchanged.
constexpr Micros kernel_delay(Micros d) { return d > time_horizon_us ? time_horizon_us : d; }

/// Seconds to microseconds, saturated.
constexpr Micros seconds_to_us(std::int64_t s) { return sat_mul(s, 1'000'000); }

/// Milliseconds to microseconds, saturated.
constexpr Micros ms_to_us(std::int64_t ms) { return sat_mul(ms, 1000); }

}  // namespace otpsim::core::tokens
