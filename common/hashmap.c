/* String -> u32 open-addressing map with linear probing (see hashmap.h). */
#include "hashmap.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t pith_hash64(const void *data, size_t len)
{
    return XXH3_64bits(data, len);
}

void pith_hashmap_init(struct pith_hashmap *m)
{
    m->slots = NULL;
    m->cap = m->count = 0;
}

void pith_hashmap_release(struct pith_hashmap *m)
{
    free(m->slots);
    pith_hashmap_init(m);
}

static struct pith_map_entry *
find(const struct pith_hashmap *m, const char *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct pith_map_entry *e = &m->slots[i];
        if (!e->key)
            return e;
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

static void grow(struct pith_hashmap *m)
{
    struct pith_hashmap n;
    n.cap = m->cap ? m->cap * 2 : 16;
    n.count = 0;
    n.slots = pith_xcalloc(n.cap, sizeof *n.slots);
    for (size_t i = 0; i < m->cap; i++) {
        struct pith_map_entry *e = &m->slots[i];
        if (e->key)
            *find(&n, e->key, e->key_len, e->hash) = *e;
    }
    n.count = m->count;
    free(m->slots);
    *m = n;
}

int pith_hashmap_get(const struct pith_hashmap *m, const char *key, size_t len, uint32_t *out)
{
    if (!m->count)
        return 0;
    struct pith_map_entry *e = find(m, key, len, pith_hash64(key, len));
    if (!e->key)
        return 0;
    *out = e->value;
    return 1;
}

int pith_hashmap_put(struct pith_hashmap *m, const char *key, size_t len, uint32_t value)
{
    if ((m->count + 1) * 4 >= m->cap * 3)
        grow(m);
    uint64_t h = pith_hash64(key, len);
    struct pith_map_entry *e = find(m, key, len, h);
    int is_new = e->key == NULL;
    e->key = key;
    e->key_len = (uint32_t)len;
    e->hash = h;
    e->value = value;
    m->count += (size_t)is_new;
    return is_new;
}

uint32_t pith_hashmap_intern(struct pith_hashmap *m, const char *key, size_t len, uint32_t value)
{
    if ((m->count + 1) * 4 >= m->cap * 3)
        grow(m);
    uint64_t h = pith_hash64(key, len);
    struct pith_map_entry *e = find(m, key, len, h);
    if (e->key)
        return e->value;
    e->key = key;
    e->key_len = (uint32_t)len;
    e->hash = h;
    e->value = value;
    m->count++;
    return value;
}
