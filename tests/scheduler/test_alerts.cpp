// Alerts: which are sent (kinds in `on`, one per task and kind within min_interval, on an
// injected clock), and how: the local HTTP(S) server of support/http_test_server.hpp records
// the webhooks' POSTs (body, headers, a retry after a 500, a receiver that never answers, https
// with the test CA as ca_file), and a command gets the alert on its stdin. What fails is logged
// once at warning level, never with a header value.
#include <doctest/doctest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/alerts.hpp"
#include "support/captured_log.hpp"
#include "support/files.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;
using maintd::Instant;
using maintd::config::NotifySettings;
using maintd::config::WebhookSettings;
using maintd::scheduler::Alert;
using maintd::scheduler::Alerts;
using maintd::testing::CapturedLog;
using maintd::testing::read_text;
using maintd::testing::TempDir;
using maintd::testing::TestHttpServer;
using maintd::testing::TestReply;
using maintd::testing::TestRequest;
using Tls = TestHttpServer::Tls;

namespace {

using Steady = std::chrono::steady_clock;

// A webhook receiver on 127.0.0.1: answers with `statuses` in order, then 204; silent: reads
// each request and never answers.
TestHttpServer receiver_of(std::vector<unsigned> statuses = {}, bool silent = false,
                           Tls tls = Tls::none) {
  return TestHttpServer(tls, [statuses, silent](const TestRequest&, std::size_t index) {
    if (silent) return TestReply{200, {}, "", true};
    const unsigned status = index < statuses.size() ? statuses[index] : 204;
    return TestReply{status, {}, status == 204 ? "" : "ok"};
  });
}

Alert alert(Alert::Kind kind, const std::string& task, std::optional<std::int64_t> run = 42) {
  Alert a;
  a.kind = kind;
  a.task = task;
  a.run = run;
  a.message = "run " + std::to_string(run.value_or(0)) + " of " + task + " went wrong";
  a.at = Instant(std::chrono::seconds(1795550400));  // 2026-11-24T20:00:00Z
  return a;
}

NotifySettings webhook_settings(const std::string& url, int retries = 0,
                                std::chrono::seconds timeout = 5s) {
  NotifySettings settings;
  WebhookSettings webhook;
  webhook.url = url;
  webhook.retries = retries;
  webhook.timeout = timeout;
  settings.webhooks.push_back(webhook);
  settings.min_interval = 0s;
  return settings;
}

Alerts::Options quick_retries() {
  Alerts::Options options;
  options.retry_backoff = 10ms;
  options.host = "test-host";
  return options;
}

std::chrono::milliseconds since(Steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start);
}

}  // namespace

TEST_CASE("alerts: the alert as JSON") {
  const auto with_run =
      maintd::scheduler::alert_json(alert(Alert::Kind::timed_out, "nightly"), "h");
  CHECK(with_run == nlohmann::json{{"kind", "timed_out"},
                                   {"task", "nightly"},
                                   {"run_id", 42},
                                   {"message", "run 42 of nightly went wrong"},
                                   {"at", "2026-11-24T20:00:00Z"},
                                   {"host", "h"}});
  const auto overdue =
      maintd::scheduler::alert_json(alert(Alert::Kind::overdue, "t", std::nullopt), "h");
  CHECK(overdue["kind"] == "overdue");
  CHECK(overdue["run_id"].is_null());
}

