/* The validating index reader (see artifact.h, docs/FORMAT.md "How a reader validates").
 * pith_index_open checks every offset, length, id and string reference once, so that the
 * accessors below index the mapped arrays without checks (SQLite aDataEnd style). */
#include "artifact.h"

#include "err.h"
#include "file.h"
#include "hashmap.h"
#include "hnsw.h"
#include "mem.h"
#include "schemas/manifest.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the artifact reader uses the mapped structs in place: little-endian hosts only"
#endif

#define MAX_MANIFEST    (256u << 20)
#define MAX_SECTIONS    64u
#define MAX_SYMBOL_KIND 6u
#define MAX_EDGE_KIND   10u
#define MAX_FILE_STATUS 5u
#define MAX_CONFIDENCE  1000u
#define KNOWN_SYMF      (PITH_SYMF_DECORATED | PITH_SYMF_ASYNC | PITH_SYMF_TEST)

struct csr {
    const uint32_t *off; /* node_count + 1 entries */
    const struct pith_disk_edge *edges;
    uint32_t edge_count;
};

struct pith_index {
    struct pith_map map;  /* opened from a directory */
    unsigned char *owned; /* opened from memory */
    const unsigned char *data;
    size_t len;
    Pith__Manifest *manifest;
    const struct pith_disk_section *table;
    uint32_t section_count;
    const char *strs;
    size_t strs_len;
    int strs_wide; /* 8 bytes past the end of STRS are inside the shard */
    const struct pith_disk_file *files;
    uint32_t nfiles; /* excluding the null entry */
    const struct pith_disk_symbol *syms;
    uint32_t nsyms; /* excluding the null entry */
    const uint32_t *names;
    struct csr cale, calr;
    const unsigned char *recs;
    size_t recs_len;
    const struct pith_disk_block *blocks;
    uint32_t block_count, rpb, record_count;
    struct pith_lexicon lex;
    struct pith_vectors vecs;
    struct pith_hnsw hnsw;
};

static void fourcc(char out[5], uint32_t id)
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(id >> (8 * i));
        out[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    out[4] = '\0';
}

static int unsupported_version(uint64_t v)
{
    return pith_error_set(PITH_EUNSUPPORTED,
                          "index format version %llu is not supported by this pith (expects %u)",
                          (unsigned long long)v, PITH_FORMAT_VERSION);
}

static const struct pith_disk_section *find_section(const struct pith_index *ix, uint32_t id)
{
    for (uint32_t i = 0; i < ix->section_count; i++) {
        if (ix->table[i].id == id)
            return &ix->table[i];
    }
    return NULL;
}

static int str_ok(const struct pith_index *ix, uint32_t ref)
{
    return ref < ix->strs_len;
}

static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return 0;
    }
    return 1;
}

/* ---- per-section validation ------------------------------------------------------------- */

/* Order checks compare strings of the table; a hostile table could make each comparison walk
 * one huge string (n symbols x L bytes). pith-pack deduplicates strings, so in a real shard
 * each distinct string takes part in at most two adjacent comparisons: all of them together
 * read at most 2 x len(STRS) bytes. Comparisons draw on that budget; running out is
 * corruption. */
struct cmp_budget {
    uint64_t left;
};

static void budget_init(struct cmp_budget *b, const struct pith_index *ix, uint64_t count)
{
    b->left = 2 * (uint64_t)ix->strs_len + 16 * count + 64;
}

/* strcmp of strings `x` and `y` of the table; sets *over when the budget ran out. Each byte
 * compared, the last (differing or NUL) one included, costs one unit of the budget. */
static int
cmp_refs(const struct pith_index *ix, uint32_t x, uint32_t y, struct cmp_budget *b, int *over)
{
    if (x == y)
        return 0;
    const unsigned char *p = (const unsigned char *)ix->strs + x;
    const unsigned char *q = (const unsigned char *)ix->strs + y;
    if (ix->strs_wide) {
        /* 8 bytes at a time: STRS ends with NUL and at least 8 bytes of the shard follow it,
         * so no load leaves the shard. The first differing byte is the lowest set byte of
         * a ^ c, the first NUL of `a` the lowest flagged byte of haszero(a) (exact for the
         * lowest one). */
        for (;;) {
            uint64_t a, c;
            memcpy(&a, p, 8);
            memcpy(&c, q, 8);
            uint64_t stop = (a ^ c) | ((a - 0x0101010101010101u) & ~a & 0x8080808080808080u);
            if (stop) {
                unsigned k = (unsigned)__builtin_ctzll(stop) / 8; /* little-endian loads */
                if (b->left < k + 1) {
                    *over = 1;
                    return 0;
                }
                b->left -= k + 1;
                return (int)p[k] - (int)q[k];
            }
            if (b->left < 8) {
                *over = 1;
                return 0;
            }
            b->left -= 8;
            p += 8;
            q += 8;
        }
    }
    for (;; p++, q++) {
        if (b->left == 0) {
            *over = 1;
            return 0;
        }
        b->left--;
        if (*p != *q || *p == 0)
            return (int)*p - (int)*q;
    }
}

