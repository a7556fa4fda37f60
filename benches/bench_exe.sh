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
