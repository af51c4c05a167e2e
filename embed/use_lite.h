/* The built-in embedder of pith-embed: the USE-lite model (common/use_lite.h, shared with the
 * query side) as a pith_embedder. */
#ifndef PITH_EMBED_USE_LITE_H
#define PITH_EMBED_USE_LITE_H

#include "common/use_lite.h"
#include "embed/embedder.h"

/* The model as a pith_embedder (embedder.h): embed_batch splits each batch over `threads`
 * threads (0: pith_cpu_count()), each with its own buffers, OpenBLAS single-threaded; with
 * threads == 1 OpenBLAS keeps its own threads instead. `path` as for use_lite_open. Returns 0
 * or an error of use_lite_open; caller owns *out (pith_embedder_free). */
int use_lite_embedder_new(struct pith_embedder **out, const char *path, unsigned threads);

#endif