static int check_strs(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    if (len == 0 || p[0] != 0 || p[len - 1] != 0)
        return PITH_CORRUPT("string table must start and end with NUL");
    if (len > (uint64_t)UINT32_MAX + 1)
        return PITH_CORRUPT("string table larger than 4 GiB");
    ix->strs = (const char *)p;
    ix->strs_len = (size_t)len;
    ix->strs_wide = (size_t)(p - ix->data) + (size_t)len + 8 <= ix->len;
    return 0;
}

static int check_files(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    if (len % sizeof(struct pith_disk_file) != 0 || len == 0)
        return PITH_CORRUPT("file table length %llu is not a multiple of %zu",
                            (unsigned long long)len, sizeof(struct pith_disk_file));
    uint64_t n = len / sizeof(struct pith_disk_file);
    if (n - 1 > UINT32_MAX / 2)
        return PITH_CORRUPT("file table too large");
    const struct pith_disk_file *f = (const struct pith_disk_file *)p;
    if (!all_zero(&f[0], sizeof f[0]))
        return PITH_CORRUPT("file entry 0 is not the null entry");
    for (uint64_t i = 1; i < n; i++) {
        if (!str_ok(ix, f[i].path) || !str_ok(ix, f[i].language) || !str_ok(ix, f[i].module) ||
            !str_ok(ix, f[i].skip_reason))
            return PITH_CORRUPT("file %llu has a string reference out of range",
                                (unsigned long long)i);
        if (f[i].status > MAX_FILE_STATUS)
            return PITH_CORRUPT("file %llu has unknown status %u", (unsigned long long)i,
                                f[i].status);
    }
    ix->files = f;
    ix->nfiles = (uint32_t)(n - 1);
    return 0;
}

static int check_symbols(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    if (len % sizeof(struct pith_disk_symbol) != 0 || len == 0)
        return PITH_CORRUPT("symbol table length %llu is not a multiple of %zu",
                            (unsigned long long)len, sizeof(struct pith_disk_symbol));
    uint64_t n = len / sizeof(struct pith_disk_symbol);
    if (n - 1 > UINT32_MAX / 2)
        return PITH_CORRUPT("symbol table too large");
    const struct pith_disk_symbol *s = (const struct pith_disk_symbol *)p;
    if (!all_zero(&s[0], sizeof s[0]))
        return PITH_CORRUPT("symbol entry 0 is not the null entry");
    struct cmp_budget budget;
    int over = 0;
    budget_init(&budget, ix, n);
    for (uint64_t i = 1; i < n; i++) {
        if (!str_ok(ix, s[i].qualname) || !str_ok(ix, s[i].name) || !str_ok(ix, s[i].signature))
            return PITH_CORRUPT("symbol %llu has a string reference out of range",
                                (unsigned long long)i);
        if (s[i].file > ix->nfiles || s[i].parent >= n)
            return PITH_CORRUPT("symbol %llu has a file or parent id out of range",
                                (unsigned long long)i);
        if (s[i].kind > MAX_SYMBOL_KIND || (s[i].flags & ~KNOWN_SYMF) || s[i].reserved)
            return PITH_CORRUPT("symbol %llu has an unknown kind or flags", (unsigned long long)i);
        if (i > 1 && cmp_refs(ix, s[i - 1].qualname, s[i].qualname, &budget, &over) > 0)
            return PITH_CORRUPT("symbol %llu is out of qualname order", (unsigned long long)i);
        if (over)
            return PITH_CORRUPT("symbol names are too costly to compare (duplicated strings)");
    }
    ix->syms = s;
    ix->nsyms = (uint32_t)(n - 1);
    return 0;
}

static int check_names(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    if (len != (uint64_t)ix->nsyms * 4)
        return PITH_CORRUPT("name index holds %llu bytes, expected %llu", (unsigned long long)len,
                            (unsigned long long)ix->nsyms * 4);
    const uint32_t *ids = (const uint32_t *)p;
    struct cmp_budget budget;
    int over = 0;
    budget_init(&budget, ix, ix->nsyms);
    for (uint32_t i = 0; i < ix->nsyms; i++) {
        if (ids[i] == 0 || ids[i] > ix->nsyms)
            return PITH_CORRUPT("name index entry %u names symbol %u out of range", i, ids[i]);
        if (i > 0 &&
            cmp_refs(ix, ix->syms[ids[i - 1]].name, ix->syms[ids[i]].name, &budget, &over) > 0)
            return PITH_CORRUPT("name index entry %u is out of order", i);
        if (over)
            return PITH_CORRUPT("names are too costly to compare (duplicated strings)");
    }
    ix->names = ids;
    return 0;
}

