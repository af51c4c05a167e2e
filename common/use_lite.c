/* Universal Sentence Encoder Lite in C (see use_lite.h; file layout: embed/use_lite_convert.mjs,
 * model: shared/EMBEDDING.md). */
#include "common/use_lite.h"

#include "common/cpu.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAGIC        "PITHUSEL"
#define VERSION      2u
#define HEADER_LEN   96u
#define TENSOR_LEN   64u
#define VOCAB_LEN    16u
#define NFKD_LEN     12u
#define CCC_LEN      8u
#define COMP_LEN     12u
#define RESERVED     6u      /* vocab entries 0..5 are not pieces */
#define SEPARATOR    0x2581u /* ▁ */
#define UNKNOWN_CHAR 0xFFFDu

enum { D0 = 256, D1 = 512, FF = 1536, HEADS = 4, VOCAB_ROWS = 8002, TIMING = 128 };

/* The tensors use_lite.c reads, with the shapes it requires (the converter's names). */
enum {
    T_EMBED,
    T_TIMING,
    T_LN_EPS,
    T_L2_EPS,
    T_HEAD_W,
    T_HEAD_B,
    T_LAYER, /* then per layer: */
};
enum {
    LT_LN_G,
    LT_LN_B,
    LT_QKV_W,
    LT_QKV_B,
    LT_Q_SCALE,
    LT_OUT_W,
    LT_OUT_B,
    LT_FFN_LN_G,
    LT_FFN_LN_B,
    LT_FFN_W1,
    LT_FFN_B1,
    LT_FFN_W2,
    LT_FFN_B2,
    LT_ADJ_W,
    LT_ADJ_B,
    LT_COUNT
};
#define T_COUNT (T_LAYER + 2 * LT_COUNT)

struct tensor_spec {
    char name[36];
    uint32_t ndims, dims[2];
};

static const char *const layer_names[LT_COUNT] = {
    "ln_g",     "ln_b",   "qkv_w",  "qkv_b",  "q_scale", "out_w", "out_b", "ffn_ln_g",
    "ffn_ln_b", "ffn_w1", "ffn_b1", "ffn_w2", "ffn_b2",  "adj_w", "adj_b",
};

static void tensor_specs(struct tensor_spec *s)
{
    memset(s, 0, T_COUNT * sizeof *s);
    s[T_EMBED] = (struct tensor_spec){ "embed", 2, { VOCAB_ROWS, D0 } };
    s[T_TIMING] = (struct tensor_spec){ "timing_inv", 1, { TIMING, 0 } };
    s[T_LN_EPS] = (struct tensor_spec){ "ln_eps", 0, { 0, 0 } };
    s[T_L2_EPS] = (struct tensor_spec){ "l2_eps", 0, { 0, 0 } };
    s[T_HEAD_W] = (struct tensor_spec){ "head_w", 2, { D1, D1 } };
    s[T_HEAD_B] = (struct tensor_spec){ "head_b", 1, { D1, 0 } };
    for (int l = 0; l < 2; l++) {
        uint32_t din = l == 0 ? D0 : D1, dqkv = din;
        uint32_t dims[LT_COUNT][3] = {
            [LT_LN_G] = { 1, din, 0 },         [LT_LN_B] = { 1, din, 0 },
            [LT_QKV_W] = { 2, din, 3 * dqkv }, [LT_QKV_B] = { 1, 3 * dqkv, 0 },
            [LT_Q_SCALE] = { 0, 0, 0 },        [LT_OUT_W] = { 2, dqkv, D1 },
            [LT_OUT_B] = { 1, D1, 0 },         [LT_FFN_LN_G] = { 1, D1, 0 },
            [LT_FFN_LN_B] = { 1, D1, 0 },      [LT_FFN_W1] = { 2, D1, FF },
            [LT_FFN_B1] = { 1, FF, 0 },        [LT_FFN_W2] = { 2, FF, D1 },
            [LT_FFN_B2] = { 1, D1, 0 },        [LT_ADJ_W] = { 2, din, D1 },
            [LT_ADJ_B] = { 1, D1, 0 },
        };
        for (int k = 0; k < LT_COUNT; k++) {
            if (l == 1 && (k == LT_ADJ_W || k == LT_ADJ_B))
                continue; /* layer 1 has a plain residual */
            struct tensor_spec *t = &s[T_LAYER + l * LT_COUNT + k];
            snprintf(t->name, sizeof t->name, "l%d.%s", l, layer_names[k]);
            t->ndims = dims[k][0];
            t->dims[0] = dims[k][1];
            t->dims[1] = dims[k][2];
        }
    }
}

struct piece_slot {
    uint32_t id1; /* id + 1; 0: empty */
    uint32_t hash;
};

