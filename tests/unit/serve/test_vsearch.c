/* Vector search and fusion (serve/vsearch.c) and the VECS section (pack + reader): z-score
 * arithmetic and order, exact top-k, vectors written by symbol id, truncated or corrupted
 * vector sections refused. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "pack/pack.h"
#include "serve/vsearch.h"
#include "tests/harness/harness.h"
#include "tests/unit/pack/pack_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PITH_TEST(vsearch_fuse_zscores)
{
    /* lexical list {4, 2}: mean 3, sd 1; vector list {0.25, 0.75}: mean 0.5, sd 0.25 */
    struct vsearch_cand c[3] = {
        { .doc = 1, .in_lex = 1, .lex = 4.0, .vec = -0.5 },
        { .doc = 2, .in_lex = 1, .in_vec = 1, .lex = 2.0, .vec = 0.25 },
        { .doc = 3, .in_vec = 1, .lex = 0.0, .vec = 0.75 },
    };
    vsearch_fuse(c, 3, 1.0, NULL, NULL);
    /* doc 1: 1 - 4 = -3; doc 2: -1 - 1 = -2; doc 3: -3 + 1 = -2 (tie: smaller doc first) */
    CHECK_EQ_INT(c[0].doc, 2);
    CHECK_EQ_INT(c[1].doc, 3);
    CHECK_EQ_INT(c[2].doc, 1);
    CHECK(c[0].fused == -2.0 && c[1].fused == -2.0 && c[2].fused == -3.0);

    struct vsearch_cand d[3] = {
        { .doc = 1, .in_lex = 1, .lex = 4.0, .vec = -0.5 },
        { .doc = 2, .in_lex = 1, .in_vec = 1, .lex = 2.0, .vec = 0.25 },
        { .doc = 3, .in_vec = 1, .lex = 0.0, .vec = 0.75 },
    };
    vsearch_fuse(d, 3, 0.0, NULL, NULL); /* lexical alone */
    CHECK_EQ_INT(d[0].doc, 1);
    CHECK(d[0].fused == 1.0 && d[2].fused == -3.0);

    /* a channel with no spread contributes nothing */
    struct vsearch_cand e[2] = {
        { .doc = 7, .in_lex = 1, .in_vec = 1, .lex = 5.0, .vec = 0.25 },
        { .doc = 4, .in_vec = 1, .lex = 0.0, .vec = 0.75 },
    };
    vsearch_fuse(e, 2, 1.0, NULL, NULL);
    CHECK_EQ_INT(e[0].doc, 4);
    CHECK(e[0].fused == 1.0 && e[1].fused == -1.0);

    /* given statistics (over every symbol) replace the top lists' */
    struct vsearch_cand g[2] = {
        { .doc = 1, .in_lex = 1, .lex = 4.0, .vec = 0.5 },
        { .doc = 2, .in_vec = 1, .lex = 0.0, .vec = 1.0 },
    };
    struct vsearch_stats ls = { 1.0, 1.0 }, vs = { 0.5, 0.25 };
    vsearch_fuse(g, 2, 1.0, &ls, &vs);
    /* doc 1: 3 + 0 = 3; doc 2: -1 + 2 = 1 */
    CHECK_EQ_INT(g[0].doc, 1);
    CHECK(g[0].fused == 3.0 && g[1].fused == 1.0);
    double x[4] = { 1.0, 1.0, 3.0, 3.0 };
    struct vsearch_stats st = vsearch_stats_of(x, 4);
    CHECK(st.mean == 2.0 && st.sd == 1.0);
}

