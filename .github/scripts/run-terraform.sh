#!/usr/bin/env bash
# Runs `terraform ARGS…` for a workflow step so that a Cancel or a timeout reaches terraform: run it as the
# step's entry process (`exec bash .github/scripts/run-terraform.sh apply …`). terraform gets GitHub's first
# signal as SIGINT and stops gracefully (finishes the operations in flight, saves the state, releases the
# state lock); GitHub's SIGTERM 7.5 s later is not passed on, because terraform treats a second interrupt
# as "exit immediately" and would then leave the state unsaved and the lock held (forward-signals.sh).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=forward-signals.sh
source "$here/forward-signals.sh"
forward_signals first terraform "$@"
exit "$child_status"
