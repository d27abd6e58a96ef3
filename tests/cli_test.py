#!/usr/bin/env python3
"""End-to-end tests of the otpsim command: exit codes, replay fidelity, errors.

Usage: cli_test.py PATH_TO_OTPSIM
"""
import re
import subprocess
import sys
import tempfile
import os

OTPSIM = sys.argv[1]
failures = []


def run(*args):
    return subprocess.run([OTPSIM, *args], capture_output=True, text=True, timeout=120)


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name} {detail}")
    else:
        print(f"ok   {name}")


# run with no argument runs every built-in program and prints a table
r = run("run", "--seeds", "20")
check("run exits 0 when every check holds", r.returncode == 0, r.stderr)
programs = ["kernel/call-timeout", "kernel/link-restart", "kernel/name-race", "kernel/ping-pong",
            "kernel/table-owner-dies", "trio/app-server-crash", "trio/cli-hang", "trio/cold-gets",
            "trio/ets-owner-crash"]
for name in programs:
    check(f"run table lists {name}", re.search(rf"^{re.escape(name)}\s+20\s", r.stdout, re.M) is not None, r.stdout)
tokens = re.findall(r"otpsim replay (\S+)", r.stdout)
check("run prints one replay line per program", len(tokens) == len(programs), r.stdout)

# a replay reproduces the original run byte for byte, in every format
for token in tokens:
    a = run("replay", token)
    b = run("replay", token)
    check(f"replay exits 0 ({token.split('.')[1]})", a.returncode == 0, a.stderr)
    check(f"replay is byte-identical ({token.split('.')[1]})", a.stdout == b.stdout and a.stdout != "")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.json")
        c = run("replay", token, "--format", "chrome", "--trace", path)
        check("replay --trace writes chrome json", c.returncode == 0 and open(path).read().startswith("{"), c.stderr)

# the same seed gives the same table apart from wall time
def strip_wall(text):
    return re.sub(r"\s+\d+\.\d+s$", "", text, flags=re.M)
r2 = run("run", "--seeds", "20")
check("run is deterministic", strip_wall(r.stdout) == strip_wall(r2.stdout))

# bad input: one line on stderr, exit 2, nothing on stdout taken for a result
for args, what in [
    (["run", "kernel/nope"], "unknown program"),
    (["run", "--bogus"], "bogus"),
    (["run", "--seeds", "0"], "seeds"),
    (["replay", "not-a-token"], "bad replay token"),
    (["replay", tokens[0][:-1] + ("0" if tokens[0][-1] != "0" else "1")], "checksum"),
    (["replay", tokens[0].replace("kernel/", "kernel/x", 1)], "checksum"),
    (["frobnicate"], ""),
    ([], ""),
]:
    e = run(*args)
    check(f"bad input {args} exits 2", e.returncode == 2, f"rc={e.returncode} {e.stderr}")
    check(f"bad input {args} prints no result", e.stdout == "", e.stdout)
    lines = [l for l in e.stderr.splitlines() if l.strip()]
    check(f"bad input {args} is one error line", len(lines) >= 1 and what in e.stderr, e.stderr)

# help works on every subcommand
for sub in ["run", "replay", "list"]:
    h = run(sub, "--help")
    check(f"{sub} --help exits 0", h.returncode == 0 and "Usage" in h.stdout, h.stderr)

l = run("list")
check("list names the programs", l.returncode == 0 and "kernel/name-race" in l.stdout)

if failures:
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1)
print("\nall CLI checks passed")
