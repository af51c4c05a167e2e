/* pith-embed: the append-only, checksummed embedding cache (layout in cache.h). */
#include "cache.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define CACHE_MAGIC     "PITHVEC1"
#define CACHE_MAGIC_LEN 8
#define SCAN_ROWS       1024 /* rows read at a time when opening */

struct embed_cache {
    int fd;
    uint32_t dim;
    size_t row_len;
    uint64_t data_at; /* offset of row 0 */
    uint64_t end;     /* file length */
    uint64_t dropped;
    char *path;
    char *id;
    PITH_VEC(uint8_t) keys; /* row i's key at keys.items[i * 32] */
    PITH_VEC(uint8_t) used; /* per row */
    size_t rows;
    uint32_t *slots; /* row + 1, 0 empty; open addressing */
    size_t slot_cap;
    uint8_t *row; /* one row's scratch */
};

void embed_cache_key(uint8_t out[EMBED_CACHE_KEY_LEN],
                     const char *cache_id,
                     const char *doc_prefix,
                     const char *text)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int len = 0;
    const unsigned char zero = 0;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        PITH_BUG("SHA-256 is not available");
    EVP_DigestUpdate(ctx, cache_id, strlen(cache_id));
    EVP_DigestUpdate(ctx, &zero, 1);
    EVP_DigestUpdate(ctx, doc_prefix ? doc_prefix : "", doc_prefix ? strlen(doc_prefix) : 0);
    EVP_DigestUpdate(ctx, text, strlen(text));
    EVP_DigestFinal_ex(ctx, out, &len);
    EVP_MD_CTX_free(ctx);
}

static uint64_t row_check(const uint8_t *row, size_t body_len)
{
    return XXH3_64bits(row, body_len);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* The header bytes for (dim, id) into `out`. */
static void header_build(struct pith_buf *out, uint32_t dim, const char *id)
{
    uint8_t w[8];
    size_t id_len = strlen(id);
    pith_buf_put(out, CACHE_MAGIC, CACHE_MAGIC_LEN);
    put_le32(w, dim);
    pith_buf_put(out, w, 4);
    put_le32(w, (uint32_t)id_len);
    pith_buf_put(out, w, 4);
    pith_buf_put(out, id, id_len);
    put_le64(w, XXH3_64bits(out->ptr, out->len));
    pith_buf_put(out, w, 8);
}

static int write_all(int fd, const void *data, size_t len, uint64_t at)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
        at += (uint64_t)n;
    }
    return 0;
}

