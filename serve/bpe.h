/* Token counting with the cl100k_base byte-pair encoding (serve stage): the budget unit of
 * `context` and `overview`. The ranks are data converted at build time from the pinned
 * js-tiktoken package (serve/cl100k.mk) into <bindir>/data/cl100k.bin, loaded once per process.
 * Ordinary text only: special tokens such as "<|endoftext|>" are encoded as plain text. */
#ifndef PITH_SERVE_BPE_H
#define PITH_SERVE_BPE_H

#include <stddef.h>
#include <stdint.h>

/* Loads the rank table once per process (thread-safe): from $PITH_CL100K when set, else
 * data/cl100k.bin next to the running executable. Later calls return the first result.
 * Returns 0, PITH_ENOTFOUND or PITH_ECORRUPT with pith_error_last() set. */
int bpe_load(void);

/* The number of cl100k tokens of `text[0, len)`. Precondition: bpe_load() returned 0. */
size_t bpe_count(const char *text, size_t len);

/* The token ids of `text[0, len)` into *out (caller owns; free()), their number in *count.
 * Precondition: bpe_load() returned 0. */
void bpe_encode(uint32_t **out, size_t *count, const char *text, size_t len);

/* The pre-tokenizer (cl100k's pat_str, see bpe.c): the byte length of the piece that starts at
 * `text[pos]` (pos < len); at least 1. Precondition: bpe_load() returned 0 (it needs the
 * Unicode classes stored with the ranks). */
size_t bpe_piece(const char *text, size_t len, size_t pos);

#endif
