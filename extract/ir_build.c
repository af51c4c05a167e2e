/* The statement-building helpers shared by the IR lowerings (ir_build.h). */
#include "ir_build.h"

#include <stdint.h>
#include <string.h>

void ir_plist_push(ir_alloc_fn alloc, void *ctx, struct ir_plist *l, void *x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        void **items = alloc(ctx, cap * sizeof *items);
        if (l->n)
            memcpy(items, l->items, l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = x;
}

void ir_plist_add_str(ir_alloc_fn alloc, void *ctx, struct ir_plist *l, char *s, size_t cap)
{
    if (!s || !s[0] || l->n >= cap)
        return;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i], s) == 0)
            return;
    }
    ir_plist_push(alloc, ctx, l, s);
}

uint32_t *ir_plist_ids(struct ir_plist *l)
{
    uint32_t *u = (uint32_t *)l->items;
    for (size_t i = 0; i < l->n; i++)
        u[i] = (uint32_t)(uintptr_t)l->items[i];
    return u;
}

void ir_stmt_finish(struct ir_stmt *s)
{
    s->m.defs = (char **)s->defs.items;
    s->m.n_defs = s->defs.n;
    s->m.uses = (char **)s->uses.items;
    s->m.n_uses = s->uses.n;
    s->m.calls = (Pith__IrCall **)s->calls.items;
    s->m.n_calls = s->calls.n;
    s->m.n_body = s->body.n;
    s->m.body = ir_plist_ids(&s->body);
    s->m.n_orelse = s->orelse.n;
    s->m.orelse = ir_plist_ids(&s->orelse);
    s->m.n_handlers = s->handlers.n;
    s->m.handlers = ir_plist_ids(&s->handlers);
    s->m.n_finalbody = s->finalbody.n;
    s->m.finalbody = ir_plist_ids(&s->finalbody);
    s->m.n_kids = s->kids.n;
    s->m.kids = ir_plist_ids(&s->kids);
    s->m.n_update = s->update.n;
    s->m.update = ir_plist_ids(&s->update);
}