static int
check_csr(struct pith_index *ix, struct csr *out, const unsigned char *p, uint64_t len, int callers)
{
    const char *what = callers ? "callers" : "callees";
    if (len < 8)
        return PITH_CORRUPT("%s section too short", what);
    const uint32_t *h = (const uint32_t *)p;
    uint64_t nodes = h[0], edges = h[1];
    if (nodes != (uint64_t)ix->nsyms + 1)
        return PITH_CORRUPT("%s section has %llu nodes, expected %llu", what,
                            (unsigned long long)nodes, (unsigned long long)ix->nsyms + 1);
    uint64_t edges_off = (8 + 4 * (nodes + 1) + 7) & ~(uint64_t)7;
    if (len != edges_off + edges * sizeof(struct pith_disk_edge))
        return PITH_CORRUPT("%s section length %llu does not match its %llu edges", what,
                            (unsigned long long)len, (unsigned long long)edges);
    const uint32_t *off = h + 2;
    if (off[0] != 0 || off[nodes] != edges)
        return PITH_CORRUPT("%s offsets do not span the edges", what);
    for (uint64_t i = 0; i < nodes; i++) {
        if (off[i] > off[i + 1])
            return PITH_CORRUPT("%s offsets decrease at node %llu", what, (unsigned long long)i);
    }
    const struct pith_disk_edge *e = (const struct pith_disk_edge *)(p + edges_off);
    for (uint64_t i = 0; i < edges; i++) {
        if (e[i].other > ix->nsyms || (callers && e[i].other == 0))
            return PITH_CORRUPT("%s edge %llu names symbol %u out of range", what,
                                (unsigned long long)i, e[i].other);
        if (e[i].kind > MAX_EDGE_KIND || e[i].confidence > MAX_CONFIDENCE)
            return PITH_CORRUPT("%s edge %llu has a bad kind or confidence", what,
                                (unsigned long long)i);
        if (!str_ok(ix, e[i].name) || !str_ok(ix, e[i].reason))
            return PITH_CORRUPT("%s edge %llu has a string reference out of range", what,
                                (unsigned long long)i);
    }
    out->off = off;
    out->edges = e;
    out->edge_count = (uint32_t)edges;
    return 0;
}

static int check_records(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    if (len < 16)
        return PITH_CORRUPT("record section too short");
    const uint32_t *h = (const uint32_t *)p;
    uint64_t blocks = h[0], records = h[1], rpb = h[2];
    if (h[3] != 0 || rpb == 0 || records != (uint64_t)ix->nsyms + 1 ||
        blocks != (records + rpb - 1) / rpb)
        return PITH_CORRUPT("record section header is inconsistent");
    uint64_t base = 16 + blocks * sizeof(struct pith_disk_block);
    if (base > len)
        return PITH_CORRUPT("record seek table overruns its section");
    const struct pith_disk_block *b = (const struct pith_disk_block *)(p + 16);
    uint64_t prev_end = base;
    for (uint64_t i = 0; i < blocks; i++) {
        uint64_t n = records - i * rpb < rpb ? records - i * rpb : rpb;
        if (b[i].offset < prev_end || b[i].offset > len || b[i].zlen > len - b[i].offset)
            return PITH_CORRUPT("record block %llu overruns its section", (unsigned long long)i);
        if (b[i].raw_len > PITH_RECS_MAX_RAW || b[i].raw_len < 4 + 4 * n)
            return PITH_CORRUPT("record block %llu has a bad size", (unsigned long long)i);
        prev_end = b[i].offset + b[i].zlen;
    }
    ix->recs = p;
    ix->recs_len = (size_t)len;
    ix->blocks = b;
    ix->block_count = (uint32_t)blocks;
    ix->rpb = (uint32_t)rpb;
    ix->record_count = (uint32_t)records;
    return 0;
}

