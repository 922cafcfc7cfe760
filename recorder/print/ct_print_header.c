/* ct_print_header.c - a TraceHeader as "name: value" lines for `chimtrace info`.
 *
 * Walks the descriptors like the JSON printer, so a header field added to the schema is
 * shown without a change here; only a few fields get a friendlier form than their raw
 * value (NDIS version, uuids, the wall-clock start, key/value pairs).
 */
#define _DEFAULT_SOURCE  /* gmtime_r */

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ct_print_int.h"

typedef struct header_ctx {
    FILE *out;
    int indent;
    int depth;
    char prefix[128];   /* dotted path of the enclosing messages, "" at the top */
} header_ctx;

static void print_uuid(FILE *out, const ProtobufCBinaryData *b)
{
    for (size_t i = 0; i < b->len; i++)
        fprintf(out, "%s%02x", (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "",
                b->data[i]);
}

static void print_unix_ns(FILE *out, uint64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000u);
    struct tm tm;
    char buf[40];

    fprintf(out, "%" PRIu64, ns);
    if (gmtime_r(&secs, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
        fprintf(out, " (%s.%09" PRIu64 "Z)", buf, ns % 1000000000u);
}

/* One value of field `fd`; `top` is set for fields of the TraceHeader itself. */
static void header_value(header_ctx *hc, const ProtobufCFieldDescriptor *fd, const void *p,
                         int top)
{
    FILE *out = hc->out;

    if (fd->type == PROTOBUF_C_TYPE_STRING) {
        ct_print_text_str(out, *(char *const *)p);
    } else if (fd->type == PROTOBUF_C_TYPE_ENUM) {
        const char *name = ct_print_enum_value_name(fd->descriptor, *(const int *)p);
        if (name)
            fputs(name, out);
        else
            fprintf(out, "%d", *(const int *)p);
    } else if (fd->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *b = p;
        if (b->len == 16 && strstr(fd->name, "uuid"))
            print_uuid(out, b);
        else
            ct_print_hex(out, b->data, b->len);
    } else if (top && strcmp(fd->name, "ndis_version") == 0) {
        uint32_t v = *(const uint32_t *)p;
        fprintf(out, "%" PRIu32 ".%" PRIu32 " (0x%08" PRIx32 ")", v >> 16, v & 0xffffu, v);
    } else if (top && strcmp(fd->name, "start_unix_ns") == 0) {
        print_unix_ns(out, *(const uint64_t *)p);
    } else {
        ct_print_json_scalar(out, fd, p);
    }
}

static int header_field(void *ctx, const ProtobufCFieldDescriptor *fd, const void *member,
                        size_t n);

static void header_message(header_ctx *hc, const ProtobufCFieldDescriptor *fd,
                           const ProtobufCMessage *msg)
{
    const Chimtrace__V1__KeyValue *kv;
    size_t len = strlen(hc->prefix);

    if (msg->descriptor != &chimtrace__v1__key_value__descriptor) {
        if (hc->depth >= CT_PRINT_MAX_DEPTH)
            return;
        snprintf(hc->prefix + len, sizeof hc->prefix - len, "%s.", fd->name);
        hc->depth++;
        ct_print_each_field(msg, header_field, hc);
        hc->depth--;
        hc->prefix[len] = '\0';
        return;
    }
    kv = (const Chimtrace__V1__KeyValue *)msg;
    fprintf(hc->out, "%*s%s%s: ", hc->indent, "", hc->prefix, fd->name);
    ct_print_text_str(hc->out, kv->key ? kv->key : "");
    putc('=', hc->out);
    ct_print_text_str(hc->out, kv->value ? kv->value : "");
    putc('\n', hc->out);
}

static int header_field(void *ctx, const ProtobufCFieldDescriptor *fd, const void *member,
                        size_t n)
{
    header_ctx *hc = ctx;
    int repeated = fd->label == PROTOBUF_C_LABEL_REPEATED;
    size_t stride = ct_print_elt_size(fd->type);

    if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
        for (size_t i = 0; i < n; i++) {
            const void *slot = repeated ? (const char *)member + i * stride : member;
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
            if (sub)
                header_message(hc, fd, sub);
        }
        return 0;
    }
    fprintf(hc->out, "%*s%s%s: ", hc->indent, "", hc->prefix, fd->name);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", hc->out);
        header_value(hc, fd, repeated ? (const char *)member + i * stride : member,
                     hc->depth == 0);
    }
    putc('\n', hc->out);
    return 0;
}

ct_err ct_print_header_text(FILE *out, const Chimtrace__V1__TraceHeader *hdr, int indent)
{
    header_ctx hc;

    if (!out || !hdr)
        return CT_ERR_ARG;
    memset(&hc, 0, sizeof hc);
    hc.out = out;
    hc.indent = indent < 0 ? 0 : indent;
    ct_print_each_field(&hdr->base, header_field, &hc);
    if (hdr->base.n_unknown_fields)
        fprintf(out, "%*s(%u unknown fields)\n", hc.indent, "", hdr->base.n_unknown_fields);
    return ct_print_check(out);
}
