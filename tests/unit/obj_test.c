/* obj_test.c - the object tracker gives every block of every event the right identity.
 *
 * Recorded traces (basic, storm, mixed with IPv6, churn, exhaust, deep) are checked against an
 * oracle built from the host stack's own objects, seen through the recorder's observer at
 * each request's issue, independent of the trace bytes. Hand-built events pin the rules one
 * by one (placeholders, linkers, forgetting, eviction) and obj_format's exact text.
 */
#define _DEFAULT_SOURCE
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include "obj.h"
#include "recorder.h"
#include "tf_helpers.h"

/* ------------------------------------------------------------------------------------ */
/* Oracle: identities from the host's objects                                            */

typedef struct oracle {
    obj_identity *by_obj;       /* by host_obj.id: identity learnt at its initiate */
    size_t n_obj;
    obj_identity **issue;       /* per issued request, per pre-order block */
    uint32_t *issue_n;
    size_t n_issue, cap_issue;
} oracle;

static obj_identity host_identity(const host_obj *o)
{
    obj_identity id;
    memset(&id, 0, sizeof id);
    if (o->kind == HOST_KIND_NEIGHBOR) {
        id.kind = OBJ_NEIGHBOR;
        memcpy(id.mac, o->u.nb.ca.DlDestinationAddress, 6);
        id.vlan = (uint16_t)o->u.nb.c.VlanId;
    } else if (o->kind == HOST_KIND_PATH || o->kind == HOST_KIND_TCP) {
        const host_obj *p = o->kind == HOST_KIND_PATH ? o : o->parent;
        id.kind = o->kind == HOST_KIND_PATH ? OBJ_PATH : OBJ_TCP;
        id.family = p->ipv6 ? 6 : 4;
        memcpy(id.src, p->u.path.src, p->ipv6 ? 16 : 4);
        memcpy(id.dst, p->u.path.dst, p->ipv6 ? 16 : 4);
        if (o->kind == HOST_KIND_TCP) {
            /* The host keeps ports in network byte order, as tcpip does. */
            id.lport = (uint16_t)((o->u.tcp.c.LocalPort >> 8) | (o->u.tcp.c.LocalPort << 8));
            id.rport = (uint16_t)((o->u.tcp.c.RemotePort >> 8) | (o->u.tcp.c.RemotePort << 8));
        }
    }
    return id;
}

/* Pre-order walk of the tree as sent: node, dependents, then NextBlock. */
static void walk(oracle *or, int initiate, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b,
                 obj_identity *out, uint32_t *k)
{
    for (; b; b = b->NextBlock) {
        obj_identity id;
        memset(&id, 0, sizeof id);
        if (b->OffloadHandle) {
            host_obj *o = (host_obj *)b->OffloadHandle; /* handle is host_obj's first member */
            if (o->id >= or->n_obj) {
                size_t n = o->id + 64;
                or->by_obj = realloc(or->by_obj, n * sizeof *or->by_obj);
                memset(or->by_obj + or->n_obj, 0, (n - or->n_obj) * sizeof *or->by_obj);
                or->n_obj = n;
            }
            if (initiate && b->OffloadHandle->MiniportOffloadContext == NULL)
                or->by_obj[o->id] = host_identity(o);   /* a new offload: learnt now */
            id = or->by_obj[o->id];
        }
        out[(*k)++] = id;
        walk(or, initiate, b->DependentBlockList, out, k);
    }
}

static void observe(void *ctx, const host_event *ev)
{
    oracle *or = ctx;
    if (ev->kind != HOST_EV_ISSUE)
        return;
    if (or->n_issue == or->cap_issue) {
        or->cap_issue = or->cap_issue ? or->cap_issue * 2 : 64;
        or->issue = realloc(or->issue, or->cap_issue * sizeof *or->issue);
        or->issue_n = realloc(or->issue_n, or->cap_issue * sizeof *or->issue_n);
    }
    obj_identity *ids = calloc(ev->nblocks + 1, sizeof *ids);
    uint32_t k = 0;
    walk(or, ev->op == HOST_OP_INITIATE, ev->root, ids, &k);
    cr_assert_eq(k, ev->nblocks);
    or->issue[or->n_issue] = ids;
    or->issue_n[or->n_issue++] = k;
}

