/* Vector search and fusion for the search operation (serve stage): the query is embedded with
 * the index's embedder (the built-in USE-lite model of common/use_lite.h; HTTP embedders are
 * refused for now), scored by exact dot products over the VECS rows mapped from the shard, and
 * fused with the lexical BM25F channel by a weighted z-score sum over the union of both
 * channels' top candidates (shared/EMBEDDING.md: w = 1 measured best). */
#ifndef PITH_SERVE_VSEARCH_H
#define PITH_SERVE_VSEARCH_H

#include "common/artifact.h"

#include <stddef.h>
#include <stdint.h>

#define VSEARCH_CANDIDATES 200 /* each channel's top list entering the fusion */
#define VSEARCH_W_VECTOR   1.0 /* weight of the vector channel's z-score */

enum vsearch_mode { VSEARCH_AUTO = 0, VSEARCH_LEXICAL, VSEARCH_VECTOR, VSEARCH_FUSED };

/* "lexical", "vector", "fused" -> the mode, or -1. */
int vsearch_mode_parse(const char *s);
const char *vsearch_mode_name(enum vsearch_mode m);

/* Embeds `text` as a query with the embedder whose id is `embedder` into out[dim]. The model
 * is opened once per process (from <bindir>/data/use_lite.bin, or $PITH_USE_LITE_MODEL when
 * set) and kept. Returns 0, or PITH_EUNSUPPORTED with a one-line message when this side
 * cannot produce vectors of that embedder (an HTTP embedder, other weights, another dim),
 * PITH_ENOTFOUND when the model file is missing. */
int vsearch_embed_query(const char *embedder, unsigned dim, const char *text, float *out);

/* The dot product of row `doc` with `q` (0 for a row without a vector). */
float vsearch_dot(const struct pith_vectors *v, const float *q, uint32_t doc);

struct vsearch_hit {
    uint32_t doc;
    float sim;
};

/* The best min(cap, rows with a vector) rows by dot product with q[dim], exact, into
 * out[cap], best first (ties: smaller id first). Returns the count. */
size_t
vsearch_top(const struct pith_vectors *v, const float *q, size_t cap, struct vsearch_hit *out);

/* One candidate of the fusion: its score in each channel (exact, whether or not it is in that
 * channel's top list) and whether it is in that list. */
struct vsearch_cand {
    uint32_t doc;
    uint8_t in_lex, in_vec;
    double lex, vec;
    double fused; /* out */
};

/* Weighted z-score fusion: each channel's mean and standard deviation are taken over its own
 * top list (candidates with in_lex / in_vec set); every candidate's fused score is
 * z_lex + w_vec * z_vec (a channel with no spread contributes 0). Sorts `c` best first (ties:
 * smaller doc first). */
void vsearch_fuse(struct vsearch_cand *c, size_t n, double w_vec);

#endif
