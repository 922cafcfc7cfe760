/* nic.h - the simulated chimney offload NIC: an offload target (reference §3) that
 * registers with the NDIS model (replay/ndis/ndm.h) as a miniport driver with one adapter.
 *
 * The IM driver (or a test protocol) binds to nic_adapter(); NDIS then calls the NIC's
 * five state handlers with MOBL trees. The NIC walks each tree (§3.1), answers every block
 * (§3.2: placeholder / linker / new offload, PARTIAL_SUCCESS, OFFLOAD_*_ENTRIES, ...) and
 * completes with NdisM...Complete on the same root after a latency drawn from a seeded
 * distribution (posted with sched_post on the NIC's lane), or synchronously inside the
 * handler. Offloaded TCP connections emit Ethernet/IPv4|IPv6/TCP frames on a cadence
 * (data, ACKs, keep-alives) to a sink; their delegated state advances accordingly and is
 * returned by terminate and query.
 *
 * Traffic keeps the scheduler busy: while a TCP connection is offloaded with frames on, its
 * timers stay posted, so a virtual-time sched_run returns only once every connection was
 * terminated or invalidated, the frame horizon passed, or sched_stop was called.
 *
 * Threading: every entry point is thread-safe. Handlers may be called from any lane while
 * the NIC's lane runs completions and frame timers; the NIC never holds its lock while it
 * calls NdisM...Complete or the frame sink.
 */
#ifndef CT_NIC_H
#define CT_NIC_H

#include <stddef.h>
#include <stdint.h>

#include <chimney/ndis_chimney.h>

#include "ct_err.h"
#include "ndm.h"
#include "scheduler.h"

typedef struct nic nic;

/* ---- completion latency -------------------------------------------------------------- */

typedef enum nic_latency_kind {
    NIC_LATENCY_FIXED = 0,    /* a_ns */
    NIC_LATENCY_UNIFORM = 1,  /* uniform integer in [a_ns, b_ns] */
    NIC_LATENCY_LOGNORMAL = 2 /* median a_ns, shape sigma; draws capped at NIC_LATENCY_MAX_NS */
} nic_latency_kind;

typedef struct nic_latency {
    nic_latency_kind kind;
    uint64_t a_ns;
    uint64_t b_ns;
    double sigma;
} nic_latency;

#define NIC_LATENCY_MAX_NS (60ull * 1000000000ull) /* one minute: parse limit and draw cap */

/* Parse "fixed:50us", "uniform:10us:200us" or "lognormal:MEDIAN:SIGMA" (durations are a
 * non-negative decimal number with unit ns, us or ms; sigma is a unitless number in
 * [0, 10]). On failure returns CT_ERR_ARG and fills `ei` with a message that quotes the
 * spec and says what was expected. */
ct_err nic_latency_parse(const char *spec, nic_latency *out, ct_errinfo *ei);

/* Canonical text of a latency ("uniform:10000ns:200000ns"); returns the length that
 * snprintf would. */
int nic_latency_format(const nic_latency *l, char *buf, size_t size);

/* ---- configuration ------------------------------------------------------------------- */

typedef struct nic_config {
    const char *name;             /* miniport driver name in the model */
    /* capacities: an initiate beyond them gets NDIS_STATUS_OFFLOAD_*_ENTRIES */
    uint32_t max_neighbors, max_paths, max_tcp;
    uint32_t max_vlans;           /* distinct non-zero VlanIds: OFFLOAD_VLAN_ENTRIES */
    uint32_t max_rcv_wnd;         /* InitialRcvWnd above it: OFFLOAD_TCP_RCV_WINDOW */
    int allow_unlinked;           /* 1: a new path/TCP with no offloaded parent is accepted
                                     (it emits no frames); 0: it fails (FAILURE) */
    /* completion */
    nic_latency latency;
    int sync_completion;          /* 1: complete inside the W_ handler (re-entrant) */
    uint64_t seed;                /* latency draws and per-connection traffic */
    /* frames */
    int frames;                   /* 0: no traffic at all (state does not advance) */
    uint64_t data_interval_ns;    /* one data segment per connection */
    uint64_t ack_interval_ns;     /* peer data received, one pure ACK sent */
    uint64_t keepalive_interval_ns; /* keep-alive probe, when TCP_FLAG_KEEP_ALIVE_ENABLED */
    uint32_t max_segment_bytes;   /* payload cap per data segment (also RemoteMss, MTU) */
    uint64_t frame_horizon_ns;    /* no traffic after this trace time (0: unlimited) */
    uint32_t ticks_per_second;    /* unit of NicReachabilityDelta and TCP timestamps */
} nic_config;

