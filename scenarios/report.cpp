#include "scenarios/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "scenarios/scenario_file.hpp"

namespace otpsim::scenarios {

namespace {
bool run_cut_off(const RunLine& run);
}  // namespace

std::string seconds_text(sim::Micros us) { return fmt::format("{}.{:03}s", us / 1'000'000, (us % 1'000'000) / 1000); }

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0 || s > 1e15) return "--";
  const auto whole = static_cast<std::uint64_t>(s + 0.5);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
}

std::string progress_line(const ProgressCounts& c) {
  const double rate = c.elapsed_s > 0 ? static_cast<double>(c.done) / c.elapsed_s : 0;
  const std::string rate_text = rate <= 0   ? std::string("--")
                                : rate >= 100 ? fmt::format("{:.0f}", rate)
                                : rate >= 10  ? fmt::format("{:.1f}", rate)
                                              : fmt::format("{:.2f}", rate);
  const unsigned percent =
      c.total > 0 ? static_cast<unsigned>(std::min<double>(100, 100.0 * static_cast<double>(c.done) / static_cast<double>(c.total)))
                  : 100;
  std::string line = fmt::format("{}  {}/{} {}%  {} runs/s  ", c.scenario, c.done, c.total, percent, rate_text);
  if (c.done >= c.total) {
    line += "done in " + duration_text(c.elapsed_s);
  } else {
    line += "ETA " + (rate > 0 ? duration_text(static_cast<double>(c.total - c.done) / rate) : std::string("--"));
  }
  line += fmt::format("  violations {}", c.violating);
  if (c.unexpected > 0) line += fmt::format(" ({} unexpected)", c.unexpected);
  if (c.cut_off > 0) line += fmt::format("  cut off {}", c.cut_off);
  return line;
}

std::string PropertySummary::status() const {
  if (expected_to_hold) return violations == 0 ? "held" : "VIOLATED";
  return violations > 0 ? "violated (expected)" : "HELD (expected a violation)";
}

bool ScenarioSummary::ok() const {
  if (cut_off > 0) return false;
  for (const PropertySummary& p : properties) {
    if (!p.as_expected()) return false;
  }
  return true;
}

RunLine run_line(const ScenarioSpec& spec, const SeedResult& run) {
  RunLine line;
  line.scenario = spec.name;
  line.source = spec.source;
  line.token = run.token;
  line.outcome = std::string(sim::outcome_name(run.result.outcome));
  line.seed = run.seed;
  line.steps = run.result.steps;
  line.sim_time_us = run.result.end_time_us;
  line.wall_s = run.wall_s;
  for (const PropertyVerdict& v : run.verdicts) {
    RunLine::Verdict out;
    out.property = v.property;
    out.held = v.held;
    out.expected_to_hold = v.expected_to_hold;
    if (v.violation) out.message = v.violation->message;
    line.verdicts.push_back(std::move(out));
  }
  return line;
}

std::string to_json(const RunLine& line) {
  nlohmann::ordered_json j;
  j["scenario"] = line.scenario;
  j["source"] = line.source;
  j["seed"] = line.seed;
  j["outcome"] = line.outcome;
  j["steps"] = line.steps;
  j["sim_time_us"] = line.sim_time_us;
  j["wall_s"] = line.wall_s;
  j["token"] = line.token;
  nlohmann::ordered_json verdicts = nlohmann::ordered_json::array();
  for (const RunLine::Verdict& v : line.verdicts) {
    nlohmann::ordered_json o;
    o["property"] = v.property;
    o["held"] = v.held;
    o["expected_to_hold"] = v.expected_to_hold;
    if (!v.message.empty()) o["message"] = v.message;
    verdicts.push_back(std::move(o));
  }
  j["verdicts"] = std::move(verdicts);
  // A path that is not UTF-8 (a file name is any bytes) must not abort the
  // dump: its invalid bytes become U+FFFD.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<RunLine> parse_run_line(std::string_view text, std::string& error) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  try {
    RunLine line;
    line.scenario = j.at("scenario").get<std::string>();
    line.source = j.value("source", std::string());
    line.seed = j.at("seed").get<std::uint64_t>();
    line.outcome = j.value("outcome", std::string());
    line.steps = j.at("steps").get<std::uint64_t>();
    line.sim_time_us = j.at("sim_time_us").get<sim::Micros>();
    line.wall_s = j.value("wall_s", 0.0);
    line.token = j.at("token").get<std::string>();
    for (const auto& v : j.at("verdicts")) {
      RunLine::Verdict out;
      out.property = v.at("property").get<std::string>();
      out.held = v.at("held").get<bool>();
      out.expected_to_hold = v.at("expected_to_hold").get<bool>();
      out.message = v.value("message", std::string());
      line.verdicts.push_back(std::move(out));
    }
    return line;
  } catch (const nlohmann::json::exception& e) {
    error = fmt::format("not a run object: {}", e.what());
    return std::nullopt;
  }
}

