#!/usr/bin/python3
"""Daemon benchmarks for `maintd serve` (issue 5): scale and accuracy.

scale     N tasks (default 100,000) of debug.noop with yearly schedules that do not fire during
          the measurement, in several IANA zones, SQLite state database. Per repetition, in a
          fresh temporary directory:
            first start   empty state database: migrations, the schedule files synced into
                          scheduled_tasks, planning; then READY=1
            second start  the same directory again: the table already matches
            baseline      the same configuration with 1 task
          Figures: wall time from fork/exec to READY=1 (NOTIFY_SOCKET: a unix datagram socket
          this script binds), VmRSS (/proc/PID/status) --settle seconds after READY and again at
          the end of the idle window (after the table polls in it), (RSS - baseline RSS) per
          task at each point, and CPU (utime + stime from /proc/PID/stat) over --idle seconds.

accuracy  N tasks (default 10,000) of debug.noop all due in the same second, SQLite state
          database: lateness of each run's start, started_at - scheduled_for from maintd_runs
          (ms precision), p50/p99/max. Then, in the same invocation and never at the same time
          (2 cores), APScheduler's BackgroundScheduler with a CronTrigger per job on the same N
          jobs: a noop function records time.time() - the scheduled instant.

report    prints the table of a JSON file written by scale or accuracy: medians over the
          repetitions (each repetition in brackets), the targets with PASS/FAIL (exit 1 with
          --strict when one is missed).

scale and accuracy print JSON on stdout (one object per repetition); progress on stderr.
bench/daemon_scale.sh and bench/daemon_accuracy.sh build maintd, run this and print the tables.
Run with /usr/bin/python3 (Debian's python3-apscheduler).
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
         "America/Sao_Paulo", "Asia/Kolkata", "Europe/London"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Configuration


def write_config(directory, tasks, extra=""):
    """tasks: list of (name, schedule, zone). Writes maintd.yaml and schedules/*.yaml (at most
    5,000 tasks per file); returns the path of maintd.yaml."""
    sched = os.path.join(directory, "schedules")
    os.makedirs(sched, exist_ok=True)
    per_file = 5000
    for start in range(0, len(tasks), per_file):
        with open(os.path.join(sched, "tasks-%03d.yaml" % (start // per_file)), "w") as f:
            f.write("tasks:\n")
            for name, schedule, zone in tasks[start:start + per_file]:
                f.write('  - name: %s\n    type: debug.noop\n    schedule: "%s"\n'
                        '    timezone: %s\n' % (name, schedule, zone))
    path = os.path.join(directory, "maintd.yaml")
    with open(path, "w") as f:
        f.write("state_database: sqlite3://state.db\n"
                "schedules:\n  - schedules/\n" + extra)
    return path


def yearly_tasks(count, now, seed=1):
    """`count` tasks whose schedules fire at most a few times a year and not within the next
    four weeks in any zone: the months used are at least two calendar months away from the
    current one (6 forms: plain, seconds field, day range, two months, every 15 minutes of one
    hour, last day of the month)."""
    rng = random.Random(seed)
    month_now = now.month
    far = [m for m in range(1, 13) if min((m - month_now) % 12, (month_now - m) % 12) >= 2]
    tasks = []
    for i in range(count):
        m, h = rng.randrange(60), rng.randrange(24)
        d = rng.randrange(1, 29)
        mon = rng.choice(far)
        mon2 = rng.choice(far)
        kind = i % 6
        if kind == 0:
            expr = "%d %d %d %d *" % (m, h, d, mon)                    # once a year
        elif kind == 1:
            expr = "%d %d %d %d %d *" % (rng.randrange(60), m, h, d, mon)  # seconds field
        elif kind == 2:
            expr = "%d %d %d-%d %d *" % (m, h, d, d + 2, mon)          # a range of days
        elif kind == 3:
            expr = "%d %d %d %s *" % (m, h, d, ",".join(map(str, sorted({mon, mon2}))))
        elif kind == 4:
            expr = "*/15 %d %d %d *" % (h, d, mon)                     # 4 slots in one hour
        else:
            expr = "%d %d L %d *" % (m, h, mon)                        # last day of the month
        tasks.append(("bench-%06d" % i, expr, ZONES[i % len(ZONES)]))
    return tasks


