/* stats_wire_fuzz.c - libFuzzer target: one encoded chimtrace.v1.Record, read both ways.
 *
 * `chimtrace stats` scans events straight from their encoded bytes (replay/stats/
 * stats_wire.c) instead of decoding them with protobuf-c. This target feeds any byte string
 * to that scanner (no crash, no sanitizer report, no leak), and, whenever protobuf-c accepts
 * the same bytes as a Record, also feeds the decoded record to a second engine: the two
 * engines' JSON must then be identical, or the scanner read a field differently from
 * protobuf-c. Build: CT_FUZZ=ON with clang (tests/fuzz/CMakeLists.txt).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_stats.h"
#include "stats_int.h"
#include "tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *json_of(stats_engine *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f || stats_finish(s, NULL) != CT_OK || stats_write_json(f, s, "fuzz") != CT_OK)
        abort();
    fclose(f);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stats_engine *fast = NULL, *slow = NULL;
    Chimtrace__V1__Record *rec;
    ct_errinfo ei;
    int damaged = 0;

    if (size > CT_MAX_RECORD_BYTES)
        return 0;
    if (stats_new(NULL, &fast, NULL) != CT_OK || stats_new(NULL, &slow, NULL) != CT_OK)
        abort();
    memset(&ei, 0, sizeof ei);
    if (stats_feed_encoded(fast, data, size, &damaged, &ei) != CT_OK) {
        fprintf(stderr, "stats_wire_fuzz: the fast path failed: %s\n", ei.msg);
        abort();
    }
    rec = chimtrace__v1__record__unpack(NULL, size, data);
    if (rec && !(rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT &&
                 rec->event->n_block > CT_MAX_BLOCKS_PER_EVENT)) {
        char *a, *b;

        if (damaged || stats_feed(slow, rec, NULL) != CT_OK) {
            fprintf(stderr, "stats_wire_fuzz: protobuf-c accepts the record, the fast path "
                            "calls it damaged\n");
            abort();
        }
        a = json_of(fast);
        b = json_of(slow);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "stats_wire_fuzz: fast and decoded paths differ\n--- fast\n%s"
                            "--- decoded\n%s", a, b);
            abort();
        }
        free(a);
        free(b);
    }
    if (rec)
        chimtrace__v1__record__free_unpacked(rec, NULL);
    stats_free(fast);
    stats_free(slow);
    return 0;
}
