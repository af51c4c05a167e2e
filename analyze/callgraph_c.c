/* C/C++ call resolution (see callgraph_c.h).
 *
 *   tables: USR -> definitions, bare name -> definitions (name-only files), overridden USR ->
 *           overriders, address-taken functions by slot (field/variable/callee USR) and by type
 *   then each call site of FileFacts.c_calls -> edges, merged into the graph's sorted edges. */
#include "callgraph_c.h"
#include "analyze_int.h"

#include "common/hashmap.h"
#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct link {
    uint32_t value; /* a gid or a ref index */
    uint32_t next;  /* index into links, 0 = end */
};

/* A multimap from byte strings to uint32 lists (heads in a hashmap, chains in one vector). */
struct multimap {
    struct pith_hashmap heads; /* key -> link index */
    PITH_VEC(struct link) links;
};

struct cref {
    const Pith__FuncRef *r;
    uint32_t gid;   /* the referenced function */
    uint32_t scope; /* gid of the enclosing function, 0 at file scope */
    const char *file;
};

struct callgraph_c {
    struct pith_arena arena;
    Pith__Edge *edges; /* the new edges */
    size_t edge_count, edge_cap;
    Pith__Edge **all; /* the merged, sorted array now in the graph */
    struct multimap by_usr, by_name, overriders, refs_by_slot, refs_by_type;
    PITH_VEC(struct cref) refs;
    const Pith__Graph *g;
    PITH_VEC(Pith__FileFacts *) files; /* [graph file index] */
    uint32_t *base;                    /* [graph file index] first gid - 1 */
    const char **usr;                  /* [gid] USR of each C/C++ symbol, NULL otherwise */
};

struct u32vec {
    uint32_t *items;
    size_t count, cap;
};

static void mm_init(struct multimap *m)
{
    pith_hashmap_init(&m->heads);
    pith_vec_push(&m->links, ((struct link){ 0, 0 }));
}

static void mm_release(struct multimap *m)
{
    pith_hashmap_release(&m->heads);
    pith_vec_release(&m->links);
}

/* `key` must outlive the map. Values are kept in insertion order. */
static void mm_add(struct multimap *m, const char *key, size_t len, uint32_t value)
{
    pith_vec_push(&m->links, ((struct link){ value, 0 }));
    uint32_t idx = (uint32_t)m->links.count - 1, head;
    if (!pith_hashmap_get(&m->heads, key, len, &head)) {
        pith_hashmap_put(&m->heads, key, len, idx);
        return;
    }
    while (m->links.items[head].next)
        head = m->links.items[head].next;
    m->links.items[head].next = idx;
}

static uint32_t mm_first(const struct multimap *m, const char *key, size_t len)
{
    uint32_t head;
    return key && pith_hashmap_get(&m->heads, key, len, &head) ? head : 0;
}

static int is_c_file(const Pith__FileFacts *ff)
{
    return ff->language && (!strcmp(ff->language, "c") || !strcmp(ff->language, "cpp"));
}

static int is_header(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcmp(dot, ".h") || !strcmp(dot, ".hh") || !strcmp(dot, ".hpp") ||
                   !strcmp(dot, ".hxx"));
}

static const char *bare_name(const char *q)
{
    const char *paren = strchr(q, '(');
    size_t n = paren ? (size_t)(paren - q) : strlen(q);
    const char *start = q;
    for (size_t i = 0; i + 1 < n; i++) {
        if (q[i] == ':' && q[i + 1] == ':')
            start = q + i + 2;
    }
    return start;
}

static size_t bare_len(const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != '(' && s[n] != '<')
        n++;
    return n;
}

static void add_edge(struct callgraph_c *c,
                     uint32_t caller,
                     uint32_t callee,
                     int kind,
                     uint32_t conf,
                     const Pith__CallSite *cs,
                     const char *reason)
{
    if (c->edge_count == c->edge_cap) {
        c->edge_cap = c->edge_cap ? c->edge_cap * 2 : 256;
        c->edges = pith_xrealloc(c->edges, c->edge_cap * sizeof *c->edges);
    }
    Pith__Edge *e = &c->edges[c->edge_count++];
    pith__edge__init(e);
    e->caller = caller;
    e->callee = callee;
    e->kind = kind;
    e->confidence = conf;
    e->line = cs->line;
    e->col = cs->col;
    e->callee_name = cs->callee ? cs->callee : (char *)"";
    e->reason = (char *)(reason ? reason : "");
}

