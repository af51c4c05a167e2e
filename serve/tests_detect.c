/* Test detection and test selection (serve stage): which symbols are tests, per language from one
 * table, which tests a change reaches through the call graph, and the command that runs them.
 *
 * A symbol's role comes from its file's language row:
 *   test file      basename matches one of `file_globs`
 *   test class     a class named `class_prefix`* in a test file, or deriving (through in-repo
 *                  classes, 4 levels) from a base whose last component is one of `bases`
 *   test case      a function named `func_prefix`* (in a test file when `func_in_test_file`),
 *                  a method named `func_prefix`* of a test class, or one marked by a decorator or
 *                  attribute in `markers`
 *   fixture        a test class's method named in `fixtures` (setUp...), a test class's body,
 *                  a test file's module body: every test of the class / file runs it
 *   support        anything else in a test file (helpers): reaches tests through its callers
 * Only Python is indexed today; the other rows apply when their front ends land. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "schemas/record.pb-c.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

enum test_runner { RUN_PYTEST, RUN_GO, RUN_CARGO, RUN_JUNIT, RUN_JEST };

struct test_lang {
    const char *language;     /* pith_disk_file.language */
    const char *extensions;   /* '|'-separated, to guess the language of a bare path */
    const char *file_globs;   /* '|'-separated fnmatch patterns on the basename */
    const char *func_prefix;  /* test functions and methods, or NULL */
    int func_in_test_file;    /* functions count only in test files */
    const char *class_prefix; /* test classes in test files, or NULL */
    const char *bases;        /* base classes making a test class anywhere, or NULL */
    const char *markers;      /* decorators / attributes / annotations marking a test case */
    const char *fixtures;     /* methods every test of the class runs */
    enum test_runner runner;
};

static const struct test_lang langs[] = {
    /* pytest (python_files test_*.py *_test.py, Test* classes, test* functions) and unittest
     * (discover pattern test*.py, TestCase subclasses, test* methods, setUp & co) */
    { "python", ".py", "test*.py|*_test.py", "test", 1, "Test",
      "TestCase|IsolatedAsyncioTestCase|AsyncTestCase", "pytest.mark.parametrize",
      "setUp|tearDown|setUpClass|tearDownClass|asyncSetUp|asyncTearDown|setup_method|"
      "teardown_method|setup_class|teardown_class|setup|teardown|__init__",
      RUN_PYTEST },
    /* go test: func TestXxx(t *testing.T) in *_test.go */
    { "go", ".go", "*_test.go", "Test", 1, NULL, NULL, NULL, NULL, RUN_GO },
    /* cargo test: #[test] / #[tokio::test] functions */
    { "rust", ".rs", "*.rs", NULL, 0, NULL, NULL, "test|tokio::test|rstest|test_case", NULL,
      RUN_CARGO },
    /* JUnit 4/5: @Test methods; Surefire's default file patterns */
    { "java", ".java", "Test*.java|*Test.java|*Tests.java|*TestCase.java", NULL, 0, NULL,
      "TestCase", "Test|ParameterizedTest|RepeatedTest|TestFactory",
      "setUp|tearDown|BeforeEach|AfterEach|BeforeAll|AfterAll", RUN_JUNIT },
    /* jest / vitest / mocha: it()/test() callbacks in *.test.* and *.spec.* files */
    { "javascript", ".js|.jsx|.mjs|.cjs",
      "*.test.js|*.spec.js|*.test.jsx|*.spec.jsx|*.test.mjs|*.spec.mjs", NULL, 0, NULL, NULL,
      "it|test", "beforeEach|beforeAll|afterEach|afterAll", RUN_JEST },
    { "typescript", ".ts|.tsx|.mts", "*.test.ts|*.spec.ts|*.test.tsx|*.spec.tsx", NULL, 0, NULL,
      NULL, "it|test", "beforeEach|beforeAll|afterEach|afterAll", RUN_JEST },
};

