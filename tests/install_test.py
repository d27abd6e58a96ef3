#!/usr/bin/env python3
"""`meson install` gives a C++ user what they need: installs the build into a
scratch DESTDIR, then builds a small outside project (the README's C++
example) with `pkg-config --cflags --libs otpsim` against that tree, runs
it, and runs the installed `otpsim` binary.

usage: install_test.py BUILD_DIR
"""
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile

EXAMPLE = r'''
#include <iostream>

#include "scenarios/check.hpp"
#include "sim/ctx.hpp"
#include "sim/kernel.hpp"

namespace os = otpsim::scenarios;

int main() {
  // The README's example: dfs exhausts the two-racer already_started race.
  os::CheckOptions options;
  options.strategy = "dfs";
  options.schedules = 200000;
  os::CheckResult r = os::check(os::builtin("already-started-race"), options);
  if (!r.ok() || !r.exhausted()) {
    std::cerr << r << "\n";
    return 1;
  }
  std::cout << "exhausted\n";
  return 0;
}
'''


def run(cmd, **kw):
    print("+", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def main():
    build = pathlib.Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="otpsim-install-") as tmp:
        dest = pathlib.Path(tmp) / "dest"
        run(["meson", "install", "-C", str(build), "--destdir", str(dest), "--no-rebuild", "--quiet"])
        prefix = next(dest.rglob("bin/otpsim")).parent.parent
        pcs = list(prefix.rglob("otpsim.pc"))
        assert pcs, "no otpsim.pc installed"
        headers = prefix / "include" / "otpsim"
        for h in ["sim/ctx.hpp", "sim/kernel.hpp", "core/otp/gen_server.hpp", "faults/plan.hpp", "scenarios/check.hpp"]:
            assert (headers / h).is_file(), f"header not installed: {h}"
        env = dict(os.environ, PKG_CONFIG_PATH=str(pcs[0].parent))
        flags = run(["pkg-config", f"--define-variable=prefix={prefix}", "--cflags", "--libs", "otpsim"],
                    env=env, capture_output=True, text=True).stdout.split()
        src = pathlib.Path(tmp) / "main.cpp"
        src.write_text(EXAMPLE)
        exe = pathlib.Path(tmp) / "example"
        run(["g++", "-O1", str(src), "-o", str(exe)] + flags)
        out = run([str(exe)], capture_output=True, text=True).stdout
        assert "exhausted" in out, out
        version = run([str(prefix / "bin" / "otpsim"), "--version"], capture_output=True, text=True).stdout
        assert version.strip(), "otpsim --version printed nothing"
        print("ok: installed tree builds and runs the README example;", version.strip())


if __name__ == "__main__":
    main()
