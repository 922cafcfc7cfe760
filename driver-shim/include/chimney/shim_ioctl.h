/* shim_ioctl.h - the control-device interface of chimshim.sys, shared by the kernel driver
 * (driver-shim/kernel/control.c) and its user-mode readers (recorder/record/kdrain.c).
 *
 * Six METHOD_BUFFERED IOCTLs on \\.\ChimShim: GET_INFO, READ, STATS, ENABLE, DISABLE, RESET.
 * READ returns a shim_read_hdr followed by complete ring records copied byte for byte from
 * the shim's rings (shim/record.h), so user mode decodes them with the recorder's own
 * encoder. Every code and struct here has an explicit value or size (static asserts below):
 * the two sides are built by different compilers. driver-shim/KERNEL.md is the spec.
 */
#ifndef CHIMNEY_SHIM_IOCTL_H
#define CHIMNEY_SHIM_IOCTL_H

#include <stdint.h>

/* Version of this interface (codes and structs below). */
#define SHIM_IOCTL_ABI_VERSION 1u
/* Version of the ring record layout (shim/record.h) that READ returns. Bump on any change
 * to shim_event_rec, shim_block_rec or shim_loss_rec. */
#define SHIM_RECORD_LAYOUT_VERSION 1u

/* Device names: the kernel creates SHIM_DEVICE_NAME with the symbolic link
 * SHIM_DOS_DEVICE_NAME; user mode opens SHIM_USER_PATH. */
#define SHIM_DEVICE_NAME L"\\Device\\ChimShim"
#define SHIM_DOS_DEVICE_NAME L"\\DosDevices\\ChimShim"
#define SHIM_USER_PATH "\\\\.\\ChimShim"

/* CTL_CODE(DeviceType, Function, Method, Access) as winioctl.h defines it. */
#define SHIM_DEVICE_TYPE 0x8C1Du       /* vendor range (>= 0x8000) */
#define SHIM_METHOD_BUFFERED 0u
#define SHIM_ACCESS_READ 1u            /* FILE_READ_DATA */
#define SHIM_ACCESS_WRITE 2u           /* FILE_WRITE_DATA */
#define SHIM_CTL_CODE(fn, access) \
    (((uint32_t)SHIM_DEVICE_TYPE << 16) | ((uint32_t)(access) << 14) | \
     ((uint32_t)(fn) << 2) | SHIM_METHOD_BUFFERED)

#define SHIM_IOCTL_GET_INFO SHIM_CTL_CODE(0x800, SHIM_ACCESS_READ)   /* out: shim_ioctl_info */
#define SHIM_IOCTL_READ SHIM_CTL_CODE(0x801, SHIM_ACCESS_READ)       /* out: shim_read_hdr + records */
#define SHIM_IOCTL_STATS SHIM_CTL_CODE(0x802, SHIM_ACCESS_READ)      /* out: shim_ioctl_stats + rings */
#define SHIM_IOCTL_ENABLE SHIM_CTL_CODE(0x803, SHIM_ACCESS_WRITE)    /* no buffers */
#define SHIM_IOCTL_DISABLE SHIM_CTL_CODE(0x804, SHIM_ACCESS_WRITE)   /* no buffers */
#define SHIM_IOCTL_RESET SHIM_CTL_CODE(0x805, SHIM_ACCESS_WRITE)     /* no buffers */

_Static_assert(SHIM_IOCTL_GET_INFO == 0x8C1D6000u, "GET_INFO code");
_Static_assert(SHIM_IOCTL_READ == 0x8C1D6004u, "READ code");
_Static_assert(SHIM_IOCTL_STATS == 0x8C1D6008u, "STATS code");
_Static_assert(SHIM_IOCTL_ENABLE == 0x8C1DA00Cu, "ENABLE code");
_Static_assert(SHIM_IOCTL_DISABLE == 0x8C1DA010u, "DISABLE code");
_Static_assert(SHIM_IOCTL_RESET == 0x8C1DA014u, "RESET code");

