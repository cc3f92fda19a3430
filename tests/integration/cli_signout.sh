#!/usr/bin/env bash
# Sign-out from the command line (issue 12, item 3): `elevate logout` removes what end-all's AWS part
# removes (Elevate's profiles in ~/.aws/config, its plain keys in ~/.aws/credentials, the cached role
# credentials and the Identity Center sign-in in the keychain, the grant proofs, the portal session)
# and then the Entra sign-in, but deactivates nothing in PIM; it says until when what was handed out
# keeps working. With the portal logout failing the local removal still happens; without AWS in the
# configuration it is the Entra sign-out alone and says nothing about AWS.
# Usage: cli_signout.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq secret-tool

sandbox
E() { "$elevate" --config "$work/cfg" "$@"; }
start_emulator cfg
# A keychain service of this run's own, so its entries can be listed.
svc="Elevate sign-out test $$"
jq --arg s "$svc" '.keychain.service = $s' cfg > cfg.tmp && mv cfg.tmp cfg
jq '.aws.plainCredentials = true' cfg > cfg-plain
admin settings '{"scimDelaySeconds": 0}'
# The names of this run's keychain entries (qtkeychain keeps the entry name in "user", the service
# in "server").
keychain() { secret-tool search --all server "$svc" 2>&1 | sed -n 's/^attribute\.user = //p' | sort; }
logouts() { state | jq '[.httpRequests[] | select(.method == "POST" and .path == "/logout" and .status == 200)] | length'; }
proofs() { find "$XDG_DATA_HOME" -path '*grant-proofs*' -type f | wc -l; }

# The user's own files: comments, CRLF, a profile and keys of their own, no final line break.
printf '# mine\r\n[default]\r\nregion = eu-west-1\r\n\r\n[profile mine]\nregion = us-east-1' > "$HOME/.aws/config"
printf '[mine]\naws_access_key_id = AKIAUSEROWNKEY000001\naws_secret_access_key = dXNlcg==\n' > "$HOME/.aws/credentials"
chmod 0600 "$HOME/.aws/credentials"
cp "$HOME/.aws/config" original-config
cp "$HOME/.aws/credentials" original-credentials
profile="elevate-123456789012-ReadOnlyAccess"

curl_browser
# Signed in to both, a Ready grant with a profile and plain keys, credentials handed out.
setup() {
    expect_rc 0 "login" E login
    expect_rc 0 "aws-login" E aws-login
    if ! E status --json 2>/dev/null | jq -e '.grants[] | select(.target == "123456789012/ReadOnlyAccess")' > /dev/null; then
        expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --wait
    fi
    expect_rc 0 "profiles with plain keys" "$elevate" --config "$work/cfg-plain" profiles --json
    [[ $(jq -r '.profiles[0].state' out.txt) == ready ]] || fail "not ready: $(cat out.txt)"
    grep -q "^\[profile $profile\]" "$HOME/.aws/config" || fail "no profile written"
    grep -q "^\[$profile\]" "$HOME/.aws/credentials" || fail "no plain keys written"
    expect_rc 0 "credential-process" E credential-process --account 123456789012 --role ReadOnlyAccess
    handed=$(jq -r .AccessKeyId out.txt)
    [[ $handed == ASIA* ]] || fail "no credentials handed out: $(cat out.txt)"
    keychain > entries.txt
    grep -q '^aws-role-credentials:v2:[0-9a-f]\{32\}:123456789012/ReadOnlyAccess$' entries.txt \
        || fail "no cached role credentials under the new key: $(cat entries.txt)"
    grep -q '^idc:' entries.txt || fail "no Identity Center entry: $(cat entries.txt)"
    (( $(proofs) > 0 )) || fail "credential-process left no grant proof"
}

