/* The query engine (serve stage): query parsing, name resolution and the graph operations
 * (symbol, callers, callees, impact) over a mapped index. Search lives in query_search.c.
 * Everything is written into a struct pith_buf; nothing here prints. */
#include "serve/query.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "schemas/record.pb-c.h"
#include "serve/flow_query.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"
#include "serve/vsearch.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small maps ---------------------------------------------------------------------------- */

void qmap_init(struct qmap *m)
{
    memset(m, 0, sizeof *m);
}

void qmap_release(struct qmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t qmap_slot(uint32_t key, size_t cap)
{
    return (size_t)((key * 2654435761u) ^ (key >> 16)) & (cap - 1);
}

int qmap_get(const struct qmap *m, uint32_t key, uint32_t *out)
{
    assert(key != 0);
    if (!m->cap)
        return 0;
    for (size_t i = qmap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            *out = m->vals[i];
            return 1;
        }
        if (m->keys[i] == 0)
            return 0;
    }
}

static void qmap_insert(struct qmap *m, uint32_t key, uint32_t val)
{
    size_t i = qmap_slot(key, m->cap);
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (m->keys[i] == 0)
        m->count++;
    m->keys[i] = key;
    m->vals[i] = val;
}

void qmap_put(struct qmap *m, uint32_t key, uint32_t val)
{
    assert(key != 0);
    if ((m->count + 1) * 2 > m->cap) {
        struct qmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = pith_xcalloc(m->cap, sizeof *m->keys);
        m->vals = pith_xcalloc(m->cap, sizeof *m->vals);
        m->count = 0;
        for (size_t i = 0; i < old.cap; i++) {
            if (old.keys[i])
                qmap_insert(m, old.keys[i], old.vals[i]);
        }
        free(old.keys);
        free(old.vals);
    }
    qmap_insert(m, key, val);
}

/* ---- names and pure helpers ---------------------------------------------------------------- */

static const char *const op_names[] = { "",         "symbol",      "callers", "callees",
                                        "impact",   "search",      "summary", "context",
                                        "overview", "diff-impact", "dead",    "path",
                                        "cycles",   "cfg",         "dfg",     "slice" };

const char *query_op_name(enum query_op op)
{
    if ((unsigned)op >= sizeof op_names / sizeof *op_names)
        return "";
    return op_names[op];
}

const char *query_symbol_kind_name(uint32_t kind)
{
    static const char *const names[] = { "none",   "module", "class", "function",
                                         "method", "nested", "lambda" };
    return kind < sizeof names / sizeof *names ? names[kind] : "?";
}

const char *query_edge_kind_name(uint32_t kind)
{
    static const char *const names[] = { "none",       "direct",      "import",    "method",
                                         "inherited",  "constructor", "ambiguous", "external",
                                         "unresolved", "virtual",     "indirect" };
    return kind < sizeof names / sizeof *names ? names[kind] : "?";
}

/* 1 when `q` equals `s` or is a suffix of it starting right after one of `seps`. */
static int suffix_match(const char *s, size_t slen, const char *q, size_t qlen, const char *seps)
{
    if (qlen == 0 || qlen > slen)
        return 0;
    if (memcmp(s + slen - qlen, q, qlen) != 0)
        return 0;
    return qlen == slen || strchr(seps, s[slen - qlen - 1]) != NULL;
}

int query_name_matches(const char *qualname, const char *module, const char *query)
{
    size_t qlen = strlen(query);
    if (suffix_match(qualname, strlen(qualname), query, qlen, ":/."))
        return 1;
    if (!module || !*module)
        return 0;
    /* the dotted form: module + "." + the part after ':' (the module itself when none) */
    const char *colon = strchr(qualname, ':');
    struct pith_buf dotted = PITH_BUF_INIT;
    pith_buf_puts(&dotted, module);
    if (colon) {
        pith_buf_putc(&dotted, '.');
        pith_buf_puts(&dotted, colon + 1);
    }
    int ok = suffix_match(dotted.ptr, dotted.len, query, qlen, ".");
    pith_buf_release(&dotted);
    return ok;
}

int query_is_test(const char *name, const char *path)
{
    if (name && strncmp(name, "test", 4) == 0)
        return 1;
    if (!path)
        return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t blen = strlen(base);
    if (blen > 3 && strcmp(base + blen - 3, ".py") == 0) {
        if (strncmp(base, "test_", 5) == 0)
            return 1;
        if (blen >= 8 && strcmp(base + blen - 8, "_test.py") == 0)
            return 1;
    }
    for (const char *p = path; p < base;) {
        const char *slash = strchr(p, '/');
        size_t n = (size_t)(slash - p);
        if ((n == 5 && memcmp(p, "tests", 5) == 0) || (n == 4 && memcmp(p, "test", 4) == 0))
            return 1;
        p = slash + 1;
    }
    return 0;
}

void query_doc_summary(struct pith_buf *out, const char *doc, size_t max)
{
    const char *p = doc;
    size_t start = out->len, written = 0;
    int space = 0, newlines = 0;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    for (; *p; p++) {
        if (*p == '\n') {
            if (++newlines >= 2)
                break; /* blank line: end of the first paragraph */
            space = 1;
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\r') {
            space = 1;
            continue;
        }
        if (newlines && !space)
            space = 1;
        newlines = 0;
        if (space && written) {
            pith_buf_putc(out, ' ');
            written++;
        }
        space = 0;
        pith_buf_putc(out, *p);
        written++;
    }
    if (max && written > max) {
        /* cut at the last space that leaves room for "..." */
        size_t cut = max > 3 ? max - 3 : 0;
        while (cut > 0 && out->ptr[start + cut] != ' ')
            cut--;
        if (cut == 0)
            cut = max > 3 ? max - 3 : 0;
        out->len = start + cut;
        out->ptr[out->len] = '\0';
        pith_buf_puts(out, "...");
    }
}

