/* pith-embed: summary format v2 and the VectorSet stage file (see embed.h). */
#include "embed.h"

#include "common/bump.h"
#include "common/cpu.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "embed/cache.h"
#include "embed/use_lite.h"
#include "schemas/flow.pb-c.h"
#include "schemas/vectors.pb-c.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define DOC_CAP     300 /* bytes of the docstring's first paragraph */
#define CALLEES_CAP 16  /* distinct callee names */
#define CALLERS_CAP 8   /* distinct caller names */
#define USES_CAP    8   /* callee words in the description of a symbol without a docstring */
#define RAISES_CAP  8   /* distinct exception names */
#define FLOW_CAP    4   /* call targets per parameter in the data-flow line */
#define FLOW_ROUNDS 32  /* passes of the def-use propagation */

/* What the summaries read of the graph: from a decoded Pith__Graph (embed_build) or straight
 * from the packed record (embed_run, graph_view_parse). Strings are never NULL. */
struct view_sym {
    const char *name, *qualname, *signature, *docstring;
    int32_t kind;
    uint32_t file;
    const uint8_t *flow; /* a packed pith.FunctionFlow (flow_len bytes; 0: none) */
    size_t flow_len;
};

struct view_edge {
    const char *callee_name;
    uint32_t caller, callee, line, col;
};

struct graph_view {
    size_t nsyms, nfiles, nedges;
    struct view_sym *syms;
    const char **file_path;
    const char **file_lang;
    struct view_edge *edges;
};

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static void view_sym_of(struct view_sym *v, const Pith__GSymbol *s)
{
    v->name = str_or_empty(s->name);
    v->qualname = str_or_empty(s->qualname);
    v->signature = str_or_empty(s->signature);
    v->docstring = str_or_empty(s->docstring);
    v->kind = (int32_t)s->kind;
    v->file = s->file;
    v->flow = s->flow.data;
    v->flow_len = s->flow.data ? s->flow.len : 0;
}

static void view_edge_of(struct view_edge *v, const Pith__Edge *e)
{
    v->callee_name = str_or_empty(e->callee_name);
    v->caller = e->caller;
    v->callee = e->callee;
    v->line = e->line;
    v->col = e->col;
}

/* A view of `g` (heap; free with view_release). */
static void view_of_graph(struct graph_view *v, const Pith__Graph *g)
{
    v->nsyms = g->n_symbols;
    v->nfiles = g->n_files;
    v->nedges = g->n_edges;
    v->syms = pith_xmalloc((v->nsyms + 1) * sizeof *v->syms);
    v->file_path = pith_xmalloc((v->nfiles + 1) * sizeof *v->file_path);
    v->file_lang = pith_xmalloc((v->nfiles + 1) * sizeof *v->file_lang);
    v->edges = pith_xmalloc((v->nedges + 1) * sizeof *v->edges);
    for (size_t i = 0; i < v->nsyms; i++)
        view_sym_of(&v->syms[i], g->symbols[i]);
    for (size_t i = 0; i < v->nfiles; i++) {
        v->file_path[i] = str_or_empty(g->files[i]->path);
        v->file_lang[i] = str_or_empty(g->files[i]->language);
    }
    for (size_t i = 0; i < v->nedges; i++)
        view_edge_of(&v->edges[i], g->edges[i]);
}

static void view_release(struct graph_view *v)
{
    free(v->syms);
    free(v->file_path);
    free(v->file_lang);
    free(v->edges);
}

int embed_wants(Pith__SymbolKind kind)
{
    return kind == PITH__SYMBOL_KIND__SYMBOL_CLASS || kind == PITH__SYMBOL_KIND__SYMBOL_FUNCTION ||
           kind == PITH__SYMBOL_KIND__SYMBOL_METHOD || kind == PITH__SYMBOL_KIND__SYMBOL_NESTED;
}

