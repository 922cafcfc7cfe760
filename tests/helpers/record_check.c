/* record_check.c - independent checks of recorded traces (see record_check.h).
 *
 * Shares no code with the shim or the encoder: the observer side walks the host's POBL tree
 * with its own pre-order walk and reads TCP ports at the offsets the reference gives; the
 * trace side reads the protobuf records. tshark and `chimtrace info` are run as programs.
 */
#define _POSIX_C_SOURCE 200809L
#include "record_check.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "tracefile.h"

/* ---- digests ---------------------------------------------------------------------------- */

static void add_digest(rc_requests *r, const char *d)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->digest = realloc(r->digest, r->cap * sizeof *r->digest);
    }
    r->digest[r->n++] = strdup(d);
}

void rc_requests_init(rc_requests *r)
{
    memset(r, 0, sizeof *r);
}

void rc_requests_free(rc_requests *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->digest[i]);
    free(r->digest);
    memset(r, 0, sizeof *r);
}

static void append(char *buf, size_t size, const char *fmt, unsigned a, int b)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, fmt, a, b);
}

/* Host side: walk the POBL tree in pre-order (node, dependents, next). */
void rc_observe(void *ctx, const host_event *ev)
{
    if (ev->kind != HOST_EV_ISSUE)
        return;
    char d[65536];
    snprintf(d, sizeof d, "op%d|", (int)ev->op);
    const NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *stack[64];
    int parent_of[64], depth = 0, index = 0;
    stack[depth] = ev->root;
    parent_of[depth++] = -1;
    while (depth > 0 && strlen(d) < sizeof d - 64) {
        const NDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *b = stack[--depth];
        int parent = parent_of[depth], me = index++;
        append(d, sizeof d, "%u,%d", b->Header.Type, parent);
        int newoff = b->OffloadHandle != NULL && b->OffloadHandle->MiniportOffloadContext == NULL;
        if (ev->op == HOST_OP_INITIATE && newoff &&
            (b->Header.Type == TcpOffloadState || b->Header.Type == TcpOffloadConstState)) {
            const uint8_t *c = (const uint8_t *)(b + 1); /* TCP const comes first */
            uint16_t rport, lport;
            memcpy(&rport, c + 0x0a, 2);
            memcpy(&lport, c + 0x0c, 2);
            append(d, sizeof d, ",t%u.%d", lport, rport);
        }
        strcat(d, ";");
        if (b->NextBlock != NULL && depth < 63) {
            stack[depth] = b->NextBlock;
            parent_of[depth++] = parent;
        }
        if (b->DependentBlockList != NULL && depth < 63) {
            stack[depth] = b->DependentBlockList;
            parent_of[depth++] = me;
        }
    }
    add_digest(ctx, d);
}

/* Trace side: the same digest from an edge-1 event. */
static void event_digest(const Chimtrace__V1__Event *ev, char *d, size_t size)
{
    snprintf(d, size, "op%d|", (int)ev->op);
    for (size_t i = 0; i < ev->n_block && strlen(d) < size - 64; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        append(d, size, "%u,%d", b->header_type, b->has_parent ? (int)b->parent : -1);
        if (ev->op == CHIMTRACE__V1__OPERATION__OP_INITIATE && b->tcp_const != NULL)
            append(d, size, ",t%u.%d", b->tcp_const->local_port, (int)b->tcp_const->remote_port);
        strcat(d, ";");
    }
}

/* ---- reading the trace ------------------------------------------------------------------ */

typedef struct inst {
    uint64_t op_id;
    unsigned edges, dup;
    int op;
} inst;

static int inst_cmp(const void *a, const void *b)
{
    uint64_t x = ((const inst *)a)->op_id, y = ((const inst *)b)->op_id;
    return x < y ? -1 : x > y;
}

static rc_conn *conn_of(rc_trace *t, uint64_t handle_id)
{
    for (size_t i = 0; i < t->nconns; i++)
        if (t->conns[i].handle_id == handle_id)
            return &t->conns[i];
    t->conns = realloc(t->conns, (t->nconns + 1) * sizeof *t->conns);
    rc_conn *c = &t->conns[t->nconns++];
    memset(c, 0, sizeof *c);
    c->handle_id = handle_id;
    return c;
}

static uint16_t net16(uint32_t stored)
{
    uint16_t v = (uint16_t)stored;
    const uint8_t *b = (const uint8_t *)&v; /* the struct holds network order */
    return (uint16_t)(b[0] << 8 | b[1]);
}

static void ip_text(const ProtobufCBinaryData *a, char *out, size_t size)
{
    if (a->len == 4) {
        snprintf(out, size, "%u.%u.%u.%u", a->data[0], a->data[1], a->data[2], a->data[3]);
        return;
    }
    struct in6_addr x;
    memcpy(&x, a->data, a->len == 16 ? 16 : 0);
    inet_ntop(AF_INET6, &x, out, (socklen_t)size);
}

static const struct rc_path *path_of(const rc_trace *t, uint64_t handle_id)
{
    for (size_t i = 0; i < t->npaths; i++)
        if (t->paths[i].handle_id == handle_id)
            return &t->paths[i];
    return NULL;
}