# ---------------------------------------------------------------------------------------------
# Process helpers


class NotifySocket:
    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def wait_ready(self, proc, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no READY=1 within %.0f s" % timeout)
            if proc.poll() is not None:
                raise RuntimeError("maintd exited with %d before READY=1" % proc.returncode)
            self.sock.settimeout(min(left, 0.2))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if b"READY=1" in data.split(b"\n"):
                return time.monotonic(), data.decode(errors="replace")

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def maintd_version(maintd):
    return subprocess.run([maintd, "--version"], capture_output=True, text=True).stdout.strip()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start_daemon(maintd, config, directory, ready_timeout=300):
    notify = NotifySocket(directory)
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    env.pop("JOURNAL_STREAM", None)
    errlog = open(os.path.join(directory, "maintd.log"), "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen([maintd, "serve", "--config", config], env=env,
                            stdout=subprocess.DEVNULL, stderr=errlog, cwd=directory)
    try:
        t_ready, message = notify.wait_ready(proc, ready_timeout)
    except Exception:
        proc.kill()
        proc.wait()
        errlog.close()
        notify.close()
        log(open(os.path.join(directory, "maintd.log")).read()[-3000:])
        raise
    return proc, notify, errlog, t_ready - t0, message


def stop_daemon(proc, notify, errlog, timeout=120):
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    errlog.close()
    notify.close()
    return code


# ---------------------------------------------------------------------------------------------
# scale


def measure_start(maintd, config, directory, idle, settle):
    proc, notify, errlog, ready_s, message = start_daemon(maintd, config, directory)
    try:
        time.sleep(settle)  # let the loop's first tick and the status line settle
        rss = rss_kib(proc.pid)
        cpu = rss_idle = None
        if idle > 0:
            c0, w0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(idle)
            c1, w1 = cpu_seconds(proc.pid), time.monotonic()
            cpu = 100.0 * (c1 - c0) / (w1 - w0)
            rss_idle = rss_kib(proc.pid)  # after the table polls of the idle window
    finally:
        code = stop_daemon(proc, notify, errlog)
    status = next((l[7:] for l in message.split("\n") if l.startswith("STATUS=")), "")
    return {"ready_s": ready_s, "rss_kib": rss, "rss_idle_kib": rss_idle,
            "idle_cpu_percent": cpu, "exit": code, "status": status}


def cmd_scale(args):
    now = dt.datetime.now(dt.timezone.utc)
    tasks = yearly_tasks(args.tasks, now)
    results = []
    for rep in range(args.repetitions):
        with tempfile.TemporaryDirectory(prefix="maintd-scale-") as big, \
                tempfile.TemporaryDirectory(prefix="maintd-scale-base-") as small:
            config = write_config(big, tasks)
            base_config = write_config(small, tasks[:1])
            log("scale %d/%d: first start, %d tasks" % (rep + 1, args.repetitions, len(tasks)))
            first = measure_start(args.maintd, config, big, 0, args.settle)
            log("  READY after %.2f s, RSS %d KiB (%s)" % (first["ready_s"], first["rss_kib"],
                                                           first["status"]))
            log("scale %d/%d: second start, idle %d s" % (rep + 1, args.repetitions, args.idle))
            second = measure_start(args.maintd, config, big, args.idle, args.settle)
            log("  READY after %.2f s, RSS %d KiB (%d KiB after the idle window), idle CPU "
                "%.3f %%" % (second["ready_s"], second["rss_kib"], second["rss_idle_kib"],
                             second["idle_cpu_percent"]))
            log("scale %d/%d: baseline, 1 task, idle %d s" % (rep + 1, args.repetitions,
                                                               args.idle))
            write_once = measure_start(args.maintd, base_config, small, 0, args.settle)
            base = measure_start(args.maintd, base_config, small, args.idle, args.settle)
            log("  READY after %.2f s, RSS %d KiB (%d KiB after the idle window), idle CPU "
                "%.3f %%" % (base["ready_s"], base["rss_kib"], base["rss_idle_kib"],
                             base["idle_cpu_percent"]))
            rows = sqlite3.connect(os.path.join(big, "state.db")).execute(
                "SELECT COUNT(*) FROM scheduled_tasks").fetchone()[0]
            runs = sqlite3.connect(os.path.join(big, "state.db")).execute(
                "SELECT COUNT(*) FROM maintd_runs").fetchone()[0]
            results.append({
                "tasks": len(tasks), "first": first, "second": second,
                "baseline_first": write_once, "baseline": base,
                "scheduled_tasks_rows": rows, "runs_recorded": runs,
                "per_task_bytes_first": 1024.0 * (first["rss_kib"] - base["rss_kib"])
                / (len(tasks) - 1),
                "per_task_bytes_second": 1024.0 * (second["rss_kib"] - base["rss_kib"])
                / (len(tasks) - 1),
                "per_task_bytes_idle": 1024.0 * (second["rss_idle_kib"] - base["rss_idle_kib"])
                / (len(tasks) - 1),
            })
    json.dump({"benchmark": "scale", "maintd": maintd_version(args.maintd), "tasks": args.tasks,
               "idle_s": args.idle, "repetitions": results}, sys.stdout, indent=2)
    print()


# ---------------------------------------------------------------------------------------------
# accuracy


def same_second_tasks(count, slot):
    """`count` tasks that all fire at the instant `slot` (UTC), each written in its own zone's
    wall-clock time, yearly: "S M H D Mon *"."""
    tasks = []
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        local = slot.astimezone(ZoneInfo(zone))
        expr = "%d %d %d %d %d *" % (local.second, local.minute, local.hour, local.day,
                                      local.month)
        tasks.append(("acc-%05d" % i, expr, zone))
    return tasks


def percentiles(values_ms):
    v = sorted(values_ms)
    def pct(p):  # nearest rank
        return v[max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))]
    return {"count": len(v), "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": v[-1],
            "min_ms": v[0], "mean_ms": statistics.fmean(v)}


