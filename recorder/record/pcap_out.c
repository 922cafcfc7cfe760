/* pcap_out.c - nanosecond pcap writer over libpcap (see pcap_out.h).
 *
 * libpcap writes classic pcap only (toolchain notes); with PCAP_TSTAMP_PRECISION_NANO the
 * file gets magic a1b23c4d and ts.tv_usec carries nanoseconds. pcap.h needs _DEFAULT_SOURCE
 * under -std=c11 (u_int).
 */
#define _DEFAULT_SOURCE
#include "pcap_out.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ct_pcap {
    pcap_t *dead;
    pcap_dumper_t *dump;
    pthread_mutex_t lock;
    uint64_t epoch_ns, frames;
    int failed;
    char path[512];
};

ct_err ct_pcap_open(const char *path, uint64_t epoch_ns, ct_pcap **out, ct_errinfo *ei)
{
    *out = NULL;
    ct_pcap *p = calloc(1, sizeof *p);
    if (p == NULL)
        return ct_seterr(ei, CT_ERR_NOMEM, CT_NO_OFFSET, "out of memory");
    snprintf(p->path, sizeof p->path, "%s", path);
    p->epoch_ns = epoch_ns;
    p->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    if (p->dead == NULL) {
        free(p);
        return ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: libpcap: cannot create a handle", path);
    }
    p->dump = pcap_dump_open(p->dead, path);
    if (p->dump == NULL) {
        ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: %s", path, pcap_geterr(p->dead));
        pcap_close(p->dead);
        free(p);
        return CT_ERR_IO;
    }
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return CT_OK;
}

uint64_t ct_pcap_write(ct_pcap *p, uint64_t ts_ns, const uint8_t *frame, uint32_t len)
{
    uint64_t t = p->epoch_ns + ts_ns;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(t / 1000000000u);
    h.ts.tv_usec = (suseconds_t)(t % 1000000000u); /* nanoseconds in a NANO-precision file */
    h.caplen = len;
    h.len = len;
    pthread_mutex_lock(&p->lock);
    pcap_dump((u_char *)p->dump, &h, frame);
    uint64_t n = ++p->frames;
    pthread_mutex_unlock(&p->lock);
    return n;
}

uint64_t ct_pcap_frames(const ct_pcap *p)
{
    return p->frames;
}

ct_err ct_pcap_close(ct_pcap *p, ct_errinfo *ei)
{
    if (p == NULL)
        return CT_OK;
    ct_err e = CT_OK;
    if (pcap_dump_flush(p->dump) != 0)
        e = ct_seterr(ei, CT_ERR_IO, CT_NO_OFFSET, "%s: write failed", p->path);
    pcap_dump_close(p->dump);
    pcap_close(p->dead);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return e;
}
