// A supervision tree in a scenario file (docs/trees.md): the tables [tree]
// (the root node, children as [[tree.children]]), [templates.ID] (workers
// a start_child step starts) and [behaviour.NAME] (declared gen_servers),
// written inline in a scenario or in a tree file of their own
// (`tree = "FILE"` in [scenario]). Values are terms (scenarios/term_text.hpp).
//
// Errors are those of the scenario file: one line, file:line:column, naming
// the key; unknown keys are errors that list the keys the table takes. A
// tree that parses is then checked by core::tree::validate, whose message
// is reported at the [tree] table.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "core/tree/spec.hpp"
#include "scenarios/scenario_file.hpp"

namespace otpsim::scenarios {

/// A tree file's text (tables tree, templates and behaviour, nothing else),
/// parsed and validated. `file_name` is used in errors and as the tree's
/// name. `canonical`, if given, receives the document as toml++ writes it
/// back (comments and layout gone), for a scenario's content hash.
std::variant<core::tree::TreeSpec, ParseError> parse_tree_file(std::string_view text, std::string_view file_name,
                                                               std::string* canonical = nullptr);

/// `tree` as the tables of a tree file: [tree] and its children,
/// [templates.ID], [behaviour.NAME]. parse_tree_file of the text gives an
/// equal tree (the name aside); every term is written as print_term does.
std::string tree_to_toml(const core::tree::TreeSpec& tree);

/// A TOML string holding `text`: a literal string ('...') when it can be
/// one, else a basic string with escapes.
std::string toml_quote(std::string_view text);

}  // namespace otpsim::scenarios
