// `maintd validate|list|next|handlers` in-process, on configurations written per test.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_driver.hpp"
#include "support/temp_dir.hpp"

using maintd::testing::TempDir;

namespace {

maintd::testing::CliOutcome run(std::vector<std::string> args,
                                std::map<std::string, std::string> env = {}) {
  return maintd::testing::run_cli(std::move(args), std::move(env));
}

void write_demo(const TempDir& dir) {
  dir.write("maintd.yaml", R"(
state_database: "postgresql://maintd:hunter2@db/maintd"
databases:
  app: {url: "postgresql://app@db/app", password: s3cr3t-pw}
schedules: [schedules/]
defaults: {timezone: Europe/Berlin}
http: {listen: "127.0.0.1:8089", token: tok-123456}
types:
  search.reindex: {handler: debug.noop, description: Rebuild the index}
)");
  dir.write("schedules/a.yaml", R"(
tasks:
  - {name: every-5, type: debug.noop, schedule: "*/5 * * * *"}
  - {name: nightly, type: search.reindex, schedule: "30 2 * * *", config: {message: "dsn=postgresql://u:pw-in-config@h/d"}}
)");
  dir.write("schedules/b.yaml", R"(
tasks:
  - {name: off, type: debug.noop, schedule: "@hourly", enabled: false}
)");
}

}  // namespace

TEST_CASE("validate prints a one-line summary and exits 0") {
  TempDir dir;
  write_demo(dir);
  const auto r = run({"validate", "--config", (dir.path() / "maintd.yaml").string()});
  CHECK(r.code == 0);
  CHECK(r.out == "3 tasks in 2 files, OK\n");
  CHECK(r.err.empty());
}

TEST_CASE("validate finds the config through $MAINTD_CONFIG") {
  TempDir dir;
  write_demo(dir);
  const auto r = run({"validate"}, {{"MAINTD_CONFIG", (dir.path() / "maintd.yaml").string()}});
  CHECK(r.code == 0);
  CHECK(r.out == "3 tasks in 2 files, OK\n");
}

TEST_CASE("validate reports every error, one per line, and exits 2") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\nworkers: 0\n");
  dir.write("s.yaml", "tasks:\n  - {name: a, type: debug.noop, schedule: '61 * * * *'}\n");
  const auto r = run({"validate", "-c", (dir.path() / "maintd.yaml").string()});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  const std::string base = dir.path().string() + "/";
  CHECK(r.err == base + "maintd.yaml:2:10: workers: 0 is out of range 1-256\n" + base +
                     "s.yaml:2:44: schedule: invalid cron expression '61 * * * *': minute: value "
                     "61 is out of range 0-59\n"
                     "maintd: 2 errors in the configuration; nothing was loaded\n");
}

TEST_CASE("validate: a missing config file is an error naming it") {
  const auto r = run({"validate", "--config", "/nonexistent/maintd.yaml"});
  CHECK(r.code == 2);
  CHECK(r.err.find("/nonexistent/maintd.yaml: cannot read the file: No such file or directory") ==
        0);
}

TEST_CASE("list shows every task with its next slot in UTC and local time") {
  TempDir dir;
  write_demo(dir);
  const auto r = run({"list", "-c", (dir.path() / "maintd.yaml").string()});
  CHECK(r.code == 0);
  CHECK(r.out.find("NAME     TYPE            SCHEDULE     TIMEZONE       ENABLED  NEXT (UTC)") ==
        0);
  CHECK(r.out.find("nightly  search.reindex  30 2 * * *   Europe/Berlin  yes      "
                   "2026-03-29T01:00:00Z  2026-03-29 03:00:00 CEST") != std::string::npos);
  CHECK(r.out.find("off      debug.noop      @hourly      Europe/Berlin  no       -") !=
        std::string::npos);
}

