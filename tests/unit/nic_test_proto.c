/* nic_test_proto.c - the NIC suite's test protocol driver: registers with the NDIS model,
 * binds to the NIC's adapter, records completions and frames, and builds block trees with
 * trailing state (see nic_test_proto.h).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nic_test_proto.h"
#include "nic_wire_check.h"

static void on_done(NDIS_HANDLE ctx, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    tp *t = ctx;
    t->completions[op]++;
    t->last_root[op] = root;
    t->last_ts[op] = sched_now_ns(t->s);
    t->last_lane[op] = sched_current_lane(t->s);
    if (t->in_call)
        t->reentrant++;
    if (t->on_complete != NULL)
        t->on_complete(t, op, root);
}

static VOID done_initiate(NDIS_HANDLE c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r)
{
    on_done(c, NIC_OP_INITIATE, r);
}
static VOID done_terminate(NDIS_HANDLE c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r)
{
    on_done(c, NIC_OP_TERMINATE, r);
}
static VOID done_update(NDIS_HANDLE c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r)
{
    on_done(c, NIC_OP_UPDATE, r);
}
static VOID done_query(NDIS_HANDLE c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r)
{
    on_done(c, NIC_OP_QUERY, r);
}
static VOID done_invalidate(NDIS_HANDLE c, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r)
{
    on_done(c, NIC_OP_INVALIDATE, r);
}

static void frame_sink(void *ctx, uint64_t ts, const uint8_t *frame, uint32_t len,
                       NDIS_HANDLE handle)
{
    tp *t = ctx;
    if (t->nframes == t->frames_cap) {
        t->frames_cap = t->frames_cap ? 2 * t->frames_cap : 256;
        t->frames = realloc(t->frames, t->frames_cap * sizeof *t->frames);
        cr_assert_not_null(t->frames);
    }
    tp_frame *f = &t->frames[t->nframes++];
    f->ts = ts;
    f->handle = handle;
    f->lane = sched_current_lane(t->s);
    f->len = len;
    f->bytes = malloc(len);
    cr_assert_not_null(f->bytes);
    memcpy(f->bytes, frame, len);
}

void tp_setup(tp *t, sched_mode mode, const nic_config *cfg)
{
    memset(t, 0, sizeof *t);
    cr_assert_eq(ndm_new(&t->m), CT_OK);
    cr_assert_eq(sched_new(mode, 2, &t->s), CT_OK);
    cr_assert_eq(nic_new(t->m, t->s, TP_NIC_LANE, cfg, &t->n), CT_OK);
    nic_set_frame_sink(t->n, frame_sink, t);
    t->proto = ndm_register_protocol_driver(t->m, "nic-test-protocol");
    cr_assert_not_null(t->proto);
    NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS ch;
    memset(&ch, 0, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS;
    ch.Header.Revision = NDIS_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = sizeof ch;
    ch.InitiateOffloadCompleteHandler = done_initiate;
    ch.TerminateOffloadCompleteHandler = done_terminate;
    ch.UpdateOffloadCompleteHandler = done_update;
    ch.QueryOffloadCompleteHandler = done_query;
    ch.InvalidateOffloadCompleteHandler = done_invalidate;
    cr_assert_eq(NdisSetOptionalHandlers((NDIS_HANDLE)t->proto,
                                         (PNDIS_DRIVER_OPTIONAL_HANDLERS)(void *)&ch),
                 NDIS_STATUS_SUCCESS);
    t->bind = ndm_open_adapter(t->m, t->proto, (ndm_adapter *)nic_adapter(t->n), t);
    cr_assert_not_null(t->bind);
}

void tp_teardown(tp *t)
{
    nic_free(t->n);
    sched_free(t->s);
    ndm_free(t->m);
    for (size_t i = 0; i < t->nframes; i++)
        free(t->frames[i].bytes);
    free(t->frames);
}

void tp_call(tp *t, int op, tp_block *root)
{
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST r = root ? &root->b : NULL;
    int saved = t->in_call;
    t->in_call = 1;
    switch (op) {
    case NIC_OP_INITIATE: NdisInitiateOffload(t->bind, r); break;
    case NIC_OP_TERMINATE: NdisTerminateOffload(t->bind, r); break;
    case NIC_OP_UPDATE: NdisUpdateOffload(t->bind, r); break;
    case NIC_OP_QUERY: NdisQueryOffloadState(t->bind, r); break;
    default: NdisInvalidateOffload(t->bind, r); break;
    }
    t->in_call = saved;
}

static void init_block(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t type)
{
    memset(blk, 0, sizeof *blk);
    blk->b.Header.Type = type;
    blk->b.Header.Revision = NDIS_OFFLOAD_BLOCK_LIST_REVISION_1;
    blk->b.Header.Size = sizeof blk->b;
    blk->b.Status = TP_STATUS_SENTINEL;
    blk->b.OffloadHandle = h;
}

void tp_neighbor(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t last, uint16_t vlan)
{
    init_block(blk, h, NeighborOffloadState);
    blk->st.nb.c.Header.Length = sizeof blk->st.nb.c;
    memcpy(blk->st.nb.c.DlSourceAddress, "\x02\x00\x00\x00\x00\x01", 6);
    blk->st.nb.c.VlanId = vlan;
    blk->st.nb.ca.Header.Length = sizeof blk->st.nb.ca;
    memcpy(blk->st.nb.ca.DlDestinationAddress, "\x02\x00\x00\x00\x00\x00", 6);
    blk->st.nb.ca.DlDestinationAddress[5] = last;
    blk->st.nb.ca.HostReachabilityDelta = 10;
    blk->st.nb.d.Header.Length = sizeof blk->st.nb.d;
    blk->st.nb.d.NicReachabilityDelta = 3;
}

void tp_path4(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint32_t src, uint32_t dst)
{
    init_block(blk, h, Ip4OffloadState);
    for (int i = 0; i < 4; i++) {
        blk->addr[i] = (uint8_t)(src >> (24 - 8 * i));
        blk->addr[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    blk->st.path.c.Header.Length = sizeof blk->st.path.c;
    blk->st.path.c.SourceAddress = blk->addr;
    blk->st.path.c.DestinationAddress = blk->addr + 16;
    blk->st.path.ca.Header.Length = sizeof blk->st.path.ca;
    blk->st.path.ca.PathMtu = 1500;
    blk->st.path.d.Header.Length = sizeof blk->st.path.d;
}

void tp_path6(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t src_last, uint8_t dst_last)
{
    tp_path4(blk, h, 0, 0);
    blk->b.Header.Type = Ip6OffloadState;
    memcpy(blk->addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    memcpy(blk->addr + 16, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    blk->addr[15] = src_last;
    blk->addr[31] = dst_last;
}

void tp_tcp(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint16_t lport, uint16_t rport)
{
    init_block(blk, h, TcpOffloadState);
    TCP_OFFLOAD_STATE_CONST *c = &blk->st.tcp.c;
    c->Header.Length = sizeof *c;
    c->Flags = TCP_FLAG_WINDOW_SCALING_ENABLED;
    /* Ports stored in network byte order, as tcpip is taken to store them. */
    uint8_t lp[2] = {(uint8_t)(lport >> 8), (uint8_t)lport};
    uint8_t rp[2] = {(uint8_t)(rport >> 8), (uint8_t)rport};
    memcpy(&c->LocalPort, lp, 2);
    memcpy(&c->RemotePort, rp, 2);
    c->SndWindScale = 2;
    c->RcvWindScale = 3;
    c->RemoteMss = 1460;
    TCP_OFFLOAD_STATE_CACHED *ca = &blk->st.tcp.ca;
    ca->Header.Length = sizeof *ca;
    ca->InitialRcvWnd = 65536;
    ca->KaTimeout = 7200000;
    ca->KaInterval = 1000;
    ca->KaProbeCount = 10;
    ca->TtlOrHopLimit = 64;
    ca->TosOrTrafficClass = 0x10;
    ca->FlowLabel = 0x12345;
    ca->UserPriority = 3;
    TCP_OFFLOAD_STATE_DELEGATED *d = &blk->st.tcp.d;
    d->Header.Length = sizeof *d;
    d->State = TcpConnectionEstablished;
    d->RcvNxt = 5000;
    d->RcvWnd = 65536;
    d->SndUna = d->SndNxt = d->SndMax = 1000;
    d->SndWnd = 65535;
    d->MaxSndWnd = 65535;
    d->CWnd = 14600;
    d->SsThresh = 65535;
    d->TsTime = 100;
    d->TsRecent = 700;
}

