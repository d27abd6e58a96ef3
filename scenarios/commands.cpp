// The scenario commands of `otpsim`: run, replay, sweep, merge, check, list, elixir, observe.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>

#include "core/tokens/checked_time.hpp"
#include "scenarios/cli_common.hpp"
#include "scenarios/elixir_export.hpp"
#include "scenarios/kernel_programs.hpp"
#include "scenarios/library.hpp"
#include "scenarios/observation.hpp"
#include "scenarios/report.hpp"
#include "scenarios/runner.hpp"
#include "scenarios/shrink.hpp"
#include "scenarios/shrink_scenario.hpp"
#include "scenarios/story.hpp"
#include "scenarios/sweep.hpp"
#include "sim/assert.hpp"

namespace otpsim::scenarios::cli {

namespace {

/// Temporary files of OutputFiles not yet committed: removed on bad_input.
std::vector<std::string>& pending_temps() {
  static std::vector<std::string> temps;
  return temps;
}

}  // namespace

void bad_input(const std::string& message) {
  std::fflush(stdout);
  for (const std::string& temp : pending_temps()) (void)std::remove(temp.c_str());
  pending_temps().clear();
  std::fprintf(stderr, "otpsim: error: %s\n", escape_control(message).c_str());
  // _Exit, not exit: a sweep's worker thread may be the one that found the
  // bad output, and exit() would run static destructors while the other
  // workers still run (under ASan: use-after-free reports and hangs).
  // stdout was flushed above, stderr is unbuffered, temp files are gone.
  std::_Exit(exit_bad_input);
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string shell_quote(std::string_view text) { return scenarios::shell_quote(text); }

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  struct stat st {};
  const bool exists = ::lstat(path_.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) bad_input(fmt::format("cannot write '{}': it is a directory", path_));
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, a pipe, a symbolic link: written in place.
    file_ = std::fopen(path_.c_str(), "w");
    if (file_ == nullptr) bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
    return;
  }
  const std::filesystem::path target(path_);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string pattern = (dir / ("." + target.filename().string() + ".otpsim-XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::fchmod(fd, static_cast<mode_t>(0666) & ~mask);
  temp_ = pattern;
  pending_temps().push_back(temp_);
  file_ = ::fdopen(fd, "w");
  if (file_ == nullptr) bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
}

OutputFile::~OutputFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!temp_.empty()) {
    (void)std::remove(temp_.c_str());
    std::erase(pending_temps(), temp_);
  }
}

void OutputFile::write(std::string_view text) {
  if (file_ == nullptr) bad_input(fmt::format("cannot write '{}': already closed", path_));
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::ferror(file_)) {
    bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
  }
}

void OutputFile::commit() {
  if (file_ == nullptr) return;
  std::FILE* f = file_;
  file_ = nullptr;
  const bool flushed = std::fflush(f) == 0 && !std::ferror(f);
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  if (!flushed || !closed) bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(flushed ? errno : saved)));
  if (!temp_.empty()) {
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
      bad_input(fmt::format("cannot write '{}': {}", path_, std::strerror(errno)));
    }
    std::erase(pending_temps(), temp_);
    temp_.clear();
  }
}

namespace {

/// Standard output failed; `err` is the errno of the failing call, or 0 if
/// the error was set earlier (errno is per thread: a sweep's worker may
/// have hit it). Then the buffered bytes are written again to learn why.
[[noreturn]] void stdout_failed(int err) {
  if (err == 0) {
    std::clearerr(stdout);
    errno = 0;
    if (std::fflush(stdout) != 0) err = errno;
  }
  if (err == 0) {  // nothing was buffered: one byte straight to the descriptor tells
    errno = 0;
    if (::write(::fileno(stdout), "\n", 1) < 0) err = errno;
  }
  bad_input(fmt::format("cannot write to standard output: {}", err != 0 ? std::strerror(err) : "write error"));
}

}  // namespace

void write_stdout(std::string_view text) {
  errno = 0;
  const bool wrote = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  const int err = errno;
  if (!wrote || std::ferror(stdout)) stdout_failed(err);
}

void finish_stdout() {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int err = errno;
  if (!flushed || std::ferror(stdout)) stdout_failed(err);
}

