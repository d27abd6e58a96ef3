#!/usr/bin/env bash
# The periodic-fault bar of issue 12: 10,000 fires of one periodic fault add
# under 10% to a run. Runs one scenario (a client calling every ms, 100,000
# times: about 200,000 steps) with and without a periodic fault that fires 10,000 times, 1 ms
# apart, and changes nothing the run observes (`cli_slow` to 0 ms, the
# latency it already has), so the difference is the injector's own cost.
# Prints the instructions each executes (callgrind's count: exact, and
# steady on a loaded machine) and the ratio.
#
# Usage: bench/periodic_fault_cost.sh [OTPSIM] [SEEDS]   (needs valgrind)
set -euo pipefail
otpsim=${1:-./build/scenarios/otpsim}
seeds=${2:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
base='[scenario]
name = "periodic-cost"
description = "a client calling every ms"
[[client]]
name = "loop"
repeat = 100000
every_ms = 1
calls = [ { op = "get", app = "a" } ]
[properties]
check = ["no_client_crash", "liveness"]
[explore]
strategy = "random"
steps_max = 10000000
shrink = false'
printf '%s\n' "$base" > "$dir/base.toml"
printf '%s\n%s\n' "$base" '[[fault]]
target = "cli"
action = "cli_slow"
duration_ms = 0
at_ms = 0
every_ms = 1
max_fires = 10000' > "$dir/faulted.toml"
measure() {  # prints the instructions one run of the file executes
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$otpsim" run "$1" -j1 --seeds "$seeds" \
    2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
bi=$(measure "$dir/base.toml")
fi=$(measure "$dir/faulted.toml")
printf 'without the fault: %s instructions\n' "$bi"
printf 'with 10,000 fires: %s instructions\n' "$fi"
python3 -c "print('per fire: %d instructions' % (($fi - $bi) / (10000 * $seeds)))"
python3 -c "print('added: %.1f%% of instructions (bar: under 10%%)' % (100.0 * ($fi - $bi) / $bi))"
