/* `pith dump` text views of an opened index (see artifact_dump.h). */
#include "artifact_dump.h"

#include "err.h"
#include "mem.h"
#include "schemas/manifest.pb-c.h"
#include "schemas/record.pb-c.h"
#include "vdot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const symbol_kinds[] = { "none",   "module", "class", "function",
                                            "method", "nested", "lambda" };
static const char *const edge_kinds[] = { "none",       "direct",      "import",    "method",
                                          "inherited",  "constructor", "ambiguous", "external",
                                          "unresolved", "virtual",     "indirect" };
static const char *const file_statuses[] = {
    "ok", "skipped-binary", "skipped-too-big", "skipped-parse", "skipped-encoding", "skipped-io"
};

#define NAME_OF(table, v) ((v) < sizeof table / sizeof *table ? table[v] : "unknown")

static void fourcc(char out[5], uint32_t id)
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(id >> (8 * i));
        out[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    out[4] = '\0';
}

static void put_str(struct pith_buf *out, const char *s)
{
    pith_buf_put_json_str(out, s ? s : "");
}

static const char *qualname_of(const struct pith_index *ix, uint32_t id)
{
    const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
    return s ? pith_index_str(ix, s->qualname) : "";
}

static void dump_manifest(struct pith_buf *out, const struct pith_index *ix)
{
    const Pith__Manifest *m = pith_index_manifest(ix);
    pith_buf_printf(out, "format_version %u\ntool_version ", m->format_version);
    put_str(out, m->tool_version);
    pith_buf_puts(out, "\nrepo_root ");
    put_str(out, m->repo_root);
    pith_buf_puts(out, "\nsource_commit ");
    put_str(out, m->source_commit);
    pith_buf_puts(out, "\nembedder ");
    put_str(out, m->embedder);
    pith_buf_printf(out, "\ndim %u\nsymbol_count %llu\nedge_count %llu\nfile_count %zu\n", m->dim,
                    (unsigned long long)m->symbol_count, (unsigned long long)m->edge_count,
                    m->n_files);
    if (m->embed_endpoint) { /* HTTP embedders only (never the key, only its variable) */
        const Pith__ManifestEmbedEndpoint *e = m->embed_endpoint;
        const char *const fields[][2] = { { "format", e->format },
                                          { "url", e->url },
                                          { "model", e->model },
                                          { "query_prefix", e->query_prefix },
                                          { "key_env", e->api_key_env } };
        pith_buf_puts(out, "embed_endpoint");
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
            pith_buf_printf(out, " %s ", fields[i][0]);
            put_str(out, fields[i][1]);
        }
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < m->n_files; i++) {
        const Pith__ManifestFile *f = m->files[i];
        pith_buf_puts(out, "file ");
        put_str(out, f->path);
        pith_buf_printf(out, " hash %016llx size %llu status %s",
                        (unsigned long long)f->content_hash, (unsigned long long)f->size,
                        NAME_OF(file_statuses, f->status));
        if (f->skip_reason && f->skip_reason[0]) {
            pith_buf_puts(out, " reason ");
            put_str(out, f->skip_reason);
        }
        pith_buf_putc(out, '\n');
    }
    for (size_t i = 0; i < m->n_shards; i++) {
        const Pith__ManifestShard *s = m->shards[i];
        pith_buf_puts(out, "shard ");
        put_str(out, s->name);
        pith_buf_printf(out, " size %llu checksum %016llx\n", (unsigned long long)s->size,
                        (unsigned long long)s->checksum);
        for (size_t j = 0; j < s->n_sections; j++) {
            const Pith__ManifestSection *sec = s->sections[j];
            pith_buf_puts(out, "  section ");
            put_str(out, sec->name);
            pith_buf_printf(out, " offset %llu size %llu checksum %016llx\n",
                            (unsigned long long)sec->offset, (unsigned long long)sec->size,
                            (unsigned long long)sec->checksum);
        }
    }
}

