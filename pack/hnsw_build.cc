// pith-pack: the extern "C" wrapper over hnswlib (see hnsw_build.h). The only C++ in pith.
#include "pack/hnsw_build.h"

#include <hnswlib/hnswlib.h>

#include <new>

struct hnsw_build {
    hnswlib::InnerProductSpace space;
    hnswlib::HierarchicalNSW<float> graph;
    hnsw_build(uint32_t dim, uint32_t capacity, uint32_t m, uint32_t efc, uint64_t seed)
        : space(dim), graph(&space, capacity, m, efc, seed)
    {
    }
};

extern "C" struct hnsw_build *hnsw_build_new(uint32_t dim,
                                             uint32_t capacity,
                                             uint32_t m,
                                             uint32_t ef_construction,
                                             uint64_t seed)
{
    try {
        return new hnsw_build(dim, capacity ? capacity : 1, m, ef_construction, seed);
    } catch (...) {
        return nullptr;
    }
}

extern "C" void hnsw_build_free(struct hnsw_build *b)
{
    delete b;
}

extern "C" int hnsw_build_add(struct hnsw_build *b, const float *vec, uint32_t label)
{
    try {
        b->graph.addPoint(vec, (hnswlib::labeltype)label);
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" uint32_t hnsw_build_count(const struct hnsw_build *b)
{
    return (uint32_t)b->graph.cur_element_count;
}

extern "C" uint32_t hnsw_build_label(const struct hnsw_build *b, uint32_t node)
{
    return (uint32_t)b->graph.getExternalLabel(node);
}

extern "C" int hnsw_build_level(const struct hnsw_build *b, uint32_t node)
{
    return b->graph.element_levels_[node];
}

extern "C" int hnsw_build_max_level(const struct hnsw_build *b)
{
    return b->graph.maxlevel_;
}

extern "C" uint32_t hnsw_build_entry(const struct hnsw_build *b)
{
    return (uint32_t)b->graph.enterpoint_node_;
}

extern "C" uint32_t hnsw_build_links(const struct hnsw_build *b,
                                     uint32_t node,
                                     int level,
                                     const uint32_t **out)
{
    hnswlib::linklistsizeint *ll = b->graph.get_linklist_at_level(node, level);
    *out = (const uint32_t *)(ll + 1);
    return (uint32_t)b->graph.getListCount(ll);
}

extern "C" int hnsw_build_save(struct hnsw_build *b, const char *path)
{
    try {
        b->graph.saveIndex(path);
        return 0;
    } catch (...) {
        return -1;
    }
}
