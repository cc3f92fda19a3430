#!/usr/bin/env bash
# elevate-bridge end to end (issue 13): the real `elevate-bridge` and `elevate` against a real
# `elevate-emulator` whose SCIM sync takes an hour, a throwaway HOME, the real keychain. A user
# activates a role without approval; one `--once` cycle pushes it (JSON lines on stdout, a push event
# with result Success) and Identity Center lists the role at once, not after the hour. As a service
# with bridge.listen: /healthz and /metrics answer; a deactivation is pushed as an end; SIGTERM exits
# 0 with a "stopped" event; a restart pushes nothing again. Refused: usage (2), a secret file others
# can read (3, naming chmod), a wrong secret (4, AADSTS7000215), a missing application permission
# (5, naming it). The client secret and every token never show up in stdout, stderr or any process's
# arguments.
# Usage: bridge_service.sh ELEVATE ELEVATE_EMULATOR ELEVATE_BRIDGE
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
bridge=$(realpath "$3")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq

sandbox
bpid=""
cleanup() {
    [[ -n "${bpid:-}" ]] && kill "$bpid" 2>/dev/null
    [[ -n "${epid:-}" ]] && kill "$epid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
record_elevate
sample_cmdlines
E() { "$elevate" --config "$work/cfg" "$@"; }

# B CONFIG ARGS...: the bridge, with stdout and stderr also appended to printed.txt (leak check).
B() {
    local config=$1; shift
    set +e
    "$bridge" --config "$config" "$@" > bout.txt 2> berr.txt
    local rc=$?
    set -e
    cat bout.txt berr.txt >> "$work/printed.txt"
    return $rc
}
# expect_bridge CODE DESCRIPTION CONFIG ARGS...
expect_bridge() {
    local want=$1 what=$2 rc=0; shift 2
    B "$@" || rc=$?
    [[ $rc -eq $want ]] || { cat bout.txt berr.txt; fail "$what: exit $rc, expected $want"; }
}
# json_lines FILE: every line of FILE is one JSON object with time, level and event.
json_lines() {
    local n
    n=$(jq -c 'select(type == "object" and (.time | type) == "string" and (.event | type) == "string"
                      and (.level == "info" or .level == "warning" or .level == "error"))' "$1" | wc -l) \
        || fail "$1 is not JSON lines: $(head -c 400 "$1")"
    [[ $n -eq $(wc -l < "$1") ]] || fail "$1 has lines that are not events: $(head -c 400 "$1")"
}
pushes() { jq -c --arg g "$2" 'select(.event == "push" and ((.group // "") == $g))' "$1"; }

# The emulator, with an hour between a PIM activation and its role in Identity Center, so that only
# the bridge can make it appear sooner.
start_emulator cfg --scim-delay 3600 --write-bridge-config "$work/bridge.json"
[[ -s bridge.json ]] || fail "the emulator wrote no bridge configuration"
secret_file=$(jq -r '.bridge.clientSecretFile' bridge.json)
[[ -s $secret_file ]] || fail "the bridge configuration names no secret file: $(cat bridge.json)"
[[ $(stat -c %a "$secret_file") == 600 ]] || fail "the emulator wrote the secret file readable by others"
cat "$secret_file" >> secrets.txt
jq --arg s "$work/state.sqlite" '.bridge.statePath = $s | .bridge.pollSeconds = 5 | del(.bridge.listen)' \
    bridge.json > b1.json

# Usage errors: 2, one line on stderr.
expect_bridge 2 "no --config" "" # an empty --config value is no configuration either
grep -q "config" berr.txt || fail "the usage error does not name --config: $(cat berr.txt)"
set +e; "$bridge" --no-such-option > bout.txt 2> berr.txt; rc=$?; set -e
[[ $rc -eq 2 ]] || fail "an unknown option: exit $rc, expected 2"
expect_bridge 3 "a configuration that does not exist" "$work/nothing.json"
expect_bridge 0 "--version" b1.json --version
grep -q "elevate-bridge" bout.txt || fail "--version: $(cat bout.txt)"

# A user activates a role that needs no approval, signed in to Identity Center before.
curl_browser
expect_rc 0 "login" E login
expect_rc 0 "aws-login" E aws-login
expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --json
[[ $(jq -r .status out.txt) == Provisioned ]] || fail "expected Provisioned: $(cat out.txt)"
ro=$(state | jq -r '.eligibilities[] | select(.groupDisplayName == "AWS-123456789012-ReadOnlyAccess") | .groupId' | head -n1)
alex=$(state | jq -r '.users[] | select(.upn == "alex@contoso.example") | .id')
[[ -n $ro && -n $alex ]] || fail "no group or user id in the emulator's state"
in_aws() { # true when Identity Center lists alex's role of group $1 (default ReadOnlyAccess) now (emulator clock)
    state | jq -e --arg g "${1:-$ro}" '.now as $now | [.aws.memberships[] | select(.user == "alex@contoso.example"
        and .groupId == $g and .appearsInAws != null and .appearsInAws <= $now
        and (.leavesAws == null or .leavesAws > $now))] | length > 0' > /dev/null
}
if in_aws; then fail "Identity Center lists the role before anything pushed it"; fi
# Graph shows another reader the activation after its replication lag (realistic profile: 3 s).
eventually "the grant is readable" sh -c "$elevate --config $work/cfg status --json | jq -e '.grants | length > 0' > /dev/null"
expect_rc 0 "profiles before the bridge" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "expected waiting: $(cat out.txt)"

