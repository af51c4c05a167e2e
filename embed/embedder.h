/* pith-embed: the interface every embedder implements (built-in USE-lite, HTTP backends), so
 * the summary pipeline, the cache and the query side treat them alike. */
#ifndef PITH_EMBED_EMBEDDER_H
#define PITH_EMBED_EMBEDDER_H

#include <stddef.h>
#include <stdint.h>

/* Called by embed_stream as vectors arrive: rows [first, first + count) of the input, `count`
 * vectors of `dim` floats each, L2-normalised. Returns 0 to go on, or a PITH_E* code that
 * stops the stream and is returned by it. */
typedef int (*embedder_batch_fn)(size_t first, size_t count, const float *vectors, void *payload);

struct embedder {
    /* Embedder id recorded in the VectorSet and MANIFEST, e.g. "http:openai:nomic@768":
     * backend, model (or weights hash) and dims. Owned by the embedder. */
    const char *id;
    uint32_t dim;
    /* The prefix put before every document text ("" when none); part of the cache key. */
    const char *doc_prefix;
    /* Embeds texts[0, count) into out[count * dim] (L2-normalised rows). `is_query` selects
     * the query prefix instead of the document prefix. Returns 0 or a PITH_E* code (message
     * set). */
    int (*embed_batch)(struct embedder *e,
                       float *out,
                       const char *const *texts,
                       size_t count,
                       int is_query);
    /* Optional (NULL: the pipeline calls embed_batch in batches): embeds document texts
     * [0, count), calling `fn` as each batch arrives (in any order), so vectors persist as
     * they come. Returns 0, fn's code or a PITH_E* code; batches already delivered stay. */
    int (*embed_stream)(struct embedder *e,
                        const char *const *texts,
                        size_t count,
                        embedder_batch_fn fn,
                        void *payload);
    /* Frees the embedder and everything it owns. */
    void (*free)(struct embedder *e);
};

#endif
