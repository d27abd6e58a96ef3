// Shared by the otpsim subcommands: exit codes and the bad-input exit.
#pragma once

#include <string>
#include <vector>

#include "sim/replay_token.hpp"

namespace otpsim::scenarios::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_violated = 1;
inline constexpr int exit_bad_input = 2;

/// Prints "otpsim: error: MESSAGE" on stderr and exits 2.
[[noreturn]] void bad_input(const std::string& message);

// kernel_commands.cpp
int cmd_kernel(const std::vector<std::string>& names, std::uint64_t seeds, std::uint64_t seed_base);
int cmd_replay_kernel(const sim::ReplayToken& token, const std::string& trace_file, const std::string& format);

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
};
int cmd_run(const RunFlags& flags);
int cmd_replay(const std::string& token_text, const std::string& trace_file, const std::string& format,
               const std::string& scenario_file);
int cmd_sweep(const std::string& scenario, std::uint64_t seeds, std::uint64_t seed_base, unsigned jobs,
              const std::string& shard, const std::string& out_file, const std::string& delivery = {});
int cmd_merge(const std::vector<std::string>& files, const std::string& junit_file);
int cmd_check(const std::vector<std::string>& files);
int cmd_list();

}  // namespace otpsim::scenarios::cli
