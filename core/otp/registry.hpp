// Elixir's Registry with unique keys, as the trio uses it.
//
// A registry named R is a supervisor registered as R (one_for_all) over one
// partition: a gen_server registered as R.PIDPartition0 that traps exits and
// owns two public tables, R.Keys ({Key, {Pid, Value}}) and R.Pids
// ({Pid, [Key]}). As in Elixir:
// - register runs in the registering process: it links to the partition,
//   records the key in R.Pids, then insert_new's into R.Keys; a key held by
//   a dead pid (not yet cleaned up) is taken over;
// - lookup reads R.Keys directly and may return a dead pid; whereis_name
//   filters with is_alive;
// - the partition removes a dead process's keys when its {'EXIT', Pid, _}
//   arrives: asynchronously, not atomically with the death;
// - if the partition dies, its tables die with it and every registrant
//   linked to it gets its exit signal.
#pragma once

#include <string>
#include <vector>

#include "core/otp/gen_server.hpp"

namespace otpsim::core::otp::registry {

/// Registry.start_link(keys: :unique, name: name): {ok, SupervisorPid} or {error, _}.
Task<Term> start_link(Ctx ctx, Atom name);
/// The same, labelling the supervisor process `supervisor_label` and the
/// partition `partition_label` (the one-argument form labels them with
/// their names: R and R.PIDPartition0).
Task<Term> start_link(Ctx ctx, Atom name, std::string supervisor_label, std::string partition_label);

/// Registry.register(name, key, value) for the caller:
/// {ok, PartitionPid} or {error, {already_registered, Pid}}.
Task<Term> register_key(Ctx ctx, Atom name, Term key, Term value);
/// Registry.unregister(name, key) for the caller.
Task<> unregister_key(Ctx ctx, Atom name, Term key);

/// Registry.lookup: [{Pid, Value}] read straight from the table (may list
/// a dead pid). An empty list when the table does not exist.
Task<std::vector<std::pair<Pid, Term>>> lookup(Ctx ctx, Atom name, Term key);
/// Registry.whereis_name({name, key}): the live holder, or Pid{}. Exits
/// the caller with badarg if the registry is not running (Elixir raises
/// ArgumentError there).
Task<Pid> whereis_name(Ctx ctx, Atom name, Term key);
/// Registry.register_name({name, key}, self()): true for :yes.
Task<bool> register_name(Ctx ctx, Atom name, Term key);

/// The atom names of the partition process and of its tables.
Atom partition_name(Atom registry);
Atom keys_table_name(Atom registry);
Atom pids_table_name(Atom registry);

}  // namespace otpsim::core::otp::registry