# Everything Elevate wrote or kept is gone, the user's bytes are as they were.
removed() {
    cmp -s original-config "$HOME/.aws/config" || fail "$1: the config is not the user's bytes: $(cat "$HOME/.aws/config")"
    cmp -s original-credentials "$HOME/.aws/credentials" || fail "$1: the credentials file is not the user's bytes"
    [[ -z $(keychain) ]] || fail "$1: keychain entries left: $(keychain)"
    (( $(proofs) == 0 )) || fail "$1: grant proofs left"
    # credential-process refuses now (nothing cached, no proof, no sign-in), with nothing on stdout.
    set +e; E credential-process --account 123456789012 --role ReadOnlyAccess > cp.out 2> cp.err; rc=$?; set -e
    [[ $rc -ne 0 && ! -s cp.out ]] || fail "$1: credential-process still answered (exit $rc): $(cat cp.out)"
}

setup
before=$(logouts)
expect_rc 0 "logout --json" E logout --json
jq -e . out.txt > /dev/null || fail "logout --json is not JSON: $(cat out.txt)"
[[ $(jq -r .signedOut out.txt) == true ]] || fail "not signed out: $(cat out.txt)"
[[ $(jq -r .aws.identityCenterSignedIn out.txt) == true ]] || fail "Identity Center was signed in: $(cat out.txt)"
[[ $(jq -r .aws.portalLoggedOut out.txt) == true ]] || fail "no portal logout: $(cat out.txt)"
[[ $(jq -r .pimGrantsDeactivated out.txt) == false ]] || fail "sign-out must not deactivate: $(cat out.txt)"
[[ $(jq -r '.pimGrants[] | select(.target == "123456789012/ReadOnlyAccess") | .end' out.txt) == 20* ]] \
    || fail "the grant that stays active is not named with its end: $(cat out.txt)"
until=$(jq -r '.aws.targets[] | select(.target == "123456789012/ReadOnlyAccess") | .credentialsUntil' out.txt)
[[ $until == 20* ]] || fail "no credentialsUntil for the handed-out credentials: $(cat out.txt)"
issued=$(state | jq -r --arg k "$handed" '.aws.roleCredentials[] | select(.accessKeyId == $k) | .expiration')
(( $(date -d "$until" +%s) == $(date -d "$issued" +%s) )) || fail "credentialsUntil $until is not the expiration $issued"
[[ $(jq -r .aws.consoleSessionMaxHours out.txt) == 12 ]] || fail "no console bound: $(cat out.txt)"
[[ $(logouts) == $(( before + 1 )) ]] || fail "the portal did not see one logout"
[[ $(state | jq '.calls.portal') -gt 0 ]] || fail "no portal calls counted"
removed "logout"
# The grant is still active in PIM: after a new sign-in, elevate lists it.
expect_rc 0 "login after logout" E login
expect_rc 0 "status after logout" E status --json
[[ $(jq '[.grants[] | select(.target == "123456789012/ReadOnlyAccess")] | length' out.txt) == 1 ]] \
    || fail "the PIM grant did not stay active: $(cat out.txt)"

# Human output, the portal logout failing (the emulator refuses it): the local removal still happens,
# and the message says the portal session may remain.
setup
admin faults '{"path": "/logout", "status": 403}'
expect_rc 0 "logout, portal refusing" E logout
grep -q "may remain until it expires" out.txt || fail "the failed portal logout is not said: $(cat out.txt)"
grep -q "keep working until they expire: 123456789012/ReadOnlyAccess until" out.txt \
    || fail "no time for the handed-out credentials: $(cat out.txt)"
grep -q "stay active" out.txt || fail "the grant staying active is not said: $(cat out.txt)"
grep -q "12 hours" out.txt || fail "the console bound is not said: $(cat out.txt)"
if grep -q "AWS access to .* ended" err.txt; then fail "a line per target besides the summary: $(cat err.txt)"; fi
removed "logout with the portal refusing"

# Without AWS in the configuration: the Entra sign-out alone, and no word about AWS.
jq 'del(.aws)' cfg > cfg-noaws
expect_rc 0 "login without AWS" "$elevate" --config "$work/cfg-noaws" login
expect_rc 0 "logout without AWS" "$elevate" --config "$work/cfg-noaws" logout
if grep -qi "aws\|identity center" out.txt err.txt; then fail "logout without AWS talks about AWS: $(cat out.txt err.txt)"; fi
[[ -z $(keychain) ]] || fail "keychain entries left after the Entra-only logout: $(keychain)"
echo "PASS"
