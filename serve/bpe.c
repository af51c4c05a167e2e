/* cl100k_base byte-pair encoding (serve stage): the pre-tokenizer regex written out by hand,
 * then rank-ordered merging inside each piece (tiktoken's byte_pair_merge).
 *
 * cl100k's pat_str (js-tiktoken spelling), tried left to right at each position:
 *   1 '(s|t|re|ve|m|ll|d)   case-insensitive contractions
 *   2 [^\r\n\p{L}\p{N}]?\p{L}+
 *   3 \p{N}{1,3}
 *   4 ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *   5 \s*[\r\n]+            (backtracks to the last CR/LF of the whitespace run)
 *   6 \s+(?!\S)             (the run minus its last character, unless it ends the text)
 *   7 \s+
 * \p{L}, \p{N} and \s come from the data file, computed by Node's regex engine at build time,
 * so the classes match js-tiktoken's exactly. Not approximated but worth knowing: bytes that
 * are not valid UTF-8 count as one non-letter, non-number, non-space character each (JS would
 * have seen U+FFFD after decoding). */
#include "serve/bpe.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define BPE_MAGIC "PITHBPE1"
enum { CLS_L = 1, CLS_N = 2, CLS_S = 4 };

struct bpe_range {
    uint32_t lo, hi, cls;
};

static struct {
    struct pith_map map;
    uint32_t count;
    const uint32_t *ends; /* may be unaligned in theory; the header keeps it 4-aligned */
    const struct bpe_range *ranges;
    uint32_t range_count;
    const unsigned char *bytes;
    uint32_t *slots; /* rank + 1, 0 empty */
    size_t slot_mask;
    int err;
    char msg[256];
} T;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static const unsigned char *tok_bytes(uint32_t rank, size_t *len)
{
    uint32_t start = rank ? T.ends[rank - 1] : 0;
    *len = T.ends[rank] - start;
    return T.bytes + start;
}

/* The rank of the byte string, or UINT32_MAX. */
static uint32_t rank_of(const unsigned char *s, size_t len)
{
    size_t i = (size_t)XXH3_64bits(s, len) & T.slot_mask;
    for (;; i = (i + 1) & T.slot_mask) {
        uint32_t v = T.slots[i];
        if (!v)
            return UINT32_MAX;
        size_t tlen;
        const unsigned char *t = tok_bytes(v - 1, &tlen);
        if (tlen == len && memcmp(t, s, len) == 0)
            return v - 1;
    }
}

static int load_from(const char *path)
{
    int err = pith_map_open(&T.map, path);
    if (err < 0)
        return pith_error_set(err, "cannot open the cl100k ranks %s (built by make)", path);
    const unsigned char *d = T.map.data;
    size_t n = T.map.len;
    if (n < 16 || memcmp(d, BPE_MAGIC, 8) != 0)
        return PITH_CORRUPT("%s is not a cl100k rank table", path);
    memcpy(&T.count, d + 8, 4);
    memcpy(&T.range_count, d + 12, 4);
    size_t head = 16 + (size_t)T.count * 4 + (size_t)T.range_count * 12;
    if (T.count == 0 || T.count > (1u << 24) || T.range_count > (1u << 20) || head > n)
        return PITH_CORRUPT("%s: tables overrun the file", path);
    T.ends = (const uint32_t *)(const void *)(d + 16);
    T.ranges = (const struct bpe_range *)(const void *)(d + 16 + (size_t)T.count * 4);
    T.bytes = d + head;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < T.count; i++) {
        if (T.ends[i] <= prev || T.ends[i] > n - head)
            return PITH_CORRUPT("%s: token %u overruns the file", path, i);
        prev = T.ends[i];
    }
    size_t cap = 1;
    while (cap < (size_t)T.count * 2)
        cap <<= 1;
    T.slots = pith_xcalloc(cap, sizeof *T.slots);
    T.slot_mask = cap - 1;
    for (uint32_t r = 0; r < T.count; r++) {
        size_t len;
        const unsigned char *s = tok_bytes(r, &len);
        size_t i = (size_t)XXH3_64bits(s, len) & T.slot_mask;
        while (T.slots[i])
            i = (i + 1) & T.slot_mask;
        T.slots[i] = r + 1;
    }
    /* every single byte must be a token, or merging could not start */
    for (unsigned b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        if (rank_of(&c, 1) == UINT32_MAX)
            return PITH_CORRUPT("%s: byte %u has no rank", path, b);
    }
    return 0;
}

