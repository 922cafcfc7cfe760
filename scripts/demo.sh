#!/usr/bin/env bash
# demo.sh BUILD_DIR - the main job on the built-in default, run by `./run demo`.
# Until recording lands (issue 3) the default is a synthetic trace: write it, inspect it with
# chimtrace, and decode it with the stock tools exactly as schema/FORMAT.md promises.
set -euo pipefail
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
ct="$build/cli/chimtrace"
out="$top/out"
mkdir -p "$out"
trace="$out/demo.ctrace"

echo "== chimtrace synth: 100000 synthetic events, seed 1"
"$ct" synth -o "$trace" --records 100000 --seed 1
echo
echo "== chimtrace info"
"$ct" info "$trace"
echo
echo "== chimtrace dump --from-seq 1000 --count 4"
"$ct" dump "$trace" --from-seq 1000 --count 4
echo
echo "== stock tools: zstd -dc | protoc --decode=chimtrace.v1.Trace (first 12 lines)"
if command -v protoc >/dev/null; then
  zstd -dc "$trace" | protoc --decode=chimtrace.v1.Trace -I "$top/schema" \
    "$top/schema/chimtrace.proto" >"$out/demo.decoded.txt"
  head -12 "$out/demo.decoded.txt"
  echo "... ($(grep -c '^  event {' "$out/demo.decoded.txt") events decoded by protoc)"
fi
echo
echo "demo trace: $trace"