static const char *afmt(struct callgraph_c *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *afmt(struct callgraph_c *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return pith_arena_strdup(&c->arena, buf);
}

static const char *qualname(const struct callgraph_c *c, uint32_t gid)
{
    return gid && gid <= c->g->n_symbols ? c->g->symbols[gid - 1]->qualname : "?";
}

/* Is gid a constructor ("A::A(...)")? */
static int is_constructor(const struct callgraph_c *c, uint32_t gid)
{
    const Pith__GSymbol *s = c->g->symbols[gid - 1];
    const char *q = strchr(s->qualname, ':');
    q = q ? q + 1 : s->qualname; /* after "path:" */
    const char *paren = strchr(q, '(');
    size_t n = paren ? (size_t)(paren - q) : strlen(q);
    /* last two "::" components equal */
    const char *last = NULL, *prev = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if (q[i] == ':' && q[i + 1] == ':') {
            prev = last;
            last = q + i + 2;
        }
    }
    if (!last)
        return 0;
    const char *pstart = prev ? prev : q;
    size_t plen = (size_t)(last - 2 - pstart), llen = (size_t)(q + n - last);
    return plen == llen && !memcmp(pstart, last, llen);
}

/* Every method overriding `usr`, transitively (gids, each once). */
static void overriders_of(struct callgraph_c *c, const char *usr, struct u32vec *out, int depth)
{
    if (depth > 32)
        return;
    for (uint32_t l = mm_first(&c->overriders, usr, strlen(usr)); l;
         l = c->overriders.links.items[l].next) {
        uint32_t gid = c->overriders.links.items[l].value;
        int seen = 0;
        for (size_t i = 0; i < out->count; i++)
            seen |= out->items[i] == gid;
        if (seen)
            continue;
        pith_vec_push(out, gid);
        overriders_of(c, c->usr[gid], out, depth + 1);
    }
}

static const char *ctx_phrase(struct callgraph_c *c, const struct cref *r)
{
    const Pith__FuncRef *f = r->r;
    switch (f->context) {
    case PITH__FUNC_REF__CONTEXT__FIELD:
        return f->owner[0] ? afmt(c, "stored in %s by %s (%s:%u)", f->target_name, f->owner,
                                  r->file, f->line)
                           : afmt(c, "stored in %s (%s:%u)", f->target_name, r->file, f->line);
    case PITH__FUNC_REF__CONTEXT__ARRAY:
        return afmt(c, "stored in array %s (%s:%u)", f->target_name, r->file, f->line);
    case PITH__FUNC_REF__CONTEXT__VARIABLE:
        return afmt(c, "assigned to %s (%s:%u)", f->target_name, r->file, f->line);
    case PITH__FUNC_REF__CONTEXT__ARGUMENT:
        return afmt(c, "passed as argument %u of %.*s (%s:%u)", f->arg_index + 1,
                    (int)strcspn(f->target_name, "#"), f->target_name, r->file, f->line);
    default:
        return afmt(c, "address taken (%s:%u)", r->file, f->line);
    }
}

/* Indirect edges from `caller` to the refs chained from `head` that pass `keep`; returns the
 * number of edges added. */
static size_t indirect_edges(struct callgraph_c *c,
                             uint32_t caller,
                             const Pith__CallSite *cs,
                             const struct multimap *m,
                             uint32_t head,
                             int (*keep)(const struct cref *, const Pith__CallSite *, uint32_t),
                             uint32_t conf,
                             const char *prefix)
{
    struct u32vec done = { 0 };
    size_t n = 0;
    for (uint32_t l = head; l; l = m->links.items[l].next) {
        const struct cref *r = &c->refs.items[m->links.items[l].value];
        if (!keep(r, cs, caller))
            continue;
        int seen = 0;
        for (size_t i = 0; i < done.count; i++)
            seen |= done.items[i] == r->gid;
        if (seen)
            continue;
        pith_vec_push(&done, r->gid);
        add_edge(c, caller, r->gid, PITH__EDGE_KIND__EDGE_INDIRECT, conf, cs,
                 afmt(c, "%s%s", prefix, ctx_phrase(c, r)));
        n++;
    }
    pith_vec_release(&done);
    return n;
}

static int keep_any(const struct cref *r, const Pith__CallSite *cs, uint32_t caller)
{
    (void)r;
    (void)cs;
    (void)caller;
    return 1;
}

static int keep_same_type(const struct cref *r, const Pith__CallSite *cs, uint32_t caller)
{
    (void)caller;
    return !strcmp(r->r->fn_type, cs->fn_type);
}

static int keep_argument_of_caller(const struct cref *r, const Pith__CallSite *cs, uint32_t caller)
{
    (void)caller;
    return r->r->context == PITH__FUNC_REF__CONTEXT__ARGUMENT &&
           !strcmp(r->r->fn_type, cs->fn_type);
}