namespace {

const std::vector<ScenarioSpec>& library() {
  static const std::vector<ScenarioSpec> specs = [] {
    auto parsed = builtin_scenarios();
    if (auto* error = std::get_if<ParseError>(&parsed)) {
      std::fprintf(stderr, "otpsim: internal error: built-in scenario does not parse: %s\n", error->text().c_str());
      std::exit(exit_bad_input);
    }
    return std::get<std::vector<ScenarioSpec>>(std::move(parsed));
  }();
  return specs;
}

const ScenarioSpec* find_builtin(std::string_view name) {
  for (const ScenarioSpec& s : library()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool looks_like_file(const std::string& arg) {
  return arg.find('/') != std::string::npos || arg.find('.') != std::string::npos || std::filesystem::exists(arg);
}

/// A file (loaded and validated) or a built-in name; bad input exits 2.
ScenarioSpec resolve(const std::string& arg) {
  if (!looks_like_file(arg)) {
    if (const ScenarioSpec* s = find_builtin(arg)) return *s;
    bad_input(fmt::format("unknown scenario '{}' (not a file; see `otpsim list` for the built-in names)", arg));
  }
  auto parsed = load_scenario_file(arg, default_parse_context());
  if (auto* error = std::get_if<ParseError>(&parsed)) bad_input(error->text());
  return std::get<ScenarioSpec>(std::move(parsed));
}

bool stderr_is_tty() { return isatty(fileno(stderr)) != 0; }

/// Seeds base .. base + seeds - 1 must exist: the last one is at most 2^64 - 1.
void check_seed_range(const std::string& scenario, std::uint64_t base, std::uint64_t seeds) {
  if (seeds > 0 && base > std::numeric_limits<std::uint64_t>::max() - (seeds - 1)) {
    bad_input(fmt::format("{}: seeds {} .. {} + {} - 1 run past 2^64 - 1, the largest seed (lower --seed or --seeds)",
                          scenario, base, base, seeds));
  }
}

/// The progress line of a sweep, on stderr: on a terminal, one line
/// redrawn in place (at most ten times a second); with --progress and
/// stderr not a terminal (a CI log), a line every ten seconds and one at
/// the end. Runs/s, ETA and the violations so far; nothing it shows reaches
/// stdout, JSON, JUnit or a token.
class Progress {
 public:
  Progress(std::string scenario, bool tty) : tty_(tty), start_(Clock::now()) { counts_.scenario = std::move(scenario); }
  /// A run handed over (in order): its verdicts count.
  void count(const SeedResult& r) {
    counts_.violating += r.any_violation() ? 1 : 0;
    // Unexpected: a property expected to hold was violated (a run on which
    // an expected finding did not show is no news: one run is enough).
    counts_.unexpected += std::any_of(r.verdicts.begin(), r.verdicts.end(),
                                      [](const PropertyVerdict& v) { return !v.held && v.expected_to_hold; })
                              ? 1
                              : 0;
    counts_.cut_off += cut_off(r.result.outcome) ? 1 : 0;
  }
  void update(std::uint64_t done, std::uint64_t total) {
    counts_.done = done;
    counts_.total = total;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (printed_ && done < total && since < (tty_ ? 0.1 : 10.0)) {
      stale_ = true;
      return;
    }
    last_ = now;
    draw();
  }
  /// The end of the sweep: a terminal's line is cleared (the table
  /// follows); a log gets the last state if it has not had it.
  void finish() {
    if (tty_) {
      if (width_ > 0) std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
      width_ = 0;
    } else if (stale_ || !printed_) {
      draw();
    }
    std::fflush(stderr);
  }

 private:
  using Clock = std::chrono::steady_clock;
  void draw() {
    counts_.elapsed_s = std::chrono::duration<double>(Clock::now() - start_).count();
    const std::string line = progress_line(counts_);
    if (tty_) {
      // Pad over a longer line drawn before.
      std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(width_ > line.size() ? width_ - line.size() : 0), "");
      width_ = std::max(width_, line.size());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    printed_ = true;
    stale_ = false;
  }
  bool tty_;
  Clock::time_point start_, last_;
  ProgressCounts counts_;
  std::size_t width_ = 0;
  bool printed_ = false, stale_ = false;
};

/// A progress line for a sweep of `spec`, or none: on a terminal, or
/// anywhere when asked (--progress).
std::unique_ptr<Progress> progress_for(const ScenarioSpec& spec, bool asked) {
  const bool tty = stderr_is_tty();
  if (!tty && !asked) return nullptr;
  return std::make_unique<Progress>(spec.name, tty);
}

/// `progress` (may be null) is drawn as the runs finish; the caller counts
/// each run into it (Progress::count) from its on_run.
SweepOptions sweep_options(const ScenarioSpec& spec, std::uint64_t seeds, std::uint64_t seed_base, bool seed_base_given,
                           unsigned jobs, Progress* progress = nullptr) {
  SweepOptions o;
  o.seeds = seeds > 0 ? seeds : spec.explore.seeds;
  o.seed_base = seed_base_given ? seed_base : spec.explore.seed_base;
  o.jobs = jobs;
  o.budget_s = spec.explore.budget_s;
  if (progress != nullptr) {
    o.progress = [progress](std::uint64_t done, std::uint64_t total) { progress->update(done, total); };
  }
  return o;
}

/// How to replay a run of `spec` from the command line (a line that works
/// when pasted: the file name quoted for the shell if it needs it).
std::string replay_command(const std::string& source, const std::string& token) {
  return scenarios::replay_command(source, token);
}
std::string replay_command(const ScenarioSpec& spec, const std::string& token) { return replay_command(spec.source, token); }

std::string safe_file_name(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return text;
}

void write_file(const std::string& path, const std::string& text) {
  OutputFile out(path);
  out.write(text);
  out.commit();
}

/// Prints to `out` (stdout or stderr) with a checked write for stdout.
void say(std::FILE* out, const std::string& text) {
  if (out == stdout) {
    write_stdout(text);
  } else {
    std::fputs(text.c_str(), out);
  }
}

/// The run a token records, again, with its full trace; with `until`, only
/// its steps up to that one (enough for a causal slice: a cut-off run goes
/// on for a million steps after its violation).
RunReport rerun(const ScenarioSpec& spec, const std::string& token_text,
                std::optional<std::uint64_t> until = std::nullopt) {
  sim::TokenParse parsed = sim::decode_token(token_text);
  OTPSIM_ASSERT(parsed.token.has_value(), "otpsim internal bug: a run's own token does not decode");
  if (until && *until < std::numeric_limits<std::uint64_t>::max()) {
    parsed.token->steps_max = std::min(parsed.token->steps_max, *until + 1);
  }
  return replay(spec, *parsed.token, sim::TraceLevel::full);
}

/// The steps of the shrunk run that the violation at step `last` depends
/// on (its causal slice), after the trio's boot: the part of the
/// counterexample to read. Returns what to print.
std::string slice_text(const ScenarioSpec& spec, const RunReport& run, const std::string& token, std::uint64_t last,
                       bool with_steps) {
  if (!run.trace) return {};
  const std::uint64_t boot = run.boot_end_step;
  std::vector<std::uint64_t> slice = causal_slice_of(spec, *sim::decode_token(token).token, last);
  std::erase_if(slice, [boot](std::uint64_t s) { return s <= boot; });
  std::ostringstream text;
  if (with_steps) run.trace->write_text(text, slice);
  return fmt::format("the violation's causal slice: {} steps after the boot (steps 0-{}), to the violation at step {}\n{}",
                     slice.size(), boot, last, text.str());
}

/// Prints to `out` and keeps what it printed (a report's JUnit text).
class Teller {
 public:
  explicit Teller(std::FILE* out) : out_(out) {}
  void operator()(const std::string& text) {
    say(out_, text);
    told_ += text;
  }
  /// What was printed, without the blank line that opens a report.
  std::string told() const { return told_.substr(std::min(told_.find_first_not_of('\n'), told_.size())); }

 private:
  std::FILE* out_;
  std::string told_;
};

/// Why `dir` cannot take shrunk scenarios (it is created if missing), or nullopt.
std::optional<std::string> shrunk_dir_error(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fmt::format("'{}': {}", dir, ec.message());
  if (!std::filesystem::is_directory(dir, ec)) return fmt::format("'{}': not a directory", dir);
  const std::string probe = (std::filesystem::path(dir) / ".otpsim-write-test").string();
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (f == nullptr) return fmt::format("'{}': {}", dir, std::strerror(errno));
  std::fclose(f);
  std::filesystem::remove(probe, ec);
  return std::nullopt;
}

/// A story's length: in full (a scenario named, or a violation nobody
/// expected), and in brief (each expected finding of a whole-library run).
constexpr std::size_t full_story_lines = 20;
constexpr std::size_t brief_story_lines = 5;
/// An unshrunk counterexample longer than this is not told (its full trace
/// and causal slice would cost more than the run it reports).
constexpr std::uint64_t unshrunk_story_steps_max = 200'000;

/// The report of one property that did not behave as expected (or a
/// finding): the counterexample shrunk (unless the scenario says not to)
/// and told as a story of at most `story_lines` lines, ending with the
/// replay line; `verbose` adds today's timeline and causal slice steps.
/// Returns what it printed (the JUnit text of the property).
std::string report_property(std::FILE* out, const ScenarioSpec& spec, const ScenarioSummary& summary,
                            const PropertySummary& p, const std::string& trace_dir, const std::string& save_dir,
                            bool verbose, std::size_t story_lines) {
  Teller say(out);
  if (p.violations == 0) {
    say(fmt::format("\n{}: {}: expected a violation (a documented finding or a mutant), held on all {} schedules\n",
                    spec.name, p.name, summary.schedules));
    return say.told();
  }
  std::string token = p.first_token;
  std::string message = p.first_message;
  std::optional<ShrunkRun> shrunk;
  std::optional<ShrunkCounterexample> small;
  const ScenarioSpec* run_spec = &spec;  // the scenario the reported run is of
  // budget_s bounds the scenario's wall time: a sweep that used it all up
  // leaves none for shrinking, and the counterexample is reported as found.
  if (spec.explore.shrink && !summary.budget_hit) {
    // The scenario, then the schedule; budget_s bounds both together.
    auto save = [&save_dir](const ShrunkScenario& shrunk_scenario) -> std::string {
      if (save_dir.empty()) return {};
      const std::string path = (std::filesystem::path(save_dir) / (shrunk_scenario.spec.name + ".toml")).string();
      write_file(path, shrunk_scenario.toml);
      return path;
    };
    small = shrink_counterexample(spec, p.name, p.first_seed, *sim::decode_token(p.first_token).token,
                                  spec.explore.budget_s, save);
    shrunk = small->run;
    if (small->saved) run_spec = &small->scenario->spec;
    if (shrunk) {
      token = shrunk->token;
      message = shrunk->message;
    }
  }
  // The whole run for a timeline (verbose) or trace files.
  const bool whole = verbose || !trace_dir.empty();
  RunReport run;
  if (whole) run = rerun(*run_spec, token);
  // An unshrunk run's violation step is in its verdict; a long one (a
  // scenario that turns shrinking off for its size) is not told.
  std::uint64_t step = shrunk ? shrunk->violation_step : 0;
  const bool tell = shrunk || p.first_steps <= unshrunk_story_steps_max;
  if (!shrunk && tell) {
    const RunReport again = whole ? RunReport() : replay(*run_spec, *sim::decode_token(token).token, sim::TraceLevel::off);
    for (const PropertyVerdict& v : (whole ? run : again).verdicts) {
      if (v.property == p.name && !v.held) step = violation_step(whole ? run : again, v);
    }
  }
  const char* what = p.as_expected() ? "finding" : "VIOLATED";
  // In brief, the shrink is a note in the header; in full, the scenario's
  // swarm configuration and both shrinks (scenario, schedule) have lines.
  const bool brief = story_lines < full_story_lines;
  std::string shrink_note;
  if (shrunk && brief) {
    shrink_note = fmt::format("; shrunk in {} runs{} to step {} (was {})", shrunk->attempts,
                              shrunk->budget_hit ? fmt::format(" (stopped at budget_s = {})", spec.explore.budget_s) : "",
                              shrunk->violation_step, shrunk->original_violation_step);
  }
  // A brief report follows the one before without a blank line: its
  // unindented first line sets it apart.
  say(fmt::format("{}{} {} in scenario {}{}: seed {} ({} of {} schedules; the shortest: {} steps{})\n",
                  brief ? "" : "\n", what, p.name,
                  spec.name, p.as_expected() ? ", as expected" : "", p.first_seed, p.violations, summary.schedules,
                  p.first_steps, shrink_note));
  if (!brief && spec.explore.strategy == "swarm") {
    say(fmt::format("  schedule: swarm seed {}: {}\n", p.first_seed, swarm_description(spec, p.first_seed)));
  }
  if (!brief && small) say(small->summary(spec.explore.budget_s));
  if (verbose) {
    say("timeline:\n" + timeline(run));
    if (shrunk) say(slice_text(*run_spec, rerun(*run_spec, token, step), token, step, true));
  }
  StoryViolation told{p.name, escape_control(message), replay_command(*run_spec, token)};
  if (tell) {
    say(story_text(story_of_token(*run_spec, token, step, told, story_lines)));
  } else {
    say(story_text({fmt::format("(no story: the run was not shrunk (explore.shrink = false) and has {} steps; "
                                "`otpsim replay TOKEN --verbose` prints it)", p.first_steps),
                    fmt::format("violated {}: {}", p.name, told.message), "replay: " + told.replay}));
  }
  if (!trace_dir.empty() && run.trace) {
    const std::string base =
        fmt::format("{}/{}-{}-seed{}", trace_dir, safe_file_name(spec.name), safe_file_name(p.name), p.first_seed);
    std::ostringstream chrome, text;
    run.trace->write_chrome(chrome);
    text << "timeline:\n" << timeline(run) << "\ntrace:\n";
    run.trace->write_text(text);
    write_file(base + ".json", chrome.str());
    write_file(base + ".txt", text.str());
    say(fmt::format("  trace: {}.json (ui.perfetto.dev), {}.txt\n", base, base));
  }
  return say.told();
}

/// The runs cut off by a limit: never a pass, whatever their verdicts.
/// Returns what it printed (the JUnit text of the cut-off runs).
std::string report_cut_off(std::FILE* out, const ScenarioSpec& spec, const ScenarioSummary& s) {
  if (s.cut_off == 0) return {};
  Teller say(out);
  say(fmt::format("\n{}: CUT OFF: {} of {} runs stopped at a limit before the workload finished (first: seed {}, "
                       "{} after {} steps); their verdicts are those of unfinished runs, so this is not a pass: raise "
                       "explore.steps_max or explore.time_max_s, or shorten the workload\n  replay: {}\n",
                       spec.name, s.cut_off, s.schedules, s.cut_off_seed, s.cut_off_outcome, s.cut_off_steps,
                       replay_command(spec, s.cut_off_token)));
  return say.told();
}

/// One line on what dfs covered.
void report_dfs(std::FILE* out, const ScenarioSpec& spec, const DfsStats& d) {
  if (!d.error.empty()) {
    say(out, fmt::format("\n{}: dfs stopped: {}\n", spec.name, escape_control(d.error)));
    return;
  }
  std::string bounds;
  if (spec.explore.dfs_preemption_bound) bounds += fmt::format(", preemption bound {}", *spec.explore.dfs_preemption_bound);
  if (spec.explore.dfs_delay_bound) bounds += fmt::format(", delay bound {}", *spec.explore.dfs_delay_bound);
  say(out, fmt::format("\n{}: dfs ({}, {} delivery{}) {}: {} interleavings, {} runs pruned by sleep sets\n", spec.name,
                       d.reduction, sim::delivery_name(spec.explore.delivery), bounds,
                       d.exhausted ? (d.bounded ? "exhausted the space within the bound" : "exhausted the space")
                                   : "stopped before the end (raise --seeds or explore.seeds)",
                       d.interleavings, d.pruned));
}

// -- interrupting a sweep --

std::atomic<bool> interrupted{false};
std::atomic<int> interrupt_signal{0};

extern "C" void on_interrupt(int sig) {
  interrupt_signal.store(sig);
  interrupted.store(true);
}

/// SIGINT and SIGTERM stop the sweep between runs (a second one kills at
/// once: SA_RESETHAND).
void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// After an interrupted sweep has saved its complete lines: die of the
/// signal, as a well-behaved program does, so the caller sees it.
[[noreturn]] void die_of_interrupt() {
  const int sig = interrupt_signal.load() != 0 ? interrupt_signal.load() : SIGINT;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
  std::_Exit(128 + sig);
}

/// For the CLI test: OTPSIM_TEST_INTERRUPT_AFTER_RUNS=N makes a sweep send
/// itself SIGINT once N runs are done (an interruption at a known point,
/// without timing).
std::uint64_t test_interrupt_after() {
  const char* v = std::getenv("OTPSIM_TEST_INTERRUPT_AFTER_RUNS");
  if (v == nullptr) return 0;
  return parse_decimal(v).value_or(0);
}

}  // namespace

int cmd_run(const RunFlags& flags) {
  // Resolve every argument and open every output first: bad input runs nothing.
  std::vector<ScenarioSpec> specs;
  if (flags.scenarios.empty()) {
    specs = library();
  } else {
    for (const std::string& arg : flags.scenarios) specs.push_back(resolve(arg));
  }
  if (!flags.delivery.empty()) {
    for (ScenarioSpec& spec : specs) spec.explore.delivery = *sim::delivery_from_name(flags.delivery);
  }
  for (const ScenarioSpec& spec : specs) {
    const SweepOptions o = sweep_options(spec, flags.seeds, flags.seed_base, flags.seed_base_given, flags.jobs);
    check_seed_range(spec.name, o.seed_base, o.seeds);
  }
  if (!flags.trace_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.trace_dir, ec);
    if (ec) bad_input(fmt::format("--trace '{}': {}", flags.trace_dir, ec.message()));
  }
  if (!flags.save_shrunk_dir.empty()) {
    if (std::optional<std::string> why = shrunk_dir_error(flags.save_shrunk_dir)) bad_input("--save-shrunk " + *why);
  }
  std::optional<OutputFile> junit;
  if (!flags.junit_file.empty()) junit.emplace(flags.junit_file);
  std::FILE* human = flags.json ? stderr : stdout;
  std::vector<ScenarioSummary> summaries;
  std::vector<std::optional<DfsStats>> dfs_stats;
  for (const ScenarioSpec& spec : specs) {
    std::unique_ptr<Progress> progress = progress_for(spec, flags.progress);
    SweepOptions options =
        sweep_options(spec, flags.seeds, flags.seed_base, flags.seed_base_given, flags.jobs, progress.get());
    options.fold_held_runs = !flags.json;  // --json prints every run
    // Each run is summarised (and printed, with --json) as it finishes:
    // memory does not grow with the number of seeds.
    Summarizer summarizer;
    options.on_run = [&](SeedResult&& r) {
      if (progress) progress->count(r);
      RunLine line = run_line(spec, r);
      if (flags.json) {
        write_stdout(to_json(line) + "\n");
        std::fflush(stdout);
      }
      summarizer.add(line);
    };
    SweepResult result = sweep(spec, options);
    if (progress) progress->finish();
    ScenarioSummary summary = std::move(summarizer.summary);
    add_folded(summary, result.folded);
    summary.scenario = spec.name;
    summary.source = spec.source;
    summary.wall_s = result.wall_s;
    summary.budget_hit = result.budget_hit;
    summaries.push_back(std::move(summary));
    dfs_stats.push_back(result.dfs);
  }
  print_table(human, summaries);
  bool ok = true;
  bool brief_intro_said = false;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    ok = ok && summaries[i].ok();
    if (dfs_stats[i]) {
      report_dfs(human, specs[i], *dfs_stats[i]);
      ok = ok && dfs_stats[i]->error.empty();
    }
    summaries[i].cut_off_report = report_cut_off(human, specs[i], summaries[i]);
    for (PropertySummary& p : summaries[i].properties) {
      if (!p.as_expected() || p.violations > 0) {
        // The whole library: an expected finding's story in brief (one
        // screen for all of them); a named scenario's, or news, in full.
        const bool brief = flags.scenarios.empty() && p.as_expected() && !flags.verbose;
        if (brief && !brief_intro_said) {
          say(human, "\nexpected findings, each in brief (otpsim run NAME tells its whole story; docs/findings.md):\n");
          brief_intro_said = true;
        }
        p.report = report_property(human, specs[i], summaries[i], p, flags.trace_dir, flags.save_shrunk_dir, flags.verbose,
                                   brief ? brief_story_lines : full_story_lines);
      }
    }
  }
  if (junit) {
    junit->write(junit_xml(summaries));
    junit->commit();
  }
  finish_stdout();
  return ok ? exit_ok : exit_violated;
}

