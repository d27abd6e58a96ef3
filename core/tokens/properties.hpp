// Named properties of the trio, judged on a finished run's RunRecord (and
// the end state). Each has a one-line statement (docs/properties.md). The
// same predicates serve scenario files and C++ tests.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/property.hpp"
#include "core/tokens/record.hpp"
#include "core/tokens/trio.hpp"
#include "sim/kernel.hpp"

namespace otpsim::core::tokens {

/// What a property may look at.
class PropertyContext {
 public:
  PropertyContext(const RunRecord& record_, const Trio& trio_, const sim::Kernel& kernel_, sim::Outcome outcome_)
      : record(record_), trio(trio_), kernel(kernel_), outcome(outcome_) {}
  const RunRecord& record;
  const Trio& trio;
  const sim::Kernel& kernel;
  sim::Outcome outcome;  // how the run ended (a cut-off run leaves calls unfinished)
  /// liveness: after the last fault has healed, a get must succeed within this.
  Micros liveness_bound_us = 30'000'000;
  /// The system clock's offset over the run, (from_us, offset_us) in time
  /// order, for a runner that moves the clock itself. Empty: rebuilt from
  /// the clock_jump FaultEvents (docs/properties.md, "System time").
  std::vector<std::pair<Micros, Micros>> clock_offsets;
};

using core::Violation;

class Property {
 public:
  std::string name;
  std::string statement;  // one line
  std::function<std::optional<Violation>(const PropertyContext&)> check;
};

/// Every property, in name order:
///   cli_coalesced, liveness, manual_token_durable, missing_table_is_a_miss,
///   no_client_crash, no_expired_token, one_live_app_server_per_app,
///   refresh_atomic, resolve_agrees, restart_intensity, restart_scope.
const std::vector<Property>& properties();
/// The property called `name`, or nullptr.
const Property* find_property(std::string_view name);

}  // namespace otpsim::core::tokens