static void dump_header(struct pith_buf *out, const struct pith_index *ix)
{
    const struct pith_disk_header *h = pith_index_header(ix);
    uint32_t n;
    const struct pith_disk_section *t = pith_index_sections(ix, &n);
    uint64_t trailer;
    memcpy(&trailer, (const unsigned char *)h + h->file_len - 8, 8);
    pith_buf_printf(out, "magic %.8s\nversion %u\nfile_len %llu\ntable_off %llu\nsections %u\n",
                    h->magic, h->version, (unsigned long long)h->file_len,
                    (unsigned long long)h->table_off, h->section_count);
    for (uint32_t i = 0; i < n; i++) {
        char name[5];
        fourcc(name, t[i].id);
        pith_buf_printf(out, "section %s offset %llu len %llu checksum %016llx\n", name,
                        (unsigned long long)t[i].offset, (unsigned long long)t[i].len,
                        (unsigned long long)t[i].checksum);
    }
    pith_buf_printf(out, "trailer %016llx\n", (unsigned long long)trailer);
}

static void dump_strings(struct pith_buf *out, const struct pith_index *ix)
{
    size_t len;
    const unsigned char *p = pith_index_section(ix, PITH_SEC_STRS, &len);
    for (size_t off = 0; off < len;) {
        const char *s = (const char *)p + off;
        pith_buf_printf(out, "%zu ", off);
        put_str(out, s);
        pith_buf_putc(out, '\n');
        off += strlen(s) + 1;
    }
}

static void dump_files(struct pith_buf *out, const struct pith_index *ix)
{
    for (uint32_t id = 1; id <= pith_index_file_count(ix); id++) {
        const struct pith_disk_file *f = pith_index_file(ix, id);
        pith_buf_printf(out, "%u ", id);
        put_str(out, pith_index_str(ix, f->path));
        pith_buf_puts(out, " language ");
        put_str(out, pith_index_str(ix, f->language));
        pith_buf_puts(out, " module ");
        put_str(out, pith_index_str(ix, f->module));
        pith_buf_printf(out, " status %s lines %u size %llu hash %016llx",
                        NAME_OF(file_statuses, f->status), f->line_count,
                        (unsigned long long)f->size, (unsigned long long)f->content_hash);
        if (f->skip_reason) {
            pith_buf_puts(out, " reason ");
            put_str(out, pith_index_str(ix, f->skip_reason));
        }
        pith_buf_putc(out, '\n');
    }
}

static void dump_symbols(struct pith_buf *out, const struct pith_index *ix)
{
    for (uint32_t id = 1; id <= pith_index_symbol_count(ix); id++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, id);
        pith_buf_printf(out, "%u %s ", id, NAME_OF(symbol_kinds, s->kind));
        put_str(out, pith_index_str(ix, s->qualname));
        pith_buf_puts(out, " name ");
        put_str(out, pith_index_str(ix, s->name));
        pith_buf_printf(out, " file %u span %u:%u-%u:%u parent %u", s->file, s->start_line,
                        s->start_col, s->end_line, s->end_col, s->parent);
        if (s->flags & PITH_SYMF_DECORATED)
            pith_buf_puts(out, " decorated");
        if (s->flags & PITH_SYMF_ASYNC)
            pith_buf_puts(out, " async");
        if (s->flags & PITH_SYMF_TEST)
            pith_buf_puts(out, " test");
        if (s->signature) {
            pith_buf_puts(out, " sig ");
            put_str(out, pith_index_str(ix, s->signature));
        }
        pith_buf_putc(out, '\n');
    }
}

static void dump_names(struct pith_buf *out, const struct pith_index *ix)
{
    size_t len;
    const uint32_t *ids = (const uint32_t *)pith_index_section(ix, PITH_SEC_NAME, &len);
    for (size_t i = 0; i < len / 4; i++) {
        const struct pith_disk_symbol *s = pith_index_symbol(ix, ids[i]);
        put_str(out, pith_index_str(ix, s->name));
        pith_buf_printf(out, " %u ", ids[i]);
        put_str(out, pith_index_str(ix, s->qualname));
        pith_buf_putc(out, '\n');
    }
}

