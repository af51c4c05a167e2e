/* cfg, dfg and slice queries (see flow_query.h): each function's FunctionFlow comes from its
 * cold record (one block decompression); slices run flow_slice.c over one function or, with
 * --interprocedural, over the functions reachable through callers and callees. */
#include "flow_query.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "flow_slice.h"
#include "query_ext.h"
#include "schemas/record.pb-c.h"
#include "serve_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int q_flow_parse(struct query_req *out, int argc, char *const *argv)
{
    int is_slice = out->op == QUERY_SLICE, options = 1;
    size_t words = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                options = 0;
            } else if (strcmp(a, "--json") == 0) {
                out->json = 1;
            } else if (strcmp(a, "--dot") == 0) {
                out->dot = 1;
            } else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
                if (i + 1 >= argc)
                    return pith_error_set(PITH_EUSAGE, "%s needs a path", a);
                out->index = argv[++i];
            } else if (is_slice && (strcmp(a, "--var") == 0 || strncmp(a, "--var=", 6) == 0)) {
                const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
                if (!v || !*v || strlen(v) >= sizeof out->arg2)
                    return pith_error_set(PITH_EUSAGE, "--var needs a variable name");
                memcpy(out->arg2, v, strlen(v) + 1);
            } else if (is_slice && strcmp(a, "--forward") == 0) {
                out->slice |= FLOW_SLICE_FORWARD;
            } else if (is_slice && strcmp(a, "--interprocedural") == 0) {
                out->slice |= FLOW_SLICE_INTER;
            } else {
                return pith_error_set(PITH_EUSAGE, "unknown option '%s' for %s", a, argv[0]);
            }
            continue;
        }
        if (words++)
            return pith_error_set(PITH_EUSAGE, "%s takes one %s, got '%s' and '%s'", argv[0],
                                  is_slice ? "FILE:LINE" : "NAME", out->arg, a);
        if (strlen(a) >= sizeof out->arg)
            return pith_error_set(PITH_EUSAGE, "argument longer than %d bytes", QUERY_ARG_MAX - 1);
        memcpy(out->arg, a, strlen(a) + 1);
    }
    /* slice checks FILE:LINE when it runs (a front end may build the words in any order) */
    if (!is_slice && (!words || !out->arg[0]))
        return pith_error_set(PITH_EUSAGE, "%s needs a NAME", argv[0]);
    if (out->dot && out->json)
        return pith_error_set(PITH_EUSAGE, "--dot and --json exclude each other");
    if (out->dot && out->op == QUERY_DFG)
        return pith_error_set(PITH_EUSAGE, "--dot applies to cfg and slice");
    return 0;
}

/* ---- loading ------------------------------------------------------------------------------- */

static Pith__SymbolRecord *
load(const struct pith_index *ix, struct pith_record_cache *c, uint32_t id, int *err)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    *err =
        c ? pith_index_record_cached(ix, c, id, &raw, &len) : pith_index_record(ix, id, &raw, &len);
    if (*err < 0)
        return NULL;
    Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
    free(raw);
    if (!rec)
        *err = PITH_CORRUPT("record of symbol %u does not decode", id);
    return rec;
}

/* Checks every node reference of a decoded flow (the artifact is untrusted input). */
static int flow_valid(const Pith__FunctionFlow *f)
{
    size_t n = f->n_nodes;
    if (n < 2)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (f->nodes[i]->ipdom > n || f->nodes[i]->block > f->n_blocks)
            return 0;
    }
    for (size_t i = 0; i < f->n_edges; i++) {
        if (!f->edges[i]->src || f->edges[i]->src > n || !f->edges[i]->dst || f->edges[i]->dst > n)
            return 0;
    }
    for (size_t i = 0; i < f->n_blocks; i++) {
        for (size_t k = 0; k < f->blocks[i]->n_nodes; k++) {
            if (!f->blocks[i]->nodes[k] || f->blocks[i]->nodes[k] > n)
                return 0;
        }
    }
    for (size_t i = 0; i < f->n_du; i++) {
        if (!f->du[i]->def || f->du[i]->def > n || !f->du[i]->use || f->du[i]->use > n ||
            !f->du[i]->var)
            return 0;
    }
    for (size_t i = 0; i < f->n_cd; i++) {
        if (!f->cd[i]->src || f->cd[i]->src > n || !f->cd[i]->dst || f->cd[i]->dst > n)
            return 0;
    }
    for (size_t i = 0; i < f->n_calls; i++) {
        if (f->calls[i]->node > n)
            return 0;
    }
    for (size_t i = 0; i < f->n_params; i++) {
        if (!f->params[i] || f->params[i] > n)
            return 0;
    }
    return 1;
}

