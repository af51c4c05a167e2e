/* The search operation (serve stage): BM25F over the LEXI section. The query is tokenized like
 * the index (common/lex.h); the postings lists of its terms are merged by document, each
 * document scored once and offered to a top-k heap, so a query costs O(postings of its terms)
 * time and O(k) memory. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/lex.h"
#include "common/mem.h"
#include "serve/query.h"
#include "serve/serve_int.h"
#include "serve/vsearch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_TERMS_MAX 64 /* query terms kept (one bit each in a hit's mask) */
#define SEARCH_TERM_LEN  128
#define SEARCH_SUMMARY   120

/* BM25F parameters, chosen on the CoSQA dev split (docs/BENCHMARKS.md): the name field counts
 * twice, every field is length-normalised with b = 0.75, and term frequency saturates early
 * (k1 = 0.8: a word repeated in a docstring adds little). */
static const double field_weight[PITH_LEX_FIELDS] = { 2.0, 1.0, 1.0, 1.0 };
#define BM25_K1 0.8
#define BM25_B  0.75

double query_bm25_idf(double n, double df)
{
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

double query_bm25f_tf(const uint8_t tf[4], const uint16_t len[4], const float avg[4])
{
    double sum = 0.0;
    for (int f = 0; f < PITH_LEX_FIELDS; f++) {
        if (!tf[f])
            continue;
        double norm = 1.0 - BM25_B + (avg[f] > 0.0f ? BM25_B * len[f] / avg[f] : BM25_B);
        sum += field_weight[f] * tf[f] / norm;
    }
    return sum;
}

double query_bm25f_term(double idf, double tf_pseudo)
{
    return idf * tf_pseudo / (BM25_K1 + tf_pseudo);
}

struct terms {
    char words[SEARCH_TERMS_MAX][SEARCH_TERM_LEN];
    size_t count;
};

static void add_term(const char *tok, size_t len, void *payload)
{
    struct terms *t = payload;
    if (len == 0 || len >= SEARCH_TERM_LEN || t->count >= SEARCH_TERMS_MAX)
        return;
    for (size_t i = 0; i < t->count; i++) {
        if (strlen(t->words[i]) == len && memcmp(t->words[i], tok, len) == 0)
            return;
    }
    memcpy(t->words[t->count], tok, len);
    t->words[t->count][len] = '\0';
    t->count++;
}

struct hit {
    uint32_t doc;
    double score;
    uint64_t mask; /* bit j: query term j matched */
    const char *qualname;
};

/* 1 when `a` ranks before `b`: higher score, then smaller qualname. */
static int hit_better(const struct hit *a, const struct hit *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    return strcmp(a->qualname, b->qualname) < 0;
}

static int cmp_hit(const void *a, const void *b)
{
    return hit_better(a, b) ? -1 : hit_better(b, a) ? 1 : 0;
}

/* The best `cap` hits seen so far: a heap whose root is the worst kept hit. */
struct topk {
    struct hit *items;
    size_t count, cap;
    size_t total; /* hits offered */
    double *all;  /* when set: every offered doc's score and mask, by doc */
    uint64_t *all_mask;
};

static void
topk_offer(struct topk *t, const struct pith_index *ix, uint32_t doc, double score, uint64_t mask)
{
    struct hit h = { doc, score, mask, pith_index_str(ix, pith_index_symbol(ix, doc)->qualname) };
    size_t i;
    t->total++;
    if (t->all) {
        t->all[doc] = score;
        t->all_mask[doc] = mask;
    }
    if (t->count < t->cap) {
        /* sift up: parents are worse than children */
        i = t->count++;
        while (i > 0 && hit_better(&t->items[(i - 1) / 2], &h)) {
            t->items[i] = t->items[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        t->items[i] = h;
        return;
    }
    if (!t->cap || !hit_better(&h, &t->items[0]))
        return;
    i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->count)
            break;
        if (c + 1 < t->count && hit_better(&t->items[c], &t->items[c + 1]))
            c++; /* the worse child */
        if (!hit_better(&h, &t->items[c]))
            break;
        t->items[i] = t->items[c];
        i = c;
    }
    t->items[i] = h;
}

struct cursor {
    const struct pith_disk_posting *p;
    uint32_t n, i;
    double idf;
    uint32_t term; /* index into the query terms */
};

/* Document-at-a-time: the postings of each term are sorted by doc (pack writes them so), so a
 * merge of the lists scores each document once with no accumulator. Returns -1 when a list is
 * not sorted (the caller then accumulates in a map instead). */
static int score_merge(struct topk *t,
                       const struct pith_index *ix,
                       const struct pith_lexicon *lx,
                       struct cursor *cur,
                       size_t ncur)
{
    const struct pith_disk_lexi_header *h = lx->header;
    for (size_t c = 0; c < ncur; c++) {
        for (uint32_t i = 1; i < cur[c].n; i++) {
            if (cur[c].p[i].doc <= cur[c].p[i - 1].doc)
                return -1;
        }
    }
    for (;;) {
        uint32_t doc = UINT32_MAX;
        for (size_t c = 0; c < ncur; c++) {
            if (cur[c].i < cur[c].n && cur[c].p[cur[c].i].doc < doc)
                doc = cur[c].p[cur[c].i].doc;
        }
        if (doc == UINT32_MAX)
            return 0;
        double score = 0.0;
        uint64_t mask = 0;
        for (size_t c = 0; c < ncur; c++) {
            if (cur[c].i >= cur[c].n || cur[c].p[cur[c].i].doc != doc)
                continue;
            const struct pith_disk_posting *p = &cur[c].p[cur[c].i++];
            double tf =
                query_bm25f_tf(p->tf, lx->doc_len + (size_t)doc * PITH_LEX_FIELDS, h->avg_len);
            score += query_bm25f_term(cur[c].idf, tf);
            mask |= UINT64_C(1) << cur[c].term;
        }
        if (doc != 0 && doc < h->doc_count)
            topk_offer(t, ix, doc, score, mask);
    }
}

/* Term-at-a-time with a map from doc to accumulated score, for lists in any order. */
static void score_accumulate(struct topk *t,
                             const struct pith_index *ix,
                             const struct pith_lexicon *lx,
                             const struct cursor *cur,
                             size_t ncur)
{
    const struct pith_disk_lexi_header *h = lx->header;
    struct qmap where;
    PITH_VEC(struct hit) acc = { 0 };
    qmap_init(&where);
    for (size_t c = 0; c < ncur; c++) {
        for (uint32_t i = 0; i < cur[c].n; i++) {
            const struct pith_disk_posting *p = &cur[c].p[i];
            uint32_t doc = p->doc, slot;
            if (doc == 0 || doc >= h->doc_count)
                continue;
            double tf =
                query_bm25f_tf(p->tf, lx->doc_len + (size_t)doc * PITH_LEX_FIELDS, h->avg_len);
            if (!qmap_get(&where, doc, &slot)) {
                struct hit nh = { doc, 0.0, 0, NULL };
                slot = (uint32_t)acc.count;
                qmap_put(&where, doc, slot);
                pith_vec_push(&acc, nh);
            }
            acc.items[slot].score += query_bm25f_term(cur[c].idf, tf);
            acc.items[slot].mask |= UINT64_C(1) << cur[c].term;
        }
    }
    for (size_t i = 0; i < acc.count; i++)
        topk_offer(t, ix, acc.items[i].doc, acc.items[i].score, acc.items[i].mask);
    pith_vec_release(&acc);
    qmap_release(&where);
}

static void put_matched(struct pith_buf *out, const struct terms *t, uint64_t mask, int json)
{
    int first = 1;
    for (size_t j = 0; j < t->count; j++) {
        if (!(mask & (UINT64_C(1) << j)))
            continue;
        if (!first)
            pith_buf_puts(out, json ? "," : ", ");
        first = 0;
        if (json)
            pith_buf_put_json_str(out, t->words[j]);
        else
            pith_buf_puts(out, t->words[j]);
    }
}

/* A hit as shown: its final score and each channel's score. */
struct shown {
    uint32_t doc;
    double score, lex;
    float sim;
    uint64_t mask;
    int has_lex, has_sim;
};

/* The lexical channel into `top` (cap already set); `all`/`all_mask` as in struct topk. */
static void lexical(struct topk *top,
                    const struct pith_index *ix,
                    const struct pith_lexicon *lx,
                    const struct terms *t)
{
    struct cursor cur[SEARCH_TERMS_MAX];
    size_t ncur = 0;
    if (!lx->header || lx->header->doc_count <= 1)
        return;
    double n = (double)(lx->header->doc_count - 1);
    for (size_t j = 0; j < t->count; j++) {
        const struct pith_disk_term *dt = pith_index_find_term(ix, t->words[j]);
        if (!dt || dt->count == 0)
            continue;
        cur[ncur].p = lx->postings + dt->first;
        cur[ncur].n = dt->count;
        cur[ncur].i = 0;
        cur[ncur].idf = query_bm25_idf(n, (double)dt->count);
        cur[ncur].term = (uint32_t)j;
        ncur++;
    }
    if (score_merge(top, ix, lx, cur, ncur) < 0) {
        top->count = top->total = 0;
        score_accumulate(top, ix, lx, cur, ncur);
    }
    if (top->count)
        qsort(top->items, top->count, sizeof *top->items, cmp_hit);
}

/* Fuses the lexical top list with the vector top list (vsearch_fuse) into shown[<= k]. */
static size_t fuse(struct shown *shown,
                   size_t *union_count,
                   unsigned k,
                   double w_vec,
                   const struct topk *top,
                   const struct pith_vectors *vx,
                   const float *qv,
                   const struct vsearch_hit *vh,
                   size_t nv,
                   const struct vsearch_stats *vstats)
{
    struct vsearch_cand *c = pith_xcalloc(top->count + nv + 1, sizeof *c);
    struct qmap where;
    size_t n = 0;
    qmap_init(&where);
    for (size_t i = 0; i < top->count; i++) {
        c[n].doc = top->items[i].doc;
        c[n].in_lex = 1;
        qmap_put(&where, c[n].doc, (uint32_t)n);
        n++;
    }
    for (size_t i = 0; i < nv; i++) {
        uint32_t slot;
        if (!qmap_get(&where, vh[i].doc, &slot)) {
            slot = (uint32_t)n++;
            c[slot].doc = vh[i].doc;
            qmap_put(&where, vh[i].doc, slot);
        }
        c[slot].in_vec = 1;
    }
    for (size_t i = 0; i < n; i++) {
        c[i].lex = top->all[c[i].doc];
        c[i].vec = vsearch_dot(vx, qv, c[i].doc);
    }
    /* z-scores against each channel's scores over every symbol (see vsearch_fuse) */
    struct vsearch_stats ls = vsearch_stats_of(top->all + 1, vx->row_count - 1);
    vsearch_fuse(c, n, w_vec, &ls, vstats);
    *union_count = n;
    size_t m = n < k ? n : k;
    for (size_t i = 0; i < m; i++) {
        shown[i].doc = c[i].doc;
        shown[i].score = c[i].fused;
        shown[i].lex = c[i].lex;
        shown[i].sim = (float)c[i].vec;
        shown[i].mask = top->all_mask[c[i].doc];
        shown[i].has_lex = shown[i].has_sim = 1;
    }
    qmap_release(&where);
    free(c);
    return m;
}

int q_search(struct pith_buf *out,
             const struct pith_index *ix,
             const char *text,
             unsigned k,
             int mode,
             double w_vec,
             int json)
{
    struct pith_lexicon lx;
    struct pith_vectors vx;
    struct terms *t = pith_xcalloc(1, sizeof *t);
    struct topk top = { NULL, 0, k, 0, NULL, NULL };
    struct pith_buf line = PITH_BUF_INIT;
    struct shown *shown = NULL;
    struct vsearch_hit *vh = NULL;
    float *qv = NULL;
    size_t nshown = 0, total = 0;
    int err = 0;
    int exact = (mode & VSEARCH_EXACT) != 0; /* --exact: no HNSW graph */
    mode &= ~VSEARCH_EXACT;
    pith_index_lexicon(ix, &lx);
    if (mode != VSEARCH_VECTOR && lx.header && lx.version != PITH_LEX_VERSION) {
        err = pith_error_set(PITH_EUNSUPPORTED,
                             "the index's word index was built by tokenizer version %u, this pith "
                             "tokenizes queries with version %u: re-index (pith index) to search "
                             "it, or use --mode vector",
                             lx.version, PITH_LEX_VERSION);
        goto out;
    }
    pith_lex_tokens(text, strlen(text), add_term, t);
    pith_index_vectors(ix, &vx);
    if (mode == VSEARCH_AUTO)
        mode = vx.header ? VSEARCH_FUSED : VSEARCH_LEXICAL;
    if (mode != VSEARCH_LEXICAL) {
        if (!vx.header) {
            err = pith_error_set(PITH_EUNSUPPORTED,
                                 "the index has no vectors (indexed with --embed none): use "
                                 "--mode lexical, or re-index with an embedder");
            goto out;
        }
        qv = pith_xcalloc(vx.dim, sizeof *qv);
        err = vsearch_embed_query(ix, vx.embedder, vx.dim, text, qv);
        if (err)
            goto out;
    }
    unsigned cap = mode == VSEARCH_LEXICAL || k > VSEARCH_CANDIDATES ? k : VSEARCH_CANDIDATES;
    shown = pith_xcalloc(k ? k : 1, sizeof *shown);
    if (mode != VSEARCH_VECTOR) {
        top.cap = cap;
        top.items = pith_xcalloc(cap ? cap : 1, sizeof *top.items);
        if (mode == VSEARCH_FUSED) {
            top.all = pith_xcalloc((size_t)pith_index_symbol_count(ix) + 1, sizeof *top.all);
            top.all_mask =
                pith_xcalloc((size_t)pith_index_symbol_count(ix) + 1, sizeof *top.all_mask);
        }
        lexical(&top, ix, &lx, t);
    }
    if (mode != VSEARCH_LEXICAL) {
        vh = pith_xcalloc(cap ? cap : 1, sizeof *vh);
        struct vsearch_stats vstats;
        size_t nv = vsearch_search(ix, qv, mode == VSEARCH_VECTOR ? k : cap, exact, vh, &vstats);
        if (mode == VSEARCH_VECTOR) {
            for (size_t i = 0; i < nv; i++) {
                shown[i].doc = vh[i].doc;
                shown[i].score = shown[i].sim = vh[i].sim;
                shown[i].has_sim = 1;
            }
            nshown = total = nv;
        } else {
            nshown = fuse(shown, &total, k, w_vec, &top, &vx, qv, vh, nv,
                          &vstats); /* total: candidates */
        }
    } else {
        for (size_t i = 0; i < top.count; i++) {
            shown[i].doc = top.items[i].doc;
            shown[i].score = shown[i].lex = top.items[i].score;
            shown[i].mask = top.items[i].mask;
            shown[i].has_lex = 1;
        }
        nshown = top.count;
        total = top.total;
    }

    if (json) {
        pith_buf_puts(out, "{\"op\":\"search\",\"query\":");
        pith_buf_put_json_str(out, text);
        pith_buf_printf(out, ",\"k\":%u,\"mode\":\"%s\",\"terms\":[", k,
                        vsearch_mode_name((enum vsearch_mode)mode));
        put_matched(out, t, ~UINT64_C(0), 1);
        pith_buf_printf(out, "],\"total\":%zu,\"hits\":[", total);
    } else if (nshown) {
        if (mode == VSEARCH_LEXICAL)
            pith_buf_printf(out, "search '%s': %zu of %zu hits\n", text, nshown, total);
        else
            pith_buf_printf(out, "search '%s' (%s): %zu of %zu hits\n", text,
                            vsearch_mode_name((enum vsearch_mode)mode), nshown, total);
    }
    for (size_t i = 0; i < nshown; i++) {
        const struct shown *h = &shown[i];
        const struct pith_disk_symbol *s = pith_index_symbol(ix, h->doc);
        pith_buf_clear(&line);
        err = q_doc_summary_of(&line, ix, h->doc, SEARCH_SUMMARY);
        if (err < 0)
            goto out;
        if (json) {
            pith_buf_printf(out, "%s{\"rank\":%zu,\"score\":%.4f,", i ? "," : "", i + 1, h->score);
            if (h->has_lex && mode != VSEARCH_LEXICAL)
                pith_buf_printf(out, "\"lexical\":%.4f,", h->lex);
            if (h->has_sim)
                pith_buf_printf(out, "\"similarity\":%.4f,", (double)h->sim);
            pith_buf_puts(out, "\"symbol\":");
            q_json_symbol(out, ix, h->doc);
            pith_buf_puts(out, ",\"signature\":");
            pith_buf_put_json_str(out, pith_index_str(ix, s->signature));
            pith_buf_puts(out, ",\"summary\":");
            pith_buf_put_json_str(out, line.len ? line.ptr : "");
            pith_buf_puts(out, ",\"matched\":[");
            put_matched(out, t, h->mask, 1);
            pith_buf_puts(out, "]}");
        } else {
            pith_buf_printf(out, "%3zu. %s  %s:%u  score %.3f", i + 1,
                            pith_index_str(ix, s->qualname), q_symbol_path(ix, h->doc),
                            s->start_line, h->score);
            if (h->has_lex && mode != VSEARCH_LEXICAL)
                pith_buf_printf(out, " (bm25 %.3f, similarity %.3f)", h->lex, (double)h->sim);
            else if (mode == VSEARCH_VECTOR)
                pith_buf_printf(out, " (similarity)");
            pith_buf_putc(out, '\n');
            if (*pith_index_str(ix, s->signature))
                pith_buf_printf(out, "     %s\n", pith_index_str(ix, s->signature));
            if (line.len)
                pith_buf_printf(out, "     %s\n", line.ptr);
            if (mode != VSEARCH_VECTOR && h->mask) {
                pith_buf_puts(out, "     matched: ");
                put_matched(out, t, h->mask, 0);
                pith_buf_putc(out, '\n');
            } else if (mode == VSEARCH_FUSED) {
                pith_buf_puts(out, "     matched: no words, by vector similarity\n");
            }
        }
    }
    if (json)
        pith_buf_puts(out, "]}\n");
    if (nshown == 0) {
        if (mode != VSEARCH_LEXICAL)
            err = pith_error_set(PITH_ENOTFOUND, "no matches for '%s'", text);
        else if (t->count == 0)
            err = pith_error_set(PITH_ENOTFOUND, "no searchable words in '%s'", text);
        else if (!lx.header)
            err = pith_error_set(PITH_ENOTFOUND, "the index has no lexical section");
        else
            err = pith_error_set(PITH_ENOTFOUND, "no matches for '%s'", text);
    }
out:
    pith_buf_release(&line);
    free(top.items);
    free(top.all);
    free(top.all_mask);
    free(shown);
    free(vh);
    free(qv);
    free(t);
    return err;
}
