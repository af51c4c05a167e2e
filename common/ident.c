/* Identifier word splitting (see ident.h). */
#include "ident.h"

enum { C_SEP, C_UPPER, C_LOWER, C_DIGIT };

/* Bit 0-1: the class; bit 2: the byte belongs to an identifier. */
#define ID     4
#define R4(k)  k, k, k, k
#define R16(k) R4(k), R4(k), R4(k), R4(k)
static const unsigned char table[256] = {
    R16(C_SEP),
    R16(C_SEP),
    R16(C_SEP), /* 0x00-0x2f */
    R4(C_DIGIT | ID),
    R4(C_DIGIT | ID),
    C_DIGIT | ID,
    C_DIGIT | ID, /* '0'-'9' */
    R4(C_SEP),
    C_SEP,
    C_SEP,
    C_SEP, /* 0x3a-0x40 */
    R16(C_UPPER | ID),
    R4(C_UPPER | ID),
    R4(C_UPPER | ID),
    C_UPPER | ID,
    C_UPPER | ID, /* A-Z */
    C_SEP,
    C_SEP,
    C_SEP,
    C_SEP,
    C_SEP | ID,
    C_SEP, /* '[' .. '`' */
    R16(C_LOWER | ID),
    R4(C_LOWER | ID),
    R4(C_LOWER | ID),
    C_LOWER | ID,
    C_LOWER | ID, /* a-z */
    R4(C_SEP),
    C_SEP, /* 0x7b-0x7f */
    R16(C_LOWER | ID),
    R16(C_LOWER | ID),
    R16(C_LOWER | ID),
    R16(C_LOWER | ID), /* >= 0x80 */
    R16(C_LOWER | ID),
    R16(C_LOWER | ID),
    R16(C_LOWER | ID),
    R16(C_LOWER | ID),
};
#undef R4
#undef R16

static int char_class(unsigned char c)
{
    return table[c] & 3;
}

int pith_ident_char(unsigned char c)
{
    return table[c] >> 2;
}

static size_t run_of(const unsigned char *s, size_t i, size_t len, int cls)
{
    while (i < len && char_class(s[i]) == cls)
        i++;
    return i;
}

size_t pith_ident_split(const char *text, size_t len, pith_ident_cb cb, void *payload)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, words = 0;
    while (i < len) {
        int cls = char_class(s[i]);
        if (cls == C_SEP) {
            i++;
            continue;
        }
        size_t start = i, end;
        if (cls == C_UPPER) {
            size_t j = run_of(s, i, len, C_UPPER);
            if (j < len && char_class(s[j]) == C_LOWER) {
                if (j - i > 1) {
                    end = j - 1; /* "HTTPServer": HTTP, then Server */
                } else {
                    end = run_of(s, j, len, C_LOWER);
                }
            } else {
                end = j;
            }
        } else {
            end = run_of(s, i, len, cls);
        }
        cb(text + start, end - start, payload);
        words++;
        i = end;
    }
    return words;
}
