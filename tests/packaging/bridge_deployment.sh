#!/usr/bin/env bash
# The deployment files of elevate-bridge (packaging/bridge/) are sound:
#   - the systemd unit passes `systemd-analyze verify` without a single remark (on a copy whose
#     ExecStart is the build's binary) and keeps its hardening and credential lines;
#   - the example configuration is JSON with the keys the bridge reads (each "bridge" key is one
#     BridgeConfig documents), one credential, named through the unit's LoadCredential=, and the built
#     elevate-bridge accepts it up to reading that credential;
#   - every package the Containerfile installs exists (apt-cache show), the build stage's are the ones
#     scripts/setup installs, the runtime stage's cover every Qt and OpenSSL library the binary loads,
#     and the image's HEALTHCHECK answers 0 for a 200, not 0 for a 503 or nothing listening.
# Usage: bridge_deployment.sh SOURCE_DIR BRIDGE_BINARY|none
set -euo pipefail
src=$1
bin=${2:-none}
dir=$src/packaging/bridge
unit=$dir/elevate-bridge.service
config=$dir/config.example.json
containerfile=$dir/Containerfile
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
note() { echo "note: $*"; }
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null || true' EXIT

for f in "$unit" "$config" "$containerfile" "$dir/README.md"; do
    [[ -f $f ]] || { echo "FAIL: $f is missing" >&2; exit 1; }
done

# ---- the unit
for line in 'DynamicUser=yes' 'StateDirectory=elevate-bridge' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'ProtectHome=yes' 'PrivateTmp=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' 'Restart=on-failure' 'KillSignal=SIGTERM' \
    'LoadCredential=client-secret:/etc/elevate-bridge/client-secret' \
    'ExecStart=/usr/bin/elevate-bridge --config /etc/elevate-bridge/config.json'; do
    grep -qxF -- "$line" "$unit" || fail "the unit has no line '$line'"
done
grep -qE '^RestartSec=[0-9]+' "$unit" || fail "the unit has no RestartSec="
grep -qE '^TimeoutStopSec=[0-9]+' "$unit" || fail "the unit has no TimeoutStopSec="
if ! command -v systemd-analyze >/dev/null; then
    note "no systemd-analyze: the unit is not verified"
    verified=no
elif [[ $bin == none || ! -x $bin ]]; then
    note "no elevate-bridge binary ($bin): the unit is not verified"
    verified=no
else
    sed "s|^ExecStart=/usr/bin/elevate-bridge |ExecStart=$bin |" "$unit" > "$work/elevate-bridge.service"
    grep -qF "ExecStart=$bin " "$work/elevate-bridge.service" || fail "could not point the unit's copy at $bin"
    if ! systemd-analyze verify "$work/elevate-bridge.service" > "$work/verify.txt" 2>&1; then
        fail "systemd-analyze verify: $(cat "$work/verify.txt")"
    elif [[ -s $work/verify.txt ]]; then
        fail "systemd-analyze verify has remarks: $(cat "$work/verify.txt")"
    fi
    verified=yes
fi

# ---- the example configuration
if ! jq -e 'type == "object"' "$config" >/dev/null; then
    fail "$config is not a JSON object"
