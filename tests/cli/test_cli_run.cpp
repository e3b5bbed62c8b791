// `maintd run`, `maintd history` and `maintd show-run` in-process, on a SQLite state database
// in a temp dir: exit codes, what is recorded, and that bad input records nothing.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli/cli_driver.hpp"
#include "store/run_store.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::run_cli;
using maintd::testing::TempDir;
using nlohmann::json;

namespace {

struct RunFixture {
  TempDir dir;
  std::string config;

  RunFixture() {
    dir.write("var/.keep", "");
    config = dir.write("maintd.yaml", R"(
state_database: sqlite3://var/state.db
databases:
  app: sqlite3://var/app.db
schedules: [schedules/]
)")
                 .string();
    dir.write("schedules/tasks.yaml", R"(
tasks:
  - {name: quick, type: debug.noop, schedule: "*/5 * * * *"}
  - {name: broken, type: debug.noop, schedule: "@hourly", config: {fail: true, message: boom}}
  - {name: careful, type: debug.noop, schedule: "@daily", dry_run: true}
)");
  }

  maintd::testing::CliOutcome run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config});
    return run_cli(std::move(args));
  }

  json history() {
    auto r = run({"history", "--json"});
    REQUIRE(r.code == 0);
    return json::parse(r.out)["runs"];
  }
};

}  // namespace

TEST_CASE("run records a manual run that completes, exit 0") {
  RunFixture f;
  const auto r = f.run({"run", "quick"});
  CHECK(r.code == 0);
  CHECK(r.out.find("run 1 completed in") == 0);
  CHECK(r.err.find("run 1: quick (debug.noop)") != std::string::npos);
  CHECK(r.err.find("start: debug.noop started on") != std::string::npos);
  const auto runs = f.history();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["task"] == "quick");
  CHECK(runs[0]["trigger"] == "manual");
  CHECK(runs[0]["scheduled_for"].is_null());
  CHECK(runs[0]["status"] == "completed");
  CHECK(runs[0]["result"]["noop"] == true);
}

TEST_CASE("run --json prints the run with its events and nothing else on stdout") {
  RunFixture f;
  const auto r = f.run({"run", "quick", "--json", "--dry-run"});
  CHECK(r.code == 0);
  const auto out = json::parse(r.out);
  CHECK(out["run"]["status"] == "completed");
  CHECK(out["run"]["dry_run"] == true);
  CHECK(out["run"]["result"]["dry_run"] == true);
  REQUIRE(out["run"]["events"].size() == 2);
  CHECK(out["run"]["events"][0]["event"] == "start");
  CHECK(out["run"]["events"][1]["event"] == "complete");
}

TEST_CASE("a task with dry_run true always runs as a dry run") {
  RunFixture f;
  const auto r = f.run({"run", "careful", "--json"});
  CHECK(json::parse(r.out)["run"]["dry_run"] == true);
}

TEST_CASE("a failing handler exits 1 and records the error") {
  RunFixture f;
  const auto r = f.run({"run", "broken"});
  CHECK(r.code == 1);
  CHECK(r.out.find("run 1 failed in") == 0);
  CHECK(r.err.find("maintd: boom") != std::string::npos);
  const auto runs = f.history();
  CHECK(runs[0]["status"] == "failed");
  CHECK(runs[0]["error"] == "boom");
}

TEST_CASE("run --set overrides config keys for this run only") {
  RunFixture f;
  const auto r = f.run({"run", "broken", "--set", "fail=false", "--json"});
  CHECK(r.code == 0);
  const auto run = json::parse(r.out)["run"];
  CHECK(run["config"]["fail"] == false);
  CHECK(run["config"]["message"] == "boom");
}

TEST_CASE("run accepts a type and runs it with its defaults and --set") {
  RunFixture f;
  const auto r = f.run({"run", "debug.noop", "--set", "fail=true", "--set", "message=from set"});
  CHECK(r.code == 1);
  const auto runs = f.history();
  CHECK(runs[0]["task"] == "debug.noop");
  CHECK(runs[0]["error"] == "from set");
}

