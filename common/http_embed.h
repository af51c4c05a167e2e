/* HTTP embedding requests shared by pith-embed (batches over libcurl multi, embed/http_embedder.c)
 * and the query side (serve: one query text at a time): the OpenAI-compatible /v1/embeddings,
 * Ollama /api/embed and Text Embeddings Inference /embed formats, request bodies, response
 * parsing, the API key header, status handling, backoff honouring Retry-After, and one blocking
 * request with retries. */
#ifndef PITH_COMMON_HTTP_EMBED_H
#define PITH_COMMON_HTTP_EMBED_H

#include "common/buf.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PITH_HTTP_EMBED_MAX_DIM (1u << 20) /* largest dimension an answer may have */

enum pith_http_embed_format { PITH_HTTP_EMBED_OPENAI, PITH_HTTP_EMBED_OLLAMA, PITH_HTTP_EMBED_TEI };

struct pith_http_embed_options {
    enum pith_http_embed_format format;
    const char *base_url;     /* e.g. http://127.0.0.1:8080 (no trailing path for OpenAI) */
    const char *model;        /* sent as "model" (OpenAI, Ollama); NULL or "": none */
    const char *api_key_env;  /* name of the environment variable holding the key; NULL: none */
    const char *query_prefix; /* put before query texts; NULL: "" */
    const char *doc_prefix;   /* put before document texts; NULL: "" */
    uint32_t dims;            /* expected dimension; 0: learn it from the first answer */
    unsigned batch;           /* texts per request (1..4096; batching clients only) */
    double timeout_s;         /* per request, seconds */
    unsigned retries;         /* retries per request after its first try */
    unsigned parallel;        /* requests in flight, 1..4 (batching clients only) */
    double backoff_s;         /* first retry delay, doubled each retry */
    double backoff_max_s;     /* cap on a delay, Retry-After included */
};

/* Defaults: OpenAI format, no URL, model, key or prefixes, dims 0, batch 32, timeout 60 s,
 * 5 retries, 2 in flight, backoff 0.5 s doubling up to 60 s. */
void pith_http_embed_options_init(struct pith_http_embed_options *opt);

/* Parses "openai:URL", "ollama:URL" or "tei:URL" into opt->format and opt->base_url (pointing
 * into `spec`). Returns 0, 1 when `spec` names no HTTP backend, or PITH_EUSAGE (message set). */
int pith_http_embed_spec_parse(struct pith_http_embed_options *opt, const char *spec);

/* "openai", "ollama" or "tei". */
const char *pith_http_embed_format_name(enum pith_http_embed_format f);
/* The format named `name` ("openai", "ollama", "tei"), or -1. */
int pith_http_embed_format_parse(const char *name);

/* Appends the embedder id "http:FORMAT:MODEL@DIM" (MODEL "-" when none) to `out`. */
void pith_http_embed_id(struct pith_buf *out,
                        enum pith_http_embed_format format,
                        const char *model,
                        unsigned dim);

/* Splits an embedder id "http:FORMAT:MODEL@DIM" (the model may hold ':' and '@'; the last '@'
 * starts DIM). *model_out points at the model inside `id`, *model_len is its length (0 for "-").
 * Returns 0, or -1 when `id` is not such an id. */
int pith_http_embed_id_parse(enum pith_http_embed_format *format,
                             const char **model_out,
                             size_t *model_len,
                             unsigned *dim,
                             const char *id);

/* Appends `url` to `out` without the user information of its authority (http://user:pw@host/
 * -> http://host/), so a password in a URL is never recorded or printed. */
void pith_http_embed_url_redact(struct pith_buf *out, const char *url);

/* Parses a response body of `format` holding `count` vectors into *out (count * *dim floats,
 * L2-normalised; caller frees). *dim 0 takes the first vector's length. Returns 0, PITH_EPARSE
 * (malformed JSON, missing fields, fewer or more vectors than `count`, bad indexes, non-finite
 * values: worth a retry) or PITH_EUNSUPPORTED (a vector of another dimension than *dim). */
int pith_http_embed_parse(float **out,
                          enum pith_http_embed_format format,
                          const char *body,
                          size_t len,
                          size_t count,
                          uint32_t *dim);

/* Parses a Retry-After value, delta-seconds or an HTTP-date, into seconds from `now` (0 for a
 * date in the past). Returns 0, or -1 when it is neither. */
int pith_http_retry_after_parse(double *out, const char *value, time_t now);