static void load(void)
{
    const char *env = getenv("PITH_CL100K");
    struct pith_buf path = PITH_BUF_INIT;
    if (env && *env) {
        pith_buf_puts(&path, env);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) {
            T.err = pith_error_set(PITH_ENOTFOUND, "cannot find the running executable");
            goto out;
        }
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            slash[1] = '\0';
        pith_buf_printf(&path, "%sdata/cl100k.bin", exe);
    }
    T.err = load_from(path.ptr);
out:
    if (T.err < 0)
        snprintf(T.msg, sizeof T.msg, "%s", pith_error_last());
    pith_buf_release(&path);
}

int bpe_load(void)
{
    pthread_once(&load_once, load);
    if (T.err < 0)
        return pith_error_set(T.err, "%s", T.msg);
    return 0;
}

/* ---- pre-tokenizer ------------------------------------------------------------------------- */

/* Decodes the code point at s[i] into *cp; returns its byte length (1 for invalid bytes, whose
 * *cp is UINT32_MAX: no class). */
static size_t utf8_next(const unsigned char *s, size_t len, size_t i, uint32_t *cp)
{
    unsigned c = s[i];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        n = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = UINT32_MAX;
        return 1;
    }
    if (i + n > len) {
        *cp = UINT32_MAX;
        return 1;
    }
    for (size_t k = 1; k < n; k++) {
        if ((s[i + k] & 0xc0) != 0x80) {
            *cp = UINT32_MAX;
            return 1;
        }
        v = v << 6 | (s[i + k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        *cp = UINT32_MAX;
        return 1;
    }
    *cp = v;
    return n;
}

static unsigned cls_of(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return CLS_L;
        if (cp >= '0' && cp <= '9')
            return CLS_N;
        if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
            return CLS_S;
        return 0;
    }
    if (cp == UINT32_MAX)
        return 0;
    size_t lo = 0, hi = T.range_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (T.ranges[mid].hi < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < T.range_count && T.ranges[lo].lo <= cp ? T.ranges[lo].cls : 0;
}

/* Class of the character at i (and its length in *n); at the end of text, 0 with *n = 0. */
static unsigned char_at(const unsigned char *s, size_t len, size_t i, size_t *n, uint32_t *cp)
{
    if (i >= len) {
        *n = 0;
        *cp = UINT32_MAX;
        return 0;
    }
    *n = utf8_next(s, len, i, cp);
    return cls_of(*cp);
}

static int is_crlf(uint32_t cp)
{
    return cp == '\r' || cp == '\n';
}

size_t bpe_piece(const char *text, size_t len, size_t pos)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n0, n1, k;
    uint32_t c0, c1, c;
    unsigned k0 = char_at(s, len, pos, &n0, &c0);
    unsigned k1 = char_at(s, len, pos + n0, &n1, &c1);

    /* 1: contractions */
    if (c0 == '\'' && pos + 1 < len) {
        unsigned char a = (unsigned char)(s[pos + 1] | 0x20);
        unsigned char b = pos + 2 < len ? (unsigned char)(s[pos + 2] | 0x20) : 0;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return 2;
    }
    /* 2: an optional non-letter, non-number, non-CR/LF character, then letters */
    size_t i = SIZE_MAX;
    if (k0 & CLS_L)
        i = pos;
    else if (!(k0 & (CLS_L | CLS_N)) && !is_crlf(c0) && (k1 & CLS_L))
        i = pos + n0;
    if (i != SIZE_MAX) {
        while (char_at(s, len, i, &k, &c) & CLS_L)
            i += k;
        return i - pos;
    }
    /* 3: one to three numbers */
    if (k0 & CLS_N) {
        i = pos;
        for (int m = 0; m < 3 && (char_at(s, len, i, &k, &c) & CLS_N); m++)
            i += k;
        return i - pos;
    }
    /* 4: an optional space, punctuation, then CR/LF */
    i = SIZE_MAX;
    if (!(k0 & (CLS_S | CLS_L | CLS_N)))
        i = pos;
    else if (c0 == ' ' && n1 && !(k1 & (CLS_S | CLS_L | CLS_N)))
        i = pos + 1;
    if (i != SIZE_MAX) {
        while (i < len && !(char_at(s, len, i, &k, &c) & (CLS_S | CLS_L | CLS_N)))
            i += k;
        while (i < len && (s[i] == '\r' || s[i] == '\n'))
            i++;
        return i - pos;
    }
    /* 5-7: whitespace (k0 & CLS_S here) */
    size_t end = pos, last_nl = 0, prev = pos; /* prev: start of the run's last character */
    while (char_at(s, len, end, &k, &c) & CLS_S) {
        if (is_crlf(c))
            last_nl = end + 1;
        prev = end;
        end += k;
    }
    if (last_nl)
        return last_nl - pos;
    if (end >= len || prev == pos)
        return end - pos;
    return prev - pos;
}

