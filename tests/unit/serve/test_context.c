/* Unit tests of the budgeted and whole-graph query operations: the cl100k tokenizer against
 * js-tiktoken's own ids (tests/fixtures/bpe/cl100k_cases.json), PageRank against hand-computed
 * values, context's budget across 50..5000 tokens, and path/cycles/dead on the pyresolve fixture
 * with answers checked by hand against its sources. */
#include "tests/harness/harness.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "serve/bpe.h"
#include "serve/query.h"
#include "serve/query_ext.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *build_dir(void)
{
    const char *b = getenv("PITH_BUILD");
    return b && b[0] ? b : "build";
}

/* ---- BPE ------------------------------------------------------------------------------------- */

PITH_TEST(serve_bpe_ids_equal_js_tiktoken)
{
    if (bpe_load() < 0) {
        pith_test_fail(__FILE__, __LINE__, "bpe_load: %s", pith_error_last());
        return;
    }
    struct pith_buf json = PITH_BUF_INIT;
    char path[512];
    snprintf(path, sizeof path, "%s/bpe/cl100k_cases.json", pith_test_fixtures());
    CHECK_EQ_INT(pith_file_read(&json, path, 1 << 22), 0);
    cJSON *root = cJSON_Parse(json.ptr ? json.ptr : "");
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 40);
    int n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases)
    {
        const char *text = cJSON_GetObjectItemCaseSensitive(c, "text")->valuestring;
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c, "ids");
        uint32_t *got;
        size_t count;
        bpe_encode(&got, &count, text, strlen(text));
        int same = (int)count == cJSON_GetArraySize(ids);
        for (size_t i = 0; same && i < count; i++)
            same = (double)got[i] == cJSON_GetArrayItem(ids, (int)i)->valuedouble;
        if (!same)
            pith_test_fail(__FILE__, __LINE__, "case %d (%.40s...): %zu ids, js-tiktoken %d", n,
                           text, count, cJSON_GetArraySize(ids));
        CHECK_EQ_INT(bpe_count(text, strlen(text)), cJSON_GetArraySize(ids));
        free(got);
        n++;
    }
    cJSON_Delete(root);
    pith_buf_release(&json);
}

PITH_TEST(serve_bpe_pieces)
{
    if (bpe_load() < 0)
        return;
    /* the pre-tokenizer's rules one by one */
    static const struct {
        const char *text;
        size_t pos, len;
    } cases[] = {
        { "don't", 3, 2 },        /* 't */
        { "we'LL go", 2, 3 },     /* 'LL, case-insensitive */
        { " hello", 0, 6 },       /* a space joins the letters after it */
        { "(foo", 0, 4 },         /* so does one punctuation character */
        { "12345", 0, 3 },        /* numbers in threes */
        { " ->x", 0, 3 },         /* space + punctuation */
        { "a  \n\n b", 1, 4 },    /* whitespace up to the last newline */
        { "x   y", 1, 2 },        /* whitespace but the last space before a word */
        { "x   ", 1, 3 },         /* trailing whitespace */
        { "caf\xc3\xa9!", 0, 5 }, /* a non-ASCII letter */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t got = bpe_piece(cases[i].text, strlen(cases[i].text), cases[i].pos);
        if (got != cases[i].len)
            pith_test_fail(__FILE__, __LINE__, "'%s' at %zu: piece of %zu bytes, expected %zu",
                           cases[i].text, cases[i].pos, got, cases[i].len);
    }
    /* invalid UTF-8 still makes progress */
    const char bad[] = "\xff\xfe\x80 ok";
    CHECK(bpe_count(bad, sizeof bad - 1) >= 3);
}

/* ---- PageRank -------------------------------------------------------------------------------- */

PITH_TEST(serve_pagerank_hand_computed)
{
    /* 0 -> 1, 0 -> 2, 1 -> 2; 2 dangling; d = 0.85. With b = (1-d)/3 + d r2/3:
     * r0 = b, r1 = b + d r0/2 = 1.425 b, r2 = b + d r0/2 + d r1 = 2.63625 b, sum 1:
     * b = 1/5.06125 */
    uint32_t src[] = { 0, 0, 1 }, dst[] = { 1, 2, 2 };
    double r[3];
    q_pagerank(r, 3, src, dst, 3, 0.85);
    CHECK(fabs(r[0] - 0.19757964929612248) < 1e-8);
    CHECK(fabs(r[1] - 0.28155100024697455) < 1e-8);
    CHECK(fabs(r[2] - 0.5208693504569029) < 1e-8);
    /* a 3-cycle is uniform */
    uint32_t s2[] = { 0, 1, 2 }, d2[] = { 1, 2, 0 };
    q_pagerank(r, 3, s2, d2, 3, 0.85);
    for (int i = 0; i < 3; i++)
        CHECK(fabs(r[i] - 1.0 / 3) < 1e-9);
}

