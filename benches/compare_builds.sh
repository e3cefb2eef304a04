#!/usr/bin/env bash
# Compares two builds of the throughput bench (two binaries, so they cannot share a
# process): alternates them, one paired round each, ROUNDS times (default 10), the order
# swapped every round, and prints per configuration and contender the median throughput
# of each build and the median and range of the per-round ratios (A / B).
#
#   benches/compare_builds.sh A_BINARY B_BINARY [A_NAME] [B_NAME]
#
# BENCH_CONTENDERS picks the contenders (default: ours, both waits); BENCH_QUICK=1
# shrinks the runs. benches/stats_overhead.sh builds the two binaries for the `stats`
# feature on and off and calls this.
set -euo pipefail
a_bin=$1
b_bin=$2
a_name=${3:-A}
b_name=${4:-B}
rounds="${ROUNDS:-10}"
export BENCH_CONTENDERS="${BENCH_CONTENDERS:-concurrent_blocking,concurrent_yield}"
export BENCH_ROUNDS=1

out=$(mktemp -d)
for round in $(seq 1 "$rounds"); do
    if (( round % 2 )); then order="a b"; else order="b a"; fi
    for build in $order; do
        binary=$a_bin
        [[ $build == b ]] && binary=$b_bin
        "$binary" --bench paired >"$out/$build.$round" 2>/dev/null
    done
done

python3 - "$out" "$rounds" "$a_name" "$b_name" <<'PY'
import re, statistics, sys
out, rounds, a_name, b_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def rates(path):
    table, result = None, {}
    for line in open(path):
        m = re.match(r"\| (\S+/cancel\d+) \| median Melem/s", line)
        if m:
            table = m.group(1)
            continue
        m = re.match(r"\| (\w+) \| ([0-9.]+) \| [0-9.]+-[0-9.]+ \|$", line.strip())
        if m and table:
            result[(table, m.group(1))] = float(m.group(2))
    return result
runs = {b: [rates(f"{out}/{b}.{r}") for r in range(1, rounds + 1)] for b in ("a", "b")}
print(f"\n{rounds} alternating rounds; Melem/s medians; ratio = {a_name} / {b_name} per round\n")
print(f"| configuration | contender | {a_name} | {b_name} | ratio median | ratio min-max |")
print("|---|---|---|---|---|---|")
for key in sorted(runs["a"][0]):
    a = [r[key] for r in runs["a"]]
    b = [r[key] for r in runs["b"]]
    ratios = [x / y for x, y in zip(a, b)]
    print(f"| {key[0]} | {key[1]} | {statistics.median(a):.2f} | {statistics.median(b):.2f} "
          f"| {statistics.median(ratios):.3f} | {min(ratios):.3f}-{max(ratios):.3f} |")
PY
rm -rf "$out"
