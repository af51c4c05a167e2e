/* pith-pack, building: graph (+ vectors) -> the sections of one shard and the MANIFEST, all in
 * memory (see pack.h; byte layout in common/artifact.h and docs/FORMAT.md). */
#include "pack.h"
#include "hnsw_pack.h"
#include "pack_int.h"

#include "common/artifact.h"
#include "common/cpu.h"
#include "common/err.h"
#include "common/hashmap.h"
#include "common/lex.h"
#include "common/mem.h"
#include "common/vdot.h"
#include "common/version.h"
#include "schemas/manifest.pb-c.h"
#include "schemas/record.pb-c.h"

#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
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

/* Interning table: open addressing over (offset, length, hash) of the strings already in `buf`,
 * so keys need no copy of their own and survive `buf` growing. */
struct strtab_slot {
    uint32_t off; /* 0: empty (offset 0 is "" and never stored) */
    uint32_t len;
    uint64_t hash;
};

struct strtab {
    struct pith_buf buf;
    struct strtab_slot *slots;
    size_t cap; /* power of two */
    size_t count;
    int overflow;
};

static void strtab_init(struct strtab *t, size_t expect)
{
    pith_buf_init(&t->buf);
    t->cap = 1024;
    while (t->cap < expect * 2)
        t->cap *= 2;
    t->slots = pith_xcalloc(t->cap, sizeof *t->slots);
    t->count = 0;
    t->overflow = 0;
    pith_buf_grow(&t->buf, expect * 24);
    pith_buf_putc(&t->buf, '\0'); /* offset 0 is "" */
}

static void strtab_release(struct strtab *t)
{
    pith_buf_release(&t->buf);
    free(t->slots);
    t->slots = NULL;
}

static void strtab_grow(struct strtab *t)
{
    size_t cap = t->cap * 2, mask = cap - 1;
    struct strtab_slot *slots = pith_xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].off)
            continue;
        size_t k = (size_t)t->slots[i].hash & mask;
        while (slots[k].off)
            k = (k + 1) & mask;
        slots[k] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

