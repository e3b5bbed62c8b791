// The application's own scheduled_tasks (issue 18): adopted as it is, written back to, watched
// for the application's own changes, refused when of another shape; today's state database
// upgraded with its history; a task table in another database with a column mapping; tasks
// addressed by id.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"
#include "support/config_state.hpp"
#include "support/task_tables.hpp"
#include "tasks/task_row.hpp"
#include "tasks/task_table_open.hpp"

using namespace maintd;
using namespace maintd::testing;

namespace {

template <class Backend>
constexpr bool is_postgres() {
  return std::is_same_v<Backend, PostgresBackend>;
}

template <class Backend>
std::string curatore_table() {
  return maintd::testing::curatore_table(is_postgres<Backend>());
}

template <class Backend>
std::string insert_row(const std::string& id, const std::string& name, const std::string& cron,
                       bool enabled) {
  return "INSERT INTO scheduled_tasks (id, name, display_name, task_type, schedule_expression, "
         "enabled, config) VALUES ('" +
         id + "', '" + name + "', '" + name + "', 'debug.noop', '" + cron + "', " +
         (is_postgres<Backend>() ? (enabled ? "TRUE" : "FALSE") : (enabled ? "1" : "0")) +
         ", '{\"dry_run\": false}')";
}

// The table's columns as the catalog lists them: what "unaltered" is checked against.
template <class Backend>
std::vector<std::string> columns_of(ConfigState<Backend>& env, const std::string& table) {
  auto sql = env.raw();
  std::vector<std::string> names;
  std::string name;
  soci::statement st =
      is_postgres<Backend>()
          ? (sql->prepare << "SELECT column_name || ' ' || data_type FROM "
                             "information_schema.columns WHERE table_name = '" +
                                 table + "' ORDER BY ordinal_position",
             soci::into(name))
          : (sql->prepare << "SELECT name || ' ' || type FROM pragma_table_info('" + table + "')",
             soci::into(name));
  st.execute();
  while (st.fetch()) names.push_back(name);
  return names;
}

// The errors of a configuration that must not load, one per line.
std::string refused_configuration(const std::filesystem::path& path) {
  const registry::Registry builtin = handlers::builtin_registry();
  config::LoadOptions options;
  options.config_path = path;
  options.handlers = &builtin;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  const auto result = config::load_config(options);
  CHECK_FALSE(result.config.has_value());
  std::string all;
  for (const auto& error : result.diagnostics.errors()) all += error.to_string() + "\n";
  return all;
}

constexpr const char* kIdA = "2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c001";
constexpr const char* kIdB = "2f1c6b9e-0d4a-4c1e-9a53-7b1de0f4c002";

}  // namespace

TEST_CASE_TEMPLATE("tasks: an application's scheduled_tasks with rows is used without altering it",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.execute(curatore_table<Backend>());
  env.execute(insert_row<Backend>(kIdA, "claims-release", "*/5 * * * *", true));
  env.execute(insert_row<Backend>(kIdB, "drafts-stale", "0 3 * * *", false));
  const auto before = columns_of(env, "scheduled_tasks");
  REQUIRE(before.size() == 15);

  env.db();  // migrates: maintd's own tables beside the application's
  CHECK(columns_of(env, "scheduled_tasks") == before);
  CHECK(env.count("SELECT COUNT(*) FROM scheduled_tasks") == 2);
  CHECK(env.count("SELECT COUNT(*) FROM maintd_tasks") == 0);  // the application's rows need none

  const tasks::TaskSet set = env.tasks();
  CHECK(set.diagnostics.errors().empty());
  const config::Task* claims = set.find("claims-release");
  REQUIRE(claims != nullptr);
  CHECK(claims->enabled);
  CHECK(claims->timezone == "UTC");  // the configuration's default: the row has no zone
  CHECK_FALSE(claims->dry_run);      // config.dry_run, Curatore's place for it
  const config::Task* drafts = set.find("drafts-stale");
  REQUIRE(drafts != nullptr);
  CHECK_FALSE(drafts->enabled);

  // Tasks by id as well as by name.
  const config::Config config = env.load();
  CHECK(tasks::resolve_task_name(*table_of(env.db()), config, kIdB) == "drafts-stale");
  CHECK(tasks::resolve_task_name(*table_of(env.db()), config, "drafts-stale") == "drafts-stale");
  CHECK(tasks::resolve_task_name(*table_of(env.db()), config, "nothing") == "nothing");
  const auto row = tasks::read_task_row(*table_of(env.db()), kIdA);
  REQUIRE(row);
  CHECK(row->name == "claims-release");
  CHECK(row->id == kIdA);
}

