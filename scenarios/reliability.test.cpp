// Issue 12: input handling that must neither crash, hang nor give a silent
// wrong answer. The scenario files of tests/repros/ at the limits the
// parser accepts, streaming sweeps, shards at the top of the seed range,
// runs cut off at a limit, the shrinker's budget, one-line errors, and the
// content hash that replay tokens carry. (The command line itself is
// tested end to end by tests/cli_reliability_test.py.)
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <stdexcept>

#include "core/tokens/checked_time.hpp"
#include "scenarios/library.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/scenario_file.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/sweep.hpp"

namespace otpsim::scenarios {
namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

std::string repro_path(const std::string& name) { return std::string(OTPSIM_SOURCE_ROOT) + "/tests/repros/" + name; }

ScenarioSpec load(const std::string& path) {
  auto parsed = load_scenario_file(path, default_parse_context());
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << error->text();
    return ScenarioSpec();
  }
  return std::get<ScenarioSpec>(std::move(parsed));
}

ScenarioSpec parse(const std::string& text) {
  auto parsed = parse_scenario(text, "t.toml", default_parse_context());
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << error->text();
    return ScenarioSpec();
  }
  return std::get<ScenarioSpec>(std::move(parsed));
}

std::string parse_error(const std::string& text) {
  auto parsed = parse_scenario(text, "t.toml", default_parse_context());
  if (auto* error = std::get_if<ParseError>(&parsed)) return error->text();
  return "parsed";
}

const ScenarioSpec& builtin_spec(const std::string& name) {
  static const std::vector<ScenarioSpec> all = std::get<std::vector<ScenarioSpec>>(builtin_scenarios());
  for (const ScenarioSpec& s : all) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no built-in " + name);
}

// -- the ub-*.toml repros: values the parser accepts, at its limits --------

// Each ran into signed overflow (UBSan in the ASan build; in -O2 a timer
// wrapped into the past, or a clock wrapped negative). Every one now runs
// to its end: no limit hit, simulated time never past the run's limit.
class UbRepro : public ::testing::TestWithParam<std::string> {};