static int check_lexicon(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    const struct pith_disk_lexi_header *h = (const struct pith_disk_lexi_header *)p;
    if (len < sizeof *h)
        return PITH_CORRUPT("lexicon section too short");
    if (h->field_count != PITH_LEX_FIELDS || h->doc_count != (uint64_t)ix->nsyms + 1)
        return PITH_CORRUPT("lexicon header does not match the symbol table");
    uint64_t tc = h->term_count, pc = h->posting_count, dc = h->doc_count;
    uint64_t want = sizeof *h + tc * sizeof(struct pith_disk_term) +
                    pc * sizeof(struct pith_disk_posting) + dc * PITH_LEX_FIELDS * 2;
    if (len != want)
        return PITH_CORRUPT("lexicon length %llu does not match its counts",
                            (unsigned long long)len);
    for (int f = 0; f < PITH_LEX_FIELDS; f++) {
        if (!isfinite(h->avg_len[f]) || h->avg_len[f] < 0)
            return PITH_CORRUPT("lexicon average length of field %d is not a number", f);
    }
    const struct pith_disk_term *t = (const struct pith_disk_term *)(p + sizeof *h);
    const struct pith_disk_posting *post = (const struct pith_disk_posting *)(t + tc);
    uint64_t next = 0;
    struct cmp_budget budget;
    int over = 0;
    budget_init(&budget, ix, tc);
    for (uint64_t i = 0; i < tc; i++) {
        if (!str_ok(ix, t[i].term) || t[i].term == 0 || t[i].reserved)
            return PITH_CORRUPT("lexicon term %llu has a bad string", (unsigned long long)i);
        if (t[i].first != next || t[i].count == 0 || t[i].count > pc - next)
            return PITH_CORRUPT("lexicon term %llu postings out of range", (unsigned long long)i);
        if (i > 0 && (cmp_refs(ix, t[i - 1].term, t[i].term, &budget, &over) >= 0 || over))
            return PITH_CORRUPT("lexicon term %llu is out of order", (unsigned long long)i);
        for (uint64_t k = next; k < next + t[i].count; k++) {
            if (post[k].doc == 0 || post[k].doc > ix->nsyms ||
                (k > next && post[k].doc <= post[k - 1].doc))
                return PITH_CORRUPT("lexicon posting %llu has a bad document",
                                    (unsigned long long)k);
        }
        next += t[i].count;
    }
    if (next != pc)
        return PITH_CORRUPT("lexicon terms do not cover the postings");
    ix->lex.header = h;
    ix->lex.terms = t;
    ix->lex.postings = post;
    ix->lex.doc_len = (const uint16_t *)(post + pc);
    return 0;
}

static int check_vectors(struct pith_index *ix, const unsigned char *p, uint64_t len)
{
    const struct pith_disk_vecs_header *h = (const struct pith_disk_vecs_header *)p;
    if (len < sizeof *h)
        return PITH_CORRUPT("vectors section too short");
    if (h->dim == 0 || h->dim > PITH_VECS_MAX_DIM || (h->elem_size != 4 && h->elem_size != 2) ||
        h->row_count != (uint64_t)ix->nsyms + 1 || !all_zero(h->reserved, sizeof h->reserved))
        return PITH_CORRUPT("vectors header does not match the symbol table");
    if (!str_ok(ix, h->embedder) || h->embedder == 0)
        return PITH_CORRUPT("vectors header has a bad embedder string");
    uint64_t rows = h->row_count, flags_end = (sizeof *h + rows + 7) & ~(uint64_t)7;
    if (len != flags_end + rows * h->dim * h->elem_size)
        return PITH_CORRUPT("vectors length %llu does not match its counts",
                            (unsigned long long)len);
    const uint8_t *has = p + sizeof *h;
    uint64_t present = 0;
    for (uint64_t i = 0; i < rows; i++) {
        if (has[i] > 1 || (i == 0 && has[i]))
            return PITH_CORRUPT("vectors row %llu has a bad flag", (unsigned long long)i);
        present += has[i];
    }
    for (uint64_t i = sizeof *h + rows; i < flags_end; i++) {
        if (p[i])
            return PITH_CORRUPT("vectors padding is not zero");
    }
    if (present != h->present)
        return PITH_CORRUPT("vectors header counts %u rows, the flags %llu", h->present,
                            (unsigned long long)present);
    const float *f = (const float *)(p + flags_end);
    const uint16_t *f16 = (const uint16_t *)(p + flags_end);
    for (uint64_t i = 0; h->elem_size == 4 && i < rows * h->dim; i++) {
        if (!isfinite(f[i]) || f[i] > 1.0001f || f[i] < -1.0001f)
            return PITH_CORRUPT("vectors row %llu holds a value out of range",
                                (unsigned long long)(i / h->dim));
    }
    for (uint64_t i = 0; h->elem_size == 2 && i < rows * h->dim; i++) {
        if ((f16[i] & 0x7fffu) > 0x3c00u) /* |x| > 1, infinite or NaN */
            return PITH_CORRUPT("vectors row %llu holds a value out of range",
                                (unsigned long long)(i / h->dim));
    }
    ix->vecs.header = h;
    ix->vecs.has = has;
    ix->vecs.rows = h->elem_size == 4 ? f : NULL;
    ix->vecs.rows16 = h->elem_size == 2 ? f16 : NULL;
    ix->vecs.elem_size = h->elem_size;
    ix->vecs.dim = h->dim;
    ix->vecs.row_count = h->row_count;
    ix->vecs.embedder = ix->strs + h->embedder;
    return 0;
}

