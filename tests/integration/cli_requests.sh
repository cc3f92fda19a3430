#!/usr/bin/env bash
# Requests from the command line, end to end: the real `elevate` against a real `elevate-emulator`,
# a throwaway HOME, the real keychain. What issue #3 is checked by: policy refused before sending,
# an immediate grant whose end is the requested duration, expiry by the emulator clock recorded in
# the history, injected faults that create no duplicates, approval, cancel, deactivate.
# Usage: cli_requests.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq

work=$(mktemp -d)
export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share"
mkdir -p "$HOME"
cd "$work"
epid=""; wpid=""
cleanup() { [[ -n "$wpid" ]] && kill "$wpid" 2>/dev/null; [[ -n "$epid" ]] && kill "$epid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
E() { "$elevate" --config cfg "$@"; }

start_emulator cfg
group_id() { state | jq -r --arg n "$1" '.eligibilities[] | select(.groupDisplayName == $n) | .groupId' | head -n1; }
posts() { state | jq '[.httpRequests[] | select(.method == "POST" and (.path | test("assignmentScheduleRequests$")))] | length'; }
requests_for() { state | jq --arg g "$1" '[.requests[] | select(.groupId == $g and .action == "selfActivate")] | length'; }

printf '#!/usr/bin/env bash\nexec curl -s -o /dev/null -L "$1"\n' > browser.sh
chmod +x browser.sh
ELEVATE_BROWSER="$work/browser.sh" expect_rc 0 "login" E login

# Refused before anything is sent: a required justification missing, a duration over the maximum,
# an unreadable duration, a target that does not exist.
expect_rc 2 "request without the required justification" E request 210987654321/PowerUserAccess --duration 1h
grep -qi "justification" err.txt || fail "the refusal does not say a justification is required: $(cat err.txt)"
[[ $(wc -l < err.txt) -eq 1 ]] || fail "expected one stderr line: $(cat err.txt)"
expect_rc 2 "a duration over the policy maximum" E request 123456789012/ReadOnlyAccess --duration 9h
grep -q "8 h" err.txt || fail "the refusal does not name the maximum: $(cat err.txt)"
expect_rc 2 "an unreadable duration" E request 123456789012/ReadOnlyAccess --duration soon
expect_rc 2 "a target that does not exist" E request 999999999999/Nothing --duration 1h
expect_rc 2 "request without a target" E request
[[ $(posts) -eq 0 ]] || fail "a refused request reached PIM"

# An immediate grant: its end is the requested duration after its start.
expect_rc 0 "request ReadOnlyAccess for 1h30m" E request 123456789012/ReadOnlyAccess --duration 1h30m --json
[[ $(jq -r .status out.txt) == Provisioned ]] || fail "expected Provisioned: $(cat out.txt)"
expect_rc 0 "status --json" E status --json
grant=$(jq '.grants[] | select(.target == "123456789012/ReadOnlyAccess")' out.txt)
[[ -n "$grant" ]] || fail "status does not show the grant: $(cat out.txt)"
start=$(date -d "$(jq -r .start <<< "$grant")" +%s); end=$(date -d "$(jq -r .end <<< "$grant")" +%s)
[[ $((end - start)) -eq 5400 ]] || fail "the grant lasts $((end - start)) s, not 5400"
left=$(jq .secondsRemaining <<< "$grant")
(( left > 5300 && left <= 5400 )) || fail "secondsRemaining is $left"
expect_rc 0 "status" E status
grep -q "123456789012/ReadOnlyAccess  until" out.txt || fail "human status lacks the grant: $(cat out.txt)"

# Deactivating inside PIM's first 5 minutes is refused with a sentence that says so.
expect_rc 1 "deactivate at once" E deactivate 123456789012/ReadOnlyAccess
grep -q "5 minutes" err.txt || fail "the refusal does not explain the 5-minute rule: $(cat err.txt)"

# A second activation while it is live: PIM says it exists; nothing new is created.
ro=$(group_id AWS-123456789012-ReadOnlyAccess)
expect_rc 1 "activate twice" E request 123456789012/ReadOnlyAccess --duration 1h
grep -qi "already active" err.txt || fail "the duplicate is not explained: $(cat err.txt)"
[[ $(requests_for "$ro") -eq 1 ]] || fail "a refused duplicate created a request in PIM"

# The emulator clock passes the end: the grant disappears and the history says it expired.
admin clock/advance '{"seconds": 5460}'
expect_rc 0 "status after the end" E status --json
[[ $(jq '[.grants[] | select(.target == "123456789012/ReadOnlyAccess")] | length' out.txt) -eq 0 ]] \
    || fail "the grant is still shown after its end: $(cat out.txt)"
expect_rc 0 "history --json" E history --json
[[ $(jq -r '[.[] | select(.target == "123456789012/ReadOnlyAccess" and .outcome == "Expired")] | length' out.txt) -eq 1 ]] \
    || fail "the history does not record the expiry: $(cat out.txt)"
expect_rc 0 "history --csv" E history --csv
head -n1 out.txt | grep -q "^request_id,target," || fail "CSV header missing"
grep -q "123456789012/ReadOnlyAccess.*Expired" out.txt || fail "CSV lacks the expired grant"

# Faults on the POST: none of them may create a second request.
pu=$(group_id AWS-210987654321-PowerUserAccess)
admin faults '{"path": "assignmentScheduleRequests", "method": "POST", "status": 503, "count": 1}'
expect_rc 0 "request through a 503" E request 210987654321/PowerUserAccess --duration 1h --justification "Deploy hotfix"
[[ $(requests_for "$pu") -eq 1 ]] || fail "a 503 led to $(requests_for "$pu") requests"
ro2=$(group_id AWS-210987654321-ReadOnlyAccess)
admin faults '{"path": "assignmentScheduleRequests", "method": "POST", "status": 504, "when": "after", "count": 1}'
expect_rc 0 "request whose answer is lost" E request 210987654321/ReadOnlyAccess --duration 1h --justification "Read logs"
[[ $(requests_for "$ro2") -eq 1 ]] || fail "a lost answer led to $(requests_for "$ro2") requests"
bi=$(group_id AWS-345678901234-Billing)
admin faults '{"path": "assignmentScheduleRequests", "method": "POST", "status": 429, "retryAfter": "0.5", "count": 1}'
expect_rc 0 "request through a 429" E request 345678901234/Billing --duration 30m --justification "Invoices"
[[ $(requests_for "$bi") -eq 1 ]] || fail "a 429 led to $(requests_for "$bi") requests"
# The wait is shown, once, with the time of the retry.
[[ $(grep -c "^Microsoft Graph asked Elevate to wait; retrying at [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$" err.txt) -eq 1 ]] \
    || fail "the throttling wait was not shown once: $(cat err.txt)"
admin faults '{"path": "assignmentScheduleRequests", "method": "POST", "status": 500, "count": 10}'
expect_rc 1 "request while PIM keeps failing" E request 123456789012/ReadOnlyAccess --duration 1h
[[ $(wc -l < err.txt) -eq 1 ]] || fail "expected one stderr line: $(cat err.txt)"
curl -sf -X DELETE "$base/_emulator/faults" > /dev/null
expect_rc 0 "status after the faults" E status --json
[[ $(jq '.grants | length' out.txt) -eq 3 ]] || fail "expected exactly three grants: $(cat out.txt)"

# Approval: pending, shown in status, canceled.
admin_id=$(group_id AWS-123456789012-AdministratorAccess)
expect_rc 2 "approval target without a ticket" E request 123456789012/AdministratorAccess --duration 2h --justification "Rotate KMS"
grep -qi "ticket" err.txt || fail "the missing ticket is not named: $(cat err.txt)"
expect_rc 0 "request needing approval" E request 123456789012/AdministratorAccess --duration 2h \
    --justification "Rotate KMS" --ticket-system Jira --ticket OPS-7 --json
[[ $(jq -r .status out.txt) == PendingApproval ]] || fail "expected PendingApproval: $(cat out.txt)"
rid=$(jq -r .id out.txt)
expect_rc 0 "status shows the pending request" E status --json
[[ $(jq -r --arg id "$rid" '.pending[] | select(.id == $id) | .ticketNumber' out.txt) == OPS-7 ]] || fail "pending request missing"
expect_rc 0 "cancel" E cancel "$rid"
[[ $(state | jq -r --arg id "$rid" '.requests[] | select(.id == $id) | .status') == Canceled ]] || fail "not canceled in PIM"
expect_rc 2 "cancel again" E cancel "$rid"
expect_rc 0 "history after cancel" E history --json
[[ $(jq -r --arg id "$rid" '.[] | select(.requestId == $id) | .outcome' out.txt) == Canceled ]] || fail "history lacks the cancel"

# --wait follows a request until an approver decides.
"$elevate" --config cfg request 345678901234/NetworkAdministrator --duration 45m --justification "Firewall change" \
    --wait --json > wait.out 2> wait.err &
wpid=$!
nid=""
for _ in $(seq 1 100); do
    nid=$(state | jq -r '.requests[] | select(.groupDisplayName == "AWS-345678901234-NetworkAdministrator" and .status == "PendingApproval") | .id' | head -n1)
    [[ -n "$nid" ]] && break; sleep 0.1
done
[[ -n "$nid" ]] || fail "the waiting request never reached PIM"
# (The approval's stage may still be opening: the emulator answers 409 until it is.)
eventually "the approver's decision" \
    admin decide "{\"request\": \"$nid\", \"decision\": \"Approve\", \"approver\": \"megan@contoso.example\", \"justification\": \"ok\"}"
set +e; wait "$wpid"; rc=$?; set -e; wpid=""
[[ $rc -eq 0 ]] || { cat wait.out wait.err; fail "request --wait ended with $rc"; }
[[ $(jq -r .status wait.out) == Provisioned ]] || fail "request --wait did not end active: $(cat wait.out)"
[[ $(jq -r .grant.end wait.out) != null ]] || fail "request --wait does not report the grant's end"
expect_rc 0 "history shows the approval" E history --json
[[ $(jq -r --arg id "$nid" '.[] | select(.requestId == $id) | .decision' out.txt) == Approved ]] || fail "the approval is not on record"

expect_rc 2 "deactivate something not active" E deactivate 123456789012/AdministratorAccess
expect_rc 2 "--csv on another command" E status --csv
echo "PASS"
