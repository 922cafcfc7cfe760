/* ct_print_text.c - one record as compact, stable text for people (`dump --format text`).
 *
 * Unlike the JSON printer this one knows the schema: it picks the few fields a person scans
 * for (operation, edge, handles, status, addresses, TCP sequence numbers) and leaves the
 * rest to the JSON. Tests compare this output, so the format documented in ct_print.h is
 * a contract: extend it at the end of a line, never reorder.
 */
#define _DEFAULT_SOURCE  /* inet_ntop */

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "ct_print_int.h"

const char *ct_print_format_ms(char *buf, uint64_t ns)
{
    snprintf(buf, 32, "%" PRIu64 ".%06" PRIu64 "ms", ns / 1000000u, ns % 1000000u);
    return buf;
}

void ct_print_text_str(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            putc(c, out);
    }
}

static void text_ids(FILE *out, const char *label, const uint64_t *ids, size_t n)
{
    fprintf(out, " %s=", label);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%" PRIu64, i ? "," : "", ids[i]);
}

/* Link-layer address: the trace may omit trailing zero bytes, so pad to the 6 of a MAC. */
static void text_mac(FILE *out, const char *label, const ProtobufCBinaryData *b)
{
    size_t len = b->len < 6 ? 6 : b->len;

    fprintf(out, " %s=", label);
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%s%02x", i ? ":" : "", i < b->len ? b->data[i] : 0);
}

static void text_ip(FILE *out, int has, const ProtobufCBinaryData *b)
{
    char buf[INET6_ADDRSTRLEN];

    if (has && b->len == 4 && inet_ntop(AF_INET, b->data, buf, sizeof buf))
        fputs(buf, out);
    else if (has && b->len == 16 && inet_ntop(AF_INET6, b->data, buf, sizeof buf))
        fputs(buf, out);
    else if (has && b->len > 0) {
        fputs("0x", out);
        ct_print_hex(out, b->data, b->len);
    } else
        putc('?', out);
}

static void text_status(FILE *out, const char *label, uint32_t status)
{
    const char *name = ct_print_status_name(status);

    if (name)
        fprintf(out, " %s=%s", label, name);
    else
        fprintf(out, " %s=0x%08" PRIx32, label, status);
}

static void text_state(FILE *out, const Chimtrace__V1__Block *b)
{
    if (b->neighbor_const || b->neighbor_cached || b->neighbor_delegated) {
        fputs(" neighbor", out);
        if (b->neighbor_cached && b->neighbor_cached->has_dl_destination_address)
            text_mac(out, "mac", &b->neighbor_cached->dl_destination_address);
        if (b->neighbor_const && b->neighbor_const->has_dl_source_address)
            text_mac(out, "lmac", &b->neighbor_const->dl_source_address);
        if (b->neighbor_const && b->neighbor_const->has_vlan_id)
            fprintf(out, " vlan=%" PRIu32, b->neighbor_const->vlan_id);
    }
    if (b->path_const || b->path_cached || b->path_delegated) {
        fputs(" path", out);
        if (b->path_const) {
            putc(' ', out);
            text_ip(out, b->path_const->has_source_address, &b->path_const->source_address);
            fputs("->", out);
            text_ip(out, b->path_const->has_destination_address,
                    &b->path_const->destination_address);
        }
        if (b->path_cached && b->path_cached->has_path_mtu)
            fprintf(out, " mtu=%" PRIu32, b->path_cached->path_mtu);
    }
    if (b->tcp_const || b->tcp_cached || b->tcp_delegated)
        fputs(" tcp", out);
    if (b->tcp_const) {
        if (b->tcp_const->has_local_port)
            fprintf(out, " lport=%" PRIu32, ct_print_port(b->tcp_const->local_port));
        if (b->tcp_const->has_remote_port)
            fprintf(out, " rport=%" PRIu32, ct_print_port(b->tcp_const->remote_port));
    }
    if (b->tcp_delegated) {
        const Chimtrace__V1__TcpDelegated *d = b->tcp_delegated;
        if (d->has_state) {
            const char *name = ct_print_tcp_state_name(d->state);
            if (name)
                fprintf(out, " %s", name);
            else
                fprintf(out, " state=%d", d->state);
        }
        if (d->has_snd_una)
            fprintf(out, " snd_una=%" PRIu32, d->snd_una);
        if (d->has_snd_nxt)
            fprintf(out, " snd_nxt=%" PRIu32, d->snd_nxt);
        if (d->has_rcv_nxt)
            fprintf(out, " rcv_nxt=%" PRIu32, d->rcv_nxt);
    }
}

