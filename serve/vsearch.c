/* Vector search and z-score fusion (see vsearch.h). */
#include "serve/vsearch.h"

#include "common/err.h"
#include "common/hnsw.h"
#include "common/mem.h"
#include "common/use_lite.h"
#include "common/vdot.h"
#include "serve/query_embed.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vsearch_mode_parse(const char *s)
{
    if (strcmp(s, "lexical") == 0)
        return VSEARCH_LEXICAL;
    if (strcmp(s, "vector") == 0)
        return VSEARCH_VECTOR;
    if (strcmp(s, "fused") == 0)
        return VSEARCH_FUSED;
    return -1;
}

const char *vsearch_mode_name(enum vsearch_mode m)
{
    switch (m) {
    case VSEARCH_LEXICAL:
        return "lexical";
    case VSEARCH_VECTOR:
        return "vector";
    case VSEARCH_FUSED:
        return "fused";
    default:
        return "auto";
    }
}

/* The built-in model, opened on first use and kept for the process (pith-serve answers many
 * queries; opening hashes the file). */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static struct use_lite *model;
static struct use_lite_work *model_work;
static int model_err; /* nonzero: opening failed once, with model_msg */
static char model_msg[256];

int vsearch_embed_query(
    const struct pith_index *ix, const char *embedder, unsigned dim, const char *text, float *out)
{
    if (strncmp(embedder, "http:", 5) == 0) /* the index's HTTP server (query_embed.h) */
        return query_embed_http(ix, embedder, dim, text, out);
    if (strncmp(embedder, "builtin:use-lite@", 17) != 0)
        return pith_error_set(PITH_EUNSUPPORTED,
                              "the index was embedded with '%s'; this pith embeds queries with "
                              "the built-in model only: use --mode lexical",
                              embedder);
    if (dim != USE_LITE_DIM)
        return pith_error_set(PITH_EUNSUPPORTED,
                              "the index's vectors have %u dimensions, the "
                              "built-in model %u: use --mode lexical",
                              dim, USE_LITE_DIM);
    pthread_mutex_lock(&model_lock);
    int err = 0;
    if (!model && !model_err) {
        const char *path = getenv("PITH_USE_LITE_MODEL");
        err = use_lite_open(&model, path && *path ? path : NULL);
        if (err) {
            model_err = err;
            snprintf(model_msg, sizeof model_msg, "%s", pith_error_last());
        } else {
            model_work = use_lite_work_new();
        }
    }
    if (model_err) {
        err =
            pith_error_set(model_err, "cannot embed the query: %s (use --mode lexical)", model_msg);
    } else if (strcmp(use_lite_id(model), embedder) != 0) {
        err = pith_error_set(PITH_EUNSUPPORTED,
                             "the index was embedded with '%s', this pith's model is '%s': "
                             "re-index, or use --mode lexical",
                             embedder, use_lite_id(model));
    } else {
        const char *texts[1] = { text };
        use_lite_embed_work(model, model_work, texts, 1, out, 1);
    }
    pthread_mutex_unlock(&model_lock);
    return err;
}

float vsearch_dot(const struct pith_vectors *v, const float *q, uint32_t doc)
{
    return pith_vectors_dot(v, q, doc);
}

/* 1 when a ranks before b. */
static int vhit_better(const struct vsearch_hit *a, const struct vsearch_hit *b)
{
    if (a->sim != b->sim)
        return a->sim > b->sim;
    return a->doc < b->doc;
}

static int cmp_vhit(const void *a, const void *b)
{
    return vhit_better(a, b) ? -1 : vhit_better(b, a) ? 1 : 0;
}

struct vsearch_stats vsearch_stats_of(const double *x, size_t n)
{
    struct vsearch_stats st = { 0.0, 0.0 };
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    if (n == 0)
        return st;
    st.mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (x[i] - st.mean) * (x[i] - st.mean);
    st.sd = sqrt(sq / (double)n);
    return st;
}