PITH_TEST(vsearch_modes)
{
    CHECK_EQ_INT(vsearch_mode_parse("lexical"), VSEARCH_LEXICAL);
    CHECK_EQ_INT(vsearch_mode_parse("vector"), VSEARCH_VECTOR);
    CHECK_EQ_INT(vsearch_mode_parse("fused"), VSEARCH_FUSED);
    CHECK_EQ_INT(vsearch_mode_parse("both"), -1);
    float q[512];
    CHECK_EQ_INT(vsearch_embed_query(NULL, "http:openai:some-model", 512, "x", q),
                 PITH_EUNSUPPORTED);
    CHECK(strstr(pith_error_last(), "--mode lexical") != NULL);
    CHECK_EQ_INT(vsearch_embed_query(NULL, "builtin:use-lite@0.2.0+000000000000", 256, "x", q),
                 PITH_EUNSUPPORTED);
}

static float v0[4] = { 1.0f, 0.0f, 0.0f, 0.0f };
static float v1[4] = { 0.0f, 0.6f, 0.8f, 0.0f };

static void fixture_with_vectors(struct pack_fixture *f)
{
    pack_fixture_init(f);
    f->vs.embedder = (char *)"builtin:test";
    f->vs.dim = 4;
    f->rows[0].vector = v0;
    f->rows[0].n_vector = 4;
    f->rows[1].vector = v1;
    f->rows[1].n_vector = 4;
}

