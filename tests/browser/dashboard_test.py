#!/usr/bin/env python3
"""Browser test of the dashboard: the real `maintd serve`, a real headless Chromium.

Starts `maintd serve` on a throwaway configuration (SQLite state database with a day of earlier
runs written into it, a SQLite application database, four tasks on a far schedule: a quick
no-op, one that fails on purpose, a claims and a drafts cleanup; the admin HTTP server on a free
loopback port with a token), starts `chromium --headless=new`, and drives it over the Chrome
DevTools Protocol (a websocket, through python3-websocket; no npm, no webdriver):

  1. /           -> redirected to /login; a wrong token is refused (401 page), the right one
                    logs in: the token cookie is HttpOnly and SameSite=Strict
  2. "Run now"   -> the flash names the run; the task page shows it completed with its events;
                    Disable and Enable
  3. the list    -> each task's strip is its last 50 runs in the state database (ids, statuses,
                    hover text), with a sparkline; a failed run is shown failed (red); a run
                    started through the API appears without a reload ("released 3 claims")
  4. a task page -> its duration and headline charts have a point per run; ?status=failed
  5. /overview   -> the failing task first, runs spread over the 24-hour axis
  6. at 800 px   -> no page is wider than the window
  7. screenshots of each page at 1400 and 800 px (--screenshots DIR; CI keeps them;
                    --docs DIR copies them for docs/dashboard.md)
  8. maintd stopped -> the open page shows the connection lost, without a reload

Exit codes: 0 passed, 1 failed (with the reason, and maintd's log), 77 skipped because Chromium
is not installed (CTest's SKIP_RETURN_CODE).

    tests/browser/dashboard_test.py --maintd build/dev/maintd \
        --screenshots build/dev/artifacts [--docs docs/images]
"""

import argparse
import base64
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

SKIP = 77
TOKEN = "browser-test-token-0123456789abcdef"
TASK = "browser-noop"
FAILING = "browser-failing"
CLAIMS = "release-claims"
DRAFTS = "fail-stale-drafts"


class Failure(Exception):
    pass