void Summarizer::add(const RunLine& run) {
  ScenarioSummary& s = summary;
  if (s.schedules == 0) {
    s.scenario = run.scenario;
    s.source = run.source;
  }
  ++s.schedules;
  s.steps += run.steps;
  s.sim_time_max_us = std::max(s.sim_time_max_us, run.sim_time_us);
  s.wall_s += run.wall_s;
  if (run_cut_off(run)) {
    if (s.cut_off == 0 || run.seed < s.cut_off_seed) {
      s.cut_off_seed = run.seed;
      s.cut_off_steps = run.steps;
      s.cut_off_outcome = run.outcome;
      s.cut_off_token = run.token;
    }
    ++s.cut_off;
  }
  for (const RunLine::Verdict& v : run.verdicts) {
    auto [it, inserted] = index_.try_emplace(v.property, s.properties.size());
    if (inserted) {
      PropertySummary p;
      p.name = v.property;
      p.expected_to_hold = v.expected_to_hold;
      s.properties.push_back(std::move(p));
    }
    PropertySummary& p = s.properties[it->second];
    if (!v.held) {
      // The shortest violating run, the lowest seed among equals.
      if (p.violations == 0 || run.steps < p.first_steps || (run.steps == p.first_steps && run.seed < p.first_seed)) {
        p.first_seed = run.seed;
        p.first_steps = run.steps;
        p.first_token = run.token;
        p.first_message = v.message;
      }
      ++p.violations;
    }
  }
}

ScenarioSummary summarize(const std::vector<RunLine>& runs) {
  std::map<std::uint64_t, const RunLine*> by_seed;
  for (const RunLine& r : runs) by_seed.emplace(r.seed, &r);
  Summarizer s;
  for (const auto& [seed, r] : by_seed) {
    (void)seed;
    s.add(*r);
  }
  return s.summary;
}

std::string to_json(const SweepTrailer& t) {
  nlohmann::ordered_json j;
  nlohmann::ordered_json o;
  o["scenario"] = t.scenario;
  o["source"] = t.source;
  o["strategy"] = t.strategy;
  o["seed_base"] = t.seed_base;
  o["seeds"] = t.seeds;
  o["shard"] = fmt::format("{}/{}", t.shard_index, t.shard_count);
  o["planned"] = t.planned;
  o["ran"] = t.ran;
  o["stopped"] = t.stopped;
  j["otpsim_sweep"] = std::move(o);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<SweepTrailer> parse_trailer(std::string_view text, std::string& error) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("otpsim_sweep")) return std::nullopt;
  try {
    const auto& o = j.at("otpsim_sweep");
    SweepTrailer t;
    t.scenario = o.at("scenario").get<std::string>();
    t.source = o.value("source", std::string());
    t.strategy = o.value("strategy", std::string());
    t.seed_base = o.at("seed_base").get<std::uint64_t>();
    t.seeds = o.at("seeds").get<std::uint64_t>();
    const std::string shard = o.at("shard").get<std::string>();
    const auto slash = shard.find('/');
    if (slash == std::string::npos) throw std::invalid_argument("shard is not K/N");
    t.shard_index = std::stoull(shard.substr(0, slash));
    t.shard_count = std::stoull(shard.substr(slash + 1));
    if (t.shard_count == 0 || t.shard_index == 0 || t.shard_index > t.shard_count) {
      throw std::invalid_argument("shard is not K/N with 1 <= K <= N");
    }
    t.planned = o.at("planned").get<std::uint64_t>();
    t.ran = o.at("ran").get<std::uint64_t>();
    t.stopped = o.at("stopped").get<std::string>();
    return t;
  } catch (const std::exception& e) {
    error = fmt::format("not a sweep trailer: {}", e.what());
    return SweepTrailer{};
  }
}

