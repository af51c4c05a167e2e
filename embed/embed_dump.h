/* pith-embed: a text view of a vectors stage file (pith-embed --dump), for tests and debugging. */
#ifndef PITH_EMBED_EMBED_DUMP_H
#define PITH_EMBED_EMBED_DUMP_H

#include "common/buf.h"

/* Appends to `out` the VectorSet of the vectors stage file at `path`:
 *   embedder ID / dim N / summary_version V / rows N
 *   then one line per row: symbol TAB summary as a JSON string TAB the vector's floats
 *   (%.8g, space-separated; empty for embedder "none").
 * Returns 0, PITH_ENOTFOUND, PITH_EIO or PITH_ECORRUPT (message set). */
int embed_dump_vectors(struct pith_buf *out, const char *path);

#endif
