#!/usr/bin/env bash
# Approvals from the command line with two (three) people on one emulator: a requester and
# approvers, each with a throwaway HOME, their own configuration and keychain entries.
# What issue #4 is checked by: the request stays pending; the approver's `approvals --json` lists it
# with justification and ticket; `approve` makes the requester's status active; a second approve
# fails cleanly. Also deny, no self-approval, and a request that lapses after 24 hours.
# Usage: cli_approvals.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq

work=$(mktemp -d)
cd "$work"
epid=""
cleanup() { [[ -n "$epid" ]] && kill "$epid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# as USER elevate-args...: runs elevate with that person's HOME and configuration.
as() {
    local who=$1; shift
    HOME="$work/$who" XDG_DATA_HOME="$work/$who/.local/share" XDG_CONFIG_HOME="$work/$who/.config" \
        "$elevate" --config "$work/$who.json" "$@"
}

start_emulator base.json
# Conditions that hold once Graph shows what someone else did (it lags behind writes, see clitest.sh).
queue_lists() { as "$1" approvals --json > q.txt 2> /dev/null && [[ $(jq --arg id "$2" '[.[] | select(.id == $id)] | length' q.txt) -eq 1 ]]; }
has_grant() { as "$1" status --json > s.txt 2> /dev/null && [[ $(jq --arg t "$2" '[.grants[] | select(.target == $t)] | length' s.txt) -eq 1 ]]; }
outcome_is() { as alex history --json > h.txt 2> /dev/null && [[ $(jq -r --arg id "$1" '.[] | select(.requestId == $id) | .outcome' h.txt) == "$2" ]]; }
printf '#!/usr/bin/env bash\nexec curl -s -o /dev/null -L "$1"\n' > browser.sh
chmod +x browser.sh
export ELEVATE_BROWSER="$work/browser.sh"

for who in alex megan lee; do
    mkdir -p "$work/$who"
    jq --arg s "Elevate approvals test $who" '.keychain.service = $s' base.json > "$who.json"
    expect_rc 0 "login $who" as "$who" login --login-hint "$who@contoso.example" --json
    [[ $(jq -r .userPrincipalName out.txt) == "$who@contoso.example" ]] || fail "$who signed in as someone else"
done

expect_rc 0 "approvals while nothing waits" as megan approvals --json
[[ $(jq length out.txt) -eq 0 ]] || fail "expected an empty queue: $(cat out.txt)"

# The requester asks; it stays pending.
expect_rc 0 "request needing approval" as alex request 345678901234/NetworkAdministrator --duration 45m \
    --justification "Open port 443 for the release" --ticket-system Jira --ticket OPS-77 --json
[[ $(jq -r .status out.txt) == PendingApproval ]] || fail "expected PendingApproval: $(cat out.txt)"
rid=$(jq -r .id out.txt)
expect_rc 0 "requester status" as alex status --json
[[ $(jq --arg id "$rid" '[.pending[] | select(.id == $id)] | length' out.txt) -eq 1 ]] || fail "not pending for alex"
[[ $(jq '.grants | length' out.txt) -eq 0 ]] || fail "a grant before approval"

# The approver sees it, with justification and ticket and who asked.
eventually "the approver does not see the request" queue_lists megan "$rid"
expect_rc 0 "approvals --json" as megan approvals --json
item=$(jq --arg id "$rid" '.[] | select(.id == $id)' out.txt)
[[ -n "$item" ]] || fail "the approver does not see the request: $(cat out.txt)"
[[ $(jq -r .justification <<< "$item") == "Open port 443 for the release" ]] || fail "justification missing"
[[ $(jq -r .ticketNumber <<< "$item") == OPS-77 ]] || fail "ticket missing"
[[ $(jq -r .requesterUpn <<< "$item") == alex@contoso.example ]] || fail "requester missing"
left=$(jq .secondsLeftToDecide <<< "$item")
(( left > 86000 && left <= 86400 )) || fail "secondsLeftToDecide is $left"
expect_rc 0 "approvals (human)" as megan approvals
grep -q "Open port 443" out.txt || fail "human queue lacks the justification"

# A decision without a justification is refused before anything is sent.
expect_rc 2 "approve without justification" as megan approve "$rid"
[[ $(state | jq -r --arg id "$rid" '.requests[] | select(.id == $id) | .status') == PendingApproval ]] || fail "decided anyway"

expect_rc 0 "approve" as megan approve "$rid" --justification "Release window agreed"
eventually "the requester's grant is not active" has_grant alex 345678901234/NetworkAdministrator
# A second approver comes too late: a clean failure, nothing decided twice.
expect_rc 1 "a second approve" as lee approve "$rid" --justification "me too"
grep -qi "decided first" err.txt || fail "the late approver is not told someone decided first: $(cat err.txt)"
grep -q "Megan" err.txt || fail "the late approver is not told who decided: $(cat err.txt)"
[[ $(wc -l < err.txt) -eq 1 ]] || fail "expected one stderr line: $(cat err.txt)"
expect_rc 1 "approving it again" as megan approve "$rid" --justification "again"
expect_rc 0 "requester history" as alex history --json
entry=$(jq --arg id "$rid" '.[] | select(.requestId == $id)' out.txt)
[[ $(jq -r .decision <<< "$entry") == Approved ]] || fail "history lacks the approval: $entry"
[[ $(jq -r .approver <<< "$entry") == "Megan Bowen" ]] || fail "history lacks who approved: $entry"
[[ $(jq -r .decisionJustification <<< "$entry") == "Release window agreed" ]] || fail "history lacks why: $entry"

# Deny: the requester learns who denied and why.
expect_rc 0 "request to be denied" as alex request 123456789012/AdministratorAccess --duration 1h \
    --justification "Rotate keys" --ticket-system Jira --ticket OPS-78 --json
did=$(jq -r .id out.txt)
eventually "the approver does not see the request to deny" queue_lists megan "$did"
expect_rc 0 "deny" as megan deny "$did" --justification "Use the break-glass process"
eventually "history lacks the denial" outcome_is "$did" Denied
entry=$(jq --arg id "$did" '.[] | select(.requestId == $id)' h.txt)
[[ $(jq -r .outcome <<< "$entry") == Denied ]] || fail "history lacks the denial: $entry"
[[ $(jq -r .decisionJustification <<< "$entry") == "Use the break-glass process" ]] || fail "no reason: $entry"
expect_rc 0 "requester status after deny" as alex status --json
[[ $(jq '[.grants[] | select(.target == "123456789012/AdministratorAccess")] | length' out.txt) -eq 0 ]] || fail "denied but active"

# No self-approval: megan's own request is not in her queue and she cannot decide it; lee can.
expect_rc 0 "approver requests for herself" as megan request 345678901234/NetworkAdministrator --duration 30m \
    --justification "Own change" --json
mid=$(jq -r .id out.txt)
eventually "lee does not see megan's request" queue_lists lee "$mid" # visible to approvers from here on
expect_rc 0 "megan's queue" as megan approvals --json
[[ $(jq --arg id "$mid" '[.[] | select(.id == $id)] | length' out.txt) -eq 0 ]] || fail "self-approval offered"
expect_rc 1 "self-approval" as megan approve "$mid" --justification "trust me"
expect_rc 0 "lee's queue" as lee approvals --json
[[ $(jq --arg id "$mid" '[.[] | select(.id == $id)] | length' out.txt) -eq 1 ]] || fail "lee does not see megan's request"
expect_rc 0 "lee approves megan" as lee approve "$mid" --justification "Checked with the team"

# A request nobody decides lapses after 24 hours of emulator time.
expect_rc 0 "request left alone" as alex request 123456789012/AdministratorAccess --duration 1h \
    --justification "Weekend work" --ticket-system Jira --ticket OPS-79 --json
lid=$(jq -r .id out.txt)
curl -sf -X POST "$base/_emulator/clock/advance" -d '{"seconds": 86460}' > /dev/null
expect_rc 0 "queue after the lapse" as megan approvals --json
[[ $(jq --arg id "$lid" '[.[] | select(.id == $id)] | length' out.txt) -eq 0 ]] || fail "a lapsed request is still offered"
expect_rc 1 "approving a lapsed request" as megan approve "$lid" --justification "late"
eventually "lapse not on record" outcome_is "$lid" Lapsed

expect_rc 2 "deny without a request id" as megan deny --justification x
echo "PASS"
