#!/usr/bin/env bash
# `maintd serve` at scale (issue 5): 100,000 tasks of debug.noop (yearly schedules in 8 zones,
# none firing during the measurement), SQLite state database. Builds maintd if needed, runs
# bench/daemon_bench.py scale and prints one table: start-up to READY=1 (first start: empty
# state database; second start: the table already synced), resident memory above a 1-task
# baseline per task (at READY and after the idle window), CPU over 60 idle seconds; medians
# over the repetitions; then the targets with PASS/FAIL.
#
# Usage: bench/daemon_scale.sh [--strict] [--keep DIR] [--build-dir DIR] [--maintd PATH]
#   (the options: bench/daemon_common.sh)
# Environment: REPETITIONS (default 3), TASKS (default 100000), IDLE (seconds, default 60),
#              CMAKE_BUILD_PARALLEL_LEVEL (default: nproc).
set -euo pipefail
# shellcheck source=bench/daemon_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon_common.sh"
bench_setup "$@"

echo "== $maintd: ${TASKS:-100000} tasks, ${REPETITIONS:-3} repetitions, ${IDLE:-60} s idle" >&2
/usr/bin/python3 bench/daemon_bench.py --maintd "$maintd" --repetitions "${REPETITIONS:-3}" \
  scale --tasks "${TASKS:-100000}" --idle "${IDLE:-60}" >"$work/scale.json"
bench_report scale
