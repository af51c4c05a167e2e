/* The HNSW section (pack/hnsw_pack.c over hnswlib, read by common/hnsw.c) and f16 rows: recall
 * against the exact scan on synthetic clustered and real (USE-lite) vectors, byte-identical
 * packs, corrupted sections refused, binary16 conversion. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/hnsw.h"
#include "common/mem.h"
#include "common/use_lite.h"
#include "common/vdot.h"
#include "pack/hnsw_pack.h"
#include "pack/pack.h"
#include "tests/harness/harness.h"
#include "tests/unit/pack/pack_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float rng_gauss(uint64_t *s)
{
    double u = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void normalise(float *x, uint32_t dim)
{
    double n = 0.0;
    for (uint32_t j = 0; j < dim; j++)
        n += (double)x[j] * x[j];
    n = sqrt(n);
    for (uint32_t j = 0; j < dim; j++)
        x[j] = (float)(x[j] / n);
}

/* `count` unit vectors of `dim` around `clusters` random centres (noise `spread`). */
static float *
clustered(uint64_t seed, uint32_t count, uint32_t dim, uint32_t clusters, float spread)
{
    uint64_t s = seed;
    float *centres = pith_xmalloc((size_t)clusters * dim * sizeof *centres);
    for (size_t i = 0; i < (size_t)clusters * dim; i++)
        centres[i] = rng_gauss(&s);
    float *x = pith_xmalloc((size_t)count * dim * sizeof *x);
    for (uint32_t i = 0; i < count; i++) {
        const float *c = centres + (size_t)(rng_next(&s) % clusters) * dim;
        for (uint32_t j = 0; j < dim; j++)
            x[(size_t)i * dim + j] = c[j] + spread * rng_gauss(&s);
        normalise(x + (size_t)i * dim, dim);
    }
    free(centres);
    return x;
}

/* A graph of `n` functions with vectors x[n][dim] on graph symbols 1..n (every `skip`-th one
 * without a vector when skip > 0), packed with `vo`. */
struct vfix {
    Pith__Graph *g;
    Pith__VectorSet vs;
    Pith__VectorRow *rows, **rp;
    struct pith_buf shard, man;
    struct pith_index *ix;
};

static int vfix_build(struct vfix *f,
                      const float *x,
                      uint32_t n,
                      uint32_t dim,
                      uint32_t skip,
                      const struct pack_vector_options *vo)
{
    memset(f, 0, sizeof *f);
    f->g = pack_fixture_big(n);
    pith__vector_set__init(&f->vs);
    f->vs.embedder = (char *)"builtin:test";
    f->vs.dim = dim;
    f->rows = pith_xcalloc(n, sizeof *f->rows);
    f->rp = pith_xcalloc(n, sizeof *f->rp);
    for (uint32_t i = 0; i < n; i++) {
        pith__vector_row__init(&f->rows[i]);
        f->rows[i].symbol = i + 1;
        f->rows[i].summary = (char *)"s";
        if (!(skip && i % skip == skip - 1)) {
            f->rows[i].vector = (float *)(x + (size_t)i * dim);
            f->rows[i].n_vector = dim;
        }
        f->rp[i] = &f->rows[i];
    }
    f->vs.n_rows = n;
    f->vs.rows = f->rp;
    struct pack_input in = { f->g, &f->vs, NULL };
    int err = pack_build_vo(&f->shard, &f->man, &in, 0, vo);
    if (!err)
        err = pith_index_open_mem(&f->ix, f->man.ptr, f->man.len, f->shard.ptr, f->shard.len, 0);
    return err;
}

static void vfix_release(struct vfix *f)
{
    pith_index_free(f->ix);
    pith_buf_release(&f->shard);
    pith_buf_release(&f->man);
    free(f->rows);
    free(f->rp);
    pack_fixture_big_free(f->g);
}

