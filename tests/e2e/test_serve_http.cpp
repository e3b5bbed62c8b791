// The admin API of the real `maintd serve`: it listens once the daemon is up, answers with the
// daemon's live state, starts runs on the daemon's workers, and stops with the daemon.
#include <doctest/doctest.h>

#include "e2e/e2e_config.hpp"
#include "e2e/e2e_support.hpp"
#include "http/http_client.hpp"

using namespace maintd::e2e;
using maintd::testing::Headers;
using maintd::testing::http_request;

namespace {

constexpr const char* kToken = "e2e-secret-token-1234";

Headers bearer() {
  return {{"Authorization", std::string("Bearer ") + kToken}};
}

}  // namespace

TEST_CASE("serve with http.listen: the API starts a run on the daemon and SIGTERM stops both") {
  Settings settings;
  settings.extra = std::string("http:\n  listen: 127.0.0.1:0\n  token: ") + kToken + "\n";
  Workspace ws(R"(tasks:
  - {name: nightly, type: debug.noop, schedule: "0 3 * * *", config: {sleep: 1s}}
)",
               settings);
  auto daemon = start_daemon(ws.config, ws.log("serve.log"));
  INFO("daemon output:\n" << daemon->output());
  const auto port = listening_port(*daemon);

  CHECK(http_request(port, "GET", "/healthz").status == 200);
  CHECK(http_request(port, "GET", "/api/v1/scheduled-tasks").status == 401);
  const auto tasks = http_request(port, "GET", "/api/v1/scheduled-tasks", {}, bearer());
  REQUIRE(tasks.status == 200);
  CHECK(tasks.body.find("\"nightly\"") != std::string::npos);

  const auto started =
      http_request(port, "POST", "/api/v1/scheduled-tasks/nightly/run", "{}", bearer());
  REQUIRE(started.status == 202);
  const auto id = started.json().at("run_id").get<maintd::store::RunId>();

  StateReader state(ws.url());
  CHECK(eventually(15s, [&] {
    const auto runs = state.runs("nightly");
    return runs.size() == 1 && runs[0].status == RunStatus::completed;
  }));
  const auto runs = state.runs("nightly");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].id == id);
  CHECK(runs[0].trigger == Trigger::manual);

  const auto metrics = http_request(port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("maintd_runs_total{task=\"nightly\",status=\"completed\"} 1") !=
        std::string::npos);
  // The token never reaches the log.
  CHECK(daemon->output().find(kToken) == std::string::npos);

  daemon->signal(SIGTERM);
  const auto status = daemon->wait_exit(15s);
  REQUIRE(status.has_value());
  CHECK(describe_status(status) == "exit 0");
  CHECK_THROWS(http_request(port, "GET", "/healthz"));  // the listener is gone
}

TEST_CASE("serve exits 1 naming the address when http.listen is taken") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = taken.local_endpoint().port();
  Settings settings;
  settings.extra =
      "http:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  token: " + kToken + "\n";
  Workspace ws("tasks: []\n", settings);
  Process daemon({"serve", "--config", ws.config.string()}, ws.log("serve.log"));
  const auto status = daemon.wait_exit(30s);
  INFO("daemon output:\n" << daemon.output());
  REQUIRE(status.has_value());
  CHECK(describe_status(status) == "exit 1");
  CHECK(daemon.output().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}