def parse_ts(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.timezone.utc) if "." in text else dt.datetime.strptime(
        text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def run_maintd_accuracy(args, directory):
    # The slot: far enough ahead for the start-up (sync of N tasks, planning) to be over.
    slot = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=args.lead)).replace(
        microsecond=0)
    tasks = same_second_tasks(args.tasks, slot)
    extra = "workers: %d\n" % args.workers if args.workers else ""
    config = write_config(directory, tasks, extra)
    proc, notify, errlog, ready_s, _ = start_daemon(args.maintd, config, directory)
    ready_at = dt.datetime.now(dt.timezone.utc)
    if ready_at > slot - dt.timedelta(seconds=1):
        stop_daemon(proc, notify, errlog)
        raise RuntimeError("READY=1 came at %s, too close to the slot %s: raise --lead"
                           % (ready_at, slot))
    log("  maintd READY after %.2f s; slot %s" % (ready_s, slot.strftime("%H:%M:%S")))
    db = os.path.join(directory, "state.db")
    deadline = time.monotonic() + (slot - ready_at).total_seconds() + args.timeout
    finished = 0
    try:
        time.sleep(max(0.0, (slot - dt.datetime.now(dt.timezone.utc)).total_seconds()))
        while time.monotonic() < deadline:
            time.sleep(0.5)
            con = sqlite3.connect(db, timeout=30)
            finished = con.execute("SELECT COUNT(*) FROM maintd_runs WHERE finished_at IS NOT "
                                   "NULL").fetchone()[0]
            con.close()
            if finished >= args.tasks:
                break
        cpu = cpu_seconds(proc.pid)
    finally:
        code = stop_daemon(proc, notify, errlog)
    con = sqlite3.connect(db)
    rows = con.execute("SELECT task_name, scheduled_for, created_at, started_at, status "
                       "FROM maintd_runs WHERE scheduled_for IS NOT NULL").fetchall()
    con.close()
    lateness, claimed, statuses, slots = [], [], {}, set()
    for name, scheduled, created, started, status in rows:
        statuses[status] = statuses.get(status, 0) + 1
        slots.add(name)
        # created_at: when the loop claimed the slot (inserted the run); started_at: when a
        # worker began it (the run's start, recorded before the handler is called).
        claimed.append((parse_ts(created) - parse_ts(scheduled)).total_seconds() * 1000)
        if started is not None:
            lateness.append((parse_ts(started) - parse_ts(scheduled)).total_seconds() * 1000)
    result = {"ready_s": ready_s, "slot": slot.isoformat(), "runs": len(rows),
              "distinct_tasks": len(slots), "statuses": statuses, "exit": code,
              "cpu_s_total": cpu, "claimed_max_ms": max(claimed) if claimed else None}
    if lateness:
        result.update(percentiles(lateness))
    return result


