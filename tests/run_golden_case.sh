#!/usr/bin/env bash
# Runs one golden case: tests/golden/<stage>/<case>.d/cmd is a shell snippet run with
# $PITH_BUILD (binaries), $CASE (the case folder) and $TMP (a scratch folder); its stdout must
# equal $CASE/expected.txt. With PITH_GOLDEN_UPDATE=1 the expectation is rewritten instead.
set -u
B="$1"; CASE="$2"
TMP=$(mktemp -d /tmp/pith-golden.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export PITH_BUILD="$B" CASE TMP
if ! bash "$CASE/cmd" >"$TMP/actual.txt" 2>"$TMP/stderr.txt"; then
    echo "command failed:"; cat "$TMP/stderr.txt"; exit 1
fi
if [ "${PITH_GOLDEN_UPDATE:-0}" = 1 ]; then
    cp "$TMP/actual.txt" "$CASE/expected.txt"; echo "updated $CASE"; exit 0
fi
diff -u "$CASE/expected.txt" "$TMP/actual.txt"