TEST_CASE_TEMPLATE("tasks: a run is written back to its row, never over a later run's", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.execute(curatore_table<Backend>());
  env.execute(insert_row<Backend>(kIdA, "claims-release", "*/5 * * * *", true));
  auto table = table_of(env.db());
  const std::string version = store::task_table_version(*table);

  store::RunWriteBack run{.task_name = "claims-release",
                          .run_id = 41,
                          .started_at = "2026-12-07T10:00:00.000Z",
                          .status = "completed",
                          .next_run_at = "2026-12-07T10:05:00.000Z"};
  CHECK(store::write_back_run(*table, run));
  const std::string at =
      is_postgres<Backend>() ? "CAST(last_run_at AT TIME ZONE 'UTC' AS TEXT)" : "last_run_at";
  CHECK(env.scalar("SELECT last_run_status FROM scheduled_tasks") == "completed");
  CHECK(env.scalar("SELECT " + at + " FROM scheduled_tasks") ==
        (is_postgres<Backend>() ? "2026-12-07 10:00:00" : "2026-12-07T10:00:00.000Z"));
  // A UUID last_run_id is the application's runs table's: maintd's run ids do not go there.
  CHECK(env.scalar("SELECT CAST(last_run_id AS TEXT) FROM scheduled_tasks") ==
        (is_postgres<Backend>() ? "NULL" : "41"));
  CHECK(env.scalar("SELECT CAST(next_run_at AS TEXT) FROM scheduled_tasks") != "NULL");

  // An earlier run finishing later leaves the later run's values.
  store::RunWriteBack earlier = run;
  earlier.run_id = 40;
  earlier.started_at = "2026-12-07T09:55:00.000Z";
  earlier.status = "failed";
  CHECK_FALSE(store::write_back_run(*table, earlier));
  CHECK(env.scalar("SELECT last_run_status FROM scheduled_tasks") == "completed");

  // Write-back is not a change of the tasks: pollers do not re-read for it.
  CHECK(store::task_table_version(*table) == version);
}

TEST_CASE_TEMPLATE("tasks: the application's INSERT and enabled UPDATE change the version", Backend,
                   MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.execute(curatore_table<Backend>());
  env.execute(insert_row<Backend>(kIdA, "claims-release", "*/5 * * * *", true));
  auto table = table_of(env.db());
  const std::string first = store::task_table_version(*table);
  CHECK(store::task_table_version(*table) == first);  // stable while nothing changes

  env.execute(insert_row<Backend>(kIdB, "drafts-stale", "0 3 * * *", true));
  const std::string inserted = store::task_table_version(*table);
  CHECK(inserted != first);
  CHECK(env.tasks().find("drafts-stale") != nullptr);

  // An UPDATE that moves updated_at (as ORMs do) is seen by the shallow version too.
  CHECK(store::same_task_table_version(store::task_table_version(*table, false), inserted));
  env.execute(
      std::string("UPDATE scheduled_tasks SET schedule_expression = '0 4 * * *', "
                  "updated_at = ") +
      (is_postgres<Backend>() ? "now() + interval '1 hour'" : "'2099-01-01T00:00:00.000Z'") +
      " WHERE name = 'drafts-stale'");
  CHECK_FALSE(store::same_task_table_version(store::task_table_version(*table, false), inserted));
  const std::string moved = store::task_table_version(*table);

  // A plain UPDATE that leaves updated_at alone (a hand edit, a migration of the application):
  // the shallow version does not see it, the deep one does.
  env.execute(std::string("UPDATE scheduled_tasks SET enabled = ") +
              (is_postgres<Backend>() ? "FALSE" : "0") + " WHERE name = 'drafts-stale'");
  CHECK(store::same_task_table_version(store::task_table_version(*table, false), moved));
  CHECK_FALSE(store::same_task_table_version(store::task_table_version(*table), moved));
  const auto set = env.tasks();
  REQUIRE(set.find("drafts-stale") != nullptr);
  CHECK_FALSE(set.find("drafts-stale")->enabled);
}

