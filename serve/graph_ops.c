/* Whole-graph query operations (serve stage): dead, path, cycles and Graphviz output of call
 * neighbourhoods; also the parser and dispatcher of the operations in query_ext.h. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "schemas/record.pb-c.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_MODULE = 1, K_CLASS = 2, K_FUNCTION = 3, K_METHOD = 4, K_NESTED = 5, K_LAMBDA = 6 };

/* ---- parsing --------------------------------------------------------------------------------- */

static int parse_budget(unsigned *out, const char *s)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return pith_error_set(PITH_EUSAGE, "--budget needs a number of tokens, got '%s'",
                              s ? s : "");
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || v < QUERY_BUDGET_MIN || v > QUERY_BUDGET_MAX)
        return pith_error_set(PITH_EUSAGE, "--budget must be between %u and %u, got '%s'",
                              QUERY_BUDGET_MIN, QUERY_BUDGET_MAX, s);
    *out = (unsigned)v;
    return 0;
}

int q_parse_ext(struct query_req *out, int argc, char *const *argv)
{
    enum query_op op = out->op;
    const char *name = argv[0];
    int budget_ok = op == QUERY_CONTEXT || op == QUERY_OVERVIEW;
    int dot_ok = op == QUERY_PATH || op == QUERY_CYCLES;
    size_t words = 0, len = 0;
    int options = 1, err;
    out->budget = QUERY_BUDGET_DEFAULT;
    out->depth = QUERY_DEPTH_MAX;
    out->k = QUERY_K_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && a[0] == '-' && a[1] != '\0') {
            const char *val = NULL;
            if (strcmp(a, "--") == 0) {
                options = 0;
            } else if (strcmp(a, "--json") == 0) {
                out->json = 1;
            } else if (strcmp(a, "-i") == 0 || strcmp(a, "--index") == 0) {
                if (i + 1 >= argc)
                    return pith_error_set(PITH_EUSAGE, "%s needs a path", a);
                out->index = argv[++i];
            } else if (strcmp(a, "--budget") == 0 || strncmp(a, "--budget=", 9) == 0) {
                if (!budget_ok)
                    return pith_error_set(PITH_EUSAGE, "--budget applies to context and "
                                                       "overview only");
                val = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
                err = parse_budget(&out->budget, val);
                if (err < 0)
                    return err;
            } else if (strcmp(a, "--dot") == 0) {
                if (!dot_ok)
                    return pith_error_set(PITH_EUSAGE, "--dot applies to callers, callees, "
                                                       "impact, path and cycles only");
                out->dot = 1;
            } else if (strcmp(a, "--git") == 0 || strncmp(a, "--git=", 6) == 0) {
                if (op != QUERY_DIFF_IMPACT)
                    return pith_error_set(PITH_EUSAGE, "--git applies to diff-impact only");
                val = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
                if (!val || !*val || val[0] == '-')
                    return pith_error_set(PITH_EUSAGE, "--git needs a revision");
                if (strlen(val) >= sizeof out->rev)
                    return pith_error_set(PITH_EUSAGE, "--git revision longer than %d bytes",
                                          QUERY_REV_MAX - 1);
                snprintf(out->rev, sizeof out->rev, "%s", val);
            } else {
                return pith_error_set(PITH_EUSAGE, "unknown option '%s' for %s", a, name);
            }
            continue;
        }
        /* a positional word */
        size_t max_words = op == QUERY_CONTEXT       ? 1
                           : op == QUERY_OVERVIEW    ? 1
                           : op == QUERY_PATH        ? 2
                           : op == QUERY_DIFF_IMPACT ? (size_t)-1
                                                     : 0;
        if (words >= max_words)
            return pith_error_set(PITH_EUSAGE, "%s takes %s, got '%s'", name,
                                  max_words == 0   ? "no arguments"
                                  : max_words == 2 ? "two names, FROM and TO"
                                                   : "one argument",
                                  a);
        size_t alen = strlen(a);
        if (op == QUERY_PATH && words == 1) {
            if (alen + 1 > sizeof out->arg2)
                return pith_error_set(PITH_EUSAGE, "name longer than %d bytes", QUERY_ARG_MAX - 1);
            memcpy(out->arg2, a, alen + 1);
            words++;
            continue;
        }
        if (op == QUERY_DIFF_IMPACT && strchr(a, '\n'))
            return pith_error_set(PITH_EUSAGE, "a file name holds a newline");
        if (len + (words ? 1 : 0) + alen + 1 > sizeof out->arg)
            return pith_error_set(PITH_EUSAGE, "arguments longer than %d bytes", QUERY_ARG_MAX - 1);
        if (words)
            out->arg[len++] = '\n';
        memcpy(out->arg + len, a, alen + 1);
        len += alen;
        words++;
    }
    if (op == QUERY_CONTEXT && words == 0)
        return pith_error_set(PITH_EUSAGE, "context needs a NAME");
    if (op == QUERY_PATH && words != 2)
        return pith_error_set(PITH_EUSAGE, "path needs two names, FROM and TO");
    if (op == QUERY_DIFF_IMPACT && !out->rev[0] && words == 0)
        return pith_error_set(PITH_EUSAGE, "diff-impact needs --git REV or FILE...");
    if (op == QUERY_DIFF_IMPACT && out->rev[0] && words)
        return pith_error_set(PITH_EUSAGE, "diff-impact takes --git REV or FILE..., not both");
    return 0;
}