static void text_block(FILE *out, const Chimtrace__V1__Block *b)
{
    if (b->has_index)
        fprintf(out, "  [%" PRIu32 "]", b->index);
    else
        fputs("  [?]", out);
    if (b->has_parent)
        fprintf(out, " ^%" PRIu32, b->parent);
    if (b->has_header_type) {
        const char *name = ct_print_state_type_name(b->header_type);
        if (name)
            fprintf(out, " %s", name);
        else
            fprintf(out, " type=0x%" PRIx32, b->header_type);
    }
    if (b->has_status)
        text_status(out, "status", b->status);
    if (b->has_offload_handle_id)
        fprintf(out, " h=%" PRIu64, b->offload_handle_id);
    if (b->has_context_slot_id)
        fprintf(out, " ctx=%" PRIu64, b->context_slot_id);
    if (b->has_context_value_id)
        fprintf(out, " *ctx=%" PRIu64, b->context_value_id);
    if (b->n_im_reserved_id)
        text_ids(out, "imr", b->im_reserved_id, b->n_im_reserved_id);
    if (b->has_source_handle_id)
        fprintf(out, " src=%" PRIu64, b->source_handle_id);
    if (b->has_nbl_chain_set && b->nbl_chain_set)
        fprintf(out, " nbl=%" PRIu64, b->has_nbl_chain_id ? b->nbl_chain_id : 0);
    text_state(out, b);
    putc('\n', out);
}

static void text_event(FILE *out, const Chimtrace__V1__Event *ev)
{
    char tb[32];

    if (ev->has_seq)
        fprintf(out, "#%" PRIu64, ev->seq);
    else
        fputs("#?", out);
    if (ev->has_ts_ns)
        fprintf(out, " t=%s", ct_print_format_ms(tb, ev->ts_ns));
    if (ev->has_ring)
        fprintf(out, " ring=%" PRIu32, ev->ring);
    if (ev->has_op)
        fprintf(out, " %s", ct_print_op_name(ev->op));
    if (ev->has_edge)
        fprintf(out, " %s", ct_print_edge_name(ev->edge));
    if (ev->has_op_id)
        fprintf(out, " op=%" PRIu64, ev->op_id);
    fprintf(out, " blocks=%zu", ev->n_block);
    if (ev->has_binding_id)
        fprintf(out, " bind=%" PRIu64, ev->binding_id);
    if (ev->has_indication_code) {
        if (ev->has_op && ev->op == CHIMTRACE__V1__OPERATION__OP_STATUS_INDICATION)
            text_status(out, "code", ev->indication_code);
        else
            fprintf(out, " code=%" PRIu32, ev->indication_code);
    }
    if (ev->has_event_type)
        fprintf(out, " evt=%" PRIu32, ev->event_type);
    if (ev->has_event_info)
        fprintf(out, " info=%" PRIu32, ev->event_info);
    if (ev->has_flags)
        fprintf(out, " flags=0x%" PRIx32, ev->flags);
    if (ev->n_frame)
        text_ids(out, "frames", ev->frame, ev->n_frame);
    if (ev->has_tree_truncated && ev->tree_truncated) {
        fputs(" tree-truncated", out);
        if (ev->has_tree_blocks_seen)
            fprintf(out, "(seen=%" PRIu32 ")", ev->tree_blocks_seen);
    }
    putc('\n', out);
    for (size_t i = 0; i < ev->n_block; i++)
        if (ev->block[i])
            text_block(out, ev->block[i]);
}

/* Lower-case enum name without its prefix ("ABI_X64" -> "x64"). */
static void text_enum(FILE *out, const char *label, const ProtobufCEnumDescriptor *ed,
                      int value)
{
    const char *name = ct_print_enum_value_name(ed, value);
    const char *us = name ? strchr(name, '_') : NULL;

    fprintf(out, " %s=", label);
    if (!us) {
        fprintf(out, "%d", value);
        return;
    }
    for (const char *p = us + 1; *p; p++)
        putc(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p, out);
}

static void text_header(FILE *out, const Chimtrace__V1__TraceHeader *h)
{
    fputs("HEADER", out);
    if (h->has_schema_major)
        fprintf(out, " schema=%" PRIu32 ".%" PRIu32, h->schema_major,
                h->has_schema_minor ? h->schema_minor : 0);
    if (h->producer_name || h->producer_version) {
        fputs(" producer=", out);
        ct_print_text_str(out, h->producer_name ? h->producer_name : "?");
        if (h->producer_version) {
            putc(' ', out);
            ct_print_text_str(out, h->producer_version);
        }
    }
    if (h->has_abi)
        text_enum(out, "abi", &chimtrace__v1__abi__descriptor, h->abi);
    if (h->has_ndis_version)
        fprintf(out, " ndis=%" PRIu32 ".%" PRIu32, h->ndis_version >> 16,
                h->ndis_version & 0xffffu);
    if (h->has_clock_source)
        text_enum(out, "clock", &chimtrace__v1__clock_source__descriptor, h->clock_source);
    if (h->workload) {
        fputs(" workload=", out);
        ct_print_text_str(out, h->workload);
    }
    if (h->has_seed)
        fprintf(out, " seed=%" PRIu64, h->seed);
    putc('\n', out);
}

