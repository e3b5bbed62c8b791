// scheduled_tasks on both backends: the sync of schedule files into the table (from empty,
// no-op, column by column, removal, conflicts, one transaction), the enable/disable override,
// table tasks and their validation on load.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/store_error.hpp"
#include "support/config_state.hpp"
#include "support/task_tables.hpp"
#include "tasks/task_row.hpp"

using namespace maintd;
using namespace maintd::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTwoTasks = R"(tasks:
  - {name: every-5, type: debug.noop, schedule: "*/5 * * * *"}
  - name: nightly
    type: debug.noop
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    description: the nightly one
    timeout: 10m
    retries: 2
    config: {sleep: 1s, message: "dsn=postgresql://u:pw-in-config@h/d"}
)";

// A db task as `maintd task add` stores it.
template <class Env>
void add_db_task(Env& env, const std::string& name, nlohmann::json entry) {
  entry["name"] = name;
  const config::Config config = env.load();
  config::Diagnostics diagnostics;
  auto task = config::read_task_entry(entry, config::SourceMap("test"), config, diagnostics);
  for (const auto& e : diagnostics.errors()) MESSAGE(e.to_string());
  REQUIRE(task.has_value());
  REQUIRE(tasks::insert_db_task(*maintd::testing::table_of(env.db()),
                                tasks::db_row_from_task(*task, entry), env.clock.clock()));
}

}  // namespace

TEST_CASE_TEMPLATE("tasks: a sync from empty inserts every file task with its effective definition",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  const tasks::SyncPlan plan = env.sync();
  REQUIRE(plan.added.size() == 2);
  CHECK(plan.added[0].name == "every-5");
  CHECK(plan.added[0].origin == "file:schedules/a.yaml");
  CHECK(plan.added[0].defined_at.line == 2);
  CHECK(plan.added[1].name == "nightly");
  CHECK(plan.changed.empty());
  CHECK(plan.removed.empty());
  CHECK(plan.conflicts.empty());

  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
  CHECK(env.column("nightly", "origin") == "file:schedules/a.yaml");
  CHECK(env.column("nightly", "display_name") == "nightly");
  CHECK(env.column("nightly", "description") == "the nightly one");
  CHECK(env.column("nightly", "task_type") == "debug.noop");
  CHECK(env.column("nightly", "scope_type") == "global");
  CHECK(env.column("nightly", "schedule_expression") == "30 2 * * *");
  CHECK(env.column("nightly", "timezone") == "Europe/Berlin");
  CHECK(env.column("nightly", "enabled") == "1");
  CHECK(env.column("nightly", "enabled_override") == "NULL");
  CHECK(env.column("nightly", "timeout_seconds") == "600");
  CHECK(env.column("nightly", "concurrency") == "forbid");
  CHECK(env.column("nightly", "catchup_seconds") == "300");
  CHECK(env.column("nightly", "retries") == "2");
  CHECK(env.column("nightly", "retry_backoff_seconds") == "30");
  CHECK(env.column("nightly", "jitter_seconds") == "0");
  CHECK(env.column("nightly", "dry_run") == "0");
  // The effective config (handler defaults applied), with the secret masked.
  const auto config = nlohmann::json::parse(env.column("nightly", "config"));
  CHECK(config == nlohmann::json{
                      {"sleep", "1s"}, {"fail", false}, {"message", "dsn=postgresql://u:***@h/d"}});
  CHECK(env.column("nightly", "created_at") == "2026-03-29T00:00:00.000Z");
  CHECK(env.column("nightly", "updated_at") == "2026-03-29T00:00:00.000Z");
}

TEST_CASE_TEMPLATE("tasks: a second sync with nothing changed writes nothing", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  env.clock.advance(1h);
  const tasks::SyncPlan again = env.sync();
  CHECK(again.writes_nothing());
  CHECK(again.unchanged == 2);
  CHECK(again.conflicts.empty());
  CHECK(env.column("nightly", "updated_at") == "2026-03-29T00:00:00.000Z");
  CHECK(env.column("every-5", "updated_at") == "2026-03-29T00:00:00.000Z");
}

TEST_CASE_TEMPLATE(
    "tasks: a changed file task is updated column by column, and created_at and the override "
    "stay",
    Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "nightly", false,
                                      env.clock.clock()));
  env.clock.advance(1h);
  env.schedule("a.yaml", R"(tasks:
  - {name: every-5, type: debug.noop, schedule: "*/5 * * * *"}
  - name: nightly
    type: debug.noop
    schedule: "45 3 * * *"
    timezone: Europe/Berlin
    description: the nightly one
    timeout: 20m
    retries: 2
    config: {sleep: 2s, message: "dsn=postgresql://u:pw-in-config@h/d"}
)");
  const tasks::SyncPlan plan = env.sync();
  CHECK(plan.added.empty());
  CHECK(plan.removed.empty());
  CHECK(plan.unchanged == 1);
  REQUIRE(plan.changed.size() == 1);
  const auto& changed = plan.changed[0];
  CHECK(changed.name == "nightly");
  REQUIRE(changed.fields.size() == 3);
  CHECK(changed.fields[0].column == "schedule_expression");
  CHECK(changed.fields[0].before == "30 2 * * *");
  CHECK(changed.fields[0].after == "45 3 * * *");
  CHECK(changed.fields[1].column == "config");
  CHECK(changed.fields[1].before["sleep"] == "1s");
  CHECK(changed.fields[1].after["sleep"] == "2s");
  CHECK(changed.fields[2].column == "timeout_seconds");
  CHECK(changed.fields[2].before == 600);
  CHECK(changed.fields[2].after == 1200);

  CHECK(env.column("nightly", "schedule_expression") == "45 3 * * *");
  CHECK(env.column("nightly", "timeout_seconds") == "1200");
  CHECK(env.column("nightly", "created_at") == "2026-03-29T00:00:00.000Z");
  CHECK(env.column("nightly", "updated_at") == "2026-03-29T01:00:00.000Z");
  CHECK(env.column("nightly", "enabled_override") == "0");
  CHECK(env.column("nightly", "enabled") == "0");
  // The task that did not change keeps its updated_at.
  CHECK(env.column("every-5", "updated_at") == "2026-03-29T00:00:00.000Z");
}