static int keep_array(const struct cref *r, const Pith__CallSite *cs, uint32_t caller)
{
    (void)caller;
    return r->r->context == PITH__FUNC_REF__CONTEXT__ARRAY && !strcmp(r->r->fn_type, cs->fn_type);
}

/* Calls through a pointer: the functions stored where the call reads, else those of the type. */
static void resolve_indirect(struct callgraph_c *c, uint32_t caller, const Pith__CallSite *cs)
{
    size_t n = 0;
    const char *t = cs->target_usr ? cs->target_usr : "";
    switch (cs->target) {
    case PITH__CALL_TARGET__CALL_TARGET_FIELD:
    case PITH__CALL_TARGET__CALL_TARGET_VARIABLE:
        if (t[0])
            n = indirect_edges(c, caller, cs, &c->refs_by_slot,
                               mm_first(&c->refs_by_slot, t, strlen(t)), keep_any,
                               CG_C_CONF_INDIRECT_SLOT, "");
        break;
    case PITH__CALL_TARGET__CALL_TARGET_PARAM: {
        /* functions passed to the caller itself as an argument */
        const char *u = c->usr[caller];
        if (u)
            n = indirect_edges(c, caller, cs, &c->refs_by_slot,
                               mm_first(&c->refs_by_slot, u, strlen(u)), keep_argument_of_caller,
                               CG_C_CONF_INDIRECT_SLOT, "");
        break;
    }
    default:
        if (cs->fn_type[0])
            n = indirect_edges(c, caller, cs, &c->refs_by_type,
                               mm_first(&c->refs_by_type, cs->fn_type, strlen(cs->fn_type)),
                               keep_array, CG_C_CONF_INDIRECT_SLOT, "");
        break;
    }
    if (n)
        return;
    /* only the type is known: every address-taken function of that type, if not too many */
    size_t cand = 0;
    uint32_t head =
        cs->fn_type[0] ? mm_first(&c->refs_by_type, cs->fn_type, strlen(cs->fn_type)) : 0;
    for (uint32_t l = head; l; l = c->refs_by_type.links.items[l].next)
        cand++;
    if (cand && cand <= CG_C_MAX_TYPE_CANDIDATES)
        n = indirect_edges(c, caller, cs, &c->refs_by_type, head, keep_same_type,
                           CG_C_CONF_INDIRECT_TYPE, "same function type; ");
    if (!n)
        add_edge(c, caller, 0, PITH__EDGE_KIND__EDGE_UNRESOLVED, 0, cs,
                 cand ? afmt(c, "call through a pointer: %zu address-taken functions of type %s",
                             cand, cs->fn_type)
                      : afmt(c, "call through a pointer: no address-taken function of type %s",
                             cs->fn_type[0] ? cs->fn_type : "?"));
}

static void resolve_usr(struct callgraph_c *c, uint32_t caller, const Pith__CallSite *cs)
{
    const char *u = cs->callee_usr;
    uint32_t head = mm_first(&c->by_usr, u, strlen(u));
    size_t n = 0;
    for (uint32_t l = head; l; l = c->by_usr.links.items[l].next)
        n++;
    if (cs->is_virtual) {
        struct u32vec ov = { 0 };
        for (uint32_t l = head; l; l = c->by_usr.links.items[l].next)
            add_edge(c, caller, c->by_usr.links.items[l].value, PITH__EDGE_KIND__EDGE_VIRTUAL, 1000,
                     cs, "static target of a virtual call");
        overriders_of(c, u, &ov, 0);
        for (size_t i = 0; i < ov.count; i++)
            add_edge(c, caller, ov.items[i], PITH__EDGE_KIND__EDGE_VIRTUAL,
                     CG_C_CONF_VIRTUAL_OVERRIDE, cs,
                     afmt(c, "virtual call: override of %s", cs->callee));
        if (!n && !ov.count)
            add_edge(c, caller, 0, PITH__EDGE_KIND__EDGE_EXTERNAL, 1000, cs, "");
        pith_vec_release(&ov);
        return;
    }
    if (!n) {
        add_edge(c, caller, 0, PITH__EDGE_KIND__EDGE_EXTERNAL, 1000, cs, "");
        return;
    }
    for (uint32_t l = head; l; l = c->by_usr.links.items[l].next) {
        uint32_t gid = c->by_usr.links.items[l].value;
        if (n > 1)
            add_edge(c, caller, gid, PITH__EDGE_KIND__EDGE_AMBIGUOUS, (uint32_t)(1000 / n), cs,
                     afmt(c, "%zu definitions of the same external symbol", n));
        else
            add_edge(c, caller, gid,
                     is_constructor(c, gid) ? PITH__EDGE_KIND__EDGE_CONSTRUCTOR
                                            : PITH__EDGE_KIND__EDGE_DIRECT,
                     1000, cs,
                     cs->macro && cs->macro[0] ? afmt(c, "written inside macro %s", cs->macro)
                                               : "");
    }
}

