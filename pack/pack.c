/* pith-pack, building: graph (+ vectors) -> the sections of one shard and the MANIFEST, all in
 * memory (see pack.h; byte layout in common/artifact.h and docs/FORMAT.md). */
#include "pack.h"

#include "common/artifact.h"
#include "common/err.h"
#include "common/hashmap.h"
#include "common/lex.h"
#include "common/mem.h"
#include "common/version.h"
#include "schemas/manifest.pb-c.h"
#include "schemas/record.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "pith-pack writes structs as they lie in memory: little-endian hosts only"
#endif

#define RECORDS_PER_BLOCK 64u
#define ZSTD_LEVEL        3
#define MAX_SYMBOL_KIND   6u  /* SYMBOL_LAMBDA */
#define MAX_EDGE_KIND     10u /* EDGE_INDIRECT */
#define MAX_FILE_STATUS   5u  /* FILE_SKIPPED_IO */

_Static_assert(sizeof(struct pith_disk_header) == 64, "header layout");
_Static_assert(sizeof(struct pith_disk_section) == 32, "section layout");
_Static_assert(sizeof(struct pith_disk_file) == 40, "file layout");
_Static_assert(sizeof(struct pith_disk_symbol) == 48, "symbol layout");
_Static_assert(sizeof(struct pith_disk_edge) == 24, "edge layout");
_Static_assert(sizeof(struct pith_disk_block) == 16, "block layout");
_Static_assert(sizeof(struct pith_disk_lexi_header) == 32, "lexi header layout");
_Static_assert(sizeof(struct pith_disk_term) == 16, "term layout");
_Static_assert(sizeof(struct pith_disk_posting) == 8, "posting layout");

/* ---- string table ----------------------------------------------------------------------- */

struct strtab {
    struct pith_buf buf;
    struct pith_hashmap map;
    struct pith_arena keys;
    int overflow;
};

static void strtab_init(struct strtab *t)
{
    pith_buf_init(&t->buf);
    pith_hashmap_init(&t->map);
    pith_arena_init(&t->keys);
    t->overflow = 0;
    pith_buf_putc(&t->buf, '\0'); /* offset 0 is "" */
}

static void strtab_release(struct strtab *t)
{
    pith_buf_release(&t->buf);
    pith_hashmap_release(&t->map);
    pith_arena_release(&t->keys);
}

static uint32_t strtab_addn(struct strtab *t, const char *s, size_t n)
{
    uint32_t off;
    if (n == 0)
        return 0;
    if (pith_hashmap_get(&t->map, s, n, &off))
        return off;
    if (t->buf.len + n + 1 > UINT32_MAX) {
        t->overflow = 1;
        return 0;
    }
    off = (uint32_t)t->buf.len;
    pith_buf_put(&t->buf, s, n);
    pith_buf_putc(&t->buf, '\0');
    pith_hashmap_put(&t->map, pith_arena_strndup(&t->keys, s, n), n, off);
    return off;
}

static uint32_t strtab_add(struct strtab *t, const char *s)
{
    return s ? strtab_addn(t, s, strlen(s)) : 0;
}

/* ---- the build state -------------------------------------------------------------------- */

struct tmp_edge {
    uint32_t node; /* caller (CALE) or callee (CALR) artifact id */
    struct pith_disk_edge e;
};

struct pack_ctx {
    const Pith__Graph *g;
    uint32_t nsyms, nfiles;
    uint32_t *order;      /* artifact id - 1 -> graph index (0-based) */
    uint32_t *remap;      /* graph id -> artifact id */
    const char **summary; /* by graph id */
    struct strtab strs;
    PITH_VEC(struct tmp_edge) cale;
    PITH_VEC(struct tmp_edge) calr;
};

