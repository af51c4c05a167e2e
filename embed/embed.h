/* pith-embed: one summary text per function, method and class of the graph (summary format v1,
 * docs/FORMAT.md), written as a VectorSet stage file. With the embedder "none" (the only one so
 * far) rows carry the summary and no vector; pith-pack stores the summaries in RECS. */
#ifndef PITH_EMBED_EMBED_H
#define PITH_EMBED_EMBED_H

#include "common/buf.h"
#include "schemas/graph.pb-c.h"

#define EMBED_SUMMARY_VERSION 1u

/* Appends the v1 summary of graph symbol `id` (1-based) to `out`. `callees` are the edges whose
 * caller is `id`, in (line, col) order. No trailing newline. */
void embed_summary(struct pith_buf *out,
                   const Pith__Graph *g,
                   uint32_t id,
                   const Pith__Edge *const *callees,
                   size_t callee_count);

/* 1 when symbols of `kind` get a summary: classes, functions, methods, nested functions. */
int embed_wants(Pith__SymbolKind kind);

/* Builds the packed pith.VectorSet (embedder "none", dim 0, rows by ascending symbol id) for
 * `g` into `out` (cleared first; caller owns). Returns 0 or PITH_ECORRUPT (an edge names a
 * symbol out of range). */
int embed_build(struct pith_buf *out, const Pith__Graph *g);

/* embed_build on `jobs` threads (the caller's included; 0: pith_cpu_count()). The output does
 * not depend on `jobs`. Also returns PITH_ETOOBIG (over 2^32 - 1 symbols). */
int embed_build_jobs(struct pith_buf *out, const Pith__Graph *g, unsigned jobs);

/* embed_build_jobs from the packed pith.Graph `rec[0, len)` without decoding it with protobuf-c:
 * the fields the summaries need are read in place. rec[len] must be writable; the bytes are
 * modified (strings are NUL-terminated in place). Returns 0, PITH_ECORRUPT (malformed record,
 * or an edge names a caller out of range) or PITH_ETOOBIG. */
int embed_build_packed(struct pith_buf *out, uint8_t *rec, size_t len, unsigned jobs);

struct embed_options {
    const char *graph_path;
    const char *out_path;
    const char *embedder; /* "none" */
};

/* The whole stage: read the graph stage file, build, write the vectors stage file.
 * Returns 0, PITH_EUSAGE (unknown embedder) or another PITH_E* code. */
int embed_run(const struct embed_options *opt);

#endif
