#!/usr/bin/env bash
# Vector search: exact scan vs the HNSW section (docs/BENCHMARKS.md "Vector index"). Not part of
# make test. Synthetic clustered unit vectors of 512 dimensions (bench/vec_bench.c: topics ->
# clusters -> rows; --spread sets how tight a cluster is), warm in memory:
#   1. exact scan latency at 10k..200k rows, f32 and f16 (where the exact scan stops being a
#      few ms: pith-pack's default --hnsw-min-rows);
#   2. at 100k and 200k rows: HNSW build time (hnswlib, one thread), section size, the reader's
#      validation time, query latency and recall@10 / recall@200 against the exact scan for
#      several beam widths, and how far the fusion statistics' estimate is from the exact ones.
# usage: bench/bench_vectors.sh [BUILD_DIR=build]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
make -s bench-tools >/dev/null
V="$B/vec-bench"
echo "== exact scan (median of 50 queries, top 200)"
for n in 10000 20000 30000 50000 100000 200000; do
    printf '%7d rows f32: ' $n; "$V" $n 512 --queries 50 --no-graph | tail -n 1
    printf '%7d rows f16: ' $n; "$V" $n 512 --queries 50 --no-graph --f16 | tail -n 1
done
for n in 100000 200000; do
    echo "== HNSW, $n rows"
    "$V" $n 512 --queries 200
done
echo "== HNSW, 100000 rows, f16"
"$V" 100000 512 --queries 200 --f16
echo "== HNSW, 100000 rows, looser clusters (spread 1.0: harder for a graph)"
"$V" 100000 512 --queries 200 --spread 1.0
