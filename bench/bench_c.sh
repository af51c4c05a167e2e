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

# Units of a compile_commands.json as (directory, file, flags without compiler/-c/-o/source)
cat > "$WORK/units.py" <<'EOF'
import json, os, shlex
def units(path):
    for e in json.load(open(path)):
        args = e.get("arguments") or shlex.split(e["command"])
        d = e["directory"]
        f = os.path.normpath(os.path.join(d, e["file"]))
        out, skip = [], False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a == "-o":
                skip = True
                continue
            if a == "-c" or os.path.normpath(os.path.join(d, a)) == f:
                continue
            out.append(a)
        yield d, f, out
EOF
# clang -fsyntax-only over the database, JOBS units at a time
cat > "$WORK/syntax_only.py" <<EOF
import subprocess, sys
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, "$WORK")
from units import units
def one(u):
    d, f, flags = u
    return subprocess.run(["$CLANG", "-fsyntax-only"] + flags + [f], cwd=d).returncode
with ThreadPoolExecutor($JOBS) as ex:
    sys.exit(max(list(ex.map(one, units(sys.argv[1]))) or [0]))
EOF
# clang's call graph per unit: the cc1 line of --analyze with only debug.DumpCallGraph (the
# driver's default path-sensitive checkers take minutes and change nothing in the dump)
cat > "$WORK/dump_cg.py" <<EOF
import shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, "$WORK")
from units import units
def one(u):
    d, f, flags = u
    r = subprocess.run(["$CLANG", "-###", "--analyze"] + flags + [f, "-o", "/dev/null"],
                       cwd=d, capture_output=True, text=True)
    cc1 = [l for l in r.stderr.splitlines() if '"-cc1"' in l]
    if not cc1:
        return ""
    cc1 = [a for a in shlex.split(cc1[-1]) if not a.startswith("-analyzer-checker=")]
    cc1.insert(cc1.index("-analyze") + 1, "-analyzer-checker=debug.DumpCallGraph")
    return subprocess.run(cc1, cwd=d, capture_output=True, text=True).stderr
with ThreadPoolExecutor($JOBS) as ex:
    for out in ex.map(one, units(sys.argv[1])):
        sys.stdout.write(out)
EOF