void add_folded(ScenarioSummary& s, const FoldedRuns& f) {
  if (f.count == 0) return;
  s.schedules += f.count;
  s.steps += f.steps;
  s.sim_time_max_us = std::max(s.sim_time_max_us, f.sim_time_max_us);
  s.wall_s += f.wall_s;
  for (const PropertyVerdict& v : f.verdicts) {
    const bool known = std::any_of(s.properties.begin(), s.properties.end(),
                                   [&v](const PropertySummary& p) { return p.name == v.property; });
    if (known) continue;
    PropertySummary p;
    p.name = v.property;
    p.expected_to_hold = v.expected_to_hold;
    s.properties.push_back(std::move(p));
  }
}

void print_table(std::FILE* out, const std::vector<ScenarioSummary>& summaries) {
  int width = 24;  // the name column fits the longest name
  for (const ScenarioSummary& s : summaries) width = std::max(width, static_cast<int>(s.scenario.size()));
  std::fprintf(out, "%-*s %9s %10s %10s %8s  %s\n", width, "scenario", "schedules", "steps", "sim time", "wall", "properties");
  for (const ScenarioSummary& s : summaries) {
    std::string props;
    for (const PropertySummary& p : s.properties) {
      if (!props.empty()) props += ", ";
      props += p.name + " " + p.status();
    }
    if (s.budget_hit) props += "  [budget reached]";
    if (s.cut_off > 0) props += fmt::format("  [{} of {} runs CUT OFF at a limit]", s.cut_off, s.schedules);
    std::fprintf(out, "%-*s %9llu %10llu %10s %7.2fs  %s\n", width, s.scenario.c_str(),
                 static_cast<unsigned long long>(s.schedules), static_cast<unsigned long long>(s.steps),
                 seconds_text(s.sim_time_max_us).c_str(), s.wall_s, props.c_str());
  }
}

