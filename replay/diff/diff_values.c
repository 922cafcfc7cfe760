/* diff_values.c - how diff names fields and shows values: which fields are compared, ids
 * or skipped, the dotted path of a field, scalar values as report text, and the packed
 * positions that name an id by the place it first appeared.
 *
 * Names come from the protobuf-c descriptors and from ct_print (operations, edges, NDIS
 * statuses, state types), so every tool spells them the same way.
 */
#define _DEFAULT_SOURCE /* inet_ntop */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ct_print.h"
#include "ct_print_int.h"
#include "diff_int.h"

/* Event fields that are run-specific numbers: seq, ts_ns, ring, op_id (alignment keys,
 * compared by position and timing instead) and frame (pcap numbers: frames are ignored). */
static int event_skip(uint32_t id)
{
    return id == 1 || id == 2 || id == 3 || id == 6 || id == 14;
}

/* TraceHeader fields that describe one run (FORMAT.md §6.7). */
static int header_skip(uint32_t id)
{
    return id == 4 || id == 9 || id == 16 || id == 17 || id == 18;
}

static int is_integer(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_UINT64 || t == PROTOBUF_C_TYPE_FIXED64 ||
           t == PROTOBUF_C_TYPE_INT64 || t == PROTOBUF_C_TYPE_UINT32 ||
           t == PROTOBUF_C_TYPE_FIXED32 || t == PROTOBUF_C_TYPE_INT32;
}

static diff_mode field_mode_of(const ProtobufCMessageDescriptor *d,
                               const ProtobufCFieldDescriptor *fd)
{
    size_t n;
    if (d == &chimtrace__v1__event__descriptor && event_skip(fd->id))
        return DIFF_MODE_SKIP;
    if (d == &chimtrace__v1__trace_header__descriptor && header_skip(fd->id))
        return DIFF_MODE_SKIP;
    n = strlen(fd->name);
    if (is_integer(fd->type) && n > 3 && memcmp(fd->name + n - 3, "_id", 3) == 0)
        return DIFF_MODE_ID;
    return DIFF_MODE_COMPARE;
}

/* Modes are looked up for every field of every event: they are worked out once, for every
 * message type reachable from Event and TraceHeader, into a small table. */
#define MAX_DESCS 32

static diff_desc_info descs[MAX_DESCS];
static size_t n_descs;
static pthread_once_t descs_once = PTHREAD_ONCE_INIT;

static diff_desc_info *desc_add(const ProtobufCMessageDescriptor *d)
{
    diff_desc_info *di;
    for (size_t i = 0; i < n_descs; i++)
        if (descs[i].d == d)
            return &descs[i];
    if (n_descs == MAX_DESCS || d->n_fields > DIFF_MAX_FIELDS)
        return NULL;
    di = &descs[n_descs++];
    di->d = d;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        di->mode[i] = (uint8_t)field_mode_of(d, fd);
        int ids = di->mode[i] == DIFF_MODE_ID;
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE && di->mode[i] != DIFF_MODE_SKIP) {
            const diff_desc_info *sub = desc_add(fd->descriptor);
            ids = !sub || sub->has_ids;     /* unknown: assume it may hold ids */
        }
        if (ids) {
            di->has_ids = 1;
            di->id_field[di->n_id_fields++] = (uint8_t)i;
        }
    }
    return di;
}

static void descs_build(void)
{
    desc_add(&chimtrace__v1__event__descriptor);
    desc_add(&chimtrace__v1__trace_header__descriptor);
}

const diff_desc_info *diff_desc_info_of(const ProtobufCMessageDescriptor *d)
{
    pthread_once(&descs_once, descs_build);
    for (size_t i = 0; i < n_descs; i++)
        if (descs[i].d == d)
            return &descs[i];
    return NULL;
}

diff_mode diff_field_mode(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *fd)
{
    const diff_desc_info *di = diff_desc_info_of(d);
    return di ? (diff_mode)di->mode[fd - d->fields] : field_mode_of(d, fd);
}

/* ------------------------------------------------------------------------------------ */
/* Scalars                                                                               */

static void fmt_bytes(char *buf, size_t size, const ProtobufCFieldDescriptor *fd,
                      const ProtobufCBinaryData *b)
{
    size_t n = strlen(fd->name), o = 0;
    int address = n >= 7 && strcmp(fd->name + n - 7, "address") == 0;
    int dl = strncmp(fd->name, "dl_", 3) == 0;
    if (address && !dl && (b->len == 4 || b->len == 16) &&
        inet_ntop(b->len == 4 ? AF_INET : AF_INET6, b->data, buf, (socklen_t)size))
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < b->len && o + 4 < size; i++)
        o += (size_t)snprintf(buf + o, size - o, dl && i ? ":%02x" : "%02x", b->data[i]);
    if (b->len == 0)
        snprintf(buf, size, "(empty)");
}

static void fmt_string(char *buf, size_t size, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 1 < size; s++)
        buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    buf[o] = '\0';
}

