// otpsim: run fault scenarios against the Fly-tokens trio, replay a run from
// its token, sweep seeds across cores and machines, merge sweep results.
//
// Exit codes: 0 every property behaved as its scenario expects (held, or a
// documented violation found) and no run was cut off at a limit / the
// replayed run violated nothing; 1 a property did not, a run was cut off,
// or a replay diverged or violated a property (--expect-violation: held);
// 2 bad input (a flag, a name, a file, a token, a scenario changed since
// its token) or an output that could not be written, with a one-line error.
#include <CLI/CLI.hpp>

#include <thread>

#include "scenarios/cli_common.hpp"

#ifndef OTPSIM_VERSION
#define OTPSIM_VERSION "unknown"
#endif

using namespace otpsim::scenarios::cli;

namespace {

/// A count or a seed: decimal digits only (CLI11 alone takes 0x10, 0b11,
/// 010 and, for unsigned types, wraps -1).
CLI::Validator decimal() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return parse_decimal(text) ? std::string() : "must be a decimal integer from 0 to 2^64 - 1 (digits only), got '" + text + "'";
      },
      "UINT");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"otpsim: deterministic simulation of OTP supervision trees, with faults and property checks"};
  app.set_version_flag("--version", std::string("otpsim ") + OTPSIM_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 every property as expected, 1 a property violated (or a replay diverged), 2 bad input.\n"
      "Docs: docs/scenarios.md (scenario files), docs/faults.md, docs/properties.md.");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  RunFlags run_flags;
  run_flags.jobs = cores;
  auto* run = app.add_subcommand("run", "Run scenarios (files or built-in names; none: the whole built-in library)");
  run->add_option("scenarios", run_flags.scenarios, "Scenario files (.toml) or built-in names");
  run->add_option("--seeds", run_flags.seeds, "Schedules per scenario (default: each scenario's [explore] seeds)")
      ->check(decimal())
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  run->add_option("--seed", run_flags.seed_base, "First seed (default: each scenario's seed_base)")
      ->check(decimal())
      ->each([&](const std::string&) { run_flags.seed_base_given = true; });
  run->add_option("--jobs,-j", run_flags.jobs, "Threads (default: all cores; results do not depend on it)")
      ->check(CLI::Range(1u, 1024u));
  run->add_option("--delivery", run_flags.delivery,
                  "async (as on the BEAM: signals from different senders in any order) | instant (default: each "
                  "scenario's [explore] delivery, async unless it says)")
      ->check(CLI::IsMember({"async", "instant"}));
  run->add_flag("--json", run_flags.json, "JSON Lines on stdout, one object per run (the table goes to stderr)")
      ->disable_flag_override();
  run->add_option("--junit", run_flags.junit_file, "Write JUnit XML (one testcase per scenario property)");
  run->add_flag("--progress", run_flags.progress,
                "Draw the progress line (runs/s, ETA, violations so far) on stderr even when it is not a terminal "
                "(a CI log: a line every 10 s and one at the end)")
      ->disable_flag_override();
  run->add_flag("--verbose,-v", run_flags.verbose,
                "Print each violation's timeline and causal slice (trace steps) as well as its story")
      ->disable_flag_override();
  run->add_option("--trace", run_flags.trace_dir,
                  "Write a Perfetto/Chrome trace and a text timeline per reported run into this directory");
  run->add_option("--save-shrunk", run_flags.save_shrunk_dir,
                  "Write each violation's shrunk scenario into this directory as NAME.toml (a regression test; "
                  "the replay line then names it)");
  run->footer(
      "Examples:\n"
      "  otpsim run                                   # the built-in library\n"
      "  otpsim run thundering-herd --seeds 1000 -j 2\n"
      "  otpsim run my-scenario.toml --junit report.xml --trace traces/");

  std::string token, trace_file, format, scenario_file;
  bool expect_violation = false, replay_verbose = false;
  auto* replay = app.add_subcommand("replay", "Re-run exactly the run a token names, printing its violations' stories");
  replay->add_option("token", token, "The replay token printed by `otpsim run`")->required();
  replay->add_option("--trace", trace_file, "Write the trace to this file instead of stdout");
  replay->add_option("--format", format,
                     "text | timeline | jsonl | chrome: print the run in this form, then the stories (default: the "
                     "stories only; text with --trace or --verbose)")
      ->check(CLI::IsMember({"text", "timeline", "jsonl", "chrome"}));
  replay->add_flag("--verbose,-v", replay_verbose, "Print the whole text trace before the stories")
      ->disable_flag_override();
  replay->add_option("--scenario", scenario_file, "The scenario file, for a token of a scenario that is not built in");
  replay->add_flag("--expect-violation", expect_violation,
                   "Exit 0 if the replayed run violates a property, 1 if not (the default is the reverse: a regression "
                   "check passes once the bug is fixed)")
      ->disable_flag_override();
  replay->footer(
      "Examples:\n"
      "  otpsim replay otpsim3.scenario/stale-registry-entry:HASH.3.random.async...\n"
      "  otpsim replay TOKEN --format chrome --trace run.json      # open in ui.perfetto.dev\n"
      "  otpsim replay TOKEN --scenario my-scenario.toml --format timeline");

  std::string sweep_scenario, shard, out_file;
  std::uint64_t sweep_seeds = 1000, sweep_seed_base = 0;
  unsigned sweep_jobs = cores;
  auto* sweep = app.add_subcommand("sweep", "Run many seeds of one scenario in parallel; JSON Lines out");
  sweep->add_option("scenario", sweep_scenario, "A scenario file or built-in name")->required();
  sweep->add_option("--seeds", sweep_seeds, "Seeds in the whole sweep (before sharding)")
      ->check(decimal())
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  sweep->add_option("--seed", sweep_seed_base, "First seed")->check(decimal());
  sweep->add_option("--jobs,-j", sweep_jobs, "Threads (default: all cores)")->check(CLI::Range(1u, 1024u));
  sweep->add_option("--shard", shard, "K/N: this machine's share (seeds with seed % N == K-1)");
  sweep->add_option("--out,-o", out_file, "Write the JSON Lines here instead of stdout");
  bool sweep_progress = false;
  sweep->add_flag("--progress", sweep_progress,
                  "Draw the progress line (runs/s, ETA, violations so far) on stderr even when it is not a terminal "
                  "(a CI log: a line every 10 s and one at the end)")
      ->disable_flag_override();
  std::string sweep_delivery;
  sweep->add_option("--delivery", sweep_delivery, "async | instant (default: the scenario's own)")
      ->check(CLI::IsMember({"async", "instant"}));
  sweep->footer(
      "Examples:\n"
      "  otpsim sweep thundering-herd --seeds 100000 -j 2 -o herd.jsonl\n"
      "  otpsim sweep my.toml --seeds 1000000 --shard $((JOB_COMPLETION_INDEX+1))/16 -o part.jsonl   # Kubernetes\n"
      "  otpsim merge part-*.jsonl");

  std::vector<std::string> merge_files;
  std::string merge_junit;
  auto* merge = app.add_subcommand("merge", "Combine JSON Lines from sweeps (shards) into one summary");
  merge->add_option("files", merge_files, "JSON Lines files")->required();
  merge->add_option("--junit", merge_junit, "Write JUnit XML");
  merge->footer("Example:\n  otpsim merge shard-1.jsonl shard-2.jsonl --junit sweep.xml");

  std::vector<std::string> check_files;
  auto* check = app.add_subcommand("check", "Validate scenario files without running them");
  check->add_option("files", check_files, "Scenario files")->required();
  check->footer("Example:\n  otpsim check my-scenario.toml");

  app.add_subcommand("list", "List the built-in scenarios and kernel programs");

  std::vector<std::string> kernel_names;
  std::uint64_t kernel_seeds = 100, kernel_seed = 0;
  auto* kernel = app.add_subcommand("kernel", "Run the built-in kernel programs (sim/ only) over seeds");
  kernel->add_option("names", kernel_names, "Programs (default: all)");
  kernel->add_option("--seeds", kernel_seeds, "Seeds per program")
      ->check(decimal())
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10'000'000}));
  kernel->add_option("--seed", kernel_seed, "First seed")->check(decimal());
  kernel->footer("Example:\n  otpsim kernel kernel/name-race --seeds 1000");

  std::string elixir_scenario, elixir_out;
  auto* elixir = app.add_subcommand("elixir", "Write a declared tree's scenario as an Elixir script for the real BEAM");
  elixir->add_option("scenario", elixir_scenario, "A scenario file or built-in name (with a tree)")->required();
  elixir->add_option("--out,-o", elixir_out, "Write the script here instead of stdout");
  elixir->footer("Example:\n  otpsim elixir my-tree.toml -o my-tree.exs && elixir my-tree.exs > beam.txt");

  std::string observe_scenario, observe_beam;
  std::uint64_t observe_seeds = 0;
  auto* observe = app.add_subcommand("observe", "Print the observations the simulator reaches; check the BEAM's against them");
  observe->add_option("scenario", observe_scenario, "A scenario file or built-in name (with a tree)")->required();
  observe->add_option("--seeds", observe_seeds, "Seeds to run (default: the scenario's [explore] seeds)")
      ->check(decimal())
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  observe->add_option("--beam", observe_beam,
                      "The BEAM's observation (the output of the `otpsim elixir` script): exit 0 if the simulator "
                      "reaches it, 1 if not");
  bool observe_run_beam = false;
  observe->add_flag("--run-beam", observe_run_beam,
                    "Run the scenario on the BEAM first (`elixir` on the PATH runs the `otpsim elixir` script) and "
                    "check its observation: exit 0 if the simulator reaches it, 1 if not")
      ->excludes("--beam");
  observe->footer("Examples:\n  otpsim observe my-tree.toml --run-beam          # one command: the BEAM, then the check\n"
                  "  otpsim observe my-tree.toml --seeds 500 --beam beam.txt");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    bad_input(what.empty() ? "bad command line" : what);
  }
  if (run->parsed()) return cmd_run(run_flags);
  if (replay->parsed()) return cmd_replay(token, trace_file, format, scenario_file, expect_violation, replay_verbose);
  if (sweep->parsed()) return cmd_sweep(sweep_scenario, sweep_seeds, sweep_seed_base, sweep_jobs, shard, out_file, sweep_delivery,
                                          sweep_progress);
  if (merge->parsed()) return cmd_merge(merge_files, merge_junit);
  if (check->parsed()) return cmd_check(check_files);
  if (kernel->parsed()) return cmd_kernel(kernel_names, kernel_seeds, kernel_seed);
  if (elixir->parsed()) return cmd_elixir(elixir_scenario, elixir_out);
  if (observe->parsed()) return cmd_observe(observe_scenario, observe_seeds, observe_beam, observe_run_beam);
  return cmd_list();
}
