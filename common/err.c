/* Thread-local error message buffer (see err.h). */
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char err_msg[512];

int pith_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    return code;
}

int pith_error_corrupt(const char *file, int line, const char *fmt, ...)
{
    char tmp[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    const char *base = strrchr(file, '/');
    snprintf(err_msg, sizeof err_msg, "corrupt artifact: %s (%s:%d)", tmp, base ? base + 1 : file,
             line);
    return PITH_ECORRUPT;
}

const char *pith_error_last(void)
{
    return err_msg;
}

void pith_error_clear(void)
{
    err_msg[0] = '\0';
}

int pith_error_exit_code(int code)
{
    if (code == PITH_EUSAGE)
        return PITH_EXIT_USAGE;
    return PITH_EXIT_FATAL;
}

_Noreturn void pith_bug(const char *file, int line, const char *msg)
{
    fprintf(stderr, "pith: internal error at %s:%d: %s\n", file, line, msg);
    abort();
}
