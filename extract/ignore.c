/* gitignore rules and wildmatch for the repository walker (see ignore.h). The matcher follows
 * git's wildmatch: a failed '*' tells the caller how far to back off (ABORT_ALL,
 * ABORT_TO_STARSTAR), which keeps patterns with many stars polynomial. */
#include "ignore.h"

#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { WM_NOMATCH = 1, WM_MATCH = 0, WM_ABORT_ALL = -1, WM_ABORT_TO_STARSTAR = -2 };

/* "[:name:]" inside a bracket: returns 1 if `c` is in the class, -1 for an unknown name. */
static int char_class(const char *name, size_t len, unsigned char c)
{
#define CLASS(n, test)                                 \
    if (len == sizeof(n) - 1 && !memcmp(name, n, len)) \
        return (test) ? 1 : 0;
    CLASS("alnum", isalnum(c));
    CLASS("alpha", isalpha(c));
    CLASS("blank", c == ' ' || c == '\t');
    CLASS("cntrl", iscntrl(c));
    CLASS("digit", isdigit(c));
    CLASS("graph", isgraph(c));
    CLASS("lower", islower(c));
    CLASS("print", isprint(c));
    CLASS("punct", ispunct(c));
    CLASS("space", isspace(c));
    CLASS("upper", isupper(c));
    CLASS("xdigit", isxdigit(c));
#undef CLASS
    return -1;
}

static int dowild(const unsigned char *p, const unsigned char *text, const unsigned char *start)
{
    for (; *p; text++, p++) {
        unsigned char pc = *p, tc = *text;
        if (!tc && pc != '*')
            return WM_ABORT_ALL;
        switch (pc) {
        case '\\':
            pc = *++p;
            if (!pc)
                return WM_ABORT_ALL;
            if (tc != pc)
                return WM_NOMATCH;
            continue;
        case '?':
            if (tc == '/')
                return WM_NOMATCH;
            continue;
        case '*': {
            int match_slash = 0;
            if (*++p == '*') {
                const unsigned char *before = p - 2;
                while (*++p == '*') {
                }
                if ((before < start || *before == '/') &&
                    (!*p || *p == '/' || (p[0] == '\\' && p[1] == '/'))) {
                    if (*p == '/' && dowild(p + 1, text, start) == WM_MATCH)
                        return WM_MATCH;
                    match_slash = 1;
                }
            }
            if (!*p) {
                if (!match_slash && strchr((const char *)text, '/'))
                    return WM_NOMATCH;
                return WM_MATCH;
            }
            if (!match_slash && *p == '/') {
                const unsigned char *slash = (const unsigned char *)strchr((const char *)text, '/');
                if (!slash)
                    return WM_NOMATCH;
                text = slash; /* the loop steps past the '/' in both */
                break;
            }
            for (;; tc = *++text) {
                if (!tc)
                    return WM_ABORT_ALL;
                int m = dowild(p, text, start);
                if (m != WM_NOMATCH) {
                    if (!match_slash || m != WM_ABORT_TO_STARSTAR)
                        return m;
                } else if (!match_slash && tc == '/') {
                    return WM_ABORT_TO_STARSTAR;
                }
            }
        }
        case '[': {
            pc = *++p;
            if (pc == '^')
                pc = '!';
            int negated = pc == '!', matched = 0;
            unsigned char prev = 0;
            if (negated)
                pc = *++p;
            do {
                if (!pc)
                    return WM_ABORT_ALL;
                if (pc == '\\') {
                    pc = *++p;
                    if (!pc)
                        return WM_ABORT_ALL;
                    if (tc == pc)
                        matched = 1;
                } else if (pc == '-' && prev && p[1] && p[1] != ']') {
                    pc = *++p;
                    if (pc == '\\') {
                        pc = *++p;
                        if (!pc)
                            return WM_ABORT_ALL;
                    }
                    if (tc <= pc && tc >= prev)
                        matched = 1;
                    pc = 0; /* a range cannot start a range */
                } else if (pc == '[' && p[1] == ':') {
                    const unsigned char *name = p + 2, *end = name;
                    while (*end && *end != ']')
                        end++;
                    if (!*end)
                        return WM_ABORT_ALL;
                    if (end - name < 1 || end[-1] != ':') {
                        /* not a class: a literal '[' */
                        if (tc == '[')
                            matched = 1;
                    } else {
                        int r = char_class((const char *)name, (size_t)(end - 1 - name), tc);
                        if (r < 0)
                            return WM_ABORT_ALL;
                        if (r)
                            matched = 1;
                        p = end;
                        pc = 0;
                    }
                } else if (tc == pc) {
                    matched = 1;
                }
                prev = pc;
                pc = *++p;
            } while (pc != ']');
            if (matched == negated || tc == '/')
                return WM_NOMATCH;
            continue;
        }
        default:
            if (tc != pc)
                return WM_NOMATCH;
            continue;
        }
    }
    return *text ? WM_NOMATCH : WM_MATCH;
}

