#!/usr/bin/env bash
# aws.sync.bridge from the command line (issue 13, item 4): with the organisation's elevate-bridge
# named in the configuration, `profiles`, `credential-process`, `env` and `status` say that the bridge
# is pushing the role and expect it within a minute; past the five-minute limit they say the bridge
# may be down or behind and to ask whoever runs it; `profiles --json` carries the times and
# "bridge": true. Without the key, the same commands keep Entra's 40-minute cycle and "bridge": false.
# Usage: cli_awsbridge.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq

sandbox
E() { "$elevate" --config "$work/cfg" "$@"; }
start_emulator cfg
admin settings '{"scimDelaySeconds": 10800}' # AWS does not get the role in this test
target=123456789012/ReadOnlyAccess

curl_browser
expect_rc 0 "login" E login
expect_rc 0 "aws-login" E aws-login
expect_rc 0 "request" E request $target --duration 2h --wait

# Without the bridge: Entra's cycle.
expect_rc 0 "profiles --json, no bridge" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "expected waiting: $(cat out.txt)"
[[ $(jq -r '.profiles[0].bridge' out.txt) == false ]] || fail "bridge without the key: $(cat out.txt)"
[[ $(jq -r '.profiles[0].typicalMinutes' out.txt) == 40 ]] || fail "typical time without the bridge: $(cat out.txt)"
[[ $(jq -r '.profiles[0].limitMinutes' out.txt) == 60 ]] || fail "limit without the bridge: $(cat out.txt)"
expect_rc 0 "profiles, no bridge" E profiles
grep -q "waiting for AWS sync" out.txt || fail "no sync wording without the bridge: $(cat out.txt)"
if grep -qi "bridge" out.txt err.txt; then fail "a bridge named without the key: $(cat out.txt err.txt)"; fi
expect_rc 1 "credential-process, no bridge" E credential-process --account 123456789012 --role ReadOnlyAccess
grep -q "Entra's sync" err.txt || fail "credential-process without the bridge: $(cat err.txt)"

# With the bridge, as an administrator would set it: only the key, no times of its own.
jq '.aws.sync.bridge = true | del(.aws.sync.typicalMinutes, .aws.sync.limitMinutes)' cfg > cfg.tmp && mv cfg.tmp cfg
expect_rc 0 "profiles --json, bridge" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "expected waiting: $(cat out.txt)"
[[ $(jq -r '.profiles[0].bridge' out.txt) == true ]] || fail "no \"bridge\": true: $(cat out.txt)"
[[ $(jq -r '.profiles[0].typicalMinutes' out.txt) == 1 ]] || fail "typical time with the bridge: $(cat out.txt)"
[[ $(jq -r '.profiles[0].limitMinutes' out.txt) == 5 ]] || fail "limit with the bridge: $(cat out.txt)"
[[ $(jq -r '.profiles[0].overLimit' out.txt) == false ]] || fail "over the limit at once: $(cat out.txt)"
expect_rc 0 "profiles, bridge" E profiles
grep -q "your organisation's bridge is pushing the role" out.txt || fail "the bridge is not named: $(cat out.txt)"
grep -q "usually within 1 min" out.txt || fail "not the bridge's minute: $(cat out.txt)"
if grep -q "sync" out.txt; then fail "sync wording with the bridge: $(cat out.txt)"; fi
expect_rc 1 "credential-process, bridge" E credential-process --account 123456789012 --role ReadOnlyAccess
[[ ! -s out.txt ]] || fail "credential-process printed to stdout on refusal"
grep -q "your organisation's bridge is pushing it" err.txt || fail "credential-process with the bridge: $(cat err.txt)"
if grep -q "Entra's sync" err.txt; then fail "Entra's sync named with the bridge: $(cat err.txt)"; fi
expect_rc 1 "env, bridge" E env $target
grep -q "your organisation's bridge is pushing it" err.txt || fail "env with the bridge: $(cat err.txt)"
grep -q "longer than 5" err.txt || fail "env does not give the bridge's limit: $(cat err.txt)"

# Two minutes on: the sign-in predates the moment the bridge should have pushed: a fresh sign-in.
admin clock/advance '{"seconds": 120}'
expect_rc 0 "status, bridge, two minutes" E status
grep -q "your organisation's bridge should have pushed it" err.txt || fail "no bridge fresh-sign-in hint: $(cat err.txt)"
if grep -q "may be down or behind" err.txt; then fail "the limit said before it passed: $(cat err.txt)"; fi
expect_rc 0 "aws-login --fresh" E aws-login --fresh

# Past five minutes, with a sign-in newer than that: the bridge may be down or behind.
admin clock/advance '{"seconds": 200}'
expect_rc 0 "status, bridge, over the limit" E status
grep -q "your organisation's bridge may be down or behind" err.txt || fail "status past the limit: $(cat err.txt)"
grep -q "ask whoever runs it" err.txt || fail "status does not say whom to ask: $(cat err.txt)"
expect_rc 0 "profiles --json, over the limit" E profiles --json
[[ $(jq -r '.profiles[0].overLimit' out.txt) == true ]] || fail "not over the limit: $(cat out.txt)"
[[ $(jq -r '.profiles[0].waitingSeconds' out.txt) -gt 300 ]] || fail "waited less than 5 min: $(cat out.txt)"
expect_rc 0 "profiles, over the limit" E profiles
grep -q "not pushed after" out.txt || fail "profiles past the limit: $(cat out.txt)"
grep -q "bridge may be down or behind, ask whoever runs it" out.txt || fail "profiles past the limit: $(cat out.txt)"
echo "PASS"
