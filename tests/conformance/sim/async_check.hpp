// The async-delivery check of the conformance suite (../README.md, "Async
// and instant delivery").
//
// Under async delivery (sim/kernel.hpp) a scenario may print other outputs
// than the BEAM did: Erlang orders the signals of one (sender, receiver)
// pair and nothing else, so two lines the collector logged from signals of
// different senders may change places even where one send caused the other
// (A -> C and A -> B -> C), and a request may reach a process before a
// signal that an earlier event of the run had already sent it.
// golden/<scenario>.async-allowed.txt lists what Erlang allows beyond the
// golden output, each entry under the reason that makes it legal:
//
// - a swap: two golden lines whose order Erlang does not fix. Every pair of
//   golden lines that is not listed must keep the golden order;
// - a substitution: a golden line that may read otherwise (a DOWN reason
//   `noproc` because the monitor request was still in flight, a supervisor
//   that answers the final status request before the exit signal that will
//   stop it arrives).
//
// An output is explained when, after undoing listed substitutions, it holds
// exactly the golden lines (the same multiset) and every pair of lines it
// prints in the other order than golden is a listed swap.
//
// File format ('#' starts a comment line, blank lines are skipped):
//
//   why: <the reason the entries below share, one line>
//   [9] exit c3 killed <> [10] exit c2 shutdown        a swap
//   [6] exit c1 killed => exit c1 noproc              a substitution
//   unreached: <why otpsim never shows the entries below, though Erlang allows them>
//   [11] exit c3 shutdown <> [12] exit c2 shutdown
//
// Numbers are 1-based lines of golden/<scenario>.txt (in a swap the first
// is the smaller), and the texts must equal those lines: a golden file that
// changes makes the list stale, and the check says so. Entries under `why:`
// are expected to be seen (golden_test.cpp requires each under its seeds);
// entries under `unreached:` are allowed but must not be seen (if otpsim
// starts showing one, it belongs under a `why:`).
//
// Identical lines (`exit c1 killed` twice) are told apart by occurrence: the
// k-th such line of an output is the k-th of golden, the matching with the
// fewest inversions (swapping two identical lines shows nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace otpsim::conformance {

using Lines = std::vector<std::string>;

/// A pair of golden lines (1-based numbers, first < second).
using LinePair = std::pair<std::size_t, std::size_t>;

class AllowedEntry {
 public:
  enum class Kind : std::uint8_t { swap, substitute };
  Kind kind = Kind::swap;
  LinePair lines;           // swap: the two lines; substitute: {line, 0}
  std::string alternative;  // substitute: the other text of the line
  std::string why;
  bool expected_seen = true;  // false under `unreached:`
  std::string text(const Lines& golden) const;
};

class AsyncAllowed {
 public:
  std::vector<AllowedEntry> entries;  // in file order
  std::string error;                  // a parse error or a stale line; empty if none
  const AllowedEntry* swap(LinePair p) const;
  /// The substitution entries of golden line `line` whose text is `alternative`.
  const AllowedEntry* substitute(std::size_t line, const std::string& alternative) const;
};

/// Reads golden/<scenario>.async-allowed.txt against the golden lines. A
/// missing file is an empty list (the scenario must then print golden only).
AsyncAllowed read_async_allowed(const std::string& path, const Lines& golden);
/// The same from text (tests).
AsyncAllowed parse_async_allowed(const std::string& text, const Lines& golden);

/// How one output relates to golden.
class Explanation {
 public:
  bool same_lines = false;               // golden's multiset, after the listed substitutions
  std::vector<std::size_t> substituted;  // golden lines printed as a listed alternative
  std::vector<LinePair> inversions;      // golden pairs printed the other way round (sorted)
  std::vector<LinePair> unexplained;     // inversions the list does not allow
  /// True if the output is golden or an output the list allows.
  bool ok() const { return same_lines && unexplained.empty(); }
  /// The entries of `allowed` this output uses (indices into entries).
  std::vector<std::size_t> used(const AsyncAllowed& allowed) const;
  /// A readable account: the lines missing or extra, or each substitution
  /// and inversion with its reason, or NOT ALLOWED.
  std::string describe(const Lines& golden, const Lines& output, const AsyncAllowed& allowed) const;
};

Explanation explain(const Lines& golden, const Lines& output, const AsyncAllowed& allowed);

Lines read_lines(const std::string& path);

}  // namespace otpsim::conformance
