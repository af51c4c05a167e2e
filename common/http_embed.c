/* HTTP embedding requests shared by pith-embed and the query side (see http_embed.h). */
#include "common/http_embed.h"

#include "common/err.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RESPONSE_CAP ((size_t)512 << 20) /* bytes of one response body */

void pith_http_embed_options_init(struct pith_http_embed_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->format = PITH_HTTP_EMBED_OPENAI;
    opt->batch = 32;
    opt->timeout_s = 60;
    opt->retries = 5;
    opt->parallel = 2;
    opt->backoff_s = 0.5;
    opt->backoff_max_s = 60;
}

static const char *const format_names[] = { "openai", "ollama", "tei" };

const char *pith_http_embed_format_name(enum pith_http_embed_format f)
{
    return (unsigned)f < 3 ? format_names[f] : "?";
}

int pith_http_embed_format_parse(const char *name)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, format_names[i]) == 0)
            return i;
    }
    return -1;
}

static int is_http_url(const char *url)
{
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int pith_http_embed_spec_parse(struct pith_http_embed_options *opt, const char *spec)
{
    const char *colon = strchr(spec, ':');
    if (!colon || colon - spec > 6)
        return 1;
    char name[8];
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    int f = pith_http_embed_format_parse(name);
    if (f < 0)
        return 1;
    if (!is_http_url(colon + 1))
        return pith_error_set(PITH_EUSAGE, "--embed %s: needs an http:// or https:// URL", name);
    opt->format = (enum pith_http_embed_format)f;
    opt->base_url = colon + 1;
    return 0;
}

void pith_http_embed_id(struct pith_buf *out,
                        enum pith_http_embed_format format,
                        const char *model,
                        unsigned dim)
{
    pith_buf_printf(out, "http:%s:%s@%u", pith_http_embed_format_name(format),
                    model && model[0] ? model : "-", dim);
}

int pith_http_embed_id_parse(enum pith_http_embed_format *format,
                             const char **model_out,
                             size_t *model_len,
                             unsigned *dim,
                             const char *id)
{
    if (strncmp(id, "http:", 5) != 0)
        return -1;
    const char *f = id + 5, *colon = strchr(f, ':'), *at = strrchr(id, '@');
    if (!colon || !at || at < colon || colon - f > 6)
        return -1;
    char name[8];
    memcpy(name, f, (size_t)(colon - f));
    name[colon - f] = '\0';
    int fmt = pith_http_embed_format_parse(name);
    char *end;
    unsigned long d = strtoul(at + 1, &end, 10);
    if (fmt < 0 || at[1] < '0' || at[1] > '9' || *end || d == 0 || d > PITH_HTTP_EMBED_MAX_DIM)
        return -1;
    *format = (enum pith_http_embed_format)fmt;
    *model_out = colon + 1;
    *model_len = (size_t)(at - colon - 1);
    if (*model_len == 1 && colon[1] == '-')
        *model_len = 0;
    *dim = (unsigned)d;
    return 0;
}

void pith_http_embed_url_redact(struct pith_buf *out, const char *url)
{
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    size_t host_end = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', host_end);
    if (!at) {
        pith_buf_puts(out, url);
        return;
    }
    /* the last '@' of the authority ends the user information */
    while (memchr(at + 1, '@', host_end - (size_t)(at + 1 - auth)))
        at = memchr(at + 1, '@', host_end - (size_t)(at + 1 - auth));
    pith_buf_put(out, url, (size_t)(auth - url));
    pith_buf_puts(out, at + 1);
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* Copies the numbers of `arr` into row, checking the dimension. */
static int take_vector(float *row, const cJSON *arr, uint32_t dim)
{
    if (!cJSON_IsArray(arr))
        return pith_error_set(PITH_EPARSE, "an embedding is not an array of numbers");
    int n = cJSON_GetArraySize(arr);
    if ((uint32_t)n != dim)
        return pith_error_set(PITH_EUNSUPPORTED,
                              "the server returned a %d-dimensional vector, expected %u", n, dim);
    /* normalised in double, scaled by the largest magnitude first: any finite input gives
     * finite floats */
    double big = 0, norm = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return pith_error_set(PITH_EPARSE, "an embedding holds a non-number");
        if (fabs(v->valuedouble) > big)
            big = fabs(v->valuedouble);
    }
    if (big > 0) {
        cJSON_ArrayForEach(v, arr)
        {
            double x = v->valuedouble / big;
            norm += x * x;
        }
        norm = sqrt(norm); /* of the scaled vector: 1 <= norm <= sqrt(dim) */
    }
    int i = 0;
    cJSON_ArrayForEach(v, arr)
    {
        row[i++] = big > 0 ? (float)(v->valuedouble / big / norm) : 0.0f;
    }
    return 0;
}

/* The first vector of the response, to learn the dimension. */
static const cJSON *first_vector(const cJSON *list, enum pith_http_embed_format f)
{
    const cJSON *e = cJSON_GetArrayItem(list, 0);
    return f == PITH_HTTP_EMBED_OPENAI ? cJSON_GetObjectItemCaseSensitive(e, "embedding") : e;
}

int pith_http_embed_parse(float **out,
                          enum pith_http_embed_format format,
                          const char *body,
                          size_t len,
                          size_t count,
                          uint32_t *dim)
{
    *out = NULL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    float *vecs = NULL;
    unsigned char *seen = NULL;
    int err = 0;
    if (!root) {
        err = pith_error_set(PITH_EPARSE, "the response is not JSON (%zu bytes)", len);
        goto out;
    }
    const cJSON *list = root;
    if (format == PITH_HTTP_EMBED_OPENAI)
        list = cJSON_GetObjectItemCaseSensitive(root, "data");
    else if (format == PITH_HTTP_EMBED_OLLAMA)
        list = cJSON_GetObjectItemCaseSensitive(root, "embeddings");
    if (!cJSON_IsArray(list)) {
        err = pith_error_set(PITH_EPARSE, "the response has no %s array",
                             format == PITH_HTTP_EMBED_OPENAI   ? "\"data\""
                             : format == PITH_HTTP_EMBED_OLLAMA ? "\"embeddings\""
                                                                : "top-level");
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(list);
    if (n != count) {
        err =
            pith_error_set(PITH_EPARSE, "the response holds %zu vectors for %zu inputs", n, count);
        goto out;
    }
    if (count == 0)
        goto out;
    if (*dim == 0) {
        const cJSON *v = first_vector(list, format);
        int d = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
        if (d <= 0 || d > (int)PITH_HTTP_EMBED_MAX_DIM) {
            err = pith_error_set(PITH_EPARSE, "the first embedding is not a non-empty array");
            goto out;
        }
        *dim = (uint32_t)d;
    }
    vecs = pith_xmalloc(count * *dim * sizeof *vecs);
    seen = pith_xcalloc(count, 1);
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        size_t at = i++;
        const cJSON *arr = e;
        if (format == PITH_HTTP_EMBED_OPENAI) {
            const cJSON *ix = cJSON_GetObjectItemCaseSensitive(e, "index");
            if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 || ix->valuedouble >= (double)count ||
                ix->valuedouble != (double)(size_t)ix->valuedouble) {
                err = pith_error_set(PITH_EPARSE, "data[%zu] has no valid \"index\"", at);
                goto out;
            }
            at = (size_t)ix->valuedouble;
            if (seen[at]) {
                err = pith_error_set(PITH_EPARSE, "index %zu appears twice", at);
                goto out;
            }
            arr = cJSON_GetObjectItemCaseSensitive(e, "embedding");
            if (cJSON_IsString(arr)) {
                err = pith_error_set(PITH_EUNSUPPORTED, "base64 embeddings are not supported");
                goto out;
            }
        }
        seen[at] = 1;
        err = take_vector(vecs + at * *dim, arr, *dim);
        if (err < 0)
            goto out;
    }
out:
    cJSON_Delete(root);
    free(seen);
    if (err < 0)
        free(vecs);
    else
        *out = vecs;
    return err;
}

