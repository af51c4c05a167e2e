/* pith-embed: the HTTP embedder over libcurl's multi interface (see http_embedder.h). Requests,
 * answers and retry delays are common/http_embed.c's; this file schedules the batches. */
#include "http_embedder.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PARALLEL_MAX 4

struct http_embed {
    struct pith_embedder base; /* first: the embedder callbacks receive &base */
    struct pith_http_embed_conn conn;
    char *id;
    struct http_embedder_stats stats;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct batch {
    size_t first, count;
    unsigned attempt;
    double not_before;
    int state; /* 0 waiting, 1 in flight, 2 done */
};

struct slot {
    struct pith_http_embed_req req;
    struct batch *b;
};

static void slot_start(struct http_embed *h,
                       CURLM *multi,
                       struct slot *s,
                       struct batch *b,
                       const char *const *texts,
                       const char *prefix)
{
    s->b = b;
    pith_http_embed_req_prepare(&s->req, &h->conn, texts + b->first, b->count, prefix);
    curl_multi_add_handle(multi, s->req.easy);
    b->state = 1;
    h->stats.requests++;
}

/* Embeds texts[0, count) with `prefix`, calling fn per batch as they arrive. */
static int run_batches(struct http_embed *h,
                       const char *const *texts,
                       size_t count,
                       const char *prefix,
                       pith_embedder_batch_fn fn,
                       void *payload)
{
    const struct pith_http_embed_options *opt = &h->conn.opt;
    size_t per = opt->batch, nb = (count + per - 1) / per;
    if (nb == 0)
        return 0;
    struct batch *batches = pith_xcalloc(nb, sizeof *batches);
    for (size_t i = 0; i < nb; i++) {
        batches[i].first = i * per;
        batches[i].count = count - i * per < per ? count - i * per : per;
    }
    unsigned par = opt->parallel;
    if (h->conn.dim == 0)
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
                if (slots[k].req.easy == m->easy_handle)
                    s = &slots[k];
            }
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(multi, s->req.easy);
            float *vecs = NULL;
            double ra;
            struct batch *b = s->b;
            int ecode = 0;
            enum pith_http_embed_outcome o =
                pith_http_embed_req_finish(&vecs, &ra, &ecode, &s->req, &h->conn, rc);
            s->b = NULL;
            if (o == PITH_HTTP_EMBED_DONE) {
                b->state = 2;
                done++;
                h->stats.texts += b->count;
                int cb = fn(b->first, b->count, vecs, payload);
                free(vecs);
                if (cb < 0)
                    err = cb;
            } else if (o == PITH_HTTP_EMBED_RETRY && b->attempt < opt->retries) {
                double delay = pith_http_embed_delay(opt, b->attempt, ra);
                b->attempt++;
                b->state = 0;
                b->not_before = now_s() + delay;
                h->stats.retries++;
            } else {
                char msg[400];
                snprintf(msg, sizeof msg, "%s", pith_error_last());
                int retry = o == PITH_HTTP_EMBED_RETRY;
                err = pith_error_set(
                    retry ? PITH_EIO : ecode, "%s%s%s", msg, retry ? " (retries exhausted)" : "",
                    ecode == PITH_EUNSUPPORTED ? " (check --embed-dims and --embed-model)" : "");
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
        if (slots[k].b)
            curl_multi_remove_handle(multi, slots[k].req.easy);
        pith_http_embed_req_release(&slots[k].req);
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
    return run_batches(h, texts, count, h->conn.opt.query_prefix, copy_batch, &c);
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
    pith_http_embed_conn_release(&h->conn);
    free(h);
}

void http_embedder_stats_get(struct http_embedder_stats *out, const struct pith_embedder *e)
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

int http_embedder_new(struct pith_embedder **out, const struct pith_http_embed_options *opt)
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
    struct http_embed *h = pith_xcalloc(1, sizeof *h);
    int err = pith_http_embed_conn_init(&h->conn, opt);
    if (err) {
        http_embed_free(&h->base);
        return err;
    }
    h->base.doc_prefix = opt->doc_prefix ? opt->doc_prefix : "";
    h->base.embed_batch = http_embed_batch;
    h->base.embed_stream = http_embed_stream;
    h->base.embed_query = http_embed_query;
    h->base.state = h;
    h->base.free = http_embed_free;
    h->base.http = &h->conn.opt;
    if (h->conn.dim == 0) {
        static const char *const probe[] = { "pith" };
        err = run_batches(h, probe, 1, h->base.doc_prefix, keep_probe, NULL);
        if (err < 0) {
            http_embed_free(&h->base);
            return err;
        }
    }
    h->base.dim = h->conn.dim;
    struct pith_buf b = PITH_BUF_INIT;
    pith_http_embed_id(&b, opt->format, opt->model, h->base.dim);
    h->id = pith_buf_detach(&b, NULL);
    h->base.id = h->id;
    *out = &h->base;
    return 0;
}
