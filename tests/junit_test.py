#!/usr/bin/env python3
"""The JUnit XML of `otpsim run --junit` and `otpsim merge --junit` (issue
12, CI-grade outputs): it validates with xmllint against tests/junit.xsd
(the Jenkins xunit JUnit rules, stricter where CI readers need it), its
counts add up, every time parses as a number (no value is asserted), a
violation is a failure of type PROPERTY whose text is the shrunk run's
report with the replay line exactly as the terminal prints it (with
--scenario for a file), an expected finding passes but is marked, a run cut
off at a limit is an error of type cut_off, and control characters never
make it ill-formed or spread a message over two lines.

Usage: junit_test.py PATH_TO_OTPSIM PATH_TO_JUNIT_XSD PATH_TO_XMLLINT SOURCE_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

OTPSIM, XSD, XMLLINT, ROOT = sys.argv[1:5]
REPROS = os.path.join(ROOT, "tests", "repros")
failures = []


def run(*args, timeout=300):
    return subprocess.run([OTPSIM, *args], capture_output=True, text=True, timeout=timeout)


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")
        print(f"FAIL {name} {str(detail)[:3000]}")
    else:
        print(f"ok   {name}")


tmp = tempfile.mkdtemp(prefix="otpsim-junit-")


def write(name, text):
    path = os.path.join(tmp, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def validate(path):
    """xmllint's verdict against the schema: (ok, its messages)."""
    r = subprocess.run([XMLLINT, "--noout", "--schema", XSD, path], capture_output=True, text=True, timeout=60)
    return r.returncode == 0, r.stderr


def is_seconds(text):
    try:
        return text is not None and float(text) >= 0
    except ValueError:
        return False


def check_file(label, path):
    """Schema, counts and times of one JUnit file; returns its root."""
    ok, why = validate(path)
    check(f"{label}: validates against tests/junit.xsd", ok, why)
    root = ET.parse(path).getroot()
    check(f"{label}: the root is <testsuites>", root.tag == "testsuites", root.tag)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, n in counts.items():
            check(f"{label}: suite {suite.get('name')}: {key} counts its testcases", suite.get(key) == str(n),
                  (suite.get(key), n))
            if key in totals:
                totals[key] += n
        check(f"{label}: suite {suite.get('name')}: time parses as seconds", is_seconds(suite.get("time")), suite.get("time"))
        for c in cases:
            check(f"{label}: {c.get('classname')}.{c.get('name')}: time parses as seconds", is_seconds(c.get("time")),
                  c.get("time"))
            for problem in list(c.findall("failure")) + list(c.findall("error")):
                message = problem.get("message")
                check(f"{label}: {c.get('name')}: the {problem.tag} message is one line",
                      message and "\n" not in message and "\r" not in message, repr(message))
    for key, n in totals.items():
        check(f"{label}: <testsuites> {key} adds up", root.get(key) == str(n), (root.get(key), n))
    check(f"{label}: <testsuites> time parses as seconds", is_seconds(root.get("time")), root.get("time"))
    return root


def case(root, suite, name):
    for s in root.findall("testsuite"):
        if s.get("name") == suite:
            for c in s.findall("testcase"):
                if c.get("name") == name:
                    return c
    return None


def replay_lines(text):
    return [line for line in text.splitlines() if line.startswith("  replay: ")]


# -- the schema has teeth: what the JUnit used to be fails it ---------------------------
minimal = write("minimal.xml", """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="otpsim" tests="1" failures="0" errors="0" time="0.1">
  <testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="0.1">
    <testcase classname="s" name="p" time="0.1"/>
  </testsuite>
</testsuites>
""")
check("the schema compiles and accepts a minimal report", *validate(minimal))
old = write("old.xml", """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="otpsim" tests="1" failures="1">
  <testsuite name="s" tests="1" failures="1" time="0.100">
    <testcase classname="s" name="p">
      <failure message="violated">otpsim replay T</failure>
    </testcase>
  </testsuite>
</testsuites>
""")
check("the schema rejects the old JUnit (no errors, no testcase time, no failure type)", not validate(old)[0])
props_in_case = write("props-in-case.xml", """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="otpsim" tests="1" failures="0" errors="0" time="0.1">
  <testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="0.1">
    <testcase classname="s" name="p" time="0.1">
      <properties><property name="expected_finding" value="p"/></properties>
    </testcase>
  </testsuite>
</testsuites>
""")
check("the schema rejects <properties> in a testcase (Jenkins xunit allows it only in a suite)",
      not validate(props_in_case)[0])
bad_time = write("bad-time.xml", """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="otpsim" tests="0" failures="0" errors="0" time="1e-3"/>
""")
check("the schema rejects a time with an exponent", not validate(bad_time)[0])

