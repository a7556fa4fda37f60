#!/usr/bin/env bash
# Loopback benchmark: bare axum beside Pulse, driven by wrk, side by side in one run.
#
#   bash benches/loopback.sh            # 6 rounds x 6 cases x 3 s, then the WebSocket figure
#   ROUNDS=6 SECONDS_PER_RUN=5 CONNECTIONS=32 bash benches/loopback.sh
#   WS=0 bash benches/loopback.sh       # skip the WebSocket callback figure
#   LOOPBACK_EXE=/path/to/loopback-binary bash benches/loopback.sh   # e.g. a build of another commit
#
# The servers (benches/loopback.rs) run in one process on one current-thread tokio runtime,
# pinned to core 0 with taskset; wrk (one thread) is pinned to core 1. Each Pulse case runs right
# beside its baseline, in alternating order from round to round; the script prints each run, then
# per case the median req/s, p99 and server CPU time per request (from /proc/<pid>/schedstat),
# and per Pulse case the median over rounds of its ratio to its baseline in the same round, for
# req/s and for CPU per request (which a machine busy with other work disturbs less), with the
# lowest and highest round. Cases:
#   bare_page      GET /                     bare axum, the same HTML document by hand
#   pulse_page     GET /                     Pulse: session layer, 3 middlewares, routing, document
#   bare_cookie    GET / with the session cookie, to bare axum (which ignores it): the baseline
#                  of pulse_session, the same request through both
#   pulse_session  GET / with a session cookie (verified and decoded on each request)
#   bare_json      POST /_pulse/prerender    bare axum, the same JSON by hand
#   pulse_json     POST /_pulse/prerender    Pulse's JSON page request
# Then `cargo bench --bench live_load` (throughput phase only) for callback round-trips per
# second over WebSockets.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/bench_exe.sh
source benches/bench_exe.sh

ROUNDS=${ROUNDS:-6}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
CONNECTIONS=${CONNECTIONS:-32}
WS=${WS:-1}

if ! command -v wrk >/dev/null; then
    apt-get update && apt-get install -y wrk
fi
if ! command -v taskset >/dev/null; then
    apt-get update && apt-get install -y util-linux
fi
CORES=$(nproc)
SERVER_CORE=0
CLIENT_CORE=$((CORES > 1 ? 1 : 0))

exe=${LOOPBACK_EXE:-}
[ -n "$exe" ] || exe=$(bench_exe loopback)
[ -n "$exe" ] || { echo "could not build benches/loopback.rs" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

taskset -c "$SERVER_CORE" "$exe" --serve >"$work/addrs" &
server_pid=$!
for _ in $(seq 50); do
    grep -q '^pulse ' "$work/addrs" 2>/dev/null && break
    sleep 0.1
done
bare=$(awk '$1 == "bare" {print $2}' "$work/addrs")
pulse=$(awk '$1 == "pulse" {print $2}' "$work/addrs")
cookie=$(curl -s -D - -o /dev/null "http://$pulse/login" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "set-cookie" {split($2, a, ";"); print a[1]}')
[ -n "$cookie" ] || { echo "no session cookie from /login" >&2; exit 1; }

body=$(awk '$1 == "prerender-body" {print $2}' "$work/addrs")
prerender_lua "$work/addrs" >"$work/post.lua"

# Each case's response must be what we expect before it is timed.
check() { curl -sf "$@" >/dev/null || { echo "check failed: $*" >&2; exit 1; }; }
check "http://$bare/"
check "http://$pulse/"
check -H "Cookie: $cookie" "http://$bare/"
check -H "Cookie: $cookie" "http://$pulse/"
check -X POST -H 'Content-Type: application/json' -d "$body" "http://$bare/_pulse/prerender"
check -X POST -H 'Content-Type: application/json' -d "$body" "http://$pulse/_pulse/prerender"

run_case() {
    local args=(-t1 "-c$CONNECTIONS" "-d${SECONDS_PER_RUN}s" --latency)
    case $1 in
    bare_page) args+=("http://$bare/") ;;
    pulse_page) args+=("http://$pulse/") ;;
    bare_cookie) args+=(-H "Cookie: $cookie" "http://$bare/") ;;
    pulse_session) args+=(-H "Cookie: $cookie" "http://$pulse/") ;;
    bare_json) args+=(-s "$work/post.lua" "http://$bare/_pulse/prerender") ;;
    pulse_json) args+=(-s "$work/post.lua" "http://$pulse/_pulse/prerender") ;;
    esac
    local cpu_before cpu_after
    cpu_before=$(server_cpu_ns)
    taskset -c "$CLIENT_CORE" wrk "${args[@]}" >"$work/out"
    cpu_after=$(server_cpu_ns)
    if grep -q "Non-2xx" "$work/out"; then
        echo "$1: non-2xx answers" >&2
        cat "$work/out" >&2
        exit 1
    fi
    local rps p99 requests cpu_us
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/out")
    requests=$(awk '/requests in/ {print $1}' "$work/out")
    cpu_us=$(python3 -c "print(f'{($cpu_after - $cpu_before) / 1000 / max($requests, 1):.2f}')")
    echo "$1 $2 $rps $p99 $cpu_us" >>"$work/results"
    printf '  %-14s %10s req/s  p99 %-9s server CPU %s us/request\n' "$1" "$rps" "$p99" "$cpu_us"
}

