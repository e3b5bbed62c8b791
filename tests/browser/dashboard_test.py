#!/usr/bin/env python3
"""Browser test of the dashboard: the real `maintd serve`, a real headless Chromium.

Starts `maintd serve` on a throwaway configuration (SQLite state database, one task on a far
schedule with a fast handler, the admin HTTP server on a free loopback port with a token), starts
`chromium --headless=new`, and drives it over the Chrome DevTools Protocol (a websocket, through
python3-websocket; no npm, no webdriver):

  1. /           -> redirected to /login (a token is configured)
  2. /login      -> a wrong token is refused (401 page), then the right one is typed and submitted:
                    back on /, the token cookie is HttpOnly and SameSite=Strict
  3. "Run now" on the task -> the flash message names the new run
  4. /tasks/NAME -> reloaded until that run shows as completed (bounded wait)
  5. a screenshot of the dashboard is saved where --screenshot says (CI keeps it as an artifact),
     and one of the task page next to it

Exit codes: 0 passed, 1 failed (with the reason, and maintd's log), 77 skipped because Chromium
is not installed (CTest's SKIP_RETURN_CODE).

    tests/browser/dashboard_test.py --maintd build/dev/maintd \
        --screenshot build/dev/artifacts/dashboard.png
"""

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

SKIP = 77
TOKEN = "browser-test-token-0123456789abcdef"
TASK = "browser-noop"


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


# ---- maintd ---------------------------------------------------------------------------------


def write_config(directory, port):
    os.makedirs(os.path.join(directory, "schedules"))
    with open(os.path.join(directory, "maintd.yaml"), "w") as f:
        f.write(textwrap.dedent(f"""\
            state_database: sqlite3://state.db
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
        # Once a year, on a day that is not today: it only runs when the button says so.
        f.write(textwrap.dedent(f"""\
            tasks:
              - name: {TASK}
                type: debug.noop
                schedule: "0 0 1 1 *"
                description: "Browser test: started from the dashboard"
                config:
                  sleep: 1s
            """))
    return os.path.join(directory, "maintd.yaml")


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

    def screenshot(self, path):
        # The whole page, not just the window.
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        width = max(1400, int(size["width"]))
        height = min(max(900, int(size["height"])), 4000)
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


def run_test(page, base, screenshot):
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
    task_shot = os.path.join(os.path.dirname(os.path.abspath(screenshot)), "dashboard-task.png")
    page.screenshot(task_shot)

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
    page.screenshot(screenshot)
    log(f"screenshots: {screenshot}, {task_shot}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maintd", required=True, help="the maintd binary")
    parser.add_argument("--screenshot", required=True, help="where to save the PNG")
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
        run_test(page, base, args.screenshot)
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
