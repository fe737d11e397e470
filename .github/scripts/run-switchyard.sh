#!/usr/bin/env bash
# Runs the switchyard CLI from this checkout and turns its exit code into a job result.
#
#   run-switchyard.sh <deploy|promote|rollback|status> [switchyard arguments...]
#
# The CLI itself (GITHUB_ACTIONS=true) prints plain progress lines, `::error::` annotations carrying the
# reason of a refusal or rollback, and appends its Markdown report to $GITHUB_STEP_SUMMARY. This wrapper
# adds one line saying what the exit code means and exits with the same code, so the job fails on
# anything but 0 (services/deployer/src/exit-codes.ts: 0 ok, 1 internal error, 2 refused, 3 rolled back,
# 4 held for approval).
#
# Held (exit 4, `deploy --hold-after canary`): the canary serves and the lock is kept until the hold
# expires. With SWITCHYARD_HOLD_OK=true the step succeeds and writes `held=true` to $GITHUB_OUTPUT, so a
# later job (bound to the GitHub Environment: its required reviewers approve it) runs `switchyard
# continue`; without it exit 4 fails the job like any other non-zero code. `held=false` otherwise.
#
# Run it as the step's entry process (`exec bash .github/scripts/run-switchyard.sh …`): GitHub signals only
# that process on Cancel or timeout. node runs bin/switchyard.js of this checkout directly (no npx/npm/sh
# in between, which would not pass signals on) as a child of this script, which forwards SIGINT/SIGTERM
# to it (forward-signals.sh) and still maps its exit code afterwards.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=forward-signals.sh
source "$here/forward-signals.sh"

command="${1:-}"
if [ -z "$command" ]; then
  echo "::error title=run-switchyard::usage: run-switchyard.sh <command> [arguments...]"
  exit 1
fi

forward_signals all node "$root/bin/switchyard.js" "$@"
code=$child_status

case "$code" in
  0) meaning="succeeded" ;;
  1) meaning="traffic state unknown: the deployer stopped before finishing (internal error, a lost deployment lock or a failed restoring write; the reason is in the annotation above). Run 'switchyard status' before retrying"
     echo "::error title=switchyard $command: traffic state unknown (exit 1)::$meaning" ;;
  2) meaning="refused: nothing was changed (bad input, lock held or nothing to do); the reason is in the annotation above"
     echo "::error title=switchyard $command refused (exit 2)::$meaning" ;;
  3) meaning="rolled back: the new release failed a health gate and traffic is back on the last known good release; the reason is in the annotation above"
     echo "::error title=switchyard $command rolled back (exit 3)::$meaning" ;;
  4) meaning="held for approval: the canary serves and the deployment lock is kept until the hold expires; 'switchyard continue' finishes the deploy, 'switchyard abort' restores the live colour, an expired hold is aborted"
     if [ "${SWITCHYARD_HOLD_OK:-}" = "true" ]; then
       echo "::notice title=switchyard $command held for approval (exit 4)::$meaning"
     else
       echo "::error title=switchyard $command held for approval (exit 4)::$meaning"
     fi ;;
  *) meaning="unexpected exit code $code"
     echo "::error title=switchyard $command: unexpected exit code $code::$meaning" ;;
esac

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '\n**switchyard %s** exited with code %s — %s.\n' "$command" "$code" "$meaning" >> "$GITHUB_STEP_SUMMARY"
fi
held=false
if [ "$code" = 4 ]; then held=true; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  printf 'held=%s\nexit-code=%s\n' "$held" "$code" >> "$GITHUB_OUTPUT"
fi
if [ "$held" = true ] && [ "${SWITCHYARD_HOLD_OK:-}" = "true" ]; then exit 0; fi
exit "$code"