static void oracle_free(oracle *or)
{
    for (size_t i = 0; i < or->n_issue; i++)
        free(or->issue[i]);
    free(or->issue);
    free(or->issue_n);
    free(or->by_obj);
}

static char dir[128];

static void setup(void)
{
    cr_assert_eq(tf_mkscratch(dir, sizeof dir), 0);
}

static void teardown(void)
{
    tf_rmtree(dir);
}

TestSuite(obj, .init = setup, .fini = teardown, .timeout = 120);

/* Record `workload` deterministically with the oracle attached; then feed the trace to a
 * tracker and compare every block of every event. Returns the blocks checked. */
static size_t check_workload(const char *workload, uint32_t connections, size_t *v6_blocks,
                             size_t *placeholders)
{
    char path[256];
    ct_record_opts o;
    ct_record_result res;
    ct_errinfo ei;
    oracle or;
    memset(&or, 0, sizeof or);
    snprintf(path, sizeof path, "%s/%s.ctrace", dir, workload);
    ct_record_opts_init(&o);
    o.workload = workload;
    o.deterministic = 1;
    o.connections = connections;
    o.out_path = path;
    o.observer = observe;
    o.observer_ctx = &or;
    cr_assert_eq(ct_record_run(&o, &res, &ei), CT_OK, "%s", ei.msg);

    ct_reader *r;
    obj_tracker *t;
    const Chimtrace__V1__Record *rec;
    uint64_t *op_issue = calloc(res.events + 1, sizeof *op_issue); /* op_id -> issue + 1 */
    size_t next_issue = 0, checked = 0;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    while (ct_reader_next(r, &rec, &ei) == CT_OK && rec) {
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
            continue;
        const Chimtrace__V1__Event *ev = rec->event;
        const obj_identity *ids;
        cr_assert(ev->op_id <= res.events);
        if (ev->edge == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE)
            op_issue[ev->op_id] = ++next_issue;
        cr_assert_neq(op_issue[ev->op_id], 0, "seq %llu: op %llu before its request-in",
                      (unsigned long long)ev->seq, (unsigned long long)ev->op_id);
        size_t k = op_issue[ev->op_id] - 1;
        cr_assert_lt(k, or.n_issue);
        cr_assert_eq(ev->n_block, or.issue_n[k], "seq %llu", (unsigned long long)ev->seq);
        cr_assert_eq(obj_tracker_feed(t, ev, &ids), CT_OK);
        for (size_t i = 0; i < ev->n_block; i++) {
            char got[128], want[128];
            obj_format(&ids[i], got, sizeof got);
            obj_format(&or.issue[k][i], want, sizeof want);
            cr_assert_eq(obj_cmp(&ids[i], &or.issue[k][i]), 0,
                         "%s seq %llu edge %d block %zu: got '%s', want '%s'", workload,
                         (unsigned long long)ev->seq, ev->edge, i, got, want);
            if (ids[i].kind == OBJ_NONE)
                ++*placeholders;
            if (ids[i].family == 6)
                ++*v6_blocks;
            checked++;
        }
        cr_assert_eq(obj_cmp(obj_tracker_root(t), ev->n_block ? &ids[0] : &ids[0]), 0);
    }
    cr_assert_eq(next_issue, or.n_issue, "%s: every issued request is in the trace", workload);
    obj_tracker_free(t);
    ct_reader_close(r);
    free(op_issue);
    oracle_free(&or);
    return checked;
}

Test(obj, basic_every_block_matches_the_host_objects)
{
    size_t v6 = 0, ph = 0;
    size_t n = check_workload("basic", 0, &v6, &ph);
    cr_assert_geq(n, 40);
}

Test(obj, storm_every_block_matches_the_host_objects)
{
    size_t v6 = 0, ph = 0;
    size_t n = check_workload("storm", 32, &v6, &ph);
    cr_log_info("storm: %zu blocks checked, %zu placeholders", n, ph);
    cr_assert_geq(n, 200);
}

Test(obj, mixed_ipv6_linkers_and_placeholders_match)
{
    size_t v6 = 0, ph = 0;
    size_t n = check_workload("mixed", 0, &v6, &ph);
    cr_log_info("mixed: %zu blocks, %zu IPv6, %zu placeholders", n, v6, ph);
    cr_assert_gt(v6, 0, "mixed must exercise IPv6 paths and connections");
    cr_assert_gt(ph, 0, "mixed must exercise placeholders");
}

