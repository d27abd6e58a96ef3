// The already_started benchmark programs of Concuerror's users
// (/work/shared/reference/dpor-benchmarks/: as_reg.erl, as_srv.erl,
// as_gs.erl) written against sim/, for bench/dpor_bench.cpp.
//
// N clients, spawned by a main process, look a name up; on a miss a client
// spawns a worker that registers the name; `fixed` clients use the pid of
// {error, {already_started, Pid}}, `buggy` ones pass the error on. The main
// process collects the results with one selective receive per client, in
// client order, cleans up (monitors the worker, stops it, waits for its
// DOWN; as_srv and as_gs also stop the registry), then asserts that every
// result is {ok, W}. A failed assertion is the bug: the main process exits
// with {badmatch, ...} and the RunRecord says so.
//
// - as_reg: the kernel's register_name/whereis is the name table;
// - as_srv: a registry process with a receive loop and a name -> pid map;
//   call = send {call, From, Ref, Req}, then receive {Ref, Reply};
// - as_gs: the same registry as a core/otp gen_server (start, call with
//   infinity timeout, stop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/kernel.hpp"

namespace otpsim::bench {

enum class DporProgram : std::uint8_t { as_reg, as_srv, as_gs };
enum class DporMode : std::uint8_t { fixed, buggy };

std::string_view program_name(DporProgram program);
std::optional<DporProgram> program_from_name(std::string_view name);
std::string_view mode_name(DporMode mode);
std::optional<DporMode> mode_from_name(std::string_view name);

/// What the main process of one run reports (it holds a pointer to it).
struct RunRecord {
  bool done = false;    // the assertion held
  bool failed = false;  // the assertion failed: the bug
  std::string why;      // the failing results, as text
  /// What each client did, by client index: h (its lookup found the
  /// worker), s (it started the worker), a (its worker found the name
  /// taken: already_started), '.' (not finished). With done/failed, the
  /// run's outcome for comparing reductions.
  std::string paths;
  std::string outcome() const { return paths + (failed ? ":bug" : done ? ":ok" : ":?"); }
};

/// Spawns the program's main process on `kernel` (before run()).
void spawn_program(sim::Kernel& kernel, DporProgram program, DporMode mode, int clients, RunRecord* record);

/// Concuerror 0.21's interleavings to exhaustion (optimal DPOR) for the
/// fixed program, from the reference README; nullopt where it has none.
std::optional<std::uint64_t> concuerror_count(DporProgram program, int clients);

}  // namespace otpsim::bench