/* ---- parsing ------------------------------------------------------------------------------- */

static int parse_uint(unsigned *out, const char *opt, const char *s, unsigned lo, unsigned hi)
{
    char *end;
    if (!s || !*s || !isdigit((unsigned char)*s))
        return pith_error_set(PITH_EUSAGE, "%s needs a number, got '%s'", opt, s ? s : "");
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return pith_error_set(PITH_EUSAGE, "%s must be between %u and %u, got '%s'", opt, lo, hi,
                              s);
    *out = (unsigned)v;
    return 0;
}

int query_parse(struct query_req *out, int argc, char *const *argv)
{
    memset(out, 0, sizeof *out);
    if (argc < 1 || !argv[0])
        return pith_error_set(PITH_EUSAGE, "missing query operation");
    for (unsigned i = 1; i < sizeof op_names / sizeof *op_names; i++) {
        if (strcmp(argv[0], op_names[i]) == 0)
            out->op = (enum query_op)i;
    }
    if (out->op == QUERY_NONE)
        return pith_error_set(
            PITH_EUSAGE,
            "unknown query operation '%s' (symbol, callers, callees, "
            "impact, search, summary, context, overview, diff-impact, dead, path, "
            "cycles, cfg, dfg, slice)",
            argv[0]);
    if (out->op >= QUERY_CFG)
        return q_flow_parse(out, argc, argv);
    if (out->op >= QUERY_CONTEXT)
        return q_parse_ext(out, argc, argv);
    int depth_ok = out->op == QUERY_CALLERS || out->op == QUERY_CALLEES || out->op == QUERY_IMPACT;
    int have_depth = 0, have_k = 0, options = 1;
    size_t words = 0, len = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int err;
        if (options && a[0] == '-' && a[1] != '\0') {
            const char *val = NULL;
            if (strcmp(a, "--") == 0) {
                options = 0;
                continue;
            }
            if (strcmp(a, "--json") == 0) {
                out->json = 1;
                continue;
            }
            if (strcmp(a, "--mode") == 0 || strncmp(a, "--mode=", 7) == 0) {
                const char *m = a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : "";
                if (out->op != QUERY_SEARCH)
                    return pith_error_set(PITH_EUSAGE, "--mode applies to search only");
                out->mode = vsearch_mode_parse(m);
                if (out->mode < 0)
                    return pith_error_set(PITH_EUSAGE,
                                          "--mode takes lexical, vector or fused, not '%s'", m);
                continue;
            }
            if (strcmp(a, "--exact") == 0) {
                if (out->op != QUERY_SEARCH)
                    return pith_error_set(PITH_EUSAGE, "--exact applies to search only");
                out->exact = 1;
                continue;
            }
            if (strcmp(a, "--vector-weight") == 0) {
                const char *w = i + 1 < argc ? argv[++i] : "";
                char *end;
                if (out->op != QUERY_SEARCH)
                    return pith_error_set(PITH_EUSAGE, "--vector-weight applies to search only");
                out->weight = strtod(w, &end);
                if (!*w || *end || !(out->weight >= 0.0 && out->weight <= 100.0))
                    return pith_error_set(
                        PITH_EUSAGE, "--vector-weight takes a number from 0 to 100, not '%s'", w);
                out->has_weight = 1;
                continue;
            }
            if (strcmp(a, "--dot") == 0) {
                if (!depth_ok)
                    return pith_error_set(PITH_EUSAGE, "--dot applies to callers, callees, "
                                                       "impact, path and cycles only");
                out->dot = 1;
                continue;
            }
            if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
                if (i + 1 >= argc)
                    return pith_error_set(PITH_EUSAGE, "%s needs a path", a);
                out->index = argv[++i];
                continue;
            }
            if (strncmp(a, "--depth=", 8) == 0) {
                val = a + 8;
            } else if (strcmp(a, "--depth") == 0 || strcmp(a, "-d") == 0) {
                val = i + 1 < argc ? argv[++i] : NULL;
            } else if (strcmp(a, "-k") == 0) {
                if (out->op != QUERY_SEARCH)
                    return pith_error_set(PITH_EUSAGE, "-k applies to search only");
                err = parse_uint(&out->k, "-k", i + 1 < argc ? argv[++i] : NULL, 1, QUERY_K_MAX);
                if (err < 0)
                    return err;
                have_k = 1;
                continue;
            } else if (strncmp(a, "-k", 2) == 0 && isdigit((unsigned char)a[2])) {
                if (out->op != QUERY_SEARCH)
                    return pith_error_set(PITH_EUSAGE, "-k applies to search only");
                err = parse_uint(&out->k, "-k", a + 2, 1, QUERY_K_MAX);
                if (err < 0)
                    return err;
                have_k = 1;
                continue;
            } else {
                return pith_error_set(PITH_EUSAGE, "unknown option '%s' for %s", a, argv[0]);
            }
            if (!depth_ok)
                return pith_error_set(PITH_EUSAGE, "--depth applies to callers, callees and "
                                                   "impact only");
            err = parse_uint(&out->depth, "--depth", val, 1, QUERY_DEPTH_MAX);
            if (err < 0)
                return err;
            have_depth = 1;
            continue;
        }
        /* a positional word */
        if (out->op != QUERY_SEARCH && words == 1)
            return pith_error_set(PITH_EUSAGE, "%s takes one NAME, got '%s' and '%s'", argv[0],
                                  out->arg, a);
        size_t alen = strlen(a);
        if (len + (words ? 1 : 0) + alen + 1 > sizeof out->arg)
            return pith_error_set(PITH_EUSAGE, "query text longer than %d bytes",
                                  QUERY_ARG_MAX - 1);
        if (words)
            out->arg[len++] = ' ';
        memcpy(out->arg + len, a, alen + 1);
        len += alen;
        words++;
    }
    if (words == 0 || out->arg[0] == '\0')
        return pith_error_set(PITH_EUSAGE, "%s needs %s", argv[0],
                              out->op == QUERY_SEARCH ? "TEXT" : "a NAME");
    if (!have_depth)
        out->depth = out->op == QUERY_IMPACT ? QUERY_DEPTH_MAX : 1;
    if (!have_k)
        out->k = QUERY_K_DEFAULT;
    out->budget = QUERY_BUDGET_DEFAULT;
    return 0;
}

