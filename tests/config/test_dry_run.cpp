// A task's dry-run mode written inside its config, as Curatore's configs write it
// ({"retention_days": 30, "dry_run": false}): the same setting as the task's `dry_run:`, in a
// schedule file and in a row of scheduled_tasks alike, and never a key the handler sees.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/load_helper.hpp"
#include "config/task_entry.hpp"
#include "support/temp_dir.hpp"
#include "tasks/task_row.hpp"

using maintd::testing::load;
using maintd::testing::TempDir;
using nlohmann::json;
namespace config = maintd::config;
namespace tasks = maintd::tasks;

namespace {

// A configuration whose one schedule file, s.yaml, holds `schedule`.
maintd::testing::Loaded load_schedule(const std::string& schedule) {
  TempDir dir;
  dir.write("maintd.yaml", "schedules: [s.yaml]\ndatabases: {app: \"sqlite3://app.db\"}\n");
  dir.write("s.yaml", schedule);
  return load(dir);
}

// What loading s.yaml printed; checks that nothing was loaded.
std::string errors_of_schedule(const std::string& schedule) {
  const auto loaded = load_schedule(schedule);
  CHECK_FALSE(loaded.result.config.has_value());
  return loaded.printed;
}

// The settings a row is read against: a configuration with no tasks.
const config::Config& settings() {
  static const config::Config loaded = [] {
    auto result = load_schedule("tasks: []\n");
    REQUIRE(result.result.config.has_value());
    return *result.result.config;
  }();
  return loaded;
}

// A row of scheduled_tasks as Curatore's seed writes it: a runs.cleanup_expired task with
// `config`, its dry_run column holding `dry_run_column`.
tasks::TaskRow curatore_row(json config, bool dry_run_column) {
  tasks::TaskRow row;
  row.name = "gc";
  row.display_name = "gc";
  row.task_type = "gc.cleanup";
  row.schedule_expression = "0 3 * * *";
  row.timezone = "UTC";
  row.origin = "db";
  row.config = std::move(config);
  row.dry_run = dry_run_column;
  return row;
}

}  // namespace

TEST_CASE("config: dry_run inside a task's config is the task's dry-run mode, for every type") {
  const auto loaded = load_schedule(R"(
tasks:
  - name: gc
    type: runs.cleanup_expired
    schedule: "0 3 * * *"
    config: {"retention_days": 30, "batch_size": 1000, "dry_run": true}
  - name: stale
    type: runs.cleanup_stale
    schedule: "*/5 * * * *"
    config: {table: runs, dry_run: false}
  - name: schema
    type: test.schema
    schedule: "@daily"
    config: {table: t, database: app, dry_run: true}
  - name: noop
    type: debug.noop
    schedule: "@daily"
    config: {dry_run: true}
)");
  REQUIRE_MESSAGE(loaded.result.config.has_value(), loaded.printed);
  const auto& tasks = loaded.result.config->tasks;
  REQUIRE(tasks.size() == 4);
  CHECK(tasks[0].dry_run);
  CHECK_FALSE(tasks[1].dry_run);
  CHECK(tasks[2].dry_run);
  CHECK(tasks[3].dry_run);
  // The handler never sees it: not in the effective config, nor in the config as written
  // (which is what a row of the table stores).
  for (const auto& task : tasks) {
    CAPTURE(task.name);
    CHECK_FALSE(task.config->contains("dry_run"));
    CHECK_FALSE(task.written_config->contains("dry_run"));
  }
  CHECK(*tasks[0].written_config == json{{"retention_days", 30}, {"batch_size", 1000}});
  CHECK(tasks[0].config->at("retention_days") == 30);
}

TEST_CASE("config: dry_run given on the task and in its config with one value is accepted") {
  const auto loaded = load_schedule(R"(
tasks:
  - name: on
    type: debug.noop
    schedule: "@daily"
    dry_run: true
    config: {dry_run: true}
  - name: off
    type: debug.noop
    schedule: "@daily"
    dry_run: false
    config: {dry_run: false}
  - name: unset
    type: debug.noop
    schedule: "@daily"
    dry_run: true
    config: {dry_run: ~}
)");
  REQUIRE_MESSAGE(loaded.result.config.has_value(), loaded.printed);
  const auto& tasks = loaded.result.config->tasks;
  REQUIRE(tasks.size() == 3);
  CHECK(tasks[0].dry_run);
  CHECK_FALSE(tasks[1].dry_run);
  // ~ (null) is no value, as it is for the task's own key: the task's dry_run decides.
  CHECK(tasks[2].dry_run);
  CHECK_FALSE(tasks[2].config->contains("dry_run"));
}