int cmd_replay(const std::string& token_text, const std::string& trace_file, const std::string& format,
               const std::string& scenario_file, bool expect_violation, bool verbose) {
  sim::TokenParse parsed = sim::decode_token(token_text);
  if (!parsed.token) bad_input(parsed.error);
  const sim::ReplayToken& token = *parsed.token;
  // Simulated time stays below the horizon (core/tokens/checked_time.hpp).
  if (token.time_max_us >= core::tokens::time_horizon_us) {
    bad_input(fmt::format("bad replay token: its time limit ({}us) is past the largest a run may have ({}us)",
                          token.time_max_us, core::tokens::time_horizon_us - 1));
  }
  if (token.program.rfind("kernel/", 0) == 0) return cmd_replay_kernel(token, trace_file, format, expect_violation);
  const std::optional<ProgramId> id = parse_program_name(token.program);
  if (!id) bad_input(fmt::format("replay token names unknown program '{}'", token.program));
  ScenarioSpec spec;
  if (!scenario_file.empty()) {
    spec = resolve(scenario_file);
    if (spec.name != id->name) {
      bad_input(fmt::format("the token is for scenario '{}', but {} holds scenario '{}'", id->name, scenario_file, spec.name));
    }
  } else if (const ScenarioSpec* s = find_builtin(id->name)) {
    spec = *s;
  } else {
    bad_input(fmt::format("no built-in scenario '{}': pass its file with --scenario FILE", id->name));
  }
  // A token made since scenarios carry a content hash replays only the
  // scenario it was made from: an edited one would replay something else.
  if (!id->content_hash.empty() && !spec.content_hash.empty() && id->content_hash != spec.content_hash) {
    bad_input(fmt::format("scenario '{}' changed since the token was made (content hash {}, now {}): the token would "
                          "replay a different run; use the scenario as it was, or run it again for a new token",
                          id->name, id->content_hash, spec.content_hash));
  }
  std::optional<OutputFile> file;
  if (!trace_file.empty()) file.emplace(trace_file);
  RunReport run = replay(spec, token, sim::TraceLevel::full);
  // The run in the form asked for: none by default (the stories say it).
  const std::string form = !format.empty() ? format : (file || verbose) ? "text" : "";
  std::ostringstream out;
  if (form == "jsonl") {
    run.trace->write_jsonl(out);
  } else if (form == "chrome") {
    run.trace->write_chrome(out);
  } else if (form == "timeline") {
    out << timeline(run);
  } else if (form == "text") {
    run.trace->write_text(out);
  }
  // Each violation's story, on stdout unless the run's text is there in a
  // form a program reads.
  std::string stories;
  if (run.replay_error.empty()) {
    for (const PropertyVerdict& v : run.verdicts) {
      if (v.held || !v.violation) continue;
      StoryViolation told{v.property, escape_control(v.violation->message), replay_command(spec, token_text)};
      stories += fmt::format("\n{} {} in scenario {}{}:\n", v.as_expected() ? "finding" : "VIOLATED", v.property,
                             spec.name, v.as_expected() ? ", as expected" : "");
      stories += story_text(story_of_token(spec, token_text, violation_step(run, v), told));
    }
  }
  const bool stories_to_stderr = !file && (form == "jsonl" || form == "chrome");
  if (file) {
    file->write(out.str());
    file->commit();
  } else {
    write_stdout(out.str());
  }
  if (stories_to_stderr) {
    std::fputs(stories.c_str(), stderr);
  } else {
    write_stdout(stories.substr(out.str().empty() && !file ? std::min<std::size_t>(1, stories.size()) : 0));
  }
  finish_stdout();
  if (!run.replay_error.empty()) {
    std::fprintf(stderr, "otpsim: %s\n", escape_control(run.replay_error).c_str());
    return exit_violated;
  }
  std::fprintf(stderr, "replayed scenario %s, seed %llu: %llu steps, %s, %s\n", spec.name.c_str(),
               static_cast<unsigned long long>(run.seed), static_cast<unsigned long long>(run.result.steps),
               seconds_text(run.result.end_time_us).c_str(), std::string(sim::outcome_name(run.result.outcome)).c_str());
  bool violated = false;
  for (const PropertyVerdict& v : run.verdicts) {
    violated = violated || !v.held;
    std::fprintf(stderr, "  %-28s %s%s%s\n", v.property.c_str(), v.held ? "held" : "VIOLATED",
                 v.as_expected() ? "" : " (unexpected)",
                 v.violation ? (": " + escape_control(v.violation->message)).c_str() : "");
  }
  const bool limited = cut_off(run.result.outcome);
  if (limited) std::fprintf(stderr, "  the run was CUT OFF at a limit (%s): not a pass\n", run.result.message.c_str());
  // A regression check: 0 if the run is clean now (or, asked to expect it,
  // if it still violates a property).
  if (expect_violation) {
    if (!violated) std::fprintf(stderr, "otpsim: --expect-violation: the replayed run violated no property\n");
    return violated ? exit_ok : exit_violated;
  }
  return violated || limited ? exit_violated : exit_ok;
}