TEST_CASE_TEMPLATE(
    "tasks: a task gone from the files loses its row (its runs stay), and a moved one keeps "
    "it",
    Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.schedule("b.yaml", "tasks:\n  - {name: hourly, type: debug.noop, schedule: '@hourly'}\n");
  env.sync();
  env.execute(
      "INSERT INTO maintd_runs (task_name, task_type, trigger_type, status, created_at) VALUES "
      "('hourly', 'debug.noop', 'manual', 'completed', '2026-03-29T00:00:00.000Z')");

  env.clock.advance(1min);
  env.remove_schedule("b.yaml");
  // every-5 moves to c.yaml.
  env.schedule("a.yaml", R"(tasks:
  - name: nightly
    type: debug.noop
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    description: the nightly one
    timeout: 10m
    retries: 2
    config: {sleep: 1s, message: "dsn=postgresql://u:pw-in-config@h/d"}
)");
  env.schedule("c.yaml",
               "tasks:\n  - {name: every-5, type: debug.noop, schedule: '*/5 * * * *'}\n");
  const tasks::SyncPlan plan = env.sync();
  REQUIRE(plan.removed.size() == 1);
  CHECK(plan.removed[0].name == "hourly");
  CHECK(plan.removed[0].origin == "file:schedules/b.yaml");
  REQUIRE(plan.changed.size() == 1);
  CHECK(plan.changed[0].name == "every-5");
  REQUIRE(plan.changed[0].fields.size() == 1);
  CHECK(plan.changed[0].fields[0].column == "origin");
  CHECK(plan.changed[0].fields[0].before == "file:schedules/a.yaml");
  CHECK(plan.changed[0].fields[0].after == "file:schedules/c.yaml");

  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'hourly'") == 0);
  CHECK(env.column("every-5", "origin") == "file:schedules/c.yaml");
  CHECK(env.column("every-5", "created_at") == "2026-03-29T00:00:00.000Z");
  CHECK(env.count("SELECT COUNT(*) FROM maintd_runs WHERE task_name = 'hourly'") == 1);
}

// diff_rows() compares a matching row in one step (a tuple of its fields) before it looks
// column by column: a field missing from that tuple would hide a change. Each definition
// column is changed alone here and must be the one change reported.
TEST_CASE("tasks: a change to any one definition column is reported, and only that one") {
  using Change = std::function<void(tasks::TaskRow&)>;
  const std::map<std::string, Change> change_of = {
      {"display_name", [](auto& r) { r.display_name = "Other"; }},
      {"description", [](auto& r) { r.description = "other"; }},
      {"task_type", [](auto& r) { r.task_type = "debug.fail"; }},
      {"scope_type", [](auto& r) { r.scope_type = "tenant"; }},
      {"schedule_expression", [](auto& r) { r.schedule_expression = "0 4 * * *"; }},
      {"timezone", [](auto& r) { r.timezone = "Europe/Berlin"; }},
      {"enabled", [](auto& r) { r.enabled = false; }},
      {"config",
       [](auto& r) {
         r.config = {{"sleep", "2s"}};
       }},
      {"timeout_seconds", [](auto& r) { r.timeout_seconds = 61; }},
      {"concurrency", [](auto& r) { r.concurrency = "allow"; }},
      {"catchup_seconds", [](auto& r) { r.catchup_seconds = 1; }},
      {"retries", [](auto& r) { r.retries = 3; }},
      {"retry_backoff_seconds", [](auto& r) { r.retry_backoff_seconds = 7; }},
      {"jitter_seconds", [](auto& r) { r.jitter_seconds = 5; }},
      {"expect_success_within_seconds", [](auto& r) { r.expect_success_within_seconds = 3600; }},
      {"dry_run", [](auto& r) { r.dry_run = true; }},
      {"origin", [](auto& r) { r.origin = "file:schedules/b.yaml"; }},
  };
  tasks::TaskRow base;
  base.name = "nightly";
  base.task_type = "debug.noop";
  base.schedule_expression = "30 2 * * *";
  base.config = {{"sleep", "1s"}};
  base.timeout_seconds = 60;
  base.origin = "file:schedules/a.yaml";
  CHECK(tasks::diff_rows(base, base).empty());
  for (const auto& column : tasks::definition_columns()) {
    CAPTURE(column);
    const auto change = change_of.find(column);
    REQUIRE_MESSAGE(change != change_of.end(), "a new definition column needs a row here");
    tasks::TaskRow changed = base;
    change->second(changed);
    const auto changes = tasks::diff_rows(base, changed);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].column == column);
  }
  // A stored value that could not be read differs from anything, even text that looks alike.
  tasks::TaskRow unreadable = base;
  unreadable.unreadable["retries"] = "0";
  CHECK(tasks::diff_rows(unreadable, base).size() == 1);
}

