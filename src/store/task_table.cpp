// The SQL of tasks (see task_table.hpp): the task table's statements, built from its layout;
// maintd_tasks' statements; the join of the two; and the write transaction of a sync.
#include "store/task_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/soci.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "store/store_error.hpp"
#include "store/task_rows.hpp"
#include "store/task_writes.hpp"

namespace maintd::store {

TaskTable::TaskTable(std::shared_ptr<Database> state, TaskTableSpec spec,
                     std::shared_ptr<Database> home)
    : state_(std::move(state)), home_(std::move(home)), spec_(std::move(spec)) {}

std::string TaskTable::where() const {
  if (!separate()) return spec_.table;
  return fmt::format("{} in {}", spec_.table, home_->display());
}

std::optional<TaskTableLayout> TaskTable::layout(soci::session& home_sql) {
  const std::lock_guard lock(mutex_);
  if (!layout_) layout_ = read_task_table_layout(home_sql, home().dialect(), spec_);
  return layout_;
}

namespace {

std::vector<TaskRecord> read_records(TaskTable& table, TaskMatch match, const std::string& wanted,
                                     bool maintd_rows = true) {
  return with_task_sessions(table, "reading the tasks", [&](TaskSessions& s) {
    return read_tasks(s, require_layout(table, s.home), match, wanted, maintd_rows);
  });
}

}  // namespace

std::vector<TaskRecord> read_task_records(TaskTable& table, bool maintd_rows) {
  return read_records(table, TaskMatch::all, {}, maintd_rows);
}

std::optional<TaskRecord> read_task_record(TaskTable& table, const std::string& name_or_id) {
  auto rows = read_records(table, TaskMatch::name_or_id, name_or_id);
  if (rows.empty()) return std::nullopt;
  // A name wins over an id that happens to be spelled the same.
  auto by_name = std::find_if(rows.begin(), rows.end(),
                              [&](const TaskRecord& r) { return r.name == name_or_id; });
  return std::move(by_name != rows.end() ? *by_name : rows.front());
}

bool has_task_table(TaskTable& table) {
  return table.home().with_session(
      "reading the task table", [&](soci::session& sql) { return table.layout(sql).has_value(); });
}

std::int64_t count_runs(Database& database, const std::string& task_name) {
  return database.with_session("counting runs", [&](soci::session& sql) {
    long long count = 0;
    sql << "SELECT COUNT(*) FROM maintd_runs WHERE task_name = :name", soci::use(task_name),
        soci::into(count);
    return static_cast<std::int64_t>(count);
  });
}

bool insert_db_record(TaskTable& table, TaskRecord record, const Clock& clock) {
  return with_task_writes(table, "adding a task", [&](TaskWrites& writes) {
    record.origin = "db";
    record.created_at = record.updated_at = format_timestamp(clock());
    return writes.insert(record);
  });
}

bool update_db_record(TaskTable& table, TaskRecord record, const std::string& expected_updated_at,
                      const Clock& clock) {
  return with_task_writes(table, "editing a task", [&](TaskWrites& writes) {
    auto current = writes.find(record.name);
    if (!current || current->origin != "db") return false;
    record.origin = "db";
    record.id = current->id;
    record.updated_at = format_timestamp(clock());
    return writes.update(record, &expected_updated_at, true);
  });
}

bool remove_db_task(TaskTable& table, const std::string& name) {
  return with_task_writes(table, "removing a task", [&](TaskWrites& writes) {
    auto current = writes.find(name);
    if (!current || current->origin != "db") return false;
    writes.remove(*current);
    return true;
  });
}

bool set_enabled_override(TaskTable& table, const std::string& name, bool enabled,
                          const Clock& clock) {
  return with_task_writes(table, "changing whether a task is enabled", [&](TaskWrites& writes) {
    auto current = writes.find(name);
    if (!current) return false;
    writes.set_enabled(*current, enabled, format_timestamp(clock()));
    return true;
  });
}

namespace {

// task_table_version on sessions already open (a write transaction's, in a sync).
std::string version_on(TaskTable& table, TaskSessions& s, const TaskTableLayout& layout,
                       bool deep) {
  std::string version = fmt::format("{} {}", table_changes(s.home, layout),
                                    maintd_rows_fingerprint(s.state, table.state().dialect()));
  // Without updated_at, only the hash sees an UPDATE: every version is deep.
  if (deep || !layout.has("updated_at")) {
    version += "|" + table_fingerprint(s.home, table.home().dialect(), layout);
  }
  return version;
}

}  // namespace

std::string task_table_version(TaskTable& table, bool deep) {
  return with_task_sessions(table, "reading the version of the tasks", [&](TaskSessions& s) {
    const auto layout = table.layout(s.home);
    if (!layout) return std::string("-");
    return version_on(table, s, *layout, deep);
  });
}

bool same_task_table_version(const std::string& read, const std::string& loaded) {
  if (read.find('|') != std::string::npos) return read == loaded;
  return loaded.substr(0, loaded.find('|')) == read;  // a shallow read: its part of the version
}

bool write_back_run(TaskTable& table, const RunWriteBack& run) {
  return table.home().with_session("writing back a run", [&](soci::session& sql) {
    const auto layout = table.layout(sql);
    if (!layout) return false;
    return write_back(sql, *layout, run);
  });
}

namespace {

// The writes of one sync, in its transaction. What it needs of a task already in the table (its
// id, origin and override) comes from the rows the sync read under the lock, not from a query
// per task: a change of `defaults:` rewrites every file task's row.
class SyncWriter final : public TaskTableWriter {
 public:
  SyncWriter(TaskWrites& writes, const TaskTable& table, const std::vector<TaskRecord>& rows)
      : writes_(writes), table_(table) {
    complete_ = std::all_of(guide_task_columns().begin(), guide_task_columns().end(),
                            [&](const std::string& guide) { return writes.layout().has(guide); });
    current_.reserve(rows.size());
    for (const auto& row : rows) {
      TaskRecord& known = current_[row.name];
      known.name = row.name;
      known.id = row.id;
      known.origin = row.origin;
      known.enabled_override = row.enabled_override;
    }
  }

