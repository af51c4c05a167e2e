/* Word tokens for the lexical index (pack builds it, serve queries it): identifiers are split on
 * snake_case, camelCase, acronyms and digits ("parseHTTPResponse2" -> parse, http, response, 2),
 * each word lower-cased; a split identifier is also kept whole ("parsehttpresponse2");
 * stopwords are dropped. */
#ifndef PITH_COMMON_LEX_H
#define PITH_COMMON_LEX_H

#include <stddef.h>

/* Called once per token; `tok` is lower case, not NUL-terminated, valid during the call. */
typedef void (*pith_lex_cb)(const char *tok, size_t len, void *payload);

/* Tokenizes `len` bytes of `text`, calling `cb` for each token in order. */
void pith_lex_tokens(const char *text, size_t len, pith_lex_cb cb, void *payload);

#endif
