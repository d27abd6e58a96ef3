#!/usr/bin/env bash
# Runs the reordering probes on the real BEAM (README.md, "Reorderings
# Erlang allows"), each with the default schedulers and with +S 16:16, and
# prints their lines (observed.txt holds one such run). No distribution, no
# network; a few minutes in all. Not a test: the counts are the record.
#
#   ./run.sh                 # every probe
#   ./run.sh registry        # only these (names of the .exs files)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here" || exit 2
command -v elixir >/dev/null 2>&1 || { echo "run.sh: elixir not found" >&2; exit 2; }
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  names=(triangle_forward two_watchers request_overtaken supervisor_restart_child registry)
fi
status=0
for n in "${names[@]}"; do
  n="$(basename "$n" .exs)"
  for flags in "" "+S 16:16"; do
    if [ -z "$flags" ]; then
      timeout 600 elixir "$n.exs" </dev/null || status=1
    else
      timeout 600 elixir --erl "$flags" "$n.exs" </dev/null || status=1
    fi
  done
done
exit "$status"
