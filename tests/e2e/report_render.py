#!/usr/bin/env python3
"""report_render.py - opens a `chimtrace report` page in headless Chromium and checks that
the charts really rendered.

Usage: report_render.py CHIMTRACE TRACE WORKDIR
       TRACE may be "record:WORKLOAD": a fresh real-time recording (2 host threads) is made
       with `chimtrace record` first and reported on.

Steps: build the report; check the file is self-contained (no network references); load it
in Debian's chromium (headless, no network, fresh profile) twice: --dump-dom for the DOM as
the browser parsed it (SVG elements present, in the expected numbers), and --screenshot for
the pixels (decoded here with zlib: no PIL on the test machine). The page passes when it is
not blank, and when the chart colours (histogram bars, depth area) cover real pixel areas.
Exit 0 = rendered, 1 = a check failed (the reason is printed), 2 = could not run.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--force-device-scale-factor=1"]
BAR_RGB = (0x00, 0x72, 0xb2)     # rp_svg_histogram's bar fill
AREA_NEAR = (0x56, 0xb4, 0xe9)   # depth area fill (drawn at 0.55 opacity over white)


def fail(msg):
    print("report_render: FAIL: " + msg)
    sys.exit(1)


def png_pixels(path):
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG into (width, height, rows of bytes, bpp)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG (byte 0)" % path)
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace != 0:
                fail("%s: PNG kind depth=%d color=%d interlace=%d not handled"
                     % (path, depth, color, interlace))
            bpp = 3 if color == 2 else 4
        elif ctype == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def near(px, rgb, tol):
    return all(abs(px[i] - rgb[i]) <= tol for i in range(3))


def chromium(args, workdir):
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir)
    return subprocess.run(["chromium"] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args,
                          capture_output=True, text=True, timeout=120, cwd=workdir)


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    chimtrace, trace, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    html = os.path.join(workdir, "report.html")
    if trace.startswith("record:"):
        fresh = os.path.join(workdir, "fresh.ctrace")
        r = subprocess.run([chimtrace, "record", "--workload", trace[7:], "--threads", "2",
                            "-o", fresh], capture_output=True, text=True)
        if r.returncode != 0:
            print("report_render: chimtrace record failed (%d): %s" % (r.returncode, r.stderr))
            sys.exit(2)
        trace = fresh
    r = subprocess.run([chimtrace, "report", trace, "-o", html], capture_output=True, text=True)
    if r.returncode != 0:
        fail("chimtrace report exited %d: %s" % (r.returncode, r.stderr.strip()))
    page = open(html, encoding="utf-8").read()

    # Self-contained: no reference that would make a browser go to the network.
    outside = [m for m in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page) if not m.startswith("#")]
    if outside:
        fail("page references outside resources: %s" % outside[:3])
    for needle in ("<script", "<link", "@import", "url("):
        if needle in page:
            fail("page contains %r" % needle)
    n_hist = page.count('<svg class="hist"')
    if n_hist < 1 or page.count('<svg class="depth"') != 1:
        fail("expected >=1 histogram and 1 depth timeline, found %d and %d"
             % (n_hist, page.count('<svg class="depth"')))

    # The DOM as Chromium built it.
    r = chromium(["--dump-dom", "file://" + os.path.abspath(html)], workdir)
    dom = r.stdout
    if r.returncode != 0 or "</html>" not in dom:
        fail("chromium --dump-dom failed (exit %d): %s" % (r.returncode, r.stderr[-400:]))
    svgs = len(re.findall(r"<svg\b", dom))
    bars = len(re.findall(r'<rect class="bar"', dom))
    if svgs < n_hist + 1 or bars < 1:
        fail("rendered DOM has %d <svg> and %d histogram bars" % (svgs, bars))

    # The pixels.
    png = os.path.join(workdir, "report.png")
    r = chromium(["--window-size=1280,4000", "--screenshot=" + png,
                  "file://" + os.path.abspath(html)], workdir)
    if r.returncode != 0 or not os.path.exists(png):
        fail("chromium --screenshot failed (exit %d): %s" % (r.returncode, r.stderr[-400:]))
    w, h, rows, bpp = png_pixels(png)
    total = w * h
    nonwhite = bar = area = 0
    colours = set()
    for line in rows:
        for x in range(0, len(line), bpp * 2):          # every other pixel is plenty
            px = line[x:x + 3]
            colours.add(bytes(px))
            if not near(px, (255, 255, 255), 8):
                nonwhite += 1
            if near(px, BAR_RGB, 24):
                bar += 1
            if near(px, AREA_NEAR, 60) and px[2] > 200 and px[0] < 200:
                area += 1
    sampled = total // 2
    print("report_render: %dx%d screenshot, %d colours, %.1f%% non-white, bar pixels %d, "
          "depth-area pixels %d, %d <svg> in DOM, %d histogram bars"
          % (w, h, len(colours), 100.0 * nonwhite / sampled, bar, area, svgs, bars))
    if len(colours) < 8 or nonwhite < sampled // 100:
        fail("the screenshot is (nearly) blank")
    if bar < 50:
        fail("histogram bars did not render (%d bar-coloured pixels)" % bar)
    if area < 200:
        fail("the in-flight depth area did not render (%d pixels)" % area)
    print("report_render: ok")


if __name__ == "__main__":
    main()