static void on_word(const char *w, size_t len, void *payload)
{
    struct pith_buf *out = payload;
    pith_buf_grow(out, len + 1);
    char *d = out->ptr + out->len;
    if (out->len && out->ptr[out->len - 1] != '\n')
        *d++ = ' ';
    for (size_t i = 0; i < len; i++) {
        char c = w[i];
        *d++ = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    *d = '\0';
    out->len = (size_t)(d - out->ptr);
}

/* "pkg/mod.py:JSONDecoder.raw_decode" -> "json decoder raw decode" */
static void put_name_words(struct pith_buf *out, const char *qualname)
{
    const char *colon = strrchr(qualname, ':');
    const char *s = colon ? colon + 1 : qualname;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        if (!pith_ident_char((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && pith_ident_char((unsigned char)s[i]))
            i++;
        pith_ident_split(s + start, i - start, on_word, out);
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends `s` with whitespace runs collapsed to one space and trimmed, stopping at a blank line
 * when `paragraph`, and at `cap` bytes (cut back to a space or a UTF-8 character start). */
static void put_collapsed(struct pith_buf *out, const char *s, int paragraph, size_t cap)
{
    size_t n = strlen(s);
    pith_buf_grow(out, n); /* collapsing never lengthens */
    char *begin = out->ptr + out->len, *d = begin;
    int pending = 0;
    for (const char *p = s; *p; p++) {
        if (is_space(*p)) {
            if (paragraph && *p == '\n') {
                const char *q = p + 1;
                while (*q == ' ' || *q == '\t' || *q == '\r')
                    q++;
                if (*q == '\n' && d > begin)
                    break;
            }
            pending = d > begin;
            continue;
        }
        if (pending)
            *d++ = ' ';
        pending = 0;
        *d++ = *p;
        if ((size_t)(d - begin) > cap)
            break;
    }
    size_t start = out->len;
    out->len = (size_t)(d - out->ptr);
    out->ptr[out->len] = '\0';
    if (out->len - start > cap) {
        size_t cut = start + cap;
        size_t sp = cut;
        while (sp > start && out->ptr[sp] != ' ')
            sp--;
        if (sp > start) {
            cut = sp;
        } else {
            while (cut > start && ((unsigned char)out->ptr[cut] & 0xC0) == 0x80)
                cut--;
        }
        out->len = cut;
        out->ptr[cut] = '\0';
    }
}

static void new_line(struct pith_buf *out)
{
    if (out->len && out->ptr[out->len - 1] != '\n')
        pith_buf_putc(out, '\n');
}

/* The name a call contributes: the callee's own name when resolved, else the last dotted
 * component of the call expression, without any argument text. */
static void
callee_word(const struct graph_view *g, const struct view_edge *e, const char **w, size_t *len)
{
    if (e->callee && e->callee <= g->nsyms && g->syms[e->callee - 1].name[0]) {
        *w = g->syms[e->callee - 1].name;
        *len = strlen(*w);
        return;
    }
    const char *s = e->callee_name;
    size_t n = strcspn(s, "(");
    while (n && is_space(s[n - 1]))
        n--;
    const char *dot = s;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            dot = s + i + 1;
    }
    *w = dot;
    *len = n - (size_t)(dot - s);
}

/* Appends `w[0, len)` to the comma-separated list that starts at out->ptr[at] unless it is
 * there already; writes `label` first when the list is empty. Returns 1 when appended. */
static int list_add(struct pith_buf *out, size_t *at, const char *label, const char *w, size_t len)
{
    if (len == 0)
        return 0;
    if (*at) {
        const char *p = out->ptr + *at;
        while (p < out->ptr + out->len) {
            const char *end = strstr(p, ", ");
            size_t l = end ? (size_t)(end - p) : strlen(p);
            if (l == len && memcmp(p, w, len) == 0)
                return 0;
            p = end ? end + 2 : out->ptr + out->len;
        }
        pith_buf_puts(out, ", ");
    } else {
        new_line(out);
        pith_buf_puts(out, label);
        *at = out->len;
    }
    pith_buf_put(out, w, len);
    return 1;
}

/* The last dotted component of a call expression, without argument text. */
static void last_component(const char *s, const char **w, size_t *len)
{
    size_t n = strcspn(s, "([");
    while (n && is_space(s[n - 1]))
        n--;
    const char *dot = s;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' || (s[i] == '>' && i && s[i - 1] == '-') || s[i] == ':')
            dot = s + i + 1;
    }
    *w = dot;
    *len = n - (size_t)(dot - s);
}

/* "python function", "c function", "python method", "python class"... */
static void put_kind(struct pith_buf *out, const struct graph_view *g, const struct view_sym *s)
{
    const char *lang = s->file && s->file <= g->nfiles ? g->file_lang[s->file - 1] : "";
    if (strcmp(lang, "cpp") == 0)
        lang = "c++";
    if (lang[0]) {
        pith_buf_puts(out, lang);
        pith_buf_putc(out, ' ');
    }
    switch (s->kind) {
    case PITH__SYMBOL_KIND__SYMBOL_CLASS:
        pith_buf_puts(out, "class");
        break;
    case PITH__SYMBOL_KIND__SYMBOL_METHOD:
        pith_buf_puts(out, "method");
        break;
    case PITH__SYMBOL_KIND__SYMBOL_NESTED:
        pith_buf_puts(out, "nested function");
        break;
    default:
        pith_buf_puts(out, "function");
        break;
    }
}

/* The flow layers of one function, decoded (NULL when it has none). */
static Pith__FunctionFlow *flow_of(const struct view_sym *s)
{
    if (!s->flow_len)
        return NULL;
    return pith__function_flow__unpack(NULL, s->flow_len, s->flow);
}

static const Pith__FlowNode *flow_node(const Pith__FunctionFlow *f, uint32_t id)
{
    return id && id <= f->n_nodes ? f->nodes[id - 1] : NULL;
}

static int node_is(const Pith__FunctionFlow *f, uint32_t id, const char *text)
{
    const Pith__FlowNode *n = flow_node(f, id);
    return n && n->kind == PITH__FLOW_NODE_KIND__FLOW_STMT && n->text && strcmp(n->text, text) == 0;
}

/* "data flow: url -> return, get; timeout -> get": for each parameter, whether a value derived
 * from it (def-use chains followed transitively from its PARAM node) reaches a return
 * statement, and the callees of the calls that read such a value (up to FLOW_CAP each). */
static void put_data_flow(struct pith_buf *out, const Pith__FunctionFlow *f)
{
    size_t nn = f->n_nodes;
    uint8_t *in = pith_xcalloc(nn + 2, 1);
    int any = 0;
    for (size_t pi = 0; pi < f->n_params; pi++) {
        uint32_t p = f->params[pi];
        const Pith__FlowNode *pn = flow_node(f, p);
        if (!pn || !pn->text || !pn->text[0] || strcmp(pn->text, "self") == 0 ||
            strcmp(pn->text, "cls") == 0)
            continue;
        memset(in, 0, nn + 2);
        in[p] = 1;
        for (int round = 0, changed = 1; changed && round < FLOW_ROUNDS; round++) {
            changed = 0;
            for (size_t i = 0; i < f->n_du; i++) {
                uint32_t d = f->du[i]->def, u = f->du[i]->use;
                if (d <= nn && u <= nn && in[d] && !in[u]) {
                    in[u] = 1;
                    changed = 1;
                }
            }
        }
        int to_return = 0;
        for (uint32_t id = 1; id <= nn && !to_return; id++)
            to_return = in[id] && id != p && node_is(f, id, "return");
        size_t mark = out->len, list_at = 0, targets = 0;
        if (any)
            pith_buf_puts(out, "; ");
        else {
            new_line(out);
            pith_buf_puts(out, "data flow: ");
        }
        pith_buf_puts(out, pn->text);
        pith_buf_puts(out, " -> ");
        size_t first_at = out->len;
        if (to_return) {
            pith_buf_puts(out, "return");
            list_at = first_at;
        }
        for (size_t i = 0; i < f->n_calls && targets < FLOW_CAP; i++) {
            const Pith__FlowCall *c = f->calls[i];
            if (c->node > nn || !in[c->node] || !c->callee)
                continue;
            const char *w;
            size_t len;
            last_component(c->callee, &w, &len);
            if (list_at == 0 && len) {
                list_at = first_at;
                pith_buf_put(out, w, len);
                targets++;
            } else {
                targets += (size_t)list_add(out, &list_at, "", w, len);
            }
        }
        if (list_at == 0) { /* it flows nowhere we can name */
            out->len = mark;
            out->ptr[mark] = '\0';
            continue;
        }
        any = 1;
    }
    free(in);
}

/* "raises: ValueError, KeyError": the exception each raise statement constructs (the callee
 * of a call on the raise node) or names (its first use). */
static void put_raises(struct pith_buf *out, const Pith__FunctionFlow *f)
{
    size_t at = 0, n = 0;
    for (uint32_t id = 1; id <= f->n_nodes && n < RAISES_CAP; id++) {
        if (!node_is(f, id, "raise"))
            continue;
        const char *name = NULL;
        for (size_t i = 0; i < f->n_calls && !name; i++) {
            if (f->calls[i]->node == id && f->calls[i]->callee)
                name = f->calls[i]->callee;
        }
        const Pith__FlowNode *node = f->nodes[id - 1];
        if (!name && node->n_uses)
            name = node->uses[0];
        if (!name)
            continue;
        const char *w;
        size_t len;
        last_component(name, &w, &len);
        n += (size_t)list_add(out, &at, "raises: ", w, len);
    }
}

/* "takes key, max size": the parameter names (but self and cls) as words. */
static void put_param_words(struct pith_buf *out, const Pith__FunctionFlow *f)
{
    int any = 0;
    for (size_t i = 0; i < f->n_params; i++) {
        const Pith__FlowNode *pn = flow_node(f, f->params[i]);
        if (!pn || !pn->text || !pn->text[0] || strcmp(pn->text, "self") == 0 ||
            strcmp(pn->text, "cls") == 0)
            continue;
        if (!any) {
            new_line(out);
            pith_buf_puts(out, "takes");
        } else {
            pith_buf_putc(out, ',');
        }
        any = 1;
        const char *p = pn->text;
        size_t l = strlen(p), k = 0;
        while (k < l) {
            if (!pith_ident_char((unsigned char)p[k])) {
                k++;
                continue;
            }
            size_t start = k;
            while (k < l && pith_ident_char((unsigned char)p[k]))
                k++;
            pith_ident_split(p + start, k - start, on_word, out);
        }
    }
}

/* Callee names in call order (distinct, at most `cap`) as words: "get uniques, append". */
static void put_callee_words(struct pith_buf *out,
                             const struct graph_view *g,
                             const struct view_edge *const *callees,
                             size_t callee_count,
                             size_t cap)
{
    struct pith_buf names = PITH_BUF_INIT;
    size_t at = 0, n = 0;
    pith_buf_putc(&names, '\n'); /* list_add's offsets must not be 0 */
    for (size_t i = 0; i < callee_count && n < cap; i++) {
        const char *w;
        size_t len;
        callee_word(g, callees[i], &w, &len);
        n += (size_t)list_add(&names, &at, "", w, len);
    }
    if (n) {
        new_line(out);
        pith_buf_puts(out, "uses");
        const char *p = names.ptr + at, *end = names.ptr + names.len;
        while (p < end) {
            const char *comma = strstr(p, ", ");
            size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);
            if (p != names.ptr + at)
                pith_buf_putc(out, ',');
            size_t i = 0;
            while (i < l) {
                if (!pith_ident_char((unsigned char)p[i])) {
                    i++;
                    continue;
                }
                size_t start = i;
                while (i < l && pith_ident_char((unsigned char)p[i]))
                    i++;
                pith_ident_split(p + start, i - start, on_word, out);
            }
            p = comma ? comma + 2 : end;
        }
    }
    pith_buf_release(&names);
}

static void summary(struct pith_buf *out,
                    const struct graph_view *g,
                    uint32_t id,
                    const struct view_edge *const *callees,
                    size_t callee_count,
                    const struct view_edge *const *callers,
                    size_t caller_count)
{
    const struct view_sym *s = &g->syms[id - 1];
    size_t begin = out->len;
    /* the description (what the vector embeds): kind and name words, then the docstring */
    put_kind(out, g, s);
    put_name_words(out, s->qualname);
    Pith__FunctionFlow *f = flow_of(s);
    if (s->docstring[0]) {
        new_line(out);
        put_collapsed(out, s->docstring, 1, DOC_CAP);
    } else {
        if (f)
            put_param_words(out, f);
        put_callee_words(out, g, callees, callee_count, USES_CAP);
    }
    new_line(out);
    pith_buf_putc(out, '\n'); /* a blank line ends the description */
    if (s->signature[0]) {
        pith_buf_puts(out, "signature: ");
        put_collapsed(out, s->signature, 0, (size_t)-1);
    }
    size_t at = 0, names = 0;
    for (size_t i = 0; i < callee_count && names < CALLEES_CAP; i++) {
        const char *w;
        size_t len;
        callee_word(g, callees[i], &w, &len);
        names += (size_t)list_add(out, &at, "calls: ", w, len);
    }
    at = names = 0;
    for (size_t i = 0; i < caller_count && names < CALLERS_CAP; i++) {
        uint32_t c = callers[i]->caller;
        if (c == 0 || c > g->nsyms || c == id)
            continue;
        const char *w = g->syms[c - 1].name;
        names += (size_t)list_add(out, &at, "called by: ", w, strlen(w));
    }
    if (f) {
        put_data_flow(out, f);
        put_raises(out, f);
        pith__function_flow__free_unpacked(f, NULL);
    }
    if (s->file && s->file <= g->nfiles) {
        new_line(out);
        pith_buf_puts(out, "file: ");
        pith_buf_puts(out, g->file_path[s->file - 1]);
    }
    while (out->len > begin && out->ptr[out->len - 1] == '\n')
        out->ptr[--out->len] = '\0';
}

size_t embed_description_len(const char *summary)
{
    const char *end = strstr(summary, "\n\n");
    return end ? (size_t)(end - summary) : strlen(summary);
}

void embed_description(struct pith_buf *out, const char *summary)
{
    size_t n = embed_description_len(summary);
    pith_buf_grow(out, 2 * n);
    for (size_t i = 0; i < n; i++) {
        if (summary[i] != '\n') {
            pith_buf_putc(out, summary[i]);
            continue;
        }
        char prev = i ? summary[i - 1] : '.';
        if (prev != '.' && prev != '!' && prev != '?' && prev != ':' && prev != ';')
            pith_buf_putc(out, '.');
        pith_buf_putc(out, ' ');
    }
}

void embed_summary(struct pith_buf *out,
                   const Pith__Graph *g,
                   uint32_t id,
                   const Pith__Edge *const *callees,
                   size_t callee_count)
{
    struct graph_view v;
    view_of_graph(&v, g);
    struct view_edge *ce = pith_xmalloc((callee_count + 1) * sizeof *ce);
    const struct view_edge **cp = pith_xmalloc((callee_count + 1) * sizeof *cp);
    const struct view_edge **in = pith_xmalloc((v.nedges + 1) * sizeof *in);
    size_t nin = 0;
    for (size_t i = 0; i < callee_count; i++) {
        view_edge_of(&ce[i], callees[i]);
        cp[i] = &ce[i];
    }
    for (size_t i = 0; i < v.nedges; i++) { /* callers, in graph order */
        if (v.edges[i].callee == id)
            in[nin++] = &v.edges[i];
    }
    summary(out, &v, id, cp, callee_count, in, nin);
    free(ce);
    free(cp);
    free(in);
    view_release(&v);
}

static int cmp_edge_pos(const void *a, const void *b)
{
    const struct view_edge *x = *(const struct view_edge *const *)a;
    const struct view_edge *y = *(const struct view_edge *const *)b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x < y ? -1 : x > y; /* graph order */
}

/* The summaries of symbols [first_id, end_id), each NUL-terminated in `texts`, with their ids
 * in `ids` and offsets in `at`. Parts cover disjoint id ranges and disjoint runs of `by`. */
struct summary_part {
    const struct graph_view *g;
    const size_t *first, *first_in; /* edges by caller, by callee */
    const struct view_edge **by, **by_in;
    uint32_t first_id, end_id;
    struct pith_buf texts;
    PITH_VEC(uint32_t) ids;
    PITH_VEC(size_t) at;
};

static void *summary_part_build(void *arg)
{
    struct summary_part *p = arg;
    const struct graph_view *g = p->g;
    struct pith_buf one = PITH_BUF_INIT;
    pith_buf_grow(&p->texts, (size_t)(p->end_id - p->first_id) * 128);
    for (uint32_t id = p->first_id; id < p->end_id; id++) {
        if (!embed_wants((Pith__SymbolKind)g->syms[id - 1].kind))
            continue;
        size_t a = p->first[id], b = p->first[id + 1];
        if (b - a > 1)
            qsort(p->by + a, b - a, sizeof *p->by, cmp_edge_pos);
        pith_buf_clear(&one);
        summary(&one, g, id, p->by + a, b - a, p->by_in + p->first_in[id],
                p->first_in[id + 1] - p->first_in[id]);
        pith_vec_push(&p->ids, id);
        pith_vec_push(&p->at, p->texts.len);
        pith_buf_put(&p->texts, one.ptr ? one.ptr : "", one.len);
        pith_buf_putc(&p->texts, '\0');
    }
    pith_buf_release(&one);
    return NULL;
}

static int build_view(struct pith_buf *out,
                      const struct graph_view *g,
                      unsigned jobs,
                      struct pith_embedder *e);

int embed_build(struct pith_buf *out, const Pith__Graph *g)
{
    return embed_build_jobs(out, g, 0);
}

int embed_build_jobs(struct pith_buf *out, const Pith__Graph *g, unsigned jobs)
{
    struct graph_view v;
    view_of_graph(&v, g);
    int err = build_view(out, &v, jobs, NULL);
    view_release(&v);
    return err;
}

/* Embeds rows[0, n) by `e` in batches of EMBED_BATCH: the vectors live in *store (caller
 * frees). */
static int embed_rows(Pith__VectorRow *rows, size_t n, struct pith_embedder *e, float **store)
{
    size_t dim = e->dim;
    float *vecs = pith_xmalloc((n * dim + 1) * sizeof *vecs);
    const char **texts = pith_xmalloc((EMBED_BATCH + 1) * sizeof *texts);
    struct pith_buf desc = PITH_BUF_INIT;
    size_t *at = pith_xmalloc((EMBED_BATCH + 1) * sizeof *at);
    *store = vecs;
    int err = 0;
    for (size_t i = 0; i < n && !err; i += EMBED_BATCH) {
        size_t k = n - i < EMBED_BATCH ? n - i : EMBED_BATCH;
        pith_buf_clear(&desc);
        for (size_t j = 0; j < k; j++) { /* each summary's description, NUL-terminated */
            const char *sum = rows[i + j].summary;
            at[j] = desc.len;
            embed_description(&desc, sum);
            pith_buf_putc(&desc, '\0');
        }
        for (size_t j = 0; j < k; j++)
            texts[j] = desc.ptr + at[j];
        err = e->embed_batch(e, texts, k, vecs + i * dim);
    }
    pith_buf_release(&desc);
    free(at);
    free(texts);
    for (size_t i = 0; i < n && !err; i++) {
        rows[i].n_vector = dim;
        rows[i].vector = vecs + i * dim;
    }
    return err;
}

static int
build_view(struct pith_buf *out, const struct graph_view *g, unsigned jobs, struct pith_embedder *e)
{
    size_t nsyms = g->nsyms;
    if (nsyms >= UINT32_MAX)
        return pith_error_set(PITH_ETOOBIG, "graph has too many symbols");
    for (size_t i = 0; i < g->nedges; i++) {
        if (g->edges[i].caller == 0 || g->edges[i].caller > nsyms)
            return pith_error_set(PITH_ECORRUPT, "graph edge %zu names caller %u out of range",
                                  i + 1, g->edges[i].caller);
    }
    /* edges grouped by caller (counting sort), each group in (line, col) order */
    size_t *first = pith_xcalloc(nsyms + 2, sizeof *first);
    const struct view_edge **by = pith_xcalloc(g->nedges + 1, sizeof *by);
    for (size_t i = 0; i < g->nedges; i++)
        first[g->edges[i].caller + 1]++;
    for (size_t k = 0; k <= nsyms; k++)
        first[k + 1] += first[k];
    size_t *fill = pith_xmalloc((nsyms + 2) * sizeof *fill);
    memcpy(fill, first, (nsyms + 2) * sizeof *fill);
    for (size_t i = 0; i < g->nedges; i++)
        by[fill[g->edges[i].caller]++] = &g->edges[i];
    free(fill);
    /* and by callee (graph order within a group): the callers */
    size_t *first_in = pith_xcalloc(nsyms + 2, sizeof *first_in);
    const struct view_edge **by_in = pith_xcalloc(g->nedges + 1, sizeof *by_in);
    for (size_t i = 0; i < g->nedges; i++) {
        if (g->edges[i].callee && g->edges[i].callee <= nsyms)
            first_in[g->edges[i].callee + 1]++;
    }
    for (size_t k = 0; k <= nsyms; k++)
        first_in[k + 1] += first_in[k];
    fill = pith_xmalloc((nsyms + 2) * sizeof *fill);
    memcpy(fill, first_in, (nsyms + 2) * sizeof *fill);
    for (size_t i = 0; i < g->nedges; i++) {
        if (g->edges[i].callee && g->edges[i].callee <= nsyms)
            by_in[fill[g->edges[i].callee]++] = &g->edges[i];
    }
    free(fill);

    /* summaries on `jobs` threads, over id ranges joined in order: the output does not depend
     * on `jobs` */
    if (jobs == 0)
        jobs = nsyms < 2048 ? 1u : (unsigned)pith_cpu_count();
    if (jobs > 16)
        jobs = 16;
    struct summary_part *parts = pith_xcalloc(jobs, sizeof *parts);
    for (unsigned p = 0; p < jobs; p++) {
        parts[p].g = g;
        parts[p].first = first;
        parts[p].by = by;
        parts[p].first_in = first_in;
        parts[p].by_in = by_in;
        parts[p].first_id = 1 + (uint32_t)((uint64_t)nsyms * p / jobs);
        parts[p].end_id = 1 + (uint32_t)((uint64_t)nsyms * (p + 1) / jobs);
        pith_buf_init(&parts[p].texts);
    }
    pthread_t *threads = pith_xcalloc(jobs, sizeof *threads);
    unsigned started = 1;
    for (; started < jobs; started++) {
        if (pthread_create(&threads[started], NULL, summary_part_build, &parts[started]) != 0)
            break;
    }
    summary_part_build(&parts[0]);
    for (unsigned p = 1; p < jobs; p++) {
        if (p < started)
            pthread_join(threads[p], NULL);
        else
            summary_part_build(&parts[p]);
    }
    free(threads);

    size_t n = 0;
    for (unsigned p = 0; p < jobs; p++)
        n += parts[p].ids.count;
    Pith__VectorSet vs = PITH__VECTOR_SET__INIT;
    vs.embedder = (char *)"none";
    vs.dim = 0;
    vs.summary_version = EMBED_SUMMARY_VERSION;
    Pith__VectorRow *rows = pith_xcalloc(n + 1, sizeof *rows);
    Pith__VectorRow **rp = pith_xcalloc(n + 1, sizeof *rp);
    size_t k = 0;
    for (unsigned p = 0; p < jobs; p++) {
        for (size_t i = 0; i < parts[p].ids.count; i++, k++) {
            pith__vector_row__init(&rows[k]);
            rows[k].symbol = parts[p].ids.items[i];
            rows[k].summary = parts[p].texts.ptr + parts[p].at.items[i];
            rp[k] = &rows[k];
        }
    }
    vs.n_rows = n;
    vs.rows = rp;
    float *vecs = NULL;
    int err = 0;
    Pith__EmbedEndpoint ep = PITH__EMBED_ENDPOINT__INIT;
    struct pith_buf ep_url = PITH_BUF_INIT;
    if (e) {
        vs.embedder = (char *)e->id;
        vs.dim = e->dim;
        if (e->http) { /* where the query side finds the server (never the key) */
            const struct pith_http_embed_options *h = e->http;
            pith_http_embed_url_redact(&ep_url, h->base_url);
            ep.format = (char *)pith_http_embed_format_name(h->format);
            ep.url = ep_url.ptr;
            ep.model = (char *)(h->model ? h->model : "");
            ep.query_prefix = (char *)(h->query_prefix ? h->query_prefix : "");
            ep.api_key_env = (char *)(h->api_key_env ? h->api_key_env : "");
            vs.endpoint = &ep;
        }
        err = embed_rows(rows, n, e, &vecs);
    }
    size_t len = err ? 0 : pith__vector_set__get_packed_size(&vs);
    pith_buf_clear(out);
    if (!err) {
        pith_buf_grow(out, len);
        pith__vector_set__pack(&vs, (uint8_t *)out->ptr);
        out->len = len;
        out->ptr[len] = '\0';
    }
    free(vecs);
    pith_buf_release(&ep_url);
    for (unsigned p = 0; p < jobs; p++) {
        pith_buf_release(&parts[p].texts);
        pith_vec_release(&parts[p].ids);
        pith_vec_release(&parts[p].at);
    }
    free(parts);
    free(rows);
    free(rp);
    free(by);
    free(first);
    free(by_in);
    free(first_in);
    return err;
}

/* ---- the graph record, read in place ---------------------------------------------------- */

/* embed reads 6 fields of the symbols, 1 of the files and 5 of the edges: instead of decoding
 * the whole pith.Graph with protobuf-c (every field, every string copied), the packed record
 * is walked once and the fields it needs point into it. Strings get their NUL written in
 * place over the byte after them (a tag or the end), once the walk is over. The walk refuses
 * malformed wire data (truncated varints and lengths, field 0, groups and unknown wire types)
 * and a field it reads with another wire type; fields it does not read are only skipped. */
struct wire {
    const uint8_t *p, *end;
};

static int wire_varint(struct wire *w, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (w->p == w->end)
            return -1;
        uint8_t b = *w->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Reads a tag; 0 at the end, 1 with a field, -1 when malformed. */
static int wire_tag(struct wire *w, uint32_t *field, uint32_t *type)
{
    if (w->p == w->end)
        return 0;
    uint64_t t;
    if (wire_varint(w, &t) || t >> 32 || (t >> 3) == 0)
        return -1;
    *field = (uint32_t)(t >> 3);
    *type = (uint32_t)(t & 7);
    return 1;
}

/* A length-delimited field's bytes. */
static int wire_bytes(struct wire *w, struct wire *out)
{
    uint64_t n;
    if (wire_varint(w, &n) || n > (uint64_t)(w->end - w->p))
        return -1;
    out->p = w->p;
    out->end = w->p + n;
    w->p += n;
    return 0;
}

static int wire_skip(struct wire *w, uint32_t type)
{
    uint64_t v;
    struct wire sub;
    switch (type) {
    case 0:
        return wire_varint(w, &v);
    case 1:
        if (w->end - w->p < 8)
            return -1;
        w->p += 8;
        return 0;
    case 2:
        return wire_bytes(w, &sub);
    case 5:
        if (w->end - w->p < 4)
            return -1;
        w->p += 4;
        return 0;
    default:
        return -1;
    }
}

/* A string field: `*slot` points at its bytes, *len is its length (terminated later). */
static int wire_string(struct wire *w, uint32_t type, const char **slot, size_t *len)
{
    struct wire sub;
    if (type != 2 || wire_bytes(w, &sub))
        return -1;
    *slot = (const char *)sub.p;
    *len = (size_t)(sub.end - sub.p);
    return 0;
}

static int wire_u32(struct wire *w, uint32_t type, uint32_t *out)
{
    uint64_t v;
    if (type != 0 || wire_varint(w, &v))
        return -1;
    *out = (uint32_t)v; /* protobuf-c keeps the low 32 bits */
    return 0;
}

static int parse_file(struct wire *m, const char **path, const char **lang, size_t *lens)
{
    uint32_t field, type;
    int r;
    while ((r = wire_tag(m, &field, &type)) > 0) {
        if (field == 1)
            r = wire_string(m, type, path, &lens[0]);
        else if (field == 2)
            r = wire_string(m, type, lang, &lens[1]);
        else
            r = wire_skip(m, type);
        if (r)
            return -1;
    }
    return r;
}

static int parse_symbol(struct wire *m, struct view_sym *s, size_t *lens)
{
    uint32_t field, type, u = 0;
    int r;
    while ((r = wire_tag(m, &field, &type)) > 0) {
        switch (field) {
        case 1:
            r = wire_u32(m, type, &u);
            s->kind = (int32_t)u;
            break;
        case 2:
            r = wire_string(m, type, &s->name, &lens[0]);
            break;
        case 3:
            r = wire_string(m, type, &s->qualname, &lens[1]);
            break;
        case 4:
            r = wire_u32(m, type, &s->file);
            break;
        case 10:
            r = wire_string(m, type, &s->signature, &lens[2]);
            break;
        case 14:
            r = wire_string(m, type, &s->docstring, &lens[3]);
            break;
        case 30: { /* bytes: not NUL-terminated, read by protobuf-c later */
            struct wire sub;
            r = type != 2 || wire_bytes(m, &sub) ? -1 : 0;
            if (!r) {
                s->flow = sub.p;
                s->flow_len = (size_t)(sub.end - sub.p);
            }
            break;
        }
        default:
            r = wire_skip(m, type);
            break;
        }
        if (r)
            return -1;
    }
    return r;
}

static int parse_edge(struct wire *m, struct view_edge *e, size_t *lens)
{
    uint32_t field, type;
    int r;
    while ((r = wire_tag(m, &field, &type)) > 0) {
        switch (field) {
        case 1:
            r = wire_u32(m, type, &e->caller);
            break;
        case 2:
            r = wire_u32(m, type, &e->callee);
            break;
        case 5:
            r = wire_u32(m, type, &e->line);
            break;
        case 6:
            r = wire_u32(m, type, &e->col);
            break;
        case 7:
            r = wire_string(m, type, &e->callee_name, &lens[0]);
            break;
        default:
            r = wire_skip(m, type);
            break;
        }
        if (r)
            return -1;
    }
    return r;
}

/* Fills `v` from the packed pith.Graph `rec[0, len)`; rec[len] must be writable. The arrays
 * are allocated with `alloc` and the strings point into `rec`. Returns 0 or -1 (malformed). */
static const char wire_empty[1] = ""; /* absent strings */

static int graph_view_parse(struct graph_view *v,
                            uint8_t *rec,
                            size_t len,
                            void *(*alloc)(void *, size_t),
                            void *alloc_data)
{
    memset(v, 0, sizeof *v);
    struct wire w = { rec, rec + len }, sub;
    uint32_t field, type;
    int r;
    while ((r = wire_tag(&w, &field, &type)) > 0) { /* count, so the arrays are sized once */
        if (field >= 2 && field <= 4 && type != 2)
            return -1;
        if (wire_skip(&w, type))
            return -1;
        v->nfiles += field == 2;
        v->nsyms += field == 3;
        v->nedges += field == 4;
    }
    if (r < 0 || v->nsyms >= UINT32_MAX / 2)
        return -1;
    v->syms = alloc(alloc_data, (v->nsyms + 1) * sizeof *v->syms);
    v->file_path = alloc(alloc_data, (v->nfiles + 1) * sizeof *v->file_path);
    v->file_lang = alloc(alloc_data, (v->nfiles + 1) * sizeof *v->file_lang);
    v->edges = alloc(alloc_data, (v->nedges + 1) * sizeof *v->edges);
    /* each message's strings are terminated once the tag after the message has been read:
     * the byte after a string is a tag of its own message (read by then) or that tag */
    const char **pend[4];
    size_t pend_len[4] = { 0, 0, 0, 0 }, npend = 0, nf = 0, ns = 0, ne = 0;
    w.p = rec;
    for (;;) {
        int t = wire_tag(&w, &field, &type);
        for (size_t i = 0; i < npend; i++) {
            if (*pend[i] != wire_empty) /* absent: nothing to terminate */
                ((char *)(uintptr_t)*pend[i])[pend_len[i]] = '\0';
        }
        npend = 0;
        if (t <= 0) {
            r = t;
            break;
        }
        if (field < 2 || field > 4) {
            r = wire_skip(&w, type);
            if (r)
                break;
            continue;
        }
        r = wire_bytes(&w, &sub);
        if (r)
            break;
        for (size_t i = 0; i < 4; i++)
            pend_len[i] = 0;
        if (field == 2) {
            v->file_path[nf] = v->file_lang[nf] = wire_empty;
            r = parse_file(&sub, &v->file_path[nf], &v->file_lang[nf], pend_len);
            pend[npend++] = &v->file_path[nf];
            pend[npend++] = &v->file_lang[nf++];
        } else if (field == 3) {
            struct view_sym *s = &v->syms[ns++];
            s->name = s->qualname = s->signature = s->docstring = wire_empty;
            s->kind = 0;
            s->file = 0;
            s->flow = NULL;
            s->flow_len = 0;
            r = parse_symbol(&sub, s, pend_len);
            pend[0] = &s->name;
            pend[1] = &s->qualname;
            pend[2] = &s->signature;
            pend[3] = &s->docstring;
            npend = 4;
        } else {
            struct view_edge *e = &v->edges[ne++];
            e->callee_name = wire_empty;
            e->caller = e->callee = e->line = e->col = 0;
            r = parse_edge(&sub, e, pend_len);
            pend[npend++] = &e->callee_name;
        }
        if (r)
            break;
    }
    return r;
}

int embed_build_packed(struct pith_buf *out, uint8_t *rec, size_t len, unsigned jobs)
{
    return embed_build_packed_with(out, rec, len, jobs, NULL);
}

int embed_build_packed_with(
    struct pith_buf *out, uint8_t *rec, size_t len, unsigned jobs, struct pith_embedder *e)
{
    struct pith_bump bump;
    pith_bump_init(&bump, len / 2);
    struct graph_view v;
    int err = 0;
    if (graph_view_parse(&v, rec, len, pith_bump_alloc, &bump) != 0)
        err = pith_error_set(PITH_ECORRUPT, "the graph record does not decode");
    else
        err = build_view(out, &v, jobs, e);
    pith_bump_release(&bump);
    return err;
}

int embed_embedder_open(struct pith_embedder **out, const struct embed_options *opt)
{
    *out = NULL;
    if (!opt->embedder || strcmp(opt->embedder, "none") == 0)
        return 0;
    if (strcmp(opt->embedder, "builtin") == 0)
        return use_lite_embedder_new(out, opt->model_path, opt->threads);
    struct pith_http_embed_options http = opt->http;
    int r = pith_http_embed_spec_parse(&http, opt->embedder);
    if (r <= 0)
        return r < 0 ? r : http_embedder_new(out, &http);
    return pith_error_set(PITH_EUSAGE,
                          "unknown embedder %s (none, builtin, openai:URL, ollama:URL, tei:URL)",
                          opt->embedder);
}

int embed_run(const struct embed_options *opt)
{
    struct pith_embedder *embedder;
    int err = embed_embedder_open(&embedder, opt);
    if (err)
        return err;
    if (embedder && opt->cache_dir) { /* ownership of the embedder passes to the wrapper */
        err = embed_cache_embedder_new(&embedder, embedder, opt->cache_dir, EMBED_SUMMARY_VERSION);
        if (err)
            return err;
    }
    struct pith_stage_reader r;
    struct pith_buf packed = PITH_BUF_INIT;
    struct pith_bump bump;
    err = pith_stage_reader_open(&r, opt->graph_path, PITH_STAGE_GRAPH);
    if (err) {
        pith_embedder_free(embedder);
        return err;
    }
    pith_bump_init(&bump, 0);
    /* the record is decompressed into the allocator's first block, which then holds the
     * decoded graph too: one mapping, faulted in 2 MiB at a time */
    const uint8_t *frame;
    size_t frame_len, len;
    err = pith_stage_reader_next_frame(&r, &frame, &frame_len, &len);
    if (err == 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds no graph record", opt->graph_path);
    if (err < 0)
        goto out;
    bump.next_size = len + 1;
    uint8_t *rec = pith_bump_alloc(&bump, len + 1);
    size_t got = ZSTD_decompress(rec, len + 1, frame, frame_len);
    if (ZSTD_isError(got) || got != len) {
        err = pith_error_set(PITH_ECORRUPT, "%s: the graph record does not decompress",
                             opt->graph_path);
        goto out;
    }
    err = embed_build_packed_with(&packed, rec, len, 0, embedder);
    if (err) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", pith_error_last()); /* not set from itself */
        err = pith_error_set(err, "%s: %s", opt->graph_path, msg);
        goto out;
    }
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_VECTORS);
    pith_stage_writer_add(&w, packed.ptr, packed.len);
    err = pith_stage_writer_finish(&w, opt->out_path);
    pith_stage_writer_release(&w);
    if (err == 0 && embedder && opt->cache_dir) {
        struct embed_cache_stats st;
        err = embed_cache_embedder_finish(embedder, &st);
        if (err == 0)
            fprintf(stderr,
                    "pith-embed: %zu vectors reused, %zu embedded (cache: %ld rows collected)\n",
                    st.reused, st.embedded, st.collected);
    }
out:
    pith_bump_release(&bump); /* the decoded graph */
    pith_stage_reader_release(&r);
    pith_buf_release(&packed);
    pith_embedder_free(embedder);
    return err < 0 ? err : 0;
}