Test(obj, churn_and_exhaust_reoffload_and_failed_initiates_match)
{
    size_t v6 = 0, ph = 0;
    check_workload("churn", 0, &v6, &ph);
    check_workload("exhaust", 0, &v6, &ph);
    check_workload("deep", 0, &v6, &ph);
}

/* ------------------------------------------------------------------------------------ */
/* Hand-built events                                                                     */

#define HB_MAX 8

typedef struct hb {
    Chimtrace__V1__Event ev;
    Chimtrace__V1__Block blk[HB_MAX], *bp[HB_MAX];
    Chimtrace__V1__NeighborConst nc[HB_MAX];
    Chimtrace__V1__NeighborCached nca[HB_MAX];
    Chimtrace__V1__PathConst pc[HB_MAX];
    Chimtrace__V1__TcpConst tc[HB_MAX];
    uint8_t mac[HB_MAX][6], src[HB_MAX][16], dst[HB_MAX][16];
} hb;

static void hb_init(hb *h, int op, int edge, uint64_t op_id)
{
    memset(h, 0, sizeof *h);
    chimtrace__v1__event__init(&h->ev);
    h->ev.has_op = h->ev.has_edge = h->ev.has_op_id = 1;
    h->ev.op = op;
    h->ev.edge = edge;
    h->ev.op_id = op_id;
    h->ev.block = h->bp;
}

/* Append a block; parent < 0 for none; handle 0 makes a placeholder. */
static Chimtrace__V1__Block *hb_block(hb *h, int parent, uint64_t handle)
{
    size_t i = h->ev.n_block++;
    Chimtrace__V1__Block *b = &h->blk[i];
    chimtrace__v1__block__init(b);
    h->bp[i] = b;
    b->has_index = 1;
    b->index = (uint32_t)i;
    if (parent >= 0) {
        b->has_parent = 1;
        b->parent = (uint32_t)parent;
    }
    b->has_offload_handle_id = 1;
    b->offload_handle_id = handle;
    b->has_context_slot_id = 1;
    b->context_slot_id = handle ? handle + 1000 : 0;
    return b;
}

static size_t hb_idx(hb *h, Chimtrace__V1__Block *b)
{
    return (size_t)(b - h->blk);
}

static void hb_neighbor(hb *h, Chimtrace__V1__Block *b, const uint8_t mac[6], uint32_t vlan)
{
    size_t i = hb_idx(h, b);
    b->has_header_type = 1;
    b->header_type = 4; /* NeighborOffloadState */
    chimtrace__v1__neighbor_const__init(&h->nc[i]);
    h->nc[i].has_vlan_id = 1;
    h->nc[i].vlan_id = vlan;
    chimtrace__v1__neighbor_cached__init(&h->nca[i]);
    memcpy(h->mac[i], mac, 6);
    h->nca[i].has_dl_destination_address = 1;
    h->nca[i].dl_destination_address.data = h->mac[i];
    h->nca[i].dl_destination_address.len = 6;
    b->neighbor_const = &h->nc[i];
    b->neighbor_cached = &h->nca[i];
}

static void hb_path(hb *h, Chimtrace__V1__Block *b, int v6, const uint8_t *s, const uint8_t *d)
{
    size_t i = hb_idx(h, b), len = v6 ? 16 : 4;
    b->has_header_type = 1;
    b->header_type = v6 ? 12 : 8;
    chimtrace__v1__path_const__init(&h->pc[i]);
    memcpy(h->src[i], s, len);
    memcpy(h->dst[i], d, len);
    h->pc[i].has_source_address = h->pc[i].has_destination_address = 1;
    h->pc[i].source_address.data = h->src[i];
    h->pc[i].source_address.len = len;
    h->pc[i].destination_address.data = h->dst[i];
    h->pc[i].destination_address.len = len;
    b->path_const = &h->pc[i];
}