namespace {

bool run_cut_off(const RunLine& run) {
  return run.outcome == sim::outcome_name(sim::Outcome::step_limit) ||
         run.outcome == sim::outcome_name(sim::Outcome::time_limit) ||
         run.outcome == sim::outcome_name(sim::Outcome::mailbox_limit);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\t':
      case '\n': out += c; break;  // text keeps its lines (attributes go through xml_line)
      case '\r': out += "&#13;"; break;
      default:
        // XML 1.0 allows no other control character, not even as a
        // reference: written as text (\x01), so the file stays well formed.
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

namespace {

/// An attribute's value on one line: control characters as escapes (\n).
std::string xml_line(std::string_view text) { return xml_escape(escape_control(text)); }

/// Seconds for a time attribute: digits, a point, three decimals (the
/// Jenkins schema's time is a plain decimal: no sign, no exponent).
std::string xml_seconds(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  return fmt::format("{:.3f}", s);
}

bool is_finding(const PropertySummary& p) { return !p.expected_to_hold && p.violations > 0; }

std::size_t failures_of(const ScenarioSummary& s) {
  return static_cast<std::size_t>(std::count_if(s.properties.begin(), s.properties.end(),
                                                [](const PropertySummary& p) { return !p.as_expected(); }));
}

/// The report of a property, or (no terminal report: merge, a library
/// caller) its first message and replay line.
std::string property_text(const ScenarioSummary& s, const PropertySummary& p) {
  if (!p.report.empty()) return p.report;
  if (p.violations == 0) return fmt::format("expected a violation; held on all {} schedules\n", s.schedules);
  return fmt::format("{} {}: {} on {} of {} schedules; the shortest: seed {}, {} steps\n  {}\n  replay: {}\n", s.scenario,
                     p.name, p.status(), p.violations, s.schedules, p.first_seed, p.first_steps,
                     escape_control(p.first_message), replay_command(s.source, p.first_token));
}

}  // namespace

std::string junit_xml(const std::vector<ScenarioSummary>& summaries) {
  std::size_t tests = 0, failures = 0, errors = 0;
  double time = 0;
  for (const ScenarioSummary& s : summaries) {
    tests += s.properties.size() + (s.cut_off > 0 ? 1 : 0);
    failures += failures_of(s);
    errors += s.cut_off > 0 ? 1 : 0;
    time += std::isfinite(s.wall_s) && s.wall_s > 0 ? s.wall_s : 0;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"otpsim\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">\n", tests,
                     failures, errors, xml_seconds(time));
  for (const ScenarioSummary& s : summaries) {
    const std::size_t cases = s.properties.size() + (s.cut_off > 0 ? 1 : 0);
    // Every property is judged on every run: the suite's time is shared
    // among its testcases, so that they add up to it.
    const std::string case_time = xml_seconds(cases > 0 ? s.wall_s / static_cast<double>(cases) : 0);
    const std::string classname = xml_line(s.scenario);
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{}\">\n",
                       classname, cases, failures_of(s), s.cut_off > 0 ? 1 : 0, xml_seconds(s.wall_s));
    const bool any_finding = std::any_of(s.properties.begin(), s.properties.end(), is_finding);
    if (!s.source.empty() || any_finding) {
      out += "    <properties>\n";
      if (!s.source.empty()) out += fmt::format("      <property name=\"source\" value=\"{}\"/>\n", xml_line(s.source));
      for (const PropertySummary& p : s.properties) {
        if (is_finding(p)) out += fmt::format("      <property name=\"expected_finding\" value=\"{}\"/>\n", xml_line(p.name));
      }
      out += "    </properties>\n";
    }
    if (s.cut_off > 0) {
      // A run cut off by a limit is not a pass, whatever its verdicts: an
      // error (the check could not finish), not a failed property.
      const std::string text = !s.cut_off_report.empty()
                                   ? s.cut_off_report
                                   : fmt::format("{} of {} runs cut off at a limit: not a pass\n  replay: {}\n", s.cut_off,
                                                 s.schedules, replay_command(s.source, s.cut_off_token));
      out += fmt::format("    <testcase classname=\"{}\" name=\"runs_finish_within_the_limits\" time=\"{}\">\n",
                         classname, case_time);
      out += fmt::format("      <error type=\"cut_off\" message=\"{}\">{}</error>\n",
                         xml_line(fmt::format("{} of {} runs cut off ({}); first: seed {} after {} steps", s.cut_off,
                                              s.schedules, s.cut_off_outcome, s.cut_off_seed, s.cut_off_steps)),
                         xml_escape(text));
      out += "    </testcase>\n";
    }
    for (const PropertySummary& p : s.properties) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"", classname, xml_line(p.name), case_time);
      if (!p.as_expected()) {
        const std::string what =
            p.expected_to_hold
                ? fmt::format("{} violated on {} of {} schedules; the shortest: seed {}: {}", p.name, p.violations,
                              s.schedules, p.first_seed, p.first_message)
                : fmt::format("{}: expected a violation (a documented finding or a mutant's planted bug); held on all "
                              "{} schedules", p.name, s.schedules);
        out += fmt::format(">\n      <failure type=\"PROPERTY\" message=\"{}\">{}</failure>\n    </testcase>\n",
                           xml_line(what), xml_escape(property_text(s, p)));
      } else if (is_finding(p)) {
        // Found as expected: a pass, but not an empty one.
        out += fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n",
                           xml_escape(fmt::format("expected finding: {} violated on {} of {} schedules, as the scenario "
                                                  "expects (a documented finding or a mutant's planted bug)\n{}",
                                                  p.name, p.violations, s.schedules, property_text(s, p))));
      } else {
        out += "/>\n";
      }
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string shell_quote(std::string_view text) {
  const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
  if (safe) return std::string(text);
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string replay_command(const std::string& source, const std::string& token) {
  if (source.empty() || source.rfind("builtin:", 0) == 0) return "otpsim replay " + token;
  return fmt::format("otpsim replay {} --scenario {}", token, shell_quote(source));
}

}  // namespace otpsim::scenarios