# The server's CPU time so far, in ns (its one tokio thread is the main thread; the kernel's
# schedstat counts only time it actually ran, so a busy machine does not inflate it).
server_cpu_ns() {
    awk '{print $1}' "/proc/$server_pid/schedstat"
}

# Each Pulse case runs right beside its baseline (the same request through bare axum), in
# alternating order from round to round, so both runs of a pair see the same phase of a noisy
# machine; a pair's ratio is taken within its round, and the summary gives the median of those.
pairs=("bare_page pulse_page" "bare_cookie pulse_session" "bare_json pulse_json")
# Warm-up (not counted).
for _ in 1 2 3; do
    taskset -c "$CLIENT_CORE" wrk -t1 "-c$CONNECTIONS" -d1s "http://$bare/" >/dev/null
    taskset -c "$CLIENT_CORE" wrk -t1 "-c$CONNECTIONS" -d1s "http://$pulse/" >/dev/null
done
echo "loopback: server on core $SERVER_CORE (1 tokio thread), wrk on core $CLIENT_CORE," \
    "$CONNECTIONS connections, ${SECONDS_PER_RUN} s per run, $ROUNDS rounds"
n=${#pairs[@]}
for round in $(seq 0 $((ROUNDS - 1))); do
    echo "round $((round + 1))"
    for i in $(seq 0 $((n - 1))); do
        read -r base case <<<"${pairs[$(((i + round) % n))]}"
        if ((round % 2 == 0)); then
            run_case "$base" "$round"
            run_case "$case" "$round"
        else
            run_case "$case" "$round"
            run_case "$base" "$round"
        fi
    done
done

python3 - "$work/results" <<'PY'
import statistics, sys

def ms(text):
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)

runs = {}
for line in open(sys.argv[1]):
    case, round_, rps, p99, cpu = line.split()
    runs.setdefault(case, {})[int(round_)] = (float(rps), ms(p99), float(cpu))
print("\nper case, the median over rounds; ratio = the case's req/s over its baseline's in the same")
print("round (bare axum, the same request), CPU ratio = the baseline's server CPU per request over")
print("the case's (the throughput ratio on a dedicated core); median of the rounds [lowest, highest]:")
for base, case in (("bare_page", "pulse_page"), ("bare_cookie", "pulse_session"),
                   ("bare_json", "pulse_json")):
    for name in (base, case):
        rps, p99, cpu = (statistics.median(run[i] for run in runs[name].values()) for i in range(3))
        line = f"  {name:<14} {rps:>9.0f} req/s  p99 {p99:.2f} ms  CPU {cpu:.2f} us/request"
        if name == case:
            rounds = sorted(runs[case].keys() & runs[base].keys())
            ratio = [runs[case][r][0] / runs[base][r][0] for r in rounds]
            cpu_ratio = [runs[base][r][2] / runs[case][r][2] for r in rounds]
            line += (f"   req/s {statistics.median(ratio):.2f}x [{min(ratio):.2f}, {max(ratio):.2f}]"
                     f"   CPU {statistics.median(cpu_ratio):.2f}x"
                     f" [{min(cpu_ratio):.2f}, {max(cpu_ratio):.2f}]")
        print(line)
PY

if [ "$WS" = 1 ]; then
    echo
    echo "WebSocket callbacks (cargo bench --bench live_load, throughput phase only):"
    cargo bench --bench live_load -- --idle 0 --churn 0 --connections 100 --messages 200 2>/dev/null |
        grep -v '^$'
fi
