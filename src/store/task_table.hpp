#pragma once
// The tasks of the task table, read and written as they are stored: the persistence of tasks,
// and nothing of what a row means. What a row is for (a mirror of a schedule file's task, or a
// task of the table's own), how it becomes a validated task and how the schedule files are
// synced into the table is the tasks layer's (tasks/task_row.hpp, tasks/task_sync.hpp); the
// store knows no config types.
//
// A task is stored in two places (store/task_table_layout.hpp):
//   the task table   `scheduled_tasks` (or the application's own, `task_table:`), with exactly
//                    the Curatore guide's columns: what the application and its admin page see.
//                    It may live in another database than the state database.
//   maintd_tasks     in the state database, keyed by the task's id (the name, in a table without
//                    one): origin, the enable override, the time zone and the policies. A row
//                    the application inserted has none: origin db, defaults for the rest.
// A TaskRecord is the two joined. Writes go to both: when the task table is in the state
// database, in one transaction; otherwise the state database's row first on insert and last
// on delete, so that a reader in between never finds a task without its maintd row's origin.
//
// Every column is read as text and then as its type, so that a value of the wrong type, which
// SQLite lets a hand edit store, is read and reported (TaskRecord::unreadable) rather than
// failing the whole read. Rows come sorted by name (in C++, not by ORDER BY: PostgreSQL's
// collation would make the order locale-dependent).
//
// Every function throws StoreUnavailable when a database cannot be used, StoreError otherwise.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/task_table_layout.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

// The task table and the state database its maintd rows are in. The layout is read from the
// catalog at the first use that finds the table, and kept.
class TaskTable {
 public:
  // The task table in `state` itself (the default), or in `home` (`task_table.database`).
  explicit TaskTable(std::shared_ptr<Database> state, TaskTableSpec spec = {},
                     std::shared_ptr<Database> home = nullptr);

  Database& state() const { return *state_; }
  Database& home() const { return home_ ? *home_ : *state_; }
  const std::shared_ptr<Database>& state_pointer() const { return state_; }
  bool separate() const { return home_ != nullptr; }
  const TaskTableSpec& spec() const { return spec_; }
  // "scheduled_tasks", or "scheduled_tasks in postgresql://app@db/app" when it is elsewhere.
  std::string where() const;

  // The layout, read on `home_sql` the first time (nullopt while the table does not exist).
  // Throws StoreError for a table of another shape.
  std::optional<TaskTableLayout> layout(soci::session& home_sql);

 private:
  std::shared_ptr<Database> state_;
  std::shared_ptr<Database> home_;
  TaskTableSpec spec_;
  std::mutex mutex_;
  std::optional<TaskTableLayout> layout_;
};

// The columns of a task but config, as stored: what a record and a task row
// (tasks/task_row.hpp, its config read as JSON) share.
struct TaskColumns {
  std::string id;    // the task table's id ("" in a table without one)
  std::string name;  // NULL text columns read as ""
  std::string display_name;
  std::string description;
  std::string task_type;
  std::string scope_type = "global";
  std::string schedule_expression;
  std::string timezone;  // "": the configuration's default zone (a row without maintd row)
  bool enabled = true;   // NULL reads as true
  std::optional<bool> enabled_override;
  std::optional<std::int64_t> timeout_seconds;
  std::optional<std::string> concurrency;
  std::optional<std::int64_t> catchup_seconds;
  std::optional<std::int64_t> retries;
  std::optional<std::int64_t> retry_backoff_seconds;
  std::optional<std::int64_t> jitter_seconds;
  std::optional<std::int64_t> expect_success_within_seconds;
  bool dry_run = false;  // NULL reads as false
  std::string origin;    // "file:<path>" or "db" (also a row without maintd row)
  std::string created_at;
  std::string updated_at;
  // Written back after each run (write_back_run); read for display, never written otherwise.
  std::optional<std::string> last_run_id, last_run_at, last_run_status, next_run_at;
  // Columns whose stored value could not be read as its type (text in an integer column, a
  // flag other than 0 or 1): column -> the stored text. The field itself then holds its NULL
  // value. Reading only; writes ignore it.
  std::map<std::string, std::string> unreadable;

  bool operator==(const TaskColumns&) const = default;
};

// One task as stored: its task table row and its maintd row.
struct TaskRecord : TaskColumns {
  std::optional<std::string> config;  // JSON text, as stored; written as given
};

// Reading.
// Ordered by name. Without `maintd_rows`, maintd_tasks is not read (a state database not
// migrated yet has none): every task reads as the table has it, origin db.
std::vector<TaskRecord> read_task_records(TaskTable& table, bool maintd_rows = true);
// The task of that name, or else of that id.
std::optional<TaskRecord> read_task_record(TaskTable& table, const std::string& name_or_id);
// Whether the task table exists. Writes nothing. Throws StoreError for a table of another shape.
bool has_task_table(TaskTable& table);
// Runs recorded under a task name (maintd_runs), for messages.
std::int64_t count_runs(Database& database, const std::string& task_name);

