/* Identifier word splitting (see ident.h). */
#include "ident.h"

enum { C_SEP, C_UPPER, C_LOWER, C_DIGIT };

static int char_class(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return C_UPPER;
    if ((c >= 'a' && c <= 'z') || c >= 0x80)
        return C_LOWER;
    if (c >= '0' && c <= '9')
        return C_DIGIT;
    return C_SEP;
}

int pith_ident_char(unsigned char c)
{
    return c == '_' || char_class(c) != C_SEP;
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