else
    for key in .entra.tenant .entra.clientId .entra.authorityHost .graph.resource .graph.baseUrl \
        .aws.sync.servicePrincipalId .bridge.pollSeconds .bridge.listen; do
        [[ $(jq -r "$key | type" "$config") =~ ^(string|number)$ ]] || fail "the example has no $key"
    done
    credentials=$(jq '[.bridge | (.clientSecretFile, .clientSecretEnv, .certificateFile) | select(. != null)] | length' "$config")
    [[ $credentials == 1 ]] || fail "the example names $credentials credentials (one of clientSecretFile, clientSecretEnv, certificateFile)"
    if jq -e '.bridge | has("clientSecret") or has("privateKey")' "$config" >/dev/null; then
        fail "the example holds a secret itself"
    fi
    # Each key of "bridge" is one the bridge's configuration documents (`// bridge.KEY`).
    header=$src/src/app/bridge/bridgeconfig.h
    while read -r key; do
        grep -qE "// bridge\.$key\b" "$header" || fail "the example's bridge.$key is not a key of BridgeConfig ($header)"
    done < <(jq -r '.bridge | keys[]' "$config")
    # The secret file is the credential the unit loads.
    secret=$(jq -r '.bridge.clientSecretFile // empty' "$config")
    name=$(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$unit")
    [[ $secret == "\$CREDENTIALS_DIRECTORY/$name" ]] \
        || fail "bridge.clientSecretFile ($secret) is not the unit's credential \$CREDENTIALS_DIRECTORY/$name"
    # The groups the example maps are object ids (what bridge.groupIds and GUID keys of mapping.groups hold).
    guid='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    for v in $(jq -r '.entra.tenant, .entra.clientId, .aws.sync.servicePrincipalId' "$config"); do
        [[ $v =~ $guid ]] || fail "the example's $v is not a GUID"
    done
fi

# The bridge itself takes the example up to the credential: outside its unit the systemd credential
# cannot be read (exit 3, naming CREDENTIALS_DIRECTORY), so nothing is asked of the network. A key the
# bridge refused would be named instead.
if [[ $bin != none && -x $bin ]]; then
    set +e
    env -u CREDENTIALS_DIRECTORY -u STATE_DIRECTORY HOME="$work" XDG_STATE_HOME="$work/state" \
        timeout 20 "$bin" --config "$config" --once --dry-run > "$work/bridge.out" 2> "$work/bridge.err"
    rc=$?
    set -e
    [[ $rc == 3 ]] || fail "elevate-bridge with the example exited $rc, expected 3: $(cat "$work/bridge.err")"
    grep -q 'CREDENTIALS_DIRECTORY' "$work/bridge.err" \
        || fail "elevate-bridge refused the example for another reason: $(cat "$work/bridge.err")"
fi

# ---- the Containerfile
# Each stage's apt-get install list: the words after --no-install-recommends up to the next &&.
packages_of_stage() { # $1: 1 (build) or 2 (runtime)
    awk -v stage="$1" '/^FROM /{n++} n==stage' "$containerfile" | tr -d '\\' | tr '\n' ' ' \
        | sed -n 's/.*--no-install-recommends \(.*\)/\1/p' | sed 's/&&.*//' | tr -s ' ' '\n' | sed '/^$/d'
}
build_packages=$(packages_of_stage 1)
runtime_packages=$(packages_of_stage 2)
[[ -n $build_packages && -n $runtime_packages ]] || fail "no apt-get install list in both stages"
setup_packages=$(sed -n '/^packages=(/,/)/p' "$src/scripts/setup" | tr -d '()' | sed 's/packages=//' | tr -s ' ' '\n')
for p in $build_packages; do
    grep -qxF "$p" <<<"$setup_packages" || fail "the build stage installs $p, which scripts/setup does not"
done
if command -v apt-cache >/dev/null; then
    for p in $build_packages $runtime_packages; do
        apt-cache show "$p" >/dev/null 2>&1 || fail "no Debian package $p (Containerfile)"
    done
else
    note "no apt-cache: the package names are not checked"
fi
runtime=$(awk '/^FROM /{n++} n==2' "$containerfile")
grep -qE '^FROM debian:bookworm' "$containerfile" || fail "the image is not built on Debian 12 (bookworm)"
grep -qE -- '--target elevate-bridge' "$containerfile" || fail "the build stage does not build only elevate-bridge"
grep -qE '^USER ' <<<"$runtime" || fail "the runtime stage has no USER"
if grep -qE '^USER (root|0)$' <<<"$runtime"; then fail "the runtime stage runs as root"; fi
grep -qF 'VOLUME ["/var/lib/elevate-bridge"]' <<<"$runtime" || fail "no volume /var/lib/elevate-bridge"
grep -qF 'ENTRYPOINT ["/usr/local/bin/elevate-bridge", "--config", "/etc/elevate-bridge/config.json"]' <<<"$runtime" \
    || fail "the entrypoint is not elevate-bridge --config /etc/elevate-bridge/config.json"
port=$(jq -r '.bridge.listen' "$config" | sed 's/.*://')
grep -qxF "EXPOSE $port" <<<"$runtime" || fail "the image does not expose the example's health port $port"

# The runtime packages hold every Qt and OpenSSL library the binary loads, and the plug-ins it needs.
if [[ $bin != none && -x $bin ]] && command -v ldd >/dev/null && command -v dpkg >/dev/null; then
    libs=$(ldd "$bin" | awk '/=> \//{print $3}' | grep -E 'libQt6|libssl|libcrypto' || true)
    [[ -n $libs ]] || fail "ldd lists no Qt library of $bin"
    plugins=$(dirname "$(dpkg -L libqt6network6 | grep -m1 '/plugins/tls/libqopensslbackend.so$')")
    for lib in $libs "$plugins/libqopensslbackend.so" \
        "$(dpkg -L libqt6sql6-sqlite | grep -m1 '/sqldrivers/libqsqlite.so$')"; do
        # The package of the file itself, or of the name ldd gave (Debian ships both under /usr/lib).
        pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1 || true)
        [[ -n $pkg ]] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1 || true)
        [[ -n $pkg ]] || { fail "no package owns $lib"; continue; }
        grep -qxF "$pkg" <<<"$runtime_packages" || fail "$lib comes from $pkg, which the runtime stage does not install"
    done
else
    note "no elevate-bridge binary: its libraries are not matched with the runtime packages"
fi

# The HEALTHCHECK command (exec form, JSON) against a server that answers 200, then 503, then none.
health=$(awk '/^HEALTHCHECK/{on=1} on{sub(/\\$/, ""); printf "%s", $0; if ($0 ~ /CMD \[/) exit}' "$containerfile" \
    | sed 's/.*CMD //')
if ! jq -e 'type == "array" and length > 0' <<<"$health" >/dev/null 2>&1; then
    fail "the HEALTHCHECK is not an exec-form command: $health"
elif ! command -v python3 >/dev/null; then
    note "no python3: the HEALTHCHECK is not run"
else
    mapfile -t argv < <(jq -r '.[]' <<<"$health")
    grep -qF "/$port" <<<"${argv[*]}" || fail "the HEALTHCHECK does not ask port $port"
    cat > "$work/server.py" <<'PY'
import http.server, sys
code = int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(code if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
    free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    local_argv=("${argv[@]//\/$port//$free_port}")
    run_health() { timeout 10 "${local_argv[@]}" >/dev/null 2>&1; }
    if run_health; then fail "the HEALTHCHECK passed with nothing listening"; fi
    for answer in 200 503; do
        python3 "$work/server.py" "$free_port" "$answer" &
        server_pid=$!
        for _ in $(seq 50); do
            (exec 3<>"/dev/tcp/127.0.0.1/$free_port") 2>/dev/null && break
            sleep 0.1
        done
        if run_health; then rc=0; else rc=1; fi
        kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
        if [[ $answer == 200 && $rc != 0 ]]; then fail "the HEALTHCHECK failed against a 200 /healthz"; fi
        if [[ $answer == 503 && $rc == 0 ]]; then fail "the HEALTHCHECK passed against a 503 /healthz"; fi
    done
fi

if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "PASS (unit verified: $verified)"
