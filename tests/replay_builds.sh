#!/bin/sh
# replay_builds.sh CHIMTRACE SOURCE_DIR SCRATCH_DIR
#
# Determinism across builds: build chimtrace a second time with clang -O0 (Debug) in
# SCRATCH_DIR (kept, so later runs are incremental), then replay the same inputs - a
# real-time recording with three host threads and a deterministic one - with both binaries
# and require byte-identical outputs. CHIMTRACE is the main build (gcc -O2 by default).
# Exit 77 (skipped) when clang is not installed.
set -eu
main=$1
src=$2
scratch=$3

if ! command -v clang >/dev/null 2>&1; then
    echo "replay_builds: clang not found, skipped"
    exit 77
fi
mkdir -p "$scratch"
if [ ! -f "$scratch/build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$scratch/build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
          -DCT_BUILD_TESTS=OFF >"$scratch/configure.log" 2>&1 ||
        { tail -20 "$scratch/configure.log"; exit 1; }
fi
cmake --build "$scratch/build" --target chimtrace -j 2 >"$scratch/build.log" 2>&1 ||
    { tail -30 "$scratch/build.log"; exit 1; }
other=$scratch/build/cli/chimtrace

work=$scratch/run
rm -rf "$work"
mkdir -p "$work"
"$main" record --workload mixed --threads 3 --connections 24 -o "$work/rt.ctrace" 2>/dev/null
"$main" record --workload churn --deterministic --connections 32 -o "$work/det.ctrace" 2>/dev/null

status=0
for input in rt det; do
    for mode in scripted model; do
        rc_a=0; rc_b=0
        "$main" replay "$work/$input.ctrace" -o "$work/$input.$mode.a.ctrace" --nic "$mode" -q \
            2>"$work/$input.$mode.a.txt" || rc_a=$?
        "$other" replay "$work/$input.ctrace" -o "$work/$input.$mode.b.ctrace" --nic "$mode" -q \
            2>"$work/$input.$mode.b.txt" || rc_b=$?
        if [ "$rc_a" -ge 2 ] || [ "$rc_b" -ge 2 ]; then
            echo "replay_builds: $input/$mode: replay failed ($rc_a, $rc_b)"
            cat "$work/$input.$mode.a.txt" "$work/$input.$mode.b.txt"
            status=1
        elif cmp -s "$work/$input.$mode.a.ctrace" "$work/$input.$mode.b.ctrace"; then
            echo "replay_builds: $input/$mode: identical"
        else
            echo "replay_builds: $input/$mode: the two builds wrote different traces"
            status=1
        fi
    done
done
exit $status
