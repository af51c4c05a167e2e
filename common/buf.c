/* Growable byte buffer (see buf.h). */
#include "buf.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pith_buf_init(struct pith_buf *b)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void pith_buf_release(struct pith_buf *b)
{
    free(b->ptr);
    pith_buf_init(b);
}

void pith_buf_clear(struct pith_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void pith_buf_grow(struct pith_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t n = b->cap ? b->cap * 2 : 256;
    while (n < need)
        n *= 2;
    b->ptr = pith_xrealloc(b->ptr, n);
    b->cap = n;
}

void pith_buf_put(struct pith_buf *b, const void *data, size_t len)
{
    pith_buf_grow(b, len);
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
}

void pith_buf_puts(struct pith_buf *b, const char *s)
{
    pith_buf_put(b, s, strlen(s));
}

void pith_buf_putc(struct pith_buf *b, char c)
{
    pith_buf_put(b, &c, 1);
}

void pith_buf_printf(struct pith_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    pith_buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pith_buf_align(struct pith_buf *b, size_t align)
{
    static const char zeros[64];
    size_t pad = (align - b->len % align) % align;
    pith_buf_put(b, zeros, pad);
}

void pith_buf_put_u32(struct pith_buf *b, uint32_t v)
{
    unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    pith_buf_put(b, x, 4);
}

void pith_buf_put_u64(struct pith_buf *b, uint64_t v)
{
    pith_buf_put_u32(b, (uint32_t)v);
    pith_buf_put_u32(b, (uint32_t)(v >> 32));
}

void pith_buf_put_json_str(struct pith_buf *b, const char *s)
{
    pith_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            pith_buf_puts(b, "\\\"");
            break;
        case '\\':
            pith_buf_puts(b, "\\\\");
            break;
        case '\n':
            pith_buf_puts(b, "\\n");
            break;
        case '\r':
            pith_buf_puts(b, "\\r");
            break;
        case '\t':
            pith_buf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20)
                pith_buf_printf(b, "\\u%04x", *p);
            else
                pith_buf_putc(b, (char)*p);
        }
    }
    pith_buf_putc(b, '"');
}

char *pith_buf_detach(struct pith_buf *b, size_t *len_out)
{
    char *p = b->ptr ? b->ptr : pith_xstrdup("");
    if (len_out)
        *len_out = b->len;
    pith_buf_init(b);
    return p;
}
