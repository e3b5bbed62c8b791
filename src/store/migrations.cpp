#include "store/migrations.hpp"

#include <fmt/format.h>

#include "store/store_error.hpp"
#include "store/task_table_layout.hpp"
#include "store/task_writes.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {
namespace {

// What a migration works on: the database (its dialect), a session in the migration's
// transaction, and the options.
struct Step {
  const Database& db;
  soci::session& sql;
  const MigrationOptions& options;

  void run(const std::vector<std::string>& statements) const {
    for (const auto& statement : statements) sql << statement;
  }
  bool has_column(const std::string& table, const std::string& column) const;
};

struct Migration {
  int version;
  const char* name;
  void (*apply)(const Step& step);
};

bool Step::has_column(const std::string& table, const std::string& column) const {
  long long found = 0;
  std::string t = table, c = column;
  if (db.dialect() == Dialect::sqlite) {
    sql << "SELECT COUNT(*) FROM pragma_table_info(:t) WHERE name = :c", soci::use(t), soci::use(c),
        soci::into(found);
  } else {
    sql << "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attname = :c "
           "AND NOT attisdropped",
        soci::use(t), soci::use(c), soci::into(found);
  }
  return found > 0;
}

// Whether scheduled_tasks is maintd's own table of schema versions 1 to 3 (the guide's columns
// and maintd's in one table): it has `origin`, which no application's table has.
bool is_legacy_task_table(const Step& step) {
  return step.db.relation_visible(step.sql, "scheduled_tasks") &&
         step.has_column("scheduled_tasks", "origin");
}

// Version 1: tasks, runs and their events. Timestamps are ISO-8601 text (store/timestamp.hpp);
// booleans are 0/1 integers and JSON is text, so one set of statements and bindings serves
// both databases. The task table of versions 1 to 3 (maintd's columns beside the guide's) is
// created only where there is none: an application's own scheduled_tasks is never touched
// (version 4 gives maintd's the guide's shape).
void initial_schema(const Step& step) {
  const Database& db = step.db;
  const std::string id = db.auto_id_column();
  const std::string ts = db.timestamp_type();
  if (step.options.create_task_table && !db.relation_visible(step.sql, "scheduled_tasks")) {
    step.sql << fmt::format(R"(CREATE TABLE scheduled_tasks (
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
                            fmt::arg("id", id), fmt::arg("ts", ts));
  }
  step.run({
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
  });
}

// Version 2: running daemons announce themselves (store/instance_store.hpp), so `maintd reload`
// and `maintd status` can find them without a pid file.
void daemon_instances(const Step& step) {
  const std::string ts = step.db.timestamp_type();
  step.run({
      fmt::format(R"(CREATE TABLE maintd_instances (
  instance_id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at {ts} NOT NULL,
  heartbeat_at {ts} NOT NULL,
  status TEXT NOT NULL DEFAULT ''))",
                  fmt::arg("ts", ts)),
  });
}

// Version 3: the expect_success_within policy (config/config.hpp), NULL like the other policy
// columns: the defaults apply (a db row), or the task is not watched (a file task's row). 0 in a
// db row: not watched, whatever the defaults say.
void expect_success_within(const Step& step) {
  if (!is_legacy_task_table(step)) return;  // an application's table: never altered
  step.sql << "ALTER TABLE scheduled_tasks ADD COLUMN expect_success_within_seconds INTEGER";
}

// The guide's scheduled_tasks (store/task_table_layout.hpp), as maintd creates it: config as
// text on both databases (a hand-edited config that is not JSON is kept and reported, not
// refused by a JSONB column), enabled a boolean on PostgreSQL as in the guide, timestamps as
// maintd's (store/timestamp.hpp).
std::string guide_task_table_statement(const Database& db) {
  const bool sqlite = db.dialect() == Dialect::sqlite;
  return fmt::format(
      R"(CREATE TABLE scheduled_tasks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  task_type TEXT NOT NULL,
  scope_type TEXT NOT NULL DEFAULT 'global',
  schedule_expression TEXT NOT NULL,
  enabled {enabled},
  config TEXT NOT NULL DEFAULT '{{}}',
  last_run_id TEXT,
  last_run_at {ts},
  last_run_status TEXT,
  next_run_at {ts},
  created_at {ts} NOT NULL,
  updated_at {ts} NOT NULL))",
      fmt::arg("enabled", sqlite ? "INTEGER NOT NULL DEFAULT 1" : "BOOLEAN NOT NULL DEFAULT TRUE"),
      fmt::arg("ts", db.timestamp_type()));
}