struct use_lite {
    struct pith_map map; /* data == NULL when opened over borrowed memory */
    const uint8_t *data;
    size_t len;
    const float *t[T_COUNT];
    uint32_t vocab_count, nfkd_count, ccc_count, comp_count;
    const uint8_t *vocab, *nfkd, *ccc, *comp, *strings;
    uint32_t *piece_span; /* per vocab id: UTF-16 length of the piece (what the JS backtracks) */
    struct piece_slot *slots;
    uint32_t slot_mask, max_piece_cps;
    char id[64];
};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static double rdf64(const uint8_t *p)
{
    uint64_t u = rd64(p);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Decodes one UTF-8 code point of s[0, n) (n > 0) into *cp; returns the bytes used (invalid or
 * truncated sequences: 1 byte, U+FFFD; like a WHATWG TextDecoder, one replacement per maximal
 * invalid prefix is not attempted: each bad byte is one U+FFFD). */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1, c = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3, c = b & 0x07, min = 0x10000;
    } else {
        *cp = UNKNOWN_CHAR;
        return 1;
    }
    if (n <= need) {
        *cp = UNKNOWN_CHAR;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = UNKNOWN_CHAR;
            return 1;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *cp = UNKNOWN_CHAR;
        return 1;
    }
    *cp = c;
    return need + 1;
}

