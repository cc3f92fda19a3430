#!/usr/bin/env bash
# A burst of AWS requests in a grant's last 15 minutes, with Debian's real AWS CLI: the real `elevate`
# against a real `elevate-emulator`, a throwaway HOME, the real keychain. What issue #11 §2 is
# checked by: the Expiration credential-process prints is the grant's end on the local clock (the
# emulator's clock runs 48 minutes ahead, as Graph's would with a wrong local clock), so botocore
# really is in its refresh window; a burst longer than a minute runs credential-process every time
# (counted by a wrapper) but asks Graph and Entra at most once a minute (the emulator counts calls)
# and at least once (the proof expires); the proof is 0600 and holds no secret, a corrupt one is
# ignored; a grant ended on another machine is refused once the proof is a minute old, one ended on
# this machine at once (the change stamp), even with a proof that survived.
# Usage: cli_credburst.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq python3
aws=/usr/bin/aws # Debian's awscli 2.9.19, not whatever `aws` is on PATH
[[ -x $aws ]] || fail "$aws is missing (scripts/setup --test installs awscli)"

sandbox
E() { "$elevate" --config "$work/cfg" "$@"; }
calls() { state | jq -r ".calls.$1"; }
now() { python3 -c 'import time; print(time.time())'; }

start_emulator cfg
admin settings '{"scimDelaySeconds": 30}'
profile=elevate-123456789012-ReadOnlyAccess
proof="$XDG_DATA_HOME/elevate/grant-proofs/123456789012_ReadOnlyAccess.json"

curl_browser
expect_rc 0 "login" E login
expect_rc 0 "aws-login" E aws-login
expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --wait

# 48 minutes later by the services' clock (the local one has not moved): 12 minutes of the grant left,
# inside botocore's 15-minute refresh window, outside the 10-minute blocking one.
admin clock/advance '{"seconds": 2880}'
expect_rc 0 "profiles" E profiles --json
[[ $(jq -r '.profiles[0].profile' out.txt) == "$profile" ]] || fail "no profile: $(cat out.txt)"

expect_rc 0 "export-credentials" $aws configure export-credentials --profile "$profile"
key=$(jq -r .AccessKeyId out.txt)
exp=$(jq -r .Expiration out.txt)
[[ -s $proof ]] || fail "credential-process left no proof at $proof"
grant_end=$(E status --json | jq -r '.grants[0].end')
emu_now=$(state | jq -r .now)
# The Expiration is the grant's end on the local clock: what botocore compares it with.
python3 - "$exp" "$grant_end" "$emu_now" "$(now)" <<'PY' || fail "Expiration $exp is not the grant's end ($grant_end on the emulator's clock, now $emu_now there) in local time"
import sys, datetime
p = lambda s: datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()
exp, end, emu_now, local_now = p(sys.argv[1]), p(sys.argv[2]), p(sys.argv[3]), float(sys.argv[4])
skew = emu_now - local_now
print(f"Expiration in {exp - local_now:.0f} s (local); the grant ends in {end - emu_now:.0f} s (emulator); skew {skew:.0f} s")
sys.exit(0 if abs(exp - (end - skew)) <= 3 and 5 * 60 < exp - local_now < 15 * 60 else 1)
PY