/* ---- output helpers ------------------------------------------------------------------------ */

void q_json_conf(struct pith_buf *out, uint32_t per_mille)
{
    if (per_mille >= 1000) {
        pith_buf_puts(out, "1");
        return;
    }
    char digits[8];
    snprintf(digits, sizeof digits, "%03u", per_mille);
    size_t n = 3;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    if (per_mille == 0)
        pith_buf_puts(out, "0");
    else
        pith_buf_printf(out, "0.%s", digits);
}

static void text_conf(struct pith_buf *out, uint32_t per_mille)
{
    pith_buf_printf(out, "%.2f", per_mille / 1000.0);
}

const char *q_symbol_path(const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    if (!s || !s->file)
        return "";
    const struct pith_disk_file *f = pith_index_file(ix, s->file);
    return f ? pith_index_str(ix, f->path) : "";
}

static const char *symbol_module(const struct pith_index *ix, const struct pith_disk_symbol *s)
{
    const struct pith_disk_file *f = s->file ? pith_index_file(ix, s->file) : NULL;
    return f ? pith_index_str(ix, f->module) : "";
}

void q_json_symbol(struct pith_buf *out, const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    pith_buf_printf(out, "{\"id\":%u,\"qualname\":", id);
    pith_buf_put_json_str(out, pith_index_str(ix, s->qualname));
    pith_buf_puts(out, ",\"name\":");
    pith_buf_put_json_str(out, pith_index_str(ix, s->name));
    pith_buf_puts(out, ",\"kind\":");
    pith_buf_put_json_str(out, query_symbol_kind_name(s->kind));
    pith_buf_puts(out, ",\"file\":");
    pith_buf_put_json_str(out, q_symbol_path(ix, id));
    pith_buf_printf(out, ",\"line\":%u,\"end_line\":%u}", s->start_line, s->end_line);
}

/* "qualname  path:line" for text answers. */
static void text_symbol_ref(struct pith_buf *out, const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    pith_buf_printf(out, "%s  (%s, %s:%u)", pith_index_str(ix, s->qualname),
                    query_symbol_kind_name(s->kind), q_symbol_path(ix, id), s->start_line);
}

static Pith__SymbolRecord *record_load(const struct pith_index *ix, uint32_t id, int *err)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    *err = pith_index_record(ix, id, &raw, &len);
    if (*err < 0)
        return NULL;
    Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
    free(raw);
    if (!rec)
        *err = PITH_CORRUPT("record of symbol %u does not decode", id);
    return rec;
}

int q_doc_summary_of(struct pith_buf *out, const struct pith_index *ix, uint32_t id, size_t max)
{
    int err;
    Pith__SymbolRecord *rec = record_load(ix, id, &err);
    if (!rec)
        return err;
    if (rec->docstring)
        query_doc_summary(out, rec->docstring, max);
    pith__symbol_record__free_unpacked(rec, NULL);
    return 0;
}

/* ---- name resolution ----------------------------------------------------------------------- */

typedef PITH_VEC(uint32_t) idvec;

/* The last component of a (partial) qualified name: after the last ':' or '.'. */
static const char *last_component(const char *name)
{
    const char *last = name;
    for (const char *p = name; *p; p++) {
        if ((*p == ':' || *p == '.') && p[1])
            last = p + 1;
    }
    return last;
}

/* The NAME section as an array of symbol ids sorted by (name, qualname). */
static const uint32_t *name_section(const struct pith_index *ix, size_t *count)
{
    size_t len = 0;
    const unsigned char *sec = pith_index_section(ix, PITH_SEC_NAME, &len);
    *count = sec ? len / sizeof(uint32_t) : 0;
    return (const uint32_t *)(const void *)sec;
}

static const char *name_of(const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s =
        id && id <= pith_index_symbol_count(ix) ? pith_index_symbol(ix, id) : NULL;
    return s ? pith_index_str(ix, s->name) : "";
}

/* Up to `max` qualnames of symbols whose name starts with the longest prefix of `key` (down to
 * 2 bytes) that has any; binary search over the NAME section, O(log n + max). */
static void suggest(idvec *out, const struct pith_index *ix, const char *key, size_t max)
{
    size_t count;
    const uint32_t *ids = name_section(ix, &count);
    size_t klen = strlen(key);
    if (!ids || count == 0)
        return;
    for (size_t plen = klen; plen >= 2 && out->count == 0; plen--) {
        size_t lo = 0, hi = count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strncmp(name_of(ix, ids[mid]), key, plen) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < count && out->count < max; i++) {
            if (strncmp(name_of(ix, ids[i]), key, plen) != 0)
                break;
            if (ids[i])
                pith_vec_push(out, ids[i]);
        }
    }
}