static size_t utf8_encode(uint8_t *d, uint32_t c)
{
    if (c < 0x80) {
        d[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (uint8_t)(0xC0 | c >> 6);
        d[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (uint8_t)(0xE0 | c >> 12);
        d[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
        d[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | c >> 18);
    d[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
    d[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
    d[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

/* A strict UTF-8 check: 1 when s[0, n) decodes without a replacement. Sets *cps and *utf16. */
static int utf8_valid(const uint8_t *s, size_t n, uint32_t *cps, uint32_t *utf16)
{
    *cps = *utf16 = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = utf8_decode(s + i, n - i, &c);
        if (c == UNKNOWN_CHAR && !(k == 3 && s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] == 0xBD))
            return 0;
        i += k;
        (*cps)++;
        *utf16 += c >= 0x10000 ? 2 : 1;
    }
    return 1;
}

static uint32_t hash_bytes(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

static void vocab_piece(const struct use_lite *m, uint32_t id, const uint8_t **s, uint32_t *n)
{
    const uint8_t *e = m->vocab + (size_t)id * VOCAB_LEN;
    *s = m->strings + rd32(e + 8);
    *n = rd32(e + 12);
}

static double vocab_score(const struct use_lite *m, uint32_t id)
{
    return rdf64(m->vocab + (size_t)id * VOCAB_LEN);
}

/* The id of the piece s[0, n), or -1. */
static int64_t piece_find(const struct use_lite *m, const uint8_t *s, size_t n)
{
    uint32_t h = hash_bytes(s, n);
    for (uint32_t i = h & m->slot_mask;; i = (i + 1) & m->slot_mask) {
        const struct piece_slot *sl = &m->slots[i];
        if (!sl->id1)
            return -1;
        if (sl->hash != h)
            continue;
        const uint8_t *p;
        uint32_t pn;
        vocab_piece(m, sl->id1 - 1, &p, &pn);
        if (pn == n && memcmp(p, s, n) == 0)
            return sl->id1 - 1;
    }
}

/* Inserts pieces RESERVED..vocab_count-1; a repeated piece takes the later id (as the JS trie
 * does, overwriting the node's word). */
static void pieces_index(struct use_lite *m)
{
    uint32_t cap = 16;
    while (cap < 2 * m->vocab_count)
        cap *= 2;
    m->slots = pith_xcalloc(cap, sizeof *m->slots);
    m->slot_mask = cap - 1;
    for (uint32_t id = RESERVED; id < m->vocab_count; id++) {
        const uint8_t *s;
        uint32_t n;
        vocab_piece(m, id, &s, &n);
        uint32_t h = hash_bytes(s, n);
        for (uint32_t i = h & m->slot_mask;; i = (i + 1) & m->slot_mask) {
            struct piece_slot *sl = &m->slots[i];
            const uint8_t *p = NULL;
            uint32_t pn = 0;
            if (sl->id1)
                vocab_piece(m, sl->id1 - 1, &p, &pn);
            if (!sl->id1 || (sl->hash == h && pn == n && memcmp(p, s, n) == 0)) {
                sl->id1 = id + 1;
                sl->hash = h;
                break;
            }
        }
    }
}

static int validate(struct use_lite *m)
{
    const uint8_t *d = m->data;
    size_t len = m->len;
    if (((uintptr_t)d & 7) != 0)
        return PITH_CORRUPT("model data is not 8-byte aligned");
    if (len < HEADER_LEN || memcmp(d, MAGIC, 8) != 0)
        return PITH_CORRUPT("not a use_lite model file (bad magic)");
    if (rd32(d + 8) != VERSION)
        return PITH_CORRUPT("use_lite model version %u, expected %u", rd32(d + 8), VERSION);
    uint32_t tcount = rd32(d + 12), vcount = rd32(d + 16), ncount = rd32(d + 20);
    uint32_t ccount = rd32(d + 24), kcount = rd32(d + 28);
    uint64_t toff = rd64(d + 32), voff = rd64(d + 40), noff = rd64(d + 48), coff = rd64(d + 56);
    uint64_t koff = rd64(d + 64), soff = rd64(d + 72);
    if (rd64(d + 80) != len)
        return PITH_CORRUPT("model file length %zu, header says %llu", len,
                            (unsigned long long)rd64(d + 80));
    if (toff > len || tcount > (len - toff) / TENSOR_LEN)
        return PITH_CORRUPT("tensor table overruns the file");
    if (voff > len || vcount > (len - voff) / VOCAB_LEN || voff % 8)
        return PITH_CORRUPT("vocabulary overruns the file");
    if (noff > len || ncount > (len - noff) / NFKD_LEN)
        return PITH_CORRUPT("nfkd table overruns the file");
    if (coff > len || ccount > (len - coff) / CCC_LEN)
        return PITH_CORRUPT("combining class table overruns the file");
    if (koff > len || kcount > (len - koff) / COMP_LEN)
        return PITH_CORRUPT("composition table overruns the file");
    if (soff > len)
        return PITH_CORRUPT("strings overrun the file");
    if (vcount <= RESERVED || vcount > VOCAB_ROWS)
        return PITH_CORRUPT("vocabulary of %u entries (expected %u..%u)", vcount, RESERVED + 1,
                            VOCAB_ROWS);
    m->vocab_count = vcount;
    m->nfkd_count = ncount;
    m->ccc_count = ccount;
    m->comp_count = kcount;
    m->vocab = d + voff;
    m->nfkd = d + noff;
    m->ccc = d + coff;
    m->comp = d + koff;
    m->strings = d + soff;
    size_t slen = len - soff;

    struct tensor_spec spec[T_COUNT];
    tensor_specs(spec);
    for (int k = 0; k < T_COUNT; k++) {
        if (!spec[k].name[0])
            continue;
        const uint8_t *e = NULL;
        for (uint32_t i = 0; i < tcount && !e; i++) {
            const uint8_t *c = d + toff + (size_t)i * TENSOR_LEN;
            if (memchr(c, '\0', 36) && strcmp((const char *)c, spec[k].name) == 0)
                e = c;
        }
        if (!e)
            return PITH_CORRUPT("tensor %s is missing", spec[k].name);
        uint32_t ndims = rd32(e + 36);
        if (ndims != spec[k].ndims)
            return PITH_CORRUPT("tensor %s has %u dims, expected %u", spec[k].name, ndims,
                                spec[k].ndims);
        uint64_t count = 1;
        for (uint32_t j = 0; j < ndims; j++) {
            if (rd32(e + 40 + 4 * j) != spec[k].dims[j])
                return PITH_CORRUPT("tensor %s: dim %u is %u, expected %u", spec[k].name, j,
                                    rd32(e + 40 + 4 * j), spec[k].dims[j]);
            count *= spec[k].dims[j];
        }
        uint64_t off = rd64(e + 56);
        if (off % 64 || off > len || count > (len - off) / 4)
            return PITH_CORRUPT("tensor %s overruns the file", spec[k].name);
        m->t[k] = (const float *)(const void *)(d + off);
    }

    m->piece_span = pith_xmalloc((size_t)vcount * sizeof *m->piece_span);
    m->max_piece_cps = 1;
    for (uint32_t id = 0; id < vcount; id++) {
        const uint8_t *e = m->vocab + (size_t)id * VOCAB_LEN;
        uint64_t so = rd32(e + 8), sn = rd32(e + 12);
        if (so > slen || sn > slen - so)
            return PITH_CORRUPT("vocabulary piece %u overruns the strings", id);
        uint32_t cps, utf16;
        if (sn == 0 || !utf8_valid(m->strings + so, sn, &cps, &utf16))
            return PITH_CORRUPT("vocabulary piece %u is empty or not UTF-8", id);
        if (!isfinite(rdf64(e)))
            return PITH_CORRUPT("vocabulary piece %u has a score that is not finite", id);
        m->piece_span[id] = utf16;
        if (id >= RESERVED && cps > m->max_piece_cps)
            m->max_piece_cps = cps;
    }
    uint32_t prev = 0;
    for (uint32_t i = 0; i < ncount; i++) {
        const uint8_t *e = m->nfkd + (size_t)i * NFKD_LEN;
        uint32_t cp = rd32(e);
        uint64_t so = rd32(e + 4), sn = rd32(e + 8);
        uint32_t cps, utf16;
        if ((i && cp <= prev) || cp > 0x10FFFF)
            return PITH_CORRUPT("nfkd table entry %u is out of order", i);
        if (so > slen || sn > slen - so || sn == 0 || sn > 64 ||
            !utf8_valid(m->strings + so, sn, &cps, &utf16))
            return PITH_CORRUPT("nfkd table entry %u overruns the strings or is not UTF-8", i);
        prev = cp;
    }
    for (uint32_t i = 0; i < ccount; i++) {
        const uint8_t *e = m->ccc + (size_t)i * CCC_LEN;
        uint32_t cp = rd32(e), rank = rd32(e + 4);
        if ((i && cp <= prev) || cp > 0x10FFFF || rank == 0 || rank > 255)
            return PITH_CORRUPT("combining class entry %u is out of order or range", i);
        prev = cp;
    }
    uint64_t prev_key = 0;
    for (uint32_t i = 0; i < kcount; i++) {
        const uint8_t *e = m->comp + (size_t)i * COMP_LEN;
        uint64_t key = (uint64_t)rd32(e) << 32 | rd32(e + 4);
        if ((i && key <= prev_key) || rd32(e + 8) > 0x10FFFF)
            return PITH_CORRUPT("composition entry %u is out of order or range", i);
        prev_key = key;
    }
    return 0;
}

size_t use_lite_tensor_bytes(void)
{
    struct tensor_spec spec[T_COUNT];
    tensor_specs(spec);
    size_t total = 0;
    for (int k = 0; k < T_COUNT; k++) {
        if (!spec[k].name[0])
            continue;
        size_t count = 1;
        for (uint32_t j = 0; j < spec[k].ndims; j++)
            count *= spec[k].dims[j];
        total += (count * 4 + 63) & ~(size_t)63;
    }
    return total;
}

static int open_common(struct use_lite *m, int hash)
{
    int err = validate(m);
    if (err)
        return err;
    pieces_index(m);
    if (!hash) {
        snprintf(m->id, sizeof m->id, "builtin:use-lite@0.2.0+mem");
        return 0;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (!EVP_Digest(m->data, m->len, md, &mdlen, EVP_sha256(), NULL))
        return pith_error_set(PITH_EIO, "sha-256 of the model failed");
    int n = snprintf(m->id, sizeof m->id, "builtin:use-lite@0.2.0+");
    for (int i = 0; i < 6; i++)
        n += snprintf(m->id + n, sizeof m->id - (size_t)n, "%02x", md[i]);
    return 0;
}

int use_lite_open_mem(struct use_lite **out, const void *data, size_t len)
{
    struct use_lite *m = pith_xcalloc(1, sizeof *m);
    m->data = data;
    m->len = len;
    int err = open_common(m, 0);
    if (err) {
        use_lite_free(m);
        m = NULL;
    }
    *out = m;
    return err;
}

int use_lite_open(struct use_lite **out, const char *path)
{
    char buf[PATH_MAX + 32];
    *out = NULL;
    if (!path) {
        ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX);
        if (n <= 0)
            return pith_error_set(PITH_EIO, "cannot read /proc/self/exe to find the model");
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (!slash)
            return pith_error_set(PITH_EIO, "cannot find the directory of the executable");
        snprintf(slash, sizeof buf - (size_t)(slash - buf), "/data/use_lite.bin");
        path = buf;
    }
    struct use_lite *m = pith_xcalloc(1, sizeof *m);
    int err = pith_map_open(&m->map, path);
    if (err) {
        free(m);
        return pith_error_set(err, "%s: cannot map the built-in model (built by make)", path);
    }
    m->data = m->map.data;
    m->len = m->map.len;
    if (!m->data) {
        use_lite_free(m);
        return PITH_CORRUPT("%s: empty model file", path);
    }
    err = open_common(m, 1);
    if (err) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", pith_error_last());
        use_lite_free(m);
        return pith_error_set(err, "%s: %s", path, msg);
    }
    *out = m;
    return 0;
}

void use_lite_free(struct use_lite *m)
{
    if (!m)
        return;
    if (m->map.data)
        pith_map_release(&m->map);
    free(m->piece_span);
    free(m->slots);
    free(m);
}

const char *use_lite_id(const struct use_lite *m)
{
    return m->id;
}

/* ---- tokenizer ------------------------------------------------------------------------- */

/* ---- NFKC: full compatibility decomposition, canonical ordering, canonical composition
 * (UAX #15), over the converter's tables; Hangul by arithmetic ---- */

enum { H_SBASE = 0xAC00, H_LBASE = 0x1100, H_VBASE = 0x1161, H_TBASE = 0x11A7 };
enum { H_LCOUNT = 19, H_VCOUNT = 21, H_TCOUNT = 28, H_NCOUNT = 588, H_SCOUNT = 11172 };

/* Appends the NFKD of `c` to cps (room for 64 code points); returns how many. */
static size_t nfkd_one(const struct use_lite *m, uint32_t c, uint32_t *cps)
{
    if (c < 0xA0) {
        cps[0] = c;
        return 1;
    }
    if (c >= H_SBASE && c < H_SBASE + H_SCOUNT) {
        uint32_t s = c - H_SBASE, t = s % H_TCOUNT;
        cps[0] = H_LBASE + s / H_NCOUNT;
        cps[1] = H_VBASE + (s % H_NCOUNT) / H_TCOUNT;
        if (!t)
            return 2;
        cps[2] = H_TBASE + t;
        return 3;
    }
    uint32_t lo = 0, hi = m->nfkd_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = m->nfkd + (size_t)mid * NFKD_LEN;
        uint32_t k = rd32(e);
        if (k == c) {
            const uint8_t *s = m->strings + rd32(e + 4);
            size_t n = rd32(e + 8), got = 0;
            for (size_t i = 0; i < n;)
                i += utf8_decode(s + i, n - i, &cps[got++]);
            return got;
        }
        if (k < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    cps[0] = c;
    return 1;
}

/* The combining-class rank of `c` (0: a starter). */
static uint32_t ccc_rank(const struct use_lite *m, uint32_t c)
{
    if (c < 0x300)
        return 0;
    uint32_t lo = 0, hi = m->ccc_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = m->ccc + (size_t)mid * CCC_LEN;
        uint32_t k = rd32(e);
        if (k == c)
            return rd32(e + 4);
        if (k < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The primary composite of (a, b), or 0. */
static uint32_t compose_pair(const struct use_lite *m, uint32_t a, uint32_t b)
{
    if (a >= H_LBASE && a < H_LBASE + H_LCOUNT && b >= H_VBASE && b < H_VBASE + H_VCOUNT)
        return H_SBASE + ((a - H_LBASE) * H_VCOUNT + (b - H_VBASE)) * H_TCOUNT;
    if (a >= H_SBASE && a < H_SBASE + H_SCOUNT && (a - H_SBASE) % H_TCOUNT == 0 && b > H_TBASE &&
        b < H_TBASE + H_TCOUNT)
        return a + (b - H_TBASE);
    uint64_t key = (uint64_t)a << 32 | b;
    uint32_t lo = 0, hi = m->comp_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *e = m->comp + (size_t)mid * COMP_LEN;
        uint64_t k = (uint64_t)rd32(e) << 32 | rd32(e + 4);
        if (k == key)
            return rd32(e + 8);
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* NFKC of cps[0, n) in place; returns the new length. */
static size_t nfkc(const struct use_lite *m, uint32_t *c, size_t n)
{
    /* canonical ordering: stable sort of each run of non-starters by rank */
    for (size_t i = 1; i < n; i++) {
        uint32_t r = ccc_rank(m, c[i]);
        if (r == 0)
            continue;
        uint32_t x = c[i];
        size_t j = i;
        while (j > 0 && ccc_rank(m, c[j - 1]) > r) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
    /* canonical composition */
    if (n == 0)
        return 0;
    size_t starter = 0, out = 1;
    uint32_t last = ccc_rank(m, c[0]);
    if (last != 0)
        last = 256; /* a leading non-starter blocks */
    for (size_t i = 1; i < n; i++) {
        uint32_t ch = c[i], r = ccc_rank(m, ch);
        uint32_t comp = compose_pair(m, c[starter], ch);
        if (comp && (last < r || last == 0)) {
            c[starter] = comp;
            continue;
        }
        if (r == 0)
            starter = out;
        last = r;
        c[out++] = ch;
    }
    return out;
}

struct cand {
    uint32_t start, end, id;
    double score;
};

void use_lite_tokenize(
    const struct use_lite *m, const char *text, size_t len, uint32_t **ids, size_t *count)
{
    *ids = NULL;
    *count = 0;
    /* code points after NFKC, ▁ first and for every space */
    const uint8_t *s = (const uint8_t *)text;
    PITH_VEC(uint32_t) cps = { 0 };
    pith_vec_reserve(&cps, len + 2);
    int ascii = 1;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        i += utf8_decode(s + i, len - i, &c);
        pith_vec_reserve(&cps, cps.count + 65);
        cps.count += nfkd_one(m, c, cps.items + cps.count);
        ascii &= c < 0x80;
    }
    if (!ascii)
        cps.count = nfkc(m, cps.items, cps.count);
    size_t n = cps.count;
    if (n == 0) {
        pith_vec_release(&cps);
        return;
    }
    n++;
    uint32_t *sym = pith_xmalloc(n * sizeof *sym);
    sym[0] = SEPARATOR;
    for (size_t i = 1; i < n; i++)
        sym[i] = cps.items[i - 1] == ' ' ? SEPARATOR : cps.items[i - 1];
    pith_vec_release(&cps);
    /* UTF-8 bytes and the byte offset of each position */
    uint8_t *bytes = pith_xmalloc(n * 4 + 1);
    size_t *boff = pith_xmalloc((n + 1) * sizeof *boff);
    boff[0] = 0;
    for (size_t i = 0; i < n; i++)
        boff[i + 1] = boff[i] + utf8_encode(bytes + boff[i], sym[i]);
    /* candidates, by start ascending: every piece that starts at i, or the unknown character */
    PITH_VEC(struct cand) cands = { 0 };
    for (size_t i = 0; i < n; i++) {
        int any = 0;
        for (size_t l = 1; l <= m->max_piece_cps && i + l <= n; l++) {
            int64_t id = piece_find(m, bytes + boff[i], boff[i + l] - boff[i]);
            if (id < 0)
                continue;
            struct cand c = { (uint32_t)i, (uint32_t)(i + l), (uint32_t)id,
                              vocab_score(m, (uint32_t)id) };
            pith_vec_push(&cands, c);
            any = 1;
        }
        if (!any) {
            struct cand c = { (uint32_t)i, (uint32_t)(i + 1), 0, 0.0 };
            pith_vec_push(&cands, c);
        }
    }
    /* grouped by end (counting sort keeps starts ascending) */
    size_t *first = pith_xcalloc(n + 2, sizeof *first);
    for (size_t k = 0; k < cands.count; k++)
        first[cands.items[k].end + 1]++;
    for (size_t e = 0; e <= n; e++)
        first[e + 1] += first[e];
    struct cand **by = pith_xmalloc((cands.count + 1) * sizeof *by);
    size_t *fill = pith_xmalloc((n + 2) * sizeof *fill);
    memcpy(fill, first, (n + 2) * sizeof *fill);
    for (size_t k = 0; k < cands.count; k++)
        by[fill[cands.items[k].end]++] = &cands.items[k];
    double *best = pith_xcalloc(n + 1, sizeof *best);
    uint32_t *word = pith_xcalloc(n + 1, sizeof *word);
    for (size_t e = 0; e <= n; e++) {
        for (size_t k = first[e]; k < first[e + 1]; k++) {
            const struct cand *c = by[k];
            double score = c->score + best[c->start];
            if (best[e] == 0 || score >= best[e]) {
                best[e] = score;
                word[e] = c->id;
            }
        }
    }
    /* back from the end by each word's length (UTF-16 units, as the JS does), then merge
     * consecutive unknowns */
    uint32_t *out = pith_xmalloc(n * sizeof *out);
    size_t got = 0;
    for (int64_t it = (int64_t)n; it > 0; it -= m->piece_span[word[it]]) {
        uint32_t id = word[it];
        if (!(id == 0 && got && out[got - 1] == 0))
            out[got++] = id;
    }
    for (size_t i = 0; i < got / 2; i++) {
        uint32_t t = out[i];
        out[i] = out[got - 1 - i];
        out[got - 1 - i] = t;
    }
    *ids = out;
    *count = got;
    free(sym);
    free(bytes);
    free(boff);
    free(first);
    free(fill);
    free(by);
    free(best);
    free(word);
    pith_vec_release(&cands);
}

/* ---- forward pass ------------------------------------------------------------------------ */

/* C[M×N] = alpha · A[M×K] · op(B) + beta · C, row-major; op(B) = B[K×N] or, with `bt`, B[N×K]ᵀ. */
static void gemm(int blas,
                 int bt,
                 size_t M,
                 size_t N,
                 size_t K,
                 float alpha,
                 const float *A,
                 size_t lda,
                 const float *B,
                 size_t ldb,
                 float beta,
                 float *C,
                 size_t ldc)
{
    if (blas) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, bt ? CblasTrans : CblasNoTrans, (int)M, (int)N,
                    (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
        return;
    }
    for (size_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        for (size_t j = 0; j < N; j++)
            c[j] = beta == 0 ? 0 : beta * c[j];
        const float *a = A + i * lda;
        if (bt) {
            for (size_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float acc = 0;
                for (size_t k = 0; k < K; k++)
                    acc += a[k] * b[k];
                c[j] += alpha * acc;
            }
        } else {
            for (size_t k = 0; k < K; k++) {
                float av = alpha * a[k];
                const float *b = B + k * ldb;
                for (size_t j = 0; j < N; j++)
                    c[j] += av * b[j];
            }
        }
    }
}

static void add_bias(float *x, size_t rows, size_t dim, const float *b)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < dim; j++)
            x[r * dim + j] += b[j];
}

static void layer_norm(
    float *out, const float *x, size_t rows, size_t dim, const float *g, const float *b, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        const float *v = x + r * dim;
        float *o = out + r * dim;
        float mean = 0, var = 0;
        for (size_t j = 0; j < dim; j++)
            mean += v[j];
        mean /= (float)dim;
        for (size_t j = 0; j < dim; j++)
            var += (v[j] - mean) * (v[j] - mean);
        var /= (float)dim;
        float inv = 1.0f / sqrtf(var + eps);
        for (size_t j = 0; j < dim; j++)
            o[j] = (v[j] - mean) * inv * g[j] + b[j];
    }
}

/* Buffers for T token rows. */
struct use_lite_work {
    size_t cap, score_cap;
    float *x, *x2, *h, *qkv, *ctx, *ffn, *scores;
};

static void work_reserve(struct use_lite_work *w, size_t T)
{
    if (T > w->cap) {
        free(w->x);
        free(w->x2);
        free(w->h);
        free(w->qkv);
        free(w->ctx);
        free(w->ffn);
        w->cap = T;
        w->x = pith_xmalloc(T * D1 * sizeof(float));
        w->x2 = pith_xmalloc(T * D1 * sizeof(float));
        w->h = pith_xmalloc(T * D1 * sizeof(float));
        w->qkv = pith_xmalloc(T * 3 * D1 * sizeof(float));
        w->ctx = pith_xmalloc(T * D1 * sizeof(float));
        w->ffn = pith_xmalloc(T * FF * sizeof(float));
    }
    if (!w->scores) {
        w->score_cap = (size_t)USE_LITE_MAX_LEN * USE_LITE_MAX_LEN;
        w->scores = pith_xmalloc(w->score_cap * sizeof(float));
    }
}

static void work_release(struct use_lite_work *w)
{
    free(w->x);
    free(w->x2);
    free(w->h);
    free(w->qkv);
    free(w->ctx);
    free(w->ffn);
    free(w->scores);
    memset(w, 0, sizeof *w);
}

/* One transformer layer over x[T×din] (seqs given by `at`, `lens`) into y[T×512]. */
static void layer(const struct use_lite *m,
                  struct use_lite_work *w,
                  int l,
                  const float *x,
                  float *y,
                  size_t T,
                  const size_t *at,
                  const size_t *lens,
                  size_t nseq,
                  int blas)
{
    const float *const *p = &m->t[T_LAYER + l * LT_COUNT];
    size_t din = l == 0 ? D0 : D1, dh = din / HEADS, q3 = 3 * din;
    float eps = *m->t[T_LN_EPS], scale = *p[LT_Q_SCALE];
    layer_norm(w->h, x, T, din, p[LT_LN_G], p[LT_LN_B], eps);
    gemm(blas, 0, T, q3, din, 1, w->h, din, p[LT_QKV_W], q3, 0, w->qkv, q3);
    add_bias(w->qkv, T, q3, p[LT_QKV_B]);
    for (size_t s = 0; s < nseq; s++) {
        size_t L = lens[s];
        if (L == 0)
            continue;
        const float *base = w->qkv + at[s] * q3;
        for (size_t hd = 0; hd < HEADS; hd++) {
            const float *q = base + hd * dh, *k = base + din + hd * dh,
                        *v = base + 2 * din + hd * dh;
            gemm(blas, 1, L, L, dh, scale, q, q3, k, q3, 0, w->scores, L);
            for (size_t i = 0; i < L; i++) {
                float *r = w->scores + i * L, mx = r[0], sum = 0;
                for (size_t j = 1; j < L; j++)
                    mx = r[j] > mx ? r[j] : mx;
                for (size_t j = 0; j < L; j++) {
                    r[j] = expf(r[j] - mx);
                    sum += r[j];
                }
                for (size_t j = 0; j < L; j++)
                    r[j] /= sum;
            }
            gemm(blas, 0, L, dh, L, 1, w->scores, L, v, q3, 0, w->ctx + at[s] * din + hd * dh, din);
        }
    }
    /* y = residual + ctx·Wo + bo; the residual goes through the adjusting projection in layer 0 */
    if (l == 0) {
        gemm(blas, 0, T, D1, din, 1, x, din, p[LT_ADJ_W], D1, 0, y, D1);
        add_bias(y, T, D1, p[LT_ADJ_B]);
    } else {
        memcpy(y, x, T * D1 * sizeof(float));
    }
    gemm(blas, 0, T, D1, din, 1, w->ctx, din, p[LT_OUT_W], D1, 1, y, D1);
    add_bias(y, T, D1, p[LT_OUT_B]);
    /* y += relu(LN(y)·W1 + b1)·W2 + b2 */
    layer_norm(w->h, y, T, D1, p[LT_FFN_LN_G], p[LT_FFN_LN_B], eps);
    gemm(blas, 0, T, FF, D1, 1, w->h, D1, p[LT_FFN_W1], FF, 0, w->ffn, FF);
    const float *b1 = p[LT_FFN_B1];
    for (size_t r = 0; r < T; r++) {
        float *f = w->ffn + r * FF;
        for (size_t j = 0; j < FF; j++) {
            float v = f[j] + b1[j];
            f[j] = v > 0 ? v : 0;
        }
    }
    gemm(blas, 0, T, D1, FF, 1, w->ffn, FF, p[LT_FFN_W2], D1, 1, y, D1);
    add_bias(y, T, D1, p[LT_FFN_B2]);
}

static void embed_with(const struct use_lite *m,
                       struct use_lite_work *w,
                       const char *const *texts,
                       size_t count,
                       float *out,
                       int blas)
{
    uint32_t **ids = pith_xcalloc(count + 1, sizeof *ids);
    size_t *lens = pith_xcalloc(count + 1, sizeof *lens);
    size_t *at = pith_xcalloc(count + 1, sizeof *at);
    size_t T = 0;
    for (size_t s = 0; s < count; s++) {
        use_lite_tokenize(m, texts[s], strlen(texts[s]), &ids[s], &lens[s]);
        if (lens[s] > USE_LITE_MAX_LEN)
            lens[s] = USE_LITE_MAX_LEN; /* ClipToMaxLength: the first 128 tokens */
        at[s] = T;
        T += lens[s];
    }
    work_reserve(w, T ? T : 1);
    /* x = 2·E[ids] + [sin(p·inv) ‖ cos(p·inv)] */
    const float *E = m->t[T_EMBED], *inv = m->t[T_TIMING];
    for (size_t s = 0; s < count; s++) {
        for (size_t p = 0; p < lens[s]; p++) {
            float *x = w->x + (at[s] + p) * D0;
            const float *e = E + (size_t)ids[s][p] * D0;
            for (size_t j = 0; j < TIMING; j++) {
                float a = (float)p * inv[j];
                x[j] = 2 * e[j] + sinf(a);
                x[TIMING + j] = 2 * e[TIMING + j] + cosf(a);
            }
        }
    }
    if (T) {
        layer(m, w, 0, w->x, w->x2, T, at, lens, count, blas);
        layer(m, w, 1, w->x2, w->x, T, at, lens, count, blas);
    }
    /* masked mean, tanh head, L2 norm */
    float *pool = w->h; /* count ≤ T rows when every text has a token; else sized below */
    float *tmp = NULL;
    if (count > T) {
        tmp = pith_xmalloc(count * D1 * sizeof(float));
        pool = tmp;
    }
    for (size_t s = 0; s < count; s++) {
        float *pr = pool + s * D1;
        memset(pr, 0, D1 * sizeof(float));
        for (size_t p = 0; p < lens[s]; p++) {
            const float *x = w->x + (at[s] + p) * D1;
            for (size_t j = 0; j < D1; j++)
                pr[j] += x[j];
        }
        float inv_n = lens[s] ? 1.0f / (float)lens[s] : 0;
        for (size_t j = 0; j < D1; j++)
            pr[j] *= inv_n;
    }
    gemm(blas, 0, count, D1, D1, 1, pool, D1, m->t[T_HEAD_W], D1, 0, out, D1);
    const float *hb = m->t[T_HEAD_B];
    float l2eps = *m->t[T_L2_EPS];
    for (size_t s = 0; s < count; s++) {
        float *y = out + s * D1;
        if (lens[s] == 0) {
            memset(y, 0, D1 * sizeof(float));
            continue;
        }
        float ss = 0;
        for (size_t j = 0; j < D1; j++) {
            y[j] = tanhf(y[j] + hb[j]);
            ss += y[j] * y[j];
        }
        float inv_norm = 1.0f / sqrtf(ss > l2eps ? ss : l2eps);
        for (size_t j = 0; j < D1; j++)
            y[j] *= inv_norm;
    }
    free(tmp);
    for (size_t s = 0; s < count; s++)
        free(ids[s]);
    free(ids);
    free(lens);
    free(at);
}

void use_lite_embed(
    const struct use_lite *m, const char *const *texts, size_t count, float *out, int blas)
{
    struct use_lite_work w = { 0 };
    for (size_t i = 0; i < count; i += 32) {
        size_t n = count - i < 32 ? count - i : 32;
        embed_with(m, &w, texts + i, n, out + i * D1, blas);
    }
    work_release(&w);
}

struct use_lite_work *use_lite_work_new(void)
{
    return pith_xcalloc(1, sizeof(struct use_lite_work));
}

void use_lite_work_free(struct use_lite_work *w)
{
    if (!w)
        return;
    work_release(w);
    free(w);
}

void use_lite_embed_work(const struct use_lite *m,
                         struct use_lite_work *w,
                         const char *const *texts,
                         size_t count,
                         float *out,
                         int blas)
{
    for (size_t i = 0; i < count; i += 32) {
        size_t n = count - i < 32 ? count - i : 32;
        embed_with(m, w, texts + i, n, out + i * D1, blas);
    }
}
