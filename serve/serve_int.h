/* serve/-private helpers shared by the query engine's files (query.c, query_search.c). */
#ifndef PITH_SERVE_SERVE_INT_H
#define PITH_SERVE_SERVE_INT_H

#include "common/buf.h"

#include <stddef.h>
#include <stdint.h>

struct pith_index;

/* An open-addressing map from non-zero uint32 keys (symbol ids) to uint32 values, sized by the
 * answer rather than by the index, so a query never costs O(all symbols). */
struct qmap {
    uint32_t *keys; /* 0 = empty slot */
    uint32_t *vals;
    size_t cap; /* power of two, or 0 */
    size_t count;
};

void qmap_init(struct qmap *m);
void qmap_release(struct qmap *m);
/* Returns 1 and sets *out when `key` (non-zero) is present, else 0. */
int qmap_get(const struct qmap *m, uint32_t key, uint32_t *out);
/* Inserts or replaces `key` (non-zero). */
void qmap_put(struct qmap *m, uint32_t key, uint32_t val);

/* Appends a per-mille confidence as a JSON number ("0.95", "1"). */
void q_json_conf(struct pith_buf *out, uint32_t per_mille);
/* Appends {"id","qualname","name","kind","file","line","end_line"} for symbol `id`. */
void q_json_symbol(struct pith_buf *out, const struct pith_index *ix, uint32_t id);
/* The path of the file that defines symbol `id` ("" when none). */
const char *q_symbol_path(const struct pith_index *ix, uint32_t id);

/* Decodes the cold record of `id` and appends its docstring's first paragraph (at most `max`
 * bytes, 0 = no limit) to `out`. Returns 0 or PITH_ECORRUPT. */
int q_doc_summary_of(struct pith_buf *out, const struct pith_index *ix, uint32_t id, size_t max);

/* The search operation (query_search.c). Same contract as query_run. `mode`: enum
 * vsearch_mode (serve/vsearch.h); VSEARCH_AUTO is fused when the index has vectors. `w_vec`:
 * the vector channel's weight in the fusion. */
int q_search(struct pith_buf *out,
             const struct pith_index *ix,
             const char *text,
             unsigned k,
             int mode,
             double w_vec,
             int json);

#endif
