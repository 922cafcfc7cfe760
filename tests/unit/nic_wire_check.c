/* nic_wire_check.c - independent frame parser and checksum verifier for the NIC suites
 * (see nic_wire_check.h).
 */
#include "nic_wire_check.h"

#include <string.h>

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t words(const uint8_t *p, uint32_t n)
{
    uint64_t s = 0;
    for (uint32_t i = 0; i + 1 < n; i += 2)
        s += be16(p + i);
    if (n & 1)
        s += (uint64_t)p[n - 1] << 8;
    return s;
}

static int folds_to_ffff(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return s == 0xFFFF;
}

static int parse_tcp(const uint8_t *tcp, uint32_t tcp_len, wc_frame *w)
{
    if (tcp_len < 20)
        return 0;
    uint32_t hl = (uint32_t)(tcp[12] >> 4) * 4;
    if (hl < 20 || hl > tcp_len)
        return 0;
    w->sport = be16(tcp);
    w->dport = be16(tcp + 2);
    w->seq = be32(tcp + 4);
    w->ack = be32(tcp + 8);
    w->flags = tcp[13];
    w->window = be16(tcp + 14);
    for (uint32_t o = 20; o + 10 <= hl;) {
        if (tcp[o] == 1) {
            o++;
            continue;
        }
        if (tcp[o] == 8 && tcp[o + 1] == 10) {
            w->has_ts = 1;
            w->ts_val = be32(tcp + o + 2);
            w->ts_ecr = be32(tcp + o + 6);
        }
        if (tcp[o] == 0 || tcp[o + 1] < 2)
            break;
        o += tcp[o + 1];
    }
    w->payload = tcp + hl;
    w->payload_len = tcp_len - hl;
    uint32_t alen = w->v6 ? 16 : 4;
    uint64_t s = words(w->src_ip, alen) + words(w->dst_ip, alen) + 6 + tcp_len;
    w->tcp_csum_ok = folds_to_ffff(s + words(tcp, tcp_len));
    return 1;
}

int wc_parse(const uint8_t *f, uint32_t len, wc_frame *w)
{
    memset(w, 0, sizeof *w);
    if (len < 14)
        return 0;
    memcpy(w->dst_mac, f, 6);
    memcpy(w->src_mac, f + 6, 6);
    uint32_t off = 12;
    if (be16(f + off) == 0x8100) {
        w->vlan = 1;
        w->tci = be16(f + off + 2);
        off += 4;
    }
    w->ethertype = be16(f + off);
    off += 2;
    const uint8_t *ip = f + off;
    uint32_t rest = len - off;
    if (w->ethertype == 0x0800) {
        if (rest < 20 || ip[0] != 0x45 || ip[9] != 6 || be16(ip + 2) != rest)
            return 0;
        w->tos = ip[1];
        w->ip_id = be16(ip + 4);
        w->ttl = ip[8];
        memcpy(w->src_ip, ip + 12, 4);
        memcpy(w->dst_ip, ip + 16, 4);
        w->ip_csum_ok = folds_to_ffff(words(ip, 20));
        return parse_tcp(ip + 20, rest - 20, w);
    }
    if (w->ethertype == 0x86DD) {
        if (rest < 40 || ip[6] != 6 || be16(ip + 4) != rest - 40)
            return 0;
        uint32_t w0 = be32(ip);
        if (w0 >> 28 != 6)
            return 0;
        w->v6 = 1;
        w->tos = (uint8_t)(w0 >> 20);
        w->flow_label = w0 & 0xFFFFF;
        w->ttl = ip[7];
        memcpy(w->src_ip, ip + 8, 16);
        memcpy(w->dst_ip, ip + 24, 16);
        w->ip_csum_ok = 1; /* IPv6 has no header checksum */
        return parse_tcp(ip + 40, rest - 40, w);
    }
    return 0;
}
