/* Word tokens for the lexical index (pack builds it, serve queries it): identifiers are split on
 * snake_case, camelCase, acronyms and digits ("parseHTTPResponse2" -> parse, http, response, 2),
 * each word lower-cased; a split identifier is also kept whole ("parsehttpresponse2");
 * stopwords are dropped and every token is reduced to its Snowball English stem
 * ("parsing" -> "pars"). */
#ifndef PITH_COMMON_LEX_H
#define PITH_COMMON_LEX_H

#include <stddef.h>

#define PITH_LEX_MAX_TOKEN 64 /* bytes; longer words are dropped */

/* The tokenizer's rules, recorded in the flags of every index's LEXI section table entry
 * (docs/FORMAT.md): a query must be tokenized as the index was. 1: no stemming (flags 0, indexes
 * from before the version existed); 2: Snowball stems, abbreviation table, 70 stopwords. Any
 * change to what pith_lex_tokens emits bumps it. */
#define PITH_LEX_VERSION 2u

/* Called once per token; `tok` is lower case, not NUL-terminated, valid during the call. */
typedef void (*pith_lex_cb)(const char *tok, size_t len, void *payload);

/* Tokenizes `len` bytes of `text`, calling `cb` for each token in order. Thread-safe (each
 * thread stems with a Snowball stemmer of its own, freed when the thread exits). */
void pith_lex_tokens(const char *text, size_t len, pith_lex_cb cb, void *payload);

/* The Snowball English stem of the lower-case word `w[0, len)` (len <= PITH_LEX_MAX_TOKEN) into
 * `out` (at least `len` bytes); words under 3 bytes and digit runs are kept as they are.
 * Returns the stem's length (<= len). */
size_t pith_lex_stem(char *out, const char *w, size_t len);

/* pith_lex_stem, then an abbreviation's stem replaced by its full word's ("dict" ->
 * "dictionari", "str" -> "string"; the table is in lex.c and docs/FORMAT.md). `out` must hold
 * PITH_LEX_MAX_TOKEN bytes. Returns the token's length. */
size_t pith_lex_normalize(char *out, const char *w, size_t len);

/* Builds the tokenizer's tables; pith_lex_tokens calls it. Idempotent and thread-safe. */
void pith_lex_init(void);

#endif