/* The record of `id` with a valid flow, or NULL with *err: PITH_ENOTFOUND (no flow) or
 * PITH_ECORRUPT. */
static Pith__SymbolRecord *
load_flow(const struct pith_index *ix, struct pith_record_cache *c, uint32_t id, int *err)
{
    Pith__SymbolRecord *rec = load(ix, c, id, err);
    if (!rec)
        return NULL;
    if (!rec->flow) {
        pith__symbol_record__free_unpacked(rec, NULL);
        *err = pith_error_set(PITH_ENOTFOUND, "%s has no control flow (not a function body)",
                              pith_index_str(ix, pith_index_symbol(ix, id)->qualname));
        return NULL;
    }
    if (!flow_valid(rec->flow)) {
        pith__symbol_record__free_unpacked(rec, NULL);
        *err = PITH_CORRUPT("flow of symbol %u refers to nodes it does not have", id);
        return NULL;
    }
    return rec;
}

static const char *edge_kind(int k)
{
    static const char *const names[] = { "none", "fall",   "true",    "false",
                                         "back", "except", "finally", "case" };
    return k >= 0 && (size_t)k < sizeof names / sizeof *names ? names[k] : "?";
}

static const char *node_kind(int k)
{
    static const char *const names[] = { "none", "entry", "exit", "param", "stmt", "cond", "join" };
    return k >= 0 && (size_t)k < sizeof names / sizeof *names ? names[k] : "?";
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static void json_strs(struct pith_buf *out, char **v, size_t n)
{
    pith_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            pith_buf_putc(out, ',');
        pith_buf_put_json_str(out, v[i]);
    }
    pith_buf_putc(out, ']');
}

static void text_list(struct pith_buf *out, const char *tag, char **v, size_t n)
{
    if (!n)
        return;
    pith_buf_printf(out, "  %s ", tag);
    for (size_t i = 0; i < n; i++)
        pith_buf_printf(out, "%s%s", i ? "," : "", v[i]);
}

/* "L12 while" */
static void node_label(struct pith_buf *out, const Pith__FunctionFlow *f, uint32_t n)
{
    const Pith__FlowNode *nd = f->nodes[n - 1];
    pith_buf_printf(out, "L%u %s", nd->line,
                    nd->text && nd->text[0] ? nd->text : node_kind(nd->kind));
}

static void dot_str(struct pith_buf *out, const char *s)
{
    pith_buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            pith_buf_putc(out, '\\');
        pith_buf_putc(out, *s);
    }
    pith_buf_putc(out, '"');
}

/* ---- cfg and dfg ------------------------------------------------------------------------- */