static const Pith__GSymbol *sym_of(const struct pack_ctx *c, uint32_t art_id)
{
    return c->g->symbols[c->order[art_id - 1]];
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static const Pith__Graph *sort_graph;

static int cmp_qualname(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int r = strcmp(nz(sort_graph->symbols[x]->qualname), nz(sort_graph->symbols[y]->qualname));
    if (r)
        return r;
    return x < y ? -1 : x > y;
}

static const struct pack_ctx *sort_ctx;

static int cmp_name(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int r = strcmp(nz(sym_of(sort_ctx, x)->name), nz(sym_of(sort_ctx, y)->name));
    if (r)
        return r;
    return x < y ? -1 : x > y; /* ids are in qualname order */
}

#define CMP_FIELD(a, b)                \
    do {                               \
        if ((a) != (b))                \
            return (a) < (b) ? -1 : 1; \
    } while (0)

static int cmp_cale(const void *a, const void *b)
{
    const struct tmp_edge *x = a, *y = b;
    CMP_FIELD(x->node, y->node);
    CMP_FIELD(x->e.line, y->e.line);
    CMP_FIELD(x->e.col, y->e.col);
    CMP_FIELD(x->e.other, y->e.other);
    CMP_FIELD(x->e.kind, y->e.kind);
    CMP_FIELD(x->e.confidence, y->e.confidence);
    CMP_FIELD(x->e.name, y->e.name);
    CMP_FIELD(x->e.reason, y->e.reason);
    return 0;
}

static int cmp_calr(const void *a, const void *b)
{
    const struct tmp_edge *x = a, *y = b;
    CMP_FIELD(x->node, y->node);
    CMP_FIELD(x->e.other, y->e.other); /* caller id = caller qualname order */
    return cmp_cale(a, b);
}

/* Checks every id in the graph, so the rest of the build can index without checks. */
static int check_graph(const Pith__Graph *g)
{
    if (g->n_symbols >= UINT32_MAX / 2 || g->n_files >= UINT32_MAX / 2 ||
        g->n_edges >= UINT32_MAX / 2)
        return pith_error_set(PITH_ETOOBIG, "graph has too many symbols, files or edges");
    for (size_t i = 0; i < g->n_files; i++) {
        if ((uint32_t)g->files[i]->status > MAX_FILE_STATUS)
            return pith_error_set(PITH_ECORRUPT, "graph file %zu has unknown status %d", i + 1,
                                  (int)g->files[i]->status);
    }
    for (size_t i = 0; i < g->n_symbols; i++) {
        const Pith__GSymbol *s = g->symbols[i];
        if (s->file > g->n_files || s->parent > g->n_symbols)
            return pith_error_set(PITH_ECORRUPT, "graph symbol %zu references an id out of range",
                                  i + 1);
        if ((uint32_t)s->kind > MAX_SYMBOL_KIND)
            return pith_error_set(PITH_ECORRUPT, "graph symbol %zu has unknown kind %d", i + 1,
                                  (int)s->kind);
    }
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *e = g->edges[i];
        if (e->caller == 0 || e->caller > g->n_symbols || e->callee > g->n_symbols)
            return pith_error_set(PITH_ECORRUPT, "graph edge %zu references a symbol out of range",
                                  i + 1);
        if ((uint32_t)e->kind > MAX_EDGE_KIND || e->confidence > 1000)
            return pith_error_set(PITH_ECORRUPT, "graph edge %zu has a bad kind or confidence",
                                  i + 1);
    }
    return 0;
}

/* A heuristic until analyze records test detection: test_* functions and Test* classes in test
 * files (test_*.py, *_test.py, or under a tests/ or test/ folder). */
static int is_test_symbol(const Pith__GSymbol *s, const Pith__GFile *f)
{
    if (!f || !f->path)
        return 0;
    const char *path = f->path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    int test_file = strncmp(base, "test_", 5) == 0 ||
                    (bl > 8 && strcmp(base + bl - 8, "_test.py") == 0) ||
                    strncmp(path, "tests/", 6) == 0 || strncmp(path, "test/", 5) == 0 ||
                    strstr(path, "/tests/") != NULL || strstr(path, "/test/") != NULL;
    if (!test_file || !s->name)
        return 0;
    if (s->kind == PITH__SYMBOL_KIND__SYMBOL_CLASS)
        return strncmp(s->name, "Test", 4) == 0;
    if (s->kind == PITH__SYMBOL_KIND__SYMBOL_FUNCTION ||
        s->kind == PITH__SYMBOL_KIND__SYMBOL_METHOD)
        return strncmp(s->name, "test", 4) == 0;
    return 0;
}