/* The JSON request body for texts[0, count), each after `prefix` (NULL: none), in the format of
 * `opt` with its model. Caller frees. */
char *pith_http_embed_request_body(const struct pith_http_embed_options *opt,
                                   const char *const *texts,
                                   size_t count,
                                   const char *prefix);

/* The delay before retry number `attempt` (0 for the first retry): backoff_s * 2^attempt, or
 * `retry_after` when it is longer, capped at backoff_max_s. */
double pith_http_embed_delay(const struct pith_http_embed_options *opt,
                             unsigned attempt,
                             double retry_after);

/* ---- a connection: what every request to one server shares ------------------------------- */

struct pith_http_embed_conn {
    struct pith_http_embed_options opt; /* strings borrowed for the connection's life */
    char *url;                          /* the endpoint: base URL + the format's path */
    char *shown_url;                    /* base URL without user information, for messages */
    char *auth;                         /* "Authorization: Bearer KEY" or NULL: never printed */
    uint32_t dim;      /* expected dimension; 0 until the first answer when opt.dims is 0 */
    int model_checked; /* the server's model name was compared with opt.model */
};

/* Sets `c` up for `opt` (copied; its strings borrowed): the endpoint URL, the key read from the
 * environment variable opt->api_key_env (never logged, never in a message), libcurl's global
 * state once per process (thread-safe). Returns 0 or PITH_EUSAGE (no http(s) URL, unset key
 * variable), PITH_EIO (libcurl does not initialise). Release with pith_http_embed_conn_release
 * (also after a failure). */
int pith_http_embed_conn_init(struct pith_http_embed_conn *c,
                              const struct pith_http_embed_options *opt);
void pith_http_embed_conn_release(struct pith_http_embed_conn *c);

/* ---- one request ------------------------------------------------------------------------- */

/* A request and the easy handle it reuses (libcurl keeps its connection alive between
 * requests). Zero-initialise; one thread at a time. */
struct pith_http_embed_req {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct pith_buf resp;
    char retry_after[72]; /* the last answer's Retry-After value, "" when none */
    int too_big;
    size_t count; /* texts in the request */
};

/* Prepares `r` to POST texts[0, count) with `prefix` to `c`: the easy handle is made on first
 * use (URL, headers, timeouts, callbacks) and kept; the caller then runs it (curl_easy_perform
 * or a multi handle) and calls pith_http_embed_req_finish. */
void pith_http_embed_req_prepare(struct pith_http_embed_req *r,
                                 const struct pith_http_embed_conn *c,
                                 const char *const *texts,
                                 size_t count,
                                 const char *prefix);

/* What to do with a finished request. */
enum pith_http_embed_outcome { PITH_HTTP_EMBED_DONE, PITH_HTTP_EMBED_RETRY, PITH_HTTP_EMBED_FATAL };

/* Judges the finished request `r` (curl result `rc`): DONE with *vecs (r->count rows of c->dim
 * floats, L2-normalised; caller frees; c->dim learnt from a first answer), RETRY (transport
 * error, HTTP 408/429/5xx, malformed answer; *retry_after is the server's Retry-After in seconds
 * or -1) or FATAL (other HTTP status, another dimension, another model than opt.model, an
 * oversized answer; *ecode is the error). pith_error_last() says why for RETRY and FATAL. */
enum pith_http_embed_outcome pith_http_embed_req_finish(float **vecs,
                                                        double *retry_after,
                                                        int *ecode,
                                                        struct pith_http_embed_req *r,
                                                        struct pith_http_embed_conn *c,
                                                        CURLcode rc);

/* Frees what `r` holds (the easy handle too) and zeroes it. */
void pith_http_embed_req_release(struct pith_http_embed_req *r);

/* Embeds texts[0, count) with `prefix` on this thread as one request, retried up to
 * c->opt.retries times after RETRY outcomes with pith_http_embed_delay; a Retry-After longer than
 * c->opt.backoff_max_s is not waited for and fails at once. *out receives count * c->dim floats
 * (caller frees; c->dim is learnt from the answer when 0). *retries (may be NULL) receives the
 * retries made. Returns 0 or the error of the last try (message set). */
int pith_http_embed_request(float **out,
                            unsigned *retries,
                            struct pith_http_embed_req *r,
                            struct pith_http_embed_conn *c,
                            const char *const *texts,
                            size_t count,
                            const char *prefix);

#endif
