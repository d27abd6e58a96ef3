// conformance_sim: runs the conformance scenarios on otpsim and prints (or
// writes) their canonical lines, like run_beam.sh does for the real BEAM.
//
//   conformance_sim [--seed N] [--seeds K] [--out DIR] [SCENARIO...]   (all by default)
//   conformance_sim --list
//
// --seeds K runs every scenario under seeds N..N+K-1 as well, prints (or
// writes) the output of seed N, and fails if any other seed printed
// something else (the canonical output must not depend on the interleaving).
//
// With --out, writes DIR/<scenario>.txt (as run_beam.sh writes
// out-beam/<scenario>.txt); otherwise prints the lines, each scenario under
// a `==> <scenario> <==` header when there is more than one. A scenario
// that fails (as a BEAM script would exit non-zero) is reported on stderr
// with the lines it had recorded, and its file is not written.
// Exit status: 0 all ran, 1 a scenario failed, 2 bad arguments.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/conformance/sim/common.hpp"

namespace {

using namespace otpsim::conformance;

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "conformance_sim: " << message << "\n"
            << "usage: conformance_sim [--seed N] [--seeds K] [--out DIR] [--list] [SCENARIO...]\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 0;
  std::uint64_t seed_count = 1;
  std::string out_dir;
  std::vector<const Scenario*> chosen;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seed") {
      if (++i >= argc) usage("--seed needs a value");
      char* end = nullptr;
      seed = std::strtoull(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0') usage(std::string("bad seed: ") + argv[i]);
    } else if (arg == "--seeds") {
      if (++i >= argc) usage("--seeds needs a value");
      char* end = nullptr;
      seed_count = std::strtoull(argv[i], &end, 10);
      if (end == argv[i] || *end != '\0' || seed_count == 0) usage(std::string("bad seed count: ") + argv[i]);
    } else if (arg == "--out") {
      if (++i >= argc) usage("--out needs a directory");
      out_dir = argv[i];
    } else if (arg == "--list") {
      for (const Scenario& s : all_scenarios()) std::cout << s.name << "\n";
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage("help");
    } else if (!arg.empty() && arg[0] == '-') {
      usage("unknown option " + arg);
    } else {
      // names, or paths such as beam/one_for_one.exs
      std::string name = std::filesystem::path(arg).stem().string();
      const Scenario* s = find_scenario(name);
      if (s == nullptr) usage("no such scenario: " + name);
      chosen.push_back(s);
    }
  }
  if (chosen.empty()) {
    for (const Scenario& s : all_scenarios()) chosen.push_back(&s);
  }
  if (!out_dir.empty()) std::filesystem::create_directories(out_dir);

  int status = 0;
  for (const Scenario* s : chosen) {
    Outcome o = run(*s, seed);
    if (!o.error.empty()) {
      std::cerr << "FAIL " << s->name << " (seed " << seed << "): " << o.error << "\n";
      for (const std::string& line : o.log) std::cerr << "  " << line << "\n";
      status = 1;
      continue;
    }
    for (std::uint64_t k = 1; k < seed_count; ++k) {
      Outcome other = run(*s, seed + k);
      if (!other.error.empty() || other.lines != o.lines) {
        std::cerr << "SEED-DEPENDENT " << s->name << ": seed " << seed + k << " differs from seed " << seed << "\n";
        if (!other.error.empty()) std::cerr << "  " << other.error << "\n";
        for (const std::string& line : other.lines) std::cerr << "  " << line << "\n";
        status = 1;
        break;
      }
    }
    if (!out_dir.empty()) {
      std::ofstream f(std::filesystem::path(out_dir) / (s->name + ".txt"));
      for (const std::string& line : o.lines) f << line << "\n";
      if (!f) {
        std::cerr << "FAIL " << s->name << ": cannot write to " << out_dir << "\n";
        status = 1;
      }
      continue;
    }
    if (chosen.size() > 1) std::cout << "==> " << s->name << " <==\n";
    for (const std::string& line : o.lines) std::cout << line << "\n";
  }
  return status;
}
