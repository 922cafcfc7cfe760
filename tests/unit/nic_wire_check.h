/* nic_wire_check.h - an independent reader of the frames the simulated NIC emits, for the
 * NIC suites: parses Ethernet / 802.1Q / IPv4 / IPv6 / TCP and recomputes both checksums
 * with its own RFC 1071 code (it shares nothing with replay/nic/nic_frames.c).
 */
#ifndef CT_NIC_WIRE_CHECK_H
#define CT_NIC_WIRE_CHECK_H

#include <stdint.h>

typedef struct wc_frame {
    uint8_t dst_mac[6], src_mac[6];
    int vlan;                 /* an 802.1Q tag was present */
    uint16_t tci, ethertype;
    int v6;
    uint8_t tos, ttl;         /* traffic class / hop limit for IPv6 */
    uint32_t flow_label;
    uint16_t ip_id;
    uint8_t src_ip[16], dst_ip[16];
    uint16_t sport, dport;    /* host order, read big-endian from the header */
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    int has_ts;
    uint32_t ts_val, ts_ecr;
    uint32_t payload_len;
    const uint8_t *payload;
    int ip_csum_ok, tcp_csum_ok;
} wc_frame;

/* 1 when the frame is well formed (lengths agree); checksums are reported, not required. */
int wc_parse(const uint8_t *f, uint32_t len, wc_frame *out);

#endif