APS_PEER = r"""
import datetime as dt, json, logging, sys, threading, time
from zoneinfo import ZoneInfo
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

spec = json.load(sys.stdin)
slot = spec["slot"]
lateness = []
lock = threading.Lock()
done = threading.Event()
n = len(spec["tasks"])

def noop(scheduled):
    late = time.time() - scheduled
    with lock:
        lateness.append(late * 1000.0)
        if len(lateness) == n:
            done.set()

logging.basicConfig(level=logging.ERROR)
executors = {"default": {"type": "threadpool", "max_workers": spec["workers"]}} \
    if spec["workers"] else None
sched = BackgroundScheduler(executors=executors) if executors else BackgroundScheduler()
for name, expr, zone in spec["tasks"]:
    s, m, h, d, mon, _ = expr.split()
    trigger = CronTrigger(second=s, minute=m, hour=h, day=d, month=mon, timezone=ZoneInfo(zone))
    # misfire_grace_time: none of the jobs may be dropped as missed; every start is measured.
    sched.add_job(noop, trigger, args=[slot], id=name, misfire_grace_time=3600, coalesce=True)
sched.start()
print("READY", flush=True)
done.wait(spec["timeout"] + max(0.0, slot - time.time()))
sched.shutdown(wait=True)
json.dump({"lateness_ms": lateness}, sys.stdout)
"""


def run_apscheduler_accuracy(args):
    slot = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=args.lead)).replace(
        microsecond=0)
    tasks = same_second_tasks(args.tasks, slot)
    spec = {"slot": slot.timestamp(), "tasks": tasks, "timeout": args.timeout,
            "workers": args.aps_workers}
    t0 = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/python3", "-c", APS_PEER], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(spec))
    proc.stdin.close()
    line = proc.stdout.readline()
    ready_s = time.monotonic() - t0
    if line.strip() != "READY":
        raise RuntimeError("apscheduler peer failed: " + proc.stderr.read()[-3000:])
    if dt.datetime.now(dt.timezone.utc) > slot - dt.timedelta(seconds=1):
        proc.kill()
        raise RuntimeError("apscheduler was ready too close to the slot: raise --lead")
    log("  apscheduler ready after %.2f s; slot %s" % (ready_s, slot.strftime("%H:%M:%S")))
    out = proc.stdout.read()
    proc.wait()
    lateness = json.loads(out)["lateness_ms"]
    result = {"ready_s": ready_s, "slot": slot.isoformat(), "runs": len(lateness)}
    if lateness:
        result.update(percentiles(lateness))
    return result


def cmd_accuracy(args):
    import apscheduler
    results = []
    for rep in range(args.repetitions):
        log("accuracy %d/%d: maintd, %d tasks due in one second" % (rep + 1, args.repetitions,
                                                                    args.tasks))
        with tempfile.TemporaryDirectory(prefix="maintd-accuracy-") as directory:
            m = run_maintd_accuracy(args, directory)
            if args.keep:
                shutil.copytree(directory, os.path.join(args.keep, "maintd-%d" % rep),
                                ignore=shutil.ignore_patterns("notify.sock"),
                                dirs_exist_ok=True)
        log("  maintd: %d runs, p50 %.0f ms, p99 %.0f ms, max %.0f ms"
            % (m["runs"], m.get("p50_ms", -1), m.get("p99_ms", -1), m.get("max_ms", -1)))
        a = None
        if not args.no_peer:
            log("accuracy %d/%d: apscheduler, %d jobs" % (rep + 1, args.repetitions, args.tasks))
            a = run_apscheduler_accuracy(args)
            log("  apscheduler: %d runs, p50 %.0f ms, p99 %.0f ms, max %.0f ms"
                % (a["runs"], a.get("p50_ms", -1), a.get("p99_ms", -1), a.get("max_ms", -1)))
        results.append({"maintd": m, "apscheduler": a})
    json.dump({"benchmark": "accuracy", "maintd": maintd_version(args.maintd),
               "tasks": args.tasks, "workers": args.workers,
               "aps_workers": args.aps_workers, "apscheduler_version": apscheduler.__version__,
               "python": sys.version.split()[0], "repetitions": results}, sys.stdout, indent=2)
    print()

