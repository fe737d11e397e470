#!/usr/bin/env bash
# Measures `npm run synth` (all environments + bootstrap): wall time, CPU time (user + sys) and peak RSS
# of the synth process, several runs, medians. On a loaded machine compare CPU time: wall time then
# mostly measures the wait for a core. Usage: bench/synth.sh [runs]   (default 5; SWITCHYARD_ENVS is honoured)
# Measures the node process itself (the command of the `synth` script) with /usr/bin/time -v, and once
# the whole `npm run synth` (npm adds its own ~0.3 s and runs node as a child: time -v reports the
# largest process RSS of the tree).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cmd=(node -r ts-node/register/transpile-only main.ts)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

measure() { # label, command...
  local label="$1"; shift
  : >"$tmp/secs"; : >"$tmp/kb"; : >"$tmp/cpu"
  for i in $(seq "$runs"); do
    /usr/bin/time -v "$@" >/dev/null 2>"$tmp/out" || { cat "$tmp/out"; exit 1; }
    awk -F': ' '/Elapsed \(wall clock\)/ {split($2,t,":"); s=0; for(i=1;i<=length(t);i++) s=s*60+t[i]; print s}' "$tmp/out" >>"$tmp/secs"
    awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/out" >>"$tmp/kb"
    # CPU time (user + sys): what the run needs whatever else loads the machine (node is one thread).
    awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f\n", u+s}' "$tmp/out" >>"$tmp/cpu"
  done
  local s kb cpu
  s="$(median <"$tmp/secs")"; kb="$(median <"$tmp/kb")"; cpu="$(median <"$tmp/cpu")"
  printf '%-32s runs=%s  median wall=%ss  median CPU=%ss  median peak RSS=%s MB  (wall: %s)\n' \
    "$label" "$runs" "$s" "$cpu" "$((kb / 1024))" "$(tr '\n' ' ' <"$tmp/secs")"
}

echo "node $(node --version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "node main.ts (synth process)" "${cmd[@]}"
measure "npm run synth" npm run --silent synth
ls cdktf.out/stacks