# One cycle: exit 0, JSON lines, a push of alex's start with result Success.
pods_before=$(state | jq '.aws.provisionOnDemand | length')
expect_bridge 0 "bridge --once" b1.json --once
json_lines bout.txt
pushes bout.txt "$ro" > push.txt
[[ -s push.txt ]] || fail "no push event for the activated group: $(cat bout.txt)"
[[ -n $(jq -c 'select(.result == "Success" and .kind == "start")' push.txt) ]] || fail "the push did not succeed: $(cat push.txt)"
grep -q "$alex" push.txt || fail "the push does not name the member: $(cat push.txt)"
(( $(state | jq '.aws.provisionOnDemand | length') > pods_before )) || fail "the emulator saw no provisionOnDemand"
[[ $(jq -c 'select(.level == "error")' bout.txt | wc -l) -eq 0 ]] || fail "errors in a good cycle: $(cat bout.txt)"
# Identity Center lists it now, nowhere near the hour's SCIM delay; so does the user's Elevate.
in_aws || fail "Identity Center does not list the role after the push: $(state | jq -c .aws.memberships)"
expect_rc 0 "profiles after the push" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == ready ]] || fail "expected ready after the push: $(cat out.txt)"

# As a service, with the health endpoint on a free port.
jq '.bridge.listen = "127.0.0.1:0"' b1.json > b2.json
: > svc.out
"$bridge" --config b2.json > svc.out 2> svc.err &
bpid=$!
port=""
for _ in $(seq 1 100); do
    port=$(jq -r 'select(.event == "listening") | .port' svc.out 2>/dev/null | head -n1)
    [[ -n $port ]] && break
    sleep 0.1
done
[[ -n $port ]] || { cat svc.out svc.err; fail "the service did not say where it listens"; }
healthy() { [[ $(curl -s -o health.json -w '%{http_code}' "http://127.0.0.1:$port/healthz") == 200 ]]; }
eventually "/healthz answers 200" healthy
jq -e '.status == "ok"' health.json > /dev/null || fail "/healthz: $(cat health.json)"
curl -sf "http://127.0.0.1:$port/metrics" > metrics.txt || fail "/metrics did not answer"
for family in elevate_bridge_polls_total elevate_bridge_graph_requests_total elevate_bridge_pushes_total \
              elevate_bridge_queue_length elevate_bridge_watched_groups elevate_bridge_push_latency_seconds_bucket \
              elevate_bridge_last_success_timestamp_seconds; do
    grep -q "^$family" metrics.txt || fail "/metrics lacks $family: $(head -c 600 metrics.txt)"
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing") == 404 ]] || fail "/nothing is not 404"
# It pushes nothing it already pushed (the state file).
[[ -z $(pushes svc.out "$ro") ]] || fail "the service pushed the start again: $(pushes svc.out "$ro")"

# The grant ends (PIM refuses a deactivation in its first 5 minutes): the end is pushed.
admin clock/advance '{"seconds": 310}'
expect_rc 0 "deactivate" E deactivate 123456789012/ReadOnlyAccess
ended() { [[ -n $(pushes svc.out "$ro" | jq -c 'select((.kind | split(",") | index("end")) and .result == "Success")') ]]; }
eventually "the end is pushed" ended
if in_aws; then fail "Identity Center still lists the role after the end was pushed"; fi

# SIGTERM: exit 0, the last event "stopped".
kill -TERM "$bpid"
set +e; wait "$bpid"; rc=$?; set -e
bpid=""
cat svc.out svc.err >> printed.txt
[[ $rc -eq 0 ]] || { cat svc.err; fail "SIGTERM: exit $rc, expected 0"; }
json_lines svc.out
[[ $(tail -n1 svc.out | jq -r .event) == stopped ]] || fail "the last event is not stopped: $(tail -n3 svc.out)"