static int cmp_hit(const void *pa, const void *pb)
{
    const struct pith_hnsw_hit *a = pa, *b = pb;
    if (a->sim != b->sim)
        return a->sim > b->sim ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* Mean recall@k of the HNSW search against the exact scan over `nq` queries q[nq][dim]. */
static double recall_at(const struct pith_index *ix, const float *q, uint32_t nq, size_t k)
{
    struct pith_vectors v;
    struct pith_hnsw g;
    pith_index_vectors(ix, &v);
    pith_index_hnsw(ix, &g);
    if (!g.header)
        return 0.0;
    struct pith_hnsw_hit *all = pith_xmalloc(v.row_count * sizeof *all);
    struct pith_hnsw_hit *got = pith_xmalloc(k * sizeof *got);
    size_t hit = 0;
    for (uint32_t t = 0; t < nq; t++) {
        const float *qt = q + (size_t)t * v.dim;
        size_t m = 0;
        for (uint32_t d = 1; d < v.row_count; d++) {
            if (v.has[d]) {
                all[m].doc = d;
                all[m++].sim = pith_vectors_dot(&v, qt, d);
            }
        }
        qsort(all, m, sizeof *all, cmp_hit);
        size_t n = pith_hnsw_search(&g, &v, qt, 0, k, got);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < k && j < m; j++) {
                if (all[j].doc == got[i].doc) {
                    hit++;
                    break;
                }
            }
        }
    }
    free(all);
    free(got);
    return (double)hit / ((double)nq * (double)k);
}

PITH_TEST(hnsw_recall_synthetic)
{
    const uint32_t n = 3000, dim = 64, nq = 100;
    float *x = clustered(42, n, dim, 40, 0.35f);
    float *q = clustered(7, nq, dim, 40, 0.35f);
    struct pack_vector_options vo = { 1, 4 };
    struct vfix f;
    CHECK_EQ_INT(vfix_build(&f, x, n, dim, 17, &vo), 0);
    struct pith_hnsw g;
    pith_index_hnsw(f.ix, &g);
    CHECK(g.header != NULL);
    if (g.header) {
        double r = recall_at(f.ix, q, nq, 10);
        printf("  synthetic %u x %u: recall@10 %.4f\n", n, dim, r);
        CHECK(r >= 0.95);
        CHECK_EQ_INT(g.header->node_count, n - n / 17);
    }
    vfix_release(&f);
    /* f16 rows: the graph is built over the rounded values the reader scores */
    struct pack_vector_options vo16 = { 1, 2 };
    CHECK_EQ_INT(vfix_build(&f, x, n, dim, 0, &vo16), 0);
    if (f.ix) {
        struct pith_vectors v;
        pith_index_vectors(f.ix, &v);
        CHECK(v.rows16 != NULL && v.rows == NULL && v.elem_size == 2);
        double r = recall_at(f.ix, q, nq, 10);
        printf("  synthetic %u x %u f16: recall@10 %.4f\n", n, dim, r);
        CHECK(r >= 0.95);
    }
    vfix_release(&f);
    free(x);
    free(q);
}

