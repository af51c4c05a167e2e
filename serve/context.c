/* `context NAME --budget T` (serve stage): what an agent needs to change NAME safely, ranked and
 * packed to fit T cl100k tokens, counted on the exact answer text with serve/bpe.c.
 *
 *   items ──rank──► greedy fill by estimated tokens ──render──► exact count ──► over? drop the
 *   lowest-ranked item and render again; the header states the exact count it belongs to.
 *
 * Ranks: 0 signature and parameters, 1 the first CODE_HEAD lines of the code, 2 each caller's
 * call line, 3 ambiguous call lines and each call's backward slice in its caller (the statements
 * it depends on), 4 each in-repo callee's signature and summary, 5 the
 * rest of the code, 6 external callees. Code lines are kept as a prefix; call lines are shown
 * grouped by file. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "schemas/manifest.pb-c.h"
#include "schemas/record.pb-c.h"
#include "serve/bpe.h"
#include "serve/flow_slice.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define CODE_HEAD     25
#define SOURCE_MAX    (16u << 20)
#define SUMMARY_MAX   100
#define LINE_TEXT_MAX 240
#define CONTEXT_ITEMS 20000

/* ---- reading sources under the repository root --------------------------------------------- */

int q_read_source(
    struct pith_buf *out, int *changed, const struct pith_index *ix, const char *rel, uint64_t hash)
{
    const Pith__Manifest *m = pith_index_manifest(ix);
    const char *root = m && m->repo_root ? m->repo_root : "";
    *changed = 0;
    if (!*root || !*rel || rel[0] == '/')
        return pith_error_set(PITH_ENOTFOUND, "no repository root for '%s'", rel);
    for (const char *p = rel; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return pith_error_set(PITH_ENOTFOUND, "'%s' leaves the repository", rel);
        p += n;
        if (*p == '/')
            p++;
    }
    char real_root[PATH_MAX], real_file[PATH_MAX];
    struct pith_buf path = PITH_BUF_INIT;
    int err = 0;
    pith_buf_printf(&path, "%s/%s", root, rel);
    if (!realpath(root, real_root) || !realpath(path.ptr, real_file)) {
        err = pith_error_set(PITH_ENOTFOUND, "%s is gone", path.ptr);
        goto out;
    }
    size_t rl = strlen(real_root);
    if (strncmp(real_file, real_root, rl) != 0 || (real_file[rl] != '/' && rl > 1)) {
        err = pith_error_set(PITH_ENOTFOUND, "%s resolves outside the repository", rel);
        goto out;
    }
    err = pith_file_read(out, real_file, SOURCE_MAX);
    if (err < 0)
        goto out;
    *changed = XXH3_64bits(out->ptr ? out->ptr : "", out->len) != hash;
out:
    pith_buf_release(&path);
    return err;
}

/* A cache of the source files one answer reads. */
struct src_file {
    uint32_t file;
    int status; /* 0 ok, 1 changed since indexing, 2 gone */
    struct pith_buf text;
    PITH_VEC(uint32_t) line_start; /* byte offset of each line (0-based index = line - 1) */
};

struct src_cache {
    PITH_VEC(struct src_file *) files;
};

static struct src_file *src_get(struct src_cache *c, const struct pith_index *ix, uint32_t file)
{
    for (size_t i = 0; i < c->files.count; i++) {
        if (c->files.items[i]->file == file)
            return c->files.items[i];
    }
    struct src_file *f = pith_xcalloc(1, sizeof *f);
    const struct pith_disk_file *df = pith_index_file(ix, file);
    int changed = 0;
    f->file = file;
    pith_buf_init(&f->text);
    if (!df ||
        q_read_source(&f->text, &changed, ix, pith_index_str(ix, df->path), df->content_hash) < 0)
        f->status = 2;
    else
        f->status = changed;
    if (f->status == 0) {
        pith_vec_push(&f->line_start, 0);
        for (size_t i = 0; i < f->text.len; i++) {
            if (f->text.ptr[i] == '\n' && i + 1 < f->text.len)
                pith_vec_push(&f->line_start, (uint32_t)(i + 1));
        }
    }
    pith_vec_push(&c->files, f);
    return f;
}

