#!/usr/bin/env bash
# `maintd serve` firing accuracy (issue 5): 10,000 tasks of debug.noop all due in the same second
# (each written in the wall-clock time of one of 8 zones), SQLite state database; lateness of
# each run's start (started_at - scheduled_for, ms) p50/p99/max. Side by side in the same run,
# one after the other (never concurrently: 2 cores): APScheduler's BackgroundScheduler with a
# CronTrigger per job on the same 10,000 jobs. Builds maintd if needed, runs
# bench/daemon_bench.py accuracy and prints one table of medians over the repetitions, the
# ratios, and the target with PASS/FAIL.
#
# Usage: bench/daemon_accuracy.sh [--strict] [--keep DIR] [--build-dir DIR] [--maintd PATH]
#   (the options: bench/daemon_common.sh)
# Environment: REPETITIONS (default 3), TASKS (default 10000), WORKERS (maintd `workers`;
#              default: maintd's default), APS_WORKERS (APScheduler's thread pool; default: its
#              default, 10), CMAKE_BUILD_PARALLEL_LEVEL (default: nproc).
set -euo pipefail
# shellcheck source=bench/daemon_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemon_common.sh"
bench_setup "$@"
keep_args=()
[ -n "$keep" ] && keep_args=(--keep "$keep")

echo "== $maintd and APScheduler: ${TASKS:-10000} tasks due in one second," \
  "${REPETITIONS:-3} repetitions" >&2
/usr/bin/python3 bench/daemon_bench.py --maintd "$maintd" --repetitions "${REPETITIONS:-3}" \
  accuracy --tasks "${TASKS:-10000}" --workers "${WORKERS:-0}" \
  --aps-workers "${APS_WORKERS:-0}" "${keep_args[@]}" >"$work/accuracy.json"
bench_report accuracy
