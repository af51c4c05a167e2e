#!/usr/bin/env bash
# Cost of the flow layers (statement IR lowering in extract; CFG, def-use, post-dominators and
# control dependence in analyze; cold records in pack) on a Python tree (default: CPython's
# stdlib): `pith index` with and without them (PITH_NO_FLOW=1), alternating, N runs each,
# medians per stage; artifact sizes; latency of `pith query cfg/dfg/slice` (one process per
# query, like an agent's shell call).
#   bench/bench_flow.sh [RUNS=5] [TREE] [build]
set -eu
cd "$(dirname "$0")/.."
N="${1:-5}"; TREE="${2:-/usr/lib/python3.11}"; B="${3:-build}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for i in $(seq "$N"); do
    "$B/pith" index "$TREE" -o "$T/with" 2>&1 | grep '^time:' >> "$T/with.txt"
    PITH_NO_FLOW=1 "$B/pith" index "$TREE" -o "$T/without" 2>&1 | grep '^time:' >> "$T/without.txt"
    # CPU seconds (user + sys) of the two stages alone: steadier than wall time on a busy machine
    for mode in with without; do
        env $([ $mode = without ] && echo PITH_NO_FLOW=1) /usr/bin/time -f "%U %S" -a -o "$T/cpu_x_$mode.txt" \
            "$B/pith-extract" "$TREE" -o "$T/f_$mode.pstg" >/dev/null 2>&1 || true
        env $([ $mode = without ] && echo PITH_NO_FLOW=1) /usr/bin/time -f "%U %S" -a -o "$T/cpu_a_$mode.txt" \
            "$B/pith-analyze" "$T/f_$mode.pstg" -o "$T/g_$mode.pstg" >/dev/null 2>&1 || true
    done
done
sw=$(du -sb "$T/with" | cut -f1); so=$(du -sb "$T/without" | cut -f1)
python3 - "$T/with.txt" "$T/without.txt" "$sw" "$so" "$T" <<'PY'
import re, statistics, sys
def load(p):
    rows = []
    for line in open(p):
        m = re.search(r"([\d.]+) s total, extract ([\d.]+) s, analyze ([\d.]+) s, embed ([\d.]+) s, pack ([\d.]+) s", line)
        rows.append([float(x) for x in m.groups()])
    return [statistics.median(c) for c in zip(*rows)]
w, o = load(sys.argv[1]), load(sys.argv[2])
sw, so = int(sys.argv[3]), int(sys.argv[4])
names = ["total", "extract", "analyze", "embed", "pack"]
print(f"runs: {len(open(sys.argv[1]).readlines())} each, medians")
print("| stage | without flow | with flow | added |")
print("|---|---|---|---|")
for i, n in enumerate(names):
    print(f"| {n} | {o[i]:.2f} s | {w[i]:.2f} s | {w[i] - o[i]:+.2f} s |")
base = o[1] + o[2]
print(f"flow layers over extract + call graph: {100 * (w[1] + w[2] - base) / base:+.1f}% "
      f"(extract + analyze {base:.2f} s -> {w[1] + w[2]:.2f} s)")
print(f"whole index: {100 * (w[0] - o[0]) / o[0]:+.1f}%")
print(f"artifact: {so / 2**20:.1f} MiB -> {sw / 2**20:.1f} MiB ({100 * (sw - so) / so:+.1f}%)")
def cpu(name):
    v = [sum(float(x) for x in l.split()) for l in open(f"{sys.argv[5]}/{name}.txt") if l.strip()]
    return statistics.median(v)
xw, xo, aw, ao = cpu("cpu_x_with"), cpu("cpu_x_without"), cpu("cpu_a_with"), cpu("cpu_a_without")
print(f"CPU (user+sys, medians): extract {xo:.2f} -> {xw:.2f} s, analyze {ao:.2f} -> {aw:.2f} s; "
      f"flow layers over extract + call graph: {100 * (xw + aw - xo - ao) / (xo + ao):+.1f}%")
PY
# query latency on the index with flows: one process per query
lat() {
    local s e; s=$(date +%s%N)
    for i in $(seq 20); do "$B/pith" query -i "$T/with" "$@" >/dev/null; done
    e=$(date +%s%N); echo "  $* : $(( (e - s) / 20000 )) us per query (20 runs)"
}
echo "query latency (fresh process each):"
lat cfg json/decoder.py:JSONObject
lat dfg json/decoder.py:JSONObject
lat slice json/decoder.py:215
lat slice json/decoder.py:215 --interprocedural
lat slice json/decoder.py:215 --forward --interprocedural
