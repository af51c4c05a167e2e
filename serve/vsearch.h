/* Vector search and fusion for the search operation (serve stage): the query is embedded with
 * the index's embedder (the built-in USE-lite model of common/use_lite.h, or the index's HTTP
 * embedding server through serve/query_embed.h), scored by exact dot products over the VECS rows
 * mapped from the shard, and fused with the lexical BM25F channel by a weighted z-score sum over
 * the union of both channels' top candidates (shared/EMBEDDING.md: w = 1 measured best). */
#ifndef PITH_SERVE_VSEARCH_H
#define PITH_SERVE_VSEARCH_H

#include "common/artifact.h"

#include <stddef.h>
#include <stdint.h>

#define VSEARCH_CANDIDATES 200 /* each channel's top list entering the fusion */
#define VSEARCH_W_VECTOR   1.0 /* weight of the vector channel's z-score */

enum vsearch_mode { VSEARCH_AUTO = 0, VSEARCH_LEXICAL, VSEARCH_VECTOR, VSEARCH_FUSED };
/* Or'ed into a mode (search --exact): score every row even when the index has an HNSW graph. */
#define VSEARCH_EXACT 0x100
/* Rows sampled (at a fixed stride) to estimate the similarity's spread under HNSW search. */
#define VSEARCH_STATS_SAMPLE 1024u

/* "lexical", "vector", "fused" -> the mode, or -1. */
int vsearch_mode_parse(const char *s);
const char *vsearch_mode_name(enum vsearch_mode m);

/* Embeds `text` as a query of index `ix` (may be NULL) with the embedder whose id is `embedder`
 * into out[dim]. The built-in model is opened once per process (from
 * <bindir>/data/use_lite.bin, or $PITH_USE_LITE_MODEL when set) and kept; an HTTP embedder
 * ("http:...") asks the index's embedding server (serve/query_embed.h). Thread-safe. Returns 0,
 * or PITH_EUNSUPPORTED with a one-line message when this side cannot produce vectors of that
 * embedder (an unknown embedder, other weights, another dim, a server answering another model
 * or dim), PITH_ENOTFOUND when the model file is missing, query_embed_http's errors. */
int vsearch_embed_query(
    const struct pith_index *ix, const char *embedder, unsigned dim, const char *text, float *out);

/* The dot product of row `doc` with `q` (0 for a row without a vector). */
float vsearch_dot(const struct pith_vectors *v, const float *q, uint32_t doc);

struct vsearch_hit {
    uint32_t doc;
    float sim;
};

/* A channel's score distribution. */
struct vsearch_stats {
    double mean, sd;
};

/* The best min(cap, rows with a vector) rows by dot product with q[dim], exact, into
 * out[cap], best first (ties: smaller id first). Returns the count. When `all` is not NULL,
 * sets it to the mean and standard deviation of the similarity over every row with a vector. */
size_t vsearch_top(const struct pith_vectors *v,
                   const float *q,
                   size_t cap,
                   struct vsearch_hit *out,
                   struct vsearch_stats *all);

/* The vector channel's top `cap` rows for q[dim] into out[cap], best first: through the
 * index's HNSW graph (common/hnsw.h) when it has one and `exact` is 0, with a beam of
 * max(cap, VSEARCH_CANDIDATES) ($PITH_HNSW_EF replaces VSEARCH_CANDIDATES, for tuning), else
 * exactly (vsearch_top). `all` (may be NULL) gets the similarity's mean and standard deviation over
 * every row with a vector: exact from the scan; under HNSW estimated by
 * vsearch_stats_estimate. Returns the count. */
size_t vsearch_search(const struct pith_index *ix,
                      const float *q,
                      size_t cap,
                      int exact,
                      struct vsearch_hit *out,
                      struct vsearch_stats *all);

/* The similarity's statistics over every row with a vector, without scoring every row: the
 * mean is exact (q . centroid, the HNSW section's mean row: the mean of a dot product is the
 * dot product with the mean), the standard deviation is taken around it over
 * VSEARCH_STATS_SAMPLE rows at a fixed stride (deterministic). */
struct vsearch_stats
vsearch_stats_estimate(const struct pith_vectors *v, const struct pith_hnsw *g, const float *q);

/* Mean and standard deviation of x[0, n). */
struct vsearch_stats vsearch_stats_of(const double *x, size_t n);

/* One candidate of the fusion: its score in each channel (exact, whether or not it is in that
 * channel's top list) and whether it is in that list. */
struct vsearch_cand {
    uint32_t doc;
    uint8_t in_lex, in_vec;
    double lex, vec;
    double fused; /* out */
};

/* Weighted z-score fusion: every candidate's fused score is z_lex + w_vec * z_vec, z being
 * (score - mean) / sd with each channel's `lex` / `vec` statistics, or, where NULL, the
 * channel's own top list (candidates with in_lex / in_vec set); a channel with no spread
 * contributes 0. Sorts `c` best first (ties: smaller doc first). The search operation passes
 * statistics over every symbol: on CoSQA dev that kept w = 1 at the lexical channel's MRR
 * (0.314 vs 0.315) where top-list statistics lost 0.08 (docs/BENCHMARKS.md). */
void vsearch_fuse(struct vsearch_cand *c,
                  size_t n,
                  double w_vec,
                  const struct vsearch_stats *lex,
                  const struct vsearch_stats *vec);

#endif