  void insert(TaskRecord& record) override {
    // The plan, made under the lock, found no such name; a row the application inserted since
    // then fails the table's UNIQUE name (the database's reason is kept in the message).
    std::string reason;
    try {
      writes_.insert(record, true);
    } catch (const StoreError&) {
      throw;
    } catch (const std::exception& e) {
      reason = Database::describe(e);
    }
    if (!reason.empty()) {
      throw StoreError(
          fmt::format("syncing the schedule files into {}: inserting task '{}' failed: {} (if the "
                      "application or `maintd task add` added that name meanwhile: load again)",
                      table_.where(), record.name, reason));
    }
    wrote_ = true;
  }
  void update_file_row(TaskRecord& record) override {
    const TaskRecord* current = find(record.name);
    if (current == nullptr || current->origin.rfind("file:", 0) != 0) return;
    record.id = current->id;
    record.enabled_override = current->enabled_override;  // kept
    writes_.update(record, nullptr, false);
    wrote_ = true;
  }
  void remove(const std::string& name, const std::string& origin) override {
    const TaskRecord* current = find(name);
    if (current == nullptr || current->origin != origin) return;
    writes_.remove(*current);
    wrote_ = true;
  }
  void as_read_back(TaskColumns& columns) const override {
    if (complete_) {
      columns.unreadable.clear();  // a table with every column reads back what was written
      return;
    }
    store::as_read_back(columns, writes_.layout());
  }
  bool wrote() const { return wrote_; }

 private:
  const TaskRecord* find(const std::string& name) const {
    auto it = current_.find(name);
    return it == current_.end() ? nullptr : &it->second;
  }

  TaskWrites& writes_;
  const TaskTable& table_;
  std::unordered_map<std::string, TaskRecord> current_;  // name, id, origin, override only
  bool complete_ = false;                                // the table has every guide column
  bool wrote_ = false;
};

}  // namespace

bool sync_leaves_known_table(const TaskTable& table) {
  return table.home().dialect() == Dialect::sqlite;
}

std::optional<std::string> sync_task_table(TaskTable& table, const TaskTableSync& sync) {
  const std::string what = "syncing the schedule files into " + table.where();
  const bool writes_needed = with_task_sessions(table, what, [&](TaskSessions& s) {
    return sync.needs_writes(read_tasks(s, require_layout(table, s.home)));
  });
  if (!writes_needed) return std::nullopt;  // the common case: no lock, no write
  std::optional<std::string> version;
  with_task_writes(table, what, [&](TaskWrites& writes) {
    // Again under the lock: another process may have synced in between.
    std::vector<TaskRecord> rows = writes.read_all();
    SyncWriter writer(writes, table, rows);
    sync.write(std::move(rows), writer);
    if (!writer.wrote()) return false;
    // Read in the transaction, after the writes: the table the caller's rows now describe
    // (see the header for why only on SQLite). The caller need not read 100,000 rows again,
    // which was a third of the first start.
    if (sync_leaves_known_table(table)) {
      version = version_on(table, writes.sessions(), writes.layout(), /*deep=*/true);
    }
    return true;
  });
  return version;
}

}  // namespace maintd::store
