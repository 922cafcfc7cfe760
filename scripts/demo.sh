#!/usr/bin/env bash
# demo.sh BUILD_DIR - the main job on the built-in default, run by `./run demo`.
# Records the default workload (basic) through the driver model with the shim on, replays
# it through the current IM driver, diffs the replay against the recording, verifies the
# chimney contract, then reads the trace with the stock tools and the pcap with tshark.
# (stats joins this job with issue 5.)
set -euo pipefail
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ct="$build/cli/chimtrace"
out="$top/out"
mkdir -p "$out"
trace="$out/basic.ctrace"
pcap="$out/basic.pcap"

echo "== chimtrace record (default workload 'basic', deterministic, seed 1)"
"$ct" record --deterministic -o "$trace" --pcap "$pcap"
echo
echo "== chimtrace info"
"$ct" info "$trace"
echo
echo "== chimtrace dump --count 5 (the header, then the initiate at its four edges)"
"$ct" dump "$trace" --count 5
echo
replayed="$out/basic.replayed.ctrace"
echo "== chimtrace replay (scripted NIC: the recorded answers, the current driver)"
"$ct" replay "$trace" -o "$replayed"
echo
echo "== chimtrace diff recording replay"
"$ct" diff "$trace" "$replayed"
echo
echo "== chimtrace verify (chimney contract rules, reference §4.3)"
"$ct" verify "$trace"
echo
echo "== what a driver bug looks like: replay with --im-fault pass-own-handle, then diff"
"$ct" replay "$trace" -o "$out/basic.faulty.ctrace" --im-fault pass-own-handle 2>&1 | tail -4 || true
"$ct" diff "$trace" "$out/basic.faulty.ctrace" --format text 2>&1 | head -16 || true
echo
echo "== stock tools: zstd -dc | protoc --decode=chimtrace.v1.Trace"
if command -v protoc >/dev/null; then
  zstd -dc "$trace" | protoc --decode=chimtrace.v1.Trace -I "$top/schema" \
    "$top/schema/chimtrace.proto" >"$out/basic.decoded.txt"
  echo "$(grep -c '^  event {' "$out/basic.decoded.txt") events decoded by protoc" \
       "(full text in out/basic.decoded.txt)"
else
  echo "protoc not installed: skipped (./run tests installs it)"
fi
echo
echo "== the NIC's frames (pcap)"
if command -v tshark >/dev/null; then
  tshark -n -r "$pcap" 2>/dev/null | head -5
else
  echo "tshark not installed: skipped (./run tests installs it)"
fi
echo
echo "== a real-time recording: 2 host threads, 64 connections, workload 'mixed'"
"$ct" record --workload mixed --threads 2 --connections 64 -o "$out/mixed.ctrace"
echo
echo "== chimtrace stats (latency per operation and edge pair, from the real-time recording)"
"$ct" stats "$out/mixed.ctrace" | sed '/^throughput/,$d'
echo
echo "== what-if: the same operations against a NIC 4x slower (model NIC, fixed 50us vs 200us)"
"$ct" replay "$trace" -o "$out/basic.nic50us.ctrace" --nic model --nic-latency fixed:50us \
  >/dev/null 2>&1 || true   # exit 1 expected: a what-if run differs from the recording
"$ct" replay "$trace" -o "$out/basic.nic200us.ctrace" --nic model --nic-latency fixed:200us \
  >/dev/null 2>&1 || true
rc=0
"$ct" stats "$out/basic.nic200us.ctrace" --baseline "$out/basic.nic50us.ctrace" \
  --percentile p99 | grep -E 'rule:| (nic|e2e) |result:' || rc=$?
"$ct" stats "$out/basic.nic200us.ctrace" --baseline "$out/basic.nic50us.ctrace" \
  >/dev/null || rc=$?
if [ "$rc" -ne 1 ]; then
  echo "demo: expected stats --baseline to exit 1 (a regression), got $rc" >&2
  exit 1
fi
echo "(stats --baseline exited 1: the regression a CI job would fail on)"
echo
echo "== timeline and report"
"$ct" export "$out/mixed.ctrace" --chrome "$out/mixed.trace.json"
"$ct" report "$out/mixed.ctrace" -o "$out/mixed.report.html"
echo "out/mixed.trace.json: open in https://ui.perfetto.dev or chrome://tracing"
echo "out/mixed.report.html: open in any browser (self-contained, no network)"
echo
echo "== summary"
echo "recorded:  $trace ($(stat -c %s "$trace") bytes) and $pcap"
echo "replayed:  $replayed: diff says EQUAL, verify says clean (the steps above exit non-zero otherwise)"
echo "timing:    out/mixed.ctrace -> stats, out/mixed.trace.json (Perfetto), out/mixed.report.html"
