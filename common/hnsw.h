/* The pure-C HNSW reader: validates the HNSW section of a mapped shard once, then searches it in
 * place (greedy descent on the upper levels, beam search on level 0), scoring rows of the VECS
 * section from the map. No load step, no hnswlib: pith-pack flattens hnswlib's graph into the
 * layout of artifact.h / docs/FORMAT.md. */
#ifndef PITH_COMMON_HNSW_H
#define PITH_COMMON_HNSW_H

#include "common/artifact.h"

#include <stddef.h>
#include <stdint.h>

/* Checks the HNSW section p[len] against the validated vectors `v`: sizes, counts, every link
 * (in range, a row with a vector, not itself, present on that level), zero padding and unused
 * slots, the entry point. On success fills `out` with pointers into p. Returns 0 or
 * PITH_ECORRUPT with pith_error_last() set. */
int pith_hnsw_check(struct pith_hnsw *out,
                    const unsigned char *p,
                    uint64_t len,
                    const struct pith_vectors *v);

struct pith_hnsw_hit {
    uint32_t doc;
    float sim;
};

/* The approximate best min(k, node count) rows by dot product with q[v->dim], best first (ties:
 * smaller doc first), into out[k]: beam width max(ef, k) on level 0 (ef 0: the section's
 * ef_search). Deterministic. Returns the count. */
size_t pith_hnsw_search(const struct pith_hnsw *g,
                        const struct pith_vectors *v,
                        const float *q,
                        unsigned ef,
                        size_t k,
                        struct pith_hnsw_hit *out);

/* The number of dot products the last pith_hnsw_search on this thread computed. */
size_t pith_hnsw_last_visits(void);

#endif
