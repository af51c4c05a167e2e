/* The embedder interface of pith-embed: one struct of function pointers per backend (built-in
 * USE-lite in use_lite.c, the HTTP backends), so embed.c batches summaries without knowing
 * which backend turns them into vectors. */
#ifndef PITH_EMBED_EMBEDDER_H
#define PITH_EMBED_EMBEDDER_H

#include <stddef.h>

struct pith_http_embed_options; /* common/http_embed.h */

/* Called by embed_stream as vectors arrive: rows [first, first + count) of the input, `count`
 * rows of `dim` floats, L2-normalised. Returns 0 to go on, or a PITH_E* code that stops the
 * stream and is returned by it. */
typedef int (*pith_embedder_batch_fn)(size_t first,
                                      size_t count,
                                      const float *vectors,
                                      void *payload);

struct pith_embedder {
    /* Embedder id recorded in the VectorSet and the MANIFEST, e.g.
     * "builtin:use-lite@0.2.0+3f2a9c1b7d4e"; owned by the embedder. */
    const char *id;
    unsigned dim; /* floats per vector */
    /* Embeds `texts[0, count)` (NUL-terminated UTF-8) into `out[count * dim]`, one L2-normalised
     * row per text, in order. May be called from one thread at a time per embedder. Returns 0
     * or a PITH_E* code with pith_error_last() set; `out` is then unspecified. */
    int (*embed_batch)(struct pith_embedder *self,
                       const char *const *texts,
                       size_t count,
                       float *out);
    /* Frees the embedder and everything it owns (NULL-safe through pith_embedder_free). */
    void (*free)(struct pith_embedder *self);
    void *state; /* backend data */
    /* Optional fields (zero when unused), set by the HTTP backends: */
    /* The prefix the backend puts before every document text (NULL: none); part of the cache
     * key, so a changed prefix re-embeds. */
    const char *doc_prefix;
    /* Embeds query texts like embed_batch, with the query prefix (NULL: use embed_batch). */
    int (*embed_query)(struct pith_embedder *self,
                       const char *const *texts,
                       size_t count,
                       float *out);
    /* Embeds document texts [0, count), calling `fn` as each batch arrives, in any order, so
     * vectors persist as they come (NULL: the caller batches embed_batch itself). Returns 0,
     * fn's code or a PITH_E* code; batches already delivered stay delivered. */
    int (*embed_stream)(struct pith_embedder *self,
                        const char *const *texts,
                        size_t count,
                        pith_embedder_batch_fn fn,
                        void *payload);
    /* The HTTP server's options (format, base URL, model, query prefix, key variable name),
     * recorded in the VectorSet so the query side can embed queries with the same server;
     * NULL for other backends. Owned by the embedder. */
    const struct pith_http_embed_options *http;
};

/* Calls e->free(e) when e is not NULL. */
static inline void pith_embedder_free(struct pith_embedder *e)
{
    if (e)
        e->free(e);
}

#endif