# -- a violation in a scenario from a file (a path that needs quoting) -------------------
ctl = os.path.join(tmp, "my dir", "ctl.toml")
os.makedirs(os.path.dirname(ctl))
shutil.copy(os.path.join(REPROS, "junit-control-char.toml"), ctl)
out = os.path.join(tmp, "ctl.xml")
r = run("run", ctl, "--seeds", "20", "-j", "2", "--junit", out)
check("a violation: exit 1", r.returncode == 1, r.stderr)
root = check_file("violation", out)
c = case(root, "ctl-junit", "no_client_crash")
failure = c.find("failure") if c is not None else None
check("a violation is a <failure type=\"PROPERTY\">", failure is not None and failure.get("type") == "PROPERTY",
      ET.tostring(c) if c is not None else "no testcase")
if failure is not None:
    text = failure.text or ""
    printed = replay_lines(r.stdout)
    check("the terminal prints one replay line", len(printed) == 1, r.stdout[-3000:])
    check("the failure's text holds the replay line exactly as the terminal prints it (with --scenario, quoted)",
          printed and printed[0] in text.splitlines() and "--scenario '" in printed[0], (printed, text[-2000:]))
    check("the failure's text is the shrunk run's report (shrunk, its story: the fault, the violation, the replay line)",
          "shrunk in" in text and "\n  fault: kill app:a" in text and "\n  violated no_client_crash: " in text
          and text.rstrip("\n").splitlines()[-1].startswith("  replay: "), text[:2000])
    check("the failure's replay token is the shrunk run's", ".shrink." in text, text[-1000:])
    check("the control characters of a client name are escapes", "rac\\x01er\\x1b[31m" in text, text[:3000])
    check("the failure's message names the property and the counts",
          re.match(r"no_client_crash violated on \d+ of 20 schedules", failure.get("message") or ""), failure.get("message"))
source = [p.get("value") for p in root.iter("property") if p.get("name") == "source"]
check("the suite names its scenario file", source == [ctl], source)

# -- an expected finding: a pass, marked, with its report ---------------------------------
out = os.path.join(tmp, "finding.xml")
r = run("run", "stale-registry-entry", "--seeds", "20", "-j", "2", "--junit", out)
check("an expected finding: exit 0", r.returncode == 0, r.stderr)
root = check_file("finding", out)
c = case(root, "stale-registry-entry", "no_client_crash")
check("an expected finding is no failure and no error",
      c is not None and c.find("failure") is None and c.find("error") is None, ET.tostring(c) if c is not None else "")
marks = [p.get("value") for s in root.findall("testsuite") if s.get("name") == "stale-registry-entry"
         for p in s.iter("property") if p.get("name") == "expected_finding"]
check("the suite marks the property as an expected finding", marks == ["no_client_crash"], marks)
sysout = (c.find("system-out").text if c is not None and c.find("system-out") is not None else "") or ""
check("the finding's system-out says so and holds its report and replay line",
      sysout.startswith("expected finding: no_client_crash") and replay_lines(r.stdout)[0] in sysout.splitlines(),
      sysout[:2000])
held = case(root, "stale-registry-entry", "liveness")
check("a property that held is an empty passing testcase", held is not None and len(list(held)) == 0,
      ET.tostring(held) if held is not None else "")

# -- an expected violation that never came -------------------------------------------------
never = write("never.toml", """
[scenario]
name = "never-violated"
description = "expects a violation that three cold gets never give"

[[client]]
name = "herd"
count = 3
calls = [ { op = "get", app = "a" } ]

[properties]
check = ["cli_coalesced", "resolve_agrees"]
expect_violated = ["resolve_agrees"]

[explore]
seeds = 5
""")
out = os.path.join(tmp, "never.xml")
r = run("run", never, "--junit", out)
check("an expected violation that held: exit 1", r.returncode == 1, r.stderr)
root = check_file("expected violation held", out)
c = case(root, "never-violated", "resolve_agrees")
failure = c.find("failure") if c is not None else None
check("an expected violation that held is a <failure type=\"PROPERTY\"> that says so",
      failure is not None and failure.get("type") == "PROPERTY" and "expected a violation" in failure.get("message", ""),
      ET.tostring(c) if c is not None else "")

# -- runs cut off at a limit -----------------------------------------------------------------
out = os.path.join(tmp, "cut.xml")
settle = os.path.join(REPROS, "ub-settle.toml")
r = run("run", settle, "--seeds", "3", "--junit", out)
check("cut-off runs: exit 1", r.returncode == 1, r.stderr)
root = check_file("cut off", out)
c = case(root, "ub-settle", "runs_finish_within_the_limits")
error = c.find("error") if c is not None else None
check("cut-off runs are an <error type=\"cut_off\">", error is not None and error.get("type") == "cut_off",
      ET.tostring(c) if c is not None else "")
