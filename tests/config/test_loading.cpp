// Whole configurations: what a valid one becomes, secrets from files, aliases, merging.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "config/load_helper.hpp"
#include "config/loader.hpp"
#include "support/temp_dir.hpp"
#include "support/test_registry.hpp"

using maintd::testing::load;
using maintd::testing::Loaded;
using maintd::testing::TempDir;

namespace {

// What loading reports for a configuration whose one schedule file, s.yaml, holds `schedule`;
// checks that nothing was loaded.
std::string errors_of_schedule(const std::string& schedule) {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\n");
  dir.write("s.yaml", schedule);
  const auto loaded = load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  return loaded.printed;
}

}  // namespace

TEST_CASE("config: a valid configuration loads every task with defaults applied") {
  TempDir dir;
  dir.write("maintd.yaml", R"(
state_database: sqlite3://var/maintd.db
databases: {app: "sqlite3:///srv/app.db"}
schedules: [schedules/]
defaults: {timezone: Europe/Berlin, timeout: 10m, retries: 1}
workers: 8
)");
  dir.write("schedules/a.yaml", R"(
tasks:
  - name: clean
    type: test.schema
    schedule: "*/5 * * * *"
    config: {table: soup_dedupe, database: app}
  - name: other
    type: debug.noop
    schedule: "@daily"
    timezone: UTC
    timeout: 2m
    enabled: false
)");
  const auto loaded = load(dir);
  CHECK(loaded.printed == "");
  REQUIRE(loaded.result.config.has_value());
  const auto& config = *loaded.result.config;
  CHECK(config.daemon.workers == 8);
  CHECK(config.state_database.connect == "db=" + (dir.path() / "var/maintd.db").string());
  REQUIRE(config.tasks.size() == 2);
  const auto& clean = config.tasks[0];
  CHECK(clean.name == "clean");
  CHECK(clean.timezone == "Europe/Berlin");
  CHECK(clean.policies.timeout == std::chrono::minutes(10));
  CHECK(clean.policies.retries == 1);
  CHECK(clean.enabled);
  // Handler defaults fill what the task left out.
  CHECK(clean.config ==
        nlohmann::json{
            {"table", "soup_dedupe"}, {"database", "app"}, {"limit", 100}, {"mode", "dry"}});
  CHECK(clean.defined_at.line == 3);
  const auto& other = config.tasks[1];
  CHECK(other.timezone == "UTC");
  CHECK(other.policies.timeout == std::chrono::minutes(2));
  CHECK_FALSE(other.enabled);
}

TEST_CASE("config: *_file keys read secrets, from $CREDENTIALS_DIRECTORY first") {
  TempDir dir;
  dir.write("creds/app-password", "from-credentials\n");
  dir.write("app-password", "from-config-dir\n");
  dir.write("other-password", "other\r\n");
  dir.write("maintd.yaml", R"(
databases:
  app: {url: "postgresql://maintd@db/app", password_file: app-password}
  other: {url: "postgresql://maintd@db/other", password_file: other-password}
)");
  const auto with_credentials =
      load(dir, {{"CREDENTIALS_DIRECTORY", (dir.path() / "creds").string()}});
  REQUIRE(with_credentials.result.config.has_value());
  const auto& dbs = with_credentials.result.config->databases;
  // Followed by the database_timeouts every PostgreSQL location gets (test_database_timeouts).
  const std::string timeouts =
      " connect_timeout=5 keepalives=1 keepalives_idle=10 keepalives_interval=5 "
      "keepalives_count=3 tcp_user_timeout=30000";
  CHECK(dbs.at("app").connect ==
        "user=maintd host=db dbname=app password=from-credentials" + timeouts);
  CHECK(dbs.at("other").connect == "user=maintd host=db dbname=other password=other" + timeouts);
  CHECK(dbs.at("app").display == "postgresql://maintd@db/app?password=***");

  const auto without = load(dir);
  REQUIRE(without.result.config.has_value());
  CHECK(without.result.config->databases.at("app").connect ==
        "user=maintd host=db dbname=app password=from-config-dir" + timeouts);
}

TEST_CASE("config: a key and its *_file twin together are an error") {
  TempDir dir;
  dir.write("pw", "secret");
  dir.write("maintd.yaml", R"(
databases:
  app: {url: "postgresql://maintd@db/app", password: x, password_file: pw}
)");
  const auto loaded = load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(loaded.printed.find("both 'password' and 'password_file' are set; keep one") !=
        std::string::npos);
  CHECK(loaded.printed.find("secret") == std::string::npos);
}

TEST_CASE("config: ${VAR} works in any value and is typed after expansion") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\nworkers: ${WORKERS:-3}\n");
  dir.write("s.yaml", R"(
tasks:
  - name: t
    type: debug.noop
    schedule: "${SCHEDULE}"
    retries: ${RETRIES}
)");
  const auto loaded = load(dir, {{"SCHEDULE", "*/10 * * * *"}, {"RETRIES", "4"}});
  REQUIRE_MESSAGE(loaded.result.config.has_value(), loaded.printed);
  CHECK(loaded.result.config->daemon.workers == 3);
  CHECK(loaded.result.config->tasks[0].schedule == "*/10 * * * *");
  CHECK(loaded.result.config->tasks[0].policies.retries == 4);
}

