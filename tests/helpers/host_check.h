/* host_check.h - an independent referee for the host: it watches the host's observer
 * stream (every request as issued, every completion as it arrives), replays the §3.8
 * ordering rules per object from that stream alone, checks each issued block's fields and
 * trailing-state layout, and folds the whole stream into a digest so that runs can be
 * compared. It shares no code with replay/host, so a bug there cannot hide here.
 */
#ifndef CT_TESTS_HOST_CHECK_H
#define CT_TESTS_HOST_CHECK_H

#include <stdint.h>

#include "host.h"

typedef struct host_check host_check;

/* Installs itself as h's observer. Caller frees with host_check_free (after sched_run). */
host_check *host_check_new(host *h);
void host_check_free(host_check *c);

#define HOST_CHECK_SEQ_MAX 64

typedef struct host_check_result {
    uint64_t digest;                  /* FNV-1a over the stream, pointer-free */
    uint64_t issues, completes;
    uint64_t issued_ops[HOST_OP_SLOTS];
    uint64_t violations;              /* §3.8 rules or block fields broken at issue */
    uint64_t unmatched;               /* completion of no issued / an already completed seq */
    uint64_t open;                    /* issued, never completed */
    uint32_t nseq;
    uint8_t seq_ops[HOST_CHECK_SEQ_MAX];  /* ops in issue order (first HOST_CHECK_SEQ_MAX) */
    uint32_t seq_blocks[HOST_CHECK_SEQ_MAX];
    char first[256];                  /* the first violation, in words */
} host_check_result;

void host_check_get(const host_check *c, host_check_result *out);

#endif
