#!/usr/bin/env bash
# CoSQA-500 through the vector index variants (docs/BENCHMARKS.md "Vector index"): the 6,267
# functions indexed once with the built-in model (bench_cosqa.sh's corpus), then packed again
# from the cached vectors as f32 rows scanned exactly (the default below 20,000 rows), f32
# rows through a forced HNSW graph (--hnsw-min-rows 1), f16 rows exactly and f16 rows through
# the graph; MRR@10 and R@1/5/10 for vector alone and fused on each, and the shard sizes.
# Usage: bench/bench_cosqa_vectors.sh [SPLIT=test]   (needs `make`)
set -euo pipefail
cd "$(dirname "$0")/.."
SPLIT="${1:-test}"
DATA="${COSQA_DATA:-../shared/eval/cosqa}"
W=/tmp/pith-bench-cosqa-vectors
B=${PITH_BUILD:-build}
[ -x $B/pith ] && [ -f $B/data/use_lite.bin ] || { echo "run 'make' first" >&2; exit 2; }
[ -f "$DATA/code_idx_map.txt" ] || { echo "no CoSQA data in $DATA" >&2; exit 2; }
rm -rf "$W"
mkdir -p "$W"
python3 bench/cosqa_eval.py write "$DATA" "$W/repo"
for v in "f32 exact:--vector-type f32 --hnsw-min-rows 0" "f32 hnsw:--vector-type f32 --hnsw-min-rows 1" \
    "f16 exact:--vector-type f16 --hnsw-min-rows 0" "f16 hnsw:--vector-type f16 --hnsw-min-rows 1"; do
    name=${v%%:*}; opts=${v#*:}; dir="$W/idx-${name/ /-}"
    # shellcheck disable=SC2086
    $B/pith index "$W/repo" -o "$dir" --jobs 2 --cache "$W/cache" $opts >"$dir.txt" 2>"$dir.err"
    echo "== $name: shard $(stat -c %s "$dir/shard-0000.pith") bytes;" \
        "$(grep -oE 'pack [0-9.]+ s' "$dir.txt")"
    PITH=$B/pith python3 bench/cosqa_eval.py score "$DATA" "$dir" "$SPLIT" 10 vector fused
done
