#!/usr/bin/env bash
# Awkward AWS CLI files, with Debian's real AWS CLI as the judge (issue #11, section 3). For each
# shape of ~/.aws/config and ~/.aws/credentials (written below from botocore's rules, plus the
# corpus under tests/data/aws): the CLI reads the files before (its own botocore, loaded from
# its install, dumps what every `aws` command sees), Elevate tries to write its profile for a
# Ready grant (`elevate profiles`), and then either
#  - Elevate wrote it, and the CLI reads the user's part exactly as before, Elevate's profile
#    gives the emulator's credentials through `aws configure export-credentials`, and every byte
#    the user wrote is still there; or
#  - Elevate refused with one sentence naming the file and the line, and both files are
#    byte-identical.
# Each shape also says which of the two it must be, so refusing everything fails too.
# Usage: cli_awsfiles.sh ELEVATE ELEVATE_EMULATOR
set -euo pipefail
elevate=$(realpath "$1")
emulator=$(realpath "$2")
data=$(realpath "$(dirname "$0")/../data/aws")
# shellcheck source=clitest.sh
source "$(dirname "$0")/clitest.sh"
require_session curl jq
# Debian's awscli 2.9.19 and the Python it runs on; the `aws` and `python3` on PATH may be others.
aws=/usr/bin/aws
python=/usr/bin/python3
[[ -x $aws ]] || fail "$aws is missing (scripts/setup --test installs awscli)"
"$python" -c 'import awscli' 2> /dev/null || fail "$python cannot import the AWS CLI's own modules"

sandbox
ecfg=$work/cfg # the Elevate configuration; cfg-plain for plain credentials
E() { "$elevate" --config "$ecfg" "$@"; }

# What the CLI sees: botocore's session.full_config (the config file's profiles and sections, with
# the credentials file's sections merged in), as JSON; {"unreadable": ...} when it refuses a file.
cat > dump.py <<'PY'
import json, sys
import awscli  # noqa: F401  makes `botocore` the CLI's own vendored copy
import botocore.session
try:
    config = botocore.session.Session().full_config
except Exception as e:
    print(json.dumps({"unreadable": type(e).__name__}))
    sys.exit(0)
print(json.dumps(config, sort_keys=True, default=str))
PY
cli_view() { "$python" dump.py; }

start_emulator cfg
admin settings '{"scimDelaySeconds": 600}'
curl_browser
expect_rc 0 "login" E login
expect_rc 0 "aws-login" E aws-login
expect_rc 0 "request" E request 123456789012/ReadOnlyAccess --duration 1h --wait
admin clock/advance '{"seconds": 601}'
P="elevate-123456789012-ReadOnlyAccess"
expect_rc 0 "profiles once the grant is Ready" E profiles --json
[[ $(jq -r '.profiles[0].profile' out.txt) == "$P" ]] || fail "no Ready profile to test with: $(cat out.txt)"