TEST_CASE_TEMPLATE("tasks: the origin does not depend on the working directory", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(env.dir.path() / "schedules");
  const tasks::SyncPlan plan = env.sync();
  std::filesystem::current_path(cwd);
  CHECK(plan.writes_nothing());
  CHECK(env.column("every-5", "origin") == "file:schedules/a.yaml");
}

TEST_CASE_TEMPLATE(
    "tasks: a name in a file and in a db row is a conflict: reported at both places, the "
    "row untouched, the file's task used",
    Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  add_db_task(env, "shared", {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}});
  const std::string updated_at = env.column("shared", "updated_at");
  env.clock.advance(1min);
  env.schedule("b.yaml", "tasks:\n  - {name: shared, type: debug.noop, schedule: '0 2 * * *'}\n");

  const tasks::SyncPlan plan = env.sync();
  CHECK(plan.writes_nothing());
  REQUIRE(plan.conflicts.size() == 1);
  CHECK(plan.conflicts[0].name == "shared");
  CHECK(plan.conflicts[0].row_origin == "db");
  CHECK(plan.conflicts[0].defined_at.line == 2);
  CHECK(env.column("shared", "origin") == "db");
  CHECK(env.column("shared", "schedule_expression") == "0 1 * * *");
  CHECK(env.column("shared", "updated_at") == updated_at);

  const tasks::TaskSet set = env.tasks();
  const config::Task* shared = set.find("shared");
  REQUIRE(shared != nullptr);
  CHECK(shared->origin() == "file:schedules/b.yaml");
  CHECK(shared->schedule == "0 2 * * *");
  CHECK(set.size() == 3);
  CHECK_FALSE(set.diagnostics.has_errors());
  REQUIRE(set.diagnostics.warnings().size() == 2);
  const std::string file = (env.dir.path() / "schedules/b.yaml").string();
  const std::string text = all_text(set.diagnostics);
  CHECK(contains(text, "scheduled_tasks 'shared': warning: task 'shared' is also defined at " +
                           file +
                           ":2:5: this row is ignored while a schedule file defines the "
                           "name\n"));
  CHECK(contains(text, file + ":2:5: warning: task 'shared' is also a row of scheduled_tasks "
                              "(origin db): the task of this file is used and the row is left "
                              "as it is ('maintd task rm shared' removes the row)\n"));
}

TEST_CASE_TEMPLATE("tasks: enable and disable persist across syncs and file edits", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "every-5", false,
                                      env.clock.clock()));
  CHECK(env.column("every-5", "enabled") == "0");
  CHECK(env.column("every-5", "enabled_override") == "0");

  env.sync();
  CHECK(env.column("every-5", "enabled") == "0");
  // The file changes (and even says enabled: true): the override stays.
  env.schedule("a.yaml", R"(tasks:
  - {name: every-5, type: debug.noop, schedule: "*/10 * * * *", enabled: true}
  - {name: extra, type: debug.noop, schedule: '@daily', enabled: false}
)");
  tasks::TaskSet set = env.tasks();
  REQUIRE(set.find("every-5") != nullptr);
  CHECK_FALSE(set.find("every-5")->enabled);
  CHECK(env.column("every-5", "schedule_expression") == "*/10 * * * *");
  CHECK(env.column("every-5", "enabled") == "0");

  // enable on a task its file disables: enabled from now on.
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "extra", true,
                                      env.clock.clock()));
  set = env.tasks();
  CHECK(set.find("extra")->enabled);
  CHECK(env.column("extra", "enabled") == "1");

  // Clearing the override by hand hands the decision back to the file on the next sync.
  env.execute("UPDATE maintd_tasks SET enabled_override = NULL");
  set = env.tasks();
  CHECK(set.find("every-5")->enabled);
  CHECK_FALSE(set.find("extra")->enabled);
  CHECK(env.column("every-5", "enabled") == "1");
  CHECK(env.column("extra", "enabled") == "0");

  CHECK_FALSE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "nope", false,
                                          env.clock.clock()));
}

// The daemon holds 100,000 tasks: a file task is pointed at in its Config, not copied (a copy
// was ~700 bytes per task). Only what differs from the files is owned by the set.
TEST_CASE_TEMPLATE(
    "tasks: the merged set points at the files' tasks and owns only overridden and table ones",
    Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  add_db_task(env, "from-table", {{"type", "debug.noop"}, {"schedule", "@daily"}});
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "every-5", false,
                                      env.clock.clock()));
  const config::Config config = env.load();
  REQUIRE(config.tasks.size() == 2);

  tasks::TaskSet set =
      tasks::merge_tasks(tasks::read_task_rows(*maintd::testing::table_of(env.db())), config);
  REQUIRE(set.size() == 3);
  // Unchanged file task: the config's own object.
  CHECK(set.find("nightly") == &config.tasks[1]);
  CHECK(&set[1] == &config.tasks[1]);
  // Overridden: a copy with the table's enabled; the config's task is left as the file says.
  REQUIRE(set.find("every-5") != nullptr);
  CHECK(set.find("every-5") != &config.tasks[0]);
  CHECK_FALSE(set.find("every-5")->enabled);
  CHECK(config.tasks[0].enabled);
  CHECK(set.find("every-5")->schedule == "*/5 * * * *");
  // Table task: owned, after the file tasks.
  CHECK(set[2].name == "from-table");
  CHECK(set.find("from-table") == &set[2]);
  CHECK(set.find("missing") == nullptr);

  // A moved set still points at the same tasks (each owned task has its own allocation).
  const config::Task* owned = &set[2];
  tasks::TaskSet moved = std::move(set);
  CHECK(&moved[2] == owned);
  CHECK(moved.find("from-table") == owned);
  CHECK(&moved[1] == &config.tasks[1]);
}