static void src_release(struct src_cache *c)
{
    for (size_t i = 0; i < c->files.count; i++) {
        pith_buf_release(&c->files.items[i]->text);
        pith_vec_release(&c->files.items[i]->line_start);
        free(c->files.items[i]);
    }
    pith_vec_release(&c->files);
}

/* Line `line` (1-based) of `f` without its newline; NULL when out of range or unreadable. */
static const char *src_line(const struct src_file *f, uint32_t line, size_t *len)
{
    if (f->status != 0 || line == 0 || line > f->line_start.count)
        return NULL;
    size_t a = f->line_start.items[line - 1];
    size_t b = line < f->line_start.count ? f->line_start.items[line] : f->text.len;
    while (b > a && (f->text.ptr[b - 1] == '\n' || f->text.ptr[b - 1] == '\r'))
        b--;
    *len = b - a;
    return f->text.ptr + a;
}

/* ---- items ----------------------------------------------------------------------------------- */

enum section { SEC_PARAMS, SEC_CODE, SEC_CALLERS, SEC_SLICE, SEC_CALLEES, SEC_EXTERNAL, SEC_COUNT };

static const char *const section_title[SEC_COUNT] = {
    "signature", "code",
    "callers",   "what each call depends on (backward slice in the caller)",
    "callees",   "external calls"
};
static const char *const section_json[SEC_COUNT] = { "signature", "code",    "callers",
                                                     "slice",     "callees", "external" };

struct item {
    enum section sec;
    int rank;
    uint32_t seq;  /* order within the section when rendered */
    uint32_t line; /* code items: the source line, for "omitted lines a-b" */
    char *text;    /* one or more lines, '\n'-terminated */
    char *json;    /* one JSON value */
    size_t tokens; /* of `text` or `json`, as the mode renders */
    int selected;
    int stop;      /* code item: lines after it follow only if it is selected */
    uint32_t file; /* caller items: the caller's file (callers render grouped by file) */
};

typedef PITH_VEC(struct item) itemvec;

static void item_add(itemvec *v,
                     enum section sec,
                     int rank,
                     uint32_t line,
                     struct pith_buf *text,
                     struct pith_buf *json)
{
    struct item it = { sec, rank, (uint32_t)v->count, line, NULL, NULL, 0, 0, sec == SEC_CODE, 0 };
    it.text = pith_buf_detach(text, NULL);
    it.json = pith_buf_detach(json, NULL);
    pith_vec_push(v, it);
}

static void put_trimmed(struct pith_buf *out, const char *s, size_t n, size_t max)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    if (n > max) {
        pith_buf_put(out, s, max);
        pith_buf_puts(out, "...");
    } else {
        pith_buf_put(out, s, n);
    }
}

static Pith__SymbolRecord *rec_get(const struct pith_index *ix, uint32_t id)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (pith_index_record(ix, id, &raw, &len) < 0)
        return NULL;
    Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
    free(raw);
    return rec;
}

struct caller_site {
    const struct pith_disk_edge *e;
};

static _Thread_local const struct pith_index *sort_ix;

/* By the caller's file path, then line: the order callers are shown in. */
static int cmp_caller(const void *a, const void *b)
{
    const struct pith_disk_edge *x = ((const struct caller_site *)a)->e;
    const struct pith_disk_edge *y = ((const struct caller_site *)b)->e;
    int c = strcmp(q_symbol_path(sort_ix, x->other), q_symbol_path(sort_ix, y->other));
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x < y ? -1 : x > y;
}

#define SLICE_LINES_MAX 6

/* For each call site, the statements of the caller the call depends on: the
 * backward intraprocedural slice from the call's line over the caller's stored PDG
 * (serve/flow_slice.c), its own line and the def line left out, at most SLICE_LINES_MAX lines
 * nearest the call. Callers without flow layers give no item. */
