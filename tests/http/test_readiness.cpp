// Ready means ready: until the daemon has loaded its tasks and runs its loop, the API answers 503
// with Retry-After (not 404 "no task named ..." from an empty task set), and /readyz says
// "starting". The daemon's task load is held on a latch, so the window is as long as the test
// needs, on SQLite as on PostgreSQL: no sleep, no race.
#include <doctest/doctest.h>

#include "api_fixture.hpp"
#include "support/files.hpp"

using maintd::testing::ApiFixture;
using maintd::testing::bearer;
using maintd::testing::Headers;
using nlohmann::json;

namespace {

// What a not-ready answer must be: 503, Retry-After, the status word, and nothing about the
// tasks or where the state is kept.
void check_not_ready(const maintd::testing::HttpResult& response, const std::string& status,
                     const ApiFixture& f) {
  CHECK(response.status == 503);
  CHECK(response.header("retry-after") == "1");
  const auto body = response.json();
  CHECK(body.at("status") == status);
  CHECK(body.at("error").get<std::string>().starts_with("maintd is " + status));
  for (const std::string& secret :
       {std::string("nightly"), std::string("db-task"), f.dir.path().string(),
        std::string("state.db"), std::string(maintd::testing::kDbPassword)}) {
    CHECK(response.body.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("while the daemon loads its tasks the API answers 503 with Retry-After, then the task") {
  ApiFixture f(ApiFixture::default_http(), 2, ApiFixture::Start::held);

  // The load is held: whatever the daemon's thread has reached, it has no tasks yet.
  check_not_ready(f.get("/api/v1/scheduled-tasks/nightly"), "starting", f);
  check_not_ready(f.post("/api/v1/scheduled-tasks/nightly/run"), "starting", f);
  check_not_ready(f.get("/api/v1/scheduled-tasks"), "starting", f);
  check_not_ready(f.get("/api/v1/runs"), "starting", f);
  check_not_ready(f.call("GET", "/metrics", {}, {}), "starting", f);
  // The probes, without a token: alive, not ready.
  CHECK(f.call("GET", "/healthz", {}, {}).status == 200);
  check_not_ready(f.call("GET", "/readyz", {}, {}), "starting", f);
  // Access is checked first: no token is still a 401, a wrong path still a 404.
  CHECK(f.call("GET", "/api/v1/scheduled-tasks/nightly", {}, {}).status == 401);
  CHECK(f.get("/api/v1/no-such-thing").status == 404);

  f.release();
  REQUIRE(f.daemon->wait_started(std::chrono::seconds(30)));

  const auto ready = f.call("GET", "/readyz", {}, {});
  CHECK(ready.status == 200);
  CHECK(ready.json() == json{{"status", "ready"}});
  const auto task = f.get("/api/v1/scheduled-tasks/nightly");
  REQUIRE(task.status == 200);
  CHECK(task.json().at("task").at("name") == "nightly");
  CHECK(f.get("/api/v1/scheduled-tasks/db-task").status == 200);
  const auto run = f.post("/api/v1/scheduled-tasks/nightly/run");
  REQUIRE(run.status == 202);
  CHECK(f.wait_finished(run.json().at("run_id")).at("status") == "completed");
  // Nothing that was asked before the start left a run behind: the manual one is the only one.
  CHECK(f.all_runs().size() == 1);

  // Stopped: /readyz says so at once (a load balancer stops sending), the process still lives.
  f.stop_daemon();
  CHECK(f.loop_error.empty());
  check_not_ready(f.call("GET", "/readyz", {}, {}), "stopping", f);
  CHECK(f.call("GET", "/healthz", {}, {}).status == 200);
}

// Regression (issue 24.6): /readyz stayed 200 while every write failed (a read-only file, a
// full disk). A trigger makes the state database refuse this instance's periodic write, as a
// full disk would, while reads go on.
TEST_CASE("while the state database refuses writes /readyz is 503 unwritable, then ready again") {
  ApiFixture f(ApiFixture::default_http(), 2, ApiFixture::Start::held);
  f.release();
  REQUIRE(f.daemon->wait_started(std::chrono::seconds(30)));
  REQUIRE(f.call("GET", "/readyz", {}, {}).status == 200);

  f.daemon->database().with_session("refusing writes", [](soci::session& sql) {
    sql << "CREATE TRIGGER refuse_renewal BEFORE UPDATE ON maintd_instances "
           "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END";
  });
  maintd::testing::HttpResult refused;
  // The daemon writes its row every heartbeat_interval (1 s here).
  REQUIRE(maintd::testing::eventually(std::chrono::seconds(30), [&] {
    refused = f.call("GET", "/readyz", {}, {});
    return refused.status == 503;
  }));
  CHECK(refused.header("retry-after") == "1");
  CHECK(refused.json() ==
        json{{"status", "unwritable"}, {"error", "the state database refuses writes"}});
  CHECK(refused.body.find("state.db") == std::string::npos);
  CHECK(f.call("GET", "/healthz", {}, {}).status == 200);

  f.daemon->database().with_session(
      "accepting writes", [](soci::session& sql) { sql << "DROP TRIGGER refuse_renewal"; });
  CHECK(maintd::testing::eventually(
      std::chrono::seconds(30), [&] { return f.call("GET", "/readyz", {}, {}).status == 200; }));
}
