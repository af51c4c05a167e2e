# pith-embed --embed builtin: the built-in USE-lite model fills every VectorSet row with a unit
# 512-d vector, the same rows and summaries as --embed none, with the embedder id naming the
# weights; --threads does not change the vectors; a missing or corrupt model is refused (exit 3).
. "$(dirname "$0")/lib.sh"
run "$B/pith-extract" tests/fixtures/pyresolve -o "$T/facts"
[ $rc = 0 ] || fail "extract exited $rc: $err"
run "$B/pith-analyze" "$T/facts" -o "$T/graph"
[ $rc = 0 ] || fail "analyze exited $rc: $err"
run "$B/pith-embed" "$T/graph" -o "$T/none"
[ $rc = 0 ] || fail "embed none exited $rc: $err"
run "$B/pith-embed" "$T/graph" -o "$T/v1" --embed builtin --threads 1
[ $rc = 0 ] || fail "embed builtin exited $rc: $err"
run "$B/pith-embed" "$T/graph" -o "$T/v2" --embed builtin --threads 2 --model "$B/data/use_lite.bin"
[ $rc = 0 ] || fail "embed builtin --threads 2 exited $rc: $err"
"$B/pith-embed" --dump "$T/none" >"$T/none.txt" || fail "dump none"
"$B/pith-embed" --dump "$T/v1" >"$T/v1.txt" || fail "dump v1"
"$B/pith-embed" --dump "$T/v2" >"$T/v2.txt" || fail "dump v2"
python3 - "$T/none.txt" "$T/v1.txt" "$T/v2.txt" <<'PY' || fail "vectors"
import math, sys
def load(path):
    head, rows = {}, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if "\t" not in line:
            k, _, v = line.partition(" ")
            head[k] = v
            continue
        sym, summary, *vec = line.split("\t")
        rows.append((sym, summary, [float(x) for x in " ".join(vec).split()]))
    return head, rows
hn, none = load(sys.argv[1])
h1, v1 = load(sys.argv[2])
h2, v2 = load(sys.argv[3])
assert hn["embedder"] == "none", hn
assert h1["embedder"].startswith("builtin:use-lite@0.2.0+") and len(h1["embedder"]) == 35, h1
assert h1["embedder"] == h2["embedder"] and h1["dim"] == "512", (h1, h2)
assert len(none) > 10 and [r[:2] for r in none] == [r[:2] for r in v1] == [r[:2] for r in v2]
worst = 0.0
for (_, s, a), (_, _, b) in zip(v1, v2):
    assert len(a) == 512 and len(b) == 512, s
    assert abs(math.sqrt(sum(x * x for x in a)) - 1) < 1e-4, s
    worst = max(worst, max(abs(x - y) for x, y in zip(a, b)))
assert worst < 1e-6, worst
print("rows", len(v1), "max diff between thread counts", worst)
PY
# a missing model and a corrupt one are refused with one line, exit 3
run "$B/pith-embed" "$T/graph" -o "$T/v3" --embed builtin --model "$T/no_such_model.bin"
[ $rc = 3 ] || fail "missing model: rc $rc"
expect_contains "missing model" "$err" "no_such_model.bin"
head -c 1000000 "$B/data/use_lite.bin" >"$T/short.bin"
run "$B/pith-embed" "$T/graph" -o "$T/v3" --embed builtin --model "$T/short.bin"
[ $rc = 3 ] || fail "corrupt model: rc $rc"
expect_contains "corrupt model" "$err" "length"
[ ! -e "$T/v3" ] || fail "an output was written with a corrupt model"
# an unknown embedder is a usage error
run "$B/pith-embed" "$T/graph" -o "$T/v3" --embed nonesuch
[ $rc = 2 ] || fail "unknown embedder: rc $rc"
