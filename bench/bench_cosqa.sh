#!/usr/bin/env bash
# CoSQA-500 code search (issue 5): indexes the 6,267 functions of ../shared/eval/cosqa as one
# corpus (one file f<id>.py each) with the default embedder (built-in USE-lite) on 2 cores,
# prints the embedding throughput (summaries/s, cache emptied first), then MRR@10 and R@1/5/10
# of `pith query search --json -k 10` for lexical alone, vector alone and fused.
# Usage: bench/bench_cosqa.sh [SPLIT=test]...   (needs `make`; the data stays outside the repo)
# Environment: COSQA_DATA (the data), PITH_BUILD (binaries, default build), COSQA_WORK (scratch).
set -euo pipefail
cd "$(dirname "$0")/.."
SPLITS="${*:-test}"
DATA="${COSQA_DATA:-../shared/eval/cosqa}"
W="${COSQA_WORK:-/tmp/pith-bench-cosqa}"
B="${PITH_BUILD:-build}"
[ -x $B/pith ] && [ -f $B/data/use_lite.bin ] || { echo "run 'make' first" >&2; exit 2; }
[ -f "$DATA/code_idx_map.txt" ] || { echo "no CoSQA data in $DATA" >&2; exit 2; }

rm -rf "$W"
mkdir -p "$W"
python3 bench/cosqa_eval.py write "$DATA" "$W/repo"
# 2 cores: the whole pipeline pinned to CPUs 0-1, pith-embed told to use 2 threads by the CPU set
taskset -c 0,1 $B/pith index "$W/repo" -o "$W/idx" --jobs 2 >"$W/index.txt" 2>"$W/index.err"
cat "$W/index.txt"
embedded=$(grep -oE '[0-9]+ embedded' "$W/index.err" | grep -oE '[0-9]+' || echo 0)
embed_s=$(grep -oE 'embed [0-9.]+ s' "$W/index.txt" | grep -oE '[0-9.]+')
echo "embedding: $embedded summaries in $embed_s s on 2 cores (pith-embed stage, builtin):" \
    "$(python3 -c "print(round($embedded / $embed_s))") summaries/s"
# a second run reuses every vector from INDEX.cache
taskset -c 0,1 $B/pith index "$W/repo" -o "$W/idx" --jobs 2 >"$W/index2.txt" 2>"$W/index2.err"
echo "re-index: $(grep -oE '[0-9]+ vectors reused, [0-9]+ embedded' "$W/index2.err")," \
    "$(grep -oE 'embed [0-9.]+ s' "$W/index2.txt")"
for SPLIT in $SPLITS; do
    PITH=$B/pith python3 bench/cosqa_eval.py score "$DATA" "$W/idx" "$SPLIT" 10 lexical vector fused
done
