# The pyresolve fixture through the whole pipeline (pith index -> pith query), with exact
# answers checked by hand against the fixture's source (tests/fixtures/pyresolve).
. "$(dirname "$0")/lib.sh"
E="$(cd "$(dirname "$0")" && pwd)/expected"
run "$PITH" index tests/fixtures/pyresolve -o "$T/idx"
[ $rc = 0 ] || fail "index exited $rc: $err"
expect_contains "summary" "$out" "files:"
check() { # expected-file, query args...
    local f="$1"; shift
    run "$PITH" query -i "$T/idx" "$@"
    [ $rc = 0 ] || fail "query $* exited $rc: $err"
    expect_eq "query $*" "$out" "$(cat "$E/$f")"
}
check callers_fetch.txt callers Registry.fetch
check callees_load.txt callees pkg/core.py:Registry.load
check impact_clean.txt impact pkg/util/helpers.py:clean
check callers_pick.txt callers pick
# --json answers parse and name the same call sites
run "$PITH" query -i "$T/idx" callers pkg/core.py:Registry.fetch --json
[ $rc = 0 ] || fail "json query exited $rc"
lines=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted("%s:%d" % (e["file"], e["line"]) for r in d["results"] for e in r["edges"])))')
expect_eq "json callers" "$lines" "app.py:12 app.py:20 pkg/__init__.py:11 pkg/shapes.py:31"
# an unknown name is a clear not-found with exit 1; a bad option is a usage error
run "$PITH" query -i "$T/idx" callers no_such_function
[ $rc = 1 ] || fail "not found: rc $rc"
expect_contains "not found" "$err" "no symbol named"
run "$PITH" query -i "$T/idx" callers fetch --bogus
[ $rc = 2 ] || fail "usage: rc $rc"
# the long-lived server answers the same from one mmap
run sh -c "printf 'callers pkg/core.py:Registry.fetch\nsymbol fetch\n' | '$B/pith-serve' -i '$T/idx' --stdio"
[ $rc = 0 ] || fail "pith-serve exited $rc: $err"
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "pith-serve: expected 2 answer lines: $out"
exit 0
