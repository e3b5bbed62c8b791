#!/usr/bin/env bash
# `maintd serve` at scale (issue 5): 100,000 tasks of debug.noop (yearly schedules in 8 zones,
# none firing during the measurement), SQLite state database. Builds maintd if needed, runs
# bench/daemon_bench.py scale and prints one table: start-up to READY=1 (first start: empty
# state database; second start: the table already synced), resident memory above a 1-task
# baseline per task (at READY and after the idle window), CPU over 60 idle seconds; medians
# over the repetitions; then the targets with PASS/FAIL.
#
# Usage: bench/daemon_scale.sh [--strict] [--keep DIR] [--build-dir DIR] [--maintd PATH]
#   --strict         exit 1 when a target is missed (default: report only)
#   --keep DIR       also write scale.json and table.txt to DIR
#   --build-dir DIR  build tree (RelWithDebInfo, configured if missing); default build/release
#   --maintd PATH    measure this maintd binary; build nothing (e.g. another checkout's)
# Environment: REPETITIONS (default 3), TASKS (default 100000), IDLE (seconds, default 60),
#              CMAKE_BUILD_PARALLEL_LEVEL (default: nproc).
set -euo pipefail

strict=0
keep=""
build_dir=""
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --strict) strict=1 ;;
    --keep) keep="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --maintd) binary="$2"; shift ;;
    *) echo "usage: $0 [--strict] [--keep DIR] [--build-dir DIR] [--maintd PATH]" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=bench/daemon_common.sh
source bench/daemon_common.sh
if [ -n "$binary" ]; then
  maintd="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
else
  maintd="$(build_maintd "$build_dir")"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== $maintd: ${TASKS:-100000} tasks, ${REPETITIONS:-3} repetitions, ${IDLE:-60} s idle" >&2
/usr/bin/python3 bench/daemon_bench.py --maintd "$maintd" --repetitions "${REPETITIONS:-3}" \
  scale --tasks "${TASKS:-100000}" --idle "${IDLE:-60}" >"$work/scale.json"

status=0
/usr/bin/python3 - "$work/scale.json" "$strict" "$maintd" >"$work/table.txt" <<'EOF' || status=$?
import json, statistics, subprocess, sys

data = json.load(open(sys.argv[1]))
strict = sys.argv[2] == "1"
reps = data["repetitions"]
med = lambda xs: statistics.median(xs)
version = subprocess.run([sys.argv[3], "--version"], capture_output=True, text=True).stdout.strip()

def row(label, key, fmt, unit=""):
    values = [key(r) for r in reps]
    print("%-44s %12s   (%s)" % (label, (fmt % med(values)) + unit,
                                 ", ".join(fmt % v for v in values)))

n = data["tasks"]
print("%s; %d tasks, %d repetitions, idle window %d s; median (each run)"
      % (version, n, len(reps), data["idle_s"]))
print()
row("first start: READY=1 after", lambda r: r["first"]["ready_s"], "%.2f", " s")
row("second start: READY=1 after", lambda r: r["second"]["ready_s"], "%.2f", " s")
row("baseline (1 task): READY=1 after", lambda r: r["baseline"]["ready_s"], "%.2f", " s")
row("first start: VmRSS at READY", lambda r: r["first"]["rss_kib"] / 1024, "%.1f", " MiB")
row("second start: VmRSS at READY", lambda r: r["second"]["rss_kib"] / 1024, "%.1f", " MiB")
row("second start: VmRSS after the idle window", lambda r: r["second"]["rss_idle_kib"] / 1024,
    "%.1f", " MiB")
row("baseline (1 task): VmRSS at READY", lambda r: r["baseline"]["rss_kib"] / 1024, "%.1f",
    " MiB")
row("baseline: VmRSS after the idle window", lambda r: r["baseline"]["rss_idle_kib"] / 1024,
    "%.1f", " MiB")
row("per task above baseline: first, READY", lambda r: r["per_task_bytes_first"], "%.0f", " B")
row("per task above baseline: second, READY", lambda r: r["per_task_bytes_second"], "%.0f",
    " B")
row("per task above baseline: after idle", lambda r: r["per_task_bytes_idle"], "%.0f", " B")
row("second start: CPU over the idle window", lambda r: r["second"]["idle_cpu_percent"],
    "%.3f", " %")
row("baseline (1 task): CPU over the idle window",
    lambda r: r["baseline"]["idle_cpu_percent"], "%.3f", " %")
print()
rows = {r["scheduled_tasks_rows"] for r in reps}
runs = {r["runs_recorded"] for r in reps}
print("scheduled_tasks rows after the first start: %s; runs recorded: %s; status: %s"
      % (sorted(rows), sorted(runs), reps[-1]["second"]["status"]))

worst_ready = max(max(r["first"]["ready_s"], r["second"]["ready_s"]) for r in reps)
checks = [
    ("READY < 3 s, first start (median)", med([r["first"]["ready_s"] for r in reps]) < 3,
     "%.2f s" % med([r["first"]["ready_s"] for r in reps])),
    ("READY < 3 s, second start (median)", med([r["second"]["ready_s"] for r in reps]) < 3,
     "%.2f s" % med([r["second"]["ready_s"] for r in reps])),
    ("< 1 KiB per task above baseline (median, worst point)",
     med([max(r["per_task_bytes_first"], r["per_task_bytes_second"], r["per_task_bytes_idle"])
          for r in reps]) < 1024,
     "%.0f B" % med([max(r["per_task_bytes_first"], r["per_task_bytes_second"],
                         r["per_task_bytes_idle"]) for r in reps])),
    ("idle CPU < 0.5 % (median)",
     med([r["second"]["idle_cpu_percent"] for r in reps]) < 0.5,
     "%.3f %%" % med([r["second"]["idle_cpu_percent"] for r in reps])),
]
if rows != {n} or runs != {0}:
    checks.append(("every task synced, nothing fired", False, "rows %s runs %s" % (rows, runs)))
print()
print("Targets")
failed = 0
for what, ok, value in checks:
    failed += not ok
    print("  %-4s %-56s %s" % ("PASS" if ok else "FAIL", what, value))
print()
print("%d of %d targets met (slowest single start: %.2f s)"
      % (len(checks) - failed, len(checks), worst_ready))
sys.exit(1 if (failed and strict) else 0)
EOF
cat "$work/table.txt"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$work/scale.json" "$work/table.txt" "$keep/"
fi
exit "$status"