TEST_P(UbRepro, runs_to_its_end_without_wrapping_time) {
  const ScenarioSpec spec = load(repro_path(GetParam()));
  ASSERT_FALSE(spec.name.empty());
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    RunReport r = run_once(spec, seed, sim::TraceLevel::off);
    EXPECT_GE(r.result.end_time_us, 0) << GetParam();
    EXPECT_LE(r.result.end_time_us, spec.explore.time_max_us) << GetParam();
    if (GetParam() == "ub-settle.toml") {
      // Settling until the end of time reaches the run's time limit: cut off, reported as such.
      EXPECT_EQ(r.result.outcome, sim::Outcome::time_limit) << r.result.message;
    } else {
      EXPECT_EQ(r.result.outcome, sim::Outcome::stopped) << GetParam() << ": " << r.result.message;
    }
    for (const PropertyVerdict& v : r.verdicts) {
      EXPECT_TRUE(v.held) << GetParam() << ": " << v.property << ": " << (v.violation ? v.violation->message : "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Repros, UbRepro,
                         ::testing::Values("ub-cli-timeout.toml", "ub-clock-jump.toml", "ub-clock-negative.toml",
                                           "ub-clock-offset.toml", "ub-clock-property.toml", "ub-heal-after.toml",
                                           "ub-liveness-bound.toml", "ub-row-expiry.toml", "ub-settle.toml",
                                           "ub-sleep-latency.toml", "ub-ttl-soft-refresh.toml"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.size() - 5);
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

// A stored row expiring at int64 max used to re-arm its soft refresh in the
// past, every few steps, in zero simulated time, until the step limit.
TEST(Reliability, a_row_expiring_at_int64_max_does_not_spin_to_the_step_limit) {
  const ScenarioSpec spec = load(repro_path("ub-row-expiry.toml"));
  RunReport r = run_once(spec, 0, sim::TraceLevel::off);
  EXPECT_EQ(r.result.outcome, sim::Outcome::stopped);
  EXPECT_LT(r.result.steps, 1000u);
}

TEST(Reliability, time_max_stays_below_the_horizon) {
  const std::string head = "[scenario]\nname = \"t\"\ndescription = \"d\"\n";
  const std::int64_t ok_s = (core::tokens::time_horizon_us - 1) / 1'000'000;
  EXPECT_EQ(parse(head + "[explore]\ntime_max_s = " + std::to_string(ok_s) + "\n").explore.time_max_us,
            ok_s * 1'000'000);
  EXPECT_EQ(parse_error(head + "[explore]\ntime_max_s = " + std::to_string(ok_s + 1) + "\n"),
            "t.toml:5:14: explore.time_max_s: must be at most " + std::to_string(ok_s) + ", got " +
                std::to_string(ok_s + 1));
}

// -- resource limits refused up front ----------------------------------------

TEST(Reliability, seeds_past_a_billion_are_refused_at_parse_time) {
  auto parsed = load_scenario_file(repro_path("file-seeds-bad-alloc.toml"), default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(parsed));
  EXPECT_NE(std::get<ParseError>(parsed).text().find("explore.seeds: must be between 1 and 1000000000"),
            std::string::npos)
      << std::get<ParseError>(parsed).text();
}

TEST(Reliability, periodic_faults_expand_to_at_most_100000_faults) {
  auto parsed = load_scenario_file(repro_path("periodic-1m-faults.toml"), default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(parsed));
  const ParseError& e = std::get<ParseError>(parsed);
  EXPECT_EQ(e.line, 72);  // fault[10]'s max_fires: the one that crosses 100,000
  EXPECT_NE(e.message.find("a scenario has at most 100000 faults"), std::string::npos) << e.message;
}

TEST(Reliability, a_directory_or_an_endless_file_is_not_read_as_a_scenario) {
  auto dir = load_scenario_file(std::string(OTPSIM_SOURCE_ROOT) + "/tests", default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(dir));
  EXPECT_NE(std::get<ParseError>(dir).message.find("a directory"), std::string::npos);
  // /dev/zero never ends: reading stops one byte past the limit.
  auto zero = load_scenario_file("/dev/zero", default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(zero));
  EXPECT_NE(std::get<ParseError>(zero).message.find("larger than 64 MiB"), std::string::npos)
      << std::get<ParseError>(zero).message;
}

// 100,000 clients (the most one [[client]] may start): the duplicate-name
// check was a linear search per client, 5 * 10^9 comparisons here.
TEST(Reliability, a_hundred_thousand_clients_parse) {
  std::string text = "[scenario]\nname = \"t\"\ndescription = \"d\"\n";
  for (int i = 0; i < 100'000; ++i) {
    text += "[[client]]\nname = \"c" + std::to_string(i) + "\"\ncalls = [ { op = \"get\", app = \"a\" } ]\n";
  }
  EXPECT_EQ(parse(text).clients.size(), 100'000u);
}

// -- one-line errors --------------------------------------------------------

TEST(Reliability, an_error_quoting_a_string_with_a_newline_stays_one_line) {
  auto parsed = load_scenario_file(repro_path("multi-line-error.toml"), default_parse_context());
  ASSERT_TRUE(std::holds_alternative<ParseError>(parsed));
  const std::string text = std::get<ParseError>(parsed).text();
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  EXPECT_NE(text.find("unknown mutant 'evil\\notpsim: error: fake.toml:1:1: everything is fine'"), std::string::npos)
      << text;
  // Control characters in the file name, too.
  ParseError e{"a\nb\x1b[31m.toml", 0, 0, "cannot read"};
  EXPECT_EQ(e.text(), "a\\nb\\x1b[31m.toml: cannot read");
  EXPECT_EQ(escape_control("tab\there\r\x7f"), "tab\\there\\r\\x7f");
}

// -- sweeps: streaming, shards at the top of the range -----------------------

TEST(Reliability, a_shard_counts_its_seeds_up_to_the_last_one) {
  EXPECT_EQ(Shard(1, 1).count_in(u64_max - 9, 10), 10u);
  EXPECT_EQ(Shard(1, 3).count_in(0, 30), 10u);
  EXPECT_EQ(Shard(3, 3).count_in(1, 5), 2u);  // seeds 2 and 5
  EXPECT_EQ(Shard(3, 3).first_in(1), 2u);
  EXPECT_EQ(Shard(2, 4).count_in(u64_max - 3, 4), 1u);  // only 2^64 - 3 (% 4 == 1)
  EXPECT_EQ(Shard(2, 4).first_in(u64_max - 3), u64_max - 2);
  EXPECT_EQ(Shard(1, 4).count_in(u64_max, 1), 0u);  // 2^64 - 1 % 4 == 3
}

TEST(Reliability, a_sweep_hands_each_run_on_in_seed_order_and_keeps_none) {
  const ScenarioSpec& spec = builtin_spec("thundering-herd");
  for (unsigned jobs : {1u, 3u}) {
    SweepOptions o;
    o.seeds = 40;
    o.seed_base = 7;
    o.jobs = jobs;
    o.shard = Shard(2, 3);
    std::vector<std::uint64_t> seen;
    o.on_run = [&seen](SeedResult&& r) { seen.push_back(r.seed); };
    SweepResult result = sweep(spec, o);
    EXPECT_TRUE(result.runs.empty());
    EXPECT_EQ(result.planned, 14u);  // 7..46 with seed % 3 == 1: 7, 10, ..., 43, 46
    EXPECT_EQ(result.ran, 14u);
    ASSERT_EQ(seen.size(), 14u) << jobs;
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 7 + 3 * i) << jobs;
  }
}

TEST(Reliability, a_sweep_at_the_top_of_the_seed_range_runs_every_seed) {
  const ScenarioSpec& spec = builtin_spec("thundering-herd");
  SweepOptions o;
  o.seeds = 3;
  o.seed_base = u64_max - 2;
  SweepResult result = sweep(spec, o);
  ASSERT_EQ(result.runs.size(), 3u);
  EXPECT_EQ(result.runs.back().seed, u64_max);
}

TEST(Reliability, a_cancelled_sweep_hands_on_what_finished_and_says_so) {
  const ScenarioSpec& spec = builtin_spec("thundering-herd");
  std::atomic<bool> cancel{false};
  SweepOptions o;
  o.seeds = 1000;
  o.cancel = &cancel;
  std::uint64_t got = 0;
  o.on_run = [&](SeedResult&&) {
    if (++got == 5) cancel.store(true);
  };
  SweepResult result = sweep(spec, o);
  EXPECT_TRUE(result.cancelled);
  EXPECT_EQ(result.ran, 5u);
  EXPECT_EQ(got, 5u);
  EXPECT_EQ(result.planned, 1000u);
}

// -- runs cut off at a limit --------------------------------------------------

TEST(Reliability, a_run_cut_off_at_the_step_limit_is_not_a_pass) {
  ScenarioSpec spec = builtin_spec("thundering-herd");
  spec.explore.steps_max = 50;
  SweepOptions o;
  o.seeds = 4;
  SweepResult result = sweep(spec, o);
  std::vector<RunLine> lines;
  for (const SeedResult& r : result.runs) lines.push_back(run_line(spec, r));
  ScenarioSummary s = summarize(lines);
  EXPECT_EQ(s.cut_off, 4u);
  EXPECT_EQ(s.cut_off_outcome, "step limit reached");
  EXPECT_FALSE(s.ok());
  const std::string xml = junit_xml({s});
  EXPECT_NE(xml.find("runs_finish_within_the_limits"), std::string::npos);
  // An error (the check could not finish), not a failed property.
  EXPECT_NE(xml.find("<error type=\"cut_off\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("errors=\"1\" skipped=\"0\""), std::string::npos) << xml;
}

TEST(Reliability, junit_escapes_every_control_character) {
  // Every control character (0x00-0x1f, and DEL) in a message, a report
  // and a file name: the XML stays well formed (XML 1.0 allows none but
  // tab, newline and carriage return, not even as a reference), and a
  // message attribute stays on one line.
  std::string every;
  for (int c = 0; c < 0x20; ++c) every += static_cast<char>(c);
  every += '\x7f';
  ScenarioSummary s;
  s.scenario = "s";
  s.source = "dir/" + every + ".toml";
  s.schedules = 1;
  PropertySummary p;
  p.name = "p";
  p.violations = 1;
  p.first_token = "T";
  p.first_message = "rac\x01" "er\x1b[31m\nline" + every;
  p.report = "VIOLATED p\n" + every + "\n  replay: otpsim replay T\n";
  s.properties.push_back(p);
  PropertySummary finding = p;
  finding.name = "q";
  finding.expected_to_hold = false;
  s.properties.push_back(finding);
  const std::string xml = junit_xml({s});
  for (const char c : xml) EXPECT_TRUE(c == '\n' || c == '\t' || static_cast<unsigned char>(c) >= 0x20) << static_cast<int>(c);
  EXPECT_EQ(xml.find('\x7f'), std::string::npos);
  // The message attribute: escapes, one line.
  const std::size_t message = xml.find("message=\"p violated on 1 of 1 schedules; the shortest: seed 0: rac\\x01er\\x1b[31m\\nline");
  ASSERT_NE(message, std::string::npos) << xml;
  EXPECT_LT(xml.find("\\x00\\x01\\x02", message), xml.find('\n', message)) << xml;
  EXPECT_NE(xml.find("\\x1e\\x1f\\x7f\"", message), std::string::npos) << xml;
  // The text keeps its lines (tab and newline as they are, carriage return
  // as a reference), the rest as escapes.
  EXPECT_NE(xml.find("VIOLATED p\n\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\t\n\\x0b\\x0c&#13;\\x0e"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("value=\"dir/\\x00"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<system-out>expected finding: q violated"), std::string::npos) << xml;
}

// -- the progress line ---------------------------------------------------------

TEST(Reliability, the_progress_line_shows_rate_eta_and_violations) {
  ProgressCounts c;
  c.scenario = "herd";
  c.done = 250;
  c.total = 1000;
  c.elapsed_s = 2.5;
  c.violating = 3;
  EXPECT_EQ(progress_line(c), "herd  250/1000 25%  100 runs/s  ETA 8s  violations 3");
  c.unexpected = 1;
  c.cut_off = 2;
  c.elapsed_s = 25;
  EXPECT_EQ(progress_line(c), "herd  250/1000 25%  10.0 runs/s  ETA 1m15s  violations 3 (1 unexpected)  cut off 2");
  c.done = 1000;
  c.elapsed_s = 4000;
  EXPECT_EQ(progress_line(c), "herd  1000/1000 100%  0.25 runs/s  done in 1h06m  violations 3 (1 unexpected)  cut off 2");
  c.done = 0;
  c.elapsed_s = 0;
  EXPECT_EQ(progress_line(c), "herd  0/1000 0%  -- runs/s  ETA --  violations 3 (1 unexpected)  cut off 2");
  EXPECT_EQ(duration_text(59.4), "59s");
  EXPECT_EQ(duration_text(3599), "59m59s");
  EXPECT_EQ(duration_text(1e300), "--");
}

// -- the shrinker's budget -----------------------------------------------------

TEST(Reliability, the_shrinker_starts_no_run_past_its_budget) {
  const ScenarioSpec& spec = builtin_spec("mutant-no-already-started-branch");
  SweepOptions o;
  o.seeds = 50;
  SweepResult result = sweep(spec, o);
  const SeedResult* violating = nullptr;
  for (const SeedResult& r : result.runs) {
    if (r.any_violation()) violating = &r;
  }
  ASSERT_NE(violating, nullptr);
  const sim::ReplayToken token = *sim::decode_token(violating->token).token;
  auto unbounded = shrink_violation(spec, "resolve_agrees", token);
  ASSERT_TRUE(unbounded);
  EXPECT_GE(unbounded->attempts, 1u);
  EXPECT_FALSE(unbounded->budget_hit);
  // A budget already spent when the first candidate comes: no candidate runs.
  auto bounded = shrink_violation(spec, "resolve_agrees", token, 4000, 1e-12);
  ASSERT_TRUE(bounded);
  EXPECT_EQ(bounded->attempts, 0u);
  EXPECT_TRUE(bounded->budget_hit);
}

// -- the content hash in replay tokens ----------------------------------------

TEST(Reliability, the_content_hash_ignores_comments_and_layout_but_not_values) {
  const std::string base =
      "[scenario]\nname = \"t\"\ndescription = \"d\"\n[[client]]\nname = \"c\"\ncalls = [ { op = \"get\", app = \"a\" } ]\n";
  const ScenarioSpec a = parse(base);
  const ScenarioSpec b = parse("# a comment\n" + base + "\n\n# the end\n");
  const ScenarioSpec c = parse(base + "[env.cli]\nlatency_ms = 5\n");
  EXPECT_EQ(a.content_hash.size(), 8u);
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_NE(a.content_hash, c.content_hash);
  EXPECT_EQ(program_name(a), "scenario/t:" + a.content_hash);
  auto id = parse_program_name(program_name(a));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->name, "t");
  EXPECT_EQ(id->content_hash, a.content_hash);
}

TEST(Reliability, a_token_from_before_content_hashes_still_replays) {
  const ScenarioSpec& spec = builtin_spec("thundering-herd");
  RunReport original = run_once(spec, 3, sim::TraceLevel::off);
  sim::ReplayToken token = *sim::decode_token(original.token).token;
  token.program = "scenario/" + spec.name;  // as an otpsim2 token made before the hash
  RunReport again = replay(spec, token, sim::TraceLevel::off);
  EXPECT_TRUE(again.replay_error.empty()) << again.replay_error;
  EXPECT_EQ(again.result.steps, original.result.steps);
}

// -- JSON Lines ------------------------------------------------------------------

TEST(Reliability, a_source_path_that_is_not_utf8_does_not_abort_the_json) {
  RunLine line;
  line.scenario = "s";
  line.source = "bad\xff.toml";
  const std::string json = to_json(line);
  EXPECT_NE(json.find("\"source\":\"bad\xef\xbf\xbd.toml\""), std::string::npos) << json;
  std::string error;
  EXPECT_TRUE(parse_run_line(json, error)) << error;
}

TEST(Reliability, a_sweep_trailer_round_trips) {
  SweepTrailer t;
  t.scenario = "s";
  t.seed_base = 5;
  t.seeds = 10;
  t.shard_index = 2;
  t.shard_count = 3;
  t.planned = 3;
  t.ran = 2;
  t.stopped = "interrupted";
  std::string error;
  auto back = parse_trailer(to_json(t), error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(back->shard_index, 2u);
  EXPECT_EQ(back->shard_count, 3u);
  EXPECT_FALSE(back->complete());
  RunLine run;
  run.scenario = "s";
  EXPECT_FALSE(parse_trailer(to_json(run), error));
}

}  // namespace
}  // namespace otpsim::scenarios
