// The async-delivery check: golden/<scenario>.async-allowed.txt and how an
// output relates to golden (async_check.hpp).
#include "tests/conformance/sim/async_check.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace otpsim::conformance {

namespace {

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// "[N] text" -> (N, text); nullopt if malformed.
std::optional<std::pair<std::size_t, std::string>> numbered(const std::string& s) {
  std::string t = trim(s);
  if (t.size() < 4 || t[0] != '[') return std::nullopt;
  std::size_t close = t.find(']');
  if (close == std::string::npos || close == 1) return std::nullopt;
  std::size_t n = 0;
  for (std::size_t i = 1; i < close; ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(t[i] - '0');
  }
  return std::make_pair(n, trim(t.substr(close + 1)));
}

}  // namespace

std::string AllowedEntry::text(const Lines& golden) const {
  auto line = [&](std::size_t n) { return "[" + std::to_string(n) + "] " + golden[n - 1]; };
  if (kind == Kind::swap) return line(lines.first) + " <> " + line(lines.second);
  return line(lines.first) + " => " + alternative;
}

const AllowedEntry* AsyncAllowed::swap(LinePair p) const {
  for (const AllowedEntry& e : entries) {
    if (e.kind == AllowedEntry::Kind::swap && e.lines == p) return &e;
  }
  return nullptr;
}

const AllowedEntry* AsyncAllowed::substitute(std::size_t line, const std::string& alternative) const {
  for (const AllowedEntry& e : entries) {
    if (e.kind == AllowedEntry::Kind::substitute && e.lines.first == line && e.alternative == alternative) return &e;
  }
  return nullptr;
}

AsyncAllowed parse_async_allowed(const std::string& text, const Lines& golden) {
  AsyncAllowed out;
  std::istringstream in(text);
  std::string raw;
  std::string why;
  bool expected_seen = true;
  std::size_t lineno = 0;
  std::set<std::string> seen;
  auto fail = [&](const std::string& message) {
    if (out.error.empty()) out.error = "line " + std::to_string(lineno) + ": " + message;
  };
  auto check = [&](const std::pair<std::size_t, std::string>& n, const std::string& line) {
    if (n.first == 0 || n.first > golden.size()) {
      fail("no such golden line: " + line);
      return false;
    }
    if (golden[n.first - 1] != n.second) {
      fail("stale: golden line " + std::to_string(n.first) + " is `" + golden[n.first - 1] + "`, not `" + n.second + "`");
      return false;
    }
    return true;
  };
  while (std::getline(in, raw)) {
    ++lineno;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("why:", 0) == 0 || line.rfind("unreached:", 0) == 0) {
      expected_seen = line[0] == 'w';
      why = trim(line.substr(expected_seen ? 4 : 10));
      if (why.empty()) fail("a reason may not be empty");
      continue;
    }
    AllowedEntry e;
    e.why = why;
    e.expected_seen = expected_seen;
    if (std::size_t sep = line.find(" <> "); sep != std::string::npos) {
      auto a = numbered(line.substr(0, sep));
      auto b = numbered(line.substr(sep + 4));
      if (!a || !b) {
        fail("malformed swap: " + line);
        continue;
      }
      if (!check(*a, line) || !check(*b, line)) continue;
      if (a->first >= b->first) fail("the first line of a swap must come first in golden: " + line);
      e.kind = AllowedEntry::Kind::swap;
      e.lines = LinePair(a->first, b->first);
    } else if (std::size_t arrow = line.find(" => "); arrow != std::string::npos) {
      auto a = numbered(line.substr(0, arrow));
      if (!a) {
        fail("malformed substitution: " + line);
        continue;
      }
      if (!check(*a, line)) continue;
      e.kind = AllowedEntry::Kind::substitute;
      e.lines = LinePair(a->first, 0);
      e.alternative = trim(line.substr(arrow + 4));
      if (e.alternative.empty() || e.alternative == a->second) fail("a substitution needs another text: " + line);
    } else {
      fail("expected `why: ...`, `unreached: ...`, `[i] line <> [j] line` or `[i] line => other`: " + line);
      continue;
    }
    if (why.empty()) fail("an entry without a `why:` or `unreached:` line above it: " + line);
    if (!seen.insert(e.text(golden)).second) fail("listed twice: " + line);
    out.entries.push_back(std::move(e));
  }
  return out;
}

Lines read_lines(const std::string& path) {
  std::ifstream f(path);
  Lines lines;
  std::string line;
  while (std::getline(f, line)) lines.push_back(line);
  return lines;
}

AsyncAllowed read_async_allowed(const std::string& path, const Lines& golden) {
  std::ifstream f(path);
  if (!f) return AsyncAllowed{};
  std::stringstream text;
  text << f.rdbuf();
  return parse_async_allowed(text.str(), golden);
}

