#!/usr/bin/env bash
# Right before `terraform apply tfplan`: the plan re-creates some production listener rules, which the
# traffic guard (.github/scripts/traffic-guard.ts) allowed because the colour Terraform writes was the
# live one *when the plan ran*. A release may have moved traffic since (the approval can take hours), and
# the saved plan would then reset it onto a colour with no tasks. Read each rule's weights again.
#
#   RECHECK="<rule ARN>@<target group ARN> …" recheck-live-colour.sh
#
# For every pair: the rule must still forward only to that target group (weight > 0 on it alone),
# otherwise the apply is refused with one ::error line naming the rule and what to do (exit 1). Needs
# the AWS CLI and elasticloadbalancing:DescribeRules (read-only). Nothing is changed either way.
# Limit: a release that starts after this check and before Terraform re-creates the rule is not seen.
set -uo pipefail

status=0
for pair in ${RECHECK:-}; do
  rule="${pair%%@*}"
  expected="${pair#*@}"
  if [ -z "$rule" ] || [ -z "$expected" ] || [ "$rule" = "$pair" ]; then
    echo "::error title=Traffic re-check::malformed pair '$pair' (expected <rule ARN>@<target group ARN>)"
    status=1
    continue
  fi
  # AWS (DescribeRules): each forward action lists ForwardConfig.TargetGroups with their Weight.
  if ! serving="$(aws elbv2 describe-rules --rule-arns "$rule" \
    --query 'Rules[0].Actions[?Type==`forward`].ForwardConfig.TargetGroups[] | [?Weight > `0`].TargetGroupArn' \
    --output text 2>&1)"; then
    echo "::error title=Traffic re-check::cannot read $rule: $serving. Not applying."
    status=1
    continue
  fi
  if [ "$serving" != "$expected" ]; then
    echo "::error title=Live colour changed since the plan::$rule now forwards to ${serving:-nothing}, not only to $expected as when the plan was made; the saved plan would reset it. Not applying: run the infra workflow again to plan against the new live colour."
    status=1
  else
    echo "$rule still forwards only to $expected."
  fi
done
exit "$status"
