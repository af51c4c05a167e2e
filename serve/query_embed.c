/* Query embedding over HTTP (see query_embed.h). A request takes an idle connection of the
 * same server from the pool (or makes one), embeds without holding a lock, and gives it back:
 *
 *   pool: [conn key=openai|URL|model|KEYVAR] [conn ...] ...   (mutex; at most QUERY_EMBED_POOL)
 *   lru:  (embedder id, prefix, text) -> vector                (mutex; QUERY_EMBED_CACHE rows)
 */
#include "serve/query_embed.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/http_embed.h"
#include "common/mem.h"
#include "schemas/manifest.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

struct client {
    char *key; /* what selects the server: format, URL, model, key variable, dim */
    char *url, *model, *key_env;
    struct pith_http_embed_conn conn; /* its strings point at the fields above */
    struct pith_http_embed_req req;
};

struct lru_row {
    char *key; /* embedder id '\0' prefix '\0' text */
    size_t key_len;
    uint64_t hash, used;
    float *vec;
    unsigned dim;
};

static const char *url_override;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct client *pool[QUERY_EMBED_POOL];
static unsigned pool_count;
static pthread_mutex_t lru_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lru_row lru[QUERY_EMBED_CACHE];
static uint64_t lru_clock;
static _Atomic uint64_t stat_requests, stat_hits;

void query_embed_set_url(const char *url)
{
    url_override = url && url[0] ? url : NULL;
}

static void client_free(struct client *cl)
{
    if (!cl)
        return;
    pith_http_embed_req_release(&cl->req);
    pith_http_embed_conn_release(&cl->conn);
    free(cl->key);
    free(cl->url);
    free(cl->model);
    free(cl->key_env);
    free(cl);
}

