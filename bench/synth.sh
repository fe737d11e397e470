#!/usr/bin/env bash
# Measures the synth (all environments + bootstrap): wall time, CPU time (user + sys) and peak RSS,
# several runs, medians. On a loaded machine compare CPU time: wall time then mostly measures the wait
# for a core.
# Usage: bench/synth.sh [runs]   (default 5; SWITCHYARD_ENVS is honoured)
#
# `npm run synth` builds the cdktf app to JavaScript when a source changed (bin/build.js synth →
# dist/synth, transpile-only, only changed files) and runs it; before issue 14 it ran main.ts through
# ts-node (transpile-only) on every synth. Both are measured in the same run, each with /usr/bin/time -v
# (npm adds its own ~0.3 s and runs node as a child: time -v reports the largest process RSS of the tree):
#   - the synth process alone: compiled (dist/synth/main.js) and ts-node (transpiling main.ts' graph);
#   - `npm run synth` warm (dist/synth fresh: the check is a few stats) and cold (dist/synth removed
#     before each run: full build included) — the first synth after a clone.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SWITCHYARD_ENVIRONMENTS_DIR="${SWITCHYARD_ENVIRONMENTS_DIR:-environments}"

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

measure() { # label, command...   ($before, if set, runs untimed before each run)
  local label="$1"; shift
  : >"$tmp/secs"; : >"$tmp/kb"; : >"$tmp/cpu"
  for i in $(seq "$runs"); do
    if [ -n "${before:-}" ]; then eval "$before"; fi
    /usr/bin/time -v "$@" >/dev/null 2>"$tmp/out" || { cat "$tmp/out"; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ {split($2,t,":"); s=0; for(i=1;i<=length(t);i++) s=s*60+t[i]; print s}' "$tmp/out" >>"$tmp/secs"
    awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/out" >>"$tmp/kb"
    # CPU time (user + sys): what the run needs whatever else loads the machine (node is one thread).
    awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f\n", u+s}' "$tmp/out" >>"$tmp/cpu"
  done
  local s kb cpu
  s="$(median <"$tmp/secs")"; kb="$(median <"$tmp/kb")"; cpu="$(median <"$tmp/cpu")"
  printf '%-34s runs=%s  median wall=%ss  median CPU=%ss  median peak RSS=%s MB  (wall: %s)\n' \
    "$label" "$runs" "$s" "$cpu" "$((kb / 1024))" "$(tr '\n' ' ' <"$tmp/secs")"
}

echo "node $(node --version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
node bin/build.js synth
measure "synth process, compiled" node dist/synth/main.js
measure "synth process, ts-node" node -r ts-node/register/transpile-only main.ts
measure "npm run synth (warm)" npm run --silent synth
before='rm -rf dist/synth' measure "npm run synth (cold: + build)" npm run --silent synth
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
ls cdktf.out/stacks
