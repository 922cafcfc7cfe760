/* host_complete.c - what the host does when a completion comes back up.
 *
 * It finds the request by its root (never trusting a pointer the layers below wrote),
 * checks every block against what the host wrote (§4.3 checks 4-7: Status written and
 * legal, parent/dependent statuses consistent, OffloadHandle/Header/links/reserved fields
 * and SourceHandle restored, contexts written only on success), moves the objects to their
 * next state, counts, and lets the lane go on. Completed requests stay in a quarantine for
 * a while so that a second completion of the same root is told apart from a stray one.
 */
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include "record.h"

host_status_class host_status_classify(NDIS_STATUS st)
{
    switch (st) {
    case NDIS_STATUS_SUCCESS: return HOST_ST_SUCCESS;
    case NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS: return HOST_ST_PARTIAL_SUCCESS;
    case NDIS_STATUS_FAILURE: return HOST_ST_FAILURE;
    case NDIS_STATUS_RESOURCES: return HOST_ST_RESOURCES;
    case NDIS_STATUS_OFFLOAD_TCP_ENTRIES: return HOST_ST_TCP_ENTRIES;
    case NDIS_STATUS_OFFLOAD_PATH_ENTRIES: return HOST_ST_PATH_ENTRIES;
    case NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES: return HOST_ST_NEIGHBOR_ENTRIES;
    case NDIS_STATUS_NOT_SUPPORTED: return HOST_ST_NOT_SUPPORTED;
    case HOST_STATUS_SENTINEL: return HOST_ST_UNWRITTEN;
    default:
        if (((uint32_t)st & 0xFFFFF000u) == 0xC0231000u)
            return HOST_ST_OTHER_OFFLOAD;
        return HOST_ST_OTHER;
    }
}

const char *host_status_class_name(host_status_class c)
{
    static const char *const names[HOST_ST_COUNT] = {
        "success", "partial_success", "failure", "resources", "tcp_entries", "path_entries",
        "neighbor_entries", "other_offload", "not_supported", "unwritten", "other"};
    return (unsigned)c < HOST_ST_COUNT ? names[c] : "?";
}

static int offloaded(NDIS_STATUS st)
{
    return st == NDIS_STATUS_SUCCESS || st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS;
}

/* ---- request lookup ---------------------------------------------------------------------- */

static host_req *find_in(host_req *list, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    for (host_req *r = list; r; r = r->next)
        if (r->root == root)
            return r;
    return NULL;
}

static void unlink_outstanding(host *h, host_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        h->outstanding = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
}

static void quarantine(host *h, host_req *r)
{
    if (h->quarantine_tail)
        h->quarantine_tail->next = r;
    else
        h->quarantine_head = r;
    h->quarantine_tail = r;
    if (++h->quarantined > HOST_QUARANTINE) {
        host_req *old = h->quarantine_head;
        h->quarantine_head = old->next;
        h->quarantined--;
        free(old);
    }
}

/* ---- per-block checks (§4.3) ---------------------------------------------------------- */

static void check_fields(host *h, const host_req *r, uint32_t k)
{
    const host_blk *bk = &r->blks[k];
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b = bk->b;
    host_violations *v = &h->st.v;
    if (b->Status == HOST_STATUS_SENTINEL)
        v->status_unwritten++;
    if (memcmp(&b->Header, &bk->hdr, sizeof bk->hdr) != 0)
        v->header_changed++;
    if (b->NextBlock != bk->next || b->DependentBlockList != bk->dep)
        v->links_changed++;
    if (b->OffloadHandle != bk->handle)
        v->handle_not_restored++;
    if (b->ProtocolReserved[0] != bk->protocol_reserved[0] ||
        b->ProtocolReserved[1] != bk->protocol_reserved[1] || b->ImReserved[0] ||
        b->ImReserved[1])
        v->reserved_changed++;
    /* NDIS stamps the root's SourceHandle with our binding on the way down; an IM must put
     * back what it received. Other blocks keep what the host wrote (NULL). */
    if (b->SourceHandle != (k == 0 ? (PVOID)h->binding : NULL))
        v->source_handle_changed++;
    if (b->NetBufferListChain)
        v->nbl_chain_unexpected++;
    for (uint32_t s = 0, bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1)
        if (bk->state_mask & bit) {
            const OFFLOAD_STATE_HEADER *sh =
                (const OFFLOAD_STATE_HEADER *)((const UCHAR *)b + bk->state_off[s++]);
            if (sh->Length != shim_state_size(bit))
                h->st.v.state_header_changed++;
        }
}