static void note_path(rc_trace *t, const Chimtrace__V1__Block *b)
{
    if (b->path_const == NULL || !b->path_const->has_source_address || path_of(t, b->offload_handle_id))
        return;
    t->paths = realloc(t->paths, (t->npaths + 1) * sizeof *t->paths);
    struct rc_path *p = &t->paths[t->npaths++];
    p->handle_id = b->offload_handle_id;
    ip_text(&b->path_const->source_address, p->src, sizeof p->src);
    ip_text(&b->path_const->destination_address, p->dst, sizeof p->dst);
}

static void note_conns(rc_trace *t, const Chimtrace__V1__Event *ev)
{
    if (ev->edge == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE)
        for (size_t i = 0; i < ev->n_block; i++)
            note_path(t, ev->block[i]);
    for (size_t i = 0; i < ev->n_block; i++) {
        const Chimtrace__V1__Block *b = ev->block[i];
        if (b->tcp_delegated == NULL)
            continue;
        if (ev->op == CHIMTRACE__V1__OPERATION__OP_INITIATE &&
            ev->edge == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE && b->tcp_const != NULL) {
            rc_conn *c = conn_of(t, b->offload_handle_id);
            c->local_port = net16(b->tcp_const->local_port);
            c->remote_port = net16(b->tcp_const->remote_port);
            c->isn = b->tcp_delegated->snd_nxt;
            const struct rc_path *p =
                b->has_parent ? path_of(t, ev->block[b->parent]->offload_handle_id) : NULL;
            /* Under a placeholder (exhaust does that) there is no path: the NIC refuses
             * such a connection and sends nothing for it. */
            snprintf(c->src_ip, sizeof c->src_ip, "%s", p ? p->src : "-");
            snprintf(c->dst_ip, sizeof c->dst_ip, "%s", p ? p->dst : "-");
        } else if (ev->op == CHIMTRACE__V1__OPERATION__OP_TERMINATE &&
                   ev->edge == CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE &&
                   b->status == 0) {
            rc_conn *c = conn_of(t, b->offload_handle_id);
            c->fin = b->tcp_delegated->snd_nxt;
            c->terminated = 1;
        }
    }
}

static void note_status(rc_trace *t, const Chimtrace__V1__Event *ev)
{
    if (ev->edge != CHIMTRACE__V1__EDGE__EDGE_COMPLETION_OUT_ABOVE)
        return;
    for (size_t i = 0; i < ev->n_block; i++) {
        uint32_t st = ev->block[i]->status;
        if (st == 0x40020004u)
            t->status_partial++;
        if (st >= 0xC0231004u && st <= 0xC0231009u)
            t->status_entries++;
    }
}

void rc_read_trace(const char *path, rc_trace *t)
{
    memset(t, 0, sizeof *t);
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    inst *in = NULL;
    size_t n = 0, cap = 0;
    const Chimtrace__V1__Record *rec;
    ct_err e;
    while ((e = ct_reader_next(r, &rec, &ei)) == CT_OK && rec != NULL) {
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_FRAME)
            t->frame_refs++;
        if (rec->kind_case != CHIMTRACE__V1__RECORD__KIND_EVENT)
            continue;
        const Chimtrace__V1__Event *ev = rec->event;
        t->events++;
        cr_assert(ev->op >= 1 && ev->op <= 5 && ev->edge >= 1 && ev->edge <= 4);
        t->op_edge[ev->op][ev->edge]++;
        if (n == cap)
            in = realloc(in, (cap = cap ? cap * 2 : 256) * sizeof *in);
        in[n++] = (inst){ev->op_id, 1u << ev->edge, 0, (int)ev->op};
        if (ev->edge == CHIMTRACE__V1__EDGE__EDGE_REQUEST_IN_ABOVE) {
            static char d[65536];
            event_digest(ev, d, sizeof d);
            add_digest(&t->request_in, d);
        }
        note_conns(t, ev);
        note_status(t, ev);
    }
    cr_assert_eq(e, CT_OK, "reading %s: %s", path, ei.msg);
    ct_reader_close(r);
    /* Group by op_id: each instance needs edges 1..4 exactly once, one operation. */
    qsort(in, n, sizeof *in, inst_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        unsigned mask = 0;
        int bad = 0;
        for (; j < n && in[j].op_id == in[i].op_id; j++) {
            bad |= (mask & in[j].edges) != 0 || in[j].op != in[i].op;
            mask |= in[j].edges;
        }
        t->instances++;
        if (bad || mask != 0x1e || j - i != 4)
            t->bad_instances++;
        i = j;
    }
    free(in);
}

void rc_trace_free(rc_trace *t)
{
    rc_requests_free(&t->request_in);
    free(t->conns);
    free(t->paths);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void rc_compare_requests(const rc_requests *issued, const rc_trace *t, int same_order)
{
    cr_assert_eq(issued->n, t->request_in.n, "host issued %zu requests, trace has %zu",
                 issued->n, t->request_in.n);
    char **a = malloc(issued->n * sizeof *a), **b = malloc(issued->n * sizeof *b);
    memcpy(a, issued->digest, issued->n * sizeof *a);
    memcpy(b, t->request_in.digest, issued->n * sizeof *b);
    if (!same_order) {
        qsort(a, issued->n, sizeof *a, str_cmp);
        qsort(b, issued->n, sizeof *b, str_cmp);
    }
    for (size_t i = 0; i < issued->n; i++)
        cr_assert_str_eq(a[i], b[i], "request %zu: host sent %.200s, trace has %.200s", i,
                         a[i], b[i]);
    free(a);
    free(b);
}