int cmd_sweep(const std::string& scenario, std::uint64_t seeds, std::uint64_t seed_base, unsigned jobs,
              const std::string& shard_text, const std::string& out_file, const std::string& delivery,
              bool progress_asked) {
  ScenarioSpec spec = resolve(scenario);
  if (!delivery.empty()) spec.explore.delivery = *sim::delivery_from_name(delivery);
  std::unique_ptr<Progress> progress = progress_for(spec, progress_asked);
  SweepOptions options = sweep_options(spec, seeds, seed_base, true, jobs, progress.get());
  if (!shard_text.empty()) {
    std::string error;
    auto shard = Shard::parse(shard_text, error);
    if (!shard) bad_input(error);
    options.shard = *shard;
  }
  if (spec.explore.strategy == "dfs" && options.shard.count > 1) {
    bad_input(fmt::format("--shard {}: scenario {} uses dfs, one exploration in which each run depends on the ones "
                          "before it, so it cannot be split into shards (run it unsharded, or shard a random or pct "
                          "strategy)", shard_text, spec.name));
  }
  check_seed_range(spec.name, options.seed_base, options.seeds);
  std::optional<OutputFile> file;
  if (!out_file.empty()) file.emplace(out_file);
  auto emit = [&](const std::string& text) {
    if (file) {
      file->write(text);
    } else {
      write_stdout(text);
      std::fflush(stdout);  // streamed: a reader sees each run as it finishes
    }
  };
  // JSON Lines stream out as the runs finish, in seed order; an interrupt
  // (SIGINT, SIGTERM) stops between runs and keeps the complete lines.
  catch_interrupts();
  options.cancel = &interrupted;
  const std::uint64_t interrupt_after = test_interrupt_after();
  Summarizer summarizer;
  std::uint64_t written = 0;
  options.on_run = [&](SeedResult&& r) {
    if (progress) progress->count(r);
    RunLine line = run_line(spec, r);
    emit(to_json(line) + "\n");
    summarizer.add(line);
    if (++written == interrupt_after) std::raise(SIGINT);
  };
  SweepResult result = sweep(spec, options);
  if (progress) progress->finish();
  if (file) {
    SweepTrailer trailer;
    trailer.scenario = spec.name;
    trailer.source = spec.source;
    trailer.strategy = spec.explore.strategy;
    trailer.seed_base = options.seed_base;
    trailer.seeds = options.seeds;
    trailer.shard_index = options.shard.index;
    trailer.shard_count = options.shard.count;
    trailer.planned = result.planned;
    trailer.ran = result.ran;
    trailer.stopped = result.cancelled ? "interrupted" : result.budget_hit ? "budget" : "done";
    if (result.dfs) trailer.planned = trailer.ran;  // dfs: the cap is not a plan
    emit(to_json(trailer) + "\n");
    file->commit();
  } else {
    finish_stdout();
  }
  ScenarioSummary summary = std::move(summarizer.summary);
  summary.scenario = spec.name;
  summary.wall_s = result.wall_s;
  summary.budget_hit = result.budget_hit;
  std::vector<ScenarioSummary> summaries{summary};
  print_table(stderr, summaries);
  std::fprintf(stderr, "%llu schedules on %u jobs in %.2fs (shard %llu/%llu)\n",
               static_cast<unsigned long long>(summary.schedules), jobs, result.wall_s,
               static_cast<unsigned long long>(options.shard.index), static_cast<unsigned long long>(options.shard.count));
  if (result.cancelled) {
    std::fprintf(stderr, "otpsim: interrupted: %llu of %llu runs done; %s holds them, complete lines only, marked as "
                         "interrupted (otpsim merge refuses it as a gap)\n",
                 static_cast<unsigned long long>(result.ran), static_cast<unsigned long long>(result.planned),
                 file ? escape_control(file->path()).c_str() : "standard output");
    die_of_interrupt();
  }
  return summary.ok() ? exit_ok : exit_violated;
}