def log(message):
    print(f"[browser] {message}", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def http_get(port, path, timeout=2.0):
    """(status, body) of a plain GET, or None when nothing answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body
    except OSError:
        return None


# ---- maintd ----------------------------------------------------------------------------------


def write_config(directory, port):
    os.makedirs(os.path.join(directory, "schedules"))
    with open(os.path.join(directory, "maintd.yaml"), "w") as f:
        f.write(textwrap.dedent(f"""\
            state_database: sqlite3://state.db
            databases:
              app: sqlite3://app.db
            schedules:
              - schedules/
            defaults:
              timezone: UTC
              timeout: 1m
            workers: 2
            heartbeat_interval: 1s
            lease: 10s
            poll_interval: 2s
            shutdown_grace: 2s
            log:
              level: info
            http:
              listen: 127.0.0.1:{port}
              token: {TOKEN}
            """))
    with open(os.path.join(directory, "schedules", "browser.yaml"), "w") as f:
        # Once a year, on a day that is not today: they only run when the test says so.
        f.write(textwrap.dedent(f"""\
            tasks:
              - name: {TASK}
                type: debug.noop
                schedule: "0 0 1 1 *"
                description: "Browser test: started from the dashboard"
                config:
                  sleep: 1s
              - name: {FAILING}
                type: debug.noop
                schedule: "0 0 1 1 *"
                description: "Browser test: fails on purpose"
                config:
                  fail: true
                  message: "upstream answered 503: try again later"
              - name: {CLAIMS}
                type: claims.release_expired
                schedule: "0 0 1 1 *"
                description: "Browser test: claims left by a crashed browser"
                config:
                  database: app
                  table: task_claims
                  claimed_by_column: claimed_by
                  completed_column: extraction_complete
                  timeout_minutes: 15
              - name: {DRAFTS}
                type: drafts.mark_stale
                schedule: "0 0 1 1 *"
                description: "Browser test: generations stuck in pending"
                config:
                  database: app
                  table: creations
                  max_age_hours: 1
                  user_id_column: user_id
                  amount_column: tokens_cost
                  refund_sql: >-
                    INSERT INTO token_ledger (creation_id, user_id, amount)
                    VALUES (:id, :user_id, :amount)
            """))
    return os.path.join(directory, "maintd.yaml")


def seed_application(directory, claims, drafts):
    """Expired claims and stuck drafts in the application database, for the cleanup tasks."""
    with sqlite3.connect(os.path.join(directory, "app.db")) as db:
        db.executescript("""
            CREATE TABLE IF NOT EXISTS task_claims (id INTEGER PRIMARY KEY, claimed_by TEXT,
              claimed_at TEXT, extraction_complete INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS creations (id INTEGER PRIMARY KEY, user_id INTEGER,
              status TEXT NOT NULL, tokens_cost INTEGER, created_at TEXT, updated_at TEXT,
              error TEXT);
            CREATE TABLE IF NOT EXISTS token_ledger (id INTEGER PRIMARY KEY, creation_id INTEGER,
              user_id INTEGER, amount INTEGER);
            """)
        for _ in range(claims):
            db.execute("INSERT INTO task_claims (claimed_by, claimed_at) VALUES "
                       "('browser-17', datetime('now', '-40 minutes'))")
        for _ in range(drafts):
            db.execute("INSERT INTO creations (user_id, status, tokens_cost, created_at, "
                       "updated_at) VALUES (7, 'pending', 20, datetime('now', '-2 hours'), "
                       "datetime('now', '-2 hours'))")


def stamp(at):
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def seed_history(state_db):
    """A day of earlier runs in the state database, as the daemon would have recorded them, so
    that the strips, charts and the 24-hour timeline have something to show from the start."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    rows = []
    for task, kind in ((CLAIMS, "claims"), (DRAFTS, "drafts"), (TASK, "noop"),
                       (FAILING, "fail")):
        for hour in range(40, 0, -1):
            slot = now - datetime.timedelta(hours=hour, minutes=(hour * 7) % 50)
            took = datetime.timedelta(milliseconds=120 + (hour * 137) % 900)
            status, result, error = "completed", None, None
            if kind == "claims":
                result = {"released": (hour * 5) % 7, "remaining": 0}
            elif kind == "drafts":
                result = {"marked_failed": hour % 3, "refunded": hour % 3, "not_refunded": 0}
            elif kind == "noop":
                result = {"noop": True, "slept_seconds": 1}
            if kind == "fail" or (kind == "claims" and hour in (5, 17)):
                status, result, error = "failed", None, "upstream answered 503: try again later"
            rows.append((task, "debug.noop" if kind in ("noop", "fail") else
                         ("claims.release_expired" if kind == "claims" else "drafts.mark_stale"),
                         stamp(slot), status, stamp(slot), stamp(slot), stamp(slot + took),
                         stamp(slot + took), json.dumps(result) if result else None, error))
    with sqlite3.connect(state_db) as db:
        db.executemany(
            "INSERT INTO maintd_runs (task_name, task_type, trigger_type, scheduled_for, status, "
            "attempt, dry_run, config, instance_id, host, pid, heartbeat_at, created_at, "
            "started_at, finished_at, result, error) VALUES (?, ?, 'schedule', ?, ?, 1, 0, '{}', "
            "'seed', 'seed', 1, ?, ?, ?, ?, ?, ?)",
            [(t, ty, slot, st, hb, cr, sa, fi, re, er)
             for (t, ty, slot, st, cr, sa, fi, hb, re, er) in rows])


def runs_in_database(state_db, task, limit=50):
    """The task's newest runs as the strip should show them: (id, status), oldest first."""
    with sqlite3.connect(state_db) as db:
        rows = db.execute(
            "SELECT id, status FROM maintd_runs WHERE task_name = ? "
            "ORDER BY created_at DESC, id DESC LIMIT ?", (task, limit)).fetchall()
    return [[str(i), s] for (i, s) in reversed(rows)]


def api(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


def run_and_wait(port, task, timeout=20):
    """Starts a manual run of `task` through the API and waits until it has ended."""
    status, answer = api(port, "POST", f"/api/v1/scheduled-tasks/{urllib.parse.quote(task)}/run",
                         {})
    if status != 202:
        raise Failure(f"POST run {task}: {status} {answer}")
    run_id = answer["run_id"]

    def ended():
        status, body = api(port, "GET", f"/api/v1/runs/{run_id}")
        return status == 200 and body["run"]["status"] not in ("pending", "running")

    wait_until(f"run {run_id} of {task} to end", ended, timeout, interval=0.05)
    return str(run_id)


class Maintd:
    def __init__(self, binary, config, log_path):
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.process = subprocess.Popen(
            [binary, "serve", "--config", config],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()


# ---- Chromium and the DevTools Protocol ------------------------------------------------------


def find_chromium(explicit):
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    def __init__(self, binary, profile, log_path):
        self.profile = profile
        self.log_file = open(log_path, "w")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={profile}", "--window-size=1400,900", "about:blank"],
            stdout=self.log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def debugging_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")

        def read():
            if self.process.poll() is not None:
                raise Failure(f"chromium exited with status {self.process.returncode}")
            try:
                with open(path) as f:
                    first = f.readline().strip()
                return int(first) if first.isdigit() else None
            except OSError:
                return None

        return wait_until("chromium's DevToolsActivePort", read, 20)

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


class Page:
    """One tab, driven over its DevTools websocket."""

    def __init__(self, websocket_module, url):
        self.ws = websocket_module.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def close(self):
        self.ws.close()

    def send(self, method, timeout=20, **params):
        self.next_id += 1
        message_id = self.next_id
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise Failure(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
        raise Failure(f"no answer to {method} within {timeout}s")

    def wait_event(self, method, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["method"] == method:
                    del self.events[: index + 1]
                    return event.get("params", {})
            if time.monotonic() > deadline:
                raise Failure(f"no {method} within {timeout}s")
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except Exception as e:  # websocket's timeout exception, without importing its name
                if "timed out" in str(e).lower():
                    continue
                raise
            finally:
                self.ws.settimeout(30)
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise Failure(f"script failed: {expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def navigate(self, url):
        self.events.clear()
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise Failure(f"navigating to {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired")

    def submit_by(self, click_expression):
        """Clicks what `click_expression` finds (a submit button) and waits for the next page."""
        self.events.clear()
        clicked = self.evaluate(
            f"(() => {{ const e = {click_expression}; if (!e) return false; e.click(); "
            f"return true; }})()")
        if not clicked:
            raise Failure(f"nothing to click: {click_expression}")
        self.wait_event("Page.loadEventFired")

    def path(self):
        return self.evaluate("location.pathname")

    def text(self, selector):
        return self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            f"return e ? e.textContent : null; }})()")

    def set_width(self, width):
        """Lays the page out `width` CSS pixels wide (a narrow window, a wide one)."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=900,
                  deviceScaleFactor=1, mobile=False)

    def screenshot(self, path, width=1400):
        """The whole page at `width` CSS pixels."""
        self.set_width(width)
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        height = min(max(600, int(size["height"])), 4000)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        self.send("Emulation.clearDeviceMetricsOverride")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def open_page(websocket_module, port):
    def page_target():
        answer = http_get(port, "/json/list")
        if not answer or answer[0] != 200:
            return None
        for target in json.loads(answer[1]):
            if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
                return target["webSocketDebuggerUrl"]
        return None

    return Page(websocket_module, wait_until("a page target", page_target, 10))


# ---- the test --------------------------------------------------------------------------------


def check(condition, message):
    if not condition:
        raise Failure(message)


def run_test(page, base, port, work, shots, maintd):
    page.send("Page.enable")
    page.send("Runtime.enable")
    page.send("Network.enable")

    log("opening / without a cookie")
    page.navigate(base + "/")
    check(page.path() == "/login", f"expected a redirect to /login, got {page.path()}")
    check(page.evaluate("!!document.querySelector('input#token[type=password]')"),
          "the login page has no token field")

    log("logging in with a wrong token")
    page.evaluate("document.getElementById('token').value = 'not-the-token'")
    page.submit_by("document.querySelector('form[action=\"/login\"] button[type=submit]')")
    flash = page.text(".flash.error") or ""
    check("token" in flash.lower(), f"a wrong token should be refused on the page, got {flash!r}")
    cookies = page.send("Network.getCookies", urls=[base + "/"])["cookies"]
    check(not any(c["name"] == "maintd_token" for c in cookies),
          "a wrong token must not be stored")

    log("logging in with the token")
    page.evaluate(f"document.getElementById('token').value = {json.dumps(TOKEN)}")
    page.submit_by("document.querySelector('form[action=\"/login\"] button[type=submit]')")
    check(page.path() == "/", f"after logging in expected /, got {page.path()}")
    cookies = {c["name"]: c for c in page.send("Network.getCookies", urls=[base + "/"])["cookies"]}
    token_cookie = cookies.get("maintd_token")
    check(token_cookie is not None, f"no maintd_token cookie after login: {sorted(cookies)}")
    check(token_cookie["httpOnly"], "maintd_token must be HttpOnly")
    check(token_cookie.get("sameSite") == "Strict",
          f"maintd_token must be SameSite=Strict, is {token_cookie.get('sameSite')}")
    check(token_cookie.get("path") == "/", "maintd_token must have Path=/")
    check("maintd_csrf" in cookies, "no maintd_csrf cookie after login")
    check(page.evaluate("document.cookie.indexOf('maintd_token') < 0"),
          "the page's script can read maintd_token")

    row = f'tr[data-task="{TASK}"]'
    check(page.evaluate(f"!!document.querySelector({json.dumps(row)})"),
          f"the dashboard does not list {TASK}")

    log("clicking Run now")
    page.submit_by(f"document.querySelector({json.dumps(row + ' button[data-action=run]')})")
    flash = page.text(".flash.ok") or ""
    log(f"flash: {flash!r}")
    words = flash.split()
    run_id = next((w for w in words if w.isdigit()), None)
    check(run_id is not None and "started" in flash,
          f"expected a flash naming the started run, got {flash!r} "
          f"(error flash: {page.text('.flash.error')!r})")

    log(f"waiting for run {run_id} to complete on the task page")
    task_url = base + "/tasks/" + urllib.parse.quote(TASK, safe="")
    selector = json.dumps(f'tr.run[data-run="{run_id}"]')
    statuses = []

    def completed():
        page.navigate(task_url)
        status = page.evaluate(
            f"(() => {{ const r = document.querySelector({selector}); "
            f"return r ? r.dataset.status : null; }})()")
        if not statuses or statuses[-1] != status:
            statuses.append(status)
        return status in ("completed", "failed", "timed_out", "cancelled", "abandoned")

    wait_until(f"run {run_id} to finish", completed, 20, interval=0.3)
    check(statuses[-1] == "completed",
          f"run {run_id} ended {statuses[-1]}, not completed (seen: {statuses})")
    log(f"run {run_id} went through {' -> '.join(str(s) for s in statuses)}")
    # Its events are on the page (inside the run's details).
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    check(page.evaluate(f"document.querySelector({selector}).nextElementSibling"
                        f".textContent.includes('event')"),
          "the run's events are not shown")
    back_to_list_and_toggle(page, base, row, run_id)

    state_db = os.path.join(work, "state.db")
    check_marks_match_database(page, base, state_db)
    check_failed_run(page, base, port, state_db)
    check_live_update(page, base, port, state_db)
    check_task_page(page, base, state_db)
    check_overview(page, base)
    check_narrow(page, base)
    check_pause(page, base)
    take_screenshots(page, base, shots)
    check_connection_lost(page, base, shots, maintd)


def back_to_list_and_toggle(page, base, row, run_id):
    log("back on the dashboard: disable, then enable the task")
    page.navigate(base + "/")
    page.submit_by(f"document.querySelector({json.dumps(row + ' button[data-action=disable]')})")
    flash = page.text(".flash.ok") or ""
    check(flash == f"task {TASK} disabled", f"expected 'task {TASK} disabled', got {flash!r}")
    check(page.evaluate(f"document.querySelector({json.dumps(row)}).classList.contains('disabled')"),
          "the task's row does not show it disabled")
    page.submit_by(f"document.querySelector({json.dumps(row + ' button[data-action=enable]')})")
    flash = page.text(".flash.ok") or ""
    check(flash == f"task {TASK} enabled", f"expected 'task {TASK} enabled', got {flash!r}")
    page.navigate(base + "/")
    check(page.text(".flash") is None, "a flash message was shown twice")
    last = page.text(f"{row} td.last-run") or ""
    check("completed" in last and f"#{run_id}" in last,
          f"the dashboard's last run of {TASK} should be #{run_id} completed, got {last!r}")
    check(page.evaluate(f"!!document.querySelector({json.dumps(row + ' button[data-action=disable]')})"),
          "the task is not shown enabled again")


def marks_on_page(page, task):
    """The strip of `task`'s row: [[run id, status], ...] left to right."""
    row = json.dumps(f'tr[data-task="{task}"] svg.strip rect.mark')
    return page.evaluate(
        f"Array.from(document.querySelectorAll({row}))"
        f".map(m => [m.dataset.runId, m.dataset.status])")


def check_marks_match_database(page, base, state_db):
    log("every task's strip is its last 50 runs in the database, oldest first")
    page.navigate(base + "/")
    for task in (TASK, FAILING, CLAIMS, DRAFTS):
        expected = runs_in_database(state_db, task)
        shown = marks_on_page(page, task)
        check(shown == expected,
              f"{task}: the strip shows {len(shown)} runs {shown[-5:]}..., the database has "
              f"{len(expected)} {expected[-5:]}...")
        check(len(shown) == min(50, len(expected)), f"{task}: not the last 50 runs")
    # The strip's hover text names the slot, the duration and the result in words.
    claims_marks = json.dumps(f'tr[data-task="{CLAIMS}"] rect.mark title')
    titles = page.evaluate(
        f"Array.from(document.querySelectorAll({claims_marks})).map(t => t.textContent)")
    check(any("slot " in t and "released " in t for t in titles),
          f"the marks' hover text lacks the slot or the result in words: {titles[-3:]}")
    spark = json.dumps(f'tr[data-task="{CLAIMS}"] svg.spark polyline')
    check(page.evaluate(f"!!document.querySelector({spark})"), "the task has no duration sparkline")


def check_failed_run(page, base, port, state_db):
    log("a failed run is shown failed")
    run_id = run_and_wait(port, FAILING)
    page.navigate(base + "/")
    row = f'tr[data-task="{FAILING}"]'
    mark = json.dumps(f'{row} rect.mark[data-run-id="{run_id}"]')
    status = page.evaluate(f"(() => {{ const m = document.querySelector({mark}); "
                           f"return m ? [m.dataset.status, m.getAttribute('class')] : null; }})()")
    check(status == ["failed", "mark failed"], f"run {run_id}'s mark is {status}, not failed")
    fill = page.evaluate(f"getComputedStyle(document.querySelector({mark})).fill")
    check(fill == "rgb(217, 48, 37)", f"a failed mark is drawn {fill}, not red")
    last = page.text(f"{row} td.last-run") or ""
    check("failed" in last and f"#{run_id}" in last and "upstream answered 503" in last,
          f"the last run of {FAILING} should read failed with its error, got {last!r}")
    check(marks_on_page(page, FAILING) == runs_in_database(state_db, FAILING),
          "after the failed run the strip no longer matches the database")


def check_live_update(page, base, port, state_db):
    log("the list changes without a reload after a new run")
    page.navigate(base + "/")
    page.evaluate("window.__sameDocument = 'yes'")
    seed_application(os.path.dirname(state_db), claims=3, drafts=2)
    run_id = run_and_wait(port, CLAIMS)
    mark = json.dumps(f'tr[data-task="{CLAIMS}"] rect.mark[data-run-id="{run_id}"]')

    def shown():
        return page.evaluate(f"(() => {{ const m = document.querySelector({mark}); "
                             f"return m ? m.dataset.status : null; }})()") == "completed"

    wait_until(f"run {run_id} to appear on the list by itself", shown, 20, interval=0.25)
    check(page.evaluate("window.__sameDocument") == "yes", "the page was reloaded")
    words = page.text(f'tr[data-task="{CLAIMS}"] td.last-run .words') or ""
    check(words == "released 3 claims", f"the last run of {CLAIMS} reads {words!r}")
    status = page.text("#live-status") or ""
    check(status.startswith("live"), f"the live indicator says {status!r}")
    check(marks_on_page(page, CLAIMS) == runs_in_database(state_db, CLAIMS),
          "after the live update the strip does not match the database")
    # The drafts run's words, for the screenshots and the summary's second count.
    run_and_wait(port, DRAFTS)


def check_task_page(page, base, state_db):
    log("the task page has its charts, results in words and filters")
    page.navigate(base + "/tasks/" + urllib.parse.quote(CLAIMS, safe=""))
    charts = page.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('figure.chart')).map(f => "
        "[f.dataset.chart, f.querySelectorAll('circle.mark').length]))")
    runs = len(runs_in_database(state_db, CLAIMS, 200))
    check(charts.get("duration") == runs,
          f"the duration chart has {charts.get('duration')} points for {runs} runs")
    with sqlite3.connect(state_db) as db:
        kept = db.execute("SELECT COUNT(*) FROM maintd_runs WHERE task_name = ? AND "
                          "result IS NOT NULL", (CLAIMS,)).fetchone()[0]
    check(charts.get("headline") == kept,
          f"the headline chart has {charts.get('headline')} points for {kept} results")
    caption = page.text('figure[data-chart="headline"] figcaption')
    check(caption == "Claims released", f"the headline chart is called {caption!r}")
    words = page.evaluate("Array.from(document.querySelectorAll('tr.run td.result .words'))"
                          ".map(e => e.textContent)")
    check("released 3 claims" in words, f"the runs' results in words: {words[:5]}")
    page.navigate(base + "/tasks/" + urllib.parse.quote(CLAIMS, safe="") + "?status=failed")
    statuses = page.evaluate("Array.from(document.querySelectorAll('tr.run'))"
                             ".map(r => r.dataset.status)")
    check(statuses and all(s == "failed" for s in statuses),
          f"?status=failed shows runs {statuses}")
    check(page.evaluate("document.querySelector('select[name=status]').value") == "failed",
          "the status filter does not show its choice")


def check_overview(page, base):
    log("the 24-hour overview: failing tasks first, runs as marks on a time axis")
    page.navigate(base + "/overview")
    order = page.evaluate("Array.from(document.querySelectorAll('.timeline .row[data-task]'))"
                          ".map(r => r.dataset.task)")
    check(order and order[0] == FAILING, f"the failing task is not listed first: {order}")
    marks = page.evaluate("document.querySelectorAll('.timeline rect.mark[data-run-id]').length")
    check(marks > 20, f"the timeline shows {marks} marks")
    lane = json.dumps(f'.timeline .row[data-task="{TASK}"] rect.mark')
    xs = page.evaluate(
        f"Array.from(document.querySelectorAll({lane})).map(m => Number(m.getAttribute('x')))")
    check(xs == sorted(xs) and xs[0] < xs[-1], f"{TASK}'s marks are not spread in time: {xs}")


def check_narrow(page, base):
    log("at 800 px nothing scrolls sideways")
    for path in ("/", "/overview", "/tasks/" + urllib.parse.quote(CLAIMS, safe="")):
        page.set_width(800)
        page.navigate(base + path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        check(wide <= 800, f"{path} is {wide} px wide at 800 px")
    page.send("Emulation.clearDeviceMetricsOverride")


def check_pause(page, base):
    log("pausing every daemon from the form at the top, then Resume in the banner")
    page.navigate(base + "/")
    check(page.evaluate("!document.querySelector('.paused-banner')"), "a banner before any pause")
    page.evaluate("document.querySelector('#pause-form input[name=reason]').value = 'browser test'")
    page.evaluate("document.querySelector('#pause-form select[name=for]').value = '15m'")
    page.submit_by("document.querySelector('#pause-form button[type=submit]')")
    flash = page.text(".flash.ok") or ""
    check(flash.startswith("maintd is paused by the dashboard since"),
          f"expected the pause in the flash, got {flash!r} (error: {page.text('.flash.error')!r})")
    banner = page.text(".paused-banner") or ""
    check("browser test" in banner and "until" in banner, f"the banner does not say it: {banner!r}")
    check(page.evaluate("!document.querySelector('#pause-form')"), "the pause form while paused")
    page.submit_by("document.querySelector('.paused-banner button[type=submit]')")
    flash = page.text(".flash.ok") or ""
    check(flash.startswith("resumed"), f"expected 'resumed', got {flash!r}")
    check(page.evaluate("!document.querySelector('.paused-banner')"), "the banner after Resume")


def take_screenshots(page, base, shots):
    """Each page at 1400 and at 800 px (docs/dashboard.md shows them)."""
    for name, path in (("dashboard", "/"), ("dashboard-overview", "/overview"),
                       ("dashboard-task", "/tasks/" + urllib.parse.quote(CLAIMS, safe=""))):
        for width in (1400, 800):
            page.set_width(width)
            page.navigate(base + path)
            page.screenshot(os.path.join(shots, f"{name}-{width}.png"), width)
    log(f"screenshots in {shots}")


def check_connection_lost(page, base, shots, maintd):
    log("a lost connection is shown")
    page.navigate(base + "/")
    page.evaluate("window.__sameDocument = 'yes'")
    maintd.stop()

    def lost():
        return page.evaluate("document.body.dataset.connection") == "lost"

    wait_until("the page to show the connection lost", lost, 20, interval=0.25)
    banner = page.evaluate("(() => { const b = document.getElementById('connection-lost'); "
                           "return [getComputedStyle(b).display, b.textContent]; })()")
    check(banner[0] != "none" and "connection lost" in banner[1],
          f"the connection-lost banner is {banner}")
    check(page.evaluate("window.__sameDocument") == "yes", "the page was reloaded")
    page.screenshot(os.path.join(shots, "dashboard-connection-lost.png"), 1400)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maintd", required=True, help="the maintd binary")
    parser.add_argument("--screenshots", required=True,
                        help="the directory to save the pages' PNGs in (CI keeps them)")
    parser.add_argument("--docs", help="also copy the screenshots docs/dashboard.md shows here "
                                       "(docs/images)")
    parser.add_argument("--chromium", help="the browser (default: chromium on PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    chromium = find_chromium(args.chromium)
    if not chromium:
        print("SKIPPED: Chromium is not installed (apt-get install chromium; "
              "scripts/install-deps.sh installs it)", flush=True)
        return SKIP
    try:
        import websocket  # python3-websocket
    except ImportError:
        print("FAILED: the Python module 'websocket' is missing (apt-get install "
              "python3-websocket; scripts/install-deps.sh installs it)", flush=True)
        return 1

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="maintd-browser-")
    maintd = browser = page = None
    try:
        port = free_port()
        config = write_config(work, port)
        base = f"http://127.0.0.1:{port}"
        log(f"maintd serve on {base} ({work})")
        # A day of history first, as if the daemon had been running (the strips, charts and
        # the timeline have something to show), and work for the cleanup tasks.
        migrate = subprocess.run([args.maintd, "db", "migrate", "--config", config],
                                 capture_output=True, text=True)
        if migrate.returncode != 0:
            raise Failure(f"maintd db migrate: {migrate.stdout}{migrate.stderr}")
        seed_history(os.path.join(work, "state.db"))
        seed_application(work, claims=0, drafts=0)
        maintd = Maintd(args.maintd, config, os.path.join(work, "maintd.log"))

        def healthy():
            if maintd.process.poll() is not None:
                raise Failure(f"maintd serve exited with status {maintd.process.returncode}")
            answer = http_get(port, "/healthz")
            return answer is not None and answer[0] == 200

        wait_until("maintd's /healthz", healthy, 20)

        log(f"starting {chromium}")
        browser = Chromium(chromium, os.path.join(work, "profile"),
                           os.path.join(work, "chromium.log"))
        page = open_page(websocket, browser.debugging_port())
        run_test(page, base, port, work, args.screenshots, maintd)
        if args.docs:
            os.makedirs(args.docs, exist_ok=True)
            for name in sorted(os.listdir(args.screenshots)):
                if name.startswith("dashboard") and name.endswith(".png"):
                    shutil.copy(os.path.join(args.screenshots, name), args.docs)
            log(f"copied the screenshots to {args.docs}")
        log(f"PASSED in {time.monotonic() - started:.1f}s")
        return 0
    except Failure as e:
        print(f"FAILED: {e}", flush=True)
        if maintd:
            print("---- maintd serve output ----\n" + maintd.output()[-6000:], flush=True)
        return 1
    finally:
        if page:
            try:
                page.close()
            except Exception:
                pass
        if browser:
            browser.stop()
        if maintd:
            maintd.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