/* 1 when `word[0, n)` is one of the '|'-separated `list`. */
static int in_list(const char *list, const char *word, size_t n)
{
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, word, n) == 0)
            return 1;
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

static int glob_any(const char *globs, const char *base)
{
    char pat[128];
    for (const char *p = globs; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len < sizeof pat) {
            memcpy(pat, p, len);
            pat[len] = '\0';
            if (fnmatch(pat, base, 0) == 0)
                return 1;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

static const struct test_lang *lang_of(const char *language, const char *path)
{
    for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
        if (language && *language && strcmp(language, langs[i].language) == 0)
            return &langs[i];
    }
    if (language && *language)
        return NULL;
    const char *dot = path ? strrchr(path, '.') : NULL;
    for (size_t i = 0; dot && i < sizeof langs / sizeof *langs; i++) {
        if (in_list(langs[i].extensions, dot, strlen(dot)))
            return &langs[i];
    }
    return NULL;
}

int q_test_file(const char *language, const char *path)
{
    const struct test_lang *l = lang_of(language, path);
    if (!l || !path)
        return 0;
    const char *base = strrchr(path, '/');
    return glob_any(l->file_globs, base ? base + 1 : path);
}

static const struct test_lang *sym_lang(const struct pith_index *ix, uint32_t id, int *test_file)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    const struct pith_disk_file *f = s->file ? pith_index_file(ix, s->file) : NULL;
    const char *lang = f ? pith_index_str(ix, f->language) : "";
    const char *path = f ? pith_index_str(ix, f->path) : "";
    const struct test_lang *l = lang_of(lang, path);
    *test_file = l && q_test_file(lang, path);
    return l;
}

static Pith__SymbolRecord *rec_load(const struct pith_index *ix, uint32_t id)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (pith_index_record(ix, id, &raw, &len) < 0)
        return NULL;
    Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
    free(raw);
    return rec;
}

static int prefixed(const char *prefix, const char *name)
{
    return prefix && strncmp(name, prefix, strlen(prefix)) == 0;
}

/* Bounds the walk up a class hierarchy resolved by base names: each class is decoded once, and
 * at most BASES_WALK_MAX classes per question (a name like "Codec" may denote a hundred). */
#define BASES_WALK_MAX 64
struct base_walk {
    struct qmap seen;
    int left;
};

static int derives_walk(const struct pith_index *ix,
                        const struct test_lang *l,
                        uint32_t id,
                        int depth,
                        struct base_walk *w)
{
    uint32_t dummy;
    if (depth <= 0 || w->left <= 0 || qmap_get(&w->seen, id, &dummy))
        return 0;
    qmap_put(&w->seen, id, 1);
    w->left--;
    Pith__SymbolRecord *rec = rec_load(ix, id);
    if (!rec)
        return 0;
    int yes = 0;
    for (size_t i = 0; i < rec->n_bases && !yes; i++) {
        const char *b = rec->bases[i];
        const char *last = strrchr(b, '.');
        last = last ? last + 1 : b;
        size_t n = strcspn(last, "[(<");
        if (in_list(l->bases, last, n)) {
            yes = 1;
            break;
        }
        /* in-repo base classes of that name */
        char name[256];
        if (n == 0 || n >= sizeof name)
            continue;
        memcpy(name, last, n);
        name[n] = '\0';
        const uint32_t *ids;
        size_t k = pith_index_find_name(ix, name, &ids);
        for (size_t j = 0; j < k && !yes && w->left > 0; j++) {
            if (ids[j] != id && pith_index_symbol(ix, ids[j])->kind == 2 /* class */)
                yes = derives_walk(ix, l, ids[j], depth - 1, w);
        }
    }
    pith__symbol_record__free_unpacked(rec, NULL);
    return yes;
}

