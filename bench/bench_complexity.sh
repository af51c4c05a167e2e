#!/usr/bin/env bash
# Cross-checks pith's per-function complexity (FunctionFlow.complexity) against the reference
# tool of the language; prints the agreement and lists every differing function with both
# numbers.
#   bench/bench_complexity.sh [build] [TREE]      Python (python3-mccabe's count) against
#                                                 python3-mccabe on TREE (default: CPython's
#                                                 stdlib); needs: apt-get install python3-mccabe
#   bench/bench_complexity.sh --c [build] [DIR]   C (pmccabe's modified count) against pmccabe
#                                                 on the SQLite amalgamation in DIR (default:
#                                                 the copy bench/bench_c.sh fetches), in two
#                                                 configurations (below) and without a
#                                                 compilation database; needs: apt-get
#                                                 install pmccabe
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = --c ]; then
    shift
    B="${1:-build}"; SRC="${2:-${WORK:-/tmp/pith-bench-c}/sqlite}"
    [ -f "$SRC/sqlite3.c" ] || { echo "no $SRC/sqlite3.c: run bench/bench_c.sh once" >&2; exit 2; }
    command -v pmccabe >/dev/null || { echo "install pmccabe" >&2; exit 2; }
    make -s bench-tools >/dev/null
    T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
    mkdir -p "$T/repo"
    cp "$SRC/sqlite3.c" "$SRC/sqlite3.h" "$SRC/sqlite3ext.h" "$T/repo/"
    (cd "$T/repo" && pmccabe sqlite3.c > "$T/pmccabe.txt" 2>/dev/null) || true
    # bench_c.sh's flags; then every SQLITE_ENABLE_* feature that compiles on Linux, with
    # SQLITE_DEBUG (assert() arguments): pmccabe reads the first branch of every #if, so the
    # second configuration shows it more of the code it reads.
    BASE="-DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_JSON1 -DSQLITE_ENABLE_RTREE"
    MAX="$BASE -DSQLITE_DEBUG -DSQLITE_ENABLE_API_ARMOR -DSQLITE_ENABLE_STAT4
      -DSQLITE_ENABLE_SETLK_TIMEOUT -DSQLITE_ENABLE_PREUPDATE_HOOK -DSQLITE_ENABLE_STMT_SCANSTATUS
      -DSQLITE_ENABLE_SORTER_REFERENCES -DSQLITE_ENABLE_OFFSET_SQL_FUNC
      -DSQLITE_ENABLE_UNKNOWN_SQL_FUNCTION -DSQLITE_ENABLE_COLUMN_METADATA
      -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_FTS3
      -DSQLITE_ENABLE_GEOPOLY -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_NORMALIZE
      -DSQLITE_ENABLE_SNAPSHOT -DSQLITE_ENABLE_BYTECODE_VTAB -DSQLITE_ENABLE_EXPLAIN_COMMENTS
      -DSQLITE_ENABLE_DBPAGE_VTAB -DSQLITE_ENABLE_STMTVTAB -DSQLITE_ENABLE_CURSOR_HINTS
      -DSQLITE_ENABLE_BATCH_ATOMIC_WRITE"
    # and without a database: the tree-sitter front end reads the text as pmccabe does
    for cfg in base max tree-sitter; do
        flags=$BASE; [ $cfg = max ] && flags=$MAX
        python3 - "$T/repo" "$flags" "$cfg" <<'PY'
import json, os, sys
d, flags, cfg = sys.argv[1], sys.argv[2].split(), sys.argv[3]
if cfg == "tree-sitter":
    os.remove(d + "/compile_commands.json")
    sys.exit(0)
json.dump([{"directory": d, "file": d + "/sqlite3.c",
            "arguments": ["cc"] + flags + ["-c", "sqlite3.c", "-o", "sqlite3.o"]}],
          open(d + "/compile_commands.json", "w"), indent=1)
PY
        "$B/pith-extract" "$T/repo" -o "$T/facts.pstg" --max-size 100000000 2>/dev/null || [ $? = 1 ]
        "$B/pith-analyze" "$T/facts.pstg" -o "$T/graph.pstg" 2>/dev/null || [ $? = 1 ]
        "$B/flow-stats" "$T/graph.pstg" > "$T/pith.tsv"
        if [ $cfg = tree-sitter ]; then echo "== no compilation database (tree-sitter front end)"
        else echo "== configuration: $cfg ($(echo $flags | wc -w) -D flags)"; fi
        python3 - "$T/pith.tsv" "$T/pmccabe.txt" "$T/repo/sqlite3.c" "$cfg" <<'PY'
