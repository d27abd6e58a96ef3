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
/// no [model] or [env]: it keeps `tree = "FILE"` in [scenario] when its
/// tree came from a file (resolved, as when parsed, against the directory
/// of the file the result is parsed as: write it next to the original or
/// copy the tree file along), else writes the tree inline after
/// [scenario] (tree_file.hpp). Never throws for a valid spec.
std::string to_toml(const ScenarioSpec& spec);

}  // namespace otpsim::scenarios