/* Status legality by op and role, and the §3.2 parent/dependent rule for initiate. */
static void check_status(host *h, const host_req *r, uint32_t k)
{
    const host_blk *bk = &r->blks[k];
    NDIS_STATUS st = bk->b->Status;
    host_violations *v = &h->st.v;
    if (st == HOST_STATUS_SENTINEL || st == NDIS_STATUS_NOT_SUPPORTED)
        return; /* counted already, or NDIS's own answer for a missing handler */
    if (bk->role == HOST_ROLE_PLACEHOLDER) {
        if (st != NDIS_STATUS_SUCCESS)
            v->status_illegal++;
        return;
    }
    if (r->op != HOST_OP_INITIATE) {
        if (st != NDIS_STATUS_SUCCESS && st != NDIS_STATUS_FAILURE)
            v->status_illegal++;
        return;
    }
    if (st > 0 && st != NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS) {
        v->status_illegal++; /* neither success nor an error code */
        return;
    }
    if (st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS && bk->ndeps == 0) {
        v->status_illegal++; /* partial success needs dependents */
        return;
    }
    if (bk->ndeps == 0)
        return;
    int all = bk->deps_ok == bk->ndeps, none = bk->deps_ok == 0;
    if (st == NDIS_STATUS_SUCCESS && !all)
        v->status_inconsistent++;
    else if (st == NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS && (all || none) &&
             !(none && bk->role == HOST_ROLE_NEW))
        v->status_inconsistent++; /* a linker whose dependents all failed must fail */
    else if (!offloaded(st) && !none)
        v->status_inconsistent++; /* dependents offloaded under a failed parent */
}

static void check_context(host *h, const host_req *r, uint32_t k)
{
    const host_blk *bk = &r->blks[k];
    if (!bk->handle)
        return;
    PVOID ctx = bk->handle->MiniportOffloadContext;
    if (bk->role == HOST_ROLE_NEW) {
        if (offloaded(bk->b->Status) && !ctx)
            h->st.v.context_not_written++;
        if (!offloaded(bk->b->Status) && ctx)
            h->st.v.context_bad_write++;
    } else if (ctx != bk->ctx_before) {
        h->st.v.context_bad_write++;
    }
}

/* ---- object transitions ----------------------------------------------------------------- */

static void upload(host_obj *o)
{
    o->state = HOST_OBJ_UPLOADED;
    o->needs_upload = 0;
    memset(&o->handle, 0, sizeof o->handle);
    if (o->parent && o->parent->live_deps)
        o->parent->live_deps--;
}

static const void *state_at(const host_blk *bk, uint32_t bit)
{
    for (uint32_t s = 0, b = 1; b <= SHIM_ST_TCP_DELEGATED; b <<= 1)
        if (bk->state_mask & b) {
            if (b == bit)
                return (const UCHAR *)bk->b + bk->state_off[s];
            s++;
        }
    return NULL;
}

/* A state struct still exactly as the host pre-filled it. */
static int unfilled(const host_blk *bk, uint32_t bit)
{
    UCHAR pristine[SHIM_STATE_MAX_BYTES];
    uint32_t sz = shim_state_size(bit);
    const void *at = state_at(bk, bit);
    if (!at || sz <= sizeof(OFFLOAD_STATE_HEADER))
        return 0;
    host_state_prefill(bit, pristine);
    return memcmp(at, pristine, sz) == 0;
}

/* Terminate hands the delegated state back: the host owns the connection again. */
static void take_back_delegated(host_obj *o, const host_blk *bk)
{
    if (o->kind == HOST_KIND_TCP) {
        const TCP_OFFLOAD_STATE_DELEGATED *d = state_at(bk, SHIM_ST_TCP_DELEGATED);
        if (!d || d->State < TcpConnectionEstablished || d->State > TcpConnectionLastAck)
            return;
        memcpy(&o->u.tcp.d, d, sizeof *d);
        o->u.tcp.d.Header.Length = sizeof *d;
        o->u.tcp.d.SendDataHead = o->u.tcp.d.SendDataTail = NULL;
        o->u.tcp.d.BufferedData = NULL;
    } else if (o->kind == HOST_KIND_NEIGHBOR) {
        const NEIGHBOR_OFFLOAD_STATE_DELEGATED *d = state_at(bk, SHIM_ST_NEIGHBOR_DELEGATED);
        if (d)
            o->u.nb.d.NicReachabilityDelta = d->NicReachabilityDelta;
    }
}

