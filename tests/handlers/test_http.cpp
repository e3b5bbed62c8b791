// http.request against the local HTTPS server (support/http_test_server.hpp): the request it
// sends (method, headers, placeholders, bearer token), the answer as its result, retries with
// Retry-After, failures and their messages, dry runs, cancellation and the task's deadline, and
// secrets kept out of every event, error and result. The config's rules, each with its message.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.hpp"
#include "config/redact.hpp"
#include "handler_fixture.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using Tls = TestHttpServer::Tls;

namespace {

// A context for http.request with `config` (schema-checked with its rules, defaults filled in),
// as run 42 of task "release-claims" for the slot 2026-11-25T12:00:00Z.
std::unique_ptr<HandlerRun> http_run(json config, bool dry_run = false) {
  const auto& info = handler("http.request");
  for (const auto& issue : info.schema.check(config, {})) {
    FAIL_CHECK("config." << issue.key << ": " << issue.message);
  }
  auto run = std::make_unique<HandlerRun>();
  run->context.task_name = "release-claims";
  run->context.type = "http.request";
  run->context.run_id = 42;
  run->context.slot = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 12h;
  run->context.config = info.schema.with_defaults(config);
  run->context.dry_run = dry_run;
  run->context.cancelled = run->stop.get_token();
  run->context.on_event = [events = run->events](registry::EventLevel level, std::string_view event,
                                                 std::string_view message) {
    events->push_back({level, std::string(event), std::string(message)});
  };
  return run;
}

json trusted(json config) {
  config["ca_file"] = test_certificates().ca.string();
  return config;
}

std::string events_text(const HandlerRun& run) {
  std::string out;
  for (const auto& e : *run.events) out += e.event + ": " + e.message + "\n";
  return out;
}

std::string event(const HandlerRun& run, const std::string& name) {
  for (const auto& e : *run.events)
    if (e.event == name) return e.message;
  return "";
}

// The error a run fails with.
std::string failure_of(HandlerRun& run) {
  try {
    handler("http.request").run(run.context);
  } catch (const std::exception& e) {
    return e.what();
  }
  FAIL_CHECK("the run did not fail");
  return "";
}

// The messages of the schema's check of `config`, key: message.
std::vector<std::string> problems(const json& config) {
  std::vector<std::string> out;
  for (const auto& issue : handler("http.request").schema.check(config, {})) {
    out.push_back(issue.key + ": " + issue.message);
  }
  return out;
}

}  // namespace

TEST_CASE("handlers: http: a POST of json with the run's values, the JSON answer its result") {
  TestHttpServer server(Tls::server, replies({{200,
                                               {{"Content-Type", "application/json"}},
                                               R"({"success": true, "released_count": 5})"}}));
  auto run =
      http_run(trusted({{"url", server.url("/api/maintenance/release-expired?timeout_minutes=15")},
                        {"method", "POST"},
                        {"bearer_token", "s3cret-token"},
                        {"headers", {{"X-Source", "maintd"}}},
                        {"json",
                         {{"run", "{run_id}"},
                          {"task", "{task}"},
                          {"slot", "{slot}"},
                          {"dry_run", "{dry_run}"},
                          {"note", "run {run_id} of {task} at {slot}"}}}}));
  const json result = handler("http.request").run(run->context);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/api/maintenance/release-expired?timeout_minutes=15");
  CHECK(seen[0].header("authorization") == "Bearer s3cret-token");
  CHECK(seen[0].header("x-source") == "maintd");
  CHECK(seen[0].header("content-type") == "application/json");
  CHECK(json::parse(seen[0].body) ==
        json{{"run", 42},
             {"task", "release-claims"},
             {"slot", "2026-11-25T12:00:00Z"},
             {"dry_run", false},
             {"note", "run 42 of release-claims at 2026-11-25T12:00:00Z"}});
  CHECK(result["status"] == 200);
  CHECK(result["reason"] == "OK");
  CHECK(result["method"] == "POST");
  CHECK(result["attempts"] == 1);
  CHECK(result["body"] == json{{"success", true}, {"released_count", 5}});
  CHECK(result["truncated"] == false);
  CHECK(result["duration_ms"].is_number_integer());
  CHECK(result["elapsed_ms"].is_number_integer());
  CHECK(event(*run, "request") ==
        "POST " + server.url("/api/maintenance/release-expired?timeout_minutes=15"));
  CHECK(event(*run, "response").starts_with("HTTP 200 OK in "));
  CHECK(contains(event(*run, "response"), " bytes of application/json"));
}

