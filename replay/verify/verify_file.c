/* verify_file.c - a whole trace file into the checker: Loss records first, then every record.
 *
 * The recorder writes a Loss record when its drain learns of the drop, which may be after the
 * events around the lost seqs; met in file order, those events would be judged before the
 * checker knew. So the losses are read first - skipped cheaply when the run summary says none.
 */
#include <string.h>

#include "tracefile.h"
#include "verify_int.h"

typedef struct last_chunk {
    int have;
    uint64_t last_seq;
} last_chunk;

static int remember_last(void *ctx, const ct_chunk_info *c)
{
    last_chunk *l = ctx;

    if (c->events) {
        l->have = 1;
        l->last_seq = c->last_seq;
    }
    return 0;
}

/* Whether the run summary (in the last chunk with events, or after it) says no loss. */
static int summary_says_no_loss(ct_reader *r)
{
    const Chimtrace__V1__Record *rec;
    last_chunk last = { 0, 0 };

    if (ct_reader_chunks(r, remember_last, &last, NULL) != CT_OK || !last.have ||
        ct_reader_seek_seq(r, last.last_seq, NULL) != CT_OK)
        return 0;
    while (ct_reader_next(r, &rec, NULL) == CT_OK && rec)
        if (rec->kind_case == CHIMTRACE__V1__RECORD__KIND_SUMMARY)
            return !rec->summary->lost_events && !rec->summary->loss_records;
    return 0;
}

static ct_err prescan_losses(verify *v, ct_reader *r)
{
    const Chimtrace__V1__Record *rec;
    ct_err err = CT_OK;

    if (!summary_says_no_loss(r)) {
        if (ct_reader_rewind(r, NULL) != CT_OK)
            return CT_OK;   /* the main pass reports what is wrong with the file */
        for (;;) {
            err = ct_reader_next(r, &rec, NULL);
            if (err == CT_OK && !rec)
                break;
            if (err != CT_OK && err != CT_ERR_TRUNCATED && err != CT_ERR_CORRUPT &&
                err != CT_ERR_LIMIT)
                break;
            if (err == CT_OK && rec->kind_case == CHIMTRACE__V1__RECORD__KIND_LOSS &&
                vr_add_loss(v, rec->loss->has_first_seq ? rec->loss->first_seq : 0,
                            rec->loss->has_last_seq ? rec->loss->last_seq : UINT64_MAX) < 0)
                return CT_ERR_NOMEM;
        }
    }
    ct_reader_rewind(r, NULL);
    return CT_OK;
}

ct_err verify_run_file(verify *v, const char *path, ct_errinfo *ei)
{
    const Chimtrace__V1__Record *rec;
    ct_reader *r = NULL;
    int truncated = 0;
    ct_errinfo rei;
    ct_err err = ct_reader_open(path, &r, ei);

    if (err != CT_OK)
        return err;
    /* The file header's copy: chunk 0, which repeats it as a record, may be missing. */
    if (ct_reader_header(r))
        vr_on_header(v, ct_reader_header(r));
    err = prescan_losses(v, r);
    while (err == CT_OK) {
        memset(&rei, 0, sizeof rei);
        err = ct_reader_next(r, &rec, &rei);
        if (err == CT_OK && !rec)
            break;
        if (err == CT_OK) {
            err = verify_record(v, rec);
        } else if (err == CT_ERR_TRUNCATED) {
            truncated = 1;
            vr_report(v, VR_TRACE_TRUNCATED, VERIFY_NOTE, NULL, NULL, -1, 0, "%s", rei.msg);
            err = CT_OK;
        } else if (err == CT_ERR_CORRUPT || err == CT_ERR_LIMIT) {
            verify_damaged(v);
            vr_report(v, VR_TRACE_DAMAGED, VERIFY_NOTE, NULL, NULL, -1, 0, "%s", rei.msg);
            err = CT_OK;
        } else if (ei) {
            *ei = rei;
        }
    }
    ct_reader_close(r);
    if (err == CT_ERR_NOMEM)
        ct_seterr(ei, err, CT_NO_OFFSET, "%s: %s", path, ct_strerror(err));
    return err != CT_OK ? err : verify_finish(v, truncated);
}
