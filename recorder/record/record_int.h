/* record_int.h - state of one `chimtrace record` run, shared by record.c (the stack and the
 * run) and record_out.c (trace header, frames, summary, outputs). Internal. */
#ifndef CT_RECORD_INT_H
#define CT_RECORD_INT_H

#include <pthread.h>

#include "drain.h"
#include "host.h"
#include "im.h"
#include "ndm.h"
#include "nic.h"
#include "pcap_out.h"
#include "recorder.h"
#include "scheduler.h"

typedef struct rec_frame {
    uint64_t no, ts, handle;
    uint32_t len;
} rec_frame;

typedef struct rec_run {
    const ct_record_opts *o;
    sched *s;
    shim *shim;
    ndm *m;
    nic *nic;
    im_adapter *im;
    ndm_adapter *upper;
    host *host;
    ct_writer *w;
    ct_enc *enc;
    ct_drain *drain;
    ct_pcap *pcap;
    /* frames waiting to become FrameRef records (NIC lane pushes, drain pops) */
    pthread_mutex_t flock;
    rec_frame *frames;
    size_t nframes, cap_frames;
    uint64_t frames_total;
    /* the drain thread / callback */
    volatile int stop;
    int stalled;                  /* the host stopped making progress: run ended early */
    uint64_t last_host_progress, last_progress_ns;
    ct_err err;
    ct_errinfo ei;
    double wall0, last_progress;
} rec_run;

double rec_wall_s(void);
ct_err rec_open_outputs(rec_run *r, ct_errinfo *ei);
ct_err rec_close_outputs(rec_run *r, ct_record_result *res, ct_errinfo *ei);
void rec_abandon_outputs(rec_run *r);
void rec_fill_result(rec_run *r, ct_record_result *res);
void rec_frames_push(rec_run *r, uint64_t no, uint64_t ts, uint32_t len, uint64_t handle);
ct_err rec_frames_flush(rec_run *r, ct_errinfo *ei);
void rec_frames_free(rec_run *r);
void rec_progress(rec_run *r, int final);

#endif