TEST_CASE_TEMPLATE("tasks: updated_at moves on enable/disable only when the row changes", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  env.clock.advance(1min);
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "every-5", false,
                                      env.clock.clock()));
  CHECK(env.column("every-5", "updated_at") == "2026-03-29T00:01:00.000Z");
  env.clock.advance(1min);
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "every-5", false,
                                      env.clock.clock()));
  CHECK(env.column("every-5", "updated_at") == "2026-03-29T00:01:00.000Z");
}

TEST_CASE_TEMPLATE(
    "tasks: db tasks are loaded after the file tasks, validated, with defaults applied", Backend,
    MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.write_settings("defaults: {timezone: Europe/Berlin, timeout: 5m}\n");
  env.schedule("a.yaml", kTwoTasks);
  add_db_task(env, "zeta", {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}, {"retries", 3}});
  add_db_task(env, "alpha",
              {{"type", "debug.noop"},
               {"schedule", "0 4 * * *"},
               {"timezone", "UTC"},
               {"config", {{"sleep", "5s"}}},
               {"enabled", false}});
  CHECK(env.column("zeta", "timeout_seconds") == "NULL");  // a default, not a copy of it
  CHECK(env.column("zeta", "retries") == "3");
  CHECK(env.column("zeta", "timezone") == "Europe/Berlin");
  CHECK(env.column("alpha", "config") == R"({"sleep":"5s"})");
  CHECK(env.column("alpha", "enabled") == "0");

  // A later change of the defaults reaches the db task that did not set the policy.
  env.write_settings("defaults: {timezone: Europe/Berlin, timeout: 7m}\n");
  const tasks::TaskSet set = env.tasks();
  CHECK(all_text(set.diagnostics).empty());
  REQUIRE(set.size() == 4);
  CHECK(set[0].name == "every-5");
  CHECK(set[1].name == "nightly");
  CHECK(set[2].name == "alpha");
  CHECK(set[3].name == "zeta");
  const config::Task& zeta = set[3];
  CHECK(zeta.origin() == "db");
  CHECK(zeta.source == config::Task::Source::table);
  CHECK(zeta.defined_at.to_string() == "scheduled_tasks 'zeta'");
  CHECK(zeta.policies.timeout == 7min);
  CHECK(zeta.policies.retries == 3);
  CHECK(zeta.timezone == "Europe/Berlin");
  CHECK(zeta.config == nlohmann::json{{"sleep", "0s"}, {"fail", false}});
  CHECK(zeta.slots.next(*parse_instant("2026-03-28T12:00:00Z", cctz::utc_time_zone())) ==
        *parse_instant("2026-03-29T00:00:00Z", cctz::utc_time_zone()));
  const config::Task& alpha = set[2];
  CHECK_FALSE(alpha.enabled);
  CHECK(alpha.config->at("sleep") == "5s");
  // A db task survives syncs: it is not a file's.
  CHECK(env.sync().writes_nothing());
  CHECK(env.count("SELECT COUNT(*) FROM maintd_tasks WHERE origin = 'db'") == 2);
}

TEST_CASE_TEMPLATE(
    "tasks: a row edited by hand into something invalid is reported and never loaded", Backend,
    MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  for (const char* name : {"bad-cron", "bad-type", "bad-zone", "bad-config", "bad-json", "bad-flag",
                           "bad-origin", "good"}) {
    add_db_task(env, name, {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}});
  }
  env.execute(
      "UPDATE scheduled_tasks SET schedule_expression = '61 * * * *' "
      "WHERE name = 'bad-cron'");
  env.execute("UPDATE scheduled_tasks SET task_type = 'debug.nop' WHERE name = 'bad-type'");
  env.execute(
      "UPDATE maintd_tasks SET timezone = 'Europe/Berln' WHERE task_id = (SELECT id FROM "
      "scheduled_tasks WHERE name = 'bad-zone')");
  env.execute(
      "UPDATE scheduled_tasks SET config = '{\"slep\": \"1s\"}' "
      "WHERE name = 'bad-config'");
  env.execute("UPDATE scheduled_tasks SET config = '{not json' WHERE name = 'bad-json'");
  // maintd's flag: the guide's `enabled` is a boolean on PostgreSQL, which refuses a 7 itself.
  env.execute(
      "UPDATE maintd_tasks SET dry_run = 7 WHERE task_id = (SELECT id FROM scheduled_tasks WHERE "
      "name = 'bad-flag')");
  env.execute(
      "UPDATE maintd_tasks SET origin = 'manual' WHERE task_id = (SELECT id FROM scheduled_tasks "
      "WHERE name = 'bad-origin')");

  const tasks::TaskSet set = env.tasks();
  std::vector<std::string> names;
  for (const auto& task : set) names.push_back(task.name);
  CHECK(names == std::vector<std::string>{"every-5", "nightly", "good"});
  std::vector<std::string> errors;
  for (const auto& error : set.diagnostics.errors()) errors.push_back(error.to_string());
  const std::vector<std::string> expected = {
      "scheduled_tasks 'bad-config': config: unknown key 'slep' (did you mean 'sleep'?) (handler "
      "debug.noop)",
      "scheduled_tasks 'bad-cron': schedule: invalid cron expression '61 * * * *': minute: value "
      "61 is out of range 0-59",
      "scheduled_tasks 'bad-flag': dry_run: the stored value '7' is not 0 or 1",
      "scheduled_tasks 'bad-json': config: the stored value '{not json' is not JSON text",
      "scheduled_tasks 'bad-origin': origin: 'manual' is neither 'db' nor 'file:<path>'; the row "
      "is not a task maintd runs",
      "scheduled_tasks 'bad-type': type: unknown type 'debug.nop' (did you mean 'debug.noop'?)",
  };
  REQUIRE(errors.size() == expected.size() + 1);
  for (const auto& message : expected) {
    CHECK_MESSAGE(std::find(errors.begin(), errors.end(), message) != errors.end(), message);
  }
  bool zone_reported = false;
  for (const auto& error : errors) {
    zone_reported = zone_reported || error.rfind(
                                         "scheduled_tasks 'bad-zone': timezone: unknown time zone "
                                         "'Europe/Berln'",
                                         0) == 0;
  }
  CHECK(zone_reported);
  // And each invalid db row is said not to run.
  // With the row's id: the application's admin page knows rows by it.
  CHECK(contains(all_text(set.diagnostics),
                 "scheduled_tasks 'bad-cron': warning: task 'bad-cron' (id " +
                     env.column("bad-cron", "id") + ") does not run until its row is fixed"));
  // Nothing was rewritten: the rows stay as the hand edit left them.
  CHECK(env.column("bad-cron", "schedule_expression") == "61 * * * *");
  CHECK(env.column("bad-json", "config") == "{not json");
}

