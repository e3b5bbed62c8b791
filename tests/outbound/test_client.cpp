// outbound::perform against the local HTTP(S) server: answers, retries (waits recorded by an
// injected wait, never slept), failures and how they read, TLS (trust, mutual TLS), redirects,
// the size limit, secrets, the timeout and cancellation.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "outbound/client.hpp"
#include "support/http_test_server.hpp"
#include "support/text.hpp"

using namespace std::chrono_literals;
using maintd::outbound::Failure;
using maintd::outbound::perform;
using maintd::outbound::Request;
using maintd::outbound::Settings;
using maintd::testing::contains;
using maintd::testing::replies;
using maintd::testing::test_certificates;
using maintd::testing::TestHttpServer;
using maintd::testing::TestReply;
using Steady = std::chrono::steady_clock;
using Tls = TestHttpServer::Tls;

namespace {

// Settings that trust the test CA.
Settings trusting() {
  Settings settings;
  settings.ca_file = test_certificates().ca.string();
  return settings;
}

Request get(const std::string& url) {
  Request request;
  request.url = url;
  return request;
}

// The waits perform() asked for, none of them slept.
struct Waits {
  std::vector<std::chrono::milliseconds> asked;
  maintd::outbound::Control control() {
    maintd::outbound::Control control;
    control.wait = [this](std::chrono::milliseconds wait) {
      asked.push_back(wait);
      return true;
    };
    return control;
  }
};

std::chrono::milliseconds since(Steady::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - start);
}

}  // namespace

TEST_CASE("a POST over https, its headers, body and bearer token, and the answer") {
  TestHttpServer server(Tls::server,
                        replies({{201, {{"Content-Type", "application/json"}}, R"({"ok":true})"}}));
  Request request;
  request.method = "POST";
  request.url = server.url("/api/release?minutes=15");
  request.headers = {{"X-Team", "ops"}};
  request.body = R"({"task":"t"})";
  request.content_type = "application/json";
  request.bearer_token = "s3cret-bearer";
  const auto response = perform(request, trusting());
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  CHECK(response->status == 201);
  CHECK(response->reason == "Created");
  CHECK(response->status_text() == "HTTP 201 Created");
  CHECK(response->expected);
  CHECK(response->body == R"({"ok":true})");
  CHECK(response->content_type == "application/json");
  CHECK(response->attempts == 1);
  CHECK(response->redirects == 0);
  CHECK_FALSE(response->truncated);
  CHECK(response->url == server.url("/api/release?minutes=15"));

  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/api/release?minutes=15");
  CHECK(seen[0].header("authorization") == "Bearer s3cret-bearer");
  CHECK(seen[0].header("x-team") == "ops");
  CHECK(seen[0].header("content-type") == "application/json");
  CHECK(seen[0].header("user-agent") == "maintd");
  CHECK(seen[0].body == R"({"task":"t"})");
}

TEST_CASE("methods: GET sends no body, HEAD reads none, PUT and DELETE as written") {
  TestHttpServer server(Tls::none, replies({{200, {}, "a body"}, {200, {}, "a body"}}));
  auto response = perform(get(server.url("/g")), {});
  REQUIRE(response.has_value());
  CHECK(response->body == "a body");
  Request head = get(server.url("/h"));
  head.method = "HEAD";
  response = perform(head, {});
  REQUIRE(response.has_value());
  CHECK(response->body.empty());
  Request put = get(server.url("/p"));
  put.method = "PUT";
  put.body = "x=1";
  put.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  REQUIRE(perform(put, {}).has_value());
  Request remove = get(server.url("/d"));
  remove.method = "DELETE";
  REQUIRE(perform(remove, {}).has_value());
  const auto seen = server.requests();
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].body.empty());
  CHECK(seen[1].method == "HEAD");
  CHECK(seen[2].method == "PUT");
  CHECK(seen[2].body == "x=1");
  CHECK(seen[2].header("content-type") == "application/x-www-form-urlencoded");
  CHECK(seen[3].method == "DELETE");
}

TEST_CASE("503 then 200: tried again after the backoff, which doubles") {
  TestHttpServer server(Tls::server, replies({{503}, {502}, {200, {}, "done"}}));
  Waits waits;
  std::vector<maintd::outbound::RetryNotice> notices;
  auto control = waits.control();
  control.on_retry = [&](const maintd::outbound::RetryNotice& notice) {
    notices.push_back(notice);
  };
  const auto response = perform(get(server.url("/x")), trusting(), control);
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  CHECK(response->status == 200);
  CHECK(response->body == "done");
  CHECK(response->attempts == 3);
  CHECK(waits.asked == std::vector<std::chrono::milliseconds>{1s, 2s});
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].attempt == 1);
  CHECK(notices[0].attempts == 3);
  CHECK(notices[0].reason == "HTTP 503 Service Unavailable");
  CHECK_FALSE(notices[0].retry_after);
  CHECK(notices[1].reason == "HTTP 502 Bad Gateway");
  CHECK(server.requests().size() == 3);
}

