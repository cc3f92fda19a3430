#!/usr/bin/env bash
# The command line end to end, as a user would run it: the real `elevate` against a real
# `elevate-emulator` process, ELEVATE_BROWSER playing the browser, a throwaway HOME, the real keychain.
# Usage: cli_acceptance.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq ss

work=$(mktemp -d)
export HOME="$work/home"
mkdir -p "$HOME"
cd "$work"
epid=""
cleanup() { [[ -n "$epid" ]] && kill "$epid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# Everything Elevate prints is kept, and every process's arguments sampled, for the leak check below.
record_elevate
sample_cmdlines

# An address other hosts can reach is refused unless asked for: the state endpoint lists every token.
expect_rc 2 "emulator on 0.0.0.0" timeout 10 "$emulator" --listen 0.0.0.0:0
grep -q -- "--allow-remote" err.txt || fail "the refusal does not name --allow-remote: $(cat err.txt)"
expect_rc 2 "emulator on [::]" timeout 10 "$emulator" --listen '[::]:0'

start_emulator cfg --page-size 2

# The browser: records who listens on the redirect port, then follows the redirects like a browser.
cat > browser.sh <<'B'
#!/usr/bin/env bash
printf '%s\n' "$*" >> "$(dirname "$0")/browser-argv.txt"
port=$(printf '%s' "$1" | sed -n 's/.*redirect_uri=http%3A%2F%2Flocalhost%3A\([0-9]*\).*/\1/p')
ss -ltnH "sport = :$port" > "$(dirname "$0")/listeners.txt"
exec curl -s -o /dev/null -L "$1"
B
chmod +x browser.sh

ELEVATE_BROWSER="$work/browser.sh" expect_rc 0 "login" "$elevate" --config cfg login
grep -q "Signed in as Alex Wilber" out.txt || fail "login did not say who signed in"
[[ -s listeners.txt ]] || fail "no loopback listener seen during sign-in"
# The port is held on both loopback addresses (a browser may resolve localhost to ::1) and no other.
if awk '{print $4}' listeners.txt | grep -vE '^(127\.0\.0\.1|\[::1\]):[0-9]+$' | grep -q .; then
    cat listeners.txt; fail "the sign-in listener is bound beyond the loopback addresses"
fi
grep -q ' 127\.0\.0\.1:' listeners.txt || { cat listeners.txt; fail "the sign-in listener is not on 127.0.0.1"; }
if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 && ! grep -q ' \[::1\]:' listeners.txt; then
    cat listeners.txt; fail "the sign-in listener leaves [::1] on its port to anyone"
fi

expect_rc 0 "whoami --json" "$elevate" --config cfg whoami --json
[[ $(jq -r .userPrincipalName out.txt) == alex@contoso.example ]] || fail "whoami names the wrong user"

expect_rc 0 "eligible --json" "$elevate" --config cfg eligible --json
got=$(jq -c '[.[] | .groupId + "/" + .accessId] | sort' out.txt)
want=$(curl -s "$base/_emulator/state" | jq -c '[.eligibilities[] | select(.user == "alex@contoso.example") | .groupId + "/" + .accessId] | sort')
[[ "$got" == "$want" ]] || fail "eligible --json differs from the scenario: $got vs $want"
[[ $(jq '[.[] | select(.mapped == false)] | length' out.txt) -eq 1 ]] || fail "expected one unmapped group"
[[ $(jq '[.[] | select(.mapped) | .accountId] | unique | length' out.txt) -eq 3 ]] || fail "expected three AWS accounts"
expect_rc 0 "eligible" "$elevate" --config cfg eligible
grep -q "Not mapped" out.txt || fail "human output lacks the Not mapped section"

# A second user on the same emulator at the same time, with a configuration of their own.
jq '.keychain.service = "Elevate acceptance second user"' cfg > cfg2
ELEVATE_BROWSER="$work/browser.sh" expect_rc 0 "login as the approver" "$elevate" --config cfg2 login --login-hint megan@contoso.example
expect_rc 0 "whoami (approver)" "$elevate" --config cfg2 whoami --json
[[ $(jq -r .userPrincipalName out.txt) == megan@contoso.example ]] || fail "login_hint did not pick the approver"
expect_rc 0 "whoami (requester, still signed in)" "$elevate" --config cfg whoami --json
[[ $(jq -r .userPrincipalName out.txt) == alex@contoso.example ]] || fail "the requester's sign-in was disturbed"
expect_rc 0 "logout (approver)" "$elevate" --config cfg2 logout

# No token the emulator issued may be in any file under HOME.
curl -s "$base/_emulator/state" | jq -r '.tokens[][]' > tokens.txt
[[ -s tokens.txt ]] || fail "the emulator issued no tokens?"
if grep -rlFf tokens.txt "$HOME" 2>/dev/null | grep -q .; then fail "a token leaked into a file under HOME"; fi
collect_secrets # before this emulator goes, with all it issued

# The emulator goes away while signed in: a network error, exit 5, one line on stderr.
kill "$epid"; wait "$epid" 2>/dev/null || true; epid=""
expect_rc 5 "eligible with the emulator down" "$elevate" --config cfg eligible
[[ $(wc -l < err.txt) -eq 1 ]] || fail "expected one stderr line, got: $(cat err.txt)"

start_emulator cfg --page-size 2 # a new emulator: the old refresh token means nothing there
expect_rc 4 "whoami with a refresh token the service does not know" "$elevate" --config cfg whoami
ELEVATE_BROWSER="$work/browser.sh" expect_rc 0 "login again" "$elevate" --config cfg login
expect_rc 0 "logout" "$elevate" --config cfg logout
# Device code: Entra's instruction on stderr, then the scripted user completes it.
expect_rc 0 "login --device-code" "$elevate" --config cfg login --device-code --json
grep -q "/devicelogin" err.txt || fail "the device-code instruction was not shown"
[[ $(jq -r .userPrincipalName out.txt) == alex@contoso.example ]] || fail "device-code login names the wrong user"
expect_rc 2 "--device-code on another command" "$elevate" --config cfg whoami --device-code
expect_rc 0 "logout again" "$elevate" --config cfg logout
expect_rc 4 "whoami after logout" "$elevate" --config cfg whoami
grep -q "elevate login" err.txt || fail "the not-signed-in message should say what to do"

echo '{"entra": {' > bad.json
expect_rc 3 "malformed config" "$elevate" --config bad.json whoami
ELEVATE_CONFIG="$work/missing.json" expect_rc 3 "missing config via ELEVATE_CONFIG" "$elevate" whoami
expect_rc 2 "unknown command" "$elevate" --config cfg frobnicate

# No token either emulator issued in any process's arguments (the browser's included) or in anything
# Elevate printed.
collect_secrets
grep -q "Signed in as Alex Wilber" printed.txt || fail "the leak check did not see Elevate's output"
grep -q "oauth2/v2.0/authorize" browser-argv.txt || fail "the leak check did not see the browser's arguments"
check_no_leaks
echo "PASS"