static void build_files(struct pack_ctx *c, struct pith_buf *out)
{
    struct pith_disk_file f;
    memset(&f, 0, sizeof f);
    pith_buf_put(out, &f, sizeof f);
    for (uint32_t i = 0; i < c->nfiles; i++) {
        const Pith__GFile *gf = c->g->files[i];
        memset(&f, 0, sizeof f);
        f.path = strtab_add(&c->strs, gf->path);
        f.language = strtab_add(&c->strs, gf->language);
        f.module = strtab_add(&c->strs, gf->module);
        f.status = (uint32_t)gf->status;
        f.skip_reason = strtab_add(&c->strs, gf->skip_reason);
        f.line_count = gf->line_count;
        f.content_hash = gf->content_hash;
        f.size = gf->size;
        pith_buf_put(out, &f, sizeof f);
    }
}

static void build_symbols(struct pack_ctx *c, struct pith_buf *out)
{
    struct pith_disk_symbol d;
    memset(&d, 0, sizeof d);
    pith_buf_put(out, &d, sizeof d);
    for (uint32_t id = 1; id <= c->nsyms; id++) {
        const Pith__GSymbol *s = sym_of(c, id);
        memset(&d, 0, sizeof d);
        d.qualname = strtab_add(&c->strs, s->qualname);
        d.name = strtab_add(&c->strs, s->name);
        d.file = s->file;
        d.kind = (uint32_t)s->kind;
        d.parent = s->parent ? c->remap[s->parent] : 0;
        d.start_line = s->start_line;
        d.start_col = s->start_col;
        d.end_line = s->end_line;
        d.end_col = s->end_col;
        d.signature = strtab_add(&c->strs, s->signature);
        if (s->n_decorators)
            d.flags |= PITH_SYMF_DECORATED;
        if (s->is_async)
            d.flags |= PITH_SYMF_ASYNC;
        if (is_test_symbol(s, s->file ? c->g->files[s->file - 1] : NULL))
            d.flags |= PITH_SYMF_TEST;
        pith_buf_put(out, &d, sizeof d);
    }
}

static void build_names(struct pack_ctx *c, struct pith_buf *out)
{
    uint32_t *ids = pith_xmalloc(((size_t)c->nsyms + 1) * sizeof *ids);
    for (uint32_t i = 0; i < c->nsyms; i++)
        ids[i] = i + 1;
    sort_ctx = c;
    qsort(ids, c->nsyms, sizeof *ids, cmp_name);
    pith_buf_put(out, ids, (size_t)c->nsyms * sizeof *ids);
    free(ids);
}

static void collect_edges(struct pack_ctx *c)
{
    const Pith__Graph *g = c->g;
    for (size_t i = 0; i < g->n_edges; i++) {
        const Pith__Edge *ge = g->edges[i];
        struct tmp_edge t;
        memset(&t, 0, sizeof t);
        t.node = c->remap[ge->caller];
        t.e.other = ge->callee ? c->remap[ge->callee] : 0;
        t.e.line = ge->line;
        t.e.col = ge->col;
        t.e.kind = (uint16_t)ge->kind;
        t.e.confidence = (uint16_t)ge->confidence;
        t.e.name = strtab_add(&c->strs, ge->callee_name);
        t.e.reason = strtab_add(&c->strs, ge->reason);
        pith_vec_push(&c->cale, t);
        if (t.e.other) {
            struct tmp_edge r = t;
            r.node = t.e.other;
            r.e.other = t.node;
            pith_vec_push(&c->calr, r);
        }
    }
    if (c->cale.count)
        qsort(c->cale.items, c->cale.count, sizeof *c->cale.items, cmp_cale);
    if (c->calr.count)
        qsort(c->calr.items, c->calr.count, sizeof *c->calr.items, cmp_calr);
}

/* u32 node_count | u32 edge_count | u32 offsets[node_count + 1] | pad 8 | edges */
static void
build_csr(const struct pack_ctx *c, struct pith_buf *out, const struct tmp_edge *e, size_t n)
{
    uint32_t nodes = c->nsyms + 1;
    pith_buf_put_u32(out, nodes);
    pith_buf_put_u32(out, (uint32_t)n);
    size_t k = 0;
    for (uint32_t node = 0; node <= nodes; node++) {
        while (k < n && e[k].node < node)
            k++;
        pith_buf_put_u32(out, (uint32_t)k);
    }
    pith_buf_align(out, 8);
    for (size_t i = 0; i < n; i++)
        pith_buf_put(out, &e[i].e, sizeof e[i].e);
}