static void slice_items(itemvec *v,
                        struct src_cache *cache,
                        const struct pith_index *ix,
                        const struct caller_site *cs,
                        size_t n)
{
    struct pith_buf t = PITH_BUF_INIT, j = PITH_BUF_INIT;
    Pith__SymbolRecord *rec = NULL;
    uint32_t rec_id = 0;
    for (size_t i = 0; i < n && v->count < CONTEXT_ITEMS; i++) {
        const struct pith_disk_edge *ce = cs[i].e;
        if (ce->other != rec_id) {
            if (rec)
                pith__symbol_record__free_unpacked(rec, NULL);
            rec = rec_get(ix, ce->other);
            rec_id = ce->other;
        }
        const Pith__FunctionFlow *fl = rec ? rec->flow : NULL;
        if (!fl || fl->n_nodes == 0)
            continue;
        struct flow_proc proc = { fl, NULL, 0 };
        uint8_t *marks = pith_xcalloc(fl->n_nodes + 1, 1);
        uint8_t *mp[1] = { marks };
        uint32_t lines[SLICE_LINES_MAX];
        size_t nl = 0;
        if (flow_slice(mp, &proc, 1, 0, ce->line, NULL, 0) > 0) {
            /* nearest lines before the call first */
            for (size_t k = fl->n_nodes; k >= 1 && nl < SLICE_LINES_MAX; k--) {
                const Pith__FlowNode *node = fl->nodes[k - 1];
                if (!marks[k] || node->line == 0 || node->line >= ce->line ||
                    node->line == fl->line)
                    continue;
                int dup = 0;
                for (size_t m = 0; m < nl; m++)
                    dup |= lines[m] == node->line;
                if (!dup)
                    lines[nl++] = node->line;
            }
        }
        free(marks);
        if (nl == 0)
            continue;
        /* ascending */
        for (size_t a = 1; a < nl; a++) {
            for (size_t b = a; b > 0 && lines[b - 1] > lines[b]; b--) {
                uint32_t tmp = lines[b];
                lines[b] = lines[b - 1];
                lines[b - 1] = tmp;
            }
        }
        const struct pith_disk_symbol *cs_sym = pith_index_symbol(ix, ce->other);
        struct src_file *cf = cs_sym->file ? src_get(cache, ix, cs_sym->file) : NULL;
        const char *path = q_symbol_path(ix, ce->other);
        if (!cf || cf->status != 0)
            continue; /* changed or gone: the lines would not be the indexed ones */
        pith_buf_printf(&t, "%s:%u\n", path, ce->line);
        pith_buf_puts(&j, "{\"file\":");
        pith_buf_put_json_str(&j, path);
        pith_buf_printf(&j, ",\"line\":%u,\"lines\":[", ce->line);
        for (size_t k = 0; k < nl; k++) {
            size_t len = 0;
            const char *text = cf ? src_line(cf, lines[k], &len) : NULL;
            struct pith_buf tmp = PITH_BUF_INIT;
            if (text)
                put_trimmed(&tmp, text, len, LINE_TEXT_MAX);
            pith_buf_printf(&t, "  %u  %s\n", lines[k], tmp.ptr ? tmp.ptr : "");
            pith_buf_printf(&j, "%s[%u,", k ? "," : "", lines[k]);
            pith_buf_put_json_str(&j, tmp.ptr ? tmp.ptr : "");
            pith_buf_putc(&j, ']');
            pith_buf_release(&tmp);
        }
        pith_buf_puts(&j, "]}");
        item_add(v, SEC_SLICE, 3, 0, &t, &j);
    }
    if (rec)
        pith__symbol_record__free_unpacked(rec, NULL);
    pith_buf_release(&t);
    pith_buf_release(&j);
}