/* ---- Graphviz -------------------------------------------------------------------------------- */

struct dot_edge {
    uint32_t from, to;
    uint16_t kind;
};

static int cmp_dot_edge(const void *a, const void *b)
{
    const struct dot_edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return (int)x->kind - (int)y->kind;
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

static void dot_node(struct pith_buf *out, const struct pith_index *ix, uint32_t id, int root)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    pith_buf_printf(out, "  n%u [label=", id);
    struct pith_buf label = PITH_BUF_INIT;
    pith_buf_printf(&label, "%s\n%s:%u", pith_index_str(ix, s->qualname), q_symbol_path(ix, id),
                    s->start_line);
    /* dot_str escapes quotes; turn the newline into \n */
    pith_buf_putc(out, '"');
    for (const char *p = label.ptr; *p; p++) {
        if (*p == '\n') {
            pith_buf_puts(out, "\\n");
            continue;
        }
        if (*p == '"' || *p == '\\')
            pith_buf_putc(out, '\\');
        pith_buf_putc(out, *p);
    }
    pith_buf_putc(out, '"');
    pith_buf_release(&label);
    pith_buf_puts(out, root ? ", style=bold, penwidth=2];\n" : "];\n");
}

static void dot_emit(struct pith_buf *out,
                     const struct pith_index *ix,
                     const char *title,
                     const q_idvec *nodes,
                     const struct qmap *roots,
                     struct dot_edge *edges,
                     size_t edge_count)
{
    pith_buf_puts(out, "digraph pith {\n  label=");
    dot_str(out, title);
    pith_buf_puts(out, ";\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    for (size_t i = 0; i < nodes->count; i++) {
        uint32_t dummy;
        dot_node(out, ix, nodes->items[i], roots && qmap_get(roots, nodes->items[i], &dummy));
    }
    if (edge_count)
        qsort(edges, edge_count, sizeof *edges, cmp_dot_edge);
    for (size_t i = 0; i < edge_count; i++) {
        if (i && cmp_dot_edge(&edges[i], &edges[i - 1]) == 0)
            continue;
        pith_buf_printf(out, "  n%u -> n%u [label=\"%s\"];\n", edges[i].from, edges[i].to,
                        query_edge_kind_name(edges[i].kind));
    }
    pith_buf_puts(out, "}\n");
}

