/* The lexical tokenizer (see lex.h): identifier runs are split into words (the rules of
 * pith_ident_split, applied here in the same pass), lower-cased, filtered (stopwords, one-letter
 * words, words over PITH_LEX_MAX_TOKEN bytes) and followed by the whole identifier when it had
 * more than one word. Rules in docs/FORMAT.md. One table lookup per byte and no callback per
 * word: pack tokenizes every symbol, serve every query. */
#include "lex.h"

#include <stdint.h>
#include <string.h>

#define MAX_TOKEN 64

/* Byte classes: not in an identifier, '_' (in an identifier, separates words), upper, lower
 * (and every byte >= 0x80, so UTF-8 sequences stay inside words), digit. */
enum { K_NONE, K_SEP, K_UPPER, K_LOWER, K_DIGIT };

#define R4(k)  k, k, k, k
#define R16(k) R4(k), R4(k), R4(k), R4(k)
static const uint8_t kind[256] = {
    R16(K_NONE),  R16(K_NONE),  R16(K_NONE),                                     /* 0x00-0x2f */
    R4(K_DIGIT),  R4(K_DIGIT),  K_DIGIT,      K_DIGIT,                           /* '0'-'9' */
    K_NONE,       K_NONE,       K_NONE,       K_NONE,       K_NONE,      K_NONE, /* 0x3a-0x3f */
    K_NONE,       R4(K_UPPER),  R4(K_UPPER),  R4(K_UPPER),  R4(K_UPPER), R4(K_UPPER),
    R4(K_UPPER),  K_UPPER,      K_UPPER,                           /* '@', 'A'-'Z' */
    K_NONE,       K_NONE,       K_NONE,       K_NONE,       K_SEP, /* '[' '\' ']' '^' '_' */
    K_NONE,       R4(K_LOWER),  R4(K_LOWER),  R4(K_LOWER),  R4(K_LOWER), R4(K_LOWER),
    R4(K_LOWER),  K_LOWER,      K_LOWER,                            /* '`', 'a'-'z' */
    K_NONE,       K_NONE,       K_NONE,       K_NONE,       K_NONE, /* 0x7b-0x7f */
    R16(K_LOWER), R16(K_LOWER), R16(K_LOWER), R16(K_LOWER),         /* 0x80-0xbf */
    R16(K_LOWER), R16(K_LOWER), R16(K_LOWER), R16(K_LOWER),         /* 0xc0-0xff */
};
#undef R4
#undef R16

/* English function words and Python words that occur in nearly every symbol, each packed
 * little-endian into a u64 (all are shorter than 8 bytes; zero padding tells lengths apart):
 * a an and are args as at be by class cls def for from if in is it its kwargs none not of on
 * or self that the this to true false was with. */
static const uint64_t stopwords[] = {
    0x0000000000000061u, 0x0000000000006e61u, 0x0000000000646e61u, 0x0000000000657261u,
    0x0000000073677261u, 0x0000000000007361u, 0x0000000000007461u, 0x0000000000006562u,
    0x0000000000007962u, 0x0000007373616c63u, 0x0000000000736c63u, 0x0000000000666564u,
    0x0000000000726f66u, 0x000000006d6f7266u, 0x0000000000006669u, 0x0000000000006e69u,
    0x0000000000007369u, 0x0000000000007469u, 0x0000000000737469u, 0x000073677261776bu,
    0x00000000656e6f6eu, 0x0000000000746f6eu, 0x000000000000666fu, 0x0000000000006e6fu,
    0x000000000000726fu, 0x00000000666c6573u, 0x0000000074616874u, 0x0000000000656874u,
    0x0000000073696874u, 0x0000000000006f74u, 0x0000000065757274u, 0x00000065736c6166u,
    0x0000000000736177u, 0x0000000068746977u,
};

/* The first letters of the stopwords: most tokens are ruled out by one bit test. */
#define STOP_FIRST                                                                   \
    (1u << ('a' - 'a') | 1u << ('b' - 'a') | 1u << ('c' - 'a') | 1u << ('d' - 'a') | \
     1u << ('f' - 'a') | 1u << ('i' - 'a') | 1u << ('k' - 'a') | 1u << ('n' - 'a') | \
     1u << ('o' - 'a') | 1u << ('s' - 'a') | 1u << ('t' - 'a') | 1u << ('w' - 'a'))

static int is_stopword(const char *w, size_t len)
{
    unsigned char c0 = (unsigned char)w[0];
    if (len >= 8 || c0 < 'a' || c0 > 'z' || !(STOP_FIRST >> (c0 - 'a') & 1u))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)(unsigned char)w[i] << (8 * i);
    for (size_t i = 0; i < sizeof stopwords / sizeof *stopwords; i++) {
        if (stopwords[i] == v)
            return 1;
    }
    return 0;
}

static void emit(const char *w, size_t len, pith_lex_cb cb, void *payload)
{
    if (len == 0 || len > MAX_TOKEN)
        return;
    if (len == 1 && !(w[0] >= '0' && w[0] <= '9'))
        return;
    if (is_stopword(w, len))
        return;
    cb(w, len, payload);
}

/* The end of the word starting at `i` (s[i] is a letter or digit), by pith_ident_split's rules:
 * a run of one class; "HTTPServer" -> HTTP, then Server; "Server" -> one word. */
static size_t word_end(const unsigned char *s, size_t i, size_t len)
{
    int k = kind[s[i]];
    size_t j = i + 1;
    while (j < len && kind[s[j]] == k)
        j++;
    if (k == K_UPPER && j < len && kind[s[j]] == K_LOWER) {
        if (j - i > 1)
            return j - 1;
        j++;
        while (j < len && kind[s[j]] == K_LOWER)
            j++;
    }
    return j;
}

void pith_lex_tokens(const char *text, size_t len, pith_lex_cb cb, void *payload)
{
    const unsigned char *s = (const unsigned char *)text;
    char whole[MAX_TOKEN], low[MAX_TOKEN];
    size_t i = 0;
    while (i < len) {
        if (kind[s[i]] == K_NONE) {
            i++;
            continue;
        }
        /* one identifier run: its words, then the whole identifier */
        size_t whole_len = 0, words = 0; /* whole_len > MAX_TOKEN: too long to keep */
        while (i < len && kind[s[i]] != K_NONE) {
            if (kind[s[i]] == K_SEP) {
                i++;
                continue;
            }
            size_t end = word_end(s, i, len), n = end - i;
            words++;
            if (n <= MAX_TOKEN) {
                for (size_t k = 0; k < n; k++) {
                    unsigned char c = s[i + k];
                    low[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                }
                if (whole_len + n <= MAX_TOKEN)
                    memcpy(whole + whole_len, low, n);
                emit(low, n, cb, payload);
            }
            whole_len += n;
            i = end;
        }
        if (words > 1 && whole_len <= MAX_TOKEN)
            emit(whole, whole_len, cb, payload);
    }
}