int cmd_merge(const std::vector<std::string>& files, const std::string& junit_file) {
  std::optional<OutputFile> junit;
  if (!junit_file.empty()) junit.emplace(junit_file);
  std::map<std::string, std::vector<RunLine>> by_scenario;
  std::vector<std::pair<std::string, SweepTrailer>> trailers;  // file, trailer
  for (const std::string& path : files) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) bad_input(fmt::format("{}: a directory, not a JSON Lines file", path));
    std::ifstream in(path, std::ios::binary);
    if (!in) bad_input(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    std::string text;
    std::uint64_t runs = 0;
    std::optional<SweepTrailer> trailer;
    int line_no = 1;
    for (; std::getline(in, text); ++line_no) {
      if (text.empty()) continue;
      if (in.eof()) bad_input(fmt::format("{}:{}: the last line is incomplete (no newline: a write cut short?)", path, line_no));
      if (trailer) bad_input(fmt::format("{}:{}: a line after the sweep's last line", path, line_no));
      std::string error;
      if (auto t = parse_trailer(text, error)) {
        if (!error.empty()) bad_input(fmt::format("{}:{}: {}", path, line_no, error));
        trailer = std::move(t);
        continue;
      }
      auto line = parse_run_line(text, error);
      if (!line) bad_input(fmt::format("{}:{}: {}", path, line_no, error));
      ++runs;
      by_scenario[line->scenario].push_back(std::move(*line));
    }
    if (in.bad()) bad_input(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    if (runs == 0 && !trailer) bad_input(fmt::format("{}: no runs in the file", path));
    if (trailer) {
      if (trailer->stopped == "interrupted") {
        bad_input(fmt::format("{}: the sweep was interrupted: {} of the {} runs of scenario {} (shard {}/{}) are in the "
                              "file; run that shard again", path, trailer->ran, trailer->planned, trailer->scenario,
                              trailer->shard_index, trailer->shard_count));
      }
      if (trailer->ran != runs) {
        bad_input(fmt::format("{}: the sweep's last line says {} runs, but the file holds {} (cut or edited?)", path,
                              trailer->ran, runs));
      }
      if (trailer->stopped == "budget") {
        std::fprintf(stderr, "otpsim: note: %s: the sweep stopped at its budget: %llu of %llu runs\n",
                     escape_control(path).c_str(), static_cast<unsigned long long>(trailer->ran),
                     static_cast<unsigned long long>(trailer->planned));
      }
      trailers.emplace_back(path, *trailer);
    }
  }
  // Shards: every shard of a sharded sweep must be there, each once.
  std::map<std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t>, std::map<std::uint64_t, std::string>> shards;
  for (const auto& [path, t] : trailers) {
    auto& seen = shards[{t.scenario, t.seed_base, t.seeds, t.shard_count}];
    auto [it, inserted] = seen.try_emplace(t.shard_index, path);
    if (!inserted) {
      bad_input(fmt::format("{} and {}: both hold shard {}/{} of scenario {} (seeds from {}): an overlap", it->second,
                            path, t.shard_index, t.shard_count, t.scenario, t.seed_base));
    }
  }
  for (const auto& [key, seen] : shards) {
    const auto& [scenario, base, seeds, count] = key;
    for (std::uint64_t k = 1; k <= count; ++k) {
      if (seen.count(k) == 0) {
        bad_input(fmt::format("scenario {}: shard {}/{} of the sweep over {} seeds from {} is missing: a gap", scenario,
                              k, count, seeds, base));
      }
    }
  }
  std::vector<ScenarioSummary> summaries;
  bool ok = true;
  for (const auto& [name, lines] : by_scenario) {
    summaries.push_back(summarize(lines));
    ok = ok && summaries.back().ok();
  }
  print_table(stdout, summaries);
  for (ScenarioSummary& s : summaries) {
    if (s.cut_off > 0) {
      s.cut_off_report = fmt::format("{}: CUT OFF: {} of {} runs stopped at a limit (first: seed {}, {}): not a pass\n",
                                     s.scenario, s.cut_off, s.schedules, s.cut_off_seed, s.cut_off_outcome);
      write_stdout(s.cut_off_report);
      s.cut_off_report += fmt::format("  replay: {}\n", replay_command(s.source, s.cut_off_token));
    }
    for (PropertySummary& p : s.properties) {
      if (p.violations > 0) {
        p.report = fmt::format("{} {}: {} on {} of {} schedules; first seed {}: {}\n  replay: {}\n", s.scenario, p.name,
                               p.status(), p.violations, s.schedules, p.first_seed, escape_control(p.first_message),
                               replay_command(s.source, p.first_token));
        write_stdout(p.report);
      }
    }
  }
  if (junit) {
    junit->write(junit_xml(summaries));
    junit->commit();
  }
  finish_stdout();
  return ok ? exit_ok : exit_violated;
}

