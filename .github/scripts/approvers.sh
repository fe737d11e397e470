#!/usr/bin/env bash
# Records who approved this job for its GitHub Environment, for the release record: writes
# SWITCHYARD_APPROVERS=<login,login…> to $GITHUB_ENV, which switchyard reads (cli/context.ts auditFromEnv).
#
#   approvers.sh <environment>        (env: GH_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_ENV)
#
# What GitHub provides: the job's own context carries no approver (github.event is the payload of the
# event that started the run — workflow_dispatch inputs, the calling workflow's event — not the review).
# The review is exposed by the REST endpoint "Get the review history for a workflow run",
# GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals: each entry has `state` (approved, rejected),
# `user.login`, `comment` and `environments[].name`; the GITHUB_TOKEN reads it with `actions: read`. The
# history covers the whole run (every attempt): an approver of an earlier attempt is listed too.
#
# Written: the logins of `approved` reviews naming this environment, sorted, de-duplicated; empty when
# there is none (an environment without required reviewers). Best effort: when the history cannot be read
# a warning is printed, nothing is written (switchyard then records no approval data) and the job goes on.
set -uo pipefail

environment="${1:-}"
if [ -z "$environment" ]; then
  echo "::error title=approvers.sh::usage: approvers.sh <environment>"
  exit 1
fi
for v in GITHUB_REPOSITORY GITHUB_RUN_ID GITHUB_ENV; do
  if [ -z "${!v:-}" ]; then
    echo "::warning title=approvers not recorded::$v is not set"
    exit 0
  fi
done

if ! body="$(gh api "repos/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/approvals" 2>&1)"; then
  echo "::warning title=approvers not recorded::could not read the review history of run $GITHUB_RUN_ID (needs actions: read): ${body//$'\n'/ }"
  exit 0
fi
if ! logins="$(jq -r --arg env "$environment" '
    [ .[]
      | select(.state == "approved")
      | select(any(.environments[]?; (.name | ascii_downcase) == ($env | ascii_downcase)))
      | .user.login
      | select(type == "string" and test("^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\\[bot\\])?$"))
    ] | unique | join(",")' <<<"$body" 2>&1)"; then
  echo "::warning title=approvers not recorded::unexpected answer from the review history: ${logins//$'\n'/ }"
  exit 0
fi

echo "SWITCHYARD_APPROVERS=$logins" >> "$GITHUB_ENV"
if [ -n "$logins" ]; then
  echo "Approved for $environment by: $logins"
else
  echo "No approval recorded for $environment (the environment requires no review)."
fi