#define NAME_REASON "name match, no compilation database"

/* Tree-sitter files: by name; a static function of the caller's file wins. */
static void
resolve_name(struct callgraph_c *c, uint32_t caller, uint32_t file, const Pith__CallSite *cs)
{
    if (cs->target != PITH__CALL_TARGET__CALL_TARGET_FUNCTION) {
        add_edge(c, caller, 0, PITH__EDGE_KIND__EDGE_UNRESOLVED, 0, cs,
                 "call through a pointer; no compilation database");
        return;
    }
    const char *name = bare_name(cs->callee);
    size_t len = bare_len(name);
    uint32_t head = mm_first(&c->by_name, name, len);
    struct u32vec local = { 0 }, global = { 0 };
    for (uint32_t l = head; l; l = c->by_name.links.items[l].next) {
        uint32_t gid = c->by_name.links.items[l].value;
        const Pith__GSymbol *s = c->g->symbols[gid - 1];
        if (s->file == file + 1)
            pith_vec_push(&local, gid);
        else
            pith_vec_push(&global, gid);
    }
    /* same file first (statics and local definitions), else every file's non-static ones */
    struct u32vec *pick = local.count ? &local : &global;
    if (pick == &global) {
        size_t k = 0;
        for (size_t i = 0; i < global.count; i++) {
            uint32_t gid = global.items[i];
            const Pith__GSymbol *s = c->g->symbols[gid - 1];
            Pith__FileFacts *ff = c->files.items[s->file - 1];
            uint32_t local_id = gid - c->base[s->file - 1];
            if (local_id >= 1 && local_id <= ff->n_symbols &&
                ff->symbols[local_id - 1]->is_static && !is_header(ff->path))
                continue; /* another file's static; a header's is every includer's */
            global.items[k++] = gid;
        }
        global.count = k;
    }
    if (!pick->count)
        add_edge(c, caller, 0, PITH__EDGE_KIND__EDGE_EXTERNAL, CG_C_CONF_NAME_ONLY, cs,
                 NAME_REASON);
    for (size_t i = 0; i < pick->count; i++)
        add_edge(c, caller, pick->items[i],
                 pick->count > 1 ? PITH__EDGE_KIND__EDGE_AMBIGUOUS : PITH__EDGE_KIND__EDGE_DIRECT,
                 (uint32_t)(CG_C_CONF_NAME_ONLY / pick->count), cs,
                 pick->count > 1 ? afmt(c, NAME_REASON "; %zu candidates", pick->count)
                                 : NAME_REASON);
    pith_vec_release(&local);
    pith_vec_release(&global);
}

/* The order of callgraph.c's edges: (caller, line, col, callee, kind, callee_name, confidence,
 * reason). */
static int cmp_edge_ptrs(const void *a, const void *b)
{
    return analyze_edge_cmp(*(Pith__Edge *const *)a, *(Pith__Edge *const *)b);
}

