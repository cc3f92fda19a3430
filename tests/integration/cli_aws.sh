#!/usr/bin/env bash
# The AWS side from the command line, end to end, with Debian's real AWS CLI: the real `elevate`
# against a real `elevate-emulator`, a throwaway HOME, the real keychain. What issue #5 is checked by:
# after a grant becomes Ready, `aws configure export-credentials --profile elevate-<account>-<role>`
# returns the emulator's credentials; after the emulator clock passes the grant's end it does not,
# and the profile is gone; a pre-existing ~/.aws/config (comments, CRLF, other profiles) stays
# byte-identical outside Elevate's section; `console --print-url` yields a sign-in URL the emulator
# accepts for that account and role. Also: waiting for the SCIM sync, a profile name the user already
# uses, an unparseable config, env, end-all, and `aws-login --fresh` when Identity Center keeps the
# memberships of the sign-in.
# Usage: cli_aws.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq python3
# Debian's awscli 2.9.19; the `aws` on PATH may be another one (a pyenv shim, aws-cli v1).
aws=/usr/bin/aws
[[ -x $aws ]] || fail "$aws is missing (scripts/setup --test installs awscli)"

sandbox
# Everything Elevate prints is kept, and every process's arguments sampled, for the leak check at the end.
record_elevate
sample_cmdlines
E() { "$elevate" --config "$work/cfg" "$@"; }

start_emulator cfg
admin settings '{"scimDelaySeconds": 600}'

# The user's own AWS config: comments of both kinds, CRLF lines, an SSO profile, sub-keys, no
# trailing newline at the end of the file.
printf '# my AWS config\r\n[default]\r\nregion = eu-west-1\r\n; keep this\r\n\r\n[profile mine]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\ns3 =\n  max_concurrent_requests = 20\n\n[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-central-1' > "$HOME/.aws/config"
chmod 0644 "$HOME/.aws/config"
cp "$HOME/.aws/config" original-config
profile=elevate-123456789012-ReadOnlyAccess

curl_browser
expect_rc 0 "login" E login
# Identity Center sign-in: authorization code + PKCE through the emulator's /authorize (auto sign-in).
expect_rc 0 "aws-login" E aws-login
grep -q "Signed in to AWS IAM Identity Center" err.txt || fail "aws-login did not say it signed in: $(cat err.txt)"

# A grant; the SCIM sync has not reached Identity Center yet, so there is no profile.
expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --wait
# The request told a running tray through the stamp beside the history; a read-only command does not.
stamp=$(find "$XDG_DATA_HOME" -name changes.stamp | head -n1)
[[ -n $stamp && -s $stamp ]] || fail "the request left no change stamp beside the history"
stamped=$(cat "$stamp")
expect_rc 0 "profiles while waiting" E profiles --json
[[ $(cat "$stamp") == "$stamped" ]] || fail "a read-only command touched the change stamp"
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "expected waiting: $(cat out.txt)"
[[ $(jq -r '.profiles[0].profile' out.txt) == null ]] || fail "a profile before AWS has the role"
cmp -s original-config "$HOME/.aws/config" || fail "the config changed while waiting"
set +e; $aws configure export-credentials --profile "$profile" > aws.out 2> aws.err; rc=$?; set -e
[[ $rc -ne 0 ]] || fail "export-credentials worked before the grant was Ready"
# credential-process itself says why, on stderr, with a non-zero exit and nothing on stdout.
expect_rc 1 "credential-process before AWS has the role" E credential-process --account 123456789012 --role ReadOnlyAccess
[[ ! -s out.txt ]] || fail "credential-process printed to stdout on refusal"
grep -q "sync" err.txt || fail "credential-process did not say AWS is not synced yet: $(cat err.txt)"

# After the scenario's SCIM delay (emulator clock), the next command finds the role and writes the profile.
admin clock/advance '{"seconds": 601}'
expect_rc 0 "profiles after the sync" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == ready ]] || fail "expected ready: $(cat out.txt)"
[[ $(jq -r '.profiles[0].profile' out.txt) == "$profile" ]] || fail "wrong profile name: $(cat out.txt)"
grep -q "^\[profile $profile\]" "$HOME/.aws/config" || fail "no [profile $profile] section"
# Everything the user wrote is still there byte for byte (Elevate appends its section after it).
head -c "$(stat -c %s original-config)" "$HOME/.aws/config" | cmp -s - original-config \
    || fail "the user's part of the config changed"