TEST_CASE("config: a legacy alias resolves to its canonical type and warns once") {
  TempDir dir;
  dir.write("maintd.yaml", R"(
schedules: [s.yaml]
types:
  sharepoint.trigger_sync: {handler: debug.noop, description: stand-in, config: {sleep: 2s}}
aliases:
  old.sync: sharepoint.trigger_sync
)");
  dir.write("s.yaml", R"(
tasks:
  - {name: a, type: sharepoint.scheduled_sync, schedule: "@daily"}
  - {name: b, type: sharepoint.scheduled_sync, schedule: "@hourly", config: {sleep: 5s}}
  - {name: c, type: old.sync, schedule: "@hourly"}
  - {name: d, type: sharepoint.trigger_sync, schedule: "@hourly"}
)");
  const auto loaded = load(dir);
  REQUIRE(loaded.result.config.has_value());
  const auto& tasks = loaded.result.config->tasks;
  for (const auto& task : tasks) CHECK(task.type == "sharepoint.trigger_sync");
  CHECK(tasks[0].written_type == "sharepoint.scheduled_sync");
  // The type's preset, under the task's own keys.
  CHECK(tasks[0].config->at("sleep") == "2s");
  CHECK(tasks[1].config->at("sleep") == "5s");
  // Equal configs are held once (config/shared_json.hpp); a different one is its own.
  CHECK(tasks[0].config.shares_with(tasks[2].config));
  CHECK(tasks[0].config.shares_with(tasks[3].config));
  CHECK_FALSE(tasks[0].config.shares_with(tasks[1].config));
  CHECK(tasks[0].written_config.shares_with(tasks[2].written_config));
  CHECK(*tasks[0].written_config == nlohmann::json::object());
  CHECK(*tasks[1].written_config == nlohmann::json{{"sleep", "5s"}});
  // One warning per alias, at its first use, naming the canonical type.
  const auto warnings = loaded.result.diagnostics.warnings();
  REQUIRE(warnings.size() == 2);
  CHECK(
      loaded.printed ==
      "s.yaml:3:21: warning: type 'sharepoint.scheduled_sync' is a legacy alias of "
      "'sharepoint.trigger_sync'; runs are recorded as 'sharepoint.trigger_sync' (write "
      "'sharepoint.trigger_sync' to silence this)\n"
      "s.yaml:5:21: warning: type 'old.sync' is a legacy alias of 'sharepoint.trigger_sync'; "
      "runs are recorded as 'sharepoint.trigger_sync' (write 'sharepoint.trigger_sync' to silence "
      "this)\n");
}

TEST_CASE("config: nothing is half-loaded: one bad task rejects the whole configuration") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [a.yaml, b.yaml]\n");
  dir.write("a.yaml", "tasks:\n  - {name: good, type: debug.noop, schedule: '@daily'}\n");
  dir.write("b.yaml", "tasks:\n  - {name: bad, type: debug.noop, schedule: '@dialy'}\n");
  const auto loaded = load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(loaded.printed ==
        "b.yaml:2:46: schedule: invalid cron expression '@dialy': expression: unknown macro "
        "'@dialy' (hint: did you mean '@daily'?)\n");
}

TEST_CASE("config: registering a malformed or duplicate handler type is a programming error") {
  maintd::registry::Registry registry;
  CHECK_THROWS_AS(registry.add_handler({"NoDot", "", {}, {}}), std::logic_error);
  CHECK_THROWS_AS(registry.add_handler({"Runs.cleanup", "", {}, {}}), std::logic_error);
  CHECK_THROWS_AS(registry.add_handler({"runs.", "", {}, {}}), std::logic_error);
  registry.add_handler({"runs.cleanup", "", {}, {}});
  CHECK_THROWS_AS(registry.add_handler({"runs.cleanup", "", {}, {}}), std::logic_error);
}

// Schedule files are read from yaml-cpp's parser events (config/yaml_source.cpp), not from its
// node tree: these pin what the tree used to give for free.
TEST_CASE("config: YAML anchors and aliases share a value between tasks") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\n");
  dir.write("s.yaml", R"(tasks:
  - name: first
    type: debug.noop
    schedule: &daily "15 3 * * *"
    timezone: &zone Europe/Berlin
    config: &shared {}
  - name: second
    type: debug.noop
    schedule: *daily
    timezone: *zone
    config: *shared
)");
  const auto loaded = load(dir);
  INFO(loaded.printed);
  REQUIRE(loaded.result.config.has_value());
  const auto& tasks = loaded.result.config->tasks;
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[1].schedule == "15 3 * * *");
  CHECK(tasks[1].timezone == "Europe/Berlin");
  CHECK(tasks[1].defined_at.line == 7);
}

