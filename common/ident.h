/* Identifier word splitting shared by the lexical tokenizer (common/lex.c) and the summary
 * builder of pith-embed: snake_case, camelCase, acronyms and digit runs. */
#ifndef PITH_COMMON_IDENT_H
#define PITH_COMMON_IDENT_H

#include <stddef.h>

/* Called once per word; `word` points into the input (original case), valid during the call. */
typedef void (*pith_ident_cb)(const char *word, size_t len, void *payload);

/* Returns 1 when byte `c` belongs to an identifier: ASCII letters, digits, '_' and every byte
 * >= 0x80 (so UTF-8 sequences stay inside words). */
int pith_ident_char(unsigned char c);

/* Splits one identifier run `s[0, len)` (bytes for which pith_ident_char holds) into words and
 * calls `cb` for each, in order: '_' separates; a lower-to-upper change starts a word; in a run
 * of capitals followed by a lower-case letter the last capital starts the next word
 * ("HTTPServer" -> HTTP, Server); digit runs are words of their own. Bytes >= 0x80 count as
 * lower-case letters. Returns the number of words. */
size_t pith_ident_split(const char *s, size_t len, pith_ident_cb cb, void *payload);

#endif
