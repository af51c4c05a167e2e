/* pith-embed: one summary text per function, method and class of the graph (summary format v2,
 * docs/FORMAT.md), written as a VectorSet stage file. With the embedder "none" rows carry the
 * summary and no vector; with "builtin" (use_lite.h) each row also carries its 512-d vector.
 * pith-pack stores the summaries in RECS. */
#ifndef PITH_EMBED_EMBED_H
#define PITH_EMBED_EMBED_H

#include "common/buf.h"
#include "embed/embedder.h"
#include "embed/http_embedder.h"
#include "schemas/graph.pb-c.h"

#define EMBED_SUMMARY_VERSION 2u

/* Appends the v2 summary of graph symbol `id` (1-based) to `out`. `callees` are the edges whose
 * caller is `id`, in (line, col) order; the callers are the edges of `g` whose callee is `id`.
 * No trailing newline. */
void embed_summary(struct pith_buf *out,
                   const Pith__Graph *g,
                   uint32_t id,
                   const Pith__Edge *const *callees,
                   size_t callee_count);

/* The length of the summary's description, the part an embedder sees: everything before the
 * first blank line (docs/FORMAT.md section 5). */
size_t embed_description_len(const char *summary);

/* Appends the text an embedder sees for `summary`: its description with each line break made
 * a sentence break (". ", or " " after a line ending in . ! ? : ;), because the built-in
 * model reads a newline as an unknown token (CoSQA dev, vector alone: 0.153 vs 0.130). */
void embed_description(struct pith_buf *out, const char *summary);

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

/* embed_build_packed with vectors: every row's description (embed_description_len) is embedded
 * by `e` (NULL: embedder
 * "none", no vectors), in batches of EMBED_BATCH texts; the VectorSet records e->id and
 * e->dim. Also returns the embedder's error. */
#define EMBED_BATCH 256u
int embed_build_packed_with(
    struct pith_buf *out, uint8_t *rec, size_t len, unsigned jobs, struct pith_embedder *e);

struct embed_options {
    const char *graph_path;
    const char *out_path;
    const char *embedder;   /* "none" or "builtin" */
    const char *model_path; /* builtin: the converted model (NULL: <bindir>/data/use_lite.bin) */
    unsigned threads;       /* builtin: embedding threads (0: every CPU) */
    /* "openai:URL", "ollama:URL", "tei:URL": the HTTP embedder's other options (format and
     * base URL come from `embedder`); set with pith_http_embed_options_init first */
    struct pith_http_embed_options http;
    const char *cache_dir; /* embedding cache folder (cache.h); NULL: none */
};

/* The embedder `opt->embedder` names: *out NULL for "none", the built-in USE-lite model for
 * "builtin". Caller owns *out (pith_embedder_free). Returns 0, PITH_EUSAGE (unknown name) or
 * the error of opening the model. */
int embed_embedder_open(struct pith_embedder **out, const struct embed_options *opt);

/* The whole stage: read the graph stage file, build, write the vectors stage file.
 * Returns 0, PITH_EUSAGE (unknown embedder) or another PITH_E* code. */
int embed_run(const struct embed_options *opt);

#endif
