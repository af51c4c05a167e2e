/* pith-extract logic (see extract.h): walk, a pthread pool that reads, checks, parses, packs
 * and compresses each file into its own slot, then one in-order write of the stage file.
 *
 *   walk_repo -> paths[0..n) sorted --(atomic next index)--> workers: slot[i] = record bytes
 *   (C/C++ files go to lang_c_clang.c / lang_c_ts.c, merged in path order when writing)
 *             -> writer appends slot[0], slot[1], ... -> rename into place
 *
 * A slot depends only on its file, so the output is the same for any --jobs. */
#include "extract.h"

#include "common/buf.h"
#include "common/cpu.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hashmap.h"
#include "common/mem.h"
#include "common/stagefile.h"
#include "compdb.h"
#include "lang_c.h"
#include "lang_python.h"
#include "schemas/facts.pb-c.h"
#include "walk.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#define BINARY_PROBE 8192

struct slot {
    struct pith_buf rec; /* compressed stage record */
    int status;
    char *reason; /* malloc'd skip reason, NULL when ok */
    size_t size;
};

struct pool {
    const struct extract_options *opt;
    struct walk_list files;
    struct slot *slots;
    size_t *order; /* file indices, largest file first */
    atomic_size_t next;
    atomic_size_t done;
    pthread_mutex_t lock;  /* progress output */
    double started, shown; /* monotonic seconds: start, last progress line */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns the offset of the first byte that is not part of valid UTF-8, or `len`. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return i;
        }
        if (i + n >= len)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        }
        i += n + 1;
    }
    return len;
}

struct worker {
    struct pool *pool;
    struct lang_python *lp;
    ZSTD_CCtx *zc; /* reused for every record of this worker */
    struct pith_arena arena;
    struct pith_buf data, packed, full;
};

static void
set_skip(Pith__FileFacts *ff, struct pith_arena *a, Pith__FileStatus st, const char *reason)
{
    ff->status = st;
    ff->skip_reason = pith_arena_strdup(a, reason);
}

static void do_file(struct worker *w, size_t idx)
{
    struct pool *pool = w->pool;
    const struct extract_options *opt = pool->opt;
    const char *rel = pool->files.items[idx];
    struct slot *slot = &pool->slots[idx];
    Pith__FileFacts ff = PITH__FILE_FACTS__INIT;
    int pkg = 0;
    char msg[256];

    ff.path = (char *)rel;
    ff.language = (char *)"python";
    ff.module = lang_python_module_name(&w->arena, rel, &pkg);
    ff.is_package = pkg;
    pith_buf_clear(&w->full);
    pith_buf_puts(&w->full, opt->repo);
    pith_buf_putc(&w->full, '/');
    pith_buf_puts(&w->full, rel);

    int err = pith_file_read(&w->data, w->full.ptr, opt->max_size);
    if (err == PITH_ETOOBIG) {
        struct stat st;
        ff.size = stat(w->full.ptr, &st) == 0 ? (uint64_t)st.st_size : 0;
        snprintf(msg, sizeof msg, "file is larger than %zu bytes", opt->max_size);
        set_skip(&ff, &w->arena, PITH__FILE_STATUS__FILE_SKIPPED_TOO_BIG, msg);
    } else if (err < 0) {
        set_skip(&ff, &w->arena, PITH__FILE_STATUS__FILE_SKIPPED_IO, pith_error_last());
    } else {
        const unsigned char *d = (const unsigned char *)(w->data.ptr ? w->data.ptr : "");
        size_t len = w->data.len;
        ff.size = len;
        ff.content_hash = pith_hash64(d, len);
        size_t bad;
        if (memchr(d, 0, len < BINARY_PROBE ? len : BINARY_PROBE)) {
            set_skip(&ff, &w->arena, PITH__FILE_STATUS__FILE_SKIPPED_BINARY,
                     "binary file (NUL byte in the first 8 KiB)");
        } else if ((bad = utf8_check(d, len)) != len) {
            snprintf(msg, sizeof msg, "not valid UTF-8 (byte offset %zu)", bad);
            set_skip(&ff, &w->arena, PITH__FILE_STATUS__FILE_SKIPPED_ENCODING, msg);
        } else {
            lang_python_extract(w->lp, &w->arena, &ff, ff.module, (const char *)d, len);
        }
    }
    pith_buf_clear(&w->packed);
    size_t n = pith__file_facts__get_packed_size(&ff);
    pith_buf_grow(&w->packed, n);
    w->packed.len = pith__file_facts__pack(&ff, (uint8_t *)w->packed.ptr);
    pith_buf_init(&slot->rec);
    pith_stage_compress_with(&slot->rec, w->zc, w->packed.ptr, w->packed.len);
    slot->status = (int)ff.status;
    slot->size = (size_t)ff.size;
    slot->reason = ff.status ? pith_xstrdup(ff.skip_reason) : NULL;
    pith_arena_reset(&w->arena); /* nothing outlives the file: the record above is a copy */
}

