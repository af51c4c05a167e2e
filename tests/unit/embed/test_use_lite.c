/* The built-in embedder against the JS reference (tests/fixtures/use_lite/reference.json, made by
 * tests/node/make_use_reference.mjs): token ids equal, vectors within 1e-4 (max abs diff), with
 * cblas_sgemm and with the plain-C loops; batching and threads change nothing. The model is
 * <bindir>/data/use_lite.bin, built by make. */
#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "embed/use_lite.h"
#include "tests/harness/harness.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#define TOLERANCE 1e-4

struct ref {
    cJSON *doc;
    size_t count;
    const char **texts;
    cJSON **ids, **vectors;
};

static int ref_load_file(struct ref *r, const char *name)
{
    char path[1024];
    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/use_lite/%s", pith_test_fixtures(), name);
    struct pith_buf b = PITH_BUF_INIT;
    if (pith_file_read(&b, path, 1 << 24) != 0) {
        pith_buf_release(&b);
        return -1;
    }
    r->doc = cJSON_Parse(b.ptr);
    pith_buf_release(&b);
    cJSON *cases = cJSON_GetObjectItem(r->doc, "cases");
    if (!cJSON_IsArray(cases))
        return -1;
    r->count = (size_t)cJSON_GetArraySize(cases);
    r->texts = calloc(r->count, sizeof *r->texts);
    r->ids = calloc(r->count, sizeof *r->ids);
    r->vectors = calloc(r->count, sizeof *r->vectors);
    size_t i = 0;
    cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        r->texts[i] = cJSON_GetStringValue(cJSON_GetObjectItem(c, "text"));
        r->ids[i] = cJSON_GetObjectItem(c, "ids");
        r->vectors[i] = cJSON_GetObjectItem(c, "vector");
        i++;
    }
    return 0;
}

static int ref_load(struct ref *r)
{
    return ref_load_file(r, "reference.json");
}

static void ref_release(struct ref *r)
{
    cJSON_Delete(r->doc);
    free(r->texts);
    free(r->ids);
    free(r->vectors);
}

/* max |got - vector| over the cases with a vector; *checked counts them */
static double max_diff(const struct ref *r, const float *got, size_t *checked)
{
    double worst = 0;
    *checked = 0;
    for (size_t i = 0; i < r->count; i++) {
        if (!cJSON_IsArray(r->vectors[i]))
            continue;
        CHECK_EQ_INT(cJSON_GetArraySize(r->vectors[i]), USE_LITE_DIM);
        size_t j = 0;
        cJSON *v;
        cJSON_ArrayForEach(v, r->vectors[i])
        {
            if (j < USE_LITE_DIM) {
                double d = fabs((double)got[i * USE_LITE_DIM + j] - v->valuedouble);
                worst = d > worst || isnan(d) ? d : worst;
            }
            j++;
        }
        (*checked)++;
    }
    return worst;
}

static struct use_lite *open_model(void)
{
    struct use_lite *m = NULL;
    int err = use_lite_open(&m, NULL);
    if (err)
        pith_test_fail(__FILE__, __LINE__, "use_lite_open: %s", pith_error_last());
    return m;
}

/* Checks every case's ids; returns the number of cases that differ. */
static size_t check_ids(const struct use_lite *m, const struct ref *r, size_t *long_cases)
{
    size_t bad = 0;
    for (size_t i = 0; i < r->count; i++) {
        uint32_t *ids;
        size_t n;
        use_lite_tokenize(m, r->texts[i], strlen(r->texts[i]), &ids, &n);
        size_t want = (size_t)cJSON_GetArraySize(r->ids[i]);
        *long_cases += want > USE_LITE_MAX_LEN;
        int same = n == want;
        for (size_t j = 0; same && j < n; j++)
            same = ids[j] == (uint32_t)cJSON_GetArrayItem(r->ids[i], (int)j)->valueint;
        if (!same && bad++ < 5)
            pith_test_fail(__FILE__, __LINE__,
                           "case %zu (%s): token ids differ (%zu, expected %zu)", i, r->texts[i], n,
                           want);
        free(ids);
    }
    return bad;
}

/* 600 seeded random strings of combining marks, Hangul, compatibility characters (tokens.json):
 * NFKC as a whole-string normaliser does it, then the same pieces */
PITH_TEST(use_lite_token_ids_match_reference_unicode)
{
    struct ref r;
    CHECK(ref_load_file(&r, "tokens.json") == 0);
    struct use_lite *m = open_model();
    if (m && r.count) {
        size_t long_cases = 0;
        CHECK(r.count >= 600);
        CHECK_EQ_INT(check_ids(m, &r, &long_cases), 0);
    }
    use_lite_free(m);
    ref_release(&r);
}

PITH_TEST(use_lite_token_ids_match_reference)
{
    struct ref r;
    CHECK(ref_load(&r) == 0);
    struct use_lite *m = open_model();
    if (!m || !r.count) {
        ref_release(&r);
        return;
    }
    CHECK(r.count >= 30);
    size_t long_cases = 0;
    CHECK_EQ_INT(check_ids(m, &r, &long_cases), 0);
    CHECK(long_cases >= 1); /* the clip at 128 tokens is exercised */
    use_lite_free(m);
    ref_release(&r);
}

