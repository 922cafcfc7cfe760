/* record_check.h - independent checks of recorded traces for tests/e2e/record_test.c: what
 * the host sent (observer digests), what the trace holds (per-instance edges, request-in
 * digests, statuses, connections), and cross-checks with `chimtrace info` and tshark. */
#ifndef CT_RECORD_CHECK_H
#define CT_RECORD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"

/* One tree as a string: "op|type/parent/extra;type/parent/extra;..." */
typedef struct rc_requests {
    char **digest;
    size_t n, cap;
} rc_requests;

void rc_requests_init(rc_requests *r);
void rc_requests_free(rc_requests *r);
void rc_observe(void *ctx, const host_event *ev);   /* a host_observer_fn */

typedef struct rc_conn {
    uint64_t handle_id;
    char src_ip[48], dst_ip[48];        /* from the parent path's const state */
    uint16_t local_port, remote_port;   /* host order */
    uint32_t isn, fin;                  /* SndNxt at initiate request, at terminate completion */
    int terminated;
} rc_conn;

typedef struct rc_trace {
    uint64_t events, instances, bad_instances, frame_refs;
    uint64_t op_edge[6][5];
    uint64_t status_partial, status_entries;
    rc_requests request_in;             /* digests of edge-1 events, in seq order */
    rc_conn *conns;
    size_t nconns;
    struct rc_path {
        uint64_t handle_id;
        char src[48], dst[48];
    } *paths;
    size_t npaths;
} rc_trace;

void rc_read_trace(const char *path, rc_trace *t);
void rc_trace_free(rc_trace *t);

/* Deterministic: same digests in the same order; otherwise the same multiset. */
void rc_compare_requests(const rc_requests *issued, const rc_trace *t, int same_order);
void rc_check_info(const char *path, const rc_trace *t);
void rc_check_pcap_with_tshark(const char *pcap, const rc_trace *t, uint64_t frames);
void rc_check_truncated(const char *path);

int rc_files_equal(const char *a, const char *b);
long rc_file_size(const char *path);

#endif
