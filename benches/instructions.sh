#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: bare axum beside Pulse, in process.
#
#   bash benches/instructions.sh                          # this checkout's benches/server.rs
#   SERVER_EXE=/path/to/server-bench bash benches/instructions.sh   # another build, to compare
#
# Times on a shared or virtual machine drift by tens of percent from one run to the next;
# instruction counts do not (the same binary gives the same count to a fraction of a percent), so
# this is the figure to compare commits with when the machine is busy. Each case of
# `benches/server.rs` runs alone under callgrind for 1000 requests; the script prints the
# instructions per request (everything the request runs: routing, session layer, chain, page,
# document, allocator) and the ratio bare axum / case, the instruction-count analogue of the
# throughput ratios `cargo bench --bench server` prints. Instructions are not time (cache misses
# and the allocator's page faults are not counted), so report both.
#
# Each case runs RUNS times (default 3) and the median count is printed: the hash seeds of a run
# (axum's and hashbrown's maps are seeded at random) move a case by up to 5% between runs of one
# binary, most of all the bare baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/bench_exe.sh
source benches/bench_exe.sh

if ! command -v valgrind >/dev/null; then
    apt-get update && apt-get install -y valgrind
fi

exe=${SERVER_EXE:-}
[ -n "$exe" ] || exe=$(bench_exe server)
[ -n "$exe" ] || { echo "could not build benches/server.rs" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | divan filter (regex) | skip | baseline (the same request through bare axum)
cases=(
    "axum_bare_handler|axum_bare_handler$|^$|axum_bare_handler"
    "pulse_three_middlewares|pulse_three_middlewares$|^$|axum_bare_handler"
    "pulse_three_middlewares_through_router|pulse_three_middlewares_through_router|^$|axum_bare_handler"
    "axum_bare_handler_with_cookie|axum_bare_handler_with_cookie|^$|axum_bare_handler_with_cookie"
    "pulse_three_middlewares_with_session|pulse_three_middlewares_with_session|^$|axum_bare_handler_with_cookie"
    "axum_bare_handler_in_session_layer|axum_bare_handler_in_session_layer|^$|axum_bare_handler"
    "axum_bare_handler_behind_api_hook|axum_bare_handler_behind_api_hook|^$|axum_bare_handler"
    "axum_bare_handler_behind_page_middleware|axum_bare_handler_behind_page_middleware|^$|axum_bare_handler"
    "axum_bare_prerender_json|axum_bare_prerender_json|^$|axum_bare_prerender_json"
    "pulse_prerender_json|pulse_prerender_json|^$|axum_bare_prerender_json"
)
runs=${RUNS:-3}
declare -A per_request
for entry in "${cases[@]}"; do
    IFS='|' read -r name filter skip _ <<<"$entry"
    counts=()
    for run in $(seq 1 "$runs"); do
        valgrind --tool=callgrind --callgrind-out-file="$work/$name.$run.out" \
            "$exe" --bench "$filter" --skip "$skip" --sample-size 1 >/dev/null 2>"$work/$name.log"
        # divan runs the requests on its own thread-pool task: its inclusive count is the 1000
        # requests (plus a few instructions of the loop and timer per sample).
        count=$(callgrind_annotate --inclusive=yes --threshold=100 "$work/$name.$run.out" |
            awk '/TaskShared<F>::new::call \[/ && !n { gsub(",", "", $1); n = $1 } END { print n }')
        [ -n "$count" ] || { echo "no count for $name" >&2; cat "$work/$name.log" >&2; exit 1; }
        rm -f "$work/$name.$run.out"
        counts+=("$((count / 1000))")
    done
    per_request[$name]=$(printf '%s\n' "${counts[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
done

printf '%-40s %14s %14s  %s\n' case instructions "bare / case" "(bare: the same request through bare axum)"
for entry in "${cases[@]}"; do
    IFS='|' read -r name _ _ baseline <<<"$entry"
    n=${per_request[$name]}
    bare=${per_request[$baseline]}
    printf '%-40s %14s %14s  %s\n' "$name" "$n" "$(python3 -c "print(f'{$bare / $n:.2f}x')")" "$baseline"
done
