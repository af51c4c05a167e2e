/* pith-embed: the embedder over an HTTP embedding server (libcurl multi on top of
 * common/http_embed.h): batches of summaries, 1-4 requests in flight, each retried with
 * exponential backoff honouring Retry-After, vectors delivered as each batch arrives. */
#ifndef PITH_EMBED_HTTP_EMBEDDER_H
#define PITH_EMBED_HTTP_EMBEDDER_H

#include "embedder.h"

#include "common/http_embed.h"

#include <stddef.h>

/* Creates the embedder (caller owns; free with pith_embedder_free). Strings in `opt` are borrowed
 * for the embedder's life. Reads the API key from the environment (never logged, never in an error
 * message). With opt->dims 0, one request learns the dimension. Returns 0, PITH_EUSAGE (bad
 * options, unset key variable) or an error of the probe request. */
int http_embedder_new(struct pith_embedder **out, const struct pith_http_embed_options *opt);

/* Statistics of the embedder's requests so far. */
struct http_embedder_stats {
    size_t requests, retries, texts;
};
void http_embedder_stats_get(struct http_embedder_stats *out, const struct pith_embedder *e);

#endif