static uint32_t strtab_addn(struct strtab *t, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    uint64_t h = pith_hash64(s, n);
    size_t mask = t->cap - 1, k = (size_t)h & mask;
    for (; t->slots[k].off; k = (k + 1) & mask) {
        const struct strtab_slot *e = &t->slots[k];
        if (e->hash == h && e->len == n && memcmp(t->buf.ptr + e->off, s, n) == 0)
            return e->off;
    }
    if (t->buf.len + n + 1 > UINT32_MAX) {
        t->overflow = 1;
        return 0;
    }
    uint32_t off = (uint32_t)t->buf.len;
    pith_buf_put(&t->buf, s, n);
    pith_buf_putc(&t->buf, '\0');
    t->slots[k].off = off;
    t->slots[k].len = (uint32_t)n;
    t->slots[k].hash = h;
    if (++t->count * 2 > t->cap)
        strtab_grow(t);
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
    uint32_t *order;          /* artifact id - 1 -> graph index (0-based) */
    uint32_t *remap;          /* graph id -> artifact id */
    const char **summary;     /* by graph id */
    uint32_t *edge_first;     /* graph index of a caller -> its first entry of edge_by_caller */
    uint32_t *edge_by_caller; /* graph edge indices grouped by caller */
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

/* Sorting by string: each entry carries the string's first 8 bytes as a big-endian number
 * (zero after the end), so most comparisons are one integer compare and touch no string. The
 * order is strcmp's (unsigned bytes), then `id`. */
struct str_key {
    uint64_t key;
    const char *s;
    uint32_t id;
};

static struct str_key str_key_of(const char *s, uint32_t id)
{
    struct str_key k = { 0, s, id };
    int i = 0;
    for (; i < 8 && s[i]; i++)
        k.key = k.key << 8 | (unsigned char)s[i];
    k.key <<= 8 * (8 - i);
    return k;
}

static int cmp_str_key(const void *a, const void *b)
{
    const struct str_key *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if ((x->key & 0xff) != 0) { /* equal first 8 bytes, none of them the end */
        int r = strcmp(x->s + 8, y->s + 8);
        if (r)
            return r;
    }
    return x->id < y->id ? -1 : x->id > y->id;
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
static int is_test_file(const Pith__GFile *f)
{
    if (!f || !f->path)
        return 0;
    const char *path = f->path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    return strncmp(base, "test_", 5) == 0 || (bl > 8 && strcmp(base + bl - 8, "_test.py") == 0) ||
           strncmp(path, "tests/", 6) == 0 || strncmp(path, "test/", 5) == 0 ||
           strstr(path, "/tests/") != NULL || strstr(path, "/test/") != NULL;
}

static int is_test_symbol(const Pith__GSymbol *s, int test_file)
{
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
    unsigned char *test_file = pith_xcalloc((size_t)c->nfiles + 1, 1); /* by file id */
    for (uint32_t i = 0; i < c->nfiles; i++)
        test_file[i + 1] = (unsigned char)is_test_file(c->g->files[i]);
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
        if (is_test_symbol(s, s->file ? test_file[s->file] : 0))
            d.flags |= PITH_SYMF_TEST;
        pith_buf_put(out, &d, sizeof d);
    }
    free(test_file);
}

static void build_names(struct pack_ctx *c, struct pith_buf *out)
{
    struct str_key *keys = pith_xmalloc(((size_t)c->nsyms + 1) * sizeof *keys);
    for (uint32_t i = 0; i < c->nsyms; i++)
        keys[i] = str_key_of(nz(sym_of(c, i + 1)->name), i + 1); /* ids are in qualname order */
    qsort(keys, c->nsyms, sizeof *keys, cmp_str_key);
    uint32_t *ids = pith_xmalloc(((size_t)c->nsyms + 1) * sizeof *ids);
    for (uint32_t i = 0; i < c->nsyms; i++)
        ids[i] = keys[i].id;
    pith_buf_put(out, ids, (size_t)c->nsyms * sizeof *ids);
    free(ids);
    free(keys);
}

/* Sorts `*items` by `cmp`, whose first key is `node`: a stable counting sort by node (ids are
 * dense), then each node's run by `cmp` (insertion sort for the short runs, which arrive almost
 * in order: graph edges are sorted by caller, line and column). Replaces *items. */
static void sort_by_node(const struct pack_ctx *c,
                         struct tmp_edge **items,
                         size_t n,
                         int (*cmp)(const void *, const void *))
{
    if (n < 2)
        return;
    size_t nodes = (size_t)c->nsyms + 1;
    uint32_t *first = pith_xcalloc(nodes + 1, sizeof *first);
    struct tmp_edge *in = *items, *out = pith_xmalloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++)
        first[in[i].node + 1]++; /* node <= nsyms: remapped ids */
    for (size_t k = 0; k < nodes; k++)
        first[k + 1] += first[k];
    for (size_t i = 0; i < n; i++) /* first[node] ends as the end of its run */
        out[first[in[i].node]++] = in[i];
    size_t a = 0;
    for (size_t k = 0; k < nodes; k++) {
        size_t b = first[k];
        if (b - a > 32) {
            qsort(out + a, b - a, sizeof *out, cmp);
        } else {
            for (size_t i = a + 1; i < b; i++) {
                struct tmp_edge t = out[i];
                size_t j = i;
                for (; j > a && cmp(&out[j - 1], &t) > 0; j--)
                    out[j] = out[j - 1];
                out[j] = t;
            }
        }
        a = b;
    }
    free(first);
    free(in);
    *items = out;
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
    sort_by_node(c, &c->cale.items, c->cale.count, cmp_cale);
    sort_by_node(c, &c->calr.items, c->calr.count, cmp_calr);
    c->cale.cap = c->cale.count; /* exact-size arrays now */
    c->calr.cap = c->calr.count;
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
    if (s->flow.len) {
        /* SymbolRecord.flow (field 30): GSymbol.flow's packed FunctionFlow, copied as is */
        uint8_t hdr[12];
        size_t h = 0;
        hdr[h++] = (uint8_t)((30 << 3 | 2) | 0x80);
        hdr[h++] = (uint8_t)((30 << 3 | 2) >> 7);
        for (size_t v = s->flow.len;; v >>= 7) {
            hdr[h++] = (uint8_t)(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
            if (v < 0x80)
                break;
        }
        pith_buf_put(out, hdr, h);
        pith_buf_put(out, s->flow.data, s->flow.len);
    }
    out->ptr[out->len] = '\0';
}

/* RECS is built in chunks of blocks, each chunk by one task: its frames go to `frames`, their
 * sizes to the shared seek table (offsets are filled in when the chunks are joined, in order). */
#define BLOCKS_PER_CHUNK 16u

struct recs_chunk {
    uint32_t first_block, block_count;
    struct pith_buf frames;
    uint32_t too_big; /* 1 + the block whose raw size exceeds PITH_RECS_MAX_RAW, or 0 */
};

/* Per-thread scratch of the tasks. */
struct worker {
    ZSTD_CCtx *zc;
    struct pith_buf raw, body;
};

static void recs_chunk_build(const struct pack_ctx *c,
                             struct worker *w,
                             struct recs_chunk *ch,
                             struct pith_disk_block *seek)
{
    uint32_t records = c->nsyms + 1;
    if (!w->zc)
        w->zc = ZSTD_createCCtx();
    if (!w->zc)
        PITH_BUG("out of memory for a zstd context");
    for (uint32_t b = ch->first_block; b < ch->first_block + ch->block_count; b++) {
        uint32_t first = b * RECORDS_PER_BLOCK;
        uint32_t n = records - first < RECORDS_PER_BLOCK ? records - first : RECORDS_PER_BLOCK;
        pith_buf_clear(&w->raw);
        pith_buf_clear(&w->body);
        pith_buf_put_u32(&w->raw, n);
        for (uint32_t i = 0; i < n; i++) {
            pack_record(c, first + i, &w->body);
            pith_buf_put_u32(&w->raw, (uint32_t)w->body.len);
        }
        pith_buf_put(&w->raw, w->body.ptr ? w->body.ptr : "", w->body.len);
        if (w->raw.len > PITH_RECS_MAX_RAW) {
            ch->too_big = b + 1;
            return;
        }
        size_t bound = ZSTD_compressBound(w->raw.len);
        pith_buf_grow(&ch->frames, bound);
        size_t z = ZSTD_compressCCtx(w->zc, ch->frames.ptr + ch->frames.len, bound, w->raw.ptr,
                                     w->raw.len, ZSTD_LEVEL);
        if (ZSTD_isError(z))
            PITH_BUG("zstd compression failed");
        seek[b].offset = ch->frames.len; /* within the chunk for now */
        seek[b].zlen = (uint32_t)z;
        seek[b].raw_len = (uint32_t)w->raw.len;
        ch->frames.len += z;
    }
}

/* u32 block_count | u32 record_count | u32 records_per_block | u32 0 | seek[] | zstd frames */
static int recs_join(struct pith_buf *out,
                     const struct pack_ctx *c,
                     struct recs_chunk *chunks,
                     uint32_t chunk_count,
                     struct pith_disk_block *seek,
                     uint32_t blocks)
{
    size_t frames_len = 0;
    for (uint32_t k = 0; k < chunk_count; k++) {
        if (chunks[k].too_big)
            return pith_error_set(PITH_ETOOBIG, "records of block %u exceed %u bytes",
                                  chunks[k].too_big - 1, PITH_RECS_MAX_RAW);
        frames_len += chunks[k].frames.len;
    }
    size_t frames_base = 16 + (size_t)blocks * sizeof *seek, at = frames_base;
    for (uint32_t k = 0; k < chunk_count; k++) {
        for (uint32_t b = chunks[k].first_block; b < chunks[k].first_block + chunks[k].block_count;
             b++)
            seek[b].offset += at;
        at += chunks[k].frames.len;
    }
    pith_buf_grow(out, frames_base + frames_len);
    pith_buf_put_u32(out, blocks);
    pith_buf_put_u32(out, c->nsyms + 1);
    pith_buf_put_u32(out, RECORDS_PER_BLOCK);
    pith_buf_put_u32(out, 0);
    pith_buf_put(out, seek, (size_t)blocks * sizeof *seek);
    for (uint32_t k = 0; k < chunk_count; k++)
        pith_buf_put(out, chunks[k].frames.ptr ? chunks[k].frames.ptr : "", chunks[k].frames.len);
    return 0;
}

/* ---- lexicon ---------------------------------------------------------------------------- */

/* The lexicon is built in parts, each over a range of documents (symbol ids), by one task:
 * a part's terms sorted by string, each with its postings (docs ascending). The parts are then
 * merged in document order, so the result does not depend on how many parts there were. */

struct lex_entry {
    uint32_t term;
    uint32_t doc;
    uint8_t tf[PITH_LEX_FIELDS];
};

struct lex_term {
    const char *str; /* NUL-terminated, in the part's arena */
    uint32_t len;
    uint32_t id; /* before sorting */
};

struct term_slot {
    uint32_t id1; /* term id + 1; 0: empty */
    uint32_t hash;
};

struct lex_part {
    uint32_t first_doc, end_doc; /* [first_doc, end_doc) */
    struct term_slot *slots;     /* open addressing over term[]: string -> id */
    uint32_t slot_cap;           /* power of two */
    struct pith_arena arena;
    PITH_VEC(struct lex_term) term;
    PITH_VEC(uint32_t) last_doc;
    PITH_VEC(uint32_t) slot;
    PITH_VEC(struct lex_entry) entries;
    uint32_t doc;
    int field;
    uint32_t field_len[PITH_LEX_FIELDS];
    uint64_t total[PITH_LEX_FIELDS];
    /* results: term[] sorted; postings of term[r] are post[first[r] .. first[r + 1]) */
    uint32_t *first;
    struct pith_disk_posting *post;
};

/* Tokens are short (at most 64 bytes): FNV-1a inline beats a call into XXH3. */
static uint32_t term_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void terms_grow(struct lex_part *l)
{
    uint32_t cap = l->slot_cap ? l->slot_cap * 2 : 4096, mask = cap - 1;
    struct term_slot *slots = pith_xcalloc(cap, sizeof *slots);
    for (uint32_t i = 0; i < l->slot_cap; i++) {
        if (!l->slots[i].id1)
            continue;
        uint32_t k = l->slots[i].hash & mask;
        while (slots[k].id1)
            k = (k + 1) & mask;
        slots[k] = l->slots[i];
    }
    free(l->slots);
    l->slots = slots;
    l->slot_cap = cap;
}

static void lex_on_token(const char *tok, size_t len, void *payload)
{
    struct lex_part *l = payload;
    uint32_t h = term_hash(tok, len), mask = l->slot_cap - 1, k = h & mask, t;
    for (;; k = (k + 1) & mask) {
        const struct term_slot *e = &l->slots[k];
        if (!e->id1) {
            t = (uint32_t)l->term.count;
            struct lex_term lt;
            lt.str = pith_arena_strndup(&l->arena, tok, len);
            lt.len = (uint32_t)len;
            lt.id = t;
            pith_vec_push(&l->term, lt);
            pith_vec_push(&l->last_doc, 0);
            pith_vec_push(&l->slot, 0);
            l->slots[k].id1 = t + 1;
            l->slots[k].hash = h;
            if ((size_t)l->term.count * 2 > l->slot_cap)
                terms_grow(l);
            break;
        }
        if (e->hash == h) {
            const struct lex_term *lt = &l->term.items[e->id1 - 1];
            if (lt->len == len && memcmp(lt->str, tok, len) == 0) {
                t = e->id1 - 1;
                break;
            }
        }
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

static void lex_field(struct lex_part *l, int field, const char *text)
{
    l->field = field;
    if (text)
        pith_lex_tokens(text, strlen(text), lex_on_token, l);
}

static int cmp_lex_term(const void *a, const void *b)
{
    const struct lex_term *x = a, *y = b;
    return strcmp(x->str, y->str);
}

static void lex_part_release(struct lex_part *l)
{
    free(l->slots);
    l->slots = NULL;
    l->slot_cap = 0;
    pith_arena_release(&l->arena);
    pith_vec_release(&l->term);
    pith_vec_release(&l->last_doc);
    pith_vec_release(&l->slot);
    pith_vec_release(&l->entries);
    free(l->first);
    free(l->post);
    l->first = NULL;
    l->post = NULL;
}

/* Tokenizes documents [first_doc, end_doc) into `l` and sorts its terms. Writes the documents'
 * rows of `doc_len` (disjoint between parts). Reads the graph only. */
static void lex_part_build(const struct pack_ctx *c, struct lex_part *l, uint16_t *doc_len)
{
    terms_grow(l);
    pith_arena_init(&l->arena);
    for (uint32_t id = l->first_doc; id < l->end_doc; id++) {
        uint32_t gi = c->order[id - 1];
        const Pith__GSymbol *s = c->g->symbols[gi];
        l->doc = id;
        memset(l->field_len, 0, sizeof l->field_len);
        lex_field(l, 0, s->qualname);
        /* the language as a name term of every symbol (docs/FORMAT.md 3.9): a query naming it
         * ("python ...") then matches all of that language's symbols alike, not only those
         * whose docstrings mention it */
        if (s->file && s->file <= c->g->n_files)
            lex_field(l, 0, c->g->files[s->file - 1]->language);
        lex_field(l, 1, s->signature);
        lex_field(l, 2, s->docstring);
        lex_field(l, 3, s->comments);
        /* the callee expressions of its edges: token order within a document does not matter */
        for (uint32_t k = c->edge_first[gi]; k < c->edge_first[gi + 1]; k++)
            lex_field(l, 3, c->g->edges[c->edge_by_caller[k]]->callee_name);
        for (int f = 0; f < PITH_LEX_FIELDS; f++) {
            l->total[f] += l->field_len[f];
            doc_len[(size_t)id * PITH_LEX_FIELDS + f] =
                (uint16_t)(l->field_len[f] > 65535 ? 65535 : l->field_len[f]);
        }
    }
    /* terms by string; postings grouped by term (stable, so docs stay ascending) */
    uint32_t nterms = (uint32_t)l->term.count;
    if (nterms)
        qsort(l->term.items, nterms, sizeof *l->term.items, cmp_lex_term);
    uint32_t *rank = pith_xmalloc(((size_t)nterms + 1) * sizeof *rank);
    l->first = pith_xcalloc((size_t)nterms + 2, sizeof *l->first);
    for (uint32_t r = 0; r < nterms; r++)
        rank[l->term.items[r].id] = r;
    for (size_t i = 0; i < l->entries.count; i++)
        l->first[rank[l->entries.items[i].term] + 1]++;
    for (uint32_t r = 0; r < nterms; r++)
        l->first[r + 1] += l->first[r];
    uint32_t *fill = pith_xmalloc(((size_t)nterms + 1) * sizeof *fill);
    memcpy(fill, l->first, ((size_t)nterms + 1) * sizeof *fill);
    l->post = pith_xmalloc((l->entries.count + 1) * sizeof *l->post);
    for (size_t i = 0; i < l->entries.count; i++) {
        const struct lex_entry *e = &l->entries.items[i];
        struct pith_disk_posting *p = &l->post[fill[rank[e->term]]++];
        p->doc = e->doc;
        memcpy(p->tf, e->tf, sizeof p->tf);
    }
    free(fill);
    free(rank);
    free(l->slots);
    l->slots = NULL;
    l->slot_cap = 0;
    pith_vec_release(&l->last_doc);
    pith_vec_release(&l->slot);
    pith_vec_release(&l->entries);
}

/* Merges the parts (in document order) into the LEXI section; adds the terms to the string
 * table in sorted order. */
static void lex_merge(struct pack_ctx *c,
                      struct lex_part *parts,
                      uint32_t part_count,
                      const uint16_t *doc_len,
                      struct pith_buf *out)
{
    uint32_t docs = c->nsyms + 1;
    size_t posting_total = 0, term_max = 0;
    uint64_t total[PITH_LEX_FIELDS] = { 0 };
    for (uint32_t p = 0; p < part_count; p++) {
        posting_total += parts[p].first[parts[p].term.count];
        term_max += parts[p].term.count;
        for (int f = 0; f < PITH_LEX_FIELDS; f++)
            total[f] += parts[p].total[f];
    }
    size_t terms_at = sizeof(struct pith_disk_lexi_header);
    pith_buf_grow(out, terms_at + term_max * sizeof(struct pith_disk_term) +
                           posting_total * sizeof(struct pith_disk_posting) +
                           (size_t)docs * PITH_LEX_FIELDS * sizeof *doc_len);
    struct pith_disk_lexi_header h;
    memset(&h, 0, sizeof h);
    out->len = terms_at; /* the header is written last */
    struct pith_disk_posting *post = pith_xmalloc((posting_total + 1) * sizeof *post);
    uint32_t *head = pith_xcalloc((size_t)part_count + 1, sizeof *head);
    uint32_t nterms = 0;
    size_t np = 0;
    for (;;) {
        const struct lex_term *min = NULL;
        for (uint32_t p = 0; p < part_count; p++) {
            if (head[p] == parts[p].term.count)
                continue;
            const struct lex_term *t = &parts[p].term.items[head[p]];
            if (!min || strcmp(t->str, min->str) < 0)
                min = t;
        }
        if (!min)
            break;
        struct pith_disk_term dt;
        memset(&dt, 0, sizeof dt);
        dt.term = strtab_addn(&c->strs, min->str, min->len);
        dt.first = (uint32_t)np;
        const char *key = min->str;
        for (uint32_t p = 0; p < part_count; p++) {
            if (head[p] == parts[p].term.count)
                continue;
            const struct lex_term *t = &parts[p].term.items[head[p]];
            if (t != min && (t->len != min->len || memcmp(t->str, key, t->len) != 0))
                continue;
            uint32_t a = parts[p].first[head[p]], b = parts[p].first[head[p] + 1];
            memcpy(post + np, parts[p].post + a, (size_t)(b - a) * sizeof *post);
            np += b - a;
            head[p]++;
        }
        dt.count = (uint32_t)np - dt.first;
        pith_buf_put(out, &dt, sizeof dt);
        nterms++;
    }
    h.term_count = nterms;
    h.posting_count = (uint32_t)np;
    h.doc_count = docs;
    h.field_count = PITH_LEX_FIELDS;
    for (int f = 0; f < PITH_LEX_FIELDS; f++)
        h.avg_len[f] = c->nsyms ? (float)((double)total[f] / c->nsyms) : 0.0f;
    memcpy(out->ptr, &h, sizeof h);
    pith_buf_put(out, post, np * sizeof *post);
    pith_buf_put(out, doc_len, (size_t)docs * PITH_LEX_FIELDS * sizeof *doc_len);
    free(post);
    free(head);
}

/* ---- tasks ------------------------------------------------------------------------------ */

/* The parallel part of the build: the lexicon parts first (they take longest), then the RECS
 * chunks. Each task writes only its own part, chunk or rows, so the result does not depend on
 * which thread ran what. */
struct task_pool {
    const struct pack_ctx *c;
    struct lex_part *parts;
    uint32_t part_count;
    uint16_t *doc_len;
    struct recs_chunk *chunks;
    uint32_t chunk_count;
    struct pith_disk_block *seek;
    pthread_mutex_t lock;
    uint32_t next;
};

static void *pool_work(void *arg)
{
    struct task_pool *tp = arg;
    struct worker w;
    memset(&w, 0, sizeof w);
    for (;;) {
        pthread_mutex_lock(&tp->lock);
        uint32_t t = tp->next++;
        pthread_mutex_unlock(&tp->lock);
        if (t < tp->part_count)
            lex_part_build(tp->c, &tp->parts[t], tp->doc_len);
        else if (t - tp->part_count < tp->chunk_count)
            recs_chunk_build(tp->c, &w, &tp->chunks[t - tp->part_count], tp->seek);
        else
            break;
    }
    ZSTD_freeCCtx(w.zc);
    pith_buf_release(&w.raw);
    pith_buf_release(&w.body);
    return NULL;
}

static unsigned default_jobs(void)
{
    int n = pith_cpu_count();
    return n > 64 ? 64u : (unsigned)n;
}

/* ---- assembly --------------------------------------------------------------------------- */

enum {
    SEC_STRS,
    SEC_FILE,
    SEC_SYMS,
    SEC_NAME,
    SEC_CALE,
    SEC_CALR,
    SEC_RECS,
    SEC_LEXI,
    SEC_VECS, /* written only when the index has vectors */
    SEC_HNSW, /* last: only with vectors, from --hnsw-min-rows rows on (hnsw_pack.h) */
    SEC_COUNT
};
static const uint32_t section_ids[SEC_COUNT] = {
    PITH_SEC_STRS, PITH_SEC_FILE, PITH_SEC_SYMS, PITH_SEC_NAME, PITH_SEC_CALE,
    PITH_SEC_CALR, PITH_SEC_RECS, PITH_SEC_LEXI, PITH_SEC_VECS, PITH_SEC_HNSW,
};

/* The VECS section (artifact.h): the VectorSet's vectors as f32 rows (elem_size 4) or binary16
 * rows (2) by artifact id. Returns 0 or PITH_ECORRUPT when a row has the wrong length. Writes
 * nothing without vectors. */
static int build_vectors(struct pack_ctx *c,
                         const Pith__VectorSet *vs,
                         uint32_t elem_size,
                         struct pith_buf *out)
{
    if (!vs || vs->dim == 0 || !vs->embedder || !vs->embedder[0] ||
        strcmp(vs->embedder, "none") == 0)
        return 0;
    if (vs->dim > PITH_VECS_MAX_DIM)
        return pith_error_set(PITH_ECORRUPT, "vectors have %u dimensions, more than %u", vs->dim,
                              PITH_VECS_MAX_DIM);
    uint32_t rows = c->nsyms + 1, dim = vs->dim;
    const Pith__VectorRow **by_graph = pith_xcalloc(rows, sizeof *by_graph);
    for (size_t i = 0; i < vs->n_rows; i++) {
        const Pith__VectorRow *r = vs->rows[i];
        if (r->n_vector == 0)
            continue;
        if (r->n_vector != dim) {
            free(by_graph);
            return pith_error_set(PITH_ECORRUPT, "vectors row %zu has %zu floats, not %u", i + 1,
                                  r->n_vector, dim);
        }
        by_graph[r->symbol] = r; /* symbol range checked by the caller */
    }
    struct pith_disk_vecs_header h;
    memset(&h, 0, sizeof h);
    h.dim = dim;
    h.row_count = rows;
    h.elem_size = elem_size == 2 ? 2 : 4;
    h.embedder = strtab_add(&c->strs, vs->embedder);
    size_t flags_end = (sizeof h + rows + 7) & ~(size_t)7;
    size_t len = flags_end + (size_t)rows * dim * h.elem_size;
    pith_buf_clear(out);
    pith_buf_grow(out, len);
    memset(out->ptr, 0, len);
    uint8_t *has = (uint8_t *)out->ptr + sizeof h;
    float *f = (float *)(out->ptr + flags_end);
    uint16_t *f16 = (uint16_t *)(out->ptr + flags_end);
    for (uint32_t id = 1; id < rows; id++) {
        const Pith__VectorRow *r = by_graph[c->order[id - 1] + 1];
        if (!r)
            continue;
        int ok = 1;
        for (uint32_t j = 0; j < dim; j++)
            ok &= isfinite(r->vector[j]) && fabsf(r->vector[j]) <= 1.0001f;
        if (!ok)
            continue; /* a broken vector: the row stays zero and unflagged */
        if (h.elem_size == 2) {
            for (uint32_t j = 0; j < dim; j++)
                f16[(size_t)id * dim + j] = pith_f16_from_f32(r->vector[j]);
        } else {
            memcpy(f + (size_t)id * dim, r->vector, dim * sizeof(float));
        }
        has[id] = 1;
        h.present++;
    }
    memcpy(out->ptr, &h, sizeof h);
    out->len = len;
    free(by_graph);
    return 0;
}

static void fourcc_name(char out[5], uint32_t id)
{
    for (int i = 0; i < 4; i++)
        out[i] = (char)(id >> (8 * i));
    out[4] = '\0';
}

static const unsigned char zeros[8];

/* Fills the section table, the header and the checksums of `sh` from its sections. The trailer
 * and the whole-shard checksum come from one streaming XXH3 pass over the bytes as they will
 * lie in the file (equal to pith_hash64 over the assembled shard). */
static void seal(struct pack_shard *sh, uint64_t *shard_checksum)
{
    size_t off = sizeof(struct pith_disk_header) + sh->nsec * sizeof(struct pith_disk_section);
    for (int i = 0; i < sh->nsec; i++) {
        off = (off + 7) & ~(size_t)7;
        memset(&sh->table[i], 0, sizeof sh->table[i]);
        sh->table[i].id = section_ids[i];
        if (section_ids[i] == PITH_SEC_LEXI) /* the only section with flags */
            sh->table[i].flags = PITH_LEX_VERSION;
        sh->table[i].offset = off;
        sh->table[i].len = sh->secs[i].len;
        sh->table[i].checksum =
            pith_hash64(sh->secs[i].ptr ? sh->secs[i].ptr : "", sh->secs[i].len);
        off += sh->secs[i].len;
    }
    off = (off + 7) & ~(size_t)7;
    struct pith_disk_header *h = &sh->header;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, PITH_ARTIFACT_MAGIC, 8);
    h->version = PITH_FORMAT_VERSION;
    h->section_count = (uint32_t)sh->nsec;
    h->file_len = off + 8;
    h->table_off = sizeof *h;
    sh->len = off + 8;

    struct iovec iov[2 * PACK_SECTION_COUNT + 2];
    int n = pack_shard_iov(sh, iov);
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        PITH_BUG("out of memory for an XXH3 state");
    XXH3_64bits_reset(st);
    for (int i = 0; i < n - 1; i++) /* all but the trailer */
        XXH3_64bits_update(st, iov[i].iov_base, iov[i].iov_len);
    sh->trailer = XXH3_64bits_digest(st);
    XXH3_64bits_update(st, &sh->trailer, sizeof sh->trailer);
    *shard_checksum = XXH3_64bits_digest(st);
    XXH3_freeState(st);
}

int pack_shard_iov(const struct pack_shard *s, struct iovec *iov)
{
    int n = 0;
    iov[n].iov_base = (void *)&s->header;
    iov[n++].iov_len = sizeof s->header + s->nsec * sizeof s->table[0]; /* adjacent: see below */
    size_t off = iov[0].iov_len;
    for (int i = 0; i < s->nsec; i++) {
        if (off & 7) {
            iov[n].iov_base = (void *)zeros;
            iov[n++].iov_len = 8 - (off & 7);
            off = (off + 7) & ~(size_t)7;
        }
        if (s->secs[i].len) {
            iov[n].iov_base = s->secs[i].ptr;
            iov[n++].iov_len = s->secs[i].len;
        }
        off += s->secs[i].len;
    }
    if (off & 7) {
        iov[n].iov_base = (void *)zeros;
        iov[n++].iov_len = 8 - (off & 7);
    }
    iov[n].iov_base = (void *)&s->trailer;
    iov[n++].iov_len = sizeof s->trailer;
    return n;
}

_Static_assert(offsetof(struct pack_shard, table) == sizeof(struct pith_disk_header),
               "header and section table are adjacent in struct pack_shard");
_Static_assert(SEC_COUNT == PACK_SECTION_COUNT, "section count");

static void build_manifest(struct pith_buf *out,
                           const struct pack_input *in,
                           size_t shard_len,
                           uint64_t shard_checksum,
                           const struct pith_disk_section *table,
                           int nsec,
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
    Pith__ManifestEmbedEndpoint ep = PITH__MANIFEST_EMBED_ENDPOINT__INIT;
    if (in->vectors && in->vectors->endpoint && in->vectors->dim) {
        const Pith__EmbedEndpoint *v = in->vectors->endpoint;
        ep.format = (char *)nz(v->format);
        ep.url = (char *)nz(v->url);
        ep.model = (char *)nz(v->model);
        ep.query_prefix = (char *)nz(v->query_prefix);
        ep.api_key_env = (char *)nz(v->api_key_env);
        m.embed_endpoint = &ep;
    }
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
    for (int i = 0; i < nsec; i++) {
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
    sh.size = shard_len;
    sh.checksum = shard_checksum;
    sh.n_sections = (size_t)nsec;
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

/* Groups the graph's edges by caller (counting sort; order within a caller is the graph's). */
static void group_edges(struct pack_ctx *c)
{
    const Pith__Graph *g = c->g;
    c->edge_first = pith_xcalloc((size_t)c->nsyms + 2, sizeof *c->edge_first);
    c->edge_by_caller = pith_xmalloc((g->n_edges + 1) * sizeof *c->edge_by_caller);
    for (size_t i = 0; i < g->n_edges; i++)
        c->edge_first[g->edges[i]->caller]++; /* caller - 1 + 1 */
    for (uint32_t k = 0; k < c->nsyms; k++)
        c->edge_first[k + 1] += c->edge_first[k];
    uint32_t *fill = pith_xmalloc(((size_t)c->nsyms + 1) * sizeof *fill);
    memcpy(fill, c->edge_first, ((size_t)c->nsyms + 1) * sizeof *fill);
    for (size_t i = 0; i < g->n_edges; i++)
        c->edge_by_caller[fill[g->edges[i]->caller - 1]++] = (uint32_t)i;
    free(fill);
}

int pack_build(struct pith_buf *shard, struct pith_buf *manifest, const struct pack_input *in)
{
    return pack_build_jobs(shard, manifest, in, 0);
}

int pack_build_jobs(struct pith_buf *shard,
                    struct pith_buf *manifest,
                    const struct pack_input *in,
                    unsigned jobs)
{
    return pack_build_vo(shard, manifest, in, jobs, NULL);
}

int pack_build_vo(struct pith_buf *shard,
                  struct pith_buf *manifest,
                  const struct pack_input *in,
                  unsigned jobs,
                  const struct pack_vector_options *vo)
{
    struct pack_shard sh;
    int err = pack_shard_build(&sh, manifest, in, jobs, vo);
    if (err == 0) {
        struct iovec iov[2 * PACK_SECTION_COUNT + 2];
        int n = pack_shard_iov(&sh, iov);
        pith_buf_clear(shard);
        pith_buf_grow(shard, sh.len);
        for (int i = 0; i < n; i++)
            pith_buf_put(shard, iov[i].iov_base, iov[i].iov_len);
    }
    pack_shard_release(&sh);
    return err;
}

void pack_shard_release(struct pack_shard *s)
{
    for (int i = 0; i < SEC_COUNT; i++)
        pith_buf_release(&s->secs[i]);
}

int pack_shard_build(struct pack_shard *sh,
                     struct pith_buf *manifest,
                     const struct pack_input *in,
                     unsigned jobs,
                     const struct pack_vector_options *vo)
{
    memset(sh, 0, sizeof *sh);
    struct pith_buf *secs = sh->secs;
    const Pith__Graph *g = in->graph;
    int err = check_graph(g);
    if (err)
        return err;
    struct pack_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.nsyms = (uint32_t)g->n_symbols;
    c.nfiles = (uint32_t)g->n_files;
    strtab_init(&c.strs, (size_t)c.nsyms * 3 + g->n_edges);
    if (jobs == 0)
        jobs = default_jobs();
    struct task_pool tp;
    memset(&tp, 0, sizeof tp);
    pthread_t *threads = NULL;
    unsigned started = 0;

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
    struct str_key *keys = pith_xmalloc(((size_t)c.nsyms + 1) * sizeof *keys);
    for (uint32_t i = 0; i < c.nsyms; i++)
        keys[i] = str_key_of(nz(g->symbols[i]->qualname), i);
    qsort(keys, c.nsyms, sizeof *keys, cmp_str_key);
    for (uint32_t i = 0; i < c.nsyms; i++)
        c.order[i] = keys[i].id;
    free(keys);
    for (uint32_t i = 0; i < c.nsyms; i++)
        c.remap[c.order[i] + 1] = i + 1;
    group_edges(&c);

    /* the tasks read only the graph, order, summaries and edge groups: start them now */
    uint32_t docs = c.nsyms + 1;
    uint32_t blocks = (docs + RECORDS_PER_BLOCK - 1) / RECORDS_PER_BLOCK;
    tp.c = &c;
    tp.part_count = jobs == 1 || c.nsyms < 1024 ? 1 : (jobs * 2 < 8 ? jobs * 2 : 8);
    tp.parts = pith_xcalloc(tp.part_count, sizeof *tp.parts);
    for (uint32_t p = 0; p < tp.part_count; p++) {
        tp.parts[p].first_doc = 1 + (uint32_t)((uint64_t)c.nsyms * p / tp.part_count);
        tp.parts[p].end_doc = 1 + (uint32_t)((uint64_t)c.nsyms * (p + 1) / tp.part_count);
    }
    tp.doc_len = pith_xcalloc((size_t)docs * PITH_LEX_FIELDS, sizeof *tp.doc_len);
    tp.chunk_count = (blocks + BLOCKS_PER_CHUNK - 1) / BLOCKS_PER_CHUNK;
    tp.chunks = pith_xcalloc(tp.chunk_count, sizeof *tp.chunks);
    for (uint32_t k = 0; k < tp.chunk_count; k++) {
        tp.chunks[k].first_block = k * BLOCKS_PER_CHUNK;
        tp.chunks[k].block_count = blocks - k * BLOCKS_PER_CHUNK < BLOCKS_PER_CHUNK
                                       ? blocks - k * BLOCKS_PER_CHUNK
                                       : BLOCKS_PER_CHUNK;
    }
    tp.seek = pith_xcalloc((size_t)blocks + 1, sizeof *tp.seek);
    pthread_mutex_init(&tp.lock, NULL);
    threads = pith_xcalloc(jobs, sizeof *threads);
    for (unsigned t = 1; t < jobs; t++) {
        if (pthread_create(&threads[t], NULL, pool_work, &tp) != 0)
            break; /* the calling thread does what is left */
        started++;
    }

    build_files(&c, &secs[SEC_FILE]);
    build_symbols(&c, &secs[SEC_SYMS]);
    build_names(&c, &secs[SEC_NAME]);
    collect_edges(&c);
    build_csr(&c, &secs[SEC_CALE], c.cale.items, c.cale.count);
    build_csr(&c, &secs[SEC_CALR], c.calr.items, c.calr.count);
    pool_work(&tp);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    started = 0;
    err = recs_join(&secs[SEC_RECS], &c, tp.chunks, tp.chunk_count, tp.seek, blocks);
    if (err)
        goto out;
    lex_merge(&c, tp.parts, tp.part_count, tp.doc_len, &secs[SEC_LEXI]);
    err = build_vectors(&c, in->vectors, vo ? vo->elem_size : 4, &secs[SEC_VECS]);
    if (!err)
        err = hnsw_pack_section(&secs[SEC_HNSW], (const unsigned char *)secs[SEC_VECS].ptr,
                                secs[SEC_VECS].len, vo ? vo->hnsw_min_rows : 0);
    if (err)
        goto out;
    sh->nsec = !secs[SEC_VECS].len ? SEC_VECS : secs[SEC_HNSW].len ? SEC_COUNT : SEC_HNSW;
    if (c.strs.overflow) {
        err = pith_error_set(PITH_ETOOBIG, "string table exceeds 4 GiB");
        goto out;
    }
    secs[SEC_STRS] = c.strs.buf;
    pith_buf_init(&c.strs.buf);

    uint64_t shard_checksum;
    seal(sh, &shard_checksum);
    build_manifest(manifest, in, sh->len, shard_checksum, sh->table, sh->nsec, c.cale.count);
out:
    for (unsigned t = 1; t <= started; t++)
        pthread_join(threads[t], NULL);
    if (threads)
        pthread_mutex_destroy(&tp.lock);
    free(threads);
    for (uint32_t p = 0; p < tp.part_count; p++)
        lex_part_release(&tp.parts[p]);
    free(tp.parts);
    for (uint32_t k = 0; k < tp.chunk_count; k++)
        pith_buf_release(&tp.chunks[k].frames);
    free(tp.chunks);
    free(tp.seek);
    free(tp.doc_len);
    strtab_release(&c.strs);
    pith_vec_release(&c.cale);
    pith_vec_release(&c.calr);
    free(c.summary);
    free(c.order);
    free(c.remap);
    free(c.edge_first);
    free(c.edge_by_caller);
    return err;
}
