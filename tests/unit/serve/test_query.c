/* Unit tests of the query engine: argument parsing, name matching, BM25F pieces, line
 * splitting, and every operation against a small index built in memory with pack's library. */
#include "tests/harness/harness.h"

#include "common/artifact.h"
#include "common/buf.h"
#include "common/err.h"
#include "pack/pack.h"
#include "serve/driver.h"
#include "serve/query.h"
#include "serve/serve.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

/* ---- query_parse, table-driven ---------------------------------------------------------- */

struct parse_case {
    const char *argv[8];
    int err;
    enum query_op op;
    const char *arg;
    unsigned depth, k;
    int json;
};

static const struct parse_case parse_cases[] = {
    { { "symbol", "raw_decode" }, 0, QUERY_SYMBOL, "raw_decode", 1, 10, 0 },
    { { "callers", "a.py:A.f", "--json" }, 0, QUERY_CALLERS, "a.py:A.f", 1, 10, 1 },
    { { "callers", "--depth", "3", "f" }, 0, QUERY_CALLERS, "f", 3, 10, 0 },
    { { "callees", "f", "--depth=2", "--json" }, 0, QUERY_CALLEES, "f", 2, 10, 1 },
    { { "callees", "f", "-d", "4" }, 0, QUERY_CALLEES, "f", 4, 10, 0 },
    { { "impact", "f" }, 0, QUERY_IMPACT, "f", 100, 10, 0 },
    { { "impact", "f", "--depth", "5" }, 0, QUERY_IMPACT, "f", 5, 10, 0 },
    { { "search", "parse", "json", "-k", "3" }, 0, QUERY_SEARCH, "parse json", 1, 3, 0 },
    { { "search", "-k5", "decode" }, 0, QUERY_SEARCH, "decode", 1, 5, 0 },
    { { "search", "--", "-weird", "--json" }, 0, QUERY_SEARCH, "-weird --json", 1, 10, 0 },
    { {
          "callers",
          "-",
      },
      0,
      QUERY_CALLERS,
      "-",
      1,
      10,
      0 },
    /* usage errors */
    { { "frobnicate", "x" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "symbol" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "symbol", "a", "b" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "symbol", "a", "--depth", "2" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "-k", "2" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "--depth", "0" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "--depth", "101" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "--depth", "2x" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "--depth" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "callers", "a", "--frob" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "search", "x", "-k", "0" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "search", "x", "-k", "-3" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
    { { "search", "--json" }, PITH_EUSAGE, QUERY_NONE, NULL, 0, 0, 0 },
};

PITH_TEST(serve_query_parse_table)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct query_req req;
        int argc = 0;
        while (argc < 8 && c->argv[argc])
            argc++;
        int err = query_parse(&req, argc, (char *const *)c->argv);
        if (err != c->err) {
            pith_test_fail(__FILE__, __LINE__, "case %zu (%s %s): got %d, expected %d (%s)", i,
                           c->argv[0], c->argv[1] ? c->argv[1] : "", err, c->err,
                           pith_error_last());
            continue;
        }
        if (err)
            continue;
        CHECK_EQ_INT(req.op, c->op);
        CHECK_EQ_STR(req.arg, c->arg);
        CHECK_EQ_INT(req.depth, c->depth);
        CHECK_EQ_INT(req.k, c->k);
        CHECK_EQ_INT(req.json, c->json);
    }
}

PITH_TEST(serve_query_parse_index_option)
{
    struct query_req req;
    const char *argv[] = { "callers", "f", "-i", "/tmp/idx" };
    CHECK_EQ_INT(query_parse(&req, 4, (char *const *)argv), 0);
    CHECK_EQ_STR(req.index, "/tmp/idx");
}

/* ---- pure helpers ------------------------------------------------------------------------ */

