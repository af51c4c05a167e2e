/* The lexical tokenizer (common/lex.c) and identifier splitter (common/ident.c), table-driven. */
#include "common/buf.h"
#include "common/ident.h"
#include "common/lex.h"
#include "tests/harness/harness.h"

#include <pthread.h>
#include <stdio.h>

static void collect(const char *tok, size_t len, void *payload)
{
    struct pith_buf *b = payload;
    if (b->len)
        pith_buf_putc(b, ' ');
    pith_buf_put(b, tok, len);
}

PITH_TEST(lex_tokens_table)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "parseHTTPResponse2", "pars http respons 2 parsehttpresponse2" },
        { "HTTPServer", "http server httpserver" },
        { "raw_decode", "raw decod rawdecod" },
        { "__init__", "init" },
        { "getX", "get getx" },
        { "x", "" },
        { "i j k 42 7", "42 7" },
        { "self.assertEqual(a, b)", "assert equal assertequ" },
        { "The value of the thing", "valu thing" },
        { "utf8_decode", "utf 8 decod utf8decod" },
        { "x86_64", "86 64 x8664" },
        { "IOError", "io error ioerror" },
        { "ABC", "abc" },
        { "json/decoder.py:JSONDecoder.raw_decode",
          "json decod py json decod jsondecod raw decod rawdecod" },
        { "caf\xc3\xa9_latt\xc3\xa9", "caf\xc3\xa9 latt\xc3\xa9 caf\xc3\xa9latt\xc3\xa9" },
        { "def handle(self, req) -> None", "handl request" },
        { "", "" },
        { "___", "" },
        { "a_b", "ab" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok", "ok" },
        { "CamelCase99Bottles", "camel case 99 bottl camelcase99bottl" },
        { "parsing parsed parses parser", "pars pars pars parser" },
        { "How do I read the files in a directory", "read file directori" },
        { "ok go", "ok go" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pith_buf b = PITH_BUF_INIT;
        pith_buf_puts(&b, "");
        pith_lex_tokens(cases[i].in, strlen(cases[i].in), collect, &b);
        CHECK_EQ_STR(b.ptr, cases[i].want);
        pith_buf_release(&b);
    }
}

PITH_TEST(lex_ident_split_table)
{
    static const struct {
        const char *in, *want;
        size_t words;
    } cases[] = {
        { "parseHTTPResponse2", "parse HTTP Response 2", 4 },
        { "HTTPServer", "HTTP Server", 2 },
        { "snake_case_name", "snake case name", 3 },
        { "_private", "private", 1 },
        { "A", "A", 1 },
        { "aB", "a B", 2 },
        { "ABc", "A Bc", 2 },
        { "v2Api", "v 2 Api", 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pith_buf b = PITH_BUF_INIT;
        pith_buf_puts(&b, "");
        size_t n = pith_ident_split(cases[i].in, strlen(cases[i].in), collect, &b);
        CHECK_EQ_STR(b.ptr, cases[i].want);
        CHECK_EQ_INT(n, cases[i].words);
        pith_buf_release(&b);
    }
}

PITH_TEST(lex_no_overrun_on_any_byte)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    struct pith_buf b = PITH_BUF_INIT;
    for (size_t n = 0; n <= sizeof all; n++) {
        pith_buf_clear(&b);
        pith_lex_tokens((const char *)all, n, collect, &b);
    }
    CHECK(b.len > 0);
    pith_buf_release(&b);
}

/* ---- the table-driven tokenizer against the straightforward one it replaced -------------- */

enum { REF_SEP, REF_UPPER, REF_LOWER, REF_DIGIT };

static int ref_class(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return REF_UPPER;
    if ((c >= 'a' && c <= 'z') || c >= 0x80)
        return REF_LOWER;
    if (c >= '0' && c <= '9')
        return REF_DIGIT;
    return REF_SEP;
}

static int ref_ident_char(unsigned char c)
{
    return c == '_' || ref_class(c) != REF_SEP;
}