int cmd_check(const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    auto parsed = load_scenario_file(path, default_parse_context());
    if (auto* error = std::get_if<ParseError>(&parsed)) bad_input(error->text());
    const ScenarioSpec& s = std::get<ScenarioSpec>(parsed);
    write_stdout(fmt::format("{}: ok: scenario {} ({} clients, {} faults, {} properties, {} schedules)\n",
                             escape_control(path), s.name, s.clients.size(), s.faults.faults.size(), s.properties.size(),
                             s.explore.seeds));
  }
  finish_stdout();
  return exit_ok;
}

int cmd_list() {
  write_stdout("built-in scenarios (otpsim run NAME):\n");
  for (const ScenarioSpec& s : library()) write_stdout(fmt::format("  {:<24} {}\n", s.name, s.description));
  write_stdout("kernel programs (otpsim kernel NAME):\n");
  for (const auto& p : kernel_programs()) {
    write_stdout(fmt::format("  {:<24} {}\n", p.program.name, p.program.description));
  }
  finish_stdout();
  return exit_ok;
}

// ---- elixir, observe: the BEAM as the judge of a declared tree -------------

int cmd_elixir(const std::string& scenario, const std::string& out_file) {
  const ScenarioSpec spec = resolve(scenario);
  if (auto why = elixir_unsupported(spec)) bad_input(*why);
  const std::string script = elixir_script(spec);
  if (out_file.empty()) {
    write_stdout(script);
    finish_stdout();
  } else {
    OutputFile out(out_file);
    out.write(script);
    out.commit();
  }
  return exit_ok;
}

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// The lines only `a` has ("- "), then those only `b` has ("+ ").
std::string line_diff(const std::vector<std::string>& a, const std::vector<std::string>& b, std::size_t* size) {
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  *size = only_a.size() + only_b.size();
  std::string out;
  for (const std::string& l : only_a) out += "  - " + l + "\n";
  for (const std::string& l : only_b) out += "  + " + l + "\n";
  return out;
}

}  // namespace