TEST_CASE("429 with Retry-After: the server's wait, not the backoff") {
  TestHttpServer server(Tls::server, replies({{429, {{"Retry-After", "7"}}, "slow down"}}));
  Waits waits;
  std::vector<maintd::outbound::RetryNotice> notices;
  auto control = waits.control();
  control.on_retry = [&](const auto& notice) { notices.push_back(notice); };
  const auto response = perform(get(server.url("/x")), trusting(), control);
  REQUIRE(response.has_value());
  CHECK(response->status == 200);
  CHECK(response->attempts == 2);
  CHECK(waits.asked == std::vector<std::chrono::milliseconds>{7s});
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].retry_after);
  CHECK(notices[0].reason == "HTTP 429 Too Many Requests");
}

TEST_CASE("a Retry-After longer than max_retry_after, or past the deadline, ends it") {
  TestHttpServer server(Tls::server, replies({{429, {{"Retry-After", "600"}}, "later"},
                                              {503, {{"Retry-After", "20"}}}}));
  Waits waits;
  auto settings = trusting();
  auto response = perform(get(server.url("/x")), settings, waits.control());
  REQUIRE(response.has_value());
  CHECK(response->status == 429);
  CHECK_FALSE(response->expected);
  CHECK(response->attempts == 1);
  CHECK(response->body == "later");
  CHECK(response->not_retried ==
        "not tried again: the server asked to wait 600s (Retry-After), more than 300s (the most "
        "maintd waits)");

  // The deadline on an injected clock: 20s of Retry-After would end 10s after it.
  const auto start = Steady::now();
  settings.deadline = start + 10s;
  settings.deadline_name = "the task's timeout";
  auto control = waits.control();
  control.now = [start] { return start; };
  response = perform(get(server.url("/x")), settings, control);
  REQUIRE(response.has_value());
  CHECK(response->status == 503);
  CHECK(response->not_retried ==
        "not tried again: attempt 2 would start after the task's timeout, in 20s");
  CHECK(waits.asked.empty());
  CHECK(server.requests().size() == 2);
}

TEST_CASE("a status that is not retried comes back at once, expected or not") {
  TestHttpServer server(Tls::server, replies({{404, {}, "no such thing"}, {503}}));
  Waits waits;
  auto response = perform(get(server.url("/x")), trusting(), waits.control());
  REQUIRE(response.has_value());
  CHECK(response->status == 404);
  CHECK_FALSE(response->expected);
  CHECK(response->attempts == 1);
  CHECK(response->not_retried.empty());
  // 503 expected: a success, never retried.
  auto settings = trusting();
  settings.expect_status = {503};
  response = perform(get(server.url("/x")), settings, waits.control());
  REQUIRE(response.has_value());
  CHECK(response->expected);
  CHECK(response->attempts == 1);
  CHECK(waits.asked.empty());
}

TEST_CASE("connection refused is tried again, then named with the attempts") {
  const auto port = maintd::testing::unused_port();
  Waits waits;
  Request request;
  request.method = "POST";
  request.url = fmt::format("https://127.0.0.1:{}/hook", port);
  const auto response = perform(request, trusting(), waits.control());
  REQUIRE_FALSE(response.has_value());
  const auto& failure = response.error();
  CHECK(failure.kind == Failure::Kind::connect);
  CHECK(failure.attempts == 3);
  CHECK(waits.asked == std::vector<std::chrono::milliseconds>{1s, 2s});
  CHECK(
      failure.message.starts_with(fmt::format("POST https://127.0.0.1:{}/hook: Couldn't connect "
                                              "to server: Failed to connect to 127.0.0.1 port {}",
                                              port, port)));
  CHECK(failure.message.ends_with("(3 attempts)"));
  CHECK(to_string(failure.kind) == "connect");
}