TEST_CASE("tasks: text in an integer column (SQLite lets a hand edit store it) is reported") {
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", kTwoTasks);
  add_db_task(env, "bad-int", {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}});
  env.execute(
      "UPDATE maintd_tasks SET timeout_seconds = 'ten' WHERE task_id = (SELECT id FROM "
      "scheduled_tasks WHERE name = 'bad-int')");
  env.execute(
      "UPDATE maintd_tasks SET timeout_seconds = 'soon' WHERE task_id = (SELECT id FROM "
      "scheduled_tasks WHERE name = 'nightly')");
  const tasks::TaskSet set = env.tasks();
  CHECK(set.size() == 2);
  const auto errors = set.diagnostics.errors();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].to_string() ==
        "scheduled_tasks 'bad-int': timeout_seconds: the stored value 'ten' is not a whole "
        "number");
  // A file task's row is the files' mirror: the next sync repairs it.
  CHECK(env.column("nightly", "timeout_seconds") == "600");
}

TEST_CASE_TEMPLATE(
    "tasks: a file task with a 60,000-character config value is synced and read back", Backend,
    MAINTD_BACKENDS) {
  // What `maintd serve` does at start with a schedule file `maintd validate` accepts (issue 24.1:
  // it segfaulted here, masking the value with a recursive std::regex).
  ConfigState<Backend> env;
  const std::string message(60000, 'm');
  env.schedule("a.yaml",
               "tasks:\n  - {name: long, type: debug.noop, schedule: '@daily', config: "
               "{message: " +
                   message + "}}\n");
  REQUIRE(env.sync().added.size() == 1);
  const tasks::TaskSet set = env.tasks();
  CHECK(set.diagnostics.errors().empty());
  REQUIRE(set.size() == 1);
  CHECK(set[0].config->at("message") == message);
  CHECK(env.sync().added.empty());
}

TEST_CASE("tasks: a row holding values past the limits is reported by name and never loaded") {
  // What `maintd serve` reads from scheduled_tasks is input too: the limits of schedule files
  // (docs/configuration.md, "Limits") apply to rows, reported by row and column.
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", kTwoTasks);
  for (const char* name : {"long-description", "long-schedule", "long-config-value", "deep-config",
                           "huge-config", "long-name", "good"}) {
    add_db_task(env, name, {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}});
  }
  // hex(zeroblob(n)) is 2n characters '0'.
  env.execute(
      "UPDATE scheduled_tasks SET description = hex(zeroblob(35000)) "
      "WHERE name = 'long-description'");
  env.execute(
      "UPDATE scheduled_tasks SET schedule_expression = '0 1 * * *' || hex(zeroblob(40000)) "
      "WHERE name = 'long-schedule'");
  env.execute(
      "UPDATE scheduled_tasks SET config = '{\"message\": \"' || hex(zeroblob(35000)) || '\"}' "
      "WHERE name = 'long-config-value'");
  env.execute(
      "UPDATE scheduled_tasks SET config = '{\"message\": ' || "
      "replace(hex(zeroblob(50)), '0', '[') || replace(hex(zeroblob(50)), '0', ']') || '}' "
      "WHERE name = 'deep-config'");
  env.execute(
      "UPDATE scheduled_tasks SET config = '{\"message\": \"' || hex(zeroblob(2100000)) || "
      "'\"}' WHERE name = 'huge-config'");
  env.execute(
      "UPDATE scheduled_tasks SET name = 'long-name-' || hex(zeroblob(35000)) "
      "WHERE name = 'long-name'");

  const tasks::TaskSet set = env.tasks();
  std::vector<std::string> names;
  for (const auto& task : set) names.push_back(task.name);
  CHECK(names == std::vector<std::string>{"every-5", "nightly", "good"});
  std::vector<std::string> errors;
  for (const auto& error : set.diagnostics.errors()) errors.push_back(error.to_string());
  const std::string zeros_32(32, '0');
  const std::vector<std::string> expected = {
      "scheduled_tasks 'deep-config': config: the stored value nests more than 64 levels deep, "
      "the limit (nesting)",
      "scheduled_tasks 'huge-config': config: the stored value is 4200015 bytes, more than the "
      "limit of 4194304 (config columns)",
      "scheduled_tasks 'long-config-value': config.message: value is 70000 bytes, more than the "
      "limit of 65536 (config values): shorten it",
      "scheduled_tasks 'long-description': description: the stored value is 70000 bytes, more "
      "than the limit of 65536 (config values)",
      "scheduled_tasks 'long-name-" + zeros_32.substr(0, 22) +
          "...' (a name of 70010 bytes): name: the stored value is 70010 bytes, more than the "
          "limit of 65536 (config values)",
      "scheduled_tasks 'long-schedule': schedule_expression: the stored value is 80009 bytes, "
      "more than the limit of 65536 (config values)",
  };
  CHECK(errors == expected);
  // Each is said not to run, and nothing was rewritten.
  CHECK(contains(all_text(set.diagnostics),
                 "scheduled_tasks 'long-description': warning: task 'long-description' (id " +
                     env.column("long-description", "id") +
                     ") does not run until its row is fixed"));
  CHECK(env.count("SELECT length(description) FROM scheduled_tasks "
                  "WHERE name = 'long-description'") == 70000);
  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks") == 9);
}

