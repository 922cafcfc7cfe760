/* nic_traffic_test.c - the simulated NIC's traffic, driven through the NDIS model: frame
 * contents against the offloaded state (IPv4 with 802.1Q, IPv6 with timestamps; checksums
 * recomputed by nic_wire_check.c), keep-alive cadence, same seed -> identical frames, and a
 * real-time run (completions and frames on the NIC's lane, timers end at terminate).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nic_test_proto.h"
#include "nic_wire_check.h"

#define US 1000ull
#define MS 1000000ull

/* ---- frames ------------------------------------------------------------------------------ */

/* Every frame of the run: parses, checksums verify, addressing agrees with the state, data
 * segments are contiguous from SndNxt, ACK numbers never go back. */
static void check_stream(const tp *t, const tp_chain *ch, int v6, uint16_t vlan)
{
    uint32_t next_seq = 1000, last_ack = 5000;
    int data = 0;
    for (size_t i = 0; i < t->nframes; i++) {
        wc_frame w;
        cr_assert(wc_parse(t->frames[i].bytes, t->frames[i].len, &w), "frame %zu parses", i);
        cr_expect_eq(t->frames[i].handle, (NDIS_HANDLE)&ch->ht);
        cr_expect(w.ip_csum_ok && w.tcp_csum_ok, "frame %zu checksums", i);
        cr_expect_eq(w.vlan, vlan != 0, "802.1Q tag iff VlanId != 0");
        if (vlan)
            cr_expect_eq(w.tci, (3u << 13) | vlan, "PCP = UserPriority, VID = VlanId");
        cr_expect_eq(memcmp(w.src_mac, ch->n.st.nb.c.DlSourceAddress, 6), 0);
        cr_expect_eq(memcmp(w.dst_mac, ch->n.st.nb.ca.DlDestinationAddress, 6), 0);
        cr_expect_eq(w.v6, v6);
        cr_expect_eq(memcmp(w.src_ip, ch->p.addr, v6 ? 16 : 4), 0);
        cr_expect_eq(memcmp(w.dst_ip, ch->p.addr + 16, v6 ? 16 : 4), 0);
        cr_expect_eq(w.sport, 8080, "LocalPort bytes go on the wire unchanged");
        cr_expect_eq(w.dport, 50000);
        cr_expect_eq(w.ttl, 64);
        cr_expect_eq(w.tos, 0x10);
        if (v6)
            cr_expect_eq(w.flow_label, 0x12345);
        cr_expect_eq(w.window, 65536 >> 3, "RcvWnd >> RcvWindScale");
        cr_expect(w.flags & 0x10, "ACK flag");
        cr_expect_geq(w.ack, last_ack);
        last_ack = w.ack;
        if (w.payload_len > 0) {
            cr_expect_eq(w.seq, next_seq, "data segment %d starts at SndNxt", data);
            cr_expect_leq(w.payload_len, 1448);
            next_seq += w.payload_len;
            data++;
        } else {
            cr_expect_eq(w.seq, next_seq, "a pure ACK carries SndNxt");
        }
    }
    cr_expect_gt(data, 10);
    cr_expect_gt(last_ack, 5000);
}

Test(nic, ipv4_frames_with_vlan_agree_with_the_offloaded_state)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 100);
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_at(&t, 1 * MS, tp_stop_fn, &t);
    tp_run(&t);
    cr_assert_eq(ch.t.b.Status, NDIS_STATUS_SUCCESS);
    check_stream(&t, &ch, 0, 100);
    for (size_t i = 0; i < t.nframes; i++)
        cr_expect_eq(t.frames[i].lane, TP_NIC_LANE, "the sink runs on the NIC's lane");
    tp_teardown(&t);
}

Test(nic, ipv6_frames_without_vlan_agree_with_the_offloaded_state)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    tp_path6(&ch.p, &ch.hp, 0x10, 0x20); /* same block, re-initialised: relink its TCP */
    tp_dep(&ch.p, &ch.t);
    ch.t.st.tcp.c.Flags |= TCP_FLAG_TIMESTAMP_ENABLED;
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_at(&t, 1 * MS, tp_stop_fn, &t);
    tp_run(&t);
    cr_assert_eq(ch.p.b.Status, NDIS_STATUS_SUCCESS);
    cr_assert_eq(ch.t.b.Status, NDIS_STATUS_SUCCESS);
    check_stream(&t, &ch, 1, 0);
    wc_frame w;
    cr_assert(wc_parse(t.frames[0].bytes, t.frames[0].len, &w));
    cr_expect(w.has_ts, "timestamp option when TCP_FLAG_TIMESTAMP_ENABLED");
    cr_expect_eq(w.ts_val, 100, "TsTime at offload, no tick elapsed yet");
    tp_teardown(&t);
}

