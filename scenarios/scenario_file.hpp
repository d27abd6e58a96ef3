// The scenario file format (TOML): parsing and validation into a
// ScenarioSpec. docs/scenarios.md is the reference for the format.
//
// A file is checked completely before anything runs: every table, key, type,
// range and name. A bad file gives one ParseError, the first problem in file
// order, as `file:line:column: message`, pointing at the offending key or
// value (or, for a missing required key, at its table's header). A missing
// required key is reported only when nothing else is wrong: it is most often
// a misspelt key, and the misspelling is the better error.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "scenarios/spec.hpp"

namespace otpsim::scenarios {

/// `text` with every control character escaped (\n, \t, \xNN), so that a
/// message that quotes user input stays on one line.
std::string escape_control(std::string_view text);

class ParseError {
 public:
  std::string file;
  int line = 0, column = 0;  // 1-based; 0: no position (the file could not be read)
  std::string message;
  /// "file:line:column: message", or "file: message" without a position;
  /// one line (control characters in the file name or message escaped).
  std::string text() const;
};

class ParseContext {
 public:
  /// The known property names (a scenario may only check these).
  std::vector<std::string> properties;
  /// The known properties of a tree scenario (core/tree/properties.hpp);
  /// one that lists none in [properties].check checks all of them.
  std::vector<std::string> tree_properties;
};

/// The exploration strategies a scenario file may name ([explore].strategy).
/// The one list: the parser, the docs test and the CLI read it.
std::span<const std::string_view> known_strategies();

/// Parses and validates; every error is reported before anything runs.
/// Never throws. `file_name` is used in errors and as ScenarioSpec::source.
std::variant<ScenarioSpec, ParseError> parse_scenario(std::string_view text, std::string_view file_name,
                                                      const ParseContext& context);

/// The largest scenario file read (bytes): a bigger one (or /dev/zero) is
/// an error, not a read that never ends.
inline constexpr std::size_t max_scenario_file_bytes = 64u << 20;

/// Reads `path` and parses it. A file that cannot be read (missing, a
/// directory, larger than max_scenario_file_bytes) gives a ParseError with
/// line 0.
std::variant<ScenarioSpec, ParseError> load_scenario_file(const std::string& path, const ParseContext& context);

}  // namespace otpsim::scenarios