void q_dot_walk(struct pith_buf *out,
                const struct pith_index *ix,
                const struct query_req *req,
                const uint32_t *ids,
                size_t count)
{
    int callers = req->op == QUERY_CALLERS || req->op == QUERY_IMPACT;
    struct qmap level, roots;
    q_idvec nodes = { 0 };
    PITH_VEC(struct dot_edge) edges = { 0 };
    qmap_init(&level);
    qmap_init(&roots);
    for (size_t i = 0; i < count; i++) {
        qmap_put(&level, ids[i], 0);
        qmap_put(&roots, ids[i], 1);
        pith_vec_push(&nodes, ids[i]);
    }
    size_t head = 0;
    while (head < nodes.count && edges.count < QUERY_ENTRIES_MAX) {
        uint32_t from = nodes.items[head++], d;
        qmap_get(&level, from, &d);
        if (d >= req->depth)
            continue;
        const struct pith_disk_edge *e;
        size_t n = callers ? pith_index_callers(ix, from, &e) : pith_index_callees(ix, from, &e);
        for (size_t i = 0; i < n && edges.count < QUERY_ENTRIES_MAX; i++) {
            uint32_t seen;
            if (!e[i].other)
                continue;
            if (!qmap_get(&level, e[i].other, &seen)) {
                qmap_put(&level, e[i].other, d + 1);
                pith_vec_push(&nodes, e[i].other);
            }
            struct dot_edge de = { callers ? e[i].other : from, callers ? from : e[i].other,
                                   e[i].kind };
            pith_vec_push(&edges, de);
        }
    }
    char title[QUERY_ARG_MAX + 32];
    snprintf(title, sizeof title, "%s %s", query_op_name(req->op), req->arg);
    dot_emit(out, ix, title, &nodes, &roots, edges.items, edges.count);
    pith_vec_release(&edges);
    pith_vec_release(&nodes);
    qmap_release(&roots);
    qmap_release(&level);
}

/* ---- path ------------------------------------------------------------------------------------ */

size_t q_path_compute(
    q_idvec *out, q_idvec *kinds, const struct pith_index *ix, uint32_t from, uint32_t to)
{
    /* BFS over resolved callees; parent[] kept as qmap id -> index into `order` */
    struct qmap at;
    q_idvec order = { 0 }, parent = { 0 }, kind = { 0 };
    size_t found = SIZE_MAX;
    qmap_init(&at);
    qmap_put(&at, from, 0);
    pith_vec_push(&order, from);
    pith_vec_push(&parent, UINT32_MAX);
    pith_vec_push(&kind, 0);
    if (from == to)
        found = 0;
    for (size_t head = 0; head < order.count && found == SIZE_MAX; head++) {
        const struct pith_disk_edge *e;
        size_t n = pith_index_callees(ix, order.items[head], &e);
        for (size_t i = 0; i < n; i++) {
            uint32_t dummy;
            if (!e[i].other || qmap_get(&at, e[i].other, &dummy))
                continue;
            qmap_put(&at, e[i].other, (uint32_t)order.count);
            pith_vec_push(&order, e[i].other);
            pith_vec_push(&parent, (uint32_t)head);
            pith_vec_push(&kind, e[i].kind);
            if (e[i].other == to) {
                found = order.count - 1;
                break;
            }
        }
    }
    size_t len = 0;
    if (found != SIZE_MAX) {
        for (uint32_t j = (uint32_t)found; j != UINT32_MAX; j = parent.items[j])
            len++;
        size_t base = out->count;
        for (size_t k = 0; k < len; k++) {
            pith_vec_push(out, 0);
            pith_vec_push(kinds, 0);
        }
        size_t k = len;
        for (uint32_t j = (uint32_t)found; j != UINT32_MAX; j = parent.items[j]) {
            k--;
            out->items[base + k] = order.items[j];
            kinds->items[base + k] = kind.items[j];
        }
    }
    pith_vec_release(&order);
    pith_vec_release(&parent);
    pith_vec_release(&kind);
    qmap_release(&at);
    return len;
}

/* The first call-site line of `caller` calling `callee`, 0 when none. */
static uint32_t call_line(const struct pith_index *ix, uint32_t caller, uint32_t callee)
{
    const struct pith_disk_edge *e;
    size_t n = pith_index_callees(ix, caller, &e);
    for (size_t i = 0; i < n; i++) {
        if (e[i].other == callee)
            return e[i].line;
    }
    return 0;
}