# bench_corpus NAME REPO "CTAGS_DIRS": accuracy, then speed
bench_corpus() {
    local name=$1 R=$2 dirs=$3
    local units lines
    units=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$R/compile_commands.json")
    lines=$(cd "$R" && find $dirs -name '*.[ch]' -type f -print0 | xargs -0 cat | wc -l)
    echo
    echo "#### $name: $units units, $lines lines of .c/.h in the indexed folders ($dirs)"
    $B/pith-extract "$R" -o "$WORK/$name.facts" --max-size 100000000 2>"$WORK/$name.extract.err" || true
    echo "  files skipped by pith-extract: $(grep -c 'skipped' "$WORK/$name.extract.err" || true)"
    grep 'skipped' "$WORK/$name.extract.err" | head -5 | sed 's/^/    /' || true
    $B/pith-analyze "$WORK/$name.facts" -o "$WORK/$name.graph" 2>/dev/null
    $B/pith-analyze --dump "$WORK/$name.graph" > "$WORK/$name.pith"
    python3 "$WORK/dump_cg.py" "$R/compile_commands.json" > "$WORK/$name.clang"
    echo "== direct call edges: pith vs clang debug.DumpCallGraph"
    python3 bench/c_edges.py "$WORK/$name.pith" "$WORK/$name.clang" --show 0 > "$WORK/$name.pr" || true
    head -2 "$WORK/$name.pr"
    echo "== the same with __compiletime_assert_<__COUNTER__> names normalised"
    python3 bench/c_edges.py "$WORK/$name.pith" "$WORK/$name.clang" --show 30 --normalize-counter
    echo "pith edge kinds:"
    awk '$1 == "edge" { for (i = 1; i <= NF; i++) if ($i == "->") { print $(i + 2); break } }' \
        "$WORK/$name.pith" | sort | uniq -c | sort -rn | sed 's/^/  /'
    echo "== index time (wall s, peak RSS MiB)"
    local so_s so_kb ex_s ex_kb an_s an_kb ct_s ct_kb cs_s cs_kb
    read -r so_s so_kb <<<"$(median_run python3 "$WORK/syntax_only.py" "$R/compile_commands.json")"
    read -r ex_s ex_kb <<<"$(median_run $B/pith-extract "$R" -o "$WORK/$name.facts" --max-size 100000000)"
    read -r an_s an_kb <<<"$(median_run $B/pith-analyze "$WORK/$name.facts" -o "$WORK/$name.graph")"
    read -r ct_s ct_kb <<<"$(median_run sh -c "cd '$R' && ctags -R -f '$WORK/tags' $dirs")"
    read -r cs_s cs_kb <<<"$(median_run sh -c "cd '$R' && cscope -b -u -f '$WORK/cscope.out' \$(find $dirs -name '*.[ch]')")"
    mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
    printf '  %-34s %7s s %6s MiB\n' "clang -fsyntax-only (same flags)" "$so_s" "$(mib "$so_kb")"
    printf '  %-34s %7s s %6s MiB\n' "pith-extract (libclang)" "$ex_s" "$(mib "$ex_kb")"
    printf '  %-34s %7s s %6s MiB\n' "pith-analyze" "$an_s" "$(mib "$an_kb")"
    printf '  %-34s %7s s %6s MiB\n' "ctags -R" "$ct_s" "$(mib "$ct_kb")"
    printf '  %-34s %7s s %6s MiB\n' "cscope -b -u" "$cs_s" "$(mib "$cs_kb")"
    awk -v e="$ex_s" -v s="$so_s" -v a="$an_s" 'BEGIN {
        printf "  ratio pith-extract / clang -fsyntax-only: %.2f (goal <= 1.3)\n", e / s
        printf "  ratio (pith-extract + pith-analyze) / clang -fsyntax-only: %.2f\n", (e + a) / s }'
}

echo "clang: $($CLANG --version | head -1); machine: $JOBS CPUs; medians of $RUNS runs"
echo "sqlite flags: $CFLAGS_SQLITE"
bench_corpus sqlite "$S" .

# ---- Linux kernel/ (KERNEL=1; needs apt-get install linux-source-6.1 flex bison bc) --------
# The compilation database is the kernel build's own: defconfig, then kernel/ compiled with
# CC=$CLANG once (KCFLAGS=-Wno-error: 6.1's -Werror trips on clang-19 warnings), then
# scripts/clang-tools/gen_compile_commands.py over kernel/ (every flag of the real build).
# A .pithignore keeps the index to kernel/, include/ and arch/x86/include/.
if [ "${KERNEL:-0}" = 1 ]; then
    K="$WORK/linux-source-6.1"
    [ -d "$K" ] || tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$WORK"
    if [ ! -f "$K/kernel/fork.o" ]; then
        (cd "$K" && make -s CC="$CLANG" defconfig </dev/null >/dev/null &&
            make -s CC="$CLANG" KCFLAGS=-Wno-error -j"$JOBS" kernel/ </dev/null >/dev/null)
    fi
    (cd "$K" && python3 scripts/clang-tools/gen_compile_commands.py -d . -o compile_commands.json kernel)
    (cd "$K" && {
        for e in * .[!.]*; do
            case "$e" in kernel|include|arch|compile_commands.json) ;; *) echo "/$e" ;; esac
        done
        for e in arch/*; do [ "$e" = arch/x86 ] || echo "/$e"; done
        for e in arch/x86/*; do [ "$e" = arch/x86/include ] || echo "/$e"; done
    } > .pithignore)
    bench_corpus kernel "$K" "kernel include arch/x86/include"
fi
