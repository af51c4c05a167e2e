/* The Python front end of pith-extract: one walk over a tree-sitter-python tree fills the
 * symbols, imports, call sites, bindings and __all__ of a Pith__FileFacts. */
#ifndef PITH_EXTRACT_LANG_PYTHON_H
#define PITH_EXTRACT_LANG_PYTHON_H

#include "common/buf.h"
#include "common/mem.h"
#include "schemas/facts.pb-c.h"

#include <stddef.h>

/* Syntax trees deeper than this many levels are refused (FILE_SKIPPED_PARSE). */
#define LANG_PYTHON_MAX_DEPTH 4000

/* Caps on the text stored per item (bytes; cut at a UTF-8 boundary). */
#define LANG_PYTHON_CALLEE_CAP    200
#define LANG_PYTHON_COMMENTS_CAP  2048
#define LANG_PYTHON_TEXT_CAP      512 /* names, annotations, defaults, bases, decorators */
#define LANG_PYTHON_SIGNATURE_CAP 1024

/* A parser plus scratch space, reused across files by one thread. */
struct lang_python;

/* Returns a new front end (caller owns; free with lang_python_free). Never NULL. */
struct lang_python *lang_python_new(void);
void lang_python_free(struct lang_python *lp);

/* Parses `len` bytes of UTF-8 Python source and fills `out`'s symbols, imports, calls,
 * bindings, all_names, has_all and line_count. `out` must already be initialised
 * (PITH__FILE_FACTS__INIT); `module` names the module symbol. Strings and arrays live in
 * `arena` and in `lp` (borrowed until the next call or lang_python_free).
 * Returns 0, or PITH_EPARSE when the parser gave up or the tree is deeper than
 * LANG_PYTHON_MAX_DEPTH: then out->status is FILE_SKIPPED_PARSE, out->skip_reason says why
 * and the lists are empty. */
int lang_python_extract(struct lang_python *lp,
                        struct pith_arena *arena,
                        Pith__FileFacts *out,
                        const char *module,
                        const char *src,
                        size_t len);

/* The dotted module name of the repository-relative `path` ("a/b/c.py" -> "a.b.c",
 * "a/b/__init__.py" -> "a.b", sets *is_package). Allocated in `arena`. */
char *lang_python_module_name(struct pith_arena *arena, const char *path, int *is_package);

/* Runs the front end on an in-memory buffer and packs the result into `out` (cleared first);
 * the fuzz target and tests use it. `out` may be NULL to only run the front end.
 * Returns 0 or PITH_EPARSE (the record is packed either way). */
int extract_python_buffer(const unsigned char *data, size_t len, struct pith_buf *out);

#endif
