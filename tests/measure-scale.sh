#!/usr/bin/env bash
# Measures Orgpass with thousands of organizations against the same app with three, in one run, and prints each
# pair with its ratio:
#   - first paint: launch until the window is interactive (it asked for its first state; median of 3, the two
#     directories alternating), and until it asks for the directory (the cards are sent and indexed after that),
#   - idle RSS after 15 s with each directory (the app and its WebKit helper processes),
#   - restore: relaunch until the signed-in view with 1 vs 50 sessions in the keychain (median of 3), and until
#     every restored session was checked with the tenant (renewed 4 at a time, after the window's first state),
#   - the CLI: `orgpass status` and `orgpass token --org acme` with 1 vs 200 sessions (median of 11),
#   - the filter keystroke at 5,000 entries (the window's vitest benchmark, ui/test/filter.bench.ts).
# The big directory is `devtenant seed generate --orgs 5000` (5,003 with the demo's three), the small one
# `--orgs 0`; one devtenant serves the generated seed, in which Alice is a member of every organization.
#
# Usage: tests/measure-scale.sh [release|debug]     (default: release)
#   release: cargo build --release -p orgpass-app -p devtenant -p orgpass-cli first (after `cargo xtask ui`).
# Needs: Xvfb, dbus-run-session, gnome-keyring-daemon, curl; node (ui/node_modules) for the keystroke figure.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROFILE=${1:-release}
bin() { local p=$ROOT/target/$PROFILE/$1; [ -x "$p" ] || { echo "missing $p: cargo build $([ "$PROFILE" = release ] && echo --release) -p $2" >&2; exit 1; }; echo "$p"; }
APP=$(bin orgpass-app orgpass-app)
DEVTENANT=$(bin devtenant devtenant)
CLI=$(bin orgpass orgpass-cli)

# Own HOME, D-Bus session and unlocked keyring, and an X server when there is none.
if [ -z "${ORGPASS_MEASURE_INNER:-}" ]; then
    export HOME; HOME=$(mktemp -d)
    export ORGPASS_MEASURE_INNER=1
    exec dbus-run-session -- "$0" "$@"
fi
printf 'pw' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
cleanup() { kill ${APP_PID:-} ${TENANT:-} ${XVFB:-} 2>/dev/null || true; }
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ]; then
    Xvfb :94 -screen 0 1280x900x24 >/dev/null 2>&1 &
    XVFB=$!
    export DISPLAY=:94
    sleep 1
fi

GEN=$HOME/generated
"$DEVTENANT" seed generate --orgs 5000 --out "$GEN/big" >/dev/null
"$DEVTENANT" seed generate --orgs 0 --out "$GEN/small" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$DEVTENANT" serve --seed "$GEN/big/seed.toml" --port "$PORT" >/dev/null 2>&1 &
TENANT=$!
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration" || { echo "devtenant did not start on port $PORT" >&2; exit 1; }

export ORGPASS_ISSUER="http://127.0.0.1:$PORT/" ORGPASS_CLIENT_ID=orgpass-desktop ORGPASS_NO_SCHEME_REGISTRATION=1
export ORGPASS_LOG=tauri_plugin_orgpass::timing=info
export XDG_CONFIG_HOME=$HOME/config XDG_DATA_HOME=$HOME/data

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", b / a}'; }

# Launch the app with a config; wait until it is interactive, has asked for its directory (every config here lists
# one) and, with `checked`, has checked its restored sessions with the tenant (a renewal cut short by `stop` could
# leave a rotated refresh token unsaved). Sets MS, DIR_MS, CHECKED_MS, SCREEN; leaves it running as $APP_PID.
launch() {
    local config=$1 want=${2:-} log; log=$(mktemp)
    local t0; t0=$(now_ms)
    ORGPASS_APP_CONFIG=$config "$APP" 2>"$log" &
    APP_PID=$!
    MS=""; DIR_MS=""; CHECKED_MS=""
    for _ in $(seq 1500); do
        if [ -z "$MS" ] && grep -q "window interactive" "$log"; then
            MS=$(( $(now_ms) - t0 ))
            SCREEN=$(sed -n 's/.*screen="\{0,1\}\([a-z-]*\).*/\1/p' "$log" | head -n 1)
        fi
        if [ -z "$DIR_MS" ] && grep -q "directory requested" "$log"; then DIR_MS=$(( $(now_ms) - t0 )); fi
        if [ -z "$CHECKED_MS" ] && grep -q "restored sessions checked" "$log"; then CHECKED_MS=$(( $(now_ms) - t0 )); fi
        if [ -n "$MS" ] && [ -n "$DIR_MS" ] && { [ -z "$want" ] || [ -n "$CHECKED_MS" ]; }; then rm -f "$log"; return; fi
        sleep 0.02
    done
    echo "the app did not get there within about 30 s; its log:" >&2; cat "$log" >&2; exit 1
}
stop() { kill "$APP_PID" 2>/dev/null || true; wait "$APP_PID" 2>/dev/null || true; }
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
idle_mib() { launch "$1"; sleep 15; local t=0; for p in $(tree "$APP_PID"); do t=$((t + $(rss_kb "$p"))); done; stop; echo $((t / 1024)); }

