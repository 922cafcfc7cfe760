/* recorder.h - `chimtrace record`: run the driver model with the shim on and write a trace.
 *
 * Builds the whole stack - host stack (workload) → NDIS model → chimney IM driver with the
 * trace shim → NDIS model → simulated offload NIC - on one scheduler, drains the shim's rings
 * into a trace file and the NIC's frames into a pcap. Two clocks, one code path: real mode
 * runs T host threads and a NIC thread against CLOCK_MONOTONIC with a recorder thread
 * draining concurrently (real rings, losses and timings); deterministic mode runs the same
 * callbacks on a single-threaded virtual-time scheduler and writes a byte-identical trace
 * for the same options.
 */
#ifndef CT_RECORD_H
#define CT_RECORD_H

#include <stdint.h>

#include "ct_err.h"
#include "host.h"
#include "tracefile.h"

typedef struct ct_record_opts {
    const char *workload;       /* host workload name (default "basic") */
    uint64_t seed;
    uint32_t connections;       /* 0: the workload's default */
    uint32_t threads;           /* host lanes (default 1) */
    uint32_t rounds;            /* churn cycles; 0: the workload's default */
    int deterministic;          /* virtual time, single thread, byte-identical output */
    const char *out_path;       /* the trace */
    const char *pcap_path;      /* NULL: no pcap */
    const char *nic_latency;    /* NULL: the NIC's default; else a nic_latency_parse spec */
    int nic_sync;               /* NIC completes inside its handler (re-entrant) */
    uint32_t nic_capacity[3];   /* neighbors, paths, TCP; 0: the NIC's default (exhaust:
                                   RECORD_EXHAUST_CAPACITY, so traces stay small) */
    uint32_t ring_bytes;        /* per ring; 0: 1 MiB */
    uint32_t max_blocks;        /* per event; 0: 256 */
    ct_writer_opts writer;
    int progress;               /* progress lines on stderr */
    uint32_t im_faults;         /* im_fault mask: make the IM driver commit bugs (tests) */
    host_observer_fn observer;  /* tests: sees every request the host issues (may be NULL) */
    void *observer_ctx;
} ct_record_opts;

/* What `exhaust` runs against unless --nic-capacity says otherwise. */
#define RECORD_EXHAUST_NEIGHBORS 2u
#define RECORD_EXHAUST_PATHS 4u
#define RECORD_EXHAUST_TCP 8u

typedef struct ct_record_result {
    uint64_t events, records, losses, lost_events, frames, truncated_trees;
    uint64_t file_bytes, chunks;
    uint64_t op_edge[6][5];     /* events by Operation (1..5) and Edge (1..4) */
    uint64_t host_violations, host_outstanding, host_offloaded_left;
    uint64_t im_live_entries;   /* IM offload + call entries left at the end (leaks) */
    int host_stalled;           /* requests never completed: the run was stopped after 1 s
                                   (trace time, or wall time in real mode) without progress */
    uint64_t ops_issued, ops_completed;
    uint64_t duration_ns;       /* trace clock */
    double wall_s;
} ct_record_result;

void ct_record_opts_init(ct_record_opts *o);

/* Run the recording. Errors in the options are CT_ERR_ARG with a message naming the
 * option; I/O errors name the file. */
ct_err ct_record_run(const ct_record_opts *o, ct_record_result *res, ct_errinfo *ei);

#endif
