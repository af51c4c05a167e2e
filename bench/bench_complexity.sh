#!/usr/bin/env bash
# Cross-checks pith's per-function complexity (FunctionFlow.complexity, counted like
# python3-mccabe) against python3-mccabe itself on a Python tree (default: CPython's stdlib).
# Prints the agreement and lists every differing function with both numbers.
#   bench/bench_complexity.sh [build] [TREE]      needs: apt-get install python3-mccabe
set -eu
cd "$(dirname "$0")/.."
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