# The proof: the owner's alone, and nothing in it that opens anything.
[[ $(stat -c %a "$proof") == 600 ]] || fail "the proof is not 0600: $(stat -c %a "$proof")"
state > state.json
secret=$(jq -r .SecretAccessKey out.txt)
token=$(jq -r .SessionToken out.txt)
for s in "$key" "$secret" "$token" $(jq -r '.tokens[][]' state.json) $(jq -r '.. | strings' <(jq .awsSecrets state.json)); do
    [[ ${#s} -ge 8 ]] || continue
    if grep -qF -- "$s" "$proof"; then fail "the proof holds a secret: $s"; fi
done

# Every run of credential-process is counted by a wrapper the profile runs instead (arguments only:
# account, role, the configuration's path; never a secret). No `elevate` command runs from here to
# the end of the burst: each would write the profile back.
cat > counted-elevate <<EOF
#!/usr/bin/env bash
echo "\$*" >> "$work/runs.log"
exec "$elevate" "\$@"
EOF
chmod +x counted-elevate
sed -i "s|^credential_process = $elevate |credential_process = $work/counted-elevate |" "$HOME/.aws/config"
grep -q "^credential_process = $work/counted-elevate .*credential-process --account 123456789012 --role ReadOnlyAccess$" "$HOME/.aws/config" \
    || fail "the profile does not run credential-process as expected: $(cat "$HOME/.aws/config")"
: > runs.log

# The burst: more than a minute of AWS CLI calls, each one running credential-process (twice, when
# botocore refreshes right after loading), against at most one Graph call per started minute.
graph0=$(calls graph); entra0=$(calls entraToken); portal0=$(calls portal); runs0=$(wc -l < runs.log)
t0=$(now)
n=0
while :; do
    expect_rc 0 "export-credentials #$n of the burst" $aws configure export-credentials --profile "$profile"
    [[ $(jq -r .AccessKeyId out.txt) == "$key" ]] || fail "run $n handed out other credentials"
    n=$((n + 1))
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) - float(sys.argv[2]) > 65 else 1)" "$(now)" "$t0" \
        && [[ $n -ge 30 ]] && break
done
t1=$(now)
graph=$(( $(calls graph) - graph0 )); entra=$(( $(calls entraToken) - entra0 ))
portal=$(( $(calls portal) - portal0 )); runs=$(( $(wc -l < runs.log) - runs0 ))
bound=$(python3 -c "import math, sys; print(math.ceil((float(sys.argv[1]) - float(sys.argv[2])) / 60) + 1)" "$t1" "$t0")
echo "burst: $n AWS CLI calls, $runs credential-process runs, $graph Graph calls, $entra Entra token calls, $portal portal calls in $(python3 -c "print(round($t1 - $t0))") s (bound $bound)"
[[ $runs -ge $n ]] || fail "credential-process ran $runs times for $n AWS CLI calls"
[[ $graph -le $bound ]] || fail "$graph Graph calls in the burst, more than $bound"
[[ $entra -le $bound ]] || fail "$entra Entra token calls in the burst, more than $bound"
[[ $graph -ge 1 ]] || fail "no Graph call in more than a minute: the proof did not expire"
[[ $portal -eq 0 ]] || fail "$portal portal calls: the keychain cache was not used"

# A corrupt proof is no proof: Graph decides, and a good one replaces it.
printf '{"v": 1, "kind": "elevate-grant-proof", "checkedAt": ' > "$proof"
graph0=$(calls graph)
expect_rc 0 "export-credentials with a corrupt proof" $aws configure export-credentials --profile "$profile"
[[ $(calls graph) -gt $graph0 ]] || fail "a corrupt proof was trusted"
jq -e '.accountId == "123456789012"' "$proof" > /dev/null || fail "the corrupt proof was not replaced: $(cat "$proof")"

# Ended on another machine (its own HOME, history and keychain entry): this one does not know. Its
# proof may answer for up to a minute; once the proof is older than that, Graph decides: refused.
expect_rc 0 "export-credentials before the other machine ends the grant" $aws configure export-credentials --profile "$profile"
jq '.keychain.service = "Elevate credburst other machine"' cfg > cfg-other
other() { HOME="$work/other" XDG_DATA_HOME="$work/other/.local/share" "$elevate" --config "$work/cfg-other" "$@"; }
mkdir -p "$work/other"
expect_rc 0 "login on the other machine" other login
expect_rc 0 "deactivate on the other machine" other deactivate 123456789012/ReadOnlyAccess
checked=$(jq -r .checkedAt "$proof")
python3 - "$checked" <<'PY'
import sys, time, datetime
checked = datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')).timestamp()
time.sleep(max(0.0, checked + 61 - time.time()))
PY
set +e; $aws configure export-credentials --profile "$profile" > aws.out 2> aws.err; rc=$?; set -e
[[ $rc -ne 0 ]] || fail "credentials a minute after the grant ended elsewhere: $(cat aws.out)"
grep -q "no live grant" aws.err || fail "the AWS CLI did not show Elevate's reason: $(cat aws.err)"
[[ ! -e $proof ]] || fail "a refusal left the proof: $(cat "$proof")"

# Ended on this machine: refused at once, even by a proof that survived its end (as one would when
# only the stamp moved, e.g. the end came from a process that does not clean up AWS): the change stamp
# beside the history moved, so the proof no longer counts.
expect_rc 0 "request again" E request 123456789012/ReadOnlyAccess --duration 1h --wait
set +e; E credential-process --account 123456789012 --role ReadOnlyAccess > out.txt 2> err.txt; set -e
[[ -s $proof ]] || fail "no proof after Graph said the new grant is live: $(cat err.txt)"
cp "$proof" survived-proof
admin clock/advance '{"seconds": 301}' # PIM ends no activation in its first 5 minutes
expect_rc 0 "deactivate here" E deactivate 123456789012/ReadOnlyAccess
# The survivor, made as fresh as can be: only the stamp tells.
python3 - survived-proof "$proof" <<'PY'
import json, sys, datetime, os
p = json.load(open(sys.argv[1]))
p["checkedAt"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
with open(sys.argv[2], "w") as f:
    json.dump(p, f)
os.chmod(sys.argv[2], 0o600)
PY
graph0=$(calls graph)
expect_rc 1 "credential-process right after deactivate" E credential-process --account 123456789012 --role ReadOnlyAccess
[[ ! -s out.txt ]] || fail "credential-process printed credentials after deactivate: $(cat out.txt)"
grep -q "no live grant" err.txt || fail "no reason given: $(cat err.txt)"
[[ $(calls graph) -gt $graph0 ]] || fail "the surviving proof was trusted after a deactivation on this machine"
[[ ! -e $proof ]] || fail "the refusal left the proof"
echo "PASS"
