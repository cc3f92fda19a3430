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
