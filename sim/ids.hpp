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

/// The actor of an in-flight signal's arrival (async delivery): the FIFO
/// channel from `from` (0: a timer) to `to`. Its id has the top bit set, so
/// it never equals a process's pid; strategies treat it as one more actor
/// whose steps (arrivals, in send order) are ordered like a process's.
constexpr Pid channel_actor(Pid from, Pid to) {
  return Pid{(std::uint64_t{1} << 63) | ((from.id & 0x7fffffffULL) << 32) | (to.id & 0xffffffffULL)};
}
constexpr bool is_channel_actor(Pid actor) { return (actor.id >> 63) != 0; }

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
