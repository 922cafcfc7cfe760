/* ct_print.c - the generic JSON printer: walks protobuf-c descriptors, not our structs.
 *
 * Owns field presence (proto2 has_ flags, oneof cases, repeated counts), the JSON spelling
 * of every protobuf type and JSON string escaping. Being generic is the point: a field added
 * to chimtrace.proto shows up in `dump --format jsonl` with no change here, so the JSON can
 * serve as the complete, lossless view that diff and verify fall back on.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "ct_print_int.h"

/* ------------------------------------------------------------------------------------ */
/* Small output helpers                                                                  */

void ct_print_hex(FILE *out, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char buf[128];
    size_t used = 0;

    for (size_t i = 0; i < len; i++) {
        buf[used++] = digits[data[i] >> 4];
        buf[used++] = digits[data[i] & 0x0f];
        if (used == sizeof buf) {
            fwrite(buf, 1, used, out);
            used = 0;
        }
    }
    if (used)
        fwrite(buf, 1, used, out);
}

ct_err ct_print_check(FILE *out)
{
    return ferror(out) ? CT_ERR_IO : CT_OK;
}

/* Length of the valid UTF-8 sequence starting at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;

    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;  /* also stops at the terminating NUL */
    return len;
}

void ct_print_json_string(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    const unsigned char *run = s;  /* start of the bytes not yet written */

    putc('"', out);
    while (*s) {
        size_t len = 1;
        const char *esc = NULL;
        char ubuf[8];

        if (*s == '"')
            esc = "\\\"";
        else if (*s == '\\')
            esc = "\\\\";
        else if (*s < 0x20) {
            snprintf(ubuf, sizeof ubuf, "\\u%04x", *s);
            esc = ubuf;
        } else if (*s >= 0x80) {
            len = utf8_seq_len(s);
            if (len == 0) {
                esc = "\\ufffd";
                len = 1;
            }
        }
        if (esc) {
            fwrite(run, 1, (size_t)(s - run), out);
            fputs(esc, out);
            run = s + len;
        }
        s += len;
    }
    fwrite(run, 1, (size_t)(s - run), out);
    putc('"', out);
}

const char *ct_print_enum_value_name(const ProtobufCEnumDescriptor *ed, int value)
{
    const ProtobufCEnumValue *v = ed ? protobuf_c_enum_descriptor_get_value(ed, value) : NULL;
    return v ? v->name : NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Field presence                                                                        */

static int is_pointer_type(ProtobufCType t)
{
    return t == PROTOBUF_C_TYPE_MESSAGE || t == PROTOBUF_C_TYPE_STRING;
}

/* proto3 fields without presence (LABEL_NONE) count as present when not zero, which is
 * what protobuf-c's packer does. chimtrace.proto is proto2, so this is for completeness. */
static int is_zero(const ProtobufCFieldDescriptor *fd, const void *m)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)m == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)m == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)m == 0;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)m == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)m;
        return s == NULL || *s == '\0';
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)m)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)m == NULL;
    default:  /* the 32-bit integers and enums */
        return *(const uint32_t *)m == 0;
    }
}

/* Whether field `fd` of `msg` is present; if so *member points at its storage and *n is
 * the number of values (1, or the length of a repeated field). */
static int field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                         const void **member, size_t *n)
{
    const char *base = (const char *)msg;
    const void *m = base + fd->offset;
    const void *q = base + fd->quantifier_offset;

    *member = m;
    *n = 1;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        *n = *(const size_t *)q;
        *member = *(void *const *)m;
        return *n > 0 && *member != NULL;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*(const uint32_t *)q != fd->id)
            return 0;
        return !is_pointer_type(fd->type) || *(void *const *)m != NULL;
    }
    if (is_pointer_type(fd->type)) {
        const void *p = *(void *const *)m;
        if (fd->label == PROTOBUF_C_LABEL_REQUIRED)
            return p != NULL;
        return p != NULL && p != fd->default_value;
    }
    if (fd->label == PROTOBUF_C_LABEL_REQUIRED)
        return 1;
    if (fd->label == PROTOBUF_C_LABEL_OPTIONAL)
        return *(const protobuf_c_boolean *)q != 0;
    return !is_zero(fd, m);
}