/* 1 when class `id` derives from one of l->bases, through in-repo classes up to `depth`. */
static int derives_from_test_base(const struct pith_index *ix,
                                  const struct test_lang *l,
                                  uint32_t id,
                                  int depth)
{
    if (!l->bases)
        return 0;
    struct base_walk w;
    qmap_init(&w.seen);
    w.left = BASES_WALK_MAX;
    int yes = derives_walk(ix, l, id, depth, &w);
    qmap_release(&w.seen);
    return yes;
}

static int
is_test_class(const struct pith_index *ix, const struct test_lang *l, uint32_t id, int test_file)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    if (s->kind != 2)
        return 0;
    if (test_file && prefixed(l->class_prefix, pith_index_str(ix, s->name)))
        return 1;
    return derives_from_test_base(ix, l, id, 4);
}

static int has_marker(const struct pith_index *ix, const struct test_lang *l, uint32_t id)
{
    if (!l->markers || !(pith_index_symbol(ix, id)->flags & PITH_SYMF_DECORATED))
        return 0;
    Pith__SymbolRecord *rec = rec_load(ix, id);
    int yes = 0;
    for (size_t i = 0; rec && i < rec->n_decorators && !yes; i++) {
        const char *d = rec->decorators[i];
        yes = in_list(l->markers, d, strcspn(d, "("));
    }
    if (rec)
        pith__symbol_record__free_unpacked(rec, NULL);
    return yes;
}

enum q_test_role q_test_role(const struct pith_index *ix, uint32_t id)
{
    int test_file;
    const struct test_lang *l = sym_lang(ix, id, &test_file);
    if (!l)
        return Q_TEST_NONE;
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    const char *name = pith_index_str(ix, s->name);
    switch (s->kind) {
    case 1: /* module */
        return test_file ? Q_TEST_FIXTURE : Q_TEST_NONE;
    case 2: /* class */
        if (is_test_class(ix, l, id, test_file))
            return Q_TEST_CLASS;
        return test_file ? Q_TEST_SUPPORT : Q_TEST_NONE;
    case 3: /* function */
        if (has_marker(ix, l, id))
            return Q_TEST_CASE;
        if (prefixed(l->func_prefix, name) && (test_file || !l->func_in_test_file))
            return Q_TEST_CASE;
        return test_file ? Q_TEST_SUPPORT : Q_TEST_NONE;
    case 4: /* method */
        if (s->parent && is_test_class(ix, l, s->parent, test_file)) {
            if (prefixed(l->func_prefix, name) || has_marker(ix, l, id))
                return Q_TEST_CASE;
            if (in_list(l->fixtures, name, strlen(name)))
                return Q_TEST_FIXTURE;
            return Q_TEST_SUPPORT;
        }
        if (has_marker(ix, l, id))
            return Q_TEST_CASE;
        return test_file ? Q_TEST_SUPPORT : Q_TEST_NONE;
    default:
        return test_file ? Q_TEST_SUPPORT : Q_TEST_NONE;
    }
}

/* Symbols whose qualname starts with `prefix` form a run in SYMS (sorted by qualname; every
 * byte an identifier may hold sorts after '.' and ':'): the first id of the run. */
