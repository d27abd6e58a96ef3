// Writing a ScenarioSpec back as a scenario file (docs/scenarios.md).
//
// Contract: for a spec that parse_scenario produced, parsing to_toml(spec)
// gives an equal spec (same clients, faults, environment, properties and
// exploration; the content hash may differ, since it hashes the text). Every
// key is written, defaults included, so the file reads on its own. A fault
// given with every_ms was expanded by the parser into one fault per firing
// and is written that way. Times are written in the file's units (ms, s):
// a spec built in C++ with a time that is not a whole number of that unit
// is rounded down. The known limit: an app's CLI override cannot say
// "no output" when [env.cli] has one (the file format cannot either).
#pragma once

#include <string>

#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// The scenario file for `spec`: [scenario], [model], [env], [[client]],
/// [[fault]], [properties], [explore], in that order. A tree scenario has
/// no [model] or [env]: its tree is written inline after [scenario]
/// (tree_file.hpp), even one that came from `tree = "FILE"`, so that the
/// result stands alone wherever it is saved. Never throws for a valid spec.
std::string to_toml(const ScenarioSpec& spec);

}  // namespace otpsim::scenarios
