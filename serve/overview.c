/* `overview [PATH] --budget T` (serve stage): a ranked map of the repository within T cl100k
 * tokens: files and their key classes and functions with signatures, ranked by PageRank over the
 * resolved call graph (a symbol called by important symbols is important), a file by the sum of
 * its symbols' ranks. Greedy by rank, then exact: the answer is counted with serve/bpe.c and the
 * lowest-ranked symbols dropped until it fits. */
#include "common/artifact.h"
#include "common/err.h"
#include "common/mem.h"
#include "schemas/manifest.pb-c.h"
#include "serve/bpe.h"
#include "serve/query_ext.h"
#include "serve/serve_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void q_pagerank(
    double *rank, uint32_t n, const uint32_t *src, const uint32_t *dst, size_t m, double d)
{
    if (n == 0)
        return;
    uint32_t *outdeg = pith_xcalloc(n, sizeof *outdeg);
    double *next = pith_xmalloc(n * sizeof *next);
    for (size_t i = 0; i < m; i++)
        outdeg[src[i]]++;
    for (uint32_t i = 0; i < n; i++)
        rank[i] = 1.0 / n;
    for (int round = 0; round < 100; round++) {
        double dangling = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!outdeg[i])
                dangling += rank[i];
        }
        double base = (1.0 - d) / n + d * dangling / n;
        for (uint32_t i = 0; i < n; i++)
            next[i] = base;
        for (size_t i = 0; i < m; i++)
            next[dst[i]] += d * rank[src[i]] / outdeg[src[i]];
        double change = 0;
        for (uint32_t i = 0; i < n; i++) {
            change += fabs(next[i] - rank[i]);
            rank[i] = next[i];
        }
        if (change < 1e-10)
            break;
    }
    free(next);
    free(outdeg);
}

enum { K_MODULE = 1, K_CLASS = 2, K_FUNCTION = 3, K_METHOD = 4 };

struct ov_sym {
    uint32_t id;
    double score;
    char *text;
    char *json;
    size_t tokens;
    int selected;
};

struct ov_file {
    uint32_t file;
    double score;
    size_t symbols; /* listed candidates */
    char *text, *json;
    size_t tokens;
    int selected;
};

