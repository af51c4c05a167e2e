/* pith-embed: HTTP embedders over libcurl's multi interface (see http_embed.h). */
#include "http_embed.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RESPONSE_CAP ((size_t)512 << 20) /* bytes of one response body */
#define PARALLEL_MAX 4

struct http_embed {
    struct pith_embedder base; /* first: the embedder callbacks receive &base */
    struct http_embed_options opt;
    char *id;
    char *url;
    char *auth; /* "Authorization: Bearer KEY": never printed */
    int model_checked;
    struct http_embed_stats stats;
};

void http_embed_options_init(struct http_embed_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->format = HTTP_EMBED_OPENAI;
    opt->batch = 32;
    opt->timeout_s = 60;
    opt->retries = 5;
    opt->parallel = 2;
    opt->backoff_s = 0.5;
    opt->backoff_max_s = 60;
}

int http_embed_spec_parse(struct http_embed_options *opt, const char *spec)
{
    static const struct {
        const char *name;
        enum http_embed_format format;
    } kinds[] = { { "openai:", HTTP_EMBED_OPENAI },
                  { "ollama:", HTTP_EMBED_OLLAMA },
                  { "tei:", HTTP_EMBED_TEI } };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t n = strlen(kinds[i].name);
        if (strncmp(spec, kinds[i].name, n) != 0)
            continue;
        const char *url = spec + n;
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
            return pith_error_set(PITH_EUSAGE, "--embed %s needs an http:// or https:// URL",
                                  kinds[i].name);
        opt->format = kinds[i].format;
        opt->base_url = url;
        return 0;
    }
    return 1;
}

static const char *format_name(enum http_embed_format f)
{
    return f == HTTP_EMBED_OPENAI ? "openai" : f == HTTP_EMBED_OLLAMA ? "ollama" : "tei";
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
                              "the server returned a %d-dimensional vector, expected %u "
                              "(set --embed-dims to the model's dimension)",
                              n, dim);
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
static const cJSON *first_vector(const cJSON *list, enum http_embed_format f)
{
    const cJSON *e = cJSON_GetArrayItem(list, 0);
    return f == HTTP_EMBED_OPENAI ? cJSON_GetObjectItemCaseSensitive(e, "embedding") : e;
}