TEST_CASE("handlers: http: a text body with placeholders, a manual run has no slot") {
  TestHttpServer server(Tls::none, replies({{204}}));
  auto run = http_run({{"url", server.url("/hook")},
                       {"method", "PUT"},
                       {"body", "task={task}&run={run_id}&slot={slot}&{other}"}});
  run->context.slot.reset();
  const json result = handler("http.request").run(run->context);
  CHECK(server.requests().at(0).body == "task=release-claims&run=42&slot=&{other}");
  CHECK(server.requests().at(0).header("content-type") == "text/plain; charset=utf-8");
  CHECK(result["status"] == 204);
  CHECK(result["body"] == "");
}

TEST_CASE("handlers: http: 503 then 200, and 429 with Retry-After, are tried again") {
  TestHttpServer server(Tls::server, replies({{503, {{"Retry-After", "0"}}, "busy"},
                                              {429, {{"Retry-After", "0"}}, "slow down"},
                                              {200, {}, "done"}}));
  auto run = http_run(trusted({{"url", server.url("/x")}}));
  const json result = handler("http.request").run(run->context);
  CHECK(result["status"] == 200);
  CHECK(result["attempts"] == 3);
  CHECK(result["body"] == "done");
  std::vector<std::string> retries;
  for (const auto& e : *run->events) {
    if (e.event == "retry") {
      CHECK(e.level == registry::EventLevel::warning);
      retries.push_back(e.message);
    }
  }
  CHECK(retries ==
        std::vector<std::string>{"attempt 1 of 3: HTTP 503 Service Unavailable; trying again in 0s "
                                 "(Retry-After)",
                                 "attempt 2 of 3: HTTP 429 Too Many Requests; trying again in 0s "
                                 "(Retry-After)"});
  CHECK(contains(event(*run, "response"), ", after 3 attempts"));
}

TEST_CASE("handlers: http: an unexpected status fails the run with the status and the answer") {
  TestHttpServer server(Tls::server,
                        replies({{404, {}, "no such endpoint\nat all"}, {200, {}, "fine"}}));
  auto run = http_run(trusted({{"url", server.url("/nope")}}));
  CHECK(failure_of(*run) == fmt::format("http.request: GET {}: HTTP 404 Not Found, expected 2xx: "
                                        "no such endpoint at all",
                                        server.url("/nope")));
  CHECK(event(*run, "response") == fmt::format("GET {}: HTTP 404 Not Found, expected 2xx: no such "
                                               "endpoint at all",
                                               server.url("/nope")));
  // expect_status: only those complete it.
  run = http_run(trusted({{"url", server.url("/ok")}, {"expect_status", {201, 202, 204}}}));
  CHECK(failure_of(*run) == fmt::format("http.request: GET {}: HTTP 200 OK, expected 201, 202 or "
                                        "204: fine",
                                        server.url("/ok")));
}

TEST_CASE("handlers: http: retries run out, or would end after the task's timeout") {
  TestHttpServer server(Tls::server, [](const TestRequest&, std::size_t) {
    return TestReply{503, {{"Retry-After", "0"}}, "down"};
  });
  auto run = http_run(trusted({{"url", server.url("/x")}, {"attempts", 2}}));
  CHECK(failure_of(*run) ==
        fmt::format("http.request: GET {}: HTTP 503 Service Unavailable, expected 2xx, after 2 "
                    "attempts: down",
                    server.url("/x")));

  TestHttpServer later(Tls::server, replies({{503, {{"Retry-After", "30"}}, "down"}}));
  run = http_run(trusted({{"url", later.url("/x")}}));
  run->context.deadline = Steady::now() + 20s;
  CHECK(failure_of(*run) ==
        fmt::format("http.request: GET {}: HTTP 503 Service Unavailable, expected 2xx; not tried "
                    "again: attempt 2 would start after the task's timeout, in 30s: down",
                    later.url("/x")));
  CHECK(later.requests().size() == 1);
}