TEST_CASE("alerts: nothing configured sends nothing, a kind not in `on` is not sent") {
  auto receiver = receiver_of();
  Alerts alerts(quick_retries());
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::failed, "nightly")));  // not configured yet
  alerts.configure(NotifySettings{});                                // nowhere to send
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::failed, "nightly")));

  auto settings = webhook_settings(receiver.url());
  settings.on = {"failed", "overdue"};
  alerts.configure(settings);
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::timed_out, "nightly")));
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::abandoned, "nightly")));
  CHECK(alerts.raise(alert(Alert::Kind::failed, "nightly")));
  CHECK(alerts.raise(alert(Alert::Kind::overdue, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(nlohmann::json::parse(requests[0].body)["kind"] == "failed");
  CHECK(nlohmann::json::parse(requests[1].body)["kind"] == "overdue");
  CHECK(alerts.counts().queued == 2);
  CHECK(alerts.counts().delivered == 2);
}

TEST_CASE("alerts: at most one per task and kind within min_interval, on the injected clock") {
  auto receiver = receiver_of();
  Instant now(std::chrono::seconds(1795550400));
  Alerts::Options options = quick_retries();
  options.clock = [&now] { return now; };
  Alerts alerts(options);
  auto settings = webhook_settings(receiver.url());
  settings.min_interval = 5min;
  alerts.configure(settings);

  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::failed, "a")));  // the same, at once
  CHECK(alerts.raise(alert(Alert::Kind::timed_out, "a")));     // another kind
  CHECK(alerts.raise(alert(Alert::Kind::failed, "b")));        // another task
  now += 299s;
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::failed, "a")));
  now += 1s;
  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));  // min_interval after the first
  // A reload keeps what was sent.
  alerts.configure(settings);
  CHECK_FALSE(alerts.raise(alert(Alert::Kind::failed, "a")));
  now += 300s;
  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));

  REQUIRE(alerts.wait_idle(10s));
  CHECK(receiver.requests().size() == 5);
  const auto counts = alerts.counts();
  CHECK(counts.queued == 5);
  CHECK(counts.suppressed == 3);
  CHECK(counts.delivered == 5);
  CHECK(counts.failed == 0);
  // The alert's instant is the clock's when the caller gave none.
  Alert undated = alert(Alert::Kind::overdue, "c");
  undated.at = Instant{};
  CHECK(alerts.raise(undated));
  REQUIRE(alerts.wait_idle(10s));
  REQUIRE(receiver.requests().size() == 6);
  CHECK(nlohmann::json::parse(receiver.requests()[5].body)["at"] == "2026-11-24T20:10:00Z");
}

TEST_CASE("alerts: a webhook gets a POST of the alert as JSON with the configured headers") {
  CapturedLog log;
  auto receiver = receiver_of();
  Alerts alerts(quick_retries());
  auto settings = webhook_settings(receiver.url("/maintd/alerts?source=test"));
  settings.webhooks[0].headers = {{"Authorization", "Bearer s3cret-token"}, {"X-Team", "ops"}};
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "nightly")));
  REQUIRE(alerts.wait_idle(10s));

  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 1);
  const auto& request = requests[0];
  CHECK(request.method == "POST");
  CHECK(request.target == "/maintd/alerts?source=test");
  CHECK(request.header("content-type") == "application/json");
  CHECK(request.header("authorization") == "Bearer s3cret-token");
  CHECK(request.header("x-team") == "ops");
  CHECK(request.header("host") == "127.0.0.1:" + std::to_string(receiver.port()));
  CHECK(nlohmann::json::parse(request.body) ==
        nlohmann::json{{"kind", "failed"},
                       {"task", "nightly"},
                       {"run_id", 42},
                       {"message", "run 42 of nightly went wrong"},
                       {"at", "2026-11-24T20:00:00Z"},
                       {"host", "test-host"}});
  CHECK(log.warnings().empty());
  CHECK(log.all() == fmt::format("debug alert failed for task 'nightly' delivered to webhook "
                                 "http://127.0.0.1:{} (HTTP 204 No Content)\n",
                                 receiver.port()));
}