PITH_TEST(hnsw_recall_use_lite)
{
    /* 2000 short intent phrases embedded by the built-in model, 100 others as queries */
    static const char *const verbs[] = { "parse",  "read",     "write",  "send",    "close",
                                         "open",   "validate", "encode", "decode",  "retry",
                                         "cache",  "compress", "sort",   "hash",    "render",
                                         "delete", "merge",    "split",  "connect", "schedule" };
    static const char *const objs[] = {
        "http header", "config file", "json body",   "socket",        "queue item", "user record",
        "csv row",     "image",       "token",       "database rows", "log line",   "task",
        "url",         "certificate", "zip archive", "email message", "stream",     "timestamp",
        "directory",   "password",    "graph edge"
    };
    static const char *const how[] = {
        "",       "with retries",     "from disk", "over the network", "in parallel",
        "lazily", "and return errors"
    };
    const uint32_t nv = 20, no = 21, nh = 7, total = nv * no * nh; /* 2940 */
    const uint32_t nq = 100, n = total - nq;
    char **texts = pith_xcalloc(total, sizeof *texts);
    for (uint32_t i = 0; i < total; i++) {
        uint32_t p = (i * 2654435761u) % total; /* a fixed shuffle: queries spread over all */
        char buf[128];
        snprintf(buf, sizeof buf, "%s %s %s", verbs[p % nv], objs[p / nv % no], how[p / nv / no]);
        texts[i] = pith_xstrdup(buf);
    }
    struct use_lite *m = NULL;
    if (use_lite_open(&m, NULL) != 0) {
        pith_test_fail(__FILE__, __LINE__, "use_lite_open: %s", pith_error_last());
        goto out;
    }
    float *x = pith_xmalloc((size_t)total * USE_LITE_DIM * sizeof *x);
    use_lite_embed(m, (const char *const *)texts, total, x, 1);
    use_lite_free(m);
    struct pack_vector_options vo = { 1, 4 };
    struct vfix f;
    CHECK_EQ_INT(vfix_build(&f, x, n, USE_LITE_DIM, 0, &vo), 0);
    if (f.ix) {
        double r = recall_at(f.ix, x + (size_t)n * USE_LITE_DIM, nq, 10);
        printf("  use-lite %u x %u: recall@10 %.4f\n", n, USE_LITE_DIM, r);
        CHECK(r >= 0.95);
    }
    vfix_release(&f);
    free(x);
out:
    for (uint32_t i = 0; i < total; i++)
        free(texts[i]);
    free(texts);
}

PITH_TEST(hnsw_pack_deterministic_and_threshold)
{
    const uint32_t n = 1500, dim = 32;
    float *x = clustered(3, n, dim, 20, 0.4f);
    struct pack_vector_options vo = { 1, 4 };
    struct vfix a, b, c;
    CHECK_EQ_INT(vfix_build(&a, x, n, dim, 0, &vo), 0);
    CHECK_EQ_INT(vfix_build(&b, x, n, dim, 0, &vo), 0);
    CHECK(a.shard.len == b.shard.len && memcmp(a.shard.ptr, b.shard.ptr, a.shard.len) == 0);
    CHECK(a.man.len == b.man.len && memcmp(a.man.ptr, b.man.ptr, a.man.len) == 0);
    size_t len = 0;
    CHECK(pith_index_section(a.ix, PITH_SEC_HNSW, &len) != NULL && len > 0);
    /* below the threshold, and "never": no graph */
    struct pack_vector_options high = { n + 1, 4 }, never = { PACK_HNSW_NEVER, 4 };
    CHECK_EQ_INT(vfix_build(&c, x, n, dim, 0, &high), 0);
    CHECK(c.ix && pith_index_section(c.ix, PITH_SEC_HNSW, &len) == NULL);
    vfix_release(&c);
    CHECK_EQ_INT(vfix_build(&c, x, n, dim, 0, &never), 0);
    CHECK(c.ix && pith_index_section(c.ix, PITH_SEC_HNSW, &len) == NULL);
    vfix_release(&c);
    struct pith_hnsw g;
    pith_index_hnsw(a.ix, &g);
    CHECK(g.header && g.header->min_rows == 1 && g.header->m == PACK_HNSW_M);
    vfix_release(&a);
    vfix_release(&b);
    free(x);
}

/* Opens `f`'s shard with the HNSW section's bytes at `at` replaced (checksums off). */
static int open_patched(const struct vfix *f, size_t at, const void *val, size_t n)
{
    unsigned char *copy = pith_xmalloc(f->shard.len);
    memcpy(copy, f->shard.ptr, f->shard.len);
    memcpy(copy + at, val, n);
    struct pith_index *ix = NULL;
    int err = pith_index_open_mem(&ix, f->man.ptr, f->man.len, copy, f->shard.len,
                                  PITH_INDEX_OPEN_NO_CHECKSUMS);
    pith_index_free(ix);
    free(copy);
    return err;
}

