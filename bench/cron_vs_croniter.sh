#!/usr/bin/env bash
# Builds the release preset, runs the Schedule::next()/parse() benchmarks and the croniter timing
# of the same expressions one after the other (never concurrently: 2 cores), and prints one table:
# expression, zone, maintd median ns, croniter median ns, ratio; then the targets with PASS/FAIL.
#
# Usage: bench/cron_vs_croniter.sh [--strict] [--keep DIR] [--build-dir DIR]
#   --strict         exit 1 when a target is missed (default: report only)
#   --keep DIR       also write maintd.json, croniter.json and table.txt to DIR
#   --build-dir DIR  configure DIR with the release preset's settings (g++, RelWithDebInfo)
#                    instead of using the preset's build/release, e.g. to stay out of a tree
#                    someone else is building
# Environment: CMAKE_BUILD_PARALLEL_LEVEL (default: nproc), REPETITIONS (default 5).
set -euo pipefail

strict=0
keep=""
build_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --strict) strict=1 ;;
    --keep) keep="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    *) echo "usage: $0 [--strict] [--keep DIR] [--build-dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
reps="${REPETITIONS:-5}"

if [ -z "$build_dir" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target cron_next_bench
  build_dir=build/release
else
  # Name the compiler only for a new tree: changing it in an existing one makes CMake drop the
  # whole cache, the build type with it.
  compiler=()
  [ -f "$build_dir/CMakeCache.txt" ] || compiler=(-DCMAKE_CXX_COMPILER=g++)
  cmake -S . -B "$build_dir" -G Ninja "${compiler[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" --target cron_next_bench
fi
bench="$build_dir/bench/cron_next_bench"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== maintd: $bench (${reps} repetitions)" >&2
"$bench" --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$work/maintd.json"
echo "== croniter: bench/croniter_next.py (${reps} repetitions)" >&2
/usr/bin/python3 bench/croniter_next.py --repetitions "$reps" >"$work/croniter.json"

status=0
/usr/bin/python3 - "$work/maintd.json" "$work/croniter.json" "$strict" >"$work/table.txt" <<'EOF' \
  || status=$?
import json, re, sys

maintd = json.load(open(sys.argv[1]))
croniter = json.load(open(sys.argv[2]))
strict = sys.argv[3] == "1"

medians = {}  # (kind, zone, expr) -> ns
for b in maintd["benchmarks"]:
    if b.get("aggregate_name") != "median" or b.get("error_occurred"):
        continue
    assert b["time_unit"] == "ns", b["time_unit"]
    name = b["run_name"]
    m = re.match(r"^next\[(.+?)\] (.+)$", name)
    if m:
        medians[("next", m.group(1), m.group(2))] = (b["real_time"], b.get("label", ""))
    elif name.startswith("parse "):
        medians[("parse", "", name[len("parse "):])] = (b["real_time"], "")
errors = [b["run_name"] + ": " + b.get("error_message", "")
          for b in maintd["benchmarks"] if b.get("error_occurred")]
peer = {(r["zone"], r["expression"]): (r["median_ns"], r.get("comparable", True))
        for r in croniter["results"]}

ctx = maintd["context"]
print("maintd: %s, %d x %.0f MHz, %s build of libbenchmark; croniter %s on Python %s"
      % (ctx.get("date", "?"), ctx["num_cpus"], ctx["mhz_per_cpu"],
         ctx.get("library_build_type", "?"), croniter["croniter_version"], croniter["python"]))
print()
print("%-40s %-14s %-8s %12s %14s %9s" % ("Schedule::next()", "zone", "group", "maintd ns",
                                           "croniter ns", "ratio"))
ratios = []
checks = []
for (kind, zone, expr), (ns, group) in medians.items():
    if kind != "next":
        continue
    p, comparable = peer.get((zone, expr), (None, False))
    ratio = p / ns if p else None
    if ratio and comparable:
        ratios.append((expr, ratio))
    shown = "-" if not ratio else "%.0fx" % ratio if comparable else "(%.0fx)" % ratio
    print("%-40s %-14s %-8s %12.1f %14s %9s" % (expr, zone, group, ns,
          "%.0f" % p if p else "-", shown))
    if group == "common":
        checks.append(("next() < 250 ns, common: %s [%s]" % (expr, zone), ns < 250,
                       "%.1f ns" % ns))
print("(ratio in brackets: croniter computes different slots for it; not in the 100x target)")
print()
print("%-40s %12s" % ("Expression::parse()", "maintd ns"))
for (kind, zone, expr), (ns, _) in medians.items():
    if kind == "parse":
        print("%-40s %12.1f" % (expr, ns))

sparse = [(ns, expr) for (kind, zone, expr), (ns, group) in medians.items()
          if kind == "next" and group == "sparse"]
if sparse:
    ns, expr = max(sparse)
    checks.append(("next() < 5 us, sparsest: %s" % expr, ns < 5000, "%.1f ns" % ns))
for expr, ratio in ratios:
    checks.append((">= 100x croniter: %s" % expr, ratio >= 100, "%.0fx" % ratio))
print()
print("Targets")
failed = 0
for what, ok, value in checks:
    failed += not ok
    print("  %-4s %-58s %s" % ("PASS" if ok else "FAIL", what, value))
for e in errors:
    failed += 1
    print("  FAIL benchmark error: %s" % e)
print()
print("%d of %d targets met" % (len(checks) + len(errors) - failed, len(checks) + len(errors)))
sys.exit(1 if (failed and strict) else 0)
EOF
cat "$work/table.txt"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$work/maintd.json" "$work/croniter.json" "$work/table.txt" "$keep/"
fi
exit "$status"