TEST_CASE_TEMPLATE("tasks: a file task's row edited by hand is put back by the next sync", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  env.execute(
      "UPDATE scheduled_tasks SET schedule_expression = '61 * * * *', config = 'x' "
      "WHERE name = 'nightly'");
  const tasks::SyncPlan plan = env.sync();
  REQUIRE(plan.changed.size() == 1);
  REQUIRE(plan.changed[0].fields.size() == 2);
  CHECK(plan.changed[0].fields[0].column == "schedule_expression");
  CHECK(plan.changed[0].fields[1].column == "config");
  CHECK(plan.changed[0].fields[1].before == "x");
  CHECK(env.column("nightly", "schedule_expression") == "30 2 * * *");
}

TEST_CASE_TEMPLATE(
    "tasks: writes of db rows: insert once, update only the db row last read, remove only "
    "db rows",
    Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  add_db_task(env, "mine", {{"type", "debug.noop"}, {"schedule", "0 1 * * *"}});

  auto row = tasks::read_task_row(*maintd::testing::table_of(env.db()), "mine");
  REQUIRE(row.has_value());
  CHECK(row->from_db());
  CHECK_FALSE(tasks::insert_db_task(*maintd::testing::table_of(env.db()), *row,
                                    env.clock.clock()));  // the name is taken
  auto file_row = tasks::read_task_row(*maintd::testing::table_of(env.db()), "nightly");
  REQUIRE(file_row.has_value());
  CHECK(file_row->from_file());
  CHECK_FALSE(
      tasks::insert_db_task(*maintd::testing::table_of(env.db()), *file_row, env.clock.clock()));

  env.clock.advance(1min);
  tasks::TaskRow changed = *row;
  changed.schedule_expression = "0 2 * * *";
  CHECK(tasks::update_db_task(*maintd::testing::table_of(env.db()), changed, row->updated_at,
                              env.clock.clock()));
  CHECK(env.column("mine", "schedule_expression") == "0 2 * * *");
  CHECK(env.column("mine", "updated_at") == "2026-03-29T00:01:00.000Z");
  CHECK(env.column("mine", "created_at") == "2026-03-29T00:00:00.000Z");
  // A second writer that read the row before that change loses.
  changed.schedule_expression = "0 3 * * *";
  CHECK_FALSE(tasks::update_db_task(*maintd::testing::table_of(env.db()), changed, row->updated_at,
                                    env.clock.clock()));
  CHECK(env.column("mine", "schedule_expression") == "0 2 * * *");
  // A file task's row is never a db task's to update or remove.
  CHECK_FALSE(tasks::update_db_task(*maintd::testing::table_of(env.db()), *file_row,
                                    file_row->updated_at, env.clock.clock()));
  CHECK_FALSE(store::remove_db_task(*maintd::testing::table_of(env.db()), "nightly"));
  CHECK(store::remove_db_task(*maintd::testing::table_of(env.db()), "mine"));
  CHECK_FALSE(store::remove_db_task(*maintd::testing::table_of(env.db()), "mine"));
  CHECK_FALSE(tasks::read_task_row(*maintd::testing::table_of(env.db()), "mine").has_value());
}

