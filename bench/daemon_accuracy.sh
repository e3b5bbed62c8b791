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
#   --strict         exit 1 when the target is missed (default: report only)
#   --keep DIR       also write accuracy.json, table.txt and each maintd run's directory to DIR
#   --build-dir DIR  build tree (RelWithDebInfo, configured if missing); default build/release
#   --maintd PATH    measure this maintd binary; build nothing (e.g. another checkout's)
# Environment: REPETITIONS (default 3), TASKS (default 10000), WORKERS (maintd `workers`;
#              default: maintd's default), APS_WORKERS (APScheduler's thread pool; default: its
#              default, 10), CMAKE_BUILD_PARALLEL_LEVEL (default: nproc).
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
keep_args=()
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  keep_args=(--keep "$(cd "$keep" && pwd)")
fi

echo "== $maintd and APScheduler: ${TASKS:-10000} tasks due in one second," \
  "${REPETITIONS:-3} repetitions" >&2
/usr/bin/python3 bench/daemon_bench.py --maintd "$maintd" --repetitions "${REPETITIONS:-3}" \
  accuracy --tasks "${TASKS:-10000}" --workers "${WORKERS:-0}" \
  --aps-workers "${APS_WORKERS:-0}" "${keep_args[@]}" >"$work/accuracy.json"

status=0
/usr/bin/python3 - "$work/accuracy.json" "$strict" "$maintd" >"$work/table.txt" <<'EOF' \
  || status=$?
import json, statistics, subprocess, sys

data = json.load(open(sys.argv[1]))
strict = sys.argv[2] == "1"
reps = data["repetitions"]
med = statistics.median
version = subprocess.run([sys.argv[3], "--version"], capture_output=True, text=True).stdout.strip()
n = data["tasks"]
print("%s (workers: %s) vs APScheduler %s on Python %s (thread pool: %s); %d tasks due in one "
      "second, %d repetitions; median (each run)"
      % (version, data["workers"] or "default", data["apscheduler_version"], data["python"],
         data["aps_workers"] or "default", n, len(reps)))
print()
print("%-26s %22s %22s %8s" % ("lateness of the start", "maintd", "APScheduler", "ratio"))
print("(ratio: APScheduler / maintd, above 1 where maintd is better)")
for key, label in (("p50_ms", "p50"), ("p99_ms", "p99"), ("max_ms", "max"),
                   ("ready_s", "start-up to ready (s)")):
    m = [r["maintd"][key] for r in reps]
    a = [r["apscheduler"][key] for r in reps if r["apscheduler"]]
    mm = med(m)
    am = med(a) if a else None
    fmt = "%.2f" if key == "ready_s" else "%.0f"
    ratio = "%.1fx" % (am / mm) if am is not None and mm > 0 else "-"
    print("%-26s %22s %22s %8s" % (
        label + ("" if key == "ready_s" else " (ms)"),
        (fmt % mm) + " (" + "/".join(fmt % v for v in m) + ")",
        ((fmt % am) + " (" + "/".join(fmt % v for v in a) + ")") if a else "-", ratio))
print()
for r in reps:
    s = r["maintd"]
    print("maintd run: %d runs of %d distinct tasks, %s; slot %s; CPU %.2f s in total"
          % (s["runs"], s["distinct_tasks"], s["statuses"], s["slot"], s["cpu_s_total"]))
    if r["apscheduler"]:
        print("APScheduler run: %d starts recorded" % r["apscheduler"]["runs"])
print()
p99 = med([r["maintd"]["p99_ms"] for r in reps])
checks = [("p99 lateness < 50 ms on SQLite (median)", p99 < 50, "%.0f ms" % p99)]
complete = all(r["maintd"]["runs"] == n and r["maintd"]["distinct_tasks"] == n
               and r["maintd"]["statuses"].get("completed", 0) == n for r in reps)
checks.append(("every slot exactly one run, completed", complete, ""))
print("Targets")
failed = 0
for what, ok, value in checks:
    failed += not ok
    print("  %-4s %-50s %s" % ("PASS" if ok else "FAIL", what, value))
print()
print("%d of %d targets met" % (len(checks) - failed, len(checks)))
sys.exit(1 if (failed and strict) else 0)
EOF
cat "$work/table.txt"
if [ -n "$keep" ]; then
  cp "$work/accuracy.json" "$work/table.txt" "$keep/"
fi
exit "$status"
