// The DPOR benchmark: dfs on the already_started programs that Concuerror's
// users measure (/work/shared/reference/dpor-benchmarks/), written against
// sim/ in bench/dpor_programs.cpp (as_reg, as_srv, as_gs).
//
// For every program, mode (fixed, buggy), N clients, delivery (async,
// instant) and reduction DfsOptions knows (none, sleep_sets, dpor, and
// optimal once it exists): dfs to exhaustion or the per-cell wall budget,
// then one row: interleavings (runs that went to their end), pruned (runs
// cut by a sleep set), exhausted, wall seconds, peak RSS, the failing
// interleavings and the index of the first (buggy), and Concuerror's count
// for the program and N with our interleavings / its count.
//
// Each cell runs in a forked child (--no-fork: in this process), so the
// peak RSS (wait4's ru_maxrss) is the cell's own. After a cell hits its
// budget the same (program, mode, delivery, reduction) is not tried at a
// larger N (--no-skip tries it). --quick: N=2..3 and 2 s per cell unless
// --budget-s is given. --classes also counts the distinct Mazurkiewicz
// traces (under sim/dependence.hpp, up to pid numbering) among the
// interleavings: a check that a reduction explores each class once.
//
// The exit status is 1 if a run neither passed nor failed its assertion
// (stuck, a limit), dfs reported an error, or a child crashed (a bug in the
// model or the kernel, not the benchmark's bug), or if a reduction
// exhausted the space without reaching an outcome (which way each client
// went, ok or bug) that another reduction reached (MISSED OUTCOMES).
//
//   ninja -C build-bench bench/otpsim_dpor_bench
//   taskset -c 0 ./build-bench/bench/otpsim_dpor_bench [--quick] [--budget-s 30] [--min-n 2] [--max-n 6]
//       [--program as_reg,as_srv,as_gs] [--mode fixed,buggy] [--reduction none,sleep_sets,dpor]
//       [--delivery async,instant] [--json] [--json-file PATH] [--no-fork] [--no-skip] [--classes]
//   taskset -c 0 ./build-bench/bench/otpsim_dpor_bench --cell as_srv:fixed:4:instant:dpor
//   ./build-bench/bench/otpsim_dpor_bench --cell as_reg:fixed:3:async:sleep_sets --witness sha:ok
//     (stderr: the picks of the first run with that outcome), then the same --cell with
//     --replay 0,0,1,... prints that run's trace
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "bench/dpor_programs.hpp"
#include "sim/dependence.hpp"
#include "sim/dfs.hpp"
#include "sim/kernel.hpp"
#include "sim/sequence_strategy.hpp"

namespace sim = otpsim::sim;
namespace ob = otpsim::bench;
using Clock = std::chrono::steady_clock;
using Reduction = sim::DfsOptions::Reduction;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<sim::Delivery> delivery_from_name(std::string_view name) {
  for (auto d : {sim::Delivery::async, sim::Delivery::instant}) {
    if (sim::delivery_name(d) == name) return d;
  }
  return std::nullopt;
}

struct Cell {
  ob::DporProgram program = ob::DporProgram::as_reg;
  ob::DporMode mode = ob::DporMode::fixed;
  int n = 2;
  sim::Delivery delivery = sim::Delivery::instant;
  Reduction reduction = Reduction::sleep_sets;

  std::string name() const {
    return std::string(ob::program_name(program)) + ":" + std::string(ob::mode_name(mode)) + ":" + std::to_string(n) +
           ":" + std::string(sim::delivery_name(delivery)) + ":" + std::string(sim::reduction_name(reduction));
  }
};

std::optional<Cell> parse_cell(std::string_view text) {
  auto parts = split(text, ':');
  if (parts.size() != 5) return std::nullopt;
  Cell c;
  auto p = ob::program_from_name(parts[0]);
  auto m = ob::mode_from_name(parts[1]);
  auto d = delivery_from_name(parts[3]);
  auto r = sim::reduction_from_name(parts[4]);
  char* end = nullptr;
  long n = std::strtol(parts[2].c_str(), &end, 10);
  if (!p || !m || !d || !r || end == parts[2].c_str() || *end != '\0' || n < 1 || n > 64) return std::nullopt;
  c.program = *p;
  c.mode = *m;
  c.n = static_cast<int>(n);
  c.delivery = *d;
  c.reduction = *r;
  return c;
}

