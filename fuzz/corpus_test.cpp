// Runs every file of the committed fuzz corpora through the fuzz targets'
// checks (fuzz_targets.hpp), in the normal suite and under ASan + UBSan, so
// an input the fuzzer once found interesting stays checked on every change
// without clang or libFuzzer. Usage: otpsim_fuzz_corpus DIR...
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path dir = argv[i];
    bool tokens = dir.filename() == "token";
    if (!tokens && dir.filename() != "scenario") {
      std::fprintf(stderr, "otpsim_fuzz_corpus: %s: expected a corpus/scenario or corpus/token directory\n", argv[i]);
      return 2;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      std::fprintf(stderr, "otpsim_fuzz_corpus: %s: no corpus files\n", argv[i]);
      return 1;
    }
    for (const fs::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (tokens) {
        otpsim::fuzz::token_one(text.str());
      } else {
        otpsim::fuzz::scenario_one(text.str());
      }
    }
    std::printf("%s: %zu files\n", argv[i], files.size());
    total += files.size();
  }
  std::printf("%zu corpus files checked\n", total);
  return 0;
}