/* ---- merging ------------------------------------------------------------------------------- */

typedef void (*emit_fn)(uint32_t rank, void *payload);

/* Merges piece[0, len) by rank (tiktoken byte_pair_merge) and emits its tokens in order. */
static void merge_piece(const unsigned char *p, size_t len, emit_fn emit, void *payload)
{
    uint32_t whole = rank_of(p, len);
    if (whole != UINT32_MAX) {
        emit(whole, payload);
        return;
    }
    /* parts[i] = start of part i; rank[i] = rank of merging parts i and i+1 */
    size_t stack_parts[65];
    uint32_t stack_ranks[65];
    size_t *parts = len + 1 <= 65 ? stack_parts : pith_xmalloc((len + 1) * sizeof *parts);
    uint32_t *ranks = len + 1 <= 65 ? stack_ranks : pith_xmalloc((len + 1) * sizeof *ranks);
    size_t np = len + 1; /* boundaries, the last one = len */
    for (size_t i = 0; i <= len; i++)
        parts[i] = i;
    for (size_t i = 0; i + 2 < np; i++)
        ranks[i] = rank_of(p + parts[i], parts[i + 2] - parts[i]);
    if (np >= 2)
        ranks[np - 2] = UINT32_MAX;
    while (np > 2) {
        uint32_t best = UINT32_MAX;
        size_t at = 0;
        for (size_t i = 0; i + 2 < np; i++) {
            if (ranks[i] < best) {
                best = ranks[i];
                at = i;
            }
        }
        if (best == UINT32_MAX)
            break;
        /* remove boundary at+1 */
        memmove(parts + at + 1, parts + at + 2, (np - at - 2) * sizeof *parts);
        memmove(ranks + at + 1, ranks + at + 2, (np - at - 2) * sizeof *ranks);
        np--;
        ranks[at] = at + 2 < np ? rank_of(p + parts[at], parts[at + 2] - parts[at]) : UINT32_MAX;
        if (at > 0)
            ranks[at - 1] = rank_of(p + parts[at - 1], parts[at + 1] - parts[at - 1]);
    }
    for (size_t i = 0; i + 1 < np; i++)
        emit(rank_of(p + parts[i], parts[i + 1] - parts[i]), payload);
    if (parts != stack_parts) {
        free(parts);
        free(ranks);
    }
}

static void run(const char *text, size_t len, emit_fn emit, void *payload)
{
    for (size_t pos = 0; pos < len;) {
        size_t n = bpe_piece(text, len, pos);
        merge_piece((const unsigned char *)text + pos, n, emit, payload);
        pos += n;
    }
}

static void emit_count(uint32_t rank, void *payload)
{
    (void)rank;
    (*(size_t *)payload)++;
}

size_t bpe_count(const char *text, size_t len)
{
    size_t n = 0;
    run(text, len, emit_count, &n);
    return n;
}

struct idbuf {
    uint32_t *ids;
    size_t count, cap;
};

static void emit_id(uint32_t rank, void *payload)
{
    struct idbuf *b = payload;
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->ids = pith_xrealloc(b->ids, b->cap * sizeof *b->ids);
    }
    b->ids[b->count++] = rank;
}

void bpe_encode(uint32_t **out, size_t *count, const char *text, size_t len)
{
    struct idbuf b = { 0 };
    run(text, len, emit_id, &b);
    *out = b.ids;
    *count = b.count;
}
