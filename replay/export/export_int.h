/* export_int.h - what the parts of ct_export share: the exporter's state (pending
 * instances, lanes and their track slots) and the JSON pieces every part writes with.
 * Not a public header: tools include export.h.
 */
#ifndef CT_EXPORT_INT_H
#define CT_EXPORT_INT_H

#include <stdint.h>
#include <stdio.h>

#include "ct_print.h"
#include "export.h"
#include "obj.h"
#include "obj_map.h"

#define EX_DEFAULT_PENDING 65536u
#define EX_DEFAULT_SLOTS 256u
#define EX_MAX_LANES 1024u      /* rings at or above share one lane */
#define EX_BLOCKS 16u           /* blocks whose identity and status an instance's args list */
#define EX_NONE UINT32_MAX

/* One operation instance in flight (or being written). Edge e (1..4) is bit e of have. */
typedef struct ex_inst {
    int in_use;
    uint64_t op_id;
    uint32_t op;
    uint32_t ring;
    uint32_t lane;
    int32_t slot;               /* -1: written as an async b/e pair */
    uint8_t have;
    uint64_t ts[5], seq[5];
    uint64_t start;             /* ts of the first edge seen: the slot was taken from here */
    uint64_t first_seq;
    uint32_t nblocks;           /* blocks at the last edge seen */
    uint32_t nid;               /* entries of id[] used */
    obj_identity id[EX_BLOCKS];
    int has_status;             /* a completion edge was seen */
    uint32_t nstatus;
    uint32_t status[EX_BLOCKS]; /* per block, from the last completion edge */
    int reentrant, tree_truncated;
} ex_inst;

typedef struct ex_slot {
    uint32_t holder;            /* pool index of the instance on it, EX_NONE when free */
    uint64_t busy_until;        /* end of the last event written on it */
} ex_slot;

typedef struct ex_lane {
    uint32_t ring;
    ex_slot *slot;
    uint32_t nslot, cap;
    int has_other;              /* thread 0 named (instant events of other operations) */
} ex_lane;

struct export_chrome {
    FILE *out;
    export_opts o;
    export_result res;
    const Chimtrace__V1__TraceHeader *hdr;
    obj_tracker *objs;
    obj_map pending;            /* op_id -> pool index */
    ex_inst *pool;
    uint32_t npool, pool_cap;
    uint32_t *free_idx;
    uint32_t nfree;
    obj_map lane_of;            /* ring -> lanes index */
    ex_lane *lanes;
    size_t nlanes, lanes_cap;
    int first;                  /* nothing in traceEvents yet */
    uint64_t max_ts;
    ct_err err;
};

/* Each slot is four tracks (threads) of its lane: the whole operation, then one per edge
 * pair (IM in->down, NIC, return), so every stage has its own row under its operation. */
#define EX_TRACKS_PER_SLOT 4u
static inline uint32_t ex_slot_tid(uint32_t slot, unsigned stage /* 0 = whole, 1..3 */)
{
    return slot * EX_TRACKS_PER_SLOT + 1 + stage;
}

/* Stage names (index = the edge a stage starts at: 1 IM, 2 NIC, 3 return). */
extern const char *const ex_stage_name[5];

static inline uint32_t ex_lane_pid(const ex_lane *l)
{
    return l->ring + 1;         /* pid 0 is the trace itself */
}

/* JSON pieces (export_chrome.c). */
void ex_sep(export_chrome *x);
void ex_us(FILE *f, uint64_t ns);
void ex_meta_name(export_chrome *x, const char *key, uint32_t pid, uint32_t tid,
                  const char *name);
void ex_meta_sort(export_chrome *x, const char *key, uint32_t pid, uint32_t tid,
                  uint32_t index);
void ex_instant_head(export_chrome *x, const char *name, uint64_t ts);

/* Write the instance (end to end plus its stages), free its slot and its pool entry
 * (export_inst.c). */
void ex_inst_write(export_chrome *x, ex_inst *in);

#endif