static void pack_record(const struct pack_ctx *c, uint32_t id, struct pith_buf *out)
{
    if (id == 0)
        return;
    const Pith__GSymbol *s = sym_of(c, id);
    Pith__SymbolRecord r = PITH__SYMBOL_RECORD__INIT;
    r.docstring = (char *)nz(s->docstring);
    r.n_params = s->n_params;
    r.params = s->params;
    r.returns = (char *)nz(s->returns);
    r.n_decorators = s->n_decorators;
    r.decorators = s->decorators;
    r.n_bases = s->n_bases;
    r.bases = s->bases;
    r.comments = (char *)nz(s->comments);
    r.summary = (char *)nz(c->summary[c->order[id - 1] + 1]);
    r.is_async = s->is_async;
    size_t n = pith__symbol_record__get_packed_size(&r);
    pith_buf_grow(out, n);
    pith__symbol_record__pack(&r, (uint8_t *)out->ptr + out->len);
    out->len += n;
    out->ptr[out->len] = '\0';
}

/* u32 block_count | u32 record_count | u32 records_per_block | u32 0 | seek[] | zstd frames */
static int build_records(const struct pack_ctx *c, struct pith_buf *out)
{
    uint32_t records = c->nsyms + 1;
    uint32_t blocks = (records + RECORDS_PER_BLOCK - 1) / RECORDS_PER_BLOCK;
    struct pith_buf frames = PITH_BUF_INIT, raw = PITH_BUF_INIT, body = PITH_BUF_INIT;
    struct pith_disk_block *seek = pith_xcalloc(blocks, sizeof *seek);
    int err = 0;
    size_t frames_base = 16 + (size_t)blocks * sizeof *seek;
    for (uint32_t b = 0; b < blocks; b++) {
        uint32_t first = b * RECORDS_PER_BLOCK;
        uint32_t n = records - first < RECORDS_PER_BLOCK ? records - first : RECORDS_PER_BLOCK;
        pith_buf_clear(&raw);
        pith_buf_clear(&body);
        pith_buf_put_u32(&raw, n);
        for (uint32_t i = 0; i < n; i++) {
            pack_record(c, first + i, &body);
            pith_buf_put_u32(&raw, (uint32_t)body.len);
        }
        pith_buf_put(&raw, body.ptr ? body.ptr : "", body.len);
        if (raw.len > PITH_RECS_MAX_RAW) {
            err = pith_error_set(PITH_ETOOBIG, "records of block %u exceed %u bytes", b,
                                 PITH_RECS_MAX_RAW);
            goto out;
        }
        size_t bound = ZSTD_compressBound(raw.len);
        pith_buf_grow(&frames, bound);
        size_t z = ZSTD_compress(frames.ptr + frames.len, bound, raw.ptr, raw.len, ZSTD_LEVEL);
        if (ZSTD_isError(z))
            PITH_BUG("zstd compression failed");
        seek[b].offset = frames_base + frames.len;
        seek[b].zlen = (uint32_t)z;
        seek[b].raw_len = (uint32_t)raw.len;
        frames.len += z;
    }
    pith_buf_put_u32(out, blocks);
    pith_buf_put_u32(out, records);
    pith_buf_put_u32(out, RECORDS_PER_BLOCK);
    pith_buf_put_u32(out, 0);
    pith_buf_put(out, seek, (size_t)blocks * sizeof *seek);
    pith_buf_put(out, frames.ptr ? frames.ptr : "", frames.len);
out:
    free(seek);
    pith_buf_release(&frames);
    pith_buf_release(&raw);
    pith_buf_release(&body);
    return err;
}

/* ---- lexicon ---------------------------------------------------------------------------- */

struct lex_entry {
    uint32_t term;
    uint32_t doc;
    uint8_t tf[PITH_LEX_FIELDS];
};

struct lexb {
    struct pith_hashmap terms;
    struct pith_arena arena;
    PITH_VEC(const char *) term_str;
    PITH_VEC(uint32_t) last_doc;
    PITH_VEC(uint32_t) slot;
    PITH_VEC(struct lex_entry) entries;
    uint32_t doc;
    int field;
    uint32_t field_len[PITH_LEX_FIELDS];
};