static uint32_t run_start(const struct pith_index *ix, const char *prefix)
{
    uint32_t lo = 1, hi = pith_index_symbol_count(ix) + 1;
    size_t n = strlen(prefix);
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strncmp(pith_index_str(ix, pith_index_symbol(ix, mid)->qualname), prefix, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Appends the test cases under symbol `scope` (a class: its methods; a module: every test in
 * the file) to `out`. */
static void cases_under(q_idvec *out, const struct pith_index *ix, uint32_t scope)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, scope);
    struct pith_buf prefix = PITH_BUF_INIT;
    pith_buf_puts(&prefix, pith_index_str(ix, s->qualname));
    pith_buf_putc(&prefix, s->kind == 1 ? ':' : '.');
    uint32_t n = pith_index_symbol_count(ix);
    for (uint32_t id = run_start(ix, prefix.ptr); id <= n; id++) {
        if (strncmp(pith_index_str(ix, pith_index_symbol(ix, id)->qualname), prefix.ptr,
                    prefix.len) != 0)
            break;
        if (q_test_role(ix, id) == Q_TEST_CASE)
            pith_vec_push(out, id);
    }
    pith_buf_release(&prefix);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define TESTS_WALK_MAX 200000u
#define REF_NAMES_MAX  4096u

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

/* 1 when text[0, len) mentions `name` as a value: the identifier not followed by '(' (a call is
 * a graph edge already, resolved or not). */
static int mentions(const char *text, size_t len, const char *name, size_t nl)
{
    for (size_t i = 0; i + nl <= len; i++) {
        if (memcmp(text + i, name, nl) != 0)
            continue;
        if ((i && ident_char(text[i - 1])) || (i + nl < len && ident_char(text[i + nl])))
            continue;
        size_t k = i + nl;
        while (k < len && (text[k] == ' ' || text[k] == '\t'))
            k++;
        if (k < len && text[k] == '(')
            continue;
        return 1;
    }
    return 0;
}

/* Tests that pass a reached function as a value (`check(slug, cases)`, `map(f, xs)`): the call
 * graph has calls, not references, so the test files' sources are searched for the bare names
 * of the reached functions and methods (3 bytes or longer), inside each test case's lines. */
static void tests_by_reference(q_idvec *out, const struct pith_index *ix, const q_idvec *reached)
{
    PITH_VEC(const char *) names = { 0 };
    for (size_t i = 0; i < reached->count && names.count < REF_NAMES_MAX; i++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, reached->items[i]);
        const char *name = pith_index_str(ix, s->name);
        if ((s->kind == 3 || s->kind == 4) && strlen(name) >= 3 &&
            q_test_role(ix, reached->items[i]) == Q_TEST_NONE)
            pith_vec_push(&names, name);
    }
    uint32_t nf = pith_index_file_count(ix), n = pith_index_symbol_count(ix);
    struct pith_buf src = PITH_BUF_INIT, prefix = PITH_BUF_INIT;
    for (uint32_t f = 1; f <= nf && names.count; f++) {
        const struct pith_disk_file *df = pith_index_file(ix, f);
        const char *path = pith_index_str(ix, df->path);
        if (!q_test_file(pith_index_str(ix, df->language), path))
            continue;
        int changed = 0;
        pith_buf_clear(&src);
        if (q_read_source(&src, &changed, ix, path, df->content_hash) < 0 || changed || !src.ptr)
            continue;
        /* line starts */
        PITH_VEC(uint32_t) ls = { 0 };
        pith_vec_push(&ls, 0);
        for (size_t i = 0; i < src.len; i++) {
            if (src.ptr[i] == '\n')
                pith_vec_push(&ls, (uint32_t)(i + 1));
        }
        pith_buf_clear(&prefix);
        pith_buf_printf(&prefix, "%s:", path);
        for (uint32_t id = run_start(ix, prefix.ptr); id <= n; id++) {
            const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
            if (strncmp(pith_index_str(ix, s->qualname), prefix.ptr, prefix.len) != 0)
                break;
            if (q_test_role(ix, id) != Q_TEST_CASE || !s->start_line || s->start_line > ls.count)
                continue;
            size_t a = ls.items[s->start_line - 1];
            size_t b = s->end_line < ls.count ? ls.items[s->end_line] : src.len;
            for (size_t k = 0; k < names.count; k++) {
                if (b > a && mentions(src.ptr + a, b - a, names.items[k], strlen(names.items[k]))) {
                    pith_vec_push(out, id);
                    break;
                }
            }
        }
        pith_vec_release(&ls);
    }
    pith_buf_release(&src);
    pith_buf_release(&prefix);
    pith_vec_release(&names);
}