static int op_path(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    uint32_t from, to;
    int err = q_resolve_one(out, ix, req, req->arg, &from);
    if (err < 0)
        return err;
    err = q_resolve_one(out, ix, req, req->arg2, &to);
    if (err < 0)
        return err;
    q_idvec p = { 0 }, k = { 0 };
    size_t n = q_path_compute(&p, &k, ix, from, to);
    if (req->dot) {
        PITH_VEC(struct dot_edge) edges = { 0 };
        struct qmap roots;
        qmap_init(&roots);
        qmap_put(&roots, from, 1);
        qmap_put(&roots, to, 1);
        for (size_t i = 1; i < n; i++) {
            struct dot_edge de = { p.items[i - 1], p.items[i], (uint16_t)k.items[i] };
            pith_vec_push(&edges, de);
        }
        char title[2 * QUERY_ARG_MAX + 16];
        snprintf(title, sizeof title, "path %s -> %s", req->arg, req->arg2);
        q_idvec nodes = p;
        if (n == 0) {
            nodes.items = NULL;
            nodes.count = 0;
        }
        dot_emit(out, ix, title, &nodes, &roots, edges.items, edges.count);
        qmap_release(&roots);
        pith_vec_release(&edges);
    } else if (req->json) {
        pith_buf_puts(out, "{\"op\":\"path\",\"from\":");
        q_json_symbol(out, ix, from);
        pith_buf_puts(out, ",\"to\":");
        q_json_symbol(out, ix, to);
        pith_buf_printf(out, ",\"found\":%s,\"length\":%zu,\"steps\":[", n ? "true" : "false",
                        n ? n - 1 : 0);
        for (size_t i = 0; i < n; i++) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_puts(out, "{\"symbol\":");
            q_json_symbol(out, ix, p.items[i]);
            if (i) {
                pith_buf_puts(out, ",\"kind\":");
                pith_buf_put_json_str(out, query_edge_kind_name(k.items[i]));
                pith_buf_printf(out, ",\"call_line\":%u",
                                call_line(ix, p.items[i - 1], p.items[i]));
            }
            pith_buf_putc(out, '}');
        }
        pith_buf_puts(out, "]}\n");
    } else {
        const char *fq = pith_index_str(ix, pith_index_symbol(ix, from)->qualname);
        const char *tq = pith_index_str(ix, pith_index_symbol(ix, to)->qualname);
        if (!n) {
            pith_buf_printf(out, "no call path from %s to %s\n", fq, tq);
        } else {
            pith_buf_printf(out, "path from %s to %s, %zu call%s:\n", fq, tq, n - 1,
                            n == 2 ? "" : "s");
            for (size_t i = 0; i < n; i++) {
                const struct pith_disk_symbol *s = pith_index_symbol(ix, p.items[i]);
                if (i == 0)
                    pith_buf_printf(out, "  %s  %s:%u\n", pith_index_str(ix, s->qualname),
                                    q_symbol_path(ix, p.items[i]), s->start_line);
                else
                    pith_buf_printf(
                        out, "  -> %s  [%s, call at %s:%u]\n", pith_index_str(ix, s->qualname),
                        query_edge_kind_name(k.items[i]), q_symbol_path(ix, p.items[i - 1]),
                        call_line(ix, p.items[i - 1], p.items[i]));
            }
        }
    }
    pith_vec_release(&p);
    pith_vec_release(&k);
    return 0;
}

/* ---- cycles ---------------------------------------------------------------------------------- */

