// `maintd run`, `show-run`, `history` and `list` with http.request tasks against the local HTTPS
// server: what --json, stderr and the recorded run show, and that no secret (bearer token,
// Authorization and cookie headers, URL user info, secret query parameters) is in any of it,
// even when the server echoes them back.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_driver.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

using maintd::testing::contains;
using maintd::testing::run_cli;
using maintd::testing::TempDir;
using maintd::testing::test_certificates;
using maintd::testing::TestHttpServer;
using maintd::testing::TestReply;
using maintd::testing::TestRequest;
using nlohmann::json;

namespace {

const std::vector<std::string> kSecrets = {"pa55word",   "q-s3cret",      "sig-s3cret",
                                           "tok-s3cret", "cookie-s3cret", "hdr-s3cret"};

}  // namespace

TEST_CASE("http.request: run --json, show-run, history and list show no secret") {
  // The server echoes what it got, as a debugging endpoint would; /fail answers 500.
  TestHttpServer server(TestHttpServer::Tls::server, [](const TestRequest& request, std::size_t) {
    const std::string echo = request.target + " " + request.header("authorization") + " " +
                             request.header("cookie") + " " + request.header("x-api-token");
    return TestReply{request.target.starts_with("/fail") ? 500u : 200u,
                     {{"Content-Type", "application/json"}},
                     json{{"echo", echo}}.dump()};
  });
  TempDir dir;
  dir.write("var/.keep", "");
  dir.write("schedules/portal-token", "tok-s3cret\n");  // beside the schedule file
  const auto config = dir.write("maintd.yaml",
                                "state_database: sqlite3://var/state.db\n"
                                "schedules: [schedules/]\n");
  const std::string base = fmt::format("https://user:pa55word@127.0.0.1:{}", server.port());
  const std::string call = R"(
    config:
      url: {0}/{2}?api_key=q-s3cret&sig=sig-s3cret&timeout_minutes=15
      method: POST
      bearer_token_file: portal-token
      secret_query_params: [sig]
      headers:
        Cookie: session=cookie-s3cret
        X-Api-Token: ${{HDR_TOKEN}}
      json: {{task: "{{task}}", run: "{{run_id}}"}}
      ca_file: {1}
      attempts: 1
)";
  const auto ca = test_certificates().ca.string();
  dir.write("schedules/http.yaml",
            "tasks:\n"
            "  - name: release-claims\n    type: http.request\n    schedule: '*/5 * * * *'" +
                fmt::format(fmt::runtime(call), base, ca, "ok") +
                "  - name: broken-call\n    type: http.request\n    schedule: '@hourly'" +
                fmt::format(fmt::runtime(call), base, ca, "fail"));
  const std::map<std::string, std::string> env = {{"HDR_TOKEN", "hdr-s3cret"}};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string()});
    return run_cli(std::move(args), env);
  };

  const auto ok = run({"run", "release-claims", "--json"});
  REQUIRE_MESSAGE(ok.code == 0, ok.err);
  const auto out = json::parse(ok.out);
  CHECK(out["run"]["status"] == "completed");
  CHECK(out["run"]["result"]["status"] == 200);
  CHECK(contains(out["run"]["result"]["body"]["echo"].get<std::string>(), "Bearer ***"));
  // The server did get them.
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].header("authorization") == "Bearer tok-s3cret");
  CHECK(server.requests()[0].header("x-api-token") == "hdr-s3cret");
  CHECK(json::parse(server.requests()[0].body) == json{{"task", "release-claims"}, {"run", 1}});

  const auto failed = run({"run", "broken-call"});
  CHECK(failed.code == 1);
  CHECK(contains(failed.err, "HTTP 500 Internal Server Error, expected 2xx"));

  std::string shown = ok.out + ok.err + failed.out + failed.err;
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"show-run", "1", "--json"},
                                             {"show-run", "2", "--json"},
                                             {"show-run", "2"},
                                             {"history", "--json"},
                                             {"list", "--json"},
                                             {"run", "release-claims", "--dry-run", "--json"}}) {
    const auto r = run(args);
    CAPTURE(args.front());
    CHECK(r.code == 0);
    shown += r.out + r.err;
  }
  CHECK(contains(shown, R"("secret_query_params": [)"));  // the names are no secret
  for (const auto& secret : kSecrets) {
    CAPTURE(secret);
    CHECK_FALSE(contains(shown, secret));
  }
}
