#!/usr/bin/env python3
"""Issue 12, end to end: otpsim on hostile input, big input and failing
outputs. Every file of tests/repros/ (the exit code each must give, one-line
errors), and the command lines of tests/repros/README.md's table.

Exit codes: 0 as expected, 1 a violation / a run cut off at a limit / a
replay that still violates, 2 bad input or an output that could not be
written, always with one line on stderr.

No test sleeps or measures time: a timeout only guards against a hang.
Usage: cli_reliability_test.py PATH_TO_OTPSIM SOURCE_ROOT
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import xml.dom.minidom

OTPSIM = os.path.abspath(sys.argv[1])
ROOT = sys.argv[2]
REPROS = os.path.join(ROOT, "tests", "repros")
# Not a timing assertion: a run that takes this long has hung (it is
# reported as a failure, and the other checks go on).
HANG_GUARD_S = int(os.environ.get("OTPSIM_TEST_HANG_GUARD_S", "300"))
failures = []


def run(*args, env=None, cwd=None, stdout=None):
    kw = dict(capture_output=True) if stdout is None else dict(stdout=stdout, stderr=subprocess.PIPE)
    try:
        return subprocess.run([OTPSIM, *args], timeout=HANG_GUARD_S, env=env, cwd=cwd, **kw)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, None, e.stdout or b"", (e.stderr or b"") + b"\n[hung: killed]")


def text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else (b or "")


def jl(line):
    """A JSON object, or {} for a line that is not one."""
    try:
        v = json.loads(line)
        return v if isinstance(v, dict) else {}
    except ValueError:
        return {}


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name} {str(detail)[:3000]}")
    else:
        print(f"ok   {name}")


def one_error_line(name, r, what=""):
    """Bad input: exit 2, exactly one line on stderr naming the problem, nothing on stdout."""
    err = text(r.stderr)
    lines = err.splitlines()
    check(f"{name}: exit 2", r.returncode == 2, f"rc={r.returncode} {err}")
    check(f"{name}: one line on stderr", len(lines) == 1 and lines[0].startswith("otpsim: error: "), err)
    if what:
        check(f"{name}: says '{what}'", what in err, err)
    return err


tmp = tempfile.mkdtemp(prefix="otpsim-h12-")


def write(name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(body)
    return path


GOOD = """
[scenario]
name = "herd-test"
description = "three cold gets"

[env.cli]
latency_ms = 500

[[client]]
name = "herd"
count = 3
calls = [ { op = "get", app = "a" } ]

[properties]
check = ["cli_coalesced", "no_client_crash", "resolve_agrees"]

