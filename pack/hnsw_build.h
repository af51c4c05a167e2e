/* pith-pack: a thin C interface over hnswlib (header-only C++, Debian libhnswlib-dev), compiled
 * by g++ from hnsw_build.cc (pack/hnsw.mk). Builds an inner-product graph single-threaded with a
 * fixed M, ef_construction and seed, so the same rows give the same graph. */
#ifndef PITH_PACK_HNSW_BUILD_H
#define PITH_PACK_HNSW_BUILD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hnsw_build;

/* A graph for up to `capacity` vectors of `dim` floats: M links per node on the upper levels
 * (2 M on level 0), candidate list `ef_construction`, level generator seeded with `seed`.
 * Returns NULL when hnswlib refuses (out of memory); free with hnsw_build_free. */
struct hnsw_build *hnsw_build_new(
    uint32_t dim, uint32_t capacity, uint32_t m, uint32_t ef_construction, uint64_t seed);
void hnsw_build_free(struct hnsw_build *b);

/* Inserts vec[dim] with label `label` (distance 1 - dot product). Returns 0, or -1 when full
 * or hnswlib throws. */
int hnsw_build_add(struct hnsw_build *b, const float *vec, uint32_t label);

/* The built graph, by node (0 .. count - 1, in insertion order). */
uint32_t hnsw_build_count(const struct hnsw_build *b);
uint32_t hnsw_build_label(const struct hnsw_build *b, uint32_t node);
int hnsw_build_level(const struct hnsw_build *b, uint32_t node); /* top level of node */
int hnsw_build_max_level(const struct hnsw_build *b);
uint32_t hnsw_build_entry(const struct hnsw_build *b); /* node */
/* The links of `node` on `level` (<= its level): *out points at `count` nodes, borrowed until
 * the next call on `b`. */
uint32_t
hnsw_build_links(const struct hnsw_build *b, uint32_t node, int level, const uint32_t **out);

/* hnswlib's own serialisation (saveIndex) into `path`; 0 or -1. For inspection: pith-pack
 * flattens the graph into the HNSW section instead (docs/FORMAT.md). */
int hnsw_build_save(struct hnsw_build *b, const char *path);

#ifdef __cplusplus
}
#endif

#endif
