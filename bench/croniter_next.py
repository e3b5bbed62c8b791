#!/usr/bin/python3
"""Times croniter's get_next() on the expressions of bench/cron_next_bench.cpp, in UTC.

Same method as the C++ benchmark: one croniter object per expression, each get_next() continues
from the previous result (walking forward), and the walk returns to the start instant
(2026-03-27T00:00:00Z) every `reset_every` calls. A repetition runs whole walks for at least
--min-time seconds; the figure is the median over --repetitions repetitions of the mean time per
call, in nanoseconds.

croniter puts the seconds field LAST in six-field expressions where maintd puts it first, so the
seconds-level expressions are rewritten for croniter ("*/10 * * * * *" -> "* * * * * */10").

Prints JSON: {"croniter_version", "python", "start", "results": [{"expression", "zone",
"croniter_expression", "comparable", "median_ns", "runs_ns", "calls"}]}. Run with /usr/bin/python3 (Debian's
python3-croniter). Usage: bench/croniter_next.py [--repetitions 5] [--min-time 0.2]
"""

import argparse
import calendar
import json
import statistics
import sys
import time

try:
    from croniter import croniter
except ImportError as exc:
    sys.exit("croniter is not importable with %s (%s); install python3-croniter"
             % (sys.executable, exc))

START = calendar.timegm((2026, 3, 27, 0, 0, 0))

# (expression as maintd writes it, as croniter writes it, reset_every[, comparable]): the UTC
# cases of kCases in bench/cron_next_bench.cpp, in the same order, with the same reset periods.
# comparable=False: croniter computes different slots, so its time is no like-for-like figure.
CASES = [
    ("*/5 * * * *", "*/5 * * * *", 1000),
    ("0 * * * *", "0 * * * *", 1000),
    ("30 2 * * 1-5", "30 2 * * 1-5", 1000),
    ("0 0 1 * *", "0 0 1 * *", 1000),
    ("15,45 9-17 * * MON-FRI", "15,45 9-17 * * MON-FRI", 1000),
    ("0 0 29 2 1", "0 0 29 2 1", 1000),
    ("0 0 29 2 *", "0 0 29 2 *", 500),
    ("0 0 * 2 1#5", "0 0 * 2 1#5", 70),
    # croniter applies "5#5" to both halves of the OR rule, so it only finds 5th Fridays that
    # are 31 December (its answers differ from maintd's here; the timing is still of get_next).
    ("0 0 31 12 5#5", "0 0 31 12 5#5", 1000, False),
    ("*/10 * * * * *", "* * * * * */10", 1000),
    ("0 */5 * * * *", "*/5 * * * * 0", 1000),
]


def time_case(expr, reset_every, repetitions, min_time):
    it = croniter(expr, float(START))
    runs = []
    calls_total = 0
    for _ in range(repetitions):
        calls = 0
        elapsed = 0
        while elapsed < min_time * 1e9:
            it.set_current(float(START))
            t0 = time.perf_counter_ns()
            for _ in range(reset_every):
                it.get_next(float)
            elapsed += time.perf_counter_ns() - t0
            calls += reset_every
        runs.append(elapsed / calls)
        calls_total += calls
    return runs, calls_total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="seconds of get_next() calls per repetition (default 0.2)")
    args = ap.parse_args()
    results = []
    for expr, cexpr, reset_every, *rest in CASES:
        runs, calls = time_case(cexpr, reset_every, args.repetitions, args.min_time)
        results.append({"expression": expr, "zone": "UTC", "croniter_expression": cexpr,
                        "comparable": rest[0] if rest else True,
                        "median_ns": statistics.median(runs), "runs_ns": runs, "calls": calls})
        print("croniter %-24s %12.0f ns/op" % (expr, statistics.median(runs)), file=sys.stderr)
    version = getattr(sys.modules["croniter"], "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as dist_version
            version = dist_version("croniter")
        except Exception:
            version = "unknown"
    json.dump({"croniter_version": version, "python": sys.version.split()[0],
               "start": "2026-03-27T00:00:00Z", "results": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