TEST_CASE("a server that never answers: the timeout ends the attempt, not retried") {
  TestHttpServer server(Tls::server, [](const auto&, std::size_t) {
    return TestReply{200, {}, "", true};
  });
  auto settings = trusting();
  settings.timeout = 300ms;
  Waits waits;
  Request request = get(server.url("/slow"));
  request.method = "POST";  // sent and unanswered: not repeated (it may have done its work)
  const auto start = Steady::now();
  const auto response = perform(request, settings, waits.control());
  const auto took = since(start);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::timeout);
  CHECK(response.error().attempts == 1);
  CHECK(contains(response.error().message, "Timeout was reached: Operation timed out after"));
  CHECK(took >= 250ms);  // libcurl's timer, not this one
  CHECK(took < 5s);
  CHECK(server.requests().size() == 1);

  // retry_unanswered: a request that may be repeated is.
  settings.retry_unanswered = true;
  settings.attempts = 2;
  const auto again = perform(request, settings, waits.control());
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().attempts == 2);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("an untrusted certificate fails, naming the certificate problem") {
  TestHttpServer server(Tls::server);
  Waits waits;
  const auto response = perform(get(server.url("/x")), Settings{}, waits.control());
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::tls);
  CHECK(response.error().attempts == 1);  // not retried: it will not get better
  CHECK(contains(response.error().message,
                 "SSL peer certificate or SSH remote key was not OK: SSL certificate problem: "
                 "unable to get local issuer certificate"));
  CHECK(server.requests().empty());

  // insecure_skip_verify: no check at all.
  Settings insecure;
  insecure.insecure_skip_verify = true;
  CHECK(perform(get(server.url("/x")), insecure).has_value());
  // A ca_file that does not exist says so.
  Settings missing;
  missing.ca_file = "/nonexistent/ca.pem";
  const auto bad = perform(get(server.url("/x")), missing);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == Failure::Kind::tls);
  CHECK(contains(bad.error().message, "/nonexistent/ca.pem"));
}

TEST_CASE("mutual TLS: without a client certificate refused, with one answered") {
  TestHttpServer server(Tls::mutual, replies({{200, {}, "hello client"}}));
  const auto refused = perform(get(server.url("/m")), trusting());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == Failure::Kind::tls);
  CHECK(refused.error().attempts == 1);

  auto settings = trusting();
  settings.client_cert = test_certificates().client_cert.string();
  settings.client_key = test_certificates().client_key.string();
  const auto response = perform(get(server.url("/m")), settings);
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  CHECK(response->body == "hello client");
}

TEST_CASE("redirects: 3 followed, a 4th refused, https to http never") {
  TestHttpServer plain(Tls::none);
  TestHttpServer server(Tls::server, [&](const maintd::testing::TestRequest& request, std::size_t) {
    if (request.target.starts_with("/to-http"))
      return TestReply{302, {{"Location", plain.url("/x")}}, ""};
    if (request.target.starts_with("/hop/")) {
      const int left = std::stoi(request.target.substr(5));
      if (left > 0) {
        return TestReply{301, {{"Location", "/hop/" + std::to_string(left - 1)}}, "moved"};
      }
    }
    return TestReply{200, {}, "arrived at " + request.target};
  });
  auto response = perform(get(server.url("/hop/3")), trusting());
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  CHECK(response->body == "arrived at /hop/0");  // the redirects' own bodies are not kept
  CHECK(response->redirects == 3);
  CHECK(response->url == server.url("/hop/0"));

  response = perform(get(server.url("/hop/4")), trusting());
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::redirect);
  CHECK(contains(response.error().reason, "Maximum (3) redirects followed"));

  response = perform(get(server.url("/to-http?token=abcd1234")), trusting());
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::redirect);
  CHECK(response.error().reason ==
        fmt::format("the redirect from {} to {} was not followed: maintd never follows a "
                    "redirect from https to http",
                    server.url("/to-http?token=***"), plain.url("/x")));
  CHECK(plain.requests().empty());

  // max_redirects: 0 follows none: the 3xx is the answer.
  auto settings = trusting();
  settings.max_redirects = 0;
  response = perform(get(server.url("/hop/1")), settings);
  REQUIRE(response.has_value());
  CHECK(response->status == 301);
  CHECK_FALSE(response->expected);
}

TEST_CASE("an answer longer than max_response_bytes is cut there") {
  const std::string large(1 << 20, 'x');
  TestHttpServer server(Tls::server, replies({{200, {}, large}, {200, {}, "12345678"}}));
  auto settings = trusting();
  settings.max_response_bytes = 1000;
  auto response = perform(get(server.url("/big")), settings);
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  CHECK(response->status == 200);
  CHECK(response->truncated);
  CHECK(response->body == large.substr(0, 1000));
  // Exactly the limit is not cut.
  settings.max_response_bytes = 8;
  response = perform(get(server.url("/exact")), settings);
  REQUIRE(response.has_value());
  CHECK_FALSE(response->truncated);
  CHECK(response->body == "12345678");
}