TEST_CASE("config: dry_run on the task and in its config with two values is an error") {
  CHECK(errors_of_schedule(R"(
tasks:
  - name: gc
    type: runs.cleanup_expired
    schedule: "0 3 * * *"
    dry_run: false
    config: {retention_days: 30, dry_run: true}
  - name: other
    type: debug.noop
    schedule: "@daily"
    dry_run: true
    config:
      dry_run: false
)") == "s.yaml:7:34: config.dry_run is true but the task's dry_run is false: both are the "
       "task's dry-run mode; give one of them, or the same value\n"
       "s.yaml:13:7: config.dry_run is false but the task's dry_run is true: both are the "
       "task's dry-run mode; give one of them, or the same value\n");
}

TEST_CASE("config: dry_run inside a task's config must be true or false") {
  CHECK(errors_of_schedule(R"(
tasks:
  - name: text
    type: runs.cleanup_expired
    schedule: "0 3 * * *"
    config: {retention_days: 30, dry_run: "yes"}
  - name: number
    type: debug.noop
    schedule: "@daily"
    config:
      dry_run: 1
  - name: list
    type: debug.noop
    schedule: "@daily"
    dry_run: true
    config: {dry_run: [true]}
)") == "s.yaml:6:43: config.dry_run: expected true or false, got a string ('yes')\n"
       "s.yaml:11:16: config.dry_run: expected true or false, got an integer (1)\n"
       "s.yaml:16:23: config.dry_run: expected true or false, got a list\n");
}

TEST_CASE("config: dry_run inside the config of an entry with no dry_run of its own") {
  // `maintd task add` builds such an entry: the task-level key only when an option gave it.
  const json entry = {{"name", "added"},
                      {"type", "runs.cleanup_expired"},
                      {"schedule", "0 3 * * *"},
                      {"config", {{"retention_days", 7}, {"dry_run", true}}}};
  config::Diagnostics diagnostics;
  const auto task =
      config::read_task_entry(entry, config::SourceMap("task 'added'"), settings(), diagnostics);
  REQUIRE(task.has_value());
  CHECK(task->dry_run);
  CHECK(*task->written_config == json{{"retention_days", 7}});
  // The row it is stored as holds the mode in its dry_run column, not in its config.
  const tasks::TaskRow row = tasks::db_row_from_task(*task, entry);
  CHECK(row.dry_run);
  CHECK(row.config == json{{"retention_days", 7}});
}

TEST_CASE("config: a row of scheduled_tasks with dry_run inside its config") {
  SUBCASE("the column and the config agree: the task runs in that mode") {
    for (const bool mode : {true, false}) {
      CAPTURE(mode);
      config::Diagnostics diagnostics;
      const auto task = tasks::task_from_row(
          curatore_row({{"retention_days", 30}, {"dry_run", mode}}, mode), settings(), diagnostics);
      CHECK(diagnostics.errors().empty());
      REQUIRE(task.has_value());
      CHECK(task->dry_run == mode);
      CHECK(task->type == "runs.cleanup_expired");
      CHECK_FALSE(task->config->contains("dry_run"));
      CHECK(*task->written_config == json{{"retention_days", 30}});
    }
  }
  SUBCASE("the column says a dry run, the config says not: refused, naming both") {
    config::Diagnostics diagnostics;
    CHECK_FALSE(
        tasks::task_from_row(curatore_row({{"dry_run", false}}, true), settings(), diagnostics)
            .has_value());
    REQUIRE(diagnostics.errors().size() == 1);
    CHECK(diagnostics.errors()[0].to_string() ==
          "scheduled_tasks 'gc': config.dry_run is false but the task's dry_run is true: both "
          "are the task's dry-run mode; give one of them, or the same value");
  }
  SUBCASE("a value that is not true or false: refused, naming it") {
    config::Diagnostics diagnostics;
    CHECK_FALSE(
        tasks::task_from_row(curatore_row({{"dry_run", "false"}}, false), settings(), diagnostics)
            .has_value());
    REQUIRE(diagnostics.errors().size() == 1);
    CHECK(diagnostics.errors()[0].to_string() ==
          "scheduled_tasks 'gc': config.dry_run: expected true or false, got a string ('false')");
  }
}