PITH_TEST(vsearch_vecs_round_trip_and_top)
{
    struct pack_fixture f;
    fixture_with_vectors(&f);
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    if (!ix)
        goto out;
    struct pith_vectors v;
    pith_index_vectors(ix, &v);
    CHECK(v.header != NULL);
    CHECK_EQ_INT(v.dim, 4);
    CHECK_EQ_INT(v.row_count, pith_index_symbol_count(ix) + 1);
    CHECK_EQ_STR(v.embedder, "builtin:test");
    CHECK_EQ_INT(v.header->present, 2);
    /* the rows sit at the artifact ids of graph symbols 1 and 5 */
    uint32_t a = pith_index_find_qualname(ix, f.syms[0].qualname);
    uint32_t b = pith_index_find_qualname(ix, f.syms[4].qualname);
    CHECK(a && b && v.has[a] && v.has[b]);
    CHECK(v.rows[(size_t)a * 4] == 1.0f && v.rows[(size_t)b * 4 + 2] == 0.8f);
    size_t present = 0;
    for (uint32_t i = 0; i < v.row_count; i++)
        present += v.has[i];
    CHECK_EQ_INT(present, 2);

    struct vsearch_hit hits[8];
    float q[4] = { 0.0f, 0.0f, 1.0f, 0.0f };
    struct vsearch_stats st;
    size_t n = vsearch_top(&v, q, 8, hits, &st);
    CHECK(fabs(st.mean - 0.4) < 1e-6 && fabs(st.sd - 0.4) < 1e-6); /* sims {0.8, 0} */
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(hits[0].doc, b);
    CHECK(fabsf(hits[0].sim - 0.8f) < 1e-6f && hits[1].sim == 0.0f);
    CHECK_EQ_INT(vsearch_top(&v, q, 1, hits, NULL), 1);
    CHECK_EQ_INT(hits[0].doc, b);
    CHECK(vsearch_dot(&v, q, a) == 0.0f);
out:
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

/* Opens the shard with the VECS bytes at `at` changed to `val` (checksums off, so only the
 * structural checks speak). */
static int open_patched(
    const struct pith_buf *man, const struct pith_buf *shard, size_t at, const void *val, size_t n)
{
    unsigned char *copy = pith_xmalloc(shard->len);
    memcpy(copy, shard->ptr, shard->len);
    memcpy(copy + at, val, n);
    struct pith_index *ix = NULL;
    int err = pith_index_open_mem(&ix, man->ptr, man->len, copy, shard->len,
                                  PITH_INDEX_OPEN_NO_CHECKSUMS);
    pith_index_free(ix);
    free(copy);
    return err;
}

PITH_TEST(vsearch_vecs_corruption_refused)
{
    struct pack_fixture f;
    fixture_with_vectors(&f);
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    size_t len = 0;
    const unsigned char *sec = ix ? pith_index_section(ix, PITH_SEC_VECS, &len) : NULL;
    CHECK(sec != NULL && len > sizeof(struct pith_disk_vecs_header));
    if (!sec)
        goto out;
    size_t off = 0;
    struct pith_vectors v;
    pith_index_vectors(ix, &v);
    /* offsets of the section, its flags and its rows within the shard */
    const struct pith_disk_section *table;
    uint32_t count;
    table = pith_index_sections(ix, &count);
    for (uint32_t i = 0; i < count; i++) {
        if (table[i].id == PITH_SEC_VECS)
            off = (size_t)table[i].offset;
    }
    CHECK(off > 0);
    size_t flags = off + sizeof(struct pith_disk_vecs_header);
    size_t rows = off + (size_t)((const unsigned char *)v.rows - sec);
    uint32_t five = 5, big = 3;
    uint8_t two = 2, one = 1;
    float nan_ = NAN, huge = 3.0f;
    CHECK_EQ_INT(open_patched(&man, &shard, off, &five, 4), PITH_ECORRUPT);     /* dim */
    CHECK_EQ_INT(open_patched(&man, &shard, off + 4, &big, 4), PITH_ECORRUPT);  /* row_count */
    CHECK_EQ_INT(open_patched(&man, &shard, off + 16, &big, 4), PITH_ECORRUPT); /* present */
    CHECK_EQ_INT(open_patched(&man, &shard, off + 20, &one, 1), PITH_ECORRUPT); /* reserved */
    CHECK_EQ_INT(open_patched(&man, &shard, flags + 1, &two, 1), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&man, &shard, flags, &one, 1), PITH_ECORRUPT); /* null row */
    CHECK_EQ_INT(open_patched(&man, &shard, rows + 4 * 4, &nan_, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&man, &shard, rows + 4 * 4, &huge, 4), PITH_ECORRUPT);
    CHECK_EQ_INT(open_patched(&man, &shard, off, sec, 4), 0); /* unchanged: opens */
    /* every truncation of the shard is refused */
    for (size_t k = 0; k < shard.len; k += 7) {
        struct pith_index *t = NULL;
        CHECK(pith_index_open_mem(&t, man.ptr, man.len, shard.ptr, k, 0) != 0);
        pith_index_free(t);
    }
out:
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

PITH_TEST(vsearch_pack_refuses_bad_rows)
{
    struct pack_fixture f;
    fixture_with_vectors(&f);
    f.rows[1].n_vector = 3;
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), PITH_ECORRUPT);
    pith_buf_release(&shard);
    pith_buf_release(&man);
    /* no embedder: no VECS section, search refuses the vector modes */
    pack_fixture_init(&f);
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    struct pith_index *ix = NULL;
    CHECK_EQ_INT(pith_index_open_mem(&ix, man.ptr, man.len, shard.ptr, shard.len, 0), 0);
    struct pith_vectors v;
    if (ix) {
        pith_index_vectors(ix, &v);
        CHECK(v.header == NULL);
        size_t len;
        CHECK(pith_index_section(ix, PITH_SEC_VECS, &len) == NULL);
    }
    pith_index_free(ix);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}

/* Adds a shard with a VECS section to the seed corpus of tests/fuzz/fuzz_artifact.c when
 * PITH_WRITE_CORPUS names a folder. */
PITH_TEST(vsearch_write_fuzz_corpus)
{
    const char *dir = getenv("PITH_WRITE_CORPUS");
    if (!dir)
        return;
    struct pack_fixture f;
    fixture_with_vectors(&f);
    struct pith_buf shard = PITH_BUF_INIT, man = PITH_BUF_INIT;
    char path[1024];
    CHECK_EQ_INT(pack_fixture_build(&f, &shard, &man), 0);
    snprintf(path, sizeof path, "%s/vectors.pith", dir);
    CHECK_EQ_INT(pith_file_write_atomic(path, shard.ptr, shard.len), 0);
    pith_buf_release(&shard);
    pith_buf_release(&man);
}