/* ---- open ------------------------------------------------------------------------------- */

/* 1 when the section table is well formed (the structural conditions check_shard's table loop
 * refuses) and the trailer and every section checksum match, computed in one pass: the shard
 * is read once in chunks, each chunk feeding the whole-shard hash and its section's hash while
 * in cache. 0 otherwise; check_shard then repeats the checks one by one to name the first
 * failure, exactly as without this pass. */
/* Section flags are zero, except LEXI's: the version of the tokenizer that built it (common/lex.h
 * PITH_LEX_VERSION; 0 before versions existed). */
static int section_flags_ok(const struct pith_disk_section *s)
{
    return s->id == PITH_SEC_LEXI ? s->flags <= 0xff : s->flags == 0;
}

static int hashes_match(const unsigned char *d, size_t len, uint32_t count)
{
    const struct pith_disk_section *t =
        (const struct pith_disk_section *)(d + sizeof(struct pith_disk_header));
    uint64_t body_end = len - 8;
    uint64_t prev_end = sizeof(struct pith_disk_header) + (uint64_t)count * sizeof *t;
    for (uint32_t i = 0; i < count; i++) {
        if (!section_flags_ok(&t[i]) || t[i].offset % 8 != 0 || t[i].offset < prev_end ||
            t[i].offset > body_end || t[i].len > body_end - t[i].offset)
            return 0;
        for (uint32_t j = 0; j < i; j++) {
            if (t[j].id == t[i].id)
                return 0;
        }
        prev_end = t[i].offset + t[i].len;
    }
    enum { CHUNK = 64 << 10 };
    XXH3_state_t *whole = XXH3_createState(), *one = XXH3_createState();
    if (!whole || !one)
        PITH_BUG("out of memory for an XXH3 state");
    XXH3_64bits_reset(whole);
    int ok = 1;
    uint64_t pos = 0;
    for (uint32_t i = 0; i <= count && ok; i++) {
        uint64_t start = i < count ? t[i].offset : body_end;
        XXH3_64bits_update(whole, d + pos, (size_t)(start - pos)); /* header, table, padding */
        if (i == count)
            break;
        XXH3_64bits_reset(one);
        for (uint64_t at = start; at < start + t[i].len; at += CHUNK) {
            size_t n = (size_t)(start + t[i].len - at < CHUNK ? start + t[i].len - at : CHUNK);
            XXH3_64bits_update(whole, d + at, n);
            XXH3_64bits_update(one, d + at, n);
        }
        ok = XXH3_64bits_digest(one) == t[i].checksum;
        pos = start + t[i].len;
    }
    uint64_t sum;
    memcpy(&sum, d + body_end, 8);
    ok = ok && XXH3_64bits_digest(whole) == sum;
    XXH3_freeState(whole);
    XXH3_freeState(one);
    return ok;
}

static int check_shard(struct pith_index *ix, unsigned flags)
{
    const unsigned char *d = ix->data;
    size_t len = ix->len;
    const struct pith_disk_header *h = (const struct pith_disk_header *)d;
    if (len < sizeof *h + 8)
        return PITH_CORRUPT("shard is %zu bytes, shorter than its header", len);
    if (memcmp(h->magic, PITH_ARTIFACT_MAGIC, 8) != 0)
        return PITH_CORRUPT("shard does not start with %s", PITH_ARTIFACT_MAGIC);
    if (h->version != PITH_FORMAT_VERSION)
        return unsupported_version(h->version);
    if (h->file_len != len)
        return PITH_CORRUPT("shard header says %llu bytes, file has %zu",
                            (unsigned long long)h->file_len, len);
    if (h->table_off != sizeof *h || !all_zero(h->reserved, sizeof h->reserved))
        return PITH_CORRUPT("shard header has a bad table offset or reserved bytes");
    uint64_t body_end = len - 8;
    if (h->section_count > MAX_SECTIONS ||
        sizeof *h + (uint64_t)h->section_count * sizeof(struct pith_disk_section) > body_end)
        return PITH_CORRUPT("section table (%u entries) overruns the shard", h->section_count);
    if (!(flags & PITH_INDEX_OPEN_NO_CHECKSUMS) && hashes_match(d, len, h->section_count))
        flags |= PITH_INDEX_OPEN_NO_CHECKSUMS; /* checked: the table loop needs no hashing */
    if (!(flags & PITH_INDEX_OPEN_NO_CHECKSUMS)) {
        uint64_t sum;
        memcpy(&sum, d + body_end, 8);
        if (pith_hash64(d, (size_t)body_end) != sum)
            return PITH_CORRUPT("shard checksum mismatch");
    }
    ix->table = (const struct pith_disk_section *)(d + sizeof *h);
    ix->section_count = h->section_count;
    uint64_t prev_end = sizeof *h + (uint64_t)h->section_count * sizeof(struct pith_disk_section);
    for (uint32_t i = 0; i < ix->section_count; i++) {
        const struct pith_disk_section *s = &ix->table[i];
        char name[5];
        fourcc(name, s->id);
        if (!section_flags_ok(s))
            return PITH_CORRUPT("section %s has unknown flags", name);
        if (s->offset % 8 != 0 || s->offset < prev_end || s->offset > body_end ||
            s->len > body_end - s->offset)
            return PITH_CORRUPT("section %s is misaligned, overlaps or overruns the shard", name);
        for (uint32_t j = 0; j < i; j++) {
            if (ix->table[j].id == s->id)
                return PITH_CORRUPT("section %s appears twice", name);
        }
        if (!(flags & PITH_INDEX_OPEN_NO_CHECKSUMS) &&
            pith_hash64(d + s->offset, (size_t)s->len) != s->checksum)
            return PITH_CORRUPT("section %s checksum mismatch", name);
        prev_end = s->offset + s->len;
    }
    static const uint32_t required[] = { PITH_SEC_STRS, PITH_SEC_FILE, PITH_SEC_SYMS, PITH_SEC_NAME,
                                         PITH_SEC_CALE, PITH_SEC_CALR, PITH_SEC_RECS };
    const struct pith_disk_section *sec[sizeof required / sizeof *required];
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        sec[i] = find_section(ix, required[i]);
        if (!sec[i]) {
            char name[5];
            fourcc(name, required[i]);
            return PITH_CORRUPT("required section %s is missing", name);
        }
    }