int ct_print_each_field(const ProtobufCMessage *msg, ct_print_field_fn fn, void *ctx)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;

    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        const void *member;
        size_t n;
        int rc;

        if (!field_present(msg, fd, &member, &n))
            continue;
        rc = fn(ctx, fd, member, n);
        if (rc)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* JSON values                                                                           */

typedef struct json_ctx {
    FILE *out;
    int depth;
    int first;      /* no key written yet in the current object */
    ct_err err;
} json_ctx;

size_t ct_print_elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return sizeof(uint64_t);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return sizeof(uint32_t);
    }
}

/* JSON has no NaN or infinities; print them as the strings proto3's JSON mapping uses. */
static void json_double(FILE *out, double v, int digits)
{
    if (isnan(v))
        fputs("\"NaN\"", out);
    else if (isinf(v))
        fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", out);
    else
        fprintf(out, "%.*g", digits, v);
}

void ct_print_json_scalar(FILE *out, const ProtobufCFieldDescriptor *fd, const void *p)
{
    switch (fd->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        fprintf(out, "%" PRId32, *(const int32_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        fprintf(out, "%" PRIu32, *(const uint32_t *)p);
        break;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        fprintf(out, "%" PRId64, *(const int64_t *)p);
        break;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        fprintf(out, "%" PRIu64, *(const uint64_t *)p);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        json_double(out, *(const float *)p, 9);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        json_double(out, *(const double *)p, 17);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const char *name = ct_print_enum_value_name(fd->descriptor, v);
        if (name)
            ct_print_json_string(out, name);
        else
            fprintf(out, "%d", v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        ct_print_json_string(out, *(char *const *)p);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        putc('"', out);
        ct_print_hex(out, b->data, b->len);
        putc('"', out);
        break;
    }
    default:  /* messages (see json_value), or a type newer than this protobuf-c */
        fputs("null", out);
        break;
    }
}

static void json_message(json_ctx *jc, const ProtobufCMessage *msg);

static void json_value(json_ctx *jc, const ProtobufCFieldDescriptor *fd, const void *p)
{
    const ProtobufCMessage *sub;

    if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
        ct_print_json_scalar(jc->out, fd, p);
        return;
    }
    sub = *(ProtobufCMessage *const *)p;
    if (sub)
        json_message(jc, sub);
    else
        fputs("null", jc->out);
}

static int json_field(void *ctx, const ProtobufCFieldDescriptor *fd, const void *member,
                      size_t n)
{
    json_ctx *jc = ctx;
    FILE *out = jc->out;

    if (!jc->first)
        putc(',', out);
    jc->first = 0;
    ct_print_json_string(out, fd->name);
    putc(':', out);
    if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
        json_value(jc, fd, member);
        return 0;
    }
    putc('[', out);
    for (size_t i = 0; i < n; i++) {
        if (i)
            putc(',', out);
        json_value(jc, fd, (const char *)member + i * ct_print_elt_size(fd->type));
    }
    putc(']', out);
    return 0;
}

static void json_message(json_ctx *jc, const ProtobufCMessage *msg)
{
    int saved_first = jc->first;

    if (jc->depth >= CT_PRINT_MAX_DEPTH) {
        fputs("null", jc->out);
        jc->err = CT_ERR_LIMIT;
        return;
    }
    jc->depth++;
    jc->first = 1;
    putc('{', jc->out);
    ct_print_each_field(msg, json_field, jc);
    if (msg->n_unknown_fields)
        fprintf(jc->out, "%s\"_unknown_fields\":%u", jc->first ? "" : ",",
                msg->n_unknown_fields);
    putc('}', jc->out);
    jc->first = saved_first;
    jc->depth--;
}

ct_err ct_print_message_json(FILE *out, const ProtobufCMessage *msg)
{
    json_ctx jc = { out, 0, 1, CT_OK };

    if (!out || !msg || !msg->descriptor)
        return CT_ERR_ARG;
    json_message(&jc, msg);
    return jc.err != CT_OK ? jc.err : ct_print_check(out);
}

ct_err ct_print_record_json(FILE *out, const Chimtrace__V1__Record *rec)
{
    ct_err err;

    if (!rec)
        return CT_ERR_ARG;
    err = ct_print_message_json(out, &rec->base);
    if (err == CT_ERR_ARG)
        return err;
    putc('\n', out);
    return err != CT_OK ? err : ct_print_check(out);
}
