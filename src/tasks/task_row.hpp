#pragma once
// Tasks in the state database: a row of `scheduled_tasks` (as the store reads and writes it,
// store/task_table.hpp) as a definition maintd compares, shows and validates, and the mapping
// between it and a validated task.
//
// A row is one of two kinds, told apart by `origin`:
//   file:<path>  a mirror of a task defined in a schedule file (path relative to maintd.yaml's
//                directory). Written only by the sync (tasks/task_sync.hpp); its columns hold the
//                task's effective definition (defaults, type preset and handler defaults
//                applied; secrets in config masked as ***), so plain SQL reads the truth.
//   db           a task that lives only in the table (`maintd task add`). Its columns are the
//                definition: a NULL policy column takes `defaults:`, config holds the task's own
//                keys. It is validated exactly like a schedule file entry each time it is loaded;
//                an invalid row (edited by hand) is reported and never run.
// `enabled` is always the effective value: `enabled_override` (set by `maintd task
// enable|disable`, store::set_enabled_override) when it is set, else the definition's. The
// override survives syncs and reloads; a file task's row keeps it until the file stops defining
// the task.
//
// Here, not in the store, because reading a row as a definition applies the limits of
// configuration input (config/limits.hpp) and validating it needs the configuration: the store
// knows no config types.
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "store/database.hpp"
#include "store/task_table.hpp"
#include "store/timestamp.hpp"

namespace maintd::tasks {

// One row of scheduled_tasks, its config read as JSON. What its columns mean:
//   enabled                        effective: enabled_override if set, else the definition's
//   enabled_override               set by `maintd task enable|disable`
//   timeout_seconds ... jitter_seconds
//                                  policies: NULL = `defaults:` (db rows)
//   expect_success_within_seconds  NULL: defaults (db rows) or not watched (file rows); 0 in a
//                                  db row: not watched
//   unreadable                     the store's, and config when it is not JSON. Only a hand edit
//                                  does this; such a row is invalid and never runs.
struct TaskRow : store::TaskColumns {
  nlohmann::json config = nlohmann::json::object();
  // Columns whose stored value is past a limit of configuration input (config/limits.hpp: text
  // longer than a config value, a config too long or nested too deep): column -> why. A config
  // refused so is also in `unreadable`, unparsed. Such a row is invalid and never runs.
  std::map<std::string, std::string> refused;

  bool from_file() const { return origin.rfind("file:", 0) == 0; }
  bool from_db() const { return origin == "db"; }
  bool operator==(const TaskRow&) const = default;
};

// A row as read: the limits of configuration input applied (`refused`), the config parsed
// (`unreadable` when it is not JSON), the store's unreadable columns kept.
TaskRow row_from_record(store::TaskRecord record);
std::vector<TaskRow> rows_from_records(std::vector<store::TaskRecord> records);
// A row as the store writes it: the config as JSON text.
store::TaskRecord record_from_row(TaskRow row);
// Hands `row` to `write` as that record without copying its columns: they move into the record
// and back, with what `write` set in them (an insert's id). A sync writes 100,000 rows so.
void write_as_record(TaskRow& row, const std::function<void(store::TaskRecord&)>& write);

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

// A stored value as messages quote it: up to 40 characters, a longer one cut to 37 and "...".
std::string shown_value(const std::string& text);

// Reading and writing rows through the store (store/task_table.hpp: what each does, and the
// rest of its functions, which need no row). Throw StoreUnavailable when the database cannot be
// used, StoreError otherwise.
std::vector<TaskRow> read_task_rows(store::TaskTable& table);  // ordered by name
std::optional<TaskRow> read_task_row(store::TaskTable& table, const std::string& name);
// The name of the task `name_or_id` names: itself when a schedule file or a row has that name,
// else the name of the row whose id it is (`maintd run 2f1c...`, /api/v1/scheduled-tasks/{id}),
// else itself (the caller reports an unknown task).
std::string resolve_task_name(store::TaskTable& table, const config::Config& config,
                              const std::string& name_or_id);
bool insert_db_task(store::TaskTable& table, const TaskRow& row, const store::Clock& clock);
bool update_db_task(store::TaskTable& table, const TaskRow& row,
                    const std::string& expected_updated_at, const store::Clock& clock);

}  // namespace maintd::tasks