[[ $(stat -c %a "$HOME/.aws/config") == 644 ]] || fail "the config's mode changed"

expect_rc 0 "export-credentials while Ready" $aws configure export-credentials --profile "$profile"
key=$(jq -r .AccessKeyId out.txt)
[[ $(jq -r .Version out.txt) == 1 ]] || fail "not process credentials: $(cat out.txt)"
issued=$(state | jq -r --arg k "$key" '[.aws.roleCredentials[] | select(.accessKeyId == $k and .accountId == "123456789012" and .roleName == "ReadOnlyAccess")] | length')
[[ $issued == 1 ]] || fail "the credentials are not the emulator's for that role: $key"
# The permission set gives 8 h credentials; the grant ends in less than an hour, and so do they.
grant_end=$(E status --json | jq -r '.grants[0].end')
exp=$(jq -r .Expiration out.txt)
python3 - "$exp" "$grant_end" <<'PY' || fail "Expiration $exp is later than the grant's end $grant_end"
import sys, datetime
p = lambda s: datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
sys.exit(0 if p(sys.argv[1]) <= p(sys.argv[2]) + datetime.timedelta(seconds=1) else 1)
PY
# A second call answers from the keychain cache: no new GetRoleCredentials.
before=$(state | jq '[.httpRequests[] | select(.path == "/federation/credentials")] | length')
expect_rc 0 "export-credentials again" $aws configure export-credentials --profile "$profile"
[[ $(jq -r .AccessKeyId out.txt) == "$key" ]] || fail "the cached credentials were not used"
after=$(state | jq '[.httpRequests[] | select(.path == "/federation/credentials")] | length')
[[ $before == "$after" ]] || fail "credential-process asked the portal again instead of its cache"

expect_rc 0 "env" E env 123456789012/ReadOnlyAccess
grep -q "^export AWS_ACCESS_KEY_ID='$key'$" out.txt || fail "env: $(cat out.txt)"
# The expiration is on this machine's clock (the SDKs compare it with theirs), not the emulator's,
# which runs ahead by the clock advances above: the grant's end, less that lead.
expires=$(sed -n "s/^export AWS_CREDENTIAL_EXPIRATION='\(.*\)'$/\1/p" out.txt)
[[ -n $expires ]] || fail "env: no AWS_CREDENTIAL_EXPIRATION: $(cat out.txt)"
grant_end=$(E status --json 2>/dev/null | jq -r '.grants[] | select(.target == "123456789012/ReadOnlyAccess") | .end')
[[ -n $grant_end ]] || fail "status --json shows no grant end"
lead=$(( $(date -d "$(state | jq -r .now)" +%s) - $(date +%s) ))
(( lead > 500 )) || fail "the emulator clock should run ahead here (lead $lead s)"
diff=$(( $(date -d "$grant_end" +%s) - lead - $(date -d "$expires" +%s) ))
(( diff >= -5 && diff <= 5 )) || fail "env: expiration $expires is not the grant end $grant_end on the local clock (lead $lead s)"
(( $(date -d "$expires" +%s) - $(date +%s) <= 3600 - 500 )) || fail "env: expiration $expires is on the emulator's clock"

# The sign-in service refuses SessionDuration (settings.federationRefusesSessionDuration): the console
# still opens, without one, and Elevate says the console chose the length.
admin settings '{"federationRefusesSessionDuration": true}'
expect_rc 0 "console without a session length" E console 123456789012/ReadOnlyAccess --print-url
[[ $(cat out.txt) != *SessionDuration* ]] || fail "the second try still asked for a SessionDuration"
grep -q "would not take a session length" err.txt || fail "console did not say the length was refused: $(cat err.txt)"
grep -q "is a secret" err.txt || fail "console --print-url did not say the URL is a secret: $(cat err.txt)"
curl_secret "$(cat out.txt)" -sf > /dev/null || fail "the emulator refused the token asked for without a duration"
admin settings '{"federationRefusesSessionDuration": false}'

