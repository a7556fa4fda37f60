# Sourced by the benchmark scripts: `bench_exe NAME` builds `benches/NAME.rs` in the bench
# profile and prints the path of its executable (nothing when the build fails).
bench_exe() {
    cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}

# `prerender_lua ADDRS`: the wrk script of the `POST /_pulse/prerender` cases, with the body the
# loopback server printed (`prerender-body <json>`) in its ADDRS output.
prerender_lua() {
    local body
    body=$(awk '$1 == "prerender-body" {print $2}' "$1")
    cat <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
}
