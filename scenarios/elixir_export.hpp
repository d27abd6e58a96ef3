// `otpsim elixir`: a scenario with a declared tree as an Elixir script that
// builds the same tree from the real Supervisor, DynamicSupervisor, Registry
// and Task.Supervisor, runs the clients and the at_ms faults on the BEAM, and
// prints the canonical observation (scenarios/observation.hpp) the simulator
// prints for its runs, so the BEAM can judge the simulator on any tree.
//
// The script is the runtime scenarios/elixir/runtime.exs (embedded in the
// binary), the scenario as Elixir data, and a call to Otpsim.Main.run/1.
// What the BEAM cannot be made to do is refused: the trio (no tree), native
// workers, triggers other than at_ms (at_step, on_receive, probability, or
// a skip count), and actions other than kill, stop_normal and busy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// Why `spec` cannot run on the BEAM (one line), or nullopt.
std::optional<std::string> elixir_unsupported(const ScenarioSpec& spec);

/// The scenario as an Elixir term (the map Otpsim.Main.run/1 takes). `spec`
/// must be supported (elixir_unsupported == nullopt).
std::string elixir_data(const ScenarioSpec& spec);

/// The whole script: the runtime, the data, the main call.
std::string elixir_script(const ScenarioSpec& spec);

/// The text of scenarios/elixir/runtime.exs.
std::string_view elixir_runtime();

/// `term` as an Elixir literal: atoms :"a", strings "s" (binaries), tuples,
/// lists, integers. Pids, refs and opaques have no literal (nullopt).
std::optional<std::string> elixir_term(const sim::Term& term);

}  // namespace otpsim::scenarios