/// --classes: the Mazurkiewicz trace of a run under sim/dependence.hpp's
/// base relation, as a canonical string (a check of the explorer, not part
/// of it). Processes are named by their spawn path (main is /0, its k-th
/// child /0/k, ...) and channels by their two ends, so equivalence is up
/// to pid numbering, as dependence.hpp defines it. The string is the
/// smallest linearization (by actor name, then step index) of the
/// dependence graph: two runs give the same string iff they order every
/// dependent pair of steps alike.
class TraceClass final : public sim::Observer {
 public:
  void on_spawn(sim::Pid parent, sim::Pid child, const std::string&) override {
    const std::string base = parent ? name(parent) : std::string();
    names_[child.id] = base + "/" + std::to_string(children_[parent.id]++);
  }
  void on_step(const sim::StepInfo& step) override {
    std::string actor = name(step.pid);
    const std::uint32_t index = counts_[actor]++;
    events_.push_back(Event{std::move(actor), index, step});
  }
  /// A 64-bit hash of the canonical string.
  std::uint64_t hash() const {
    const std::size_t n = events_.size();
    std::vector<std::vector<std::uint32_t>> succ(n);
    std::vector<std::uint32_t> preds(n, 0);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (events_[i].actor == events_[j].actor || sim::dependent(events_[i].step, events_[j].step)) {
          succ[i].push_back(static_cast<std::uint32_t>(j));
          ++preds[j];
        }
      }
    }
    auto less = [&](std::uint32_t a, std::uint32_t b) {
      return std::tie(events_[a].actor, events_[a].index) < std::tie(events_[b].actor, events_[b].index);
    };
    std::set<std::uint32_t, decltype(less)> ready(less);
    for (std::uint32_t i = 0; i < n; ++i) {
      if (preds[i] == 0) ready.insert(i);
    }
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    auto mix = [&h](std::string_view text) {
      for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
    };
    while (!ready.empty()) {
      const std::uint32_t e = *ready.begin();
      ready.erase(ready.begin());
      mix(events_[e].actor);
      mix(":" + std::to_string(events_[e].index) + ":" + std::string(sim::effect_name(events_[e].step.effect)) + ";");
      for (std::uint32_t k : succ[e]) {
        if (--preds[k] == 0) ready.insert(k);
      }
    }
    return h;
  }

 private:
  struct Event {
    std::string actor;
    std::uint32_t index;
    sim::StepInfo step;
  };
  std::string name(sim::Pid pid) {
    if (sim::is_channel_actor(pid)) {
      const sim::Pid from{(pid.id >> 32) & 0x7fffffffULL};
      const sim::Pid to{pid.id & 0xffffffffULL};
      return "ch(" + (from ? name(from) : std::string("timer")) + ">" + name(to) + ")";
    }
    auto it = names_.find(pid.id);
    return it == names_.end() ? "#" + std::to_string(pid.id) : it->second;
  }
  std::map<std::uint64_t, std::string> names_;
  std::map<std::uint64_t, std::uint32_t> children_;
  std::map<std::string, std::uint32_t> counts_;
  std::vector<Event> events_;
};

/// One cell's measurements; plain data, so a forked child can write it to a pipe.
struct CellResult {
  std::uint64_t interleavings = 0;  // dfs.interleavings(): runs that went to their end
  std::uint64_t pruned = 0;         // dfs.pruned(): runs cut by their sleep set
  std::uint64_t steps = 0;          // kernel steps over all runs
  std::uint64_t first_fail = 0;     // the interleaving index (1-based) of the first failed assertion; 0: none
  std::uint64_t failures = 0;       // interleavings whose assertion failed
  std::uint64_t bad_runs = 0;       // complete runs that neither passed nor failed (stuck, limit): a model bug
  std::uint64_t classes = 0;        // --classes: distinct traces among the interleavings (0: not counted)
  std::uint64_t outcomes = 0;       // distinct RunRecord::outcome() among the interleavings
  char outcome_list[4096] = {};     // the outcomes, sorted, space-separated
  bool outcome_list_cut = false;    // they did not fit
  bool exhausted = false;
  bool budget_hit = false;
  bool bounded = false;
  bool crashed = false;  // the child died (signal or bad exit)
  double wall_s = 0;
  long maxrss_kb = 0;
  char error[240] = {};  // dfs.error(), the first bad run's outcome, or the crash
};

