#!/usr/bin/env bash
# The real `elevate-tray --demo` binary on an X display with a tray host: it signs in through
# ELEVATE_BROWSER, loads the eligible targets from its emulator, shows a tray icon, leaves a
# screenshot, and on SIGTERM quits cleanly, removing its demo data directory.
# Usage: tray_demo_binary.sh ELEVATE_TRAY
set -euo pipefail
tray=$(realpath "$1")
if [[ -z "${DISPLAY:-}" ]]; then
    echo "SKIP: no X display (run through scripts/test or scripts/desktop-session)"
    exit 77
fi
for tool in curl jq import xwininfo; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (scripts/setup --test installs it)"; exit 1; }
done
artifacts=${ELEVATE_TEST_ARTIFACTS:-$(dirname "$tray")/../../../test-artifacts}
mkdir -p "$artifacts"
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; sed -n '1,20p' "$work/err.txt" 2>/dev/null; exit 1; }

ELEVATE_BROWSER='curl -s -o /dev/null -L' QT_QPA_PLATFORM=xcb \
    "$tray" --demo --demo-auto-sign-in alex@contoso.example > "$work/out.txt" 2> "$work/err.txt" &
pid=$!
for _ in $(seq 1 100); do grep -q 'emulator at' "$work/out.txt" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/.*emulator at \(http[^ ]*\).*/\1/p' "$work/out.txt" | head -n1)
[[ -n "$base" ]] || fail "the demo did not say where its emulator listens"
demo_dir=$(sed -n 's/^Demo data (configuration) is in \([^ ]*\) .*/\1/p' "$work/out.txt")
[[ -d "$demo_dir" ]] || fail "the demo data directory does not exist"
[[ "$demo_dir" != "$HOME"* ]] || fail "demo data inside HOME"

# Signed in: the emulator issued tokens; then the eligibilities were read (its request log says so).
for _ in $(seq 1 100); do
    n=$(curl -s "$base/_emulator/state" | jq '.tokens.accessTokens | length')
    [[ "$n" -gt 0 ]] && grep -q 'filterByCurrentUser.*-> 200' "$work/err.txt" && break
    sleep 0.2
done
[[ "$n" -gt 0 ]] || fail "no sign-in happened"
grep -q 'filterByCurrentUser.*-> 200' "$work/err.txt" || fail "the eligible targets were not loaded"
sleep 1
xwininfo -root -tree | grep -qi 'elevate' || fail "no Elevate window on the display"
import -window root "$artifacts/e2e-binary-demo.png"

kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "elevate-tray did not quit on SIGTERM"; fi
wait "$pid" || fail "elevate-tray exited with an error"
pid=""
[[ ! -e "$demo_dir" ]] || fail "the demo data directory was left behind"
echo "PASS"