void tp_ref(tp_block *blk, NDIS_OFFLOAD_HANDLE *h, uint8_t type)
{
    init_block(blk, h, type);
}

void tp_placeholder(tp_block *blk)
{
    init_block(blk, NULL, 0);
}

void tp_dep(tp_block *parent, tp_block *child)
{
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST *p = &parent->b.DependentBlockList;
    while (*p != NULL)
        p = &(*p)->NextBlock;
    *p = &child->b;
}

void tp_next(tp_block *blk, tp_block *sibling)
{
    PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST p = &blk->b;
    while (p->NextBlock != NULL)
        p = p->NextBlock;
    p->NextBlock = &sibling->b;
}

int tp_all_status_written(PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST b)
{
    for (; b != NULL; b = b->NextBlock) {
        if (b->Status == TP_STATUS_SENTINEL || !tp_all_status_written(b->DependentBlockList))
            return 0;
    }
    return 1;
}

void tp_at(tp *t, uint64_t when_ns, sched_fn fn, void *arg)
{
    uint64_t now = sched_now_ns(t->s);
    uint64_t delay = sched_get_mode(t->s) == SCHED_VIRTUAL ? (when_ns > now ? when_ns - now : 0)
                                                            : when_ns;
    cr_assert_eq(sched_post(t->s, TP_HOST_LANE, delay, fn, arg), CT_OK);
}

