/* print_test.c - unit tests of the record printer (recorder/print, ct_print_*).
 *
 * Pins the text format byte for byte (other tools and tests compare it), checks that the
 * generic JSON printer reaches every field of every record kind, and covers escaping,
 * unknown fields and the name tables.
 */
#define _DEFAULT_SOURCE  /* open_memstream */

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_print.h"
#include "synth.h"

/* What a printer wrote, as a string (caller frees). */
typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
} capture;

static void cap_open(capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    cr_assert_not_null(c->f);
}

static char *cap_close(capture *c)
{
    cr_assert_eq(fclose(c->f), 0);
    return c->buf;
}

static char *record_text(const Chimtrace__V1__Record *rec)
{
    capture c;

    cap_open(&c);
    cr_assert_eq(ct_print_record_text(c.f, rec), CT_OK);
    return cap_close(&c);
}

static char *record_json(const Chimtrace__V1__Record *rec)
{
    capture c;

    cap_open(&c);
    cr_assert_eq(ct_print_record_json(c.f, rec), CT_OK);
    return cap_close(&c);
}

static ProtobufCBinaryData bin(const void *data, size_t len)
{
    ProtobufCBinaryData b = { len, (uint8_t *)data };
    return b;
}

/* ------------------------------------------------------------------------------------ */
/* Names                                                                                 */

Test(print, names_follow_the_schema_and_the_wdk)
{
    cr_expect_str_eq(ct_print_op_name(CHIMTRACE__V1__OPERATION__OP_INITIATE), "INITIATE");
    cr_expect_str_eq(ct_print_op_name(CHIMTRACE__V1__OPERATION__OP_TCP_RECEIVE_INDICATE),
                     "TCP_RECEIVE_INDICATE");
    cr_expect_str_eq(ct_print_op_name(999), "OP_UNKNOWN");
    cr_expect_str_eq(ct_print_edge_name(1), "req-in-above");
    cr_expect_str_eq(ct_print_edge_name(2), "req-out-below");
    cr_expect_str_eq(ct_print_edge_name(3), "cmpl-in-below");
    cr_expect_str_eq(ct_print_edge_name(4), "cmpl-out-above");
    cr_expect_str_eq(ct_print_status_name(0), "SUCCESS");
    cr_expect_str_eq(ct_print_status_name(0x103), "PENDING");
    cr_expect_str_eq(ct_print_status_name(0xC000009Au), "RESOURCES");
    cr_expect_str_eq(ct_print_status_name(0x40020004u), "OFFLOAD_PARTIAL_SUCCESS");
    cr_expect_str_eq(ct_print_status_name(0xC0231012u), "OFFLOAD_CONNECTION_REJECTED");
    cr_expect_null(ct_print_status_name(0xC0231013u));
    cr_expect_str_eq(ct_print_state_type_name(1), "NeighborOffloadConstState");
    cr_expect_str_eq(ct_print_state_type_name(12), "Ip6OffloadState");
    cr_expect_str_eq(ct_print_state_type_name(17), "TcpOffloadState");
    cr_expect_str_eq(ct_print_state_type_name(0xFE), "FilterReservedOffloadState");
    cr_expect_str_eq(ct_print_state_type_name(0xFF), "MaximumOffloadState");
    cr_expect_null(ct_print_state_type_name(0));
    cr_expect_null(ct_print_state_type_name(18));
    cr_expect_str_eq(ct_print_tcp_state_name(4), "ESTABLISHED");
    cr_expect_null(ct_print_tcp_state_name(12));
}

/* ------------------------------------------------------------------------------------ */
/* Text                                                                                  */

