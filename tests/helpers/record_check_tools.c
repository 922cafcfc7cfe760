/* record_check_tools.c - cross-checks of a recorded trace against independent readers:
 * `chimtrace info --format json` (parsed by python3's json module), tshark on the pcap, and
 * the reader on a file whose recorder was killed.
 */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record_check.h"
#include "tracefile.h"

static const char *const op_names[6] = {"", "OP_INITIATE", "OP_TERMINATE", "OP_UPDATE",
                                        "OP_QUERY", "OP_INVALIDATE"};
static const char *const edge_names[5] = {"", "EDGE_REQUEST_IN_ABOVE", "EDGE_REQUEST_OUT_BELOW",
                                          "EDGE_COMPLETION_IN_BELOW",
                                          "EDGE_COMPLETION_OUT_ABOVE"};

void rc_check_info(const char *path, const rc_trace *t)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s/cli/chimtrace' info --format json '%s' | python3 -c 'import json,sys\n"
             "d=json.load(sys.stdin)\n"
             "for op,edges in d[\"events\"][\"by_op\"].items():\n"
             "  for e,n in edges.items():\n"
             "    print(op,e,n)\n"
             "print(\"TOTAL\",\"-\",d[\"events\"][\"total\"])'",
             CT_TEST_BINARY_DIR, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char op[64], edge[64];
    unsigned long long n;
    int seen = 0, total_ok = 0;
    while (fscanf(p, "%63s %63s %llu", op, edge, &n) == 3) {
        if (strcmp(op, "TOTAL") == 0) {
            cr_assert_eq(n, t->events, "info says %llu events, the trace has %llu", n,
                         (unsigned long long)t->events);
            total_ok = 1;
            continue;
        }
        for (int o = 1; o <= 5; o++)
            for (int e = 1; e <= 4; e++)
                if (strcmp(op, op_names[o]) == 0 && strcmp(edge, edge_names[e]) == 0) {
                    cr_assert_eq(n, t->op_edge[o][e], "info: %s %s = %llu, counted %llu", op,
                                 edge, n, (unsigned long long)t->op_edge[o][e]);
                    seen++;
                }
    }
    cr_assert_eq(pclose(p), 0, "chimtrace info | python3 failed");
    cr_assert(total_ok, "info printed no event total");
    cr_assert_gt(seen, 0, "info printed no per-operation counts");
}

static const rc_conn *find_conn(const rc_trace *t, const char *sip, const char *dip,
                                unsigned src, unsigned dst)
{
    for (size_t i = 0; i < t->nconns; i++) {
        const rc_conn *c = &t->conns[i];
        if (c->local_port == src && c->remote_port == dst && strcmp(c->src_ip, sip) == 0 &&
            strcmp(c->dst_ip, dip) == 0)
            return c;
    }
    return NULL;
}

/* Split a tshark fields line on tabs, keeping empty fields. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

void rc_check_pcap_with_tshark(const char *pcap, const rc_trace *t, uint64_t frames)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tshark -n -r '%s' -T fields -e ip.src -e ip.dst -e ipv6.src "
             "-e ipv6.dst -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.len 2>/dev/null",
             pcap);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "cannot run tshark");
    char line[1024], *f[8];
    uint64_t lines = 0, matched = 0;
    while (fgets(line, sizeof line, p) != NULL) {
        lines++;
        cr_assert_eq(split_tabs(line, f, 8), 8, "tshark line %llu has too few fields",
                     (unsigned long long)lines);
        const char *sip = f[0][0] ? f[0] : f[2], *dip = f[1][0] ? f[1] : f[3];
        unsigned src = (unsigned)atoi(f[4]), dst = (unsigned)atoi(f[5]);
        uint32_t seq = (uint32_t)strtoul(f[6], NULL, 10), len = (uint32_t)atoi(f[7]);
        const rc_conn *c = find_conn(t, sip, dip, src, dst);
        cr_assert_not_null(c, "frame %llu: %s:%u -> %s:%u is no TCP object of the trace",
                           (unsigned long long)lines, sip, src, dip, dst);
        if (!c->terminated)
            continue;
        /* Every segment lies between the SndNxt offloaded and the SndNxt returned. */
        uint32_t off = seq - c->isn, span = c->fin - c->isn;
        cr_assert_leq(off + len, span, "frame %llu: seq %u+%u outside %u..%u",
                      (unsigned long long)lines, seq, len, c->isn, c->fin);
        matched++;
    }
    int rc = pclose(p);
    cr_assert_eq(rc, 0, "tshark failed (exit %d): is it installed?", rc);
    cr_assert_eq(lines, frames, "tshark decoded %llu frames of %llu", (unsigned long long)lines,
                 (unsigned long long)frames);
    cr_assert_gt(matched, 0, "no frame belonged to a terminated connection");
}

void rc_check_truncated(const char *path)
{
    ct_reader *r;
    ct_errinfo ei;
    cr_assert_eq(ct_reader_open(path, &r, &ei), CT_OK, "%s", ei.msg);
    const Chimtrace__V1__Record *rec;
    uint64_t records = 0, events = 0;
    ct_err e;
    while ((e = ct_reader_next(r, &rec, &ei)) == CT_OK && rec != NULL) {
        records++;
        events += rec->kind_case == CHIMTRACE__V1__RECORD__KIND_EVENT;
    }
    cr_assert_eq(e, CT_ERR_TRUNCATED, "a killed recording read back without truncation (%d)", e);
    cr_assert(strstr(ei.msg, "truncated at byte") != NULL, "message: %s", ei.msg);
    ct_file_status st;
    ct_reader_status(r, &st);
    cr_assert(st.truncated);
    cr_assert_gt(st.complete_end, 0);
    cr_assert_gt(events, 0, "no event survived the kill");
    ct_reader_close(r);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/cli/chimtrace' info '%s' 2>&1", CT_TEST_BINARY_DIR, path);
    FILE *p = popen(cmd, "r");
    char line[512];
    int said = 0;
    while (fgets(line, sizeof line, p) != NULL)
        said |= strstr(line, "truncated at byte") != NULL;
    cr_assert_eq(pclose(p), 0, "chimtrace info failed on a truncated trace");
    cr_assert(said, "chimtrace info did not report the truncation");
}

int rc_files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    cr_assert(fa && fb);
    int same = 1, ca, cb;
    do {
        ca = getc(fa);
        cb = getc(fb);
        if (ca != cb)
            same = 0;
    } while (same && ca != EOF);
    fclose(fa);
    fclose(fb);
    return same;
}

long rc_file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}
