// /api/v1/runs over real HTTP: filters, cursor paging, one run with its events, cancel.
#include <doctest/doctest.h>

#include <set>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using nlohmann::json;

namespace {

// Records runs straight into the store (fast, and with chosen statuses).
std::vector<std::int64_t> record_runs(ApiFixture& f, const std::string& task, int count,
                                      maintd::store::RunStatus status) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < count; ++i) {
    maintd::store::NewRun run;
    run.task_name = task;
    run.task_type = "debug.noop";
    run.status = status;
    if (status == maintd::store::RunStatus::skipped) run.error = "overlap";
    ids.push_back(f.daemon->runs().create_run(run));
  }
  return ids;
}

}  // namespace

TEST_CASE("GET runs pages with a cursor: every run exactly once, newest first") {
  ApiFixture f;
  auto ids = record_runs(f, "nightly", 23, maintd::store::RunStatus::pending);
  std::vector<std::int64_t> seen;
  std::string target = "/api/v1/runs?limit=7";
  int pages = 0;
  for (;;) {
    const auto response = f.get(target);
    REQUIRE(response.status == 200);
    const json body = response.json();
    for (const auto& run : body.at("runs")) seen.push_back(run.at("id"));
    ++pages;
    if (body.at("next_cursor").is_null()) break;
    CHECK(body.at("runs").size() == 7);
    target = "/api/v1/runs?limit=7&cursor=" + std::to_string(body.at("next_cursor").get<long>());
    REQUIRE(pages < 10);
  }
  CHECK(pages == 4);  // 7 + 7 + 7 + 2
  std::reverse(ids.begin(), ids.end());
  CHECK(seen == ids);
  CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == 23);
}

TEST_CASE("GET runs filters by task, status and since") {
  ApiFixture f;
  record_runs(f, "nightly", 3, maintd::store::RunStatus::pending);
  record_runs(f, "slow", 2, maintd::store::RunStatus::skipped);
  auto runs = f.get("/api/v1/runs?task=slow").json().at("runs");
  CHECK(runs.size() == 2);
  for (const auto& run : runs) CHECK(run.at("task") == "slow");
  runs = f.get("/api/v1/runs?status=pending").json().at("runs");
  CHECK(runs.size() == 3);
  runs = f.get("/api/v1/runs?task=nightly&status=skipped").json().at("runs");
  CHECK(runs.empty());
  runs = f.get("/api/v1/runs?since=2000-01-01T00:00:00Z").json().at("runs");
  CHECK(runs.size() == 5);
  runs = f.get("/api/v1/runs?since=2999-01-01T00:00:00Z").json().at("runs");
  CHECK(runs.empty());
  // The fields of `maintd history --json`.
  const json run = f.get("/api/v1/runs?limit=1").json().at("runs")[0];
  for (const char* field :
       {"id", "task", "type", "trigger", "scheduled_for", "status", "attempt", "dry_run", "config",
        "instance_id", "host", "pid", "created_at", "started_at", "finished_at", "heartbeat_at",
        "duration_ms", "result", "error"}) {
    CHECK_MESSAGE(run.contains(field), field);
  }
}

TEST_CASE("GET runs with bad query parameters is a 400 naming the parameter and value") {
  ApiFixture f;
  record_runs(f, "nightly", 1, maintd::store::RunStatus::pending);
  struct Case {
    std::string query;
    std::string parameter;
    std::string error_start;
  };
  const std::vector<Case> cases = {
      {"status=done", "status", "status must be one of pending, running"},
      {"limit=0", "limit", "limit must be an integer from 1 to 1000, got '0'"},
      {"limit=1001", "limit", "limit must be an integer from 1 to 1000, got '1001'"},
      {"limit=ten", "limit", "limit must be an integer from 1 to 1000, got 'ten'"},
      {"since=yesterday", "since",
       "since must be a timestamp such as 2026-11-24T12:00:00Z, got "
       "'yesterday'"},
      {"cursor=abc", "cursor", "cursor must be an integer from 1 to"},
      {"cursor=12x", "cursor", "cursor must be an integer from 1 to"},
      {"statsu=done", "statsu", "unknown query parameter 'statsu' (did you mean 'status'?)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.query);
    const auto response = f.get("/api/v1/runs?" + c.query);
    CHECK(response.status == 400);
    const json body = response.json();
    CHECK(body.at("error").get<std::string>().find(c.error_start) == 0);
    CHECK(body.at("parameter") == c.parameter);
  }
}

TEST_CASE("GET runs/{id} returns the run with its events, 404 and 400 otherwise") {
  ApiFixture f;
  const auto started = f.post("/api/v1/scheduled-tasks/nightly/run");
  REQUIRE(started.status == 202);
  const auto id = started.json().at("run_id").get<std::int64_t>();
  CHECK(f.wait_finished(id).at("status") == "completed");
  const auto response = f.get("/api/v1/runs/" + std::to_string(id));
  REQUIRE(response.status == 200);
  const json run = response.json().at("run");
  CHECK(run.at("id") == id);
  CHECK(run.at("task") == "nightly");
  REQUIRE(run.at("events").size() >= 2);
  CHECK(run.at("events")[0].at("event") == "start");
  for (const char* field : {"at", "level", "event", "message"}) {
    CHECK(run.at("events")[0].contains(field));
  }

  CHECK(f.get("/api/v1/runs/999999").status == 404);
  CHECK(f.get("/api/v1/runs/999999").json().at("error") == "no run 999999");
  const auto bad = f.get("/api/v1/runs/abc");
  CHECK(bad.status == 400);
  CHECK(bad.json().at("parameter") == "run id");
}

TEST_CASE("POST runs/{id}/cancel stops a running run, 409 once it ended, 404 when unknown") {
  ApiFixture f;
  const auto started = f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": {"ms": 10000}})");
  REQUIRE(started.status == 202);
  const auto id = started.json().at("run_id").get<std::int64_t>();
  const std::string url = "/api/v1/runs/" + std::to_string(id);
  const auto cancelled = f.post(url + "/cancel");
  CHECK(cancelled.status == 202);
  CHECK(cancelled.json() == json{{"run_id", id}, {"status", "cancelled"}});
  CHECK(f.wait_finished(id).at("status") == "cancelled");

  const auto again = f.post(url + "/cancel");
  CHECK(again.status == 409);
  CHECK(again.json().at("status") == "cancelled");
  CHECK(f.post("/api/v1/runs/424242/cancel").status == 404);
}