cases=0
# attempt NAME WANT: WANT is `write` or `refuse`. Uses $cfgfile and $credfile (may be missing).
attempt() {
    local name=$1 want=$2
    cases=$((cases + 1))
    rm -f before-config before-credentials
    [[ -e $cfgfile ]] && cp "$cfgfile" before-config
    [[ -e $credfile ]] && cp "$credfile" before-credentials
    cli_view > view-before.json
    set +e; E profiles --json > out.txt 2> err.txt; set -e
    local problem profile
    problem=$(jq -r --arg r ReadOnlyAccess '.profiles[] | select(.roleName == $r) | .problem // empty' out.txt)
    profile=$(jq -r --arg r ReadOnlyAccess '.profiles[] | select(.roleName == $r) | .profile // empty' out.txt)
    if [[ -n $profile && -z $problem ]]; then
        [[ $want == write ]] || fail "$name: Elevate wrote its profile where it should have refused"
        [[ $(jq -r 'has("unreadable")' view-before.json) == false ]] \
            || fail "$name: Elevate wrote to files the AWS CLI cannot read"
        # Every byte the user wrote is still there (Elevate appends its section).
        if [[ -e before-config ]]; then
            head -c "$(stat -c %s before-config)" "$cfgfile" | cmp -s - before-config \
                || fail "$name: the user's part of the config changed"
        fi
        if [[ -e before-credentials && $ecfg == "$work/cfg" ]]; then
            cmp -s before-credentials "$credfile" || fail "$name: credentials changed"
        elif [[ -e before-credentials ]]; then # plain credentials are appended there
            head -c "$(stat -c %s before-credentials)" "$credfile" | cmp -s - before-credentials \
                || fail "$name: the user's part of the credentials file changed"
        fi
        # The CLI sees the user's part as before, and Elevate's profile gives the emulator's keys.
        cli_view > view-after.json
        jq -S --arg p "$P" 'del(.profiles[$p])' view-before.json > a.json
        jq -S --arg p "$P" 'del(.profiles[$p])' view-after.json > b.json
        cmp -s a.json b.json || { diff a.json b.json || true; fail "$name: the AWS CLI reads the user's part differently"; }
        set +e; $aws configure export-credentials --profile "$P" > aws.out 2> aws.err; local rc=$?; set -e
        [[ $rc -eq 0 ]] || fail "$name: Elevate wrote $P but the AWS CLI cannot use it: $(cat aws.err)"
        local key issued
        key=$(jq -r .AccessKeyId aws.out)
        issued=$(state | jq -r --arg k "$key" '[.aws.roleCredentials[] | select(.accessKeyId == $k and .roleName == "ReadOnlyAccess")] | length')
        [[ $issued -ge 1 ]] || fail "$name: the AWS CLI got other credentials for $P than the emulator's"
    else
        [[ $want == refuse ]] || fail "$name: Elevate refused: $problem $(cat err.txt)"
        [[ -n $problem ]] || fail "$name: Elevate wrote nothing and said nothing: $(cat out.txt err.txt)"
        [[ $problem == *"${3:-line}"* ]] || fail "$name: the refusal does not say ${3:-which line}: $problem"
        if [[ -z ${3:-} ]]; then
            [[ $problem =~ line\ [0-9]+ ]] || fail "$name: no line number in: $problem"
            [[ $problem == *"$cfgfile"* || $problem == *"$credfile"* ]] || fail "$name: no file named in: $problem"
        fi
        [[ $problem != *$'\n'* ]] || fail "$name: more than one line: $problem"
        if [[ -e before-config ]]; then cmp -s before-config "$cfgfile" || fail "$name: the config changed"; else [[ ! -e $cfgfile ]] || fail "$name: a config was created"; fi
        if [[ -e before-credentials ]]; then cmp -s before-credentials "$credfile" || fail "$name: credentials changed"; else [[ ! -e $credfile ]] || fail "$name: a credentials file was created"; fi
    fi
}
# shape NAME WANT CONFIG [CREDENTIALS]: printf-formats both files (no credentials file if omitted).
shape() {
    cfgfile=$HOME/.aws/config credfile=$HOME/.aws/credentials
    # shellcheck disable=SC2059
    printf "$3" > "$cfgfile"
    rm -f "$credfile"
    # shellcheck disable=SC2059
    if [[ $# -ge 4 ]]; then printf "$4" > "$credfile"; fi
    attempt "$1" "$2"
}
# sees_profile NAME: whether the AWS CLI (before Elevate) reads the config as having profile NAME.
sees_profile() { [[ $(jq -r --arg p "$1" '.profiles | has($p)' view-before.json) == true ]]; }

# 1. The corpus: every file the CLI reads is written to, every file it refuses is refused (and the
#    CLI really refuses it, under the C locale too, which CI may have).
for f in "$data"/*.ini; do
    cfgfile=$HOME/.aws/config credfile=$HOME/.aws/credentials
    cp "$f" "$cfgfile"; rm -f "$credfile"
    want=write
    # Appending any section makes botocore check the nested [DEFAULT] value it cannot read.
    [[ $(basename "$f") == default-only-nested.ini ]] && want=refuse
    attempt "$(basename "$f")" "$want"
done
for f in "$data"/rejected/*.ini; do
    cfgfile=$HOME/.aws/config credfile=$HOME/.aws/credentials
    cp "$f" "$cfgfile"; rm -f "$credfile"
    attempt "rejected/$(basename "$f")" refuse
    [[ $(jq -r 'has("unreadable")' view-before.json) == true ]] || fail "rejected/$(basename "$f"): the AWS CLI reads it"
done
for f in bom.ini invalid-utf8.ini surrogate-utf8.ini overlong-utf8.ini; do
    set +e; LC_ALL=C LANG=C AWS_CONFIG_FILE="$data/rejected/$f" $aws configure list-profiles > /dev/null 2> aws.err; rc=$?; set -e
    [[ $rc -ne 0 ]] && grep -q "Unable to parse config file" aws.err || fail "rejected/$f: the AWS CLI reads it under LC_ALL=C"
done
# The default-only-nested refusal is the CLI's: with any section added, it cannot read the file.
{ cat "$data/default-only-nested.ini"; printf '\n[profile added]\nregion = x\n'; } > "$work/nested-plus"
[[ $(AWS_CONFIG_FILE="$work/nested-plus" cli_view | jq -r 'has("unreadable")') == true ]] \
    || fail "default-only-nested.ini stays readable with a section added: Elevate refuses it for nothing"

# 2. Headers botocore reads as Elevate's profile, in the user's spelling: a conflict. Before
#    Elevate, the CLI must really see them as that profile.
for header in "profile \"$P\"" "profile\t$P" "profile   $P" "profiles $P" "profile '$P'" "profile $P  "; do
    shape "user's [$header]" refuse "[default]\nregion = eu-west-1\n\n[$header]\nregion = us-east-1\ncredential_process = /bin/false\n"
    sees_profile "$P" || fail "[$header]: the AWS CLI does not see it as $P; the case proves nothing"
done
# The user's spelling after an old section of Elevate's (it would shadow Elevate's, later wins).
shape "user's section after Elevate's" refuse \
    "[profile $P]\n# Managed by Elevate for 123456789012/ReadOnlyAccess: old\nregion = a\n\n[profile \"$P\"]\nregion = b\n"
# Headers that are not the profile for botocore: no conflict, and they stay as they are.
for header in " profile $P " "$P" "profile $P extra" "profile \"$P" "sso-session $P"; do
    shape "[$header] is not the profile" write "[$header]\nregion = us-east-1\n"
    if sees_profile "$P"; then fail "[$header]: the AWS CLI sees it as $P; the case is wrong"; fi
done

# 3. The credentials file: read before credential_process, its keys override the config's.
shape "user's [$P] in credentials" refuse "[default]\nregion = eu-west-1\n" \
    "[default]\naws_access_key_id = AKIADEFAULTEXAMPLE\naws_secret_access_key = x\n\n[$P]\naws_access_key_id = AKIAUSEREXAMPLE\naws_secret_access_key = y\n"
sees_profile "$P" || fail "the credentials section is not profile $P for the CLI"
shape "user's [$P] in credentials with only a region" refuse "" "[$P]\nregion = eu-north-1\n"
shape "[profile $P] in credentials is another profile" write "" "[profile $P]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = y\n"
shape "unreadable credentials file" refuse "[default]\nregion = eu-west-1\n" "[default]\naws_access_key_id = a\nAws_Access_Key_Id = b\n"
[[ $(jq -r 'has("unreadable")' view-before.json) == true ]] || fail "the CLI reads a credentials file with a duplicate key"
shape "credentials file with a BOM" refuse "" "\xef\xbb\xbf[default]\naws_access_key_id = a\naws_secret_access_key = b\n"

# 4. [DEFAULT]: inherited by every section, Elevate's too.
shape "[DEFAULT] role_arn" refuse "[DEFAULT]\nrole_arn = arn:aws:iam::123456789012:role/Other\nsource_profile = default\n\n[default]\nregion = eu-west-1\n"
shape "[DEFAULT] sso_account_id" refuse "[DEFAULT]\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
shape "[DEFAULT] web_identity_token_file" refuse "[DEFAULT]\nweb_identity_token_file = /var/run/token\n"
shape "[DEFAULT] region and output" write "[DEFAULT]\nregion = eu-central-1\noutput = json\n\n[default]\n"
shape "[DEFAULT] static keys and a credential_process: Elevate's process wins" write \
    "[DEFAULT]\naws_access_key_id = AKIADEFAULTEXAMPLE\naws_secret_access_key = x\ncredential_process = /bin/false\n"
shape "[DEFAULT] in the credentials file, no [$P] there" write "" "[DEFAULT]\nrole_arn = arn:aws:iam::1:role/x\n[other]\naws_access_key_id = a\naws_secret_access_key = b\n"
shape "[ DEFAULT ] is an ordinary section" write "[ DEFAULT ]\nrole_arn = arn:aws:iam::1:role/x\n"

# 5. Plain credentials (aws.plainCredentials): the keys go to [P] in the credentials file, under its
#    [DEFAULT]; aws_security_token there would replace Elevate's session token for the CLI.
jq '.aws.plainCredentials = true' cfg > cfg-plain
ecfg=$work/cfg-plain
shape "plain credentials" write "[default]\nregion = eu-west-1\n" "[default]\naws_access_key_id = AKIADEFAULTEXAMPLE\naws_secret_access_key = x\n"
grep -q "^\[$P\]" "$credfile" || fail "plain credentials: no [$P] in the credentials file"
shape "plain credentials, [DEFAULT] aws_security_token in credentials" refuse "[default]\nregion = eu-west-1\n" "[DEFAULT]\naws_security_token = IQoJold\n"
shape "plain credentials, [DEFAULT] credential_process in the config" refuse "[DEFAULT]\ncredential_process = /bin/false\n"
ecfg=$work/cfg
rm -f "$HOME/.aws/credentials"
expect_rc 0 "profiles, plain credentials off again" E profiles --json

# 6. Where the files are: $VAR and ~ expanded as botocore does; an empty variable means no file.
mkdir -p "$work/elsewhere"
export ELEVATE_TEST_AWS_DIR="$work/elsewhere"
export AWS_CONFIG_FILE='$ELEVATE_TEST_AWS_DIR/config' AWS_SHARED_CREDENTIALS_FILE='${ELEVATE_TEST_AWS_DIR}/credentials'
cfgfile=$work/elsewhere/config credfile=$work/elsewhere/credentials
printf '[default]\nregion = eu-west-1\n' > "$cfgfile"; rm -f "$credfile" "$HOME/.aws/config" "$HOME/.aws/credentials"
attempt "AWS_CONFIG_FILE with \$VAR" write
grep -q "^\[profile $P\]" "$cfgfile" || fail "the profile is not in the expanded path"
[[ ! -e $HOME/.aws/config ]] || fail "Elevate wrote to ~/.aws/config instead of \$AWS_CONFIG_FILE"
export AWS_CONFIG_FILE='~/cli-config' AWS_SHARED_CREDENTIALS_FILE='~/cli-credentials'
cfgfile=$HOME/cli-config credfile=$HOME/cli-credentials
printf '[default]\nregion = eu-west-1\n' > "$cfgfile"
attempt "AWS_CONFIG_FILE with ~" write
export AWS_CONFIG_FILE='' AWS_SHARED_CREDENTIALS_FILE="$HOME/.aws/credentials"
cfgfile=$HOME/.aws/config credfile=$HOME/.aws/credentials
rm -f "$cfgfile" "$credfile"
attempt "empty AWS_CONFIG_FILE" refuse AWS_CONFIG_FILE
[[ ! -e "$work/config" && ! -e "$HOME/config" ]] || fail "an empty AWS_CONFIG_FILE made Elevate write somewhere"
export AWS_CONFIG_FILE="$HOME/.aws/config" AWS_SHARED_CREDENTIALS_FILE=''
printf '[default]\nregion = eu-west-1\n' > "$cfgfile"
attempt "empty AWS_SHARED_CREDENTIALS_FILE" write
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE ELEVATE_TEST_AWS_DIR

echo "PASS: $cases file shapes"
