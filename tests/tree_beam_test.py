#!/usr/bin/env python3
"""Test tree-beam: the real BEAM judges the simulator on declared trees.

Usage: tree_beam_test.py OTPSIM SOURCE_ROOT ELIXIR

For every scenario of the built-in library that has a tree, and every file
of tests/tree_beam/: `otpsim elixir` writes the script, `elixir` runs it
(30 s at most, no stdin), its output must be canonical lines, sorted, and
`otpsim observe --beam` must find the BEAM's observation among those the
simulator reaches. The faults are timed in real milliseconds, so a loaded
machine may show the BEAM another interleaving (a call that lands before
the restart): any the simulator reaches passes. For tests/tree_beam/X.toml,
X.beam.txt is what OTP 25 / Elixir 1.14 printed on an idle machine (the
scenario's comments say why); the simulator must reach it too. Also: what
the BEAM cannot run is refused with exit 2 and one line, and the one-command
form (`otpsim observe --run-beam`, which runs elixir itself) agrees.
"""
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib

OTPSIM, ROOT, ELIXIR = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
LINE = re.compile(r'^(call \S+ \d+ \S+|node \S+ starts \d+ exits \[\S*\]|final \S+ (alive|dead)|root (alive|exit \S+))$')
failures = []


def fail(case, message):
    failures.append(f'{case}: {message}')
    print(f'FAIL {case}: {message}', flush=True)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def library_tree_scenarios():
    names = []
    for f in sorted((ROOT / 'scenarios' / 'library').glob('*.toml')):
        doc = tomllib.loads(f.read_text())
        if 'tree' in doc or 'tree' in doc.get('scenario', {}):
            names.append(doc['scenario']['name'])
    return names


def check(case, scenario, expected, tmp):
    script = tmp / f'{case}.exs'
    r = run([OTPSIM, 'elixir', scenario, '-o', str(script)])
    if r.returncode != 0:
        return fail(case, f'otpsim elixir exited {r.returncode}: {r.stderr.strip()}')
    try:
        r = run([ELIXIR, str(script)], timeout=30)
    except subprocess.TimeoutExpired:
        return fail(case, 'elixir took more than 30 s')
    if r.returncode != 0 or not r.stdout:
        return fail(case, f'elixir exited {r.returncode}: {r.stderr.strip()[-2000:]}')
    lines = r.stdout.splitlines()
    bad = [l for l in lines if not LINE.match(l)]
    if bad:
        return fail(case, f'lines not in the canonical form: {bad}')
    if lines != sorted(lines):
        return fail(case, 'lines not sorted')
    beam = tmp / f'{case}.beam.txt'
    beam.write_text(r.stdout)
    for observed in [beam] + ([expected] if expected is not None else []):
        o = run([OTPSIM, 'observe', scenario, '--seeds', '300', '--beam', str(observed)], timeout=600)
        if o.returncode != 0:
            return fail(case, f'otpsim observe --beam {observed.name} exited {o.returncode}:\n{o.stdout}{o.stderr}')
    print(f'ok {case}', flush=True)


def check_refused(tmp):
    cases = {
        'trio': 'registry-crash',
        'at_step': None,
    }
    text = (ROOT / 'tests' / 'tree_beam' / 'rest_for_one.toml').read_text()
    at_step = tmp / 'at-step.toml'
    at_step.write_text(text.replace('at_ms = 300', 'at_step = 100'))
    cases['at_step'] = str(at_step)
    for case, scenario in cases.items():
        r = run([OTPSIM, 'elixir', scenario])
        errors = r.stderr.strip().splitlines()
        if r.returncode != 2 or len(errors) != 1 or 'cannot run on the BEAM' not in errors[0] or r.stdout:
            fail(f'refused-{case}', f'exit {r.returncode}, stdout {r.stdout[:200]!r}, stderr {r.stderr!r}')
        else:
            print(f'ok refused-{case}: {errors[0]}', flush=True)


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    check_refused(tmp)
    for name in library_tree_scenarios():
        check(f'library-{name}', name, None, tmp)
    for f in sorted((ROOT / 'tests' / 'tree_beam').glob('*.toml')):
        check(f.stem, str(f), f.with_suffix('.beam.txt'), tmp)
    # One command: otpsim runs the script on the BEAM and checks it.
    r = run([OTPSIM, 'observe', str(ROOT / 'tests' / 'tree_beam' / 'one_for_one.toml'), '--seeds', '300', '--run-beam'],
            timeout=600)
    if r.returncode != 0 or "the BEAM's observation:" not in r.stdout or 'reached by the simulator' not in r.stdout:
        fail('run-beam', f'exit {r.returncode}:\n{r.stdout[-2000:]}{r.stderr}')
    else:
        print('ok run-beam', flush=True)
    r = run([OTPSIM, 'observe', 'registry-crash', '--run-beam'])
    if r.returncode != 2 or len(r.stderr.strip().splitlines()) != 1:
        fail('run-beam-trio', f'exit {r.returncode}, stderr {r.stderr!r}')
    else:
        print('ok run-beam-trio', flush=True)

if failures:
    print(f'{len(failures)} failed', file=sys.stderr)
    sys.exit(1)