TEST_CASE("list --json is complete and carries no secret") {
  TempDir dir;
  write_demo(dir);
  const auto r = run({"list", "--json", "-c", (dir.path() / "maintd.yaml").string()});
  REQUIRE(r.code == 0);
  for (const char* secret : {"hunter2", "s3cr3t-pw", "tok-123456", "pw-in-config"}) {
    CAPTURE(std::string(secret));
    CHECK(r.out.find(secret) == std::string::npos);
  }
  const auto doc = nlohmann::json::parse(r.out);
  REQUIRE(doc["tasks"].size() == 3);
  const auto& nightly = doc["tasks"][1];
  CHECK(nightly["name"] == "nightly");
  CHECK(nightly["type"] == "search.reindex");
  CHECK(nightly["next"]["utc"] == "2026-03-29T01:00:00Z");
  CHECK(nightly["next"]["local"] == "2026-03-29T03:00:00+02:00");
  CHECK(nightly["policies"]["concurrency"] == "forbid");
  CHECK(nightly["policies"].contains("expect_success_within"));  // null: not watched
  CHECK(nightly["policies"]["expect_success_within"].is_null());
  CHECK(nightly["origin"].get<std::string>().find("file:") == 0);
  CHECK(doc["tasks"][2]["next"].is_null());
}

TEST_CASE("next TASK lists that task's slots, and next alone merges all enabled tasks") {
  TempDir dir;
  write_demo(dir);
  const std::string config = (dir.path() / "maintd.yaml").string();
  const auto one = run({"next", "nightly", "-n", "2", "-c", config, "--json"});
  REQUIRE(one.code == 0);
  const auto slots = nlohmann::json::parse(one.out)["slots"];
  REQUIRE(slots.size() == 2);
  CHECK(slots[0]["utc"] == "2026-03-29T01:00:00Z");
  CHECK(slots[1]["utc"] == "2026-03-30T00:30:00Z");

  const auto all = run({"next", "-n", "3", "-c", config, "--from", "2026-03-29T00:54:00Z"});
  REQUIRE(all.code == 0);
  CHECK(all.out ==
        "SLOT (UTC)            LOCAL                     TASK\n"
        "2026-03-29T00:55:00Z  2026-03-29 01:55:00 CET   every-5\n"
        "2026-03-29T01:00:00Z  2026-03-29 03:00:00 CEST  every-5\n"
        "2026-03-29T01:00:00Z  2026-03-29 03:00:00 CEST  nightly\n");

  const auto disabled = run({"next", "off", "-n", "1", "-c", config});
  CHECK(disabled.code == 0);
  // The demo's state database (a PostgreSQL host "db") cannot be reached here: its table tasks
  // are not shown, and the output says so before the command's own message.
  const std::string unreachable =
      "maintd: warning: tasks in the state database are not shown: "
      "cannot open the state database postgresql://maintd:***@db/";
  CHECK(disabled.err.rfind(unreachable, 0) == 0);
  CHECK(disabled.err.find("hunter2") == std::string::npos);
  CHECK(disabled.err.substr(disabled.err.find('\n') + 1) ==
        "maintd: task 'off' is disabled: these slots will not fire\n");

  const auto unknown = run({"next", "nighty", "-c", config});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.substr(unknown.err.find('\n') + 1) ==
        "maintd: no task named 'nighty' (see 'maintd list')\n");
}

TEST_CASE("handlers lists types, aliases and schemas, and with a config its types too") {
  const auto builtin = run({"handlers"});
  CHECK(builtin.code == 0);
  CHECK(builtin.out.find("\ndebug.noop  Does nothing") != std::string::npos);
  CHECK(builtin.out.find("  sleep    duration  0s       how long to pretend to work") !=
        std::string::npos);
  CHECK(builtin.out.find("  aliases: stale_run.cleanup\n") != std::string::npos);
  CHECK(builtin.out.find("sam.scheduled_pull -> sam.trigger_pull") != std::string::npos);

  TempDir dir;
  write_demo(dir);
  const auto r = run({"handlers", "--json", "-c", (dir.path() / "maintd.yaml").string()});
  REQUIRE(r.code == 0);
  const auto doc = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& type : doc["types"]) {
    if (type["type"] == "search.reindex") {
      found = true;
      CHECK(type["handler"] == "debug.noop");
      CHECK(type["defined_in_config"] == true);
    }
  }
  CHECK(found);
  CHECK(doc["unresolved_aliases"]["sam.scheduled_pull"] == "sam.trigger_pull");
}