static void op_cfg(struct pith_buf *out,
                   const struct pith_index *ix,
                   const struct query_req *req,
                   uint32_t id,
                   const Pith__FunctionFlow *f)
{
    const char *qn = pith_index_str(ix, pith_index_symbol(ix, id)->qualname);
    if (req->dot) {
        pith_buf_puts(out, "digraph cfg {\n  label=");
        dot_str(out, qn);
        pith_buf_puts(out, ";\n  node [shape=box];\n");
        for (size_t b = 0; b < f->n_blocks; b++) {
            pith_buf_printf(out, "  subgraph cluster_b%zu {\n    label=\"B%zu\";\n", b + 1, b + 1);
            for (size_t k = 0; k < f->blocks[b]->n_nodes; k++) {
                uint32_t n = f->blocks[b]->nodes[k];
                struct pith_buf l = PITH_BUF_INIT;
                node_label(&l, f, n);
                pith_buf_printf(out, "    n%u [label=", n);
                dot_str(out, l.ptr ? l.ptr : "");
                pith_buf_puts(out, "];\n");
                pith_buf_release(&l);
            }
            pith_buf_puts(out, "  }\n");
        }
        for (size_t i = 0; i < f->n_edges; i++) {
            const Pith__FlowEdge *e = f->edges[i];
            if (!f->nodes[e->src - 1]->block)
                continue;
            pith_buf_printf(out, "  n%u -> n%u [label=\"%s\"%s];\n", e->src, e->dst,
                            edge_kind(e->kind),
                            e->kind == PITH__FLOW_EDGE_KIND__FEDGE_EXCEPT ? ",style=dashed" : "");
        }
        pith_buf_puts(out, "}\n");
        return;
    }
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"cfg\",\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_printf(out, ",\"complexity\":%u,\"cyclomatic\":%u,\"nodes\":[", f->complexity,
                        f->cyclomatic);
        for (size_t i = 0; i < f->n_nodes; i++) {
            const Pith__FlowNode *n = f->nodes[i];
            pith_buf_printf(out, "%s{\"id\":%zu,\"kind\":\"%s\",\"text\":", i ? "," : "", i + 1,
                            node_kind(n->kind));
            pith_buf_put_json_str(out, nz(n->text));
            pith_buf_printf(out, ",\"line\":%u,\"end_line\":%u,\"block\":%u,\"ipdom\":%u,\"defs\":",
                            n->line, n->end_line, n->block, n->ipdom);
            json_strs(out, n->defs, n->n_defs);
            pith_buf_puts(out, ",\"uses\":");
            json_strs(out, n->uses, n->n_uses);
            pith_buf_putc(out, '}');
        }
        pith_buf_puts(out, "],\"edges\":[");
        for (size_t i = 0; i < f->n_edges; i++)
            pith_buf_printf(out, "%s{\"src\":%u,\"dst\":%u,\"kind\":\"%s\"}", i ? "," : "",
                            f->edges[i]->src, f->edges[i]->dst, edge_kind(f->edges[i]->kind));
        pith_buf_puts(out, "],\"blocks\":[");
        for (size_t b = 0; b < f->n_blocks; b++) {
            pith_buf_puts(out, b ? ",[" : "[");
            for (size_t k = 0; k < f->blocks[b]->n_nodes; k++)
                pith_buf_printf(out, "%s%u", k ? "," : "", f->blocks[b]->nodes[k]);
            pith_buf_putc(out, ']');
        }
        pith_buf_puts(out, "]}\n");
        return;
    }
    /* C/C++ bodies carry pmccabe's count (extract/ir_c_clang.c), Python's python3-mccabe's */
    const char *colon = strchr(qn, ':'), *dot = NULL;
    for (const char *p = qn; colon && p < colon; p++)
        dot = *p == '.' ? p : dot;
    int c_family = dot && strcspn(dot + 1, ":") <= 3 && strchr("ch", dot[1]);
    pith_buf_printf(out,
                    "cfg %s: complexity %u (%s), cyclomatic %u (E-N+2), %zu nodes, "
                    "%zu edges, %zu blocks\n",
                    qn, f->complexity, c_family ? "pmccabe" : "python3-mccabe", f->cyclomatic,
                    f->n_nodes, f->n_edges, f->n_blocks);
    for (size_t b = 0; b < f->n_blocks; b++) {
        pith_buf_printf(out, "B%zu\n", b + 1);
        for (size_t k = 0; k < f->blocks[b]->n_nodes; k++) {
            uint32_t n = f->blocks[b]->nodes[k];
            const Pith__FlowNode *nd = f->nodes[n - 1];
            pith_buf_printf(out, "  n%u ", n);
            node_label(out, f, n);
            text_list(out, "def", nd->defs, nd->n_defs);
            text_list(out, "use", nd->uses, nd->n_uses);
            pith_buf_putc(out, '\n');
        }
    }
    pith_buf_puts(out, "edges\n");
    for (size_t i = 0; i < f->n_edges; i++) {
        const Pith__FlowEdge *e = f->edges[i];
        if (!f->nodes[e->src - 1]->block)
            continue; /* from unreachable code */
        pith_buf_printf(out, "  n%u -> n%u %s\n", e->src, e->dst, edge_kind(e->kind));
    }
}

