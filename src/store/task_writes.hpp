#pragma once
// Writing tasks, for task_table.cpp: the statements that write a task to the task table and its
// maintd_tasks row, in the write transaction every writer of tasks takes (see task_table.hpp).
#include <soci/soci.h>

#include <array>
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
  TaskWrites(TaskSessions sessions, TaskTableLayout layout);

  std::vector<TaskRecord> read_all() { return read_tasks(sessions_, layout_); }
  TaskSessions& sessions() { return sessions_; }
  const TaskTableLayout& layout() const { return layout_; }
  // The task of that name (not id).
  std::optional<TaskRecord> find(const std::string& name);
  // Inserts the task with a new id (or the one the database assigns) and its maintd row. False
  // when the name is taken (looked up first unless `name_known_free`: a sync, whose plan was
  // made under the lock, inserts thousands and lets the table's UNIQUE name say so instead).
  // The id is set in `record`.
  bool insert(TaskRecord& record, bool name_known_free = false);
  // Updates the task of record.name (whose id is record.id): the task table's definition
  // columns and updated_at, when its updated_at still reads `expected_updated_at` if given;
  // then its maintd row (the enable override too if `set_override`). False when no row matched.
  bool update(const TaskRecord& record, const std::string* expected_updated_at, bool set_override);
  // Deletes the task's row and its maintd row.
  void remove(const TaskRecord& current);
  // Sets the override and `enabled`; updated_at moves only when one of them changes.
  void set_enabled(const TaskRecord& current, bool enabled, const std::string& now);

 private:
  // The statements of a transaction. Each one's text is built from the layout at its first use,
  // and prepared then: a sync of 100,000 tasks executes the same two statements 100,000 times,
  // and building their text per row (formatting, joining, looking it up) cost more than SQLite's
  // own work on the rows.
  enum class Statement {
    insert,
    update,
    update_if_unchanged,  // update, when updated_at still reads the value given
    upsert_keep_override,
    upsert_set_override,
    set_enabled,
    remove_task,
    remove_maintd_row,
  };
  static constexpr std::size_t kStatements = 8;
  long long execute(Statement which, const std::vector<std::optional<std::string>>& values);
  std::string text_of(Statement which) const;

  void upsert_maintd_row(const TaskRecord& record, const std::string& key, bool set_override);

  TaskSessions sessions_;
  TaskTableLayout layout_;
  // The guide columns an INSERT writes and an UPDATE sets, those of them the table has, in the
  // order of their placeholders: the statements' text and their values are built from these.
  std::vector<std::string> inserted_, updated_;
  std::array<std::unique_ptr<PreparedWrite>, kStatements> prepared_;
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