# ---------------------------------------------------------------------------------------------
# report


def each(values, fmt):
    """The median, then every repetition in brackets: "0.52 (0.50/0.52/0.61)"."""
    return "%s (%s)" % (fmt % statistics.median(values), "/".join(fmt % v for v in values))


def print_targets(checks):
    """checks: (what, ok, figure). Prints them with PASS/FAIL; returns how many failed."""
    print()
    print("Targets")
    failed = 0
    for what, ok, figure in checks:
        failed += not ok
        print("  %-4s %-56s %s" % ("PASS" if ok else "FAIL", what, figure))
    print()
    print("%d of %d targets met" % (len(checks) - failed, len(checks)))
    return failed


def report_scale(data):
    reps = data["repetitions"]
    med = lambda key: statistics.median([key(r) for r in reps])
    print("%s; %d tasks, %d repetitions, idle window %d s; median (each repetition)"
          % (data["maintd"], data["tasks"], len(reps), data["idle_s"]))
    print()
    mib = lambda kib: kib / 1024
    rows = [
        ("first start: READY=1 after (s)", lambda r: r["first"]["ready_s"], "%.2f"),
        ("second start: READY=1 after (s)", lambda r: r["second"]["ready_s"], "%.2f"),
        ("baseline (1 task): READY=1 after (s)", lambda r: r["baseline"]["ready_s"], "%.2f"),
        ("first start: VmRSS at READY (MiB)", lambda r: mib(r["first"]["rss_kib"]), "%.1f"),
        ("second start: VmRSS at READY (MiB)", lambda r: mib(r["second"]["rss_kib"]), "%.1f"),
        ("second start: VmRSS after idle (MiB)", lambda r: mib(r["second"]["rss_idle_kib"]),
         "%.1f"),
        ("baseline: VmRSS at READY (MiB)", lambda r: mib(r["baseline"]["rss_kib"]), "%.1f"),
        ("baseline: VmRSS after idle (MiB)", lambda r: mib(r["baseline"]["rss_idle_kib"]),
         "%.1f"),
        ("per task above baseline: first, READY (B)", lambda r: r["per_task_bytes_first"], "%.0f"),
        ("per task above baseline: second, READY (B)", lambda r: r["per_task_bytes_second"],
         "%.0f"),
        ("per task above baseline: after idle (B)", lambda r: r["per_task_bytes_idle"], "%.0f"),
        ("second start: CPU over the idle window (%)",
         lambda r: r["second"]["idle_cpu_percent"], "%.3f"),
        ("baseline: CPU over the idle window (%)", lambda r: r["baseline"]["idle_cpu_percent"],
         "%.3f"),
    ]
    for label, key, fmt in rows:
        print("%-44s %s" % (label, each([key(r) for r in reps], fmt)))
    synced = {r["scheduled_tasks_rows"] for r in reps}
    runs = {r["runs_recorded"] for r in reps}
    print()
    print("scheduled_tasks rows after the first start: %s; runs recorded: %s; status: %s"
          % (sorted(synced), sorted(runs), reps[-1]["second"]["status"]))
    worst = lambda r: max(r["per_task_bytes_first"], r["per_task_bytes_second"],
                          r["per_task_bytes_idle"])
    first, second = med(lambda r: r["first"]["ready_s"]), med(lambda r: r["second"]["ready_s"])
    cpu = med(lambda r: r["second"]["idle_cpu_percent"])
    checks = [
        ("READY < 3 s, first start (median)", first < 3, "%.2f s" % first),
        ("READY < 3 s, second start (median)", second < 3, "%.2f s" % second),
        ("< 1 KiB per task above baseline (median, worst point)", med(worst) < 1024,
         "%.0f B" % med(worst)),
        ("idle CPU < 0.5 % (median)", cpu < 0.5, "%.3f %%" % cpu),
        ("every task synced, nothing fired", synced == {data["tasks"]} and runs == {0},
         "rows %s, runs %s" % (sorted(synced), sorted(runs))),
    ]
    return print_targets(checks)