static void op_dfg(struct pith_buf *out,
                   const struct pith_index *ix,
                   const struct query_req *req,
                   uint32_t id,
                   const Pith__FunctionFlow *f)
{
    const char *qn = pith_index_str(ix, pith_index_symbol(ix, id)->qualname);
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"dfg\",\"symbol\":");
        q_json_symbol(out, ix, id);
        pith_buf_puts(out, ",\"def_use\":[");
        for (size_t i = 0; i < f->n_du; i++) {
            const Pith__DefUse *d = f->du[i];
            pith_buf_printf(out, "%s{\"var\":", i ? "," : "");
            pith_buf_put_json_str(out, d->var);
            pith_buf_printf(out, ",\"def\":%u,\"def_line\":%u,\"use\":%u,\"use_line\":%u}", d->def,
                            f->nodes[d->def - 1]->line, d->use, f->nodes[d->use - 1]->line);
        }
        pith_buf_puts(out, "],\"control\":[");
        for (size_t i = 0; i < f->n_cd; i++) {
            const Pith__ControlDep *c = f->cd[i];
            pith_buf_printf(out,
                            "%s{\"branch\":%u,\"branch_line\":%u,\"kind\":\"%s\",\"node\":%u,"
                            "\"line\":%u}",
                            i ? "," : "", c->src, f->nodes[c->src - 1]->line, edge_kind(c->kind),
                            c->dst, f->nodes[c->dst - 1]->line);
        }
        pith_buf_puts(out, "]}\n");
        return;
    }
    pith_buf_printf(out, "dfg %s: %zu def-use chains, %zu control dependences\n", qn, f->n_du,
                    f->n_cd);
    pith_buf_puts(out, "def-use (variable: definition -> use)\n");
    for (size_t i = 0; i < f->n_du; i++) {
        const Pith__DefUse *d = f->du[i];
        pith_buf_printf(out, "  %s: n%u ", d->var, d->def);
        node_label(out, f, d->def);
        pith_buf_printf(out, " -> n%u ", d->use);
        node_label(out, f, d->use);
        pith_buf_putc(out, '\n');
    }
    pith_buf_puts(out, "control dependence (branch -> dependent)\n");
    for (size_t i = 0; i < f->n_cd; i++) {
        const Pith__ControlDep *c = f->cd[i];
        pith_buf_printf(out, "  n%u ", c->src);
        node_label(out, f, c->src);
        pith_buf_printf(out, " -%s-> n%u ", edge_kind(c->kind), c->dst);
        node_label(out, f, c->dst);
        pith_buf_putc(out, '\n');
    }
}

/* ---- slice ------------------------------------------------------------------------------- */

static int is_function(uint32_t kind)
{
    return kind == PITH__SYMBOL_KIND__SYMBOL_FUNCTION || kind == PITH__SYMBOL_KIND__SYMBOL_METHOD ||
           kind == PITH__SYMBOL_KIND__SYMBOL_NESTED;
}

/* The innermost function of file `path` whose span holds `line`, or 0. */
static uint32_t function_at(const struct pith_index *ix, const char *path, uint32_t line)
{
    uint32_t file = 0, best = 0, span = UINT32_MAX;
    for (uint32_t f = 1; f <= pith_index_file_count(ix); f++) {
        if (strcmp(pith_index_str(ix, pith_index_file(ix, f)->path), path) == 0)
            file = f;
    }
    if (!file)
        return 0;
    for (uint32_t s = 1; s <= pith_index_symbol_count(ix); s++) {
        const struct pith_disk_symbol *d = pith_index_symbol(ix, s);
        if (d->file != file || !is_function(d->kind) || d->start_line > line || d->end_line < line)
            continue;
        if (d->end_line - d->start_line < span) {
            span = d->end_line - d->start_line;
            best = s;
        }
    }
    return best;
}

struct slice_set {
    PITH_VEC(uint32_t) ids;
    PITH_VEC(Pith__SymbolRecord *) recs;
    struct qmap index; /* symbol id -> position + 1 */
    int truncated;
};

/* The functions a two-phase slice can reach from `start`: its transitive callers (phase 1
 * climbs), then the transitive callees of all of them (phase 2 descends; summaries need every
 * callee's flow). Breadth first, at most QUERY_SLICE_PROCS_MAX. */