Explanation explain(const Lines& golden, const Lines& output, const AsyncAllowed& allowed) {
  Explanation e;
  // Golden lines by text, in order; the output's lines are matched to them
  // occurrence by occurrence.
  std::map<std::string, std::vector<std::size_t>> where;
  for (std::size_t i = 0; i < golden.size(); ++i) where[golden[i]].push_back(i + 1);
  std::map<std::string, long> surplus;  // output count - golden count, per text
  for (const std::string& l : golden) --surplus[l];
  for (const std::string& l : output) ++surplus[l];

  // Lines the output has too many of must be listed substitutions of golden
  // lines it has too few of; each such golden line is then pinned to the
  // output line that stands for it.
  std::vector<std::optional<std::size_t>> pinned(output.size());  // output position -> golden line
  std::set<std::size_t> pinned_golden;
  e.same_lines = output.size() == golden.size();
  for (std::size_t p = 0; p < output.size() && e.same_lines; ++p) {
    const std::string& text = output[p];
    if (surplus[text] <= 0) continue;
    std::optional<std::size_t> found;
    for (const AllowedEntry& entry : allowed.entries) {
      if (entry.kind != AllowedEntry::Kind::substitute || entry.alternative != text) continue;
      const std::size_t g = entry.lines.first;
      if (pinned_golden.count(g) != 0 || surplus[golden[g - 1]] >= 0) continue;
      found = g;
      break;
    }
    if (!found) {
      e.same_lines = false;
      break;
    }
    --surplus[text];
    ++surplus[golden[*found - 1]];
    pinned[p] = *found;
    pinned_golden.insert(*found);
    e.substituted.push_back(*found);
  }
  if (e.same_lines) {
    for (const auto& [text, n] : surplus) {
      if (n != 0) e.same_lines = false;
    }
  }
  if (!e.same_lines) {
    e.substituted.clear();
    return e;
  }
  std::sort(e.substituted.begin(), e.substituted.end());

  std::map<std::string, std::size_t> used;  // text -> occurrences matched so far
  std::vector<std::size_t> at(output.size());
  for (std::size_t p = 0; p < output.size(); ++p) {
    if (pinned[p]) {
      at[p] = *pinned[p];
      continue;
    }
    const std::vector<std::size_t>& candidates = where[output[p]];
    std::size_t& k = used[output[p]];
    while (k < candidates.size() && pinned_golden.count(candidates[k]) != 0) ++k;
    at[p] = candidates[k++];
  }
  for (std::size_t p = 0; p < at.size(); ++p) {
    for (std::size_t q = p + 1; q < at.size(); ++q) {
      if (at[p] > at[q]) e.inversions.emplace_back(at[q], at[p]);
    }
  }
  std::sort(e.inversions.begin(), e.inversions.end());
  for (const LinePair& p : e.inversions) {
    if (allowed.swap(p) == nullptr) e.unexplained.push_back(p);
  }
  // A substituted line must have been listed for the line it stands for:
  // checked by construction (only listed entries pin).
  return e;
}

std::vector<std::size_t> Explanation::used(const AsyncAllowed& allowed) const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < allowed.entries.size(); ++i) {
    const AllowedEntry& entry = allowed.entries[i];
    if (entry.kind == AllowedEntry::Kind::swap) {
      if (std::binary_search(inversions.begin(), inversions.end(), entry.lines)) out.push_back(i);
    } else if (std::binary_search(substituted.begin(), substituted.end(), entry.lines.first)) {
      out.push_back(i);
    }
  }
  return out;
}

std::string Explanation::describe(const Lines& golden, const Lines& output, const AsyncAllowed& allowed) const {
  std::ostringstream out;
  if (!same_lines) {
    out << "  not golden's lines, even after the listed substitutions:\n";
    std::map<std::string, long> count;
    for (const std::string& l : golden) ++count[l];
    for (const std::string& l : output) --count[l];
    for (const auto& [l, n] : count) {
      if (n > 0) out << "    golden only (" << n << "x): " << l << "\n";
      if (n < 0) out << "    output only (" << -n << "x): " << l << "\n";
    }
    return out.str();
  }
  for (std::size_t g : substituted) {
    // the alternative text this output printed for golden line g
    for (const AllowedEntry& entry : allowed.entries) {
      if (entry.kind != AllowedEntry::Kind::substitute || entry.lines.first != g) continue;
      if (std::find(output.begin(), output.end(), entry.alternative) == output.end()) continue;
      out << "  " << entry.text(golden) << "   (allowed: " << entry.why << ")\n";
      break;
    }
  }
  for (const LinePair& p : inversions) {
    const AllowedEntry* s = allowed.swap(p);
    out << "  [" << p.first << "] " << golden[p.first - 1] << " <> [" << p.second << "] " << golden[p.second - 1]
        << (s != nullptr ? "   (allowed: " + s->why + ")" : "   NOT ALLOWED") << "\n";
  }
  return out.str();
}

}  // namespace otpsim::conformance