int pith_http_retry_after_parse(double *out, const char *value, time_t now)
{
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
                 value[n - 1] == '\n'))
        n--;
    if (n == 0 || n > 64)
        return -1;
    char v[72];
    memcpy(v, value, n);
    v[n] = '\0';
    size_t digits = strspn(v, "0123456789");
    if (digits == n) {
        *out = n > 9 ? 1e9 : (double)strtol(v, NULL, 10);
        return 0;
    }
    if (!strchr(v, ',') && !strchr(v, ' ')) /* curl_getdate takes lone words too */
        return -1;
    time_t t = curl_getdate(v, NULL);
    if (t == (time_t)-1)
        return -1;
    *out = t > now ? difftime(t, now) : 0.0;
    return 0;
}

/* ---- requests --------------------------------------------------------------------------- */

char *pith_http_embed_request_body(const struct pith_http_embed_options *opt,
                                   const char *const *texts,
                                   size_t count,
                                   const char *prefix)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    struct pith_buf one = PITH_BUF_INIT;
    if (!root || !arr)
        PITH_BUG("out of memory building a request");
    for (size_t i = 0; i < count; i++) {
        pith_buf_clear(&one);
        pith_buf_puts(&one, prefix ? prefix : "");
        pith_buf_puts(&one, texts[i]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(one.ptr ? one.ptr : ""));
    }
    pith_buf_release(&one);
    const char *model = opt->model && opt->model[0] ? opt->model : NULL;
    switch (opt->format) {
    case PITH_HTTP_EMBED_OPENAI:
        if (model)
            cJSON_AddStringToObject(root, "model", model);
        cJSON_AddItemToObject(root, "input", arr);
        break;
    case PITH_HTTP_EMBED_OLLAMA:
        if (model)
            cJSON_AddStringToObject(root, "model", model);
        cJSON_AddItemToObject(root, "input", arr);
        cJSON_AddBoolToObject(root, "truncate", 1);
        break;
    case PITH_HTTP_EMBED_TEI:
        cJSON_AddItemToObject(root, "inputs", arr);
        cJSON_AddBoolToObject(root, "normalize", 1);
        cJSON_AddBoolToObject(root, "truncate", 1);
        break;
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!s)
        PITH_BUG("out of memory printing a request");
    return s;
}

