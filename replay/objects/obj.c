/* obj.c - the object tracker: which neighbor, path or TCP connection each block is about.
 *
 * Owns two bounded tables: offloaded objects by the host's handle id (learnt from initiate
 * state at request-in; forgotten after a successful terminate or a failed initiate) and
 * operations in flight by op_id (edge-1 identities for edges 2 and 3). Each is capped; a full
 * table drops its least recently used half, so lost completions cannot grow it without limit.
 */
#define _DEFAULT_SOURCE /* inet_ntop */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "obj.h"
#include "obj_map.h"

#define OBJ_MAX_OBJECTS (1u << 18)
#define OBJ_MAX_OPS (1u << 16)

#define STATUS_SUCCESS 0x00000000u
#define STATUS_PARTIAL_SUCCESS 0x40020004u

typedef struct obj_entry {
    obj_identity id;
    uint64_t handle;
    uint64_t stamp;         /* last use, for eviction */
} obj_entry;

typedef struct op_entry {
    uint64_t op_id;
    uint64_t stamp;
    uint32_t n, cap;
    obj_identity *ids;      /* identities at edge 1, by pre-order index */
    uint8_t *learnt;        /* 1: block i was a new offload learnt at edge 1 */
} op_entry;

/* A slab of T with a free list of indices: entries keep their index while they live. */
typedef struct slab {
    void *v;
    size_t elt, n, cap;
    uint32_t *free_idx;
    size_t n_free;
} slab;

struct obj_tracker {
    obj_map by_handle;      /* handle id -> index in objects */
    obj_map by_op;          /* op_id -> index in ops */
    slab objects;           /* obj_entry */
    slab ops;               /* op_entry */
    uint64_t stamp;
    obj_identity *cur;      /* the answer for the event last fed */
    size_t cur_cap;
    size_t cur_n;
};

static const obj_identity none_identity;

/* ------------------------------------------------------------------------------------ */
/* Slabs                                                                                 */

static void *slab_at(const slab *s, size_t i)
{
    return (char *)s->v + i * s->elt;
}

/* Index of a fresh zeroed element, or -1 when out of memory. */
static long slab_alloc(slab *s)
{
    size_t i;
    if (s->n_free > 0) {
        i = s->free_idx[--s->n_free];
    } else {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            void *v = realloc(s->v, cap * s->elt);
            uint32_t *f = v ? realloc(s->free_idx, cap * sizeof *f) : NULL;
            if (!v)
                return -1;
            s->v = v;
            if (!f)
                return -1;
            s->free_idx = f;
            s->cap = cap;
        }
        i = s->n++;
        memset(slab_at(s, i), 0, s->elt);  /* fresh; a reused one keeps its buffers */
    }
    return (long)i;
}

static void slab_release(slab *s, size_t i)
{
    s->free_idx[s->n_free++] = (uint32_t)i;
}

/* ------------------------------------------------------------------------------------ */
/* Formatting and ordering                                                               */

static void fmt_addr(char *buf, size_t size, int family, const uint8_t *a)
{
    if (family != 4 && family != 6) {
        snprintf(buf, size, "?");
        return;
    }
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)size))
        snprintf(buf, size, "?");
}

int obj_format(const obj_identity *id, char *buf, size_t size)
{
    char s[INET6_ADDRSTRLEN + 2], d[INET6_ADDRSTRLEN + 2];
    const char *lb = "", *rb = "";

    if (!id)
        return snprintf(buf, size, "-");
    switch (id->kind) {
    case OBJ_NEIGHBOR:
        return snprintf(buf, size, "neighbor %02x:%02x:%02x:%02x:%02x:%02x vlan %u", id->mac[0],
                        id->mac[1], id->mac[2], id->mac[3], id->mac[4], id->mac[5],
                        (unsigned)id->vlan);
    case OBJ_PATH:
        fmt_addr(s, sizeof s, id->family, id->src);
        fmt_addr(d, sizeof d, id->family, id->dst);
        return snprintf(buf, size, "path %s -> %s", s, d);
    case OBJ_TCP:
        fmt_addr(s, sizeof s, id->family, id->src);
        fmt_addr(d, sizeof d, id->family, id->dst);
        if (id->family == 6)
            lb = "[", rb = "]";
        return snprintf(buf, size, "tcp %s%s%s:%u -> %s%s%s:%u", lb, s, rb, (unsigned)id->lport,
                        lb, d, rb, (unsigned)id->rport);
    default:
        return snprintf(buf, size, "-");
    }
}