static void lex_on_token(const char *tok, size_t len, void *payload)
{
    struct lexb *l = payload;
    uint32_t t;
    if (!pith_hashmap_get(&l->terms, tok, len, &t)) {
        t = (uint32_t)l->term_str.count;
        const char *k = pith_arena_strndup(&l->arena, tok, len);
        pith_hashmap_put(&l->terms, k, len, t);
        pith_vec_push(&l->term_str, k);
        pith_vec_push(&l->last_doc, 0);
        pith_vec_push(&l->slot, 0);
    }
    if (l->last_doc.items[t] != l->doc) {
        struct lex_entry e;
        memset(&e, 0, sizeof e);
        e.term = t;
        e.doc = l->doc;
        l->last_doc.items[t] = l->doc;
        l->slot.items[t] = (uint32_t)l->entries.count;
        pith_vec_push(&l->entries, e);
    }
    uint8_t *tf = &l->entries.items[l->slot.items[t]].tf[l->field];
    if (*tf < 255)
        (*tf)++;
    l->field_len[l->field]++;
}

static void lex_field(struct lexb *l, int field, const char *text)
{
    l->field = field;
    if (text)
        pith_lex_tokens(text, strlen(text), lex_on_token, l);
}

static const char *const *sort_terms;

static int cmp_term(const void *a, const void *b)
{
    return strcmp(sort_terms[*(const uint32_t *)a], sort_terms[*(const uint32_t *)b]);
}

static void build_lexicon(struct pack_ctx *c, struct pith_buf *out)
{
    struct lexb l;
    memset(&l, 0, sizeof l);
    pith_hashmap_init(&l.terms);
    pith_arena_init(&l.arena);
    uint32_t docs = c->nsyms + 1;
    uint16_t *doc_len = pith_xcalloc((size_t)docs * PITH_LEX_FIELDS, sizeof *doc_len);
    double total[PITH_LEX_FIELDS] = { 0 };
    size_t k = 0;
    for (uint32_t id = 1; id <= c->nsyms; id++) {
        const Pith__GSymbol *s = sym_of(c, id);
        l.doc = id;
        memset(l.field_len, 0, sizeof l.field_len);
        lex_field(&l, 0, s->qualname);
        lex_field(&l, 1, s->signature);
        lex_field(&l, 2, s->docstring);
        lex_field(&l, 3, s->comments);
        while (k < c->cale.count && c->cale.items[k].node < id)
            k++;
        for (; k < c->cale.count && c->cale.items[k].node == id; k++)
            lex_field(&l, 3, c->strs.buf.ptr + c->cale.items[k].e.name);
        for (int f = 0; f < PITH_LEX_FIELDS; f++) {
            total[f] += l.field_len[f];
            doc_len[(size_t)id * PITH_LEX_FIELDS + f] =
                (uint16_t)(l.field_len[f] > 65535 ? 65535 : l.field_len[f]);
        }
    }
    /* terms by string; postings grouped by term (stable, so docs stay ascending) */
    uint32_t nterms = (uint32_t)l.term_str.count;
    uint32_t *by_rank = pith_xmalloc(((size_t)nterms + 1) * sizeof *by_rank);
    uint32_t *rank = pith_xmalloc(((size_t)nterms + 1) * sizeof *rank);
    uint32_t *first = pith_xcalloc((size_t)nterms + 1, sizeof *first);
    for (uint32_t t = 0; t < nterms; t++)
        by_rank[t] = t;
    sort_terms = l.term_str.items;
    qsort(by_rank, nterms, sizeof *by_rank, cmp_term);
    for (uint32_t r = 0; r < nterms; r++)
        rank[by_rank[r]] = r;
    for (size_t i = 0; i < l.entries.count; i++)
        first[rank[l.entries.items[i].term] + 1]++;
    for (uint32_t r = 0; r < nterms; r++)
        first[r + 1] += first[r];

    struct pith_disk_lexi_header h;
    memset(&h, 0, sizeof h);
    h.term_count = nterms;
    h.posting_count = (uint32_t)l.entries.count;
    h.doc_count = docs;
    h.field_count = PITH_LEX_FIELDS;
    for (int f = 0; f < PITH_LEX_FIELDS; f++)
        h.avg_len[f] = c->nsyms ? (float)(total[f] / c->nsyms) : 0.0f;
    pith_buf_put(out, &h, sizeof h);
    for (uint32_t r = 0; r < nterms; r++) {
        struct pith_disk_term dt;
        memset(&dt, 0, sizeof dt);
        dt.term = strtab_add(&c->strs, l.term_str.items[by_rank[r]]);
        dt.first = first[r];
        dt.count = first[r + 1] - first[r];
        pith_buf_put(out, &dt, sizeof dt);
    }
    struct pith_disk_posting *post = pith_xcalloc(l.entries.count + 1, sizeof *post);
    for (size_t i = 0; i < l.entries.count; i++) {
        const struct lex_entry *e = &l.entries.items[i];
        struct pith_disk_posting *p = &post[first[rank[e->term]]++];
        p->doc = e->doc;
        memcpy(p->tf, e->tf, sizeof p->tf);
    }
    pith_buf_put(out, post, l.entries.count * sizeof *post);
    pith_buf_put(out, doc_len, (size_t)docs * PITH_LEX_FIELDS * sizeof *doc_len);
    free(post);
    free(by_rank);
    free(rank);
    free(first);
    free(doc_len);
    pith_hashmap_release(&l.terms);
    pith_arena_release(&l.arena);
    pith_vec_release(&l.term_str);
    pith_vec_release(&l.last_doc);
    pith_vec_release(&l.slot);
    pith_vec_release(&l.entries);
}

