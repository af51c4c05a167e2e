/* compile_commands.json reader (see compdb.h), cJSON based. */
#include "compdb.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hashmap.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define COMPDB_MAX_SIZE ((size_t)1 << 30)

char *compdb_find(const char *repo, const char *explicit_path)
{
    if (explicit_path)
        return pith_xstrdup(explicit_path);
    static const char *const rel[] = { "/compile_commands.json", "/build/compile_commands.json" };
    struct pith_buf b = PITH_BUF_INIT;
    for (size_t i = 0; i < 2; i++) {
        struct stat st;
        pith_buf_clear(&b);
        pith_buf_puts(&b, repo);
        pith_buf_puts(&b, rel[i]);
        if (stat(b.ptr, &st) == 0 && S_ISREG(st.st_mode))
            return pith_buf_detach(&b, NULL);
    }
    pith_buf_release(&b);
    return NULL;
}

char *compdb_abspath(const char *dir, const char *path)
{
    struct pith_buf in = PITH_BUF_INIT;
    if (path[0] != '/' && dir) {
        pith_buf_puts(&in, dir);
        pith_buf_putc(&in, '/');
    }
    pith_buf_puts(&in, path);
    /* split on '/', drop "" and ".", pop on ".." */
    size_t n = in.len;
    char *out = pith_xmalloc(n + 2);
    size_t o = 0;
    const char *p = in.ptr;
    while (*p) {
        while (*p == '/')
            p++;
        const char *s = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - s);
        if (len == 0 || (len == 1 && s[0] == '.'))
            continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        out[o++] = '/';
        memcpy(out + o, s, len);
        o += len;
    }
    if (o == 0)
        out[o++] = '/';
    out[o] = '\0';
    pith_buf_release(&in);
    return out;
}

/* Splits a shell command line (quotes and backslashes as sh does, no expansion). */
struct strvec {
    char **items;
    size_t count, cap;
};

static void split_command(struct strvec *out, const char *cmd)
{
    struct pith_buf w = PITH_BUF_INIT;
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        pith_buf_clear(&w);
        pith_buf_puts(&w, "");
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\\' && p[1]) {
                pith_buf_putc(&w, p[1]);
                p += 2;
            } else if (*p == '\'') {
                for (p++; *p && *p != '\''; p++)
                    pith_buf_putc(&w, *p);
                if (*p)
                    p++;
            } else if (*p == '"') {
                for (p++; *p && *p != '"'; p++) {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                        p++;
                    pith_buf_putc(&w, *p);
                }
                if (*p)
                    p++;
            } else {
                pith_buf_putc(&w, *p++);
            }
        }
        pith_vec_push(out, pith_xstrdup(w.ptr));
    }
    pith_buf_release(&w);
}

/* Options that write files (dependency output) or turn warnings into errors: parsing for an
 * index must not write into the tree, nor give up on a unit over a warning. */
static int drop_arg(const char *a)
{
    return !strcmp(a, "-MD") || !strcmp(a, "-MMD") || !strcmp(a, "-MP") ||
           !strncmp(a, "-Wp,-MD", 7) || !strncmp(a, "-Wp,-MMD", 8) || !strcmp(a, "-Werror") ||
           !strncmp(a, "-Werror=", 8) || !strcmp(a, "-pedantic-errors");
}

static void entry_free(struct compdb_entry *e)
{
    free(e->file);
    free(e->directory);
    for (size_t i = 0; i < e->arg_count; i++)
        free(e->args[i]);
    free(e->args);
}

int compdb_load(struct compdb *out, const char *path)
{
    struct pith_buf data = PITH_BUF_INIT;
    int err = pith_file_read(&data, path, COMPDB_MAX_SIZE);
    if (err < 0)
        return err;
    cJSON *root = cJSON_ParseWithLength(data.ptr ? data.ptr : "", data.len);
    pith_buf_release(&data);
    if (!root || !cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return pith_error_set(PITH_EPARSE, "%s is not a JSON array of compile commands", path);
    }
    struct pith_hashmap seen;
    pith_hashmap_init(&seen);
    const cJSON *it;
    cJSON_ArrayForEach(it, root)
    {
        const cJSON *jdir = cJSON_GetObjectItemCaseSensitive(it, "directory");
        const cJSON *jfile = cJSON_GetObjectItemCaseSensitive(it, "file");
        const cJSON *jargs = cJSON_GetObjectItemCaseSensitive(it, "arguments");
        const cJSON *jcmd = cJSON_GetObjectItemCaseSensitive(it, "command");
        if (!cJSON_IsString(jdir) || !cJSON_IsString(jfile))
            continue;
        struct strvec raw = { 0 };
        if (cJSON_IsArray(jargs)) {
            const cJSON *a;
            cJSON_ArrayForEach(a, jargs)
            {
                if (cJSON_IsString(a))
                    pith_vec_push(&raw, pith_xstrdup(a->valuestring));
            }
        } else if (cJSON_IsString(jcmd)) {
            split_command(&raw, jcmd->valuestring);
        }
        struct compdb_entry e = { 0 };
        e.directory = compdb_abspath(NULL, jdir->valuestring);
        e.file = compdb_abspath(e.directory, jfile->valuestring);
        uint32_t dummy;
        if (pith_hashmap_get(&seen, e.file, strlen(e.file), &dummy)) {
            for (size_t i = 0; i < raw.count; i++)
                free(raw.items[i]);
            pith_vec_release(&raw);
            entry_free(&e);
            continue;
        }
        e.args = pith_xcalloc(raw.count + 4, sizeof *e.args);
        for (size_t i = 1; i < raw.count; i++) { /* [0] is the compiler */
            char *a = raw.items[i];
            if (!strcmp(a, "-c")) {
                free(a);
                continue;
            }
            if ((!strcmp(a, "-o") || !strcmp(a, "-MF") || !strcmp(a, "-MT") || !strcmp(a, "-MQ")) &&
                i + 1 < raw.count) {
                free(a);
                free(raw.items[++i]);
                continue;
            }
            if (drop_arg(a)) {
                free(a);
                continue;
            }
            char *abs = a[0] == '-' ? NULL : compdb_abspath(e.directory, a);
            if (abs && !strcmp(abs, e.file)) {
                free(abs);
                free(a);
                continue;
            }
            free(abs);
            e.args[e.arg_count++] = a;
        }
        if (raw.count)
            free(raw.items[0]);
        pith_vec_release(&raw);
        e.args[e.arg_count++] = pith_xstrdup("-working-directory");
        e.args[e.arg_count++] = pith_xstrdup(e.directory);
        pith_vec_push(out, e);
        /* the key must outlive the map: point it at the entry's own string */
        pith_hashmap_put(&seen, out->items[out->count - 1].file,
                         strlen(out->items[out->count - 1].file), 1);
    }
    pith_hashmap_release(&seen);
    cJSON_Delete(root);
    return 0;
}

void compdb_release(struct compdb *db)
{
    for (size_t i = 0; i < db->count; i++)
        entry_free(&db->items[i]);
    pith_vec_release(db);
}
