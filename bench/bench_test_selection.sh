#!/usr/bin/env bash
# Validation of test selection (not part of make test): mutate each function of a Python project
# one at a time so it returns a wrong value, run the project's unittest suite, and compare the
# tests that fail with `pith query impact NAME`'s affected tests (computed once, on the unmutated
# index). Prints per-mutation results, then recall and precision, micro-averaged over mutations
# that made at least one test fail.
#   usage: bench/bench_test_selection.sh [PROJECT] [BUILD]   (default tests/fixtures/testsel, build)
# PROJECT must run its tests with `python3 -m unittest` from its root, offline.
set -eu
cd "$(dirname "$0")/.."
PROJ=${1:-tests/fixtures/testsel}
B=${2:-build}
W=$(mktemp -d /tmp/pith-testsel.XXXXXX)
trap 'rm -rf "$W"' EXIT
cp -r "$PROJ" "$W/proj"
find "$W/proj" -name __pycache__ -prune -exec rm -rf {} +
"$B/pith" index "$W/proj" -o "$W/idx" >/dev/null 2>&1
python3 - "$W" "$B/pith" <<'PY'
import ast, json, os, re, shutil, subprocess, sys
w, pith = sys.argv[1], sys.argv[2]
proj, idx = os.path.join(w, "proj"), os.path.join(w, "idx")

def is_test_path(rel):
    base = os.path.basename(rel)
    return base.startswith("test") or base.endswith("_test.py")

# every module-level function and method outside test files
targets = []
for root, dirs, files in os.walk(proj):
    dirs[:] = [d for d in dirs if d != "__pycache__"]
    for f in sorted(files):
        rel = os.path.relpath(os.path.join(root, f), proj)
        if not f.endswith(".py") or is_test_path(rel):
            continue
        tree = ast.parse(open(os.path.join(proj, rel)).read())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                targets.append((rel, None, node.name))
            elif isinstance(node, ast.ClassDef):
                for m in node.body:
                    if isinstance(m, ast.FunctionDef) and m.name != "__init__":
                        targets.append((rel, node.name, m.name))

MUTATE = '''
def _pith_mutate(r):
    if isinstance(r, bool): return not r
    if isinstance(r, (int, float)): return r + 1
    if isinstance(r, str): return r + "~"
    if isinstance(r, list): return r + [None]
    if isinstance(r, dict): return dict(r, _pith=1)
    return 0
'''

def run_tests(d):
    p = subprocess.run([sys.executable, "-m", "unittest", "-v"], cwd=d, capture_output=True,
                       text=True, timeout=300)
    failed, ran = set(), 0
    for line in p.stderr.splitlines():
        m = re.match(r"^(\w+) \(([\w.]+)\)(?:\n.*)? \.\.\. (ok|FAIL|ERROR)", line)
        if not m:
            continue
        ran += 1
        name, where, status = m.groups()
        full = where if where.endswith("." + name) else where + "." + name
        if status != "ok":
            failed.add(full)
    return failed, ran

base_failed, total = run_tests(proj)
if base_failed:
    sys.exit("the unmutated suite fails: %s" % sorted(base_failed))

def predicted(rel, cls, name):
    q = "%s:%s" % (rel, name if cls is None else cls + "." + name)
    p = subprocess.run([pith, "query", "-i", idx, "impact", q, "--json"], capture_output=True,
                       text=True)
    d = json.loads(p.stdout)
    tests = set()
    for r in d.get("results", []):
        for t in r["tests"]:
            path, local = t.split(":", 1)
            tests.add(path[:-3].replace("/", ".") + "." + local)
    return tests

tp = fp = fn = 0
rows, mutants, survived = [], 0, 0
for rel, cls, name in targets:
    d = os.path.join(w, "mut")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(proj, d)
    path = os.path.join(d, rel)
    with open(path, "a") as f:
        f.write(MUTATE)
        if cls is None:
            f.write("_pith_orig = %s\n" % name)
            f.write("def %s(*a, **k):\n    return _pith_mutate(_pith_orig(*a, **k))\n" % name)
        else:
            f.write("_pith_orig = %s.%s\n" % (cls, name))
            f.write("def _pith_wrap(*a, **k):\n    return _pith_mutate(_pith_orig(*a, **k))\n")
            f.write("%s.%s = _pith_wrap\n" % (cls, name))
    failed, _ = run_tests(d)
    pred = predicted(rel, cls, name)
    mutants += 1
    label = "%s:%s" % (rel, name if cls is None else cls + "." + name)
    if not failed:
        survived += 1
        rows.append("  %-40s no test fails (predicted %d)" % (label, len(pred)))
        continue
    hit, miss, extra = failed & pred, failed - pred, pred - failed
    tp += len(hit); fn += len(miss); fp += len(extra)
    rows.append("  %-40s failing %d, predicted %d, missed %s, extra %d" %
                (label, len(failed), len(pred), sorted(miss) or "-", len(extra)))
print("test selection on %s: %d tests, %d functions mutated, %d mutants killed" %
      (os.path.basename(sys.argv[1]), total, mutants, mutants - survived))
print("\n".join(rows))
recall = tp / (tp + fn) if tp + fn else 1.0
precision = tp / (tp + fp) if tp + fp else 1.0
print("recall %.3f (%d of %d failing tests predicted), precision %.3f (%d of %d predicted "
      "tests failed)" % (recall, tp, tp + fn, precision, tp, tp + fp))
PY
