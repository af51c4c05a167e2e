/* tree-sitter C/C++ front end, used without a compilation database (see lang_c.h): function
 * definitions (with `static`), and call sites whose callee is a bare or qualified name. No
 * macro expansion, no types: calls are matched by name in analyze and marked so. The upstream
 * tags.scm queries capture no calls, so this is a walk of our own. */
#include "lang_c.h"

#include "ir_c_ts.h"

#include "common/err.h"
#include "common/file.h"
#include "common/hashmap.h"
#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);

#define TS_SIG_CAP  1024
#define TS_MAX_FNS  4096 /* nesting of function stack (lambdas, local classes) */
#define TS_NAME_CAP 512

struct ts_job {
    const char *repo;
    char *const *paths;
    size_t count;
    size_t max_size;
    struct c_record *recs; /* [count] */
    atomic_size_t next;
};

struct ts_worker {
    struct ts_job *job;
    TSParser *pc, *pcpp;
    struct pith_buf data, tmp;
};

static int ext_is_c(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h"));
}

static char *node_text(struct pith_arena *a, const char *src, TSNode n, size_t cap)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    size_t len = e - s;
    if (len > cap)
        len = cap;
    /* whitespace-normalised */
    char *out = pith_arena_alloc(a, len + 1);
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[s + i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = 1;
            continue;
        }
        if (space && o)
            out[o++] = ' ';
        space = 0;
        out[o++] = c;
    }
    while (o && (unsigned char)out[o - 1] >= 0x80 && len == cap)
        o--;
    out[o] = '\0';
    return out;
}

/* The name node of a function definition's declarator chain, or a null node. */
static TSNode declarator_name(TSNode d)
{
    for (int guard = 0; guard < 64 && !ts_node_is_null(d); guard++) {
        const char *t = ts_node_type(d);
        if (!strcmp(t, "identifier") || !strcmp(t, "field_identifier") ||
            !strcmp(t, "qualified_identifier") || !strcmp(t, "destructor_name") ||
            !strcmp(t, "operator_name") || !strcmp(t, "template_function"))
            return d;
        TSNode next = ts_node_child_by_field_name(d, "declarator", 10);
        if (ts_node_is_null(next)) {
            /* parenthesized_declarator, etc.: the first named child */
            next = ts_node_named_child_count(d) ? ts_node_named_child(d, 0) : next;
        }
        d = next;
    }
    TSNode none = { 0 };
    return none;
}

static int has_static(TSNode fn, const char *src)
{
    uint32_t n = ts_node_child_count(fn);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_child(fn, i);
        if (!strcmp(ts_node_type(c), "storage_class_specifier")) {
            uint32_t s = ts_node_start_byte(c), e = ts_node_end_byte(c);
            if (e - s == 6 && !memcmp(src + s, "static", 6))
                return 1;
        }
    }
    return 0;
}

static int inside_class(TSNode n)
{
    for (TSNode p = ts_node_parent(n); !ts_node_is_null(p); p = ts_node_parent(p)) {
        const char *t = ts_node_type(p);
        if (!strcmp(t, "field_declaration_list"))
            return 1;
        if (!strcmp(t, "function_definition") || !strcmp(t, "translation_unit"))
            return 0;
    }
    return 0;
}

static uint32_t count_lines(const char *s, size_t n)
{
    uint32_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += s[i] == '\n';
    if (n && s[n - 1] != '\n')
        lines++;
    return lines;
}

struct ts_out {
    PITH_VEC(Pith__Symbol *) syms;
    PITH_VEC(Pith__CallSite *) calls;
    PITH_VEC(Pith__FunctionIr *) bodies;
};

/* Functions (lowered to the statement IR unless PITH_NO_FLOW is set) and call sites of the tree
 * at `root` over `src`, arena-allocated in `a`, appended to `out`. */
