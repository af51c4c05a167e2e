#!/usr/bin/env bash
# Tokens of `context NAME` against the whole-files baseline (every file that defines or calls
# NAME, counted with js-tiktoken) and the share of NAME's call sites the answer includes, for 20
# stdlib functions, at the default budget and a larger one. Also checks that pith's own token
# count of each answer equals js-tiktoken's. Not part of make test.
#   usage: bench/bench_context.sh [REPO] [BUILD]   (default /usr/lib/python3.11, build)
set -eu
cd "$(dirname "$0")/.."
REPO=${1:-/usr/lib/python3.11}
B=${2:-build}
W=$(mktemp -d /tmp/pith-bctx.XXXXXX)
trap 'rm -rf "$W"' EXIT
"$B/pith" index "$REPO" -o "$W/idx" >/dev/null 2>&1
NAMES="json/__init__.py:dumps json/__init__.py:loads posixpath.py:join shutil.py:copyfile
subprocess.py:run re/__init__.py:compile textwrap.py:dedent logging/__init__.py:getLogger
copy.py:deepcopy functools.py:wraps collections/__init__.py:namedtuple urllib/parse.py:urlparse
urllib/parse.py:quote inspect.py:signature tempfile.py:mkdtemp base64.py:b64encode os.py:makedirs
shlex.py:quote fnmatch.py:fnmatch warnings.py:warn"
python3 - "$W" "$B/pith" "$REPO" $NAMES <<'PY'
import json, os, subprocess, sys
w, pith, repo, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
idx = os.path.join(w, "idx")

def q(*args):
    p = subprocess.run([pith, "query", "-i", idx, *args], capture_output=True, text=True)
    return p.stdout

def js_count(paths):
    out = subprocess.run(["node", "bench/count_tokens.mjs", *paths], capture_output=True,
                         text=True, check=True).stdout
    return {l.split(" ", 1)[1]: int(l.split(" ", 1)[0]) for l in out.splitlines()}

rows, file_tokens = [], {}
budgets = (2000, 8000)
agg = {b: [0, 0, 0, 0, 0] for b in budgets}  # ctx tokens, base tokens, sites in, sites, mismatches
for n in names:
    callers = json.loads(q("callers", n, "--json"))
    r = callers["results"][0]
    files = {r["symbol"]["file"]} | {e["file"] for e in r["edges"]}
    paths = [os.path.join(repo, f) for f in sorted(files)]
    missing = [p for p in paths if p not in file_tokens]
    if missing:
        file_tokens.update(js_count(missing))
    base = sum(file_tokens[p] for p in paths)
    cells = []
    for b in budgets:
        ans = q("context", n, "--budget", str(b), "--json")
        d = json.loads(ans)
        path = os.path.join(w, "ans.txt")
        open(path, "w").write(ans)
        js = js_count([path])[path]
        sites = sum(len(g["sites"]) for g in d["callers"])
        total = d["callers_total"]
        a = agg[b]
        a[0] += d["tokens"]; a[1] += base; a[2] += sites; a[3] += total
        a[4] += js != d["tokens"]
        cells.append("%5d tok %5.2f%% %3d/%-3d sites" % (d["tokens"], 100.0 * d["tokens"] / base,
                                                        sites, total))
    rows.append("%-34s files %3d baseline %7d | %s" % (n, len(files), base, " | ".join(cells)))
print("context vs whole files (defining + calling files), %d functions, %s" % (len(names), repo))
print("%-34s %-26s | budget %d %15s | budget %d" % ("name", "", budgets[0], "", budgets[1]))
print("\n".join(rows))
for b in budgets:
    a = agg[b]
    print("budget %d: %d context tokens vs %d baseline tokens = %.2f%%; call sites included "
          "%d of %d (%.1f%%); pith's count differs from js-tiktoken's on %d answers" %
          (b, a[0], a[1], 100.0 * a[0] / a[1], a[2], a[3], 100.0 * a[2] / a[3], a[4]))
PY
