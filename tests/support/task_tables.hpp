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

}  // namespace maintd::testing