static void collect_dir(struct slice_set *s, const struct pith_index *ix, size_t from, int callers)
{
    for (size_t q = from; q < s->ids.count; q++) {
        const struct pith_disk_edge *e;
        size_t n = callers ? pith_index_callers(ix, s->ids.items[q], &e)
                           : pith_index_callees(ix, s->ids.items[q], &e);
        for (size_t i = 0; i < n; i++) {
            uint32_t o = e[i].other, tmp;
            if (!o || qmap_get(&s->index, o, &tmp) || !is_function(pith_index_symbol(ix, o)->kind))
                continue;
            if (s->ids.count >= QUERY_SLICE_PROCS_MAX) {
                s->truncated = 1;
                continue;
            }
            pith_vec_push(&s->ids, o);
            qmap_put(&s->index, o, (uint32_t)s->ids.count);
        }
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int collect(struct slice_set *s, const struct pith_index *ix, uint32_t start, int inter)
{
    qmap_init(&s->index);
    pith_vec_push(&s->ids, start);
    qmap_put(&s->index, start, 1);
    if (inter) {
        collect_dir(s, ix, 0, 1);
        collect_dir(s, ix, 0, 0);
    }
    /* in id order through a one-block cache: each record block is decompressed once */
    size_t n = s->ids.count;
    uint64_t *order = pith_xmalloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint64_t)s->ids.items[i] << 32 | i;
    qsort(order, n, sizeof *order, cmp_u64);
    for (size_t i = 0; i < n; i++)
        pith_vec_push(&s->recs, (Pith__SymbolRecord *)NULL);
    struct pith_record_cache cache = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int err;
        size_t at = (size_t)(order[i] & 0xffffffffu);
        Pith__SymbolRecord *r = load_flow(ix, &cache, s->ids.items[at], &err);
        if (!r && err == PITH_ECORRUPT)
            rc = err;
        s->recs.items[at] = r; /* NULL: no flow, never entered */
    }
    pith_record_cache_release(&cache);
    free(order);
    return rc;
}

static void slice_release(struct slice_set *s)
{
    for (size_t i = 0; i < s->recs.count; i++) {
        if (s->recs.items[i])
            pith__symbol_record__free_unpacked(s->recs.items[i], NULL);
    }
    pith_vec_release(&s->ids);
    pith_vec_release(&s->recs);
    qmap_release(&s->index);
}

typedef PITH_VEC(uint32_t) linevec;

/* The sorted distinct lines of the marked nodes of `f` (EXIT left out). */
static void marked_lines(linevec *lines, const Pith__FunctionFlow *f, const uint8_t *mark)
{
    lines->count = 0;
    for (size_t i = 1; f && i <= f->n_nodes; i++) {
        const Pith__FlowNode *nd = f->nodes[i - 1];
        if (!mark[i] || nd->kind == PITH__FLOW_NODE_KIND__FLOW_EXIT)
            continue;
        size_t j = 0;
        while (j < lines->count && lines->items[j] < nd->line)
            j++;
        if (j < lines->count && lines->items[j] == nd->line)
            continue;
        pith_vec_push(lines, 0);
        memmove(lines->items + j + 1, lines->items + j,
                (lines->count - 1 - j) * sizeof *lines->items);
        lines->items[j] = nd->line;
    }
}

