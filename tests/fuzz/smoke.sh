#!/bin/sh
# tests/fuzz/smoke.sh BUILD_DIR SECONDS - a short fuzzing run, failing on any crash,
# sanitizer report, leak or hang: two thirds of SECONDS on the trace reader (reader_fuzz),
# one third on stats' wire scanner against protobuf-c (stats_wire_fuzz). BUILD_DIR must be
# configured with -DCT_FUZZ=ON and clang. Crash inputs are kept in BUILD_DIR/fuzz-artifacts/
# for reproduction:
#   BUILD_DIR/tests/fuzz/reader_fuzz BUILD_DIR/fuzz-artifacts/crash-...
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
secs=$2
gen="$build/tests/fuzz/ct_fuzz_corpus"
for f in "$build/tests/fuzz/reader_fuzz" "$build/tests/fuzz/stats_wire_fuzz" "$gen"; do
    if [ ! -x "$f" ]; then
        echo "smoke.sh: $f is not built (configure with -DCT_FUZZ=ON -DCMAKE_C_COMPILER=clang)" >&2
        exit 2
    fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/seed" "$work/corpus" "$work/rec-seed" "$work/rec-corpus" "$build/fuzz-artifacts"
"$gen" "$work/seed"
"$gen" --records "$work/rec-seed"
# -timeout: one input taking 10 s is a hang. Sanitizers abort on the first report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
run() { # run FUZZER SECONDS CORPUS SEED
    "$build/tests/fuzz/$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$1-" "$3" "$4"
}
reader_secs=$(( secs * 2 / 3 ))
run reader_fuzz "$reader_secs" "$work/corpus" "$work/seed"
run stats_wire_fuzz "$(( secs - reader_secs ))" "$work/rec-corpus" "$work/rec-seed"
echo "smoke.sh: $secs s of fuzzing ($reader_secs s reader, $(( secs - reader_secs )) s stats wire scanner), no crash"
