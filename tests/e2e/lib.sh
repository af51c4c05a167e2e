# Shared helpers for the end-to-end scripts (sourced, not run).
set -u
B="${PITH_BUILD:-build}"
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
PITH="$B/pith"
T=$(mktemp -d /tmp/pith-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
    [ "$2" = "$3" ] || { printf 'FAIL: %s\n--- got\n%s\n--- expected\n%s\n' "$1" "$2" "$3" >&2; exit 1; }
}
# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
    case "$2" in *"$3"*) ;; *) printf 'FAIL: %s: missing %s in\n%s\n' "$1" "$3" "$2" >&2; exit 1 ;; esac
}
# run CMD...: sets $out, $err and $rc; a signal death (rc >= 128) always fails
run() {
    out=$("$@" 2>"$T/stderr"); rc=$?; err=$(cat "$T/stderr")
    [ $rc -lt 128 ] || fail "crashed (rc $rc): $* : $err"
}
