// Alerts in the configuration: the expect_success_within policy (defaults and tasks) and
// `notify:` (webhooks, command, kinds, rate limit), each problem with its place and its exact
// message; header values are secrets and never appear in one.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/load_helper.hpp"
#include "config/loader.hpp"
#include "support/temp_dir.hpp"
#include "support/test_registry.hpp"

using maintd::testing::load;
using maintd::testing::Loaded;
using maintd::testing::TempDir;
using std::chrono::seconds;

namespace {

// A maintd.yaml of `settings` and one schedule file of `tasks`, loaded.
Loaded load_files(const std::string& settings, const std::string& tasks = "tasks: []\n") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [a.yaml]\n" + settings);
  dir.write("a.yaml", tasks);
  return load(dir);
}

}  // namespace

TEST_CASE("config: expect_success_within: defaults, per task, 0s to not watch") {
  const auto loaded = load_files("defaults: {expect_success_within: 2h}\n", R"(tasks:
  - {name: inherits, type: debug.noop, schedule: "@hourly"}
  - {name: own, type: debug.noop, schedule: "@hourly", expect_success_within: 1d12h}
  - {name: unwatched, type: debug.noop, schedule: "@hourly", expect_success_within: 0s}
)");
  CHECK(loaded.printed == "");
  REQUIRE(loaded.result.config.has_value());
  const auto& config = *loaded.result.config;
  CHECK(config.default_policies.expect_success_within == seconds(7200));
  REQUIRE(config.tasks.size() == 3);
  CHECK(config.tasks[0].policies.expect_success_within == seconds(7200));
  CHECK(config.tasks[1].policies.expect_success_within == seconds(36 * 3600));
  CHECK_FALSE(config.tasks[2].policies.expect_success_within.has_value());

  const auto plain = load_files("", "tasks: [{name: t, type: debug.noop, schedule: '@daily'}]\n");
  REQUIRE(plain.result.config.has_value());
  CHECK_FALSE(plain.result.config->tasks[0].policies.expect_success_within.has_value());
}

TEST_CASE("config: expect_success_within errors name the place, the value and the fix") {
  const std::vector<std::pair<std::string, std::string>> task_rows = {
      {"2", "a.yaml:2:76: expect_success_within: 2 has no unit (write 2s, 2m, 2h or 2d)"},
      {"soon",
       "a.yaml:2:76: expect_success_within: bad duration 'soon' (use a number and a unit: 90s, "
       "15m, 2h, 1d, or 1h30m)"},
      {"30s",
       "a.yaml:2:76: expect_success_within: 30s is too short: give at least 1m (overdue tasks are "
       "looked for every 30s), or 0s to not watch the task"},
      {"[1h]",
       "a.yaml:2:76: expect_success_within: expected a duration such as 90s, 15m, 2h or 1d, got a "
       "list"},
  };
  for (const auto& [value, message] : task_rows) {
    CAPTURE(value);
    const auto loaded = load_files(
        "", "tasks:\n  - {name: t, type: debug.noop, schedule: '@daily', expect_success_within: " +
                value + "}\n");
    CHECK(loaded.printed == message + "\n");
    CHECK_FALSE(loaded.result.config.has_value());
  }
  const auto defaults = load_files("defaults:\n  expect_success_within: 59s\n");
  CHECK(defaults.printed ==
        "maintd.yaml:3:26: defaults.expect_success_within: 59s is too short: give at least 1m "
        "(overdue tasks are looked for every 30s), or 0s to not watch the task\n");
  const auto typo = load_files("defaults:\n  expect_success_witin: 1h\n");
  CHECK(typo.printed ==
        "maintd.yaml:3:3: unknown key 'defaults.expect_success_witin' (did you mean "
        "'expect_success_within'?)\n");
}