#define SEC_ARGS(s) d + (s)->offset, (s)->len
    int err = check_strs(ix, SEC_ARGS(sec[0]));
    if (!err)
        err = check_files(ix, SEC_ARGS(sec[1]));
    if (!err)
        err = check_symbols(ix, SEC_ARGS(sec[2]));
    if (!err)
        err = check_names(ix, SEC_ARGS(sec[3]));
    if (!err)
        err = check_csr(ix, &ix->cale, SEC_ARGS(sec[4]), 0);
    if (!err)
        err = check_csr(ix, &ix->calr, SEC_ARGS(sec[5]), 1);
    if (!err)
        err = check_records(ix, SEC_ARGS(sec[6]));
    const struct pith_disk_section *lexi = find_section(ix, PITH_SEC_LEXI);
    if (!err && lexi)
        err = check_lexicon(ix, SEC_ARGS(lexi));
    if (!err && lexi)
        ix->lex.version = lexi->flags ? lexi->flags : 1;
    const struct pith_disk_section *vecs = find_section(ix, PITH_SEC_VECS);
    if (!err && vecs)
        err = check_vectors(ix, SEC_ARGS(vecs));
    const struct pith_disk_section *hnsw = find_section(ix, PITH_SEC_HNSW);
    if (!err && hnsw)
        err = pith_hnsw_check(&ix->hnsw, SEC_ARGS(hnsw), &ix->vecs);
#undef SEC_ARGS
    return err;
}

static int check_manifest(struct pith_index *ix, const void *bytes, size_t len)
{
    ix->manifest = pith__manifest__unpack(NULL, len, bytes);
    if (!ix->manifest)
        return PITH_CORRUPT("MANIFEST does not decode");
    if (ix->manifest->format_version != PITH_FORMAT_VERSION)
        return unsupported_version(ix->manifest->format_version);
    if (ix->manifest->n_shards != 1 || !ix->manifest->shards[0]->name ||
        strcmp(ix->manifest->shards[0]->name, PITH_SHARD_NAME) != 0)
        return PITH_CORRUPT("MANIFEST does not list exactly the shard %s", PITH_SHARD_NAME);
    return 0;
}

static int check_manifest_size(const struct pith_index *ix)
{
    if (ix->manifest->shards[0]->size != ix->len)
        return PITH_CORRUPT("MANIFEST says the shard has %llu bytes, it has %zu",
                            (unsigned long long)ix->manifest->shards[0]->size, ix->len);
    return 0;
}