int ignore_wildmatch(const char *pattern, const char *text)
{
    const unsigned char *p = (const unsigned char *)pattern;
    return dowild(p, (const unsigned char *)text, p) == WM_MATCH;
}

void ignore_init(struct ignore_list *l)
{
    l->items = NULL;
    l->count = l->cap = 0;
}

void ignore_truncate(struct ignore_list *l, size_t count)
{
    while (l->count > count) {
        struct ignore_rule *r = &l->items[--l->count];
        free(r->pattern);
        free(r->base);
    }
}

void ignore_release(struct ignore_list *l)
{
    ignore_truncate(l, 0);
    pith_vec_release(l);
}

static void add_line(struct ignore_list *l, const char *base, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (!n || s[0] == '#')
        return;
    /* trailing blanks go unless escaped */
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        size_t bs = 0;
        while (bs + 1 < n && s[n - 2 - bs] == '\\')
            bs++;
        if (bs % 2)
            break;
        n--;
    }
    struct ignore_rule r = { 0 };
    if (n && s[0] == '!') {
        r.negate = 1;
        s++;
        n--;
    }
    if (n && s[n - 1] == '/') {
        r.dir_only = 1;
        n--;
    }
    if (!n)
        return;
    if (memchr(s, '/', n))
        r.anchored = 1;
    if (s[0] == '/') {
        s++;
        n--;
    }
    if (!n)
        return;
    r.pattern = pith_xstrndup(s, n);
    r.base = pith_xstrdup(base);
    r.base_len = (uint32_t)strlen(base);
    pith_vec_push(l, r);
}

void ignore_add_text(struct ignore_list *l, const char *base, const char *text, size_t len)
{
    const char *s = text, *end = text + len;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        s += 3;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        add_line(l, base, s, (size_t)(le - s));
        s = le + 1;
    }
}

void ignore_add_file(struct ignore_list *l, const char *base, const char *file)
{
    struct pith_buf b = PITH_BUF_INIT;
    if (pith_file_read(&b, file, 1 << 24) == 0)
        ignore_add_text(l, base, b.ptr ? b.ptr : "", b.len);
    pith_buf_release(&b);
}

static int rule_matches(const struct ignore_rule *r, const char *path, size_t len, int is_dir)
{
    if (r->dir_only && !is_dir)
        return 0;
    const char *rel = path;
    if (r->base_len) {
        if (len <= r->base_len || memcmp(path, r->base, r->base_len) || path[r->base_len] != '/')
            return 0;
        rel = path + r->base_len + 1;
    }
    if (!r->anchored) {
        const char *slash = strrchr(rel, '/');
        rel = slash ? slash + 1 : rel;
    }
    return ignore_wildmatch(r->pattern, rel);
}

int ignore_match_entry(const struct ignore_list *l, const char *path, int is_dir)
{
    size_t len = strlen(path);
    for (size_t i = l->count; i-- > 0;) {
        const struct ignore_rule *r = &l->items[i];
        if (rule_matches(r, path, len, is_dir))
            return !r->negate;
    }
    return 0;
}

int ignore_match(const struct ignore_list *l, const char *path, int is_dir)
{
    char *dir = pith_xstrdup(path);
    int ignored = 0;
    for (char *s = strchr(dir, '/'); s && !ignored; s = strchr(s + 1, '/')) {
        *s = '\0';
        ignored = ignore_match_entry(l, dir, 1);
        *s = '/';
    }
    free(dir);
    return ignored || ignore_match_entry(l, path, is_dir);
}
