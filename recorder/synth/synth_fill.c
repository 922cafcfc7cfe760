/* synth_fill.c - ct_synth_fill_all: a Record with every field set, built from descriptors.
 *
 * Round-trip tests must cover every field the schema has, including ones added later, so
 * the builder does not name fields: it walks the protobuf-c descriptors recursively and
 * sets whatever it finds. Its allocations come from an arena owned by the ct_synth object
 * and released by ct_synth_free; nothing here is freed one message at a time.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_int.h"

#define ARENA_BLOCK_BYTES (64u * 1024u)
#define FILL_MAX_DEPTH 8        /* the schema has no recursion; this only guards against it */
#define FILL_REPEATED 2

struct syn_arena_block {
    syn_arena_block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

/* Zeroed memory from the arena; NULL when out of memory. */
static void *arena_alloc(ct_synth *s, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    syn_arena_block *b = s->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
        b = calloc(1, sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->next = s->arena;
        s->arena = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void syn_arena_free(ct_synth *s)
{
    while (s->arena) {
        syn_arena_block *next = s->arena->next;
        free(s->arena);
        s->arena = next;
    }
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    default: return 4;      /* 32-bit integers, float, enum (int-sized in protobuf-c) */
    }
}

/* A valid enum value other than 0, rotating through the enum's values. */
static int enum_value(const ProtobufCEnumDescriptor *ed, uint64_t c)
{
    unsigned nonzero = 0;
    for (unsigned i = 0; i < ed->n_values; i++)
        nonzero += ed->values[i].value != 0;
    if (!nonzero)
        return ed->values[0].value;
    unsigned pick = (unsigned)(c % nonzero);
    for (unsigned i = 0; i < ed->n_values; i++)
        if (ed->values[i].value != 0 && pick-- == 0)
            return ed->values[i].value;
    return ed->values[0].value;
}

static ct_err fill_message(ct_synth *s, ProtobufCMessage *m, unsigned oneof_id, int depth);

/* Set the value at `slot` (one element for repeated fields). Values never repeat within
 * one synth object: each comes from a fresh counter value mixed with the seed. */
static ct_err fill_value(ct_synth *s, const ProtobufCFieldDescriptor *f, void *slot, int depth)
{
    uint64_t c = ++s->fill_counter;
    uint32_t u32 = (uint32_t)(c * 0x9E3779B1u + s->seed);
    uint64_t u64 = c * 0x9E3779B97F4A7C15ull + s->seed;
    int32_t i32 = (int32_t)(u32 >> 2) + 1;
    int64_t i64 = (int64_t)(u64 >> 2) + 1;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        *(int32_t *)slot = (c & 1) ? -i32 : i32;    /* odd counters exercise negatives */
        return CT_OK;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)slot = u32 ? u32 : 1;
        return CT_OK;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        *(int64_t *)slot = (c & 1) ? -i64 : i64;
        return CT_OK;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)slot = u64 ? u64 : 1;
        return CT_OK;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)slot = (float)c + 0.5f; return CT_OK;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)slot = (double)c + 0.25; return CT_OK;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)slot = 1; return CT_OK;
    case PROTOBUF_C_TYPE_ENUM:
        *(int *)slot = enum_value(f->descriptor, c);
        return CT_OK;
    case PROTOBUF_C_TYPE_STRING: {
        size_t n = strlen(f->name) + 24;
        char *str = arena_alloc(s, n);
        if (!str)
            return CT_ERR_NOMEM;
        snprintf(str, n, "%s-%llu", f->name, (unsigned long long)c);
        *(char **)slot = str;
        return CT_OK;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = slot;
        b->len = 3 + (size_t)(c % 5);
        if (!(b->data = arena_alloc(s, b->len)))
            return CT_ERR_NOMEM;
        for (size_t i = 0; i < b->len; i++)
            b->data[i] = (uint8_t)(u64 >> (8 * (i % 8))) ^ (uint8_t)(i * 0x3B + 1);
        return CT_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *d = f->descriptor;
        ProtobufCMessage *sub = arena_alloc(s, d->sizeof_message);
        if (!sub)
            return CT_ERR_NOMEM;
        d->message_init(sub);
        *(ProtobufCMessage **)slot = sub;
        return fill_message(s, sub, 0, depth + 1);
    }
    }
    return CT_ERR_UNSUPPORTED;
}

static ct_err fill_repeated(ct_synth *s, const ProtobufCFieldDescriptor *f, char *base,
                            int depth)
{
    size_t es = elem_size(f->type);
    char *arr = arena_alloc(s, es * FILL_REPEATED);
    if (!arr)
        return CT_ERR_NOMEM;
    for (size_t i = 0; i < FILL_REPEATED; i++) {
        ct_err e = fill_value(s, f, arr + i * es, depth);
        if (e)
            return e;
    }
    *(size_t *)(base + f->quantifier_offset) = FILL_REPEATED;
    *(void **)(base + f->offset) = arr;
    return CT_OK;
}

/* Set every field of `m`. In each oneof, the member whose number is `oneof_id` is set, or
 * the first member when oneof_id is 0. */
static ct_err fill_message(ct_synth *s, ProtobufCMessage *m, unsigned oneof_id, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        ct_err e = CT_OK;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= FILL_MAX_DEPTH)
            continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
            if (oneof_id ? f->id != oneof_id : *which != 0)
                continue;
            *which = f->id;
            e = fill_value(s, f, base + f->offset, depth);
        } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            e = fill_repeated(s, f, base, depth);
        } else {
            e = fill_value(s, f, base + f->offset, depth);
            if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
                *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
        if (e)
            return e;
    }
    return CT_OK;
}

ct_err ct_synth_fill_all(ct_synth *s, int kind, Chimtrace__V1__Record **out)
{
    if (!s || !out || !protobuf_c_message_descriptor_get_field(&chimtrace__v1__record__descriptor,
                                                               (unsigned)kind))
        return CT_ERR_ARG;
    *out = NULL;
    Chimtrace__V1__Record *rec = arena_alloc(s, sizeof *rec);
    if (!rec)
        return CT_ERR_NOMEM;
    chimtrace__v1__record__init(rec);
    ct_err e = fill_message(s, &rec->base, (unsigned)kind, 0);
    if (e)
        return e;
    *out = rec;
    return CT_OK;
}
