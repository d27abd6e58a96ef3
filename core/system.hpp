// The small interface a system under test implements, so that faults/ and
// scenarios/ work on any of them: the trio (core/tokens/trio_system.hpp) and
// any declared tree (core/tree/runtime.hpp).
//
// A System is built for one run and must outlive it; the kernel's processes
// keep pointers into it. Everything here runs inside the simulation or in an
// observer hook, and is a pure function of the run (no clocks, no hashing
// order).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"
#include "sim/ctx.hpp"

namespace otpsim::core {

namespace tokens {
class Env;
}

/// One operation of a workload client, as the scenario file gives it. The
/// trio's ops: get | refresh | invalidate | set_manual (app, token). A
/// declared tree's: call | cast | send (to, request, timeout_us,
/// catch_exit), and sleep (timeout_us).
class ClientOp {
 public:
  ClientOp() = default;
  std::string op = "get";
  std::string app;    // the trio's app
  std::string token;  // the trio's set_manual token
  sim::Term to;       // a tree's address: an atom (a local name) or {via, Registry, Key}
  sim::Term request;
  sim::Micros timeout_us = 5'000'000;
  bool catch_exit = false;  // the client survives a call that exits (the result is {exit, Reason})
};

class System {
 public:
  virtual ~System() = default;
  /// Starts the system, linked to the calling process (the node):
  /// {ok, TopPid} | {error, Reason}. Called again after a node restart.
  virtual sim::Task<sim::Term> start_link(sim::Ctx ctx) = 0;
  /// Runs one client operation and records it in `record` (a ClientCall).
  /// An operation that exits the client throws, as the call would.
  virtual sim::Task<> client_op(sim::Ctx ctx, RunRecord* record, std::string client, const ClientOp* op) = 0;
  /// The process a fault target names now, or Pid{} with `why_not` set.
  /// `target` is a path ("top/registry", "top/sessions/session:a"), a
  /// logical name the system defines (the trio's "registry", "app:NAME"),
  /// or "any_child:PATH" (a live child of the supervisor at PATH, picked by
  /// a logged choice among them in pid order). Called from an observer hook.
  virtual sim::Pid resolve(std::string_view target, sim::Kernel& kernel, const RunRecord& record,
                           std::string& why_not) = 0;
  /// True if `target` names `pid` (for on_receive triggers).
  virtual bool names(std::string_view target, sim::Pid pid, const sim::Kernel& kernel, const RunRecord& record) const = 0;
  /// The environment environment faults act on (storage, CLI, clock), or
  /// nullptr if the system has none (then only process faults apply).
  virtual tokens::Env* env() { return nullptr; }
  /// True if a process with this label belongs to the system (a node
  /// restart kills these; the workload's processes survive it).
  virtual bool owns(const std::string& label) const = 0;
};

}  // namespace otpsim::core
