/* cmd_record.c - `chimtrace record`: option parsing and the closing summary only; the
 * pipeline is recorder/record (ct_record_run).
 */
#define _DEFAULT_SOURCE

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "host.h"
#include "im.h"
#include "recorder.h"

static void record_usage(FILE *out)
{
    fprintf(out,
            "Usage: chimtrace record [--workload NAME] [--seed S] [--connections N]\n"
            "                        [--threads T] [--rounds R] [--deterministic] -o FILE.ctrace\n"
            "                        [--pcap FILE.pcap] [--nic-latency SPEC] [--nic-sync]\n"
            "                        [--nic-capacity N:P:T]\n"
            "                        [--ring-bytes B] [--max-blocks N] [--chunk-bytes B]\n"
            "\n"
            "Run the driver model - host stack, chimney IM driver with the trace shim,\n"
            "simulated offload NIC - on a workload, and record every state operation at the\n"
            "IM driver's four edges into a trace (and the NIC's frames into a pcap).\n"
            "\n"
            "By default it runs like a test machine: T host threads and a NIC thread in real\n"
            "time while a recorder thread drains the shim's rings, so losses and timings are\n"
            "real. --deterministic runs the same code on a single-threaded virtual clock and\n"
            "writes a byte-identical trace for the same options.\n"
            "\n"
            "Options:\n"
            "  --workload NAME      basic (default), storm, churn, exhaust, deep, mixed\n"
            "  --seed S             workload and NIC seed (default 1)\n"
            "  --connections N      TCP connections, where the workload uses them\n"
            "  --threads T          host threads (default 1)\n"
            "  --rounds R           offload/upload cycles of churn (default 3)\n"
            "  --deterministic      virtual time, one thread, reproducible output\n"
            "  -o, --output FILE    the trace to write\n"
            "  --pcap FILE          also write the NIC's frames (nanosecond pcap)\n"
            "  --nic-latency SPEC   fixed:50us | uniform:10us:200us | lognormal:MEDIAN:SIGMA\n"
            "  --nic-sync           the NIC completes inside its handler (re-entrant)\n"
            "  --nic-capacity N:P:T NIC capacity in neighbors, paths and TCP connections\n"
            "                       (default 1024:1024:4096; exhaust: 2:4:8)\n"
            "  --ring-bytes B       bytes per shim ring, a power of two (default 1048576)\n"
            "  --max-blocks N       blocks copied per event (default 256)\n"
            "  --chunk-bytes B      trace chunk size target (default %u)\n"
            "  --im-fault LIST      make the IM driver commit bugs (comma list): " IM_FAULT_NAMES "\n"
            "  -h, --help           show this help\n"
            "\n"
            "Progress goes to stderr when it is a terminal; a summary follows on stderr.\n"
            "Exit status: 0 recorded, 2 bad arguments or the run failed.\n",
            CT_CHUNK_DEFAULT_BYTES);
}

static int parse_u32(const char *what, const char *v, uint64_t lo, uint64_t hi, uint32_t *out)
{
    uint64_t n;
    if (cli_parse_u64("record", what, v, lo, hi, &n) < 0)
        return -1;
    *out = (uint32_t)n;
    return 1;
}

