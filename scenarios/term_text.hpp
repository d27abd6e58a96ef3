// The term syntax used inside a scenario file's strings (docs/trees.md,
// "Terms"): what a tree's steps, patterns and a client's requests are
// written in. Write them in TOML literal strings ('...') so that double
// quotes need no escaping.
//
//   atoms      ok  cache_miss  'any text'  Sessions.Registry (a dotted
//              capitalised alias is the atom "Sessions.Registry")
//              nil true false are atoms
//   integers   42  -7
//   strings    "text" (Term::string), escapes \" \\ \n \t \r
//   tuples     {ok, $pid}
//   lists      [1, 2, 3]  []
//   variables  $arg $result $NAME: atoms whose text starts with '$'
//   wildcard   _ (the atom "_", which a pattern matches against anything)
//
// Contract: parse_term(print_term(t)) == t for every term parse_term can
// produce (pids, refs and opaque values have no text and print as
// Term::to_string does, which does not parse back).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "sim/term.hpp"

namespace otpsim::scenarios {

class TermError {
 public:
  int column = 1;  // 1-based, in characters of the parsed text
  std::string message;
};

/// One term, with nothing but whitespace around it.
std::variant<sim::Term, TermError> parse_term(std::string_view text);

/// The text of `term` in the syntax above (atoms bare when they read back
/// as the same atom, else quoted).
std::string print_term(const sim::Term& term);

/// True if `text` is a variable name: '$' then a letter or '_', then
/// letters, digits and '_'.
bool is_variable(std::string_view text);

}  // namespace otpsim::scenarios