TEST_CASE_TEMPLATE(
    "tasks: a sync is one transaction: when a statement fails, nothing of it remains", Backend,
    MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  // A trigger makes the insert of 'boom' fail, after the insert of 'added' and before the
  // update of 'nightly' and the removal of 'every-5'.
  if constexpr (Backend::kSqlite) {
    env.execute(
        "CREATE TRIGGER no_boom BEFORE INSERT ON scheduled_tasks WHEN NEW.name = 'boom' "
        "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  } else {
    env.execute(
        "CREATE FUNCTION no_boom() RETURNS trigger AS $$ BEGIN IF NEW.name = 'boom' THEN "
        "RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
    env.execute(
        "CREATE TRIGGER no_boom BEFORE INSERT ON scheduled_tasks FOR EACH ROW EXECUTE "
        "FUNCTION no_boom()");
  }
  env.schedule("a.yaml", R"(tasks:
  - {name: added, type: debug.noop, schedule: "@daily"}
  - {name: boom, type: debug.noop, schedule: "@daily"}
  - {name: nightly, type: debug.noop, schedule: "0 5 * * *"}
)");
  const std::string message = [&] {
    try {
      env.sync();
    } catch (const store::StoreError& e) {
      return std::string(e.what());
    }
    return std::string("nothing thrown");
  }();
  CHECK(contains(message, "boom refused"));
  CHECK(contains(message, "syncing the schedule files into scheduled_tasks"));
  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks WHERE name = 'added'") == 0);
  CHECK(env.column("nightly", "schedule_expression") == "30 2 * * *");
  CHECK(env.column("every-5", "origin") == "file:schedules/a.yaml");
}

TEST_CASE_TEMPLATE("tasks: four processes' worth of syncs at once apply the files once", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  const config::Config config = env.load();
  std::vector<std::shared_ptr<store::Database>> databases;
  for (int i = 0; i < 4; ++i) {
    databases.push_back(store::Database::open(config.state_database, 1));
  }
  store::migrate(*databases[0]);
  std::vector<tasks::SyncPlan> plans(databases.size());
  std::vector<std::string> failures(databases.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < databases.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        plans[i] =
            tasks::sync_tasks(*maintd::testing::table_of(*databases[i]), config, env.clock.clock());
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::size_t added = 0;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    CHECK_MESSAGE(failures[i].empty(), failures[i]);
    added += plans[i].added.size();
  }
  CHECK(added == 2);
  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
}

TEST_CASE_TEMPLATE("tasks: the plan against a database without the schema reads as an empty table",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  const config::Config config = env.load();
  auto database = store::Database::open(config.state_database);
  CHECK_FALSE(store::has_task_table(*maintd::testing::table_of(*database)));
  const tasks::SyncPlan plan = tasks::plan_sync(*maintd::testing::table_of(*database), config);
  CHECK(plan.added.size() == 2);
  CHECK_FALSE(store::has_task_table(*maintd::testing::table_of(*database)));
  // load_tasks needs the schema: without it the database is unavailable.
  CHECK_THROWS_AS(tasks::load_tasks(*maintd::testing::table_of(*database), config),
                  store::StoreUnavailable);
}

TEST_CASE_TEMPLATE("tasks: the table's version changes with every write and only then", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  const std::string synced = store::task_table_version(*maintd::testing::table_of(env.db()));
  CHECK(env.tasks().table_version == synced);  // load_tasks reports the version it read
  env.clock.advance(1s);
  env.sync();  // nothing to write
  CHECK(store::task_table_version(*maintd::testing::table_of(env.db())) == synced);

  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "nightly", false,
                                      env.clock.clock()));
  const std::string disabled = store::task_table_version(*maintd::testing::table_of(env.db()));
  CHECK(disabled != synced);
  env.clock.advance(1s);
  add_db_task(env, "from-cli", {{"type", "debug.noop"}, {"schedule", "0 4 * * *"}});
  const std::string added = store::task_table_version(*maintd::testing::table_of(env.db()));
  CHECK(added != disabled);
  // A row whose updated_at moves back in time (another host's clock) is a change too.
  env.clock.advance(-1h);
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "every-5", false,
                                      env.clock.clock()));
  const std::string behind = store::task_table_version(*maintd::testing::table_of(env.db()));
  CHECK(behind != added);
  REQUIRE(store::remove_db_task(*maintd::testing::table_of(env.db()), "from-cli"));
  CHECK(store::task_table_version(*maintd::testing::table_of(env.db())) != behind);
}

TEST_CASE_TEMPLATE(
    "tasks: expect_success_within in rows: effective for file tasks, as given for db rows", Backend,
    MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.write_settings("defaults: {expect_success_within: 2h}\n");
  env.schedule("a.yaml", R"(tasks:
  - {name: inherits, type: debug.noop, schedule: "@hourly"}
  - {name: unwatched, type: debug.noop, schedule: "@hourly", expect_success_within: 0s}
)");
  env.sync();
  CHECK(env.column("inherits", "expect_success_within_seconds") == "7200");
  CHECK(env.column("unwatched", "expect_success_within_seconds") == "NULL");

  add_db_task(env, "db-default", {{"type", "debug.noop"}, {"schedule", "@daily"}});
  add_db_task(env, "db-own",
              {{"type", "debug.noop"}, {"schedule", "@daily"}, {"expect_success_within", "1d"}});
  add_db_task(env, "db-off",
              {{"type", "debug.noop"}, {"schedule", "@daily"}, {"expect_success_within", "0s"}});
  CHECK(env.column("db-default", "expect_success_within_seconds") == "NULL");
  CHECK(env.column("db-own", "expect_success_within_seconds") == "86400");
  CHECK(env.column("db-off", "expect_success_within_seconds") == "0");

  const tasks::TaskSet set = env.tasks();
  CHECK(all_text(set.diagnostics).empty());
  REQUIRE(set.find("db-default") != nullptr);
  CHECK(set.find("db-default")->policies.expect_success_within == std::chrono::hours(2));
  CHECK(set.find("db-own")->policies.expect_success_within == std::chrono::hours(24));
  CHECK_FALSE(set.find("db-off")->policies.expect_success_within.has_value());
  CHECK(set.find("inherits")->policies.expect_success_within == std::chrono::hours(2));

  // A change in the file is one column of the plan; a hand-edited value is validated on load.
  env.write_settings();
  const tasks::SyncPlan plan = env.sync();
  REQUIRE(plan.changed.size() == 1);
  CHECK(plan.changed[0].name == "inherits");
  REQUIRE(plan.changed[0].fields.size() == 1);
  CHECK(plan.changed[0].fields[0].column == "expect_success_within_seconds");
  CHECK(plan.changed[0].fields[0].before == 7200);
  CHECK(plan.changed[0].fields[0].after == nullptr);
  env.execute(
      "UPDATE maintd_tasks SET expect_success_within_seconds = 30 WHERE task_id = (SELECT id FROM "
      "scheduled_tasks WHERE name = 'db-own')");
  const tasks::TaskSet edited = env.tasks();
  CHECK(edited.find("db-own") == nullptr);
  CHECK(contains(all_text(edited.diagnostics),
                 "scheduled_tasks 'db-own': expect_success_within: 30s is too short: give at "
                 "least 1m (overdue tasks are looked for every 30s), or 0s to not watch the task"));
}