/// Runs `spec`'s Elixir script on the BEAM (`elixir` from the PATH, stdin
/// closed, at most 120 s): its stdout. Anything that stops it is bad input.
std::string run_on_beam(const ScenarioSpec& spec) {
  if (auto why = elixir_unsupported(spec)) bad_input(*why);
  char dir_template[] = "/tmp/otpsim-beam-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) bad_input(fmt::format("cannot make a temporary directory: {}", std::strerror(errno)));
  const std::filesystem::path dir(dir_template);
  const std::filesystem::path script = dir / "scenario.exs";
  {
    OutputFile out(script.string());
    out.write(elixir_script(spec));
    out.commit();
  }
  const std::string command = fmt::format("timeout 120 elixir '{}' </dev/null 2>'{}'", script.string(), (dir / "stderr").string());
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) bad_input(fmt::format("cannot run elixir: {}", std::strerror(errno)));
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (status != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    bad_input(code == 127 ? std::string("elixir is not on the PATH (--run-beam runs the scenario on the BEAM with it)")
              : code == 124 ? std::string("the BEAM run took over 120 s")
                            : fmt::format("the BEAM run failed (elixir exited {})", code));
  }
  if (output.empty()) bad_input("the BEAM run printed nothing");
  return output;
}

int cmd_observe(const std::string& scenario, std::uint64_t seeds, const std::string& beam_file, bool run_beam) {
  ScenarioSpec spec = resolve(scenario);
  if (!spec.tree) bad_input(fmt::format("scenario {} has no declared tree (observe reads a tree's run)", spec.name));
  std::string beam_text;
  if (run_beam) {
    beam_text = run_on_beam(spec);
    write_stdout("the BEAM's observation:\n");
    for (const std::string& line : split_lines(beam_text)) write_stdout("  " + line + "\n");
  } else if (!beam_file.empty()) {
    std::ifstream in(beam_file);
    if (!in) bad_input(fmt::format("cannot read {}", beam_file));
    std::ostringstream all;
    all << in.rdbuf();
    beam_text = all.str();
  }
  if (seeds == 0) seeds = spec.explore.seeds;
  check_seed_range(spec.name, spec.explore.seed_base, seeds);
  // dfs explores many runs at once; observe runs one seed at a time, under swarm.
  const bool seeded = spec.explore.strategy != "dfs";
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> reached;  // observation -> (runs, first seed)
  for (std::uint64_t i = 0; i < seeds; ++i) {
    const std::uint64_t seed = spec.explore.seed_base + i;
    RunReport run = seeded ? run_once(spec, seed, sim::TraceLevel::off)
                           : run_with(spec, seeded_strategy(spec, "swarm", seed), "swarm", seed, sim::TraceLevel::off);
    auto it = reached.try_emplace(observation(spec, run), 0, seed).first;
    ++it->second.first;
  }
  std::vector<std::pair<std::string, std::pair<std::uint64_t, std::uint64_t>>> order(reached.begin(), reached.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::size_t number = 0;
  for (const auto& [text, counts] : order) {
    write_stdout(fmt::format("observation {}: {} of {} seeds (first seed {})\n", ++number, counts.first, seeds,
                             counts.second));
    for (const std::string& line : split_lines(text)) write_stdout("  " + line + "\n");
  }
  if (beam_file.empty() && !run_beam) {
    finish_stdout();
    return exit_ok;
  }
  const std::vector<std::string> beam = split_lines(beam_text);
  std::size_t best = std::numeric_limits<std::size_t>::max(), best_number = 0;
  std::string best_diff;
  number = 0;
  for (const auto& [text, counts] : order) {
    ++number;
    std::size_t size = 0;
    std::string diff = line_diff(split_lines(text), beam, &size);
    if (size < best) {
      best = size;
      best_number = number;
      best_diff = std::move(diff);
    }
  }
  if (best == 0) {
    write_stdout(fmt::format("beam: observation {} (reached by the simulator)\n", best_number));
    finish_stdout();
    return exit_ok;
  }
  write_stdout(fmt::format("beam: NOT REACHED in {} seeds; nearest is observation {} (- simulator only, + beam only):\n{}",
                           seeds, best_number, best_diff));
  finish_stdout();
  return exit_violated;
}

}  // namespace otpsim::scenarios::cli