[explore]
seeds = 20
"""
good = write("good.toml", GOOD)
MUTANT = GOOD.replace('name = "herd-test"', 'name = "herd-mutant"').replace(
    "[env.cli]", '[model]\nmutants = ["no_already_started_branch"]\n\n[env.cli]')

# -- every repro file ------------------------------------------------------------
# file -> (exit code, what stdout or stderr must say). slow-mailbox-100k.toml
# runs one schedule here (its 200 schedules of 100,000 clients are minutes
# of work, not a hang); its million-step limit cuts it off.
ONE_SEED = {"slow-mailbox-100k.toml"}
EXPECTED = {
    "slow-mailbox-100k.toml": (1, "CUT OFF"),
    "dfs-shard-ignored.toml": (0, "asr-dfs"),
    "file-seeds-bad-alloc.toml": (2, "explore.seeds: must be between 1 and 1000000000"),
    "junit-control-char.toml": (1, "no_client_crash VIOLATED"),
    "long-token-e2big.toml": (1, "no_client_crash VIOLATED"),
    "multi-line-error.toml": (2, "unknown mutant 'evil\\notpsim: error"),
    "periodic-1m-faults.toml": (2, "a scenario has at most 100000 faults"),
    "slow-periodic-faults.toml": (1, "CUT OFF"),
    # The finding is expected (0), unless a seed runs cb's million gets to
    # steps_max first (1: cut off); either way the run ends (shrinking stops
    # at budget_s, or is skipped when the sweep used the budget up) instead
    # of running for hours.
    "slow-shrink-ignores-budget.toml": ((0, 1), "restart_scope violated (expected)"),
    "ub-cli-timeout.toml": (0, "ub-cli-timeout"),
    "ub-clock-jump.toml": (0, "ub-clock-jump"),
    "ub-clock-negative.toml": (0, "ub-clock-negative"),
    "ub-clock-offset.toml": (0, "ub-clock-offset"),
    "ub-clock-property.toml": (0, "no_expired_token held"),
    "ub-heal-after.toml": (0, "ub-heal-after"),
    "ub-liveness-bound.toml": (0, "liveness held"),
    "ub-row-expiry.toml": (0, "cli_coalesced held"),
    "ub-settle.toml": (1, "CUT OFF"),
    "ub-sleep-latency.toml": (0, "ub-sleep-latency"),
    "ub-ttl-soft-refresh.toml": (0, "ub-ttl-soft-refresh"),
}
for f in sorted(os.listdir(REPROS)):
    if not f.endswith(".toml"):
        continue
    check(f"repro {f} has an expected outcome", f in EXPECTED)
    if f not in EXPECTED:
        continue
    code, what = EXPECTED[f]
    codes = code if isinstance(code, tuple) else (code,)
    r = run("run", os.path.join(REPROS, f), "-j", "2", *(["--seeds", "1"] if f in ONE_SEED else []))
    out, err = text(r.stdout), text(r.stderr)
    check(f"repro {f}: exit {code}", r.returncode in codes, f"rc={r.returncode}\n{err}\n{out[-2000:]}")
    check(f"repro {f}: says '{what}'", what in out + err, out[-2000:] + err)
    check(f"repro {f}: no sanitizer report", "runtime error" not in err and "AddressSanitizer" not in err, err)
    if code == 2:
        check(f"repro {f}: one-line error", len(err.splitlines()) == 1 and out == "", err)

# A 199,048-step violation: its replay line is short (the token regenerates
# the choices from the seed) and, pasted, replays the violation (exit 1).
r = run("run", os.path.join(REPROS, "long-token-e2big.toml"))
lines = [l.strip() for l in text(r.stdout).splitlines() if "otpsim replay " in l]
check("long run: a replay line is printed", len(lines) > 0, text(r.stdout)[-2000:])
for line in lines:
    line = line[line.index("otpsim replay "):]
    check("long run: the replay line is under 300 characters", len(line) < 300, len(line))
    args = shlex.split(line)[1:]
    again = run(*args)
    check("long run: the pasted replay line replays the violation (exit 1)", again.returncode == 1,
          f"{again.returncode} {text(again.stderr)[-500:]}")

# A client name with control characters: the JUnit file stays well formed.
junit = os.path.join(tmp, "ctl.xml")
r = run("run", os.path.join(REPROS, "junit-control-char.toml"), "--seeds", "20", "--junit", junit)
try:
    xml.dom.minidom.parse(junit)
    parsed = True
except Exception as e:  # noqa: BLE001 - any parse error is the failure
    parsed = e
check("JUnit with a control character in a name parses", parsed is True, parsed)

# -- check: a size limit, a directory ------------------------------------------------
one_error_line("check /dev/zero", run("check", "/dev/zero"), "larger than 64 MiB")
one_error_line("check DIR", run("check", tmp), "a directory")

# -- flags: decimal counts, no values on flags, seed ranges ---------------------------
one_error_line("--seeds 0x10", run("run", "thundering-herd", "--seeds", "0x10"), "decimal")
one_error_line("--seed 1e3", run("run", "thundering-herd", "--seed", "1e3"), "decimal")
one_error_line("--json=3", run("run", "thundering-herd", "--json=3"), "json")
one_error_line("seeds past 2^64", run("run", "thundering-herd", "--seed", "18446744073709551610", "--seeds", "10"),
               "past 2^64 - 1")
one_error_line("sweep --seed -1", run("sweep", "thundering-herd", "--seed", "-1"), "--seed")
r = run("run", "thundering-herd", "--seed", "18446744073709551613", "--seeds", "3", "--json")
seeds = [jl(l).get("seed") for l in text(r.stdout).splitlines()]
check("the last three seeds run", r.returncode == 0 and seeds == [2**64 - 3, 2**64 - 2, 2**64 - 1], f"{r.returncode} {seeds}")
v = run("--version")
check("--version", v.returncode == 0 and re.match(r"otpsim \d+\.\d+\.\d+", text(v.stdout)) is not None, text(v.stdout))

# -- a path that is not UTF-8 ---------------------------------------------------------
bad_name = os.path.join(os.fsencode(tmp), b"bad\xff.toml")
with open(bad_name, "wb") as f:
    f.write(GOOD.encode())
r = subprocess.run([OTPSIM, "sweep", bad_name, "--seeds", "3"], capture_output=True, timeout=HANG_GUARD_S)
check("sweep of a non-UTF-8 path works", r.returncode == 0 and len(r.stdout.splitlines()) == 3, text(r.stderr))
check("its JSON Lines parse", all(jl(l).get("scenario") == "herd-test" for l in r.stdout.splitlines()), r.stdout[:300])
r = subprocess.run([OTPSIM, "run", bad_name, "--seeds", "2", "--json"], capture_output=True, timeout=HANG_GUARD_S)
check("run --json of a non-UTF-8 path works", r.returncode == 0 and len(r.stdout.splitlines()) == 2, text(r.stderr))

# -- merge: nothing to merge is an error ------------------------------------------------
empty = write("empty.jsonl", "")
one_error_line("merge of an empty file", run("merge", empty), "no runs")
one_error_line("merge of a directory", run("merge", tmp), "a directory")
cut = write("cut.jsonl", text(run("sweep", good, "--seeds", "2").stdout).rstrip("\n"))
one_error_line("merge of a file whose last line is cut", run("merge", cut), "incomplete")

# -- shards: a gap or an overlap is an error --------------------------------------------
parts = []
for k in (1, 2, 3):
    out = os.path.join(tmp, f"part{k}.jsonl")
    s = run("sweep", good, "--seeds", "12", "--shard", f"{k}/3", "-o", out)
    check(f"shard {k}/3 exits 0", s.returncode == 0, text(s.stderr))
    parts.append(out)
last = jl((open(parts[0]).read().splitlines() or [""])[-1])
check("a sweep file ends with its own line", last.get("otpsim_sweep", {}).get("stopped") == "done", last)
m = run("merge", *parts)
check("merge of every shard exits 0", m.returncode == 0 and re.search(r"^herd-test\s+12\s", text(m.stdout), re.M), text(m.stdout) + text(m.stderr))
one_error_line("merge with a shard missing", run("merge", parts[0], parts[2]), "shard 2/3")
one_error_line("merge with a shard twice", run("merge", parts[0], parts[0], parts[1], parts[2]), "overlap")
one_error_line("sweep --shard with dfs", run("sweep", os.path.join(REPROS, "dfs-shard-ignored.toml"), "--seeds", "50",
                                             "--shard", "1/2"), "cannot be split into shards")
r = run("sweep", os.path.join(REPROS, "dfs-shard-ignored.toml"), "--seeds", "50", "--shard", "1/1")
check("sweep --shard 1/1 with dfs runs", r.returncode == 0, text(r.stderr))

# -- an interrupted sweep keeps complete lines and says so -------------------------------
target = os.path.join(tmp, "interrupted.jsonl")
with open(target, "w") as f:
    f.write("OLD\n")
env = dict(os.environ, OTPSIM_TEST_INTERRUPT_AFTER_RUNS="5")
r = run("sweep", "thundering-herd", "--seeds", "100000", "-j", "2", "-o", target, env=env)
check("an interrupted sweep dies of SIGINT", r.returncode == -signal.SIGINT, f"rc={r.returncode} {text(r.stderr)}")
check("it says it was interrupted", "interrupted" in text(r.stderr), text(r.stderr))
body = open(target).read()
lines = body.splitlines()
check("the file holds complete lines only", body.endswith("\n") and all(jl(l) for l in lines), body[:300])
check("the old content is gone only once the new lines are complete", "OLD" not in body and len(lines) >= 6, body[:300])
check("the last line marks it interrupted", jl((lines or [""])[-1]).get("otpsim_sweep", {}).get("stopped") == "interrupted",
      lines[-1:])
check("no temporary file is left", sorted(os.listdir(tmp)).count("interrupted.jsonl") == 1 and
      not any(".otpsim-" in n for n in os.listdir(tmp)), os.listdir(tmp))
one_error_line("merge of an interrupted sweep", run("merge", target), "interrupted")

# -- every write is checked --------------------------------------------------------------
if os.path.exists("/dev/full"):
    one_error_line("sweep -o /dev/full", run("sweep", good, "--seeds", "3", "-o", "/dev/full"), "No space left")
    one_error_line("run --junit /dev/full", run("run", good, "--seeds", "3", "--junit", "/dev/full"), "No space left")
    with open("/dev/full", "w") as full:
        r = run("run", good, "--seeds", "3", stdout=full)
    check("run > /dev/full exits 2", r.returncode == 2 and len(text(r.stderr).splitlines()) == 1, text(r.stderr))
    with open("/dev/full", "w") as full:
        r = run("sweep", good, "--seeds", "3", stdout=full)
    check("sweep > /dev/full exits 2", r.returncode == 2 and "No space left" in text(r.stderr), text(r.stderr))
r = run("run", "thundering-herd", "--seeds", "1000000000", "--junit", os.path.join(tmp, "no-such-dir", "x.xml"))
one_error_line("--junit into a missing directory", r, "no-such-dir")
check("--junit into a missing directory runs nothing", text(r.stdout) == "", text(r.stdout)[:300])

# -- a scenario path with a space: the printed replay line works when pasted ------------
spaced = write("my scenario.toml", MUTANT)
m = run("run", spaced, "--seeds", "20")
check("the mutant's violation exits 1", m.returncode == 1, text(m.stderr))
pasted = re.findall(r"replay: (otpsim replay .*)$", text(m.stdout), re.M)
check("a replay line is printed", len(pasted) >= 1, text(m.stdout)[-2000:])
if pasted:
    check("the path is quoted for the shell", "'" + spaced + "'" in pasted[0], pasted[0])
    line = pasted[0].replace("otpsim", shlex.quote(OTPSIM), 1)
    p = subprocess.run(line, shell=True, capture_output=True, timeout=HANG_GUARD_S)
    check("the pasted line replays the violation (exit 1)", p.returncode == 1 and "VIOLATED" in text(p.stderr), text(p.stderr))
    p = subprocess.run(line + " --expect-violation", shell=True, capture_output=True, timeout=HANG_GUARD_S)
    check("--expect-violation turns that into 0", p.returncode == 0, text(p.stderr))
    token = re.search(r"otpsim replay (\S+)", pasted[0]).group(1)
    if os.path.exists("/dev/full"):
        one_error_line("replay --trace /dev/full", run("replay", token, "--scenario", spaced, "--trace", "/dev/full",
                                                       "--expect-violation"), "No space left")
    # The token carries the scenario's content hash: an edited scenario is refused.
    with open(spaced, "w") as f:
        f.write(MUTANT.replace("latency_ms = 500", "latency_ms = 400"))
    one_error_line("replay against an edited scenario", run("replay", token, "--scenario", spaced), "changed since the token")
    with open(spaced, "w") as f:
        f.write("# a comment does not change the scenario\n" + MUTANT)
    r = run("replay", token, "--scenario", spaced, "--expect-violation")
    check("a comment-only edit still replays", r.returncode == 0, text(r.stderr))

# A replay of a clean run exits 0; --expect-violation makes it 1.
lines = text(run("run", "already-started-race", "--seeds", "1", "--json").stdout).splitlines()
token = jl((lines or [""])[0]).get("token", "none")
check("replay of a clean run exits 0", run("replay", token).returncode == 0)
check("replay --expect-violation of a clean run exits 1", run("replay", token, "--expect-violation").returncode == 1)

# -- a run cut off at a limit is shown as cut off, not held -------------------------------
limited = write("limited.toml", GOOD + "steps_max = 60\n")
r = run("run", limited, "--seeds", "3")
check("a cut-off run exits 1", r.returncode == 1, text(r.stdout) + text(r.stderr))
check("the table says CUT OFF", "3 of 3 runs CUT OFF" in text(r.stdout), text(r.stdout))
check("the report says why", "step limit reached" in text(r.stdout) and "not a pass" in text(r.stdout), text(r.stdout))

# -- 10^8 seeds stream: lines come out before the end, in flat memory --------------------
p = subprocess.Popen([OTPSIM, "run", "thundering-herd", "--seeds", "100000000", "--json", "-j", "2"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
got = []
reader = threading.Thread(target=lambda: got.extend(p.stdout.readline() for _ in range(200)))
reader.start()
reader.join(HANG_GUARD_S)
p.send_signal(signal.SIGTERM)
p.wait(HANG_GUARD_S)


def seeds_of(lines):
    return [jl(l).get("seed") for l in lines]


check("run --seeds 100000000 streams its runs", seeds_of(got) == list(range(200)),
      f"{len(got)} lines; rc={p.returncode} {p.stderr.read()[-500:]}")
check("and was still running (no bad_alloc)", p.returncode == -signal.SIGTERM, p.returncode)

shutil.rmtree(tmp, ignore_errors=True)
if failures:
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1)
print("\nall reliability checks passed")
