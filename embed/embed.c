/* pith-embed: summary format v1 and the VectorSet stage file (see embed.h). */
#include "embed.h"

#include "common/err.h"
#include "common/ident.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "schemas/vectors.pb-c.h"

#include <stdlib.h>
#include <string.h>

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
    if (out->len && out->ptr[out->len - 1] != '\n')
        pith_buf_putc(out, ' ');
    for (size_t i = 0; i < len; i++) {
        char c = w[i];
        pith_buf_putc(out, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
    }
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
    size_t start = out->len;
    int pending = 0;
    for (const char *p = s; *p; p++) {
        if (is_space(*p)) {
            if (paragraph && *p == '\n') {
                const char *q = p + 1;
                while (*q == ' ' || *q == '\t' || *q == '\r')
                    q++;
                if (*q == '\n' && out->len > start)
                    break;
            }
            pending = out->len > start;
            continue;
        }
        if (pending)
            pith_buf_putc(out, ' ');
        pending = 0;
        pith_buf_putc(out, *p);
        if (out->len - start > cap)
            break;
    }
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

int embed_build(struct pith_buf *out, const Pith__Graph *g)
{
    size_t nsyms = g->n_symbols;
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

    Pith__VectorSet vs = PITH__VECTOR_SET__INIT;
    vs.embedder = (char *)"none";
    vs.dim = 0;
    vs.summary_version = EMBED_SUMMARY_VERSION;
    Pith__VectorRow *rows = pith_xcalloc(nsyms + 1, sizeof *rows);
    Pith__VectorRow **rp = pith_xcalloc(nsyms + 1, sizeof *rp);
    size_t *text_at = pith_xcalloc(nsyms + 1, sizeof *text_at);
    /* all summaries in one buffer, each NUL-terminated; rows point in once it stops moving */
    struct pith_buf texts = PITH_BUF_INIT, one = PITH_BUF_INIT;
    pith_buf_grow(&texts, nsyms * 128);
    size_t n = 0;
    for (uint32_t id = 1; id <= nsyms; id++) {
        if (!embed_wants(g->symbols[id - 1]->kind))
            continue;
        size_t a = first[id], b = first[id + 1];
        if (b - a > 1)
            qsort(by + a, b - a, sizeof *by, cmp_edge_pos);
        pith_buf_clear(&one);
        embed_summary(&one, g, id, by + a, b - a);
        text_at[n] = texts.len;
        pith_buf_put(&texts, one.ptr ? one.ptr : "", one.len);
        pith_buf_putc(&texts, '\0');
        pith__vector_row__init(&rows[n]);
        rows[n].symbol = id;
        rp[n] = &rows[n];
        n++;
    }
    for (size_t i = 0; i < n; i++)
        rows[i].summary = texts.ptr + text_at[i];
    vs.n_rows = n;
    vs.rows = rp;
    size_t len = pith__vector_set__get_packed_size(&vs);
    pith_buf_clear(out);
    pith_buf_grow(out, len);
    pith__vector_set__pack(&vs, (uint8_t *)out->ptr);
    out->len = len;
    out->ptr[len] = '\0';
    pith_buf_release(&texts);
    pith_buf_release(&one);
    free(text_at);
    free(rows);
    free(rp);
    free(by);
    free(first);
    return 0;
}

/* The decoded graph's allocations come from an arena, released at once. */
static void *arena_pb_alloc(void *data, size_t size)
{
    return pith_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
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
    struct pith_arena arena;
    int err = pith_stage_reader_open(&r, opt->graph_path, PITH_STAGE_GRAPH);
    if (err)
        return err;
    pith_arena_init(&arena);
    const uint8_t *rec;
    size_t len;
    err = pith_stage_reader_next(&r, &rec, &len);
    if (err == 0)
        err = pith_error_set(PITH_ECORRUPT, "%s holds no graph record", opt->graph_path);
    if (err < 0)
        goto out;
    ProtobufCAllocator alloc = { arena_pb_alloc, arena_pb_free, &arena };
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
    pith_arena_release(&arena); /* the decoded graph */
    pith_stage_reader_release(&r);
    pith_buf_release(&packed);
    return err < 0 ? err : 0;
}