/* Fills `v` with every candidate item for symbol `id`; sets *code_status. */
static void gather(itemvec *v,
                   int *code_status,
                   struct src_cache *cache,
                   const struct pith_index *ix,
                   uint32_t id,
                   int json)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    struct pith_buf t = PITH_BUF_INIT, j = PITH_BUF_INIT;
    Pith__SymbolRecord *rec = rec_get(ix, id);

    /* signature and parameter types */
    const char *sig = pith_index_str(ix, s->signature);
    pith_buf_printf(&t, "%s\n", *sig ? sig : pith_index_str(ix, s->name));
    pith_buf_puts(&j, "{\"signature\":");
    pith_buf_put_json_str(&j, sig);
    pith_buf_puts(&j, ",\"params\":[");
    for (size_t i = 0; rec && i < rec->n_params; i++) {
        const Pith__Param *p = rec->params[i];
        if (p->annotation && *p->annotation)
            pith_buf_printf(&t, "  param %s: %s\n", p->name, p->annotation);
        if (i)
            pith_buf_putc(&j, ',');
        pith_buf_puts(&j, "{\"name\":");
        pith_buf_put_json_str(&j, p->name ? p->name : "");
        pith_buf_puts(&j, ",\"type\":");
        pith_buf_put_json_str(&j, p->annotation ? p->annotation : "");
        pith_buf_puts(&j, ",\"default\":");
        pith_buf_put_json_str(&j, p->default_value ? p->default_value : "");
        pith_buf_putc(&j, '}');
    }
    pith_buf_puts(&j, "],\"returns\":");
    pith_buf_put_json_str(&j, rec && rec->returns ? rec->returns : "");
    pith_buf_putc(&j, '}');
    if (rec && rec->returns && *rec->returns)
        pith_buf_printf(&t, "  returns %s\n", rec->returns);
    item_add(v, SEC_PARAMS, 0, 0, &t, &j);

    /* the code */
    struct src_file *f = s->file ? src_get(cache, ix, s->file) : NULL;
    *code_status = f ? f->status : 2;
    for (uint32_t line = s->start_line; f && f->status == 0 && line <= s->end_line; line++) {
        size_t n;
        const char *text = src_line(f, line, &n);
        if (!text)
            break;
        pith_buf_printf(&t, "%5u  %.*s\n", line, (int)n, text);
        pith_buf_printf(&j, "[%u,", line);
        struct pith_buf tmp = PITH_BUF_INIT;
        pith_buf_put(&tmp, text, n);
        pith_buf_put_json_str(&j, tmp.ptr ? tmp.ptr : "");
        pith_buf_release(&tmp);
        pith_buf_putc(&j, ']');
        item_add(v, SEC_CODE, line - s->start_line < CODE_HEAD ? 1 : 5, line, &t, &j);
        if (v->count >= CONTEXT_ITEMS)
            break;
    }

    /* callers' call lines */
    const struct pith_disk_edge *e;
    size_t n = pith_index_callers(ix, id, &e);
    struct caller_site *cs = pith_xmalloc((n ? n : 1) * sizeof *cs);
    for (size_t i = 0; i < n; i++)
        cs[i].e = &e[i];
    sort_ix = ix;
    qsort(cs, n, sizeof *cs, cmp_caller);
    for (size_t i = 0; i < n && v->count < CONTEXT_ITEMS; i++) {
        /* "  LINE  source text  [caller]" under a line naming the file; JSON
         * [line, text, caller] inside {"file", "sites"} */
        const struct pith_disk_edge *ce = cs[i].e;
        const struct pith_disk_symbol *cs_sym = pith_index_symbol(ix, ce->other);
        const char *qn = pith_index_str(ix, cs_sym->qualname);
        const char *local = strchr(qn, ':') ? strchr(qn, ':') + 1 : "<module>";
        struct src_file *cf = cs_sym->file ? src_get(cache, ix, cs_sym->file) : NULL;
        size_t ln = 0;
        const char *text = cf ? src_line(cf, ce->line, &ln) : NULL;
        struct pith_buf tmp = PITH_BUF_INIT;
        if (text)
            put_trimmed(&tmp, text, ln, LINE_TEXT_MAX);
        else
            pith_buf_puts(&tmp, cf && cf->status == 1 ? "(file changed since indexing)"
                                                      : "(source unavailable)");
        pith_buf_printf(&t, "  %u  %s  [%s]\n", ce->line, tmp.ptr, local);
        pith_buf_printf(&j, "[%u,", ce->line);
        pith_buf_put_json_str(&j, tmp.ptr);
        pith_buf_putc(&j, ',');
        pith_buf_put_json_str(&j, local);
        pith_buf_putc(&j, ']');
        pith_buf_release(&tmp);
        /* ambiguous (lower confidence) call sites after the certain ones */
        item_add(v, SEC_CALLERS, ce->confidence >= 900 ? 2 : 3, 0, &t, &j);
        v->items[v->count - 1].file = cs_sym->file;
    }
    slice_items(v, cache, ix, cs, n);
    free(cs);

    /* callees: in-repo ones once each, external ones as one line */
    struct qmap seen;
    qmap_init(&seen);
    struct pith_buf ext_t = PITH_BUF_INIT, ext_j = PITH_BUF_INIT;
    size_t ext = 0;
    n = pith_index_callees(ix, id, &e);
    for (size_t i = 0; i < n && v->count < CONTEXT_ITEMS; i++) {
        uint32_t dummy;
        if (!e[i].other) {
            if (e[i].kind != 7 /* external */)
                continue;
            const char *name = pith_index_str(ix, e[i].name);
            if (strstr(ext_t.ptr ? ext_t.ptr : "", name))
                continue;
            pith_buf_puts(&ext_t, ext ? ", " : "");
            pith_buf_puts(&ext_t, name);
            pith_buf_puts(&ext_j, ext ? "," : "[");
            pith_buf_put_json_str(&ext_j, name);
            ext++;
            continue;
        }
        if (qmap_get(&seen, e[i].other, &dummy) || e[i].other == id)
            continue;
        qmap_put(&seen, e[i].other, 1);
        const struct pith_disk_symbol *cs_sym = pith_index_symbol(ix, e[i].other);
        const char *csig = pith_index_str(ix, cs_sym->signature);
        struct pith_buf doc = PITH_BUF_INIT;
        q_doc_summary_of(&doc, ix, e[i].other, SUMMARY_MAX);
        pith_buf_printf(&t, "%s  %s", pith_index_str(ix, cs_sym->qualname),
                        *csig ? csig : pith_index_str(ix, cs_sym->name));
        if (doc.len)
            pith_buf_printf(&t, "  # %s", doc.ptr);
        pith_buf_putc(&t, '\n');
        pith_buf_puts(&j, "{\"qualname\":");
        pith_buf_put_json_str(&j, pith_index_str(ix, cs_sym->qualname));
        pith_buf_puts(&j, ",\"signature\":");
        pith_buf_put_json_str(&j, csig);
        pith_buf_puts(&j, ",\"summary\":");
        pith_buf_put_json_str(&j, doc.len ? doc.ptr : "");
        pith_buf_putc(&j, '}');
        pith_buf_release(&doc);
        item_add(v, SEC_CALLEES, 4, 0, &t, &j);
    }
    if (ext) {
        pith_buf_putc(&ext_t, '\n');
        pith_buf_putc(&ext_j, ']');
        item_add(v, SEC_EXTERNAL, 6, 0, &ext_t, &ext_j);
    }
    pith_buf_release(&ext_t);
    pith_buf_release(&ext_j);
    qmap_release(&seen);

    for (size_t i = 0; i < v->count; i++) {
        const char *s2 = json ? v->items[i].json : v->items[i].text;
        v->items[i].tokens = bpe_count(s2, strlen(s2));
    }
    if (rec)
        pith__symbol_record__free_unpacked(rec, NULL);
    pith_buf_release(&t);
    pith_buf_release(&j);
}