/* ---- the pyresolve index --------------------------------------------------------------------- */

static struct pith_index *pyresolve_index(void)
{
    char cmd[2048], idx[512];
    snprintf(idx, sizeof idx, "%s/pr-index", pith_test_tmpdir());
    snprintf(cmd, sizeof cmd, "%s/pith index %s/pyresolve -o %s >/dev/null 2>&1", build_dir(),
             pith_test_fixtures(), idx);
    if (system(cmd) != 0) {
        pith_test_fail(__FILE__, __LINE__, "%s failed", cmd);
        return NULL;
    }
    struct pith_index *ix = NULL;
    if (pith_index_open(&ix, idx) < 0) {
        pith_test_fail(__FILE__, __LINE__, "open: %s", pith_error_last());
        return NULL;
    }
    return ix;
}

static int ask(struct pith_buf *out, struct pith_index *ix, const char *words)
{
    char line[512], *argv[16];
    int argc = 0;
    snprintf(line, sizeof line, "%s", words);
    for (char *p = strtok(line, " "); p && argc < 16; p = strtok(NULL, " "))
        argv[argc++] = p;
    struct query_req *req = malloc(sizeof *req);
    int err = query_parse(req, argc, argv);
    pith_buf_clear(out);
    if (err == 0)
        err = query_run(out, ix, req);
    free(req);
    return err;
}

static uint32_t sym(struct pith_index *ix, const char *qualname)
{
    uint32_t id = pith_index_find_qualname(ix, qualname);
    if (!id)
        pith_test_fail(__FILE__, __LINE__, "no symbol %s", qualname);
    return id;
}