/* Ports are given as numbers and stored as the host stores them: network byte order. */
static void hb_tcp(hb *h, Chimtrace__V1__Block *b, uint16_t lport, uint16_t rport)
{
    size_t i = hb_idx(h, b);
    b->has_header_type = 1;
    b->header_type = 17;
    chimtrace__v1__tcp_const__init(&h->tc[i]);
    h->tc[i].has_local_port = h->tc[i].has_remote_port = 1;
    h->tc[i].local_port = (uint32_t)(((lport & 0xFF) << 8) | (lport >> 8));
    h->tc[i].remote_port = (uint32_t)(((rport & 0xFF) << 8) | (rport >> 8));
    b->tcp_const = &h->tc[i];
}

static void hb_statuses(hb *h, uint32_t status)
{
    for (size_t i = 0; i < h->ev.n_block; i++) {
        h->blk[i].has_status = 1;
        h->blk[i].status = status;
    }
}

/* Same tree, other handles (the IM's at edges 2 and 3), no state. */
static void hb_lower_copy(hb *dst, const hb *src, int edge, uint64_t handle_base)
{
    hb_init(dst, src->ev.op, edge, src->ev.op_id);
    for (size_t i = 0; i < src->ev.n_block; i++)
        hb_block(dst, src->blk[i].has_parent ? (int)src->blk[i].parent : -1,
                 src->blk[i].offload_handle_id ? handle_base + i : 0);
}

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t V4A[4] = {10, 0, 0, 1}, V4B[4] = {198, 18, 0, 2};
static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static const char *fmt(const obj_identity *id)
{
    static char buf[4][128];
    static int k;
    char *b = buf[k++ & 3];
    obj_format(id, b, 128);
    return b;
}

static const obj_identity *feed(obj_tracker *t, hb *h)
{
    const obj_identity *ids;
    cr_assert_eq(obj_tracker_feed(t, &h->ev, &ids), CT_OK);
    return ids;
}

/* An initiate of neighbor -> IPv6 path -> TCP, with handles 1, 2, 3 at edge 1. */
static void initiate_v6(obj_tracker *t, uint64_t op_id)
{
    hb e1, e;
    hb_init(&e1, CHIMTRACE__V1__OPERATION__OP_INITIATE, 1, op_id);
    hb_neighbor(&e1, hb_block(&e1, -1, 1), MAC, 5);
    hb_path(&e1, hb_block(&e1, 0, 2), 1, V6A, V6B);
    hb_tcp(&e1, hb_block(&e1, 1, 3), 49152, 443);
    const obj_identity *ids = feed(t, &e1);
    cr_assert_str_eq(fmt(&ids[0]), "neighbor 52:54:00:12:34:56 vlan 5");
    cr_assert_str_eq(fmt(&ids[1]), "path 2001:db8::1 -> 2001:db8::2");
    cr_assert_str_eq(fmt(&ids[2]), "tcp [2001:db8::1]:49152 -> [2001:db8::2]:443");
    for (int edge = 2; edge <= 3; edge++) {
        hb_lower_copy(&e, &e1, edge, 500 + op_id * 10);
        ids = feed(t, &e);
        cr_assert_str_eq(fmt(&ids[0]), "neighbor 52:54:00:12:34:56 vlan 5", "edge %d", edge);
        cr_assert_str_eq(fmt(&ids[2]), "tcp [2001:db8::1]:49152 -> [2001:db8::2]:443");
    }
    hb_lower_copy(&e, &e1, 4, 1);   /* upper handles restored: 1, 2, 3 */
    hb_statuses(&e, 0);
    ids = feed(t, &e);
    cr_assert_str_eq(fmt(&ids[1]), "path 2001:db8::1 -> 2001:db8::2");
    cr_assert_str_eq(fmt(obj_tracker_root(t)), "neighbor 52:54:00:12:34:56 vlan 5");
}

Test(obj_rules, initiate_learns_identities_and_every_edge_gets_them)
{
    obj_tracker *t;
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    initiate_v6(t, 1);
    obj_tracker_free(t);
}