/* ---- rendering ------------------------------------------------------------------------------- */

struct omitted {
    size_t counts[SEC_COUNT];
    uint32_t code_from, code_to; /* omitted code line range (0 when none) */
};

static void count_omitted(struct omitted *o, const itemvec *v)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < v->count; i++) {
        const struct item *it = &v->items[i];
        if (it->selected)
            continue;
        o->counts[it->sec]++;
        if (it->sec == SEC_CODE) {
            if (!o->code_from)
                o->code_from = it->line;
            o->code_to = it->line;
        }
    }
}

static const char *const status_name[] = { "ok", "changed", "missing" };

static void render(struct pith_buf *out,
                   const struct pith_index *ix,
                   uint32_t id,
                   const struct query_req *req,
                   const itemvec *v,
                   int code_status,
                   size_t used,
                   size_t callers_total)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    struct omitted o;
    count_omitted(&o, v);
    size_t omitted_total = 0;
    for (int k = 0; k < SEC_COUNT; k++)
        omitted_total += o.counts[k];
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"context\",\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_printf(out, ",\"budget\":%u,\"tokens\":%zu,\"source\":\"%s\"", req->budget, used,
                        status_name[code_status]);
        for (int sec = 0; sec < SEC_COUNT; sec++) {
            int any = 0;
            pith_buf_printf(out, ",\"%s\":", section_json[sec]);
            if (sec == SEC_PARAMS || sec == SEC_EXTERNAL) {
                for (size_t i = 0; i < v->count; i++) {
                    if (v->items[i].sec == (enum section)sec && v->items[i].selected) {
                        pith_buf_puts(out, v->items[i].json);
                        any = 1;
                    }
                }
                if (!any)
                    pith_buf_puts(out, sec == SEC_PARAMS ? "null" : "[]");
                continue;
            }
            pith_buf_putc(out, '[');
            uint32_t file = 0;
            for (size_t i = 0; i < v->count; i++) {
                const struct item *it = &v->items[i];
                if (it->sec != (enum section)sec || !it->selected)
                    continue;
                if (sec == SEC_CALLERS && (!any || it->file != file)) {
                    pith_buf_puts(out, any ? "]},{\"file\":" : "{\"file\":");
                    pith_buf_put_json_str(out,
                                          pith_index_str(ix, pith_index_file(ix, it->file)->path));
                    pith_buf_puts(out, ",\"sites\":[");
                    file = it->file;
                } else if (any) {
                    pith_buf_putc(out, ',');
                }
                pith_buf_puts(out, it->json);
                any = 1;
            }
            if (sec == SEC_CALLERS && any)
                pith_buf_puts(out, "]}");
            pith_buf_putc(out, ']');
        }
        pith_buf_printf(out,
                        ",\"callers_total\":%zu,\"omitted\":{\"code_lines\":%zu,"
                        "\"callers\":%zu,\"slice\":%zu,\"callees\":%zu,\"external\":%zu,"
                        "\"signature\":%zu}}\n",
                        callers_total, o.counts[SEC_CODE], o.counts[SEC_CALLERS],
                        o.counts[SEC_SLICE], o.counts[SEC_CALLEES], o.counts[SEC_EXTERNAL],
                        o.counts[SEC_PARAMS]);
        return;
    }
    pith_buf_printf(out, "context of %s  (%s, %s:%u-%u)\ntokens: %zu of %u",
                    pith_index_str(ix, s->qualname), query_symbol_kind_name(s->kind),
                    q_symbol_path(ix, id), s->start_line, s->end_line, used, req->budget);
    if (code_status)
        pith_buf_printf(out, "; source %s since indexing, code not shown",
                        code_status == 1 ? "changed" : "missing");
    pith_buf_putc(out, '\n');
    if (omitted_total) {
        pith_buf_puts(out, "omitted:");
        const char *sep = " ";
        if (o.counts[SEC_CODE]) {
            pith_buf_printf(out, "%scode lines %u-%u", sep, o.code_from, o.code_to);
            sep = ", ";
        }
        if (o.counts[SEC_CALLERS]) {
            pith_buf_printf(out, "%s%zu of %zu call sites", sep, o.counts[SEC_CALLERS],
                            callers_total);
            sep = ", ";
        }
        if (o.counts[SEC_SLICE]) {
            pith_buf_printf(out, "%s%zu call-site slices", sep, o.counts[SEC_SLICE]);
            sep = ", ";
        }
        if (o.counts[SEC_CALLEES]) {
            pith_buf_printf(out, "%s%zu callees", sep, o.counts[SEC_CALLEES]);
            sep = ", ";
        }
        if (o.counts[SEC_EXTERNAL]) {
            pith_buf_printf(out, "%sexternal calls", sep);
            sep = ", ";
        }
        if (o.counts[SEC_PARAMS])
            pith_buf_printf(out, "%ssignature", sep);
        pith_buf_putc(out, '\n');
    }
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        size_t k = 0;
        uint32_t file = 0;
        for (size_t i = 0; i < v->count; i++) {
            const struct item *it = &v->items[i];
            if (it->sec != (enum section)sec || !it->selected)
                continue;
            if (k++ == 0) {
                if (sec == SEC_CALLERS)
                    pith_buf_printf(out, "## callers (%zu call sites)\n", callers_total);
                else
                    pith_buf_printf(out, "## %s\n", section_title[sec]);
            }
            if (sec == SEC_CALLERS && it->file != file) {
                pith_buf_printf(out, "%s\n",
                                pith_index_str(ix, pith_index_file(ix, it->file)->path));
                file = it->file;
            }
            pith_buf_puts(out, it->text);
        }
    }
}