TEST_CASE("config: notify: webhooks, command, kinds and rate limit") {
  TempDir dir;
  dir.write("hook-token", "Bearer s3cret-token\n");
  dir.write("maintd.yaml", R"(notify:
  webhooks:
    - url: http://hooks.internal:8080/maintd/alerts?source=maintd
      timeout: 3s
      retries: 4
      headers:
        Authorization_file: hook-token
        X-Team: ops
    - url: http://[::1]/x
    - url: https://hooks.slack.example/services/T0/B0
      ca_file: /etc/maintd/hooks-ca.pem
  command: [/usr/local/bin/page-oncall, --team, ops]
  command_timeout: 20s
  on: [failed, overdue]
  min_interval: 15m
)");
  const auto loaded = load(dir);
  CHECK(loaded.printed == "");
  REQUIRE(loaded.result.config.has_value());
  const auto& notify = loaded.result.config->notify;
  REQUIRE(notify.webhooks.size() == 3);
  CHECK(notify.webhooks[0].url == "http://hooks.internal:8080/maintd/alerts?source=maintd");
  CHECK(notify.webhooks[0].timeout == seconds(3));
  CHECK(notify.webhooks[0].retries == 4);
  CHECK(notify.webhooks[0].headers ==
        std::map<std::string, std::string>{{"Authorization", "Bearer s3cret-token"},
                                           {"X-Team", "ops"}});
  CHECK(notify.webhooks[1].timeout == seconds(5));  // the defaults
  CHECK(notify.webhooks[1].retries == 2);
  CHECK(notify.webhooks[1].ca_file.empty());  // the system's CAs
  // https, with a CA of its own: a path (ca_file is no *_file value), read by TLS when it sends.
  CHECK(notify.webhooks[2].url == "https://hooks.slack.example/services/T0/B0");
  CHECK(notify.webhooks[2].ca_file == "/etc/maintd/hooks-ca.pem");
  CHECK(notify.command == std::vector<std::string>{"/usr/local/bin/page-oncall", "--team", "ops"});
  CHECK(notify.command_timeout == seconds(20));
  CHECK(notify.on == std::vector<std::string>{"failed", "overdue"});
  CHECK(notify.min_interval == seconds(900));

  // Without `notify:`: nothing is sent, every kind would be.
  const auto none = load_files("");
  REQUIRE(none.result.config.has_value());
  CHECK(none.result.config->notify.webhooks.empty());
  CHECK(none.result.config->notify.command.empty());
  CHECK(none.result.config->notify.on.size() == 5);
  CHECK(none.result.config->notify.min_interval == seconds(300));
}

TEST_CASE("config: notify errors, each at its place with the reason") {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"notify:\n  webhooks: [{url: 'ftp://hooks/x'}]\n",
       "maintd.yaml:3:20: notify.webhooks[0].url: 'ftp://hooks/x': the scheme 'ftp' is not http "
       "or https (http://host[:port]/path or https://host[:port]/path)"},
      {"notify:\n  webhooks: [{url: hooks.internal/x}]\n",
       "maintd.yaml:3:20: notify.webhooks[0].url: 'hooks.internal/x' has no scheme "
       "(http://host[:port]/path or https://host[:port]/path)"},
      {"notify:\n  webhooks: [{url: 'http://:80/x'}]\n",
       "maintd.yaml:3:20: notify.webhooks[0].url: 'http://:80/x' is not a valid URL: No host "
       "part in the URL (http://host[:port]/path or https://host[:port]/path)"},
      {"notify:\n  webhooks: [{url: 'https://h:99999/x?token=t0k3n'}]\n",
       "maintd.yaml:3:20: notify.webhooks[0].url: 'https://h:99999/x?token=***' is not a valid "
       "URL: Port number was not a decimal number between 0 and 65535 (http://host[:port]/path "
       "or https://host[:port]/path)"},
      {"notify:\n  webhooks: [{url: 'http://user:pa55word@h/x'}]\n",
       "maintd.yaml:3:20: notify.webhooks[0].url: the URL has credentials before '@' (not "
       "shown): send them in a header instead (e.g. headers: {Authorization_file: "
       "webhook-token})"},
      {"notify:\n  webhooks: [{url: 'https://h/x', ca_file: certs/ca.pem}]\n",
       "maintd.yaml:3:44: notify.webhooks[0].ca_file: 'certs/ca.pem' is not an absolute path (the "
       "PEM file of the CAs to trust, e.g. /etc/maintd/hooks-ca.pem)"},
      {"notify:\n  webhooks: [{timeout: 5s}]\n",
       "maintd.yaml:3:14: missing required key 'notify.webhooks[0].url'"},
      {"notify:\n  webhooks: [{url: 'http://h/x', timout: 5s}]\n",
       "maintd.yaml:3:34: unknown key 'notify.webhooks[0].timout' (did you mean 'timeout'?)"},
      {"notify:\n  webhooks: [{url: 'http://h/x', timeout: 0s}]\n",
       "maintd.yaml:3:43: notify.webhooks[0].timeout: must be longer than 0s"},
      {"notify:\n  webhooks: [{url: 'http://h/x', timeout: 2m}]\n",
       "maintd.yaml:3:43: notify.webhooks[0].timeout: 2m is too long: at most 1m (a delivery in "
       "progress holds up shutdown for up to this long)"},
      {"notify:\n  webhooks: [{url: 'http://h/x', retries: 11}]\n",
       "maintd.yaml:3:43: notify.webhooks[0].retries: 11 is out of range 0-10"},
      {"notify:\n  webhooks: {url: 'http://h/x'}\n",
       "maintd.yaml:3:13: notify.webhooks: expected a list of webhooks (each a map with 'url'), "
       "got a map"},
      {"notify:\n  webhooks: ['http://h/x']\n",
       "maintd.yaml:3:14: notify.webhooks[0]: expected a map with 'url', got a string "
       "('http://h/x')"},
      {"notify:\n  webhooks: [{url: 'http://h/x', headers: {'Bad Name': x}}]\n",
       "maintd.yaml:3:44: notify.webhooks[0].headers: 'Bad Name' is not a valid header name"},
      {"notify:\n  webhooks: [{url: 'http://h/x', headers: {Content-Length: '5'}}]\n",
       "maintd.yaml:3:44: notify.webhooks[0].headers.Content-Length: maintd sets this header "
       "itself"},
      {"notify:\n  webhooks: [{url: 'http://h/x', headers: {X-Token: [a, b]}}]\n",
       "maintd.yaml:3:53: notify.webhooks[0].headers.X-Token: expected a string (or "
       "X-Token_file: a file holding it), got a list"},
      {"notify:\n  command: /usr/bin/curl -d @- http://h/x\n",
       "maintd.yaml:3:12: notify.command: expected a list: the program and its arguments, run "
       "without a shell (e.g. [/usr/local/bin/page-oncall, --team, ops]), got a string "
       "('/usr/bin/curl -d @- http://h/x')"},
      {"notify:\n  command: []\n",
       "maintd.yaml:3:12: notify.command: the list is empty: give the program and its arguments"},
      {"notify:\n  command: [x]\n  command_timeout: 0s\n",
       "maintd.yaml:4:20: notify.command_timeout: must be longer than 0s"},
      {"notify:\n  command: [x]\n  on: [failed, timedout]\n",
       "maintd.yaml:4:16: notify.on: unknown alert kind 'timedout' (did you mean 'timed_out'?) "
       "(kinds: failed, timed_out, abandoned, overdue, paused)"},
      {"notify:\n  command: [x]\n  on: stale\n",
       "maintd.yaml:4:7: notify.on: unknown alert kind 'stale' (kinds: failed, timed_out, "
       "abandoned, overdue, paused)"},
      {"notify:\n  command: [x]\n  min_interval: 5\n",
       "maintd.yaml:4:17: notify.min_interval: 5 has no unit (write 5s, 5m, 5h or 5d)"},
      {"notify:\n  command: [x]\n  webhook: []\n",
       "maintd.yaml:4:3: unknown key 'notify.webhook' (did you mean 'webhooks'?)"},
      {"notify: [x]\n",
       "maintd.yaml:2:9: notify: expected a map with 'webhooks' and/or 'command', got a list"},
      {"notifi: {}\n", "maintd.yaml:2:1: unknown key 'notifi' (did you mean 'notify'?)"},
  };
  for (const auto& [settings, message] : rows) {
    CAPTURE(settings);
    const auto loaded = load_files(settings);
    CHECK(loaded.printed == message + "\n");
    CHECK_FALSE(loaded.result.config.has_value());
  }
}