static int cmp_facts_path(const void *a, const void *b)
{
    const Pith__FileFacts *x = *(Pith__FileFacts *const *)a, *y = *(Pith__FileFacts *const *)b;
    return strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

void callgraph_c_build(struct callgraph_c **out,
                       struct callgraph_c_stats *stats,
                       Pith__Graph *g,
                       Pith__FileFacts *const *facts,
                       size_t count)
{
    struct callgraph_c *c = pith_xcalloc(1, sizeof *c);
    struct callgraph_c_stats st = { 0 };
    pith_arena_init(&c->arena);
    c->g = g;
    mm_init(&c->by_usr);
    mm_init(&c->by_name);
    mm_init(&c->overriders);
    mm_init(&c->refs_by_slot);
    mm_init(&c->refs_by_type);
    *out = c;
    /* graph file order = facts sorted by path (analyze_graph_build) */
    for (size_t i = 0; i < count; i++)
        pith_vec_push(&c->files, facts[i]);
    if (c->files.count > 1)
        qsort(c->files.items, c->files.count, sizeof *c->files.items, cmp_facts_path);
    size_t nf = c->files.count;
    c->base = pith_xcalloc(nf + 1, sizeof *c->base);
    c->usr = pith_xcalloc(g->n_symbols + 1, sizeof *c->usr);
    uint32_t base = 0;
    int any = 0;
    for (size_t f = 0; f < nf; f++) {
        Pith__FileFacts *ff = c->files.items[f];
        c->base[f] = base;
        if (is_c_file(ff)) {
            any = 1;
            st.files++;
            st.no_compdb += ff->no_compdb;
            for (size_t i = 0; i < ff->n_symbols && base + i < g->n_symbols; i++) {
                const Pith__Symbol *s = ff->symbols[i];
                uint32_t gid = base + (uint32_t)i + 1;
                if (s->usr && s->usr[0]) {
                    c->usr[gid] = s->usr;
                    mm_add(&c->by_usr, s->usr, strlen(s->usr), gid);
                    for (size_t k = 0; k < s->n_overrides; k++)
                        mm_add(&c->overriders, s->overrides[k], strlen(s->overrides[k]), gid);
                }
                const char *bn = bare_name(s->qualname && s->qualname[0] ? s->qualname : s->name);
                if (ff->no_compdb)
                    mm_add(&c->by_name, bn, bare_len(bn), gid);
            }
        }
        base += (uint32_t)ff->n_symbols;
    }
    if (!any || base != g->n_symbols)
        goto done; /* nothing to do, or not the graph of these facts */
    /* address-taken functions */
    for (size_t f = 0; f < nf; f++) {
        Pith__FileFacts *ff = c->files.items[f];
        if (!is_c_file(ff) || ff->status != PITH__FILE_STATUS__FILE_OK)
            continue;
        for (size_t i = 0; i < ff->n_func_refs; i++) {
            const Pith__FuncRef *r = ff->func_refs[i];
            uint32_t head = mm_first(&c->by_usr, r->usr, strlen(r->usr));
            if (!head)
                continue; /* not defined in the repository */
            struct cref cr = { r, c->by_usr.links.items[head].value,
                               r->scope && r->scope <= ff->n_symbols ? c->base[f] + r->scope : 0,
                               ff->path };
            pith_vec_push(&c->refs, cr);
        }
    }
    for (size_t i = 0; i < c->refs.count; i++) {
        const Pith__FuncRef *r = c->refs.items[i].r;
        if (r->target_usr[0])
            mm_add(&c->refs_by_slot, r->target_usr, strlen(r->target_usr), (uint32_t)i);
        if (r->fn_type[0])
            mm_add(&c->refs_by_type, r->fn_type, strlen(r->fn_type), (uint32_t)i);
    }
    /* call sites */
    for (size_t f = 0; f < nf; f++) {
        Pith__FileFacts *ff = c->files.items[f];
        if (!is_c_file(ff) || ff->status != PITH__FILE_STATUS__FILE_OK)
            continue;
        for (size_t i = 0; i < ff->n_c_calls; i++) {
            const Pith__CallSite *cs = ff->c_calls[i];
            if (!cs->caller || cs->caller > ff->n_symbols)
                continue; /* file scope (C++ static initialisers) */
            uint32_t caller = c->base[f] + cs->caller;
            size_t before = c->edge_count;
            if (cs->name_only)
                resolve_name(c, caller, (uint32_t)f, cs);
            else if (cs->target == PITH__CALL_TARGET__CALL_TARGET_FUNCTION && cs->callee_usr[0])
                resolve_usr(c, caller, cs);
            else
                resolve_indirect(c, caller, cs);
            for (size_t k = before; k < c->edge_count; k++)
                st.indirect += c->edges[k].kind == PITH__EDGE_KIND__EDGE_INDIRECT;
        }
    }
    st.edges = c->edge_count;
    if (c->edge_count) {
        size_t n = g->n_edges + c->edge_count;
        c->all = pith_xmalloc(n * sizeof *c->all);
        memcpy(c->all, g->edges, g->n_edges * sizeof *g->edges);
        for (size_t i = 0; i < c->edge_count; i++)
            c->all[g->n_edges + i] = &c->edges[i];
        qsort(c->all, n, sizeof *c->all, cmp_edge_ptrs);
        g->edges = c->all;
        g->n_edges = n;
    }
done:
    (void)qualname;
    if (stats)
        *stats = st;
}

void callgraph_c_free(struct callgraph_c *c)
{
    if (!c)
        return;
    mm_release(&c->by_usr);
    mm_release(&c->by_name);
    mm_release(&c->overriders);
    mm_release(&c->refs_by_slot);
    mm_release(&c->refs_by_type);
    pith_vec_release(&c->refs);
    pith_vec_release(&c->files);
    free(c->base);
    free(c->usr);
    free(c->edges);
    free(c->all);
    pith_arena_release(&c->arena);
    free(c);
}
