#!/usr/bin/env python3
"""conformance-beam: the live comparison of otpsim with the real BEAM.

Copies run_beam.sh and beam/ into a temporary directory, runs the scenarios
there with `elixir` (a few at a time; run_beam.sh writes
out-beam/<scenario>.txt), runs `conformance_sim --out <tmp>/out-sim`, and
compares the two outputs scenario by scenario (the simulator under instant
delivery, the order one BEAM node shows). Any difference fails, with a
unified diff. A BEAM output that differs from golden/ is reported too (the
installed OTP/Elixir is not the reference platform), but it is the live
BEAM output that the simulator is held to here.

Usage: beam_compare.py CONFORMANCE_SIM CONFORMANCE_DIR [SCENARIO...]
"""
import concurrent.futures
import difflib
import pathlib
import shutil
import subprocess
import sys
import tempfile

PARALLEL = 3  # the golden files were checked with three suites at once on 2 cores


def read(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return None


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sim = pathlib.Path(sys.argv[1]).resolve()
    src = pathlib.Path(sys.argv[2]).resolve()
    names = sys.argv[3:] or sorted(p.stem for p in (src / "beam").glob("*.exs") if p.stem != "common")

    with tempfile.TemporaryDirectory(prefix="conformance-beam-") as tmp:
        tmp = pathlib.Path(tmp)
        shutil.copy2(src / "run_beam.sh", tmp / "run_beam.sh")
        shutil.copytree(src / "beam", tmp / "beam")

        def run_beam(name):
            p = subprocess.run(["bash", str(tmp / "run_beam.sh"), name], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60)
            return name, p.returncode, p.stdout + p.stderr

        failures = []
        with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
            for name, rc, text in pool.map(run_beam, names):
                if rc != 0:
                    err = read(tmp / "out-beam" / (name + ".err")) or []
                    failures.append(f"BEAM {name}: run_beam.sh failed ({rc}):\n{text}" + "\n".join(err))

        # Instant delivery: the order one BEAM node shows (a signal lands at
        # the sender's step). Under async delivery the simulator may print
        # other legal orders; conformance-golden checks those against
        # golden/<scenario>.async-allowed.txt.
        p = subprocess.run([str(sim), "--delivery", "instant", "--out", str(tmp / "out-sim")] + names,
                           stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            failures.append(f"conformance_sim failed ({p.returncode}):\n{p.stderr}")

        ok = 0
        for name in names:
            beam = read(tmp / "out-beam" / (name + ".txt"))
            simout = read(tmp / "out-sim" / (name + ".txt"))
            golden = read(src / "golden" / (name + ".txt"))
            if beam is None or simout is None:
                failures.append(f"{name}: missing output (beam: {beam is not None}, sim: {simout is not None})")
                continue
            if golden is not None and beam != golden:
                print(f"note: live BEAM output of {name} differs from golden/{name}.txt:")
                print("\n".join(difflib.unified_diff(golden, beam, f"golden/{name}.txt", f"out-beam/{name}.txt",
                                                     lineterm="")))
            if beam != simout:
                failures.append(f"{name}: otpsim differs from the live BEAM:\n" + "\n".join(
                    difflib.unified_diff(beam, simout, f"out-beam/{name}.txt", f"out-sim/{name}.txt",
                                         lineterm="")))
            else:
                ok += 1
                print(f"ok   {name}")

    for f in failures:
        print("FAIL " + f)
    print(f"{ok}/{len(names)} scenarios: otpsim == live BEAM")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
