/* reader_fuzz.c - libFuzzer target: any byte string, read every way a tool reads a trace.
 *
 * The input becomes a file (a memfd, so no disk I/O) and goes through the reader's whole
 * public surface: open, header, iteration with resync after damage (decoded, and encoded
 * as stats reads it), seeks by seq and by time, rewind, and the chunk list. Crashes,
 * sanitizer reports, leaks and hangs are bugs; error returns are expected.
 * Build: CT_FUZZ=ON with clang (tests/fuzz/CMakeLists.txt).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tracefile.h"

#define MAX_CALLS (1u << 16)   /* far more than a fuzz-sized input can hold: a hang guard */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One memfd for the whole run, rewritten for every input. */
static const char *input_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("ct_reader_fuzz", MFD_CLOEXEC);
        if (fd < 0)
            return NULL;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0)
        return NULL;
    for (size_t off = 0; off < size;) {
        ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);
        if (n <= 0)
            return NULL;
        off += (size_t)n;
    }
    return path;
}

/* Touch every byte of a returned record, so a dangling or short buffer shows up. */
static size_t consume(const Chimtrace__V1__Record *rec)
{
    return rec ? chimtrace__v1__record__get_packed_size(rec) : 0;
}

static void read_all(ct_reader *r)
{
    for (unsigned i = 0; i < MAX_CALLS; i++) {
        const Chimtrace__V1__Record *rec = NULL;
        ct_errinfo ei;
        ct_err e = ct_reader_next(r, &rec, &ei);
        if (e == CT_OK && rec == NULL)
            return;
        if (e == CT_OK)
            (void)consume(rec);
        else if (e != CT_ERR_CORRUPT && e != CT_ERR_LIMIT && e != CT_ERR_TRUNCATED)
            return;
    }
    __builtin_trap();   /* the reader never reached the end: a hang */
}

/* The same walk without decoding (stats' fast path): every returned byte is touched. */
static void read_all_encoded(ct_reader *r)
{
    for (unsigned i = 0; i < MAX_CALLS; i++) {
        const uint8_t *b = NULL;
        size_t len = 0;
        ct_errinfo ei;
        ct_err e = ct_reader_next_encoded(r, &b, &len, &ei);
        if (e == CT_OK && b == NULL)
            return;
        if (e == CT_OK) {
            volatile uint8_t sum = 0;
            for (size_t k = 0; k < len; k++)
                sum ^= b[k];
            (void)sum;
        } else if (e != CT_ERR_CORRUPT && e != CT_ERR_LIMIT && e != CT_ERR_TRUNCATED) {
            return;
        }
    }
    __builtin_trap();
}

static int count_chunk(void *ctx, const ct_chunk_info *c)
{
    (void)c;
    return ++*(unsigned *)ctx > MAX_CALLS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = input_path(data, size);
    ct_reader *r = NULL;
    ct_errinfo ei;
    const Chimtrace__V1__Record *rec;
    if (!path || ct_reader_open(path, &r, &ei) != CT_OK)
        return 0;
    const Chimtrace__V1__TraceHeader *h = ct_reader_header(r);
    if (h)
        (void)chimtrace__v1__trace_header__get_packed_size(h);
    read_all(r);

    uint64_t target = 0;        /* seek targets drawn from the input itself */
    for (size_t i = 0; i < size && i < 8; i++)
        target = (target << 8) | data[size - 1 - i];
    if (ct_reader_seek_seq(r, target % 4096, &ei) == CT_OK &&
        ct_reader_next(r, &rec, &ei) == CT_OK)
        (void)consume(rec);
    if (ct_reader_seek_time(r, target, &ei) == CT_OK && ct_reader_next(r, &rec, &ei) == CT_OK)
        (void)consume(rec);
    if (ct_reader_rewind(r, &ei) == CT_OK && ct_reader_next(r, &rec, &ei) == CT_OK)
        (void)consume(rec);
    if (ct_reader_rewind(r, &ei) == CT_OK)
        read_all_encoded(r);
    unsigned chunks = 0;
    (void)ct_reader_chunks(r, count_chunk, &chunks, &ei);
    ct_file_status st;
    ct_reader_status(r, &st);
    ct_reader_close(r);
    return 0;
}