/* Fills `out` with the symbols `name` denotes, sorted by qualname. Sets *exact when `name` is
 * an exact qualified name. */
static void resolve(idvec *out, const struct pith_index *ix, const char *name, int *exact)
{
    *exact = 0;
    uint32_t id = pith_index_find_qualname(ix, name);
    if (id) {
        pith_vec_push(out, id);
        *exact = 1;
        return;
    }
    const char *last = last_component(name);
    const uint32_t *ids = NULL;
    size_t n = pith_index_find_name(ix, last, &ids);
    for (size_t i = 0; i < n; i++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, ids[i]);
        if (last == name ||
            query_name_matches(pith_index_str(ix, s->qualname), symbol_module(ix, s), name))
            pith_vec_push(out, ids[i]);
    }
}

static int not_found(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    idvec sugg = { 0 };
    struct pith_buf msg = PITH_BUF_INIT;
    suggest(&sugg, ix, last_component(req->arg), QUERY_SUGGEST_MAX);
    pith_buf_printf(&msg, "no symbol named '%s'", req->arg);
    for (size_t i = 0; i < sugg.count; i++)
        pith_buf_printf(&msg, "%s%s", i ? ", " : "; did you mean ",
                        pith_index_str(ix, pith_index_symbol(ix, sugg.items[i])->qualname));
    if (sugg.count)
        pith_buf_puts(&msg, "?");
    if (req->json) {
        pith_buf_printf(out, "{\"op\":\"%s\",\"query\":", query_op_name(req->op));
        pith_buf_put_json_str(out, req->arg);
        pith_buf_puts(out, ",\"error\":\"not_found\",\"message\":");
        pith_buf_put_json_str(out, msg.ptr);
        pith_buf_puts(out, ",\"suggestions\":[");
        for (size_t i = 0; i < sugg.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            q_json_symbol(out, ix, sugg.items[i]);
        }
        pith_buf_puts(out, "]}\n");
    }
    int err = pith_error_set(PITH_ENOTFOUND, "%s", msg.ptr);
    pith_buf_release(&msg);
    pith_vec_release(&sugg);
    return err;
}

static int ambiguous(struct pith_buf *out,
                     const struct pith_index *ix,
                     const struct query_req *req,
                     const idvec *ids);

int q_resolve_one(struct pith_buf *out,
                  const struct pith_index *ix,
                  const struct query_req *req,
                  const char *name,
                  uint32_t *id)
{
    idvec ids = { 0 };
    int exact, err = 0;
    struct query_req *r = pith_xmalloc(sizeof *r);
    *r = *req;
    snprintf(r->arg, sizeof r->arg, "%s", name);
    resolve(&ids, ix, name, &exact);
    if (ids.count == 0)
        err = not_found(out, ix, r);
    else if (ids.count > 1)
        err = ambiguous(out, ix, r, &ids);
    else
        *id = ids.items[0];
    free(r);
    pith_vec_release(&ids);
    return err;
}

static int ambiguous(struct pith_buf *out,
                     const struct pith_index *ix,
                     const struct query_req *req,
                     const idvec *ids)
{
    size_t shown = ids->count < QUERY_CANDIDATES_MAX ? ids->count : QUERY_CANDIDATES_MAX;
    if (req->json) {
        pith_buf_printf(out, "{\"op\":\"%s\",\"query\":", query_op_name(req->op));
        pith_buf_put_json_str(out, req->arg);
        pith_buf_printf(out, ",\"error\":\"ambiguous\",\"count\":%zu,\"candidates\":[", ids->count);
        for (size_t i = 0; i < shown; i++) {
            if (i)
                pith_buf_putc(out, ',');
            q_json_symbol(out, ix, ids->items[i]);
        }
        pith_buf_puts(out, "]}\n");
    } else {
        pith_buf_printf(out, "%zu symbols match '%s':\n", ids->count, req->arg);
        for (size_t i = 0; i < shown; i++) {
            pith_buf_puts(out, "  ");
            text_symbol_ref(out, ix, ids->items[i]);
            pith_buf_putc(out, '\n');
        }
        if (shown < ids->count)
            pith_buf_printf(out, "  ... and %zu more; qualify the name\n", ids->count - shown);
    }
    return pith_error_set(PITH_EAMBIGUOUS, "%zu symbols match '%s'; give a qualified name",
                          ids->count, req->arg);
}

/* ---- symbol -------------------------------------------------------------------------------- */

struct edge_counts {
    size_t caller_sites, caller_symbols;
    size_t callee_sites, resolved, external, unresolved;
};

static void count_edges(struct edge_counts *c, const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_edge *e;
    memset(c, 0, sizeof *c);
    c->caller_sites = pith_index_callers(ix, id, &e);
    /* CALR is ordered by caller: distinct callers are the runs */
    for (size_t i = 0; i < c->caller_sites; i++) {
        if (i == 0 || e[i].other != e[i - 1].other)
            c->caller_symbols++;
    }
    c->callee_sites = pith_index_callees(ix, id, &e);
    for (size_t i = 0; i < c->callee_sites; i++) {
        if (e[i].other)
            c->resolved++;
        else if (e[i].kind == 7 /* EDGE_EXTERNAL */)
            c->external++;
        else
            c->unresolved++;
    }
}

/* summary NAME: the text pith-embed wrote for the symbol (its description, the part the
 * embedder saw, then the structured layers); refused for a symbol without one. */