# ---- First paint, 3 vs 5,003 entries, alternating, each from a fresh profile.
small=(); big=(); small_dir=(); big_dir=()
for _ in 1 2 3; do
    for which in small big; do
        rm -rf "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
        launch "$GEN/$which/app.toml"
        [ "$SCREEN" = organization ] || { echo "expected the organization screen, got $SCREEN" >&2; exit 1; }
        stop
        if [ $which = small ]; then small+=("$MS"); small_dir+=("$DIR_MS"); else big+=("$MS"); big_dir+=("$DIR_MS"); fi
    done
done
paint3=$(printf '%s\n' "${small[@]}" | median); paint5k=$(printf '%s\n' "${big[@]}" | median)
dir3=$(printf '%s\n' "${small_dir[@]}" | median); dir5k=$(printf '%s\n' "${big_dir[@]}" | median)

# ---- Idle memory.
mem3=$(idle_mib "$GEN/small/app.toml"); mem5k=$(idle_mib "$GEN/big/app.toml")

# ---- Sessions: sign in with the CLI (same keychain and index as the app) as Alice.
login() { "$CLI" login --org "$1" --browser "$ROOT/tests/measure-app.sh --browse" --timeout 60 >/dev/null; }
# Sets RESTORE (median ms to the signed-in view) and CHECKED (median ms until every session was checked).
restore_median() {
    local runs=() checked=()
    for _ in 1 2 3; do
        launch "$GEN/big/app.toml" checked
        [ "$SCREEN" = signed-in ] || { echo "expected the signed-in view, got $SCREEN" >&2; exit 1; }
        runs+=("$MS"); checked+=("$CHECKED_MS"); stop
    done
    RESTORE=$(printf '%s\n' "${runs[@]}" | median); CHECKED=$(printf '%s\n' "${checked[@]}" | median)
}
cli_median() {
    local runs=() t0
    for _ in $(seq 11); do
        t0=$(date +%s%N); "$CLI" "$@" >/dev/null || exit 1; runs+=($(( ($(date +%s%N) - t0) / 1000 )))
    done
    printf '%s\n' "${runs[@]}" | median
}
sessions() { "$CLI" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

login acme
[ "$(sessions)" = 1 ] || { echo "expected 1 session, status says $(sessions)" >&2; exit 1; }
restore_median; restore1=$RESTORE; checked1=$CHECKED
status1=$(cli_median status); token1=$(cli_median token --org acme)
for i in $(seq 0 48); do login "scale-$i"; done
[ "$(sessions)" = 50 ] || { echo "expected 50 sessions, status says $(sessions)" >&2; exit 1; }
restore_median; restore50=$RESTORE; checked50=$CHECKED
for i in $(seq 49 198); do login "scale-$i"; done
[ "$(sessions)" = 200 ] || { echo "expected 200 sessions, status says $(sessions)" >&2; exit 1; }
status200=$(cli_median status); token200=$(cli_median token --org acme)

echo "Orgpass at scale ($PROFILE build), $(nproc) cores, $(uname -sr)"
echo "first paint (interactive), 3 vs 5,003 organizations:   $paint3 ms vs $paint5k ms ($(ratio "$paint3" "$paint5k")) (runs: ${small[*]} / ${big[*]})"
echo "directory asked for,       3 vs 5,003 organizations:   $dir3 ms vs $dir5k ms ($(ratio "$dir3" "$dir5k"))"
echo "idle RSS after 15 s (app + WebKit), 3 vs 5,003:        $mem3 MiB vs $mem5k MiB ($(ratio "$mem3" "$mem5k"))"
echo "restore to the signed-in view, 1 vs 50 sessions:       $restore1 ms vs $restore50 ms ($(ratio "$restore1" "$restore50"))"
echo "every restored session checked, 1 vs 50 sessions:      $checked1 ms vs $checked50 ms (4 at a time, after the first state)"
echo "orgpass status, 1 vs 200 sessions:                     $status1 µs vs $status200 µs ($(ratio "$status1" "$status200"))"
echo "orgpass token --org acme, 1 vs 200 sessions:           $token1 µs vs $token200 µs ($(ratio "$token1" "$token200"))"
if [ -d "$ROOT/ui/node_modules" ]; then
    echo "filter keystroke at 5,000 entries (ui/test/filter.bench.ts, jsdom):"
    echo "  name, hz, min, max, mean, p75, p99, p995, p999 (ms), rme, samples:"
    (cd "$ROOT/ui" && npx vitest bench --run test/filter.bench.ts 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -E "·" | sed 's/^ */  /') || true
fi
