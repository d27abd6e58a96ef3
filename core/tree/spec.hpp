// A supervision tree as data: what a scenario file's [tree] declares
// (docs/trees.md), and what the tree runtime (core/tree/runtime.hpp) starts,
// the generic properties (core/tree/properties.hpp) reason about, and the
// Elixir export builds on the BEAM.
//
// Paths. Every node has an id; its path is its parent's path, "/", its id
// ("top", "top/registry", "top/sessions"). A process the runtime starts for a
// node carries its path as its kernel label, so a run's record maps pids to
// nodes. A dynamic child (started from a template by a start_child step) is
// "<supervisor path>/<template id>:<arg>" ("top/sessions/session:a", the arg
// printed as Term::to_string prints it, strings without quotes). A Registry's
// path names its supervisor; "<path>/partition" its partition. A task is
// "<task supervisor path>/task" (or "task" for Task.async).
//
// Values. A Value is a sim::Term read from the file's term syntax. Atoms
// beginning with '$' are variables, filled in when a step runs:
//   $self     the worker's own pid
//   $arg      the worker's start argument (a dynamic child's arg; [] if none)
//   $msg      the message (call request, cast, info) being handled
//   $result   the result of the last step that produced one
//   $NAME     a variable bound by a pattern ({get, $app}) or a step's `as`
// In patterns, `_` matches anything and an unbound $NAME binds; a bound one
// must be equal. An unbound variable in a value is an error the parser
// reports when it can (the runtime crashes the worker with {unbound, Name}).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/otp/supervisor.hpp"
#include "sim/term.hpp"