PITH_TEST(hnsw_corruption_refused)
{
    const uint32_t n = 400, dim = 16;
    float *x = clustered(5, n, dim, 8, 0.4f);
    struct pack_vector_options vo = { 1, 4 };
    struct vfix f;
    CHECK_EQ_INT(vfix_build(&f, x, n, dim, 9, &vo), 0);
    struct pith_hnsw g;
    if (!f.ix)
        goto out;
    pith_index_hnsw(f.ix, &g);
    const struct pith_disk_section *table;
    uint32_t count;
    size_t off = 0;
    table = pith_index_sections(f.ix, &count);
    for (uint32_t i = 0; i < count; i++) {
        if (table[i].id == PITH_SEC_HNSW)
            off = (size_t)table[i].offset;
    }
    CHECK(off > 0 && g.header);
    if (!off || !g.header)
        goto out;
    const unsigned char *sec = (const unsigned char *)g.header;
    size_t l0 = off + (size_t)((const unsigned char *)g.l0 - sec);
    size_t up = off + (size_t)((const unsigned char *)g.upper_off - sec);
    uint32_t big = 1u << 30, zero = 0, one = 1, self;
    float nan_ = NAN;
    CHECK_EQ_INT(open_patched(&f, off, &big, 4), PITH_ECORRUPT);       /* row_count */
    CHECK_EQ_INT(open_patched(&f, off + 8, &zero, 4), PITH_ECORRUPT);  /* m */
    CHECK_EQ_INT(open_patched(&f, off + 16, &big, 4), PITH_ECORRUPT);  /* max_level */
    CHECK_EQ_INT(open_patched(&f, off + 20, &zero, 4), PITH_ECORRUPT); /* entry */
    CHECK_EQ_INT(open_patched(&f, off + 36, &one, 4), PITH_ECORRUPT);  /* upper_count */
    CHECK_EQ_INT(open_patched(&f, off + 48, &one, 4), PITH_ECORRUPT);  /* reserved */
    CHECK_EQ_INT(open_patched(&f, off + 64, &nan_, 4), PITH_ECORRUPT); /* centroid */
    CHECK_EQ_INT(open_patched(&f, up + 4, &big, 4), PITH_ECORRUPT);    /* level offsets */
    /* a level-0 list of a node with links: count too big, a link out of range, to itself, to a
     * row without a vector, a nonzero unused slot */
    uint32_t node = 1;
    while (node < g.header->row_count && g.l0[(size_t)node * (1 + g.header->m0)] == 0)
        node++;
    size_t list = l0 + (size_t)node * (1 + g.header->m0) * 4;
    uint32_t cnt = g.l0[(size_t)node * (1 + g.header->m0)];
    self = node;
    CHECK(cnt > 0 && cnt < g.header->m0);
    CHECK_EQ_INT(open_patched(&f, list, &big, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&f, list + 4, &big, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&f, list + 4, &zero, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&f, list + 4, &self, 4), PITH_ECORRUPT);
    struct pith_vectors v;
    pith_index_vectors(f.ix, &v);
    uint32_t bare = 1;
    while (bare < v.row_count && v.has[bare])
        bare++;
    CHECK(bare < v.row_count);
    CHECK_EQ_INT(open_patched(&f, list + 4, &bare, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&f, list + 4 + (size_t)cnt * 4, &one, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&f, off, sec, 4), 0); /* unchanged: opens */
out:
    vfix_release(&f);
    free(x);
}