size_t vsearch_top(const struct pith_vectors *v,
                   const float *q,
                   size_t cap,
                   struct vsearch_hit *out,
                   struct vsearch_stats *all)
{
    size_t n = 0, m = 0;
    double sum = 0.0, sq = 0.0;
    if (all)
        all->mean = all->sd = 0.0;
    if (!v->header || cap == 0)
        return 0;
    /* a heap of the best `cap`, root the worst kept */
    for (uint32_t doc = 1; doc < v->row_count; doc++) {
        if (!v->has[doc])
            continue;
        struct vsearch_hit h = { doc, vsearch_dot(v, q, doc) };
        size_t i;
        sum += h.sim;
        sq += (double)h.sim * h.sim;
        m++;
        if (n < cap) {
            i = n++;
            while (i > 0 && vhit_better(&out[(i - 1) / 2], &h)) {
                out[i] = out[(i - 1) / 2];
                i = (i - 1) / 2;
            }
            out[i] = h;
            continue;
        }
        if (!vhit_better(&h, &out[0]))
            continue;
        i = 0;
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && vhit_better(&out[c], &out[c + 1]))
                c++;
            if (!vhit_better(&h, &out[c]))
                break;
            out[i] = out[c];
            i = c;
        }
        out[i] = h;
    }
    qsort(out, n, sizeof *out, cmp_vhit);
    if (all && m) {
        all->mean = sum / (double)m;
        double var = sq / (double)m - all->mean * all->mean;
        all->sd = var > 0.0 ? sqrt(var) : 0.0;
    }
    return n;
}

struct vsearch_stats
vsearch_stats_estimate(const struct pith_vectors *v, const struct pith_hnsw *g, const float *q)
{
    struct vsearch_stats st = { 0.0, 0.0 };
    if (!v->header || !g->header || v->header->present == 0)
        return st;
    st.mean = pith_dot_f32(g->centroid, q, v->dim);
    uint32_t span = v->row_count - 1, want = VSEARCH_STATS_SAMPLE, m = 0;
    double sq = 0.0;
    if (want > span)
        want = span;
    for (uint32_t i = 0; i < want; i++) {
        uint32_t doc = 1 + (uint32_t)((uint64_t)i * span / want);
        if (!v->has[doc])
            continue;
        double d = vsearch_dot(v, q, doc) - st.mean;
        sq += d * d;
        m++;
    }
    st.sd = m ? sqrt(sq / m) : 0.0;
    return st;
}

size_t vsearch_search(const struct pith_index *ix,
                      const float *q,
                      size_t cap,
                      int exact,
                      struct vsearch_hit *out,
                      struct vsearch_stats *all)
{
    struct pith_vectors v;
    struct pith_hnsw g;
    pith_index_vectors(ix, &v);
    pith_index_hnsw(ix, &g);
    if (exact || !g.header)
        return vsearch_top(&v, q, cap, out, all);
    struct pith_hnsw_hit *h = pith_xmalloc((cap ? cap : 1) * sizeof *h);
    unsigned ef = VSEARCH_CANDIDATES; /* vector mode's k = 10 searches as wide as fusion's 200 */
    const char *env = getenv("PITH_HNSW_EF");
    if (env && atoi(env) > 0)
        ef = (unsigned)atoi(env);
    size_t n = pith_hnsw_search(&g, &v, q, ef, cap, h);
    for (size_t i = 0; i < n; i++) {
        out[i].doc = h[i].doc;
        out[i].sim = h[i].sim;
    }
    free(h);
    if (all)
        *all = vsearch_stats_estimate(&v, &g, q);
    return n;
}

static void stats(const struct vsearch_cand *c, size_t n, int vec, double *mean, double *sd)
{
    double sum = 0.0, sq = 0.0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (vec ? !c[i].in_vec : !c[i].in_lex)
            continue;
        double x = vec ? c[i].vec : c[i].lex;
        sum += x;
        m++;
    }
    *mean = m ? sum / (double)m : 0.0;
    for (size_t i = 0; i < n; i++) {
        if (vec ? !c[i].in_vec : !c[i].in_lex)
            continue;
        double d = (vec ? c[i].vec : c[i].lex) - *mean;
        sq += d * d;
    }
    *sd = m > 1 ? sqrt(sq / (double)m) : 0.0;
}

static int cmp_cand(const void *pa, const void *pb)
{
    const struct vsearch_cand *a = pa, *b = pb;
    if (a->fused != b->fused)
        return a->fused > b->fused ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

void vsearch_fuse(struct vsearch_cand *c,
                  size_t n,
                  double w_vec,
                  const struct vsearch_stats *lex,
                  const struct vsearch_stats *vec)
{
    double ml, sl, mv, sv;
    stats(c, n, 0, &ml, &sl);
    stats(c, n, 1, &mv, &sv);
    if (lex) {
        ml = lex->mean;
        sl = lex->sd;
    }
    if (vec) {
        mv = vec->mean;
        sv = vec->sd;
    }
    for (size_t i = 0; i < n; i++) {
        double zl = sl > 0.0 ? (c[i].lex - ml) / sl : 0.0;
        double zv = sv > 0.0 ? (c[i].vec - mv) / sv : 0.0;
        c[i].fused = zl + w_vec * zv;
    }
    qsort(c, n, sizeof *c, cmp_cand);
}
