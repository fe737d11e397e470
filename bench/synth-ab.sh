#!/usr/bin/env bash
# A/B of the synth process between two commits, runs interleaved (base, head, base, head, …) so that the
# load of a shared machine hits both sides alike. Reports per side the median wall time, the median CPU
# time (user + sys, less sensitive to load than wall) and the median peak RSS.
# Usage: bench/synth-ab.sh BASE HEAD [runs]   (default 9; needs a clean work tree; returns to the branch)
set -euo pipefail
cd "$(dirname "$0")/.."
base="$(git rev-parse --verify "$1^{commit}")"; head="$(git rev-parse --verify "$2^{commit}")"; runs="${3:-9}"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "synth-ab: the work tree has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
back="$(git rev-parse --abbrev-ref HEAD)"
[ "$back" = HEAD ] && back="$(git rev-parse HEAD)"
tmp="$(mktemp -d)"
trap 'git checkout -q "$back"; rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "node $(node --version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for side in base head; do
    rev="$base"; [ "$side" = head ] && rev="$head"
    git checkout -q "$rev"
    /usr/bin/time -f "%e %U %S %M" node -r ts-node/register/transpile-only main.ts >/dev/null 2>"$tmp/err" ||
      { cat "$tmp/err"; exit 1; }
    tail -1 "$tmp/err" >>"$tmp/$side"
  done
done
for side in base head; do
  f="$tmp/$side"
  rev="$base"; [ "$side" = head ] && rev="$head"
  printf '%-4s %-12s runs=%s  median wall=%ss  median cpu=%ss  median peak RSS=%s MB  (wall: %s)\n' \
    "$side" "$(git rev-parse --short "$rev")" "$runs" "$(awk '{print $1}' "$f" | median)" \
    "$(awk '{print $2 + $3}' "$f" | median)" "$(($(awk '{print $4}' "$f" | median) / 1024))" \
    "$(awk '{printf "%s ", $1}' "$f")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