PITH_TEST(serve_path_pyresolve)
{
    struct pith_index *ix = pyresolve_index();
    if (!ix)
        return;
    q_idvec p = { 0 }, k = { 0 };
    /* app.py:12 r.fetch("x") -> fetch; core.py:34 self.validate(value) -> validate */
    CHECK_EQ_INT(q_path_compute(&p, &k, ix, sym(ix, "app.py:main"),
                                sym(ix, "pkg/core.py:Registry.validate")),
                 3);
    CHECK_EQ_INT(p.items[1], sym(ix, "pkg/core.py:Registry.fetch"));
    CHECK_EQ_STR(query_edge_kind_name(k.items[1]), "method");
    CHECK_EQ_STR(query_edge_kind_name(k.items[2]), "method");
    p.count = k.count = 0;
    /* shapes.py:38 sq.area() -> Square.area; :23 super().area() -> Shape.area */
    CHECK_EQ_INT(q_path_compute(&p, &k, ix, sym(ix, "pkg/shapes.py:build.inner"),
                                sym(ix, "pkg/shapes.py:Shape.area")),
                 3);
    CHECK_EQ_INT(p.items[1], sym(ix, "pkg/shapes.py:Square.area"));
    CHECK_EQ_STR(query_edge_kind_name(k.items[2]), "inherited");
    p.count = k.count = 0;
    /* nothing calls back into main from clean */
    CHECK_EQ_INT(
        q_path_compute(&p, &k, ix, sym(ix, "pkg/util/helpers.py:clean"), sym(ix, "app.py:main")),
        0);
    pith_vec_release(&p);
    pith_vec_release(&k);
    struct pith_buf out = PITH_BUF_INIT;
    CHECK_EQ_INT(ask(&out, ix, "path pkg/shapes.py:build Base.log"), 0);
    CHECK_EQ_STR(out.ptr, "path from pkg/shapes.py:build to pkg/base.py:Base.log, 2 calls:\n"
                          "  pkg/shapes.py:build  pkg/shapes.py:30\n"
                          "  -> pkg/core.py:Registry.fetch  [method, call at pkg/shapes.py:31]\n"
                          "  -> pkg/base.py:Base.log  [inherited, call at pkg/core.py:31]\n");
    CHECK_EQ_INT(ask(&out, ix, "path pkg/shapes.py:build Base.log --dot"), 0);
    CHECK(strstr(out.ptr, "digraph pith {") == out.ptr);
    CHECK(strstr(out.ptr, " -> ") && strstr(out.ptr, "[label=\"inherited\"]"));
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_cycles_and_dead_pyresolve)
{
    struct pith_index *ix = pyresolve_index();
    if (!ix)
        return;
    /* no function of the fixture reaches itself (expected_edges.txt has no cycle) */
    uint32_t *comp = calloc(pith_index_symbol_count(ix) + 1, sizeof *comp);
    CHECK_EQ_INT(q_cycles_compute(comp, ix), 0);
    free(comp);
    struct pith_buf out = PITH_BUF_INIT;
    CHECK_EQ_INT(ask(&out, ix, "dead --json"), 0);
    cJSON *j = cJSON_Parse(out.ptr);
    const cJSON *dead = cJSON_GetObjectItemCaseSensitive(j, "dead");
    /* by hand: functions and methods without an incoming edge in expected_edges.txt, minus
     * dunders, main, nested (trace.wrapper), the decorator trace (@trace on slugify),
     * Broken.explain (class derives from ValueError) */
    static const char *const want[] = {
        "pkg/base.py:Plugin.run",      "pkg/core.py:Registry.load", "pkg/core.py:annotated_get",
        "pkg/core.py:default_get",     "pkg/core.py:lazy",          "pkg/util/helpers.py:choose",
        "pkg/util/helpers.py:use_tool"
    };
    CHECK_EQ_INT(cJSON_GetArraySize(dead), 7);
    for (int i = 0; i < 7 && i < cJSON_GetArraySize(dead); i++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(dead, i), "symbol");
        CHECK_EQ_STR(cJSON_GetObjectItemCaseSensitive(s, "qualname")->valuestring, want[i]);
    }
    cJSON_Delete(j);
    CHECK(strstr(q_dead_exemption(ix, sym(ix, "pkg/base.py:Broken.explain")), "outside the "));
    CHECK_EQ_STR(q_dead_exemption(ix, sym(ix, "pkg/util/helpers.py:trace")), "used as a decorator");
    CHECK_EQ_STR(q_dead_exemption(ix, sym(ix, "pkg/core.py:Registry.create")), "has callers");
    CHECK(strstr(q_dead_exemption(ix, sym(ix, "pkg/util/helpers.py:trace.wrapper")), "nested"));
    CHECK_EQ_INT(ask(&out, ix, "cycles"), 0);
    CHECK(strstr(out.ptr, "0 call cycles") == out.ptr);
    pith_buf_release(&out);
    pith_index_free(ix);
}

/* The "tokens: N of T" header of a text answer. */
static long stated_tokens(const char *text)
{
    const char *t = strstr(text, "tokens: ");
    return t ? strtol(t + 8, NULL, 10) : -1;
}