namespace otpsim::core::tree {

using sim::Micros;
using sim::Term;
using Value = sim::Term;

class Step;

/// One clause of a `match` step, or of a handle_call/handle_cast/handle_info.
class Clause {
 public:
  Clause() = default;
  Value pattern;            // matched against the message (or the match's value)
  std::vector<Step> steps;  // run in order when the pattern matches
};

/// One thing a declared worker does: in init, in a message clause, in
/// terminate, or in a task's body. Steps that produce a result set $result
/// (and the variable named by `as`, if any).
class Step {
 public:
  enum class Kind : std::uint8_t {
    // control
    reply,              // handle_call: reply `value` to the caller now
    noreply,            // handle_call: end the clause without replying (a later reply may come)
    stop,               // {stop, reason, State}; in a call clause after a reply, {stop, reason, Reply, State}.
                        // terminate runs. In init: init returns {stop, reason}
    ignore,             // init only: init returns :ignore
    crash,              // exit(reason) at once (raise): no terminate unless trapping exits
    sleep,              // spend `timeout_us` of simulated time (Process.sleep)
    trap_exit,          // Process.flag(:trap_exit, true)
    match,              // match `value` against `clauses` in order; none matches: crash {case_clause, V}
    set,                // bind variable `as` to `value`
    state_put,          // the server's state map: key -> value (survives between messages, lost on restart)
    state_get,          // result: the state's value for `key`, or nil
    // messages
    call,               // GenServer.call(to, value, timeout_us): result = the reply. If the call exits:
                        // catch_exit false: the worker exits with the call's reason; true: result = {exit, Reason}
    cast,               // GenServer.cast(to, value)
    send,               // send(to, value); to a name nobody holds: badarg (as `Name ! Msg`)
    send_after,         // Process.send_after(self(), value, timeout_us)
    // names
    register_name,      // Process.register(self(), to)  (to: an atom)
    registry_register,  // Registry.register(registry, key, value): result {ok, Pid} | {error, {already_registered, Pid}}
    registry_lookup,    // Registry.lookup(registry, key): result [{Pid, Value}]
    whereis,            // GenServer.whereis(to): result Pid | nil
    // tables (ETS, named, public, set)
    table_new,          // :ets.new(table, [:named_table, :public, :set, heir: heir]) owned by this process
    table_insert,       // :ets.insert(table, {key, value})
    table_lookup,       // :ets.lookup(table, key): result [{key, value}] | []. Missing table: badarg
                        // (catch_exit: result {exit, badarg})
    table_delete,       // :ets.delete(table, key)
    // children and tasks
    start_child,        // DynamicSupervisor.start_child(sup, template `child` with arg `value`): result verbatim
                        // ({ok, Pid} | {error, {already_started, Pid}} | {error, max_children} | ignore | {error, R});
                        // handle shapes with a following `match` step
    task_async,         // Task.async(steps) then Task.await(timeout_us): result = the body's $result
    task_async_nolink,  // Task.Supervisor.async_nolink(sup, steps) then Task.yield(timeout_us):
                        // result {ok, R} | {exit, Reason} | nil
    task_start_child,   // Task.Supervisor.start_child(sup, steps): result {ok, Pid}
  };
  Step() = default;
  explicit Step(Kind k) : kind(k) {}
  Kind kind = Kind::reply;
  Value to;                       // call, cast, send, whereis, register_name: an atom, {via, Registry, Key}, or a pid value
  Value value;                    // reply, call request, cast/send message, row or registry value, match subject, set
  Value key;                      // table, registry and state keys
  Value reason = Term(sim::atom("normal"));  // stop, crash
  std::string table;              // table_*: the table's name
  std::string heir;               // table_new: the registered name of the heir ("" none)
  std::string registry;           // registry_*: the Registry's name
  std::string sup;                // start_child, task_async_nolink, task_start_child: the supervisor's path
  std::string child;              // start_child: the template's id
  Micros timeout_us = 5'000'000;  // call, task awaits (default 5000 ms); sleep, send_after: the duration
  bool catch_exit = false;        // call, table_lookup, task_async: turn an exit into {exit, Reason}
  std::string as;                 // also bind the result to this variable ("$pid"); "" none
  std::vector<Step> steps;        // task_*: the task's body
  std::vector<Clause> clauses;    // match
};

/// A gen_server declared as data. A category (call, cast, info) with no
/// clauses behaves as Elixir's default: an unexpected call exits
/// {bad_call, Request}, a cast {bad_cast, Msg}, an info is ignored (logged).
/// With clauses and none matching, the server crashes with function_clause,
/// as a GenServer whose handle_info has no catch-all does; give a clause
/// with pattern `_` for a catch-all.
class Behaviour {
 public:
  Behaviour() = default;
  std::string name;
  std::vector<Step> init;
  std::vector<Clause> calls;
  std::vector<Clause> casts;
  std::vector<Clause> infos;
  std::vector<Step> terminate;  // runs on stop, and on a shutdown when trapping exits
};

enum class NodeKind : std::uint8_t { supervisor, dynamic_supervisor, registry, task_supervisor, worker };

/// A node of the tree: a supervisor, a DynamicSupervisor, a Registry, a
/// Task.Supervisor or a worker (declared or native), with its child spec.
class Node {
 public:
  Node() = default;
  std::string id;  // unique among its siblings; [a-z0-9_]+
  NodeKind kind = NodeKind::worker;
  // -- the child spec (how its parent treats it) --
  otp::Restart restart = otp::Restart::permanent;
  /// Default: a worker 5000 ms, any supervisor (and Registry) infinity.
  std::optional<otp::Shutdown> shutdown;
  // -- the process --
  /// Its registered local name ("" none). A Registry must have one (its
  /// name); the others may.
  std::string name;
  /// A worker named {via, Registry, Key}: the registry and the key (a Value:
  /// "$arg" for a template's per-child name). Empty registry: no via name.
  std::string via_registry;
  Value via_key;
  // supervisor
  otp::Strategy strategy = otp::Strategy::one_for_one;
  int intensity = 3;
  int period_s = 5;
  std::vector<Node> children;  // in start order
  // dynamic_supervisor, task_supervisor
  std::int64_t max_children = -1;  // -1: infinity
  // registry
  int partitions = 1;
  // worker: a declared behaviour, or a native (C++) worker registered under this name
  std::string behaviour;
  std::string native;
  Value arg = Term::list(std::vector<Term>());  // the start argument ($arg, [] if none); a template's is given by start_child
  /// The kernel label of its process, if not its path (the trio keeps its
  /// historical labels: "tokens_sup", "ets_owner", "app:NAME"). A template's
  /// label may contain "$arg" ("app:$arg"): the arg, printed as in paths.
  std::string label;
  otp::Shutdown shutdown_or_default() const;
};

/// The whole tree: its root node (started by the node process, linked to
/// it), the templates of dynamic children, and the declared behaviours.
class TreeSpec {
 public:
  TreeSpec() = default;
  std::string name;  // for reports; the scenario's tree file name or "tree"
  Node root;
  std::map<std::string, Node> templates;        // by id: workers a start_child step may start
  std::map<std::string, Behaviour> behaviours;  // by name

  /// The node at `path` ("top/sessions"), or nullptr. A template child's
  /// path ("top/sessions/session:a") finds its template.
  const Node* find(std::string_view path) const;
  /// The path of every static node, parents before children, in start order.
  std::vector<std::string> paths() const;
};

/// Why `tree` cannot run (an unknown behaviour, template or native, a
/// start_child naming a path that is not a DynamicSupervisor, duplicate ids,
/// a Registry without a name, ...): one line naming the path; nullopt if none.
std::optional<std::string> validate(const TreeSpec& tree);

}  // namespace otpsim::core::tree
