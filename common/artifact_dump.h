/* `pith dump`: a deterministic text view of any part of an opened index (golden tests compare
 * it). Lives in common/ so every tool that opens an index can print one. */
#ifndef PITH_COMMON_ARTIFACT_DUMP_H
#define PITH_COMMON_ARTIFACT_DUMP_H

#include "artifact.h"
#include "buf.h"

/* The section names pith_dump_section accepts, space-separated, for usage messages. */
#define PITH_DUMP_SECTIONS \
    "manifest header strings files symbols names callees callers records lexicon vectors all"

/* Appends the text view of `section` (one of PITH_DUMP_SECTIONS) of `ix` to `out`. Ids are
 * printed with the names they resolve to; strings are JSON-quoted; the output ends with a
 * newline and depends only on the index bytes. Returns 0, PITH_EUSAGE (unknown section name;
 * nothing appended) or PITH_ECORRUPT (a record block does not decompress; the text so far is
 * kept). */
int pith_dump_section(struct pith_buf *out, const struct pith_index *ix, const char *section);

#endif