Test(obj_rules, format_is_exact_for_every_kind)
{
    obj_identity id;
    char buf[128];
    memset(&id, 0, sizeof id);
    cr_assert_eq(obj_format(&id, buf, sizeof buf), 1);
    cr_assert_str_eq(buf, "-");
    cr_assert_str_eq(fmt(NULL), "-");
    id.kind = OBJ_PATH;
    id.family = 4;
    memcpy(id.src, V4A, 4);
    memcpy(id.dst, V4B, 4);
    cr_assert_str_eq(fmt(&id), "path 10.0.0.1 -> 198.18.0.2");
    id.kind = OBJ_TCP;
    id.lport = 49152;
    id.rport = 443;
    cr_assert_str_eq(fmt(&id), "tcp 10.0.0.1:49152 -> 198.18.0.2:443");
    /* snprintf rules: the full length is returned, the text is cut. */
    int n = obj_format(&id, buf, 8);
    cr_assert_eq(n, (int)strlen("tcp 10.0.0.1:49152 -> 198.18.0.2:443"));
    cr_assert_str_eq(buf, "tcp 10.");
    memset(&id, 0, sizeof id);
    id.kind = OBJ_NEIGHBOR;
    memcpy(id.mac, MAC, 6);
    cr_assert_str_eq(fmt(&id), "neighbor 52:54:00:12:34:56 vlan 0");
    id.kind = OBJ_TCP;  /* a connection whose path was never seen */
    memset(id.mac, 0, 6);
    id.lport = 1;
    id.rport = 2;
    cr_assert_str_eq(fmt(&id), "tcp ?:1 -> ?:2");
}

Test(obj_rules, cmp_orders_by_kind_then_fields)
{
    obj_identity a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    cr_assert_eq(obj_cmp(&a, &b), 0);
    a.kind = OBJ_NEIGHBOR;
    b.kind = OBJ_TCP;
    cr_assert_lt(obj_cmp(&a, &b), 0);
    cr_assert_gt(obj_cmp(&b, &a), 0);
    a = b;
    a.rport = 1;
    b.rport = 2;
    cr_assert_lt(obj_cmp(&a, &b), 0);
    b.rport = 1;
    cr_assert_eq(obj_cmp(&a, &b), 0);
    b.src[15] = 1;
    cr_assert_lt(obj_cmp(&a, &b), 0);
}

Test(obj_rules, placeholders_and_unknown_handles_get_none)
{
    obj_tracker *t;
    hb q;
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    initiate_v6(t, 1);
    /* A query whose root is a placeholder for the path, the TCP below it; a second block
     * names a handle never offloaded; state at a query's request-in is never learnt. */
    hb_init(&q, CHIMTRACE__V1__OPERATION__OP_QUERY, 1, 2);
    hb_block(&q, -1, 0);
    hb_block(&q, 0, 3);
    hb_tcp(&q, hb_block(&q, 0, 77), 1, 2);
    const obj_identity *ids = feed(t, &q);
    cr_assert_eq(ids[0].kind, OBJ_NONE);
    cr_assert_str_eq(fmt(&ids[1]), "tcp [2001:db8::1]:49152 -> [2001:db8::2]:443");
    cr_assert_eq(ids[2].kind, OBJ_NONE, "got %s", fmt(&ids[2]));
    cr_assert_eq(obj_tracker_root(t)->kind, OBJ_NONE);
    /* Edges 2 and 3 of an operation whose request-in was never seen know nothing. */
    hb_init(&q, CHIMTRACE__V1__OPERATION__OP_QUERY, 2, 99);
    hb_block(&q, -1, 3);
    ids = feed(t, &q);
    cr_assert_eq(ids[0].kind, OBJ_NONE);
    obj_tracker_free(t);
}

Test(obj_rules, successful_terminate_forgets_a_failed_one_does_not)
{
    obj_tracker *t;
    hb e;
    const obj_identity *ids;
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    initiate_v6(t, 1);
    /* Terminate of the TCP object fails: it stays known. */
    hb_init(&e, CHIMTRACE__V1__OPERATION__OP_TERMINATE, 4, 2);
    hb_block(&e, -1, 3);
    hb_statuses(&e, 0xC0000001u);
    ids = feed(t, &e);
    cr_assert_eq(ids[0].kind, OBJ_TCP);
    hb_init(&e, CHIMTRACE__V1__OPERATION__OP_QUERY, 1, 3);
    hb_block(&e, -1, 3);
    cr_assert_eq(feed(t, &e)[0].kind, OBJ_TCP);
    /* A successful terminate still names the object at its completion-out, then forgets. */
    hb_init(&e, CHIMTRACE__V1__OPERATION__OP_TERMINATE, 4, 4);
    hb_block(&e, -1, 3);
    hb_statuses(&e, 0);
    cr_assert_eq(feed(t, &e)[0].kind, OBJ_TCP);
    hb_init(&e, CHIMTRACE__V1__OPERATION__OP_QUERY, 1, 5);
    hb_block(&e, -1, 3);
    hb_block(&e, -1, 2);
    ids = feed(t, &e);
    cr_assert_eq(ids[0].kind, OBJ_NONE);
    cr_assert_eq(ids[1].kind, OBJ_PATH, "the path was not terminated");
    obj_tracker_free(t);
}