PITH_TEST(serve_context_never_exceeds_budget)
{
    struct pith_index *ix = pyresolve_index();
    if (!ix || bpe_load() < 0)
        return;
    static const char *const names[] = { "pkg/core.py:Registry.fetch", "app.py:main",
                                         "pkg/util/helpers.py:clean", "pkg/shapes.py:build",
                                         "pkg/core.py:Store.get" };
    static const unsigned budgets[] = { 50,  60,  75,  90,  100, 120,  150,  200,
                                        250, 300, 400, 500, 750, 1000, 2000, 5000 };
    struct pith_buf out = PITH_BUF_INIT;
    char words[256];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
            for (int json = 0; json < 2; json++) {
                snprintf(words, sizeof words, "context %s --budget %u%s", names[i], budgets[b],
                         json ? " --json" : "");
                CHECK_EQ_INT(ask(&out, ix, words), 0);
                size_t used = bpe_count(out.ptr, out.len);
                if (used > budgets[b])
                    pith_test_fail(__FILE__, __LINE__, "%s: %zu tokens", words, used);
                if (!json && stated_tokens(out.ptr) != (long)used)
                    pith_test_fail(__FILE__, __LINE__, "%s: says %ld tokens, is %zu", words,
                                   stated_tokens(out.ptr), used);
                if (json) {
                    cJSON *j = cJSON_Parse(out.ptr);
                    if (!j)
                        pith_test_fail(__FILE__, __LINE__, "%s: not JSON", words);
                    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "tokens");
                    if (j && (!t || (size_t)t->valuedouble != used))
                        pith_test_fail(__FILE__, __LINE__, "%s: tokens field wrong", words);
                    cJSON_Delete(j);
                }
            }
        }
    }
    /* a roomy budget holds every call site with its source line (app.py:12, :20,
     * pkg/__init__.py:11, pkg/shapes.py:31) and the callees' signatures */
    CHECK_EQ_INT(ask(&out, ix, "context Registry.fetch --budget 2000"), 0);
    CHECK(strstr(out.ptr, "## callers (4 call sites)\n"));
    CHECK(strstr(out.ptr, "## callers (4 call sites)\napp.py\n"
                          "  12  r.fetch(\"x\")  [main]\n"
                          "  20  pkg.make_registry().fetch(\"z\")  [main]\n"
                          "pkg/__init__.py\n  11  reg.fetch(\"a\")  [init_all]\n"
                          "pkg/shapes.py\n  31  r.fetch(\"k\")  [build]\n"));
    CHECK(strstr(out.ptr, "pkg/core.py:Registry.validate  def validate(self, value)\n"));
    /* each call's backward slice in its caller: app.py:11 defines r, pkg/__init__.py:10 reg */
    CHECK(strstr(out.ptr, "## what each call depends on (backward slice in the caller)\n"
                          "app.py:12\n  11  r = Registry(pkg.core.Store())\n"));
    CHECK(strstr(out.ptr, "pkg/__init__.py:11\n  10  reg = make_registry()\n"));
    CHECK(strstr(out.ptr, "   34          return self.validate(value)\n"));
    CHECK(!strstr(out.ptr, "omitted:"));
    /* a tight one says what it left out */
    CHECK_EQ_INT(ask(&out, ix, "context Registry.fetch --budget 60"), 0);
    CHECK(strstr(out.ptr, "omitted:"));
    /* overview fits too */
    for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
        snprintf(words, sizeof words, "overview --budget %u", budgets[b]);
        CHECK_EQ_INT(ask(&out, ix, words), 0);
        if (bpe_count(out.ptr, out.len) > budgets[b])
            pith_test_fail(__FILE__, __LINE__, "%s: %zu tokens", words,
                           bpe_count(out.ptr, out.len));
    }
    CHECK_EQ_INT(ask(&out, ix, "overview pkg/util --budget 5000"), 0);
    CHECK(strstr(out.ptr, "pkg/util/helpers.py  (9 symbols)\n"));
    CHECK(!strstr(out.ptr, "pkg/core.py"));
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_diff_hunks_parse)
{
    static const char diff[] = "diff --git a/pkg/a.py b/pkg/a.py\n"
                               "--- a/pkg/a.py\n+++ b/pkg/a.py\n"
                               "@@ -3 +3 @@ def f():\n-    return 1\n+    return 2\n"
                               "@@ -10,2 +10,0 @@\n-x\n-y\n"
                               "@@ -20,0 +21,3 @@\n+a\n+b\n+c\n"
                               "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n"
                               "@@ -1,2 +0,0 @@\n-a\n-b\n";
    struct pith_buf out = PITH_BUF_INIT;
    CHECK_EQ_INT(q_diff_hunks(&out, diff, sizeof diff - 1), 3);
    CHECK_EQ_STR(out.ptr, "pkg/a.py\t3\t3\npkg/a.py\t10\t11\npkg/a.py\t21\t23\n");
    pith_buf_release(&out);
}

PITH_TEST(serve_test_detection_table)
{
    CHECK_EQ_INT(q_test_file("python", "tests/test_core.py"), 1);
    CHECK_EQ_INT(q_test_file("python", "pkg/core_test.py"), 1);
    CHECK_EQ_INT(q_test_file("python", "pkg/testing.py"), 1); /* unittest's test*.py */
    CHECK_EQ_INT(q_test_file("python", "pkg/core.py"), 0);
    CHECK_EQ_INT(q_test_file("", "svc/handler_test.go"), 1);
    CHECK_EQ_INT(q_test_file("", "svc/handler.go"), 0);
    CHECK_EQ_INT(q_test_file("", "src/FooTest.java"), 1);
    CHECK_EQ_INT(q_test_file("", "web/app.spec.ts"), 1);
    CHECK_EQ_INT(q_test_file("", "web/app.test.js"), 1);
    CHECK_EQ_INT(q_test_file("", "web/app.js"), 0);
}
