// Schema migrations on both backends: from empty, idempotent, refusing a newer schema, leaving no
// trace when one fails, and two processes migrating the same database at once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "store/store_error.hpp"
#include "store_fixture.hpp"

using namespace maintd;
using namespace maintd::testing;

namespace {

bool table_exists(soci::session& sql, bool sqlite, const std::string& table) {
  const std::string query =
      sqlite ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'"
             : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
               "current_schema() AND table_name = '" +
                   table + "'";
  return count(sql, query) == 1;
}

template <class Backend>
constexpr bool is_sqlite() {
  return std::is_same_v<Backend, SqliteBackend>;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "store: migrations: an empty database gets the latest schema, and a re-run is a no-op", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open(backend);
  CHECK(store::current_schema_version(*db) == 0);

  const store::MigrationReport first = store::migrate(*db);
  CHECK(first.from_version == 0);
  CHECK(first.to_version == store::latest_schema_version());
  REQUIRE(first.applied.size() == 5);
  CHECK(first.applied[0] == "1 initial schema");
  CHECK(first.applied[1] == "2 daemon instances");
  CHECK(first.applied[2] == "3 expect_success_within");
  CHECK(first.applied[3] == "4 maintd_ tables, the guide's scheduled_tasks");
  CHECK(first.applied[4] == "5 pauses and one-off runs");
  CHECK(store::current_schema_version(*db) == store::latest_schema_version());

  auto sql = backend.raw();
  for (const char* table :
       {"maintd_schema_migrations", "scheduled_tasks", "maintd_runs", "maintd_run_events",
        "maintd_instances", "maintd_tasks", "maintd_pauses"}) {
    CHECK_MESSAGE(table_exists(*sql, is_sqlite<Backend>(), table), table);
  }
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_schema_migrations") == 5);
  CHECK(scalar(*sql, "SELECT name FROM maintd_schema_migrations WHERE version = 1") ==
        "initial schema");
  const std::string applied_at =
      scalar(*sql, "SELECT applied_at FROM maintd_schema_migrations WHERE version = 1");
  CHECK(store::parse_timestamp(applied_at).has_value());
  CHECK(applied_at.size() == std::string("2026-03-29T01:00:00.000Z").size());

  const store::MigrationReport second = store::migrate(*db);
  CHECK(second.from_version == store::latest_schema_version());
  CHECK(second.to_version == store::latest_schema_version());
  CHECK(second.applied.empty());
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_schema_migrations") == 5);
  CHECK(scalar(*sql, "SELECT applied_at FROM maintd_schema_migrations WHERE version = 1") ==
        applied_at);

  // A fresh Database on the same file or server (another process, a restart) agrees.
  auto again = open(backend);
  CHECK(store::current_schema_version(*again) == store::latest_schema_version());
  CHECK(store::migrate(*again).applied.empty());
}

TEST_CASE_TEMPLATE("store: migrations: reading the version of an empty database creates nothing",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open(backend);
  CHECK(store::current_schema_version(*db) == 0);
  auto sql = backend.raw();
  CHECK_FALSE(table_exists(*sql, is_sqlite<Backend>(), "maintd_schema_migrations"));
}

TEST_CASE_TEMPLATE(
    "store: migrations: a schema newer than this maintd is refused with both versions", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  auto db = open_migrated(backend);
  auto sql = backend.raw();
  *sql << "INSERT INTO maintd_schema_migrations (version, name, applied_at) "
          "VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z')";
  CHECK(store::current_schema_version(*db) == 99);
  try {
    store::migrate(*db);
    FAIL("migrate() accepted schema version 99");
  } catch (const store::StoreUnavailable& e) {
    const std::string message = e.what();
    CHECK_MESSAGE(message.find("schema version 99") != std::string::npos, message);
    CHECK_MESSAGE(
        message.find("newer than this maintd knows (" +
                     std::to_string(store::latest_schema_version()) + ")") != std::string::npos,
        message);
    CHECK_MESSAGE(message.find(db->display()) != std::string::npos, message);
  }
  // Nothing changed, and the lock was released: a second attempt says the same, not "locked".
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_schema_migrations") ==
        store::latest_schema_version() + 1);
  const std::string again = thrown_message<store::StoreUnavailable>([&] { store::migrate(*db); });
  CHECK_MESSAGE(contains(again, "schema version 99"), again);
}

