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