// A random UUID (version 4 on SQLite; of md5's randomness on PostgreSQL, which has no
// gen_random_uuid before 13), as text, evaluated per row.
std::string uuid_expression(const Database& db) {
  if (db.dialect() == Dialect::postgresql) {
    return "CAST(CAST(md5(random()::text || clock_timestamp()::text) AS uuid) AS TEXT)";
  }
  return "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "
         "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
         "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";
}

// Every row of the legacy table into the new scheduled_tasks and maintd_tasks under a new id;
// then the legacy table goes.
void move_legacy_tasks(const Step& step) {
  const bool sqlite = step.db.dialect() == Dialect::sqlite;
  step.run({
      "ALTER TABLE maintd_legacy_scheduled_tasks ADD COLUMN new_id TEXT",
      "UPDATE maintd_legacy_scheduled_tasks SET new_id = " + uuid_expression(step.db),
      fmt::format("INSERT INTO scheduled_tasks (id, name, display_name, description, task_type, "
                  "scope_type, schedule_expression, enabled, config, created_at, updated_at) "
                  "SELECT new_id, name, display_name, description, task_type, scope_type, "
                  "schedule_expression, {}, config, created_at, updated_at "
                  "FROM maintd_legacy_scheduled_tasks",
                  sqlite ? "enabled" : "enabled <> 0"),
      "INSERT INTO maintd_tasks (task_id, origin, timezone, enabled_override, timeout_seconds, "
      "concurrency, catchup_seconds, retries, retry_backoff_seconds, jitter_seconds, "
      "expect_success_within_seconds, dry_run, updated_at) "
      "SELECT new_id, origin, timezone, enabled_override, timeout_seconds, concurrency, "
      "catchup_seconds, retries, retry_backoff_seconds, jitter_seconds, "
      "expect_success_within_seconds, dry_run, updated_at FROM maintd_legacy_scheduled_tasks",
      "DROP TABLE maintd_legacy_scheduled_tasks",
  });
}

// An application's scheduled_tasks in the state database: usable as it is, or refused (a
// StoreError naming what it lacks) before anything is changed.
void check_application_task_table(const Database& db, soci::session& sql) {
  if (!db.relation_visible(sql, "scheduled_tasks")) return;
  const MigrationOptions options;
  const Step step{db, sql, options};
  if (is_legacy_task_table(step)) return;
  (void)read_task_table_layout(sql, db.dialect(), TaskTableSpec{});
}

