/* The query server core (serve stage): one query line in, one JSON line out, over an index
 * opened once. The stdio loop is the first transport; MCP and HTTP reuse serve_line. */
#ifndef PITH_SERVE_SERVE_H
#define PITH_SERVE_SERVE_H

#include "common/buf.h"

#include <stdio.h>

struct pith_index;

#define SERVE_LINE_MAX  4096 /* bytes of one query line */
#define SERVE_WORDS_MAX 64   /* words of one query line */

/* Splits `line` in place into at most `cap` words separated by blanks; '...' and "..." quote
 * (backslash escapes the next byte inside double quotes and outside quotes). Stores pointers
 * into `line` in `argv`. Returns the word count, or PITH_EUSAGE (unterminated quote, too many
 * words) with pith_error_last() set. */
int serve_split(char **argv, int cap, char *line);

/* Answers the query `line` ("callers NAME --depth 2") with exactly one JSON object and a
 * newline appended to `out` (an {"error":...} object when the query fails). Returns what
 * query_run returned, or PITH_EUSAGE for a malformed line. */
int serve_line(struct pith_buf *out, const struct pith_index *ix, const char *line);

/* Reads query lines from `in` until end of file and writes one JSON line per non-empty,
 * non-comment ('#') line to `out`, flushing after each. Returns 0, or PITH_EIO when writing
 * fails. */
int serve_stdio(const struct pith_index *ix, FILE *in, FILE *out);

#endif
