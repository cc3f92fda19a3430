# Shared by the command-line acceptance scripts (sourced, not run): what each needs before it starts
# and the two checks every step uses.

# require_session TOOL...: skip (77) outside a desktop session with a keychain; fail without a tool.
require_session() {
    if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
        echo "SKIP: no D-Bus session with a keychain (run through scripts/test or scripts/desktop-session)"
        exit 77
    fi
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup --test installs it)"; exit 1; }
    done
}

fail() { echo "FAIL: $*"; exit 1; }

# sandbox: a throwaway HOME (with XDG_DATA_HOME in it and an empty ~/.aws) as the working directory,
# none of the caller's AWS_* settings, and an EXIT trap that stops the emulator (epid) and removes
# it all. Sets work.
sandbox() {
    work=$(mktemp -d)
    export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share"
    unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID \
          AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_DATA_PATH AWS_REGION AWS_DEFAULT_REGION
    mkdir -p "$HOME/.aws"
    cd "$work"
    epid=""
    trap cleanup EXIT
}
cleanup() { [[ -n "${epid:-}" ]] && kill "$epid" 2>/dev/null; rm -rf "$work"; }

# curl_browser: ELEVATE_BROWSER follows the sign-in URL with curl (the emulator's auto sign-in); it
# records its arguments in browser-argv.txt (see check_no_leaks).
curl_browser() {
    printf '#!/usr/bin/env bash\nprintf "%%s\\n" "$*" >> "$(dirname "$0")/browser-argv.txt"\nexec curl -s -o /dev/null -L "$1"\n' > "$work/browser.sh"
    chmod +x "$work/browser.sh"
    export ELEVATE_BROWSER="$work/browser.sh"
}

# expect_rc CODE DESCRIPTION COMMAND...: runs it (stdout to out.txt, stderr to err.txt) and fails
# unless it exits with CODE.
expect_rc() {
    local want=$1 what=$2; shift 2
    set +e; "$@" > out.txt 2> err.txt; local rc=$?; set -e
    [[ $rc -eq $want ]] || { cat out.txt err.txt; fail "$what: exit $rc, expected $want"; }
}

# start_emulator CONFIG [OPTION...]: starts $emulator in the background, signing alex in without a
# page, and writes an Elevate configuration for it to CONFIG; sets epid and base.
start_emulator() {
    local config=$1; shift
    # Emptied here, not by the background job's redirection: that may come after the first check
    # below, which would then read the previous emulator's address.
    : > emu.out
    "$emulator" --auto-sign-in alex@contoso.example "$@" --write-config "$config" > emu.out 2> emu.err &
    epid=$!
    for _ in $(seq 1 50); do [[ -s emu.out ]] && break; sleep 0.1; done
    base=$(head -n1 emu.out)
    [[ $base == http://127.0.0.1:* ]] || { cat emu.err; fail "emulator did not start"; }
    # The client's replication window fits the emulator's lag (3 s in the realistic profile): a lost
    # answer that never landed is sent again after 8 s, not after the default minute.
    jq '.graph.replicationWindowSeconds = 8' "$config" > "$config.tmp" && mv "$config.tmp" "$config"
}
# eventually WHAT COMMAND...: runs COMMAND until it succeeds, for up to 20 s: for what another party
# did (an approver, the clock), which Graph shows only after its replication lag, as the real service.
eventually() {
    local what=$1; shift
    for _ in $(seq 1 40); do "$@" && return 0; sleep 0.5; done
    fail "$what (still not after 20 s)"
}
# The emulator's admin endpoints.
state() { curl -sf "$base/_emulator/state"; }
admin() { curl -sf -X POST -H 'Content-Type: application/json' "$base/_emulator/$1" -d "$2" > /dev/null; }

# Leak checks (issue 12): no secret the emulator issued may show up in a process's arguments or in
# anything Elevate prints, except where a command prints it on purpose.
#
# record_elevate: from now on $elevate is a wrapper that runs the real one and appends everything it
# prints to printed.txt; the stdout of `console --print-url`, `env` and `credential-process`, which
# carry a secret on purpose, is left out. Exit code, stdout and stderr stay the real ones, streamed.
record_elevate() {
    local real=$elevate
    cat > "$work/elevate-recorded" <<W
#!/usr/bin/env bash
set -o pipefail
out="$work/printed.txt"
for a in "\$@"; do case \$a in --print-url|env|credential-process) out=/dev/null;; esac; done
{ "$real" "\$@" 2>&1 1>&3 3>&- | tee -a "$work/printed.txt" >&2; } 3>&1 | tee -a "\$out"
W
    chmod +x "$work/elevate-recorded"
    elevate="$work/elevate-recorded"
}
# sample_cmdlines: in the background, every 0.1 s, the arguments of every process on the machine
# (/proc/*/cmdline), each distinct one once, into cmdlines.txt, until $work goes (cleanup).
sample_cmdlines() {
    : > "$work/cmdlines.txt"
    ( set +e # a process that ends while it is read is no reason to stop
      while [[ -d $work ]]; do
          cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n'
          sleep 0.1
      done | awk '!seen[$0]++ { print; fflush() }' >> "$work/cmdlines.txt" ) < /dev/null > /dev/null 2>&1 &
}
# collect_secrets: every token, code and key the emulator has issued so far, into secrets.txt.
collect_secrets() {
    curl -sf "$base/_emulator/state" | jq -r '(.tokens[][]), (.awsSecrets // {} | .[][])' \
        | grep -v '^$' >> "$work/secrets.txt" || true
    sort -u -o "$work/secrets.txt" "$work/secrets.txt"
}
# check_no_leaks: none of secrets.txt in the browser's arguments, any process's arguments, or what
# Elevate printed.
check_no_leaks() {
    [[ -s $work/secrets.txt ]] || fail "leak check: no secrets collected"
    [[ -s $work/printed.txt ]] || fail "leak check: nothing of Elevate's output was recorded"
    [[ -s $work/cmdlines.txt ]] || fail "leak check: the process sampler recorded nothing"
    local file
    for file in browser-argv.txt cmdlines.txt printed.txt; do
        [[ -e $work/$file ]] || fail "leak check: no $file"
        if grep -Ff "$work/secrets.txt" "$work/$file" > "$work/leaked.txt"; then
            fail "a secret the emulator issued is in $file: $(cut -c1-120 "$work/leaked.txt" | head -n3)"
        fi
    done
}
# curl_secret URL CURL-ARGS...: curl with the URL on its standard input, not on its command line.
curl_secret() {
    local url=$1; shift
    printf 'url = "%s"\n' "$url" | curl -K - "$@"
}