static void commit_update(host *h, const host_req *r, const host_blk *bk)
{
    host_obj *o = bk->obj;
    uint32_t bit = shim_state_mask(bk->hdr.Type);
    const void *ca = state_at(bk, bit);
    if (ca && o->kind == HOST_KIND_NEIGHBOR)
        memcpy(&o->u.nb.ca, ca, sizeof o->u.nb.ca);
    else if (ca && o->kind == HOST_KIND_PATH)
        memcpy(&o->u.path.ca, ca, sizeof o->u.path.ca);
    else if (ca) {
        memcpy(&o->u.tcp.ca, ca, sizeof o->u.tcp.ca);
        /* One-shot signals of this update, not state to send again. */
        o->u.tcp.ca.Flags &= (USHORT) ~(TCP_FLAG_KEEP_ALIVE_RESTART | TCP_FLAG_MAX_RT_RESTART |
                                        TCP_FLAG_UPDATE_RCV_WND);
    }
    if (bk->relink) {
        host_obj *to = r->blks[bk->parent].obj;
        if (o->parent && o->parent->live_deps)
            o->parent->live_deps--;
        o->parent = to;
        to->live_deps++;
    }
    (void)h;
}

static void apply_ref(host *h, const host_req *r, const host_blk *bk)
{
    host_obj *o = bk->obj;
    NDIS_STATUS st = bk->b->Status;
    switch (r->op) {
    case HOST_OP_QUERY:
        o->queries--;
        if (st != NDIS_STATUS_SUCCESS)
            o->needs_upload = 1; /* corrupt state: the host will terminate it (§3.2) */
        else
            for (uint32_t bit = 1; bit <= SHIM_ST_TCP_DELEGATED; bit <<= 1)
                if ((bk->state_mask & bit) && unfilled(bk, bit))
                    h->st.state_unfilled++;
        break;
    case HOST_OP_UPDATE:
        o->updates--;
        if (st == NDIS_STATUS_SUCCESS)
            commit_update(h, r, bk);
        else
            o->needs_upload = 1;
        break;
    case HOST_OP_INVALIDATE: o->invalidates--; break;
    case HOST_OP_TERMINATE:
        /* Success or not, the object is the host's again (a failed terminate is a lost
         * object, §3.2: the host aborts it). */
        if (st == NDIS_STATUS_SUCCESS) {
            if (unfilled(bk, shim_state_mask(bk->hdr.Type)))
                h->st.state_unfilled++;
            else
                take_back_delegated(o, bk);
        }
        upload(o);
        break;
    default: break;
    }
}

static void apply(host *h, const host_req *r, uint32_t k)
{
    const host_blk *bk = &r->blks[k];
    if (bk->role == HOST_ROLE_NEW) {
        bk->obj->refused = !offloaded(bk->b->Status);
        if (bk->obj->refused)
            upload(bk->obj);
        else
            bk->obj->state = HOST_OBJ_OFFLOADED;
    } else if (bk->role == HOST_ROLE_REF) {
        apply_ref(h, r, bk);
    }
}

static void check_and_apply(host *h, host_req *r)
{
    for (uint32_t k = 0; k < r->nblocks; k++)
        r->blks[k].deps_ok = 0;
    for (uint32_t k = 0; k < r->nblocks; k++) {
        host_blk *bk = &r->blks[k];
        if (bk->parent != HOST_NO_PARENT && bk->role != HOST_ROLE_PLACEHOLDER &&
            offloaded(bk->b->Status))
            r->blks[bk->parent].deps_ok++;
    }
    for (uint32_t k = 0; k < r->nblocks; k++) {
        h->st.block_status[r->op][host_status_classify(r->blks[k].b->Status)]++;
        check_fields(h, r, k);
        check_status(h, r, k);
        check_context(h, r, k);
    }
    for (uint32_t k = 0; k < r->nblocks; k++)
        apply(h, r, k);
}

void host_complete(host *h, host_op via, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    pthread_mutex_lock(&h->lock);
    host_req *r = find_in(h->outstanding, root);
    if (!r || r->completing) {
        if (r || find_in(h->quarantine_head, root))
            h->st.v.duplicate_completion++;
        else
            h->st.v.unknown_completion++;
        pthread_mutex_unlock(&h->lock);
        return;
    }
    r->completing = 1;
    pthread_mutex_unlock(&h->lock);

    host_observe(h, HOST_EV_COMPLETE, r->op, via, r);

    pthread_mutex_lock(&h->lock);
    if (via != r->op)
        h->st.v.wrong_kind++;
    check_and_apply(h, r);
    h->st.completed[r->op]++;
    h->st.outstanding--;
    host_lane *l = r->lane;
    unlink_outstanding(h, r);
    quarantine(h, r);
    int post = host_lane_request_done(h, l);
    pthread_mutex_unlock(&h->lock);
    if (post)
        host_lane_post_next(h, l);
}
