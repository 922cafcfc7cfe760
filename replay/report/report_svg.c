/* report_svg.c - the inline SVG charts and the text helpers of `chimtrace report`.
 *
 * Charts are sized in fixed user units with a viewBox, so they scale with the page and
 * print well. Latency axes are logarithmic (decade ticks): chimney latencies span from
 * the IM's own sub-microsecond cost to NIC completions in milliseconds, and a linear axis
 * would squash everything but the tail into one bar.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_int.h"

void rp_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n')
                fputs("\xEF\xBF\xBD", f);
            else
                fputc(c, f);
        }
    }
}

const char *rp_fmt_ns(char *buf, double ns)
{
    static const struct { double div; const char *unit; } units[] = {
        {1e9, "s"}, {1e6, "ms"}, {1e3, "\xC2\xB5s"}, {1, "ns"}};

    if (!(ns == ns)) {
        snprintf(buf, 32, "-");
        return buf;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double v = ns / units[i].div;

        if (fabs(ns) >= units[i].div || units[i].div == 1) {
            if (units[i].div == 1)
                snprintf(buf, 32, "%.0f %s", v, units[i].unit);
            else
                snprintf(buf, 32, fabs(v) >= 100 ? "%.0f %s" : fabs(v) >= 10 ? "%.1f %s"
                                                                            : "%.2f %s",
                         v, units[i].unit);
            return buf;
        }
    }
    return buf;
}

const char *rp_fmt_count(char *buf, uint64_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)n);
    int o = 0;

    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *rp_palette(size_t i)
{
    /* Colour-blind-safe (Okabe-Ito), first entry the "success" colour. */
    static const char *const colours[] = {"#009e73", "#d55e00", "#0072b2", "#e69f00",
                                          "#cc79a7", "#56b4e9", "#f0e442", "#000000"};
    return colours[i % (sizeof colours / sizeof colours[0])];
}

/* Chart geometry shared by the two axes-based charts. */
enum { CH_W = 640, CH_H = 220, CH_L = 56, CH_R = 16, CH_T = 28, CH_B = 36 };
#define MIN_BAR 6.0   /* narrowest histogram bar, in chart units */

static void svg_open(FILE *f, const char *cls, const char *title)
{
    fprintf(f, "<svg class=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>",
            cls, CH_W, CH_H, CH_W, CH_H);
    rp_html_escape(f, title);
    fputs("</title>\n", f);
    fprintf(f, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" "
               "fill=\"#ffffff\"/>\n", CH_W, CH_H);
    fprintf(f, "<text x=\"%d\" y=\"18\" class=\"ct\" font-size=\"13\" "
               "font-weight=\"bold\">", CH_L);
    rp_html_escape(f, title);
    fputs("</text>\n", f);
}

static void svg_axes(FILE *f)
{
    fprintf(f, "<path d=\"M%d %d V%d H%d\" stroke=\"#555\" fill=\"none\"/>\n", CH_L, CH_T,
            CH_H - CH_B, CH_W - CH_R);
}

void rp_svg_histogram(FILE *f, const char *title, const rp_bucket *b, size_t n,
                      const rp_marker *markers, size_t n_markers)
{
    const double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
    double lo = INFINITY, hi = 0, total = 0, top = 0;

    svg_open(f, "hist", title);
    svg_axes(f);
    for (size_t i = 0; i < n; i++) {
        if (b[i].count == 0)
            continue;
        if (b[i].lo < lo)
            lo = b[i].lo;
        if (b[i].hi > hi)
            hi = b[i].hi;
        total += (double)b[i].count;
    }
    if (total == 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#777\">no samples"
                   "</text>\n</svg>\n", CH_L + 12, CH_T + 40);
        return;
    }
    /* Whole decades around the data; a 1 ns floor keeps log() finite for 0-ns buckets. */
    double d_lo = floor(log10(lo < 1 ? 1 : lo)), d_hi = ceil(log10(hi < 10 ? 10 : hi));
    if (d_hi <= d_lo)
        d_hi = d_lo + 1;
#define XPOS(ns) (CH_L + pw * ((log10((ns) < 1 ? 1 : (ns)) - d_lo) / (d_hi - d_lo)))
    for (size_t i = 0; i < n; i++)
        if ((double)b[i].count / total > top)
            top = (double)b[i].count / total;
    for (double d = d_lo; d <= d_hi; d++) {
        char lab[32];
        double x = XPOS(pow(10, d));

        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s"
                   "</text>\n",
                x, CH_T, x, CH_H - CH_B, x, CH_H - CH_B + 14, rp_fmt_ns(lab, pow(10, d)));
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.0f%%</text>\n"
               "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0</text>\n",
            CH_L - 4, CH_T + 8, top * 100, CH_L - 4, CH_H - CH_B);
    for (size_t i = 0; i < n; i++) {
        char a[32], z[32];
        double x0, x1, h;

        if (b[i].count == 0)
            continue;
        x0 = XPOS(b[i].lo);
        x1 = XPOS(b[i].hi);
        if (x1 - x0 < MIN_BAR) {   /* narrow buckets (exact small values): widen, centred */
            x0 = (x0 + x1 - MIN_BAR) / 2;
            x1 = x0 + MIN_BAR;
        }
        h = ph * ((double)b[i].count / total) / top;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"#0072b2\"><title>%s – %s: %llu</title></rect>\n",
                x0, CH_T + ph - h, x1 - x0, h, rp_fmt_ns(a, b[i].lo), rp_fmt_ns(z, b[i].hi),
                (unsigned long long)b[i].count);
    }
    /* Markers closer than a few units share one line and one label ("p50=p99"). */
    for (size_t i = 0, row = 0; i < n_markers; row++) {
        double x = XPOS(markers[i].ns);
        size_t j = i + 1;

        while (j < n_markers && fabs(XPOS(markers[j].ns) - x) < 4)
            j++;
        fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                   "stroke=\"#d55e00\" stroke-dasharray=\"3 2\"/>\n"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#d55e00\" "
                   "text-anchor=\"%s\">",
                x, CH_T, x, CH_H - CH_B, x + 3, CH_T + 10 + (int)(row % 3) * 11,
                x > CH_W - 90 ? "end" : "start");
        for (size_t k = i; k < j; k++) {
            if (k > i)
                fputc('=', f);
            rp_html_escape(f, markers[k].label);
        }
        fputs("</text>\n", f);
        i = j;
    }