TEST_CASE("alerts: a webhook that answers 500 is tried again, and then delivered") {
  CapturedLog log;
  auto receiver = receiver_of({500, 200});
  Alerts alerts(quick_retries());
  alerts.configure(webhook_settings(receiver.url(), 2));
  CHECK(alerts.raise(alert(Alert::Kind::abandoned, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].body == requests[1].body);
  CHECK(alerts.counts().delivered == 1);
  CHECK(alerts.counts().failed == 0);
  CHECK(log.warnings().empty());
}

TEST_CASE(
    "alerts: a webhook that keeps failing is logged once, at warning level, without "
    "header values") {
  CapturedLog log;
  auto receiver = receiver_of({500, 503, 500});
  Alerts alerts(quick_retries());
  auto settings = webhook_settings(receiver.url("/hook/path-token"), 2);
  settings.webhooks[0].headers = {{"Authorization", "Bearer s3cret-token"}};
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(receiver.requests().size() == 3);
  CHECK(alerts.counts().failed == 1);
  CHECK(alerts.counts().delivered == 0);
  CHECK(log.warnings() ==
        std::vector<std::string>{fmt::format(
            "alert failed for task 'nightly' not delivered to webhook http://127.0.0.1:{}: HTTP "
            "500 Internal Server Error (3 attempts)",
            receiver.port())});
  CHECK(log.all().find("s3cret") == std::string::npos);
  CHECK(log.all().find("path-token") == std::string::npos);  // the path is not logged either
}

TEST_CASE("alerts: raising never waits, a webhook that never answers fails after its timeout") {
  CapturedLog log;
  auto receiver = receiver_of({}, true);
  Alerts alerts(quick_retries());
  alerts.configure(webhook_settings(receiver.url(), 0, 1s));
  const auto start = Steady::now();
  CHECK(alerts.raise(alert(Alert::Kind::failed, "nightly")));
  CHECK(since(start) < 200ms);
  REQUIRE(alerts.wait_idle(10s));
  const auto took = since(start);
  CHECK(took >= 900ms);
  CHECK(took < 3s);
  CHECK(receiver.requests().size() == 1);
  CHECK(alerts.counts().failed == 1);
  const auto warnings = log.warnings();
  REQUIRE(warnings.size() == 1);
  CHECK(
      warnings[0].starts_with(fmt::format("alert failed for task 'nightly' not delivered to "
                                          "webhook http://127.0.0.1:{}: Timeout was reached: "
                                          "Operation timed out after ",
                                          receiver.port())));
  CHECK(warnings[0].ends_with(" (1 attempt)"));
}

TEST_CASE("alerts: an https webhook with the CA given as ca_file") {
  CapturedLog log;
  auto receiver = receiver_of({}, false, Tls::server);
  Alerts alerts(quick_retries());
  auto settings = webhook_settings(receiver.url("/services/T0/B0"));
  settings.webhooks[0].ca_file = maintd::testing::test_certificates().ca.string();
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  REQUIRE(receiver.requests().size() == 1);
  CHECK(receiver.requests()[0].method == "POST");
  CHECK(nlohmann::json::parse(receiver.requests()[0].body)["task"] == "nightly");
  CHECK(alerts.counts().delivered == 1);
  CHECK(log.warnings().empty());
  CHECK(log.all() == fmt::format("debug alert failed for task 'nightly' delivered to webhook "
                                 "https://127.0.0.1:{} (HTTP 204 No Content)\n",
                                 receiver.port()));

  // Without it the server's certificate is not trusted: the problem is named, once (not retried).
  settings.webhooks[0].ca_file.clear();
  settings.webhooks[0].retries = 2;
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::timed_out, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(log.warnings() ==
        std::vector<std::string>{fmt::format(
            "alert timed_out for task 'nightly' not delivered to webhook https://127.0.0.1:{}: SSL "
            "peer certificate or SSH remote key was not OK: SSL certificate problem: unable to get "
            "local issuer certificate (1 attempt)",
            receiver.port())});
  CHECK(receiver.requests().size() == 1);
}

TEST_CASE("alerts: a webhook that answers 4xx or 3xx fails at once, without retries") {
  CapturedLog log;
  auto receiver = receiver_of({401, 302});
  Alerts alerts(quick_retries());
  alerts.configure(webhook_settings(receiver.url(), 2));
  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));
  CHECK(alerts.raise(alert(Alert::Kind::failed, "b")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(receiver.requests().size() == 2);
  CHECK(log.warnings() ==
        std::vector<std::string>{
            fmt::format("alert failed for task 'a' not delivered to webhook http://127.0.0.1:{}: "
                        "HTTP 401 Unauthorized (1 attempt)",
                        receiver.port()),
            fmt::format("alert failed for task 'b' not delivered to webhook http://127.0.0.1:{}: "
                        "HTTP 302 Found (1 attempt)",
                        receiver.port())});
}

TEST_CASE("alerts: a webhook nobody listens on is refused") {
  CapturedLog log;
  const auto port = maintd::testing::unused_port();
  Alerts alerts(quick_retries());
  alerts.configure(webhook_settings("http://127.0.0.1:" + std::to_string(port) + "/x", 1));
  CHECK(alerts.raise(alert(Alert::Kind::timed_out, "nightly")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(log.warnings() ==
        std::vector<std::string>{fmt::format(
            "alert timed_out for task 'nightly' not delivered to webhook http://127.0.0.1:{}: "
            "Couldn't connect to server: Failed to connect to 127.0.0.1 port {} after 0 ms: "
            "Connection refused (2 attempts)",
            port, port)});
}

TEST_CASE(
    "alerts: shutdown waits for one attempt at most, and retries and queued alerts are not "
    "sent") {
  CapturedLog log;
  auto receiver = receiver_of({}, true);
  std::chrono::milliseconds took{};
  {
    std::optional<Alerts> alerts;
    alerts.emplace();  // the real backoff: 1s, 2s, 4s...
    alerts->configure(webhook_settings(receiver.url(), 5, 1s));
    CHECK(alerts->raise(alert(Alert::Kind::failed, "first")));
    CHECK(alerts->raise(alert(Alert::Kind::failed, "second")));
    CHECK(alerts->raise(alert(Alert::Kind::failed, "third")));
    REQUIRE(receiver.wait_for(1));
    const auto start = Steady::now();
    alerts.reset();
    took = since(start);
  }
  CHECK(took < 1500ms);
  CHECK(receiver.requests().size() == 1);
  auto warnings = log.warnings();
  std::sort(warnings.begin(), warnings.end());
  REQUIRE(warnings.size() == 3);
  CHECK(
      warnings[0].starts_with(fmt::format("alert failed for task 'first' not delivered to "
                                          "webhook http://127.0.0.1:{}: Timeout was reached: ",
                                          receiver.port())));
  CHECK(warnings[0].ends_with("; not tried again: maintd is stopping (1 attempt)"));
  CHECK(warnings[1] == "alert failed for task 'second' not sent: maintd is stopping");
  CHECK(warnings[2] == "alert failed for task 'third' not sent: maintd is stopping");
}

TEST_CASE(
    "alerts: a command gets the alert as JSON on stdin, its kind and task in its "
    "environment") {
  CapturedLog log;
  TempDir dir;
  const auto file = dir.path() / "alert.json";
  NotifySettings settings;
  settings.min_interval = 0s;
  settings.command = {"/bin/sh", "-c",
                      "cat > \"$0\"; echo \"$MAINTD_ALERT_KIND $MAINTD_ALERT_TASK\" > \"$0.env\"",
                      file.string()};
  Alerts alerts(quick_retries());
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::overdue, "nightly", std::nullopt)));
  REQUIRE(alerts.wait_idle(10s));
  const auto sent = nlohmann::json::parse(read_text(file));
  CHECK(sent == nlohmann::json{{"kind", "overdue"},
                               {"task", "nightly"},
                               {"run_id", nullptr},
                               {"message", "run 0 of nightly went wrong"},
                               {"at", "2026-11-24T20:00:00Z"},
                               {"host", "test-host"}});
  CHECK(read_text(file.string() + ".env") == "overdue nightly\n");
  CHECK(alerts.counts().delivered == 1);
  CHECK(log.warnings().empty());
}