/* Reads up to `len` bytes at `at`; returns the count read (short only at end of file). */
static ssize_t read_at(int fd, void *data, size_t len, uint64_t at)
{
    uint8_t *p = data;
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, p + got, len - got, (off_t)(at + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static uint64_t key_hash(const uint8_t *key)
{
    uint64_t h;
    memcpy(&h, key, 8); /* SHA-256 bytes are uniform */
    return h;
}

static void index_grow(struct embed_cache *c);

/* The row of `key`, or -1. */
static long index_find(const struct embed_cache *c, const uint8_t *key)
{
    if (!c->slot_cap)
        return -1;
    size_t mask = c->slot_cap - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        uint32_t s = c->slots[i];
        if (!s)
            return -1;
        if (memcmp(c->keys.items + (size_t)(s - 1) * EMBED_CACHE_KEY_LEN, key,
                   EMBED_CACHE_KEY_LEN) == 0)
            return (long)(s - 1);
    }
}

static void index_insert_slot(struct embed_cache *c, size_t row)
{
    size_t mask = c->slot_cap - 1;
    const uint8_t *key = c->keys.items + row * EMBED_CACHE_KEY_LEN;
    size_t i = key_hash(key) & mask;
    while (c->slots[i])
        i = (i + 1) & mask;
    c->slots[i] = (uint32_t)(row + 1);
}

static void index_grow(struct embed_cache *c)
{
    size_t cap = c->slot_cap ? c->slot_cap * 2 : 1024;
    free(c->slots);
    c->slots = pith_xcalloc(cap, sizeof *c->slots);
    c->slot_cap = cap;
    for (size_t r = 0; r < c->rows; r++)
        index_insert_slot(c, r);
}

/* Adds row `c->rows` with `key` to the index. */
static void index_add(struct embed_cache *c, const uint8_t *key, int used)
{
    pith_vec_reserve(&c->keys, (c->rows + 1) * EMBED_CACHE_KEY_LEN);
    memcpy(c->keys.items + c->rows * EMBED_CACHE_KEY_LEN, key, EMBED_CACHE_KEY_LEN);
    c->keys.count = (c->rows + 1) * EMBED_CACHE_KEY_LEN;
    pith_vec_push(&c->used, (uint8_t)used);
    c->rows++;
    if (c->rows * 2 > c->slot_cap)
        index_grow(c);
    else
        index_insert_slot(c, c->rows - 1);
}

/* Reads the header at offset 0; returns its length, 0 when it does not match (dim, id). */
static uint64_t header_check(int fd, uint64_t size, uint32_t dim, const char *id)
{
    struct pith_buf want = PITH_BUF_INIT;
    header_build(&want, dim, id);
    uint64_t len = want.len;
    int ok = 0;
    if (size >= len) {
        uint8_t *got = pith_xmalloc(len);
        ok = read_at(fd, got, len, 0) == (ssize_t)len && memcmp(got, want.ptr, len) == 0;
        free(got);
    }
    pith_buf_release(&want);
    return ok ? len : 0;
}

/* Scans the rows from `c->data_at`, indexing those whose checksum holds, and truncates the
 * file after the last good one. */
static int scan_rows(struct embed_cache *c, uint64_t size)
{
    size_t body = EMBED_CACHE_KEY_LEN + 4 * (size_t)c->dim;
    uint8_t *chunk = pith_xmalloc(c->row_len * SCAN_ROWS);
    uint64_t at = c->data_at, good = c->data_at;
    int err = 0;
    while (at < size) {
        ssize_t n = read_at(c->fd, chunk, c->row_len * SCAN_ROWS, at);
        if (n < 0) {
            err = pith_error_set(PITH_EIO, "cannot read %s: %s", c->path, strerror(errno));
            goto out;
        }
        size_t whole = (size_t)n / c->row_len;
        for (size_t i = 0; i < whole; i++) {
            const uint8_t *row = chunk + i * c->row_len;
            if (row_check(row, body) != get_le64(row + body))
                goto done;
            if (index_find(c, row) < 0)
                index_add(c, row, 0);
            good += c->row_len;
        }
        if (whole < SCAN_ROWS)
            break;
        at += (uint64_t)whole * c->row_len;
    }
done:
    if (good < size) {
        if (ftruncate(c->fd, (off_t)good) != 0) {
            err = pith_error_set(PITH_EIO, "cannot truncate %s: %s", c->path, strerror(errno));
            goto out;
        }
        c->dropped += size - good;
    }
    c->end = good;
out:
    free(chunk);
    return err;
}

int embed_cache_open(struct embed_cache **out, const char *dir, const char *cache_id, uint32_t dim)
{
    *out = NULL;
    if (dim == 0 || dim > (1u << 20))
        return pith_error_set(PITH_EUSAGE, "cache: bad vector dimension %u", dim);
    int err = pith_mkdir_p(dir);
    if (err < 0)
        return err;
    uint8_t h[EMBED_CACHE_KEY_LEN];
    embed_cache_key(h, cache_id, "", "");
    struct pith_buf path = PITH_BUF_INIT;
    pith_buf_printf(&path, "%s/", dir);
    for (int i = 0; i < 8; i++)
        pith_buf_printf(&path, "%02x", h[i]);
    pith_buf_puts(&path, ".vec");

    struct embed_cache *c = pith_xcalloc(1, sizeof *c);
    c->fd = -1;
    c->dim = dim;
    c->row_len = EMBED_CACHE_KEY_LEN + 4 * (size_t)dim + 8;
    c->path = pith_buf_detach(&path, NULL);
    c->id = pith_xstrdup(cache_id);
    c->row = pith_xmalloc(c->row_len);
    c->fd = open(c->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->fd < 0) {
        err = pith_error_set(PITH_EIO, "cannot open cache %s: %s", c->path, strerror(errno));
        goto fail;
    }
    struct flock lk;
    memset(&lk, 0, sizeof lk);
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (fcntl(c->fd, F_SETLK, &lk) != 0) {
        err = pith_error_set(PITH_EIO, "cache %s is in use by another process", c->path);
        goto fail;
    }
    struct stat st;
    if (fstat(c->fd, &st) != 0) {
        err = pith_error_set(PITH_EIO, "cannot stat %s: %s", c->path, strerror(errno));
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    c->data_at = header_check(c->fd, size, dim, cache_id);
    if (c->data_at == 0) { /* new, or a torn or foreign header: start over */
        struct pith_buf hdr = PITH_BUF_INIT;
        header_build(&hdr, dim, cache_id);
        c->dropped = size;
        if (ftruncate(c->fd, 0) != 0 || write_all(c->fd, hdr.ptr, hdr.len, 0) != 0) {
            pith_buf_release(&hdr);
            err = pith_error_set(PITH_EIO, "cannot write %s: %s", c->path, strerror(errno));
            goto fail;
        }
        c->data_at = hdr.len;
        size = hdr.len;
        pith_buf_release(&hdr);
    }
    err = scan_rows(c, size);
    if (err < 0)
        goto fail;
    *out = c;
    return 0;
fail:
    embed_cache_close(c);
    return err;
}

int embed_cache_get(struct embed_cache *c, const uint8_t key[EMBED_CACHE_KEY_LEN], float *out)
{
    long r = index_find(c, key);
    if (r < 0)
        return 0;
    size_t body = EMBED_CACHE_KEY_LEN + 4 * (size_t)c->dim;
    uint64_t at = c->data_at + (uint64_t)r * c->row_len;
    if (read_at(c->fd, c->row, c->row_len, at) != (ssize_t)c->row_len)
        return pith_error_set(PITH_EIO, "cannot read row %ld of %s", r, c->path);
    if (row_check(c->row, body) != get_le64(c->row + body) ||
        memcmp(c->row, key, EMBED_CACHE_KEY_LEN) != 0)
        return PITH_CORRUPT("%s: row %ld changed under the cache", c->path, r);
    memcpy(out, c->row + EMBED_CACHE_KEY_LEN, 4 * (size_t)c->dim);
    c->used.items[r] = 1;
    return 1;
}

int embed_cache_put(struct embed_cache *c, const uint8_t key[EMBED_CACHE_KEY_LEN], const float *vec)
{
    long r = index_find(c, key);
    if (r >= 0) {
        c->used.items[r] = 1;
        return 0;
    }
    size_t body = EMBED_CACHE_KEY_LEN + 4 * (size_t)c->dim;
    memcpy(c->row, key, EMBED_CACHE_KEY_LEN);
    memcpy(c->row + EMBED_CACHE_KEY_LEN, vec, 4 * (size_t)c->dim);
    put_le64(c->row + body, row_check(c->row, body));
    if (write_all(c->fd, c->row, c->row_len, c->end) != 0)
        return pith_error_set(PITH_EIO, "cannot append to %s: %s", c->path, strerror(errno));
    c->end += c->row_len;
    index_add(c, key, 1);
    return 0;
}

long embed_cache_compact(struct embed_cache *c)
{
    size_t keep = 0;
    for (size_t r = 0; r < c->rows; r++)
        keep += c->used.items[r];
    if (keep == c->rows)
        return 0;
    size_t old_rows = c->rows;
    struct pith_buf tmp = PITH_BUF_INIT, hdr = PITH_BUF_INIT;
    pith_buf_printf(&tmp, "%s.tmp.%ld", c->path, (long)getpid());
    header_build(&hdr, c->dim, c->id);
    long err = 0;
    int fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = pith_error_set(PITH_EIO, "cannot create %s: %s", tmp.ptr, strerror(errno));
        goto out;
    }
    uint64_t at = 0;
    if (write_all(fd, hdr.ptr, hdr.len, 0) != 0)
        goto io;
    at = hdr.len;
    for (size_t r = 0; r < c->rows; r++) {
        if (!c->used.items[r])
            continue;
        if (read_at(c->fd, c->row, c->row_len, c->data_at + (uint64_t)r * c->row_len) !=
                (ssize_t)c->row_len ||
            write_all(fd, c->row, c->row_len, at) != 0)
            goto io;
        at += c->row_len;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto io;
    }
    fd = -1;
    if (rename(tmp.ptr, c->path) != 0)
        goto io;
    /* the new file replaces the rows: rebuild the index over it */
    close(c->fd);
    c->fd = open(c->path, O_RDWR | O_CLOEXEC);
    struct flock lk;
    memset(&lk, 0, sizeof lk);
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (c->fd < 0 || fcntl(c->fd, F_SETLK, &lk) != 0) {
        err = pith_error_set(PITH_EIO, "cannot reopen %s after compaction", c->path);
        goto out;
    }
    c->rows = 0;
    c->keys.count = c->used.count = 0;
    memset(c->slots, 0, c->slot_cap * sizeof *c->slots);
    c->data_at = hdr.len;
    err = scan_rows(c, at);
    if (err < 0)
        goto out;
    for (size_t r = 0; r < c->rows; r++)
        c->used.items[r] = 1;
    err = (long)(old_rows - keep);
    goto out;
io:
    err = pith_error_set(PITH_EIO, "cannot compact %s: %s", c->path, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp.ptr);
out:
    pith_buf_release(&tmp);
    pith_buf_release(&hdr);
    return err;
}

size_t embed_cache_count(const struct embed_cache *c)
{
    return c->rows;
}

uint64_t embed_cache_dropped_bytes(const struct embed_cache *c)
{
    return c->dropped;
}

const char *embed_cache_path(const struct embed_cache *c)
{
    return c->path;
}

void embed_cache_close(struct embed_cache *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd); /* releases the lock */
    free(c->path);
    free(c->id);
    free(c->row);
    free(c->slots);
    pith_vec_release(&c->keys);
    pith_vec_release(&c->used);
    free(c);
}