static int op_slice(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    char path[QUERY_ARG_MAX];
    memcpy(path, req->arg, sizeof path);
    char *colon = strrchr(path, ':');
    if (!colon || colon == path || !isdigit((unsigned char)colon[1]))
        return pith_error_set(PITH_EUSAGE, "slice needs FILE:LINE, got '%s'", req->arg);
    for (const char *p = colon + 1; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return pith_error_set(PITH_EUSAGE, "slice needs FILE:LINE, got '%s'", req->arg);
    }
    *colon = '\0';
    errno = 0;
    unsigned long line = strtoul(colon + 1, NULL, 10);
    if (errno || line == 0 || line > UINT32_MAX)
        return pith_error_set(PITH_EUSAGE, "bad line number in '%s'", req->arg);
    uint32_t start = function_at(ix, path, (uint32_t)line);
    if (!start) {
        int err = pith_error_set(PITH_ENOTFOUND, "no function of the index holds %s", req->arg);
        if (req->json) {
            pith_buf_puts(out, "{\"op\":\"slice\",\"query\":");
            pith_buf_put_json_str(out, req->arg);
            pith_buf_puts(out, ",\"error\":");
            pith_buf_put_json_str(out, pith_error_last());
            pith_buf_puts(out, "}\n");
        }
        return err;
    }
    int inter = (req->slice & FLOW_SLICE_INTER) != 0;
    struct slice_set s = { 0 };
    int err = collect(&s, ix, start, inter);
    if (err < 0)
        goto out;
    if (!s.recs.items[0]) {
        err = pith_error_set(PITH_ENOTFOUND, "%s has no control flow",
                             pith_index_str(ix, pith_index_symbol(ix, start)->qualname));
        goto out;
    }
    size_t n = s.ids.count;
    struct flow_proc *procs = pith_xcalloc(n, sizeof *procs);
    PITH_VEC(struct flow_callee) ce = { 0 };
    size_t *ce_first = pith_xcalloc(n + 1, sizeof *ce_first);
    uint8_t **marks = pith_xcalloc(n, sizeof *marks);
    for (size_t k = 0; k < n; k++) {
        procs[k].flow = s.recs.items[k] ? s.recs.items[k]->flow : NULL;
        ce_first[k] = ce.count;
        const struct pith_disk_edge *e;
        size_t ne = inter ? pith_index_callees(ix, s.ids.items[k], &e) : 0;
        for (size_t i = 0; i < ne; i++) {
            uint32_t pos;
            if (e[i].other && qmap_get(&s.index, e[i].other, &pos)) {
                struct flow_callee c = { e[i].line, e[i].col, pos - 1 };
                pith_vec_push(&ce, c);
            }
        }
        marks[k] = pith_xcalloc(procs[k].flow ? procs[k].flow->n_nodes + 1 : 1, 1);
    }
    ce_first[n] = ce.count;
    for (size_t k = 0; k < n; k++) {
        procs[k].callees = ce.items + ce_first[k];
        procs[k].n_callees = ce_first[k + 1] - ce_first[k];
    }
    const char *var = req->arg2[0] ? req->arg2 : NULL;
    size_t seeds = flow_slice(marks, procs, n, 0, (uint32_t)line, var, req->slice);
    int forward = (req->slice & FLOW_SLICE_FORWARD) != 0;
    if (!seeds) {
        err = pith_error_set(PITH_ENOTFOUND, "no statement of %s at line %lu",
                             pith_index_str(ix, pith_index_symbol(ix, start)->qualname), line);
        goto done;
    }
    /* lines per function, in BFS order (the start first) */
    size_t total = 0, nfun = 0;
    linevec lines = { 0 };
    for (size_t k = 0; k < n; k++) {
        marked_lines(&lines, procs[k].flow, marks[k]);
        total += lines.count;
        nfun += lines.count > 0;
    }
    if (req->json) {
        pith_buf_puts(out, "{\"op\":\"slice\",\"query\":");
        pith_buf_put_json_str(out, req->arg);
        pith_buf_printf(out, ",\"direction\":\"%s\",\"interprocedural\":%s,\"var\":",
                        forward ? "forward" : "backward", inter ? "true" : "false");
        if (var)
            pith_buf_put_json_str(out, var);
        else
            pith_buf_puts(out, "null");
        pith_buf_printf(out, ",\"truncated\":%s,\"functions\":[", s.truncated ? "true" : "false");
    } else if (req->dot) {
        pith_buf_puts(out, "digraph slice {\n  node [shape=box];\n");
    }
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) {
        const Pith__FunctionFlow *f = procs[k].flow;
        marked_lines(&lines, f, marks[k]);
        if (!lines.count)
            continue;
        const char *qn = pith_index_str(ix, pith_index_symbol(ix, s.ids.items[k])->qualname);
        if (req->json) {
            pith_buf_puts(out, shown ? ",{\"symbol\":" : "{\"symbol\":");
            q_json_symbol(out, ix, s.ids.items[k]);
            pith_buf_puts(out, ",\"lines\":[");
            for (size_t j = 0; j < lines.count; j++)
                pith_buf_printf(out, "%s%u", j ? "," : "", lines.items[j]);
            pith_buf_puts(out, "]}");
        } else if (req->dot) {
            pith_buf_printf(out, "  subgraph cluster_f%zu {\n    label=", k);
            dot_str(out, qn);
            pith_buf_puts(out, ";\n");
            for (size_t i = 1; i <= f->n_nodes; i++) {
                if (!marks[k][i] || f->nodes[i - 1]->kind == PITH__FLOW_NODE_KIND__FLOW_EXIT)
                    continue;
                struct pith_buf l = PITH_BUF_INIT;
                node_label(&l, f, (uint32_t)i);
                pith_buf_printf(out, "    f%zun%zu [label=", k, i);
                dot_str(out, l.ptr ? l.ptr : "");
                pith_buf_puts(out, "];\n");
                pith_buf_release(&l);
            }
            pith_buf_puts(out, "  }\n");
            for (size_t i = 0; i < f->n_cd; i++) {
                const Pith__ControlDep *c = f->cd[i];
                if (marks[k][c->src] && marks[k][c->dst])
                    pith_buf_printf(out, "  f%zun%u -> f%zun%u [style=dashed,label=\"%s\"];\n", k,
                                    c->src, k, c->dst, edge_kind(c->kind));
            }
            for (size_t i = 0; i < f->n_du; i++) {
                const Pith__DefUse *d = f->du[i];
                if (marks[k][d->def] && marks[k][d->use]) {
                    pith_buf_printf(out, "  f%zun%u -> f%zun%u [label=", k, d->def, k, d->use);
                    dot_str(out, d->var);
                    pith_buf_puts(out, "];\n");
                }
            }
        } else {
            if (!shown)
                pith_buf_printf(out, "%s slice %sfrom %s%s%s: %zu lines in %zu function%s%s\n",
                                forward ? "forward" : "backward", inter ? "(interprocedural) " : "",
                                req->arg, var ? " for " : "", var ? var : "", total, nfun,
                                nfun == 1 ? "" : "s", s.truncated ? " (truncated)" : "");
            pith_buf_printf(out, "%s  ", qn);
            for (size_t j = 0; j < lines.count; j++)
                pith_buf_printf(out, "%s%u", j ? "," : "", lines.items[j]);
            pith_buf_putc(out, '\n');
        }
        shown++;
    }
    if (req->json) {
        pith_buf_printf(out, "],\"line_count\":%zu}\n", total);
    } else if (req->dot) {
        /* interprocedural: call edges between marked call nodes and marked entries */
        for (size_t k = 0; inter && k < n; k++) {
            for (size_t c = 0; c < procs[k].n_callees; c++) {
                const struct flow_callee *x = &procs[k].callees[c];
                const Pith__FunctionFlow *f = procs[k].flow;
                for (size_t i = 0; f && i < f->n_calls; i++) {
                    const Pith__FlowCall *fc = f->calls[i];
                    if (fc->line == x->line && fc->col == x->col && fc->node &&
                        marks[k][fc->node] && procs[x->proc].flow && marks[x->proc][1])
                        pith_buf_printf(out, "  f%zun%u -> f%un1 [style=bold,label=\"call\"];\n", k,
                                        fc->node, x->proc);
                }
            }
        }
        pith_buf_puts(out, "}\n");
    }
    pith_vec_release(&lines);
done:
    for (size_t k = 0; k < n; k++)
        free(marks[k]);
    free(marks);
    free(procs);
    free(ce_first);
    pith_vec_release(&ce);
out:
    slice_release(&s);
    return err;
}

int q_flow_run(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    if (req->op == QUERY_SLICE)
        return op_slice(out, ix, req);
    uint32_t id = 0;
    int err = q_resolve_one(out, ix, req, req->arg, &id);
    if (err < 0)
        return err;
    Pith__SymbolRecord *rec = load_flow(ix, NULL, id, &err);
    if (!rec) {
        if (req->json && err == PITH_ENOTFOUND) {
            pith_buf_printf(out, "{\"op\":\"%s\",\"query\":", query_op_name(req->op));
            pith_buf_put_json_str(out, req->arg);
            pith_buf_puts(out, ",\"error\":");
            pith_buf_put_json_str(out, pith_error_last());
            pith_buf_puts(out, "}\n");
        }
        return err;
    }
    if (req->op == QUERY_CFG)
        op_cfg(out, ix, req, id, rec->flow);
    else
        op_dfg(out, ix, req, id, rec->flow);
    pith__symbol_record__free_unpacked(rec, NULL);
    return 0;
}
