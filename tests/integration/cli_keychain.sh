#!/usr/bin/env bash
# A corrupt keychain entry from the command line (issue 12, "What bad input gets"): with the Entra
# entry, the Identity Center entry or the cached role credentials replaced by bytes Elevate did not
# write, each command refuses clearly with its documented exit code or passes the entry over, never
# prints the entry's bytes, and the next sign-in (or the portal) replaces it.
# Usage: cli_keychain.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq secret-tool base64

sandbox
E() { "$elevate" --config "$work/cfg" "$@"; }
start_emulator cfg
svc="Elevate keychain test $$"
jq --arg s "$svc" '.keychain.service = $s' cfg > cfg.tmp && mv cfg.tmp cfg
admin settings '{"scimDelaySeconds": 0}'
# qtkeychain keeps the entry name in "user", the service in "server", and binary data base64-encoded
# with "type" base64, under the schema org.qt.keychain (a planted entry must match all four, or the
# next write adds a second entry beside it instead of replacing it).
keychain() { secret-tool search --all server "$svc" 2>&1 | sed -n 's/^attribute\.user = //p' | sort; }
entry() { secret-tool lookup server "$svc" user "$1" | base64 -d; }
# plant KEY FILE: the entry KEY now holds the bytes of FILE.
plant() {
    secret-tool clear server "$svc" user "$1"
    base64 -w0 "$2" | secret-tool store --label="$svc" xdg:schema org.qt.keychain server "$svc" user "$1" type base64
    cmp -s <(entry "$1") "$2" || fail "could not plant $1"
}
# single KEY: one entry of that name (a write replaced the planted one rather than adding one beside it).
single() {
    (( $(secret-tool search --all server "$svc" user "$1" 2>&1 | grep -c '^attribute\.user = ') == 1 )) \
        || fail "not one entry $1: $(secret-tool search --all server "$svc" user "$1" 2>&1 | grep -v '^secret')"
}
# no_marker WHAT: nothing Elevate printed shows the planted bytes.
no_marker() { if grep -q CORRUPTMARKER out.txt err.txt; then fail "$1 printed the entry: $(cat out.txt err.txt)"; fi; }
target=(--account 123456789012 --role ReadOnlyAccess)

curl_browser
expect_rc 0 "login" E login
expect_rc 0 "aws-login" E aws-login
expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --wait
expect_rc 0 "credential-process" E credential-process "${target[@]}"
keychain > entries.txt
entra=$(grep '^entra:' entries.txt) || fail "no Entra entry: $(cat entries.txt)"
idc=$(grep '^idc:' entries.txt) || fail "no Identity Center entry: $(cat entries.txt)"
cache=$(grep '^aws-role-credentials:v2:' entries.txt) || fail "no cached role credentials: $(cat entries.txt)"
entry "$entra" | jq -e .refreshToken > /dev/null || fail "the Entra entry is not what Elevate writes"

# The kinds of corrupt entry: not JSON, truncated, a "v" of another type (an exception before issue 12),
# the wrong shape, bytes that are not UTF-8.
printf 'CORRUPTMARKER not json' > bad-text
entry "$entra" | head -c 40 > bad-truncated
printf '{"v":"1","refreshToken":"CORRUPTMARKER"}' > bad-version
printf '["CORRUPTMARKER"]' > bad-shape
printf '{"v":1,"refreshToken":"CORRUPTMARKER\xff\xfe"}' > bad-utf8

for bad in bad-text bad-truncated bad-version bad-shape bad-utf8; do
    # Entra: whoami says not signed in (exit 4) and to sign in; login replaces the entry.
    plant "$entra" "$bad"
    expect_rc 4 "whoami with $bad as the Entra entry" E whoami
    # shellcheck disable=SC2016 # the backticks are the message's own
    grep -q 'not signed in; run `elevate login`' err.txt || fail "whoami ($bad): $(cat err.txt)"
    no_marker "whoami ($bad)"
    expect_rc 0 "login over $bad" E login
    no_marker "login ($bad)"
    entry "$entra" | jq -e '.v == 1 and (.refreshToken | length > 0)' > /dev/null \
        || fail "login did not replace the Entra entry ($bad)"
    single "$entra"
    expect_rc 0 "whoami after login over $bad" E whoami

    # Role credentials: passed over, fresh ones from the portal, and the entry overwritten.
    sed 's/CORRUPTMARKER/ASIACORRUPTMARKER/' "$bad" > "$bad-cache"
    plant "$cache" "$bad-cache"
    expect_rc 0 "credential-process with $bad cached" E credential-process "${target[@]}"
    key=$(jq -r .AccessKeyId out.txt)
    [[ $key == ASIA* && $key != *CORRUPT* ]] || fail "credential-process ($bad) handed out: $key"
    no_marker "credential-process ($bad)"
    entry "$cache" | jq -e --arg k "$key" '.accessKeyId == $k' > /dev/null \
        || fail "the cached role credentials were not overwritten ($bad)"
    single "$cache"

    # Identity Center (no cached credentials to answer from): credential-process refuses with
    # nothing on stdout; aws-login signs in again and replaces the entry.
    plant "$idc" "$bad"
    secret-tool clear server "$svc" user "$cache"
    set +e; E credential-process "${target[@]}" > out.txt 2> err.txt; rc=$?; set -e
    [[ $rc -eq 4 && ! -s out.txt ]] || fail "credential-process with $bad as the Identity Center entry: exit $rc: $(cat out.txt err.txt)"
    grep -qi 'sign in\|signed in\|aws-login' err.txt || fail "credential-process ($bad) says no way on: $(cat err.txt)"
    no_marker "credential-process without Identity Center ($bad)"
    expect_rc 0 "aws-login over $bad" E aws-login
    no_marker "aws-login ($bad)"
    entry "$idc" | jq -e '.v == 1 and (.refreshToken | length > 0)' > /dev/null \
        || fail "aws-login did not replace the Identity Center entry ($bad)"
    single "$idc"
    expect_rc 0 "credential-process after aws-login over $bad" E credential-process "${target[@]}"
    rounds=$(( ${rounds:-0} + 1 ))
done
[[ $rounds == 5 ]] || fail "ran $rounds rounds"
echo "PASS"