check("the cut-off error's text is the terminal's report, with the replay line",
      error is not None and "CUT OFF" in (error.text or "") and replay_lines(r.stdout)[0] in (error.text or "").splitlines(),
      (error.text if error is not None else "", r.stdout[-1500:]))
check("<testsuites errors> counts it", root.get("errors") == "1", root.get("errors"))

# -- merge --junit: the shards of a sweep of a file -------------------------------------------
parts = []
for k in (1, 2):
    part = os.path.join(tmp, f"part-{k}.jsonl")
    s = run("sweep", ctl, "--seeds", "20", "-j", "2", "--shard", f"{k}/2", "-o", part)
    check(f"sweep shard {k}/2 runs", s.returncode in (0, 1), s.stderr)
    parts.append(part)
out = os.path.join(tmp, "merged.xml")
m = run("merge", *parts, "--junit", out)
check("merge of a violation: exit 1", m.returncode == 1, m.stderr)
root = check_file("merge", out)
c = case(root, "ctl-junit", "no_client_crash")
failure = c.find("failure") if c is not None else None
check("merge: the violation is a <failure type=\"PROPERTY\"> with merge's replay line (with --scenario)",
      failure is not None and failure.get("type") == "PROPERTY" and replay_lines(m.stdout)
      and replay_lines(m.stdout)[0] in (failure.text or "").splitlines() and "--scenario" in replay_lines(m.stdout)[0],
      (m.stdout[-1500:], ET.tostring(c) if c is not None else ""))

# -- the whole built-in library (every kind of testcase it has) --------------------------------
out = os.path.join(tmp, "library.xml")
r = run("run", "--seeds", "3", "-j", "2", "--junit", out)
check("the library runs", r.returncode in (0, 1), r.stderr[-2000:])
check_file("library", out)

# -- docs/ci.md: the recipe's otpsim commands run as written ------------------------------------
# Each CI's sweep and merge lines, with its shard variables filled in and
# fewer seeds (100000 -> 400, for time), run by sh from a checkout-like
# directory with `otpsim` on the PATH.
doc = open(os.path.join(ROOT, "docs", "ci.md")).read()
lines = [line.strip() for line in doc.splitlines() if re.search(r"(- |run: )otpsim (sweep|merge) ", line)]
commands = [re.sub(r"^- (run: )?", "", line) for line in lines]
check("docs/ci.md: a sweep and a merge for each CI", len(commands) == 4 and sum("otpsim sweep" in c for c in commands) == 2,
      commands)
bindir = os.path.join(tmp, "bin")
os.makedirs(bindir)
os.symlink(os.path.abspath(OTPSIM), os.path.join(bindir, "otpsim"))
env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
for ci, shard_vars in (("github", {"${{ matrix.shard }}": "{k}"}),
                       ("gitlab", {"${CI_NODE_INDEX}": "{k}", "${CI_NODE_TOTAL}": "4"})):
    sweep_cmd = next((c for c in commands if "otpsim sweep" in c and all(v in c for v in shard_vars)), None)
    merge_cmd = next((c for c in commands[commands.index(sweep_cmd) + 1:] if "otpsim merge" in c), None) if sweep_cmd else None
    check(f"docs/ci.md: {ci}: its sweep and merge lines", sweep_cmd and merge_cmd, commands)
    if not (sweep_cmd and merge_cmd):
        continue
    work = os.path.join(tmp, "ci-" + ci)
    scenario = sweep_cmd.split()[2]
    os.makedirs(os.path.join(work, os.path.dirname(scenario)))
    shutil.copy(os.path.join(ROOT, scenario), os.path.join(work, scenario))
    for k in range(1, 5):
        cmd = sweep_cmd.replace("--seeds 100000", "--seeds 400")
        for var, value in shard_vars.items():
            cmd = cmd.replace(var, value.format(k=k))
        r = subprocess.run(["sh", "-ec", cmd], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        check(f"docs/ci.md: {ci}: shard {k}/4 runs as written", r.returncode == 0 and "runs/s" in r.stderr, (cmd, r.stderr[-1500:]))
    r = subprocess.run(["sh", "-ec", merge_cmd], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    check(f"docs/ci.md: {ci}: the merge runs as written", r.returncode == 0 and "400" in r.stdout, (merge_cmd, r.stdout, r.stderr))
    report = os.path.join(work, "otpsim-junit.xml")
    if os.path.exists(report):
        root = check_file(f"docs/ci.md {ci}", report)
        marks = [p.get("value") for p in root.iter("property") if p.get("name") == "expected_finding"]
        check(f"docs/ci.md: {ci}: the report marks the expected finding", marks == ["no_client_crash"], marks)
    else:
        check(f"docs/ci.md: {ci}: the merge writes otpsim-junit.xml", False, os.listdir(work))

if failures:
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1)
print("\nall JUnit checks passed")
