/* vec-bench: exact scan vs the HNSW section on synthetic clustered unit vectors (bench/
 * bench_vectors.sh; not part of make test). Builds a VECS section in memory, the HNSW section
 * with pith-pack's code (pack/hnsw_pack.c over hnswlib), validates it with the reader and
 * times queries: exact (serve/vsearch.c vsearch_top), HNSW (common/hnsw.c), recall@k. */
#include "common/artifact.h"
#include "common/buf.h"
#include "common/hnsw.h"
#include "common/mem.h"
#include "common/vdot.h"
#include "pack/hnsw_pack.h"
#include "serve/vsearch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float gauss(uint64_t *s)
{
    double u = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* a unit vector near centre c (noise `spread` per dimension) */
static void sample(float *x, const float *c, uint32_t dim, float spread, uint64_t *s)
{
    double n = 0.0;
    for (uint32_t j = 0; j < dim; j++) {
        x[j] = c[j] + spread * gauss(s);
        n += (double)x[j] * x[j];
    }
    n = sqrt(n);
    for (uint32_t j = 0; j < dim; j++)
        x[j] = (float)(x[j] / n);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, size_t n)
{
    qsort(t, n, sizeof *t, cmp_double);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: vec-bench ROWS DIM [--f16] [--no-graph] [--queries Q] "
                        "[--clusters C] [--spread S]\n");
        return 2;
    }
    uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10), dim = (uint32_t)strtoul(argv[2], NULL, 10);
    uint32_t nq = 200, clusters = 0, elem = 4;
    float spread = 0.6f;
    int graph = 1;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--f16") == 0)
            elem = 2;
        else if (strcmp(argv[i], "--no-graph") == 0)
            graph = 0;
        else if (strcmp(argv[i], "--queries") == 0 && i + 1 < argc)
            nq = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--clusters") == 0 && i + 1 < argc)
            clusters = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--spread") == 0 && i + 1 < argc)
            spread = strtof(argv[++i], NULL);
    }
    if (clusters == 0)
        clusters = n / 20 ? n / 20 : 1;
    /* two levels, like topics and the functions about one thing: clusters / 20 topic centres,
     * each cluster centre = its topic + 0.7 noise, each row = its cluster + `spread` noise */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    uint32_t topics = clusters / 20 ? clusters / 20 : 1;
    float *topic = pith_xmalloc((size_t)topics * dim * sizeof *topic);
    for (size_t i = 0; i < (size_t)topics * dim; i++)
        topic[i] = gauss(&s);
    float *centres = pith_xmalloc((size_t)clusters * dim * sizeof *centres);
    for (uint32_t c = 0; c < clusters; c++) {
        const float *tp = topic + (size_t)(rng_next(&s) % topics) * dim;
        for (uint32_t j = 0; j < dim; j++)
            centres[(size_t)c * dim + j] = tp[j] + 0.7f * gauss(&s);
    }

    /* the VECS section as pith-pack writes it: header | has | pad | rows */
    uint32_t rows = n + 1;
    size_t flags_end = (sizeof(struct pith_disk_vecs_header) + rows + 7) & ~(size_t)7;
    size_t len = flags_end + (size_t)rows * dim * elem;
    unsigned char *vecs = pith_xcalloc(len, 1);
    struct pith_disk_vecs_header vh;
    memset(&vh, 0, sizeof vh);
    vh.dim = dim;
    vh.row_count = rows;
    vh.elem_size = elem;
    vh.present = n;
    memcpy(vecs, &vh, sizeof vh);
    float *x = pith_xmalloc((size_t)dim * sizeof *x);
    for (uint32_t id = 1; id < rows; id++) {
        vecs[sizeof vh + id] = 1;
        sample(x, centres + (size_t)(rng_next(&s) % clusters) * dim, dim, spread, &s);
        if (elem == 2) {
            uint16_t *r = (uint16_t *)(vecs + flags_end) + (size_t)id * dim;
            for (uint32_t j = 0; j < dim; j++)
                r[j] = pith_f16_from_f32(x[j]);
        } else {
            memcpy((float *)(vecs + flags_end) + (size_t)id * dim, x, (size_t)dim * 4);
        }
    }
    struct pith_vectors v;
    memset(&v, 0, sizeof v);
    v.header = (const struct pith_disk_vecs_header *)vecs;
    v.has = vecs + sizeof vh;
    v.dim = dim;
    v.row_count = rows;
    v.elem_size = elem;
    if (elem == 2)
        v.rows16 = (const uint16_t *)(vecs + flags_end);
    else
        v.rows = (const float *)(vecs + flags_end);
    float *q = pith_xmalloc((size_t)nq * dim * sizeof *q);
    for (uint32_t t = 0; t < nq; t++)
        sample(q + (size_t)t * dim, centres + (size_t)(rng_next(&s) % clusters) * dim, dim, spread,
               &s);
    printf("rows %u dim %u %s topics %u clusters %u spread %.2f queries %u: VECS %.1f MiB\n", n,
           dim, elem == 2 ? "f16" : "f32", topics, clusters, spread, nq, len / 1048576.0);

    /* exact scan, top 10 and top 200 (fusion's candidate list) */
    enum { K = 10, KF = VSEARCH_CANDIDATES };
    struct vsearch_hit *exact = pith_xmalloc((size_t)nq * KF * sizeof *exact);
    double *t = pith_xmalloc(nq * sizeof *t);
    struct vsearch_stats st;
    for (uint32_t i = 0; i < nq; i++) {
        double a = now();
        vsearch_top(&v, q + (size_t)i * dim, KF, exact + (size_t)i * KF, &st);
        t[i] = now() - a;
    }
    printf("exact scan: median %.2f ms/query\n", 1e3 * median(t, nq));
    if (!graph)
        return 0;

    struct pith_buf sec = PITH_BUF_INIT;
    double a = now();
    if (hnsw_pack_section(&sec, vecs, len, 1) != 0) {
        fprintf(stderr, "hnsw build failed\n");
        return 3;
    }
    double build = now() - a;
    struct pith_hnsw g;
    a = now();
    uint64_t *aligned = pith_xmalloc(sec.len + 8);
    memcpy(aligned, sec.ptr, sec.len);
    if (pith_hnsw_check(&g, (const unsigned char *)aligned, sec.len, &v) != 0) {
        fprintf(stderr, "hnsw section refused\n");
        return 3;
    }
    double check = now() - a;
    printf("hnsw build (M %u, ef_construction %u, 1 thread): %.1f s; section %.1f MiB, "
           "%u levels; reader validation %.1f ms\n",
           PACK_HNSW_M, PACK_HNSW_EF_CONSTRUCTION, build, sec.len / 1048576.0,
           g.header->max_level + 1, 1e3 * check);
    static const unsigned efs[] = { 32, 64, 128, 256 };
    struct pith_hnsw_hit *got = pith_xmalloc(KF * sizeof *got);
    for (size_t e = 0; e < sizeof efs / sizeof efs[0]; e++) {
        for (int wide = 0; wide < 2; wide++) {
            size_t k = wide ? KF : K, hit = 0, visits = 0;
            if (wide && efs[e] != PACK_HNSW_EF_SEARCH)
                continue;
            for (uint32_t i = 0; i < nq; i++) {
                a = now();
                size_t m = pith_hnsw_search(&g, &v, q + (size_t)i * dim, efs[e], k, got);
                t[i] = now() - a;
                visits += pith_hnsw_last_visits();
                for (size_t r = 0; r < m; r++) {
                    for (size_t j = 0; j < k; j++) {
                        if (exact[(size_t)i * KF + j].doc == got[r].doc) {
                            hit++;
                            break;
                        }
                    }
                }
            }
            printf("hnsw ef %u k %zu: median %.3f ms/query, recall@%zu %.4f, %.0f rows scored\n",
                   efs[e] > k ? efs[e] : (unsigned)k, k, 1e3 * median(t, nq), k,
                   (double)hit / ((double)nq * k), (double)visits / nq);
        }
    }
    /* fusion statistics under HNSW: estimate vs the exact scan's */
    double dm = 0.0, ds = 0.0;
    for (uint32_t i = 0; i < nq; i++) {
        struct vsearch_stats ex, es;
        vsearch_top(&v, q + (size_t)i * dim, 1, exact, &ex);
        es = vsearch_stats_estimate(&v, &g, q + (size_t)i * dim);
        dm += fabs(es.mean - ex.mean) / (ex.sd > 0 ? ex.sd : 1);
        ds += fabs(es.sd - ex.sd) / (ex.sd > 0 ? ex.sd : 1);
    }
    printf("fusion statistics estimate: mean off by %.4f sd, sd off by %.2f%% (averages)\n",
           dm / nq, 100.0 * ds / nq);
    return 0;
}