static int cmp_num(unsigned a, unsigned b)
{
    return a < b ? -1 : a > b;
}

uint64_t obj_hash(const obj_identity *id, uint64_t h)
{
    uint8_t b[46];

    b[0] = (uint8_t)id->kind, b[1] = id->family;
    b[2] = (uint8_t)id->vlan, b[3] = (uint8_t)(id->vlan >> 8);
    memcpy(b + 4, id->mac, 6);
    memcpy(b + 10, id->src, 16);
    memcpy(b + 26, id->dst, 16);
    b[42] = (uint8_t)id->lport, b[43] = (uint8_t)(id->lport >> 8);
    b[44] = (uint8_t)id->rport, b[45] = (uint8_t)(id->rport >> 8);
    for (size_t i = 0; i < sizeof b; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

int obj_cmp(const obj_identity *a, const obj_identity *b)
{
    int c;
    if ((c = cmp_num((unsigned)a->kind, (unsigned)b->kind)) != 0)
        return c;
    if ((c = cmp_num(a->family, b->family)) != 0)
        return c;
    if ((c = cmp_num(a->vlan, b->vlan)) != 0)
        return c;
    if ((c = memcmp(a->mac, b->mac, sizeof a->mac)) != 0)
        return c;
    if ((c = memcmp(a->src, b->src, sizeof a->src)) != 0)
        return c;
    if ((c = memcmp(a->dst, b->dst, sizeof a->dst)) != 0)
        return c;
    if ((c = cmp_num(a->lport, b->lport)) != 0)
        return c;
    return cmp_num(a->rport, b->rport);
}

/* ------------------------------------------------------------------------------------ */
/* Lifetime                                                                              */

ct_err obj_tracker_new(obj_tracker **out)
{
    obj_tracker *t;
    if (!out)
        return CT_ERR_ARG;
    t = calloc(1, sizeof *t);
    if (!t)
        return CT_ERR_NOMEM;
    obj_map_init(&t->by_handle);
    obj_map_init(&t->by_op);
    t->objects.elt = sizeof(obj_entry);
    t->ops.elt = sizeof(op_entry);
    *out = t;
    return CT_OK;
}

void obj_tracker_free(obj_tracker *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ops.n; i++) {
        op_entry *o = slab_at(&t->ops, i);
        free(o->ids);
        free(o->learnt);
    }
    free(t->ops.v);
    free(t->ops.free_idx);
    free(t->objects.v);
    free(t->objects.free_idx);
    obj_map_fini(&t->by_handle);
    obj_map_fini(&t->by_op);
    free(t->cur);
    free(t);
}

/* ------------------------------------------------------------------------------------ */
/* Bounded tables                                                                        */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Drop the least recently used half of a table (stamps below the median). */
static void evict_half(obj_map *m, slab *s, size_t stamp_off)
{
    size_t pos = 0, k = 0, n = m->n, n_old = 0;
    uint64_t key, val, median;
    uint64_t *stamps = malloc(n * sizeof *stamps), *old = malloc(n * sizeof *old);
    if (!stamps || !old) {
        free(stamps);
        free(old);
        return;
    }
    while (obj_map_next(m, &pos, &key, &val))
        stamps[k++] = *(uint64_t *)((char *)slab_at(s, val) + stamp_off);
    qsort(stamps, k, sizeof *stamps, cmp_u64);
    median = stamps[k / 2];
    for (int le = 0; le < 2 && n_old == 0; le++) {  /* '<=' only when all stamps tie */
        pos = 0;
        while (obj_map_next(m, &pos, &key, &val)) {
            uint64_t st = *(uint64_t *)((char *)slab_at(s, val) + stamp_off);
            if (st < median || (le && st == median))
                old[n_old++] = key;
        }
    }
    for (size_t i = 0; i < n_old; i++) {
        uint64_t idx = *obj_map_get(m, old[i]);
        obj_map_del(m, old[i]);
        slab_release(s, (size_t)idx);
    }
    free(stamps);
    free(old);
}

static void object_forget(obj_tracker *t, uint64_t handle)
{
    uint64_t *v = obj_map_get(&t->by_handle, handle);
    if (!v)
        return;
    size_t idx = (size_t)*v;
    obj_map_del(&t->by_handle, handle);
    slab_release(&t->objects, idx);
}

static ct_err object_put(obj_tracker *t, uint64_t handle, const obj_identity *id)
{
    uint64_t *v = obj_map_get(&t->by_handle, handle);
    obj_entry *e;
    long idx;
    if (v) {
        e = slab_at(&t->objects, (size_t)*v);
    } else {
        if (t->by_handle.n >= OBJ_MAX_OBJECTS)
            evict_half(&t->by_handle, &t->objects, offsetof(obj_entry, stamp));
        if ((idx = slab_alloc(&t->objects)) < 0)
            return CT_ERR_NOMEM;
        if (obj_map_put(&t->by_handle, handle, (uint64_t)idx) != CT_OK) {
            slab_release(&t->objects, (size_t)idx);
            return CT_ERR_NOMEM;
        }
        e = slab_at(&t->objects, (size_t)idx);
    }
    e->id = *id;
    e->handle = handle;
    e->stamp = t->stamp;
    return CT_OK;
}

static const obj_identity *object_get(obj_tracker *t, uint64_t handle)
{
    uint64_t *v = obj_map_get(&t->by_handle, handle);
    obj_entry *e;
    if (!v)
        return NULL;
    e = slab_at(&t->objects, (size_t)*v);
    e->stamp = t->stamp;
    return &e->id;
}

static op_entry *op_get(obj_tracker *t, uint64_t op_id)
{
    uint64_t *v = obj_map_get(&t->by_op, op_id);
    return v ? slab_at(&t->ops, (size_t)*v) : NULL;
}

static void op_forget(obj_tracker *t, uint64_t op_id)
{
    uint64_t *v = obj_map_get(&t->by_op, op_id);
    if (!v)
        return;
    size_t idx = (size_t)*v;
    obj_map_del(&t->by_op, op_id);
    slab_release(&t->ops, idx);  /* keeps ids/learnt buffers for reuse */
}

/* Remember the identities just computed for edge 1 of op_id. */
static ct_err op_put(obj_tracker *t, uint64_t op_id, const uint8_t *learnt, size_t n)
{
    op_entry *o = op_get(t, op_id);
    if (!o) {
        long idx;
        if (t->by_op.n >= OBJ_MAX_OPS)
            evict_half(&t->by_op, &t->ops, offsetof(op_entry, stamp));
        if ((idx = slab_alloc(&t->ops)) < 0)
            return CT_ERR_NOMEM;
        o = slab_at(&t->ops, (size_t)idx);
        if (obj_map_put(&t->by_op, op_id, (uint64_t)idx) != CT_OK) {
            slab_release(&t->ops, (size_t)idx);
            return CT_ERR_NOMEM;
        }
    }
    if (n > o->cap) {
        obj_identity *ids = realloc(o->ids, n * sizeof *ids);
        uint8_t *l = ids ? realloc(o->learnt, n) : NULL;
        if (ids)
            o->ids = ids;
        if (!l)
            return CT_ERR_NOMEM;
        o->learnt = l;
        o->cap = (uint32_t)n;
    }
    o->op_id = op_id;
    o->stamp = t->stamp;
    o->n = (uint32_t)n;
    if (n) {
        memcpy(o->ids, t->cur, n * sizeof *o->ids);
        memcpy(o->learnt, learnt, n);
    }
    return CT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Learning identities from initiate state                                               */

static int family_of(const ProtobufCBinaryData *a, uint32_t header_type)
{
    if (a->len == 16)
        return 6;
    if (a->len == 4)
        return 4;
    return header_type >= 9 && header_type <= 12 ? 6 : 4;
}

static void copy_addr(uint8_t dst[16], const ProtobufCBinaryData *a)
{
    memcpy(dst, a->data, a->len < 16 ? a->len : 16);
}

/* The identity a new-offload block at edge 1 of an initiate carries, from its state. TCP
 * takes its addresses from its parent path (ids[parent], already known: pre-order puts a
 * parent first, whether the parent is a new offload or a linker). 0 when the block carries
 * no identifying state. */
static int learn(const Chimtrace__V1__Event *ev, size_t i, const obj_identity *ids,
                 obj_identity *out)
{
    const Chimtrace__V1__Block *b = ev->block[i];
    memset(out, 0, sizeof *out);
    if (b->tcp_const) {
        const Chimtrace__V1__TcpConst *tc = b->tcp_const;
        out->kind = OBJ_TCP;
        out->lport = tc->has_local_port ? (uint16_t)ct_print_port(tc->local_port) : 0;
        out->rport = tc->has_remote_port ? (uint16_t)ct_print_port(tc->remote_port) : 0;
        if (b->has_parent && b->parent < i && ids[b->parent].kind == OBJ_PATH) {
            const obj_identity *p = &ids[b->parent];
            out->family = p->family;
            memcpy(out->src, p->src, sizeof out->src);
            memcpy(out->dst, p->dst, sizeof out->dst);
        }
        return 1;
    }
    if (b->path_const) {
        const Chimtrace__V1__PathConst *pc = b->path_const;
        const ProtobufCBinaryData *sa = &pc->source_address, *da = &pc->destination_address;
        out->kind = OBJ_PATH;
        out->family = (uint8_t)family_of(pc->has_source_address ? sa : da, b->header_type);
        if (pc->has_source_address)
            copy_addr(out->src, sa);
        if (pc->has_destination_address)
            copy_addr(out->dst, da);
        return 1;
    }
    if (b->neighbor_cached || b->neighbor_const) {
        out->kind = OBJ_NEIGHBOR;
        if (b->neighbor_cached && b->neighbor_cached->has_dl_destination_address) {
            const ProtobufCBinaryData *m = &b->neighbor_cached->dl_destination_address;
            memcpy(out->mac, m->data, m->len < 6 ? m->len : 6);
        }
        if (b->neighbor_const && b->neighbor_const->has_vlan_id)
            out->vlan = (uint16_t)(b->neighbor_const->vlan_id & 0xFFFu);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Feeding events                                                                        */

static uint64_t handle_of(const Chimtrace__V1__Block *b)
{
    return b->has_offload_handle_id ? b->offload_handle_id : 0;
}

/* Edge 1: initiate learns new offloads; everything else is looked up by the upper handle.
 * The identities are kept by op_id for edges 2 and 3. */
static ct_err feed_request_in(obj_tracker *t, const Chimtrace__V1__Event *ev)
{
    int initiate = ev->has_op && ev->op == CHIMTRACE__V1__OPERATION__OP_INITIATE;
    uint8_t small[64], *learnt = ev->n_block <= sizeof small ? small : malloc(ev->n_block);
    ct_err err = CT_OK;

    if (!learnt)
        return CT_ERR_NOMEM;
    for (size_t i = 0; i < ev->n_block; i++) {
        uint64_t h = handle_of(ev->block[i]);
        learnt[i] = 0;
        if (initiate && h != 0 && learn(ev, i, t->cur, &t->cur[i])) {
            learnt[i] = 1;
            if ((err = object_put(t, h, &t->cur[i])) != CT_OK)
                break;
        } else if (h != 0) {
            const obj_identity *id = object_get(t, h);
            if (id)
                t->cur[i] = *id;
        }
    }
    if (err == CT_OK && ev->has_op_id)
        err = op_put(t, ev->op_id, learnt, ev->n_block);
    if (learnt != small)
        free(learnt);
    return err;
}

/* Edges 2 and 3 carry the IM's own handles: same pre-order block as edge 1. */
static void feed_lower(obj_tracker *t, const Chimtrace__V1__Event *ev)
{
    op_entry *o = ev->has_op_id ? op_get(t, ev->op_id) : NULL;
    if (!o)
        return;
    o->stamp = t->stamp;
    for (size_t i = 0; i < ev->n_block && i < o->n; i++)
        t->cur[i] = o->ids[i];
}

static int is_offload_success(uint32_t status)
{
    return status == STATUS_SUCCESS || status == STATUS_PARTIAL_SUCCESS;
}

/* Edge 4: the upper handles are back. Identify by handle (falling back to the block's
 * edge-1 identity), then forget what this completion ends: objects a terminate uploaded,
 * and new offloads an initiate failed. */
static void feed_completion_out(obj_tracker *t, const Chimtrace__V1__Event *ev)
{
    op_entry *o = ev->has_op_id ? op_get(t, ev->op_id) : NULL;
    int terminate = ev->has_op && ev->op == CHIMTRACE__V1__OPERATION__OP_TERMINATE;
    int initiate = ev->has_op && ev->op == CHIMTRACE__V1__OPERATION__OP_INITIATE;

    for (size_t i = 0; i < ev->n_block; i++) {
        uint64_t h = handle_of(ev->block[i]);
        const obj_identity *id = h ? object_get(t, h) : NULL;
        if (id)
            t->cur[i] = *id;
        else if (o && i < o->n)
            t->cur[i] = o->ids[i];
    }
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        uint64_t h = handle_of(b);
        if (h == 0 || !b->has_status)
            continue;
        if (terminate && b->status == STATUS_SUCCESS)
            object_forget(t, h);
        else if (initiate && o && i < o->n && o->learnt[i] && !is_offload_success(b->status))
            object_forget(t, h);
    }
    if (o)
        op_forget(t, ev->op_id);
}

ct_err obj_tracker_feed(obj_tracker *t, const Chimtrace__V1__Event *ev,
                        const obj_identity **ids)
{
    size_t n = ev->n_block;
    ct_err err = CT_OK;

    if (n > t->cur_cap) {
        obj_identity *c = realloc(t->cur, n * sizeof *c);
        if (!c) {
            t->cur_n = 0;
            *ids = &none_identity;
            return CT_ERR_NOMEM;
        }
        t->cur = c;
        t->cur_cap = n;
    }
    t->cur_n = n;
    if (n)
        memset(t->cur, 0, n * sizeof *t->cur);
    t->stamp++;
    switch (ev->has_edge ? ev->edge : 0) {
    case CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE:
        err = feed_request_in(t, ev);
        break;
    case CHIMTRACE__V1__EDGE__EDGE_REQUEST_OUT_BELOW:
    case CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW:
        feed_lower(t, ev);
        break;
    case CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE:
        feed_completion_out(t, ev);
        break;
    default:
        break;
    }
    *ids = n ? t->cur : &none_identity;
    return err;
}

const obj_identity *obj_tracker_root(const obj_tracker *t)
{
    return t->cur_n ? &t->cur[0] : &none_identity;
}
