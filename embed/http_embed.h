/* pith-embed: embedders behind an HTTP server (libcurl): the OpenAI-compatible /v1/embeddings,
 * Ollama /api/embed and Text Embeddings Inference /embed formats, with batching, 1-4 requests
 * in flight, timeouts and retries with exponential backoff honouring Retry-After. */
#ifndef PITH_EMBED_HTTP_EMBED_H
#define PITH_EMBED_HTTP_EMBED_H

#include "embedder.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum http_embed_format { HTTP_EMBED_OPENAI, HTTP_EMBED_OLLAMA, HTTP_EMBED_TEI };

struct http_embed_options {
    enum http_embed_format format;
    const char *base_url;     /* e.g. http://127.0.0.1:8080 (no trailing path for OpenAI) */
    const char *model;        /* sent as "model" (OpenAI, Ollama); NULL or "": none */
    const char *api_key_env;  /* name of the environment variable holding the key; NULL: none */
    const char *query_prefix; /* put before query texts; NULL: "" */
    const char *doc_prefix;   /* put before document texts; NULL: "" */
    uint32_t dims;            /* expected dimension; 0: learn it from a one-text probe */
    unsigned batch;           /* texts per request (1..4096) */
    double timeout_s;         /* per request, seconds */
    unsigned retries;         /* retries per batch after its first try */
    unsigned parallel;        /* requests in flight, 1..4 */
    double backoff_s;         /* first retry delay, doubled each retry */
    double backoff_max_s;     /* cap on a delay, Retry-After included */
};

/* Defaults: OpenAI format, no URL, model, key or prefixes, dims 0, batch 32, timeout 60 s,
 * 5 retries, 2 in flight, backoff 0.5 s doubling up to 60 s. */
void http_embed_options_init(struct http_embed_options *opt);

/* Parses "openai:URL", "ollama:URL" or "tei:URL" into opt->format and opt->base_url (pointing
 * into `spec`). Returns 0, 1 when `spec` names no HTTP backend, or PITH_EUSAGE (message set). */
int http_embed_spec_parse(struct http_embed_options *opt, const char *spec);

/* Creates the embedder (caller owns; free with pith_embedder_free). Strings in `opt` are borrowed
 * for the embedder's life. Reads the API key from the environment (never logged, never in an error
 * message). With opt->dims 0, one request learns the dimension. Returns 0, PITH_EUSAGE (bad
 * options, unset key variable) or an error of the probe request. */
int http_embed_new(struct pith_embedder **out, const struct http_embed_options *opt);

/* Statistics of the embedder's requests so far. */
struct http_embed_stats {
    size_t requests, retries, texts;
};
void http_embed_stats_get(struct http_embed_stats *out, const struct pith_embedder *e);

/* Parses a response body of `format` holding `count` vectors into *out (count * *dim floats,
 * L2-normalised; caller frees). *dim 0 takes the first vector's length. Returns 0, PITH_EPARSE
 * (malformed JSON, missing fields, fewer or more vectors than `count`, bad indexes, non-finite
 * values: worth a retry) or PITH_EUNSUPPORTED (a vector of another dimension than *dim). */
int http_embed_parse(float **out,
                     enum http_embed_format format,
                     const char *body,
                     size_t len,
                     size_t count,
                     uint32_t *dim);

/* Parses a Retry-After value, delta-seconds or an HTTP-date, into seconds from `now` (0 for a
 * date in the past). Returns 0, or -1 when it is neither. */
int http_retry_after_parse(double *out, const char *value, time_t now);

#endif