# The console: a sign-in URL whose token the emulator accepts once, for that account and role.
expect_rc 0 "console --print-url" E console 123456789012/ReadOnlyAccess --print-url
url=$(cat out.txt)
[[ $url == "$base/federation?Action=login&"* ]] || fail "not a federation login URL: $url"
curl_secret "$url" -sf > console.html || fail "the emulator refused the sign-in token"
grep -q 123456789012 console.html && grep -q ReadOnlyAccess console.html || fail "console page: $(cat console.html)"
[[ $(curl_secret "$url" -s -o /dev/null -w '%{http_code}') == 400 ]] || fail "a sign-in token worked twice"

# The console without --print-url (issue 12, item 2): the browser is given a one-shot loopback address,
# never the sign-in token. A wrong path there gets 404 and consumes nothing; the right one redirects
# once to the federation login (which the emulator accepts), then the port is gone.
cat > console-browser.sh <<'B'
#!/usr/bin/env bash
dir=$(dirname "$0")
printf '%s\n' "$*" >> "$dir/browser-argv.txt"
printf '%s\n' "$1" > "$dir/handoff-url.txt"
# Until the process sampler has seen this command line, so that its check is not vacuous.
for _ in $(seq 1 200); do grep -qF -- "$1" "$dir/cmdlines.txt" && break; sleep 0.05; done
[[ ${1: -1} == A ]] && other=B || other=A
curl -s -o /dev/null -w '%{http_code}' "${1%?}$other" > "$dir/handoff-wrong.txt"
curl -s -L -o "$dir/handoff-page.html" -D "$dir/handoff-headers.txt" "$1"
curl -s -o /dev/null -w '%{http_code}' "$1" > "$dir/handoff-again.txt"
touch "$dir/handoff-done"
B
chmod +x console-browser.sh
ELEVATE_BROWSER="$work/console-browser.sh" expect_rc 0 "console" E console 123456789012/ReadOnlyAccess
grep -q "Opened the AWS console for 123456789012/ReadOnlyAccess" err.txt || fail "console did not say it opened: $(cat err.txt)"
[[ ! -s out.txt ]] || fail "console printed to stdout: $(cat out.txt)"
eventually "the console browser finished" test -e handoff-done
handoff=$(cat handoff-url.txt)
[[ $handoff =~ ^http://127\.0\.0\.1:[0-9]+/[A-Za-z0-9_-]{43}$ ]] || fail "the browser was not given a one-shot loopback URL: $handoff"
grep -qF -- "$handoff" cmdlines.txt || fail "the process sampler did not see the browser's command line"
[[ $(cat handoff-wrong.txt) == 404 ]] || fail "a wrong path on the hand-off port got $(cat handoff-wrong.txt), not 404"
tr -d '\r' < handoff-headers.txt > handoff-headers.lf
[[ $(head -n1 handoff-headers.lf) == "HTTP/1.1 302 Found" ]] || fail "the hand-off did not redirect: $(head -n1 handoff-headers.lf)"
first=$(sed '/^$/q' handoff-headers.lf)
[[ $(sed -n 's/^[Ll]ocation: //p' <<< "$first") == "$base/federation?Action=login&"* ]] \
    || fail "the hand-off does not redirect to the federation login: $(grep -i '^location' <<< "$first" | cut -c1-80)"
grep -qi '^cache-control: no-store$' <<< "$first" || fail "the redirect may be cached: $first"
grep -qi '^referrer-policy: no-referrer$' <<< "$first" || fail "the redirect has no Referrer-Policy: $first"
grep -q 123456789012 handoff-page.html && grep -q ReadOnlyAccess handoff-page.html \
    || fail "the emulator did not sign the browser in: $(cat handoff-page.html)"
again=$(cat handoff-again.txt)
[[ $again == 000 || $again == 404 ]] || fail "the hand-off answered a second time: $again"
# No browser to start: a failure that says how to get the URL instead.
ELEVATE_BROWSER="$work/no-such-browser" expect_rc 1 "console without a browser" E console 123456789012/ReadOnlyAccess
grep -q -- "--print-url" err.txt || fail "console without a browser does not point to --print-url: $(cat err.txt)"
if grep -q "Opened the AWS console" err.txt; then fail "console without a browser says it opened"; fi
collect_secrets

# A profile name the user already uses for something else is never overwritten.
admin clock/advance '{"seconds": 300}'
printf '\n[profile elevate-210987654321-PowerUserAccess]\nregion = us-east-1\n' >> "$HOME/.aws/config"
cp "$HOME/.aws/config" with-user-profile
expect_rc 0 "request PowerUser" E request 210987654321/PowerUserAccess --duration 1h --justification "interop test" --wait
[[ $(cat "$stamp") != "$stamped" ]] || fail "the second request did not touch the change stamp"
admin clock/advance '{"seconds": 601}'
expect_rc 0 "profiles with a name conflict" E profiles --json
[[ $(jq -r '.profiles[] | select(.roleName == "PowerUserAccess") | .problem' out.txt) == *"elevate-210987654321-PowerUserAccess"* ]] \
    || fail "the name conflict was not reported: $(cat out.txt)"
cmp -s with-user-profile "$HOME/.aws/config" || fail "the user's profile was touched"

# The end: past the grant's end on the emulator clock, the AWS CLI gets nothing and the profile goes.
admin clock/advance '{"seconds": 3600}'
set +e; $aws configure export-credentials --profile "$profile" > aws.out 2> aws.err; rc=$?; set -e
[[ $rc -ne 0 ]] || fail "export-credentials still worked after the grant ended: $(cat aws.out)"
grep -q "no live grant" aws.err || fail "the AWS CLI did not show Elevate's reason: $(cat aws.err)"
if grep -q "^\[profile $profile\]" "$HOME/.aws/config"; then fail "the profile is still there after the end"; fi
head -c "$(stat -c %s original-config)" "$HOME/.aws/config" | cmp -s - original-config \
    || fail "the user's part of the config changed at the end"

# An unparseable config: a clear message, the file unchanged, no profile written.
admin clock/advance '{"seconds": 60}'
expect_rc 0 "request again" E request 123456789012/ReadOnlyAccess --duration 1h --wait
admin clock/advance '{"seconds": 601}'
printf 'this is not ini\n' >> "$HOME/.aws/config"
cp "$HOME/.aws/config" broken-config
set +e; E profiles > out.txt 2> err.txt; set -e
grep -q "line" err.txt || fail "no clear message for an unparseable config: $(cat err.txt)"
cmp -s broken-config "$HOME/.aws/config" || fail "an unparseable config was changed"
cp original-config "$HOME/.aws/config"

# End all access now: deactivates in PIM, removes the profile, signs out of Identity Center.
expect_rc 0 "profiles before end-all" E profiles --json
[[ $(jq -r '.profiles[0].profile' out.txt) == "$profile" ]] || fail "no profile before end-all: $(cat out.txt)"
# Plain credentials (opt-in): the keys go to ~/.aws/credentials (0600) for tools that cannot run a
# process; switching the mode off takes them away again.
jq '.aws.plainCredentials = true' cfg > cfg-plain
expect_rc 0 "profiles with plain credentials" "$elevate" --config "$work/cfg-plain" profiles
grep -q "^\[$profile\]" "$HOME/.aws/credentials" || fail "no plain credentials written"
[[ $(stat -c %a "$HOME/.aws/credentials") == 600 ]] || fail "the credentials file is not 0600"
if grep -q "credential_process" "$HOME/.aws/config"; then fail "plain mode kept credential_process"; fi
expect_rc 0 "export-credentials from the plain keys" $aws configure export-credentials --profile "$profile"
plain_key=$(jq -r .AccessKeyId out.txt)
[[ $(state | jq -r --arg k "$plain_key" '[.aws.roleCredentials[] | select(.accessKeyId == $k)] | length') == 1 ]] \
    || fail "the plain keys are not the emulator's"
expect_rc 0 "profiles back to credential_process" E profiles
if grep -q "^\[$profile\]" "$HOME/.aws/credentials"; then fail "the plain keys stayed after the mode was switched off"; fi
grep -q "credential_process" "$HOME/.aws/config" || fail "credential_process not restored"

admin clock/advance '{"seconds": 360}'
expect_rc 0 "end-all" E end-all
grep -q "deactivated" out.txt || fail "end-all: $(cat out.txt)"
if grep -q "^\[profile $profile\]" "$HOME/.aws/config"; then fail "end-all left the profile"; fi
cmp -s original-config "$HOME/.aws/config" || fail "end-all did not give back the user's config exactly"
expect_rc 0 "status after end-all" E status --json
[[ $(jq '[.grants[] | select(.assignmentType == "activated")] | length' out.txt) == 0 ]] || fail "grants left after end-all"
# end-all signed out of Identity Center: the device-code flow signs in again (the code is approved by
# opening the verification URL the CLI prints, with the emulator's auto sign-in).
E aws-login --device-code > device.out 2> device.err &
dpid=$!
for _ in $(seq 1 100); do grep -q "Or open" device.err 2>/dev/null && break; sleep 0.1; done
verify=$(sed -n 's/^Or open //p' device.err | head -n1)
[[ $verify == "$base/aws/device?"* ]] || { kill $dpid; fail "no device verification URL: $(cat device.err)"; }
curl -sf -o /dev/null "$verify" || fail "the verification page refused"
set +e; wait $dpid; rc=$?; set -e
[[ $rc -eq 0 ]] || fail "aws-login --device-code exited $rc: $(cat device.err)"
grep -q "Signed in to AWS IAM Identity Center" device.err || fail "device login: $(cat device.err)"

# Identity Center keeps the group memberships of the sign-in (the emulator's portalMembershipSnapshot):
# a grant made after the last aws-login never shows in that session. Once it should have (longer than
# the typical SCIM cycle), every command says so; `aws-login --fresh` logs out of the portal, signs in
# anew, and the role is Ready.
admin clock/advance '{"seconds": 601}' # the memberships ended by end-all have left Identity Center
admin settings '{"portalMembershipSnapshot": true, "scimDelaySeconds": 0}'
expect_rc 0 "aws-login before the grant" E aws-login
expect_rc 0 "request after the sign-in" E request 123456789012/ReadOnlyAccess --duration 1h --wait
expect_rc 0 "profiles, snapshot, early" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "the snapshot session saw the new role: $(cat out.txt)"
[[ $(jq -r '.profiles[0].freshSignInMayHelp' out.txt) == false ]] \
    || fail "a fresh sign-in was suggested before the sync could have run: $(cat out.txt)"
if grep -q "aws-login --fresh" err.txt; then fail "hint too early: $(cat err.txt)"; fi
typical=$(jq -r '.aws.sync.typicalMinutes // 40' cfg)
admin clock/advance "{\"seconds\": $(( typical * 60 + 60 ))}"
expect_rc 0 "status, snapshot" E status
grep -q "aws-login --fresh" err.txt || fail "status did not suggest a fresh sign-in: $(cat err.txt)"
expect_rc 0 "profiles, snapshot, late" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == waiting ]] || fail "expected waiting: $(cat out.txt)"
[[ $(jq -r '.profiles[0].freshSignInMayHelp' out.txt) == true ]] || fail "no fresh sign-in hint: $(cat out.txt)"
expect_rc 2 "--fresh on another command" E profiles --fresh
grep -q "does not apply" err.txt || fail "--fresh elsewhere: $(cat err.txt)"
E --help > help.txt 2>&1 || true
grep -q -- "--fresh" help.txt || fail "the help does not mention aws-login --fresh"
logouts() { state | jq '[.httpRequests[] | select(.method == "POST" and .path == "/logout" and .status == 200)] | length'; }
before=$(logouts)
expect_rc 0 "aws-login --fresh" E aws-login --fresh
grep -q "Signed out of the AWS access portal" err.txt || fail "no portal logout: $(cat err.txt)"
grep -q "Signed in to AWS IAM Identity Center" err.txt || fail "no new sign-in: $(cat err.txt)"
[[ $(logouts) == $(( before + 1 )) ]] || fail "aws-login --fresh did not log out of the portal once"
expect_rc 0 "profiles after the fresh sign-in" E profiles --json
[[ $(jq -r '.profiles[0].state' out.txt) == ready ]] || fail "not ready after the fresh sign-in: $(cat out.txt)"
[[ $(jq -r '.profiles[0].profile' out.txt) == "$profile" ]] || fail "no profile after the fresh sign-in: $(cat out.txt)"

# No secret the emulator issued (Entra and Identity Center tokens, client secrets, role keys, console
# sign-in tokens) in any process's arguments, the browser's included, or in what Elevate printed.
collect_secrets
grep -qFf <(state | jq -r '.awsSecrets.signinTokens[]') secrets.txt || fail "the console sign-in tokens are not in the leak check"
check_no_leaks
echo "PASS"