static void text_loss(FILE *out, const Chimtrace__V1__Loss *l)
{
    char a[32], b[32];

    fputs("LOSS", out);
    if (l->has_ring)
        fprintf(out, " ring=%" PRIu32, l->ring);
    if (l->has_count)
        fprintf(out, " count=%" PRIu64, l->count);
    if (l->has_first_seq || l->has_last_seq)
        fprintf(out, " seq=%" PRIu64 "..%" PRIu64, l->has_first_seq ? l->first_seq : 0,
                l->has_last_seq ? l->last_seq : 0);
    if (l->has_first_ts_ns || l->has_last_ts_ns)
        fprintf(out, " t=%s..%s", ct_print_format_ms(a, l->has_first_ts_ns ? l->first_ts_ns : 0),
                ct_print_format_ms(b, l->has_last_ts_ns ? l->last_ts_ns : 0));
    if (l->has_cause)
        text_enum(out, "cause", &chimtrace__v1__loss_cause__descriptor, l->cause);
    putc('\n', out);
}

static void text_frame(FILE *out, const Chimtrace__V1__FrameRef *f)
{
    char tb[32];

    fputs("FRAME", out);
    if (f->has_frame)
        fprintf(out, " #%" PRIu64, f->frame);
    if (f->has_ts_ns)
        fprintf(out, " t=%s", ct_print_format_ms(tb, f->ts_ns));
    if (f->has_offload_handle_id)
        fprintf(out, " h=%" PRIu64, f->offload_handle_id);
    if (f->has_length)
        fprintf(out, " len=%" PRIu32, f->length);
    if (f->has_kind)
        fprintf(out, " kind=%" PRIu32, f->kind);
    if (f->has_op_id)
        fprintf(out, " op=%" PRIu64, f->op_id);
    putc('\n', out);
}

static void text_summary(FILE *out, const Chimtrace__V1__RunSummary *s)
{
    char tb[32];

    fputs("SUMMARY", out);
    if (s->has_events)
        fprintf(out, " events=%" PRIu64, s->events);
    if (s->has_lost_events)
        fprintf(out, " lost=%" PRIu64, s->lost_events);
    if (s->has_loss_records)
        fprintf(out, " loss_records=%" PRIu64, s->loss_records);
    if (s->has_frames)
        fprintf(out, " frames=%" PRIu64, s->frames);
    if (s->has_duration_ns)
        fprintf(out, " duration=%s", ct_print_format_ms(tb, s->duration_ns));
    if (s->has_truncated_trees)
        fprintf(out, " truncated_trees=%" PRIu64, s->truncated_trees);
    for (size_t i = 0; i < s->n_op_count; i++) {
        const Chimtrace__V1__OpCount *oc = s->op_count[i];
        if (!oc)
            continue;
        fprintf(out, " %s/%s=%" PRIu64, ct_print_op_name(oc->has_op ? oc->op : 0),
                ct_print_edge_name(oc->has_edge ? oc->edge : 0),
                oc->has_count ? oc->count : 0);
    }
    putc('\n', out);
}

ct_err ct_print_record_text(FILE *out, const Chimtrace__V1__Record *rec)
{
    if (!out || !rec)
        return CT_ERR_ARG;
    /* Every oneof member is a pointer in one union: a set case with a NULL member (only a
     * hand-built record can have one) prints like an unset kind. */
    switch (rec->event ? rec->kind_case : CHIMTRACE__V1__RECORD__KIND__NOT_SET) {
    case CHIMTRACE__V1__RECORD__KIND_EVENT:
        text_event(out, rec->event);
        break;
    case CHIMTRACE__V1__RECORD__KIND_HEADER:
        text_header(out, rec->header);
        break;
    case CHIMTRACE__V1__RECORD__KIND_LOSS:
        text_loss(out, rec->loss);
        break;
    case CHIMTRACE__V1__RECORD__KIND_FRAME:
        text_frame(out, rec->frame);
        break;
    case CHIMTRACE__V1__RECORD__KIND_SUMMARY:
        text_summary(out, rec->summary);
        break;
    default:
        fputs("RECORD (kind not set)\n", out);
        break;
    }
    return ct_print_check(out);
}