static int record_option(int argc, char **argv, int *i, ct_record_opts *o)
{
    const char *v;
    int m;
    if ((m = cli_opt_value("record", argc, argv, i, "-o", &v)) ||
        (m = cli_opt_value("record", argc, argv, i, "--output", &v)))
        return m < 0 ? -1 : (o->out_path = v, 1);
    if ((m = cli_opt_value("record", argc, argv, i, "--workload", &v)))
        return m < 0 ? -1 : (o->workload = v, 1);
    if ((m = cli_opt_value("record", argc, argv, i, "--pcap", &v)))
        return m < 0 ? -1 : (o->pcap_path = v, 1);
    if ((m = cli_opt_value("record", argc, argv, i, "--nic-latency", &v)))
        return m < 0 ? -1 : (o->nic_latency = v, 1);
    if ((m = cli_opt_value("record", argc, argv, i, "--seed", &v)))
        return m < 0 ? -1 : cli_parse_u64("record", "--seed", v, 0, UINT64_MAX, &o->seed) < 0 ? -1 : 1;
    if ((m = cli_opt_value("record", argc, argv, i, "--connections", &v)))
        return m < 0 ? -1 : parse_u32("--connections", v, 1, 1000000, &o->connections);
    if ((m = cli_opt_value("record", argc, argv, i, "--nic-capacity", &v))) {
        unsigned a, b, c;
        char end;
        if (m < 0)
            return -1;
        if (sscanf(v, "%u:%u:%u%c", &a, &b, &c, &end) != 3 || !a || !b || !c)
            return cli_usage_error("record", "--nic-capacity: expected NEIGHBORS:PATHS:TCP, "
                                   "three numbers >= 1, got '%s'", v), -1;
        o->nic_capacity[0] = a;
        o->nic_capacity[1] = b;
        o->nic_capacity[2] = c;
        return 1;
    }
    if ((m = cli_opt_value("record", argc, argv, i, "--im-fault", &v))) {
        if (m < 0)
            return -1;
        o->im_faults = im_fault_parse(v);
        if (o->im_faults == UINT32_MAX)
            return cli_usage_error("record", "--im-fault: unknown fault in '%s' (known: %s)", v,
                                   IM_FAULT_NAMES), -1;
        return 1;
    }
    if ((m = cli_opt_value("record", argc, argv, i, "--rounds", &v)))
        return m < 0 ? -1 : parse_u32("--rounds", v, 1, 100000000, &o->rounds);
    if ((m = cli_opt_value("record", argc, argv, i, "--threads", &v)))
        return m < 0 ? -1 : parse_u32("--threads", v, 1, 63, &o->threads);
    if ((m = cli_opt_value("record", argc, argv, i, "--ring-bytes", &v)))
        return m < 0 ? -1 : parse_u32("--ring-bytes", v, 65536, 1u << 30, &o->ring_bytes);
    if ((m = cli_opt_value("record", argc, argv, i, "--max-blocks", &v)))
        return m < 0 ? -1 : parse_u32("--max-blocks", v, 1, 4096, &o->max_blocks);
    if ((m = cli_opt_value("record", argc, argv, i, "--chunk-bytes", &v)))
        return m < 0 ? -1 : parse_u32("--chunk-bytes", v, CT_CHUNK_MIN_BYTES,
                                      CT_CHUNK_MAX_TARGET_BYTES, &o->writer.chunk_bytes);
    if (strcmp(argv[*i], "--deterministic") == 0)
        return o->deterministic = 1, 1;
    if (strcmp(argv[*i], "--nic-sync") == 0)
        return o->nic_sync = 1, 1;
    return 0;
}

static void print_summary(const ct_record_opts *o, const ct_record_result *r)
{
    fprintf(stderr, "chimtrace record: %s: workload %s, seed %" PRIu64 ", %s\n", o->out_path,
            o->workload, o->seed, o->deterministic ? "deterministic" : "real time");
    fprintf(stderr, "  events %" PRIu64 " (%" PRIu64 " operations), %" PRIu64 " bytes, "
            "%.1f bytes/event, %" PRIu64 " chunks\n", r->events, r->ops_completed,
            r->file_bytes, r->events ? (double)r->file_bytes / (double)r->events : 0.0,
            r->chunks);
    fprintf(stderr, "  losses %" PRIu64 " records (%" PRIu64 " events lost), truncated trees "
            "%" PRIu64 ", frames %" PRIu64 "%s\n", r->losses, r->lost_events,
            r->truncated_trees, r->frames, o->pcap_path ? "" : " (no --pcap)");
    fprintf(stderr, "  trace time %.3f ms, wall %.3f s\n", (double)r->duration_ns / 1e6, r->wall_s);
    if (r->host_stalled)
        fprintf(stderr, "  warning: the host stalled with %" PRIu64 " requests never completed; "
                "the run was stopped\n", r->host_outstanding);
    if (r->host_violations || r->host_offloaded_left || r->im_live_entries || r->host_outstanding)
        fprintf(stderr, "  warning: host saw %" PRIu64 " contract violations, %" PRIu64
                " objects left offloaded, %" PRIu64 " requests outstanding, %" PRIu64
                " IM entries left\n", r->host_violations, r->host_offloaded_left,
                r->host_outstanding, r->im_live_entries);
}

static int record_run(int argc, char **argv)
{
    ct_record_opts o;
    ct_record_opts_init(&o);
    o.progress = 1;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            record_usage(stdout);
            return CLI_EXIT_OK;
        }
        int m = record_option(argc, argv, &i, &o);
        if (m < 0)
            return CLI_EXIT_ERROR;
        if (m == 0)
            return cli_usage_error("record", "unexpected argument '%s'", argv[i]);
    }
    if (o.out_path == NULL)
        return cli_usage_error("record", "no output given: -o FILE.ctrace");
    ct_errinfo ei;
    memset(&ei, 0, sizeof ei);
    if (host_workload_check(o.workload, &ei) != CT_OK)
        return cli_usage_error("record", "%s", ei.msg);
    ct_record_result res;
    ct_err e = ct_record_run(&o, &res, &ei);
    if (e != CT_OK) {
        cli_report("record", e == CT_ERR_ARG ? NULL : o.out_path, NULL, e, &ei);
        return CLI_EXIT_ERROR;
    }
    print_summary(&o, &res);
    return CLI_EXIT_OK;
}

const cli_verb cli_verb_record = {
    "record", "run the driver model on a workload and record a trace (and pcap)",
    record_run, record_usage,
};