/* The MANIFEST carries no checksum of its own: cross-check what it repeats from the shard. */
static int check_manifest_agrees(const struct pith_index *ix)
{
    const Pith__Manifest *m = ix->manifest;
    const Pith__ManifestShard *sh = m->shards[0];
    if (m->symbol_count != ix->nsyms || m->edge_count != ix->cale.edge_count ||
        m->n_files != ix->nfiles)
        return PITH_CORRUPT("MANIFEST counts do not match the shard");
    if (ix->vecs.header &&
        (m->dim != ix->vecs.dim || !m->embedder || strcmp(m->embedder, ix->vecs.embedder) != 0))
        return PITH_CORRUPT("MANIFEST embedder or dim does not match the vectors section");
    if (sh->n_sections != ix->section_count)
        return PITH_CORRUPT("MANIFEST lists %zu sections, the shard has %u", sh->n_sections,
                            ix->section_count);
    for (uint32_t i = 0; i < ix->section_count; i++) {
        const Pith__ManifestSection *ms = sh->sections[i];
        const struct pith_disk_section *s = &ix->table[i];
        char name[5];
        fourcc(name, s->id);
        if (!ms->name || strcmp(ms->name, name) != 0 || ms->offset != s->offset ||
            ms->size != s->len || ms->checksum != s->checksum)
            return PITH_CORRUPT("MANIFEST entry for section %s does not match the shard", name);
    }
    return 0;
}

int pith_index_open(struct pith_index **out, const char *dir)
{
    *out = NULL;
    struct pith_index *ix = pith_xcalloc(1, sizeof *ix);
    struct pith_buf man = PITH_BUF_INIT;
    size_t n = strlen(dir) + sizeof PITH_SHARD_NAME + sizeof PITH_MANIFEST_NAME + 2;
    char *path = pith_xmalloc(n);
    snprintf(path, n, "%s/%s", dir, PITH_MANIFEST_NAME);
    int err = pith_file_read(&man, path, MAX_MANIFEST);
    if (err) {
        if (err == PITH_ENOTFOUND)
            err = pith_error_set(PITH_ENOTFOUND, "%s is not a pith index (no %s)", dir,
                                 PITH_MANIFEST_NAME);
        goto out;
    }
    err = check_manifest(ix, man.ptr ? man.ptr : "", man.len);
    if (err)
        goto out;
    snprintf(path, n, "%s/%s", dir, PITH_SHARD_NAME);
    err = pith_map_open(&ix->map, path);
    if (err)
        goto out;
    ix->data = ix->map.data;
    ix->len = ix->map.len;
    err = check_manifest_size(ix);
    if (!err)
        err = check_shard(ix, 0);
    if (!err)
        err = check_manifest_agrees(ix);
out:
    free(path);
    pith_buf_release(&man);
    if (err)
        pith_index_free(ix);
    else
        *out = ix;
    return err;
}

int pith_index_open_mem(struct pith_index **out,
                        const void *manifest,
                        size_t manifest_len,
                        const void *shard,
                        size_t shard_len,
                        unsigned flags)
{
    *out = NULL;
    struct pith_index *ix = pith_xcalloc(1, sizeof *ix);
    int err = check_manifest(ix, manifest_len ? manifest : "", manifest_len);
    if (err)
        goto out;
    ix->owned = pith_xmalloc(shard_len + 8); /* malloc alignment: 8 or more */
    if (shard_len)
        memcpy(ix->owned, shard, shard_len);
    ix->data = ix->owned;
    ix->len = shard_len;
    if (!(flags & PITH_INDEX_OPEN_NO_CHECKSUMS))
        err = check_manifest_size(ix);
    if (!err)
        err = check_shard(ix, flags);
    if (!err && !(flags & PITH_INDEX_OPEN_NO_CHECKSUMS))
        err = check_manifest_agrees(ix);
out:
    if (err)
        pith_index_free(ix);
    else
        *out = ix;
    return err;
}

void pith_index_free(struct pith_index *ix)
{
    if (!ix)
        return;
    if (ix->manifest)
        pith__manifest__free_unpacked(ix->manifest, NULL);
    pith_map_release(&ix->map);
    free(ix->owned);
    free(ix);
}

/* ---- accessors -------------------------------------------------------------------------- */

const char *pith_index_str(const struct pith_index *ix, uint32_t ref)
{
    return ref < ix->strs_len ? ix->strs + ref : "";
}

uint32_t pith_index_symbol_count(const struct pith_index *ix)
{
    return ix->nsyms;
}

uint32_t pith_index_file_count(const struct pith_index *ix)
{
    return ix->nfiles;
}

const struct pith_disk_symbol *pith_index_symbol(const struct pith_index *ix, uint32_t id)
{
    return id <= ix->nsyms ? &ix->syms[id] : NULL;
}

const struct pith_disk_file *pith_index_file(const struct pith_index *ix, uint32_t id)
{
    return id <= ix->nfiles ? &ix->files[id] : NULL;
}

uint32_t pith_index_find_qualname(const struct pith_index *ix, const char *qualname)
{
    uint32_t lo = 1, hi = ix->nsyms + 1; /* first id with qualname >= key */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->strs + ix->syms[mid].qualname, qualname) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo <= ix->nsyms && strcmp(ix->strs + ix->syms[lo].qualname, qualname) == 0)
        return lo;
    return 0;
}

