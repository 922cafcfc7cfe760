/* ct_print.h - the public face of chimtrace's record printer (library ct_print).
 *
 * Turns chimtrace.v1 records into text for people and JSON for programs. `dump` prints with
 * it, `info` summarizes a trace with it, and diff/verify name operations, edges and NDIS
 * statuses through it so every tool spells them the same way.
 *
 * JSON (ct_print_record_json, ct_print_message_json) is generic: it walks the protobuf-c
 * descriptors, so a field added to schema/chimtrace.proto is printed without a change here.
 *   - only present fields are printed (proto2 presence), in field-number order, under their
 *     .proto names; a oneof prints only its set member, e.g. {"event":{...}};
 *   - enums print as their .proto value names ("OP_INITIATE"), or as a number when the
 *     value is not in the schema;
 *   - bytes print as lowercase hex strings; bools as true/false; every integer, 64-bit ones
 *     included, as a JSON number (consumers that parse numbers as doubles lose precision
 *     above 2^53; ids and ns timestamps in real traces stay far below);
 *   - NDIS statuses (Block.status, Event.indication_code, ...) are plain uint32 fields and
 *     so print as numbers; use ct_print_status_name() for the name;
 *   - strings are escaped per RFC 8259: '"', '\\' and control characters (as \u00XX);
 *     valid UTF-8 passes through unchanged, and each byte of an invalid sequence prints
 *     as \ufffd, so the output is always valid JSON;
 *   - a message carrying fields this schema does not know reports their count as
 *     "_unknown_fields": N (last key of that object).
 *
 * Text (ct_print_record_text) is for people and is stable: tests compare it, so change it
 * only on purpose. Its format is described next to ct_print_record_text below.
 *
 * Every function that writes returns CT_ERR_IO when the stream reports an error, and
 * CT_ERR_ARG for a NULL record or stream (CT_ERR_LIMIT if messages nest deeper than any
 * schema message can). Name helpers return static strings.
 */
#ifndef CT_PRINT_H
#define CT_PRINT_H

#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "chimtrace.pb-c.h"
#include "ct_err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Names                                                                                 */

/* Operation (chimtrace.v1.Operation) without its OP_ prefix: "INITIATE", "TCP_SEND".
 * Never NULL: an unknown value gives "OP_UNKNOWN". */
const char *ct_print_op_name(int op);

/* Edge as a short name: "req-in-above", "req-out-below", "cmpl-in-below",
 * "cmpl-out-above"; "edge-unspecified" for 0, "edge-unknown" otherwise. Never NULL. */
const char *ct_print_edge_name(int edge);

/* NDIS status without its NDIS_STATUS_ prefix ("SUCCESS", "OFFLOAD_PARTIAL_SUCCESS"), or
 * NULL when the value is not a status chimney code uses. */
const char *ct_print_status_name(uint32_t status);

/* OFFLOAD_STATE_TYPE in its WDK spelling ("NeighborOffloadState"), or NULL. */
const char *ct_print_state_type_name(uint32_t type);

/* TCP_OFFLOAD_CONNECTION_STATE without the TCP_CONNECTION_ prefix ("ESTABLISHED"), or
 * NULL. */
const char *ct_print_tcp_state_name(int state);

/* ------------------------------------------------------------------------------------ */
/* JSON                                                                                  */

/* One record as one line of compact JSON followed by '\n' (JSONL). */
ct_err ct_print_record_json(FILE *out, const Chimtrace__V1__Record *rec);

/* Any protobuf-c message as one compact JSON object, without a newline (for tools that
 * embed a Block or a TraceHeader in their own JSON). */
ct_err ct_print_message_json(FILE *out, const ProtobufCMessage *msg);

/* `s` as a JSON string literal, quotes included, escaped as described above. */
void ct_print_json_string(FILE *out, const char *s);

/* ------------------------------------------------------------------------------------ */
/* Text                                                                                  */

/* One record for people, ending with '\n'. Absent fields are left out.
 *   event:   "#42 t=1.234567ms ring=0 INITIATE req-in-above op=17 blocks=3" plus, when set,
 *            " bind=N code=0x.. evt=N info=N flags=0x.. frames=1,2 tree-truncated(seen=N)";
 *            then one line per block, indented two spaces:
 *            "[i] ^parent TypeName status=NAME|0x%08x h= ctx= *ctx= imr=a,b src= nbl="
 *            and the state it carries: "neighbor mac=.. lmac=.. vlan=N",
 *            "path SRC->DST mtu=N" (IPv4 dotted, IPv6 RFC 5952), "tcp lport=N rport=N"
 *            and "STATE snd_una=N snd_nxt=N rcv_nxt=N". Ids are decimal.
 *   header:  "HEADER schema=1.0 producer=NAME VERSION abi=x64 ndis=6.1 ..."
 *   loss:    "LOSS ring=1 count=5 seq=100..104 t=1.000000ms..2.000000ms cause=ring_full"
 *   frame:   "FRAME #7 t=.. h=N len=N kind=N op=N"
 *   summary: "SUMMARY events=N lost=N loss_records=N frames=N duration=..ms ..."
 *   other:   "RECORD (kind not set)" */