TEST_CASE("handlers: http: failures name the URL, the attempts and libcurl's reason") {
  const auto port = unused_port();
  auto run = http_run(
      {{"url", fmt::format("http://127.0.0.1:{}/x", port)}, {"method", "POST"}, {"attempts", 1}});
  const auto refused = failure_of(*run);
  CHECK(
      refused.starts_with(fmt::format("http.request: POST http://127.0.0.1:{}/x: Couldn't "
                                      "connect to server: Failed to connect to 127.0.0.1 port {}",
                                      port, port)));
  CHECK(refused.ends_with("(1 attempt)"));

  TestHttpServer server(Tls::server);
  run = http_run({{"url", server.url("/x")}});
  const auto untrusted = failure_of(*run);
  CHECK(untrusted == fmt::format("http.request: GET {}: SSL peer certificate or SSH remote key was "
                                 "not OK: SSL certificate problem: unable to get local issuer "
                                 "certificate (1 attempt) (ca_file names the CA that issued the "
                                 "server's certificate)",
                                 server.url("/x")));
  CHECK(server.requests().empty());
}

TEST_CASE("handlers: http: mutual TLS with client_cert and client_key") {
  TestHttpServer server(Tls::mutual, replies({{200, {}, "hello"}}));
  auto run = http_run(trusted({{"url", server.url("/m")},
                               {"client_cert", test_certificates().client_cert.string()},
                               {"client_key", test_certificates().client_key.string()}}));
  CHECK(handler("http.request").run(run->context)["body"] == "hello");
}

TEST_CASE("handlers: http: insecure_skip_verify works, with a warning on every run") {
  TestHttpServer server(Tls::server);
  for (int i = 0; i < 2; ++i) {
    auto run = http_run({{"url", server.url("/x")}, {"insecure_skip_verify", true}});
    CHECK(handler("http.request").run(run->context)["status"] == 200);
    CHECK(event(*run, "insecure") ==
          fmt::format("insecure_skip_verify: the certificate of https://127.0.0.1:{} is not "
                      "checked: anyone on the way can read and change this request",
                      server.port()));
  }
}

TEST_CASE("handlers: http: an answer over max_response_bytes is cut, kept as text") {
  TestHttpServer server(
      Tls::server,
      replies({{200, {{"Content-Type", "application/json"}}, "[" + std::string(5000, '1') + "]"}}));
  auto run = http_run(trusted({{"url", server.url("/big")}, {"max_response_bytes", 100}}));
  const json result = handler("http.request").run(run->context);
  CHECK(result["truncated"] == true);
  CHECK(result["bytes"] == 100);
  CHECK(result["body"] == "[" + std::string(99, '1'));
  CHECK(event(*run, "truncated") ==
        "the answer was cut at 100 bytes (max_response_bytes): the rest was not read");
}

TEST_CASE("handlers: http: a dry run sends nothing and says what it would send") {
  TestHttpServer server(Tls::server);
  const json config = trusted({{"url", server.url("/api/generate/cleanup-stale?key=k3y-value")},
                               {"method", "POST"},
                               {"bearer_token", "s3cret-token"},
                               {"headers", {{"Cookie", "session=c00kie"}, {"X-Team", "ops"}}},
                               {"json", {{"dry_run", "{dry_run}"}, {"task", "{task}"}}}});
  auto run = http_run(config, true);
  const json result = handler("http.request").run(run->context);
  CHECK(server.requests().empty());
  CHECK(result ==
        json{{"dry_run", true},
             {"sent", false},
             {"would_send",
              {{"method", "POST"},
               {"url", server.url("/api/generate/cleanup-stale?key=***")},
               {"headers", {{"Cookie", "***"}, {"X-Team", "ops"}, {"Authorization", "Bearer ***"}}},
               {"body", {{"dry_run", true}, {"task", "release-claims"}}}}}});
  CHECK(event(*run, "dry_run") == fmt::format("would send POST {} with 40 bytes",
                                              server.url("/api/generate/cleanup-stale?key=***")));

  // dry_run_header: sent, marked as a dry run for the application to honour.
  json marked = config;
  marked["dry_run_header"] = true;
  run = http_run(marked, true);
  const json sent = handler("http.request").run(run->context);
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].header("x-maintd-dry-run") == "1");
  CHECK(json::parse(server.requests()[0].body)["dry_run"] == true);
  CHECK(sent["dry_run"] == true);
  CHECK(sent["status"] == 200);
}

