/* report_int.h - the pieces `chimtrace report` builds its page from: HTML escaping, number
 * formatting and the inline-SVG charts (histogram, depth timeline, proportion bars).
 *
 * Every chart is plain SVG written straight into the page: no script, no web font, no
 * external reference, so the file opens the same offline, in a mail attachment or in a CI
 * artifact viewer. Coordinates are printed with fixed precision, so the same numbers make
 * the same bytes (reports diff cleanly and tests can compare them).
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Text with &, <, >, " and ' replaced by entities; control characters other than tab and
 * newline become U+FFFD, so a hostile workload name cannot break the markup. */
void rp_html_escape(FILE *f, const char *s);

/* A duration for people: "850 ns", "12.4 µs", "3.05 ms", "1.20 s". `buf` holds 32
 * bytes; returns buf. */
const char *rp_fmt_ns(char *buf, double ns);

/* A count with thousands separators: "1,234,567". `buf` holds 32 bytes; returns buf. */
const char *rp_fmt_count(char *buf, uint64_t n);

/* One histogram bucket: values in [lo, hi) nanoseconds, `count` of them. */
typedef struct rp_bucket {
    double lo, hi;
    uint64_t count;
} rp_bucket;

/* A marker drawn across a histogram: a percentile or the mean. */
typedef struct rp_marker {
    const char *label;   /* "p50", "p99" */
    double ns;
} rp_marker;

/* Latency histogram on a log-10 time axis (decade ticks), bar height = share of the
 * samples. `buckets` in ascending order; n may be 0 (an empty chart with a note). */
void rp_svg_histogram(FILE *f, const char *title, const rp_bucket *buckets, size_t n,
                      const rp_marker *markers, size_t n_markers);

/* One step of the in-flight timeline: [start_ns, start_ns + width_ns). */
typedef struct rp_depth_point {
    double start_ns, width_ns;
    double max_depth, mean_depth;
} rp_depth_point;

/* In-flight depth over time: max per step as a filled area, mean as a line. */
void rp_svg_depth_timeline(FILE *f, const rp_depth_point *pts, size_t n);

/* A horizontal proportion bar (width `px`) split into `n` coloured segments of the given
 * counts, with a legend underneath. Used for per-block status breakdowns. */
void rp_svg_proportion(FILE *f, const char *const *labels, const uint64_t *counts, size_t n,
                       int px);

/* The colour of segment i of a proportion bar (stable palette). */
const char *rp_palette(size_t i);

#endif /* REPORT_INT_H */
