/* Query embedding over HTTP (serve stage): when the index was embedded by an HTTP server
 * (embedder id "http:FORMAT:MODEL@DIM"), the query text is embedded by the same kind of server
 * and model, found through the MANIFEST's embed_endpoint (format, URL, model, query prefix, the
 * API key's variable name) or an override (--embed-url, $PITH_EMBED_URL). Short timeouts, one
 * retry; pooled connections (one easy handle per request in flight, reused) and a small LRU of
 * query vectors, both thread-safe, so pith-serve's HTTP thread pool and MCP reuse them. */
#ifndef PITH_SERVE_QUERY_EMBED_H
#define PITH_SERVE_QUERY_EMBED_H

#include <stdint.h>

struct pith_index;

#define QUERY_EMBED_TIMEOUT_S     5.0  /* per request, connecting included */
#define QUERY_EMBED_RETRIES       1    /* after HTTP 408/429/5xx, a transport error, bad JSON */
#define QUERY_EMBED_BACKOFF_S     0.25 /* delay before the retry, unless Retry-After is longer */
#define QUERY_EMBED_BACKOFF_MAX_S 3.0  /* a longer Retry-After fails at once */
#define QUERY_EMBED_CACHE         64   /* query vectors kept (LRU) */
#define QUERY_EMBED_POOL          8    /* idle connections kept */
#define QUERY_EMBED_URL_ENV       "PITH_EMBED_URL"

/* Sets the embedding server's base URL for every later query of this process (--embed-url),
 * overriding $PITH_EMBED_URL and the MANIFEST's URL; NULL clears it. `url` is borrowed for the
 * process. Call before serving (not synchronised with queries). */
void query_embed_set_url(const char *url);

/* Embeds `text` as a query for `ix` (may be NULL: no MANIFEST endpoint then), whose vectors are
 * by the HTTP embedder `embedder` ("http:FORMAT:MODEL@DIM") with `dim` floats, into out[dim]
 * (L2-normalised), with the recorded query prefix. Thread-safe. Returns 0, or with a one-line
 * message: PITH_EUNSUPPORTED (not an HTTP embedder id, the server answers another dimension or
 * model), PITH_EUSAGE (no URL known, the API key's variable unset), PITH_EIO (server down,
 * HTTP error, timeout, after the retry). */
int query_embed_http(
    const struct pith_index *ix, const char *embedder, unsigned dim, const char *text, float *out);

/* Counters since start (or the last query_embed_reset): requests sent to servers (retries
 * included), answers from the LRU. */
struct query_embed_stats {
    uint64_t requests, cache_hits;
};
void query_embed_stats_get(struct query_embed_stats *out);

/* Frees the pooled connections and the LRU and zeroes the counters (tests; shutdown). Not to be
 * called while a query runs. */
void query_embed_reset(void);

#endif