int http_embed_parse(float **out,
                     enum http_embed_format format,
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
    if (format == HTTP_EMBED_OPENAI)
        list = cJSON_GetObjectItemCaseSensitive(root, "data");
    else if (format == HTTP_EMBED_OLLAMA)
        list = cJSON_GetObjectItemCaseSensitive(root, "embeddings");
    if (!cJSON_IsArray(list)) {
        err = pith_error_set(PITH_EPARSE, "the response has no %s array",
                             format == HTTP_EMBED_OPENAI   ? "\"data\""
                             : format == HTTP_EMBED_OLLAMA ? "\"embeddings\""
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
        if (d <= 0 || d > (1 << 20)) {
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
        if (format == HTTP_EMBED_OPENAI) {
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

int http_retry_after_parse(double *out, const char *value, time_t now)
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The JSON body for texts[0, count), each after `prefix`. */
static char *
request_body(const struct http_embed *h, const char *const *texts, size_t count, const char *prefix)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    struct pith_buf one = PITH_BUF_INIT;
    if (!root || !arr)
        PITH_BUG("out of memory building a request");
    for (size_t i = 0; i < count; i++) {
        pith_buf_clear(&one);
        pith_buf_puts(&one, prefix);
        pith_buf_puts(&one, texts[i]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(one.ptr ? one.ptr : ""));
    }
    pith_buf_release(&one);
    const char *model = h->opt.model && h->opt.model[0] ? h->opt.model : NULL;
    switch (h->opt.format) {
    case HTTP_EMBED_OPENAI:
        if (model)
            cJSON_AddStringToObject(root, "model", model);
        cJSON_AddItemToObject(root, "input", arr);
        break;
    case HTTP_EMBED_OLLAMA:
        if (model)
            cJSON_AddStringToObject(root, "model", model);
        cJSON_AddItemToObject(root, "input", arr);
        cJSON_AddBoolToObject(root, "truncate", 1);
        break;
    case HTTP_EMBED_TEI:
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

struct batch {
    size_t first, count;
    unsigned attempt;
    double not_before;
    int state; /* 0 waiting, 1 in flight, 2 done */
};

struct slot {
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct pith_buf resp;
    char retry_after[72];
    struct batch *b;
    int too_big;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct slot *s = userdata;
    size_t n = size * nmemb;
    if (s->resp.len + n > RESPONSE_CAP) {
        s->too_big = 1;
        return 0;
    }
    pith_buf_put(&s->resp, data, n);
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct slot *s = userdata;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t v = n - (sizeof name - 1);
        if (v >= sizeof s->retry_after)
            v = sizeof s->retry_after - 1;
        memcpy(s->retry_after, data + sizeof name - 1, v);
        s->retry_after[v] = '\0';
    }
    return n;
}

static void slot_start(struct http_embed *h,
                       CURLM *multi,
                       struct slot *s,
                       struct batch *b,
                       const char *const *texts,
                       const char *prefix)
{
    s->b = b;
    s->too_big = 0;
    s->retry_after[0] = '\0';
    pith_buf_clear(&s->resp);
    free(s->body);
    s->body = request_body(h, texts + b->first, b->count, prefix);
    if (!s->easy) {
        s->easy = curl_easy_init();
        if (!s->easy)
            PITH_BUG("curl_easy_init failed");
        s->headers = curl_slist_append(NULL, "Content-Type: application/json");
        s->headers = curl_slist_append(s->headers, "Expect:"); /* no 100-continue wait */
        if (h->auth)
            s->headers = curl_slist_append(s->headers, h->auth);
        curl_easy_setopt(s->easy, CURLOPT_URL, h->url);
        curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
        curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(s->easy, CURLOPT_HEADERDATA, s);
        curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, (long)(h->opt.timeout_s * 1000));
        curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)(h->opt.timeout_s < 10 ? h->opt.timeout_s * 1000 : 10000));
        curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "pith-embed");
    }
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    curl_multi_add_handle(multi, s->easy);
    b->state = 1;
    h->stats.requests++;
}

/* 1 (message set) when the first answer names another model than --embed-model: neither name
 * a prefix of the other, so "nomic-embed-text" matches "nomic-embed-text:latest" and
 * "text-embedding-ada-002" matches "text-embedding-ada-002-v2". TEI names no model. */
static int model_mismatch(const struct http_embed *h, const char *body, size_t len)
{
    const char *want = h->opt.model;
    if (!want || !want[0] || h->opt.format == HTTP_EMBED_TEI)
        return 0;
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model");
    int bad = 0;
    if (cJSON_IsString(m) && m->valuestring[0]) {
        size_t a = strlen(want), b = strlen(m->valuestring);
        bad = strncmp(want, m->valuestring, a < b ? a : b) != 0;
        if (bad)
            pith_error_set(PITH_EUNSUPPORTED,
                           "the server answered with model \"%.100s\", not \"%.100s\" "
                           "(--embed-model)",
                           m->valuestring, want);
    }
    cJSON_Delete(root);
    return bad;
}

/* What to do with a finished request. */
enum outcome { DONE, RETRY, FATAL };

static enum outcome slot_finish(struct http_embed *h,
                                struct slot *s,
                                CURLcode rc,
                                float **vecs,
                                double *retry_after,
                                int *ecode)
{
    struct batch *b = s->b;
    long code = 0;
    *retry_after = -1;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        if (s->too_big) {
            *ecode = pith_error_set(PITH_ETOOBIG, "a response is larger than %zu MiB",
                                    RESPONSE_CAP >> 20);
            return FATAL;
        }
        *ecode = pith_error_set(PITH_EIO, "request to %s failed: %s", h->opt.base_url,
                                curl_easy_strerror(rc));
        return rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ? FATAL : RETRY;
    }
    if (code == 429 || code == 503) {
        double ra;
        if (s->retry_after[0] && http_retry_after_parse(&ra, s->retry_after, time(NULL)) == 0)
            *retry_after = ra;
    }
    if (code == 408 || code == 429 || code >= 500) {
        pith_error_set(PITH_EIO, "%s answered HTTP %ld", h->opt.base_url, code);
        return RETRY;
    }
    if (code != 200) {
        *ecode = pith_error_set(PITH_EIO, "%s answered HTTP %ld%s", h->opt.base_url, code,
                                code == 401 || code == 403 ? " (check the API key variable)"
                                : code == 404              ? " (check the URL, backend and model)"
                                                           : "");
        return FATAL;
    }
    uint32_t dim = h->base.dim;
    int err = http_embed_parse(vecs, h->opt.format, s->resp.ptr ? s->resp.ptr : "", s->resp.len,
                               b->count, &dim);
    *ecode = err;
    if (err == PITH_EUNSUPPORTED)
        return FATAL;
    if (err < 0)
        return RETRY;
    if (h->base.dim == 0)
        h->base.dim = dim;
    if (!h->model_checked && model_mismatch(h, s->resp.ptr, s->resp.len)) {
        free(*vecs);
        *vecs = NULL;
        *ecode = PITH_EUNSUPPORTED;
        return FATAL;
    }
    h->model_checked = 1;
    return DONE;
}