Test(print, event_text_is_exactly_the_documented_format)
{
    static const uint8_t lmac[] = { 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03 };
    static const uint8_t mac[] = { 0x52, 0x54, 0x00, 0xaa, 0xbb };  /* trailing zero cut */
    static const uint8_t v4a[] = { 10, 0, 0, 1 }, v4b[] = { 192, 168, 1, 2 };
    static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
    static const uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
    static uint64_t imr[] = { 6, 0 };
    Chimtrace__V1__NeighborConst nc = CHIMTRACE__V1__NEIGHBOR_CONST__INIT;
    Chimtrace__V1__NeighborCached nca = CHIMTRACE__V1__NEIGHBOR_CACHED__INIT;
    Chimtrace__V1__PathConst p4 = CHIMTRACE__V1__PATH_CONST__INIT;
    Chimtrace__V1__PathConst p6 = CHIMTRACE__V1__PATH_CONST__INIT;
    Chimtrace__V1__PathCached pc = CHIMTRACE__V1__PATH_CACHED__INIT;
    Chimtrace__V1__TcpConst tc = CHIMTRACE__V1__TCP_CONST__INIT;
    Chimtrace__V1__TcpDelegated td = CHIMTRACE__V1__TCP_DELEGATED__INIT;
    Chimtrace__V1__Block b[4] = { CHIMTRACE__V1__BLOCK__INIT, CHIMTRACE__V1__BLOCK__INIT,
                                  CHIMTRACE__V1__BLOCK__INIT, CHIMTRACE__V1__BLOCK__INIT };
    Chimtrace__V1__Block *bp[4] = { &b[0], &b[1], &b[2], &b[3] };
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;

    nc.has_dl_source_address = 1, nc.dl_source_address = bin(lmac, sizeof lmac);
    nc.has_vlan_id = 1, nc.vlan_id = 5;
    nca.has_dl_destination_address = 1, nca.dl_destination_address = bin(mac, sizeof mac);
    b[0].has_index = 1, b[0].index = 0;
    b[0].has_header_type = 1, b[0].header_type = 4;
    b[0].has_status = 1, b[0].status = 0;
    b[0].has_offload_handle_id = 1, b[0].offload_handle_id = 3;
    b[0].has_context_slot_id = 1, b[0].context_slot_id = 4;
    b[0].has_context_value_id = 1, b[0].context_value_id = 5;
    b[0].n_im_reserved_id = 2, b[0].im_reserved_id = imr;
    b[0].has_source_handle_id = 1, b[0].source_handle_id = 1;
    b[0].neighbor_const = &nc, b[0].neighbor_cached = &nca;

    p4.has_source_address = 1, p4.source_address = bin(v4a, 4);
    p4.has_destination_address = 1, p4.destination_address = bin(v4b, 4);
    b[1].has_index = 1, b[1].index = 1, b[1].has_parent = 1, b[1].parent = 0;
    b[1].has_header_type = 1, b[1].header_type = 8;
    b[1].has_status = 1, b[1].status = 0x40020004u;
    b[1].has_offload_handle_id = 1, b[1].offload_handle_id = 7;
    b[1].path_const = &p4;

    p6.has_source_address = 1, p6.source_address = bin(v6a, 16);
    p6.has_destination_address = 1, p6.destination_address = bin(v6b, 16);
    pc.has_path_mtu = 1, pc.path_mtu = 1500;
    b[2].has_index = 1, b[2].index = 2, b[2].has_parent = 1, b[2].parent = 0;
    b[2].has_header_type = 1, b[2].header_type = 12;
    b[2].path_const = &p6, b[2].path_cached = &pc;
    b[2].has_nbl_chain_set = 1, b[2].nbl_chain_set = 1;
    b[2].has_nbl_chain_id = 1, b[2].nbl_chain_id = 77;

    tc.has_local_port = 1, tc.local_port = 0xBB01, tc.has_remote_port = 1, tc.remote_port = 0x50C3; /* network order */
    td.has_state = 1, td.state = CHIMTRACE__V1__TCP_CONNECTION_STATE__TCP_CONNECTION_ESTABLISHED;
    td.has_snd_una = 1, td.snd_una = 100, td.has_snd_nxt = 1, td.snd_nxt = 200;
    td.has_rcv_nxt = 1, td.rcv_nxt = 300;
    b[3].has_index = 1, b[3].index = 3, b[3].has_parent = 1, b[3].parent = 2;
    b[3].has_header_type = 1, b[3].header_type = 17;
    b[3].has_status = 1, b[3].status = 0xC0231099u;
    b[3].has_offload_handle_id = 1, b[3].offload_handle_id = 9;
    b[3].tcp_const = &tc, b[3].tcp_delegated = &td;

    ev.has_seq = 1, ev.seq = 42, ev.has_ts_ns = 1, ev.ts_ns = 1234567;
    ev.has_ring = 1, ev.ring = 0;
    ev.has_op = 1, ev.op = CHIMTRACE__V1__OPERATION__OP_INITIATE;
    ev.has_edge = 1, ev.edge = CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE;
    ev.has_op_id = 1, ev.op_id = 17;
    ev.n_block = 4, ev.block = bp;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT, rec.event = &ev;

    char *text = record_text(&rec);
    cr_expect_str_eq(text,
        "#42 t=1.234567ms ring=0 INITIATE req-in-above op=17 blocks=4\n"
        "  [0] NeighborOffloadState status=SUCCESS h=3 ctx=4 *ctx=5 imr=6,0 src=1 neighbor "
        "mac=52:54:00:aa:bb:00 lmac=00:15:5d:01:02:03 vlan=5\n"
        "  [1] ^0 Ip4OffloadState status=OFFLOAD_PARTIAL_SUCCESS h=7 path 10.0.0.1->192.168.1.2\n"
        "  [2] ^0 Ip6OffloadState nbl=77 path 2001:db8::1->2001:db8::2 mtu=1500\n"
        "  [3] ^2 TcpOffloadState status=0xc0231099 h=9 tcp lport=443 rport=50000 "
        "ESTABLISHED snd_una=100 snd_nxt=200 rcv_nxt=300\n");
    free(text);
}

