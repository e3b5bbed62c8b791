// The server itself: health and readiness, metrics, keep-alive, HEAD, binding.
#include <doctest/doctest.h>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::Connection;
using nlohmann::json;

TEST_CASE("/readyz answers 200 when the state database answers") {
  ApiFixture f;
  const auto response = f.get("/readyz");
  CHECK(response.status == 200);
  CHECK(response.json() == json{{"status", "ready"}});
}

TEST_CASE("/metrics is the daemon's Prometheus exposition") {
  ApiFixture f;
  const auto run = f.post("/api/v1/scheduled-tasks/nightly/run");
  REQUIRE(run.status == 202);
  f.wait_finished(run.json().at("run_id"));
  const auto response = f.call("GET", "/metrics", {}, {});
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response.body.find("# TYPE ") != std::string::npos);
  CHECK(response.body.find("task=\"nightly\"") != std::string::npos);
}

TEST_CASE("one connection serves several requests (keep-alive), HEAD has no body") {
  ApiFixture f;
  Connection connection(f.port);
  for (int i = 0; i < 3; ++i) {
    const auto response = connection.send("GET", "/api/v1/scheduled-tasks", {}, bearer());
    CHECK(response.status == 200);
    CHECK(response.header("connection") != "close");
  }
  const auto head = connection.send("HEAD", "/api/v1/runs", {}, bearer());
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(std::stoul(head.header("content-length")) > 0);
  CHECK(connection.send("GET", "/healthz").status == 200);
}

TEST_CASE("port 0 binds a free port, a port in use fails start() naming address and reason") {
  ApiFixture f;
  CHECK(f.port != 0);
  CHECK(f.server->address() == "127.0.0.1:" + std::to_string(f.port));
  auto http = ApiFixture::default_http();
  http.listen = "127.0.0.1:" + std::to_string(f.port);
  maintd::http::Server second(*f.daemon, http);
  try {
    second.start();
    FAIL("start() did not throw");
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    CHECK(message.find("cannot listen on 127.0.0.1:" + std::to_string(f.port)) == 0);
    CHECK(message.find("in use") != std::string::npos);
  }
  CHECK_THROWS_AS(maintd::http::split_listen("8089"), std::invalid_argument);
  CHECK(maintd::http::split_listen("[::1]:80") == std::pair<std::string, std::string>{"::1", "80"});
}
