#!/usr/bin/env bash
# Run the real-BEAM conformance scenarios.
#
#   ./run_beam.sh                 # every beam/*.exs except common.exs
#   ./run_beam.sh one_for_one ... # only these (names, or paths to .exs files)
#
# Writes out-beam/<scenario>.txt (stdout of the script; stderr goes to
# out-beam/<scenario>.err and is removed when empty). Exits non-zero if any
# script exits non-zero, times out, or prints nothing. No stdin, no network
# (elixir is run without distribution).
set -u

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here" || exit 2
command -v elixir >/dev/null 2>&1 || { echo "run_beam.sh: elixir not found" >&2; exit 2; }

names=()
if [ "$#" -gt 0 ]; then
  for a in "$@"; do
    a="$(basename "$a")"
    names+=("${a%.exs}")
  done
else
  for f in beam/*.exs; do
    n="$(basename "$f" .exs)"
    [ "$n" = common ] && continue
    names+=("$n")
  done
fi

mkdir -p out-beam
status=0
for n in "${names[@]}"; do
  src="beam/$n.exs"
  out="out-beam/$n.txt"
  err="out-beam/$n.err"
  if [ ! -f "$src" ]; then
    echo "FAIL $n: no such scenario ($src)" >&2
    status=1
    continue
  fi
  timeout 30 elixir "$src" </dev/null >"$out" 2>"$err"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $n: exit status $rc (see $err)" >&2
    status=1
  elif [ ! -s "$out" ]; then
    echo "FAIL $n: no output" >&2
    status=1
  else
    echo "ok   $n ($(wc -l <"$out") lines)"
  fi
  [ -s "$err" ] || rm -f "$err"
done
exit "$status"