static void fmt_u32(char *buf, size_t size, const ProtobufCFieldDescriptor *fd, uint32_t v)
{
    const char *name = NULL;
    if (strcmp(fd->name, "status") == 0 || strcmp(fd->name, "indication_code") == 0) {
        name = ct_print_status_name(v);
        if (!name) {
            snprintf(buf, size, "0x%08x", v);
            return;
        }
    } else if (strcmp(fd->name, "header_type") == 0) {
        name = ct_print_state_type_name(v);
    }
    if (name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%" PRIu32, v);
}

void diff_format_scalar(char *buf, size_t size, const ProtobufCFieldDescriptor *fd,
                        const void *p)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        fmt_u32(buf, size, fd, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        snprintf(buf, size, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, size, "%" PRIu64, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, size, "%" PRId64, *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        snprintf(buf, size, "%s", *(const protobuf_c_boolean *)p ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        snprintf(buf, size, "%g", (double)*(const float *)p);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        snprintf(buf, size, "%g", *(const double *)p);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const char *name = ct_print_enum_value_name(fd->descriptor, v);
        if (name)
            snprintf(buf, size, "%s", name);
        else
            snprintf(buf, size, "%d", v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        fmt_string(buf, size, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES:
        fmt_bytes(buf, size, fd, (const ProtobufCBinaryData *)p);
        break;
    default:
        snprintf(buf, size, "(present)");
        break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Paths                                                                                 */

static size_t append(char *buf, size_t size, size_t o, const char *fmt, const char *s, long i)
{
    int n;
    if (o >= size)
        return o;
    n = i >= 0 ? snprintf(buf + o, size - o, fmt, s, i) : snprintf(buf + o, size - o, fmt, s);
    return n < 0 ? o : o + (size_t)n;
}

void diff_path(char *buf, size_t size, const diff_cmp *c, const char *suffix)
{
    size_t o = 0;
    buf[0] = '\0';
    o = append(buf, size, o, "%s", c->prefix ? c->prefix : "", -1);
    for (int k = 0; k < c->depth; k++) {
        const ProtobufCFieldDescriptor *fd = c->fd[k];
        int indexed = fd->label == PROTOBUF_C_LABEL_REPEATED && c->idx[k] != SIZE_MAX;
        o = append(buf, size, o, k ? ".%s" : "%s", fd->name, -1);
        if (indexed)
            o = append(buf, size, o, "%s[%ld]", "", (long)c->idx[k]);
    }
    if (suffix)
        append(buf, size, o, "%s", suffix, -1);
}

/* ------------------------------------------------------------------------------------ */
/* Positions: valid(1) slot(3) then three (field id, index) pairs: 8+16, 8+8, 8+8 bits.   */

#define POS_VALID (1ull << 63)

uint64_t diff_pos_make(int slot, const diff_cmp *c)
{
    static const int id_shift[3] = {52, 28, 12}, idx_shift[3] = {36, 20, 4};
    static const uint64_t idx_mask[3] = {0xFFFF, 0xFF, 0xFF};
    uint64_t p = POS_VALID | ((uint64_t)(slot & 7) << 60);
    for (int k = 0; k < c->depth && k < 3; k++) {
        uint64_t idx = c->idx[k] == SIZE_MAX ? 0 : (uint64_t)c->idx[k];
        p |= (uint64_t)(c->fd[k]->id & 0xFF) << id_shift[k];
        p |= (idx & idx_mask[k]) << idx_shift[k];
    }
    return p;
}

/* Rebuild "block[0].offload_handle_id" from a position, walking the Event descriptor. */
static void pos_path(char *buf, size_t size, uint64_t p)
{
    static const int id_shift[3] = {52, 28, 12}, idx_shift[3] = {36, 20, 4};
    static const uint64_t idx_mask[3] = {0xFFFF, 0xFF, 0xFF};
    const ProtobufCMessageDescriptor *d = &chimtrace__v1__event__descriptor;
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < 3 && d; k++) {
        unsigned id = (unsigned)((p >> id_shift[k]) & 0xFF);
        const ProtobufCFieldDescriptor *fd = id ? protobuf_c_message_descriptor_get_field(d, id)
                                                : NULL;
        if (!fd)
            break;
        o = append(buf, size, o, k ? ".%s" : "%s", fd->name, -1);
        if (fd->label == PROTOBUF_C_LABEL_REPEATED)
            o = append(buf, size, o, "%s[%ld]", "", (long)((p >> idx_shift[k]) & idx_mask[k]));
        d = fd->type == PROTOBUF_C_TYPE_MESSAGE ? fd->descriptor : NULL;
    }
}

void diff_format_label(char *buf, size_t size, uint64_t label, uint64_t here)
{
    char path[DIFF_TEXT];
    int slot = (int)((label >> 60) & 7), here_slot = (int)((here >> 60) & 7);
    if (label == 0) {
        snprintf(buf, size, "NULL");
    } else if (label == here) {
        snprintf(buf, size, "new id");
    } else if (!(label & POS_VALID)) {
        snprintf(buf, size, "id %" PRIu64, label);
    } else {
        pos_path(path, sizeof path, label);
        if (slot == here_slot)
            snprintf(buf, size, "same as %s", path);
        else
            snprintf(buf, size, "same as %s %s", ct_print_edge_name(slot), path);
    }
}
