// Shared by the otpsim subcommands: exit codes and the bad-input exit.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/replay_token.hpp"

namespace otpsim::scenarios::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_violated = 1;
inline constexpr int exit_bad_input = 2;

/// Prints "otpsim: error: MESSAGE" on stderr, on one line (control
/// characters escaped), removes any output file still being written, and
/// exits 2.
[[noreturn]] void bad_input(const std::string& message);

/// A decimal integer as a flag's value: digits only (no sign, no 0x, no
/// spaces), at most 2^64 - 1; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text);

/// `text` quoted for a POSIX shell if it needs it ('my file.toml').
std::string shell_quote(std::string_view text);

/// An output file named on the command line. Opened (created) at once, so
/// that a bad path is an error before any work. A regular file (or a new
/// one) is written to a temporary file beside it and renamed over it by
/// commit(), so a reader never sees half of it and an interrupted command
/// leaves the old file as it was; anything else (/dev/stdout, /dev/full, a
/// pipe) is written in place. Every write is checked: an error (a full
/// disk) is bad_input, exit 2.
class OutputFile {
 public:
  explicit OutputFile(std::string path);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();
  const std::string& path() const { return path_; }
  void write(std::string_view text);
  /// Flushes, closes and (for a regular file) renames it into place.
  void commit();

 private:
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
};

/// Writes to standard output, checked (bad_input on an error).
void write_stdout(std::string_view text);
/// Flushes standard output; a write error that happened on the way is
/// bad_input (exit 2), so a report that did not reach its reader never
/// exits 0.
void finish_stdout();

// kernel_commands.cpp
int cmd_kernel(const std::vector<std::string>& names, std::uint64_t seeds, std::uint64_t seed_base);
int cmd_replay_kernel(const sim::ReplayToken& token, const std::string& trace_file, const std::string& format,
                      bool expect_violation);

// commands.cpp
class RunFlags {
 public:
  std::vector<std::string> scenarios;  // files or built-in names; empty: the library
  std::uint64_t seeds = 0;             // 0: each scenario's own
  std::uint64_t seed_base = 0;
  bool seed_base_given = false;
  unsigned jobs = 1;
  bool json = false;
  std::string junit_file;
  std::string trace_dir;
  std::string delivery;  // async | instant; empty: each scenario's own
  bool progress = false;  // the progress line on stderr even when it is not a terminal
  std::string save_shrunk_dir;  // where shrunk scenarios go (created); empty: not saved
  bool verbose = false;   // each report's timeline and causal slice too, not only its story
};
int cmd_run(const RunFlags& flags);
/// Exit 0 if the replayed run violates no property (or, with
/// `expect_violation`, if it violates one); 1 otherwise or if it diverged;
/// 2 for a bad token or a scenario that changed since the token was made.
/// With no `format` and no `trace_file`, stdout holds each violation's
/// story (`verbose`: after the whole text trace); with either, that output
/// as asked and the stories after it (on stderr when the output is stdout).
int cmd_replay(const std::string& token_text, const std::string& trace_file, const std::string& format,
               const std::string& scenario_file, bool expect_violation = false, bool verbose = false);
int cmd_sweep(const std::string& scenario, std::uint64_t seeds, std::uint64_t seed_base, unsigned jobs,
              const std::string& shard, const std::string& out_file, const std::string& delivery = {},
              bool progress = false);
int cmd_merge(const std::vector<std::string>& files, const std::string& junit_file);
int cmd_check(const std::vector<std::string>& files);
int cmd_list();
/// `otpsim elixir`: the scenario (a declared tree) as an Elixir script for
/// the real BEAM (elixir_export.hpp), on stdout or into `out_file`. A
/// scenario the BEAM cannot run is bad input (exit 2).
int cmd_elixir(const std::string& scenario, const std::string& out_file);
/// `otpsim observe`: the distinct observations (observation.hpp) the
/// simulator reaches in `seeds` runs (0: the scenario's own), with how many
/// seeds reached each. With `beam_file`: exit 0 if the observation in that
/// file is one of them, 1 otherwise (the nearest one's diff is printed).
/// With `run_beam`: the scenario's Elixir script is run with `elixir` (from
/// the PATH, stdin closed) and its output is the BEAM's observation; no
/// elixir, or a script that fails, is exit 2.
int cmd_observe(const std::string& scenario, std::uint64_t seeds, const std::string& beam_file, bool run_beam);

}  // namespace otpsim::scenarios::cli
