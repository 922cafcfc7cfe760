/* nic_test.c - the simulated offload NIC driven through the NDIS model by a tiny test
 * protocol (nic_test_proto.c): the per-block status rules of reference §3.1-3.2 (the
 * worked example, capacity codes, placeholders, linkers), terminate / query / update /
 * invalidate (§3.6-3.7) against the traffic the NIC simulated in virtual time, completion
 * latency and re-entrant synchronous completion. Frame contents: nic_traffic_test.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nic_test_proto.h"
#include "nic_wire_check.h"

#define US 1000ull
#define MS 1000000ull

/* ---- §3.2 statuses ----------------------------------------------------------------------- */

Test(nic, worked_example_statuses_when_capacity_allows_only_what_is_needed)
{
    nic_config c = tp_quiet_config(1, 1, 1);
    tp t;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    NDIS_OFFLOAD_HANDLE hn = {0}, hp1 = {0}, hp2 = {0}, ht1 = {0}, ht2 = {0}, ht3 = {0};
    tp_block n1, p1, p2, t1, t2, t3;
    tp_neighbor(&n1, &hn, 2, 0);
    tp_path4(&p1, &hp1, 0x0A000001u, 0x0A000002u);
    tp_path4(&p2, &hp2, 0x0A000001u, 0x0A000003u);
    tp_tcp(&t1, &ht1, 80, 1000);
    tp_tcp(&t2, &ht2, 81, 1001);
    tp_tcp(&t3, &ht3, 82, 1002);
    tp_dep(&n1, &p1);
    tp_dep(&n1, &p2);
    tp_dep(&p1, &t1);
    tp_dep(&p1, &t2);
    tp_dep(&p2, &t3);

    tp_call(&t, NIC_OP_INITIATE, &n1);
    cr_expect_eq(t.completions[NIC_OP_INITIATE], 0, "completion is asynchronous");
    tp_run(&t);
    cr_assert_eq(t.completions[NIC_OP_INITIATE], 1);
    cr_expect_eq(t.last_root[NIC_OP_INITIATE], &n1.b, "completed with the same root");
    cr_expect(tp_all_status_written(&n1.b));
    cr_expect_eq(n1.b.Status, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, "Neighbor1: Path2 failed");
    cr_expect_eq(p1.b.Status, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, "Path1: TCP2 failed");
    cr_expect_eq(t1.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(t2.b.Status, NDIS_STATUS_OFFLOAD_TCP_ENTRIES);
    cr_expect_eq(p2.b.Status, NDIS_STATUS_OFFLOAD_PATH_ENTRIES);
    cr_expect_eq(t3.b.Status, NDIS_STATUS_FAILURE, "TCP3 not attempted: its parent failed");
    cr_expect_not_null(hn.MiniportOffloadContext);
    cr_expect_not_null(hp1.MiniportOffloadContext);
    cr_expect_not_null(ht1.MiniportOffloadContext);
    cr_expect_null(ht2.MiniportOffloadContext, "no context written on failure");
    cr_expect_null(hp2.MiniportOffloadContext);
    cr_expect_null(ht3.MiniportOffloadContext);
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.live[NIC_NEIGHBOR] + st.live[NIC_PATH] + st.live[NIC_TCP], 3);
    cr_expect_eq(st.no_capacity[NIC_PATH], 1);
    cr_expect_eq(st.no_capacity[NIC_TCP], 1);
    cr_expect_eq(st.not_attempted, 1);
    tp_teardown(&t);
}

static void initiate_chain_expect(const nic_config *c, NDIS_STATUS sn, NDIS_STATUS sp,
                                  NDIS_STATUS st)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, c);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_run(&t);
    cr_expect_eq(ch.n.b.Status, sn, "neighbor 0x%08x", (unsigned)ch.n.b.Status);
    cr_expect_eq(ch.p.b.Status, sp, "path 0x%08x", (unsigned)ch.p.b.Status);
    cr_expect_eq(ch.t.b.Status, st, "tcp 0x%08x", (unsigned)ch.t.b.Status);
    tp_teardown(&t);
}

