#!/usr/bin/env bash
# C++ index time on googletest, not part of `make test`: pith-extract (libclang front end and the
# flow lowering) against `clang -fsyntax-only` over the same compilation database.
#
# Corpus: the library sources of googletest 1.12 as Debian ships them (`apt-get install -y
# googletest` -> /usr/src/googletest): googletest/{include,src} and googlemock/{include,src},
# copied to $WORK/googletest, with a compile_commands.json written here with the flags CMake's
# gtest/gmock targets use (-I include dirs, -std=c++14, -DGTEST_HAS_PTHREAD=1): the 16 units of
# */src/*.cc except the gtest-all.cc / gmock-all.cc amalgamations (they #include the others).
# pith-extract runs with 2 threads and clang with 2 units at a time; wall times and peak RSS are
# the median of RUNS. PITH_NO_FLOW=1 in the environment measures pith without the IR lowering.
# Usage: bench/bench_cpp.sh [RUNS=3]   (needs `make`; clang-19 or clang)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
JOBS=2
B=build
SRC=/usr/src/googletest
WORK="${WORK:-/tmp/pith-bench-cpp}"
[ -x $B/pith-extract ] || { echo "run 'make' first" >&2; exit 2; }
[ -d $SRC/googletest/src ] || { echo "apt-get install -y googletest" >&2; exit 2; }
CLANG=$(command -v clang-19 || command -v clang || true)
[ -n "$CLANG" ] || { echo "install clang (apt-get install -y clang-19)" >&2; exit 2; }

R="$WORK/googletest"
rm -rf "$R"
mkdir -p "$R/googletest" "$R/googlemock"
for p in googletest googlemock; do
    cp -r "$SRC/$p/include" "$SRC/$p/src" "$R/$p/"
done
python3 - "$R" <<'EOF'
import glob, json, sys
r = sys.argv[1]
inc = {"googletest": ["googletest"], "googlemock": ["googlemock", "googletest"]}
db = []
for p in ("googletest", "googlemock"):
    flags = []
    for d in inc[p]:
        flags += ["-I%s/%s/include" % (r, d), "-I%s/%s" % (r, d)]
    for f in sorted(glob.glob("%s/%s/src/*.cc" % (r, p))):
        if f.endswith("-all.cc"):
            continue
        db.append({"directory": r, "file": f,
                   "arguments": ["c++"] + flags + ["-std=c++14", "-DGTEST_HAS_PTHREAD=1", "-c", f]})
json.dump(db, open(r + "/compile_commands.json", "w"), indent=1)
with open(r + "/units.txt", "w") as out:
    for e in db:
        out.write(" ".join(e["arguments"][1:-2]) + " " + e["file"] + "\n")
EOF

median_run() { # CMD... -> "seconds maxrss_kib" of the median run
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 || true
        cat "$WORK/time"
    done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

units=$(wc -l <"$R/units.txt")
read -r pt pm <<<"$(median_run $B/pith-extract "$R" -o "$WORK/facts" --jobs $JOBS)"
$B/pith-extract "$R" -o "$WORK/facts" --jobs $JOBS >"$WORK/extract.log" 2>&1 ||
    { echo "pith-extract failed:" >&2; cat "$WORK/extract.log" >&2; exit 1; }
read -r ct cm <<<"$(median_run xargs -a "$R/units.txt" -P $JOBS -L 1 "$CLANG" -fsyntax-only)"
$B/pith-extract --dump "$WORK/facts" >"$WORK/facts.txt"
syms=$(grep -c '^  sym ' "$WORK/facts.txt" || true)
calls=$(grep -c '^  c-call ' "$WORK/facts.txt" || true)
echo "googletest: $units units, ${PITH_NO_FLOW:+PITH_NO_FLOW=1, }$RUNS runs (median)"
printf 'clang -fsyntax-only: %s s, %d MiB peak\n' "$ct" $((cm / 1024))
printf 'pith-extract:        %s s, %d MiB peak\n' "$pt" $((pm / 1024))
awk -v p="$pt" -v c="$ct" 'BEGIN { printf "ratio extract / syntax-only: %.2f\n", p / c }'
echo "facts: $syms symbols, $calls C/C++ call sites"
