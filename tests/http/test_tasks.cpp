// /api/v1/scheduled-tasks over real HTTP: list, show, PATCH (db tasks only, validated like
// `maintd task edit`), enable, disable, run.
#include <doctest/doctest.h>

#include "api_fixture.hpp"

using maintd::testing::ApiFixture;
using nlohmann::json;

namespace {

std::vector<std::string> names(const json& tasks) {
  std::vector<std::string> out;
  for (const auto& task : tasks) out.push_back(task.at("name"));
  return out;
}

}  // namespace

TEST_CASE("GET scheduled-tasks lists every task with the CLI's fields, next slot and last run") {
  ApiFixture f;
  const auto response = f.get("/api/v1/scheduled-tasks");
  REQUIRE(response.status == 200);
  CHECK(response.header("content-type") == "application/json");
  const json tasks = response.json().at("tasks");
  CHECK(names(tasks) == std::vector<std::string>{"nightly", "slow", "secretive", "db-task"});
  const json& nightly = tasks[0];
  for (const char* field : {"name", "display_name", "description", "type", "written_type",
                            "schedule", "timezone", "enabled", "dry_run", "next", "policies",
                            "config", "origin", "defined_at", "last_run", "overdue"}) {
    CHECK_MESSAGE(nightly.contains(field), field);
  }
  CHECK(nightly.at("type") == "debug.noop");
  CHECK(nightly.at("origin") == "file:schedules/tasks.yaml");
  CHECK(nightly.at("next").at("utc").get<std::string>().substr(11) == "03:00:00Z");
  CHECK(nightly.at("last_run").is_null());
  CHECK(nightly.at("policies").at("concurrency") == "forbid");
  CHECK(tasks[3].at("origin") == "db");
}

TEST_CASE("GET scheduled-tasks/{name} shows five next slots and the last run") {
  ApiFixture f;
  const auto started = f.post("/api/v1/scheduled-tasks/nightly/run");
  REQUIRE(started.status == 202);
  const auto id = started.json().at("run_id").get<std::int64_t>();
  CHECK(f.wait_finished(id).at("status") == "completed");

  const auto response = f.get("/api/v1/scheduled-tasks/nightly");
  REQUIRE(response.status == 200);
  const json task = response.json().at("task");
  CHECK(task.at("name") == "nightly");
  REQUIRE(task.at("next_slots").size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(task.at("next_slots")[i].at("utc").get<std::string>().substr(11) == "03:00:00Z");
    if (i > 0) CHECK(task.at("next_slots")[i].at("utc") > task.at("next_slots")[i - 1].at("utc"));
  }
  CHECK(task.at("last_run").at("id") == id);
  CHECK(task.at("last_run").at("status") == "completed");
  CHECK(task.at("last_success").is_string());
}

TEST_CASE("scheduled-tasks/{id}: a task is addressed by its row's id as well as its name") {
  ApiFixture f;
  const auto row = f.row("db-task");
  REQUIRE(row);
  REQUIRE(row->id.size() == 36);
  const std::string path = "/api/v1/scheduled-tasks/" + row->id;

  const auto shown = f.get(path);
  REQUIRE(shown.status == 200);
  CHECK(shown.json().at("task").at("name") == "db-task");

  const auto started = f.post(path + "/run");
  REQUIRE(started.status == 202);
  CHECK(f.wait_finished(started.json().at("run_id").get<std::int64_t>()).at("task") == "db-task");

  const auto patched = f.call("PATCH", path, R"({"schedule": "*/7 * * * *"})");
  REQUIRE(patched.status == 200);
  CHECK(f.row("db-task")->schedule_expression == "*/7 * * * *");

  CHECK(f.get("/api/v1/scheduled-tasks/00000000-0000-4000-8000-000000000000").status == 404);
}

TEST_CASE("GET scheduled-tasks/{name} of an unknown task is a 404 with a suggestion") {
  ApiFixture f;
  const auto response = f.get("/api/v1/scheduled-tasks/nightlly");
  CHECK(response.status == 404);
  CHECK(response.json().at("error") == "no task named 'nightlly' (did you mean 'nightly'?)");
}