static size_t ref_run(const unsigned char *s, size_t i, size_t len, int cls)
{
    while (i < len && ref_class(s[i]) == cls)
        i++;
    return i;
}

static size_t ref_split(const char *text, size_t len, pith_ident_cb cb, void *payload)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, words = 0;
    while (i < len) {
        int cls = ref_class(s[i]);
        if (cls == REF_SEP) {
            i++;
            continue;
        }
        size_t end;
        if (cls == REF_UPPER) {
            size_t j = ref_run(s, i, len, REF_UPPER);
            if (j < len && ref_class(s[j]) == REF_LOWER)
                end = j - i > 1 ? j - 1 : ref_run(s, j, len, REF_LOWER);
            else
                end = j;
        } else {
            end = ref_run(s, i, len, cls);
        }
        cb(text + i, end - i, payload);
        words++;
        i = end;
    }
    return words;
}

static const char *const ref_stop[] = {
    "a",     "also",  "an",     "and",   "are",   "args",  "as",   "at",    "be",    "been",
    "being", "by",    "can",    "class", "cls",   "could", "def",  "do",    "does",  "false",
    "for",   "from",  "had",    "has",   "have",  "how",   "if",   "in",    "into",  "is",
    "it",    "its",   "kwargs", "me",    "my",    "none",  "not",  "of",    "on",    "or",
    "our",   "self",  "should", "so",    "such",  "than",  "that", "the",   "their", "them",
    "then",  "there", "these",  "this",  "those", "to",    "true", "was",   "we",    "were",
    "what",  "when",  "where",  "which", "why",   "will",  "with", "would", "you",   "your",
};

struct ref_state {
    struct pith_buf *out;
    char whole[64];
    size_t whole_len;
};

static void ref_emit(struct ref_state *st, const char *w, size_t len)
{
    if (len == 0 || len > 64 || (len == 1 && !(w[0] >= '0' && w[0] <= '9')))
        return;
    for (size_t i = 0; i < sizeof ref_stop / sizeof *ref_stop; i++) {
        if (strlen(ref_stop[i]) == len && memcmp(ref_stop[i], w, len) == 0)
            return;
    }
    char stem[64];
    collect(stem, pith_lex_normalize(stem, w, len), st->out);
}

static void ref_on_word(const char *word, size_t len, void *payload)
{
    struct ref_state *st = payload;
    char low[64];
    size_t n = len < 64 ? len : 64;
    for (size_t i = 0; i < n; i++)
        low[i] = (word[i] >= 'A' && word[i] <= 'Z') ? (char)(word[i] - 'A' + 'a') : word[i];
    if (st->whole_len + len <= 64)
        memcpy(st->whole + st->whole_len, low, len);
    st->whole_len += len;
    if (len <= 64)
        ref_emit(st, low, len);
}

static void ref_tokens(const char *text, size_t len, struct pith_buf *out)
{
    struct ref_state st;
    st.out = out;
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        if (!ref_ident_char(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && ref_ident_char(s[i]))
            i++;
        st.whole_len = 0;
        if (ref_split(text + start, i - start, ref_on_word, &st) > 1 && st.whole_len <= 64)
            ref_emit(&st, st.whole, st.whole_len);
    }
}

static void collect_word(const char *w, size_t len, void *payload)
{
    collect(w, len, payload);
}