static int op_summary(struct pith_buf *out,
                      const struct pith_index *ix,
                      const struct query_req *req,
                      uint32_t id)
{
    int err;
    Pith__SymbolRecord *rec = record_load(ix, id, &err);
    if (!rec)
        return err;
    const char *qualname = pith_index_str(ix, pith_index_symbol(ix, id)->qualname);
    if (!rec->summary || !rec->summary[0]) {
        pith__symbol_record__free_unpacked(rec, NULL);
        return pith_error_set(PITH_ENOTFOUND,
                              "%s has no summary (modules and lambdas get none; an index "
                              "built without pith-embed has none)",
                              qualname);
    }
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"summary\",\"query\":");
        pith_buf_put_json_str(out, req->arg);
        pith_buf_puts(out, ",\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_puts(out, ",\"summary\":");
        pith_buf_put_json_str(out, rec->summary);
        pith_buf_puts(out, "}\n");
    } else {
        pith_buf_printf(out, "%s\n%s\n", qualname, rec->summary);
    }
    pith__symbol_record__free_unpacked(rec, NULL);
    return 0;
}

static int op_symbol(struct pith_buf *out,
                     const struct pith_index *ix,
                     const struct query_req *req,
                     uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    struct edge_counts c;
    int err;
    Pith__SymbolRecord *rec = record_load(ix, id, &err);
    if (!rec)
        return err;
    count_edges(&c, ix, id);
    struct pith_buf doc = PITH_BUF_INIT;
    query_doc_summary(&doc, rec->docstring ? rec->docstring : "", 0);
    const char *sig = pith_index_str(ix, s->signature);
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"symbol\",\"query\":");
        pith_buf_put_json_str(out, req->arg);
        pith_buf_puts(out, ",\"symbol\":");
        q_json_symbol(out, ix, id);
        out->len--; /* reopen the object */
        pith_buf_puts(out, ",\"signature\":");
        pith_buf_put_json_str(out, sig);
        pith_buf_puts(out, ",\"decorators\":[");
        for (size_t i = 0; i < rec->n_decorators; i++) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_put_json_str(out, rec->decorators[i]);
        }
        pith_buf_puts(out, "],\"docstring\":");
        pith_buf_put_json_str(out, doc.len ? doc.ptr : "");
        pith_buf_printf(out, ",\"is_async\":%s,\"test\":%s", rec->is_async ? "true" : "false",
                        query_is_test(pith_index_str(ix, s->name), q_symbol_path(ix, id)) ||
                                (s->flags & PITH_SYMF_TEST)
                            ? "true"
                            : "false");
        pith_buf_puts(out, ",\"parent\":");
        if (s->parent)
            pith_buf_put_json_str(out,
                                  pith_index_str(ix, pith_index_symbol(ix, s->parent)->qualname));
        else
            pith_buf_puts(out, "null");
        pith_buf_printf(out,
                        ",\"callers\":{\"sites\":%zu,\"symbols\":%zu},"
                        "\"callees\":{\"sites\":%zu,\"resolved\":%zu,\"external\":%zu,"
                        "\"unresolved\":%zu}}}\n",
                        c.caller_sites, c.caller_symbols, c.callee_sites, c.resolved, c.external,
                        c.unresolved);
    } else {
        pith_buf_printf(out, "%s\n", pith_index_str(ix, s->qualname));
        pith_buf_printf(out, "  kind:       %s%s\n", query_symbol_kind_name(s->kind),
                        rec->is_async ? " (async)" : "");
        pith_buf_printf(out, "  location:   %s:%u-%u\n", q_symbol_path(ix, id), s->start_line,
                        s->end_line);
        if (*sig)
            pith_buf_printf(out, "  signature:  %s\n", sig);
        if (rec->n_decorators) {
            pith_buf_puts(out, "  decorators:");
            for (size_t i = 0; i < rec->n_decorators; i++)
                pith_buf_printf(out, " @%s", rec->decorators[i]);
            pith_buf_putc(out, '\n');
        }
        if (s->parent)
            pith_buf_printf(out, "  parent:     %s\n",
                            pith_index_str(ix, pith_index_symbol(ix, s->parent)->qualname));
        if (doc.len)
            pith_buf_printf(out, "  doc:        %s\n", doc.ptr);
        pith_buf_printf(out, "  callers:    %zu call sites from %zu symbols\n", c.caller_sites,
                        c.caller_symbols);
        pith_buf_printf(out,
                        "  callees:    %zu call sites (%zu resolved, %zu external, %zu "
                        "unresolved)\n",
                        c.callee_sites, c.resolved, c.external, c.unresolved);
    }
    pith_buf_release(&doc);
    pith__symbol_record__free_unpacked(rec, NULL);
    return 0;
}

/* ---- callers / callees ----------------------------------------------------------------------- */

struct walk_entry {
    uint32_t depth;
    uint32_t via;   /* the symbol of the previous level this edge touches */
    uint32_t other; /* the symbol found (0: external or unresolved callee) */
    const struct pith_disk_edge *edge;
};

typedef PITH_VEC(struct walk_entry) walkvec;

/* Breadth-first walk over CALR (callers) or CALE (callees) from `root`, `depth` levels. Each
 * symbol is reached at one level only; every edge into it from the previous level is listed.
 * Returns 1 when the walk stopped at QUERY_ENTRIES_MAX entries. */
