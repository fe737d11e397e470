# Sourced by the scripts that run a long command for a workflow step (run-switchyard.sh, run-terraform.sh).
#
# GitHub cancels or times out a step by sending SIGINT to the step's entry process only — not to its
# process group — then SIGTERM 7.5 s later and a kill of the tree 2.5 s after that (docs: "Workflow
# cancellation reference"; actions/runner src/Runner.Sdk/ProcessInvoker.cs CancelAndKillProcessTree).
# A shell waiting for a foreground child does not pass the signal on, so the step runs
#   exec bash .github/scripts/<script>.sh …
# (the script becomes the entry process) and the script runs the real command as a child, forwarding
# the signals it receives:
#   forward_signals all   CMD…   every SIGINT/SIGTERM is passed on as is (switchyard: the first stops
#                                 and restores, the second only reports, the third exits)
#   forward_signals first CMD…   only the first one is passed on, as SIGINT (terraform: a second
#                                 interrupt makes it exit at once without saving state, so GitHub's
#                                 SIGTERM is not forwarded and terraform keeps its 10 s to stop cleanly
#                                 and release the state lock)
# Sets `child_status` to the command's exit status.

_forward_signal() {
  local sig="$1"
  _fs_count=$((_fs_count + 1))
  if [ "$_fs_mode" = first ]; then
    if [ "$_fs_count" -eq 1 ]; then
      echo "forward-signals: $sig received; passing SIGINT to $_fs_name (pid $_fs_child) so it stops cleanly" >&2
      kill -s INT "$_fs_child" 2>/dev/null || true
    else
      echo "forward-signals: $sig received again; not passed on: a second interrupt would make $_fs_name exit without cleaning up" >&2
    fi
  else
    kill -s "$sig" "$_fs_child" 2>/dev/null || true
  fi
}

forward_signals() {
  _fs_mode="$1"
  shift
  _fs_name="$(basename "$1")"
  _fs_count=0
  "$@" &
  _fs_child=$!
  # bash starts background jobs of a non-interactive shell with SIGINT ignored; node and terraform
  # install their own handlers, so the forwarded signal reaches them.
  trap '_forward_signal INT' INT
  trap '_forward_signal TERM' TERM
  child_status=0
  # `wait` returns early (status > 128) when a trapped signal arrives: wait again until the child is gone
  while kill -0 "$_fs_child" 2>/dev/null; do
    wait "$_fs_child"
    child_status=$?
  done
  trap - INT TERM
}