ct_err ct_print_record_text(FILE *out, const Chimtrace__V1__Record *rec);

/* A nanosecond count as milliseconds with 6 decimals and the unit: "1.234567ms". `buf`
 * must hold 32 bytes; returns buf. */
const char *ct_print_format_ms(char *buf, uint64_t ns);

/* ------------------------------------------------------------------------------------ */
/* Trace summary (what `chimtrace info` reports)                                         */

#define CT_PRINT_OPS 64          /* operation values counted individually (0..63) */
#define CT_PRINT_EDGES 5         /* edge values counted individually (0..4) */
#define CT_PRINT_MAX_PROBLEMS 16 /* damaged chunks remembered by offset and reason */

/* Counts over a stream of records. Fill with ct_print_summary_add, one call per record,
 * and ct_print_summary_problem for each chunk the reader reported damaged. Plain data:
 * initialize with ct_print_summary_init, nothing to free. */
typedef struct ct_print_summary {
    uint64_t records;
    uint64_t by_kind[6];                /* indexed by Chimtrace__V1__Record__KindCase */
    uint64_t events;
    uint64_t op_edge[CT_PRINT_OPS + 1][CT_PRINT_EDGES + 1]; /* last row/column: other */
    int have_seq, have_ts;
    uint64_t first_seq, last_seq;       /* min and max event seq */
    uint64_t min_ts_ns, max_ts_ns;
    uint64_t blocks;                    /* blocks over all events */
    uint64_t truncated_trees;
    uint64_t loss_records, lost_events;
    uint64_t summary_records;           /* RunSummary records (1 for a clean end) */
    uint64_t corrupt_chunks;
    uint32_t problems;                  /* entries used in problem[] */
    struct {
        uint64_t offset;
        ct_err code;
        char reason[CT_ERRINFO_MSG];
    } problem[CT_PRINT_MAX_PROBLEMS];
} ct_print_summary;

void ct_print_summary_init(ct_print_summary *s);
void ct_print_summary_add(ct_print_summary *s, const Chimtrace__V1__Record *rec);
void ct_print_summary_problem(ct_print_summary *s, const ct_errinfo *ei);

/* What the reader knows about the file, as the summary prints it. Filled by the caller
 * from ct_reader_status (this library does not depend on the reader). */
typedef struct ct_print_file_facts {
    const char *path;
    uint32_t format_major, format_minor;
    uint64_t file_bytes;
    uint64_t chunks;
    const char *index_source;       /* for people: "footer", "rebuilt by scanning ..." */
    const char *index_key;          /* for JSON: "footer", "rebuilt" or "unknown" */
    int has_footer;
    int truncated;
    uint64_t truncated_at, complete_end;
    const char *truncation_msg;     /* the reader's message, or NULL */
    const Chimtrace__V1__TraceHeader *header;  /* may be NULL */
} ct_print_file_facts;

/* The summary as readable text (several lines) or as one JSON object plus '\n'. */
ct_err ct_print_summary_text(FILE *out, const ct_print_file_facts *f,
                             const ct_print_summary *s);
ct_err ct_print_summary_json(FILE *out, const ct_print_file_facts *f,
                             const ct_print_summary *s);

/* Every set field of a TraceHeader, one "  name: value" line each, nested messages with
 * dotted names (capture.ring_count). Generic like the JSON printer, with readable forms for
 * ndis_version, uuids and start_unix_ns. `indent` spaces precede each line. */
ct_err ct_print_header_text(FILE *out, const Chimtrace__V1__TraceHeader *hdr, int indent);

#ifdef __cplusplus
}
#endif

/* A TcpConst port as a port number. The trace keeps the 16-bit value as the structure held
 * it (FORMAT.md §6.6); chimtrace's host stack stores ports in network byte order, as tcpip
 * keeps them, so the number is the value with its two bytes swapped on a little-endian ABI. */
static inline uint32_t ct_print_port(uint32_t stored)
{
    return ((stored & 0xFFu) << 8) | ((stored >> 8) & 0xFFu);
}

#endif /* CT_PRINT_H */
