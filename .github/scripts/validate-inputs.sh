#!/usr/bin/env bash
# Validates the inputs of deploy.yml / promote.yml / rollback.yml BEFORE any job binds to a GitHub
# Environment or assumes an AWS role. Binding a job to an environment name that does not exist makes
# GitHub create it (without protection rules), so a bad name must stop here.
#
#   validate-inputs.sh deploy|promote|rollback
#
# Inputs come from environment variables (never interpolated into the script):
#   INPUT_ENVIRONMENT INPUT_SERVICE INPUT_IMAGE_TAG          (deploy)
#   INPUT_SERVICE INPUT_FROM INPUT_TO [INPUT_TAG]            (promote)
#   INPUT_ENVIRONMENT INPUT_SERVICE INPUT_REASON [INPUT_TARGET_RELEASE]   (rollback)
#   SWITCHYARD_ENVIRONMENTS_DIR  directory of the environment files (default: environments/ of this
#                                checkout; the validate jobs' sparse checkout includes it)
#
# The allowed environments are the files environments/<name>.yaml except project.yaml — the same list
# the synth (environments/loader.ts) builds stacks for.
#
# Every problem is printed as one `::error` annotation naming the input and the fix; exit 2 if any
# (the deployer's "refused" code), 0 otherwise. Nothing is changed either way.
set -uo pipefail

mode="${1:-}"
problems=0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
env_dir="${SWITCHYARD_ENVIRONMENTS_DIR:-$root/environments}"
allowed=""
for f in "$env_dir"/*.yaml; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .yaml)"
  [ "$name" = project ] && continue
  allowed="${allowed:+$allowed }$name"
done
if [ -z "$allowed" ]; then
  echo "::error title=validate-inputs::no environment files in $env_dir (environments/<name>.yaml); check it out with the scripts (sparse-checkout: environments)"
  exit 1
fi

fail() {
  echo "::error title=Invalid input::input '$1': $2"
  problems=$((problems + 1))
}

# Same rule as environments/schema.ts service names.
service_re='^([a-z]|[a-z][a-z0-9-]{0,27}[a-z0-9])$'
# OCI tag grammar, or a digest.
tag_re='^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$'
release_re='^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$'

check_environment() { # name value
  local name="$1" value="$2" e
  if [ -z "$value" ]; then fail "$name" "required (one of: $allowed)"; return; fi
  for e in $allowed; do [ "$value" = "$e" ] && return; done
  fail "$name" "must be one of: $allowed (got '$value')"
}

check_service() {
  local value="${INPUT_SERVICE:-}"
  if [ -z "$value" ]; then fail service "required (a service name from environments/<env>.yaml)"; return; fi
  [[ "$value" =~ $service_re ]] || fail service "must be a lower-case service name like api (got '$value')"
}

check_tag() { # name value required
  local name="$1" value="$2" required="$3"
  if [ -z "$value" ]; then
    [ "$required" = required ] && fail "$name" "required (an immutable image tag such as a commit SHA)"
    return
  fi
  if [ "$value" = latest ]; then fail "$name" "'latest' is mutable; use an immutable tag such as the commit SHA"; return; fi
  [[ "$value" =~ $tag_re ]] || fail "$name" "must be an image tag ([A-Za-z0-9_.-], at most 128 characters) or sha256:<digest> (got '$value')"
}

case "$mode" in
  deploy)
    check_environment environment "${INPUT_ENVIRONMENT:-}"
    check_service
    check_tag image-tag "${INPUT_IMAGE_TAG:-}" required
    ;;
  promote)
    check_service
    check_environment from "${INPUT_FROM:-}"
    check_environment to "${INPUT_TO:-}"
    if [ -n "${INPUT_FROM:-}" ] && [ "${INPUT_FROM:-}" = "${INPUT_TO:-}" ]; then
      fail to "must differ from 'from' (both are '${INPUT_TO}')"
    fi
    check_tag tag "${INPUT_TAG:-}" optional
    ;;
  rollback)
    check_environment environment "${INPUT_ENVIRONMENT:-}"
    check_service
    reason="${INPUT_REASON:-}"
    trimmed="${reason//[[:space:]]/}"
    if [ -z "$trimmed" ]; then
      fail reason "required: say why you are rolling back (it is recorded with your name)"
    elif [ "${#reason}" -gt 500 ]; then
      fail reason "at most 500 characters (got ${#reason})"
    elif [[ "$reason" =~ [[:cntrl:]] ]]; then
      fail reason "must be a single line without control characters"
    fi
    target="${INPUT_TARGET_RELEASE:-}"
    if [ -n "$target" ] && ! [[ "$target" =~ $release_re ]]; then
      fail target-release "must be a release id or image tag ([A-Za-z0-9_.:-]) (got '$target')"
    fi
    ;;
  *)
    echo "::error title=validate-inputs::usage: validate-inputs.sh deploy|promote|rollback (got '$mode')"
    exit 1
    ;;
esac

if [ "$problems" -gt 0 ]; then
  echo "$problems input problem(s); nothing was changed."
  exit 2
fi
echo "Inputs valid for $mode."