/* Embeds texts[0, count) with `prefix`, calling fn per batch as they arrive. */
static int run_batches(struct http_embed *h,
                       const char *const *texts,
                       size_t count,
                       const char *prefix,
                       pith_embedder_batch_fn fn,
                       void *payload)
{
    size_t per = h->opt.batch, nb = (count + per - 1) / per;
    if (nb == 0)
        return 0;
    struct batch *batches = pith_xcalloc(nb, sizeof *batches);
    for (size_t i = 0; i < nb; i++) {
        batches[i].first = i * per;
        batches[i].count = count - i * per < per ? count - i * per : per;
    }
    unsigned par = h->opt.parallel;
    if (h->base.dim == 0)
        par = 1; /* the first answer fixes the dimension */
    struct slot slots[PARALLEL_MAX];
    memset(slots, 0, sizeof slots);
    CURLM *multi = curl_multi_init();
    if (!multi)
        PITH_BUG("curl_multi_init failed");
    size_t done = 0, next = 0; /* next: first batch not yet done or in flight, roughly */
    int err = 0;
    while (done < nb && err == 0) {
        double t = now_s(), wait_until = -1;
        for (unsigned k = 0; k < par; k++) {
            if (slots[k].b)
                continue;
            struct batch *pick = NULL;
            for (size_t i = next; i < nb; i++) {
                if (batches[i].state != 0)
                    continue;
                if (batches[i].not_before <= t) {
                    pick = &batches[i];
                    break;
                }
                if (wait_until < 0 || batches[i].not_before < wait_until)
                    wait_until = batches[i].not_before;
            }
            if (!pick)
                break;
            slot_start(h, multi, &slots[k], pick, texts, prefix);
        }
        while (next < nb && batches[next].state == 2)
            next++;
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *m;
        int left, finished = 0;
        while ((m = curl_multi_info_read(multi, &left))) {
            finished++;
            if (m->msg != CURLMSG_DONE)
                continue;
            struct slot *s = NULL;
            for (unsigned k = 0; k < par; k++) {
                if (slots[k].easy == m->easy_handle)
                    s = &slots[k];
            }
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(multi, s->easy);
            float *vecs = NULL;
            double ra;
            struct batch *b = s->b;
            int ecode = 0;
            enum outcome o = slot_finish(h, s, rc, &vecs, &ra, &ecode);
            s->b = NULL;
            if (o == DONE) {
                b->state = 2;
                done++;
                h->stats.texts += b->count;
                int cb = fn(b->first, b->count, vecs, payload);
                free(vecs);
                if (cb < 0)
                    err = cb;
            } else if (o == RETRY && b->attempt < h->opt.retries) {
                double delay =
                    h->opt.backoff_s * (double)(1u << (b->attempt < 20 ? b->attempt : 20));
                if (ra > delay)
                    delay = ra;
                if (delay > h->opt.backoff_max_s)
                    delay = h->opt.backoff_max_s;
                b->attempt++;
                b->state = 0;
                b->not_before = now_s() + delay;
                h->stats.retries++;
            } else {
                char msg[400];
                snprintf(msg, sizeof msg, "%s", pith_error_last());
                err = pith_error_set(o == RETRY ? PITH_EIO : ecode, "%s%s", msg,
                                     o == RETRY ? " (retries exhausted)" : "");
            }
        }
        if (err || done == nb)
            break;
        if (finished)
            continue; /* a slot is free: start the next batch before waiting */
        int busy = 0;
        for (unsigned k = 0; k < par; k++)
            busy |= slots[k].b != NULL;
        int ms = 1000;
        if (!busy && wait_until > 0) {
            double d = wait_until - now_s();
            ms = d <= 0 ? 0 : (int)(d * 1000) + 1;
        }
        curl_multi_poll(multi, NULL, 0, busy ? (ms < 100 ? ms : 100) : ms, NULL);
    }
    for (unsigned k = 0; k < PARALLEL_MAX; k++) {
        if (slots[k].easy) {
            if (slots[k].b)
                curl_multi_remove_handle(multi, slots[k].easy);
            curl_easy_cleanup(slots[k].easy);
        }
        curl_slist_free_all(slots[k].headers);
        free(slots[k].body);
        pith_buf_release(&slots[k].resp);
    }
    curl_multi_cleanup(multi);
    free(batches);
    return err;
}

/* ---- the embedder ----------------------------------------------------------------------- */

struct copy_out {
    float *out;
    uint32_t dim;
};

static int copy_batch(size_t first, size_t count, const float *vectors, void *payload)
{
    struct copy_out *c = payload;
    memcpy(c->out + first * c->dim, vectors, count * c->dim * sizeof *vectors);
    return 0;
}