static void dump_edges(struct pith_buf *out, const struct pith_index *ix, int callers)
{
    for (uint32_t id = 1; id <= pith_index_symbol_count(ix); id++) {
        const struct pith_disk_edge *e;
        size_t n = callers ? pith_index_callers(ix, id, &e) : pith_index_callees(ix, id, &e);
        if (n == 0)
            continue;
        pith_buf_printf(out, "%u ", id);
        put_str(out, qualname_of(ix, id));
        pith_buf_printf(out, " %zu\n", n);
        for (size_t i = 0; i < n; i++) {
            pith_buf_printf(out, "  %u:%u %s %u %s %u ", e[i].line, e[i].col,
                            NAME_OF(edge_kinds, e[i].kind), e[i].confidence, callers ? "<-" : "->",
                            e[i].other);
            put_str(out, e[i].other ? qualname_of(ix, e[i].other) : "");
            pith_buf_puts(out, " expr ");
            put_str(out, pith_index_str(ix, e[i].name));
            if (e[i].reason) {
                pith_buf_puts(out, " reason ");
                put_str(out, pith_index_str(ix, e[i].reason));
            }
            pith_buf_putc(out, '\n');
        }
    }
}

static void put_list(struct pith_buf *out, const char *label, char **items, size_t n)
{
    if (n == 0)
        return;
    pith_buf_printf(out, "  %s", label);
    for (size_t i = 0; i < n; i++) {
        pith_buf_putc(out, ' ');
        put_str(out, items[i]);
    }
    pith_buf_putc(out, '\n');
}

static void put_field(struct pith_buf *out, const char *label, const char *s)
{
    if (!s || !s[0])
        return;
    pith_buf_printf(out, "  %s ", label);
    put_str(out, s);
    pith_buf_putc(out, '\n');
}

static int dump_records(struct pith_buf *out, const struct pith_index *ix)
{
    for (uint32_t id = 1; id <= pith_index_symbol_count(ix); id++) {
        unsigned char *rec;
        size_t len;
        int err = pith_index_record(ix, id, &rec, &len);
        if (err)
            return err;
        pith_buf_printf(out, "%u ", id);
        put_str(out, qualname_of(ix, id));
        pith_buf_printf(out, " %zu bytes\n", len);
        Pith__SymbolRecord *r = pith__symbol_record__unpack(NULL, len, rec);
        free(rec);
        if (!r) {
            pith_buf_puts(out, "  (does not decode)\n");
            continue;
        }
        put_field(out, "summary", r->summary);
        put_field(out, "docstring", r->docstring);
        for (size_t i = 0; i < r->n_params; i++) {
            const Pith__Param *p = r->params[i];
            pith_buf_printf(out, "  param %d ", (int)p->kind);
            put_str(out, p->name);
            pith_buf_putc(out, ' ');
            put_str(out, p->annotation);
            pith_buf_putc(out, ' ');
            put_str(out, p->default_value);
            pith_buf_putc(out, '\n');
        }
        put_field(out, "returns", r->returns);
        put_list(out, "decorators", r->decorators, r->n_decorators);
        put_list(out, "bases", r->bases, r->n_bases);
        put_field(out, "comments", r->comments);
        if (r->is_async)
            pith_buf_puts(out, "  async\n");
        pith__symbol_record__free_unpacked(r, NULL);
    }
    return 0;
}