void set_error(CellResult& r, const std::string& text) {
  if (r.error[0] != '\0') return;
  std::snprintf(r.error, sizeof r.error, "%s", text.c_str());
}

bool count_classes = false;  // --classes
std::string witness;         // --witness OUTCOME: print the choice log of the first run with that outcome

CellResult run_cell(const Cell& cell, double budget_s) {
  CellResult out;
  std::unordered_set<std::uint64_t> classes;
  std::set<std::string> outcomes;
  sim::DfsOptions options;
  options.reduction = cell.reduction;
  sim::DfsExplorer dfs(options);
  sim::KernelConfig config;
  config.trace = sim::TraceLevel::off;
  config.delivery = cell.delivery;
  const auto t0 = Clock::now();
  while (auto strategy = dfs.next_run()) {
    ob::RunRecord record;
    sim::Kernel k(config, *strategy);
    TraceClass trace_class;
    if (count_classes) k.set_observer(&trace_class);
    ob::spawn_program(k, cell.program, cell.mode, cell.n, &record);
    sim::RunResult r = k.run();
    out.steps += r.steps;
    dfs.end_run();  // with the kernel alive (async patterns live until it is destroyed)
    if (!dfs.error().empty()) break;
    if (!dfs.last_run_pruned()) {
      if (count_classes) classes.insert(trace_class.hash());
      if (outcomes.insert(record.outcome()).second && record.outcome() == witness) {
        std::string picks;
        for (const sim::Choice& ch : k.choices()) picks += (picks.empty() ? "" : ",") + std::to_string(ch.pick);
        std::fprintf(stderr, "witness %s: interleaving %llu, picks %s\n", witness.c_str(),
                     static_cast<unsigned long long>(dfs.interleavings()), picks.c_str());
      }
      if (record.failed) {
        ++out.failures;
        if (out.first_fail == 0) out.first_fail = dfs.interleavings();
      } else if (!record.done || r.outcome != sim::Outcome::quiescent) {
        ++out.bad_runs;
        set_error(out, "run " + std::to_string(dfs.interleavings()) + ": " + std::string(sim::outcome_name(r.outcome)) +
                           (record.done ? "" : ", main did not finish") + (r.message.empty() ? "" : ": " + r.message));
      }
    }
    if (seconds_since(t0) >= budget_s) {
      out.budget_hit = !dfs.exhausted();
      break;
    }
  }
  out.wall_s = seconds_since(t0);
  out.interleavings = dfs.interleavings();
  out.pruned = dfs.pruned();
  out.exhausted = dfs.exhausted();
  out.bounded = dfs.bounded();
  out.classes = classes.size();
  out.outcomes = outcomes.size();
  std::string list;
  for (const std::string& o : outcomes) list += (list.empty() ? "" : " ") + o;
  out.outcome_list_cut = list.size() >= sizeof out.outcome_list;
  std::snprintf(out.outcome_list, sizeof out.outcome_list, "%s", list.c_str());
  if (!dfs.error().empty()) set_error(out, "dfs: " + dfs.error());
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  out.maxrss_kb = ru.ru_maxrss;
  return out;
}

