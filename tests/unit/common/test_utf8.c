/* Unit tests of UTF-8 validation, table-driven. */
#include "tests/harness/harness.h"

#include "common/utf8.h"

PITH_TEST(common_utf8_valid)
{
    static const struct {
        const char *s;
        size_t len; /* 0: strlen */
        int want;
    } cases[] = {
        { "", 0, 1 },
        { "plain ascii", 0, 1 },
        { "caf\xc3\xa9", 0, 1 },          /* U+00E9 */
        { "\xe2\x82\xac", 0, 1 },         /* U+20AC */
        { "\xf0\x9f\x98\x80", 0, 1 },     /* U+1F600 */
        { "\xf4\x8f\xbf\xbf", 0, 1 },     /* U+10FFFF */
        { "a\0b", 3, 1 },                 /* NUL is a character */
        { "\x80", 0, 0 },                 /* continuation first */
        { "\xc3", 0, 0 },                 /* truncated */
        { "\xe2\x82", 0, 0 },             /* truncated */
        { "\xf0\x9f\x98", 0, 0 },         /* truncated */
        { "\xc3\xa9", 1, 0 },             /* truncated by len */
        { "\xc0\xaf", 0, 0 },             /* overlong '/' */
        { "\xe0\x80\xaf", 0, 0 },         /* overlong '/' */
        { "\xf0\x80\x80\xaf", 0, 0 },     /* overlong '/' */
        { "\xed\xa0\x80", 0, 0 },         /* surrogate U+D800 */
        { "\xf4\x90\x80\x80", 0, 0 },     /* U+110000 */
        { "\xf8\x88\x80\x80\x80", 0, 0 }, /* 5-byte form */
        { "\xff", 0, 0 },
        { "ok\xc3(", 0, 0 }, /* bad continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
        if (pith_utf8_valid(cases[i].s, len) != cases[i].want)
            pith_test_fail(__FILE__, __LINE__, "case %zu: expected %d", i, cases[i].want);
    }
}
