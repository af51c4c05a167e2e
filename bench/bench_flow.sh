#!/usr/bin/env bash
# Cost of the flow layers (statement IR lowering in extract; CFG, def-use, post-dominators and
# control dependence in analyze; cold records in pack) on a Python tree (default: CPython's
# stdlib): `pith index` with and without them (PITH_NO_FLOW=1), alternating, N runs each,
# medians per stage; artifact sizes; latency of `pith query cfg/dfg/slice` (one process per
# query, like an agent's shell call).
#   bench/bench_flow.sh [RUNS=5] [TREE] [build]
#   bench/bench_flow.sh --c [RUNS=5] [DIR] [build]   C: the SQLite amalgamation in DIR (default:
#       the copy and compile_commands.json bench/bench_c.sh writes), the same comparison plus
#       clang -fsyntax-only with the unit's flags for the pith-extract ratio (issue 3's goal)
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = --c ]; then
    shift
    N="${1:-5}"; S="${2:-${WORK:-/tmp/pith-bench-c}/sqlite}"; B="${3:-build}"
    [ -f "$S/compile_commands.json" ] || { echo "no $S/compile_commands.json: run bench/bench_c.sh once" >&2; exit 2; }
    CLANG=$(command -v clang-19 || command -v clang)
    T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
    FLAGS=$(python3 -c "import json,sys; a=json.load(open(sys.argv[1]))[0]['arguments']; print(' '.join(x for x in a[1:] if x.startswith('-D')))" "$S/compile_commands.json")
    cpu() { /usr/bin/time -f "%e %U %S" -a -o "$1" "${@:2}" >/dev/null 2>&1 || true; }
    for i in $(seq "$N"); do
        cpu "$T/so.txt" "$CLANG" -fsyntax-only $FLAGS "$S/sqlite3.c"
        for mode in with without; do
            nf=""; [ $mode = without ] && nf="PITH_NO_FLOW=1"
            cpu "$T/x_$mode.txt" env $nf "$B/pith-extract" "$S" -o "$T/f_$mode.pstg"
            cpu "$T/a_$mode.txt" env $nf "$B/pith-analyze" "$T/f_$mode.pstg" -o "$T/g_$mode.pstg"
        done
        "$B/pith" index "$S" -o "$T/with" --embed none >/dev/null 2>&1 || true
        PITH_NO_FLOW=1 "$B/pith" index "$S" -o "$T/without" --embed none >/dev/null 2>&1 || true
    done
    sw=$(du -sb "$T/with" | cut -f1); so=$(du -sb "$T/without" | cut -f1)
    python3 - "$T" "$sw" "$so" "$N" <<'PY'
import statistics, sys
t, sw, so, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def med(name, col):
    return statistics.median(float(l.split()[col]) if col < 2 else float(l.split()[1]) + float(l.split()[2])
                             for l in open(f"{t}/{name}.txt") if l.strip())
print(f"runs: {n}, medians; wall s / CPU s (user + sys)")
print("| step | wall | CPU |")
print("|---|---|---|")
for name, label in [("so", "clang -fsyntax-only"), ("x_without", "pith-extract, no flow (PITH_NO_FLOW=1)"),
                    ("x_with", "pith-extract, with the IR"), ("a_without", "pith-analyze, no flow"),
                    ("a_with", "pith-analyze, with CFG/DFG/PDG")]:
    print(f"| {label} | {med(name, 0):.2f} | {med(name, 2):.2f} |")
for col, what in [(0, "wall"), (2, "CPU")]:
    so_, xo, xw, ao, aw = (med(k, col) for k in ("so", "x_without", "x_with", "a_without", "a_with"))
    print(f"{what}: pith-extract / clang -fsyntax-only {xo / so_:.2f} without the IR, {xw / so_:.2f} with it; "
          f"flow layers over extract + call graph: {100 * (xw + aw - xo - ao) / (xo + ao):+.1f}% "
          f"({xo + ao:.2f} -> {xw + aw:.2f} s)")
print(f"artifact (pith index --embed none): {so / 2**20:.1f} MiB -> {sw / 2**20:.1f} MiB ({100 * (sw - so) / so:+.1f}%)")
PY
    lat() {
        local s e; s=$(date +%s%N)
        for i in $(seq 20); do "$B/pith" query -i "$T/with" "$@" >/dev/null; done
        e=$(date +%s%N); echo "  $* : $(( (e - s) / 20000 )) us per query (20 runs)"
    }
    line() { grep -n "$1" "$S/sqlite3.c" | head -1 | cut -d: -f1; }
    echo "query latency (fresh process each):"
    lat cfg sqlite3.c:sqlite3_status64
    lat dfg sqlite3.c:sqlite3_status64
    l=$(line '^  \*pHighwater = wsdStat.mxValue\[op\];')
    lat slice "sqlite3.c:$l"
    lat slice "sqlite3.c:$l" --interprocedural
    l=$(line '^  pOut = &aMem\[pOp->p2\];')   # in sqlite3VdbeExec (the largest function)
    lat slice "sqlite3.c:$l"
    lat slice "sqlite3.c:$l" --interprocedural
    lat cfg sqlite3.c:sqlite3VdbeExec
    exit 0
fi
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
