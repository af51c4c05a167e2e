#!/usr/bin/env bash
# Index-time benchmark for Python (issue: foundation): pith index against the physical limit
# (a raw tree-sitter parse of the same files, same thread count, same run) and ctags -R for
# reference. Prints wall time (median of RUNS), peak RSS, artifact size and the ratios.
# Usage: bench/bench_python.sh [RUNS=3]   (needs `make` and `make bench-tools` first)
# pith index runs with --embed none: the ratio measures the structural pipeline (extract, analyze,
# summaries, pack) against a raw parse; embedding is timed by bench/bench_cosqa.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
JOBS=$(nproc)
B=build
[ -x $B/pith ] && [ -x $B/ts-parse ] || { echo "run 'make && make bench-tools' first" >&2; exit 2; }

CELERY=/tmp/pith-bench-celery
if [ -d /usr/lib/python3/dist-packages/celery ] && [ ! -d $CELERY ]; then
    mkdir -p $CELERY
    for p in celery kombu billiard vine; do cp -r /usr/lib/python3/dist-packages/$p $CELERY/; done
    find $CELERY -name __pycache__ -prune -exec rm -rf {} +
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run CMD... -> prints "seconds maxrss_kib" of the median run (by time)
measure() {
    local out
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f '%e %M' -o /tmp/pith-bench-time "$@" >/dev/null 2>&1 || true
        cat /tmp/pith-bench-time
    done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

printf '%-10s %6s %8s | %8s %8s | %8s %9s %9s | %8s | %6s %6s\n' corpus files lines \
    ts-parse "" pith "" artifact ctags pith/ts pith/ctags
printf '%-10s %6s %8s | %8s %8s | %8s %9s %9s | %8s | %6s %6s\n' "" "" "" s MiB s MiB MiB s "" ""
for corpus in stdlib:/usr/lib/python3.11 celery:$CELERY; do
    name=${corpus%%:*}; dir=${corpus#*:}
    [ -d "$dir" ] || { echo "$name: $dir missing, skipped"; continue; }
    find "$dir" -name '*.py' -type f | sort > /tmp/pith-bench-files
    files=$(wc -l < /tmp/pith-bench-files)
    lines=$(xargs cat < /tmp/pith-bench-files | wc -l)
    read -r ts_s ts_kb <<<"$(measure sh -c "$B/ts-parse $JOBS < /tmp/pith-bench-files")"
    read -r p_s p_kb <<<"$(measure $B/pith index "$dir" -o /tmp/pith-bench-index --jobs "$JOBS" --embed none)"
    size=$(du -sb /tmp/pith-bench-index | cut -f1)
    read -r c_s _ <<<"$(cd /tmp && measure ctags -R -f /tmp/pith-bench-tags "$dir")"
    awk -v n="$name" -v f="$files" -v l="$lines" -v ts="$ts_s" -v tk="$ts_kb" -v ps="$p_s" \
        -v pk="$p_kb" -v sz="$size" -v cs="$c_s" 'BEGIN {
        printf "%-10s %6d %8d | %8.2f %8.1f | %8.2f %9.1f %9.1f | %8.2f | %6.2f %6.2f\n",
            n, f, l, ts, tk/1024, ps, pk/1024, sz/1048576, cs, ps/ts, ps/cs }'
done
echo "(median of $RUNS runs, $JOBS jobs; peak RSS is the largest single process)"