// Version 4 (see store/task_table_layout.hpp): scheduled_tasks takes exactly the guide's
// columns and every other table maintd owns the maintd_ prefix, so that the state database can
// be the application's own.
//   maintd_runs, maintd_run_events   task_runs and run_events renamed, every row kept
//   maintd_tasks                     what maintd keeps of a task beyond the guide's columns,
//                                    keyed by the task's id
//   scheduled_tasks                  maintd's own of versions 1 to 3 is rebuilt in the guide's
//                                    shape: each row gets a UUID id, its maintd columns move to
//                                    maintd_tasks. An application's is left as it is.
void maintd_tables(const Step& step) {
  const Database& db = step.db;
  const bool sqlite = db.dialect() == Dialect::sqlite;
  const std::string ts = db.timestamp_type();
  step.run({"ALTER TABLE task_runs RENAME TO maintd_runs",
            "ALTER TABLE run_events RENAME TO maintd_run_events"});
  const std::vector<std::pair<std::string, std::string>> indexes = {
      {"task_runs_by_task", "maintd_runs_by_task ON maintd_runs (task_name, created_at)"},
      {"task_runs_by_status", "maintd_runs_by_status ON maintd_runs (status, heartbeat_at)"},
      {"task_runs_by_created", "maintd_runs_by_created ON maintd_runs (created_at)"},
      {"run_events_by_run", "maintd_run_events_by_run ON maintd_run_events (run_id, id)"}};
  for (const auto& [old_name, definition] : indexes) {
    if (sqlite) {  // SQLite cannot rename an index
      step.sql << "DROP INDEX " << old_name;
      step.sql << "CREATE INDEX " << definition;
    } else {
      step.sql << "ALTER INDEX " << old_name << " RENAME TO "
               << definition.substr(0, definition.find(' '));
    }
  }
  step.sql << fmt::format(R"(CREATE TABLE maintd_tasks (
  task_id TEXT PRIMARY KEY,
  origin TEXT NOT NULL,
  timezone TEXT,
  enabled_override INTEGER,
  timeout_seconds INTEGER,
  concurrency TEXT,
  catchup_seconds INTEGER,
  retries INTEGER,
  retry_backoff_seconds INTEGER,
  jitter_seconds INTEGER,
  expect_success_within_seconds INTEGER,
  dry_run INTEGER NOT NULL DEFAULT 0,
  updated_at {ts} NOT NULL))",
                          fmt::arg("ts", ts));
  const bool legacy = is_legacy_task_table(step);
  if (!legacy &&
      (db.relation_visible(step.sql, "scheduled_tasks") || !step.options.create_task_table)) {
    return;  // an application's table, or the task table is elsewhere
  }
  if (legacy) step.sql << "ALTER TABLE scheduled_tasks RENAME TO maintd_legacy_scheduled_tasks";
  step.sql << guide_task_table_statement(db);
  if (legacy) move_legacy_tasks(step);
}

// Version 5: pausing every daemon at once, and one-off runs (issue 23).
//   maintd_pauses         every pause, kept after it ends: the current one is the row not
//                         resumed whose `until_at` has not come (or has none). Ended ones stay
//                         so that a slot is judged by the pause it fell in, even by a daemon that
//                         was down during it (it is recorded as paused, never caught up).
//   maintd_runs.due_at    when a one-off run (trigger once) is to start; NULL for the others.
//                         A one-off run has no slot (scheduled_for NULL), so it never collides
//                         with a scheduled slot of its task under UNIQUE (task_name,
//                         scheduled_for).
//   maintd_runs.pause_id  the pause a skipped run stands for: each task's slots inside one
//                         pause are coalesced into one skipped run, and UNIQUE (task_name,
//                         pause_id) lets exactly one instance insert it (NULLs never conflict:
//                         every other run has none).
// Columns are added, nothing is rewritten: every run of before is kept as it was.
void pauses_and_one_off_runs(const Step& step) {
  const Database& db = step.db;
  const std::string ts = db.timestamp_type();
  step.run({
      fmt::format(R"(CREATE TABLE maintd_pauses (
  id {id},
  paused_at {ts} NOT NULL,
  paused_by TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  until_at {ts},
  resumed_at {ts},
  resumed_by TEXT))",
                  fmt::arg("id", db.auto_id_column()), fmt::arg("ts", ts)),
      fmt::format("ALTER TABLE maintd_runs ADD COLUMN due_at {}", ts),
      fmt::format("ALTER TABLE maintd_runs ADD COLUMN pause_id {}", db.id_reference_type()),
      "CREATE UNIQUE INDEX maintd_runs_by_pause ON maintd_runs (task_name, pause_id)",
      "CREATE INDEX maintd_runs_by_due ON maintd_runs (status, due_at)",
  });
}

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "initial schema", initial_schema},
      {2, "daemon instances", daemon_instances},
      {3, "expect_success_within", expect_success_within},
      {4, "maintd_ tables, the guide's scheduled_tasks", maintd_tables},
      {5, "pauses and one-off runs", pauses_and_one_off_runs}};
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

MigrationReport migrate(Database& database, const MigrationOptions& options) {
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
      if (!sqlite && !database.schema().empty()) {
        sql << "CREATE SCHEMA IF NOT EXISTS \"" << database.schema() << "\"";
      }
      // An application's task table is checked before anything changes: one of another shape
      // is refused, with what it lacks, and the database is left as it was (no version table
      // either).
      const int found = database.table_exists(sql, kVersionTable) ? read_version(sql) : 0;
      if (options.create_task_table && found < latest_schema_version()) {
        check_application_task_table(database, sql);
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
        migration.apply(Step{database, sql, options});
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
