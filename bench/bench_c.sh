#!/usr/bin/env bash
# C accuracy and speed benchmark (issue 3), not part of `make test`.
#
# Corpus: the SQLite amalgamation (`npm pack better-sqlite3@12` -> deps/sqlite3/sqlite3.c), copied
# to $WORK/sqlite with a compile_commands.json written here (absolute paths, the flags below).
#  1. accuracy: pith's direct call edges (direct, constructor, ambiguous, and external edges: a
#     call bound by USR to a function declared outside the repository) against clang's
#     debug.DumpCallGraph run with the same flags (clang -cc1 with only that checker: the
#     driver's --analyze adds the path-sensitive checkers, which take minutes and change
#     nothing in the dump). bench/c_edges.py prints precision, recall and every difference.
#  2. speed, in the same run: pith-extract (C/C++ only: the corpus has no Python) and
#     pith-analyze against `clang -fsyntax-only` over the same database (same flags, same
#     number of parallel units), plus ctags -R and cscope -b for reference; peak RSS.
#     Wall times are medians of RUNS.
# Usage: bench/bench_c.sh [RUNS=3]   (needs `make`; clang-19 or clang; npm for the first run)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
JOBS=$(nproc)
B=build
WORK="${WORK:-/tmp/pith-bench-c}"
CFLAGS_SQLITE="-DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE"
[ -x $B/pith-extract ] && [ -x $B/pith-analyze ] || { echo "run 'make' first" >&2; exit 2; }
CLANG=$(command -v clang-19 || command -v clang || true)
[ -n "$CLANG" ] || { echo "install clang (apt-get install -y clang-19)" >&2; exit 2; }

mkdir -p "$WORK"
S="$WORK/sqlite"
if [ ! -f "$S/sqlite3.c" ]; then
    (cd "$WORK" && npm pack --silent better-sqlite3@12 >/dev/null)
    tgz=$(ls "$WORK"/better-sqlite3-*.tgz | head -1)
    mkdir -p "$WORK/pkg" "$S"
    tar -xzf "$tgz" -C "$WORK/pkg"
    cp "$WORK"/pkg/package/deps/sqlite3/sqlite3.c "$WORK"/pkg/package/deps/sqlite3/sqlite3.h \
        "$WORK"/pkg/package/deps/sqlite3/sqlite3ext.h "$S/"
fi
python3 - "$S" "$CFLAGS_SQLITE" <<'EOF'
import json, shlex, sys
d, flags = sys.argv[1], shlex.split(sys.argv[2])
json.dump([{"directory": d, "file": d + "/sqlite3.c",
            "arguments": ["cc"] + flags + ["-c", "sqlite3.c", "-o", "sqlite3.o"]}],
          open(d + "/compile_commands.json", "w"), indent=1)
EOF

median_run() { # CMD... -> "seconds maxrss_kib" of the median run
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 || true
        cat "$WORK/time"
    done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

# clang -fsyntax-only over the database, JOBS units at a time
cat > "$WORK/syntax_only.py" <<EOF
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
db = json.load(open(sys.argv[1]))
def one(e):
    args = list(e["arguments"])[1:]
    out = []
    skip = False
    for a in args:
        if skip: skip = False; continue
        if a == "-o": skip = True; continue
        if a == "-c": continue
        out.append(a)
    return subprocess.run(["$CLANG", "-fsyntax-only"] + out, cwd=e["directory"]).returncode
with ThreadPoolExecutor($JOBS) as ex:
    sys.exit(max(list(ex.map(one, db)) or [0]))
EOF

# clang's call graph: the cc1 line of --analyze with only debug.DumpCallGraph
cat > "$WORK/dump_cg.py" <<EOF
import shlex, subprocess, sys
d, flags = sys.argv[1], shlex.split(sys.argv[2])
r = subprocess.run(["$CLANG", "-###", "--analyze"] + flags + ["sqlite3.c", "-o", "/dev/null"],
                   cwd=d, capture_output=True, text=True)
cc1 = shlex.split([l for l in r.stderr.splitlines() if '"-cc1"' in l][-1])
cc1 = [a for a in cc1 if not a.startswith("-analyzer-checker=")]
cc1.insert(cc1.index("-analyze") + 1, "-analyzer-checker=debug.DumpCallGraph")
r = subprocess.run(cc1, cwd=d, capture_output=True, text=True)
sys.stdout.write(r.stderr)
EOF

lines=$(cat "$S"/sqlite3.c "$S"/sqlite3.h "$S"/sqlite3ext.h | wc -l)
echo "corpus: SQLite amalgamation ($lines lines, 1 unit), flags: $CFLAGS_SQLITE; clang: $($CLANG --version | head -1)"
echo "machine: $JOBS CPUs; medians of $RUNS runs"

# ---- accuracy ----
$B/pith-extract "$S" -o "$WORK/facts" --max-size 100000000 2>/dev/null || true
$B/pith-analyze "$WORK/facts" -o "$WORK/graph" 2>/dev/null
$B/pith-analyze --dump "$WORK/graph" > "$WORK/pith.dump"
python3 "$WORK/dump_cg.py" "$S" "$CFLAGS_SQLITE" > "$WORK/clang.cg"
echo
echo "== direct call edges: pith vs clang debug.DumpCallGraph (sqlite3.c)"
python3 bench/c_edges.py "$WORK/pith.dump" "$WORK/clang.cg" --show 30
echo "pith edge kinds:"
awk '$1 == "edge" { for (i = 1; i <= NF; i++) if ($i == "->") { print $(i + 2); break } }' \
    "$WORK/pith.dump" | sort | uniq -c | sort -rn | sed 's/^/  /'

# ---- speed ----
echo
echo "== index time (wall s, peak RSS MiB)"
read -r so_s so_kb <<<"$(median_run python3 "$WORK/syntax_only.py" "$S/compile_commands.json")"
read -r ex_s ex_kb <<<"$(median_run $B/pith-extract "$S" -o "$WORK/facts" --max-size 100000000)"
read -r an_s an_kb <<<"$(median_run $B/pith-analyze "$WORK/facts" -o "$WORK/graph")"
read -r ct_s ct_kb <<<"$(median_run sh -c "cd '$S' && ctags -R -f '$WORK/tags' .")"
if command -v cscope >/dev/null; then
    read -r cs_s cs_kb <<<"$(median_run sh -c "cd '$S' && cscope -b -u -R -f '$WORK/cscope.out'")"
else
    cs_s=n/a cs_kb=0
fi
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
printf '  %-34s %7s s %6s MiB\n' "clang -fsyntax-only (same flags)" "$so_s" "$(mib "$so_kb")"
printf '  %-34s %7s s %6s MiB\n' "pith-extract (libclang)" "$ex_s" "$(mib "$ex_kb")"
printf '  %-34s %7s s %6s MiB\n' "pith-analyze" "$an_s" "$(mib "$an_kb")"
printf '  %-34s %7s s %6s MiB\n' "ctags -R" "$ct_s" "$(mib "$ct_kb")"
printf '  %-34s %7s s %6s MiB\n' "cscope -b -u -R" "$cs_s" "$(mib "$cs_kb")"
awk -v e="$ex_s" -v s="$so_s" -v a="$an_s" 'BEGIN {
    printf "  ratio pith-extract / clang -fsyntax-only: %.2f (goal <= 1.3)\n", e / s
    printf "  ratio (pith-extract + pith-analyze) / clang -fsyntax-only: %.2f\n", (e + a) / s }'
