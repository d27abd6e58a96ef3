// Properties that follow from a tree's structure, for any declared tree
// (docs/properties.md, "Any tree"). They judge a finished run from what the
// kernel saw (spawns, exits and their reasons, receives: the RunRecord), the
// declared TreeSpec and the faults injected, not from events a model emits
// for them. The restart arithmetic is supervisor.erl's (otp::add_restart).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/property.hpp"
#include "core/record.hpp"
#include "core/tree/spec.hpp"
#include "sim/kernel.hpp"

namespace otpsim::core::tree {

/// Events the tree runtime emits for rows_survive (Ctx::emit, from the
/// worker that ran the step, only when the step succeeded):
///   {table_new, Table}                 a table_new step created Table (an atom)
///   {table_insert, Table, Key, Value}  a table_insert step wrote {Key, Value}
///   {table_delete, Table, Key}         a table_delete step removed Key
/// and, for no_unhandled_message, {unhandled, Path, Msg} when an info
/// message falls to Elixir's default handle_info.

/// What a tree property may look at.
class TreeContext {
 public:
  TreeContext(const TreeSpec& tree_, const RunRecord& record_, const sim::Kernel& kernel_, sim::Outcome outcome_)
      : tree(tree_), record(record_), kernel(kernel_), outcome(outcome_) {}
  const TreeSpec& tree;
  const RunRecord& record;  // processes labelled by path; record.faults: the faults injected
  const sim::Kernel& kernel;
  sim::Outcome outcome;
  /// recovers: after the last fault, every permanent child is running
  /// again within this bound.
  Micros recover_bound_us = 5'000'000;
};

class TreeProperty {
 public:
  std::string name;
  std::string statement;  // one line
  std::function<std::optional<Violation>(const TreeContext&)> check;
};

/// Every generic property, in name order: fault_contained, no_caller_crash,
/// no_orphans, no_unhandled_message, one_live_per_name, recovers,
/// restart_intensity, restart_scope, rows_survive.
const std::vector<TreeProperty>& tree_properties();
const TreeProperty* find_tree_property(std::string_view name);

/// The paths a failure of the node at `path` takes down under the declared
/// strategies (the node itself, then what its parent's strategy stops:
/// one_for_one none, rest_for_one the later siblings, one_for_all all
/// siblings, with all their descendants), in start order.
std::vector<std::string> blast_radius(const TreeSpec& tree, std::string_view path);

}  // namespace otpsim::core::tree