#undef XPOS
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">latency "
               "(log scale); bar height = share of samples</text>\n</svg>\n",
            CH_L + (int)pw / 2, CH_H - 6);
}

/* A "nice" step (1, 2 or 5 × 10^k) giving about `ticks` intervals over `span`. */
static double nice_step(double span, int ticks)
{
    double raw = span / ticks, mag = pow(10, floor(log10(raw))), r = raw / mag;

    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

void rp_svg_depth_timeline(FILE *f, const rp_depth_point *p, size_t n)
{
    const double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B;
    double t0, t1, top = 0, step;

    svg_open(f, "depth", "Operations in flight over time");
    svg_axes(f);
    if (n == 0) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#777\">no operations"
                   "</text>\n</svg>\n", CH_L + 12, CH_T + 40);
        return;
    }
    t0 = p[0].start_ns;
    t1 = p[n - 1].start_ns + p[n - 1].width_ns;
    if (t1 <= t0)
        t1 = t0 + 1;
    for (size_t i = 0; i < n; i++)
        if (p[i].max_depth > top)
            top = p[i].max_depth;
    if (top < 1)
        top = 1;
#define TX(t) (CH_L + pw * (((t) - t0) / (t1 - t0)))
#define DY(d) (CH_T + ph - ph * ((d) / top))
    step = nice_step(t1 - t0, 6);
    for (double t = ceil(t0 / step) * step; t <= t1 + step * 1e-9; t += step) {
        char lab[32];

        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                   "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s"
                   "</text>\n",
                TX(t), CH_T, TX(t), CH_H - CH_B, TX(t), CH_H - CH_B + 14, rp_fmt_ns(lab, t));
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%.0f</text>\n"
               "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0</text>\n",
            CH_L - 4, CH_T + 8, top, CH_L - 4, CH_H - CH_B);
    /* Max depth as a step area, mean depth as a step line. */
    fprintf(f, "<path class=\"area\" fill=\"#56b4e9\" fill-opacity=\"0.55\" stroke=\"none\" "
               "d=\"M%.1f %.1f", TX(p[0].start_ns), DY(0.0));
    for (size_t i = 0; i < n; i++)
        fprintf(f, " L%.1f %.1f L%.1f %.1f", TX(p[i].start_ns), DY(p[i].max_depth),
                TX(p[i].start_ns + p[i].width_ns), DY(p[i].max_depth));
    fprintf(f, " L%.1f %.1f Z\"/>\n", TX(p[n - 1].start_ns + p[n - 1].width_ns), DY(0.0));
    fputs("<path class=\"line\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"1.5\" d=\"", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%c%.1f %.1f L%.1f %.1f", i ? ' ' : 'M', TX(p[i].start_ns),
                DY(p[i].mean_depth), TX(p[i].start_ns + p[i].width_ns), DY(p[i].mean_depth));
    fputs("\"/>\n", f);
#undef TX
#undef DY
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">time since "
               "the first event; area = max in flight, line = mean</text>\n</svg>\n",
            CH_L + (int)pw / 2, CH_H - 6);
}

void rp_svg_proportion(FILE *f, const char *const *labels, const uint64_t *counts, size_t n,
                       int px)
{
    double total = 0, x = 0;
    int rows = (int)((n + 2) / 3), h = 22 + rows * 16;

    for (size_t i = 0; i < n; i++)
        total += (double)counts[i];
    fprintf(f, "<svg class=\"prop\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "xmlns=\"http://www.w3.org/2000/svg\">\n", px, h, px, h);
    if (total == 0) {
        fputs("<text x=\"0\" y=\"14\" font-size=\"11\" fill=\"#777\">none</text>\n</svg>\n", f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double w = px * (double)counts[i] / total;
        char c[32];

        if (counts[i] == 0)
            continue;
        fprintf(f, "<rect class=\"seg\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"16\" "
                   "fill=\"%s\"><title>", x, w < 1 ? 1 : w, rp_palette(i));
        rp_html_escape(f, labels[i]);
        fprintf(f, ": %s</title></rect>\n", rp_fmt_count(c, counts[i]));
        x += w;
    }
    for (size_t i = 0; i < n; i++) {
        char c[32];
        int lx = (int)(i % 3) * (px / 3), ly = 22 + (int)(i / 3) * 16;

        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"%d\" font-size=\"11\">", lx, ly, rp_palette(i),
                lx + 14, ly + 9);
        rp_html_escape(f, labels[i]);
        fprintf(f, " %s (%.1f%%)</text>\n", rp_fmt_count(c, counts[i]),
                100.0 * (double)counts[i] / total);
    }
    fputs("</svg>\n", f);
}
