#!/usr/bin/env python3
"""End-to-end test of `otpsim run --save-shrunk DIR`: the shrunk scenario
is written as DIR/NAME.toml, `otpsim run` accepts it (it expects its
violation), the printed replay line replays against it without the original
file, and a bad DIR is a one-line error (exit 2) before any run.

Usage: shrink_cli_test.py PATH_TO_OTPSIM
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

OTPSIM = sys.argv[1]
failures = []


def run(*args, timeout=300):
    return subprocess.run([OTPSIM, *args], capture_output=True, text=True, timeout=timeout)


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name} {str(detail)[:2000]}")
    else:
        print(f"ok   {name}")


tmp = tempfile.mkdtemp(prefix="otpsim-shrink-")
out_dir = os.path.join(tmp, "shrunk")
SCENARIO = "mutant-no-already-started-branch"

r = run("run", SCENARIO, "--seeds", "50", "--save-shrunk", out_dir)
check("run with --save-shrunk exits 0 (an expected finding)", r.returncode == 0, r.stdout + r.stderr)
saved = os.path.join(out_dir, f"{SCENARIO}-shrunk-resolve_agrees.toml")
check("the shrunk scenario is saved", os.path.isfile(saved), os.listdir(out_dir) if os.path.isdir(out_dir) else r.stdout)
check("the report says what the scenario lost",
      re.search(r"shrunk scenario in \d+ runs: \d+ of \d+ clients", r.stdout) is not None, r.stdout)
check("the report gives preemptions before and after",
      re.search(r"shrunk in \d+ runs: violated at step \d+ \(was \d+\), \d+ preemptions \(was \d+\)", r.stdout)
      is not None, r.stdout)
m = re.search(r"replay: (otpsim replay \S+ --scenario \S+)", r.stdout)
check("the replay line names the saved file", m is not None and saved in m.group(1), r.stdout)

if os.path.isfile(saved):
    again = run("run", saved)
    check("otpsim run accepts the saved scenario (its violation is expected)", again.returncode == 0,
          again.stdout + again.stderr)
    check("otpsim check accepts the saved scenario", run("check", saved).returncode == 0)
if m:
    args = shlex.split(m.group(1))[1:]
    rep = run(*args, "--expect-violation")
    check("the replay line replays the violation from the saved file alone", rep.returncode == 0, rep.stderr)
    check("the replayed run violates the property", "resolve_agrees" in rep.stderr and "VIOLATED" in rep.stderr,
          rep.stderr)

# Without --save-shrunk the replay line is for the original scenario.
plain = run("run", SCENARIO, "--seeds", "50")
check("without --save-shrunk: exit 0", plain.returncode == 0, plain.stderr)
check("without --save-shrunk: the summary says how to keep it", "keep it with --save-shrunk DIR" in plain.stdout,
      plain.stdout)
pm = re.search(r"replay: (otpsim replay \S+)\n", plain.stdout)
check("without --save-shrunk: a built-in replay line", pm is not None, plain.stdout)
if pm:
    rep = run(*shlex.split(pm.group(1))[1:], "--expect-violation")
    check("without --save-shrunk: the replay line works", rep.returncode == 0, rep.stderr)

# A bad DIR: one line, exit 2, nothing run.
a_file = os.path.join(tmp, "a-file")
open(a_file, "w").close()
for bad in (a_file, os.path.join(a_file, "below")):
    b = run("run", SCENARIO, "--save-shrunk", bad)
    check(f"bad --save-shrunk {bad}: exit 2", b.returncode == 2, b.stderr)
    check(f"bad --save-shrunk {bad}: one line on stderr", b.stderr.count("\n") == 1 and "--save-shrunk" in b.stderr,
          b.stderr)
    check(f"bad --save-shrunk {bad}: nothing ran", b.stdout == "", b.stdout)

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