TEST_CASE_TEMPLATE("tasks: a scheduled_tasks of another shape is refused, and nothing is created",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.execute("CREATE TABLE scheduled_tasks (id INTEGER PRIMARY KEY, title TEXT, cron TEXT)");
  auto database = store::Database::open(env.backend.url());
  std::string message;
  try {
    store::migrate(*database);
    FAIL("migrate() adopted a table without the guide's columns");
  } catch (const store::StoreError& e) {
    message = e.what();
  }
  CHECK_MESSAGE(contains(message,
                         "the task table scheduled_tasks cannot be used as it is: it has "
                         "no column name, task_type, schedule_expression, enabled, "
                         "config (its columns: id, title, cron)"),
                message);
  CHECK_MESSAGE(contains(message, "Nothing was changed"), message);
  CHECK(env.count(is_postgres<Backend>()
                      ? "SELECT COUNT(*) FROM information_schema.tables WHERE table_name LIKE "
                        "'maintd%'"
                      : "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'maintd%'") == 0);
}

TEST_CASE_TEMPLATE("tasks: a state database of schema 3 is upgraded with every task and run kept",
                   Backend, MAINTD_BACKENDS) {
  ConfigState<Backend> env;
  env.schedule("a.yaml", "tasks: []\n");
  const bool pg = is_postgres<Backend>();
  const std::string id = pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT";
  const std::string ref = pg ? "BIGINT" : "INTEGER";
  // Today's schema (versions 1 to 3), as maintd created it before this change.
  for (const std::string& statement : std::vector<std::string>{
           "CREATE TABLE maintd_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
           "NULL, applied_at TEXT NOT NULL)",
           "INSERT INTO maintd_schema_migrations VALUES (1, 'initial schema', "
           "'2026-01-01T00:00:00.000Z'), (2, 'daemon instances', '2026-01-01T00:00:00.000Z'), "
           "(3, 'expect_success_within', '2026-01-01T00:00:00.000Z')",
           "CREATE TABLE scheduled_tasks (id " + id +
               ", name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL, description TEXT NOT "
               "NULL DEFAULT '', task_type TEXT NOT NULL, scope_type TEXT NOT NULL DEFAULT "
               "'global', schedule_expression TEXT NOT NULL, timezone TEXT NOT NULL DEFAULT "
               "'UTC', enabled INTEGER NOT NULL DEFAULT 1, enabled_override INTEGER, config TEXT "
               "NOT NULL DEFAULT '{}', timeout_seconds INTEGER, concurrency TEXT, catchup_seconds "
               "INTEGER, retries INTEGER, retry_backoff_seconds INTEGER, jitter_seconds INTEGER, "
               "dry_run INTEGER NOT NULL DEFAULT 0, origin TEXT NOT NULL, created_at TEXT NOT "
               "NULL, updated_at TEXT NOT NULL, expect_success_within_seconds INTEGER)",
           "CREATE TABLE task_runs (id " + id +
               ", task_name TEXT NOT NULL, task_type TEXT NOT NULL, trigger_type TEXT NOT NULL, "
               "scheduled_for TEXT, status TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 1, "
               "dry_run INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL DEFAULT '{}', "
               "instance_id TEXT, host TEXT, pid INTEGER, heartbeat_at TEXT, created_at TEXT NOT "
               "NULL, started_at TEXT, finished_at TEXT, result TEXT, error TEXT, UNIQUE "
               "(task_name, scheduled_for))",
           "CREATE INDEX task_runs_by_task ON task_runs (task_name, created_at)",
           "CREATE INDEX task_runs_by_status ON task_runs (status, heartbeat_at)",
           "CREATE INDEX task_runs_by_created ON task_runs (created_at)",
           "CREATE TABLE run_events (id " + id + ", run_id " + ref +
               " NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE, at TEXT NOT NULL, level "
               "TEXT NOT NULL, event TEXT NOT NULL, message TEXT NOT NULL)",
           "CREATE INDEX run_events_by_run ON run_events (run_id, id)",
           "CREATE TABLE maintd_instances (instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid "
           "INTEGER NOT NULL, started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, status TEXT "
           "NOT NULL DEFAULT '')",
           "INSERT INTO scheduled_tasks (name, display_name, task_type, schedule_expression, "
           "timezone, enabled, enabled_override, config, timeout_seconds, retries, origin, "
           "created_at, updated_at) VALUES ('mine', 'Mine', 'debug.noop', '0 4 * * *', "
           "'Europe/Berlin', 0, 0, '{}', 120, 2, 'db', '2026-01-01T00:00:00.000Z', "
           "'2026-01-02T00:00:00.000Z')",
           "INSERT INTO task_runs (task_name, task_type, trigger_type, scheduled_for, status, "
           "created_at) VALUES ('mine', 'debug.noop', 'schedule', '2026-01-03T03:00:00Z', "
           "'completed', '2026-01-03T03:00:00.000Z')",
           "INSERT INTO run_events (run_id, at, level, event, message) VALUES (1, "
           "'2026-01-03T03:00:01.000Z', 'info', 'complete', 'completed in 1s')"}) {
    env.execute(statement);
  }

  auto database = store::Database::open(env.backend.url());
  // `maintd db seed --dry-run` before the upgrade says so rather than reading the wrong rows.
  std::string refused;
  try {
    tasks::plan_sync(*table_of(*database), env.load());
  } catch (const store::StoreUnavailable& e) {
    refused = e.what();
  }
  CHECK_MESSAGE(contains(refused,
                         "has schema version 3, older than this maintd's (5): run "
                         "'maintd db migrate' first"),
                refused);
  const store::MigrationReport report = store::migrate(*database);
  CHECK(report.from_version == 3);
  CHECK(report.applied == std::vector<std::string>{"4 maintd_ tables, the guide's scheduled_tasks",
                                                   "5 pauses and one-off runs"});
  CHECK(env.count("SELECT COUNT(*) FROM maintd_runs WHERE id = 1 AND task_name = 'mine'") == 1);
  CHECK(env.count("SELECT COUNT(*) FROM maintd_run_events WHERE run_id = 1") == 1);
  CHECK(columns_of(env, "scheduled_tasks").size() == 15);
  const std::string new_id = env.scalar("SELECT id FROM scheduled_tasks WHERE name = 'mine'");
  CHECK(new_id.size() == 36);
  CHECK(env.scalar("SELECT origin || ' ' || timezone || ' ' || CAST(timeout_seconds AS TEXT) || "
                   "' ' || CAST(enabled_override AS TEXT) FROM maintd_tasks WHERE task_id = '" +
                   new_id + "'") == "db Europe/Berlin 120 0");

  const auto set = env.tasks();
  const config::Task* mine = set.find("mine");
  REQUIRE(mine != nullptr);
  CHECK_FALSE(mine->enabled);
  CHECK(mine->timezone == "Europe/Berlin");
  CHECK(mine->policies.timeout == std::chrono::seconds(120));
  CHECK(mine->policies.retries == 2);
}