static void ts_facts(
    struct ts_out *out, struct pith_arena *a, TSNode root, const char *src, size_t len, int cpp)
{
    int lower = getenv("PITH_NO_FLOW") == NULL;
    /* iterative walk; `open` holds the function symbols enclosing the cursor */
    uint32_t open_ids[TS_MAX_FNS];
    uint32_t open_end[TS_MAX_FNS];
    size_t n_open = 0;
    TSTreeCursor cur = ts_tree_cursor_new(root);
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&cur);
        uint32_t sb = ts_node_start_byte(n);
        while (n_open && sb >= open_end[n_open - 1])
            n_open--;
        const char *t = ts_node_type(n);
        if (!strcmp(t, "function_definition")) {
            TSNode nm = declarator_name(ts_node_child_by_field_name(n, "declarator", 10));
            TSNode body = ts_node_child_by_field_name(n, "body", 4);
            if (!ts_node_is_null(nm) && !ts_node_is_null(body)) {
                Pith__Symbol *s = pith_arena_alloc(a, sizeof *s);
                pith__symbol__init(s);
                char *q = node_text(a, src, nm, TS_NAME_CAP);
                const char *colon = strrchr(q, ':');
                s->qualname = q;
                s->name = (char *)(colon ? colon + 1 : q);
                s->kind = colon || inside_class(n) ? PITH__SYMBOL_KIND__SYMBOL_METHOD
                                                   : PITH__SYMBOL_KIND__SYMBOL_FUNCTION;
                TSPoint ps = ts_node_start_point(n), pe = ts_node_end_point(n);
                s->start_line = ps.row + 1;
                s->start_col = ps.column;
                s->end_line = pe.row + 1;
                s->end_col = pe.column;
                uint32_t bs = ts_node_start_byte(body);
                size_t sl = bs - sb > TS_SIG_CAP ? TS_SIG_CAP : bs - sb;
                s->signature = pith_arena_strndup(a, src + sb, sl);
                /* normalise the signature's whitespace */
                char *o = s->signature, *r = s->signature;
                int sp = 0;
                for (; *r; r++) {
                    if (*r == ' ' || *r == '\n' || *r == '\t' || *r == '\r') {
                        sp = 1;
                        continue;
                    }
                    if (sp && o != s->signature)
                        *o++ = ' ';
                    sp = 0;
                    *o++ = *r;
                }
                *o = '\0';
                s->is_static = has_static(n, src);
                pith_vec_push(&out->syms, s);
                Pith__FunctionIr *ir = lower ? ir_c_ts_lower(a, n, src, (uint32_t)len, cpp) : NULL;
                if (ir) {
                    ir->symbol = (uint32_t)out->syms.count;
                    pith_vec_push(&out->bodies, ir);
                }
                if (n_open < TS_MAX_FNS) {
                    open_ids[n_open] = (uint32_t)out->syms.count;
                    open_end[n_open] = ts_node_end_byte(n);
                    n_open++;
                }
            }
        } else if (!strcmp(t, "call_expression") && n_open) {
            TSNode fn = ts_node_child_by_field_name(n, "function", 8);
            TSNode args = ts_node_child_by_field_name(n, "arguments", 9);
            const char *ft = ts_node_is_null(fn) ? "" : ts_node_type(fn);
            Pith__CallSite *cs = pith_arena_alloc(a, sizeof *cs);
            pith__call_site__init(cs);
            cs->caller = open_ids[n_open - 1];
            TSPoint pt = ts_node_start_point(n);
            cs->line = pt.row + 1;
            cs->col = pt.column;
            cs->arg_count = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
            cs->name_only = 1;
            if (!strcmp(ft, "identifier") || !strcmp(ft, "qualified_identifier") ||
                !strcmp(ft, "template_function")) {
                cs->target = PITH__CALL_TARGET__CALL_TARGET_FUNCTION;
                cs->callee = node_text(a, src, fn, TS_NAME_CAP);
            } else if (!strcmp(ft, "field_expression")) {
                TSNode field = ts_node_child_by_field_name(fn, "field", 5);
                cs->target = PITH__CALL_TARGET__CALL_TARGET_FIELD;
                cs->callee = ts_node_is_null(field) ? node_text(a, src, fn, TS_NAME_CAP)
                                                    : node_text(a, src, field, TS_NAME_CAP);
            } else {
                cs->target = PITH__CALL_TARGET__CALL_TARGET_OTHER;
                cs->callee = ts_node_is_null(fn) ? (char *)"" : node_text(a, src, fn, TS_NAME_CAP);
            }
            pith_vec_push(&out->calls, cs);
        }
        if (ts_tree_cursor_goto_first_child(&cur))
            continue;
        int more = 0;
        while (!(more = ts_tree_cursor_goto_next_sibling(&cur))) {
            if (!ts_tree_cursor_goto_parent(&cur))
                break;
        }
        if (!more)
            break;
    }
    ts_tree_cursor_delete(&cur);
}

static void ts_facts_set(Pith__FileFacts *ff, struct ts_out *o)
{
    ff->n_symbols = o->syms.count;
    ff->symbols = o->syms.items;
    ff->n_c_calls = o->calls.count;
    ff->c_calls = o->calls.items;
    ff->n_bodies = o->bodies.count;
    ff->bodies = o->bodies.items;
}

static void ts_out_release(struct ts_out *o)
{
    pith_vec_release(&o->syms);
    pith_vec_release(&o->calls);
    pith_vec_release(&o->bodies);
}