void tp_run(tp *t)
{
    cr_assert_eq(sched_run(t->s), CT_OK);
}

void tp_stop_fn(void *arg)
{
    sched_stop(((tp *)arg)->s);
}

void tp_step_fn(void *arg)
{
    tp_step *s = arg;
    tp_call(s->t, s->op, s->root);
}

nic_config tp_quiet_config(uint32_t neighbors, uint32_t paths, uint32_t tcps)
{
    nic_config c;
    nic_config_init(&c);
    c.max_neighbors = neighbors;
    c.max_paths = paths;
    c.max_tcp = tcps;
    c.frames = 0;
    return c;
}

void tp_chain_build(tp_chain *c, uint16_t vlan)
{
    memset(c, 0, sizeof *c);
    tp_neighbor(&c->n, &c->hn, 2, vlan);
    tp_path4(&c->p, &c->hp, 0xC0A8010Au, 0xC0A80114u);
    tp_tcp(&c->t, &c->ht, 8080, 50000);
    tp_dep(&c->n, &c->p);
    tp_dep(&c->p, &c->t);
}

void tp_chain_ref_build(tp_chain_ref *r, tp_chain *c, uint8_t nt, uint8_t pt, uint8_t tt)
{
    tp_ref(&r->n, &c->hn, nt);
    tp_ref(&r->p, &c->hp, pt);
    tp_ref(&r->t, &c->ht, tt);
    tp_dep(&r->n, &r->p);
    tp_dep(&r->p, &r->t);
}

tp_traffic tp_traffic_of(const tp *t, NDIS_HANDLE h, uint64_t until)
{
    tp_traffic r = {0};
    uint32_t snd_nxt = 0;
    for (size_t i = 0; i < t->nframes; i++) {
        const tp_frame *f = &t->frames[i];
        wc_frame w;
        if (f->handle != h || f->ts >= until)
            continue;
        cr_assert(wc_parse(f->bytes, f->len, &w));
        if (r.frames++ == 0)
            r.first_ts = f->ts;
        r.last_ts = f->ts;
        r.last_ack = w.ack;
        if (w.payload_len > 0) {
            r.data_frames++;
            r.data_bytes += w.payload_len;
            r.last_data_seq = w.seq;
            snd_nxt = w.seq + w.payload_len;
        } else if (r.data_frames > 0 && w.seq == snd_nxt - 1) {
            r.ka_frames++;
        } else {
            r.ack_frames++;
        }
    }
    return r;
}