/* GET_INFO: what a reader needs to size its buffers and check it decodes the right layout. */
typedef struct shim_ioctl_info {
    uint32_t abi_version;            /* SHIM_IOCTL_ABI_VERSION */
    uint32_t record_layout_version;  /* SHIM_RECORD_LAYOUT_VERSION */
    uint32_t ring_count;             /* one ring per processor */
    uint32_t ring_bytes;             /* per ring */
    uint32_t max_blocks;             /* blocks copied per event */
    uint32_t max_record;             /* largest ring record; READ with a buffer of at least
                                        SHIM_READ_MIN_BYTES(max_record) always makes progress */
    uint16_t event_rec_bytes;        /* sizeof(shim_event_rec) on the driver's side */
    uint16_t block_rec_bytes;        /* sizeof(shim_block_rec) */
    uint16_t loss_rec_bytes;         /* sizeof(shim_loss_rec) */
    uint16_t pointer_bytes;          /* 8 on x64: raw pointers in records are 64-bit anyway */
    uint32_t enabled;                /* tracing on */
    uint32_t reserved;
    uint64_t next_seq;               /* the next sequence number the shim will hand out */
} shim_ioctl_info;
_Static_assert(sizeof(shim_ioctl_info) == 48, "shim_ioctl_info layout");

/* READ: this header, then `records` ring records back to back, each ring_rec_hdr.len bytes
 * (a multiple of 8), of type SHIM_REC_EVENT or SHIM_REC_LOSS, exactly as the shim wrote them.
 * Records come in increasing key order (event: seq, loss: last_seq) within one READ and
 * across READs, except that a loss record can only be written once its ring had room again
 * and so may come after records with larger keys (KERNEL.md, "Loss"). */
#define SHIM_READ_MAGIC 0x44525343u  /* "CSRD" */
#define SHIM_READ_MORE 0x1u          /* ordered records were left behind: buffer full */
typedef struct shim_read_hdr {
    uint32_t magic;          /* SHIM_READ_MAGIC */
    uint16_t abi_version;    /* SHIM_IOCTL_ABI_VERSION */
    uint16_t hdr_bytes;      /* sizeof(shim_read_hdr): the first record starts here */
    uint32_t total_bytes;    /* header + records: what the IRP's Information says */
    uint32_t records;
    uint32_t flags;          /* SHIM_READ_MORE */
    uint32_t need_bytes;     /* records == 0 with MORE: the buffer size the next record needs */
    uint64_t watermark;      /* every sequence number below it was accounted for */
    uint64_t first_key, last_key;  /* keys of the first and last record (0 when none) */
} shim_read_hdr;
_Static_assert(sizeof(shim_read_hdr) == 48, "shim_read_hdr layout");

#define SHIM_READ_MIN_BYTES(max_record) ((uint32_t)sizeof(shim_read_hdr) + (max_record))

/* STATS: this header, then min(ring_count, what fits) shim_ioctl_ring_stats. All counters
 * count since the driver loaded (RESET does not clear them). */
typedef struct shim_ioctl_ring_stats {
    uint64_t events;         /* event records committed */
    uint64_t dropped;        /* event records dropped: the ring was full (exact) */
    uint64_t loss_records;   /* loss records committed */
    uint64_t truncated_trees;
    uint64_t seqs_done;      /* sequence numbers this ring has finished with */
    uint64_t used_bytes;     /* bytes committed and not yet read */
} shim_ioctl_ring_stats;
_Static_assert(sizeof(shim_ioctl_ring_stats) == 48, "shim_ioctl_ring_stats layout");

typedef struct shim_ioctl_stats {
    uint32_t ring_count;
    uint32_t rings_returned; /* entries that follow */
    uint64_t next_seq;
    uint64_t events, dropped, loss_records, truncated_trees;  /* sums over all rings */
} shim_ioctl_stats;
_Static_assert(sizeof(shim_ioctl_stats) == 48, "shim_ioctl_stats layout");

#endif /* CHIMNEY_SHIM_IOCTL_H */