# A restart pushes nothing again.
pods=$(state | jq '.aws.provisionOnDemand | length')
expect_bridge 0 "bridge --once after the restart" b1.json --once
[[ -z $(jq -c 'select(.event == "push")' bout.txt) ]] || fail "the restart pushed again: $(cat bout.txt)"
[[ $(state | jq '.aws.provisionOnDemand | length') -eq $pods ]] || fail "the restart called provisionOnDemand"

# A second activation, first in a dry run: it says what it would push, pushes and records nothing.
expect_rc 0 "request Staging" E request 210987654321/ReadOnlyAccess --duration 1h --justification "bridge test" --json
st=$(state | jq -r '.eligibilities[] | select(.groupDisplayName == "AWS-210987654321-ReadOnlyAccess") | .groupId' | head -n1)
eventually "the second grant is readable" sh -c "[ \$($elevate --config $work/cfg status --json | jq '.grants | length') -gt 0 ]"
expect_bridge 0 "bridge --once --dry-run" b1.json --once --dry-run
json_lines bout.txt
[[ -n $(pushes bout.txt "$st" | jq -c 'select(.result == "DryRun")') ]] || fail "the dry run does not say what it would push: $(cat bout.txt)"
[[ $(state | jq '.aws.provisionOnDemand | length') -eq $pods ]] || fail "a dry run called provisionOnDemand"
if in_aws "$st"; then fail "a dry run made the role appear"; fi
# The real run pushes it (the dry run recorded nothing as pushed).
expect_bridge 0 "bridge --once after the dry run" b1.json --once
[[ -n $(pushes bout.txt "$st" | jq -c 'select(.result == "Success" and .kind == "start")') ]] \
    || fail "the start was not pushed after the dry run: $(cat bout.txt)"
in_aws "$st" || fail "Identity Center does not list the second role after the push"
# It ends while no bridge runs; the next run pushes the end.
admin clock/advance '{"seconds": 310}'
expect_rc 0 "deactivate Staging" E deactivate 210987654321/ReadOnlyAccess
eventually "the second grant is gone" sh -c "[ \$($elevate --config $work/cfg status --json | jq '.grants | length') -eq 0 ]"
expect_bridge 0 "bridge --once after an end while it was down" b1.json --once
[[ -n $(pushes bout.txt "$st" | jq -c 'select(.result == "Success" and .kind == "end")') ]] \
    || fail "the end that happened while the bridge was down was not pushed: $(cat bout.txt)"
if in_aws "$st"; then fail "Identity Center still lists the second role after its end was pushed"; fi
[[ -z $(pushes bout.txt "$ro") ]] || fail "the first group was pushed again: $(cat bout.txt)"

# A secret file others may read: 3, naming chmod; nothing is sent.
cp "$secret_file" open-secret && chmod 644 open-secret
jq --arg f "$work/open-secret" '.bridge.clientSecretFile = $f' b1.json > b3.json
expect_bridge 3 "a secret file readable by others" b3.json --once
grep -q "chmod" berr.txt || fail "the refusal does not say chmod: $(cat berr.txt)"
grep -q "open-secret" berr.txt || fail "the refusal does not name the file: $(cat berr.txt)"

# A wrong secret: 4 with Entra's AADSTS7000215.
printf 'not-the-secret-%s\n' "$RANDOM$RANDOM" > wrong-secret && chmod 600 wrong-secret
jq --arg f "$work/wrong-secret" '.bridge.clientSecretFile = $f' b1.json > b4.json
expect_bridge 4 "a wrong secret" b4.json --once
grep -q "AADSTS7000215" berr.txt || fail "the refusal does not carry AADSTS7000215: $(cat berr.txt)"
json_lines bout.txt

# The bridge app without the permission to read PIM's assignments: 5, naming it.
# (The application is posted again without it; the body carries the secret, so it goes in a file.)
client_id=$(jq -r .entra.clientId b1.json)
curl -sf "$base/_emulator/applications" \
    | jq --arg id "$client_id" --rawfile secret "$secret_file" \
        '.applications[] | select(.clientId == $id) | {clientId, displayName, ownerOf, secret: ($secret | rtrimstr("\n")),
         roles: [.roles[] | select(. != "PrivilegedAssignmentSchedule.Read.AzureADGroup")]}' > app.json
[[ $(jq '.roles | length' app.json) -gt 0 ]] || fail "the bridge application has no other permission: $(jq -c .roles app.json)"
curl -sf -X POST -H 'Content-Type: application/json' "$base/_emulator/applications" -d @app.json > /dev/null \
    || fail "the emulator refused to take the permission away"
rm -f app.json
expect_bridge 5 "a missing application permission" b1.json --once
grep -q "PrivilegedAssignmentSchedule.Read.AzureADGroup" berr.txt \
    || fail "the refusal does not name the permission: $(cat berr.txt)"

# Nothing secret in anything printed or in any process's arguments.
collect_secrets
check_no_leaks
echo "PASS"