/* Renders with the exact token count in the header: render, count, re-render until stable. */
static size_t render_counted(struct pith_buf *out,
                             const struct pith_index *ix,
                             uint32_t id,
                             const struct query_req *req,
                             const itemvec *v,
                             int code_status,
                             size_t callers_total)
{
    size_t used = 0;
    for (int round = 0; round < 8; round++) {
        pith_buf_clear(out);
        render(out, ix, id, req, v, code_status, used, callers_total);
        size_t got = bpe_count(out->ptr, out->len);
        if (got == used)
            return got;
        used = got;
    }
    return bpe_count(out->ptr, out->len);
}

static int cmp_rank(const void *a, const void *b)
{
    const struct item *const *x = a, *const *y = b;
    if ((*x)->rank != (*y)->rank)
        return (*x)->rank - (*y)->rank;
    return (*x)->seq < (*y)->seq ? -1 : (*x)->seq > (*y)->seq;
}

int q_context(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    uint32_t id;
    int err = bpe_load();
    if (err < 0)
        return err;
    err = q_resolve_one(out, ix, req, req->arg, &id);
    if (err < 0)
        return err;
    itemvec v = { 0 };
    struct src_cache cache = { { 0 } };
    int code_status;
    gather(&v, &code_status, &cache, ix, id, req->json);
    const struct pith_disk_edge *e;
    size_t callers_total = pith_index_callers(ix, id, &e);

    /* the answer with nothing selected: what every item adds to */
    struct pith_buf tmp = PITH_BUF_INIT;
    size_t base = render_counted(&tmp, ix, id, req, &v, code_status, callers_total);
    struct item **order = pith_xmalloc((v.count ? v.count : 1) * sizeof *order);
    for (size_t i = 0; i < v.count; i++)
        order[i] = &v.items[i];
    qsort(order, v.count, sizeof *order, cmp_rank);
    /* greedy fill by estimate: section headings and separators cost a few tokens each */
    size_t estimate = base;
    int sec_used[SEC_COUNT] = { 0 };
    int code_stopped = 0;
    for (size_t i = 0; i < v.count; i++) {
        struct item *it = order[i];
        if (it->sec == SEC_CODE && code_stopped)
            continue;
        size_t cost = it->tokens + (req->json ? 1 : 0) + (sec_used[it->sec] ? 0 : 8);
        if (estimate + cost <= req->budget) {
            it->selected = 1;
            estimate += cost;
            sec_used[it->sec] = 1;
        } else if (it->sec == SEC_CODE) {
            code_stopped = 1;
        }
    }
    /* exact: drop the lowest-ranked selected items until the answer fits */
    size_t used = render_counted(out, ix, id, req, &v, code_status, callers_total);
    for (size_t i = v.count; used > req->budget && i > 0; i--) {
        if (!order[i - 1]->selected)
            continue;
        order[i - 1]->selected = 0;
        used = render_counted(out, ix, id, req, &v, code_status, callers_total);
    }
    if (used > req->budget) {
        /* even the bare header does not fit: a short answer that says so */
        const char *qn = pith_index_str(ix, pith_index_symbol(ix, id)->qualname);
        size_t n = 0;
        for (int round = 0; round < 8; round++) {
            pith_buf_clear(out);
            if (req->json) {
                pith_buf_printf(out,
                                "{\"op\":\"context\",\"budget\":%u,\"tokens\":%zu,"
                                "\"error\":\"budget_too_small\",\"qualname\":",
                                req->budget, n);
                pith_buf_put_json_str(out, qn);
                pith_buf_puts(out, "}\n");
            } else {
                pith_buf_printf(out, "context of %s\ntokens: %zu of %u; budget too small\n", qn, n,
                                req->budget);
            }
            size_t got = bpe_count(out->ptr, out->len);
            if (got == n)
                break;
            n = got;
        }
        while (out->len > 1 && bpe_count(out->ptr, out->len) > req->budget) {
            out->len--; /* a qualname longer than the budget: cut (no longer JSON) */
            out->ptr[out->len - 1] = '\n';
            out->ptr[out->len] = '\0';
        }
    }
    free(order);
    pith_buf_release(&tmp);
    for (size_t i = 0; i < v.count; i++) {
        free(v.items[i].text);
        free(v.items[i].json);
    }
    pith_vec_release(&v);
    src_release(&cache);
    return 0;
}
