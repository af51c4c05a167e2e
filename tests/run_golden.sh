#!/usr/bin/env bash
# Runs (or with PITH_GOLDEN_UPDATE=1 rewrites) every golden case against build dir $1.
set -u
cd "$(dirname "$0")/.."
B="${1:-build}"; rc=0
for d in tests/golden/*/*.d; do
    [ -f "$d/cmd" ] || continue
    tests/run_golden_case.sh "$B" "$d" || { echo "FAIL $d"; rc=1; }
done
exit $rc