PITH_TEST(serve_query_name_matches)
{
    static const struct {
        const char *qualname, *module, *query;
        int want;
    } cases[] = {
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder", "JSONDecoder.raw_decode", 1 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder",
          "decoder.py:JSONDecoder.raw_decode", 1 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder",
          "json/decoder.py:JSONDecoder.raw_decode", 1 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder",
          "json.decoder.JSONDecoder.raw_decode", 1 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder",
          "decoder.JSONDecoder.raw_decode", 1 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder", "Decoder.raw_decode", 0 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder",
          "ecoder.py:JSONDecoder.raw_decode", 0 },
        { "json/decoder.py:JSONDecoder.raw_decode", "json.decoder", "Other.raw_decode", 0 },
        { "json/decoder.py:Outer.JSONDecoder.raw_decode", "json.decoder", "JSONDecoder.raw_decode",
          1 },
        { "json/decoder.py", "json.decoder", "json.decoder", 1 },
        { "json/decoder.py", "json.decoder", "decoder", 1 },
        { "a.py:f", "", "b.f", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = query_name_matches(cases[i].qualname, cases[i].module, cases[i].query);
        if (got != cases[i].want)
            pith_test_fail(__FILE__, __LINE__, "'%s' vs '%s': got %d", cases[i].qualname,
                           cases[i].query, got);
    }
}

PITH_TEST(serve_query_is_test)
{
    CHECK_EQ_INT(query_is_test("test_loads", "json/x.py"), 1);
    CHECK_EQ_INT(query_is_test("helper", "tests/util.py"), 1);
    CHECK_EQ_INT(query_is_test("helper", "pkg/tests/util.py"), 1);
    CHECK_EQ_INT(query_is_test("helper", "pkg/test_util.py"), 1);
    CHECK_EQ_INT(query_is_test("helper", "pkg/util_test.py"), 1);
    CHECK_EQ_INT(query_is_test("helper", "pkg/contest.py"), 0);
    CHECK_EQ_INT(query_is_test("helper", "pkg/latest/util.py"), 0);
    CHECK_EQ_INT(query_is_test("helper", "pkg/test_util.txt"), 0);
    CHECK_EQ_INT(query_is_test("attest", "pkg/util.py"), 0);
}

PITH_TEST(serve_query_doc_summary)
{
    struct pith_buf b = PITH_BUF_INIT;
    query_doc_summary(&b, "\n   Decode a JSON\n   document.\n\n   More.\n", 0);
    CHECK_EQ_STR(b.ptr, "Decode a JSON document.");
    pith_buf_clear(&b);
    query_doc_summary(&b, "one two three four five six", 14);
    CHECK_EQ_STR(b.ptr, "one two...");
    pith_buf_clear(&b);
    query_doc_summary(&b, "", 10);
    CHECK(b.len == 0);
    pith_buf_release(&b);
}