/* ---- assembly --------------------------------------------------------------------------- */

enum { SEC_STRS, SEC_FILE, SEC_SYMS, SEC_NAME, SEC_CALE, SEC_CALR, SEC_RECS, SEC_LEXI, SEC_COUNT };
static const uint32_t section_ids[SEC_COUNT] = {
    PITH_SEC_STRS, PITH_SEC_FILE, PITH_SEC_SYMS, PITH_SEC_NAME,
    PITH_SEC_CALE, PITH_SEC_CALR, PITH_SEC_RECS, PITH_SEC_LEXI,
};

static void fourcc_name(char out[5], uint32_t id)
{
    for (int i = 0; i < 4; i++)
        out[i] = (char)(id >> (8 * i));
    out[4] = '\0';
}

static void
assemble(struct pith_buf *shard, struct pith_disk_section *table, const struct pith_buf *secs)
{
    size_t off = sizeof(struct pith_disk_header) + SEC_COUNT * sizeof(struct pith_disk_section);
    for (int i = 0; i < SEC_COUNT; i++) {
        off = (off + 7) & ~(size_t)7;
        memset(&table[i], 0, sizeof table[i]);
        table[i].id = section_ids[i];
        table[i].offset = off;
        table[i].len = secs[i].len;
        table[i].checksum = pith_hash64(secs[i].ptr ? secs[i].ptr : "", secs[i].len);
        off += secs[i].len;
    }
    off = (off + 7) & ~(size_t)7;
    struct pith_disk_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, PITH_ARTIFACT_MAGIC, 8);
    h.version = PITH_FORMAT_VERSION;
    h.section_count = SEC_COUNT;
    h.file_len = off + 8;
    h.table_off = sizeof h;
    pith_buf_clear(shard);
    pith_buf_grow(shard, off + 8);
    pith_buf_put(shard, &h, sizeof h);
    pith_buf_put(shard, table, SEC_COUNT * sizeof *table);
    for (int i = 0; i < SEC_COUNT; i++) {
        pith_buf_align(shard, 8);
        pith_buf_put(shard, secs[i].ptr ? secs[i].ptr : "", secs[i].len);
    }
    pith_buf_align(shard, 8);
    pith_buf_put_u64(shard, pith_hash64(shard->ptr, shard->len));
}