TEST_CASE("config: a value written through an alias is reported where the alias is") {
  // One error per task that uses the value, each at that task's own line.
  const std::string unknown =
      "timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as 'UTC' or "
      "'Europe/Berlin'; the tz database in /usr/share/zoneinfo lists them)\n";
  CHECK(errors_of_schedule(R"(tasks:
  - {name: a, type: debug.noop, schedule: "@daily", timezone: &zone Mars/Olympus}
  - {name: b, type: debug.noop, schedule: "@daily", timezone: *zone}
)") == "s.yaml:2:63: " + unknown + "s.yaml:3:63: " + unknown);
}

TEST_CASE("config: a key that is not a plain name is reported and its value skipped unread") {
  // The value of the bad key holds an unset variable: not reported, as it is never used.
  CHECK(errors_of_schedule(R"(tasks:
  - name: t
    type: debug.noop
    schedule: "@daily"
    [a, b]: {x: "${UNSET_IN_SKIPPED_VALUE}"}
    ? {k: v}
    : also skipped
)") == "s.yaml:5:5: a map key must be a plain name\n"
       "s.yaml:6:7: a map key must be a plain name\n");
}

TEST_CASE("config: the value of a duplicate key is skipped unread, the first one kept") {
  CHECK(errors_of_schedule(R"(tasks:
  - name: t
    type: debug.noop
    schedule: "@daily"
    config: {}
    config: {x: "${UNSET_IN_DUPLICATE}"}
)") == "s.yaml:6:5: duplicate key 'config' (first written at line 5)\n");
}

TEST_CASE("config: a *_file key after its plain twin is an error too, and reads nothing") {
  TempDir dir;
  dir.write("maintd.yaml", R"(
databases:
  app:
    password_file: no-such-file
    url: "postgresql://maintd@db/app"
    password: x
)");
  const auto loaded = load(dir);
  CHECK_FALSE(loaded.result.config.has_value());
  CHECK(loaded.printed ==
        "maintd.yaml:4:5: both 'password' and 'password_file' are set; keep one\n");
}

TEST_CASE("config: an empty schedule file and one of comments only hold no tasks") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [empty.yaml, comments.yaml]\n");
  dir.write("empty.yaml", "");
  dir.write("comments.yaml", "# nothing yet\n");
  const auto loaded = load(dir);
  REQUIRE(loaded.result.config.has_value());
  CHECK(loaded.result.config->tasks.empty());
  CHECK(loaded.printed ==
        "comments.yaml: warning: the file is empty: no tasks\n"
        "empty.yaml: warning: the file is empty: no tasks\n");
}

// Schedule files are parsed ahead on other threads (config/loader.cpp, ParseAhead); the tasks
// and the errors must come out as if they were read one after another.
TEST_CASE("config: many schedule files parsed ahead keep their order and every file's errors") {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [schedules/]\n");
  std::string expected;
  for (int file = 0; file < 12; ++file) {
    const std::string name = "f" + std::to_string(100 + file);
    if (file % 5 == 4) {
      dir.write("schedules/" + name + ".yaml", "tasks: [oops\n");  // a YAML syntax error
      expected += "schedules/" + name + ".yaml:2:1: ";
      continue;
    }
    dir.write("schedules/" + name + ".yaml",
              "tasks:\n  - {name: " + name + "-a, type: debug.noop, schedule: \"@daily\"}\n" +
                  "  - {name: " + name + "-b, type: debug.noop, schedule: \"@hourly\"}\n");
  }
  const auto failed = load(dir);
  CHECK_FALSE(failed.result.config.has_value());
  // Each broken file is reported, in file order, whatever thread parsed it.
  std::string starts;
  for (std::size_t at = 0; (at = failed.printed.find("schedules/", at)) != std::string::npos;) {
    const std::size_t colon = failed.printed.find(' ', at);
    starts += failed.printed.substr(at, colon + 1 - at);
    at = failed.printed.find('\n', at);
  }
  CHECK(starts == expected);

  for (int file = 4; file < 12; file += 5) {
    const std::string name = "f" + std::to_string(100 + file);
    dir.write("schedules/" + name + ".yaml", "tasks: []\n");
  }
  const auto loaded = load(dir);
  INFO(loaded.printed);
  REQUIRE(loaded.result.config.has_value());
  std::vector<std::string> names;
  for (const auto& task : loaded.result.config->tasks) names.push_back(task.name);
  std::vector<std::string> in_order;
  for (int file = 0; file < 12; ++file) {
    if (file % 5 == 4) continue;
    in_order.push_back("f" + std::to_string(100 + file) + "-a");
    in_order.push_back("f" + std::to_string(100 + file) + "-b");
  }
  CHECK(names == in_order);
  REQUIRE(loaded.result.config->schedule_files.size() == 12);
  CHECK(loaded.result.config->schedule_files.front().ends_with("/schedules/f100.yaml"));
  CHECK(loaded.result.config->schedule_files.back().ends_with("/schedules/f111.yaml"));
}
