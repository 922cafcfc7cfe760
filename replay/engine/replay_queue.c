/* replay_queue.c - the order in which a replay happens. Two kinds of action drive it: the
 * trace host's issues (in issue order, each at its recorded time) and the scripted NIC's
 * completions (each at its arrival plus the recorded latency). Both run in (virtual time,
 * recorded seq) order, so actions that share a time run in the order IN saw them - which a
 * plain scheduler post order could not promise. One scheduler callback at a time carries
 * the next action on the lane of the ring that recorded it. In model mode an issue also
 * waits for the requests in flight that IN completed before it (must_wait).
 */
#include <stdlib.h>

#include "replay_int.h"

static int before(const rp_action *a, const rp_action *b)
{
    if (a->due != b->due)
        return a->due < b->due;
    if (a->key != b->key)
        return a->key < b->key;
    return a->order < b->order;
}

ct_err rp_queue_push(rp *r, const rp_action *a)
{
    if (r->nheap == r->heap_cap) {
        size_t cap = r->heap_cap ? r->heap_cap * 2 : 64;
        rp_action *n = realloc(r->heap, cap * sizeof *n);
        if (n == NULL)
            return CT_ERR_NOMEM;
        r->heap = n;
        r->heap_cap = cap;
    }
    size_t i = r->nheap++;
    r->heap[i] = *a;
    r->heap[i].order = r->order++;
    while (i > 0 && before(&r->heap[i], &r->heap[(i - 1) / 2])) {
        rp_action t = r->heap[i];
        r->heap[i] = r->heap[(i - 1) / 2];
        r->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return CT_OK;
}

static void heap_pop(rp *r)
{
    r->heap[0] = r->heap[--r->nheap];
    for (size_t i = 0;;) {
        size_t m = i, c = 2 * i + 1;
        if (c < r->nheap && before(&r->heap[c], &r->heap[m]))
            m = c;
        if (c + 1 < r->nheap && before(&r->heap[c + 1], &r->heap[m]))
            m = c + 1;
        if (m == i)
            return;
        rp_action t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

/* Model mode: whether instance x must wait for a request in flight. The simulated NIC's
 * latencies are not IN's, so IN's issue times alone no longer keep IN's order, nor with it
 * the host's ordering rules (reference §3.8: a terminate must not overtake the initiate of
 * its object, a path must not be terminated before its TCP connections are); without this
 * the IM would free state the NIC is still to read. So IN's happens-before is kept: x waits
 * for every request that IN's host had seen complete (edge 4) before it issued x (edge 1).
 * Requests that overlapped in IN still overlap. The host stays in order: a waiting
 * instance holds the ones after it, and the completion that frees it kicks the queue
 * (rp_queue_released). Scripted mode plays IN's latencies, which kept this order. */
static int must_wait(rp *r, const rp_inst *x)
{
    if (r->o->nic != REPLAY_NIC_MODEL || x->ev[1] == RP_NONE)
        return 0;
    while (r->open_lo < r->nissued && r->inst[r->issued[r->open_lo]].host_done)
        r->open_lo++;
    uint64_t issued_at = r->ev[x->ev[1]].seq;
    for (size_t k = r->open_lo; k < r->nissued; k++) {
        const rp_inst *y = &r->inst[r->issued[k]];
        if (!y->host_done && y->ev[4] != RP_NONE && r->ev[y->ev[4]].seq < issued_at)
            return 1;
    }
    return 0;
}

void rp_queue_released(rp *r)
{
    if (r->o->nic == REPLAY_NIC_MODEL)
        rp_queue_kick(r);
}

/* The next action: the next runnable instance to issue or the earliest completion. */
static int peek(rp *r, rp_action *out, int *is_issue)
{
    while (r->next_issue < r->ninst && r->inst[r->next_issue].skip != RP_RUN)
        r->next_issue++;
    int have_issue = r->next_issue < r->ninst && !r->stopping && /* stopped: finish only */
                     !must_wait(r, &r->inst[r->next_issue]);
    if (have_issue) {
        const rp_inst *x = &r->inst[r->next_issue];
        *out = (rp_action){.due = x->due, .key = r->ev[x->ev[1]].seq, .order = 0,
                           .lane = rp_lane_of(r, r->ev[x->ev[1]].ring),
                           .inst = (uint32_t)r->next_issue, .op = x->op, .root = NULL};
    }
    *is_issue = have_issue && (r->nheap == 0 || !before(&r->heap[0], out));
    if (!*is_issue && r->nheap > 0)
        *out = r->heap[0];
    return have_issue || r->nheap > 0;
}

static void run_next(void *arg)
{
    rp *r = arg;
    rp_action a;
    int is_issue;
    r->token = 0;
    if (r->err != CT_OK || !peek(r, &a, &is_issue))
        return;
    if (a.due > sched_now_ns(r->s) || a.lane != sched_current_lane(r->s)) {
        rp_queue_kick(r); /* not this one's time or lane (cannot happen; be safe) */
        return;
    }
    if (is_issue) {
        r->next_issue++;
        rp_host_issue(r, a.inst);
    } else {
        heap_pop(r);
        rp_snic_complete(r, &a);
    }
    rp_queue_kick(r);
}

void rp_queue_kick(rp *r)
{
    rp_action a;
    int is_issue;
    if (r->token || r->err != CT_OK || !peek(r, &a, &is_issue))
        return;
    uint64_t now = sched_now_ns(r->s);
    if (sched_post(r->s, a.lane, a.due > now ? a.due - now : 0, run_next, r) == CT_OK)
        r->token = 1;
    else
        rp_fail(r, CT_ERR_NOMEM, "cannot schedule the next replay action");
}

void rp_queue_free(rp *r)
{
    free(r->heap);
    r->heap = NULL;
    r->nheap = r->heap_cap = 0;
}