/// Runs the cell in a forked child; the peak RSS is the child's (wait4).
CellResult run_cell_forked(const Cell& cell, double budget_s) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(2);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = fork();
  if (child < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (child == 0) {
    close(fds[0]);
    CellResult r = run_cell(cell, budget_s);
    const char* p = reinterpret_cast<const char*>(&r);
    std::size_t left = sizeof r;
    while (left > 0) {
      ssize_t w = write(fds[1], p, left);
      if (w <= 0) _exit(3);
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  CellResult r;
  std::size_t got = 0;
  char* p = reinterpret_cast<char*>(&r);
  while (got < sizeof r) {
    ssize_t n = read(fds[0], p + got, sizeof r - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(child, &status, 0, &ru);
  if (got != sizeof r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r = CellResult{};
    r.crashed = true;
    set_error(r, WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                     : "child exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  r.maxrss_kb = ru.ru_maxrss;
  return r;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void print_header() {
  std::printf("| program | mode | N | delivery | reduction | interleavings | pruned | exhausted | wall s | peak MB "
              "| fails | first fail | Concuerror | ratio |%s\n", count_classes ? " classes |" : "");
  std::printf("|---|---|---:|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|%s\n", count_classes ? "---:|" : "");
}

void print_row(const Cell& c, const CellResult& r) {
  const auto cc = ob::concuerror_count(c.program, c.n);
  std::string exhausted = r.crashed ? "CRASH" : r.exhausted ? "yes" : r.budget_hit ? "no (budget)" : "no";
  std::string ratio = "-";
  if (cc && r.exhausted) ratio = fixed(static_cast<double>(r.interleavings) / static_cast<double>(*cc), 2);
  if (cc && !r.exhausted && !r.crashed) ratio = ">" + fixed(static_cast<double>(r.interleavings) / static_cast<double>(*cc), 2);
  std::string fails = c.mode == ob::DporMode::buggy || r.failures > 0 ? std::to_string(r.failures) : "-";
  std::string first = r.first_fail > 0 ? "#" + std::to_string(r.first_fail) : (c.mode == ob::DporMode::buggy ? "none" : "-");
  std::printf("| %s | %s | %d | %s | %s | %llu | %llu | %s | %s | %s | %s | %s | %s | %s |%s\n",
              std::string(ob::program_name(c.program)).c_str(), std::string(ob::mode_name(c.mode)).c_str(), c.n,
              std::string(sim::delivery_name(c.delivery)).c_str(), std::string(sim::reduction_name(c.reduction)).c_str(),
              static_cast<unsigned long long>(r.interleavings), static_cast<unsigned long long>(r.pruned),
              exhausted.c_str(), fixed(r.wall_s, 2).c_str(), fixed(static_cast<double>(r.maxrss_kb) / 1024.0, 1).c_str(),
              fails.c_str(), first.c_str(), cc ? std::to_string(*cc).c_str() : "-", ratio.c_str(),
              count_classes ? (" " + std::to_string(r.classes) + " |").c_str() : "");
  if (r.bad_runs > 0 || r.error[0] != '\0') {
    std::printf("|   ^ %llu bad runs; %s | | | | | | | | | | | | | |\n", static_cast<unsigned long long>(r.bad_runs), r.error);
  }
  std::fflush(stdout);
}

void print_json(std::FILE* out, const Cell& c, const CellResult& r) {
  const auto cc = ob::concuerror_count(c.program, c.n);
  std::fprintf(out,
      "{\"program\":\"%s\",\"mode\":\"%s\",\"n\":%d,\"delivery\":\"%s\",\"reduction\":\"%s\",\"interleavings\":%llu,"
      "\"pruned\":%llu,\"steps\":%llu,\"exhausted\":%s,\"budget_hit\":%s,\"crashed\":%s,\"wall_s\":%.3f,"
      "\"peak_rss_kb\":%ld,\"failures\":%llu,\"first_fail\":%s,\"bad_runs\":%llu,\"concuerror\":%s,\"classes\":%s,"
      "\"outcomes\":%llu,\"outcome_list\":\"%s\",\"error\":\"%s\"}\n",
      std::string(ob::program_name(c.program)).c_str(), std::string(ob::mode_name(c.mode)).c_str(), c.n,
      std::string(sim::delivery_name(c.delivery)).c_str(), std::string(sim::reduction_name(c.reduction)).c_str(),
      static_cast<unsigned long long>(r.interleavings), static_cast<unsigned long long>(r.pruned),
      static_cast<unsigned long long>(r.steps), r.exhausted ? "true" : "false", r.budget_hit ? "true" : "false",
      r.crashed ? "true" : "false", r.wall_s, r.maxrss_kb, static_cast<unsigned long long>(r.failures),
      r.first_fail > 0 ? std::to_string(r.first_fail).c_str() : "null", static_cast<unsigned long long>(r.bad_runs),
      cc ? std::to_string(*cc).c_str() : "null", count_classes ? std::to_string(r.classes).c_str() : "null",
      static_cast<unsigned long long>(r.outcomes), json_escape(r.outcome_list).c_str(), json_escape(r.error).c_str());
  std::fflush(out);
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "otpsim_dpor_bench: %s\n"
               "usage: otpsim_dpor_bench [--quick] [--budget-s S] [--min-n N] [--max-n N] [--program a,b]\n"
               "       [--mode fixed,buggy] [--reduction r,s] [--delivery async,instant] [--json] [--json-file PATH]\n"
               "       [--no-fork] [--no-skip] [--classes] [--witness OUTCOME]\n"
               "       | --cell program:mode:N:delivery:reduction [--replay PICKS]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  double budget_s = 30;
  bool budget_given = false;
  int min_n = 2;
  int max_n = 6;
  bool json = false;
  bool quick = false;
  std::FILE* json_file = nullptr;  // --json-file: the JSON lines there too, beside the table
  bool fork_cells = true;
  bool skip_after_budget = true;
  std::optional<Cell> single;
  std::optional<std::string> replay;  // --replay PICKS (with --cell): one traced run
  std::vector<ob::DporProgram> programs = {ob::DporProgram::as_reg, ob::DporProgram::as_srv, ob::DporProgram::as_gs};
  std::vector<ob::DporMode> modes = {ob::DporMode::fixed, ob::DporMode::buggy};
  std::vector<sim::Delivery> deliveries = {sim::Delivery::async, sim::Delivery::instant};
  std::vector<std::string> reduction_names = {"none", "sleep_sets", "dpor", "optimal"};
  bool reductions_given = false;

  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(("missing value after " + std::string(a)).c_str());
      return argv[++i];
    };
    if (a == "--quick") {
      quick = true;
      min_n = 2;
      max_n = 3;
    } else if (a == "--budget-s") {
      budget_s = std::atof(std::string(value()).c_str());
      budget_given = true;
      if (budget_s <= 0) usage("--budget-s wants a positive number of seconds");
    } else if (a == "--max-n") {
      max_n = std::atoi(std::string(value()).c_str());
    } else if (a == "--min-n") {
      min_n = std::atoi(std::string(value()).c_str());
    } else if (a == "--program") {
      programs.clear();
      for (const auto& s : split(value(), ',')) {
        auto p = ob::program_from_name(s);
        if (!p) usage(("unknown program " + s).c_str());
        programs.push_back(*p);
      }
    } else if (a == "--mode") {
      modes.clear();
      for (const auto& s : split(value(), ',')) {
        auto m = ob::mode_from_name(s);
        if (!m) usage(("unknown mode " + s).c_str());
        modes.push_back(*m);
      }
    } else if (a == "--delivery") {
      deliveries.clear();
      for (const auto& s : split(value(), ',')) {
        auto d = delivery_from_name(s);
        if (!d) usage(("unknown delivery " + s).c_str());
        deliveries.push_back(*d);
      }
    } else if (a == "--reduction") {
      reduction_names = split(value(), ',');
      reductions_given = true;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--json-file") {
      const std::string path(value());
      json_file = std::fopen(path.c_str(), "w");
      if (json_file == nullptr) usage(("cannot write " + path).c_str());
    } else if (a == "--replay") {
      replay = std::string(value());
    } else if (a == "--witness") {
      witness = std::string(value());
    } else if (a == "--classes") {
      count_classes = true;
    } else if (a == "--no-fork") {
      fork_cells = false;
    } else if (a == "--no-skip") {
      skip_after_budget = false;
    } else if (a == "--cell") {
      single = parse_cell(value());
      if (!single) usage("--cell wants program:mode:N:delivery:reduction, e.g. as_srv:fixed:3:instant:dpor");
    } else {
      usage(("unknown argument " + std::string(a)).c_str());
    }
  }

  // --quick is the CI size (meson test --benchmark): N=2..3 and, unless
  // --budget-s says otherwise, 2 s per cell (`none` never exhausts even N=2).
  if (quick && !budget_given) budget_s = 2;

  if (single && replay) {  // one run of the cell's program under the given picks, traced
    std::vector<std::uint64_t> picks;
    for (const auto& x : split(*replay, ',')) picks.push_back(std::strtoull(x.c_str(), nullptr, 10));
    sim::SequenceStrategy strategy(picks);
    sim::KernelConfig config;
    config.trace = sim::TraceLevel::full;
    config.delivery = single->delivery;
    ob::RunRecord record;
    sim::Kernel k(config, strategy);
    ob::spawn_program(k, single->program, single->mode, single->n, &record);
    sim::RunResult r = k.run();
    std::printf("%s", k.trace().text().c_str());
    std::printf("outcome %s (%s)%s%s\n", record.outcome().c_str(), std::string(sim::outcome_name(r.outcome)).c_str(),
                record.why.empty() ? "" : ": ", record.why.c_str());
    return 0;
  }

  if (single) {  // exactly one cell, in this process: ru_maxrss is its own
    CellResult r = run_cell(*single, budget_s);
    if (json) {
      print_json(stdout, *single, r);
    } else {
      print_header();
      print_row(*single, r);
    }
    return r.bad_runs > 0 || r.error[0] != '\0' ? 1 : 0;
  }

  std::vector<Reduction> reductions;
  for (const std::string& name : reduction_names) {
    if (auto r = sim::reduction_from_name(name)) {
      reductions.push_back(*r);
    } else if (reductions_given) {
      usage(("unknown reduction " + name + " (DfsOptions does not know it)").c_str());
    } else {
      std::fprintf(stderr, "otpsim_dpor_bench: reduction %s does not exist yet; skipped\n", name.c_str());
    }
  }

  if (!json) {
    std::printf("# dfs on the already_started programs (budget %.0f s per cell, N=%d..%d, %s)\n\n", budget_s, min_n, max_n,
                fork_cells ? "one forked child per cell" : "one process");
    print_header();
  }
  // (program, mode, delivery, reduction) that hit the budget: larger N is skipped.
  std::set<std::tuple<int, int, int, int>> over_budget;
  int problems = 0;
  for (auto program : programs) {
    for (auto mode : modes) {
      for (int n = min_n; n <= max_n; ++n) {
        for (auto delivery : deliveries) {
          // This (program, mode, N, delivery)'s cells, to compare their outcomes.
          std::vector<std::pair<Reduction, CellResult>> group;
          for (auto reduction : reductions) {
            Cell cell{program, mode, n, delivery, reduction};
            auto key = std::make_tuple(static_cast<int>(program), static_cast<int>(mode), static_cast<int>(delivery),
                                       static_cast<int>(reduction));
            if (skip_after_budget && over_budget.count(key) > 0) {
              if (!json) {
                std::printf("| %s | %s | %d | %s | %s | skipped: budget hit at a smaller N | | | | | | | | |\n",
                            std::string(ob::program_name(program)).c_str(), std::string(ob::mode_name(mode)).c_str(), n,
                            std::string(sim::delivery_name(delivery)).c_str(),
                            std::string(sim::reduction_name(reduction)).c_str());
              }
              continue;
            }
            CellResult r = fork_cells ? run_cell_forked(cell, budget_s) : run_cell(cell, budget_s);
            if (r.budget_hit) over_budget.insert(key);
            if (r.crashed || r.bad_runs > 0 || r.error[0] != '\0') ++problems;
            if (json_file != nullptr) print_json(json_file, cell, r);
            if (json) {
              print_json(stdout, cell, r);
            } else {
              print_row(cell, r);
            }
            group.emplace_back(reduction, r);
          }
          // Soundness: a reduction that exhausted the space must have reached
          // every outcome some other reduction reached (exhausted or not).
          std::set<std::string> all;
          bool comparable = true;
          for (const auto& [reduction, r] : group) {
            comparable = comparable && !r.outcome_list_cut;
            for (const auto& o : split(r.outcome_list, ' ')) {
              if (!o.empty()) all.insert(o);
            }
          }
          for (const auto& [reduction, r] : group) {
            if (!comparable || !r.exhausted) continue;
            auto own = split(r.outcome_list, ' ');
            std::string missed;
            for (const std::string& o : all) {
              if (std::find(own.begin(), own.end(), o) == own.end()) missed += " " + o;
            }
            if (missed.empty()) continue;
            ++problems;
            std::fprintf(json ? stderr : stdout,
                        "MISSED OUTCOMES: %s %s N=%d %s %s exhausted without reaching%s (other reductions reached them)\n",
                        std::string(ob::program_name(program)).c_str(),
                        std::string(ob::mode_name(mode)).c_str(), n, std::string(sim::delivery_name(delivery)).c_str(),
                        std::string(sim::reduction_name(reduction)).c_str(), missed.c_str());
          }
        }
      }
    }
  }
  if (json_file != nullptr) std::fclose(json_file);
  if (!json) {
    std::printf(
        "\ninterleavings: runs that went to their end; pruned: runs cut by a sleep set. fails: interleavings whose "
        "assertion failed; first fail: the index of the first. Concuerror: its interleavings to exhaustion for the "
        "fixed program (optimal DPOR, README); ratio: ours / its (> when not exhausted). Concuerror finds every buggy "
        "version at interleaving #1.\n");
  }
  return problems > 0 ? 1 : 0;
}
