/* The lexical tokenizer (see lex.h): identifier runs are split into words (the rules of
 * pith_ident_split, applied here in the same pass), lower-cased, filtered (stopwords, one-letter
 * words, words over PITH_LEX_MAX_TOKEN bytes) and followed by the whole identifier when it had
 * more than one word. Rules in docs/FORMAT.md. One table lookup per byte and no callback per
 * word: pack tokenizes every symbol, serve every query. */
#include "lex.h"

#include <assert.h>
#include <libstemmer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKEN PITH_LEX_MAX_TOKEN

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

/* English function words and Python words that occur in nearly every symbol (all shorter than
 * 8 bytes), dropped before stemming. Kept in alphabetical order. */
static const char *const stop_list[] = {
    "a",     "also",  "an",     "and",   "are",   "args",  "as",   "at",    "be",    "been",
    "being", "by",    "can",    "class", "cls",   "could", "def",  "do",    "does",  "false",
    "for",   "from",  "had",    "has",   "have",  "how",   "if",   "in",    "into",  "is",
    "it",    "its",   "kwargs", "me",    "my",    "none",  "not",  "of",    "on",    "or",
    "our",   "self",  "should", "so",    "such",  "than",  "that", "the",   "their", "them",
    "then",  "there", "these",  "this",  "those", "to",    "true", "was",   "we",    "were",
    "what",  "when",  "where",  "which", "why",   "will",  "with", "would", "you",   "your",
};
#define STOP_COUNT (sizeof stop_list / sizeof *stop_list)

/* The stopwords packed little-endian into a u64 each (zero padding tells lengths apart) and
 * sorted, built once; the first letters as a bit set: most tokens are ruled out by one test. */
static uint64_t stop_packed[STOP_COUNT];
static uint32_t stop_first;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static uint64_t pack8(const char *w, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)(unsigned char)w[i] << (8 * i);
    return v;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void stop_init(void)
{
    for (size_t i = 0; i < STOP_COUNT; i++) {
        size_t n = strlen(stop_list[i]);
        assert(n > 0 && n < 8 && stop_list[i][0] >= 'a' && stop_list[i][0] <= 'z');
        stop_packed[i] = pack8(stop_list[i], n);
        stop_first |= 1u << (stop_list[i][0] - 'a');
    }
    qsort(stop_packed, STOP_COUNT, sizeof *stop_packed, cmp_u64);
}

static int is_stopword(const char *w, size_t len)
{
    unsigned char c0 = (unsigned char)w[0];
    if (len >= 8 || c0 < 'a' || c0 > 'z' || !(stop_first >> (c0 - 'a') & 1u))
        return 0;
    uint64_t v = pack8(w, len);
    return bsearch(&v, stop_packed, STOP_COUNT, sizeof v, cmp_u64) != NULL;
}

/* Snowball English stemmers: an sb_stemmer is not thread-safe, so each thread gets its own on
 * first use, freed when the thread exits (the key's destructor). */
static pthread_key_t stem_key;
static pthread_once_t stem_once = PTHREAD_ONCE_INIT;
static _Thread_local struct sb_stemmer *stemmer;

static void stem_free(void *p)
{
    sb_stemmer_delete(p);
}

static void stem_init(void)
{
    if (pthread_key_create(&stem_key, stem_free) != 0)
        abort();
}

static struct sb_stemmer *thread_stemmer(void)
{
    if (!stemmer) {
        pthread_once(&stem_once, stem_init);
        stemmer = sb_stemmer_new("english", NULL); /* UTF-8 */
        if (!stemmer)
            abort(); /* out of memory: the algorithm is built into libstemmer */
        pthread_setspecific(stem_key, stemmer);
    }
    return stemmer;
}

size_t pith_lex_stem(char *out, const char *w, size_t len)
{
    assert(len <= PITH_LEX_MAX_TOKEN);
    int letters = 0;
    for (size_t i = 0; i < len; i++)
        letters |= !(w[i] >= '0' && w[i] <= '9');
    if (!letters || len < 3) {
        memcpy(out, w, len);
        return len;
    }
    struct sb_stemmer *st = thread_stemmer();
    const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)w, (int)len);
    int n = sb_stemmer_length(st);
    if (!s || n <= 0 || (size_t)n > len) { /* out of memory in the stemmer: keep the word */
        memcpy(out, w, len);
        return len;
    }
    memcpy(out, s, (size_t)n);
    return (size_t)n;
}