static int cmp_sym_score(const void *a, const void *b)
{
    const struct ov_sym *x = *(const struct ov_sym *const *)a;
    const struct ov_sym *y = *(const struct ov_sym *const *)b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_file_score(const void *a, const void *b)
{
    const struct ov_file *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->file < y->file ? -1 : x->file > y->file;
}

struct ov {
    const struct pith_index *ix;
    const struct query_req *req;
    struct ov_sym *syms;
    size_t nsyms;
    struct ov_file *files;
    size_t nfiles;
    uint32_t *file_slot; /* file id -> index into files, UINT32_MAX when not listed */
    uint32_t *first;     /* per file slot: its first symbol (index into syms), UINT32_MAX */
    uint32_t *next;      /* per symbol: the next one of its file, in id order */
};

static void ov_render(struct pith_buf *out, const struct ov *o, size_t used)
{
    const struct pith_index *ix = o->ix;
    const Pith__Manifest *m = pith_index_manifest(ix);
    size_t files_shown = 0, syms_shown = 0;
    for (size_t i = 0; i < o->nfiles; i++)
        files_shown += o->files[i].selected != 0;
    for (size_t i = 0; i < o->nsyms; i++)
        syms_shown += o->syms[i].selected != 0;
    if (o->req->json) {
        pith_buf_puts(out, "{\"op\":\"overview\",\"path\":");
        pith_buf_put_json_str(out, o->req->arg);
        pith_buf_printf(out, ",\"budget\":%u,\"tokens\":%zu,\"files\":[", o->req->budget, used);
    } else {
        pith_buf_printf(out,
                        "overview of %s%s%s\ntokens: %zu of %u; %zu of %zu files, %zu of %zu "
                        "symbols, ranked by PageRank over the call graph\n",
                        m && m->repo_root ? m->repo_root : "", o->req->arg[0] ? "/" : "",
                        o->req->arg, used, o->req->budget, files_shown, o->nfiles, syms_shown,
                        o->nsyms);
    }
    /* symbols are in id order (= qualname order: the file's source order by name) */
    size_t fk = 0;
    for (size_t f = 0; f < o->nfiles; f++) {
        const struct ov_file *of = &o->files[f];
        if (!of->selected)
            continue;
        if (o->req->json) {
            if (fk)
                pith_buf_putc(out, ',');
            pith_buf_puts(out, of->json);
            out->len--; /* reopen: add the symbols */
            pith_buf_puts(out, ",\"symbols\":[");
        } else {
            pith_buf_puts(out, of->text);
        }
        fk++;
        size_t sk = 0;
        for (uint32_t i = o->first[f]; i != UINT32_MAX; i = o->next[i]) {
            const struct ov_sym *s = &o->syms[i];
            if (!s->selected)
                continue;
            if (o->req->json) {
                if (sk)
                    pith_buf_putc(out, ',');
                pith_buf_puts(out, s->json);
            } else {
                pith_buf_puts(out, s->text);
            }
            sk++;
        }
        if (o->req->json)
            pith_buf_puts(out, "]}");
    }
    if (o->req->json)
        pith_buf_printf(out, "],\"omitted\":{\"files\":%zu,\"symbols\":%zu}}\n",
                        o->nfiles - files_shown, o->nsyms - syms_shown);
    else if (files_shown < o->nfiles || syms_shown < o->nsyms)
        pith_buf_printf(out, "omitted: %zu files, %zu symbols (raise --budget or give a PATH)\n",
                        o->nfiles - files_shown, o->nsyms - syms_shown);
}

static size_t ov_render_counted(struct pith_buf *out, const struct ov *o)
{
    size_t used = 0;
    for (int round = 0; round < 8; round++) {
        pith_buf_clear(out);
        ov_render(out, o, used);
        size_t got = bpe_count(out->ptr, out->len);
        if (got == used)
            return got;
        used = got;
    }
    return bpe_count(out->ptr, out->len);
}

/* 1 when `path` is under the PATH argument ("" = everything). */
static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n && prefix[n - 1] == '/')
        n--;
    if (n == 0 || (n == 1 && prefix[0] == '.'))
        return 1;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int q_overview(struct pith_buf *out, const struct pith_index *ix, const struct query_req *req)
{
    int err = bpe_load();
    if (err < 0)
        return err;
    uint32_t n = pith_index_symbol_count(ix), nf = pith_index_file_count(ix);
    /* PageRank over resolved edges caller -> callee, ids shifted to 0-based */
    PITH_VEC(uint32_t) src = { 0 }, dst = { 0 };
    for (uint32_t id = 1; id <= n; id++) {
        const struct pith_disk_edge *e;
        size_t k = pith_index_callees(ix, id, &e);
        for (size_t i = 0; i < k; i++) {
            if (e[i].other) {
                pith_vec_push(&src, id - 1);
                pith_vec_push(&dst, e[i].other - 1);
            }
        }
    }
    double *rank = pith_xmalloc(((size_t)n + 1) * sizeof *rank);
    q_pagerank(rank, n, src.items, dst.items, src.count, 0.85);
    pith_vec_release(&src);
    pith_vec_release(&dst);

    struct ov o = { ix, req, NULL, 0, NULL, 0, NULL, NULL, NULL };
    o.file_slot = pith_xmalloc(((size_t)nf + 1) * sizeof *o.file_slot);
    o.files = pith_xcalloc((size_t)nf + 1, sizeof *o.files);
    o.syms = pith_xcalloc((size_t)n + 1, sizeof *o.syms);
    for (uint32_t f = 0; f <= nf; f++)
        o.file_slot[f] = UINT32_MAX;
    struct pith_buf t = PITH_BUF_INIT;
    for (uint32_t id = 1; id <= n; id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        if (!s->file || (s->kind != K_CLASS && s->kind != K_FUNCTION && s->kind != K_METHOD))
            continue;
        const char *path = q_symbol_path(ix, id);
        if (!under(path, req->arg))
            continue;
        if (o.file_slot[s->file] == UINT32_MAX) {
            o.file_slot[s->file] = (uint32_t)o.nfiles;
            o.files[o.nfiles++].file = s->file;
        }
        struct ov_file *of = &o.files[o.file_slot[s->file]];
        of->score += rank[id - 1];
        of->symbols++;
        struct ov_sym *os = &o.syms[o.nsyms++];
        os->id = id;
        os->score = rank[id - 1];
        const char *sig = pith_index_str(ix, s->signature);
        pith_buf_clear(&t);
        /* a method's signature names its class: "def Registry.fetch(self, key)" */
        const char *name = pith_index_str(ix, s->name);
        const char *at = *sig && s->kind == K_METHOD ? strstr(sig, name) : NULL;
        const char *colon = strchr(pith_index_str(ix, s->qualname), ':');
        if (at && colon && at[strlen(name)] == '(')
            pith_buf_printf(&t, "    %.*s%s%s  :%u\n", (int)(at - sig), sig, colon + 1,
                            at + strlen(name), s->start_line);
        else
            pith_buf_printf(&t, "  %s%s  :%u\n", s->kind == K_METHOD ? "  " : "",
                            *sig ? sig : pith_index_str(ix, s->qualname), s->start_line);
        os->text = pith_xstrdup(t.ptr);
        pith_buf_clear(&t);
        pith_buf_puts(&t, "{\"qualname\":");
        pith_buf_put_json_str(&t, pith_index_str(ix, s->qualname));
        pith_buf_puts(&t, ",\"kind\":");
        pith_buf_put_json_str(&t, query_symbol_kind_name(s->kind));
        pith_buf_printf(&t, ",\"line\":%u,\"signature\":", s->start_line);
        pith_buf_put_json_str(&t, sig);
        pith_buf_printf(&t, ",\"rank\":%.3g}", rank[id - 1] * n);
        os->json = pith_xstrdup(t.ptr);
        os->tokens =
            bpe_count(req->json ? os->json : os->text, strlen(req->json ? os->json : os->text));
    }
    /* files by score; file_slot follows the sort */
    qsort(o.files, o.nfiles, sizeof *o.files, cmp_file_score);
    for (size_t f = 0; f < o.nfiles; f++) {
        struct ov_file *of = &o.files[f];
        const struct pith_disk_file *df = pith_index_file(ix, of->file);
        o.file_slot[of->file] = (uint32_t)f;
        pith_buf_clear(&t);
        pith_buf_printf(&t, "%s  (%zu symbols)\n", pith_index_str(ix, df->path), of->symbols);
        of->text = pith_xstrdup(t.ptr);
        pith_buf_clear(&t);
        pith_buf_puts(&t, "{\"path\":");
        pith_buf_put_json_str(&t, pith_index_str(ix, df->path));
        pith_buf_printf(&t, ",\"rank\":%.3g,\"symbol_count\":%zu}", of->score * n, of->symbols);
        of->json = pith_xstrdup(t.ptr);
        of->tokens =
            bpe_count(req->json ? of->json : of->text, strlen(req->json ? of->json : of->text));
    }
    pith_buf_release(&t);
    o.first = pith_xmalloc((o.nfiles + 1) * sizeof *o.first);
    o.next = pith_xmalloc((o.nsyms + 1) * sizeof *o.next);
    for (size_t f = 0; f < o.nfiles; f++)
        o.first[f] = UINT32_MAX;
    for (size_t i = o.nsyms; i-- > 0;) {
        uint32_t f = o.file_slot[pith_index_symbol(ix, o.syms[i].id)->file];
        o.next[i] = o.first[f];
        o.first[f] = (uint32_t)i;
    }

    struct ov_sym **order = pith_xmalloc((o.nsyms ? o.nsyms : 1) * sizeof *order);
    for (size_t i = 0; i < o.nsyms; i++)
        order[i] = &o.syms[i];
    qsort(order, o.nsyms, sizeof *order, cmp_sym_score);
    size_t estimate = ov_render_counted(out, &o);
    for (size_t i = 0; i < o.nsyms; i++) {
        struct ov_file *of = &o.files[o.file_slot[pith_index_symbol(ix, order[i]->id)->file]];
        size_t cost = order[i]->tokens + 2 + (of->selected ? 0 : of->tokens + 4);
        if (estimate + cost > req->budget)
            continue;
        order[i]->selected = 1;
        of->selected = 1;
        estimate += cost;
    }
    size_t used = ov_render_counted(out, &o);
    for (size_t i = o.nsyms; used > req->budget && i > 0; i--) {
        if (!order[i - 1]->selected)
            continue;
        order[i - 1]->selected = 0;
        struct ov_file *of = &o.files[o.file_slot[pith_index_symbol(ix, order[i - 1]->id)->file]];
        int any = 0;
        for (uint32_t k = o.first[of - o.files]; k != UINT32_MAX && !any; k = o.next[k])
            any = o.syms[k].selected;
        of->selected = any;
        used = ov_render_counted(out, &o);
    }
    if (used > req->budget) {
        pith_buf_clear(out);
        pith_buf_puts(out, req->json ? "{\"op\":\"overview\",\"error\":\"budget_too_small\"}\n"
                                     : "overview: budget too small\n");
    }
    free(order);
    for (size_t i = 0; i < o.nsyms; i++) {
        free(o.syms[i].text);
        free(o.syms[i].json);
    }
    for (size_t i = 0; i < o.nfiles; i++) {
        free(o.files[i].text);
        free(o.files[i].json);
    }
    free(o.first);
    free(o.next);
    free(o.syms);
    free(o.files);
    free(o.file_slot);
    free(rank);
    return 0;
}