double pith_http_embed_delay(const struct pith_http_embed_options *opt,
                             unsigned attempt,
                             double retry_after)
{
    double delay = opt->backoff_s * (double)(1u << (attempt < 20 ? attempt : 20));
    if (retry_after > delay)
        delay = retry_after;
    return delay > opt->backoff_max_s ? opt->backoff_max_s : delay;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int pith_http_embed_conn_init(struct pith_http_embed_conn *c,
                              const struct pith_http_embed_options *opt)
{
    memset(c, 0, sizeof *c);
    c->opt = *opt;
    c->dim = opt->dims;
    if (!opt->base_url || !is_http_url(opt->base_url))
        return pith_error_set(PITH_EUSAGE, "the HTTP embedder needs an http:// or https:// URL");
    const char *key = NULL;
    if (opt->api_key_env && opt->api_key_env[0]) {
        key = getenv(opt->api_key_env);
        if (!key || !key[0])
            return pith_error_set(PITH_EUSAGE, "environment variable %s (the API key) is not set",
                                  opt->api_key_env);
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return pith_error_set(PITH_EIO, "libcurl does not initialise");
    struct pith_buf b = PITH_BUF_INIT;
    pith_http_embed_url_redact(&b, opt->base_url);
    c->shown_url = pith_buf_detach(&b, NULL);
    pith_buf_puts(&b, opt->base_url);
    while (b.len && b.ptr[b.len - 1] == '/')
        b.ptr[--b.len] = '\0';
    if (opt->format == PITH_HTTP_EMBED_OPENAI) {
        size_t n = b.len;
        pith_buf_puts(&b, n >= 3 && strcmp(b.ptr + n - 3, "/v1") == 0 ? "/embeddings"
                                                                      : "/v1/embeddings");
    } else {
        pith_buf_puts(&b, opt->format == PITH_HTTP_EMBED_OLLAMA ? "/api/embed" : "/embed");
    }
    c->url = pith_buf_detach(&b, NULL);
    if (key) {
        pith_buf_printf(&b, "Authorization: Bearer %s", key);
        c->auth = pith_buf_detach(&b, NULL);
    }
    return 0;
}

void pith_http_embed_conn_release(struct pith_http_embed_conn *c)
{
    free(c->url);
    free(c->shown_url);
    if (c->auth) {
        memset(c->auth, 0, strlen(c->auth));
        free(c->auth);
    }
    memset(c, 0, sizeof *c);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pith_http_embed_req *r = userdata;
    size_t n = size * nmemb;
    if (r->resp.len + n > RESPONSE_CAP) {
        r->too_big = 1;
        return 0;
    }
    pith_buf_put(&r->resp, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct pith_http_embed_req *r = userdata;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t v = n - (sizeof name - 1);
        if (v >= sizeof r->retry_after)
            v = sizeof r->retry_after - 1;
        memcpy(r->retry_after, data + sizeof name - 1, v);
        r->retry_after[v] = '\0';
    }
    return n;
}

void pith_http_embed_req_prepare(struct pith_http_embed_req *r,
                                 const struct pith_http_embed_conn *c,
                                 const char *const *texts,
                                 size_t count,
                                 const char *prefix)
{
    r->too_big = 0;
    r->retry_after[0] = '\0';
    r->count = count;
    pith_buf_clear(&r->resp);
    free(r->body);
    r->body = pith_http_embed_request_body(&c->opt, texts, count, prefix);
    if (!r->easy) {
        double t = c->opt.timeout_s;
        r->easy = curl_easy_init();
        if (!r->easy)
            PITH_BUG("curl_easy_init failed");
        r->headers = curl_slist_append(NULL, "Content-Type: application/json");
        r->headers = curl_slist_append(r->headers, "Expect:"); /* no 100-continue wait */
        if (c->auth)
            r->headers = curl_slist_append(r->headers, c->auth);
        curl_easy_setopt(r->easy, CURLOPT_URL, c->url);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)(t * 1000));
        curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(t < 10 ? t * 1000 : 10000));
        curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "pith");
    }
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
}