TEST_CASE("handlers: http: a cancel aborts the request at once") {
  TestHttpServer server(Tls::server, replies({{200, {}, "", true}}));
  auto run = http_run(trusted({{"url", server.url("/hang")}, {"timeout", "1h"}}));
  Steady::time_point stopped_at;
  std::thread canceller([&] {
    REQUIRE(server.wait_for(1));
    stopped_at = Steady::now();
    run->stop.request_stop();
  });
  const auto message = failure_of(*run);
  const auto took = Steady::now() - stopped_at;
  canceller.join();
  CHECK(message == fmt::format("http.request: GET {}: cancelled (1 attempt)", server.url("/hang")));
  CHECK(took < 2s);  // the attempt's timeout is an hour: only the cancel ended it
}

TEST_CASE("handlers: http: no secret in an event, an error, the result or the recorded config") {
  // The server echoes what it got, as a debugging endpoint would.
  TestHttpServer server(Tls::server, [](const TestRequest& request, std::size_t index) {
    const std::string echo = request.target + " " + request.header("authorization") + " " +
                             request.header("cookie") + " " + request.header("x-api-key");
    // Retry-After: 0 so that the retries after a 500 (their events checked too) take no time.
    return TestReply{index == 0 ? 200u : 500u, {{"Retry-After", "0"}}, echo};
  });
  std::string url = server.url("/x?api_key=q-s3cret&sig=sig-s3cret&page=1");
  url.insert(8, "user:pa55word@");
  const json config =
      trusted({{"url", url},
               {"method", "POST"},
               {"bearer_token", "tok-s3cret"},
               {"secret_query_params", {"sig"}},
               {"headers", {{"Cookie", "session=cookie-s3cret"}, {"X-Api-Key", "key-s3cret"}}},
               {"body", "hello"}});
  const std::vector<std::string> secrets = {"pa55word",   "q-s3cret",      "sig-s3cret",
                                            "tok-s3cret", "cookie-s3cret", "key-s3cret"};
  std::string shown;
  auto run = http_run(config);
  shown += handler("http.request").run(run->context).dump() + events_text(*run);
  // The server saw them all.
  CHECK(contains(server.requests().at(0).header("authorization"), "tok-s3cret"));
  run = http_run(config);
  shown += failure_of(*run) + events_text(*run);
  run = http_run(config, true);
  shown += handler("http.request").run(run->context).dump() + events_text(*run);
  json refused = config;
  refused["url"] = fmt::format(
      "https://user:pa55word@127.0.0.1:{}/x?api_key=q-s3cret&sig=sig-s3cret", unused_port());
  refused["attempts"] = 1;
  run = http_run(refused);
  shown += failure_of(*run) + events_text(*run);
  // What `maintd show-run --json` and the API show of the run's config.
  shown += config::redact(http_run(config)->context.config).dump();
  for (const auto& secret : secrets) {
    CAPTURE(secret);
    CHECK_FALSE(contains(shown, secret));
  }
  CHECK(contains(shown, "***"));
}

TEST_CASE("handlers: http: in a schedule file, ca_file stays a path and *_file values are read") {
  TempDir dir;
  dir.write("portal-token", "tok-from-file\n");
  dir.write("api-key", "key-from-file");
  const auto maintd_yaml = dir.write(
      "maintd.yaml", fmt::format("state_database: sqlite3://{}/state.db\nschedules: [s.yaml]\n",
                                 dir.path().string()));
  dir.write("s.yaml", fmt::format(R"(tasks:
  - name: release-claims
    type: http.request
    schedule: "*/5 * * * *"
    config:
      url: ${{PORTAL_URL}}/api/maintenance/release-expired?timeout_minutes=15
      method: POST
      bearer_token_file: portal-token
      headers: {{X-Api-Key_file: api-key}}
      ca_file: {}/ca.pem
)",
                                  dir.path().string()));
  const auto registry = handlers::builtin_registry();
  const config::Environment environment =
      [](const std::string& name) -> std::optional<std::string> {
    if (name == "PORTAL_URL") return "https://portal.example";
    return std::nullopt;
  };
  const auto loaded = config::load_config({maintd_yaml, &registry, environment});
  for (const auto& diagnostic : loaded.diagnostics.errors()) FAIL_CHECK(diagnostic.to_string());
  REQUIRE(loaded.config.has_value());
  const json& task = loaded.config->tasks.at(0).config.get();
  CHECK(task["url"] == "https://portal.example/api/maintenance/release-expired?timeout_minutes=15");
  CHECK(task["bearer_token"] == "tok-from-file");
  CHECK(task["headers"]["X-Api-Key"] == "key-from-file");
  CHECK(task["ca_file"] == (dir.path() / "ca.pem").string());
  CHECK_FALSE(task.contains("ca"));
  const auto shown = config::redact(task).dump();
  CHECK_FALSE(contains(shown, "from-file"));
}