/* An idle connection for `key`, or NULL. */
static struct client *pool_take(const char *key)
{
    struct client *cl = NULL;
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = pool_count; i-- > 0;) {
        if (strcmp(pool[i]->key, key) == 0) {
            cl = pool[i];
            pool[i] = pool[--pool_count];
            break;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return cl;
}

static void pool_give(struct client *cl)
{
    struct client *drop = NULL;
    pthread_mutex_lock(&pool_lock);
    if (pool_count == QUERY_EMBED_POOL) { /* the oldest goes */
        drop = pool[0];
        memmove(pool, pool + 1, (QUERY_EMBED_POOL - 1) * sizeof *pool);
        pool_count--;
    }
    pool[pool_count++] = cl;
    pthread_mutex_unlock(&pool_lock);
    client_free(drop);
}

/* Copies the cached vector of `key` into out; 1 when found. */
static int lru_get(const char *key, size_t len, uint64_t hash, unsigned dim, float *out)
{
    int found = 0;
    pthread_mutex_lock(&lru_lock);
    for (unsigned i = 0; i < QUERY_EMBED_CACHE; i++) {
        struct lru_row *r = &lru[i];
        if (r->vec && r->hash == hash && r->key_len == len && r->dim == dim &&
            memcmp(r->key, key, len) == 0) {
            memcpy(out, r->vec, dim * sizeof *out);
            r->used = ++lru_clock;
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&lru_lock);
    return found;
}

static void lru_put(const char *key, size_t len, uint64_t hash, unsigned dim, const float *vec)
{
    pthread_mutex_lock(&lru_lock);
    struct lru_row *r = &lru[0];
    for (unsigned i = 0; i < QUERY_EMBED_CACHE; i++) {
        if (!lru[i].vec) {
            r = &lru[i];
            break;
        }
        if (lru[i].used < r->used)
            r = &lru[i];
    }
    free(r->key);
    free(r->vec);
    r->key = pith_xmalloc(len);
    memcpy(r->key, key, len);
    r->key_len = len;
    r->hash = hash;
    r->dim = dim;
    r->vec = pith_xmalloc(dim * sizeof *vec);
    memcpy(r->vec, vec, dim * sizeof *vec);
    r->used = ++lru_clock;
    pthread_mutex_unlock(&lru_lock);
}

/* Where and how to embed: from the embedder id, the MANIFEST's endpoint and the overrides. */
struct target {
    enum pith_http_embed_format format;
    const char *url, *url_from; /* url_from: "--embed-url", "$PITH_EMBED_URL", "the index" */
    const char *prefix, *key_env;
    struct pith_buf model; /* NUL-terminated, "" for none */
};

static int
target_resolve(struct target *t, const struct pith_index *ix, const char *embedder, unsigned dim)
{
    const char *model;
    size_t model_len;
    unsigned id_dim;
    if (pith_http_embed_id_parse(&t->format, &model, &model_len, &id_dim, embedder) != 0)
        return pith_error_set(PITH_EUNSUPPORTED,
                              "the index was embedded with '%s', which this pith cannot embed "
                              "queries with: use --mode lexical",
                              embedder);
    if (id_dim != dim)
        return pith_error_set(PITH_EUNSUPPORTED,
                              "the embedder id '%s' does not match the %u "
                              "dimensions of the index's vectors",
                              embedder, dim);
    pith_buf_put(&t->model, model, model_len);
    pith_buf_putc(&t->model, '\0');
    t->model.len--;
    const Pith__Manifest *m = ix ? pith_index_manifest(ix) : NULL;
    const Pith__ManifestEmbedEndpoint *ep = m ? m->embed_endpoint : NULL;
    if (ep && ep->format && strcmp(ep->format, pith_http_embed_format_name(t->format)) != 0)
        return pith_error_set(PITH_ECORRUPT,
                              "the MANIFEST's embed_endpoint format '%s' "
                              "disagrees with its embedder '%s'",
                              ep->format, embedder);
    t->prefix = ep && ep->query_prefix ? ep->query_prefix : "";
    t->key_env = ep && ep->api_key_env ? ep->api_key_env : "";
    const char *env = getenv(QUERY_EMBED_URL_ENV);
    if (url_override) {
        t->url = url_override;
        t->url_from = "--embed-url";
    } else if (env && env[0]) {
        t->url = env;
        t->url_from = "$" QUERY_EMBED_URL_ENV;
    } else if (ep && ep->url && ep->url[0]) {
        t->url = ep->url;
        t->url_from = "the index";
    } else {
        return pith_error_set(PITH_EUSAGE,
                              "the index was embedded with '%s' and records no server URL: "
                              "give --embed-url URL or set " QUERY_EMBED_URL_ENV
                              ", or use --mode lexical",
                              embedder);
    }
    if (strncmp(t->url, "http://", 7) != 0 && strncmp(t->url, "https://", 8) != 0)
        return pith_error_set(PITH_EUSAGE, "the embedding server URL from %s is not http(s)://",
                              t->url_from);
    return 0;
}

static int client_new(struct client **out, const struct target *t, const char *key, unsigned dim)
{
    struct client *cl = pith_xcalloc(1, sizeof *cl);
    cl->key = pith_xstrdup(key);
    cl->url = pith_xstrdup(t->url);
    cl->model = pith_xstrdup(t->model.ptr);
    cl->key_env = pith_xstrdup(t->key_env);
    struct pith_http_embed_options opt;
    pith_http_embed_options_init(&opt);
    opt.format = t->format;
    opt.base_url = cl->url;
    opt.model = cl->model;
    opt.api_key_env = cl->key_env;
    opt.dims = dim;
    opt.timeout_s = QUERY_EMBED_TIMEOUT_S;
    opt.retries = QUERY_EMBED_RETRIES;
    opt.backoff_s = QUERY_EMBED_BACKOFF_S;
    opt.backoff_max_s = QUERY_EMBED_BACKOFF_MAX_S;
    int err = pith_http_embed_conn_init(&cl->conn, &opt);
    if (err) {
        client_free(cl);
        cl = NULL;
    }
    *out = cl;
    return err;
}

int query_embed_http(
    const struct pith_index *ix, const char *embedder, unsigned dim, const char *text, float *out)
{
    struct target t;
    memset(&t, 0, sizeof t);
    struct pith_buf key = PITH_BUF_INIT;
    struct client *cl = NULL;
    float *vec = NULL;
    int err = target_resolve(&t, ix, embedder, dim);
    if (err)
        goto out;
    /* the vector depends on the model and the text sent, not on which server answers */
    pith_buf_put(&key, embedder, strlen(embedder) + 1);
    pith_buf_put(&key, t.prefix, strlen(t.prefix) + 1);
    pith_buf_puts(&key, text);
    uint64_t h = XXH3_64bits(key.ptr, key.len);
    if (lru_get(key.ptr, key.len, h, dim, out)) {
        atomic_fetch_add(&stat_hits, 1);
        goto out;
    }
    size_t lru_len = key.len;
    pith_buf_printf(&key, "|%s|%s|%s|%s|%u", pith_http_embed_format_name(t.format), t.url,
                    t.model.ptr, t.key_env, dim);
    const char *pool_key = key.ptr + lru_len;
    cl = pool_take(pool_key);
    if (!cl) {
        err = client_new(&cl, &t, pool_key, dim);
        if (err) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", pith_error_last());
            err = pith_error_set(err, "cannot embed the query: %s (or use --mode lexical)", msg);
            goto out;
        }
    }
    const char *texts[1] = { text };
    unsigned retries = 0;
    err = pith_http_embed_request(&vec, &retries, &cl->req, &cl->conn, texts, 1, t.prefix);
    atomic_fetch_add(&stat_requests, retries + 1);
    if (err) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", pith_error_last());
        /* whatever the server did wrong, the fault is upstream of this query (HTTP 502) */
        err = pith_error_set(
            PITH_EUPSTREAM, "cannot embed the query with %s (server URL from %s): %s; %s", embedder,
            t.url_from, msg,
            err == PITH_EUNSUPPORTED ? "is it the server and model the index was built with? "
                                       "(or use --mode lexical)"
                                     : "--embed-url or " QUERY_EMBED_URL_ENV
                                       " names another server, --mode lexical needs none");
        goto out;
    }
    memcpy(out, vec, dim * sizeof *out);
    lru_put(key.ptr, lru_len, h, dim, out);
out:
    if (cl)
        pool_give(cl);
    free(vec);
    pith_buf_release(&key);
    pith_buf_release(&t.model);
    return err;
}

void query_embed_stats_get(struct query_embed_stats *out)
{
    out->requests = atomic_load(&stat_requests);
    out->cache_hits = atomic_load(&stat_hits);
}

void query_embed_reset(void)
{
    pthread_mutex_lock(&pool_lock);
    for (unsigned i = 0; i < pool_count; i++)
        client_free(pool[i]);
    pool_count = 0;
    pthread_mutex_unlock(&pool_lock);
    pthread_mutex_lock(&lru_lock);
    for (unsigned i = 0; i < QUERY_EMBED_CACHE; i++) {
        free(lru[i].key);
        free(lru[i].vec);
    }
    memset(lru, 0, sizeof lru);
    lru_clock = 0;
    pthread_mutex_unlock(&lru_lock);
    atomic_store(&stat_requests, 0);
    atomic_store(&stat_hits, 0);
}
