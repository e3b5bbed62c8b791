// The effective task set from the schedule files and the table (see task_load.hpp).
#include "tasks/task_load.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "tasks/task_sync.hpp"

namespace maintd::tasks {

TaskSet load_tasks(store::TaskTable& table, const config::Config& config) {
  return load_tasks(table, config, store::system_clock());
}

TaskSet load_tasks(store::TaskTable& table, const config::Config& config,
                   const store::Clock& clock) {
  // The version is read before the rows: a change made after this point makes the next version
  // differ, so a poller reads it then.
  std::string version = store::task_table_version(table);
  std::optional<SyncedRows> after;
  const SyncPlan plan = sync_tasks(table, config, clock, &after);
  std::vector<TaskRow> rows;
  if (after) {
    // The rows the sync compared, or those it left (reading 100,000 rows again was a third of
    // the first start).
    rows = std::move(after->rows);
    if (after->version) version = std::move(*after->version);
  } else {
    // The sync's own writes moved the version, and the application may have written beside
    // them (a task table on PostgreSQL): both again, after them.
    version = store::task_table_version(table);
    rows = read_task_rows(table);
  }
  TaskSet set = merge_tasks(rows, config);
  set.table_version = std::move(version);
  report_conflicts(plan, set.diagnostics);
  return set;
}

TaskSet merge_tasks(const std::vector<TaskRow>& rows, const config::Config& config) {
  TaskSet set;
  // Hashed views of the rows' names: this runs over every task at each start and poll.
  std::unordered_map<std::string_view, const TaskRow*> by_name;
  by_name.reserve(rows.size());
  for (const auto& row : rows) by_name.emplace(row.name, &row);
  set.reserve(config.tasks.size() + rows.size());

  for (const config::Task& task : config.tasks) {
    auto it = by_name.find(task.name);
    if (it != by_name.end() && it->second->from_file() && it->second->enabled_override &&
        *it->second->enabled_override != task.enabled) {
      config::Task overridden = task;
      overridden.enabled = *it->second->enabled_override;
      set.add_owned(std::move(overridden));
    } else {
      set.add_pointed(task);
    }
  }
  for (const TaskRow& row : rows) {
    // A file task's row only mirrors the file; a name in a file and in a db row is a conflict,
    // reported above, and the file's task is the one that runs. (The set holds only file tasks
    // and rows before this one, whose names differ from it: the table's key is the name.)
    if (row.from_file() || set.find(row.name) != nullptr) continue;
    const config::Location at = config::table_location(row.name);
    if (!row.from_db()) {
      set.diagnostics.error(at, fmt::format("origin: '{}' is neither 'db' nor 'file:<path>'; "
                                            "the row is not a task maintd runs",
                                            shown_value(row.origin)));
      continue;
    }
    if (auto task = task_from_row(row, config, set.diagnostics)) {
      set.add_owned(std::move(*task));
    } else {
      set.diagnostics.warning(
          at,
          fmt::format("task '{}'{} does not run until its row is fixed ('maintd task edit {}' "
                      "validates a change; 'maintd task rm {}' removes it)",
                      config::shown_task_name(row.name),
                      // The id too: the application's admin page knows rows by it.
                      row.id.empty() ? std::string() : fmt::format(" (id {})", shown_value(row.id)),
                      config::shown_task_name(row.name), config::shown_task_name(row.name)));
    }
  }
  return set;
}

}  // namespace maintd::tasks
