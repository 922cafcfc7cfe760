#!/bin/sh
# tests/fuzz/smoke.sh BUILD_DIR SECONDS - a short reader-fuzzer run, failing on any crash,
# sanitizer report, leak or hang. BUILD_DIR must be configured with -DCT_FUZZ=ON and
# clang. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/ for reproduction:
#   BUILD_DIR/tests/fuzz/reader_fuzz BUILD_DIR/fuzz-artifacts/crash-...
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
secs=$2
fuzzer="$build/tests/fuzz/reader_fuzz"
gen="$build/tests/fuzz/ct_fuzz_corpus"
for f in "$fuzzer" "$gen"; do
    if [ ! -x "$f" ]; then
        echo "smoke.sh: $f is not built (configure with -DCT_FUZZ=ON -DCMAKE_C_COMPILER=clang)" >&2
        exit 2
    fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/seed" "$work/corpus" "$build/fuzz-artifacts"
"$gen" "$work/seed"
# -timeout: one input taking 10 s is a hang. Sanitizers abort on the first report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/" "$work/corpus" "$work/seed"
echo "smoke.sh: $secs s of fuzzing, no crash"
