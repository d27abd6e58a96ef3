#!/usr/bin/env python3
"""The shrinking table of docs/bug-finding.md: for each built-in finding and
mutant, what the scenario and the schedule shrink to.

Usage: bench/shrink_table.py build/scenarios/otpsim [OUT_DIR]

Runs `otpsim run NAME` twice per scenario whose file expects a violation:
without --save-shrunk (the schedule shrunk in the original scenario: its
"was" figures are the original run's) and with --save-shrunk OUT_DIR (the
scenario shrunk, then the schedule in it). Prints a Markdown table.
"""
import os
import re
import subprocess
import sys
import tempfile

OTPSIM = sys.argv[1]
OUT = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="otpsim-shrunk-")
LIBRARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "library")

SCENARIO = re.compile(r"shrunk scenario in (\d+) runs[^:]*: (.*?);")
SCHEDULE = re.compile(r"shrunk in (\d+) runs[^:]*: violated at step (\d+) \(was (\d+)\), (\d+) preemptions \(was (\d+)\)")
FINDING = re.compile(r"\n(?:finding|VIOLATED) (\S+) in scenario (\S+)")


def reports(text):
    """(property, scenario line match, schedule line match) per report."""
    out = []
    for block in text.split("\n\n"):
        f = FINDING.search("\n" + block)
        if f:
            out.append((f.group(1), SCENARIO.search(block), SCHEDULE.search(block)))
    return out


names = sorted(f[:-5] for f in os.listdir(LIBRARY)
               if f.endswith(".toml") and "expect_violated = [\"" in open(os.path.join(LIBRARY, f)).read())
print("| scenario | property | clients, faults, calls: before → after | violation step: original / schedule-only shrink / scenario+schedule shrink | preemptions: original / schedule-only / scenario+schedule |")
print("|---|---|---|---|---|")
for name in names:
    plain = subprocess.run([OTPSIM, "run", name], capture_output=True, text=True).stdout
    saved = subprocess.run([OTPSIM, "run", name, "--save-shrunk", OUT], capture_output=True, text=True).stdout
    for (prop, scen, sched_plain), (_, _, sched_saved) in zip(reports(plain), reports(saved)):
        if not (scen and sched_plain and sched_saved):
            print(f"| {name} | {prop} | (not shrunk) | | |")
            continue
        print(f"| {name} | {prop} | {scen.group(2)} | {sched_plain.group(3)} / {sched_plain.group(2)} / "
              f"{sched_saved.group(2)} | {sched_plain.group(5)} / {sched_plain.group(4)} / {sched_saved.group(4)} |")
