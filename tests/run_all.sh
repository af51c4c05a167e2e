#!/usr/bin/env bash
# Runs every test suite against each build directory given (e.g. build build/asan):
# unit tests, fuzz-corpus replay, golden dumps, end-to-end scripts, the dependency rule.
# Ends with one line "N passed, N failed" over all of them.
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build
total_pass=0
total_fail=0
failed_names=()

count_line() { # "N passed, M failed" -> adds to totals
    local line="$1" name="$2"
    local p f
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    if [ -z "$p" ] || [ -z "$f" ]; then
        total_fail=$((total_fail + 1)); failed_names+=("$name (no result line)")
        return
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    [ "$f" -gt 0 ] && failed_names+=("$name ($f failed)")
}

one() { # name, command...: a single pass/fail test
    local name="$1"; shift
    if "$@" >"$TMPD/out.txt" 2>&1; then
        total_pass=$((total_pass + 1))
    else
        total_fail=$((total_fail + 1)); failed_names+=("$name")
        echo "FAIL $name"; tail -n 30 "$TMPD/out.txt" | sed 's/^/    /'
    fi
}

TMPD=$(mktemp -d /tmp/pith-run.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for B in "$@"; do
    echo "== suites against $B"
    export PITH_BUILD="$B"
    # unit
    if [ -x "$B/pith-tests" ]; then
        "$B/pith-tests" >"$TMPD/unit.txt" 2>&1
        grep -E '^FAIL|^  ' "$TMPD/unit.txt" | head -n 60
        line=$(tail -n 1 "$TMPD/unit.txt")
        echo "unit: $line"
        count_line "$line" "$B unit"
    else
        total_fail=$((total_fail + 1)); failed_names+=("$B/pith-tests missing")
    fi
    # fuzz corpus replay
    for r in "$B"/replay-*; do
        [ -x "$r" ] || continue
        name=${r##*/replay-}
        one "$B replay $name" "$r" "tests/fuzz/corpus/$name"
    done
    # golden
    for d in tests/golden/*/*.d; do
        [ -f "$d/cmd" ] || continue
        one "$B golden ${d#tests/golden/}" tests/run_golden_case.sh "$B" "$d"
    done
    # end to end
    for t in tests/e2e/*.sh; do
        [ -f "$t" ] || continue
        one "$B e2e ${t##*/}" bash "$t"
    done
done
one "dependency rule" tests/check_deps.sh

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed:"; printf '  %s\n' "${failed_names[@]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
