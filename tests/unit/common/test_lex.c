/* The lexical tokenizer (common/lex.c) and identifier splitter (common/ident.c), table-driven. */
#include "common/buf.h"
#include "common/ident.h"
#include "common/lex.h"
#include "tests/harness/harness.h"

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
        { "parseHTTPResponse2", "parse http response 2 parsehttpresponse2" },
        { "HTTPServer", "http server httpserver" },
        { "raw_decode", "raw decode rawdecode" },
        { "__init__", "init" },
        { "getX", "get getx" },
        { "x", "" },
        { "i j k 42 7", "42 7" },
        { "self.assertEqual(a, b)", "assert equal assertequal" },
        { "The value of the thing", "value thing" },
        { "utf8_decode", "utf 8 decode utf8decode" },
        { "x86_64", "86 64 x8664" },
        { "IOError", "io error ioerror" },
        { "ABC", "abc" },
        { "json/decoder.py:JSONDecoder.raw_decode",
          "json decoder py json decoder jsondecoder raw decode rawdecode" },
        { "caf\xc3\xa9_latt\xc3\xa9", "caf\xc3\xa9 latt\xc3\xa9 caf\xc3\xa9latt\xc3\xa9" },
        { "def handle(self, req) -> None", "handle req" },
        { "", "" },
        { "___", "" },
        { "a_b", "ab" },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ok", "ok" },
        { "CamelCase99Bottles", "camel case 99 bottles camelcase99bottles" },
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