PITH_TEST(use_lite_vectors_match_reference)
{
    struct ref r;
    CHECK(ref_load(&r) == 0);
    struct use_lite *m = open_model();
    if (!m || !r.count) {
        ref_release(&r);
        return;
    }
    float *blas = calloc(r.count * USE_LITE_DIM, sizeof(float));
    float *plain = calloc(r.count * USE_LITE_DIM, sizeof(float));
    use_lite_embed(m, r.texts, r.count, blas, 1);
    size_t checked;
    double d_blas = max_diff(&r, blas, &checked);
    size_t n_blas = checked;
    CHECK(checked >= 28);
    /* the plain-C loops on every third case (ASan makes them slow), the 300-token one included */
    struct ref sub = r;
    sub.texts = calloc(r.count, sizeof *sub.texts);
    sub.vectors = calloc(r.count, sizeof *sub.vectors);
    sub.count = 0;
    for (size_t i = 0; i < r.count; i += 3) {
        sub.texts[sub.count] = r.texts[i];
        sub.vectors[sub.count++] = r.vectors[i];
    }
    use_lite_embed(m, sub.texts, sub.count, plain, 0);
    double d_plain = max_diff(&sub, plain, &checked);
    free(sub.texts);
    free(sub.vectors);
    fprintf(stderr, "  use_lite: max abs diff %.3g (cblas, %zu vectors), %.3g (plain C, %zu)\n",
            d_blas, n_blas, d_plain, checked);
    CHECK(d_blas <= TOLERANCE);
    CHECK(d_plain <= TOLERANCE);
    /* rows are unit length; the empty text gets a zero row */
    for (size_t i = 0; i < r.count; i++) {
        double ss = 0;
        for (size_t j = 0; j < USE_LITE_DIM; j++)
            ss += (double)blas[i * USE_LITE_DIM + j] * blas[i * USE_LITE_DIM + j];
        if (r.texts[i][0])
            CHECK(fabs(ss - 1) < 1e-5);
        else
            CHECK(ss == 0);
    }
    free(blas);
    free(plain);
    use_lite_free(m);
    ref_release(&r);
}

PITH_TEST(use_lite_embedder_batches_and_threads_agree)
{
    struct ref r;
    CHECK(ref_load(&r) == 0);
    size_t n = r.count * 3; /* the cases three times, so batches hold several chunks */
    const char **texts = calloc(n, sizeof *texts);
    for (size_t i = 0; i < n; i++)
        texts[i] = r.texts[i % r.count];
    float *one = calloc(n * USE_LITE_DIM, sizeof(float));
    float *many = calloc(n * USE_LITE_DIM, sizeof(float));
    struct pith_embedder *e1 = NULL, *e3 = NULL;
    CHECK(use_lite_embedder_new(&e1, NULL, 1) == 0);
    CHECK(use_lite_embedder_new(&e3, NULL, 3) == 0);
    if (e1 && e3) {
        CHECK_EQ_INT(e1->dim, USE_LITE_DIM);
        CHECK(strncmp(e1->id, "builtin:use-lite@0.2.0+", 23) == 0 && strlen(e1->id) == 35);
        CHECK_EQ_STR(e1->id, e3->id);
        CHECK(e1->embed_batch(e1, texts, n, one) == 0);
        CHECK(e3->embed_batch(e3, texts, n, many) == 0);
        double worst = 0;
        for (size_t i = 0; i < n * USE_LITE_DIM; i++) {
            double d = fabs((double)one[i] - many[i]);
            worst = d > worst ? d : worst;
        }
        CHECK(worst < 1e-6);
        size_t checked;
        r.count = r.count; /* the first copy against the reference */
        CHECK(max_diff(&r, many + 2 * r.count * USE_LITE_DIM, &checked) <= TOLERANCE);
    }
    pith_embedder_free(e1);
    pith_embedder_free(e3);
    free(texts);
    free(one);
    free(many);
    ref_release(&r);
}

PITH_TEST(use_lite_refuses_corrupt_files)
{
    struct use_lite *m = NULL;
    uint64_t small[16] = { 0 };
    memcpy(small, "PITHUSEL", 8);
    CHECK_EQ_INT(use_lite_open_mem(&m, small, sizeof small), PITH_ECORRUPT);
    CHECK(m == NULL);
    CHECK_EQ_INT(use_lite_open_mem(&m, small, 3), PITH_ECORRUPT);
    /* the real file with its header's length changed, then with a tensor offset past the end */
    char path[4200];
    struct pith_map map;
    if (readlink("/proc/self/exe", path, 4096) <= 0)
        return;
    /* the model next to the test binary */
    ssize_t n = readlink("/proc/self/exe", path, 4096);
    path[n] = '\0';
    strcpy(strrchr(path, '/'), "/data/use_lite.bin");
    CHECK(pith_map_open(&map, path) == 0);
    if (!map.data)
        return;
    uint8_t *copy = malloc(map.len);
    memcpy(copy, map.data, map.len);
    CHECK(use_lite_open_mem(&m, copy, map.len) == 0);
    use_lite_free(m);
    CHECK_EQ_INT(use_lite_open_mem(&m, copy, map.len - 1), PITH_ECORRUPT);
    uint64_t far = map.len, table;
    memcpy(&table, copy + 32, 8); /* the tensor table's offset; the first entry's data offset */
    memcpy(copy + table + 56, &far, 8);
    CHECK_EQ_INT(use_lite_open_mem(&m, copy, map.len), PITH_ECORRUPT);
    free(copy);
    pith_map_release(&map);
}