Test(obj_rules, failed_initiate_forgets_new_offloads_but_not_linked_objects)
{
    obj_tracker *t;
    hb e1, e4, q;
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    initiate_v6(t, 1);
    /* Linker for path 2 (no state), a new IPv6 TCP below it: the TCP takes the path's
     * addresses from the tracker. */
    hb_init(&e1, CHIMTRACE__V1__OPERATION__OP_INITIATE, 1, 2);
    hb_block(&e1, -1, 2);
    hb_tcp(&e1, hb_block(&e1, 0, 40), 50000, 80);
    const obj_identity *ids = feed(t, &e1);
    cr_assert_str_eq(fmt(&ids[0]), "path 2001:db8::1 -> 2001:db8::2");
    cr_assert_str_eq(fmt(&ids[1]), "tcp [2001:db8::1]:50000 -> [2001:db8::2]:80");
    /* Both fail (a linker whose dependents all failed fails too). */
    hb_lower_copy(&e4, &e1, 4, 0);
    e4.blk[0].offload_handle_id = 2;
    e4.blk[1].offload_handle_id = 40;
    hb_statuses(&e4, 0xC000009Au);
    ids = feed(t, &e4);
    cr_assert_str_eq(fmt(&ids[1]), "tcp [2001:db8::1]:50000 -> [2001:db8::2]:80");
    hb_init(&q, CHIMTRACE__V1__OPERATION__OP_QUERY, 1, 3);
    hb_block(&q, -1, 2);
    hb_block(&q, 0, 40);
    ids = feed(t, &q);
    cr_assert_eq(ids[0].kind, OBJ_PATH, "a failed linker does not end the linked object");
    cr_assert_eq(ids[1].kind, OBJ_NONE, "a failed new offload is not offloaded");
    obj_tracker_free(t);
}

Test(obj_rules, edge_4_falls_back_to_the_edge_1_block_when_a_handle_is_not_restored)
{
    obj_tracker *t;
    hb e1, e4;
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    initiate_v6(t, 1);
    hb_init(&e1, CHIMTRACE__V1__OPERATION__OP_UPDATE, 1, 2);
    hb_block(&e1, -1, 3);
    feed(t, &e1);
    hb_lower_copy(&e4, &e1, 4, 9999); /* an IM that forgot to put the host's handle back */
    cr_assert_eq(feed(t, &e4)[0].kind, OBJ_TCP);
    obj_tracker_free(t);
}

/* How this fails: a tracker without caps keeps every object whose terminate never comes and
 * every operation whose completion was lost; then nothing is ever evicted and the first
 * handle is still known after 300k more. */
Test(obj_rules, tables_are_bounded_and_drop_the_least_recently_used)
{
    obj_tracker *t;
    hb e;
    uint8_t mac[6] = {2, 0, 0, 0, 0, 0};
    cr_assert_eq(obj_tracker_new(&t), CT_OK);
    for (uint32_t i = 1; i <= 300000; i++) {
        hb_init(&e, CHIMTRACE__V1__OPERATION__OP_INITIATE, 1, i);
        memcpy(mac + 2, &i, 4);
        hb_neighbor(&e, hb_block(&e, -1, i), mac, 0);
        feed(t, &e);
    }
    hb_init(&e, CHIMTRACE__V1__OPERATION__OP_QUERY, 1, 400000);
    hb_block(&e, -1, 1);
    hb_block(&e, -1, 300000);
    const obj_identity *ids = feed(t, &e);
    cr_assert_eq(ids[0].kind, OBJ_NONE, "the oldest object was evicted");
    cr_assert_eq(ids[1].kind, OBJ_NEIGHBOR, "the newest is kept");
    obj_tracker_free(t);
}