TEST_CASE("bad --set values are refused with the key and reason, and nothing is recorded") {
  RunFixture f;
  SUBCASE("unknown key") {
    const auto r = f.run({"run", "quick", "--set", "sleeep=1s"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--set sleeep: unknown key 'sleeep' (did you mean 'sleep'?)") !=
          std::string::npos);
  }
  SUBCASE("wrong type") {
    const auto r = f.run({"run", "quick", "--set", "fail=maybe"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--set fail:") != std::string::npos);
  }
  SUBCASE("out of range") {
    const auto r = f.run({"run", "quick", "--set", "sleep=2d"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--set sleep:") != std::string::npos);
  }
  SUBCASE("not key=value") {
    const auto r = f.run({"run", "quick", "--set", "fail"});
    CHECK(r.code == 2);
    CHECK(r.err.find("--set 'fail': expected key=value") != std::string::npos);
  }
  CHECK(f.history().empty());
}

TEST_CASE("an unknown task exits 2 with the closest name") {
  RunFixture f;
  const auto r = f.run({"run", "quikc"});
  CHECK(r.code == 2);
  CHECK(r.err.find("no task or type named 'quikc' (did you mean 'quick'?)") != std::string::npos);
}

TEST_CASE("concurrency forbid refuses while a run is running, unless --force") {
  RunFixture f;
  {
    auto url = maintd::connection::parse_database_url("sqlite3://var/state.db", std::nullopt,
                                                      f.dir.path());
    // The state database exists once any command opened it.
    REQUIRE(f.run({"history"}).code == 0);
    maintd::store::RunStore runs(maintd::store::Database::open(*url),
                                 maintd::store::system_clock());
    maintd::store::NewRun other;
    other.task_name = "quick";
    other.task_type = "debug.noop";
    const auto id = runs.create_run(other);
    REQUIRE(runs.start(id, {"other-instance", "otherhost", 99}));
  }
  const auto refused = f.run({"run", "quick"});
  CHECK(refused.code == 1);
  CHECK(refused.err.find("task 'quick' has run 1 running since") != std::string::npos);
  CHECK(refused.err.find("on otherhost (pid 99)") != std::string::npos);
  CHECK(refused.err.find("pass --force") != std::string::npos);
  CHECK(f.history().size() == 1);

  const auto forced = f.run({"run", "quick", "--force"});
  CHECK(forced.code == 0);
  CHECK(f.history().size() == 2);
}

TEST_CASE("show-run prints the run and its events") {
  RunFixture f;
  REQUIRE(f.run({"run", "broken"}).code == 1);
  const auto text = f.run({"show-run", "1"});
  CHECK(text.code == 0);
  CHECK(text.out.find("status         failed") != std::string::npos);
  CHECK(text.out.find("error          boom") != std::string::npos);
  CHECK(text.out.find("start: debug.noop started on") != std::string::npos);
  CHECK(text.out.find("failed: boom (after") != std::string::npos);

  const auto as_json = json::parse(f.run({"show-run", "1", "--json"}).out);
  CHECK(as_json["run"]["id"] == 1);
  CHECK(as_json["run"]["events"].size() == 2);

  const auto missing = f.run({"show-run", "7"});
  CHECK(missing.code == 2);
  CHECK(missing.err == "maintd: there is no run 7 (see 'maintd history')\n");
}

TEST_CASE("history filters by task, status and limit, newest first") {
  RunFixture f;
  f.run({"run", "quick"});
  f.run({"run", "broken"});
  f.run({"run", "quick"});
  CHECK(f.history().size() == 3);
  CHECK(f.history()[0]["id"] == 3);
  const auto quick = json::parse(f.run({"history", "quick", "--json"}).out)["runs"];
  CHECK(quick.size() == 2);
  const auto failed = json::parse(f.run({"history", "--status", "failed", "--json"}).out)["runs"];
  REQUIRE(failed.size() == 1);
  CHECK(failed[0]["task"] == "broken");
  CHECK(json::parse(f.run({"history", "-n", "1", "--json"}).out)["runs"].size() == 1);
  const auto text = f.run({"history"});
  CHECK(text.out.find("ID  TASK") == 0);
  const auto bad = f.run({"history", "--status", "done"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--status 'done' is not a run status") != std::string::npos);
}

TEST_CASE("a missing state database directory exits 3 naming it, and writes nothing") {
  RunFixture f;
  std::filesystem::remove_all(f.dir.path() / "var");
  const auto r = f.run({"run", "quick"});
  CHECK(r.code == 3);
  CHECK(r.err.find("the directory") != std::string::npos);
  CHECK(r.err.find("var does not exist") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(f.dir.path() / "var"));
}

TEST_CASE("a state database that is not a database exits 3") {
  RunFixture f;
  f.dir.write("var/state.db", std::string(4096, 'x'));
  const auto r = f.run({"run", "quick"});
  CHECK(r.code == 3);
  CHECK(r.err.find("state database") != std::string::npos);
}

TEST_CASE("tasks from the table are listed, planned and runnable like file tasks") {
  RunFixture f;
  const auto added = f.run({"task", "add", "table-task", "--type", "debug.noop", "--schedule",
                            "*/10 * * * *", "--set", "message=from the table"});
  REQUIRE_MESSAGE(added.code == 0, added.err);
  REQUIRE(f.run({"task", "disable", "quick"}).code == 0);

  const auto listed = json::parse(f.run({"list", "--json"}).out)["tasks"];
  std::map<std::string, json> by_name;
  for (const auto& task : listed) by_name[task["name"]] = task;
  REQUIRE(by_name.count("table-task") == 1);
  CHECK(by_name["table-task"]["origin"] == "db");
  CHECK(by_name["quick"]["enabled"] == false);  // the override from `task disable`

  const auto next = f.run({"next", "table-task", "-n", "1"});
  CHECK(next.code == 0);
  CHECK(next.out.find("table-task") != std::string::npos);

  const auto ran = f.run({"run", "table-task", "--json"});
  CHECK(ran.code == 0);
  CHECK(json::parse(ran.out)["run"]["config"]["message"] == "from the table");
}