TEST_CASE("PATCH a db task merges the patch, validates it like task edit and writes it") {
  ApiFixture f;
  const auto before = f.row("db-task");
  REQUIRE(before);
  const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task",
                               R"({"schedule": "*/5 * * * *", "config": {"limit": 7},
                                   "timeout": "2m"})");
  REQUIRE(response.status == 200);
  const json body = response.json();
  CHECK(body.at("changed") == true);
  std::vector<std::string> columns;
  for (const auto& change : body.at("changes")) columns.push_back(change.at("column"));
  CHECK(columns == std::vector<std::string>{"schedule_expression", "config", "timeout_seconds"});
  CHECK(body.at("task").at("schedule") == "*/5 * * * *");
  const auto after = f.row("db-task");
  REQUIRE(after);
  CHECK(after->schedule_expression == "*/5 * * * *");
  CHECK(after->config == json{{"limit", 7}});
  CHECK(after->timeout_seconds == 120);

  // The same patch again changes nothing and writes nothing.
  const auto again =
      f.call("PATCH", "/api/v1/scheduled-tasks/db-task", R"({"schedule": "*/5 * * * *"})");
  REQUIRE(again.status == 200);
  CHECK(again.json().at("changed") == false);
  CHECK(f.row("db-task")->updated_at == after->updated_at);

  // null removes a key (RFC 7396): the policy falls back to the defaults.
  const auto removed = f.call("PATCH", "/api/v1/scheduled-tasks/db-task", R"({"timeout": null})");
  REQUIRE(removed.status == 200);
  CHECK_FALSE(f.row("db-task")->timeout_seconds.has_value());
}

TEST_CASE("PATCH a file task is refused with its file and line, and nothing is written") {
  ApiFixture f;
  const auto before = f.row("nightly");
  REQUIRE(before);
  const auto response =
      f.call("PATCH", "/api/v1/scheduled-tasks/nightly", R"({"schedule": "*/5 * * * *"})");
  CHECK(response.status == 409);
  const json body = response.json();
  const std::string error = body.at("error");
  CHECK(error.find("task 'nightly' is defined in ") == 0);
  CHECK(error.find("schedules/tasks.yaml:2 \u2014 edit the file") != std::string::npos);
  CHECK(body.at("defined_at").get<std::string>().find("tasks.yaml:2") != std::string::npos);
  const auto after = f.row("nightly");
  CHECK(after->schedule_expression == before->schedule_expression);
  CHECK(after->updated_at == before->updated_at);
}

TEST_CASE("PATCH with invalid values is refused with every error and leaves the row unchanged") {
  ApiFixture f;
  const auto before = f.row("db-task");
  REQUIRE(before);
  SUBCASE("a bad cron expression and a value out of range") {
    const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task",
                                 R"({"schedule": "61 * * * *", "config": {"limit": 1000}})");
    CHECK(response.status == 400);
    const json body = response.json();
    CHECK(body.at("error").get<std::string>().find("task 'db-task' was not changed: ") == 0);
    REQUIRE(body.at("errors").size() == 2);
    CHECK(body.at("errors").dump().find("limit") != std::string::npos);
  }
  SUBCASE("an unknown field is named, with a suggestion") {
    const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task", R"({"timout": "5m"})");
    CHECK(response.status == 400);
    const std::string errors = response.json().at("errors").dump();
    CHECK(errors.find("timout") != std::string::npos);
    CHECK(errors.find("did you mean 'timeout'") != std::string::npos);
  }
  SUBCASE("a body that is not an object") {
    const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task", "[1, 2]");
    CHECK(response.status == 400);
    CHECK(response.json().at("error") ==
          "the body must be a JSON merge patch (an object), got array");
  }
  SUBCASE("a new name") {
    const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/db-task", R"({"name": "x"})");
    CHECK(response.status == 400);
    CHECK(response.json().at("error") == "a task's name cannot be changed");
  }
  SUBCASE("an unknown task") {
    const auto response = f.call("PATCH", "/api/v1/scheduled-tasks/nope", R"({"retries": 1})");
    CHECK(response.status == 404);
  }
  const auto after = f.row("db-task");
  CHECK(after->schedule_expression == before->schedule_expression);
  CHECK(after->config == before->config);
  CHECK(after->timeout_seconds == before->timeout_seconds);
  CHECK(after->updated_at == before->updated_at);
}

TEST_CASE("POST enable and disable set the override of a file or db task") {
  ApiFixture f;
  auto response = f.post("/api/v1/scheduled-tasks/nightly/disable");
  REQUIRE(response.status == 200);
  CHECK(response.json() == json{{"task", "nightly"}, {"enabled", false}, {"changed", true}});
  CHECK(f.row("nightly")->enabled_override == false);
  CHECK(f.row("nightly")->enabled == false);

  response = f.post("/api/v1/scheduled-tasks/nightly/disable");
  CHECK(response.json().at("changed") == false);

  response = f.post("/api/v1/scheduled-tasks/db-task/disable");
  CHECK(response.status == 200);
  CHECK(f.row("db-task")->enabled == false);
  response = f.post("/api/v1/scheduled-tasks/db-task/enable");
  CHECK(response.status == 200);
  CHECK(response.json().at("changed") == true);
  CHECK(f.row("db-task")->enabled == true);

  // The daemon sees the change when it re-reads the table (tasks_changed() asks its loop to).
  f.daemon->refresh_table_tasks(f.daemon->next_wake().value_or(maintd::Instant{}));
  const auto listed = f.get("/api/v1/scheduled-tasks/nightly").json().at("task");
  CHECK(listed.at("enabled") == false);
  CHECK(listed.at("next").is_null());

  CHECK(f.post("/api/v1/scheduled-tasks/nope/enable").status == 404);
}

