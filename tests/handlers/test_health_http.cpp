// health.report's http probes against the local HTTPS server: an expected status in time is ok,
// a slow one warns or fails by its thresholds, another status, a refused connection or an
// untrusted certificate fails with its kind named, secrets in the URL are never shown, and a
// stop ends a probe at once.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "health_fixture.hpp"
#include "support/http_test_server.hpp"
#include "support/text.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;
using nlohmann::json;
using Tls = TestHttpServer::Tls;

namespace {

// The report of a health run with only these probes (its error, when it failed).
json http_report(const json& probes, std::string* error = nullptr) {
  Target<SqliteBackend> target;
  open_migrated(target.backend);
  auto run = health_run(target, {{"databases", json::array()},
                                 {"peer_dry_runs", false},
                                 {"include_metrics", true},
                                 {"probes", probes}});
  try {
    handler("health.report").run(run->context);
  } catch (const std::runtime_error& e) {
    if (error != nullptr) *error = e.what();
  }
  return json::parse(event_message(*run, "report"));
}

json api_probe(const std::string& url, json more = json::object()) {
  json probe = {{"name", "api"},
                {"kind", "http"},
                {"url", url},
                {"ca_file", test_certificates().ca.string()}};
  probe.update(more);
  return probe;
}

}  // namespace

TEST_CASE("handlers: health: http probes: ok, a status not expected, refused, untrusted") {
  TestHttpServer server(Tls::server, [](const TestRequest& request, std::size_t) {
    if (request.target == "/down") return TestReply{503, {}, "maintenance"};
    return TestReply{200, {{"Content-Type", "application/json"}}, R"({"status":"up"})"};
  });
  const auto refused_port = unused_port();
  std::string error;
  const json report = http_report(
      {api_probe(server.url("/healthz?token=t0k3n-s3cret")),
       api_probe(server.url("/down"), {{"name", "down"}}),
       api_probe(server.url("/down"), {{"name", "down-expected"}, {"expect_status", {503}}}),
       api_probe(fmt::format("https://127.0.0.1:{}/x", refused_port), {{"name", "gone"}}),
       {{"name", "untrusted"}, {"kind", "http"}, {"url", server.url("/healthz")}}},
      &error);
  const auto& probes = report["probes"];
  REQUIRE(probes.size() == 5);

  CHECK(probes[0]["status"] == "ok");
  CHECK(probes[0]["http_status"] == 200);
  CHECK(probes[0]["url"] == server.url("/healthz?token=***"));
  CHECK(probes[0]["latency_ms"].is_number());
  CHECK(probes[0]["metrics"]["content_type"] == "application/json");
  CHECK(probes[0]["reason"].get<std::string>().starts_with(
      fmt::format("{} answered HTTP 200 OK in ", server.url("/healthz?token=***"))));

  CHECK(probes[1]["status"] == "fail");
  CHECK(probes[1]["error"] == "status");
  CHECK(probes[1]["http_status"] == 503);
  CHECK(probes[1]["reason"] ==
        fmt::format("{} answered HTTP 503 Service Unavailable, expected 2xx", server.url("/down")));
  CHECK(probes[2]["status"] == "ok");

  CHECK(probes[3]["error"] == "connect");
  CHECK(probes[3]["latency_ms"].is_null());
  CHECK(probes[3]["reason"].get<std::string>().starts_with(fmt::format(
      "Couldn't connect to server: Failed to connect to 127.0.0.1 port {}", refused_port)));

  CHECK(probes[4]["error"] == "tls");
  CHECK(probes[4]["reason"] ==
        "SSL peer certificate or SSH remote key was not OK: SSL certificate problem: unable to "
        "get local issuer certificate (ca_file names the CA that issued the server's "
        "certificate)");

  CHECK(report["status"] == "fail");
  CHECK(error.starts_with("health.report: 3 alerts: probe 'down': "));
  CHECK_FALSE(contains(report.dump() + error, "t0k3n-s3cret"));
}

TEST_CASE("handlers: health: http probes: latency thresholds warn and fail") {
  // Each answer comes 50 ms late at the earliest: always above 10 ms, never above 60 s.
  TestHttpServer server(Tls::server, [](const TestRequest&, std::size_t) {
    std::this_thread::sleep_for(50ms);
    return TestReply{204};
  });
  const json report =
      http_report({api_probe(server.url("/a"), {{"warn_above", 10}}),
                   api_probe(server.url("/b"), {{"name", "slow"}, {"fail_above", 10}}),
                   api_probe(server.url("/c"), {{"name", "fine"}, {"warn_above", 60000}})});
  const auto& probes = report["probes"];
  REQUIRE(probes.size() == 3);
  CHECK(probes[0]["status"] == "warn");
  CHECK(contains(probes[0]["reason"].get<std::string>(), " is above warn_above 10 ("));
  CHECK(probes[1]["status"] == "fail");
  CHECK(contains(probes[1]["reason"].get<std::string>(), " is above fail_above 10 ("));
  CHECK(probes[2]["status"] == "ok");
  CHECK(report["warnings"].size() == 1);
}

TEST_CASE("handlers: health: http probes: a stop ends a probe waiting for an answer at once") {
  TestHttpServer server(Tls::server, replies({{200, {}, "", true}}));
  Target<SqliteBackend> target;
  open_migrated(target.backend);
  auto run =
      health_run(target, {{"databases", json::array()},
                          {"peer_dry_runs", false},
                          {"probes", {api_probe(server.url("/hang"), {{"timeout", "5m"}})}}});
  std::chrono::steady_clock::time_point stopped_at;
  std::thread canceller([&] {
    REQUIRE(server.wait_for(1));
    stopped_at = std::chrono::steady_clock::now();
    run->stop.request_stop();
  });
  try {
    handler("health.report").run(run->context);
  } catch (const std::exception&) {
    // Stopped: whatever it says, the run is recorded as cancelled.
  }
  const auto took = std::chrono::steady_clock::now() - stopped_at;
  canceller.join();
  CHECK(took < 2s);  // the probe's timeout is 5 minutes: only the stop ended it
}