uint32_t q_cycles_compute(uint32_t *comp, const struct pith_index *ix)
{
    uint32_t n = pith_index_symbol_count(ix);
    uint32_t *index = pith_xcalloc((size_t)n + 1, sizeof *index); /* 0 = unvisited */
    uint32_t *low = pith_xcalloc((size_t)n + 1, sizeof *low);
    uint32_t *edge_pos = pith_xcalloc((size_t)n + 1, sizeof *edge_pos);
    unsigned char *on_stack = pith_xcalloc((size_t)n + 1, 1);
    q_idvec stack = { 0 }, call = { 0 };
    uint32_t next_index = 1, comps = 0;
    memset(comp, 0, ((size_t)n + 1) * sizeof *comp);
    for (uint32_t root = 1; root <= n; root++) {
        if (index[root])
            continue;
        pith_vec_push(&call, root);
        index[root] = low[root] = next_index++;
        pith_vec_push(&stack, root);
        on_stack[root] = 1;
        while (call.count) {
            uint32_t v = call.items[call.count - 1];
            const struct pith_disk_edge *e;
            size_t m = pith_index_callees(ix, v, &e);
            int descended = 0;
            while (edge_pos[v] < m) {
                uint32_t w = e[edge_pos[v]++].other;
                if (!w)
                    continue;
                if (!index[w]) {
                    index[w] = low[w] = next_index++;
                    pith_vec_push(&stack, w);
                    on_stack[w] = 1;
                    pith_vec_push(&call, w);
                    descended = 1;
                    break;
                }
                if (on_stack[w] && index[w] < low[v])
                    low[v] = index[w];
            }
            if (descended)
                continue;
            if (low[v] == index[v]) {
                /* pop the component; keep it when it has 2+ members or a self-loop */
                size_t top = stack.count;
                size_t start = top;
                do {
                    start--;
                } while (stack.items[start] != v);
                int keep = top - start >= 2;
                if (!keep) {
                    for (size_t i = 0; i < m; i++)
                        keep |= e[i].other == v;
                }
                if (keep)
                    comps++;
                for (size_t i = start; i < top; i++) {
                    on_stack[stack.items[i]] = 0;
                    comp[stack.items[i]] = keep ? comps : 0;
                }
                stack.count = start;
            }
            call.count--;
            if (call.count) {
                uint32_t u = call.items[call.count - 1];
                if (low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
    pith_vec_release(&stack);
    pith_vec_release(&call);
    free(index);
    free(low);
    free(edge_pos);
    free(on_stack);
    return comps;
}

static int op_cycles(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    uint32_t n = pith_index_symbol_count(ix);
    uint32_t *comp = pith_xmalloc(((size_t)n + 1) * sizeof *comp);
    uint32_t count = q_cycles_compute(comp, ix);
    /* members per component, in id order (= qualname order) */
    uint32_t *start = pith_xcalloc((size_t)count + 2, sizeof *start);
    for (uint32_t id = 1; id <= n; id++)
        start[comp[id] + 1] += comp[id] != 0;
    for (uint32_t c = 1; c <= count + 1; c++)
        start[c] += start[c - 1];
    uint32_t total = start[count + 1];
    uint32_t *members = pith_xmalloc(((size_t)total + 1) * sizeof *members);
    uint32_t *fill = pith_xmalloc(((size_t)count + 2) * sizeof *fill);
    memcpy(fill, start, ((size_t)count + 2) * sizeof *fill);
    for (uint32_t id = 1; id <= n; id++) {
        if (comp[id])
            members[fill[comp[id]]++] = id;
    }
    if (req->dot) {
        pith_buf_puts(out, "digraph pith {\n  label=\"cycles\";\n  rankdir=LR;\n"
                           "  node [shape=box, fontname=\"monospace\"];\n");
        for (uint32_t c = 1; c <= count; c++) {
            pith_buf_printf(out, " subgraph cluster_%u {\n  label=\"cycle %u\";\n", c, c);
            for (uint32_t i = start[c]; i < start[c + 1]; i++)
                dot_node(out, ix, members[i], 0);
            pith_buf_puts(out, " }\n");
        }
        for (uint32_t c = 1; c <= count; c++) {
            for (uint32_t i = start[c]; i < start[c + 1]; i++) {
                const struct pith_disk_edge *e;
                size_t m = pith_index_callees(ix, members[i], &e);
                uint32_t last = 0;
                for (size_t j = 0; j < m; j++) {
                    if (e[j].other && comp[e[j].other] == c && e[j].other != last) {
                        pith_buf_printf(out, "  n%u -> n%u [label=\"%s\"];\n", members[i],
                                        e[j].other, query_edge_kind_name(e[j].kind));
                        last = e[j].other;
                    }
                }
            }
        }
        pith_buf_puts(out, "}\n");
    } else if (req->json) {
        pith_buf_printf(out, "{\"op\":\"cycles\",\"count\":%u,\"cycles\":[", count);
        for (uint32_t c = 1; c <= count; c++) {
            pith_buf_puts(out, c > 1 ? ",[" : "[");
            for (uint32_t i = start[c]; i < start[c + 1]; i++) {
                if (i > start[c])
                    pith_buf_putc(out, ',');
                q_json_symbol(out, ix, members[i]);
            }
            pith_buf_putc(out, ']');
        }
        pith_buf_puts(out, "]}\n");
    } else {
        pith_buf_printf(out, "%u call cycle%s (strongly connected components of the call graph)\n",
                        count, count == 1 ? "" : "s");
        for (uint32_t c = 1; c <= count; c++) {
            uint32_t size = start[c + 1] - start[c];
            pith_buf_printf(out, " cycle %u: %u symbol%s%s\n", c, size, size == 1 ? "" : "s",
                            size == 1 ? " (calls itself)" : "");
            for (uint32_t i = start[c]; i < start[c + 1]; i++) {
                const struct pith_disk_symbol *s = pith_index_symbol(ix, members[i]);
                pith_buf_printf(out, "  %s  %s:%u\n", pith_index_str(ix, s->qualname),
                                q_symbol_path(ix, members[i]), s->start_line);
            }
        }
    }
    free(fill);
    free(members);
    free(start);
    free(comp);
    return 0;
}

/* ---- dead ------------------------------------------------------------------------------------ */

/* Decorators that leave a function called the ordinary way. */
static const char *const plain_decorators[] = { "classmethod",     "staticmethod",
                                                "functools.wraps", "functools.lru_cache",
                                                "lru_cache",       "functools.cache",
                                                "cache",           NULL };

struct dead_ctx {
    struct qmap decorator_names; /* ids of symbols used as a decorator somewhere (by name) */
};

/* 1 when the file of `id` lists its name in a literal __all__ (read from the source). */
static int in_dunder_all(const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    const struct pith_disk_file *f = pith_index_file(ix, s->file);
    struct pith_buf src = PITH_BUF_INIT;
    int changed = 0, yes = 0;
    if (q_read_source(&src, &changed, ix, pith_index_str(ix, f->path), f->content_hash) == 0 &&
        src.ptr) {
        const char *all = strstr(src.ptr, "__all__");
        const char *name = pith_index_str(ix, s->name);
        size_t n = strlen(name);
        for (const char *p = all; p && *p; p++) {
            if ((*p == '"' || *p == '\'') && strncmp(p + 1, name, n) == 0 && p[n + 1] == *p) {
                yes = 1;
                break;
            }
            if (*p == ']' || *p == ')')
                break;
        }
    }
    pith_buf_release(&src);
    return yes;
}

/* 1 when class `cls` or an in-repo base defines a method `name`, or has a base outside the
 * repository; `*why` says which. Each class is decoded once, at most 64 per question. */
static int override_walk(const struct pith_index *ix,
                         uint32_t cls,
                         const char *name,
                         int depth,
                         const char **why,
                         struct qmap *seen,
                         int *left)
{
    uint32_t dummy;
    if (depth <= 0 || !cls || *left <= 0 || qmap_get(seen, cls, &dummy))
        return 0;
    qmap_put(seen, cls, 1);
    (*left)--;
    unsigned char *raw = NULL;
    size_t len = 0;
    if (pith_index_record(ix, cls, &raw, &len) < 0)
        return 0;
    Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
    free(raw);
    if (!rec)
        return 0;
    int yes = 0;
    for (size_t i = 0; i < rec->n_bases && !yes; i++) {
        const char *b = rec->bases[i];
        const char *last = strrchr(b, '.');
        last = last ? last + 1 : b;
        if (strcmp(b, "object") == 0 || strncmp(b, "metaclass", 9) == 0)
            continue;
        const uint32_t *ids;
        size_t k = pith_index_find_name(ix, last, &ids);
        int found = 0;
        for (size_t j = 0; j < k && !yes && *left > 0; j++) {
            const struct pith_disk_symbol *bs = pith_index_symbol(ix, ids[j]);
            if (bs->kind != K_CLASS)
                continue;
            found = 1;
            /* the base defines `name`? its qualname + "." + name */
            struct pith_buf q = PITH_BUF_INIT;
            pith_buf_printf(&q, "%s.%s", pith_index_str(ix, bs->qualname), name);
            if (pith_index_find_qualname(ix, q.ptr)) {
                yes = 1;
                *why = "overrides a base class method (called through the base)";
            }
            pith_buf_release(&q);
            if (!yes)
                yes = override_walk(ix, ids[j], name, depth - 1, why, seen, left);
        }
        if (!found && !yes) {
            yes = 1;
            *why = "its class derives from a class outside the repository (may be called "
                   "through it)";
        }
    }
    pith__symbol_record__free_unpacked(rec, NULL);
    return yes;
}

static int may_override(
    const struct pith_index *ix, uint32_t cls, const char *name, int depth, const char **why)
{
    struct qmap seen;
    int left = 64;
    qmap_init(&seen);
    int yes = override_walk(ix, cls, name, depth, why, &seen, &left);
    qmap_release(&seen);
    return yes;
}

static const char *exemption(const struct pith_index *ix, uint32_t id, struct dead_ctx *c)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    const char *name = pith_index_str(ix, s->name);
    size_t nl = strlen(name);
    const struct pith_disk_edge *e;
    if (s->kind != K_FUNCTION && s->kind != K_METHOD && s->kind != K_NESTED)
        return "not a function";
    if (pith_index_callers(ix, id, &e))
        return "has callers";
    if (s->kind == K_NESTED)
        return "nested function (usually returned or passed, not called by name)";
    if (nl > 4 && name[0] == '_' && name[1] == '_' && name[nl - 1] == '_' && name[nl - 2] == '_')
        return "dunder method (called by the language)";
    if (q_test_role(ix, id) != Q_TEST_NONE)
        return "test code (called by the test runner)";
    const char *path = q_symbol_path(ix, id);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(name, "main") == 0 || strcmp(base, "__main__.py") == 0 ||
        strcmp(base, "setup.py") == 0 || strcmp(base, "conftest.py") == 0)
        return "entry point";
    uint32_t dummy;
    if (c && qmap_get(&c->decorator_names, id, &dummy))
        return "used as a decorator";
    if (s->flags & PITH_SYMF_DECORATED) {
        unsigned char *raw = NULL;
        size_t len = 0;
        const char *why = NULL;
        if (pith_index_record(ix, id, &raw, &len) == 0) {
            Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
            for (size_t i = 0; rec && i < rec->n_decorators && !why; i++) {
                size_t dl = strcspn(rec->decorators[i], "(");
                int plain = 0;
                for (const char *const *p = plain_decorators; *p; p++)
                    plain |= strlen(*p) == dl && strncmp(*p, rec->decorators[i], dl) == 0;
                if (!plain)
                    why = "decorated (the decorator may register or call it)";
            }
            if (rec)
                pith__symbol_record__free_unpacked(rec, NULL);
        }
        free(raw);
        if (why)
            return why;
    }
    if (s->kind == K_METHOD) {
        /* another class defines the same method name: dynamic dispatch may reach it */
        const uint32_t *ids;
        size_t k = pith_index_find_name(ix, name, &ids);
        for (size_t j = 0; j < k; j++) {
            if (ids[j] != id && pith_index_symbol(ix, ids[j])->kind == K_METHOD)
                return "another class has a method of that name (dynamic dispatch)";
        }
        const char *why = NULL;
        if (may_override(ix, s->parent, name, 4, &why))
            return why;
    }
    if (s->kind == K_FUNCTION && in_dunder_all(ix, id))
        return "exported in __all__";
    return "";
}

static void collect_decorators(struct dead_ctx *c, const struct pith_index *ix);

const char *q_dead_exemption(const struct pith_index *ix, uint32_t id)
{
    struct dead_ctx c;
    qmap_init(&c.decorator_names);
    collect_decorators(&c, ix);
    const char *why = exemption(ix, id, &c);
    qmap_release(&c.decorator_names);
    return why;
}

/* Marks every function whose name is the last component of some decorator. */
static void collect_decorators(struct dead_ctx *c, const struct pith_index *ix)
{
    uint32_t n = pith_index_symbol_count(ix);
    for (uint32_t id = 1; id <= n; id++) {
        if (!(pith_index_symbol(ix, id)->flags & PITH_SYMF_DECORATED))
            continue;
        unsigned char *raw = NULL;
        size_t len = 0;
        if (pith_index_record(ix, id, &raw, &len) < 0)
            continue;
        Pith__SymbolRecord *rec = pith__symbol_record__unpack(NULL, len, raw);
        free(raw);
        for (size_t i = 0; rec && i < rec->n_decorators; i++) {
            char name[256];
            const char *d = rec->decorators[i];
            size_t dl = strcspn(d, "(");
            const char *last = d;
            for (size_t k = 0; k < dl; k++) {
                if (d[k] == '.')
                    last = d + k + 1;
            }
            size_t ln = dl - (size_t)(last - d);
            if (ln == 0 || ln >= sizeof name)
                continue;
            memcpy(name, last, ln);
            name[ln] = '\0';
            const uint32_t *ids;
            size_t k = pith_index_find_name(ix, name, &ids);
            for (size_t j = 0; j < k; j++)
                qmap_put(&c->decorator_names, ids[j], 1);
        }
        if (rec)
            pith__symbol_record__free_unpacked(rec, NULL);
    }
}

static int op_dead(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    struct dead_ctx c;
    qmap_init(&c.decorator_names);
    collect_decorators(&c, ix);
    uint32_t n = pith_index_symbol_count(ix);
    q_idvec dead = { 0 };
    size_t candidates = 0;
    for (uint32_t id = 1; id <= n; id++) {
        uint32_t k = pith_index_symbol(ix, id)->kind;
        if (k != K_FUNCTION && k != K_METHOD && k != K_NESTED)
            continue;
        candidates++;
        if (!*exemption(ix, id, &c))
            pith_vec_push(&dead, id);
    }
    int truncated = dead.count > QUERY_ENTRIES_MAX;
    size_t shown = truncated ? QUERY_ENTRIES_MAX : dead.count;
    if (req->json) {
        pith_buf_printf(out, "{\"op\":\"dead\",\"count\":%zu,\"functions\":%zu,\"dead\":[",
                        dead.count, candidates);
    } else {
        pith_buf_printf(out,
                        "%zu of %zu functions have no callers and no reason to be called from "
                        "outside\n(not listed: tests, entry points, dunder methods, decorated, "
                        "nested, exported in __all__, possible overrides)\n",
                        dead.count, candidates);
    }
    for (size_t i = 0; i < shown; i++) {
        uint32_t id = dead.items[i];
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        const char *name = pith_index_str(ix, s->name);
        int priv = name[0] == '_';
        const char *why = priv ? "private, no callers in the index"
                               : "public, no callers in the index (code outside the repository, "
                                 "getattr or a callback reference may still use it)";
        if (req->json) {
            if (i)
                pith_buf_putc(out, ',');
            pith_buf_puts(out, "{\"symbol\":");
            q_json_symbol(out, ix, id);
            pith_buf_printf(out, ",\"confidence\":\"%s\",\"why\":", priv ? "high" : "medium");
            pith_buf_put_json_str(out, why);
            pith_buf_putc(out, '}');
        } else {
            pith_buf_printf(out, "  %s  %s:%u  (%s)\n", pith_index_str(ix, s->qualname),
                            q_symbol_path(ix, id), s->start_line, why);
        }
    }
    if (req->json)
        pith_buf_printf(out, "],\"truncated\":%s}\n", truncated ? "true" : "false");
    else if (truncated)
        pith_buf_printf(out, "  ... %zu more (truncated)\n", dead.count - shown);
    pith_vec_release(&dead);
    qmap_release(&c.decorator_names);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int q_run_ext(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    switch (req->op) {
    case QUERY_CONTEXT:
        return q_context(out, ix, req);
    case QUERY_OVERVIEW:
        return q_overview(out, ix, req);
    case QUERY_DIFF_IMPACT:
        return q_diff_impact(out, ix, req);
    case QUERY_DEAD:
        return op_dead(out, ix, req);
    case QUERY_PATH:
        return op_path(out, ix, req);
    case QUERY_CYCLES:
        return op_cycles(out, ix, req);
    default:
        return pith_error_set(PITH_EUSAGE, "operation '%s' is not handled here",
                              query_op_name(req->op));
    }
}