import collections, re, sys
tsv, pm, src, cfg = sys.argv[1:5]
lines = open(src, encoding="latin-1").read().split("\n")
pith = collections.defaultdict(list)
for line in open(tsv, encoding="utf-8"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "sqlite3.c":
        pith[f[2].split(":")[-1]].append((int(f[1]), int(f[3]), int(f[4])))
st = collections.Counter()
diffs = []
for line in open(pm, encoding="latin-1"):
    m = re.match(r"(\d+)\t(\d+)\t\d+\t(\d+)\t(\d+)\t(\S+)\((\d+)\): (.*)$", line.rstrip("\n"))
    if not m:
        continue
    mod, trad, first, n, dline, name = int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[6]), m[7]
    c = [x for x in pith.get(name, []) if first - 1 <= x[0] <= dline + 1]
    if not c:
        st["missing"] += 1
        continue
    start, cx, cyc = c[0]
    k = "cpp" if any(re.match(r"\s*#\s*(if|else|elif)", l) for l in lines[first - 1:first - 1 + n]) else "plain"
    st[k] += 1
    st[k + "_ok"] += cx == mod
    st["trad_ok"] += cyc == trad
    if cx != mod:
        diffs.append(f"sqlite3.c:{dline} {name} pmccabe={mod} pith={cx}{' (#if inside)' if k == 'cpp' else ''}")
tot = st["cpp"] + st["plain"]
ok = st["cpp_ok"] + st["plain_ok"]
pct = lambda a, b: f"{a}/{b} = {100.0 * a / max(b, 1):.2f}%"
print(f"functions compared: {tot} (pmccabe functions without a pith function: {st['missing']})")
print(f"agreement (pith complexity = pmccabe modified): {pct(ok, tot)}")
print(f"  functions without #if/#else inside: {pct(st['plain_ok'], st['plain'])}")
print(f"  functions with #if/#else inside:    {pct(st['cpp_ok'], st['cpp'])}")
print(f"E-N+2 of pith's CFG = pmccabe traditional: {pct(st['trad_ok'], tot)}")
for d in diffs:
    print("  differs:", d)
PY
    done
    exit 0
fi
B="${1:-build}"; TREE="${2:-/usr/lib/python3.11}"
make -s bench-tools >/dev/null
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$B/pith-extract" "$TREE" -o "$T/facts.pstg" 2>/dev/null || [ $? = 1 ]
"$B/pith-analyze" "$T/facts.pstg" -o "$T/graph.pstg" 2>/dev/null || [ $? = 1 ]
"$B/flow-stats" "$T/graph.pstg" > "$T/pith.tsv"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" - "$TREE" "$T/pith.tsv" <<'PY'
import ast, sys, warnings
import mccabe
tree, tsv = sys.argv[1], sys.argv[2]
pith = {}
files = set()
for line in open(tsv, encoding="utf-8"):
    path, ln, qn, cx = line.rstrip("\n").split("\t")[:4]
    pith[(path, int(ln))] = (qn, int(cx))
    files.add(path)
warnings.simplefilter("ignore")
agree = differ = missing = 0
diffs = []
for path in sorted(files):
    try:
        src = open(f"{tree}/{path}", encoding="utf-8").read()
        t = compile(src, path, "exec", ast.PyCF_ONLY_AST)
    except Exception:
        continue
    v = mccabe.PathGraphingAstVisitor()
    v.preorder(t, v)
    for g in v.graphs.values():
        if not isinstance(g.entity, str) or g.entity.split(" ")[0] in ("If", "Loop", "TryExcept"):
            continue
        key = (path, g.lineno)
        if key not in pith:
            missing += 1
            continue
        qn, cx = pith[key]
        if cx == g.complexity():
            agree += 1
        else:
            differ += 1
            diffs.append(f"{path}:{g.lineno} {g.entity} mccabe={g.complexity()} pith={cx}")
total = agree + differ
print(f"functions compared: {total} (mccabe graphs without a pith function: {missing})")
print(f"agreement: {agree}/{total} = {100.0 * agree / max(total, 1):.2f}%")
for d in diffs:
    print("  differs:", d)
PY