Test(print, loss_and_unset_records_have_one_readable_line)
{
    Chimtrace__V1__Loss loss = CHIMTRACE__V1__LOSS__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    char *text = record_text(&rec);

    cr_expect_str_eq(text, "RECORD (kind not set)\n");
    free(text);
    loss.has_ring = 1, loss.ring = 1, loss.has_count = 1, loss.count = 5;
    loss.has_first_seq = 1, loss.first_seq = 100, loss.has_last_seq = 1, loss.last_seq = 104;
    loss.has_first_ts_ns = 1, loss.first_ts_ns = 1000000;
    loss.has_last_ts_ns = 1, loss.last_ts_ns = 2500000;
    loss.has_cause = 1, loss.cause = CHIMTRACE__V1__LOSS_CAUSE__LOSS_RING_FULL;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS, rec.loss = &loss;
    text = record_text(&rec);
    cr_expect_str_eq(text,
                     "LOSS ring=1 count=5 seq=100..104 t=1.000000ms..2.500000ms cause=ring_full\n");
    free(text);
}

/* ------------------------------------------------------------------------------------ */
/* JSON                                                                                  */

Test(print, json_prints_present_fields_only_with_proto_names)
{
    static uint64_t frames[] = { 1, 2 };
    Chimtrace__V1__Block blk = CHIMTRACE__V1__BLOCK__INIT;
    Chimtrace__V1__Block *bp = &blk;
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;

    blk.has_index = 1, blk.index = 0, blk.has_status = 1, blk.status = 0xC0000001u;
    blk.has_nbl_chain_set = 1, blk.nbl_chain_set = 0;
    ev.has_seq = 1, ev.seq = 18446744073709551615ull;
    ev.has_op = 1, ev.op = CHIMTRACE__V1__OPERATION__OP_INITIATE;
    ev.has_edge = 1, ev.edge = 7;  /* not in the schema: printed as a number */
    ev.n_block = 1, ev.block = &bp;
    ev.n_frame = 2, ev.frame = frames;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT, rec.event = &ev;

    char *json = record_json(&rec);
    cr_expect_str_eq(json, "{\"event\":{\"seq\":18446744073709551615,\"op\":\"OP_INITIATE\","
                           "\"edge\":7,\"block\":[{\"index\":0,\"status\":3221225473,"
                           "\"nbl_chain_set\":false}],\"frame\":[1,2]}}\n");
    free(json);
}

Test(print, json_strings_are_escaped_and_bytes_are_hex)
{
    static const uint8_t uuid[] = { 0xAB, 0x01, 0xFF };
    Chimtrace__V1__TraceHeader h = CHIMTRACE__V1__TRACE_HEADER__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;

    /* quote, backslash, newline, 0x01, DEL, valid UTF-8 (é, €), then invalid bytes */
    h.producer_name = "a\"b\\c\n\x01\x7f\xc3\xa9\xe2\x82\xac|\xff|\xc3|\xed\xa0\x80";
    h.has_trace_uuid = 1, h.trace_uuid = bin(uuid, sizeof uuid);
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_HEADER, rec.header = &h;

    char *json = record_json(&rec);
    cr_expect_str_eq(json, "{\"header\":{\"producer_name\":\"a\\\"b\\\\c\\u000a\\u0001\x7f"
                           "\xc3\xa9\xe2\x82\xac|\\ufffd|\\ufffd|\\ufffd\\ufffd\\ufffd\","
                           "\"trace_uuid\":\"ab01ff\"}}\n");
    free(json);
}

