#pragma once
// Writing tasks, for task_table.cpp: the statements that write a task to the task table and its
// maintd_tasks row, in the write transaction every writer of tasks takes (see task_table.hpp).
#include <soci/soci.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/task_rows.hpp"
#include "store/task_table.hpp"

namespace maintd::store {

// A new task id: a time-ordered UUID (version 7), as text.
std::string new_task_id();

// A statement whose values are bound by position (:p0, :p1, ...) as text or NULL, prepared
// once and executed as often as asked.
class PreparedWrite {
 public:
  PreparedWrite(soci::session& sql, const std::string& query, std::size_t values);
  long long execute(const std::vector<std::optional<std::string>>& values);

 private:
  std::vector<std::string> values_;
  std::vector<soci::indicator> inds_;
  soci::statement st_;
};

// The writes of one transaction, on the sessions of a with_task_writes call.
class TaskWrites {
 public:
  TaskWrites(TaskSessions sessions, TaskTableLayout layout)
      : sessions_(sessions), layout_(std::move(layout)) {}

  std::vector<TaskRecord> read_all() { return read_tasks(sessions_, layout_); }
  // The task of that name (not id).
  std::optional<TaskRecord> find(const std::string& name);
  // Inserts the task with a new id (or the one the database assigns) and its maintd row. False
  // when the name is taken (looked up first unless `name_known_free`: a sync, whose plan was
  // made under the lock, inserts thousands and lets the table's UNIQUE name say so instead).
  bool insert(const TaskRecord& record, bool name_known_free = false);
  // Updates the task of record.name (whose id is record.id): the task table's definition
  // columns and updated_at, when its updated_at still reads `expected_updated_at` if given;
  // then its maintd row (the enable override too if `set_override`). False when no row matched.
  bool update(const TaskRecord& record, const std::string* expected_updated_at, bool set_override);
  // Deletes the task's row and its maintd row.
  void remove(const TaskRecord& current);
  // Sets the override and `enabled`; updated_at moves only when one of them changes.
  void set_enabled(const TaskRecord& current, bool enabled, const std::string& now);

 private:
  void upsert_maintd_row(const TaskRecord& record, const std::string& key, bool set_override);

  // The statement of `query`, prepared at its first use in this transaction and executed again
  // with new values after that (a sync of 100,000 tasks would otherwise prepare 200,000).
  long long execute(soci::session& sql, const std::string& query,
                    const std::vector<std::optional<std::string>>& values);

  TaskSessions sessions_;
  TaskTableLayout layout_;
  std::map<std::string, std::unique_ptr<PreparedWrite>> prepared_;  // by query
};

// A transaction that writers of tasks take one at a time, on the state database: SQLite's BEGIN
// IMMEDIATE (the write lock up front, waiting out the busy timeout), PostgreSQL's
// transaction-scoped advisory lock (released by COMMIT or ROLLBACK). Rolled back unless
// committed.
class WriteTransaction {
 public:
  WriteTransaction(soci::session& sql, Dialect dialect, bool lock = true);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  soci::session& sql_;
  bool open_ = true;
};

// Runs `body(TaskWrites&)` under the lock of writers of tasks. When it returns true the writes
// are committed (a task table in another database first: its transaction commits just before
// the state database's), otherwise rolled back.
template <class Body>
bool with_task_writes(TaskTable& table, std::string_view what, Body&& body) {
  return with_task_sessions(table, what, [&](TaskSessions& sessions) {
    WriteTransaction state(sessions.state, table.state().dialect());
    std::optional<WriteTransaction> home;
    if (table.separate()) home.emplace(sessions.home, table.home().dialect(), false);
    TaskWrites writes(sessions, require_layout(table, sessions.home));
    if (!body(writes)) return false;
    if (home) home->commit();
    state.commit();
    return true;
  });
}

// The parts of task_table_version: the task table's count and latest updated_at (as text);
// "count:hash" of its definition columns; maintd_tasks' count, latest and checksum.
std::string table_changes(soci::session& sql, const TaskTableLayout& layout);
std::string table_fingerprint(soci::session& sql, Dialect dialect, const TaskTableLayout& layout);
std::string maintd_rows_fingerprint(soci::session& sql, Dialect dialect);

// write_back_run's UPDATE, on a session of the task table's database.
bool write_back(soci::session& sql, const TaskTableLayout& layout, const RunWriteBack& run);

}  // namespace maintd::store