/* Defaults: 1024 neighbors, 1024 paths, 4096 TCP connections, 64 VLANs, 1 GiB receive
 * window, fixed 20 us latency, asynchronous, seed 1, frames on (data every 50 us, ACK every
 * 100 us, keep-alive every 1 ms), 1448-byte segments, no horizon, 1000 ticks/s. */
void nic_config_init(nic_config *cfg);

/* ---- lifetime -------------------------------------------------------------------------- */

/* Register a miniport driver and one adapter in `m`; completions and frames run on `lane`
 * of `s`. `cfg` may be NULL (defaults); it is copied (name too). Caller frees with
 * nic_free after sched_run has returned; the model keeps owning the driver and adapter
 * handles (ndm_free frees them). */
ct_err nic_new(ndm *m, sched *s, uint32_t lane, const nic_config *cfg, nic **out);
void nic_free(nic *n);

/* The NdisMiniportHandle of the NIC's adapter, for ndm_open_adapter / an IM to bind to. */
NDIS_HANDLE nic_adapter(const nic *n);

/* ---- frames ----------------------------------------------------------------------------- */

/* Called on the NIC's lane for every frame the NIC transmits. `frame` is borrowed: valid
 * only during the call. `offload_handle` is the NdisOffloadHandle of the TCP object. */
typedef void (*nic_frame_fn)(void *ctx, uint64_t ts_ns, const uint8_t *frame, uint32_t len,
                             NDIS_HANDLE offload_handle);
void nic_set_frame_sink(nic *n, nic_frame_fn fn, void *ctx);

/* ---- counters --------------------------------------------------------------------------- */

enum nic_op { NIC_OP_INITIATE = 0, NIC_OP_TERMINATE, NIC_OP_UPDATE, NIC_OP_QUERY,
              NIC_OP_INVALIDATE, NIC_OP_COUNT };
enum nic_kind { NIC_NEIGHBOR = 0, NIC_PATH = 1, NIC_TCP = 2, NIC_KIND_COUNT };

typedef struct nic_stats {
    uint64_t requests[NIC_OP_COUNT];      /* W_ handler calls */
    uint64_t completions[NIC_OP_COUNT];   /* NdisM...Complete calls */
    uint64_t blocks[NIC_OP_COUNT];        /* blocks answered */
    uint64_t offloaded[NIC_KIND_COUNT];   /* objects offloaded (cumulative) */
    uint64_t terminated[NIC_KIND_COUNT];  /* objects freed by terminate (cumulative) */
    uint32_t live[NIC_KIND_COUNT];        /* objects offloaded now */
    uint64_t no_capacity[NIC_KIND_COUNT]; /* initiates refused with OFFLOAD_*_ENTRIES */
    uint64_t rejected;            /* VLAN table / receive window / connection state */
    uint64_t malformed;           /* bad Type, state Length, missing parent, cycle */
    uint64_t not_attempted;       /* blocks failed because their parent failed */
    uint64_t bad_context;         /* a block referencing no live NIC object */
    uint64_t terminate_with_dependents; /* neighbor/path terminated before its dependents */
    uint64_t invalidated;         /* objects marked invalid */
    uint64_t relinked;            /* paths moved to another neighbor by update */
    uint64_t post_failures;       /* completions run inline because sched_post failed */
    uint64_t frames, frame_bytes;
    uint64_t data_segments, acks, keepalives;
} nic_stats;

void nic_get_stats(const nic *n, nic_stats *out);

#endif