TEST_CASE("secrets are sent, and never in a failure, a notice or a URL shown") {
  TestHttpServer server(Tls::server, replies({{200}, {500, {}, "echo: tok-abcdef s3cr3t-key"}}));
  Request request;
  request.url = server.url("/x?api_key=s3cr3t-key&sig=sig-value-1&page=2");
  request.url.insert(8, "user:pa55word@");
  request.bearer_token = "tok-abcdef";
  request.headers = {{"Cookie", "session=cookie-value"}, {"X-Api-Token", "hdr-secret"}};
  request.secret_query_params = {"SIG"};
  auto settings = trusting();
  auto response = perform(request, settings);
  REQUIRE_MESSAGE(response.has_value(), response.error().message);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/x?api_key=s3cr3t-key&sig=sig-value-1&page=2");
  // The URL's user info is libcurl's Basic authorization; the bearer token takes its place.
  CHECK(seen[0].header("authorization") == "Bearer tok-abcdef");
  CHECK(seen[0].header("cookie") == "session=cookie-value");
  CHECK(response->url ==
        fmt::format("https://***@127.0.0.1:{}/x?api_key=***&sig=***&page=2", server.port()));

  // A failure (nothing listens) and an unexpected answer that echoes secrets.
  Request refused = request;
  refused.url =
      fmt::format("https://user:pa55word@127.0.0.1:{}/x?api_key=s3cr3t-key&sig=sig-value-1",
                  maintd::testing::unused_port());
  settings.attempts = 2;
  Waits waits;
  std::string notices;
  auto control = waits.control();
  control.on_retry = [&](const auto& notice) { notices += notice.reason + "\n"; };
  const auto failed = perform(refused, settings, control);
  REQUIRE_FALSE(failed.has_value());
  const auto answered = perform(request, settings, control);
  REQUIRE(answered.has_value());
  const std::string shown = failed.error().message + failed.error().reason + notices +
                            answered->url + answered->not_retried;
  for (const char* secret :
       {"pa55word", "s3cr3t-key", "sig-value-1", "tok-abcdef", "cookie-value", "hdr-secret"}) {
    CAPTURE(secret);
    CHECK_FALSE(contains(shown, secret));
  }
}

TEST_CASE("a bad URL or method fails before anything is sent, the URL masked") {
  auto failure = perform(get("ftp://user:pw@example.com/x"), {}).error();
  CHECK(failure.kind == Failure::Kind::invalid);
  CHECK(failure.attempts == 0);
  CHECK(failure.message ==
        "GET ftp://***@example.com/x: 'ftp://***@example.com/x': the scheme 'ftp' is not http or "
        "https (http://host[:port]/path or https://host[:port]/path)");
  failure = perform(get("https://example.com:99999/x?token=abc"), {}).error();
  CHECK(failure.kind == Failure::Kind::invalid);
  CHECK(contains(failure.message, "'https://example.com:99999/x?token=***' is not a valid URL"));
  CHECK_FALSE(contains(failure.message, "abc"));
}

TEST_CASE("a stop aborts a transfer in progress at once, and a wait") {
  TestHttpServer server(Tls::server,
                        replies({{200, {}, "", true}, {503, {{"Retry-After", "60"}}}}));
  auto settings = trusting();
  settings.timeout = 60s;
  std::stop_source stop;
  maintd::outbound::Control control;
  control.stop = stop.get_token();
  Steady::time_point stopped_at;
  std::thread canceller([&] {
    REQUIRE(server.wait_for(1));
    stopped_at = Steady::now();
    stop.request_stop();
  });
  auto response = perform(get(server.url("/hang")), settings, control);
  const auto took = since(stopped_at);
  canceller.join();
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::cancelled);
  CHECK(response.error().message ==
        fmt::format("GET {}: cancelled (1 attempt)", server.url("/hang")));
  CHECK(took < 2s);  // the attempt's timeout is 60s: only the stop can have ended it

  // A stop while waiting for another attempt (Retry-After: 60) ends the wait.
  std::stop_source stop_wait;
  control.stop = stop_wait.get_token();
  control.on_retry = [&](const auto&) { stop_wait.request_stop(); };
  const auto start = Steady::now();
  response = perform(get(server.url("/retry")), settings, control);
  REQUIRE_FALSE(response.has_value());
  CHECK(response.error().kind == Failure::Kind::cancelled);
  CHECK(response.error().reason ==
        "cancelled while waiting to try again after: HTTP 503 Service Unavailable");
  CHECK(since(start) < 10s);
}