PITH_TEST(serve_query_kind_names)
{
    CHECK_EQ_STR(query_edge_kind_name(3), "method");
    CHECK_EQ_STR(query_edge_kind_name(7), "external");
    CHECK_EQ_STR(query_edge_kind_name(99), "?");
    CHECK_EQ_STR(query_symbol_kind_name(2), "class");
    CHECK_EQ_STR(query_op_name(QUERY_IMPACT), "impact");
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

PITH_TEST(serve_query_bm25)
{
    /* idf = ln(1 + (N - df + 0.5) / (df + 0.5)) */
    CHECK(NEAR(query_bm25_idf(10, 1), log(1.0 + 9.5 / 1.5)));
    CHECK(NEAR(query_bm25_idf(10, 10), log(1.0 + 0.5 / 10.5)));
    CHECK(query_bm25_idf(1000, 1) > query_bm25_idf(1000, 10));
    /* a document of average length: norm = 1, tf~ = sum w_f tf_f */
    const uint8_t tf[4] = { 1, 0, 2, 1 };
    const uint16_t len[4] = { 4, 10, 20, 8 };
    const float avg[4] = { 4, 10, 20, 8 };
    CHECK(NEAR(query_bm25f_tf(tf, len, avg), 2.0 * 1 + 1.0 * 2 + 1.0 * 1));
    /* a longer name field is normalised down: 1 - b + b * 8/4 = 1.75 */
    const uint16_t len2[4] = { 8, 10, 20, 8 };
    const uint8_t tf_name[4] = { 1, 0, 0, 0 };
    CHECK(NEAR(query_bm25f_tf(tf_name, len2, avg), 2.0 / 1.75));
    /* saturation: tf~ / (k1 + tf~), k1 = 0.8 */
    CHECK(NEAR(query_bm25f_term(2.0, 0.8), 2.0 * 0.5));
    CHECK(query_bm25f_term(1.0, 100.0) < 1.0);
    /* the name field weighs 2x the signature */
    const uint8_t tf_sig[4] = { 0, 1, 0, 0 };
    const uint16_t same[4] = { 5, 5, 5, 5 };
    const float avg5[4] = { 5, 5, 5, 5 };
    CHECK(NEAR(query_bm25f_tf(tf_name, same, avg5), 2.0 * query_bm25f_tf(tf_sig, same, avg5)));
}

PITH_TEST(serve_split_words)
{
    char line[] = "  search 'parse json'  -k 3 \"a \\\"b\\\"\" c\\ d\n";
    char *argv[8];
    int n = serve_split(argv, 8, line);
    CHECK_EQ_INT(n, 6);
    if (n == 6) {
        CHECK_EQ_STR(argv[0], "search");
        CHECK_EQ_STR(argv[1], "parse json");
        CHECK_EQ_STR(argv[2], "-k");
        CHECK_EQ_STR(argv[3], "3");
        CHECK_EQ_STR(argv[4], "a \"b\"");
        CHECK_EQ_STR(argv[5], "c d");
    }
    char bad[] = "symbol 'open";
    CHECK_EQ_INT(serve_split(argv, 8, bad), PITH_EUSAGE);
    char many[] = "a b c d e f g h i";
    CHECK_EQ_INT(serve_split(argv, 8, many), PITH_EUSAGE);
    char empty[] = "   \n";
    CHECK_EQ_INT(serve_split(argv, 8, empty), 0);
}

/* ---- a small index, packed in memory --------------------------------------------------- */

/*  json/decoder.py    JSONDecoder, .decode -> .raw_decode (method)
 *  json/__init__.py   loads -> JSONDecoder.decode (method 0.9), os.fspath (external),
 *                     hook() (unresolved); load -> loads (direct); raw_decode (a 2nd one)
 *  tests/test_json.py test_loads -> loads (import)
 *  pkg/blob.py        skipped (binary) */
static Pith__GFile fx_files[4];
static Pith__GFile *fx_file_ptrs[4];
static Pith__GSymbol fx_syms[10];
static Pith__GSymbol *fx_sym_ptrs[10];
static Pith__Edge fx_edges[8];
static Pith__Edge *fx_edge_ptrs[8];
static char *fx_decorators[] = { (char *)"property" };

enum { S_MOD = 1, S_CLS, S_DECODE, S_RAW, S_LOADS, S_RAW2, S_TEST, S_LOAD, S_RECURSE, S_COUNT };

static void fx_file(int i, const char *path, const char *module, int status)
{
    Pith__GFile f = PITH__GFILE__INIT;
    f.path = (char *)path;
    f.module = (char *)module;
    f.language = (char *)"python";
    f.status = (Pith__FileStatus)status;
    f.skip_reason = (char *)(status ? "binary content" : "");
    fx_files[i] = f;
    fx_file_ptrs[i] = &fx_files[i];
}

static void fx_sym(int id,
                   int kind,
                   const char *name,
                   const char *qualname,
                   uint32_t file,
                   uint32_t parent,
                   uint32_t line,
                   const char *sig,
                   const char *doc)
{
    Pith__GSymbol s = PITH__GSYMBOL__INIT;
    s.kind = (Pith__SymbolKind)kind;
    s.name = (char *)name;
    s.qualname = (char *)qualname;
    s.file = file;
    s.parent = parent;
    s.start_line = line;
    s.end_line = line + 5;
    s.signature = (char *)sig;
    s.docstring = (char *)doc;
    fx_syms[id - 1] = s;
    fx_sym_ptrs[id - 1] = &fx_syms[id - 1];
}

static size_t fx_nedges;
static void fx_edge(uint32_t caller,
                    uint32_t callee,
                    int kind,
                    uint32_t conf,
                    uint32_t line,
                    const char *name,
                    const char *reason)
{
    Pith__Edge e = PITH__EDGE__INIT;
    e.caller = caller;
    e.callee = callee;
    e.kind = (Pith__EdgeKind)kind;
    e.confidence = conf;
    e.line = line;
    e.col = 4;
    e.callee_name = (char *)name;
    e.reason = (char *)reason;
    fx_edges[fx_nedges] = e;
    fx_edge_ptrs[fx_nedges] = &fx_edges[fx_nedges];
    fx_nedges++;
}

static struct pith_index *fixture_index(void)
{
    Pith__Graph g = PITH__GRAPH__INIT;
    fx_nedges = 0;
    fx_file(0, "json/decoder.py", "json.decoder", 0);
    fx_file(1, "json/__init__.py", "json", 0);
    fx_file(2, "tests/test_json.py", "tests.test_json", 0);
    fx_file(3, "pkg/blob.py", "pkg.blob", 1);
    fx_sym(S_MOD, 1, "decoder", "json/decoder.py", 1, 0, 1, "", "JSON decoding.");
    fx_sym(S_CLS, 2, "JSONDecoder", "json/decoder.py:JSONDecoder", 1, S_MOD, 10, "",
           "Simple JSON decoder.");
    fx_sym(S_DECODE, 4, "decode", "json/decoder.py:JSONDecoder.decode", 1, S_CLS, 20,
           "def decode(self, s)", "Return the Python representation of s.\n\nMore text.");
    fx_sym(S_RAW, 4, "raw_decode", "json/decoder.py:JSONDecoder.raw_decode", 1, S_CLS, 30,
           "def raw_decode(self, s, idx=0)",
           "Decode a JSON document from s and return a 2-tuple.\n\n  Details follow.");
    fx_sym(S_LOADS, 3, "loads", "json/__init__.py:loads", 2, 0, 5, "def loads(s, **kw)",
           "Deserialize s to a Python object.");
    fx_sym(S_RAW2, 3, "raw_decode", "json/__init__.py:raw_decode", 2, 0, 40, "def raw_decode(s)",
           "");
    fx_sym(S_TEST, 3, "test_loads", "tests/test_json.py:test_loads", 3, 0, 3, "def test_loads()",
           "");
    fx_sym(S_LOAD, 3, "load", "json/__init__.py:load", 2, 0, 50, "def load(fp)",
           "Deserialize fp, a file, to a Python object.");
    fx_sym(S_RECURSE, 3, "walk_tree", "json/__init__.py:walk_tree", 2, 0, 60, "def walk_tree(node)",
           "Walk recursively.");
    fx_syms[S_DECODE - 1].n_decorators = 1;
    fx_syms[S_DECODE - 1].decorators = fx_decorators;
    /* sorted by (caller, line, col, callee, kind) */
    fx_edge(S_DECODE, S_RAW, 3, 1000, 22, "self.raw_decode", "");
    fx_edge(S_LOADS, S_DECODE, 3, 900, 7, "_default_decoder.decode", "instance type inferred");
    fx_edge(S_LOADS, 0, 7, 1000, 8, "os.fspath", "");
    fx_edge(S_LOADS, 0, 8, 0, 9, "hook", "unknown receiver");
    fx_edge(S_TEST, S_LOADS, 2, 1000, 4, "json.loads", "");
    fx_edge(S_LOAD, S_LOADS, 1, 1000, 52, "loads", "");
    fx_edge(S_RECURSE, S_RECURSE, 1, 1000, 62, "walk_tree", "");
    g.repo_root = (char *)"/repo";
    g.n_files = 4;
    g.files = fx_file_ptrs;
    g.n_symbols = S_COUNT - 1;
    g.symbols = fx_sym_ptrs;
    g.n_edges = fx_nedges;
    g.edges = fx_edge_ptrs;

    struct pack_input in = { &g, NULL, NULL };
    struct pith_buf shard = PITH_BUF_INIT, manifest = PITH_BUF_INIT;
    struct pith_index *ix = NULL;
    int err = pack_build(&shard, &manifest, &in);
    if (err) {
        pith_test_fail(__FILE__, __LINE__, "pack_build: %s", pith_error_last());
        goto out;
    }
    err = pith_index_open_mem(&ix, manifest.ptr, manifest.len, shard.ptr, shard.len, 0);
    if (err) {
        pith_test_fail(__FILE__, __LINE__, "open: %s", pith_error_last());
        ix = NULL;
    }
out:
    pith_buf_release(&shard);
    pith_buf_release(&manifest);
    return ix;
}

/* Runs `words` (space-separated) as a query; returns its code and the answer in `out`. */
static int ask(struct pith_buf *out, struct pith_index *ix, const char *words)
{
    char line[512];
    char *argv[16];
    struct query_req req;
    snprintf(line, sizeof line, "%s", words);
    int argc = serve_split(argv, 16, line);
    pith_buf_clear(out);
    if (argc < 0 || query_parse(&req, argc, argv) < 0) {
        pith_test_fail(__FILE__, __LINE__, "bad query '%s': %s", words, pith_error_last());
        return PITH_EUSAGE;
    }
    return query_run(out, ix, &req);
}

/* Parses `text` as one JSON object; fails the test when it is not. Caller frees. */
static cJSON *parse_json(const char *text, int line)
{
    cJSON *j = cJSON_Parse(text ? text : "");
    if (!j || !cJSON_IsObject(j))
        pith_test_fail(__FILE__, line, "not a JSON object: %s", text ? text : "(null)");
    return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

PITH_TEST(serve_query_resolve_names)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    CHECK_EQ_INT(ask(&out, ix, "symbol json/decoder.py:JSONDecoder.raw_decode"), 0);
    CHECK(strstr(out.ptr, "location:   json/decoder.py:30-35") != NULL);
    CHECK_EQ_INT(ask(&out, ix, "symbol JSONDecoder.raw_decode"), 0);
    CHECK_EQ_INT(ask(&out, ix, "symbol json.decoder.JSONDecoder.raw_decode"), 0);
    CHECK_EQ_INT(ask(&out, ix, "symbol decoder.py:JSONDecoder.raw_decode"), 0);
    CHECK_EQ_INT(ask(&out, ix, "symbol loads"), 0);
    CHECK(strstr(out.ptr, "json/__init__.py:loads\n") == out.ptr);
    /* ambiguous: the candidates, sorted by qualname */
    CHECK_EQ_INT(ask(&out, ix, "symbol raw_decode"), PITH_EAMBIGUOUS);
    CHECK(strstr(out.ptr, "2 symbols match 'raw_decode':\n  json/__init__.py:raw_decode") ==
          out.ptr);
    CHECK(strstr(out.ptr, "json/decoder.py:JSONDecoder.raw_decode  (method, json/decoder.py:30)"));
    /* not found, with suggestions by prefix */
    CHECK_EQ_INT(ask(&out, ix, "symbol raw_dec"), PITH_ENOTFOUND);
    CHECK(strstr(pith_error_last(), "no symbol named 'raw_dec'; did you mean") != NULL);
    CHECK(strstr(pith_error_last(), "json/decoder.py:JSONDecoder.raw_decode") != NULL);
    CHECK_EQ_INT(out.len, 0);
    CHECK_EQ_INT(ask(&out, ix, "symbol Nope.raw_decode"), PITH_ENOTFOUND);
    CHECK(strstr(pith_error_last(), "raw_decode") != NULL);
    CHECK_EQ_INT(ask(&out, ix, "symbol zzzzzz"), PITH_ENOTFOUND);
    CHECK_EQ_STR(pith_error_last(), "no symbol named 'zzzzzz'");
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_query_symbol)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    CHECK_EQ_INT(ask(&out, ix, "symbol JSONDecoder.decode"), 0);
    CHECK(strstr(out.ptr, "kind:       method\n"));
    CHECK(strstr(out.ptr, "signature:  def decode(self, s)\n"));
    CHECK(strstr(out.ptr, "decorators: @property\n"));
    CHECK(strstr(out.ptr, "doc:        Return the Python representation of s.\n"));
    CHECK(strstr(out.ptr, "callers:    1 call sites from 1 symbols\n"));
    CHECK(strstr(out.ptr, "callees:    1 call sites (1 resolved, 0 external, 0 unresolved)\n"));

    CHECK_EQ_INT(ask(&out, ix, "symbol loads --json"), 0);
    cJSON *j = parse_json(out.ptr, __LINE__);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "symbol");
    CHECK_EQ_STR(jstr(j, "op"), "symbol");
    CHECK_EQ_STR(jstr(s, "qualname"), "json/__init__.py:loads");
    CHECK_EQ_STR(jstr(s, "kind"), "function");
    CHECK_EQ_STR(jstr(s, "file"), "json/__init__.py");
    CHECK(jnum(s, "line") == 5);
    CHECK_EQ_STR(jstr(s, "docstring"), "Deserialize s to a Python object.");
    const cJSON *callers = cJSON_GetObjectItemCaseSensitive(s, "callers");
    const cJSON *callees = cJSON_GetObjectItemCaseSensitive(s, "callees");
    CHECK(jnum(callers, "sites") == 2);
    CHECK(jnum(callers, "symbols") == 2);
    CHECK(jnum(callees, "resolved") == 1);
    CHECK(jnum(callees, "external") == 1);
    CHECK(jnum(callees, "unresolved") == 1);
    cJSON_Delete(j);
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_query_callers_callees)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    CHECK_EQ_INT(ask(&out, ix, "callers loads"), 0);
    CHECK(strstr(out.ptr, "<- json/__init__.py:load  at json/__init__.py:52  direct 1.00\n"));
    CHECK(strstr(out.ptr, "<- tests/test_json.py:test_loads  at tests/test_json.py:4  import "
                          "1.00\n"));
    CHECK(strstr(out.ptr, "2 call sites, 2 symbols"));

    CHECK_EQ_INT(ask(&out, ix, "callees loads"), 0);
    CHECK(strstr(out.ptr, "-> json/decoder.py:JSONDecoder.decode  at json/__init__.py:7  method "
                          "0.90  (instance type inferred)\n"));
    CHECK(strstr(out.ptr, "-> os.fspath (external)  at json/__init__.py:8"));
    CHECK(strstr(out.ptr, "-> hook (unresolved: unknown receiver)  at json/__init__.py:9\n"));

    /* depth: BFS levels, each symbol once */
    CHECK_EQ_INT(ask(&out, ix, "callers JSONDecoder.raw_decode --depth 3 --json"), 0);
    cJSON *j = parse_json(out.ptr, __LINE__);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    CHECK_EQ_INT(cJSON_GetArraySize(res), 1);
    const cJSON *r0 = cJSON_GetArrayItem(res, 0);
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(r0, "edges");
    CHECK_EQ_INT(cJSON_GetArraySize(edges), 4);
    const cJSON *e0 = cJSON_GetArrayItem(edges, 0), *e1 = cJSON_GetArrayItem(edges, 1);
    CHECK(jnum(e0, "depth") == 1);
    CHECK_EQ_STR(jstr(e0, "caller"), "json/decoder.py:JSONDecoder.decode");
    CHECK_EQ_STR(jstr(e0, "callee"), "json/decoder.py:JSONDecoder.raw_decode");
    CHECK_EQ_STR(jstr(e0, "kind"), "method");
    CHECK(jnum(e0, "confidence") == 1);
    CHECK(jnum(e1, "depth") == 2);
    CHECK(fabs(jnum(e1, "confidence") - 0.9) < 1e-9);
    CHECK_EQ_STR(jstr(e1, "reason"), "instance type inferred");
    CHECK_EQ_STR(jstr(e1, "file"), "json/__init__.py");
    CHECK(jnum(e1, "line") == 7);
    CHECK(jnum(cJSON_GetArrayItem(edges, 2), "depth") == 3);
    CHECK(jnum(r0, "symbols") == 4);
    cJSON_Delete(j);

    /* a recursive function is its own caller, once */
    CHECK_EQ_INT(ask(&out, ix, "callers walk_tree --depth 3"), 0);
    CHECK(strstr(out.ptr, "1 call sites, 1 symbols"));

    /* a bare name matching two symbols: answered for each, grouped */
    CHECK_EQ_INT(ask(&out, ix, "callers raw_decode --json"), 0);
    j = parse_json(out.ptr, __LINE__);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "results")), 2);
    cJSON_Delete(j);
    CHECK_EQ_INT(ask(&out, ix, "callers raw_decode"), 0);
    CHECK(strstr(out.ptr, "2 symbols match 'raw_decode'; answering for each:"));
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_query_impact)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    CHECK_EQ_INT(ask(&out, ix, "impact JSONDecoder.raw_decode --json"), 0);
    cJSON *j = parse_json(out.ptr, __LINE__);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "results"), 0);
    const cJSON *aff = cJSON_GetObjectItemCaseSensitive(r0, "affected");
    CHECK_EQ_INT(cJSON_GetArraySize(aff), 4);
    const cJSON *last = cJSON_GetArrayItem(aff, 3);
    CHECK(jnum(last, "depth") == 3);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(last, "path");
    CHECK_EQ_INT(cJSON_GetArraySize(path), 3);
    CHECK_EQ_STR(cJSON_GetArrayItem(path, 0)->valuestring, "method");
    CHECK_EQ_STR(cJSON_GetArrayItem(path, 1)->valuestring, "method");
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(r0, "tests");
    CHECK_EQ_INT(cJSON_GetArraySize(tests), 1);
    CHECK_EQ_STR(cJSON_GetArrayItem(tests, 0)->valuestring, "tests/test_json.py:test_loads");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(r0, "files");
    CHECK_EQ_INT(cJSON_GetArraySize(files), 3);
    CHECK_EQ_STR(jstr(cJSON_GetArrayItem(files, 0), "path"), "json/__init__.py");
    CHECK(jnum(cJSON_GetArrayItem(files, 0), "count") == 2);
    cJSON_Delete(j);

    CHECK_EQ_INT(ask(&out, ix, "impact JSONDecoder.raw_decode --depth 1"), 0);
    CHECK(strstr(out.ptr, "1 affected symbols in 1 files, 0 tests, max depth 1"));
    CHECK_EQ_INT(ask(&out, ix, "impact JSONDecoder.raw_decode"), 0);
    CHECK(strstr(out.ptr, " affected tests:\n  tests/test_json.py:test_loads  "
                          "tests/test_json.py:3\n"));
    CHECK(strstr(out.ptr, "[method > method > import]  test\n"));
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_query_search)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    CHECK_EQ_INT(ask(&out, ix, "search deserialize python object --json"), 0);
    cJSON *j = parse_json(out.ptr, __LINE__);
    const cJSON *hits = cJSON_GetObjectItemCaseSensitive(j, "hits");
    CHECK(cJSON_GetArraySize(hits) >= 2);
    const cJSON *h0 = cJSON_GetArrayItem(hits, 0), *h1 = cJSON_GetArrayItem(hits, 1);
    CHECK(jnum(h0, "score") >= jnum(h1, "score"));
    CHECK(jnum(h0, "rank") == 1);
    /* loads and load have the same words; loads' shorter docstring ranks it first */
    CHECK_EQ_STR(jstr(cJSON_GetObjectItemCaseSensitive(h0, "symbol"), "qualname"),
                 "json/__init__.py:loads");
    CHECK_EQ_STR(jstr(h0, "summary"), "Deserialize s to a Python object.");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(h0, "matched")) == 3);
    cJSON_Delete(j);

    /* a name match outweighs a docstring match */
    CHECK_EQ_INT(ask(&out, ix, "search decode -k 2"), 0);
    CHECK(strstr(out.ptr, "search 'decode': 2 of ") == out.ptr);
    CHECK_EQ_INT(ask(&out, ix, "search rawDecode"), 0);
    CHECK(strstr(out.ptr, "  1. json/") != NULL);
    CHECK(strstr(out.ptr, "raw_decode") != NULL);

    CHECK_EQ_INT(ask(&out, ix, "search qqqxxyz --json"), PITH_ENOTFOUND);
    j = parse_json(out.ptr, __LINE__);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "hits")), 0);
    cJSON_Delete(j);
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_query_json_always_valid)
{
    static const char *const queries[] = {
        "symbol raw_decode --json", "symbol nothing_here --json",
        "callers loads --json",     "callees loads --depth 5 --json",
        "impact load --json",       "search json --json",
        "callers zzz --json",       "impact walk_tree --json",
    };
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        ask(&out, ix, queries[i]);
        CHECK(out.len > 0 && out.ptr[out.len - 1] == '\n');
        CHECK(memchr(out.ptr, '\n', out.len) == out.ptr + out.len - 1);
        cJSON *j = parse_json(out.ptr, __LINE__);
        cJSON_Delete(j);
    }
    /* the served form: one line per query, usage errors as objects */
    static const char *const lines[] = { "callers loads", "frob x", "symbol 'unterminated",
                                         "search \"python object\" -k 1", "symbol raw_decode" };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        pith_buf_clear(&out);
        serve_line(&out, ix, lines[i]);
        CHECK(memchr(out.ptr, '\n', out.len) == out.ptr + out.len - 1);
        cJSON *j = parse_json(out.ptr, __LINE__);
        if (i == 1 || i == 2)
            CHECK_EQ_STR(jstr(j, "error"), "usage");
        if (i == 4)
            CHECK_EQ_STR(jstr(j, "error"), "ambiguous");
        cJSON_Delete(j);
    }
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_driver_summary)
{
    struct pith_index *ix = fixture_index();
    struct pith_buf out = PITH_BUF_INIT;
    if (!ix)
        return;
    struct driver_report rep = { { 1.0, 2.0, -1.0, 0.5 }, 3.5, 0 };
    driver_summary(&out, ix, &rep);
    CHECK(strstr(out.ptr, "files:     3 indexed, 1 skipped\n"));
    CHECK(strstr(out.ptr, "  skipped (binary): 1\n    pkg/blob.py  (binary content)\n"));
    CHECK(strstr(out.ptr, "symbols:   9 (5 functions, 2 methods, 1 classes, 0 nested, 0 lambdas, "
                          "1 modules)\n"));
    CHECK(strstr(out.ptr, "calls:     7 call sites: direct 2, import 1, method 2, external 1, "
                          "unresolved 1\n"));
    CHECK(
        strstr(out.ptr, "time:      3.50 s total, extract 1.00 s, analyze 2.00 s, pack 0.50 s\n"));
    pith_buf_release(&out);
    pith_index_free(ix);
}

PITH_TEST(serve_stdio_loop)
{
    struct pith_index *ix = fixture_index();
    if (!ix)
        return;
    char input[] = "callers loads\n\n# a comment\n  symbol JSONDecoder.decode\nsearch json\n";
    char output[8192] = { 0 };
    FILE *in = fmemopen(input, strlen(input), "r");
    FILE *out = fmemopen(output, sizeof output - 1, "w");
    CHECK(in && out);
    if (in && out) {
        CHECK_EQ_INT(serve_stdio(ix, in, out), 0);
        fclose(out);
        out = NULL;
        int lines = 0;
        for (char *line = output, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
            *nl = '\0';
            cJSON *j = parse_json(line, __LINE__);
            CHECK(jstr(j, "error") == NULL);
            cJSON_Delete(j);
            lines++;
        }
        CHECK_EQ_INT(lines, 3);
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    pith_index_free(ix);
}