TEST_CASE_TEMPLATE("store: migrations: a failed migration names itself and leaves no trace",
                   Backend, MAINTD_BACKENDS) {
  Backend backend;
  auto db = open(backend);
  {
    // Something in the way of the initial schema: a table of the same name.
    auto sql = backend.raw();
    *sql << "CREATE TABLE task_runs (unrelated INTEGER)";
  }
  try {
    store::migrate(*db);
    FAIL("migrate() succeeded over a conflicting table");
  } catch (const store::StoreUnavailable& e) {
    const std::string message = e.what();
    CHECK_MESSAGE(message.find("failed at migration '1 initial schema'") != std::string::npos,
                  message);
  }
  auto sql = backend.raw();
  CHECK_FALSE(table_exists(*sql, is_sqlite<Backend>(), "scheduled_tasks"));
  CHECK(store::current_schema_version(*db) == 0);
  // Once the obstacle is gone, the same Database migrates (no lock or transaction left over).
  *sql << "DROP TABLE task_runs";
  CHECK(store::migrate(*db).applied.size() ==
        static_cast<std::size_t>(store::latest_schema_version()));
}

TEST_CASE_TEMPLATE(
    "store: migrations: processes migrating at once all succeed, the schema applied once", Backend,
    MAINTD_BACKENDS) {
  Backend backend;
  const connection::DatabaseUrl url = backend.url();
  constexpr int kProcesses = 4;
  // The children connect first, then wait on the pipe, so that they migrate at the same moment.
  int go[2];
  REQUIRE(::pipe(go) == 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // The child: exit status 10 + the number of migrations it applied, 1 on any failure.
      // One child applies them all (10 + latest_schema_version()), the others none (10).
      // _exit only: no destructors and no doctest reporting from a forked copy of the runner.
      int status = 1;
      try {
        ::close(go[1]);
        auto db = store::Database::open(url);
        char byte = 0;
        if (::read(go[0], &byte, 1) == 1) {
          status = 10 + static_cast<int>(store::migrate(*db).applied.size());
        }
      } catch (const std::exception& e) {
        ::fprintf(stderr, "child %d: %s\n", static_cast<int>(::getpid()), e.what());
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::usleep(200'000);  // let them all connect
  const char bytes[kProcesses] = {};
  REQUIRE(::write(go[1], bytes, kProcesses) == kProcesses);
  ::close(go[1]);

  std::vector<int> exits;
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    exits.push_back(WEXITSTATUS(status));
  }
  int applied_by = 0;
  for (int code : exits) {
    const int all = 10 + store::latest_schema_version();
    CHECK_MESSAGE((code == 10 || code == all), "a child exited with " << code);
    if (code == all) ++applied_by;
  }
  CHECK(applied_by == 1);

  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_schema_migrations") ==
        store::latest_schema_version());
  CHECK(count(*sql, "SELECT COUNT(DISTINCT version) FROM maintd_schema_migrations") ==
        store::latest_schema_version());
  CHECK(table_exists(*sql, is_sqlite<Backend>(), "maintd_runs"));
}

TEST_CASE_TEMPLATE(
    "store: migrations: a database of schema 4 gets pauses and one-off runs with every run kept",
    Backend, MAINTD_BACKENDS) {
  Backend backend;
  const bool sqlite = is_sqlite<Backend>();
  const std::string id = sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  const std::string ref = sqlite ? "INTEGER" : "BIGINT";
  const std::string ts = sqlite ? "TEXT" : "TEXT COLLATE \"C\"";
  {
    // Schema 4 as maintd created it before pauses and one-off runs, with history in it.
    auto sql = backend.raw();
    for (const std::string& statement : std::vector<std::string>{
             "CREATE TABLE maintd_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
             "NULL, applied_at TEXT NOT NULL)",
             "INSERT INTO maintd_schema_migrations VALUES (1, 'initial schema', "
             "'2026-01-01T00:00:00.000Z'), (2, 'daemon instances', '2026-01-01T00:00:00.000Z'), "
             "(3, 'expect_success_within', '2026-01-01T00:00:00.000Z'), (4, 'maintd_ tables, "
             "the guide''s scheduled_tasks', '2026-01-01T00:00:00.000Z')",
             "CREATE TABLE maintd_runs (id " + id +
                 ", task_name TEXT NOT NULL, task_type TEXT NOT NULL, trigger_type TEXT NOT NULL, "
                 "scheduled_for " +
                 ts +
                 ", status TEXT NOT NULL, attempt INTEGER NOT NULL "
                 "DEFAULT 1, dry_run INTEGER NOT NULL DEFAULT 0, config TEXT NOT NULL DEFAULT "
                 "'{}', instance_id TEXT, host TEXT, pid INTEGER, heartbeat_at " +
                 ts + ", created_at " + ts + " NOT NULL, started_at " + ts + ", finished_at " + ts +
                 ", result TEXT, error TEXT, UNIQUE (task_name, scheduled_for))",
             "CREATE INDEX maintd_runs_by_task ON maintd_runs (task_name, created_at)",
             "CREATE INDEX maintd_runs_by_status ON maintd_runs (status, heartbeat_at)",
             "CREATE INDEX maintd_runs_by_created ON maintd_runs (created_at)",
             "CREATE TABLE maintd_run_events (id " + id + ", run_id " + ref +
                 " NOT NULL REFERENCES maintd_runs (id) ON DELETE CASCADE, at " + ts +
                 " NOT NULL, level TEXT NOT NULL, event TEXT NOT NULL, message TEXT NOT NULL)",
             "CREATE INDEX maintd_run_events_by_run ON maintd_run_events (run_id, id)",
             "CREATE TABLE maintd_instances (instance_id TEXT PRIMARY KEY, host TEXT NOT NULL, "
             "pid INTEGER NOT NULL, started_at " +
                 ts + " NOT NULL, heartbeat_at " + ts +
                 " NOT NULL, status TEXT NOT NULL DEFAULT '')",
             "CREATE TABLE maintd_tasks (task_id TEXT PRIMARY KEY, origin TEXT NOT NULL, "
             "timezone TEXT, enabled_override INTEGER, timeout_seconds INTEGER, concurrency "
             "TEXT, catchup_seconds INTEGER, retries INTEGER, retry_backoff_seconds INTEGER, "
             "jitter_seconds INTEGER, expect_success_within_seconds INTEGER, dry_run INTEGER "
             "NOT NULL DEFAULT 0, updated_at " +
                 ts + " NOT NULL)",
             "CREATE TABLE scheduled_tasks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
             "display_name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', "
             "task_type TEXT NOT NULL, scope_type TEXT NOT NULL DEFAULT 'global', "
             "schedule_expression TEXT NOT NULL, enabled " +
                 std::string(sqlite ? "INTEGER NOT NULL DEFAULT 1"
                                    : "BOOLEAN NOT NULL DEFAULT TRUE") +
                 ", config TEXT NOT NULL DEFAULT '{}', last_run_id TEXT, last_run_at " + ts +
                 ", last_run_status TEXT, next_run_at " + ts + ", created_at " + ts +
                 " NOT NULL, updated_at " + ts + " NOT NULL)",
             "INSERT INTO maintd_runs (task_name, task_type, trigger_type, scheduled_for, status, "
             "created_at, result) VALUES ('nightly', 'debug.noop', 'schedule', "
             "'2026-01-03T03:00:00.000Z', 'completed', '2026-01-03T03:00:00.000Z', '{\"n\": 1}')",
             "INSERT INTO maintd_runs (task_name, task_type, trigger_type, status, created_at) "
             "VALUES ('nightly', 'debug.noop', 'manual', 'pending', '2026-01-03T04:00:00.000Z')",
             "INSERT INTO maintd_run_events (run_id, at, level, event, message) VALUES (1, "
             "'2026-01-03T03:00:01.000Z', 'info', 'complete', 'completed in 1s')"}) {
      *sql << statement;
    }
  }
  auto db = open(backend);
  CHECK(store::current_schema_version(*db) == 4);
  const store::MigrationReport report = store::migrate(*db);
  CHECK(report.from_version == 4);
  CHECK(report.applied == std::vector<std::string>{"5 pauses and one-off runs"});

  auto sql = backend.raw();
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_runs") == 2);
  CHECK(count(*sql, "SELECT COUNT(*) FROM maintd_run_events WHERE run_id = 1") == 1);
  CHECK(scalar(*sql, "SELECT result FROM maintd_runs WHERE id = 1") == "{\"n\": 1}");
  CHECK(count(*sql,
              "SELECT COUNT(*) FROM maintd_runs WHERE due_at IS NULL AND pause_id IS "
              "NULL") == 2);
  CHECK(table_exists(*sql, sqlite, "maintd_pauses"));
  // The old runs read as they were; the manual one that was pending is still a run in progress
  // (not a one-off run waiting).
  TestClock clock;
  store::RunStore runs(db, clock.clock());
  CHECK(runs.get(1)->status == store::RunStatus::completed);
  CHECK(runs.active_runs("nightly").size() == 1);
  CHECK(runs.pending_one_offs().empty());
  CHECK(store::migrate(*db).applied.empty());
}
