#!/usr/bin/env bash
# Instructions per request over loopback: the servers of benches/loopback.rs run under valgrind's
# callgrind while wrk drives them; the server's instructions per request include hyper, the
# connection's timers and everything above them (not the kernel's work).
#
#   bash benches/loopback_instructions.sh
#   LOOPBACK_EXE=/path/to/loopback-binary bash benches/loopback_instructions.sh   # another build
#
# Like benches/instructions.sh in process, this is the figure to compare builds with on a busy
# or virtual machine, where req/s and CPU times move by tens of percent between runs: the counts
# of one binary repeat to about 2%. Each case: 2 s of warm-up, counters zeroed, 5 s measured with
# 4 connections, counters dumped; instructions / requests. Cases as in benches/loopback.sh
# (the page with a session is compared with bare axum given the same cookie; the JSON form,
# `POST /_pulse/prerender`, with bare axum answering the same JSON).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/bench_exe.sh
source benches/bench_exe.sh

for tool in valgrind wrk curl; do
    command -v "$tool" >/dev/null || { apt-get update && apt-get install -y valgrind wrk curl; break; }
done

exe=${LOOPBACK_EXE:-}
[ -n "$exe" ] || exe=$(bench_exe loopback)
[ -n "$exe" ] || { echo "could not build benches/loopback.rs" >&2; exit 1; }

work=$(mktemp -d)
valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p.out" "$exe" --serve >"$work/addrs" 2>"$work/valgrind.log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do
    grep -q '^pulse ' "$work/addrs" 2>/dev/null && break
    sleep 0.5
done
bare=$(awk '$1 == "bare" {print $2}' "$work/addrs")
pulse=$(awk '$1 == "pulse" {print $2}' "$work/addrs")
[ -n "$pulse" ] || { echo "the servers did not start" >&2; cat "$work/valgrind.log" >&2; exit 1; }
cookie=$(curl -s -D - -o /dev/null "http://$pulse/login" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "set-cookie" {split($2, a, ";"); print a[1]}')
[ -n "$cookie" ] || { echo "no session cookie from /login" >&2; exit 1; }

declare -A per_request
measure() {
    local name=$1
    shift
    wrk -t1 -c4 -d2s "$@" >/dev/null
    callgrind_control -z "$server" >/dev/null
    wrk -t1 -c4 -d5s "$@" >"$work/wrk.out"
    callgrind_control -d "$server" >/dev/null
    sleep 1
    local requests dump total
    requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
    dump=$(ls -t "$work"/cg.*.out.* | head -1)
    total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    rm -f "$dump"
    per_request[$name]=$((total / requests))
}
measure bare_page "http://$bare/"
measure pulse_page "http://$pulse/"
measure bare_cookie -H "Cookie: $cookie" "http://$bare/"
measure pulse_session -H "Cookie: $cookie" "http://$pulse/"
prerender_lua "$work/addrs" >"$work/post.lua"
measure bare_json -s "$work/post.lua" "http://$bare/_pulse/prerender"
measure pulse_json -s "$work/post.lua" "http://$pulse/_pulse/prerender"

printf '%-16s %14s %12s\n' case instructions "bare / case"
for pair in bare_page:bare_page pulse_page:bare_page bare_cookie:bare_cookie pulse_session:bare_cookie \
    bare_json:bare_json pulse_json:bare_json; do
    name=${pair%%:*}
    base=${pair##*:}
    printf '%-16s %14s %12s\n' "$name" "${per_request[$name]}" \
        "$(python3 -c "print(f'{${per_request[$base]} / ${per_request[$name]}:.2f}x')")"
done
