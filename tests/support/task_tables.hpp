#pragma once
// The task table of a state database, for tests that call the tasks layer and the store's task
// functions on a Database: the default table (scheduled_tasks in that database).
#include <memory>
#include <set>
#include <string>

#include "store/task_table.hpp"

namespace maintd::testing {

// A new handle each call (its layout is read at first use); `database` must outlive it.
inline std::shared_ptr<store::TaskTable> table_of(store::Database& database) {
  return std::make_shared<store::TaskTable>(
      std::shared_ptr<store::Database>(std::shared_ptr<void>(), &database));
}

// The query that reads one column of a task as text: the guide's columns from scheduled_tasks
// (`enabled` as 0/1 on both databases), maintd's own from maintd_tasks by the task's id.
inline std::string task_column_query(const std::string& name, const std::string& column) {
  static const std::set<std::string> maintd_columns = {
      "origin",           "timezone",
      "enabled_override", "timeout_seconds",
      "concurrency",      "catchup_seconds",
      "retries",          "retry_backoff_seconds",
      "jitter_seconds",   "expect_success_within_seconds",
      "dry_run"};
  const std::string task = "(SELECT id FROM scheduled_tasks WHERE name = '" + name + "')";
  if (column == "enabled") {
    return "SELECT CAST(CAST(enabled AS INTEGER) AS TEXT) FROM scheduled_tasks WHERE name = '" +
           name + "'";
  }
  if (maintd_columns.count(column) > 0) {
    return "SELECT CAST(" + column + " AS TEXT) FROM maintd_tasks WHERE task_id = " + task;
  }
  return "SELECT CAST(" + column + " AS TEXT) FROM scheduled_tasks WHERE name = '" + name + "'";
}

// The Curatore guide's own scheduled_tasks, in its own types: UUID ids, JSONB config and a
// boolean `enabled` on PostgreSQL (where last_run_id refers to the application's own runs: a UUID
// too); text and integers on SQLite. What an application that adopts maintd already has.
inline std::string curatore_table(bool postgres) {
  if (postgres) {
    return "CREATE TABLE scheduled_tasks (id UUID PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE, "
           "display_name VARCHAR(255), description TEXT, task_type VARCHAR(100) NOT NULL, "
           "scope_type VARCHAR(50) DEFAULT 'global', schedule_expression VARCHAR(100) NOT NULL, "
           "enabled BOOLEAN NOT NULL DEFAULT TRUE, config JSONB NOT NULL DEFAULT '{}', "
           "last_run_id UUID, last_run_at TIMESTAMPTZ, last_run_status VARCHAR(50), "
           "next_run_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
           "updated_at TIMESTAMPTZ NOT NULL DEFAULT now())";
  }
  return "CREATE TABLE scheduled_tasks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
         "display_name TEXT, description TEXT, task_type TEXT NOT NULL, scope_type TEXT "
         "DEFAULT 'global', schedule_expression TEXT NOT NULL, enabled INTEGER NOT NULL "
         "DEFAULT 1, config TEXT NOT NULL DEFAULT '{}', last_run_id TEXT, last_run_at TEXT, "
         "last_run_status TEXT, next_run_at TEXT, created_at TEXT, updated_at TEXT)";
}

}  // namespace maintd::testing