size_t pith_index_find_name(const struct pith_index *ix, const char *name, const uint32_t **out)
{
    size_t lo = 0, hi = ix->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->strs + ix->syms[ix->names[mid]].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ix->nsyms && strcmp(ix->strs + ix->syms[ix->names[end]].name, name) == 0)
        end++;
    *out = ix->names ? ix->names + lo : NULL;
    return end - lo;
}

static size_t
csr_edges(const struct csr *c, uint32_t nsyms, uint32_t id, const struct pith_disk_edge **out)
{
    if (id > nsyms) {
        *out = NULL;
        return 0;
    }
    *out = c->edges + c->off[id];
    return c->off[id + 1] - c->off[id];
}

size_t
pith_index_callees(const struct pith_index *ix, uint32_t id, const struct pith_disk_edge **out)
{
    return csr_edges(&ix->cale, ix->nsyms, id, out);
}

size_t
pith_index_callers(const struct pith_index *ix, uint32_t id, const struct pith_disk_edge **out)
{
    return csr_edges(&ix->calr, ix->nsyms, id, out);
}

int pith_index_record_cached(const struct pith_index *ix,
                             struct pith_record_cache *c,
                             uint32_t id,
                             unsigned char **out,
                             size_t *len_out)
{
    *out = NULL;
    *len_out = 0;
    if (id >= ix->record_count)
        return PITH_CORRUPT("record %u out of range", id);
    uint32_t b = id / ix->rpb, i = id % ix->rpb;
    const struct pith_disk_block *blk = &ix->blocks[b];
    uint32_t n =
        ix->record_count - b * ix->rpb < ix->rpb ? ix->record_count - b * ix->rpb : ix->rpb;
    if (!c->raw || c->block != b) {
        free(c->raw);
        c->raw = pith_xmalloc((size_t)blk->raw_len + 1);
        c->block = b;
        size_t got = ZSTD_decompress(c->raw, blk->raw_len, ix->recs + blk->offset, blk->zlen);
        if (ZSTD_isError(got) || got != blk->raw_len) {
            pith_record_cache_release(c);
            return PITH_CORRUPT("record block %u does not decompress", b);
        }
    }
    const unsigned char *raw = c->raw;
    uint32_t hdr_n, start = 0, end;
    memcpy(&hdr_n, raw, 4);
    if (hdr_n != n)
        return PITH_CORRUPT("record block %u holds %u records, expected %u", b, hdr_n, n);
    size_t body = 4 + 4 * (size_t)n, body_len = blk->raw_len - body;
    if (i > 0)
        memcpy(&start, raw + 4 + 4 * (size_t)(i - 1), 4);
    memcpy(&end, raw + 4 + 4 * (size_t)i, 4);
    if (start > end || end > body_len)
        return PITH_CORRUPT("record %u overruns its block", id);
    *out = pith_xmalloc((size_t)(end - start) + 1);
    memcpy(*out, raw + body + start, end - start);
    *len_out = end - start;
    return 0;
}

void pith_record_cache_release(struct pith_record_cache *c)
{
    free(c->raw);
    c->raw = NULL;
    c->block = 0;
}

int pith_index_record(const struct pith_index *ix,
                      uint32_t id,
                      unsigned char **out,
                      size_t *len_out)
{
    struct pith_record_cache c = { 0 };
    int err = pith_index_record_cached(ix, &c, id, out, len_out);
    pith_record_cache_release(&c);
    return err;
}

void pith_index_lexicon(const struct pith_index *ix, struct pith_lexicon *out)
{
    *out = ix->lex;
}

const struct pith_disk_term *pith_index_find_term(const struct pith_index *ix, const char *term)
{
    if (!ix->lex.header)
        return NULL;
    size_t lo = 0, hi = ix->lex.header->term_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->strs + ix->lex.terms[mid].term, term);
        if (c == 0)
            return &ix->lex.terms[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void pith_index_vectors(const struct pith_index *ix, struct pith_vectors *out)
{
    *out = ix->vecs;
}

void pith_index_hnsw(const struct pith_index *ix, struct pith_hnsw *out)
{
    *out = ix->hnsw;
}

const void *pith_index_manifest(const struct pith_index *ix)
{
    return ix->manifest;
}

const unsigned char *pith_index_section(const struct pith_index *ix, uint32_t id, size_t *len)
{
    const struct pith_disk_section *s = find_section(ix, id);
    if (!s) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)s->len;
    return ix->data + s->offset;
}

const struct pith_disk_header *pith_index_header(const struct pith_index *ix)
{
    return (const struct pith_disk_header *)ix->data;
}

const struct pith_disk_section *pith_index_sections(const struct pith_index *ix, uint32_t *count)
{
    *count = ix->section_count;
    return ix->table;
}
