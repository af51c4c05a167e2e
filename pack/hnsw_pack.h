/* pith-pack: the HNSW section (artifact.h, docs/FORMAT.md) built from a VECS section with
 * hnswlib (hnsw_build.h) and flattened into pith's own layout. */
#ifndef PITH_PACK_HNSW_PACK_H
#define PITH_PACK_HNSW_PACK_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

#define PACK_HNSW_NEVER            UINT32_MAX /* --hnsw-min-rows 0: never build a graph */
#define PACK_HNSW_MIN_ROWS_DEFAULT 20000u     /* docs/BENCHMARKS.md "Vector index" */
#define PACK_HNSW_M                16u
#define PACK_HNSW_EF_CONSTRUCTION  100u
#define PACK_HNSW_EF_SEARCH        64u
#define PACK_HNSW_SEED             100u

/* Builds the HNSW section over the rows of the VECS section vecs[vecs_len] (as pith-pack built
 * it: trusted) into `out` (cleared first) when it has at least `min_rows` rows with a vector
 * (min_rows 0: PACK_HNSW_MIN_ROWS_DEFAULT; PACK_HNSW_NEVER: never); else leaves `out` empty.
 * Single-threaded and seeded: the same rows give the same bytes. Returns 0 or PITH_EIO
 * (hnswlib failed) with pith_error_last() set. */
int hnsw_pack_section(struct pith_buf *out,
                      const unsigned char *vecs,
                      size_t vecs_len,
                      uint32_t min_rows);

#endif