void q_tests_affected(q_idvec *out,
                      int *truncated,
                      const struct pith_index *ix,
                      const uint32_t *roots,
                      size_t n,
                      unsigned depth)
{
    struct qmap seen; /* id -> its depth */
    q_idvec queue = { 0 };
    size_t start = out->count;
    qmap_init(&seen);
    *truncated = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t dummy;
        if (roots[i] && !qmap_get(&seen, roots[i], &dummy)) {
            qmap_put(&seen, roots[i], 0);
            pith_vec_push(&queue, roots[i]);
        }
    }
    for (size_t head = 0; head < queue.count; head++) {
        uint32_t id = queue.items[head];
        switch (q_test_role(ix, id)) {
        case Q_TEST_CASE:
            pith_vec_push(out, id);
            break;
        case Q_TEST_CLASS:
            cases_under(out, ix, id);
            break;
        case Q_TEST_FIXTURE: {
            const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
            cases_under(out, ix, s->kind == 1 || !s->parent ? id : s->parent);
            break;
        }
        default:
            break;
        }
        uint32_t d = 0;
        qmap_get(&seen, id, &d);
        if (d >= depth)
            continue;
        const struct pith_disk_edge *e;
        size_t k = pith_index_callers(ix, id, &e);
        for (size_t j = 0; j < k; j++) {
            uint32_t dummy;
            if (!e[j].other || qmap_get(&seen, e[j].other, &dummy))
                continue;
            if (queue.count >= TESTS_WALK_MAX) {
                *truncated = 1;
                break;
            }
            qmap_put(&seen, e[j].other, d + 1);
            pith_vec_push(&queue, e[j].other);
        }
    }
    tests_by_reference(out, ix, &queue);
    /* sort and deduplicate what was appended */
    size_t m = out->count - start;
    if (m > 1) {
        qsort(out->items + start, m, sizeof *out->items, cmp_u32);
        size_t w = start + 1;
        for (size_t r = start + 1; r < out->count; r++) {
            if (out->items[r] != out->items[w - 1])
                out->items[w++] = out->items[r];
        }
        out->count = w;
    }
    pith_vec_release(&queue);
    qmap_release(&seen);
}

/* ---- node ids and commands ------------------------------------------------------------------- */

/* The part of a qualname after "path:", with '.' replaced by `sep`. */
static void local_name(struct pith_buf *out, const char *qualname, const char *sep)
{
    const char *colon = strchr(qualname, ':');
    for (const char *p = colon ? colon + 1 : qualname; *p; p++) {
        if (*p == '.')
            pith_buf_puts(out, sep);
        else
            pith_buf_putc(out, *p);
    }
}

static void node_id(struct pith_buf *out, const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    const char *path = q_symbol_path(ix, id);
    int tf;
    const struct test_lang *l = sym_lang(ix, id, &tf);
    const char *qn = pith_index_str(ix, s->qualname);
    switch (l ? l->runner : RUN_PYTEST) {
    case RUN_PYTEST:
        pith_buf_printf(out, "%s::", path);
        local_name(out, qn, "::");
        break;
    case RUN_GO:
    case RUN_JEST:
        pith_buf_printf(out, "%s:%s", path, pith_index_str(ix, s->name));
        break;
    case RUN_CARGO:
        local_name(out, qn, "::");
        break;
    case RUN_JUNIT:
        local_name(out, qn, "#");
        break;
    }
}

void q_tests_node_ids(struct pith_buf *out,
                      const struct pith_index *ix,
                      const q_idvec *tests,
                      int json)
{
    struct pith_buf one = PITH_BUF_INIT;
    if (json)
        pith_buf_putc(out, '[');
    for (size_t i = 0; i < tests->count; i++) {
        pith_buf_clear(&one);
        node_id(&one, ix, tests->items[i]);
        if (json) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_put_json_str(out, one.ptr);
        } else {
            pith_buf_printf(out, "  %s\n", one.ptr);
        }
    }
    if (json)
        pith_buf_putc(out, ']');
    pith_buf_release(&one);
}

