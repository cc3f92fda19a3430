#!/usr/bin/env bash
# `elevate aws-login` lists the roles of many accounts and survives one that will not answer: the
# real `elevate` against a real `elevate-emulator` whose scenario gives alex 250 generated accounts (three
# pages of ListAccounts). One account's ListAccountRoles keeps failing: it is named on stderr with why,
# the others' roles are counted, the exit code is 0 (signed in, roles found), and --json lists the
# failure. When no account answers, the exit code is 1. A throttled account (429) is asked again.
# Usage: cli_discover.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
here=$(dirname "$(realpath "$0")")
# shellcheck source=clitest.sh
source "$here/clitest.sh"
require_session curl jq

sandbox
E() { "$elevate" --config "$work/cfg" "$@"; }

jq '.aws.generatedAccounts = {"count": 250, "user": "alex@contoso.example", "roleNames": ["ReadOnlyAccess"],
                              "firstId": "500000000000", "namePrefix": "generated"}' \
    "$here/../../src/emulator/scenarios/demo.json" > scenario.json
start_emulator cfg --scenario scenario.json
# A keychain entry of its own: other scripts may run beside this one in the same session.
jq --arg s "Elevate cli_discover $$" '.keychain.service = $s' cfg > cfg.tmp && mv cfg.tmp cfg
curl_browser

# 1. One account keeps failing (every attempt; Retry-After 0 keeps it quick), one is throttled once.
curl -sf -X POST -H 'Content-Type: application/json' "$base/_emulator/faults" -d '[
  {"path": "/assignment/roles", "query": "account_id=500000000007", "status": 500, "count": 4, "retryAfter": "0"},
  {"path": "/assignment/roles", "query": "account_id=500000000042", "status": 429, "count": 1, "retryAfter": "0"}]' \
    > /dev/null
expect_rc 0 "aws-login with one failing account" E aws-login
grep -q "Signed in to AWS IAM Identity Center" err.txt || fail "no sign-in: $(cat err.txt)"
grep -q "500000000007 (generated-00008) could not be read" err.txt \
    || fail "the failing account is not named on stderr: $(cat err.txt)"
grep -q "1 of 250 AWS accounts could not be read" err.txt || fail "no summary of the failure: $(cat err.txt)"
grep -q "500000000042" err.txt && fail "the throttled account was reported as a failure: $(cat err.txt)"
grep -q "AWS roles you can use right now: 249 (in 249 accounts)" out.txt \
    || fail "the other accounts' roles are not counted: $(cat out.txt)"

# 2. --json: the roles, how many accounts, and the failure with its account and sentence.
curl -sf -X POST -H 'Content-Type: application/json' "$base/_emulator/faults" \
    -d '{"path": "/assignment/roles", "query": "account_id=500000000100", "status": 404, "count": 1}' > /dev/null
expect_rc 0 "aws-login --json" E --json aws-login
jq -e '.accounts == 250 and (.roles | length) == 249 and (.failures | length) == 1
       and .failures[0].accountId == "500000000100" and .failures[0].accountName == "generated-00101"
       and (.failures[0].error | length) > 0' out.txt > /dev/null || fail "--json: $(cat out.txt)"

# 3. No account answers: signed in, but nothing found is a failure (exit 1, the service's error).
curl -sf -X POST -H 'Content-Type: application/json' "$base/_emulator/faults" \
    -d '{"path": "/assignment/roles", "status": 400, "count": 1000}' > /dev/null
expect_rc 1 "aws-login when no account answers" E aws-login
grep -q "None of the 250 AWS accounts could be read" err.txt || fail "no summary: $(cat err.txt)"
[[ $(grep -c "could not be read:" err.txt) -eq 20 ]] || fail "not the first 20 failures: $(cat err.txt)"
grep -q "and 230 more" err.txt || fail "the rest are not counted: $(cat err.txt)"
echo "PASS"
