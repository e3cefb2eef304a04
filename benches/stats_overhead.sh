#!/usr/bin/env bash
# The cost of the `stats` feature: throughput of ConcurrentQueue built with the feature
# (the default) and without it (recording compiled out), compared by
# benches/compare_builds.sh (alternating runs of the two binaries).
#
#   benches/stats_overhead.sh                  # 10 alternating rounds, 100 000 jobs per run
#   ROUNDS=20 benches/stats_overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
base="${CARGO_TARGET_DIR:-target}"

bench_binary() { # $1: target dir, then cargo flags; prints the bench executable
    local dir=$1
    shift
    CARGO_TARGET_DIR="$dir" cargo bench --bench throughput --no-run --message-format=json "$@" 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "throughput" and m.get("executable"):
        print(m["executable"])'
}
with_stats=$(bench_binary "$base")
without_stats=$(bench_binary "$base/no-stats" --no-default-features)
echo "with stats:    $with_stats"
echo "without stats: $without_stats"
exec benches/compare_builds.sh "$with_stats" "$without_stats" "with stats" "without"
