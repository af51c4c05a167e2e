/* pith-embed: summary format v1 and the VectorSet stage file (see embed.h). */
#include "embed.h"

#include "common/cpu.h"
#include "common/err.h"
#include "common/ident.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "schemas/vectors.pb-c.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zstd.h>

#define DOC_CAP     300 /* bytes of the docstring's first paragraph */
#define CALLEES_CAP 16  /* distinct callee names */

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
static void callee_word(const Pith__Graph *g, const Pith__Edge *e, const char **w, size_t *len)
{
    if (e->callee && e->callee <= g->n_symbols && g->symbols[e->callee - 1]->name &&
        g->symbols[e->callee - 1]->name[0]) {
        *w = g->symbols[e->callee - 1]->name;
        *len = strlen(*w);
        return;
    }
    const char *s = e->callee_name ? e->callee_name : "";
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

void embed_summary(struct pith_buf *out,
                   const Pith__Graph *g,
                   uint32_t id,
                   const Pith__Edge *const *callees,
                   size_t callee_count)
{
    const Pith__GSymbol *s = g->symbols[id - 1];
    size_t begin = out->len;
    put_name_words(out, s->qualname ? s->qualname : "");
    if (s->signature && s->signature[0]) {
        new_line(out);
        put_collapsed(out, s->signature, 0, (size_t)-1);
    }
    if (s->docstring && s->docstring[0]) {
        new_line(out);
        put_collapsed(out, s->docstring, 1, DOC_CAP);
    }
    size_t names = 0, calls_at = 0;
    for (size_t i = 0; i < callee_count && names < CALLEES_CAP; i++) {
        const char *w;
        size_t len;
        callee_word(g, callees[i], &w, &len);
        if (len == 0)
            continue;
        /* dedup against the names already written on this line */
        int seen = 0;
        if (names) {
            const char *p = out->ptr + calls_at;
            while (!seen && p < out->ptr + out->len) {
                const char *end = strstr(p, ", ");
                size_t l = end ? (size_t)(end - p) : strlen(p);
                seen = l == len && memcmp(p, w, len) == 0;
                p = end ? end + 2 : out->ptr + out->len;
            }
        }
        if (seen)
            continue;
        if (names == 0) {
            new_line(out);
            pith_buf_puts(out, "calls: ");
            calls_at = out->len;
        } else {
            pith_buf_puts(out, ", ");
        }
        pith_buf_put(out, w, len);
        names++;
    }
    if (s->file && s->file <= g->n_files && g->files[s->file - 1]->path) {
        new_line(out);
        pith_buf_puts(out, "file: ");
        pith_buf_puts(out, g->files[s->file - 1]->path);
    }
    while (out->len > begin && out->ptr[out->len - 1] == '\n')
        out->ptr[--out->len] = '\0';
}

static int cmp_edge_pos(const void *a, const void *b)
{
    const Pith__Edge *x = *(const Pith__Edge *const *)a, *y = *(const Pith__Edge *const *)b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* The summaries of symbols [first_id, end_id), each NUL-terminated in `texts`, with their ids
 * in `ids` and offsets in `at`. Parts cover disjoint id ranges and disjoint runs of `by`. */
struct summary_part {
    const Pith__Graph *g;
    const size_t *first;
    const Pith__Edge **by;
    uint32_t first_id, end_id;
    struct pith_buf texts;
    PITH_VEC(uint32_t) ids;
    PITH_VEC(size_t) at;
};

static void *summary_part_build(void *arg)
{
    struct summary_part *p = arg;
    const Pith__Graph *g = p->g;
    struct pith_buf one = PITH_BUF_INIT;
    pith_buf_grow(&p->texts, (size_t)(p->end_id - p->first_id) * 128);
    for (uint32_t id = p->first_id; id < p->end_id; id++) {
        if (!embed_wants(g->symbols[id - 1]->kind))
            continue;
        size_t a = p->first[id], b = p->first[id + 1];
        if (b - a > 1)
            qsort(p->by + a, b - a, sizeof *p->by, cmp_edge_pos);
        pith_buf_clear(&one);
        embed_summary(&one, g, id, p->by + a, b - a);
        pith_vec_push(&p->ids, id);
        pith_vec_push(&p->at, p->texts.len);
        pith_buf_put(&p->texts, one.ptr ? one.ptr : "", one.len);
        pith_buf_putc(&p->texts, '\0');
    }
    pith_buf_release(&one);
    return NULL;
}

int embed_build(struct pith_buf *out, const Pith__Graph *g)
{
    return embed_build_jobs(out, g, 0);
}

int embed_build_jobs(struct pith_buf *out, const Pith__Graph *g, unsigned jobs)
{
    size_t nsyms = g->n_symbols;
    if (nsyms >= UINT32_MAX)
        return pith_error_set(PITH_ETOOBIG, "graph has too many symbols");
    for (size_t i = 0; i < g->n_edges; i++) {
        if (g->edges[i]->caller == 0 || g->edges[i]->caller > nsyms)
            return pith_error_set(PITH_ECORRUPT, "graph edge %zu names caller %u out of range",
                                  i + 1, g->edges[i]->caller);
    }
    /* edges grouped by caller (counting sort), each group in (line, col) order */
    size_t *first = pith_xcalloc(nsyms + 2, sizeof *first);
    const Pith__Edge **by = pith_xcalloc(g->n_edges + 1, sizeof *by);
    for (size_t i = 0; i < g->n_edges; i++)
        first[g->edges[i]->caller + 1]++;
    for (size_t k = 0; k <= nsyms; k++)
        first[k + 1] += first[k];
    size_t *fill = pith_xmalloc((nsyms + 2) * sizeof *fill);
    memcpy(fill, first, (nsyms + 2) * sizeof *fill);
    for (size_t i = 0; i < g->n_edges; i++)
        by[fill[g->edges[i]->caller]++] = g->edges[i];
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
    size_t len = pith__vector_set__get_packed_size(&vs);
    pith_buf_clear(out);
    pith_buf_grow(out, len);
    pith__vector_set__pack(&vs, (uint8_t *)out->ptr);
    out->len = len;
    out->ptr[len] = '\0';
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
    return 0;
}

/* The decoded graph's allocations: a bump allocator over large blocks that, unlike
 * pith_arena, does not zero (protobuf-c initializes every field it allocates), released at
 * once. The first block is sized from the record so that one block usually does; blocks are
 * mapped with transparent huge pages requested, so the kernel takes a fault per 2 MiB instead
 * of per 4 KiB. With PITH_ARENA_DEBUG every allocation is its own pith_arena allocation, so
 * ASan sees overruns. */
struct pb_block {
    void *base;
    size_t len;
};

struct pb_bump {
    struct pith_arena arena;
    PITH_VEC(struct pb_block) blocks;
    unsigned char *cur, *end;
    size_t next_size;
};

#define PB_HUGE ((size_t)2 << 20)

static void pb_bump_init(struct pb_bump *b, size_t first_size)
{
    memset(b, 0, sizeof *b);
    pith_arena_init(&b->arena);
    b->next_size = first_size < PB_HUGE ? PB_HUGE : first_size;
}

static void pb_bump_release(struct pb_bump *b)
{
    for (size_t i = 0; i < b->blocks.count; i++)
        munmap(b->blocks.items[i].base, b->blocks.items[i].len);
    pith_vec_release(&b->blocks);
    pith_arena_release(&b->arena);
}

static void *pb_bump_alloc(void *data, size_t size)
{
    struct pb_bump *b = data;
#ifdef PITH_ARENA_DEBUG
    return pith_arena_alloc(&b->arena, size);
#else
    size = (size + 7) & ~(size_t)7;
    if ((size_t)(b->end - b->cur) < size) {
        size_t n = size > b->next_size ? size : b->next_size;
        n = (n + PB_HUGE - 1) & ~(PB_HUGE - 1);
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            PITH_BUG("out of memory for the decoded stage record");
        (void)madvise(m, n, MADV_HUGEPAGE); /* a hint: without THP, 4 KiB pages */
        struct pb_block blk = { m, n };
        pith_vec_push(&b->blocks, blk);
        b->cur = m;
        b->end = b->cur + n;
        b->next_size = n * 2;
    }
    void *p = b->cur;
    b->cur += size;
    return p;
#endif
}

static void pb_bump_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

int embed_run(const struct embed_options *opt)
{
    if (opt->embedder && strcmp(opt->embedder, "none") != 0)
        return pith_error_set(PITH_EUSAGE, "embedder %s is not available (only \"none\")",
                              opt->embedder);
    struct pith_stage_reader r;
    struct pith_buf packed = PITH_BUF_INIT;
    Pith__Graph *g = NULL;
    struct pb_bump bump;
    int err = pith_stage_reader_open(&r, opt->graph_path, PITH_STAGE_GRAPH);
    if (err)
        return err;
    pb_bump_init(&bump, 0);
    /* the record is decompressed into the allocator's first block, which then holds the
     * decoded graph too: one mapping, faulted in 2 MiB at a time */
    const uint8_t *frame;
    size_t frame_len, len;
    err = pith_stage_reader_next_frame(&r, &frame, &frame_len, &len);
    if (err == 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds no graph record", opt->graph_path);
    if (err < 0)
        goto out;
    bump.next_size = len * 3 + PB_HUGE; /* the decoded graph is about 1.5x its record */
    uint8_t *rec = pb_bump_alloc(&bump, len + 1);
    size_t got = ZSTD_decompress(rec, len + 1, frame, frame_len);
    if (ZSTD_isError(got) || got != len) {
        err = pith_error_set(PITH_ECORRUPT, "%s: the graph record does not decompress",
                             opt->graph_path);
        goto out;
    }
    ProtobufCAllocator alloc = { pb_bump_alloc, pb_bump_free, &bump };
    g = pith__graph__unpack(&alloc, len, rec);
    if (!g) {
        err =
            pith_error_set(PITH_ECORRUPT, "%s: the graph record does not decode", opt->graph_path);
        goto out;
    }
    err = embed_build(&packed, g);
    if (err)
        goto out;
    struct pith_stage_writer w;
    pith_stage_writer_init(&w, PITH_STAGE_VECTORS);
    pith_stage_writer_add(&w, packed.ptr, packed.len);
    err = pith_stage_writer_finish(&w, opt->out_path);
    pith_stage_writer_release(&w);
out:
    pb_bump_release(&bump); /* the decoded graph */
    pith_stage_reader_release(&r);
    pith_buf_release(&packed);
    return err < 0 ? err : 0;
}