static void progress(struct pool *pool, size_t done)
{
    size_t total = pool->files.count;
    if (!pool->opt->progress)
        return;
    pthread_mutex_lock(&pool->lock);
    double t = now_seconds(), elapsed = t - pool->started;
    if (done == total || t - pool->shown >= 0.1) {
        pool->shown = t;
        double rate = elapsed > 0 ? (double)done / elapsed : 0;
        double left = rate > 0 ? (double)(total - done) / rate : 0;
        fprintf(stderr, "\rpith-extract: %zu/%zu files  %.0f files/s  %.1f s left   ", done, total,
                rate, left);
        if (done == total)
            fputc('\n', stderr);
    }
    pthread_mutex_unlock(&pool->lock);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *pool = w->pool;
    for (;;) {
        size_t i = atomic_fetch_add(&pool->next, 1);
        if (i >= pool->files.count)
            break;
        do_file(w, pool->order[i]);
        progress(pool, atomic_fetch_add(&pool->done, 1) + 1);
    }
    return NULL;
}

static void worker_init(struct worker *w, struct pool *pool)
{
    memset(w, 0, sizeof *w);
    w->pool = pool;
    w->lp = lang_python_new();
    w->zc = ZSTD_createCCtx();
    if (!w->zc)
        PITH_BUG("out of memory for a zstd context");
    pith_arena_init(&w->arena);
}

static void worker_release(struct worker *w)
{
    lang_python_free(w->lp);
    ZSTD_freeCCtx(w->zc);
    pith_arena_release(&w->arena);
    pith_buf_release(&w->data);
    pith_buf_release(&w->packed);
    pith_buf_release(&w->full);
}

struct sized {
    uint64_t size;
    size_t idx;
};

static int cmp_size_desc(const void *a, const void *b)
{
    const struct sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Fills pool->order with the file indices, largest file first, so that no thread is left
 * parsing a big file after the others ran out of work. Files that cannot be stat'ed go last
 * (their worker records the error). Which thread does a file never changes its slot. */
static void order_by_size(struct pool *pool)
{
    size_t n = pool->files.count;
    struct sized *v = pith_xcalloc(n ? n : 1, sizeof *v);
    struct pith_buf full = PITH_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        pith_buf_clear(&full);
        pith_buf_puts(&full, pool->opt->repo);
        pith_buf_putc(&full, '/');
        pith_buf_puts(&full, pool->files.items[i]);
        v[i].idx = i;
        v[i].size = stat(full.ptr, &st) == 0 ? (uint64_t)st.st_size : 0;
    }
    qsort(v, n, sizeof *v, cmp_size_desc);
    pool->order = pith_xcalloc(n ? n : 1, sizeof *pool->order);
    for (size_t i = 0; i < n; i++)
        pool->order[i] = v[i].idx;
    free(v);
    pith_buf_release(&full);
}

static int cmp_c_record(const void *a, const void *b)
{
    return strcmp(((const struct c_record *)a)->path, ((const struct c_record *)b)->path);
}

static const char *status_name(int st)
{
    switch (st) {
    case PITH__FILE_STATUS__FILE_OK:
        return "ok";
    case PITH__FILE_STATUS__FILE_SKIPPED_BINARY:
        return "binary";
    case PITH__FILE_STATUS__FILE_SKIPPED_TOO_BIG:
        return "too_big";
    case PITH__FILE_STATUS__FILE_SKIPPED_PARSE:
        return "parse";
    case PITH__FILE_STATUS__FILE_SKIPPED_ENCODING:
        return "encoding";
    case PITH__FILE_STATUS__FILE_SKIPPED_IO:
        return "io";
    default:
        return "unknown";
    }
}

/* C and C++: libclang over the compilation database, tree-sitter for the files it does not
 * reach (all of them when there is no database). */
