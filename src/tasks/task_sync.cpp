// The plan of a sync, and the writes it makes of it (see task_sync.hpp).
#include "tasks/task_sync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "store/migrations.hpp"
#include "store/store_error.hpp"
#include "store/task_table.hpp"

namespace maintd::tasks {

SyncPlan plan_sync(const std::vector<TaskRow>& rows, const config::Config& config) {
  SyncPlan plan;
  // A hashed view of the rows' names, and which rows a file task matched: this runs over every
  // task at each start (no set of the file tasks' names: the first start has 100,000 and no row).
  std::unordered_map<std::string_view, std::size_t> by_name;
  by_name.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) by_name.emplace(rows[i].name, i);
  std::vector<bool> defined(rows.size(), false);
  for (const config::Task& task : config.tasks) {
    auto it = by_name.find(task.name);
    if (it == by_name.end()) {
      plan.added.push_back({task.name, task.origin(), task.defined_at, &task});
      continue;
    }
    const TaskRow& row = rows[it->second];
    defined[it->second] = true;
    if (!row.from_file()) {
      plan.conflicts.push_back({task.name, task.defined_at, row.origin});
      continue;
    }
    auto changes = diff_rows(row, row_from_file_task(task, row.enabled_override));
    if (changes.empty()) {
      ++plan.unchanged;
    } else {
      plan.changed.push_back(
          {task.name, task.origin(), task.defined_at, std::move(changes), &task, it->second});
    }
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {  // sorted by name
    if (rows[i].from_file() && !defined[i])
      plan.removed.push_back({rows[i].name, rows[i].origin, i});
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

namespace {

// The table as a sync leaves it: `rows` (as read under the lock, sorted by name) with the
// plan's writes applied, each written row as a read returns it.
class TableAfterWrites {
 public:
  TableAfterWrites(std::vector<TaskRow> rows, store::TaskTableWriter& writer)
      : rows_(std::move(rows)), removed_(rows_.size(), false), writer_(writer) {}

  const TaskRow& row(std::size_t index) const { return rows_[index]; }
  void inserted(TaskRow row) {
    writer_.as_read_back(row);
    inserted_.push_back(std::move(row));
  }
  void updated(std::size_t index, TaskRow row) {
    writer_.as_read_back(row);
    rows_[index] = std::move(row);
  }
  void removed(std::size_t index) { removed_[index] = true; }

  std::vector<TaskRow> rows() && {
    std::sort(inserted_.begin(), inserted_.end(), by_name);
    std::vector<TaskRow> kept;
    kept.reserve(rows_.size() + inserted_.size());
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (!removed_[i]) kept.push_back(std::move(rows_[i]));
    }
    std::vector<TaskRow> all;
    all.reserve(kept.size() + inserted_.size());
    std::merge(std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()),
               std::make_move_iterator(inserted_.begin()), std::make_move_iterator(inserted_.end()),
               std::back_inserter(all), by_name);
    return all;
  }

 private:
  static bool by_name(const TaskRow& a, const TaskRow& b) { return a.name < b.name; }

  std::vector<TaskRow> rows_;
  std::vector<bool> removed_;
  std::vector<TaskRow> inserted_;
  store::TaskTableWriter& writer_;
};

}  // namespace

SyncPlan sync_tasks(store::TaskTable& table, const config::Config& config,
                    const store::Clock& clock, std::optional<SyncedRows>* after,
                    const std::function<void()>& before_lock) {
  SyncPlan plan;
  std::vector<TaskRow> planned_against;
  store::TaskTableSync sync;
  sync.needs_writes = [&](std::vector<store::TaskRecord> records) {
    planned_against = rows_from_records(std::move(records));
    plan = plan_sync(planned_against, config);
    if (plan.writes_nothing()) {  // the common case: no lock, no write
      if (after != nullptr) *after = SyncedRows{std::move(planned_against), std::nullopt};
      return false;
    }
    if (before_lock) before_lock();
    return true;
  };
  std::optional<std::vector<TaskRow>> rows_after;
  sync.write = [&](std::vector<store::TaskRecord> records, store::TaskTableWriter& writer) {
    // The rows again, read under the lock. When they are the rows planned against (the first
    // start: both empty), so is the plan; otherwise it is made again from them.
    std::vector<TaskRow> rows = rows_from_records(std::move(records));
    if (rows != planned_against) plan = plan_sync(rows, config);
    planned_against.clear();
    if (plan.writes_nothing()) {
      // Another process synced in between: these rows are the table. (Before, the caller was
      // left with no rows at all, and a daemon starting beside another one lost the table's
      // own tasks and every enable/disable until its next poll.)
      if (after != nullptr) *after = SyncedRows{std::move(rows), std::nullopt};
      return;
    }
    const std::string now = store::format_timestamp(clock());
    TableAfterWrites table_after(std::move(rows), writer);
    for (const auto& added : plan.added) {
      TaskRow row = row_from_file_task(*added.task, std::nullopt);
      row.created_at = row.updated_at = now;
      write_as_record(row, [&](store::TaskRecord& record) { writer.insert(record); });
      table_after.inserted(std::move(row));
    }
    for (const auto& changed : plan.changed) {
      const TaskRow& old = table_after.row(changed.row);
      TaskRow row = row_from_file_task(*changed.task, old.enabled_override);
      row.updated_at = now;
      write_as_record(row, [&](store::TaskRecord& record) { writer.update_file_row(record); });
      // What the UPDATE leaves alone stays as it was.
      row.created_at = old.created_at;
      row.last_run_id = old.last_run_id;
      row.last_run_at = old.last_run_at;
      row.last_run_status = old.last_run_status;
      row.next_run_at = old.next_run_at;
      table_after.updated(changed.row, std::move(row));
    }
    for (const auto& removed : plan.removed) {
      writer.remove(removed.name, removed.origin);
      table_after.removed(removed.row);
    }
    if (after != nullptr && store::sync_leaves_known_table(table)) {
      rows_after = std::move(table_after).rows();
    }
  };
  const std::optional<std::string> version = store::sync_task_table(table, sync);
  if (version && rows_after && after != nullptr) {
    *after = SyncedRows{std::move(*rows_after), *version};
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
