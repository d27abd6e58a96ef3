#!/usr/bin/env bash
# The sweep bar of issue 5: a sweep on 2 jobs is at least 1.8x faster than
# on 1 job. Runs `otpsim sweep SCENARIO --seeds N` with -j1 and -j2, each
# REPEAT times, and prints the medians and their ratio.
#
# Usage: bench/sweep_scaling.sh [OTPSIM] [SCENARIO] [SEEDS] [REPEAT]
# Example: bench/sweep_scaling.sh ./build/scenarios/otpsim thundering-herd 4000 5
set -euo pipefail
otpsim=${1:-./build/scenarios/otpsim}
scenario=${2:-thundering-herd}
seeds=${3:-4000}
repeat=${4:-5}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_one() {
  local jobs=$1 start end
  start=$(date +%s.%N)
  "$otpsim" sweep "$scenario" --seeds "$seeds" -j "$jobs" -o /dev/null 2>/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}
declare -A med
for jobs in 1 2; do
  times=()
  for _ in $(seq "$repeat"); do times+=("$(time_one "$jobs")"); done
  med[$jobs]=$(printf '%s\n' "${times[@]}" | median)
  printf 'jobs=%s  median %.3fs  (runs: %s)\n' "$jobs" "${med[$jobs]}" "$(printf '%.3f ' "${times[@]}")"
done
printf 'speedup 2 jobs / 1 job: %.2fx (bar: 1.8x) on %s cores, load %s\n' \
  "$(python3 -c "print(${med[1]} / ${med[2]})")" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)"
