/* The query server core (serve stage): line splitting, one-line JSON answers, the stdio loop. */
#include "serve/serve.h"

#include "common/err.h"
#include "common/mem.h"
#include "serve/query.h"

#include <stdlib.h>
#include <string.h>

int serve_split(char **argv, int cap, char *line)
{
    int argc = 0;
    char *r = line, *w = line;
    for (;;) {
        while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
            r++;
        if (!*r)
            return argc;
        if (argc >= cap)
            return pith_error_set(PITH_EUSAGE, "more than %d words in a query", cap);
        argv[argc++] = w;
        char quote = 0;
        for (; *r; r++) {
            if (quote) {
                if (*r == quote) {
                    quote = 0;
                } else if (quote == '"' && *r == '\\' && r[1]) {
                    *w++ = *++r;
                } else {
                    *w++ = *r;
                }
                continue;
            }
            if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
                break;
            if (*r == '\'' || *r == '"')
                quote = *r;
            else if (*r == '\\' && r[1])
                *w++ = *++r;
            else
                *w++ = *r;
        }
        if (quote)
            return pith_error_set(PITH_EUSAGE, "unterminated %c quote", quote);
        int end = *r != '\0';
        *w++ = '\0';
        if (end)
            r++;
        else
            return argc;
    }
}

static void error_object(struct pith_buf *out, const char *kind, const char *msg)
{
    pith_buf_puts(out, "{\"error\":");
    pith_buf_put_json_str(out, kind);
    pith_buf_puts(out, ",\"message\":");
    pith_buf_put_json_str(out, msg);
    pith_buf_puts(out, "}\n");
}

int serve_line(struct pith_buf *out, const struct pith_index *ix, const char *line)
{
    char *copy = pith_xstrdup(line);
    char *argv[SERVE_WORDS_MAX];
    struct query_req *req = pith_xmalloc(sizeof *req);
    size_t start = out->len;
    int err = serve_split(argv, SERVE_WORDS_MAX, copy);
    if (err < 0)
        goto usage;
    err = query_parse(req, err, argv);
    if (err < 0)
        goto usage;
    if (req->index) {
        err = pith_error_set(PITH_EUSAGE, "-i is not allowed in a served query");
        goto usage;
    }
    req->json = 1;
    err = query_run(out, ix, req);
    if (err < 0 && out->len == start)
        error_object(out, err == PITH_ECORRUPT ? "corrupt" : "failed", pith_error_last());
    goto out;
usage:
    error_object(out, "usage", pith_error_last());
out:
    free(req);
    free(copy);
    return err;
}

int serve_stdio(const struct pith_index *ix, FILE *in, FILE *out)
{
    struct pith_buf ans = PITH_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int err = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\r' || *p == '\0' || *p == '#')
            continue;
        pith_buf_clear(&ans);
        if ((size_t)n > SERVE_LINE_MAX) {
            pith_buf_printf(&ans,
                            "{\"error\":\"usage\",\"message\":\"query line longer than %d "
                            "bytes\"}\n",
                            SERVE_LINE_MAX);
        } else {
            serve_line(&ans, ix, line);
        }
        if (fwrite(ans.ptr, 1, ans.len, out) != ans.len || fflush(out) != 0) {
            err = pith_error_set(PITH_EIO, "cannot write the answer");
            break;
        }
    }
    free(line);
    pith_buf_release(&ans);
    return err;
}