TEST_CASE("alerts: a command that fails, hangs, ignores its stdin or is missing") {
  CapturedLog log;
  Alerts alerts(quick_retries());
  NotifySettings settings;
  settings.min_interval = 0s;
  settings.command_timeout = 1s;

  settings.command = {"/bin/sh", "-c", "echo first >&2; echo 'it broke' >&2; exit 3"};
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));
  REQUIRE(alerts.wait_idle(10s));

  settings.command = {"/bin/sh", "-c", "exec sleep 30"};
  alerts.configure(settings);
  const auto start = Steady::now();
  CHECK(alerts.raise(alert(Alert::Kind::failed, "b")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(since(start) < 3s);

  // It exits without reading a large alert: no SIGPIPE for maintd, and status 0 is a success.
  settings.command = {"true"};
  alerts.configure(settings);
  Alert large = alert(Alert::Kind::failed, "c");
  large.message.assign(1 << 20, 'x');
  CHECK(alerts.raise(large));
  REQUIRE(alerts.wait_idle(10s));

  settings.command = {"/nonexistent/notify"};
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "d")));
  settings.command = {"no-such-program-for-maintd"};
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "e")));
  REQUIRE(alerts.wait_idle(10s));

  CHECK(log.warnings() ==
        std::vector<std::string>{
            "alert failed for task 'a' not delivered to command /bin/sh: exited with status 3: "
            "it broke",
            "alert failed for task 'b' not delivered to command /bin/sh: killed: still running "
            "after 1s (notify.command_timeout)",
            "alert failed for task 'd' not delivered to command /nonexistent/notify: program "
            "'/nonexistent/notify' does not exist or is not executable",
            "alert failed for task 'e' not delivered to command no-such-program-for-maintd: "
            "program 'no-such-program-for-maintd' not found in PATH"});
  CHECK(alerts.counts().delivered == 1);
  CHECK(alerts.counts().failed == 4);
}

TEST_CASE("alerts: a webhook and a command both get every alert") {
  auto receiver = receiver_of();
  TempDir dir;
  const auto file = dir.path() / "alerts.log";
  auto settings = webhook_settings(receiver.url());
  settings.command = {"/bin/sh", "-c", "cat >> \"$0\"; echo >> \"$0\"", file.string()};
  Alerts alerts(quick_retries());
  alerts.configure(settings);
  CHECK(alerts.raise(alert(Alert::Kind::failed, "a")));
  CHECK(alerts.raise(alert(Alert::Kind::abandoned, "b")));
  REQUIRE(alerts.wait_idle(10s));
  CHECK(receiver.requests().size() == 2);
  const auto lines = read_text(file);
  CHECK(std::count(lines.begin(), lines.end(), '\n') == 2);
  CHECK(alerts.counts().delivered == 4);
}
