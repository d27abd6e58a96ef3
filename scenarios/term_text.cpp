// A recursive-descent reader for the term syntax (term_text.hpp), and its
// printer. Nesting is bounded so that a hostile file cannot exhaust the stack.
#include "scenarios/term_text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <vector>

namespace otpsim::scenarios {

namespace {

constexpr int max_depth = 200;

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) { return lower(c) || upper(c) || digit(c) || c == '_' || c == '@'; }
bool ident_char(char c) { return lower(c) || upper(c) || digit(c) || c == '_'; }

/// A bare lowercase atom: a lowercase letter, then letters, digits, _ and @.
bool is_bare_atom(std::string_view t) {
  if (t.empty() || !lower(t[0])) return false;
  for (char c : t) {
    if (!word_char(c)) return false;
  }
  return true;
}

/// An alias: capitalised words joined by dots (Sessions.Registry).
bool is_alias(std::string_view t) {
  bool start = true;
  for (char c : t) {
    if (start) {
      if (!upper(c)) return false;
      start = false;
    } else if (c == '.') {
      start = true;
    } else if (!ident_char(c)) {
      return false;
    }
  }
  return !t.empty() && !start;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  std::variant<sim::Term, TermError> read() {
    skip_space();
    sim::Term t = term(0);
    if (error_) return *error_;
    skip_space();
    if (pos_ < text_.size()) return fail_at(pos_, fmt::format("unexpected '{}' after the term", text_[pos_]));
    return t;
  }

 private:
  TermError fail_at(std::size_t at, std::string message) { return TermError{static_cast<int>(at) + 1, std::move(message)}; }
  sim::Term fail(std::size_t at, std::string message) {
    if (!error_) error_ = fail_at(at, std::move(message));
    return sim::Term();
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  sim::Term term(int depth) {
    if (pos_ >= text_.size()) return fail(pos_, text_.empty() ? "empty term" : "a term is missing here");
    if (depth > max_depth) return fail(pos_, fmt::format("nested deeper than {} levels", max_depth));
    const char c = text_[pos_];
    if (c == '{' || c == '[') return sequence(depth);
    if (c == '"') return string();
    if (c == '\'') return quoted_atom();
    if (digit(c) || c == '-') return integer();
    if (c == '$') return variable();
    if (c == '_' || lower(c)) return word();
    if (upper(c)) return alias();
    return fail(pos_, fmt::format("unexpected '{}' (a term is an atom, integer, \"string\", {{tuple}}, [list], "
                                  "$variable or _)", c));
  }

  sim::Term sequence(int depth) {
    const std::size_t open = pos_;
    const char close = text_[pos_] == '{' ? '}' : ']';
    ++pos_;
    std::vector<sim::Term> elements;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
      return close == '}' ? sim::Term::tuple(std::move(elements)) : sim::Term::list(std::move(elements));
    }
    for (;;) {
      skip_space();
      elements.push_back(term(depth + 1));
      if (error_) return sim::Term();
      skip_space();
      if (pos_ >= text_.size()) return fail(open, fmt::format("'{}' is never closed (expected '{}')", text_[open], close));
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == close) {
        ++pos_;
        return close == '}' ? sim::Term::tuple(std::move(elements)) : sim::Term::list(std::move(elements));
      }
      return fail(pos_, fmt::format("expected ',' or '{}', got '{}'", close, text_[pos_]));
    }
  }