Test(print, json_reports_unknown_fields)
{
    /* Record{event{seq: 7, field 99 (varint): 1}} */
    static const uint8_t wire[] = { 0x12, 0x05, 0x08, 0x07, 0x98, 0x06, 0x01 };
    Chimtrace__V1__Record *rec = chimtrace__v1__record__unpack(NULL, sizeof wire, wire);

    cr_assert_not_null(rec);
    char *json = record_json(rec);
    cr_expect_str_eq(json, "{\"event\":{\"seq\":7,\"_unknown_fields\":1}}\n");
    free(json);
    chimtrace__v1__record__free_unpacked(rec, NULL);
}

/* Every field of `d`, recursively, must appear as a key in `json`. */
static void expect_all_keys(const char *json, const ProtobufCMessageDescriptor *d, int depth)
{
    cr_assert_lt(depth, 8);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        char key[80];

        snprintf(key, sizeof key, "\"%s\":", fd->name);
        cr_expect_not_null(strstr(json, key), "%s.%s missing from %s", d->name, fd->name,
                           json);
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
            expect_all_keys(json, fd->descriptor, depth + 1);
    }
}

Test(print, json_reaches_every_field_of_every_record_kind)
{
    ct_synth *syn = NULL;

    cr_assert_eq(ct_synth_new(5, &syn), CT_OK);
    for (int kind = 1; kind <= 5; kind++) {
        Chimtrace__V1__Record *rec = NULL;
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field(&chimtrace__v1__record__descriptor,
                                                    (unsigned)kind);

        cr_assert_eq(ct_synth_fill_all(syn, kind, &rec), CT_OK);
        char *json = record_json(rec);
        char key[40];
        snprintf(key, sizeof key, "{\"%s\":{", fd->name);
        cr_expect_eq(strncmp(json, key, strlen(key)), 0, "kind %d: %s", kind, json);
        cr_expect_eq(strchr(json, '\n'), json + strlen(json) - 1, "one line");
        expect_all_keys(json, fd->descriptor, 0);
        free(json);
    }
    ct_synth_free(syn);
}

/* ------------------------------------------------------------------------------------ */
/* Summary                                                                               */

Test(print, summary_counts_records_events_and_losses)
{
    ct_print_summary s;
    ct_print_file_facts f;
    Chimtrace__V1__Event ev = CHIMTRACE__V1__EVENT__INIT;
    Chimtrace__V1__Loss loss = CHIMTRACE__V1__LOSS__INIT;
    Chimtrace__V1__Record rec = CHIMTRACE__V1__RECORD__INIT;
    capture c;

    ct_print_summary_init(&s);
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_EVENT, rec.event = &ev;
    ev.has_op = 1, ev.op = CHIMTRACE__V1__OPERATION__OP_QUERY;
    ev.has_edge = 1, ev.edge = CHIMTRACE__V1__EDGE__EDGE_COMPLETION_IN_BELOW;
    for (uint64_t i = 0; i < 3; i++) {
        ev.has_seq = 1, ev.seq = 10 + i, ev.has_ts_ns = 1, ev.ts_ns = 5000 - i;
        ct_print_summary_add(&s, &rec);
    }
    loss.has_count = 1, loss.count = 4;
    rec.kind_case = CHIMTRACE__V1__RECORD__KIND_LOSS, rec.loss = &loss;
    ct_print_summary_add(&s, &rec);

    cr_expect_eq(s.records, 4);
    cr_expect_eq(s.events, 3);
    cr_expect_eq(s.op_edge[CHIMTRACE__V1__OPERATION__OP_QUERY][3], 3);
    cr_expect_eq(s.first_seq, 10);
    cr_expect_eq(s.last_seq, 12);
    cr_expect_eq(s.min_ts_ns, 4998);
    cr_expect_eq(s.max_ts_ns, 5000);
    cr_expect_eq(s.loss_records, 1);
    cr_expect_eq(s.lost_events, 4);

    memset(&f, 0, sizeof f);
    f.path = "x.ctrace";
    f.index_source = "footer";
    cap_open(&c);
    cr_assert_eq(ct_print_summary_text(c.f, &f, &s), CT_OK);
    char *text = cap_close(&c);
    cr_expect_not_null(strstr(text, "records:    4 (header 0, event 3, loss 1, frame 0, "
                                    "summary 0)\n"), "%s", text);
    cr_expect_not_null(strstr(text, "  QUERY                                  0               "
                                    "0               3               0               3\n"),
                       "%s", text);
    cr_expect_not_null(strstr(text, "losses:     1 loss records, 4 events lost\n"), "%s", text);
    free(text);
}