Test(nic, keepalive_probes_every_interval_when_enabled)
{
    tp t;
    tp_chain ch;
    tp_setup(&t, SCHED_VIRTUAL, NULL);
    tp_chain_build(&ch, 0);
    ch.t.st.tcp.ca.Flags = TCP_FLAG_KEEP_ALIVE_ENABLED;
    tp_call(&t, NIC_OP_INITIATE, &ch.n);
    tp_at(&t, 20 * US + 3500 * US, tp_stop_fn, &t);
    tp_run(&t);
    tp_traffic tf = tp_traffic_of(&t, &ch.ht, UINT64_MAX);
    cr_expect_eq(tf.ka_frames, 3, "at 1, 2 and 3 ms after the offload");
    nic_stats st;
    nic_get_stats(t.n, &st);
    cr_expect_eq(st.keepalives, 3);
    cr_expect_eq(st.frames, t.nframes);
    tp_teardown(&t);
}

/* Two connections for 2 ms; returns the captured frames' bytes hashed in order. */
static uint64_t run_seeded(uint64_t seed, size_t *nframes)
{
    nic_config c;
    nic_config_init(&c);
    c.seed = seed;
    tp t;
    tp_chain a, b;
    tp_setup(&t, SCHED_VIRTUAL, &c);
    tp_chain_build(&a, 0);
    tp_chain_build(&b, 7);
    tp_tcp(&b.t, &b.ht, 8081, 50001);
    b.p.b.DependentBlockList = &b.t.b;
    tp_call(&t, NIC_OP_INITIATE, &a.n);
    tp_call(&t, NIC_OP_INITIATE, &b.n);
    tp_at(&t, 2 * MS, tp_stop_fn, &t);
    tp_run(&t);
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < t.nframes; i++) {
        for (uint32_t j = 0; j < t.frames[i].len; j++)
            h = (h ^ t.frames[i].bytes[j]) * 0x100000001B3ull;
        h = (h ^ t.frames[i].ts) * 0x100000001B3ull;
    }
    *nframes = t.nframes;
    tp_teardown(&t);
    return h;
}

Test(nic, same_seed_gives_identical_frames)
{
    size_t n1, n2, n3;
    uint64_t h1 = run_seeded(7, &n1), h2 = run_seeded(7, &n2), h3 = run_seeded(8, &n3);
    cr_expect_gt(n1, 40);
    cr_expect_eq(n1, n2);
    cr_expect_eq(h1, h2, "same seed, same bytes and times");
    cr_expect_neq(h1, h3, "another seed, other traffic");
}

/* ---- real time --------------------------------------------------------------------------- */

Test(nic, real_mode_completes_on_the_nic_lane_and_stops_after_terminate)
{
    tp t;
    tp_chain ch;
    tp_chain_ref tr;
    tp_setup(&t, SCHED_REAL, NULL);
    tp_chain_build(&ch, 0);
    tp_chain_ref_build(&tr, &ch, NeighborOffloadDelegatedState, Ip4OffloadDelegatedState,
                    TcpOffloadDelegatedState);
    tp_step s1 = {&t, NIC_OP_INITIATE, &ch.n}, s2 = {&t, NIC_OP_TERMINATE, &tr.n};
    tp_at(&t, 0, tp_step_fn, &s1);
    tp_at(&t, 20 * MS, tp_step_fn, &s2);
    tp_run(&t);
    cr_expect_eq(t.completions[NIC_OP_INITIATE], 1);
    cr_expect_eq(t.completions[NIC_OP_TERMINATE], 1);
    cr_expect_eq(t.last_lane[NIC_OP_INITIATE], TP_NIC_LANE);
    cr_expect_eq(tr.t.b.Status, NDIS_STATUS_SUCCESS);
    cr_expect_gt(t.nframes, 10);
    for (size_t i = 0; i < t.nframes; i++)
        cr_expect_eq(t.frames[i].lane, TP_NIC_LANE);
    tp_traffic tf = tp_traffic_of(&t, &ch.ht, UINT64_MAX);
    cr_expect_eq(tr.t.st.tcp_deleg.SndNxt, 1000 + tf.data_bytes);
    tp_teardown(&t);
}
