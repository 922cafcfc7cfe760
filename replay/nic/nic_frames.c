/* nic_frames.c - builds the frames the simulated NIC transmits: Ethernet II, an 802.1Q tag
 * when the VLAN id is non-zero, IPv4 (with header checksum) or IPv6, and TCP with the
 * pseudo-header checksum. A pure function of a nic_frame_desc, so tests can check every byte
 * and recompute every checksum; the traffic timers (nic_traffic.c) fill the description
 * from the offloaded state.
 */
#include <string.h>

#include "nic_int.h"

#define ETH_HLEN 14u
#define VLAN_HLEN 4u
#define IP4_HLEN 20u
#define IP6_HLEN 40u
#define TCP_HLEN 20u
#define TCP_TS_OPTLEN 12u  /* NOP, NOP, kind 8, len 10, TSval, TSecr */

uint32_t nic_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    while (n > 1) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFFu) + (sum >> 16);
    return sum;
}

uint16_t nic_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFFu) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t put_ethernet(const nic_frame_desc *d, uint8_t *p)
{
    memcpy(p, d->dst_mac, 6);
    memcpy(p + 6, d->src_mac, 6);
    uint32_t off = 12;
    if (d->vlan_id != 0) {
        put16(p + off, 0x8100);
        put16(p + off + 2, (uint32_t)(d->user_priority & 7u) << 13 | (d->vlan_id & 0xFFFu));
        off += VLAN_HLEN;
    }
    put16(p + off, d->ipv6 ? 0x86DD : 0x0800);
    return off + 2;
}

static void put_ip4(const nic_frame_desc *d, uint8_t *p, uint32_t tcp_len)
{
    p[0] = 0x45;
    p[1] = d->tos;
    put16(p + 2, IP4_HLEN + tcp_len);
    put16(p + 4, d->ip_id);
    put16(p + 6, 0x4000); /* DF: the offloaded connection does its own PMTU */
    p[8] = d->ttl;
    p[9] = 6;
    put16(p + 10, 0);
    memcpy(p + 12, d->src_ip, 4);
    memcpy(p + 16, d->dst_ip, 4);
    put16(p + 10, nic_csum_fold(nic_csum_add(0, p, IP4_HLEN)));
}

static void put_ip6(const nic_frame_desc *d, uint8_t *p, uint32_t tcp_len)
{
    put32(p, 6u << 28 | (uint32_t)d->tos << 20 | (d->flow_label & 0xFFFFFu));
    put16(p + 4, tcp_len);
    p[6] = 6;
    p[7] = d->ttl;
    memcpy(p + 8, d->src_ip, 16);
    memcpy(p + 24, d->dst_ip, 16);
}

static uint32_t pseudo_sum(const nic_frame_desc *d, uint32_t tcp_len)
{
    uint8_t ph[40];
    if (!d->ipv6) {
        memcpy(ph, d->src_ip, 4);
        memcpy(ph + 4, d->dst_ip, 4);
        ph[8] = 0;
        ph[9] = 6;
        put16(ph + 10, tcp_len);
        return nic_csum_add(0, ph, 12);
    }
    memcpy(ph, d->src_ip, 16);
    memcpy(ph + 16, d->dst_ip, 16);
    put32(ph + 32, tcp_len);
    put32(ph + 36, 6);
    return nic_csum_add(0, ph, 40);
}

uint32_t nic_frame_build(const nic_frame_desc *d, uint8_t *buf, uint32_t cap)
{
    uint32_t ip_hlen = d->ipv6 ? IP6_HLEN : IP4_HLEN;
    uint32_t tcp_hlen = TCP_HLEN + (d->has_ts ? TCP_TS_OPTLEN : 0);
    uint32_t tcp_len = tcp_hlen + d->payload_len;
    uint32_t l2 = ETH_HLEN + (d->vlan_id ? VLAN_HLEN : 0);
    if (d->payload_len > 65535u - 60u - IP6_HLEN || (uint64_t)l2 + ip_hlen + tcp_len > cap)
        return 0;

    uint8_t *ip = buf + put_ethernet(d, buf);
    uint8_t *tcp = ip + ip_hlen;
    if (d->ipv6)
        put_ip6(d, ip, tcp_len);
    else
        put_ip4(d, ip, tcp_len);

    memcpy(tcp, d->sport, 2);
    memcpy(tcp + 2, d->dport, 2);
    put32(tcp + 4, d->seq);
    put32(tcp + 8, d->ack);
    tcp[12] = (uint8_t)((tcp_hlen / 4) << 4);
    tcp[13] = d->flags;
    put16(tcp + 14, d->window);
    put16(tcp + 16, 0);
    put16(tcp + 18, 0);
    if (d->has_ts) {
        tcp[20] = 1;
        tcp[21] = 1;
        tcp[22] = 8;
        tcp[23] = 10;
        put32(tcp + 24, d->ts_val);
        put32(tcp + 28, d->ts_ecr);
    }
    uint8_t *pl = tcp + tcp_hlen;
    for (uint32_t i = 0; i < d->payload_len; i++)
        pl[i] = (uint8_t)(d->seq + i);
    put16(tcp + 16, nic_csum_fold(nic_csum_add(pseudo_sum(d, tcp_len), tcp, tcp_len)));
    return l2 + ip_hlen + tcp_len;
}