static int
walk(walkvec *out, const struct pith_index *ix, uint32_t root, unsigned depth, int callers)
{
    struct qmap level;
    idvec frontier = { 0 }, next = { 0 };
    int truncated = 0;
    qmap_init(&level);
    qmap_put(&level, root, 0);
    pith_vec_push(&frontier, root);
    for (uint32_t d = 1; d <= depth && frontier.count && !truncated; d++) {
        next.count = 0;
        for (size_t f = 0; f < frontier.count && !truncated; f++) {
            const struct pith_disk_edge *e;
            uint32_t from = frontier.items[f];
            size_t n =
                callers ? pith_index_callers(ix, from, &e) : pith_index_callees(ix, from, &e);
            for (size_t i = 0; i < n; i++) {
                uint32_t seen;
                uint32_t other = e[i].other;
                if (other) {
                    int known = qmap_get(&level, other, &seen);
                    /* recursion into the root is shown at level 1 only */
                    if (known && seen != d && !(other == root && d == 1))
                        continue;
                    if (!known) {
                        qmap_put(&level, other, d);
                        pith_vec_push(&next, other);
                    }
                }
                if (out->count >= QUERY_ENTRIES_MAX) {
                    truncated = 1;
                    break;
                }
                struct walk_entry we = { d, from, other, &e[i] };
                pith_vec_push(out, we);
            }
        }
        idvec tmp = frontier;
        frontier = next;
        next = tmp;
    }
    pith_vec_release(&frontier);
    pith_vec_release(&next);
    qmap_release(&level);
    return truncated;
}

static void json_edge(struct pith_buf *out,
                      const struct pith_index *ix,
                      const struct walk_entry *w,
                      int callers)
{
    const struct pith_disk_edge *e = w->edge;
    uint32_t caller = callers ? w->other : w->via;
    uint32_t callee = callers ? w->via : w->other;
    pith_buf_printf(out, "{\"depth\":%u,\"caller\":", w->depth);
    pith_buf_put_json_str(out, pith_index_str(ix, pith_index_symbol(ix, caller)->qualname));
    pith_buf_puts(out, ",\"callee\":");
    if (callee)
        pith_buf_put_json_str(out, pith_index_str(ix, pith_index_symbol(ix, callee)->qualname));
    else
        pith_buf_puts(out, "null");
    pith_buf_puts(out, ",\"name\":");
    pith_buf_put_json_str(out, pith_index_str(ix, e->name));
    pith_buf_puts(out, ",\"file\":");
    pith_buf_put_json_str(out, q_symbol_path(ix, caller));
    pith_buf_printf(out, ",\"line\":%u,\"col\":%u,\"kind\":", e->line, e->col);
    pith_buf_put_json_str(out, query_edge_kind_name(e->kind));
    pith_buf_puts(out, ",\"confidence\":");
    q_json_conf(out, e->confidence);
    pith_buf_puts(out, ",\"reason\":");
    pith_buf_put_json_str(out, pith_index_str(ix, e->reason));
    if (w->other) {
        const struct pith_disk_symbol *o = pith_index_symbol(ix, w->other);
        pith_buf_puts(out, ",\"other_file\":");
        pith_buf_put_json_str(out, q_symbol_path(ix, w->other));
        pith_buf_printf(out, ",\"other_line\":%u", o->start_line);
    }
    pith_buf_putc(out, '}');
}

static void text_edge(struct pith_buf *out,
                      const struct pith_index *ix,
                      const struct walk_entry *w,
                      int callers,
                      uint32_t root)
{
    const struct pith_disk_edge *e = w->edge;
    uint32_t caller = callers ? w->other : w->via;
    const char *reason = pith_index_str(ix, e->reason);
    pith_buf_printf(out, "  %s ", callers ? "<-" : "->");
    if (w->other) {
        pith_buf_puts(out, pith_index_str(ix, pith_index_symbol(ix, w->other)->qualname));
        pith_buf_printf(out, "  at %s:%u  %s ", q_symbol_path(ix, caller), e->line,
                        query_edge_kind_name(e->kind));
        text_conf(out, e->confidence);
        if (*reason)
            pith_buf_printf(out, "  (%s)", reason);
    } else {
        /* external or unresolved: the call expression, what it is, where */
        pith_buf_printf(out, "%s (%s%s%s)  at %s:%u", pith_index_str(ix, e->name),
                        query_edge_kind_name(e->kind), *reason ? ": " : "", reason,
                        q_symbol_path(ix, caller), e->line);
    }
    if (w->via != root)
        pith_buf_printf(out, "  via %s",
                        pith_index_str(ix, pith_index_symbol(ix, w->via)->qualname));
    pith_buf_putc(out, '\n');
}

static void op_walk(struct pith_buf *out,
                    const struct pith_index *ix,
                    const struct query_req *req,
                    uint32_t id,
                    int callers)
{
    walkvec w = { 0 };
    int truncated = walk(&w, ix, id, req->depth, callers);
    struct qmap distinct;
    qmap_init(&distinct);
    for (size_t i = 0; i < w.count; i++) {
        if (w.items[i].other)
            qmap_put(&distinct, w.items[i].other, 1);
    }
    if (req->json) {
        pith_buf_puts(out, "{\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_puts(out, ",\"edges\":[");
        for (size_t i = 0; i < w.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            json_edge(out, ix, &w.items[i], callers);
        }
        pith_buf_printf(out, "],\"sites\":%zu,\"symbols\":%zu,\"truncated\":%s}", w.count,
                        distinct.count, truncated ? "true" : "false");
    } else {
        pith_buf_printf(out, "%s of ", callers ? "callers" : "callees");
        text_symbol_ref(out, ix, id);
        pith_buf_puts(out, req->depth > 1 ? "" : "\n");
        if (req->depth > 1)
            pith_buf_printf(out, ", depth %u\n", req->depth);
        uint32_t shown = 0;
        for (size_t i = 0; i < w.count; i++) {
            if (req->depth > 1 && w.items[i].depth != shown) {
                shown = w.items[i].depth;
                pith_buf_printf(out, " depth %u:\n", shown);
            }
            text_edge(out, ix, &w.items[i], callers, id);
        }
        if (w.count == 0)
            pith_buf_printf(out, "  (no %s)\n", callers ? "callers" : "callees");
        pith_buf_printf(out, "  %zu call sites, %zu symbols%s\n", w.count, distinct.count,
                        truncated ? " (truncated)" : "");
    }
    qmap_release(&distinct);
    pith_vec_release(&w);
}

