#include "store/migrations.hpp"

#include <fmt/format.h>

#include "store/store_error.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {
namespace {

struct Migration {
  int version;
  const char* name;
  std::vector<std::string> (*statements)(const Database& db);
};

// Version 1: tasks, runs and their events. Timestamps are ISO-8601 text (store/timestamp.hpp);
// booleans are 0/1 integers and JSON is text, so one set of statements and bindings serves
// both databases.
std::vector<std::string> initial_schema(const Database& db) {
  const std::string id = db.auto_id_column();
  const std::string ts = db.timestamp_type();
  return {
      fmt::format(R"(CREATE TABLE scheduled_tasks (
  id {id},
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  task_type TEXT NOT NULL,
  scope_type TEXT NOT NULL DEFAULT 'global',
  schedule_expression TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  enabled INTEGER NOT NULL DEFAULT 1,
  enabled_override INTEGER,
  config TEXT NOT NULL DEFAULT '{{}}',
  timeout_seconds INTEGER,
  concurrency TEXT,
  catchup_seconds INTEGER,
  retries INTEGER,
  retry_backoff_seconds INTEGER,
  jitter_seconds INTEGER,
  dry_run INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL,
  created_at {ts} NOT NULL,
  updated_at {ts} NOT NULL))",
                  fmt::arg("id", id), fmt::arg("ts", ts)),
      fmt::format(R"(CREATE TABLE task_runs (
  id {id},
  task_name TEXT NOT NULL,
  task_type TEXT NOT NULL,
  trigger_type TEXT NOT NULL,
  scheduled_for {ts},
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  dry_run INTEGER NOT NULL DEFAULT 0,
  config TEXT NOT NULL DEFAULT '{{}}',
  instance_id TEXT,
  host TEXT,
  pid INTEGER,
  heartbeat_at {ts},
  created_at {ts} NOT NULL,
  started_at {ts},
  finished_at {ts},
  result TEXT,
  error TEXT,
  UNIQUE (task_name, scheduled_for)))",
                  fmt::arg("id", id), fmt::arg("ts", ts)),
      "CREATE INDEX task_runs_by_task ON task_runs (task_name, created_at)",
      "CREATE INDEX task_runs_by_status ON task_runs (status, heartbeat_at)",
      "CREATE INDEX task_runs_by_created ON task_runs (created_at)",
      fmt::format(R"(CREATE TABLE run_events (
  id {id},
  run_id {ref} NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  at {ts} NOT NULL,
  level TEXT NOT NULL,
  event TEXT NOT NULL,
  message TEXT NOT NULL))",
                  fmt::arg("id", id), fmt::arg("ref", db.id_reference_type()), fmt::arg("ts", ts)),
      "CREATE INDEX run_events_by_run ON run_events (run_id, id)",
  };
}

// Version 2: running daemons announce themselves (store/instance_store.hpp), so `maintd reload`
// and `maintd status` can find them without a pid file.
std::vector<std::string> daemon_instances(const Database& db) {
  const std::string ts = db.timestamp_type();
  return {
      fmt::format(R"(CREATE TABLE maintd_instances (
  instance_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at {ts} NOT NULL,
  heartbeat_at {ts} NOT NULL,
  status TEXT NOT NULL DEFAULT ''))",
                  fmt::arg("ts", ts)),
  };
}

// Version 3: the expect_success_within policy (config/config.hpp), NULL like the other policy
// columns: the defaults apply (a db row), or the task is not watched (a file task's row). 0 in a
// db row: not watched, whatever the defaults say.
std::vector<std::string> expect_success_within(const Database&) {
  return {"ALTER TABLE scheduled_tasks ADD COLUMN expect_success_within_seconds INTEGER"};
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {{1, "initial schema", initial_schema},
                                             {2, "daemon instances", daemon_instances},
                                             {3, "expect_success_within", expect_success_within}};
  return all;
}

constexpr const char* kVersionTable = "maintd_schema_migrations";
constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS maintd_schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL)";

// A fixed key for pg_advisory_lock: "maintd" in ASCII.
constexpr long long kMigrationLockKey = 0x6d61696e7464LL;

int read_version(soci::session& sql) {
  int version = 0;
  soci::indicator ind = soci::i_null;
  sql << "SELECT MAX(version) FROM maintd_schema_migrations", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

}  // namespace

int latest_schema_version() {
  return migrations().back().version;
}

int current_schema_version(Database& database) {
  // Reads only: a database nobody migrated yet is version 0 and stays untouched.
  return database.with_session("reading the schema version", [&](soci::session& sql) {
    return database.table_exists(sql, kVersionTable) ? read_version(sql) : 0;
  });
}

MigrationReport migrate(Database& database) {
  const bool sqlite = database.dialect() == Dialect::sqlite;
  return database.with_session("migrating", [&](soci::session& sql) {
    MigrationReport report;
    std::string current;  // the migration being applied, if any
    bool in_transaction = false, locked = false;
    try {
      if (sqlite) {
        // One write transaction for the lot: a second process waits on the lock (busy timeout),
        // then finds the schema current. SQLite's DDL is transactional.
        sql << "BEGIN IMMEDIATE";
        in_transaction = true;
      } else {
        // A session-level advisory lock: a second process waits here until the first is done.
        // Each migration then runs in its own transaction (PostgreSQL's DDL is transactional).
        sql << "SELECT pg_advisory_lock(" << kMigrationLockKey << ")";
        locked = true;
      }
      sql << kCreateVersionTable;
      report.from_version = read_version(sql);
      if (report.from_version > latest_schema_version()) {
        throw StoreUnavailable(fmt::format(
            "the state database {} has schema version {}, newer than this maintd knows ({}): "
            "upgrade maintd",
            database.display(), report.from_version, latest_schema_version()));
      }
      for (const Migration& migration : migrations()) {
        if (migration.version <= report.from_version) continue;
        current = fmt::format("{} {}", migration.version, migration.name);
        if (!sqlite) {
          sql << "BEGIN";
          in_transaction = true;
        }
        for (const auto& statement : migration.statements(database)) sql << statement;
        const std::string now = format_timestamp(system_clock()());
        std::string name = migration.name;
        sql << "INSERT INTO maintd_schema_migrations (version, name, applied_at) "
               "VALUES (:v, :n, :a)",
            soci::use(migration.version), soci::use(name), soci::use(now);
        if (!sqlite) {
          sql << "COMMIT";
          in_transaction = false;
        }
        report.applied.push_back(current);
      }
      report.to_version = latest_schema_version();
      if (sqlite) {
        sql << "COMMIT";
        in_transaction = false;
      } else {
        sql << "SELECT pg_advisory_unlock(" << kMigrationLockKey << ")";
        locked = false;
      }
    } catch (const std::exception& e) {
      try {
        if (in_transaction) sql << "ROLLBACK";
        if (locked) sql << "SELECT pg_advisory_unlock(" << kMigrationLockKey << ")";
      } catch (const std::exception&) {
        // The connection may be gone; the lock and the transaction go with it.
      }
      if (dynamic_cast<const StoreError*>(&e) != nullptr) throw;
      // Either way the state database cannot be used by this maintd: callers exit 3.
      throw StoreUnavailable(
          fmt::format("migrating the state database {} failed{}: {}", database.display(),
                      current.empty() ? "" : fmt::format(" at migration '{}'", current),
                      Database::describe(e)));
    }
    return report;
  });
}

}  // namespace maintd::store