static void extract_c_files(struct c_records *out,
                            const struct extract_options *opt,
                            int jobs,
                            const struct walk_list *cfiles)
{
    char *path = compdb_find(opt->repo, opt->compdb);
    struct compdb db = { 0 };
    if (path && compdb_load(&db, path) < 0 && opt->progress)
        fprintf(stderr, "pith-extract: %s; C/C++ without a compilation database\n",
                pith_error_last());
    if (db.count)
        lang_c_clang_run(out, opt->repo, &db, jobs);
    /* the files no unit reached */
    PITH_VEC(char *) rest = { 0 };
    size_t k = 0;
    for (size_t i = 0; i < cfiles->count; i++) {
        while (k < out->count && strcmp(out->items[k].path, cfiles->items[i]) < 0)
            k++;
        if (k < out->count && !strcmp(out->items[k].path, cfiles->items[i]))
            continue;
        pith_vec_push(&rest, cfiles->items[i]);
    }
    if (rest.count) {
        struct c_records ts = { 0 };
        lang_c_ts_run(&ts, opt->repo, rest.items, rest.count, jobs, opt->max_size);
        for (size_t i = 0; i < ts.count; i++)
            pith_vec_push(out, ts.items[i]);
        pith_vec_release(&ts);
        if (out->count > 1)
            qsort(out->items, out->count, sizeof *out->items, cmp_c_record);
    }
    pith_vec_release(&rest);
    compdb_release(&db);
    free(path);
}

int extract_run(struct extract_stats *stats, const struct extract_options *opt)
{
    struct pool pool;
    struct extract_stats st = { 0 };
    memset(&pool, 0, sizeof pool);
    pool.opt = opt;
    atomic_init(&pool.next, 0);
    atomic_init(&pool.done, 0);
    pthread_mutex_init(&pool.lock, NULL);
    pool.started = pool.shown = now_seconds();

    /* one walk: Python files to the pool, C/C++ files to their front ends */
    struct walk_list cfiles = { 0 };
    int err = walk_repo(&pool.files, opt->repo, "");
    if (err < 0)
        goto out;
    size_t kept = 0;
    for (size_t i = 0; i < pool.files.count; i++) {
        char *p = pool.files.items[i];
        const char *base = strrchr(p, '/');
        base = base ? base + 1 : p;
        size_t len = strlen(base);
        if (len > 3 && !strcmp(base + len - 3, ".py"))
            pool.files.items[kept++] = p;
        else if (lang_c_is_source(p))
            pith_vec_push(&cfiles, p);
        else
            free(p);
    }
    pool.files.count = kept;
    size_t n = pool.files.count;
    pool.slots = pith_xcalloc(n ? n : 1, sizeof *pool.slots);
    order_by_size(&pool);

    int jobs = opt->jobs > 0 ? opt->jobs : pith_cpu_count();
    if ((size_t)jobs > n)
        jobs = n ? (int)n : 1;
    struct worker *ws = pith_xcalloc((size_t)jobs, sizeof *ws);
    pthread_t *tids = pith_xcalloc((size_t)jobs, sizeof *tids);
    for (int i = 0; i < jobs; i++)
        worker_init(&ws[i], &pool);
    int started = 1;
    for (int i = 1; i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, worker_main, &ws[i]) != 0)
            break; /* fewer threads: same output, only slower */
        started++;
    }
    worker_main(&ws[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tids[i], NULL);
    for (int i = 0; i < jobs; i++)
        worker_release(&ws[i]);
    free(ws);
    free(tids);

    struct c_records crecs = { 0 };
    extract_c_files(&crecs, opt, opt->jobs > 0 ? opt->jobs : pith_cpu_count(), &cfiles);
    walk_list_release(&cfiles);

    struct pith_stage_writer wr;
    pith_stage_writer_init(&wr, PITH_STAGE_FACTS);
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    struct pith_buf z = PITH_BUF_INIT;
    size_t ci = 0;
    for (size_t i = 0; i <= n; i++) {
        /* C/C++ records merged in path order */
        while (ci < crecs.count &&
               (i == n || strcmp(crecs.items[ci].path, pool.files.items[i]) < 0)) {
            struct c_record *c = &crecs.items[ci++];
            pith_buf_clear(&z);
            pith_stage_compress_with(&z, zc, c->facts.ptr, c->facts.len);
            pith_stage_writer_add_raw(&wr, z.ptr, z.len);
            st.files++;
            st.bytes += c->size;
            if (c->status) {
                st.skipped++;
                if (opt->on_skip)
                    opt->on_skip(c->path, status_name(c->status), c->reason ? c->reason : "",
                                 opt->payload);
            } else {
                st.ok++;
            }
        }
        if (i == n)
            break;
        struct slot *s = &pool.slots[i];
        pith_stage_writer_add_raw(&wr, s->rec.ptr, s->rec.len);
        pith_buf_release(&s->rec);
        st.files++;
        st.bytes += s->size;
        if (s->status) {
            st.skipped++;
            if (opt->on_skip)
                opt->on_skip(pool.files.items[i], status_name(s->status), s->reason, opt->payload);
            free(s->reason);
        } else {
            st.ok++;
        }
    }
    ZSTD_freeCCtx(zc);
    pith_buf_release(&z);
    c_records_release(&crecs);
    err = pith_stage_writer_finish(&wr, opt->output);
    pith_stage_writer_release(&wr);
    if (opt->progress && err == 0)
        fprintf(stderr, "pith-extract: %zu files, %zu ok, %zu skipped, %llu bytes\n", st.files,
                st.ok, st.skipped, (unsigned long long)st.bytes);
out:
    free(pool.slots);
    free(pool.order);
    walk_list_release(&pool.files);
    pthread_mutex_destroy(&pool.lock);
    if (stats)
        *stats = st;
    return err;
}

