/* Open-addressing hash map from byte strings to uint32 values (keys are borrowed, not copied;
 * keep them alive, e.g. in an arena, while the map is used). Also the project's hash function. */
#ifndef PITH_COMMON_HASHMAP_H
#define PITH_COMMON_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of `len` bytes (XXH3). */
uint64_t pith_hash64(const void *data, size_t len);

struct pith_map_entry {
    const char *key;
    uint32_t key_len;
    uint32_t value;
    uint64_t hash;
};

struct pith_hashmap {
    struct pith_map_entry *slots;
    size_t cap; /* power of two */
    size_t count;
};

void pith_hashmap_init(struct pith_hashmap *m);
void pith_hashmap_release(struct pith_hashmap *m);
/* Returns 1 and stores the value in *out when `key` is present, else 0. */
int pith_hashmap_get(const struct pith_hashmap *m, const char *key, size_t len, uint32_t *out);
/* Inserts or replaces. Returns 1 if the key was new. */
int pith_hashmap_put(struct pith_hashmap *m, const char *key, size_t len, uint32_t value);
/* Inserts only if absent; returns the value now stored. */
uint32_t pith_hashmap_intern(struct pith_hashmap *m, const char *key, size_t len, uint32_t value);

#endif