Test(nic, capacity_exhaustion_gives_the_entries_code_of_each_kind)
{
    nic_config c = tp_quiet_config(0, 1, 1);
    initiate_chain_expect(&c, NDIS_STATUS_OFFLOAD_NEIGHBOR_ENTRIES, NDIS_STATUS_FAILURE,
                          NDIS_STATUS_FAILURE);
    c = tp_quiet_config(1, 0, 1);
    initiate_chain_expect(&c, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS,
                          NDIS_STATUS_OFFLOAD_PATH_ENTRIES, NDIS_STATUS_FAILURE);
    c = tp_quiet_config(1, 1, 0);
    initiate_chain_expect(&c, NDIS_STATUS_SUCCESS, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS,
                          NDIS_STATUS_OFFLOAD_TCP_ENTRIES);
    c = tp_quiet_config(1, 1, 1);
    initiate_chain_expect(&c, NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS, NDIS_STATUS_SUCCESS);
}

Test(nic, terminate_frees_capacity_for_the_next_offload)
{
    nic_config c = tp_quiet_config(1, 1, 1);
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_run(&t);
    cr_assert_eq(ch.t.b.Status, NDIS_STATUS_SUCCESS);

    /* Linker path -> a second TCP: no room, and a linker whose dependents all failed. */
    NDIS_OFFLOAD_HANDLE h2 = {0};
    tp_block lp, t2, term;
    tp_ref(&lp, &ch.hp, 0);
    tp_tcp(&t2, &h2, 9, 9);
    tp_dep(&lp, &t2);
    tp_call(&t, NIC_OP_INITIATE, &lp);
    tp_run(&t);
    cr_expect_eq(t2.b.Status, NDIS_STATUS_OFFLOAD_TCP_ENTRIES);
    cr_expect_eq(lp.b.Status, NDIS_STATUS_FAILURE);

    tp_ref(&term, &ch.ht, TcpOffloadDelegatedState);
    tp_call(&t, NIC_OP_TERMINATE, &term);
    tp_run(&t);
    cr_expect_eq(term.b.Status, NDIS_STATUS_SUCCESS);

    tp_ref(&lp, &ch.hp, 0);
    tp_tcp(&t2, &h2, 9, 9);
    tp_dep(&lp, &t2);
    tp_call(&t, NIC_OP_INITIATE, &lp);
    tp_run(&t);
    cr_expect_eq(t2.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(lp.b.Status, NDIS_STATUS_SUCCESS);
    tp_teardown(&t);
}

Test(nic, vlan_table_and_receive_window_limits)
{
    nic_config c = tp_quiet_config(8, 8, 8);
    c.max_vlans = 1;
    c.max_rcv_wnd = 1u << 20;
    tp t;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    NDIS_OFFLOAD_HANDLE h[6];
    memset(h, 0, sizeof h);
    tp_block n5, n6, n5b, n0, p, tcp;
    tp_neighbor(&n5, &h[0], 2, 5);
    tp_neighbor(&n6, &h[1], 3, 6);
    tp_neighbor(&n5b, &h[2], 4, 5);
    tp_neighbor(&n0, &h[3], 5, 0);
    tp_path4(&p, &h[4], 1, 2);
    tp_tcp(&tcp, &h[5], 1, 2);
    tcp.st.tcp.ca.InitialRcvWnd = (1u << 20) + 1;
    tp_dep(&n0, &p);
    tp_dep(&p, &tcp);
    tp_next(&n5, &n6);
    tp_next(&n5, &n5b);
    tp_next(&n5, &n0);
    tp_call(&t, NIC_OP_INITIATE, &n5);
    tp_run(&t);
    cr_expect_eq(n5.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(n6.b.Status, NDIS_STATUS_OFFLOAD_VLAN_ENTRIES, "VLAN table full");
    cr_expect_eq(n5b.b.Status, NDIS_STATUS_SUCCESS, "same VLAN id shares the entry");
    cr_expect_eq(n0.b.Status, NDIS_STATUS_SUCCESS, "VLAN 0 needs no entry");
    cr_expect_eq(p.b.Status, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS);
    cr_expect_eq(tcp.b.Status, NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW);
    cr_expect(tp_all_status_written(&n5.b));
    tp_teardown(&t);
}

Test(nic, placeholder_and_linker_statuses)
{
    nic_config c = tp_quiet_config(4, 4, 4);
    c.max_rcv_wnd = 100000;
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_run(&t);

    /* placeholder root -> linker neighbor -> linker path -> {TCP ok, TCP too-big window};
     * plus a placeholder sibling with no dependents, a linker to a bogus context, and a
     * placeholder whose only dependent fails. */
    NDIS_OFFLOAD_HANDLE ha = {0}, hb = {0}, bogus = {0}, hc = {0}, hd = {0};
    int not_an_object;
    bogus.MiniportOffloadContext = &not_an_object;
    tp_block ph, ln, lp, ta, tb, ph2, lbad, tc, ph3, td;
    tp_placeholder(&ph);
    tp_ref(&ln, &ch.hn, 0);
    tp_ref(&lp, &ch.hp, 0);
    tp_tcp(&ta, &ha, 1, 1);
    tp_tcp(&tb, &hb, 2, 2);
    tb.st.tcp.ca.InitialRcvWnd = 200000;
    tp_placeholder(&ph2);
    tp_ref(&lbad, &bogus, 0);
    tp_tcp(&tc, &hc, 3, 3);
    tp_dep(&ph, &ln);
    tp_dep(&ln, &lp);
    tp_dep(&lp, &ta);
    tp_dep(&lp, &tb);
    tp_next(&ph, &ph2);
    tp_next(&ph, &lbad);
    tp_dep(&lbad, &tc);
    tp_placeholder(&ph3);
    tp_tcp(&td, &hd, 4, 4); /* a new TCP under a placeholder path: no path, fails */
    tp_dep(&ph3, &td);
    tp_next(&ph, &ph3);
    tp_call(&t, NIC_OP_INITIATE, &ph);
    tp_run(&t);
    cr_expect(tp_all_status_written(&ph.b));
    cr_expect_eq(ph.b.Status, NDIS_STATUS_SUCCESS, "placeholders always succeed");
    cr_expect_eq(ln.b.Status, NDIS_STATUS_SUCCESS, "its one dependent was offloaded");
    cr_expect_eq(lp.b.Status, NDIS_STATUS_OFFLOAD_PARTIAL_SUCCESS, "one of two failed");
    cr_expect_eq(ta.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(tb.b.Status, NDIS_STATUS_OFFLOAD_TCP_RCV_WINDOW);
    cr_expect_eq(ph2.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(lbad.b.Status, NDIS_STATUS_FAILURE, "linker to no NIC object");
    cr_expect_eq(tc.b.Status, NDIS_STATUS_FAILURE);
    cr_expect_eq(ph3.b.Status, NDIS_STATUS_SUCCESS, "even with a failed dependent");
    cr_expect_eq(td.b.Status, NDIS_STATUS_FAILURE);
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_geq(st.bad_context, 1);
    cr_expect_eq(st.live[NIC_TCP], 2);
    tp_teardown(&t);
}

Test(nic, new_tcp_without_an_offloaded_path_fails)
{
    nic_config c = tp_quiet_config(4, 4, 4);
    tp t;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    NDIS_OFFLOAD_HANDLE h = {0};
    tp_block tcp;
    tp_tcp(&tcp, &h, 1, 2);
    tp_call(&t, NIC_OP_INITIATE, &tcp);
    tp_run(&t);
    cr_expect_eq(tcp.b.Status, NDIS_STATUS_FAILURE);
    cr_expect_null(h.MiniportOffloadContext);
    tp_teardown(&t);

    /* allow_unlinked: accepted, but with no addressing it never transmits. */
    c = tp_quiet_config(4, 4, 4);
    c.allow_unlinked = 1;
    c.frames = 1;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_tcp(&tcp, &h, 1, 2);
    tp_call(&t, NIC_OP_INITIATE, &tcp);
    tp_at(&t, 1 * MS, tp_stop_fn, &t);
    tp_run(&t);
    cr_expect_eq(tcp.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_not_null(h.MiniportOffloadContext);
    cr_expect_eq(t.nframes, 0);
    tp_teardown(&t);
}

/* ---- operations against simulated traffic (virtual time) --------------------------------- */

Test(nic, terminate_returns_delegated_state_evolved_by_the_traffic)
{
    tp t;
    tp_chain ch;
    tp_chain_ref tr;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    tp_chain_ref_build(&tr, &ch, NeighborOffloadDelegatedState, Ip4OffloadDelegatedState,
                    TcpOffloadDelegatedState);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_step s = {&t, NIC_OP_TERMINATE, &tr.n};
    tp_at(&t, 1 * MS, tp_step_fn, &s);
    tp_run(&t); /* returns by itself: terminate ends the connection's timers */

    cr_assert_eq(t.completions[NIC_OP_TERMINATE], 1);
    uint64_t done = t.last_ts[NIC_OP_TERMINATE];
    cr_expect_eq(done, 1 * MS + 20 * US, "default latency: fixed 20 us");
    cr_expect(tp_all_status_written(&tr.n.b));
    cr_expect_eq(tr.n.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(tr.p.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(tr.t.b.Status, NDIS_STATUS_SUCCESS);

    tp_traffic tf = tp_traffic_of(&t, &ch.ht, UINT64_MAX);
    cr_expect_geq(tf.data_frames, 15, "about one data segment per 50 us");
    cr_expect_geq(tf.ack_frames, 8, "about one ACK per 100 us");
    cr_expect_gt(tf.first_ts, 20 * US, "no frame before the initiate completed");
    cr_expect_lt(tf.last_ts, done, "no frame after the terminate");
    const TCP_OFFLOAD_STATE_DELEGATED *d = &tr.t.st.tcp_deleg;
    cr_expect_eq(d->Header.Length, sizeof *d);
    cr_expect_eq(d->SndNxt, 1000 + tf.data_bytes, "SndNxt advanced by every byte sent");
    cr_expect_eq(d->SndMax, d->SndNxt);
    cr_expect_eq(d->SndUna, tf.last_data_seq, "the peer acknowledged all but the last");
    cr_expect_eq(d->RcvNxt, tf.last_ack, "RcvNxt is what the last frame acknowledged");
    cr_expect_gt(d->RcvNxt, 5000);
    cr_expect_eq(d->State, TcpConnectionEstablished);
    cr_expect_eq(d->TsTime, 101, "100 + 1 ms of 1 ms ticks");
    cr_expect_null(d->SendDataHead);
    cr_expect_null(tr.t.b.NetBufferListChain);
    cr_expect_eq(tr.n.st.nb_deleg.NicReachabilityDelta, 0, "peer traffic confirmed it");

    nic_stats st;
    nic_get_stats(t.n, &st);
    for (int k = 0; k < NIC_KIND_COUNT; k++) {
        cr_expect_eq(st.live[k], 0);
        cr_expect_eq(st.terminated[k], 1);
    }
    tp_teardown(&t);
}

Test(nic, terminating_a_neighbor_before_its_dependents_fails_and_is_counted)
{
    nic_config c = tp_quiet_config(2, 2, 2);
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_run(&t);

    tp_block n;
    tp_ref(&n, &ch.hn, NeighborOffloadDelegatedState);
    tp_call(&t, NIC_OP_TERMINATE, &n);
    tp_run(&t);
    cr_expect_eq(n.b.Status, NDIS_STATUS_FAILURE);
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.terminate_with_dependents, 1);
    cr_expect_eq(st.live[NIC_NEIGHBOR], 1, "the neighbor stays offloaded");

    /* Path with its TCP in one tree: both go; then the neighbor alone may go. */
    tp_block p, tcp;
    tp_ref(&p, &ch.hp, Ip4OffloadDelegatedState);
    tp_ref(&tcp, &ch.ht, TcpOffloadDelegatedState);
    tp_dep(&p, &tcp);
    tp_call(&t, NIC_OP_TERMINATE, &p);
    tp_run(&t);
    cr_expect_eq(p.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(tcp.b.Status, NDIS_STATUS_SUCCESS);
    tp_ref(&n, &ch.hn, NeighborOffloadDelegatedState);
    tp_call(&t, NIC_OP_TERMINATE, &n);
    tp_run(&t);
    cr_expect_eq(n.b.Status, NDIS_STATUS_SUCCESS);
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.live[NIC_NEIGHBOR] + st.live[NIC_PATH] + st.live[NIC_TCP], 0);

    /* A stale reference now fails. */
    tp_block q;
    NDIS_OFFLOAD_HANDLE stale = ch.ht;
    tp_ref(&q, &stale, TcpOffloadDelegatedState);
    tp_call(&t, NIC_OP_QUERY, &q);
    tp_run(&t);
    cr_expect_eq(q.b.Status, NDIS_STATUS_FAILURE);
    tp_teardown(&t);
}

static void stop_on_query(tp *t, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    (void)root;
    if (op == NIC_OP_QUERY)
        sched_stop(t->s);
}

Test(nic, query_fills_current_state)
{
    tp t;
    tp_chain ch;
    tp_chain_ref q;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    t.on_complete = stop_on_query;
    tp_chain_build(&ch, 0);
    tp_chain_ref_build(&q, &ch, NeighborOffloadDelegatedState, Ip4OffloadState, TcpOffloadState);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_step s = {&t, NIC_OP_QUERY, &q.n};
    tp_at(&t, 500 * US, tp_step_fn, &s);
    tp_run(&t);

    cr_assert_eq(t.completions[NIC_OP_QUERY], 1);
    cr_expect(tp_all_status_written(&q.n.b));
    cr_expect_eq(q.t.b.Status, NDIS_STATUS_SUCCESS);
    tp_traffic tf = tp_traffic_of(&t, &ch.ht, UINT64_MAX);
    const TCP_OFFLOAD_STATE_DELEGATED *d = &q.t.st.tcp.d;
    cr_expect_gt(tf.data_frames, 0);
    cr_expect_eq(d->SndNxt, 1000 + tf.data_bytes);
    cr_expect_eq(d->RcvNxt, tf.last_ack);
    cr_expect_eq(d->SendBacklogSize, d->SndWnd, "query returns the send backlog");
    cr_expect_eq(d->ReceiveBacklogSize, 0);
    cr_expect_eq(memcmp(&q.t.st.tcp.c.LocalPort, &ch.t.st.tcp.c.LocalPort, 2), 0);
    cr_expect_eq(memcmp(&q.t.st.tcp.c.RemotePort, &ch.t.st.tcp.c.RemotePort, 2), 0);
    cr_expect_eq(q.t.st.tcp.c.RcvWindScale, 3);
    cr_expect_eq(q.t.st.tcp.ca.TtlOrHopLimit, 64);
    cr_expect_eq(q.t.st.tcp.ca.FlowLabel, 0x12345);
    cr_expect_eq(q.p.st.path.ca.PathMtu, 1500);
    cr_assert_not_null(q.p.st.path.c.SourceAddress);
    cr_expect_eq(memcmp(q.p.st.path.c.SourceAddress, "\xC0\xA8\x01\x0A", 4), 0);
    cr_expect_eq(memcmp(q.p.st.path.c.DestinationAddress, "\xC0\xA8\x01\x14", 4), 0);
    cr_expect_eq(q.n.st.nb_deleg.Header.Length, sizeof q.n.st.nb_deleg);
    cr_expect_lt(q.n.st.nb_deleg.NicReachabilityDelta, 3, "confirmed by recent traffic");
    tp_teardown(&t);
}

Test(nic, neighbor_reachability_delta_grows_without_traffic)
{
    nic_config c = tp_quiet_config(2, 2, 2);
    tp t;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    NDIS_OFFLOAD_HANDLE hn = {0};
    tp_block n, q;
    tp_neighbor(&n, &hn, 2, 0); /* NicReachabilityDelta 3 at offload */
    tp_call(&t, NIC_OP_INITIATE, &n);
    tp_ref(&q, &hn, NeighborOffloadDelegatedState);
    tp_step s = {&t, NIC_OP_QUERY, &q};
    tp_at(&t, 20 * US + 250 * MS, tp_step_fn, &s);
    tp_run(&t);
    cr_expect_eq(q.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(q.st.nb_deleg.NicReachabilityDelta, 3 + 250, "in 1 ms ticks");
    tp_teardown(&t);
}

Test(nic, update_applies_cached_state_to_the_frames)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    /* neighbor cached (new MAC) -> path linker (no state) -> TCP cached (TTL, TOS, window) */
    tp_block un, up, ut;
    tp_ref(&un, &ch.hn, NeighborOffloadCachedState);
    un.st.nb_cached.Header.Length = sizeof un.st.nb_cached;
    memcpy(un.st.nb_cached.DlDestinationAddress, "\x02\x00\x00\x00\x00\x09", 6);
    tp_ref(&up, &ch.hp, 0);
    tp_ref(&ut, &ch.ht, TcpOffloadCachedState);
    ut.st.tcp_cached = ch.t.st.tcp.ca;
    ut.st.tcp_cached.TtlOrHopLimit = 7;
    ut.st.tcp_cached.TosOrTrafficClass = 0x20;
    ut.st.tcp_cached.Flags = TCP_FLAG_UPDATE_RCV_WND;
    ut.st.tcp_cached.InitialRcvWnd = 131072;
    tp_dep(&un, &up);
    tp_dep(&up, &ut);
    tp_step s = {&t, NIC_OP_UPDATE, &un};
    tp_at(&t, 300 * US, tp_step_fn, &s);
    tp_at(&t, 600 * US, tp_stop_fn, &t);
    tp_run(&t);

    cr_assert_eq(t.completions[NIC_OP_UPDATE], 1);
    cr_expect(tp_all_status_written(&un.b));
    cr_expect_eq(un.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(up.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(ut.b.Status, NDIS_STATUS_SUCCESS);
    uint64_t at = t.last_ts[NIC_OP_UPDATE];
    int before = 0, after = 0;
    for (size_t i = 0; i < t.nframes; i++) {
        wc_frame w;
        cr_assert(wc_parse(t.frames[i].bytes, t.frames[i].len, &w));
        int upd = t.frames[i].ts >= at;
        cr_expect_eq(w.ttl, upd ? 7 : 64);
        cr_expect_eq(w.tos, upd ? 0x20 : 0x10);
        cr_expect_eq(w.dst_mac[5], upd ? 9 : 2);
        cr_expect_eq(w.window, upd ? 131072 >> 3 : 65536 >> 3);
        before += !upd;
        after += upd;
    }
    cr_expect_gt(before, 0);
    cr_expect_gt(after, 0);
    tp_teardown(&t);
}

Test(nic, update_relinks_a_path_to_a_new_neighbor)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    NDIS_OFFLOAD_HANDLE hn2 = {0};
    tp_block n2;
    tp_neighbor(&n2, &hn2, 5, 0);
    tp_next(&ch.n, &n2);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    /* Relink recipe (§3.7): update (new neighbor -> path), then terminate the old one. */
    tp_block rn, rp, old;
    tp_ref(&rn, &hn2, 0);
    tp_ref(&rp, &ch.hp, 0);
    tp_dep(&rn, &rp);
    tp_ref(&old, &ch.hn, NeighborOffloadDelegatedState);
    tp_step s1 = {&t, NIC_OP_UPDATE, &rn}, s2 = {&t, NIC_OP_TERMINATE, &old};
    tp_at(&t, 300 * US, tp_step_fn, &s1);
    tp_at(&t, 400 * US, tp_step_fn, &s2);
    tp_at(&t, 700 * US, tp_stop_fn, &t);
    tp_run(&t);
    cr_expect_eq(rn.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(rp.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(old.b.Status, NDIS_STATUS_SUCCESS, "the old neighbor has no dependents now");
    uint64_t at = t.last_ts[NIC_OP_UPDATE];
    int after = 0;
    for (size_t i = 0; i < t.nframes; i++) {
        wc_frame w;
        cr_assert(wc_parse(t.frames[i].bytes, t.frames[i].len, &w));
        cr_expect_eq(w.dst_mac[5], t.frames[i].ts >= at ? 5 : 2);
        after += t.frames[i].ts >= 400 * US;
    }
    cr_expect_gt(after, 0, "frames continue on the new neighbor");
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.relinked, 1);
    tp_teardown(&t);
}

Test(nic, invalidate_stops_frames)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_block inv, term;
    tp_ref(&inv, &ch.ht, 0);
    tp_ref(&term, &ch.ht, TcpOffloadDelegatedState);
    tp_step s1 = {&t, NIC_OP_INVALIDATE, &inv}, s2 = {&t, NIC_OP_TERMINATE, &term};
    tp_at(&t, 300 * US, tp_step_fn, &s1);
    tp_at(&t, 2 * MS, tp_step_fn, &s2);
    tp_run(&t);
    cr_expect_eq(inv.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(term.b.Status, NDIS_STATUS_SUCCESS, "an invalid object is still terminated");
    uint64_t at = t.last_ts[NIC_OP_INVALIDATE];
    tp_traffic before = tp_traffic_of(&t, &ch.ht, at);
    tp_traffic all = tp_traffic_of(&t, &ch.ht, UINT64_MAX);
    cr_expect_gt(before.frames, 0);
    cr_expect_eq(all.frames, before.frames, "no frame after the invalidate completed");
    cr_expect_eq(term.st.tcp_deleg.SndNxt, 1000 + before.data_bytes);
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.invalidated, 1);
    tp_teardown(&t);
}

Test(nic, invalid_neighbor_pauses_dependent_tcp_until_relinked)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    NDIS_OFFLOAD_HANDLE hn2 = {0};
    tp_block n2, inv, rn, rp;
    tp_neighbor(&n2, &hn2, 5, 0);
    tp_next(&ch.n, &n2);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_ref(&inv, &ch.hn, 0);
    tp_ref(&rn, &hn2, 0);
    tp_ref(&rp, &ch.hp, 0);
    tp_dep(&rn, &rp);
    tp_step s1 = {&t, NIC_OP_INVALIDATE, &inv}, s2 = {&t, NIC_OP_UPDATE, &rn};
    tp_at(&t, 300 * US, tp_step_fn, &s1);
    tp_at(&t, 1 * MS, tp_step_fn, &s2);
    tp_at(&t, 2 * MS, tp_stop_fn, &t);
    tp_run(&t);
    uint64_t t_inv = t.last_ts[NIC_OP_INVALIDATE], t_upd = t.last_ts[NIC_OP_UPDATE];
    int paused = 0, resumed = 0;
    for (size_t i = 0; i < t.nframes; i++) {
        uint64_t ts = t.frames[i].ts;
        paused += ts >= t_inv && ts < t_upd;
        resumed += ts >= t_upd;
    }
    cr_expect_eq(paused, 0, "no frame while the neighbor is invalid");
    cr_expect_gt(resumed, 0, "frames resume on the valid neighbor");
    tp_teardown(&t);
}

/* ---- completion timing ------------------------------------------------------------------- */

static uint64_t done_at[64];
static int ndone;
static void record_done(tp *t, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    (void)root;
    if (op == NIC_OP_INITIATE && ndone < 64)
        done_at[ndone++] = sched_now_ns(t->s);
}

Test(nic, async_completion_after_the_configured_latency)
{
    nic_config c = tp_quiet_config(64, 64, 64);
    cr_assert_eq(nic_latency_parse("fixed:35us", &c.latency, NULL), CT_OK);
    tp t;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    NDIS_OFFLOAD_HANDLE h = {0};
    tp_block n;
    tp_neighbor(&n, &h, 1, 0);
    tp_call(&t, NIC_OP_INITIATE, &n);
    cr_expect_eq(t.completions[NIC_OP_INITIATE], 0);
    tp_run(&t);
    cr_expect_eq(t.last_ts[NIC_OP_INITIATE], 35 * US);
    cr_expect_eq(t.last_lane[NIC_OP_INITIATE], TP_NIC_LANE, "completed on the NIC's lane");
    cr_expect_eq(t.reentrant, 0);
    tp_teardown(&t);

    cr_assert_eq(nic_latency_parse("uniform:10us:200us", &c.latency, NULL), CT_OK);
    tp_setup(&t, SCHED_VIRTUAL, &c);
    t.on_complete = record_done;
    ndone = 0;
    NDIS_OFFLOAD_HANDLE hs[40];
    tp_block ns[40];
    memset(hs, 0, sizeof hs);
    for (int i = 0; i < 40; i++) {
        tp_neighbor(&ns[i], &hs[i], (uint8_t)i, 0);
        tp_call(&t, NIC_OP_INITIATE, &ns[i]);
    }
    tp_run(&t);
    cr_assert_eq(ndone, 40);
    int distinct = 0;
    for (int i = 0; i < 40; i++) {
        cr_expect(done_at[i] >= 10 * US && done_at[i] <= 200 * US);
        distinct += i > 0 && done_at[i] != done_at[i - 1];
        cr_expect_eq(ns[i].b.Status, NDIS_STATUS_SUCCESS);
    }
    cr_expect_gt(distinct, 20, "latencies are drawn, not constant");
    tp_teardown(&t);
}

static tp_block nested_query;
static void query_inside_completion(tp *t, int op, PNDIS_PROTOCOL_OFFLOAD_BLOCK_LIST root)
{
    (void)root;
    if (op == NIC_OP_INITIATE)
        tp_call(t, NIC_OP_QUERY, &nested_query);
}

Test(nic, synchronous_completion_is_reentrant)
{
    nic_config c = tp_quiet_config(4, 4, 4);
    c.sync_completion = 1;
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_chain_build(&ch, 0);
    tp_ref(&nested_query, &ch.ht, TcpOffloadDelegatedState);
    t.on_complete = query_inside_completion;
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    cr_expect_eq(t.completions[NIC_OP_INITIATE], 1, "completed inside NdisInitiateOffload");
    cr_expect_eq(t.completions[NIC_OP_QUERY], 1, "a down-call from the completion completes");
    cr_expect_eq(t.reentrant, 2);
    cr_expect_eq(ch.t.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(nested_query.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_eq(nested_query.st.tcp_deleg.SndNxt, 1000);
    tp_run(&t);
    tp_teardown(&t);
}