/* 1 (message set) when the first answer names another model than opt.model: neither name a
 * prefix of the other, so "nomic-embed-text" matches "nomic-embed-text:latest" and
 * "text-embedding-ada-002" matches "text-embedding-ada-002-v2". TEI names no model. */
static int model_mismatch(const struct pith_http_embed_conn *c, const char *body, size_t len)
{
    const char *want = c->opt.model;
    if (!want || !want[0] || c->opt.format == PITH_HTTP_EMBED_TEI)
        return 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model");
    int bad = 0;
    if (cJSON_IsString(m) && m->valuestring[0]) {
        size_t a = strlen(want), b = strlen(m->valuestring);
        bad = strncmp(want, m->valuestring, a < b ? a : b) != 0;
        if (bad)
            pith_error_set(PITH_EUNSUPPORTED,
                           "the server answered with model \"%.100s\", not \"%.100s\"",
                           m->valuestring, want);
    }
    cJSON_Delete(root);
    return bad;
}

enum pith_http_embed_outcome pith_http_embed_req_finish(float **vecs,
                                                        double *retry_after,
                                                        int *ecode,
                                                        struct pith_http_embed_req *r,
                                                        struct pith_http_embed_conn *c,
                                                        CURLcode rc)
{
    long code = 0;
    *vecs = NULL;
    *retry_after = -1;
    *ecode = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        if (r->too_big) {
            *ecode = pith_error_set(PITH_ETOOBIG, "a response is larger than %zu MiB",
                                    RESPONSE_CAP >> 20);
            return PITH_HTTP_EMBED_FATAL;
        }
        *ecode = pith_error_set(PITH_EIO, "request to %s failed: %s", c->shown_url,
                                curl_easy_strerror(rc));
        return rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT
                   ? PITH_HTTP_EMBED_FATAL
                   : PITH_HTTP_EMBED_RETRY;
    }
    if (code == 429 || code == 503) {
        double ra;
        if (r->retry_after[0] && pith_http_retry_after_parse(&ra, r->retry_after, time(NULL)) == 0)
            *retry_after = ra;
    }
    if (code == 408 || code == 429 || code >= 500) {
        *ecode = pith_error_set(PITH_EIO, "%s answered HTTP %ld", c->shown_url, code);
        return PITH_HTTP_EMBED_RETRY;
    }
    if (code != 200) {
        *ecode = pith_error_set(PITH_EIO, "%s answered HTTP %ld%s", c->shown_url, code,
                                code == 401 || code == 403 ? " (check the API key variable)"
                                : code == 404              ? " (check the URL, backend and model)"
                                                           : "");
        return PITH_HTTP_EMBED_FATAL;
    }
    uint32_t dim = c->dim;
    int err = pith_http_embed_parse(vecs, c->opt.format, r->resp.ptr ? r->resp.ptr : "",
                                    r->resp.len, r->count, &dim);
    *ecode = err;
    if (err == PITH_EUNSUPPORTED)
        return PITH_HTTP_EMBED_FATAL;
    if (err < 0)
        return PITH_HTTP_EMBED_RETRY;
    if (c->dim == 0)
        c->dim = dim;
    if (!c->model_checked && model_mismatch(c, r->resp.ptr, r->resp.len)) {
        free(*vecs);
        *vecs = NULL;
        *ecode = PITH_EUNSUPPORTED;
        return PITH_HTTP_EMBED_FATAL;
    }
    c->model_checked = 1;
    return PITH_HTTP_EMBED_DONE;
}

