#pragma once
// The rows of `scheduled_tasks`, read and written as they are stored: the persistence of tasks,
// and nothing of what a row means. What a row is for (a mirror of a schedule file's task, or a
// task of the table's own), how it becomes a validated task and how the schedule files are
// synced into the table is the tasks layer's (tasks/task_row.hpp, tasks/task_sync.hpp); the
// store knows no config types.
//
// Every column is read as text and then as its type, so that a value of the wrong type, which
// SQLite lets a hand edit store, is read and reported (TaskRecord::unreadable) rather than
// failing the whole read. Rows come sorted by name (in C++, not by ORDER BY: PostgreSQL's
// collation would make the order locale-dependent).
//
// Every function throws StoreUnavailable when the database cannot be used, StoreError otherwise.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

// The columns of a row of scheduled_tasks but config, as stored: what a record and a task row
// (tasks/task_row.hpp, its config read as JSON) share.
struct TaskColumns {
  std::string name;  // NULL text columns read as ""
  std::string display_name;
  std::string description;
  std::string task_type;
  std::string scope_type = "global";
  std::string schedule_expression;
  std::string timezone = "UTC";
  bool enabled = true;  // NULL reads as true
  std::optional<bool> enabled_override;
  std::optional<std::int64_t> timeout_seconds;
  std::optional<std::string> concurrency;
  std::optional<std::int64_t> catchup_seconds;
  std::optional<std::int64_t> retries;
  std::optional<std::int64_t> retry_backoff_seconds;
  std::optional<std::int64_t> jitter_seconds;
  std::optional<std::int64_t> expect_success_within_seconds;
  bool dry_run = false;  // NULL reads as false
  std::string origin;    // "file:<path>" or "db"
  std::string created_at;
  std::string updated_at;
  // Columns whose stored value could not be read as its type (text in an integer column, a
  // flag other than 0 or 1): column -> the stored text. The field itself then holds its NULL
  // value. Reading only; writes ignore it.
  std::map<std::string, std::string> unreadable;
};

// One row of scheduled_tasks, as stored.
struct TaskRecord : TaskColumns {
  std::optional<std::string> config;  // JSON text, as stored; written as given
};

// Reading.
std::vector<TaskRecord> read_task_records(Database& database);  // ordered by name
std::optional<TaskRecord> read_task_record(Database& database, const std::string& name);
// Whether the schema has been created (scheduled_tasks exists). Writes nothing.
bool has_task_table(Database& database);
// Runs recorded under a task name (task_runs), for messages.
std::int64_t count_runs(Database& database, const std::string& task_name);

// Writing rows of origin db (`maintd task add|edit|rm`), each one statement. Each returns false
// when no row was written: insert, when the name exists already (UNIQUE); update, when the row
// is gone, is not a db row, or was changed by someone else since `expected_updated_at`;
// remove, when there is no db row of that name. Insert and update set origin db and the
// timestamps (`clock`); update writes the definition columns, enabled_override and updated_at.
bool insert_db_record(Database& database, TaskRecord record, const Clock& clock);
bool update_db_record(Database& database, TaskRecord record, const std::string& expected_updated_at,
                      const Clock& clock);
bool remove_db_task(Database& database, const std::string& name);
// `maintd task enable|disable`, for rows of either origin: sets enabled_override and enabled.
// False when there is no row of that name.
bool set_enabled_override(Database& database, const std::string& name, bool enabled,
                          const Clock& clock);

// A cheap fingerprint of scheduled_tasks, for pollers that re-read the table only when it
// changed: the row count, the latest updated_at and a checksum of every row's updated_at (its
// minute, second and millisecond digits). It changes when a row is added or removed and when any
// row's updated_at changes, which every maintd command that writes a row does (and the sync of
// the schedule files); a hand edit that leaves updated_at alone is not seen. One aggregate
// query, no rows transferred.
std::string task_table_version(Database& database);

// The writes of a sync of the schedule files (tasks/task_sync.hpp), made in its transaction
// (sync_task_table) as they are asked for.
class TaskTableWriter {
 public:
  virtual ~TaskTableWriter() = default;
  // Inserts a row as given (timestamps included). A name taken meanwhile (by `maintd task add`,
  // which does not wait for the sync's lock) fails the whole sync with a StoreError.
  virtual void insert(const TaskRecord& record) = 0;
  // Updates the definition columns and updated_at of the row of that name, if its origin is
  // file:... (enabled_override and created_at are kept).
  virtual void update_file_row(const TaskRecord& record) = 0;
  // Deletes the row of that name and origin (its runs stay in task_runs).
  virtual void remove(const std::string& name, const std::string& origin) = 0;
};

// The two steps of a sync, asked of the tasks layer. `needs_writes` gets every row as read,
// without a lock: false ends the sync there, with nothing written and no lock taken (the common
// case). Otherwise the sync takes the lock that writers of scheduled_tasks take one at a time
// (SQLite: BEGIN IMMEDIATE, waiting out the busy timeout; PostgreSQL: a transaction-scoped
// advisory lock), reads the rows again (another process may have synced in between) and gives
// them to `write`, whose writes are committed together. A failed sync leaves the table as it was.
struct TaskTableSync {
  std::function<bool(std::vector<TaskRecord> rows)> needs_writes;
  std::function<void(std::vector<TaskRecord> rows, TaskTableWriter& writer)> write;
};
void sync_task_table(Database& database, const TaskTableSync& sync);

}  // namespace maintd::store
