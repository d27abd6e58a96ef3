// The built-in scenario library: the files in scenarios/library/, embedded
// in the binary at build time (scenarios/embed.py), parsed on demand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scenarios/scenario_file.hpp"

namespace otpsim::scenarios {

class EmbeddedScenario {
 public:
  const char* file;  // "ets-owner-crash.toml"; a tree file "trees/sessions.toml"
  const char* text;
};

/// The embedded files, in file-name order.
const std::vector<EmbeddedScenario>& embedded_scenarios();
/// The embedded tree files (library/trees/*.toml), named as a library
/// scenario names them ("trees/sessions.toml"), in name order.
const std::vector<EmbeddedScenario>& embedded_trees();

/// The parse context every scenario is checked against (the properties core/ knows).
ParseContext default_parse_context();

/// Every built-in scenario, parsed, in file-name order. A library file that
/// does not parse is a build defect: its error is returned instead.
std::variant<std::vector<ScenarioSpec>, ParseError> builtin_scenarios();

}  // namespace otpsim::scenarios