static void extract_one(struct ts_worker *w, size_t idx)
{
    struct ts_job *job = w->job;
    const char *rel = job->paths[idx];
    struct c_record *rec = &job->recs[idx];
    struct pith_arena a;
    pith_arena_init(&a);
    Pith__FileFacts ff = PITH__FILE_FACTS__INIT;
    ff.path = (char *)rel;
    ff.language = (char *)(ext_is_c(rel) ? "c" : "cpp");
    ff.no_compdb = 1;
    pith_buf_clear(&w->tmp);
    pith_buf_printf(&w->tmp, "%s/%s", job->repo, rel);
    int err = pith_file_read(&w->data, w->tmp.ptr, job->max_size);
    TSTree *tree = NULL;
    struct ts_out o = { 0 };
    if (err == PITH_ETOOBIG) {
        ff.status = PITH__FILE_STATUS__FILE_SKIPPED_TOO_BIG;
        ff.skip_reason = (char *)"file is larger than the size limit";
    } else if (err < 0) {
        ff.status = PITH__FILE_STATUS__FILE_SKIPPED_IO;
        ff.skip_reason = pith_arena_strdup(&a, pith_error_last());
    } else {
        const char *src = w->data.ptr ? w->data.ptr : "";
        size_t len = w->data.len;
        ff.size = len;
        ff.content_hash = pith_hash64(src, len);
        ff.line_count = count_lines(src, len);
        TSParser *p = ext_is_c(rel) ? w->pc : w->pcpp;
        tree = ts_parser_parse_string(p, NULL, src, (uint32_t)len);
        if (!tree) {
            ff.status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
            ff.skip_reason = (char *)"tree-sitter gave up";
        } else {
            ts_facts(&o, &a, ts_tree_root_node(tree), src, len, !ext_is_c(rel));
            ts_facts_set(&ff, &o);
        }
    }
    rec->path = pith_xstrdup(rel);
    rec->status = (int)ff.status;
    rec->reason = ff.status ? pith_xstrdup(ff.skip_reason) : NULL;
    rec->size = ff.size;
    pith_buf_init(&rec->facts);
    size_t n = pith__file_facts__get_packed_size(&ff);
    pith_buf_grow(&rec->facts, n);
    rec->facts.len = pith__file_facts__pack(&ff, (uint8_t *)rec->facts.ptr);
    if (tree)
        ts_tree_delete(tree);
    ts_out_release(&o);
    pith_arena_release(&a);
}

static void *ts_main(void *arg)
{
    struct ts_worker *w = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&w->job->next, 1);
        if (i >= w->job->count)
            break;
        extract_one(w, i);
    }
    return NULL;
}

void lang_c_ts_run(struct c_records *out,
                   const char *repo,
                   char *const *paths,
                   size_t count,
                   int jobs,
                   size_t max_size)
{
    struct ts_job job = { repo, paths, count, max_size, NULL, 0 };
    job.recs = pith_xcalloc(count ? count : 1, sizeof *job.recs);
    atomic_init(&job.next, 0);
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > count)
        jobs = count ? (int)count : 1;
    struct ts_worker *ws = pith_xcalloc((size_t)jobs, sizeof *ws);
    pthread_t *tids = pith_xcalloc((size_t)jobs, sizeof *tids);
    for (int i = 0; i < jobs; i++) {
        ws[i].job = &job;
        ws[i].pc = ts_parser_new();
        ws[i].pcpp = ts_parser_new();
        if (!ts_parser_set_language(ws[i].pc, tree_sitter_c()) ||
            !ts_parser_set_language(ws[i].pcpp, tree_sitter_cpp()))
            PITH_BUG("tree-sitter C/C++ grammar ABI mismatch");
        pith_buf_init(&ws[i].data);
        pith_buf_init(&ws[i].tmp);
    }
    int started = 1;
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, ts_main, &ws[i]) != 0)
            break;
        started++;
    }
    ts_main(&ws[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < jobs; i++) {
        ts_parser_delete(ws[i].pc);
        ts_parser_delete(ws[i].pcpp);
        pith_buf_release(&ws[i].data);
        pith_buf_release(&ws[i].tmp);
    }
    for (size_t i = 0; i < count; i++)
        pith_vec_push(out, job.recs[i]);
    free(job.recs);
    free(ws);
    free(tids);
}

int lang_c_ts_buffer(const unsigned char *data, size_t len, int cpp, struct pith_buf *out)
{
    struct pith_arena a;
    pith_arena_init(&a);
    Pith__FileFacts ff = PITH__FILE_FACTS__INIT;
    ff.path = (char *)(cpp ? "input.cpp" : "input.c");
    ff.language = (char *)(cpp ? "cpp" : "c");
    ff.no_compdb = 1;
    const char *src = len ? (const char *)data : "";
    ff.size = len;
    ff.content_hash = pith_hash64(src, len);
    ff.line_count = count_lines(src, len);
    TSParser *p = ts_parser_new();
    if (!ts_parser_set_language(p, cpp ? tree_sitter_cpp() : tree_sitter_c()))
        PITH_BUG("tree-sitter C/C++ grammar ABI mismatch");
    TSTree *tree = len > UINT32_MAX ? NULL : ts_parser_parse_string(p, NULL, src, (uint32_t)len);
    struct ts_out o = { 0 };
    int err = 0;
    if (!tree) {
        ff.status = PITH__FILE_STATUS__FILE_SKIPPED_PARSE;
        ff.skip_reason = (char *)"tree-sitter gave up";
        err = PITH_EPARSE;
    } else {
        ts_facts(&o, &a, ts_tree_root_node(tree), src, len, cpp);
        ts_facts_set(&ff, &o);
    }
    pith_buf_clear(out);
    size_t n = pith__file_facts__get_packed_size(&ff);
    pith_buf_grow(out, n);
    out->len = pith__file_facts__pack(&ff, (uint8_t *)out->ptr);
    if (tree)
        ts_tree_delete(tree);
    ts_parser_delete(p);
    ts_out_release(&o);
    pith_arena_release(&a);
    return err;
}
