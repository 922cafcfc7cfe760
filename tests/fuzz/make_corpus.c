/* make_corpus.c - writes the fuzzers' seed corpora. For reader_fuzz: small valid traces and
 * the shapes a crash leaves (no footer, cut mid-chunk), each a few KB. For stats_wire_fuzz
 * (--records): single encoded records of a synthetic trace, one file each.
 *
 * Starting from valid inputs lets the fuzzer reach chunk, index and record decoding at
 * once instead of first guessing magics and CRCs.
 * Usage: ct_fuzz_corpus DIR | ct_fuzz_corpus --records DIR
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf_helpers.h"

static int write_one(const char *dir, const char *name, uint64_t seed, size_t records,
                     int cut)
{
    char path[4096];
    ct_errinfo ei;
    tf_chunk_list cl;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tf_write_synth(path, seed, records, CT_CHUNK_MIN_BYTES, NULL, NULL, &ei) != CT_OK ||
        tf_list_chunks(path, &cl, NULL, &ei) != CT_OK) {
        fprintf(stderr, "ct_fuzz_corpus: %s\n", ei.msg);
        return 1;
    }
    const ct_chunk_info *last = &cl.v[cl.n - 1];
    int rc = 0;
    if (cut == 1)           /* footer gone: the rebuilt-index path */
        rc = truncate(path, (off_t)last->end);
    else if (cut == 2)      /* a crash mid-chunk */
        rc = truncate(path, (off_t)(last->data_offset + last->comp_bytes / 2));
    free(cl.v);
    if (rc != 0)
        perror(path);
    return rc != 0;
}

/* Every record of a seeded synthetic trace as its own file (events of every shape, losses,
 * frames, header, summary). */
static int write_records(const char *dir)
{
    char path[4096];
    ct_errinfo ei;
    tf_recs recs;
    int bad = 0;

    tf_recs_init(&recs);
    snprintf(path, sizeof path, "%s/source.ctrace.tmp", dir);
    if (tf_write_synth(path, 7, 64, 0, &recs, NULL, &ei) != CT_OK) {
        fprintf(stderr, "ct_fuzz_corpus: %s\n", ei.msg);
        return 1;
    }
    unlink(path);
    for (size_t i = 0; i < recs.n; i++) {
        size_t len;
        const uint8_t *b = tf_recs_get(&recs, i, &len);
        snprintf(path, sizeof path, "%s/record-%03zu.pb", dir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(b, 1, len, f) != len) {
            perror(path);
            bad = 1;
        }
        if (f)
            fclose(f);
    }
    tf_recs_free(&recs);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--records") == 0)
        return write_records(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: ct_fuzz_corpus DIR | ct_fuzz_corpus --records DIR\n");
        return 2;
    }
    int bad = 0;
    bad |= write_one(argv[1], "header_only.ctrace", 1, 0, 0);
    bad |= write_one(argv[1], "one_chunk.ctrace", 2, 6, 0);
    bad |= write_one(argv[1], "four_chunks.ctrace", 3, 30, 0);
    bad |= write_one(argv[1], "no_footer.ctrace", 4, 30, 1);
    bad |= write_one(argv[1], "cut_mid_chunk.ctrace", 5, 30, 2);
    return bad;
}
