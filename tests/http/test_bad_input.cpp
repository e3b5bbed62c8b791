// Bad input is a 4xx with a JSON message, never a 500, and changes nothing; secrets never appear
// in an answer.
#include <doctest/doctest.h>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::Connection;
using nlohmann::json;

TEST_CASE("a body over 1 MiB is a 413 with a message, and nothing runs") {
  ApiFixture f;
  const std::string big =
      R"({"config": {"ms": 1}, "pad": ")" + std::string(1024 * 1024, 'x') + "\"}";
  const auto response = f.post("/api/v1/scheduled-tasks/slow/run", big);
  CHECK(response.status == 413);
  CHECK(response.json().at("error") == "the request body is larger than 1048576 bytes");
  CHECK(f.all_runs().empty());
  // The server is still there.
  CHECK(f.get("/api/v1/runs").status == 200);
}

TEST_CASE("bad JSON is a 400 naming the position, and nothing runs") {
  ApiFixture f;
  const auto response = f.post("/api/v1/scheduled-tasks/slow/run", R"({"dry_run": tru})");
  CHECK(response.status == 400);
  const json body = response.json();
  const std::string error = body.at("error");
  CHECK(error ==
        "the body is not valid JSON: parse error at line 1, column 16: syntax error while parsing "
        "value - invalid literal");
  CHECK(body.at("byte") == 16);
  CHECK(f.all_runs().empty());

  const auto patch = f.call("PATCH", "/api/v1/scheduled-tasks/db-task", "{\"retries\": ");
  CHECK(patch.status == 400);
  CHECK(patch.json().at("error").get<std::string>().find("not valid JSON") != std::string::npos);
}

// Regression (issue 24.2): a body nested 80,000 levels killed the daemon (exit 139) in the
// recursive walks after the parser, and 1e999999 was a 500.
TEST_CASE("deep JSON and out-of-range numbers are 400s naming the limit, and nothing changes") {
  ApiFixture f;
  std::string deep_object;
  for (int i = 0; i < 80000; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(80000, '}');
  const std::string deep_config = R"({"config": )" + deep_object + "}";

  auto response = f.post("/api/v1/scheduled-tasks/slow/run", deep_config);
  CHECK(response.status == 400);
  CHECK(response.json().at("error") ==
        "the body is not valid JSON: arrays and objects nest deeper than 128 levels, the most "
        "maintd accepts");
  CHECK(response.json().at("byte") == 11 + 127 * 5 + 1);  // the 129th opening brace

  const std::string before = f.get("/api/v1/scheduled-tasks/db-task").body;
  response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task",
                    R"({"config": )" + std::string(60000, '[') + std::string(60000, ']') + "}");
  CHECK(response.status == 400);

  response = f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": {"ms": 1e999999}})");
  CHECK(response.status == 400);
  CHECK(response.json().at("error") ==
        "the body is not valid JSON: a number is too large to be represented");

  CHECK(f.all_runs().empty());
  CHECK(f.get("/api/v1/scheduled-tasks/db-task").body == before);
  CHECK(f.get("/healthz").status == 200);
}

TEST_CASE("an unknown path is a 404 and a wrong method a 405 with Allow, both JSON") {
  ApiFixture f;
  const auto missing = f.get("/api/v1/nothing-here");
  CHECK(missing.status == 404);
  CHECK(missing.json().at("error") == "no such endpoint: /api/v1/nothing-here");
  const auto wrong = f.call("DELETE", "/api/v1/scheduled-tasks/nightly");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, HEAD, PATCH");
  CHECK(wrong.json().at("error") == "DELETE is not allowed on /api/v1/scheduled-tasks/nightly");
  CHECK(f.call("GET", "/api/v1/runs/1/cancel").status == 405);
}

TEST_CASE("a malformed request is a 400 and the connection closes") {
  ApiFixture f;
  Connection connection(f.port);
  const std::string answer =
      connection.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n");
  CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(answer.find("{\"error\":\"malformed request") != std::string::npos);
  CHECK(f.get("/healthz").status == 200);
}

TEST_CASE("no answer carries a token, a database password or a secret config value") {
  ApiFixture f;
  const auto run = f.post("/api/v1/scheduled-tasks/secretive/run");
  REQUIRE(run.status == 202);
  f.wait_finished(run.json().at("run_id"));
  std::string all;
  for (const std::string& target : std::vector<std::string>{
           "/api/v1/scheduled-tasks", "/api/v1/scheduled-tasks/secretive", "/api/v1/runs",
           "/api/v1/runs/" + std::to_string(run.json().at("run_id").get<long>()), "/metrics",
           "/readyz", "/healthz"}) {
    const auto response = f.get(target);
    CHECK(response.status == 200);
    all += response.body;
  }
  // A write that fails validation echoes its errors; one that works echoes the config.
  all += f.call("PATCH", "/api/v1/scheduled-tasks/db-task",
                std::string(R"({"config": {"api_token": ")") + maintd::testing::kConfigSecret +
                    R"("}})")
             .body;
  all += f.call("GET", "/api/v1/runs", {}, bearer("wrong-token")).body;
  all += f.call("GET", "/api/v1/runs", {}, bearer(maintd::testing::kReadOnlyToken)).body;
  CHECK(all.find("\"***\"") != std::string::npos);  // the secret key is there, masked
  for (const char* secret : {maintd::testing::kToken, maintd::testing::kReadOnlyToken,
                             maintd::testing::kDbPassword, maintd::testing::kConfigSecret}) {
    CHECK_MESSAGE(all.find(secret) == std::string::npos, secret);
  }
}

// Regression (issue 24.1): a 59 KiB config value in a run's body segfaulted the daemon (20,000
// characters already held an HTTP thread for 11 s) in the regex that masked secrets.
TEST_CASE("a run whose config carries a 59 KiB value runs, its value never echoed") {
  ApiFixture f;
  const std::string long_value(59 * 1024, 'x');
  const auto response =
      f.post("/api/v1/scheduled-tasks/secretive/run",
             R"({"dry_run": true, "config": {"api_token": ")" + long_value + R"("}})");
  CHECK(response.status == 202);
  CHECK(response.body.find("xxxxxxxx") == std::string::npos);
  const auto run = f.wait_finished(response.json().at("run_id"));
  CHECK(run.at("status") == "completed");
  CHECK(run.dump().find("xxxxxxxx") == std::string::npos);
  CHECK(f.get("/healthz").status == 200);
}