void pith_http_embed_req_release(struct pith_http_embed_req *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    pith_buf_release(&r->resp);
    memset(r, 0, sizeof *r);
}

int pith_http_embed_request(float **out,
                            unsigned *retries,
                            struct pith_http_embed_req *r,
                            struct pith_http_embed_conn *c,
                            const char *const *texts,
                            size_t count,
                            const char *prefix)
{
    *out = NULL;
    for (unsigned attempt = 0;; attempt++) {
        if (retries)
            *retries = attempt;
        pith_http_embed_req_prepare(r, c, texts, count, prefix);
        CURLcode rc = curl_easy_perform(r->easy);
        double ra;
        int ecode;
        enum pith_http_embed_outcome o = pith_http_embed_req_finish(out, &ra, &ecode, r, c, rc);
        if (o == PITH_HTTP_EMBED_DONE)
            return 0;
        if (o == PITH_HTTP_EMBED_FATAL)
            return ecode;
        if (attempt >= c->opt.retries) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", pith_error_last());
            return pith_error_set(PITH_EIO, "%s%s", msg,
                                  c->opt.retries ? " (retries exhausted)" : "");
        }
        if (ra > c->opt.backoff_max_s) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s", pith_error_last());
            return pith_error_set(PITH_EIO, "%s, Retry-After %.0f s (more than %.1f s)", msg, ra,
                                  c->opt.backoff_max_s);
        }
        double d = pith_http_embed_delay(&c->opt, attempt, ra);
        if (d > 0) {
            struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
            nanosleep(&ts, NULL);
        }
    }
}