long embed_cache_verify(const char *path)
{
    struct pith_map m;
    int err = pith_map_open(&m, path);
    if (err < 0)
        return err;
    long rows = 0;
    const uint8_t *d = m.data;
    size_t n = m.len;
    if (n < CACHE_MAGIC_LEN + 8 || memcmp(d, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0) {
        rows = PITH_CORRUPT("%s: not a pith vector cache", path);
        goto out;
    }
    uint32_t dim = get_le32(d + 8), id_len = get_le32(d + 12);
    uint64_t hlen = 16 + (uint64_t)id_len;
    if (dim == 0 || dim > (1u << 20) || hlen + 8 > n ||
        XXH3_64bits(d, hlen) != get_le64(d + hlen)) {
        rows = PITH_CORRUPT("%s: bad cache header", path);
        goto out;
    }
    size_t body = EMBED_CACHE_KEY_LEN + 4 * (size_t)dim, row_len = body + 8;
    uint64_t at = hlen + 8;
    if ((n - at) % row_len != 0) {
        rows = PITH_CORRUPT("%s: %zu bytes of a partial row at the end", path,
                            (size_t)((n - at) % row_len));
        goto out;
    }
    struct embed_cache idx;
    memset(&idx, 0, sizeof idx);
    for (; at < n; at += row_len, rows++) {
        if (XXH3_64bits(d + at, body) != get_le64(d + at + body)) {
            rows = PITH_CORRUPT("%s: row %ld fails its checksum", path, rows);
            break;
        }
        if (index_find(&idx, d + at) >= 0) {
            rows = PITH_CORRUPT("%s: row %ld repeats a key", path, rows);
            break;
        }
        index_add(&idx, d + at, 0);
    }
    free(idx.slots);
    pith_vec_release(&idx.keys);
    pith_vec_release(&idx.used);
out:
    pith_map_release(&m);
    return rows;
}

/* ---- the caching embedder --------------------------------------------------------------- */

struct cached {
    struct pith_embedder base;
    struct pith_embedder *inner;
    struct embed_cache *cache;
    char *cache_id;
    struct embed_cache_stats stats;
};

/* The misses of one embed_batch call, streamed into the cache and `out`. */
struct miss_sink {
    struct cached *c;
    float *out;
    const size_t *row;         /* miss i -> row of `out` */
    const uint8_t (*keys)[32]; /* per miss */
};

static int miss_arrived(size_t first, size_t count, const float *vectors, void *payload)
{
    struct miss_sink *s = payload;
    uint32_t dim = s->c->base.dim;
    for (size_t i = 0; i < count; i++) {
        size_t m = first + i;
        memcpy(s->out + s->row[m] * dim, vectors + i * dim, dim * sizeof *vectors);
        int err = embed_cache_put(s->c->cache, s->keys[m], vectors + i * dim);
        if (err < 0)
            return err;
    }
    s->c->stats.embedded += count;
    return 0;
}

static int
cached_batch(struct pith_embedder *self, const char *const *texts, size_t count, float *out)
{
    struct cached *c = self->state;
    struct pith_embedder *in = c->inner;
    const char *prefix = in->doc_prefix ? in->doc_prefix : "";
    uint8_t(*keys)[32] = pith_xmalloc((count + 1) * sizeof *keys);
    size_t *row = pith_xmalloc((count + 1) * sizeof *row);
    const char **miss = pith_xmalloc((count + 1) * sizeof *miss);
    size_t nmiss = 0;
    int err = 0;
    for (size_t i = 0; i < count; i++) {
        uint8_t k[32];
        embed_cache_key(k, c->cache_id, prefix, texts[i]);
        int got = embed_cache_get(c->cache, k, out + i * self->dim);
        if (got < 0) {
            err = got;
            goto out;
        }
        if (got) {
            c->stats.reused++;
            continue;
        }
        /* a text repeated in one call is embedded each time; the cache keeps one row */
        memcpy(keys[nmiss], k, 32);
        row[nmiss] = i;
        miss[nmiss++] = texts[i];
    }
    if (nmiss) {
        struct miss_sink s = { c, out, row, (const uint8_t(*)[32])keys };
        if (in->embed_stream) {
            err = in->embed_stream(in, miss, nmiss, miss_arrived, &s);
        } else {
            float *v = pith_xmalloc((nmiss * self->dim + 1) * sizeof *v);
            for (size_t i = 0; i < nmiss && !err; i += 256) {
                size_t n = nmiss - i < 256 ? nmiss - i : 256;
                err = in->embed_batch(in, miss + i, n, v);
                if (!err)
                    err = miss_arrived(i, n, v, &s);
            }
            free(v);
        }
    }
out:
    free(keys);
    free(row);
    free(miss);
    return err;
}

static int
cached_query(struct pith_embedder *self, const char *const *texts, size_t count, float *out)
{
    struct cached *c = self->state;
    struct pith_embedder *in = c->inner;
    return in->embed_query ? in->embed_query(in, texts, count, out)
                           : in->embed_batch(in, texts, count, out);
}

static void cached_free(struct pith_embedder *self)
{
    struct cached *c = self->state;
    embed_cache_close(c->cache);
    pith_embedder_free(c->inner);
    free(c->cache_id);
    free(c);
}

int embed_cache_embedder_new(struct pith_embedder **out,
                             struct pith_embedder *inner,
                             const char *dir,
                             unsigned summary_version)
{
    *out = NULL;
    struct cached *c = pith_xcalloc(1, sizeof *c);
    struct pith_buf id = PITH_BUF_INIT;
    pith_buf_printf(&id, "%s;summary=v%u", inner->id, summary_version);
    c->cache_id = pith_buf_detach(&id, NULL);
    c->inner = inner;
    c->base.state = c;
    int err = embed_cache_open(&c->cache, dir, c->cache_id, inner->dim);
    if (err < 0) {
        cached_free(&c->base);
        return err;
    }
    c->stats.dropped_bytes = embed_cache_dropped_bytes(c->cache);
    c->base.id = inner->id;
    c->base.dim = inner->dim;
    c->base.doc_prefix = inner->doc_prefix;
    c->base.http = inner->http;
    c->base.embed_batch = cached_batch;
    c->base.embed_query = cached_query;
    c->base.free = cached_free;
    c->base.state = c;
    *out = &c->base;
    return 0;
}

int embed_cache_embedder_finish(struct pith_embedder *e, struct embed_cache_stats *out)
{
    struct cached *c = e->state;
    long n = embed_cache_compact(c->cache);
    if (n < 0)
        return (int)n;
    c->stats.collected = n;
    *out = c->stats;
    return 0;
}

int embed_cache_verify_dir(struct pith_buf *out, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return pith_error_set(PITH_EIO, "cannot open cache folder %s: %s", dir, strerror(errno));
    int bad = 0;
    struct dirent *e;
    struct pith_buf path = PITH_BUF_INIT;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".vec") != 0)
            continue;
        pith_buf_clear(&path);
        pith_buf_printf(&path, "%s/%s", dir, e->d_name);
        long rows = embed_cache_verify(path.ptr);
        if (rows < 0) {
            pith_buf_printf(out, "%s: %s\n", path.ptr, pith_error_last());
            bad++;
        } else {
            pith_buf_printf(out, "%s: %ld rows\n", path.ptr, rows);
        }
    }
    closedir(d);
    pith_buf_release(&path);
    return bad;
}
