#!/usr/bin/env bash
# traces/make.sh CHIMTRACE - regenerate the golden traces (see README.md). Deterministic
# recordings are byte-identical for a given build of the driver; the real-time one is not,
# and is kept as recorded. Every change to this folder needs a reason in its commit.
set -euo pipefail
ct=${1:?usage: traces/make.sh path/to/chimtrace}
here=$(cd "$(dirname "$0")" && pwd)
for w in basic storm churn exhaust deep mixed; do
  "$ct" record --workload "$w" --seed 1 --connections 16 --deterministic -o "$here/$w.ctrace"
done
if [ "${CT_GOLDEN_REALTIME:-0}" = 1 ]; then
  "$ct" record --workload mixed --seed 1 --connections 16 --threads 3 -o "$here/mixed-rt3.ctrace"
fi
