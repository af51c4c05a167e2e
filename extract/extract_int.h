/* Declarations private to extract/ (see extract.h for the stage's interface). */
#ifndef PITH_EXTRACT_EXTRACT_INT_H
#define PITH_EXTRACT_EXTRACT_INT_H

#include "common/buf.h"

#include <stddef.h>
#include <zstd.h>

/* Appends to `out` the same stage record (header + zstd frame) as pith_stage_compress, but
 * compresses with `zc`, a context the caller owns and reuses: ZSTD_compress would allocate and
 * free a fresh workspace for every record. */
void extract_compress_record(struct pith_buf *out, ZSTD_CCtx *zc, const void *msg, size_t len);

#endif
