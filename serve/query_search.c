/* The search operation (serve stage): BM25F over the LEXI section. The query is tokenized like
 * the index (common/lex.h); each term's postings are walked once and scores accumulate in a map
 * sized by the hits, so a query costs O(postings of its terms). */
#include "common/artifact.h"
#include "common/err.h"
#include "common/lex.h"
#include "common/mem.h"
#include "serve/query.h"
#include "serve/serve_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_TERMS_MAX  64 /* query terms kept (one bit each in a hit's mask) */
#define SEARCH_TERM_LEN   128
#define SEARCH_SUMMARY    120

static const double field_weight[PITH_LEX_FIELDS] = { 3.0, 1.0, 1.0, 0.5 };
#define BM25_K1 1.2
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

static int cmp_hit(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp(x->qualname, y->qualname);
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

int q_search(struct pith_buf *out, const struct pith_index *ix, const char *text, unsigned k,
             int json)
{
    struct pith_lexicon lx;
    struct terms *t = pith_xcalloc(1, sizeof *t);
    struct qmap where;
    PITH_VEC(struct hit) hits = { 0 };
    struct pith_buf line = PITH_BUF_INIT;
    int err = 0;
    qmap_init(&where);
    pith_lex_tokens(text, strlen(text), add_term, t);
    pith_index_lexicon(ix, &lx);

    if (lx.header && lx.header->doc_count > 1) {
        const struct pith_disk_lexi_header *h = lx.header;
        double n = (double)(h->doc_count - 1);
        for (size_t j = 0; j < t->count; j++) {
            const struct pith_disk_term *dt = pith_index_find_term(ix, t->words[j]);
            if (!dt)
                continue;
            double idf = query_bm25_idf(n, (double)dt->count);
            const struct pith_disk_posting *p = lx.postings + dt->first;
            for (uint32_t i = 0; i < dt->count; i++) {
                uint32_t doc = p[i].doc, slot;
                if (doc == 0 || doc >= h->doc_count)
                    continue;
                double tf = query_bm25f_tf(p[i].tf, lx.doc_len + (size_t)doc * PITH_LEX_FIELDS,
                                           h->avg_len);
                double s = query_bm25f_term(idf, tf);
                if (!qmap_get(&where, doc, &slot)) {
                    struct hit nh = { doc, 0.0, 0,
                                      pith_index_str(ix, pith_index_symbol(ix, doc)->qualname) };
                    slot = (uint32_t)hits.count;
                    qmap_put(&where, doc, slot);
                    pith_vec_push(&hits, nh);
                }
                hits.items[slot].score += s;
                hits.items[slot].mask |= UINT64_C(1) << j;
            }
        }
    }
    if (hits.count)
        qsort(hits.items, hits.count, sizeof *hits.items, cmp_hit);
    size_t shown = hits.count < k ? hits.count : k;

    if (json) {
        pith_buf_puts(out, "{\"op\":\"search\",\"query\":");
        pith_buf_put_json_str(out, text);
        pith_buf_printf(out, ",\"k\":%u,\"terms\":[", k);
        put_matched(out, t, ~UINT64_C(0), 1);
        pith_buf_printf(out, "],\"total\":%zu,\"hits\":[", hits.count);
    } else if (shown) {
        pith_buf_printf(out, "search '%s': %zu of %zu hits\n", text, shown, hits.count);
    }
    for (size_t i = 0; i < shown; i++) {
        const struct hit *h = &hits.items[i];
        const struct pith_disk_symbol *s = pith_index_symbol(ix, h->doc);
        pith_buf_clear(&line);
        err = q_doc_summary_of(&line, ix, h->doc, SEARCH_SUMMARY);
        if (err < 0)
            goto out;
        if (json) {
            pith_buf_printf(out, "%s{\"rank\":%zu,\"score\":%.4f,\"symbol\":", i ? "," : "",
                            i + 1, h->score);
            q_json_symbol(out, ix, h->doc);
            pith_buf_puts(out, ",\"signature\":");
            pith_buf_put_json_str(out, pith_index_str(ix, s->signature));
            pith_buf_puts(out, ",\"summary\":");
            pith_buf_put_json_str(out, line.len ? line.ptr : "");
            pith_buf_puts(out, ",\"matched\":[");
            put_matched(out, t, h->mask, 1);
            pith_buf_puts(out, "]}");
        } else {
            pith_buf_printf(out, "%3zu. %s  %s:%u  score %.3f\n", i + 1, h->qualname,
                            q_symbol_path(ix, h->doc), s->start_line, h->score);
            if (*pith_index_str(ix, s->signature))
                pith_buf_printf(out, "     %s\n", pith_index_str(ix, s->signature));
            if (line.len)
                pith_buf_printf(out, "     %s\n", line.ptr);
            pith_buf_puts(out, "     matched: ");
            put_matched(out, t, h->mask, 0);
            pith_buf_putc(out, '\n');
        }
    }
    if (json)
        pith_buf_puts(out, "]}\n");
    if (hits.count == 0) {
        if (t->count == 0)
            err = pith_error_set(PITH_ENOTFOUND, "no searchable words in '%s'", text);
        else if (!lx.header)
            err = pith_error_set(PITH_ENOTFOUND, "the index has no lexical section");
        else
            err = pith_error_set(PITH_ENOTFOUND, "no matches for '%s'", text);
    }
out:
    pith_buf_release(&line);
    pith_vec_release(&hits);
    qmap_release(&where);
    free(t);
    return err;
}
