/* pcap_out.h - the NIC's frames to a nanosecond pcap (libpcap, DLT_EN10MB), numbered so
 * that the trace can name them (FrameRef.frame, 1-based). Thread-safe: frames come from the
 * NIC's lane while the recorder drains elsewhere. */
#ifndef CT_PCAP_OUT_H
#define CT_PCAP_OUT_H

#include <stdint.h>

#include "ct_err.h"

typedef struct ct_pcap ct_pcap;

/* Create `path`. Timestamps are epoch_ns + the trace time of each frame. Caller frees with
 * ct_pcap_close. */
ct_err ct_pcap_open(const char *path, uint64_t epoch_ns, ct_pcap **out, ct_errinfo *ei);

/* Write one frame; returns its 1-based frame number (0 on a write error, remembered for
 * ct_pcap_close). */
uint64_t ct_pcap_write(ct_pcap *p, uint64_t ts_ns, const uint8_t *frame, uint32_t len);

uint64_t ct_pcap_frames(const ct_pcap *p);

/* Flush, close and free; reports the first write error. NULL is a no-op. */
ct_err ct_pcap_close(ct_pcap *p, ct_errinfo *ei);

#endif