/* --- dump -------------------------------------------------------------------------------- */

static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7F)
                fprintf(out, "\\x%02x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void put_field(FILE *out, const char *indent, const char *key, const char *v)
{
    if (!v || !v[0])
        return;
    fprintf(out, "%s%s ", indent, key);
    put_quoted(out, v);
    fputc('\n', out);
}

static const char *const sym_kinds[] = { "none",   "module", "class", "function",
                                         "method", "nested", "lambda" };
static const char *const param_kinds[] = { "plain", "*", "**", "kwonly", "posonly" };
static const char *const bind_kinds[] = { "call", "name", "other", "def", "annotation" };

#define NAME_OF(tab, i) ((size_t)(i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

static const char *const call_targets[] = { "function", "field", "variable", "param", "other" };
static const char *const ref_contexts[] = { "other", "field", "array", "variable", "argument" };

/* The C/C++ parts of a record (lang_c_clang.c, lang_c_ts.c). */
static void dump_c_facts(FILE *out, const Pith__FileFacts *f)
{
    if (f->no_compdb)
        fputs("  no_compdb\n", out);
    for (size_t i = 0; i < f->n_symbols; i++) {
        const Pith__Symbol *s = f->symbols[i];
        if (!s->usr[0] && !s->is_static)
            continue;
        fprintf(out, "  c-sym %zu usr=%s%s%s\n", i + 1, s->usr[0] ? s->usr : "-",
                s->is_static ? " static" : "", s->is_virtual ? " virtual" : "");
        for (size_t k = 0; k < s->n_overrides; k++)
            put_field(out, "    ", "overrides", s->overrides[k]);
    }
    for (size_t i = 0; i < f->n_c_calls; i++) {
        const Pith__CallSite *c = f->c_calls[i];
        fprintf(out, "  c-call caller=%u %u:%u args=%u %s ", c->caller, c->line, c->col,
                c->arg_count, NAME_OF(call_targets, c->target));
        put_quoted(out, c->callee);
        if (c->callee_usr[0])
            fprintf(out, " usr=%s", c->callee_usr);
        if (c->target_usr[0])
            fprintf(out, " through=%s", c->target_usr);
        if (c->fn_type[0]) {
            fputs(" type=", out);
            put_quoted(out, c->fn_type);
        }
        if (c->macro[0])
            fprintf(out, " macro=%s", c->macro);
        fputs(c->is_virtual ? " virtual" : "", out);
        fputs(c->name_only ? " name_only\n" : "\n", out);
    }
    for (size_t i = 0; i < f->n_func_refs; i++) {
        const Pith__FuncRef *r = f->func_refs[i];
        fprintf(out, "  c-ref %s line=%u scope=%u %s target=", r->name, r->line, r->scope,
                NAME_OF(ref_contexts, r->context));
        put_quoted(out, r->target_name);
        if (r->owner[0])
            fprintf(out, " owner=%s", r->owner);
        fputs(" type=", out);
        put_quoted(out, r->fn_type);
        fputc('\n', out);
    }
}

static void dump_facts(FILE *out, const Pith__FileFacts *f)
{
    fprintf(out, "file ");
    put_quoted(out, f->path);
    fprintf(out, " lang=%s status=%s module=%s package=%d size=%llu lines=%u hash=%016llx\n",
            f->language, status_name(f->status), f->module[0] ? f->module : "-",
            f->is_package ? 1 : 0, (unsigned long long)f->size, f->line_count,
            (unsigned long long)f->content_hash);
    put_field(out, "  ", "reason", f->skip_reason);
    if (f->has_all) {
        fprintf(out, "  all");
        for (size_t i = 0; i < f->n_all_names; i++) {
            fputc(' ', out);
            put_quoted(out, f->all_names[i]);
        }
        fputc('\n', out);
    }
    for (size_t i = 0; i < f->n_symbols; i++) {
        const Pith__Symbol *s = f->symbols[i];
        fprintf(out, "  sym %zu %s %s parent=%u %u:%u-%u:%u%s\n", i + 1,
                NAME_OF(sym_kinds, s->kind), s->qualname[0] ? s->qualname : "-", s->parent,
                s->start_line, s->start_col, s->end_line, s->end_col, s->is_async ? " async" : "");
        put_field(out, "    ", "sig", s->signature);
        for (size_t k = 0; k < s->n_params; k++) {
            const Pith__Param *pr = s->params[k];
            fprintf(out, "    param %s %s", pr->name, NAME_OF(param_kinds, pr->kind));
            if (pr->annotation[0]) {
                fputs(" ann=", out);
                put_quoted(out, pr->annotation);
            }
            if (pr->default_value[0]) {
                fputs(" default=", out);
                put_quoted(out, pr->default_value);
            }
            fputc('\n', out);
        }
        put_field(out, "    ", "returns", s->returns);
        for (size_t k = 0; k < s->n_decorators; k++)
            put_field(out, "    ", "decorator", s->decorators[k]);
        for (size_t k = 0; k < s->n_bases; k++)
            put_field(out, "    ", "base", s->bases[k]);
        put_field(out, "    ", "doc", s->docstring);
        put_field(out, "    ", "comments", s->comments);
    }
    for (size_t i = 0; i < f->n_imports; i++) {
        const Pith__Import *im = f->imports[i];
        fprintf(out, "  import scope=%u line=%u level=%u module=", im->scope, im->line, im->level);
        put_quoted(out, im->module);
        fputs(" name=", out);
        put_quoted(out, im->name);
        fputs(" alias=", out);
        put_quoted(out, im->alias);
        fputs(im->is_star ? " star\n" : "\n", out);
    }
    for (size_t i = 0; i < f->n_calls; i++) {
        const Pith__CallSite *c = f->calls[i];
        fprintf(out, "  call caller=%u %u:%u args=%u ", c->caller, c->line, c->col, c->arg_count);
        put_quoted(out, c->callee);
        fputc('\n', out);
    }
    dump_c_facts(out, f);
    for (size_t i = 0; i < f->n_bindings; i++) {
        const Pith__Binding *b = f->bindings[i];
        fprintf(out, "  bind scope=%u line=%u %s %s ", b->scope, b->line, b->target,
                NAME_OF(bind_kinds, b->kind));
        put_quoted(out, b->value);
        fputc('\n', out);
    }
}

int extract_dump(FILE *out, const char *path)
{
    struct pith_stage_reader r;
    int err = pith_stage_reader_open(&r, path, PITH_STAGE_FACTS);
    if (err < 0)
        return err;
    const uint8_t *rec;
    size_t len;
    while ((err = pith_stage_reader_next(&r, &rec, &len)) == 1) {
        Pith__FileFacts *f = pith__file_facts__unpack(NULL, len, rec);
        if (!f) {
            err = PITH_CORRUPT("record %llu is not a FileFacts message",
                               (unsigned long long)(r.next_index - 1));
            break;
        }
        dump_facts(out, f);
        pith__file_facts__free_unpacked(f, NULL);
    }
    pith_stage_reader_release(&r);
    if (err == 0 && ferror(out))
        err = pith_error_set(PITH_EIO, "cannot write the dump: %s", strerror(errno));
    return err;
}
