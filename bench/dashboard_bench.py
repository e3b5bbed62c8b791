#!/usr/bin/env python3
"""The dashboard's render time at scale: `maintd serve` with N tasks (default 1,000) and M runs
each (default 50) in a SQLite state database, and each page timed from request to last byte.

Runs are written straight into maintd_runs (after `maintd db migrate`), as the daemon records
them: a slot every hour, 1 in 10 failed, the others completed with a result the size of a
claims.release_expired result (its first 100 ids included), so the page parses real JSON.

    python3 bench/dashboard_bench.py --maintd build/release/maintd [--tasks 1000] [--runs 50]
                                     [--requests 15]

Prints, for each page, the size of the answer and the median and slowest time of --requests
requests (after one warm-up), one request at a time. docs/benchmarks.md records the figures.
"""

import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

TOKEN = "bench-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def write_config(work, port, tasks):
    os.makedirs(os.path.join(work, "schedules"))
    with open(os.path.join(work, "maintd.yaml"), "w") as f:
        f.write(textwrap.dedent(f"""\
            state_database: sqlite3://state.db
            schedules:
              - schedules/
            defaults:
              timezone: UTC
            log:
              level: warning
            http:
              listen: 127.0.0.1:{port}
              token: {TOKEN}
            """))
    with open(os.path.join(work, "schedules", "bench.yaml"), "w") as f:
        f.write("tasks:\n")
        for i in range(tasks):
            # Once a year: nothing fires while the pages are timed.
            f.write(f'  - name: task-{i:05d}\n    type: debug.noop\n'
                    f'    schedule: "{i % 60} {i // 60 % 24} 1 1 *"\n')
    return os.path.join(work, "maintd.yaml")


def seed(state_db, tasks, runs):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ids = [str(100000 + i) for i in range(100)]
    with sqlite3.connect(state_db) as db:
        for i in range(tasks):
            rows = []
            for r in range(runs):
                slot = now - datetime.timedelta(hours=runs - r, minutes=i % 60)
                failed = (i + r) % 10 == 0
                result = None if failed else json.dumps({
                    "released": (i * r) % 7, "slept_seconds": 0, "noop": True, "ids": ids,
                    "ids_truncated": True, "batches": 1, "longest_batch_ms": 4,
                    "max_per_run": None, "capped": False, "remaining": 0})
                rows.append((f"task-{i:05d}", stamp(slot), "failed" if failed else "completed",
                             stamp(slot), stamp(slot), stamp(slot),
                             stamp(slot + datetime.timedelta(milliseconds=100 + r * 7)),
                             result, "upstream answered 503" if failed else None))
            db.executemany(
                "INSERT INTO maintd_runs (task_name, task_type, trigger_type, scheduled_for, "
                "status, attempt, dry_run, config, instance_id, host, pid, heartbeat_at, "
                "created_at, started_at, finished_at, result, error) VALUES (?, 'debug.noop', "
                "'schedule', ?, ?, 1, 0, '{}', 'bench', 'bench', 1, ?, ?, ?, ?, ?, ?)", rows)


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    response = connection.getresponse()
    body = response.read()
    took = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
    return took, len(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maintd", required=True)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="maintd-dashboard-bench-")
    process = None
    try:
        port = free_port()
        config = write_config(work, port, args.tasks)
        subprocess.run([args.maintd, "db", "migrate", "--config", config], check=True,
                       capture_output=True)
        started = time.perf_counter()
        seed(os.path.join(work, "state.db"), args.tasks, args.runs)
        print(f"{args.tasks} tasks x {args.runs} runs written in "
              f"{time.perf_counter() - started:.1f}s", flush=True)
        log = open(os.path.join(work, "maintd.log"), "w")
        process = subprocess.Popen([args.maintd, "serve", "--config", config], stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("maintd serve did not become ready")
            time.sleep(0.2)

        pages = [
            ("task list, first page (100 tasks)", "/"),
            ("task list, every task on one page", f"/?per_page={min(args.tasks, 1000)}"),
            ("task list, its live part (the script's poll)", "/?live"),
            ("24-hour overview, first page (100 tasks)", "/overview"),
            ("24-hour overview, every task on one page", f"/overview?per_page={min(args.tasks, 1000)}"),
            ("a task's page (charts of 200 runs, 25 runs with events)", "/tasks/task-00001"),
        ]
        print(f"{'page':58} {'bytes':>10} {'median':>9} {'slowest':>9}")
        for name, path in pages:
            if path == "/?live":
                times = []
                size = 0
                for _ in range(args.requests + 1):
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    t0 = time.perf_counter()
                    connection.request("GET", "/", headers={"Authorization": f"Bearer {TOKEN}",
                                                            "X-Maintd-Live": "1"})
                    response = connection.getresponse()
                    size = len(response.read())
                    times.append(time.perf_counter() - t0)
                    connection.close()
                times = times[1:]
            else:
                get(port, path)  # warm-up
                results = [get(port, path) for _ in range(args.requests)]
                times = [t for t, _ in results]
                size = results[-1][1]
            print(f"{name:58} {size:>10,} {statistics.median(times) * 1000:>7.1f}ms "
                  f"{max(times) * 1000:>7.1f}ms", flush=True)
    finally:
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
