// The checker the scenario file parser and the tree file parser share
// (scenario_file.cpp, tree_file.cpp): typed reads of a toml++ document that
// record every problem with its position and carry on. Internal to
// scenarios/; not installed.
#pragma once

#include <fmt/format.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/tree/spec.hpp"
#include "scenarios/scenario_file.hpp"

namespace otpsim::scenarios::toml_check {

using Keys = std::span<const std::string_view>;

struct Pos {
  int line = 1;
  int column = 1;
};

inline Pos pos_of(const toml::source_region& region) {
  Pos p;
  if (region.begin.line > 0) p.line = static_cast<int>(region.begin.line);
  if (region.begin.column > 0) p.column = static_cast<int>(region.begin.column);
  return p;
}
inline Pos pos_of(const toml::node& node) { return pos_of(node.source()); }
inline Pos pos_of(const toml::key& key) { return pos_of(key.source()); }

inline std::string join(std::string_view list_sep, Keys keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += list_sep;
    out += k;
  }
  return out;
}

inline std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& k : items) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

inline bool contains(Keys keys, std::string_view key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); }

inline bool is_bare_key(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

/// `path.key`, quoting a key that is not bare ("my app").
inline std::string child(std::string_view path, std::string_view key) {
  std::string k = is_bare_key(key) ? std::string(key) : fmt::format("\"{}\"", key);
  if (path.empty()) return k;
  return fmt::format("{}.{}", path, k);
}

inline std::string at_index(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

inline std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "a value";
}

/// Records problems; see the file comment.
class Checker {
 public:
  explicit Checker(std::string_view file) : file_(file) {}

  void error(Pos pos, std::string message) { add(pos, std::move(message), false); }
  void error(const toml::node& node, std::string message) { error(pos_of(node), std::move(message)); }
  /// Something required is absent. Reported only when nothing else is
  /// wrong: the absence is often a misspelt key, reported as unknown.
  void missing(Pos pos, std::string message) { add(pos, std::move(message), true); }
  void missing(const toml::node& node, std::string message) { missing(pos_of(node), std::move(message)); }

  bool ok() const { return errors_.empty(); }

  /// The first problem in file order (ties: the first found), absences last.
  ParseError first() const {
    return std::min_element(errors_.begin(), errors_.end(), [](const Problem& a, const Problem& b) {
             return std::tuple(a.missing, a.error.line, a.error.column) <
                    std::tuple(b.missing, b.error.line, b.error.column);
           })->error;
  }

  /// Reports every key of `table` that is not in `allowed`. `what` names
  /// the table in the message ("[model]", "a call").
  void keys(const toml::table& table, std::string_view path, std::string_view what, Keys allowed) {
    for (auto&& [key, value] : table) {
      (void)value;
      if (contains(allowed, key.str())) continue;
      error(pos_of(key), fmt::format("{}: unknown key; {} takes {}", child(path, key.str()), what, join(", ", allowed)));
    }
  }

  /// The node under `key`, if present.
  static const toml::node* find(const toml::table& table, std::string_view key) { return table.get(key); }

  /// Reports a missing required key at the table's start (its header).
  bool require(const toml::table& table, std::string_view path, std::string_view key) {
    if (find(table, key) != nullptr) return true;
    missing(table, fmt::format("{}: required key missing", child(path, key)));
    return false;
  }

  void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) {
    error(node, fmt::format("{}: expected {}, got {}", path, expected, type_name(node.type())));
  }

  // Typed reads. Absent: nullopt, silently. Wrong type: nullopt, reported.

  std::optional<std::int64_t> integer(const toml::node& node, std::string_view path) {
    if (const auto* v = node.as_integer()) return v->get();
    wrong_type(node, path, "an integer");
    return std::nullopt;
  }
  std::optional<std::int64_t> integer(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    return node ? integer(*node, child(path, key)) : std::nullopt;
  }

  /// An integer >= `min` (and <= `max`).
  std::optional<std::int64_t> integer(const toml::table& table, std::string_view path, std::string_view key,
                                      std::int64_t min, std::int64_t max = std::numeric_limits<std::int64_t>::max()) {
    const toml::node* node = find(table, key);
    if (node == nullptr) return std::nullopt;
    std::optional<std::int64_t> v = integer(*node, child(path, key));
    if (!v) return std::nullopt;
    if (*v < min || *v > max) {
      error(*node, range_message(child(path, key), *v, min, max));
      return std::nullopt;
    }
    return v;
  }

  /// "must be between MIN and MAX" for a small range; otherwise the side
  /// that was crossed ("must be at least 0"), since a limit like
  /// 9223372036854775 (ms in 2^63 us) means nothing to the reader.
  static std::string range_message(std::string_view path, std::int64_t v, std::int64_t min, std::int64_t max) {
    constexpr std::int64_t huge = 1'000'000'000'000;
    const bool small = min > -huge && max < huge;
    if (small) return fmt::format("{}: must be between {} and {}, got {}", path, min, max, v);
    if (v < min) return fmt::format("{}: must be at least {}, got {}", path, min, v);
    return fmt::format("{}: must be at most {}, got {}", path, max, v);
  }

  /// An integer count of `unit_us` microseconds (1000: _ms, 1'000'000: _s),
  /// >= `min` in the file's unit, converted to microseconds.
  /// At most `max_us` microseconds (default: the most an int64 holds).
  std::optional<Micros> duration(const toml::table& table, std::string_view path, std::string_view key,
                                 std::int64_t unit_us, std::int64_t min,
                                 Micros max_us = std::numeric_limits<Micros>::max()) {
    const std::int64_t limit = max_us / unit_us;
    std::optional<std::int64_t> v = integer(table, path, key, std::max(min, -limit), limit);
    if (!v) return std::nullopt;
    return *v * unit_us;
  }

  /// A number (integer or floating point).
  std::optional<double> number(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    if (node == nullptr) return std::nullopt;
    if (const auto* f = node->as_floating_point()) return f->get();
    if (const auto* i = node->as_integer()) return static_cast<double>(i->get());
    wrong_type(*node, child(path, key), "a number");
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    if (node == nullptr) return std::nullopt;
    if (const auto* b = node->as_boolean()) return b->get();
    wrong_type(*node, child(path, key), "a boolean (true or false)");
    return std::nullopt;
  }

  std::optional<std::string> string(const toml::node& node, std::string_view path) {
    if (const auto* s = node.as_string()) return s->get();
    wrong_type(node, path, "a string");
    return std::nullopt;
  }
  std::optional<std::string> string(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    return node ? string(*node, child(path, key)) : std::nullopt;
  }
  /// A string that is not empty.
  std::optional<std::string> name(const toml::table& table, std::string_view path, std::string_view key) {
    std::optional<std::string> s = string(table, path, key);
    if (s && s->empty()) {
      error(*find(table, key), fmt::format("{}: must not be empty", child(path, key)));
      return std::nullopt;
    }
    return s;
  }

  const toml::array* array(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    if (node == nullptr) return nullptr;
    if (const auto* a = node->as_array()) return a;
    wrong_type(*node, child(path, key), "an array");
    return nullptr;
  }

  const toml::table* table(const toml::table& parent, std::string_view path, std::string_view key) {
    const toml::node* node = find(parent, key);
    if (node == nullptr) return nullptr;
    if (const auto* t = node->as_table()) return t;
    wrong_type(*node, child(path, key), fmt::format("a table ([{}])", child(path, key)));
    return nullptr;
  }

  /// An array of tables: [[key]] headers, or an array of inline tables.
  /// Returns the tables that are tables (others are reported).
  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view path, std::string_view key,
                                         std::string_view expected) {
    std::vector<const toml::table*> out;
    const toml::node* node = find(parent, key);
    if (node == nullptr) return out;
    const auto* a = node->as_array();
    if (a == nullptr) {
      wrong_type(*node, child(path, key), expected);
      return out;
    }
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& element = *a->get(i);
      if (const auto* t = element.as_table()) {
        out.push_back(t);
      } else {
        wrong_type(element, at_index(child(path, key), i), "a table");
        out.push_back(nullptr);
      }
    }
    return out;
  }

  /// An array of strings, each reported with its node (nullptr entries
  /// for elements of the wrong type, already reported).
  std::vector<std::pair<const toml::node*, std::string>> strings(const toml::table& table, std::string_view path,
                                                                 std::string_view key) {
    std::vector<std::pair<const toml::node*, std::string>> out;
    const toml::array* a = array(table, path, key);
    if (a == nullptr) return out;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& element = *a->get(i);
      if (std::optional<std::string> s = string(element, at_index(child(path, key), i))) out.emplace_back(&element, *s);
    }
    return out;
  }

 private:
  struct Problem {
    ParseError error;
    bool missing = false;
  };
  void add(Pos pos, std::string message, bool missing) {
    // A message quotes the file's strings (names, ops, keys): keep it one line.
    errors_.push_back(Problem{ParseError{file_, pos.line, pos.column, escape_control(message)}, missing});
  }

  std::string file_;
  std::vector<Problem> errors_;
};

/// Where the character at 1-based `column` of a string value's text is in
/// the file: exact for a one-line string without escapes (its source is
/// its text between two quotes), else the value's start.
inline Pos column_in_string(const toml::node& node, std::size_t length, int column) {
  const toml::source_region& r = node.source();
  Pos p = pos_of(r);
  if (r.begin.line == r.end.line && r.end.column > r.begin.column &&
      static_cast<std::size_t>(r.end.column - r.begin.column) == length + 2) {
    p.column += column;
  }
  return p;
}

/// The tables [tree], [templates.ID] and [behaviour.NAME] of `root` (a
/// tree file, or a scenario with an inline tree), into a TreeSpec; every
/// problem goes to `check` (the tree is complete only if check.ok()).
/// Other keys of `root` are the caller's to check. tree_file.cpp.
core::tree::TreeSpec parse_tree_tables(const toml::table& root, Checker& check);

/// core::tree::validate, its message reported at the [tree] table.
void validate_tree(const core::tree::TreeSpec& tree, const toml::table& root, Checker& check);

}  // namespace otpsim::scenarios::toml_check