PITH_TEST(vdot_f16_conversion_and_kernels)
{
    static const struct {
        float f;
        uint16_t h;
    } cases[] = {
        { 0.0f, 0x0000 },
        { -0.0f, 0x8000 },
        { 1.0f, 0x3c00 },
        { -2.0f, 0xc000 },
        { 0.5f, 0x3800 },
        { 65504.0f, 0x7bff },
        { 65520.0f, 0x7c00 },
        { 0x1p-24f, 0x0001 },
        { 0x1p-25f, 0x0000 },
        { 0x1.8p-25f, 0x0001 },
        { 0x1p-14f, 0x0400 },
        { 1.0009765625f, 0x3c01 },
        { 1.00048828125f, 0x3c00 } /* tie: to even */,
        { 1.00146484375f, 0x3c02 } /* tie: up */,
        { 0.333333333f, 0x3555 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(pith_f16_from_f32(cases[i].f), cases[i].h);
    CHECK(pith_f16_to_f32(0x3555) == 0x1.554p-2f && pith_f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(isinf(pith_f16_to_f32(0x7c00)) && isnan(pith_f16_to_f32(0x7e00)));
    /* every finite half converts to a float that converts back to itself */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00)
            continue;
        bad += pith_f16_from_f32(pith_f16_to_f32((uint16_t)h)) != h;
    }
    CHECK_EQ_INT(bad, 0);
    /* the f16 kernel (F16C or portable) equals the f32 kernel over the converted row */
    uint64_t s = 11;
    for (uint32_t n = 1; n <= 70; n += 3) {
        float a[70], b[70];
        uint16_t ah[70];
        for (uint32_t j = 0; j < n; j++) {
            ah[j] = pith_f16_from_f32(rng_gauss(&s) * 0.2f);
            a[j] = pith_f16_to_f32(ah[j]);
            b[j] = rng_gauss(&s);
        }
        float x = pith_dot_f32(a, b, n), y = pith_dot_f16(ah, b, n);
        CHECK(memcmp(&x, &y, sizeof x) == 0);
        double ref = 0.0;
        for (uint32_t j = 0; j < n; j++)
            ref += (double)a[j] * b[j];
        CHECK(fabs(ref - x) < 1e-4);
    }
}

/* Seeds for tests/fuzz/fuzz_hnsw.c (u8 rows - 1 | u8 dim - 1 | has[rows] | section) from real
 * packs, written only when PITH_WRITE_CORPUS names a folder. */
PITH_TEST(hnsw_write_fuzz_corpus)
{
    const char *dir = getenv("PITH_WRITE_CORPUS");
    if (!dir || !*dir)
        return;
    static const struct {
        uint32_t n, dim, skip, clusters;
    } seeds[] = { { 150, 16, 7, 6 }, { 40, 8, 0, 3 }, { 254, 4, 3, 10 }, { 1, 3, 0, 1 } };
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        float *x = clustered(100 + s, seeds[s].n, seeds[s].dim, seeds[s].clusters, 0.3f);
        struct pack_vector_options vo = { 1, s % 2 ? 2 : 4 };
        struct vfix f;
        CHECK_EQ_INT(vfix_build(&f, x, seeds[s].n, seeds[s].dim, seeds[s].skip, &vo), 0);
        size_t len = 0;
        const unsigned char *sec = f.ix ? pith_index_section(f.ix, PITH_SEC_HNSW, &len) : NULL;
        CHECK(sec != NULL);
        if (sec) {
            struct pith_vectors v;
            pith_index_vectors(f.ix, &v);
            char path[512];
            snprintf(path, sizeof path, "%s/pack-%u-%u.bin", dir, seeds[s].n, seeds[s].dim);
            FILE *out = fopen(path, "wb");
            CHECK(out != NULL);
            if (out) {
                unsigned char head[2] = { (unsigned char)(v.row_count - 1),
                                          (unsigned char)(v.dim - 1) };
                fwrite(head, 1, 2, out);
                fwrite(v.has, 1, v.row_count, out);
                fwrite(sec, 1, len, out);
                fclose(out);
            }
        }
        vfix_release(&f);
        free(x);
    }
}
