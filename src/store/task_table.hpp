#pragma once
// Internal to store/task_store.cpp and store/task_sync.cpp: the SQL of scheduled_tasks, the
// statement helpers and the write transaction both use.
#include <fmt/format.h>
#include <soci/soci.h>

#include <memory>
#include <string>
#include <utility>

#include "store/database.hpp"
#include "store/store_error.hpp"
#include "store/task_store.hpp"

namespace maintd::store::task_sql {

// Runs `body(session)` on a session of the state database (Database::with_session: its waits
// are bounded, a lost connection is made again) and wraps its failures: a lost connection, a
// locked database, a server that does not answer or a schema that was never created is
// "unavailable" (the CLI exits 3); anything else is a StoreError, naming `what`.
template <class F>
auto guarded(Database& database, const char* what, F&& body) {
  return database.with_session(what, std::forward<F>(body));
}

// Runs a statement that changes rows; returns how many it changed.
template <class... Uses>
long long execute_update(soci::session& sql, const std::string& query, Uses&&... uses) {
  soci::statement st(sql);
  (st.exchange(std::forward<Uses>(uses)), ...);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

// A transaction that writers of scheduled_tasks take one at a time: SQLite's BEGIN IMMEDIATE
// (the write lock up front, waiting out the busy timeout), PostgreSQL's transaction-scoped
// advisory lock (released by COMMIT or ROLLBACK). Rolled back unless committed.
class WriteTransaction {
 public:
  WriteTransaction(soci::session& sql, Dialect dialect);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  void commit();

 private:
  soci::session& sql_;
  bool open_ = true;
};

// Reads every row (or the one named) on `sql`, sorted by name.
std::vector<TaskRow> select_rows(soci::session& sql, const std::string* name = nullptr);

// Inserts a row as given (timestamps included); ON CONFLICT (name) DO NOTHING. Returns whether
// it was inserted.
bool insert_row(soci::session& sql, const TaskRow& row);

// insert_row for many rows: the statement is prepared once (the sync of thousands of tasks).
class RowInserter {
 public:
  explicit RowInserter(soci::session& sql);
  ~RowInserter();
  RowInserter(const RowInserter&) = delete;
  RowInserter& operator=(const RowInserter&) = delete;
  bool insert(const TaskRow& row);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Updates the definition columns, origin, enabled and updated_at of the row named row.name;
// with `set_override`, enabled_override too. `condition` is appended to the WHERE clause
// (e.g. " AND origin = 'db'"); `condition_value`, if given, is bound to its one parameter
// (:expected). Returns the rows changed.
long long update_row(soci::session& sql, const TaskRow& row, bool set_override,
                     const std::string& condition = {},
                     const std::string* condition_value = nullptr);

}  // namespace maintd::store::task_sql
