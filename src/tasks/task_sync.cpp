// The plan of a sync, and the writes it makes of it (see task_sync.hpp).
#include "tasks/task_sync.hpp"

#include <fmt/format.h>

#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"

namespace maintd::tasks {

SyncPlan plan_sync(const std::vector<TaskRow>& rows, const config::Config& config) {
  SyncPlan plan;
  // Hashed views, not ordered copies: this runs over every task at each start.
  std::unordered_map<std::string_view, const TaskRow*> by_name;
  by_name.reserve(rows.size());
  for (const auto& row : rows) by_name.emplace(row.name, &row);
  std::unordered_set<std::string_view> defined;
  defined.reserve(config.tasks.size());
  for (const config::Task& task : config.tasks) {
    defined.insert(task.name);
    auto it = by_name.find(task.name);
    if (it == by_name.end()) {
      plan.added.push_back({task.name, task.origin(), task.defined_at});
      continue;
    }
    const TaskRow& row = *it->second;
    if (!row.from_file()) {
      plan.conflicts.push_back({task.name, task.defined_at, row.origin});
      continue;
    }
    auto changes = diff_rows(row, row_from_file_task(task, row.enabled_override));
    if (changes.empty()) {
      ++plan.unchanged;
    } else {
      plan.changed.push_back({task.name, task.origin(), task.defined_at, std::move(changes)});
    }
  }
  for (const auto& row : rows) {  // sorted by name
    if (row.from_file() && defined.count(row.name) == 0) {
      plan.removed.push_back({row.name, row.origin});
    }
  }
  return plan;
}

SyncPlan plan_sync(store::TaskTable& table, const config::Config& config) {
  // A state database of an older schema keeps maintd's columns elsewhere: planning against it
  // would compare the wrong rows. Said plainly rather than as a missing table.
  const int version = store::current_schema_version(table.state());
  if (version > 0 && version < store::latest_schema_version()) {
    throw store::StoreUnavailable(fmt::format(
        "the state database {} has schema version {}, older than this maintd's ({}): run "
        "'maintd db migrate' first; a dry run reads the current schema only",
        table.state().display(), version, store::latest_schema_version()));
  }
  if (!store::has_task_table(table)) return plan_sync(std::vector<TaskRow>{}, config);
  if (version == 0) {
    // Nothing migrated yet: an application's table, none of whose rows has a maintd row.
    return plan_sync(rows_from_records(store::read_task_records(table, false)), config);
  }
  return plan_sync(read_task_rows(table), config);
}

SyncPlan sync_tasks(store::TaskTable& table, const config::Config& config,
                    const store::Clock& clock, std::optional<SyncedRows>* after,
                    const std::function<void()>& before_lock) {
  SyncPlan plan;
  store::TaskTableSync sync;
  sync.needs_writes = [&](std::vector<store::TaskRecord> records) {
    std::vector<TaskRow> current = rows_from_records(std::move(records));
    plan = plan_sync(current, config);
    if (plan.writes_nothing()) {  // the common case: no lock, no write
      if (after != nullptr) *after = SyncedRows{std::move(current), std::nullopt};
      return false;
    }
    if (before_lock) before_lock();
    return true;
  };
  sync.write = [&](std::vector<store::TaskRecord> records, store::TaskTableWriter& writer) {
    // The rows again, read under the lock.
    std::vector<TaskRow> rows = rows_from_records(std::move(records));
    plan = plan_sync(rows, config);
    if (plan.writes_nothing()) {
      // Another process synced in between: these rows are the table. (Before, the caller was
      // left with no rows at all, and a daemon starting beside another one lost the table's
      // own tasks and every enable/disable until its next poll.)
      if (after != nullptr) *after = SyncedRows{std::move(rows), std::nullopt};
      return;
    }
    std::map<std::string, const TaskRow*> by_name;
    for (const auto& row : rows) by_name.emplace(row.name, &row);
    const std::string now = store::format_timestamp(clock());
    // The file tasks by name: Config::find_task is a linear search, once per row it would make
    // the first sync of N tasks quadratic.
    std::unordered_map<std::string_view, const config::Task*> file_tasks;
    file_tasks.reserve(config.tasks.size());
    for (const config::Task& task : config.tasks) file_tasks.emplace(task.name, &task);

    for (const auto& added : plan.added) {
      TaskRow row = row_from_file_task(*file_tasks.at(added.name), std::nullopt);
      row.created_at = row.updated_at = now;
      writer.insert(record_from_row(std::move(row)));
    }
    for (const auto& changed : plan.changed) {
      const TaskRow& old = *by_name.at(changed.name);
      TaskRow row = row_from_file_task(*file_tasks.at(changed.name), old.enabled_override);
      row.updated_at = now;
      writer.update_file_row(record_from_row(std::move(row)));
    }
    for (const auto& removed : plan.removed) writer.remove(removed.name, removed.origin);
  };
  if (auto synced = store::sync_task_table(table, sync); synced && after != nullptr) {
    *after = SyncedRows{rows_from_records(std::move(synced->rows)), std::move(synced->version)};
  }
  return plan;
}

void report_conflicts(const SyncPlan& plan, config::Diagnostics& diagnostics) {
  for (const auto& conflict : plan.conflicts) {
    diagnostics.warning(
        conflict.defined_at,
        fmt::format("task '{}' is also a row of scheduled_tasks (origin {}): the task of this "
                    "file is used and the row is left as it is ('maintd task rm {}' removes the "
                    "row)",
                    conflict.name, conflict.row_origin, conflict.name));
    diagnostics.warning(config::table_location(conflict.name),
                        fmt::format("task '{}' is also defined at {}: this row is ignored while "
                                    "a schedule file defines the name",
                                    conflict.name, conflict.defined_at.to_string()));
  }
}

}  // namespace maintd::tasks