/* Appends `s` quoted for a POSIX shell when it holds anything but [A-Za-z0-9_./:=@%+,-]. */
static void shell_word(struct pith_buf *out, const char *s)
{
    if (*s &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-") ==
            strlen(s)) {
        pith_buf_puts(out, s);
        return;
    }
    pith_buf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            pith_buf_puts(out, "'\\''");
        else
            pith_buf_putc(out, *s);
    }
    pith_buf_putc(out, '\'');
}

void q_tests_commands(struct pith_buf *out, const struct pith_index *ix, const q_idvec *tests)
{
    struct pith_buf one = PITH_BUF_INIT, unit = PITH_BUF_INIT;
    for (int r = RUN_PYTEST; r <= RUN_JEST; r++) {
        struct pith_buf line = PITH_BUF_INIT;
        size_t n = 0;
        const char *go_dir = NULL;
        for (size_t i = 0; i < tests->count; i++) {
            uint32_t id = tests->items[i];
            int tf;
            const struct test_lang *l = sym_lang(ix, id, &tf);
            if (!l || (int)l->runner != r)
                continue;
            const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
            pith_buf_clear(&one);
            switch (l->runner) {
            case RUN_PYTEST:
                node_id(&one, ix, id);
                pith_buf_puts(&line, n ? " " : "python3 -m pytest ");
                shell_word(&line, one.ptr);
                /* unittest can run methods of TestCase classes by dotted name */
                if (s->kind == 4 && derives_from_test_base(ix, l, s->parent, 4)) {
                    const struct pith_disk_file *f = pith_index_file(ix, s->file);
                    pith_buf_clear(&one);
                    pith_buf_puts(&one, pith_index_str(ix, f->module));
                    pith_buf_putc(&one, '.');
                    local_name(&one, pith_index_str(ix, s->qualname), ".");
                    pith_buf_puts(&unit, unit.len ? " " : "python3 -m unittest ");
                    shell_word(&unit, one.ptr);
                }
                break;
            case RUN_GO: {
                /* one command per package directory: the first test's */
                const char *path = q_symbol_path(ix, id);
                const char *slash = strrchr(path, '/');
                if (!go_dir)
                    go_dir = path;
                const char *gslash = strrchr(go_dir, '/');
                size_t dl = slash ? (size_t)(slash - path) : 0;
                size_t gl = gslash ? (size_t)(gslash - go_dir) : 0;
                if (dl != gl || memcmp(path, go_dir, dl) != 0)
                    continue;
                pith_buf_puts(&line, n ? "|" : "go test -run '^(");
                pith_buf_puts(&line, pith_index_str(ix, s->name));
                break;
            }
            case RUN_CARGO:
                node_id(&one, ix, id);
                pith_buf_puts(&line, n ? "; cargo test " : "cargo test ");
                shell_word(&line, one.ptr);
                pith_buf_puts(&line, " -- --exact");
                break;
            case RUN_JUNIT:
                node_id(&one, ix, id);
                pith_buf_puts(&line, n ? "," : "mvn test -Dtest=");
                pith_buf_puts(&line, one.ptr);
                break;
            case RUN_JEST:
                pith_buf_puts(&line, n ? "; npx jest " : "npx jest ");
                shell_word(&line, q_symbol_path(ix, id));
                pith_buf_puts(&line, " -t ");
                shell_word(&line, pith_index_str(ix, s->name));
                break;
            }
            n++;
        }
        if (n && r == RUN_GO) {
            const char *slash = strrchr(go_dir, '/');
            pith_buf_printf(&line, ")$' ./%.*s", slash ? (int)(slash - go_dir) : 0, go_dir);
        }
        if (n) {
            pith_buf_put(out, line.ptr, line.len);
            pith_buf_putc(out, '\n');
        }
        if (r == RUN_PYTEST && unit.len) {
            pith_buf_put(out, unit.ptr, unit.len);
            pith_buf_putc(out, '\n');
        }
        pith_buf_release(&line);
    }
    pith_buf_release(&one);
    pith_buf_release(&unit);
}