TEST_CASE("tasks: task_table: a mapped table in the application's database<sqlite>") {
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.write_settings(
      "task_table:\n  database: app\n  table: jobs_schedule\n  columns:\n    "
      "schedule_expression: cron\n    task_type: kind\n    last_run_status: outcome\n");
  {
    soci::session app("sqlite3", "db=" + (env.dir.path() / "app.db").string());
    app << "CREATE TABLE jobs_schedule (name TEXT, kind TEXT, cron TEXT, enabled INTEGER, "
           "config TEXT, outcome TEXT)";
    app << "INSERT INTO jobs_schedule VALUES ('nightly-gc', 'debug.noop', '0 2 * * *', 1, '{}', "
           "NULL)";
  }
  const config::Config config = env.load();
  auto state = store::Database::open(env.backend.url());
  store::migrate(*state, tasks::migration_options(config));
  // The state database has no scheduled_tasks of its own: the tasks are the application's.
  CHECK(env.count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'scheduled_tasks'") == 0);

  auto table = tasks::open_task_table(state, config);
  CHECK(table->where() == "jobs_schedule in " + config.databases.at("app").display);
  const auto rows = tasks::read_task_rows(*table);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "nightly-gc");
  CHECK(rows[0].schedule_expression == "0 2 * * *");
  CHECK(rows[0].task_type == "debug.noop");
  CHECK(rows[0].id.empty());  // no id column: keyed by name

  CHECK(store::write_back_run(*table, {.task_name = "nightly-gc",
                                       .run_id = 7,
                                       .started_at = "2026-12-07T02:00:00.000Z",
                                       .status = "completed",
                                       .next_run_at = std::nullopt}));
  soci::session app("sqlite3", "db=" + (env.dir.path() / "app.db").string());
  std::string outcome;
  app << "SELECT outcome FROM jobs_schedule", soci::into(outcome);
  CHECK(outcome == "completed");
  // The application's database keeps its journal mode: maintd does not switch it to WAL.
  std::string mode;
  app << "PRAGMA journal_mode", soci::into(mode);
  CHECK(mode == "delete");
}

