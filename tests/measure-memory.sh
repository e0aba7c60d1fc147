#!/usr/bin/env bash
# Idle memory of the Orgpass desktop app against an empty Tauri 2 window (tests/empty-window: same Tauri, same
# window size, nothing in it), measured alternately N times on this machine. Each launch waits until the window is
# up, then IDLE seconds, then sums the proportional set size (PSS, /proc/PID/smaps_rollup) of the process and its
# descendants (WebKit's web and network processes). Prints each process kind's median, the tree's median for both,
# and the ratio app/empty.
#
# Usage: tests/measure-memory.sh [N] [IDLE]        (default: 5 rounds, 10 s idle)
# Builds what it needs first (release): the UI, `orgpass-app` and `orgpass-empty-window` in one cargo invocation
# (so Tauri's features are the same for both), and `devtenant` (the app's tenant; the app shows its organization
# screen). Runs in a throwaway HOME with its own D-Bus session, keyring and (when DISPLAY is unset) Xvfb.
# ORGPASS_APP_ENV, EMPTY_WINDOW_ENV: extra `KEY=VALUE` words for the app's or the empty window's environment only
# (to try a setting, e.g. EMPTY_WINDOW_ENV=WEBKIT_DISABLE_COMPOSITING_MODE=1 to give the empty window the app's).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-5}
IDLE=${2:-10}

if [ -z "${ORGPASS_MEASURE_INNER:-}" ]; then
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund >/dev/null && npm run -s build >/dev/null)
    flock "${CARGO_LOCK:-/tmp/cargo.lock}" cargo build --quiet --release -p orgpass-app -p orgpass-empty-window -p devtenant --manifest-path "$ROOT/Cargo.toml"
    export HOME; HOME=$(mktemp -d)
    export ORGPASS_MEASURE_INNER=1
    exec dbus-run-session -- "$0" "$@"
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
APP=$TARGET/release/orgpass-app
EMPTY=$TARGET/release/orgpass-empty-window
printf 'pw' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
if [ -z "${DISPLAY:-}" ]; then
    Xvfb :94 -screen 0 1280x900x24 >/dev/null 2>&1 &
    XVFB=$!
    export DISPLAY=:94
    sleep 1
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TARGET/release/devtenant" serve --port "$PORT" >/dev/null 2>&1 &
TENANT=$!
trap 'kill $TENANT ${XVFB:-} 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration" && break; sleep 0.1; done
export ORGPASS_ISSUER="http://127.0.0.1:$PORT/" ORGPASS_CLIENT_ID=orgpass-desktop ORGPASS_NO_SCHEME_REGISTRATION=1
export XDG_CONFIG_HOME=$HOME/config XDG_DATA_HOME=$HOME/data XDG_CACHE_HOME=$HOME/cache

pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
kind() {
    case "$(cat "/proc/$1/comm" 2>/dev/null)" in
        WebKitWebProces*) echo web ;;
        WebKitNetworkPr*) echo network ;;
        *) echo main ;;
    esac
}
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
# Runs "$@" for IDLE s once its window's web process is up; prints "main web network total" in KiB.
measure() {
    env "$@" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 300); do
        tree "$pid" | while read -r p; do kind "$p"; done | grep -q web && break
        sleep 0.05
    done
    sleep "$IDLE"
    local main=0 web=0 network=0
    for p in $(tree "$pid"); do
        local kb; kb=$(pss_kb "$p")
        case "$(kind "$p")" in
            web) web=$((web + kb)) ;;
            network) network=$((network + kb)) ;;
            *) main=$((main + kb)) ;;
        esac
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$main $web $network $((main + web + network))"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

: > "$HOME/empty.txt"; : > "$HOME/app.txt"
for i in $(seq "$ROUNDS"); do
    # shellcheck disable=SC2086
    measure ${EMPTY_WINDOW_ENV:-} "$EMPTY" >> "$HOME/empty.txt"
    # shellcheck disable=SC2086
    measure ${ORGPASS_APP_ENV:-} "$APP" >> "$HOME/app.txt"
    echo "round $i/$ROUNDS: empty $(tail -n 1 "$HOME/empty.txt" | awk '{print $4}') KiB, app $(tail -n 1 "$HOME/app.txt" | awk '{print $4}') KiB" >&2
done

col() { awk -v c="$2" '{print $c}' "$HOME/$1.txt" | median; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo "Idle PSS after ${IDLE} s, median of $ROUNDS alternating launches each ($(nproc) cores, $(uname -sr), $(date -u +%F))"
printf '%-22s %10s %10s %10s %10s\n' "" main web network total
for w in empty app; do
    printf '%-22s %8s MiB %6s MiB %6s MiB %6s MiB\n' "$([ $w = empty ] && echo "empty Tauri window" || echo "Orgpass app")" \
        "$(mib "$(col $w 1)")" "$(mib "$(col $w 2)")" "$(mib "$(col $w 3)")" "$(mib "$(col $w 4)")"
done
awk -v a="$(col app 4)" -v e="$(col empty 4)" 'BEGIN {printf "app/empty: %.2f×\n", a / e}'
