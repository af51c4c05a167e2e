/* A growable byte buffer, always NUL-terminated (curl dynbuf, git strbuf). */
#ifndef PITH_COMMON_BUF_H
#define PITH_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pith_buf {
    char *ptr; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

#define PITH_BUF_INIT \
    {                 \
        NULL, 0, 0    \
    }

void pith_buf_init(struct pith_buf *b);
void pith_buf_release(struct pith_buf *b);
void pith_buf_clear(struct pith_buf *b);
void pith_buf_grow(struct pith_buf *b, size_t extra);
void pith_buf_put(struct pith_buf *b, const void *data, size_t len);
void pith_buf_puts(struct pith_buf *b, const char *s);
void pith_buf_putc(struct pith_buf *b, char c);
void pith_buf_printf(struct pith_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `len` zero bytes until len is a multiple of `align`. */
void pith_buf_align(struct pith_buf *b, size_t align);
void pith_buf_put_u32(struct pith_buf *b, uint32_t v);
void pith_buf_put_u64(struct pith_buf *b, uint64_t v);
/* Appends `s` as a JSON string literal (quoted, escaped). */
void pith_buf_put_json_str(struct pith_buf *b, const char *s);
/* Hands the storage to the caller (free()) and resets `b`. */
char *pith_buf_detach(struct pith_buf *b, size_t *len_out);

#endif
