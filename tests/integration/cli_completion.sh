#!/usr/bin/env bash
# Shell completion and the man page, both generated from the command table: `elevate completion
# bash|zsh|fish` completes commands, each command's own options, and targets and request ids from the
# local history (no network: the emulator is stopped before completing); an unknown shell is a usage
# error; `elevate __man` is a man page man(1) renders without a warning.
# Usage: cli_completion.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq bash zsh fish man

sandbox
export XDG_CONFIG_HOME="$HOME/.config"
start_emulator cfg
jq --arg s "Elevate completion test $$" '.keychain.service = $s' cfg > cfg.tmp && mv cfg.tmp cfg
export ELEVATE_CONFIG="$work/cfg"
curl_browser
# On the PATH as `elevate`, as a package installs it (the scripts call the program they complete).
mkdir -p bin && ln -s "$elevate" bin/elevate
export PATH="$work/bin:$PATH"

expect_rc 0 "login" elevate login
expect_rc 0 "request needing approval" elevate request 345678901234/NetworkAdministrator --duration 45m \
    --justification "completion test" --ticket-system Jira --ticket OPS-9 --json
rid=$(jq -r .id out.txt)
[[ -n "$rid" && "$rid" != null ]] || fail "no request id: $(cat out.txt)"
expect_rc 0 "request" elevate request 123456789012/ReadOnlyAccess --justification "completion test" \
    --ticket-system Jira --ticket OPS-10
# From here on nothing may need the network.
kill "$epid"; wait "$epid" 2>/dev/null || true; epid=""

expect_rc 0 "completion bash" elevate completion bash
cp out.txt elevate.bash
expect_rc 2 "completion for another shell" elevate completion tcsh
grep -q "bash, zsh and fish" err.txt || fail "the error does not name the shells: $(cat err.txt)"
expect_rc 2 "completion without a shell" elevate completion

# bash: COMPREPLY for a partial command line (the words, the last one being completed).
complete_bash() {
    bash -c 'source ./elevate.bash; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _elevate; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$@" | sort
}
expect() { # expect DESCRIPTION WANTED-LINES ACTUAL-LINES
    [[ "$2" == "$3" ]] || fail "$1: expected [$2], got [$3]"
}
expect "commands starting with re" "request" "$(complete_bash elevate re)"
expect "commands starting with de" "deactivate
deny" "$(complete_bash elevate de)"
[[ $(complete_bash elevate "" | wc -l) -eq 19 ]] || fail "not every command offered: $(complete_bash elevate "")"
complete_bash elevate "" | grep -q "^__" && fail "a hidden command is offered"
expect "request's options" "--duration" "$(complete_bash elevate request 123456789012/ReadOnlyAccess --du)"
expect "an option of another command" "" "$(complete_bash elevate status --du)"
expect "aws-login's options" "--device-code" "$(complete_bash elevate aws-login --dev)"
expect "global options" "--config" "$(complete_bash elevate --con)"
expect "targets from the history" "123456789012/ReadOnlyAccess" "$(complete_bash elevate request 1234)"
expect "targets after options" "345678901234/NetworkAdministrator" \
    "$(complete_bash elevate --json deactivate --justification why 3456)"
expect "open requests" "$rid" "$(complete_bash elevate approve "${rid:0:6}")"
expect "requests and targets for cancel" "$rid" "$(complete_bash elevate cancel "${rid:0:6}")"
expect "one argument only" "" "$(complete_bash elevate env 123456789012/ReadOnlyAccess 1234)"
expect "no value completed for --duration" "" "$(complete_bash elevate request x --duration "")"
expect "shells" "bash
fish
zsh" "$(complete_bash elevate completion "")"
# --config on the line is the configuration whose history is read.
mkdir -p other && jq --arg p "$work/other/none.sqlite" '.history.path = $p' cfg > other/cfg
expect "another configuration's history" "" "$(complete_bash elevate --config other/cfg request 1234)"
[[ ! -e other/none.sqlite ]] || fail "completing created a history"

# zsh, through bashcompinit (whose compgen leaves the matching against the word to zsh: the candidates
# are every target, and no option).
expect_rc 0 "completion zsh" elevate completion zsh
cp out.txt _elevate
zsh -n _elevate || fail "the zsh script does not parse"
got=$(zsh -f -c 'autoload -U +X compinit && compinit -u -d "$PWD/.zcompdump"; source ./_elevate;
    COMP_WORDS=(elevate request 1234); COMP_CWORD=2; emulate sh -c _elevate; print -l -- $COMPREPLY' | sort)
expect "zsh: targets" "123456789012/ReadOnlyAccess
345678901234/NetworkAdministrator" "$got"
got=$(zsh -f -c 'autoload -U +X compinit && compinit -u -d "$PWD/.zcompdump"; source ./_elevate;
    COMP_WORDS=(elevate aws-login --); COMP_CWORD=2; emulate sh -c _elevate; print -l -- $COMPREPLY' | sort)
expect "zsh: options" "--config
--device-code
--fresh
--help
--json" "$got"

# fish: its own completion engine on a partial line.
expect_rc 0 "completion fish" elevate completion fish
cp out.txt elevate.fish
complete_fish() { fish --no-config -c "source $work/elevate.fish; complete -C '$1'" | cut -f1 | sort; }
expect "fish: commands" "request" "$(complete_fish 'elevate req')"
expect "fish: options" "--print-url" "$(complete_fish 'elevate console x --pr')"
expect "fish: targets" "123456789012/ReadOnlyAccess" "$(complete_fish 'elevate env 1234')"

# The man page: every command, rendered without a warning.
expect_rc 0 "man page" elevate __man
cp out.txt elevate.1
MANWIDTH=100 man --warnings -l elevate.1 > man.txt 2> man.err || fail "man failed: $(cat man.err)"
[[ ! -s man.err ]] || fail "man warns: $(cat man.err)"
for c in login logout whoami eligible request status cancel deactivate history approvals approve deny \
         aws-login console env profiles end-all credential-process completion; do
    grep -q "^       $c\b" man.txt || fail "the man page lacks $c"
done
grep -q -- "--justification" man.txt || fail "the man page lacks the options"
grep -q "EXIT STATUS" man.txt || fail "the man page lacks the exit codes"
echo "PASS"