/* ---- impact -------------------------------------------------------------------------------- */

struct impact_entry {
    uint32_t id;
    uint32_t depth;
    uint32_t parent; /* index into the entries, or UINT32_MAX for the root */
    uint16_t kind;   /* edge kind from the parent */
    uint16_t conf;
    int test;
};

typedef PITH_VEC(struct impact_entry) impactvec;

struct file_count {
    const char *path;
    uint32_t count;
};

static int cmp_file_count(const void *a, const void *b)
{
    const struct file_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* The edge kinds from the root to entry `i`, outermost first, as "a > b" or a JSON array. */
static void impact_path(struct pith_buf *out, const impactvec *v, size_t i, int json)
{
    uint16_t kinds[QUERY_DEPTH_MAX + 1];
    size_t n = 0;
    for (uint32_t j = (uint32_t)i; j != UINT32_MAX && n <= QUERY_DEPTH_MAX; j = v->items[j].parent)
        kinds[n++] = v->items[j].kind;
    for (size_t k = 0; k < n; k++) {
        uint16_t kind = kinds[n - 1 - k];
        if (json) {
            pith_buf_puts(out, k ? ",\"" : "\"");
            pith_buf_puts(out, query_edge_kind_name(kind));
            pith_buf_putc(out, '"');
        } else {
            pith_buf_printf(out, "%s%s", k ? " > " : "", query_edge_kind_name(kind));
        }
    }
}

static void op_impact(struct pith_buf *out,
                      const struct pith_index *ix,
                      const struct query_req *req,
                      uint32_t id)
{
    impactvec v = { 0 };
    struct qmap seen, files;
    PITH_VEC(struct file_count) fc = { 0 };
    int truncated = 0;
    size_t tests = 0;
    uint32_t max_depth = 0;
    qmap_init(&seen);
    qmap_init(&files);
    qmap_put(&seen, id, 1);
    /* BFS: entries [head, tail) are the current level */
    size_t head = 0;
    for (size_t i = 0;; i++) {
        uint32_t from, d;
        uint32_t parent;
        if (i == 0) {
            from = id;
            d = 0;
            parent = UINT32_MAX;
        } else {
            if (head >= v.count)
                break;
            parent = (uint32_t)head;
            from = v.items[head].id;
            d = v.items[head].depth;
            head++;
        }
        if (d >= req->depth)
            continue;
        const struct pith_disk_edge *e;
        size_t n = pith_index_callers(ix, from, &e);
        for (size_t k = 0; k < n; k++) {
            uint32_t dummy;
            if (!e[k].other || qmap_get(&seen, e[k].other, &dummy))
                continue;
            if (v.count >= QUERY_ENTRIES_MAX) {
                truncated = 1;
                break;
            }
            qmap_put(&seen, e[k].other, 1);
            struct impact_entry ie = { e[k].other, d + 1, parent, e[k].kind, e[k].confidence, 0 };
            ie.test = q_test_role(ix, e[k].other) == Q_TEST_CASE;
            pith_vec_push(&v, ie);
        }
        if (truncated)
            break;
    }
    /* the tests: test cases reached within the depth, and those whose set-up code is */
    q_idvec tv = { 0 };
    int tests_truncated = 0;
    q_tests_affected(&tv, &tests_truncated, ix, &id, 1, req->depth);
    truncated |= tests_truncated;
    tests = tv.count;
    for (size_t i = 0; i < v.count; i++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, v.items[i].id);
        uint32_t slot;
        if (v.items[i].depth > max_depth)
            max_depth = v.items[i].depth;
        if (!s->file)
            continue;
        if (qmap_get(&files, s->file, &slot)) {
            fc.items[slot].count++;
        } else {
            struct file_count c = { q_symbol_path(ix, v.items[i].id), 1 };
            qmap_put(&files, s->file, (uint32_t)fc.count);
            pith_vec_push(&fc, c);
        }
    }
    if (fc.count)
        qsort(fc.items, fc.count, sizeof *fc.items, cmp_file_count);

    if (req->json) {
        pith_buf_puts(out, "{\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_puts(out, ",\"affected\":[");
        for (size_t i = 0; i < v.count; i++) {
            const struct impact_entry *ie = &v.items[i];
            uint32_t via = ie->parent == UINT32_MAX ? id : v.items[ie->parent].id;
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_printf(out, "{\"depth\":%u,\"symbol\":", ie->depth);
            q_json_symbol(out, ix, ie->id);
            pith_buf_puts(out, ",\"via\":");
            pith_buf_put_json_str(out, pith_index_str(ix, pith_index_symbol(ix, via)->qualname));
            pith_buf_puts(out, ",\"path\":[");
            impact_path(out, &v, i, 1);
            pith_buf_puts(out, "],\"confidence\":");
            q_json_conf(out, ie->conf);
            pith_buf_printf(out, ",\"test\":%s}", ie->test ? "true" : "false");
        }
        pith_buf_puts(out, "],\"files\":[");
        for (size_t i = 0; i < fc.count; i++) {
            pith_buf_puts(out, i ? ",{\"path\":" : "{\"path\":");
            pith_buf_put_json_str(out, fc.items[i].path);
            pith_buf_printf(out, ",\"count\":%u}", fc.items[i].count);
        }
        pith_buf_puts(out, "],\"tests\":[");
        for (size_t i = 0; i < tv.count; i++) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_put_json_str(out,
                                  pith_index_str(ix, pith_index_symbol(ix, tv.items[i])->qualname));
        }
        pith_buf_puts(out, "],\"test_ids\":");
        q_tests_node_ids(out, ix, &tv, 1);
        pith_buf_puts(out, ",\"test_command\":");
        struct pith_buf cmd = PITH_BUF_INIT;
        q_tests_commands(&cmd, ix, &tv);
        pith_buf_put_json_str(out, cmd.len ? cmd.ptr : "");
        pith_buf_release(&cmd);
        pith_buf_printf(out,
                        ",\"counts\":{\"symbols\":%zu,\"files\":%zu,\"tests\":%zu,"
                        "\"max_depth\":%u},\"truncated\":%s}",
                        v.count, fc.count, tests, max_depth, truncated ? "true" : "false");
    } else {
        pith_buf_puts(out, "impact of ");
        text_symbol_ref(out, ix, id);
        pith_buf_printf(out, "\n  %zu affected symbols in %zu files, %zu tests, max depth %u%s\n",
                        v.count, fc.count, tests, max_depth, truncated ? " (truncated)" : "");
        uint32_t shown = 0;
        for (size_t i = 0; i < v.count; i++) {
            const struct impact_entry *ie = &v.items[i];
            const struct pith_disk_symbol *s = pith_index_symbol(ix, ie->id);
            if (ie->depth != shown) {
                shown = ie->depth;
                pith_buf_printf(out, " depth %u:\n", shown);
            }
            pith_buf_printf(out, "  %s  %s:%u  [", pith_index_str(ix, s->qualname),
                            q_symbol_path(ix, ie->id), s->start_line);
            impact_path(out, &v, i, 0);
            pith_buf_printf(out, "]%s\n", ie->test ? "  test" : "");
        }
        if (fc.count) {
            pith_buf_puts(out, " affected files:\n");
            for (size_t i = 0; i < fc.count; i++)
                pith_buf_printf(out, "  %4u  %s\n", fc.items[i].count, fc.items[i].path);
        }
        if (tests) {
            pith_buf_puts(out, " affected tests:\n");
            for (size_t i = 0; i < tv.count; i++) {
                const struct pith_disk_symbol *s = pith_index_symbol(ix, tv.items[i]);
                pith_buf_printf(out, "  %s  %s:%u\n", pith_index_str(ix, s->qualname),
                                q_symbol_path(ix, tv.items[i]), s->start_line);
            }
            pith_buf_puts(out, " run them:\n");
            struct pith_buf cmd = PITH_BUF_INIT;
            q_tests_commands(&cmd, ix, &tv);
            for (const char *p = cmd.ptr, *nl; p && *p; p = nl + 1) {
                nl = strchr(p, '\n');
                pith_buf_printf(out, "  %.*s\n", (int)(nl - p), p);
            }
            pith_buf_release(&cmd);
        }
    }
    pith_vec_release(&tv);
    pith_vec_release(&fc);
    qmap_release(&files);
    qmap_release(&seen);
    pith_vec_release(&v);
}