// A sync into a table with only the required columns hands back rows as a read returns them:
// the columns it lacks at their read defaults, not at what the schedule file says.
TEST_CASE("tasks: task_table: the rows a sync leaves in a table of few columns<sqlite>") {
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", R"(tasks:
  - {name: nightly, type: debug.noop, schedule: "0 2 * * *", description: not stored,
     display_name: Not stored either, timeout: 5m}
)");
  env.write_settings("task_table:\n  database: app\n  table: jobs\n");
  {
    soci::session app("sqlite3", "db=" + (env.dir.path() / "app.db").string());
    app << "CREATE TABLE jobs (name TEXT UNIQUE, task_type TEXT, schedule_expression TEXT, "
           "enabled INTEGER, config TEXT)";
  }
  const config::Config config = env.load();
  auto state = store::Database::open(env.backend.url());
  store::migrate(*state, tasks::migration_options(config));
  auto table = tasks::open_task_table(state, config);
  std::optional<tasks::SyncedRows> after;
  REQUIRE(tasks::sync_tasks(*table, config, env.clock.clock(), &after).added.size() == 1);
  REQUIRE(after.has_value());
  REQUIRE(after->rows.size() == 1);
  const tasks::TaskRow& row = after->rows[0];
  CHECK(row.description.empty());
  CHECK(row.display_name.empty());
  CHECK(row.created_at.empty());
  CHECK(row.timeout_seconds == 300);  // maintd_tasks has every column
  const auto read = tasks::read_task_rows(*table);
  REQUIRE(read.size() == 1);
  for (const char* column : {"id", "name", "display_name", "description", "task_type", "scope_type",
                             "schedule_expression", "enabled", "config", "timeout_seconds",
                             "origin", "created_at", "updated_at"}) {
    CAPTURE(column);
    CHECK(tasks::column_value(row, column) == tasks::column_value(read[0], column));
  }
  REQUIRE(after->version.has_value());
  CHECK(*after->version == store::task_table_version(*table));
}

TEST_CASE("tasks: task_table: a bad mapping is refused at its place in maintd.yaml") {
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.write_settings(
      "task_table:\n  database: nope\n  table: \"jobs; DROP\"\n  columns:\n    cron: x\n");
  const std::string all = refused_configuration(env.config_path());
  CHECK_MESSAGE(contains(all,
                         "maintd.yaml:6:13: task_table.database: 'nope' is not one of "
                         "databases: (app)"),
                all);
  CHECK_MESSAGE(contains(all, "task_table.table: 'jobs; DROP' is not a table name"), all);
  CHECK_MESSAGE(contains(all, "task_table.columns.cron: 'cron' is not one of the guide's columns"),
                all);
}

TEST_CASE(
    "tasks: state_schema keeps maintd's tables apart and adopts public.scheduled_tasks"
    "<postgresql>") {
  ConfigState<PostgresBackend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.write_settings("state_schema: maintd_state\n");
  env.execute(curatore_table<PostgresBackend>());
  env.execute(insert_row<PostgresBackend>(kIdA, "claims-release", "*/5 * * * *", true));
  const config::Config config = env.load();
  CHECK(config.state_schema == "maintd_state");
  auto state = store::Database::open(config.state_database, tasks::state_database_options(config));
  store::migrate(*state, tasks::migration_options(config));
  // maintd's tables in their schema; the application's table where it was, one of it.
  CHECK(env.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                  "'maintd_state' AND table_name LIKE 'maintd%'") == 6);  // maintd_pauses too
  CHECK(env.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                  "'scheduled_tasks'") == 1);
  CHECK(env.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' "
                  "AND table_name LIKE 'maintd%'") == 0);
  auto table = tasks::open_task_table(state, config);
  const auto rows = tasks::read_task_rows(*table);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == kIdA);
}

TEST_CASE("tasks: state_schema is refused for a SQLite state database") {
  ConfigState<SqliteBackend> env;
  env.schedule("a.yaml", "tasks: []\n");
  env.write_settings("state_schema: maintd_state\n");
  const std::string all = refused_configuration(env.config_path());
  CHECK_MESSAGE(contains(all, "state_schema applies to a PostgreSQL state database"), all);
}