static int
http_embed_batch(struct pith_embedder *e, const char *const *texts, size_t count, float *out)
{
    struct copy_out c = { out, e->dim };
    return run_batches((struct http_embed *)e, texts, count, e->doc_prefix, copy_batch, &c);
}

static int
http_embed_query(struct pith_embedder *e, const char *const *texts, size_t count, float *out)
{
    struct http_embed *h = (struct http_embed *)e;
    struct copy_out c = { out, e->dim };
    return run_batches(h, texts, count, h->opt.query_prefix ? h->opt.query_prefix : "", copy_batch,
                       &c);
}

static int http_embed_stream(struct pith_embedder *e,
                             const char *const *texts,
                             size_t count,
                             pith_embedder_batch_fn fn,
                             void *payload)
{
    return run_batches((struct http_embed *)e, texts, count, e->doc_prefix, fn, payload);
}

static void http_embed_free(struct pith_embedder *e)
{
    struct http_embed *h = (struct http_embed *)e;
    if (!h)
        return;
    free(h->id);
    free(h->url);
    if (h->auth) {
        memset(h->auth, 0, strlen(h->auth));
        free(h->auth);
    }
    free(h);
}

void http_embed_stats_get(struct http_embed_stats *out, const struct pith_embedder *e)
{
    *out = ((const struct http_embed *)e)->stats;
}

static int keep_probe(size_t first, size_t count, const float *vectors, void *payload)
{
    (void)first;
    (void)count;
    (void)vectors;
    (void)payload;
    return 0;
}

int http_embed_new(struct pith_embedder **out, const struct http_embed_options *opt)
{
    *out = NULL;
    if (!opt->base_url || !opt->base_url[0])
        return pith_error_set(PITH_EUSAGE, "the HTTP embedder needs a base URL");
    if (opt->batch < 1 || opt->batch > 4096)
        return pith_error_set(PITH_EUSAGE, "--embed-batch must be 1 to 4096, got %u", opt->batch);
    if (opt->parallel < 1 || opt->parallel > PARALLEL_MAX)
        return pith_error_set(PITH_EUSAGE, "--embed-parallel must be 1 to 4, got %u",
                              opt->parallel);
    if (!(opt->timeout_s > 0) || opt->timeout_s > 86400)
        return pith_error_set(PITH_EUSAGE, "--embed-timeout must be above 0 seconds");
    const char *key = NULL;
    if (opt->api_key_env && opt->api_key_env[0]) {
        key = getenv(opt->api_key_env);
        if (!key || !key[0])
            return pith_error_set(PITH_EUSAGE, "environment variable %s (the API key) is not set",
                                  opt->api_key_env);
    }
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return pith_error_set(PITH_EIO, "libcurl does not initialise");
        curl_ready = 1;
    }
    struct http_embed *h = pith_xcalloc(1, sizeof *h);
    h->opt = *opt;
    struct pith_buf b = PITH_BUF_INIT;
    pith_buf_puts(&b, opt->base_url);
    while (b.len && b.ptr[b.len - 1] == '/')
        b.ptr[--b.len] = '\0';
    if (opt->format == HTTP_EMBED_OPENAI) {
        size_t n = b.len;
        pith_buf_puts(&b, n >= 3 && strcmp(b.ptr + n - 3, "/v1") == 0 ? "/embeddings"
                                                                      : "/v1/embeddings");
    } else {
        pith_buf_puts(&b, opt->format == HTTP_EMBED_OLLAMA ? "/api/embed" : "/embed");
    }
    h->url = pith_buf_detach(&b, NULL);
    if (key) {
        pith_buf_printf(&b, "Authorization: Bearer %s", key);
        h->auth = pith_buf_detach(&b, NULL);
    }
    h->base.dim = opt->dims;
    h->base.doc_prefix = opt->doc_prefix ? opt->doc_prefix : "";
    h->base.embed_batch = http_embed_batch;
    h->base.embed_stream = http_embed_stream;
    h->base.embed_query = http_embed_query;
    h->base.state = h;
    h->base.free = http_embed_free;
    if (h->base.dim == 0) {
        static const char *const probe[] = { "pith" };
        int err = run_batches(h, probe, 1, h->base.doc_prefix, keep_probe, NULL);
        if (err < 0) {
            http_embed_free(&h->base);
            return err;
        }
    }
    pith_buf_printf(&b, "http:%s:%s@%u", format_name(opt->format),
                    opt->model && opt->model[0] ? opt->model : "-", h->base.dim);
    h->id = pith_buf_detach(&b, NULL);
    h->base.id = h->id;
    *out = &h->base;
    return 0;
}