static void dump_lexicon(struct pith_buf *out, const struct pith_index *ix)
{
    struct pith_lexicon lx;
    pith_index_lexicon(ix, &lx);
    if (!lx.header) {
        pith_buf_puts(out, "no lexicon\n");
        return;
    }
    const struct pith_disk_lexi_header *h = lx.header;
    pith_buf_printf(out,
                    "tokenizer %u terms %u postings %u docs %u fields %u avg_len %.3f %.3f %.3f "
                    "%.3f\n",
                    lx.version, h->term_count, h->posting_count, h->doc_count, h->field_count,
                    (double)h->avg_len[0], (double)h->avg_len[1], (double)h->avg_len[2],
                    (double)h->avg_len[3]);
    for (uint32_t t = 0; t < h->term_count; t++) {
        put_str(out, pith_index_str(ix, lx.terms[t].term));
        pith_buf_printf(out, " df %u:", lx.terms[t].count);
        for (uint32_t k = lx.terms[t].first; k < lx.terms[t].first + lx.terms[t].count; k++) {
            const struct pith_disk_posting *p = &lx.postings[k];
            pith_buf_printf(out, " %u(%u,%u,%u,%u)", p->doc, p->tf[0], p->tf[1], p->tf[2],
                            p->tf[3]);
        }
        pith_buf_putc(out, '\n');
    }
    for (uint32_t d = 1; d < h->doc_count; d++) {
        const uint16_t *l = lx.doc_len + (size_t)d * PITH_LEX_FIELDS;
        pith_buf_printf(out, "doc %u len %u %u %u %u\n", d, l[0], l[1], l[2], l[3]);
    }
}

static void dump_vectors(struct pith_buf *out, const struct pith_index *ix)
{
    struct pith_vectors v;
    pith_index_vectors(ix, &v);
    if (!v.header) {
        pith_buf_puts(out, "no vectors\n");
        return;
    }
    pith_buf_printf(out, "vectors dim %u rows %u present %u embedder ", v.dim, v.row_count,
                    v.header->present);
    put_str(out, v.embedder);
    pith_buf_putc(out, '\n');
    if (v.elem_size == 2)
        pith_buf_puts(out, "elements f16\n");
    float *row = pith_xmalloc((size_t)v.dim * sizeof *row);
    for (uint32_t id = 1; id < v.row_count; id++) {
        const float *r = row;
        pith_vectors_row(&v, id, row);
        double norm = 0.0;
        for (uint32_t j = 0; j < v.dim; j++)
            norm += (double)r[j] * r[j];
        pith_buf_printf(out, "%u %s norm %.4f", id, v.has[id] ? "has" : "none", sqrt(norm));
        for (uint32_t j = 0; j < v.dim && j < 4; j++)
            pith_buf_printf(out, " %.4f", (double)r[j]);
        pith_buf_putc(out, ' ');
        put_str(out, pith_index_str(ix, pith_index_symbol(ix, id)->qualname));
        pith_buf_putc(out, '\n');
    }
    free(row);
}

int pith_dump_section(struct pith_buf *out, const struct pith_index *ix, const char *section)
{
    int all = strcmp(section, "all") == 0;
    int known = all;
    int err = 0;
    static const char *const names[] = { "manifest", "header",  "strings", "files",
                                         "symbols",  "names",   "callees", "callers",
                                         "records",  "lexicon", "vectors" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!all && strcmp(section, names[i]) != 0)
            continue;
        known = 1;
        if (all)
            pith_buf_printf(out, "== %s\n", names[i]);
        switch (i) {
        case 0:
            dump_manifest(out, ix);
            break;
        case 1:
            dump_header(out, ix);
            break;
        case 2:
            dump_strings(out, ix);
            break;
        case 3:
            dump_files(out, ix);
            break;
        case 4:
            dump_symbols(out, ix);
            break;
        case 5:
            dump_names(out, ix);
            break;
        case 6:
            dump_edges(out, ix, 0);
            break;
        case 7:
            dump_edges(out, ix, 1);
            break;
        case 8:
            err = dump_records(out, ix);
            break;
        case 9:
            dump_lexicon(out, ix);
            break;
        default:
            dump_vectors(out, ix);
            break;
        }
        if (err)
            return err;
    }
    if (!known)
        return pith_error_set(PITH_EUSAGE, "unknown section %s (expected one of: %s)", section,
                              PITH_DUMP_SECTIONS);
    return 0;
}