TEST_CASE("handlers: http: the config's rules, each with its message") {
  CHECK(problems({{"url", "https://portal.example/api"}}).empty());
  CHECK(problems({{"url", "ftp://files.example/x"}}) ==
        std::vector<std::string>{"url: 'ftp://files.example/x': the scheme 'ftp' is not http or "
                                 "https (http://host[:port]/path or https://host[:port]/path)"});
  CHECK(problems({{"url", "https://h:99999/x?t=abc"}, {"secret_query_params", {"t"}}}) ==
        std::vector<std::string>{"url: 'https://h:99999/x?t=***' is not a valid URL: Port number "
                                 "was not a decimal number between 0 and 65535 "
                                 "(http://host[:port]/path or https://host[:port]/path)"});
  CHECK(problems({{"method", "POST"}}) ==
        std::vector<std::string>{"url: missing required key 'url' (string: http:// or https:// "
                                 "URL to call (${VAR} allowed; user info and secret query "
                                 "parameters are never shown))"});
  CHECK(problems({{"url", "https://h/"}, {"method", "post"}}) ==
        std::vector<std::string>{
            "method: 'post' is not one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"});
  CHECK(problems({{"url", "https://h/"}, {"body", "x"}, {"json", {{"a", 1}}}}) ==
        std::vector<std::string>{
            "json: give 'body' (text) or 'json' (a map sent as JSON), not both"});
  CHECK(problems({{"url", "https://h/"},
                  {"bearer_token", "t"},
                  {"headers", {{"authorization", "Basic x"}}}}) ==
        std::vector<std::string>{
            "bearer_token: give 'bearer_token' or an Authorization header, not both"});
  CHECK(problems({{"url", "https://h/"}, {"client_cert", "/etc/c.pem"}}) ==
        std::vector<std::string>{
            "client_key: client_cert and client_key go together (mutual TLS): give both"});
  CHECK(problems({{"url", "https://h/"}, {"ca_file", "certs/ca.pem"}}) ==
        std::vector<std::string>{"ca_file: 'certs/ca.pem' is not an absolute path (the file is "
                                 "read when the request is made, not beside the configuration)"});
  CHECK(problems({{"url", "https://h/"}, {"ca_file", ""}}).empty());  // unset: the system's CAs
  CHECK(problems({{"url", "https://h/"},
                  {"headers",
                   {{"Bad Name", "x"},
                    {"Host", "h"},
                    {"X-List", {1, 2}},
                    {"X-Token", "a\r\nInjected: 1"}}}}) ==
        std::vector<std::string>{
            "headers: 'Bad Name' is not a valid header name",
            "headers: Host: maintd sets this header itself",
            "headers: X-List: expected a string (or X-List_file: a file holding it), got a list",
            "headers: X-Token: the value holds a line break or a NUL byte (not shown: header "
            "values may be secrets)"});
  CHECK(problems({{"url", "https://h/"}, {"expect_status", {200, 700}}}) ==
        std::vector<std::string>{"expect_status: 700 is above the maximum 599"});
  CHECK(
      problems({{"url", "https://h/"}, {"expect_status", {"200"}}}) ==
      std::vector<std::string>{"expect_status: list items must be integers, got a string ('200')"});
  CHECK(problems({{"url", "https://h/"}, {"timeout", "2h"}}) ==
        std::vector<std::string>{"timeout: 2h is above the maximum 3600"});
  CHECK(problems({{"url", "https://h/"}, {"attempts", 0}}) ==
        std::vector<std::string>{"attempts: 0 is below the minimum 1"});
  CHECK(problems({{"url", "https://h/"}, {"max_response_bytes", 2000000}}) ==
        std::vector<std::string>{"max_response_bytes: 2000000 is above the maximum 1048576"});
  CHECK(problems({{"url", "https://h/"}, {"redirects", 5}}) ==
        std::vector<std::string>{"redirects: unknown key 'redirects' (this handler takes: url, "
                                 "method, headers, bearer_token, body, json, timeout, attempts, "
                                 "expect_status, ca_file, client_cert, client_key, "
                                 "insecure_skip_verify, max_response_bytes, "
                                 "secret_query_params, dry_run_header)"});
}
