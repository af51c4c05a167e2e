/* Error codes and the one-line thread-local error message shared by every stage.
 * Library code sets the message; only <stage>_main.c prints it. */
#ifndef PITH_COMMON_ERR_H
#define PITH_COMMON_ERR_H

#include <stdarg.h>

enum {
    PITH_OK = 0,
    PITH_ENOTFOUND = -1,
    PITH_EIO = -2,
    PITH_EPARSE = -3,
    PITH_ECORRUPT = -4,
    PITH_ETOOBIG = -5,
    PITH_EUNSUPPORTED = -6,
    PITH_EUSAGE = -7,
    PITH_EAMBIGUOUS = -8,
    PITH_EUPSTREAM = -9 /* a server pith relies on (an embedding server) failed or disagreed */
};

/* Process exit codes, documented in every --help. */
enum {
    PITH_EXIT_OK = 0,
    PITH_EXIT_PARTIAL = 1, /* some inputs failed: skipped and recorded */
    PITH_EXIT_USAGE = 2,
    PITH_EXIT_FATAL = 3
};

/* Stores a printf-formatted one-line message (lower case, no final full stop).
 * Returns `code` so callers can write `return pith_error_set(PITH_EIO, "...")`. */
int pith_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set on this thread ("" when none). Borrowed until the next set. */
const char *pith_error_last(void);

/* Clears the message of this thread. */
void pith_error_clear(void);

/* Records a corrupt-input error with the source location that detected it. */
int pith_error_corrupt(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define PITH_CORRUPT(...) pith_error_corrupt(__FILE__, __LINE__, __VA_ARGS__)

/* Maps an error code to an exit code: ECORRUPT/EIO -> 3, EUSAGE -> 2, others -> 3. */
int pith_error_exit_code(int code);

/* Reports a programming error and aborts. */
#define PITH_BUG(msg) pith_bug(__FILE__, __LINE__, msg)
_Noreturn void pith_bug(const char *file, int line, const char *msg);

#endif
