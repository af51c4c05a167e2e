/* Unit tests of the embedding cache: round trip, torn tails, compaction, verification. */
#include "common/err.h"
#include "embed/cache.h"
#include "tests/harness/harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIM 8

static void vec_of(float *v, int seed)
{
    for (int i = 0; i < DIM; i++)
        v[i] = (float)(seed * 10 + i);
}

static void key_of(uint8_t *k, int seed)
{
    char text[32];
    snprintf(text, sizeof text, "summary %d", seed);
    embed_cache_key(k, "test@8;summary=v1", "", text);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

PITH_TEST(cache_key_separates_fields)
{
    uint8_t a[32], b[32];
    embed_cache_key(a, "id", "p", "c");
    embed_cache_key(b, "id", "p", "c");
    CHECK_EQ_MEM(a, b, 32);
    embed_cache_key(b, "id2", "p", "c");
    CHECK(memcmp(a, b, 32) != 0);
    embed_cache_key(b, "id", "q", "c");
    CHECK(memcmp(a, b, 32) != 0);
    /* SHA-256("x" 0x00 "pre:" "y") */
    embed_cache_key(a, "x", "pre:", "y");
    static const uint8_t want[4] = { 0x60, 0x5b, 0xb3, 0x77 };
    CHECK_EQ_MEM(a, want, 4);
}

PITH_TEST(cache_round_trip_and_resume)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/c", pith_test_tmpdir());
    struct embed_cache *c = NULL;
    CHECK_EQ_INT(embed_cache_open(&c, dir, "test@8;summary=v1", DIM), 0);
    if (!c)
        return;
    uint8_t k[32];
    float v[DIM], got[DIM];
    for (int i = 0; i < 5; i++) {
        key_of(k, i);
        vec_of(v, i);
        CHECK_EQ_INT(embed_cache_put(c, k, v), 0);
    }
    key_of(k, 2);
    vec_of(v, 2);
    CHECK_EQ_INT(embed_cache_put(c, k, v), 0); /* again: no new row */
    CHECK_EQ_INT(embed_cache_count(c), 5);
    char path[600];
    snprintf(path, sizeof path, "%s", embed_cache_path(c));
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_verify(path), 5);

    CHECK_EQ_INT(embed_cache_open(&c, dir, "test@8;summary=v1", DIM), 0);
    CHECK_EQ_INT(embed_cache_count(c), 5);
    CHECK_EQ_INT(embed_cache_dropped_bytes(c), 0);
    key_of(k, 3);
    vec_of(v, 3);
    CHECK_EQ_INT(embed_cache_get(c, k, got), 1);
    CHECK_EQ_MEM(got, v, sizeof v);
    key_of(k, 9);
    CHECK_EQ_INT(embed_cache_get(c, k, got), 0);
    embed_cache_close(c);

    /* another embedder id or dim is another file */
    CHECK_EQ_INT(embed_cache_open(&c, dir, "other@8;summary=v1", DIM), 0);
    CHECK_EQ_INT(embed_cache_count(c), 0);
    embed_cache_close(c);
}

PITH_TEST(cache_torn_tail_is_truncated)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/t", pith_test_tmpdir());
    struct embed_cache *c = NULL;
    CHECK_EQ_INT(embed_cache_open(&c, dir, "t", DIM), 0);
    if (!c)
        return;
    uint8_t k[32];
    float v[DIM];
    for (int i = 0; i < 3; i++) {
        key_of(k, i);
        vec_of(v, i);
        embed_cache_put(c, k, v);
    }
    char path[600];
    snprintf(path, sizeof path, "%s", embed_cache_path(c));
    embed_cache_close(c);
    long full = file_size(path), row = 32 + 4 * DIM + 8;
    /* a torn last row: cut 5 bytes */
    CHECK_EQ_INT(truncate(path, full - 5), 0);
    CHECK(embed_cache_verify(path) == PITH_ECORRUPT);
    CHECK_EQ_INT(embed_cache_open(&c, dir, "t", DIM), 0);
    CHECK_EQ_INT(embed_cache_count(c), 2);
    CHECK_EQ_INT(embed_cache_dropped_bytes(c), row - 5);
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_verify(path), 2);
    CHECK_EQ_INT(file_size(path), full - row);

    /* a flipped byte in row 1's vector: rows 1.. dropped, row 0 kept */
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    unsigned char byte;
    off_t at = (off_t)(full - 3 * row + row + 40);
    CHECK_EQ_INT(pread(fd, &byte, 1, at), 1);
    byte ^= 0x10;
    CHECK_EQ_INT(pwrite(fd, &byte, 1, at), 1);
    close(fd);
    CHECK(embed_cache_verify(path) == PITH_ECORRUPT);
    CHECK_EQ_INT(embed_cache_open(&c, dir, "t", DIM), 0);
    CHECK_EQ_INT(embed_cache_count(c), 1);
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_verify(path), 1);

    /* a torn header starts over */
    CHECK_EQ_INT(truncate(path, 10), 0);
    CHECK_EQ_INT(embed_cache_open(&c, dir, "t", DIM), 0);
    CHECK_EQ_INT(embed_cache_count(c), 0);
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_verify(path), 0);
}

PITH_TEST(cache_compact_keeps_used_rows)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/k", pith_test_tmpdir());
    struct embed_cache *c = NULL;
    CHECK_EQ_INT(embed_cache_open(&c, dir, "k", DIM), 0);
    if (!c)
        return;
    uint8_t k[32];
    float v[DIM], got[DIM];
    for (int i = 0; i < 6; i++) {
        key_of(k, i);
        vec_of(v, i);
        embed_cache_put(c, k, v);
    }
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_open(&c, dir, "k", DIM), 0);
    for (int i = 0; i < 6; i += 2) { /* use 0, 2, 4 */
        key_of(k, i);
        CHECK_EQ_INT(embed_cache_get(c, k, got), 1);
    }
    key_of(k, 7);
    vec_of(v, 7);
    embed_cache_put(c, k, v); /* new rows count as used */
    CHECK_EQ_INT(embed_cache_compact(c), 3);
    CHECK_EQ_INT(embed_cache_count(c), 4);
    key_of(k, 4);
    vec_of(v, 4);
    CHECK_EQ_INT(embed_cache_get(c, k, got), 1);
    CHECK_EQ_MEM(got, v, sizeof v);
    char path[600];
    snprintf(path, sizeof path, "%s", embed_cache_path(c));
    embed_cache_close(c);
    CHECK_EQ_INT(embed_cache_verify(path), 4);
    CHECK_EQ_INT(embed_cache_open(&c, dir, "k", DIM), 0);
    key_of(k, 1);
    CHECK_EQ_INT(embed_cache_get(c, k, got), 0);
    key_of(k, 7);
    CHECK_EQ_INT(embed_cache_get(c, k, got), 1);
    embed_cache_close(c);
}