TEST_CASE("POST run starts a manual run at once (202) and it completes on the workers") {
  ApiFixture f;
  const auto response =
      f.post("/api/v1/scheduled-tasks/slow/run", R"({"dry_run": true, "config": {"ms": 20}})");
  REQUIRE(response.status == 202);
  const json body = response.json();
  const auto id = body.at("run_id").get<std::int64_t>();
  CHECK(body.at("task") == "slow");
  CHECK(body.at("dry_run") == true);
  CHECK(response.header("location") == "/api/v1/runs/" + std::to_string(id));
  const json run = f.wait_finished(id);
  CHECK(run.at("status") == "completed");
  CHECK(run.at("trigger") == "manual");
  CHECK(run.at("dry_run") == true);
  CHECK(run.at("config").at("ms") == 20);
}

TEST_CASE("POST run refusals: unknown task 404, bad config 400 with errors, no run is recorded") {
  ApiFixture f;
  SUBCASE("unknown task") {
    const auto response = f.post("/api/v1/scheduled-tasks/nope/run");
    CHECK(response.status == 404);
    CHECK(response.json().at("error").get<std::string>().find("no task named 'nope'") == 0);
  }
  SUBCASE("config that does not fit the handler") {
    const auto response =
        f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": {"ms": "soon", "nope": 1}})");
    CHECK(response.status == 400);
    const json body = response.json();
    CHECK(body.at("errors").size() == 2);
    CHECK(body.at("errors").dump().find("nope") != std::string::npos);
  }
  SUBCASE("an unknown field") {
    const auto response = f.post("/api/v1/scheduled-tasks/slow/run", R"({"dryrun": true})");
    CHECK(response.status == 400);
    CHECK(response.json().at("error") ==
          "unknown field 'dryrun' (did you mean 'dry_run'?) (known: dry_run, config, force, at)");
    CHECK(response.json().at("field") == "dryrun");
  }
  SUBCASE("dry_run that is not a boolean") {
    const auto response = f.post("/api/v1/scheduled-tasks/slow/run", R"({"dry_run": "yes"})");
    CHECK(response.status == 400);
    CHECK(response.json().at("error") == "dry_run must be true or false, got string");
  }
  SUBCASE("config that is not an object") {
    const auto response = f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": [1]})");
    CHECK(response.status == 400);
    CHECK(response.json().at("field") == "config");
  }
  CHECK(f.all_runs().empty());
}

TEST_CASE("POST run on a forbid task with a run in progress is a 409 naming that run") {
  ApiFixture f;
  const auto first = f.post("/api/v1/scheduled-tasks/slow/run", R"({"config": {"ms": 2000}})");
  REQUIRE(first.status == 202);
  const auto id = first.json().at("run_id").get<std::int64_t>();
  const auto second = f.post("/api/v1/scheduled-tasks/slow/run");
  CHECK(second.status == 409);
  CHECK(second.json().at("running_run_id") == id);
  CHECK(second.json().at("error").get<std::string>().find(std::to_string(id)) != std::string::npos);
  CHECK(f.all_runs().size() == 1);
  CHECK(f.post("/api/v1/runs/" + std::to_string(id) + "/cancel").status == 202);
  CHECK(f.wait_finished(id).at("status") == "cancelled");
}

TEST_CASE("the task list follows the daemon's task set after a change (no stale cached JSON)") {
  ApiFixture f;
  auto find = [&](const std::string& name) -> json {
    const json tasks = f.get("/api/v1/scheduled-tasks").json().at("tasks");
    for (const auto& task : tasks) {
      if (task.at("name") == name) return task;
    }
    return nullptr;
  };
  CHECK(find("db-task").at("schedule") == "*/10 * * * *");
  REQUIRE(
      f.call("PATCH", "/api/v1/scheduled-tasks/db-task", R"({"schedule": "7 * * * *"})").status ==
      200);
  // The daemon's loop re-reads the table on tasks_changed(); this test drives it by hand.
  f.daemon->refresh_table_tasks(f.daemon->next_wake().value_or(maintd::Instant{}));
  const json task = find("db-task");
  CHECK(task.at("schedule") == "7 * * * *");
  CHECK(task.at("next").at("utc").get<std::string>().substr(14) == "07:00Z");
  // Every member of the single-task view is in the list entry too, with the same value.
  const json single = f.get("/api/v1/scheduled-tasks/db-task").json().at("task");
  for (const auto& [key, value] : task.items()) CHECK_MESSAGE(single.at(key) == value, key);
}
