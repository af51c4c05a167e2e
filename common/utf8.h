/* UTF-8 validation shared by the servers (serve stage: MCP and HTTP echo request strings in
 * their JSON answers, which must be well-formed UTF-8). */
#ifndef PITH_COMMON_UTF8_H
#define PITH_COMMON_UTF8_H

#include <stddef.h>

/* Returns 1 when the `len` bytes at `s` are well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF, no truncated sequence), else 0. NUL bytes are valid. */
int pith_utf8_valid(const char *s, size_t len);

#endif