// Writing rows of origin db (`maintd task add|edit|rm`). Each returns false when no row was
// written: insert, when the name exists already (UNIQUE); update, when the row is gone, is not
// a db row, or was changed by someone else since `expected_updated_at`; remove, when there is
// no db row of that name. Insert gives the row a new id (a UUID, unless the database numbers
// them) and sets origin db and the timestamps (`clock`); update writes the definition columns,
// enabled_override and updated_at.
bool insert_db_record(TaskTable& table, TaskRecord record, const Clock& clock);
bool update_db_record(TaskTable& table, TaskRecord record, const std::string& expected_updated_at,
                      const Clock& clock);
bool remove_db_task(TaskTable& table, const std::string& name);
// `maintd task enable|disable`, for rows of either origin: sets enabled_override and enabled.
// False when there is no row of that name.
bool set_enabled_override(TaskTable& table, const std::string& name, bool enabled,
                          const Clock& clock);

// A fingerprint of the tasks, for pollers that re-read them only when they changed. Two parts,
// computed by the database, no rows transferred:
//   shallow  the task table's row count and latest updated_at, and maintd_tasks' count, latest
//            updated_at and a checksum of its updated_at digits: an INSERT, a DELETE, and an
//            UPDATE that sets updated_at (as ORMs and maintd do) change it. One light scan.
//   deep     (`deep`, and always for a table without updated_at) the sum of a 32-bit hash of
//            every row's name, task_type, schedule_expression, enabled, config and updated_at:
//            also an UPDATE that leaves updated_at alone. Hashing every row is the cost a poller
//            pays only every few polls (scheduler/task_source.hpp).
// Written-back columns (last_run_*, next_run_at) are in neither.
std::string task_table_version(TaskTable& table, bool deep = true);
// Whether a version read now (shallow or deep) says the tasks are as when `loaded` (a deep
// version) was read.
bool same_task_table_version(const std::string& read, const std::string& loaded);

// What a run leaves in its task's row (the columns the table has; last_run_id only when it can
// hold a run id). One conditional UPDATE: a row whose last_run_at is later than `started_at`
// (a later run, written back first) is left alone. False when nothing was written (no such row,
// a later run's values, or a table with none of these columns).
struct RunWriteBack {
  std::string task_name;
  std::int64_t run_id = 0;
  std::string started_at;  // Timestamp text
  std::string status;
  std::optional<std::string> next_run_at;
};
bool write_back_run(TaskTable& table, const RunWriteBack& run);

// The writes of a sync of the schedule files (tasks/task_sync.hpp), made in its transaction
// (sync_task_table) as they are asked for.
class TaskTableWriter {
 public:
  virtual ~TaskTableWriter() = default;
  // Inserts a task as given (timestamps included), with a new id, set in `record` ("" in a
  // table without ids). A name taken meanwhile (by `maintd task add`, which does not wait for
  // the sync's lock) fails the whole sync with a StoreError.
  virtual void insert(TaskRecord& record) = 0;
  // Updates the definition columns and updated_at of the task of that name, if its origin is
  // file:... (enabled_override and created_at are kept: `record` gets the row's id and override).
  virtual void update_file_row(TaskRecord& record) = 0;
  // Deletes the task of that name and origin (its runs stay in maintd_runs).
  virtual void remove(const std::string& name, const std::string& origin) = 0;
  // Makes columns as written what a read of the row returns: those the task table lacks at the
  // values a read leaves for them ("", "global", NULL).
  virtual void as_read_back(TaskColumns& columns) const = 0;
};

// The two steps of a sync, asked of the tasks layer. `needs_writes` gets every task as read,
// without a lock: false ends the sync there, with nothing written and no lock taken (the common
// case). Otherwise the sync takes the lock that writers of tasks take one at a time in the state
// database (SQLite: BEGIN IMMEDIATE, waiting out the busy timeout; PostgreSQL: a
// transaction-scoped advisory lock), reads the tasks again (another process may have synced in
// between) and gives them to `write`, whose writes are committed together. A failed sync
// leaves the tables as they were (a task table in another database: as far as its own
// transaction goes, which commits just before the state database's).
struct TaskTableSync {
  std::function<bool(std::vector<TaskRecord> rows)> needs_writes;
  std::function<void(std::vector<TaskRecord> rows, TaskTableWriter& writer)> write;
};
// Returns, when the sync wrote and nobody could write the task table beside it, the table's
// (deep) version as of its commit: then the rows `write` was given, with its writes applied, are
// the table, and this version is theirs. That holds on SQLite (the state database's write lock;
// a task table in another SQLite database is read in the transaction's snapshot, which fails
// the writes if another writer came first); PostgreSQL lets the application write beside the
// transaction (READ COMMITTED), and there the caller reads the table again. Otherwise nullopt.
std::optional<std::string> sync_task_table(TaskTable& table, const TaskTableSync& sync);
// Whether sync_task_table returns the version after its writes for this table.
bool sync_leaves_known_table(const TaskTable& table);

}  // namespace maintd::store
