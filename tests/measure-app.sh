#!/usr/bin/env bash
# Measures the Orgpass desktop app on this machine and prints:
#   - cold start to the interactive organization screen (no session; median of 3 launches),
#   - relaunch to the signed-in view (a session restored from the keychain, no browser; median of 3),
#   - idle RSS after 15 s: the app process and the app plus its WebKit helper processes.
# "Interactive" is the moment the window's script asked the app for its first state (it renders right after);
# the app logs it (target tauri_plugin_orgpass::timing), and the wall clock from exec to that line is reported.
#
# Usage: tests/measure-app.sh [release|debug]     (default: release)
#   release: cargo build --release -p orgpass-app first (after `npm ci && npm run build` in ui/).
# Needs: Xvfb, dbus-run-session, gnome-keyring-daemon, curl, and built `devtenant` and `orgpass` (CLI) binaries
# (cargo build -p devtenant -p orgpass-cli). It runs in a throwaway HOME with its own D-Bus session and keyring.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# --browse URL: the "browser" the CLI uses to sign in once (curl through devtenant's login page as Alice).
if [ "${1:-}" = "--browse" ]; then
    url=$2
    jar=$(mktemp)
    page=$(curl -s -L -c "$jar" -b "$jar" "$url")
    state=$(printf '%s' "$page" | sed -n 's/.*name="state" value="\([^"]*\)".*/\1/p' | head -n 1)
    base=$(printf '%s' "$url" | sed 's#^\(http://[^/]*\).*#\1#')
    curl -s -L -c "$jar" -b "$jar" -o /dev/null \
        --data-urlencode "state=$state" --data-urlencode "username=alice@example.com" \
        --data-urlencode "password=Alice-pass-1" --data "action=default" "$base/u/login"
    rm -f "$jar"
    exit 0
fi

PROFILE=${1:-release}
APP=$ROOT/target/$PROFILE/orgpass-app
pick() { for p in "$ROOT/target/release/$1" "$ROOT/target/debug/$1"; do [ -x "$p" ] && { echo "$p"; return; }; done; echo "missing: build $1 (cargo build -p $2)" >&2; exit 1; }
DEVTENANT=$(pick devtenant devtenant)
CLI=$(pick orgpass orgpass-cli)
[ -x "$APP" ] || { echo "missing $APP: cd ui && npm ci && npm run build; cargo build $([ "$PROFILE" = release ] && echo --release) -p orgpass-app" >&2; exit 1; }

# Own HOME, D-Bus session and unlocked keyring, and an X server when there is none.
if [ -z "${ORGPASS_MEASURE_INNER:-}" ]; then
    export HOME; HOME=$(mktemp -d)
    export ORGPASS_MEASURE_INNER=1
    exec dbus-run-session -- "$0" "$@"
fi
printf 'pw' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
if [ -z "${DISPLAY:-}" ]; then
    Xvfb :93 -screen 0 1280x900x24 >/dev/null 2>&1 &
    XVFB=$!
    trap 'kill $XVFB 2>/dev/null || true' EXIT
    export DISPLAY=:93
    sleep 1
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$DEVTENANT" serve --port "$PORT" >/dev/null 2>&1 &
TENANT=$!
trap 'kill $TENANT 2>/dev/null || true; kill ${XVFB:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration" && break; sleep 0.1; done

export ORGPASS_ISSUER="http://127.0.0.1:$PORT/" ORGPASS_CLIENT_ID=orgpass-desktop ORGPASS_NO_SCHEME_REGISTRATION=1
# Both names: this build logs from the plugin; builds before the plugin logged as orgpass_app::timing.
export ORGPASS_LOG=tauri_plugin_orgpass::timing=info,orgpass_app::timing=info
export XDG_CONFIG_HOME=$HOME/config XDG_DATA_HOME=$HOME/data

now_ms() { date +%s%3N; }

# Launch the app, wait for its "window interactive" line; sets MS and SCREEN; leaves it running as $APP_PID.
launch() {
    local log; log=$(mktemp)
    local t0; t0=$(now_ms)
    "$APP" 2>"$log" &
    APP_PID=$!
    for _ in $(seq 600); do
        if grep -q "window interactive" "$log"; then
            local t1; t1=$(now_ms)
            MS=$((t1 - t0))
            SCREEN=$(sed -n 's/.*screen="\{0,1\}\([a-z-]*\).*/\1/p' "$log" | head -n 1)
            rm -f "$log"
            return
        fi
        sleep 0.02
    done
    echo "the app did not become interactive within 12 s; its log:" >&2; cat "$log" >&2; exit 1
}
stop() { kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; }
median() { sort -n | sed -n '2p'; }

cold=()
for _ in 1 2 3; do
    rm -rf "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
    launch
    [ "$SCREEN" = organization ] || { echo "expected the organization screen, got $SCREEN" >&2; exit 1; }
    cold+=("$MS"); stop
done

# One sign-in through the CLI (same keychain and session index as the app), then relaunch the app.
"$CLI" login --org acme --browser "$0 --browse" --timeout 60 >/dev/null
warm=()
for _ in 1 2 3; do
    launch
    [ "$SCREEN" = signed-in ] || { echo "expected the signed-in view, got $SCREEN" >&2; exit 1; }
    warm+=("$MS"); stop
done

# Idle memory: start, wait 15 s, sum resident memory of the app and its descendants (WebKit processes).
launch
sleep 15
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
app_kb=$(rss_kb "$APP_PID")
total_kb=0; for p in $(tree "$APP_PID"); do total_kb=$((total_kb + $(rss_kb "$p"))); done
stop

echo "Orgpass desktop app ($PROFILE build), $(nproc) cores, $(uname -sr)"
echo "cold start to interactive organization screen: $(printf '%s\n' "${cold[@]}" | median) ms (runs: ${cold[*]})"
echo "relaunch to signed-in view (from keychain):     $(printf '%s\n' "${warm[@]}" | median) ms (runs: ${warm[*]})"
echo "idle RSS after 15 s: app process $((app_kb / 1024)) MiB; with WebKit helper processes $((total_kb / 1024)) MiB"