def report_accuracy(data):
    reps = data["repetitions"]
    n = data["tasks"]
    print("%s (workers: %s) vs APScheduler %s on Python %s (thread pool: %s); %d tasks due in one "
          "second, %d repetitions; median (each repetition)"
          % (data["maintd"], data["workers"] or "default", data["apscheduler_version"],
             data["python"], data["aps_workers"] or "default", n, len(reps)))
    print()
    print("%-26s %24s %24s %8s" % ("lateness of the start", "maintd", "APScheduler", "ratio"))
    print("(ratio: APScheduler / maintd, above 1 where maintd is better)")
    for key, label in (("p50_ms", "p50 (ms)"), ("p99_ms", "p99 (ms)"), ("max_ms", "max (ms)"),
                       ("ready_s", "start-up to ready (s)")):
        fmt = "%.2f" if key == "ready_s" else "%.0f"
        m = [r["maintd"][key] for r in reps]
        a = [r["apscheduler"][key] for r in reps if r["apscheduler"]]
        ratio = "-"
        if a and statistics.median(m) > 0:
            ratio = "%.1fx" % (statistics.median(a) / statistics.median(m))
        print("%-26s %24s %24s %8s" % (label, each(m, fmt), each(a, fmt) if a else "-", ratio))
    print()
    for r in reps:
        s = r["maintd"]
        print("maintd: %d runs of %d distinct tasks, %s; slot %s; every slot claimed %.0f ms "
              "after it; CPU %.2f s in total"
              % (s["runs"], s["distinct_tasks"], s["statuses"], s["slot"], s["claimed_max_ms"],
                 s["cpu_s_total"]))
        if r["apscheduler"]:
            print("APScheduler: %d starts recorded" % r["apscheduler"]["runs"])
    p99 = statistics.median([r["maintd"]["p99_ms"] for r in reps])
    complete = all(r["maintd"]["runs"] == n and r["maintd"]["distinct_tasks"] == n
                   and r["maintd"]["statuses"].get("completed", 0) == n for r in reps)
    return print_targets([("p99 lateness < 50 ms on SQLite (median)", p99 < 50, "%.0f ms" % p99),
                          ("every slot exactly one run, completed", complete, "")])


def cmd_report(args):
    data = json.load(open(args.json))
    failed = (report_scale if data["benchmark"] == "scale" else report_accuracy)(data)
    sys.exit(1 if failed and args.strict else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maintd", help="the maintd binary (scale, accuracy)")
    ap.add_argument("--repetitions", type=int, default=3)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scale")
    s.add_argument("--tasks", type=int, default=100000)
    s.add_argument("--idle", type=int, default=60, help="seconds of idle CPU measured")
    s.add_argument("--settle", type=float, default=2.0,
                   help="seconds after READY before RSS and CPU are read")
    a = sub.add_parser("accuracy")
    a.add_argument("--tasks", type=int, default=10000)
    a.add_argument("--lead", type=int, default=20,
                   help="seconds from start-up to the common slot")
    a.add_argument("--timeout", type=int, default=180,
                   help="seconds after the slot to wait for every run to finish")
    a.add_argument("--workers", type=int, default=0,
                   help="maintd `workers` (default: maintd's default)")
    a.add_argument("--aps-workers", type=int, default=0,
                   help="APScheduler thread pool size (default: its default, 10)")
    a.add_argument("--no-peer", action="store_true", help="maintd only")
    a.add_argument("--keep", help="copy each maintd run's directory here")
    r = sub.add_parser("report")
    r.add_argument("json", help="what scale or accuracy printed")
    r.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    if args.command == "report":
        cmd_report(args)
        return
    if not args.maintd:
        ap.error("--maintd is required for " + args.command)
    args.maintd = os.path.abspath(args.maintd)  # the daemon runs in its temporary directory
    if args.command == "scale":
        cmd_scale(args)
    else:
        cmd_accuracy(args)


if __name__ == "__main__":
    main()