// Regression (found in issue 21's restructuring): when another process synced between this
// sync's first read and its lock, the sync handed back no rows at all, and a daemon starting
// beside another one loaded no table tasks and no enable/disable until its next poll.
TEST_CASE_TEMPLATE("tasks: a sync that another process beat to the lock still returns the table",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  env.sync();
  add_db_task(env, "extra", {{"type", "debug.noop"}, {"schedule", "@hourly"}});
  REQUIRE(store::set_enabled_override(*maintd::testing::table_of(env.db()), "nightly", false,
                                      env.clock.clock()));
  // The files change: a sync has something to write.
  env.schedule("a.yaml",
               std::string(kTwoTasks) + R"(  - {name: added, type: debug.noop, schedule: "@daily"}
)");
  const config::Config config = env.load();

  std::optional<tasks::SyncedRows> after;
  bool other_synced = false;
  const tasks::SyncPlan plan = tasks::sync_tasks(
      *maintd::testing::table_of(env.db()), config, env.clock.clock(), &after, [&] {
        // Another process, on its own connection, syncs the same files first.
        auto other = open(env.backend);
        CHECK(tasks::sync_tasks(*maintd::testing::table_of(*other), config, env.clock.clock())
                  .added.size() == 1);
        other_synced = true;
      });
  REQUIRE(other_synced);
  CHECK(plan.writes_nothing());
  REQUIRE(after.has_value());
  CHECK_FALSE(after->version.has_value());  // it wrote nothing
  const std::vector<tasks::TaskRow>& rows = after->rows;
  std::vector<std::string> names;
  for (const auto& row : rows) names.push_back(row.name);
  CHECK(names == std::vector<std::string>{"added", "every-5", "extra", "nightly"});
  for (const auto& row : rows) {
    if (row.name == "nightly") CHECK_FALSE(row.enabled);
  }
  // And the set merged from them has the table's own task and the override.
  const tasks::TaskSet set = tasks::merge_tasks(rows, config);
  REQUIRE(set.find("extra") != nullptr);
  REQUIRE(set.find("nightly") != nullptr);
  CHECK_FALSE(set.find("nightly")->enabled);
}

namespace {

// Every column of each row, as JSON: rows compared field by field.
std::vector<nlohmann::json> every_column(const std::vector<tasks::TaskRow>& rows) {
  // The definition columns, and those a sync writes or keeps beside them.
  std::vector<std::string> columns = tasks::definition_columns();
  for (const char* more : {"id", "name", "enabled_override", "last_run_id", "last_run_at",
                           "last_run_status", "next_run_at", "created_at", "updated_at"}) {
    columns.emplace_back(more);
  }
  std::vector<nlohmann::json> out;
  for (const auto& row : rows) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& column : columns) values[column] = tasks::column_value(row, column);
    out.push_back(std::move(values));
  }
  return out;
}

}  // namespace

// load_tasks schedules from the rows a sync hands back instead of reading the table again (a
// third of the first start at 100,000 tasks): they must be the rows a read returns, every
// column, and the version the one a read gives, or a poll would reload (or miss a change).
TEST_CASE_TEMPLATE("tasks: the table a sync leaves is the table a read returns, its version too",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", kTwoTasks);
  add_db_task(env, "extra", {{"type", "debug.noop"}, {"schedule", "@daily"}});
  env.sync();
  auto table = maintd::testing::table_of(env.db());
  // What an update of a file task's row must keep: the override, the written-back run.
  REQUIRE(store::set_enabled_override(*table, "nightly", false, env.clock.clock()));
  REQUIRE(store::write_back_run(*table, {.task_name = "nightly",
                                         .run_id = 41,
                                         .started_at = "2026-12-07T02:30:00.000Z",
                                         .status = "completed",
                                         .next_run_at = "2026-12-08T01:30:00.000Z"}));
  env.clock.advance(std::chrono::minutes(5));
  // One task changed, one added, one removed.
  env.schedule("a.yaml", R"(tasks:
  - name: nightly
    type: debug.noop
    schedule: "45 2 * * *"
    timezone: Europe/Berlin
    timeout: 20m
  - {name: added, type: debug.noop, schedule: "@hourly", dry_run: true}
)");
  const config::Config config = env.load();
  std::optional<tasks::SyncedRows> after;
  const tasks::SyncPlan plan = tasks::sync_tasks(*table, config, env.clock.clock(), &after);
  REQUIRE(plan.added.size() == 1);
  REQUIRE(plan.changed.size() == 1);
  REQUIRE(plan.removed.size() == 1);
  if constexpr (!Backend::kSqlite) {
    // The application may write beside the sync on PostgreSQL: the caller reads again.
    CHECK_FALSE(after.has_value());
    return;
  }
  REQUIRE(after.has_value());
  REQUIRE(after->version.has_value());
  CHECK(*after->version == store::task_table_version(*table));
  CHECK(every_column(after->rows) == every_column(tasks::read_task_rows(*table)));
  // And load_tasks, from those rows, has the table's task and the kept override.
  const tasks::TaskSet set = tasks::load_tasks(*table, config, env.clock.clock());
  REQUIRE(set.find("extra") != nullptr);
  REQUIRE(set.find("nightly") != nullptr);
  CHECK_FALSE(set.find("nightly")->enabled);
  CHECK(set.find("every-5") == nullptr);
}