TEST_CASE("config: notify without webhooks or command warns that alerts are only logged") {
  const auto loaded = load_files("notify:\n  min_interval: 1h\n");
  CHECK(loaded.printed ==
        "maintd.yaml:3:3: warning: notify: no webhooks and no command: alerts are only logged\n");
  CHECK(loaded.result.config.has_value());
}

TEST_CASE("config: a webhook header value is a secret: no message shows it") {
  TempDir dir;
  dir.write("token", "Bearer s3cret\r\nX-Injected: yes\n");
  dir.write("maintd.yaml", R"(notify:
  webhooks:
    - url: http://hooks.internal/x
      headers: {Authorization_file: token, X-Other: "an0ther\nsecret"}
)");
  const auto loaded = load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(loaded.printed ==
        "maintd.yaml:4:37: notify.webhooks[0].headers.Authorization: the value holds a line break "
        "or a NUL byte (not shown: header values may be secrets)\n"
        "maintd.yaml:4:53: notify.webhooks[0].headers.X-Other: the value holds a line break or a "
        "NUL byte (not shown: header values may be secrets)\n");
  CHECK(loaded.printed.find("s3cret") == std::string::npos);
  CHECK(loaded.printed.find("an0ther") == std::string::npos);

  // An unreadable *_file says which file, not what a header would hold.
  dir.write("maintd.yaml", R"(notify:
  webhooks: [{url: http://h/x, headers: {Authorization_file: missing}}]
)");
  const auto missing = load(dir);
  CHECK(missing.printed ==
        "maintd.yaml:2:62: cannot read Authorization_file 'missing': No such file or directory\n");
}

TEST_CASE("config: webhook URLs: http and https, credentials refused without being shown") {
  using maintd::config::webhook_url_problem;
  CHECK_FALSE(webhook_url_problem("http://hooks.internal:8080/a/b?c=d#frag").has_value());
  CHECK_FALSE(webhook_url_problem("HTTPS://hooks.example/x").has_value());
  CHECK_FALSE(webhook_url_problem("http://[::1]:9000/hook").has_value());
  CHECK(webhook_url_problem("https://bot:pa55@hooks.example/x") ==
        "the URL has credentials before '@' (not shown): send them in a header instead (e.g. "
        "headers: {Authorization_file: webhook-token})");
  CHECK(webhook_url_problem("http://h/a b").value_or("") ==
        "'http://h/a b' is not a valid URL: Bad path "
        "(http://host[:port]/path or https://host[:port]/path)");
}