PITH_TEST(lex_matches_reference_on_random_text)
{
    static const char alphabet[] = "aAbBzZ09_ .(-\n\x80\xc3\xa9";
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char text[300];
    struct pith_buf got = PITH_BUF_INIT, want = PITH_BUF_INIT;
    for (int round = 0; round < 20000; round++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t len = (size_t)(seed >> 33) % sizeof text;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            unsigned r = (unsigned)(seed >> 40);
            /* runs of one class make long words; now and then any byte at all */
            text[i] = (r & 7) == 0 ? (char)(r >> 8) : alphabet[(r >> 3) % (sizeof alphabet - 1)];
            if ((r & 0x3f0000) == 0 && i + 70 < len) {
                memset(text + i, (r & 1) ? 'x' : 'X', 66); /* a word over 64 bytes */
                i += 65;
            }
        }
        pith_buf_clear(&got);
        pith_buf_clear(&want);
        pith_lex_tokens(text, len, collect, &got);
        ref_tokens(text, len, &want);
        CHECK_EQ_STR(got.ptr ? got.ptr : "", want.ptr ? want.ptr : "");
        pith_buf_clear(&got);
        pith_buf_clear(&want);
        size_t start = 0;
        while (start < len && !pith_ident_char((unsigned char)text[start]))
            start++;
        size_t end = start;
        while (end < len && pith_ident_char((unsigned char)text[end])) {
            CHECK(ref_ident_char((unsigned char)text[end]));
            end++;
        }
        size_t a = pith_ident_split(text + start, end - start, collect_word, &got);
        size_t b = ref_split(text + start, end - start, collect_word, &want);
        CHECK(a == b);
        CHECK_EQ_STR(got.ptr ? got.ptr : "", want.ptr ? want.ptr : "");
    }
    for (int c = 0; c < 256; c++)
        CHECK(pith_ident_char((unsigned char)c) == ref_ident_char((unsigned char)c));
    const char *stops = "A an AND Are args as at be by Class cls def for from if in is it its "
                        "kwargs None not of on or self that The this to True False was with "
                        "ab ann ands selfs kwarg";
    pith_buf_clear(&got);
    pith_buf_clear(&want);
    pith_lex_tokens(stops, strlen(stops), collect, &got);
    ref_tokens(stops, strlen(stops), &want);
    CHECK_EQ_STR(got.ptr ? got.ptr : "", want.ptr ? want.ptr : "");
    CHECK_EQ_STR(got.ptr ? got.ptr : "", "ab ann and self kwarg");
    pith_buf_release(&got);
    pith_buf_release(&want);
}

/* ---- stemming ---------------------------------------------------------------------------- */

PITH_TEST(lex_stem_snowball_english)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        { "running", "run" },
        { "queues", "queue" },
        { "consumption", "consumpt" },
        { "consumer", "consum" },
        { "directories", "directori" },
        { "ab", "ab" },
        { "is", "is" },
        { "123", "123" },
        { "utf8", "utf8" },
        { "caf\xc3\xa9s", "caf\xc3\xa9" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[PITH_LEX_MAX_TOKEN + 1];
        size_t n = pith_lex_stem(out, cases[i].in, strlen(cases[i].in));
        out[n] = '\0';
        CHECK_EQ_STR(out, cases[i].want);
    }
    /* the same word from any thread and any call gives the same stem */
    char a[PITH_LEX_MAX_TOKEN], b[PITH_LEX_MAX_TOKEN];
    CHECK_EQ_INT(pith_lex_stem(a, "polling", 7), pith_lex_stem(b, "polls", 5));
    CHECK(memcmp(a, b, 4) == 0);
}

struct stem_thread {
    const char *text;
    char out[256];
};

static void *stem_thread_run(void *arg)
{
    struct stem_thread *st = arg;
    struct pith_buf b = PITH_BUF_INIT;
    for (int r = 0; r < 200; r++) {
        pith_buf_clear(&b);
        pith_buf_puts(&b, "");
        pith_lex_tokens(st->text, strlen(st->text), collect, &b);
    }
    snprintf(st->out, sizeof st->out, "%s", b.ptr);
    pith_buf_release(&b);
    return NULL;
}

PITH_TEST(lex_stem_threads)
{
    struct stem_thread t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i].text = "consumeTaskQueues while polling the consumer groups";
        CHECK(pthread_create(&th[i], NULL, stem_thread_run, &t[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_STR(t[i].out, "consum task queue consumetaskqueu while poll consum group");
    }
}