static void build_manifest(struct pith_buf *out,
                           const struct pack_input *in,
                           const struct pith_buf *shard,
                           const struct pith_disk_section *table,
                           size_t edge_count)
{
    const Pith__Graph *g = in->graph;
    Pith__Manifest m = PITH__MANIFEST__INIT;
    m.format_version = PITH_FORMAT_VERSION;
    m.tool_version = (char *)PITH_VERSION;
    m.repo_root = (char *)nz(g->repo_root);
    m.source_commit = (char *)nz(in->source_commit);
    m.embedder = (char *)(in->vectors && in->vectors->embedder && in->vectors->embedder[0]
                              ? in->vectors->embedder
                              : "none");
    m.dim = in->vectors ? in->vectors->dim : 0;
    m.symbol_count = g->n_symbols;
    m.edge_count = edge_count;

    Pith__ManifestFile *files = pith_xcalloc(g->n_files + 1, sizeof *files);
    Pith__ManifestFile **fp = pith_xcalloc(g->n_files + 1, sizeof *fp);
    for (size_t i = 0; i < g->n_files; i++) {
        pith__manifest_file__init(&files[i]);
        files[i].path = (char *)nz(g->files[i]->path);
        files[i].content_hash = g->files[i]->content_hash;
        files[i].size = g->files[i]->size;
        files[i].status = (uint32_t)g->files[i]->status;
        files[i].skip_reason = (char *)nz(g->files[i]->skip_reason);
        fp[i] = &files[i];
    }
    m.n_files = g->n_files;
    m.files = fp;

    Pith__ManifestSection secs[SEC_COUNT], *sp[SEC_COUNT];
    char names[SEC_COUNT][5];
    for (int i = 0; i < SEC_COUNT; i++) {
        pith__manifest_section__init(&secs[i]);
        fourcc_name(names[i], table[i].id);
        secs[i].name = names[i];
        secs[i].offset = table[i].offset;
        secs[i].size = table[i].len;
        secs[i].checksum = table[i].checksum;
        sp[i] = &secs[i];
    }
    Pith__ManifestShard sh = PITH__MANIFEST_SHARD__INIT, *shp = &sh;
    sh.name = (char *)PITH_SHARD_NAME;
    sh.size = shard->len;
    sh.checksum = pith_hash64(shard->ptr, shard->len);
    sh.n_sections = SEC_COUNT;
    sh.sections = sp;
    m.n_shards = 1;
    m.shards = &shp;

    size_t n = pith__manifest__get_packed_size(&m);
    pith_buf_clear(out);
    pith_buf_grow(out, n);
    pith__manifest__pack(&m, (uint8_t *)out->ptr);
    out->len = n;
    out->ptr[n] = '\0';
    free(files);
    free(fp);
}

int pack_build(struct pith_buf *shard, struct pith_buf *manifest, const struct pack_input *in)
{
    const Pith__Graph *g = in->graph;
    int err = check_graph(g);
    if (err)
        return err;
    struct pack_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.nsyms = (uint32_t)g->n_symbols;
    c.nfiles = (uint32_t)g->n_files;
    strtab_init(&c.strs);
    struct pith_buf secs[SEC_COUNT];
    for (int i = 0; i < SEC_COUNT; i++)
        pith_buf_init(&secs[i]);

    c.summary = pith_xcalloc((size_t)c.nsyms + 1, sizeof *c.summary);
    if (in->vectors) {
        for (size_t i = 0; i < in->vectors->n_rows; i++) {
            const Pith__VectorRow *row = in->vectors->rows[i];
            if (row->symbol == 0 || row->symbol > c.nsyms) {
                err = pith_error_set(PITH_ECORRUPT, "vectors row %zu names symbol %u out of range",
                                     i + 1, row->symbol);
                goto out;
            }
            c.summary[row->symbol] = row->summary;
        }
    }
    c.order = pith_xmalloc(((size_t)c.nsyms + 1) * sizeof *c.order);
    c.remap = pith_xcalloc((size_t)c.nsyms + 1, sizeof *c.remap);
    for (uint32_t i = 0; i < c.nsyms; i++)
        c.order[i] = i;
    sort_graph = g;
    qsort(c.order, c.nsyms, sizeof *c.order, cmp_qualname);
    for (uint32_t i = 0; i < c.nsyms; i++)
        c.remap[c.order[i] + 1] = i + 1;

    build_files(&c, &secs[SEC_FILE]);
    build_symbols(&c, &secs[SEC_SYMS]);
    build_names(&c, &secs[SEC_NAME]);
    collect_edges(&c);
    build_csr(&c, &secs[SEC_CALE], c.cale.items, c.cale.count);
    build_csr(&c, &secs[SEC_CALR], c.calr.items, c.calr.count);
    err = build_records(&c, &secs[SEC_RECS]);
    if (err)
        goto out;
    build_lexicon(&c, &secs[SEC_LEXI]);
    if (c.strs.overflow) {
        err = pith_error_set(PITH_ETOOBIG, "string table exceeds 4 GiB");
        goto out;
    }
    secs[SEC_STRS] = c.strs.buf;
    pith_buf_init(&c.strs.buf);

    struct pith_disk_section table[SEC_COUNT];
    assemble(shard, table, secs);
    build_manifest(manifest, in, shard, table, c.cale.count);
out:
    for (int i = 0; i < SEC_COUNT; i++)
        pith_buf_release(&secs[i]);
    strtab_release(&c.strs);
    pith_vec_release(&c.cale);
    pith_vec_release(&c.calr);
    free(c.summary);
    free(c.order);
    free(c.remap);
    return err;
}
