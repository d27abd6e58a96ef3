// Identifiers of kernel objects. Every id is a counter that only grows within
// a run, so an id is never reused: a stale Pid can never name a newer process.
#pragma once

#include <compare>
#include <cstdint>

namespace otpsim::sim {

/// A process identifier. `id == 0` is "no process" (OTP's `undefined`).
struct Pid {
  std::uint64_t id = 0;
  constexpr explicit operator bool() const { return id != 0; }
  friend constexpr auto operator<=>(Pid, Pid) = default;
};

/// A unique reference (make_ref, monitor refs, timer refs). 0 is "none".
struct Ref {
  std::uint64_t id = 0;
  constexpr explicit operator bool() const { return id != 0; }
  friend constexpr auto operator<=>(Ref, Ref) = default;
};

/// A table identifier (ETS-like). 0 is "none".
struct TableId {
  std::uint64_t id = 0;
  constexpr explicit operator bool() const { return id != 0; }
  friend constexpr auto operator<=>(TableId, TableId) = default;
};

/// Simulated time and durations are integers in microseconds; names carry
/// the unit (`timeout_us`, `now_us`).
using Micros = std::int64_t;

/// "Wait forever" for receive timeouts.
inline constexpr Micros infinity_us = -1;

}  // namespace otpsim::sim
