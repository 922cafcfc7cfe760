/* make_corpus.c - writes the reader fuzzer's seed corpus: small valid traces and the
 * shapes a crash leaves (no footer, cut mid-chunk), each a few KB.
 *
 * Starting from valid files lets the fuzzer reach chunk, index and record decoding at
 * once instead of first guessing magics and CRCs. Usage: ct_fuzz_corpus DIR
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ct_fuzz_corpus DIR\n");
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