/* ---- dispatch ------------------------------------------------------------------------------ */

int query_run(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    idvec ids = { 0 };
    int exact = 0, err = 0;
    if (req->op == QUERY_SEARCH)
        return q_search(out, ix, req->arg, req->k, req->mode | (req->exact ? VSEARCH_EXACT : 0),
                        req->has_weight ? req->weight : VSEARCH_W_VECTOR, req->json);
    if (req->op == QUERY_NONE)
        return pith_error_set(PITH_EUSAGE, "missing query operation");
    if (req->op >= QUERY_CFG)
        return q_flow_run(out, ix, req);
    if (req->op >= QUERY_CONTEXT)
        return q_run_ext(out, ix, req);

    resolve(&ids, ix, req->arg, &exact);
    if (ids.count == 0) {
        err = not_found(out, ix, req);
        goto out;
    }
    /* symbol needs one match; the graph operations answer for a few, grouped per symbol */
    if (ids.count > 1 &&
        (req->op == QUERY_SYMBOL || req->op == QUERY_SUMMARY || ids.count > QUERY_MULTI_MAX)) {
        err = ambiguous(out, ix, req, &ids);
        goto out;
    }
    if (req->op == QUERY_SYMBOL) {
        err = op_symbol(out, ix, req, ids.items[0]);
        goto out;
    }
    if (req->op == QUERY_SUMMARY) {
        err = op_summary(out, ix, req, ids.items[0]);
        goto out;
    }
    if (req->dot) {
        q_dot_walk(out, ix, req, ids.items, ids.count);
        goto out;
    }
    if (req->json) {
        pith_buf_printf(out, "{\"op\":\"%s\",\"query\":", query_op_name(req->op));
        pith_buf_put_json_str(out, req->arg);
        pith_buf_printf(out, ",\"depth\":%u,\"results\":[", req->depth);
    } else if (ids.count > 1) {
        pith_buf_printf(out, "%zu symbols match '%s'; answering for each:\n\n", ids.count,
                        req->arg);
    }
    for (size_t i = 0; i < ids.count; i++) {
        if (i)
            pith_buf_puts(out, req->json ? "," : "\n");
        if (req->op == QUERY_IMPACT)
            op_impact(out, ix, req, ids.items[i]);
        else
            op_walk(out, ix, req, ids.items[i], req->op == QUERY_CALLERS);
    }
    if (req->json)
        pith_buf_puts(out, "]}\n");
out:
    pith_vec_release(&ids);
    return err;
}
