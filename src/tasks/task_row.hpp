#pragma once
// Tasks in the state database: the rows of `scheduled_tasks`, read and written, turned into
// validated tasks, and the effective task set (schedule files plus the table) that `maintd run`
// and the daemon execute.
//
// A row is one of two kinds, told apart by `origin`:
//   file:<path>  a mirror of a task defined in a schedule file (path relative to maintd.yaml's
//                directory). Written only by the sync (store/task_sync.hpp); its columns hold the
//                task's effective definition (defaults, type preset and handler defaults
//                applied; secrets in config masked as ***), so plain SQL reads the truth.
//   db           a task that lives only in the table (`maintd task add`). Its columns are the
//                definition: a NULL policy column takes `defaults:`, config holds the task's own
//                keys. It is validated exactly like a schedule file entry each time it is loaded;
//                an invalid row (edited by hand) is reported and never run.
// `enabled` is always the effective value: `enabled_override` (set by `maintd task
// enable|disable`) when it is set, else the definition's. The override survives syncs and
// reloads; a file task's row keeps it until the file stops defining the task.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "store/database.hpp"
#include "store/task_set.hpp"
#include "store/timestamp.hpp"

namespace maintd::store {

// One row of scheduled_tasks.
struct TaskRow {
  std::string name;
  std::string display_name;
  std::string description;
  std::string task_type;
  std::string scope_type = "global";
  std::string schedule_expression;
  std::string timezone = "UTC";
  bool enabled = true;                   // effective: enabled_override if set, else definition
  std::optional<bool> enabled_override;  // set by `maintd task enable|disable`
  nlohmann::json config = nlohmann::json::object();
  std::optional<std::int64_t> timeout_seconds;  // policies: NULL = defaults (db rows)
  std::optional<std::string> concurrency;
  std::optional<std::int64_t> catchup_seconds;
  std::optional<std::int64_t> retries;
  std::optional<std::int64_t> retry_backoff_seconds;
  std::optional<std::int64_t> jitter_seconds;
  // NULL: defaults (db rows) or not watched (file rows); 0 in a db row: not watched.
  std::optional<std::int64_t> expect_success_within_seconds;
  bool dry_run = false;
  std::string origin;  // "file:<path>" or "db"
  std::string created_at;
  std::string updated_at;
  // Columns whose stored value could not be read as its type (text in an integer column,
  // config that is not JSON, a flag other than 0 or 1): column -> the stored text. Only a hand
  // edit does this; such a row is invalid and never runs.
  std::map<std::string, std::string> unreadable;
  // Columns whose stored value is past a limit of configuration input (config/limits.hpp: text
  // longer than a config value, a config too long or nested too deep): column -> why. A config
  // refused so is also in `unreadable`, unparsed. Such a row is invalid and never runs.
  std::map<std::string, std::string> refused;

  bool from_file() const { return origin.rfind("file:", 0) == 0; }
  bool from_db() const { return origin == "db"; }
};

// The columns that make a task's definition, in table order (what a sync compares and a plan
// shows): display_name ... dry_run, then origin.
const std::vector<std::string>& definition_columns();

// One column of a row, as JSON: text as a string, integers as integers, flags as true/false,
// NULL as null, config as the document; an unreadable value as its stored text.
nlohmann::json column_value(const TaskRow& row, const std::string& column);

struct FieldChange {
  std::string column;
  nlohmann::json before;  // column_value() of the old row
  nlohmann::json after;   // and of the new
};
// The definition columns whose values differ, in definition_columns() order.
std::vector<FieldChange> diff_rows(const TaskRow& before, const TaskRow& after);

// The row that mirrors a file task: the effective definition, origin task.origin(), enabled =
// `enabled_override` if set, else the file's. Timestamps are left empty.
TaskRow row_from_file_task(const config::Task& task, std::optional<bool> enabled_override);

// The row as a schedule-file entry (name, type, schedule, timezone, policies as durations,
// enabled = the effective value, config, ...), for read_task_entry(). Unreadable columns are
// left out (task_from_row reports them).
nlohmann::json entry_from_row(const TaskRow& row);

// The row of origin db that stores `task`, validated from `entry` (`maintd task add|edit`): the
// canonical type, the zone, the definition's `enabled`, the task's own config, and a policy
// column only for each policy `entry` names (the others stay NULL: defaults). No override.
TaskRow db_row_from_task(const config::Task& task, const nlohmann::json& entry);

// A row validated as a task, exactly like a schedule file's entry, with every problem reported
// at config::table_location(row.name). The task has source table (origin "db").
std::optional<config::Task> task_from_row(const TaskRow& row, const config::Config& config,
                                          config::Diagnostics& diagnostics);

// Reading. Throw StoreUnavailable when the database cannot be used, StoreError otherwise.
std::vector<TaskRow> read_task_rows(Database& database);  // ordered by name
std::optional<TaskRow> read_task_row(Database& database, const std::string& name);
// Whether the schema has been created (scheduled_tasks exists). Writes nothing.
bool has_task_table(Database& database);
// Runs recorded under a task name (task_runs), for messages.
std::int64_t count_runs(Database& database, const std::string& task_name);

// Writing rows of origin db (`maintd task add|edit|rm`), each one statement. Each returns false
// when no row was written: insert, when the name exists already (UNIQUE); update, when the row
// is gone, is not a db row, or was changed by someone else since `expected_updated_at`;
// remove, when there is no db row of that name.
bool insert_db_task(Database& database, TaskRow row, const Clock& clock);
bool update_db_task(Database& database, TaskRow row, const std::string& expected_updated_at,
                    const Clock& clock);
bool remove_db_task(Database& database, const std::string& name);
// `maintd task enable|disable`, for rows of either origin: sets enabled_override and enabled.
// False when there is no row of that name.
bool set_enabled_override(Database& database, const std::string& name, bool enabled,
                          const Clock& clock);

// The tasks to run (store/task_set.hpp): every file task of `config` (the enabled override
// applied) and every valid row of origin db. The set points at the file tasks in `config`, which
// must outlive it. `diagnostics` holds, at config::table_location(name), an error for each
// invalid or unusable row (never run) and a warning at both places for each name that is both
// in a file and a db row (the file's task is used, the row left alone).

// A cheap fingerprint of scheduled_tasks, for pollers that re-read the table only when it
// changed: the row count, the latest updated_at and a checksum of every row's updated_at (its
// minute, second and millisecond digits). It changes when a row is added or removed and when any
// row's updated_at changes, which every maintd command that writes a row does (and the sync of
// the schedule files); a hand edit that leaves updated_at alone is not seen. One aggregate
// query, no rows transferred. Throws StoreUnavailable / StoreError.
std::string task_table_version(Database& database);

// Syncs the schedule files into the table first (store/task_sync.hpp), then reads it. Throws
// StoreUnavailable when the database cannot be used, StoreError when a statement fails.
TaskSet load_tasks(Database& database, const config::Config& config);  // syncs files first
TaskSet load_tasks(Database& database, const config::Config& config, const Clock& clock);

// The same task set from rows already read, without syncing or writing anything (what `maintd
// list` and `maintd next` show). Conflicts between files and db rows are not reported here.
TaskSet merge_tasks(const std::vector<TaskRow>& rows, const config::Config& config);

}  // namespace maintd::store