/* Common abbreviations in code and the words people search with: a token whose stem is an
 * abbreviation's is replaced by the full word's stem, in the index and in queries alike, so
 * "dictionary" finds `dict` and "str" finds "string" (docs/FORMAT.md section 3.9). Only
 * abbreviations with one clear reading in code are listed. */
static const char *const abbrev_list[][2] = {
    { "arg", "argument" },      { "attr", "attribute" },     { "bool", "boolean" },
    { "buf", "buffer" },        { "char", "character" },     { "cmd", "command" },
    { "cfg", "configuration" }, { "conf", "configuration" }, { "config", "configuration" },
    { "conn", "connection" },   { "ctx", "context" },        { "db", "database" },
    { "dict", "dictionary" },   { "dir", "directory" },      { "dst", "destination" },
    { "elem", "element" },      { "env", "environment" },    { "err", "error" },
    { "exc", "exception" },     { "fmt", "format" },         { "fn", "function" },
    { "func", "function" },     { "idx", "index" },          { "img", "image" },
    { "int", "integer" },       { "len", "length" },         { "lib", "library" },
    { "lst", "list" },          { "msg", "message" },        { "num", "number" },
    { "obj", "object" },        { "param", "parameter" },    { "pkg", "package" },
    { "pos", "position" },      { "proc", "process" },       { "ptr", "pointer" },
    { "pwd", "password" },      { "ref", "reference" },      { "req", "request" },
    { "resp", "response" },     { "seq", "sequence" },       { "src", "source" },
    { "str", "string" },        { "sys", "system" },         { "tmp", "temporary" },
    { "util", "utility" },      { "val", "value" },          { "var", "variable" },
};
#define ABBREV_COUNT (sizeof abbrev_list / sizeof *abbrev_list)

/* abbrev_list stemmed, sorted by the abbreviation's stem */
struct abbrev {
    char from[16], to[24];
    uint8_t from_len, to_len;
};
static struct abbrev abbrevs[ABBREV_COUNT];

static int cmp_abbrev(const void *a, const void *b)
{
    const struct abbrev *x = a, *y = b;
    size_t n = x->from_len < y->from_len ? x->from_len : y->from_len;
    int c = memcmp(x->from, y->from, n);
    return c ? c : (int)x->from_len - (int)y->from_len;
}

static void abbrev_init(void)
{
    for (size_t i = 0; i < ABBREV_COUNT; i++) {
        size_t fl = strlen(abbrev_list[i][0]), tl = strlen(abbrev_list[i][1]);
        assert(fl < sizeof abbrevs[i].from && tl < sizeof abbrevs[i].to);
        abbrevs[i].from_len = (uint8_t)pith_lex_stem(abbrevs[i].from, abbrev_list[i][0], fl);
        abbrevs[i].to_len = (uint8_t)pith_lex_stem(abbrevs[i].to, abbrev_list[i][1], tl);
    }
    qsort(abbrevs, ABBREV_COUNT, sizeof *abbrevs, cmp_abbrev);
}

/* The full word's stem when `w[0, len)` is an abbreviation's stem, else NULL. */
static const struct abbrev *abbrev_find(const char *w, size_t len)
{
    if (len >= sizeof abbrevs[0].from)
        return NULL;
    struct abbrev key;
    memcpy(key.from, w, len);
    key.from_len = (uint8_t)len;
    return bsearch(&key, abbrevs, ABBREV_COUNT, sizeof key, cmp_abbrev);
}

static void lex_init_once(void)
{
    stop_init();
    abbrev_init();
}

void pith_lex_init(void)
{
    pthread_once(&stop_once, lex_init_once);
}

size_t pith_lex_normalize(char *out, const char *w, size_t len)
{
    pith_lex_init();
    size_t n = pith_lex_stem(out, w, len);
    const struct abbrev *a = abbrev_find(out, n);
    if (a && a->to_len <= PITH_LEX_MAX_TOKEN) {
        memcpy(out, a->to, a->to_len);
        n = a->to_len;
    }
    return n;
}

static void emit(const char *w, size_t len, pith_lex_cb cb, void *payload)
{
    if (len == 0 || len > MAX_TOKEN)
        return;
    if (len == 1 && !(w[0] >= '0' && w[0] <= '9'))
        return;
    if (is_stopword(w, len))
        return;
    char stem[MAX_TOKEN];
    size_t n = pith_lex_normalize(stem, w, len);
    cb(stem, n, payload);
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
    pith_lex_init();
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