  /// The characters of a quoted string or atom up to `quote`, escapes read.
  std::optional<std::string> quoted(char quote) {
    const std::size_t open = pos_++;
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == quote) return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': case '"': case '\'': out += e; break;
        default:
          fail(pos_ - 2, fmt::format("unknown escape '\\{}' (use \\\" \\' \\\\ \\n \\t \\r)", e));
          return std::nullopt;
      }
    }
    fail(open, fmt::format("the {} is never closed (expected {})", quote == '"' ? "string" : "quoted atom", quote));
    return std::nullopt;
  }

  sim::Term string() {
    std::optional<std::string> s = quoted('"');
    return s ? sim::Term::string(*s) : sim::Term();
  }

  sim::Term quoted_atom() {
    const std::size_t at = pos_;
    std::optional<std::string> s = quoted('\'');
    if (!s) return sim::Term();
    if (s->empty()) return fail(at, "an atom cannot be empty");
    return sim::atom(*s);
  }

  sim::Term integer() {
    const std::size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    const std::size_t digits = pos_;
    while (pos_ < text_.size() && digit(text_[pos_])) ++pos_;
    if (pos_ == digits) return fail(start, "'-' must be followed by digits");
    if (pos_ < text_.size() && word_char(text_[pos_])) {
      return fail(pos_, fmt::format("unexpected '{}' in a number", text_[pos_]));
    }
    std::int64_t v = 0;
    const char* first = text_.data() + start;
    const auto [ptr, ec] = std::from_chars(first, text_.data() + pos_, v);
    if (ec != std::errc() || ptr != text_.data() + pos_) {
      return fail(start, "the integer does not fit in 64 bits");
    }
    return sim::Term(v);
  }

  std::string_view take(bool (*accept)(char)) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && accept(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  sim::Term variable() {
    const std::size_t start = pos_++;
    take(ident_char);
    const std::string_view name = text_.substr(start, pos_ - start);
    if (!is_variable(name)) {
      return fail(start, "a variable is '$' then a letter or '_' ($arg, $result, $pid)");
    }
    return sim::atom(name);
  }

  sim::Term word() {
    const std::size_t start = pos_;
    const std::string_view w = take(word_char);
    if (w == "_") return sim::atom("_");
    if (w[0] == '_') return fail(start, fmt::format("'{}': only a lone _ is a wildcard (quote the atom: '{}')", w, w));
    return sim::atom(w);
  }

  sim::Term alias() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (ident_char(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    const std::string_view a = text_.substr(start, pos_ - start);
    if (!is_alias(a)) {
      return fail(start, fmt::format("'{}' is not an alias (capitalised words joined by dots: Sessions.Registry)", a));
    }
    return sim::atom(a);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::optional<TermError> error_;
};

void print(const sim::Term& t, std::string& out) {
  switch (t.kind()) {
    case sim::Term::Kind::atom: {
      const std::string_view text = t.atom().text();
      if (is_bare_atom(text) || is_alias(text) || is_variable(text) || text == "_") {
        out += text;
        return;
      }
      out += '\'';
      for (char c : text) {
        switch (c) {
          case '\'': out += "\\'"; break;
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\t': out += "\\t"; break;
          case '\r': out += "\\r"; break;
          default: out += c;
        }
      }
      out += '\'';
      return;
    }
    case sim::Term::Kind::string:
      out += '"';
      for (char c : t.string_value()) {
        switch (c) {
          case '"': out += "\\\""; break;
          case '\\': out += "\\\\"; break;
          case '\n': out += "\\n"; break;
          case '\t': out += "\\t"; break;
          case '\r': out += "\\r"; break;
          default: out += c;
        }
      }
      out += '"';
      return;
    case sim::Term::Kind::tuple:
    case sim::Term::Kind::list: {
      const bool tuple = t.is_tuple();
      out += tuple ? '{' : '[';
      bool first = true;
      for (const sim::Term& e : t.elements()) {
        if (!first) out += ", ";
        first = false;
        print(e, out);
      }
      out += tuple ? '}' : ']';
      return;
    }
    default: t.append_to(out); return;  // integers; pids, refs and opaques have no term text
  }
}

}  // namespace

bool is_variable(std::string_view text) {
  if (text.size() < 2 || text[0] != '$') return false;
  if (!(lower(text[1]) || upper(text[1]) || text[1] == '_')) return false;
  for (char c : text.substr(1)) {
    if (!ident_char(c)) return false;
  }
  return true;
}

std::variant<sim::Term, TermError> parse_term(std::string_view text) { return Reader(text).read(); }

std::string print_term(const sim::Term& term) {
  std::string out;
  print(term, out);
  return out;
}

}  // namespace otpsim::scenarios
